#include "sources.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/jsonloc.h"
#include "lib/profile.h"
#include "lib/git.h"
#include "toml.h"

#define VS_CAP (4 * MP_MIB)

static const char *const kind_names[] = {"toml", "cargo-lock", "json", "versions"};

const char *vs_component_name(int c)
{
	return c == VS_KMS ? "kms" : "node";
}

const char *vs_component_text(int c)
{
	return c == VS_KMS ? "the KMS" : "the node image";
}

/* ---- the config */

static void add_source(struct vs_config *c, struct vs_source s)
{
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->v[c->n++] = s;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void vs_config_defaults(struct vs_config *c)
{
	memset(c, 0, sizeof *c);
	c->name = xstrdup("the built-in defaults");
	add_source(c, (struct vs_source){VS_SRC_TOML, VS_KMS, xstrdup("mero-kms/Cargo.toml"), xstrdup("package.version"), NULL, 0, 0});
	add_source(c, (struct vs_source){VS_SRC_CARGO_LOCK, VS_KMS, xstrdup("Cargo.lock"), NULL, xstrdup("mero-kms-phala"), 0, 0});
	add_source(c, (struct vs_source){VS_SRC_JSON, VS_NODE, xstrdup("mero-tee/versions.json"), xstrdup("imageVersion"), NULL, 0, 0});
	add_source(c, (struct vs_source){VS_SRC_VERSIONS, -1, xstrdup("policies/versions.json"), NULL, NULL, 1, 0});
}

/* A path from the repository's root: [A-Za-z0-9._/-], no empty, "." or ".."
 * part, not absolute, not an option. */
static int path_ok(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 255 || p[0] == '/' || p[0] == '-')
		return 0;
	for (const char *s = p; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._/-", *s))
			return 0;
	for (const char *s = p; *s;) {
		size_t k = strcspn(s, "/");
		if (k == 0 || (k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += k + (s[k] == '/');
		if (s[-1] == '/' && !*s)
			return 0;
	}
	return 1;
}

static const char *field(const struct vs_toml *d, const struct vs_tnode *t, const char *k, const char *name)
{
	const struct vs_tnode *v = vs_toml_get(d, t, k);
	if (!v)
		return NULL;
	if (v->kind != VS_STRING || strlen(v->str) != v->len)
		fail(EXIT_CONFIG, "%s:%ld: %s must be a string", name, v->line, k);
	return v->str;
}

static void check_keys(const struct vs_tnode *t, const char *name)
{
	static const char *const known[] = {"component", "kind", "file", "key", "package", "optional"};
	for (size_t i = 0; i < t->n; i++) {
		size_t k = 0;
		while (k < sizeof known / sizeof *known && strcmp(known[k], t->kids[i]->key) != 0)
			k++;
		if (k == sizeof known / sizeof *known)
			fail(EXIT_CONFIG, "%s:%ld: unknown key '%s' in a [[source]] (component, kind, file, key, package, optional)",
			     name, t->kids[i]->line, t->kids[i]->key);
	}
}

static struct vs_source parse_source(const struct vs_toml *d, const struct vs_tnode *t, const char *name)
{
	struct vs_source s = {.component = -1, .line = t->line};
	check_keys(t, name);
	const char *kind = field(d, t, "kind", name), *file = field(d, t, "file", name);
	const char *comp = field(d, t, "component", name), *key = field(d, t, "key", name);
	const char *pkg = field(d, t, "package", name);
	const struct vs_tnode *opt = vs_toml_get(d, t, "optional");
	size_t k = 0;
	while (kind && k < 4 && strcmp(kind, kind_names[k]) != 0)
		k++;
	if (!kind || k == 4)
		fail(EXIT_CONFIG, "%s:%ld: a [[source]] needs kind = \"toml\", \"cargo-lock\", \"json\" or \"versions\"", name, t->line);
	s.kind = (enum vs_kind)k;
	if (!file || !path_ok(file))
		fail(EXIT_CONFIG, "%s:%ld: a [[source]] needs file = a path from the repository's root ([A-Za-z0-9._/-], no '..')",
		     name, t->line);
	if (s.kind != VS_SRC_VERSIONS) {
		if (!comp || (strcmp(comp, "kms") != 0 && strcmp(comp, "node") != 0))
			fail(EXIT_CONFIG, "%s:%ld: a [[source]] of kind %s needs component = \"kms\" or \"node\"", name, t->line, kind);
		s.component = strcmp(comp, "kms") == 0 ? VS_KMS : VS_NODE;
	} else if (comp) {
		fail(EXIT_CONFIG, "%s:%ld: a versions file carries both components: no component", name, t->line);
	}
	if ((s.kind == VS_SRC_TOML || s.kind == VS_SRC_JSON) != (key != NULL))
		fail(EXIT_CONFIG, "%s:%ld: key = \"a.b\" %s", name, t->line,
		     key ? "applies to kinds toml and json only" : "is required for this kind");
	if ((s.kind == VS_SRC_CARGO_LOCK) != (pkg != NULL))
		fail(EXIT_CONFIG, "%s:%ld: package = \"NAME\" %s", name, t->line,
		     pkg ? "applies to kind cargo-lock only" : "is required for kind cargo-lock");
	if (opt && opt->kind != VS_BOOL)
		fail(EXIT_CONFIG, "%s:%ld: optional must be true or false", name, opt->line);
	s.optional = opt && strcmp(opt->str, "true") == 0;
	s.file = xstrdup(file);
	s.key = dup_or_null(key);
	s.package = dup_or_null(pkg);
	return s;
}

static void check_config(const struct vs_config *c)
{
	int have[2] = {0, 0}, versions = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind == VS_SRC_VERSIONS) {
			if (versions++)
				fail(EXIT_CONFIG, "%s:%ld: a second versions file (one carries the unchanged marker)", c->name,
				     c->v[i].line);
			have[0] = have[1] = 1;
		} else {
			have[c->v[i].component] = 1;
		}
	}
	for (int k = 0; k < 2; k++)
		if (!have[k])
			fail(EXIT_CONFIG, "%s: no [[source]] gives %s version", c->name, vs_component_text(k));
}

void vs_config_parse(struct vs_config *c, const char *text, size_t len, const char *name)
{
	struct vs_toml d;
	char err[256];
	long line = 0;
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	if (vs_toml_parse(text, len, &d, err, sizeof err, &line))
		fail(EXIT_DATAERR, "%s:%ld: malformed TOML: %s", name, line, err);
	for (size_t i = 0; i < d.root->n; i++) {
		const struct vs_tnode *k = d.root->kids[i];
		if (strcmp(k->key, "source") != 0 || k->kind != VS_ARRAY)
			fail(EXIT_CONFIG, "%s:%ld: unknown key '%s' (the config holds [[source]] tables)", name, k->line, k->key);
		for (size_t j = 0; j < k->n; j++) {
			if (k->kids[j]->kind != VS_TABLE)
				fail(EXIT_CONFIG, "%s:%ld: source must be an array of tables", name, k->kids[j]->line);
			add_source(c, parse_source(&d, k->kids[j], name));
		}
	}
	vs_toml_free(&d);
	check_config(c);
}

void vs_config_free(struct vs_config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].file);
		free(c->v[i].key);
		free(c->v[i].package);
	}
	free(c->v);
	free(c->name);
	memset(c, 0, sizeof *c);
}

