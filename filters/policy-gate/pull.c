/* What the gate reads of the pull request through the API: the pull request
 * (head, base, author, labels, body), its changed files (every page), the
 * merge base of base and head, and the policy files there and at the head;
 * then policy-lint over the head's files. */
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/json.h"
#include "lib/run.h"
#include "gate.h"

#define POLICY_CAP (4 * MP_MIB)

static void commit_id(const char *s, char out[65], const char *what)
{
	size_t n = s ? strlen(s) : 0;
	if ((n != 40 && n != 64) || strspn(s, "0123456789abcdef") != n)
		fail(EXIT_PROTOCOL, "the pull request's %s is not a commit id: '%s'", what, s ? s : "(none)");
	memcpy(out, s, n + 1);
}

static const char *member_str(jv o, const char *a, const char *b)
{
	jv in = json_get(o, a);
	const char *s = json_str(in, b);
	jv_free(in); /* the string lives on in o */
	return s;
}

static void changed_file(struct gate *g, const char *name)
{
	if (!name || strncmp(name, POLICY_DIR "/", strlen(POLICY_DIR) + 1) != 0)
		return;
	g->policy_change = 1;
	for (int i = 0; i < POLICY_NFILES; i++)
		if (!strcmp(g->f[i].path, name)) {
			g->f[i].changed = 1;
			return;
		}
	g->other_changes = jv_array_append(g->other_changes, jv_string(name));
}

void pull_read(struct gate *g)
{
	char *url = gh_url(&g->g, "/repos/%s/pulls/%d", g->o.repo, g->number);
	jv pr = gh_get(&g->g, url);
	free(url);
	commit_id(member_str(pr, "head", "sha"), g->head, "head.sha");
	commit_id(member_str(pr, "base", "sha"), g->base, "base.sha");
	const char *author = member_str(pr, "user", "login");
	g->author = xstrdup(author ? author : "");
	const char *body = json_str(pr, "body");
	g->body = xstrdup(body ? body : "");
	g->labels = jv_array();
	jv labels = json_get(pr, "labels");
	if (jv_get_kind(labels) == JV_KIND_ARRAY)
		jv_array_foreach(labels, i, l) {
			const char *n = json_str(l, "name");
			if (n)
				g->labels = jv_array_append(g->labels, jv_string(n));
			jv_free(l);
		}
	jv_free(labels);
	jv_free(pr);
	for (int i = 0; i < POLICY_NFILES; i++) {
		g->f[i].path = policy_file_path(i);
		g->f[i].profile = policy_file_profile(g->f[i].path, NULL);
	}
	url = gh_url(&g->g, "/repos/%s/pulls/%d/files", g->o.repo, g->number);
	g->files = gh_get_all(&g->g, url, NULL);
	free(url);
	g->other_changes = jv_array();
	jv_array_foreach(g->files, i, f) {
		changed_file(g, json_str(f, "filename"));
		changed_file(g, json_str(f, "previous_filename"));
		jv_free(f);
	}
}

/* One file at a commit (the contents API); absent on 404. */
static void content(struct gate *g, const char *path, const char *ref, struct side *s)
{
	char *url = gh_url(&g->g, "/repos/%s/contents/%s?ref=%s", g->o.repo, path, ref);
	jv ans;
	long st = gh_json(&g->g, HTTP_GET, url, jv_invalid(), GH_SOFT, &ans);
	buf_init(&s->text);
	s->doc = jv_invalid();
	if (st == 404) {
		jv_free(ans);
		free(url);
		return;
	}
	if (st != 200)
		gh_fail_answer(&g->g, HTTP_GET, url, st, ans);
	const char *type = json_str(ans, "type"), *enc = json_str(ans, "encoding"), *c = json_str(ans, "content");
	if (!type || strcmp(type, "file") != 0 || !enc || strcmp(enc, "base64") != 0 || !c)
		fail(EXIT_PROTOCOL, "GET %s: not a file's base64 content (a policy file over 1 MB?)", url);
	if (b64_decode(c, strlen(c), &s->text) != 0 || s->text.len > POLICY_CAP)
		fail(EXIT_PROTOCOL, "GET %s: the content is not base64 of at most 4 MiB", url);
	s->present = 1;
	char err[300];
	s->doc = json_parse((const char *)s->text.data, s->text.len, err, sizeof err);
	jv_free(ans);
	free(url);
}

