/* The release: found by tag, or among the drafts (the by-tag endpoint hides
 * them), or created as a draft; its assets; publishing it. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "ru.h"

long long member_id(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	long long id = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 1 ? (long long)jv_number_value(v) : -1;
	jv_free(v);
	return id;
}

int release_immutable(const struct run *r)
{
	return json_bool(r->release, "immutable") == 1 && json_bool(r->release, "draft") != 1;
}

/* Keep rel as the run's release after checking the members used. */
static void take_release(struct run *r, jv rel, const char *url)
{
	const char *up = json_str(rel, "upload_url");
	long long id = member_id(rel, "id");
	if (id < 0 || !up || !*up)
		fail(EXIT_PROTOCOL, "%s: a release without a numeric id or an upload_url", url);
	jv_free(r->release);
	free(r->upload_base);
	r->rid = id;
	r->upload_base = strndup(up, strcspn(up, "{"));
	r->release = rel;
}

/* The draft releases among all releases that carry the tag. */
static jv drafts_with_tag(struct run *r)
{
	char *url = gh_url(&r->g, "/repos/%s/releases", r->repo);
	jv all = gh_get_all(&r->g, url, NULL), found = jv_array();
	free(url);
	jv_array_foreach(all, i, rel) {
		const char *t = json_str(rel, "tag_name");
		if (t && !strcmp(t, r->tag) && json_bool(rel, "draft") == 1)
			found = jv_array_append(found, jv_copy(rel));
		jv_free(rel);
	}
	jv_free(all);
	return found;
}

static void create_draft(struct run *r)
{
	char *url = gh_url(&r->g, "/repos/%s/releases", r->repo);
	jv body = JV_OBJECT(jv_string("tag_name"), jv_string(r->tag), jv_string("name"), jv_string(r->tag),
			    jv_string("draft"), jv_true());
	jv rel;
	gh_json(&r->g, HTTP_POST, url, body, 0, &rel);
	take_release(r, rel, url);
	r->created = 1;
	free(url);
}

void release_find(struct run *r)
{
	char *tag = gh_escape(r->tag);
	char *url = gh_url(&r->g, "/repos/%s/releases/tags/%s", r->repo, tag);
	free(tag);
	jv rel;
	long st = gh_json(&r->g, HTTP_GET, url, jv_invalid(), GH_SOFT, &rel);
	if (st == 200) {
		take_release(r, rel, url);
		free(url);
		return;
	}
	if (st != 404)
		gh_fail_answer(&r->g, HTTP_GET, url, st, rel);
	jv_free(rel);
	free(url);
	jv drafts = drafts_with_tag(r);
	int n = jv_array_length(jv_copy(drafts));
	if (n == 1) {
		take_release(r, jv_array_get(jv_copy(drafts), 0), "the release list");
	} else if (n > 1) {
		jv_free(drafts);
		fail(EXIT_NO, "%d draft releases of %s carry the tag '%s': delete all but one", n, r->repo, r->tag);
	} else if (r->create_draft) {
		create_draft(r);
	} else {
		jv_free(drafts);
		fail(EXIT_UNAVAILABLE, "%s has no release with the tag '%s', published or draft (--create-draft makes one)",
		     r->repo, r->tag);
	}
	jv_free(drafts);
}

jv release_assets(struct run *r)
{
	char *url = gh_url(&r->g, "/repos/%s/releases/%lld/assets", r->repo, r->rid);
	jv all = gh_get_all(&r->g, url, NULL);
	free(url);
	return all;
}

void asset_delete(struct run *r, long long id, const char *name)
{
	char *url = gh_url(&r->g, "/repos/%s/releases/assets/%lld", r->repo, id);
	jv ans;
	long st = gh_json(&r->g, HTTP_DELETE, url, jv_invalid(), GH_SOFT, &ans);
	if (st != 204 && st != 200 && st != 404) {
		char text[600];
		gh_error_text(&r->g, ans, text, sizeof text);
		jv_free(ans);
		fail(EXIT_PROTOCOL, "cannot delete the asset '%s' (id %lld) of %s: HTTP %ld: %s", name, id, r->tag, st, text);
	}
	jv_free(ans);
	free(url);
}

void release_publish(struct run *r)
{
	if (json_bool(r->release, "draft") != 1)
		return;
	char *url = gh_url(&r->g, "/repos/%s/releases/%lld", r->repo, r->rid);
	jv rel;
	gh_json(&r->g, HTTP_PATCH, url, JV_OBJECT(jv_string("draft"), jv_false()), 0, &rel);
	take_release(r, rel, url);
	free(url);
	r->published = 1;
}