/* ---- reading a source */

static void set_version(struct vs_read *r, int comp, const char *v, size_t len, long line, const char *shown,
			const char *what, struct lint *l)
{
	if (strlen(v) != len || !kms_version_valid(v)) {
		if (l)
			lint_add(l, "ERROR", shown, line, NULL, "%s is '%s', which is not a version (X.Y.Z)", what, v);
		return;
	}
	r->version[comp] = xstrdup(v);
	r->line[comp] = line;
}

static int parse_toml(const struct buf *b, const char *shown, struct vs_toml *d, char *err, size_t errlen)
{
	char msg[256];
	long line = 0;
	if (vs_toml_parse((const char *)b->data, b->len, d, msg, sizeof msg, &line) == 0)
		return 0;
	snprintf(err, errlen, "%s:%ld: malformed TOML: %s", shown, line, msg);
	return EXIT_DATAERR;
}

static int read_toml(const struct vs_source *s, const struct buf *b, const char *shown, struct lint *l,
		     struct vs_read *r, char *err, size_t errlen)
{
	struct vs_toml d;
	if (parse_toml(b, shown, &d, err, errlen))
		return EXIT_DATAERR;
	const struct vs_tnode *v = vs_toml_path(&d, s->key);
	if (!v) {
		if (l)
			lint_add(l, "ERROR", shown, 0, NULL, "no %s", s->key);
	} else if (v->kind != VS_STRING) {
		if (l)
			lint_add(l, "ERROR", shown, v->line, NULL, "%s is not a string", s->key);
	} else {
		set_version(r, s->component, v->str, v->len, v->line, shown, s->key, l);
	}
	vs_toml_free(&d);
	return 0;
}

