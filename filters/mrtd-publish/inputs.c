/* mrtd-publish: the candidates of each profile. An operand is
 * - a folder holding, per profile, measurement-policy-candidates-P.json (the
 *   upstream release's names) or P/measurement-policy-candidates.json (a
 *   probe folder per profile);
 * - one candidates file (this project's shape names its profile; an upstream
 *   one takes it from its name, measurement-policy-candidates-P.json);
 * - one file keyed by profile: {"debug": CANDIDATES, ...} or
 *   {"profiles": {"debug": CANDIDATES, ...}}.
 * Upstream candidates carry no verification: quote-verify's verdict of their
 * quote beside them (verification-P.json, or verification.json in P/) makes
 * them verified. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/json.h"
#include "publish.h"

#define CAND_CAP (16 * MP_MIB)
#define CAND_BASE "measurement-policy-candidates"

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static char *path_join(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return s;
}

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path), *d = xstrdup(dirname(copy));
	free(copy);
	return d;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The profile a file's name (or its folder's) gives, or NULL; *layout 1 for
 * NAME-P.json, 2 for P/NAME.json. */
static const char *name_profile(const char *path, int *layout)
{
	const char *b = base_of(path);
	*layout = 0;
	for (int i = 0; i < MP_NPROFILES; i++) {
		char want[128];
		snprintf(want, sizeof want, CAND_BASE "-%s.json", mp_profiles[i]);
		if (strcmp(b, want) == 0) {
			*layout = 1;
			return mp_profiles[i];
		}
	}
	if (strcmp(b, CAND_BASE ".json") != 0)
		return NULL;
	char *d = dir_of(path);
	const char *p = NULL;
	for (int i = 0; i < MP_NPROFILES && !p; i++)
		if (strcmp(base_of(d), mp_profiles[i]) == 0)
			p = mp_profiles[i];
	free(d);
	*layout = p ? 2 : 0;
	return p;
}

/* quote-verify's verdict beside an upstream candidates file, or NULL. */
static char *verdict_beside(const char *path, const char *profile, int layout)
{
	char *d = dir_of(path), name[128];
	snprintf(name, sizeof name, layout == 1 ? "verification-%s.json" : "verification.json", profile);
	char *v = path_join(d, name);
	free(d);
	if (exists(v))
		return v;
	free(v);
	return NULL;
}

static void note_record(struct prof *p)
{
	jv rec = p->c.record;
	const char *t = json_str(rec, "generated_at"), *q = json_str(rec, "quote_sha256");
	const char *s = json_str(rec, "tcb_status");
	jv ver = json_get(rec, "verified");
	p->timestamp = t ? xstrdup(t) : NULL;
	p->quote_sha256 = q ? xstrdup(q) : NULL;
	p->tcb_status = s ? xstrdup(s) : NULL;
	p->verified = jv_get_kind(ver) == JV_KIND_TRUE && !p->c.unverified;
	jv_free(ver);
}

/* One candidates text; hint is the profile its name or key gives (or NULL). */
static void take(struct run *r, const char *name, const char *hint, int layout, const char *file,
		 const struct buf *text)
{
	char err[512];
	jv v = json_parse((const char *)text->data, text->len, err, sizeof err);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse the candidates '%s': %s", name, err);
	jv role = json_get(v, "role");
	int ours = jv_is_valid(role);
	jv_free(role);
	jv_free(v);
	if (!ours && !hint)
		fail(EXIT_DATAERR, "candidates '%s': upstream candidates name no profile: call the file "
			      CAND_BASE "-PROFILE.json or key it by profile", name);
	char *verdict = !ours && layout ? verdict_beside(file, hint, layout) : NULL;
	struct cand c;
	read_candidates(text, name, "node", hint, verdict, &c);
	free(verdict);
	if (strcmp(c.role, "node") != 0)
		fail(EXIT_NO, "candidates '%s' are role %s (a KMS's measurements): a node image release publishes role "
			      "node", name, c.role);
	if (hint && strcmp(hint, c.profile) != 0)
		fail(EXIT_NO, "candidates '%s' are for the profile %s, but their name says %s", name, c.profile, hint);
	struct prof *p = NULL;
	for (int i = 0; i < MP_NPROFILES; i++)
		if (strcmp(r->p[i].name, c.profile) == 0)
			p = &r->p[i];
	if (p->have)
		fail(EXIT_NO, "profile %s: two candidates, '%s' and '%s'", p->name, p->file, name);
	p->have = 1;
	p->c = c;
	p->file = xstrdup(name);
	p->base = xstrdup(base_of(file));
	note_record(p);
}

/* A file keyed by profile; v is borrowed. */
static void take_keyed(struct run *r, const char *path, jv v)
{
	jv inner = json_get(v, "profiles");
	jv map = jv_get_kind(inner) == JV_KIND_OBJECT ? inner : jv_copy(v);
	if (jv_get_kind(inner) != JV_KIND_OBJECT)
		jv_free(inner);
	jv_object_foreach(map, k, e) {
		const char *key = jv_string_value(k);
		const char *p = profile_lookup(key);
		if (!p || strcmp(p, key) != 0 || jv_get_kind(e) != JV_KIND_OBJECT)
			fail(EXIT_DATAERR, "'%s': '%.100s' is not a profile (%s) with its candidates", path, key,
			     profile_choices());
		struct buf text;
		char name[600];
		buf_init(&text);
		json_dump_buf(jv_copy(e), 1, &text);
		snprintf(name, sizeof name, "%s: %s", path, p);
		take(r, name, p, 0, path, &text);
		buf_free(&text);
		jv_free(k);
		jv_free(e);
	}
	jv_free(map);
}

static void take_file(struct run *r, const char *path)
{
	struct buf b;
	char err[512];
	read_file_capped(path, CAND_CAP, &b, 0);
	jv v = json_parse((const char *)b.data, b.len, err, sizeof err);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse the candidates '%s': %s", path, err);
	jv sv = json_get(v, "schema_version");
	int single = jv_is_valid(sv);
	jv_free(sv);
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "'%s': not candidates (a JSON object)", path);
	if (single) {
		int layout;
		const char *hint = name_profile(path, &layout);
		take(r, path, hint, layout, path, &b);
	} else {
		take_keyed(r, path, v);
	}
	jv_free(v);
	buf_free(&b);
}

static void take_dir(struct run *r, const char *dir)
{
	int found = 0;
	for (int i = 0; i < MP_NPROFILES; i++) {
		char name[128];
		snprintf(name, sizeof name, CAND_BASE "-%s.json", mp_profiles[i]);
		char *a = path_join(dir, name);
		snprintf(name, sizeof name, "%s/" CAND_BASE ".json", mp_profiles[i]);
		char *b = path_join(dir, name);
		if (exists(a)) {
			take_file(r, a);
			found++;
		}
		if (exists(b)) {
			take_file(r, b);
			found++;
		}
		free(a);
		free(b);
	}
	if (!found)
		fail(EXIT_NOINPUT, "folder '%s' holds no " CAND_BASE "-PROFILE.json or PROFILE/" CAND_BASE ".json",
		     dir);
}

void read_inputs(struct run *r, char **paths, int n)
{
	for (int i = 0; i < MP_NPROFILES; i++)
		r->p[i].name = mp_profiles[i];
	for (int i = 0; i < n; i++) {
		if (is_dir(paths[i]))
			take_dir(r, paths[i]);
		else
			take_file(r, paths[i]);
	}
}
