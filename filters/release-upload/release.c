/* The release: found by tag, or among the drafts (the by-tag endpoint hides
 * them), or created as a draft; its assets; publishing it. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "ru.h"

int release_immutable(const struct run *r)
{
	return json_bool(r->release, "immutable") == 1 && json_bool(r->release, "draft") != 1;
}

/* Keep rel as the run's release after checking the members used. */
static void take_release(struct run *r, jv rel, const char *url)
{
	const char *up = json_str(rel, "upload_url");
	long long id = ghr_id(rel, "id");
	if (id < 0 || !up || !*up)
		fail(EXIT_PROTOCOL, "%s: a release without a numeric id or an upload_url", url);
	jv_free(r->release);
	free(r->upload_base);
	r->rid = id;
	r->upload_base = strndup(up, strcspn(up, "{"));
	r->release = rel;
}

static void create_draft(struct run *r)
{
	char *url = gh_url(&r->g, "/repos/%s/releases", r->repo);
	jv body = JV_OBJECT(jv_string("tag_name"), jv_string(r->tag), jv_string("name"), jv_string(r->tag),
			    jv_string("draft"), jv_true());
	if (r->notes)
		JSET(body, "body", jv_string_sized((const char *)r->notes->data, (int)r->notes->len));
	jv rel;
	gh_json(&r->g, HTTP_POST, url, body, 0, &rel);
	take_release(r, rel, url);
	r->created = 1;
	r->notes_result = r->notes ? "created" : NULL;
	free(url);
}

void release_notes(struct run *r)
{
	if (!r->notes || r->notes_result)
		return;
	const char *body = json_str(r->release, "body");
	if (body && strlen(body) == r->notes->len && memcmp(body, r->notes->data, r->notes->len) == 0) {
		r->notes_result = "unchanged";
		return;
	}
	char *url = gh_url(&r->g, "/repos/%s/releases/%lld", r->repo, r->rid);
	jv rel;
	gh_json(&r->g, HTTP_PATCH, url,
		JV_OBJECT(jv_string("body"), jv_string_sized((const char *)r->notes->data, (int)r->notes->len)), 0, &rel);
	take_release(r, rel, url);
	free(url);
	r->notes_result = "updated";
}

void release_find(struct run *r)
{
	jv rel;
	if (ghr_find(&r->g, r->repo, r->tag, &rel))
		take_release(r, rel, "the release");
	else if (r->create_draft)
		create_draft(r);
	else
		fail(EXIT_UNAVAILABLE, "%s has no release with the tag '%s', published or draft (--create-draft makes one)",
		     r->repo, r->tag);
}

jv release_assets(struct run *r) { return ghr_assets(&r->g, r->repo, r->rid); }

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