/* The single [[package]] named s->package of a Cargo.lock. */
static int read_lock(const struct vs_source *s, const struct buf *b, const char *shown, struct lint *l,
		     struct vs_read *r, char *err, size_t errlen)
{
	struct vs_toml d;
	if (parse_toml(b, shown, &d, err, errlen))
		return EXIT_DATAERR;
	const struct vs_tnode *pk = vs_toml_get(&d, d.root, "package"), *found = NULL;
	for (size_t i = 0; pk && pk->kind == VS_ARRAY && i < pk->n; i++) {
		const struct vs_tnode *name = vs_toml_get(&d, pk->kids[i], "name");
		if (!name || name->kind != VS_STRING || strcmp(name->str, s->package) != 0)
			continue;
		if (found) {
			if (l)
				lint_add(l, "ERROR", shown, pk->kids[i]->line, NULL,
					 "a second [[package]] named %s (the first is at line %ld): the lock file must hold one",
					 s->package, found->line);
			vs_toml_free(&d);
			return 0;
		}
		found = pk->kids[i];
	}
	const struct vs_tnode *v = found ? vs_toml_get(&d, found, "version") : NULL;
	if (!found) {
		if (l)
			lint_add(l, "ERROR", shown, 0, NULL, "no [[package]] named %s", s->package);
	} else if (!v || v->kind != VS_STRING) {
		if (l)
			lint_add(l, "ERROR", shown, found->line, NULL, "the [[package]] %s has no version string", s->package);
	} else {
		set_version(r, s->component, v->str, v->len, v->line, shown, s->package, l);
	}
	vs_toml_free(&d);
	return 0;
}

static int parse_json(const struct buf *b, const char *shown, jv *out, char *err, size_t errlen)
{
	char msg[512];
	*out = json_parse((const char *)b->data, b->len, msg, sizeof msg);
	if (jv_is_valid(*out))
		return 0;
	snprintf(err, errlen, "%s:%ld: malformed JSON: %s", shown, json_error_line(msg), msg);
	return EXIT_DATAERR;
}

/* A dotted path into JSON: the string there and its line. */
static int read_json(const struct vs_source *s, const struct buf *b, const char *shown, struct lint *l,
		     struct vs_read *r, char *err, size_t errlen)
{
	jv doc;
	if (parse_json(b, shown, &doc, err, errlen))
		return EXIT_DATAERR;
	const char *keys[16];
	char path[256];
	int n = 0;
	snprintf(path, sizeof path, "%s", s->key);
	for (char *p = path; n < 16;) {
		keys[n++] = p;
		char *dot = strchr(p, '.');
		if (!dot)
			break;
		*dot = 0;
		p = dot + 1;
	}
	jv v = jv_copy(doc);
	for (int i = 0; i < n && jv_is_valid(v); i++) {
		jv next = json_get(v, keys[i]);
		jv_free(v);
		v = next;
	}
	long line = json_key_line((const char *)b->data, b->len, keys, n);
	if (!jv_is_valid(v) || jv_get_kind(v) != JV_KIND_STRING) {
		if (l)
			lint_add(l, "ERROR", shown, line, NULL, "%s %s", s->key, jv_is_valid(v) ? "is not a string" : "is missing");
	} else {
		set_version(r, s->component, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), line, shown,
			    s->key, l);
	}
	jv_free(v);
	jv_free(doc);
	return 0;
}

/* ---- this project's versions file: kms_version, node_image_version, unchanged */

static const char *marker_field(jv m, const char *k, const struct buf *b, const char *shown, long *line, struct lint *l)
{
	const char *keys[] = {"unchanged", k};
	*line = json_key_line((const char *)b->data, b->len, keys, 2);
	const char *v = json_str(m, k);
	const char *p = v;
	while (p && *p && isspace((unsigned char)*p))
		p++;
	if (!p || !*p) {
		if (l)
			lint_add(l, "ERROR", shown, *line ? *line : json_key_line((const char *)b->data, b->len, keys, 1), NULL,
				 "the unchanged marker needs %s (a non-empty string)", k);
		return NULL;
	}
	return v;
}