void contents_read(struct gate *g)
{
	char *url = gh_url(&g->g, "/repos/%s/compare/%s...%s", g->o.repo, g->base, g->head);
	jv cmp = gh_get(&g->g, url);
	free(url);
	commit_id(member_str(cmp, "merge_base_commit", "sha"), g->merge_base, "merge base");
	jv_free(cmp);
	for (int i = 0; i < POLICY_NFILES; i++) {
		content(g, g->f[i].path, g->merge_base, &g->f[i].base);
		content(g, g->f[i].path, g->head, &g->f[i].head);
	}
}

/* The findings policy-lint printed (JSON), with the work folder's paths
 * turned back into the repository's. */
static jv lint_findings(struct gate *g, const struct buf *out)
{
	char err[300];
	jv doc = json_parse((const char *)out->data, out->len, err, sizeof err);
	jv fs = jv_is_valid(doc) ? json_get(doc, "findings") : jv_invalid();
	jv_free(doc);
	if (jv_get_kind(fs) != JV_KIND_ARRAY)
		fail(EXIT_SOFTWARE, "policy-lint --format json gave no findings list");
	char *prefix = gate_path(g, "head", NULL);
	size_t k = strlen(prefix);
	jv mine = jv_array();
	jv_array_foreach(fs, i, f) {
		const char *file = json_str(f, "file");
		if (file && !strncmp(file, prefix, k) && file[k] == '/')
			f = jv_object_set(f, jv_string("file"), jv_string(file + k + 1));
		mine = jv_array_append(mine, f);
	}
	free(prefix);
	jv_free(fs);
	return mine;
}

void lint_head(struct gate *g)
{
	char *argv[POLICY_NFILES + 4] = {"policy-lint", "--format", "json"};
	int k = 3;
	char *dir = gate_path(g, "head", POLICY_DIR);
	make_dirs(dir);
	free(dir);
	for (int i = 0; i < POLICY_NFILES; i++) {
		if (!g->f[i].head.present)
			continue;
		argv[k] = gate_path(g, "head", g->f[i].path);
		write_file(argv[k], g->f[i].head.text.data, g->f[i].head.text.len, 0644);
		k++;
	}
	argv[k] = NULL;
	struct buf out, err;
	int over, st = k == 3 ? 0 : run_capture(argv, &out, 16 * MP_MIB, &over, &err);
	if (k == 3) {
		g->lint = jv_array();
	} else {
		if (st != 0 && st != 1 && st != 65) {
			char why[300];
			run_first_line(&err, "no message", why, sizeof why);
			fail(st >= 128 ? EXIT_SOFTWARE : st, "policy-lint: %s", why);
		}
		g->lint = lint_findings(g, &out);
		buf_free(&out);
		buf_free(&err);
	}
	for (int i = 3; i < k; i++)
		free(argv[i]);
	int errors = 0;
	jv_array_foreach(g->lint, i, f) {
		const char *sev = json_str(f, "severity");
		errors += sev && !strcmp(sev, "error");
		jv_free(f);
	}
	g->lint_ok = st == 0;
	if (g->lint_ok)
		req_add(g, "lint", 1, jv_copy(g->lint), "policy-lint passes on the head's policy files");
	else
		req_add(g, "lint", 0, jv_copy(g->lint), "policy-lint finds %d error%s in the head's policy files", errors,
			errors == 1 ? "" : "s");
}
