/* GitHub releases: found by tag, drafts included; their assets. */
#include <stdlib.h>
#include <string.h>

#include "ghrelease.h"
#include "json.h"

long long ghr_id(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	long long id = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 1 ? (long long)jv_number_value(v) : -1;
	jv_free(v);
	return id;
}

/* The draft releases among all releases that carry the tag. */
static jv drafts_with_tag(struct gh *g, const char *repo, const char *tag)
{
	char *url = gh_url(g, "/repos/%s/releases", repo);
	jv all = gh_get_all(g, url, NULL), found = jv_array();
	free(url);
	jv_array_foreach(all, i, rel) {
		const char *t = json_str(rel, "tag_name");
		if (t && !strcmp(t, tag) && json_bool(rel, "draft") == 1)
			found = jv_array_append(found, jv_copy(rel));
		jv_free(rel);
	}
	jv_free(all);
	return found;
}

int ghr_find(struct gh *g, const char *repo, const char *tag, jv *out)
{
	char *esc = gh_escape(tag);
	char *url = gh_url(g, "/repos/%s/releases/tags/%s", repo, esc);
	free(esc);
	long st = gh_json(g, HTTP_GET, url, jv_invalid(), GH_SOFT, out);
	if (st == 200) {
		free(url);
		return 1;
	}
	if (st != 404)
		gh_fail_answer(g, HTTP_GET, url, st, *out);
	jv_free(*out);
	free(url);
	jv drafts = drafts_with_tag(g, repo, tag);
	int n = jv_array_length(jv_copy(drafts));
	if (n > 1) {
		jv_free(drafts);
		fail(EXIT_NO, "%d draft releases of %s carry the tag '%s': delete all but one", n, repo, tag);
	}
	*out = n == 1 ? jv_array_get(jv_copy(drafts), 0) : jv_null();
	jv_free(drafts);
	return n == 1;
}

jv ghr_assets(struct gh *g, const char *repo, long long rid)
{
	char *url = gh_url(g, "/repos/%s/releases/%lld/assets", repo, rid);
	jv all = gh_get_all(g, url, NULL);
	free(url);
	return all;
}

jv ghr_asset_named(jv assets, const char *name)
{
	jv found = jv_invalid();
	jv_array_foreach(assets, i, a) {
		const char *n = json_str(a, "name");
		if (n && !strcmp(n, name) && !jv_is_valid(found))
			found = jv_copy(a);
		jv_free(a);
	}
	return found;
}