static void read_marker(jv m, const struct buf *b, const char *shown, struct lint *l, struct vs_marker *mk)
{
	const char *keys[] = {"unchanged"};
	long cl, rl;
	mk->present = 1;
	mk->line = json_key_line((const char *)b->data, b->len, keys, 1);
	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		if (l)
			lint_add(l, "ERROR", shown, mk->line, NULL, "unchanged must be an object {component, version, release, reason}");
		return;
	}
	const char *c = marker_field(m, "component", b, shown, &cl, l);
	const char *v = marker_field(m, "version", b, shown, &mk->version_line, l);
	const char *rel = marker_field(m, "release", b, shown, &mk->release_line, l);
	const char *why = marker_field(m, "reason", b, shown, &rl, l);
	int ok = c && v && rel && why;
	if (c && strcmp(c, "kms") != 0 && strcmp(c, "node") != 0) {
		if (l)
			lint_add(l, "ERROR", shown, cl, NULL, "the unchanged marker's component is '%s', not kms or node", c);
		ok = 0;
	}
	if (v && !kms_version_valid(v)) {
		if (l)
			lint_add(l, "ERROR", shown, mk->version_line, NULL, "the unchanged marker's version '%s' is not a version", v);
		ok = 0;
	}
	if (rel && !kms_version_valid(rel)) {
		if (l)
			lint_add(l, "ERROR", shown, mk->release_line, NULL, "the unchanged marker's release '%s' is not a version", rel);
		ok = 0;
	}
	mk->component = dup_or_null(c);
	mk->version = dup_or_null(v);
	mk->release = dup_or_null(rel);
	mk->reason = dup_or_null(why);
	mk->valid = ok;
}

static void versions_keys(jv doc, const struct buf *b, const char *shown, struct lint *l)
{
	jv keys = jv_keys(jv_copy(doc));
	for (int i = 0; i < jv_array_length(jv_copy(keys)); i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		const char *s = jv_string_value(k);
		const char *path[] = {s};
		if (l && strcmp(s, "schema_version") != 0 && strcmp(s, "kms_version") != 0 &&
		    strcmp(s, "node_image_version") != 0 && strcmp(s, "unchanged") != 0)
			lint_add(l, "ERROR", shown, json_key_line((const char *)b->data, b->len, path, 1), NULL,
				 "unknown key '%s' (schema_version, kms_version, node_image_version, unchanged)", s);
		jv_free(k);
	}
	jv_free(keys);
	jv sv = json_get(doc, "schema_version");
	if (l && (jv_get_kind(sv) != JV_KIND_NUMBER || jv_number_value(sv) != 1)) {
		const char *path[] = {"schema_version"};
		lint_add(l, "ERROR", shown, json_key_line((const char *)b->data, b->len, path, 1), NULL,
			 "schema_version must be 1");
	}
	jv_free(sv);
}

static int read_versions(const struct buf *b, const char *shown, struct lint *l, struct vs_read *r, char *err,
			 size_t errlen)
{
	jv doc;
	if (parse_json(b, shown, &doc, err, errlen))
		return EXIT_DATAERR;
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		snprintf(err, errlen, "%s:1: not a JSON object", shown);
		return EXIT_DATAERR;
	}
	versions_keys(doc, b, shown, l);
	static const char *const names[] = {"kms_version", "node_image_version"};
	for (int c = 0; c < 2; c++) {
		const char *path[] = {names[c]};
		long line = json_key_line((const char *)b->data, b->len, path, 1);
		jv v = json_get(doc, names[c]);
		if (jv_get_kind(v) == JV_KIND_STRING)
			set_version(r, c, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), line, shown, names[c], l);
		else if (l)
			lint_add(l, "ERROR", shown, line, NULL, "%s must be a string", names[c]);
		jv_free(v);
	}
	jv m = json_get(doc, "unchanged");
	if (jv_is_valid(m) && jv_get_kind(m) != JV_KIND_NULL)
		read_marker(m, b, shown, l, &r->marker);
	jv_free(m);
	jv_free(doc);
	return 0;
}

int vs_read(const struct vs_source *s, const char *commit, const char *shown, struct lint *l, struct vs_read *r,
	    char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	struct buf b;
	enum git_blob st = git_blob(commit, s->file, VS_CAP, &b);
	int rc = 0;
	if (st == GIT_BLOB_NOT_FILE && l)
		lint_add(l, "ERROR", shown, 0, NULL, "not a regular file (a folder, a link or a submodule)");
	if (st == GIT_BLOB_OK) {
		r->present = 1;
		switch (s->kind) {
		case VS_SRC_TOML: rc = read_toml(s, &b, shown, l, r, err, errlen); break;
		case VS_SRC_CARGO_LOCK: rc = read_lock(s, &b, shown, l, r, err, errlen); break;
		case VS_SRC_JSON: rc = read_json(s, &b, shown, l, r, err, errlen); break;
		case VS_SRC_VERSIONS: rc = read_versions(&b, shown, l, r, err, errlen); break;
		}
	}
	buf_free(&b);
	return rc;
}

void vs_read_free(struct vs_read *r)
{
	free(r->version[0]);
	free(r->version[1]);
	free(r->marker.component);
	free(r->marker.version);
	free(r->marker.release);
	free(r->marker.reason);
	memset(r, 0, sizeof *r);
}
