/* policy-lint: the rules of one policy file. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/policy.h"
#include "lib/profile.h"
#include "lint.h"

const struct rule_doc rule_docs[] = {
	{"json-syntax", "error", "the file is not JSON (exit 65)"},
	{"duplicate-key", "error", "a key appears twice in one object (jq and mero-kms keep the last)"},
	{"required-field", "error", "a field of the upstream release's shape is missing"},
	{"field-type", "error", "a field has the wrong JSON type"},
	{"schema-version", "error", "schema_version is not 1"},
	{"role", "error", "role is not \"kms\" (mero-kms refuses the file)"},
	{"profile", "error", "profile is not debug, debug-read-only or locked-read-only, or not the one the file name carries"},
	{"tag", "error", "tag is not a bare version (2.3.40: no v or mero-kms-v prefix)"},
	{"constant", "error", "a fixed field differs from the upstream release's value (kms.*, measurement_markers, "
			      "merod_config_path, policy_registry_entry_path)"},
	{"timestamp", "error", "generated_at is neither empty nor a UTC time (2026-01-01T00:00:00Z)"},
	{"unknown-field", "warning", "a key outside the shape (mero-kms ignores it)"},
	{"legacy-fallback", "error", "a policy.allowed_* key: mero-kms reads it whenever the node_allowed_* key is missing"},
	{"entry-type", "error", "an allowlist entry that is not a string (mero-kms refuses hex entries, drops TCB ones)"},
	{"measurement-hex", "error", "an MRTD/RTMR entry that is not exactly 96 lower-case hex characters (no 0x, no space)"},
	{"event-payload-hex", "error", "a kms_allowed_event_payload entry that is not 64 lower-case hex characters"},
	{"duplicate-value", "error", "a value listed twice in one allowlist (compared as mero-kms normalises)"},
	{"tcb-status-format", "error", "a TCB status that is not trimmed and lower-case (mero-kms compares lower-case)"},
	{"tcb-status-unknown", "warning", "a TCB status outside uptodate, swhardeningneeded, configurationneeded, "
					  "configurationandswhardeningneeded, outofdate, outofdateconfigurationneeded, revoked"},
	{"empty-list", "notice", "an empty kms_*/node_* allowlist (an error with --release: mero-kms refuses to start)"},
	{"provenance-format", "error", "provenance is not {LIST: {VALUE: {source, simulated, unverified, ...}}}"},
	{"provenance-orphan", "warning", "provenance for a value its list does not hold"},
	{"provenance-missing", "warning", "a measurement or event payload without provenance (came in outside a "
					  "promotion; an error with --release)"},
	{"provenance-simulated", "error", "simulated or unverified provenance: an error in locked-read-only, a warning in "
					  "the debug profiles"},
	{"legacy-copy", "error", "kms-phala-attestation-policy.json is not a byte copy of the locked-read-only file "
				 "beside it (make policies)"},
	{"release-files", "error", "--release: the files are not one per profile"},
	{"release-provenance", "error", "--release: a measurement or event payload without provenance"},
	{"release-event-payload", "error", "--release: more than one kms_allowed_event_payload value"},
	{"release-kms-distinct", "error", "--release: two profiles allow the same KMS MRTD and RTMR0-3 sets"},
	{"release-locked-overlap", "error", "--release: a locked-read-only node MRTD/RTMR value a debug profile's nodes "
					    "also allow"},
	{"release-role-overlap", "error", "--release: a KMS RTMR3 value among the same profile's node RTMR3 values"},
	{0}};

static const char *const known_tcb[] = {"uptodate",   "swhardeningneeded", "configurationneeded",
					"configurationandswhardeningneeded", "outofdate",
					"outofdateconfigurationneeded", "revoked", NULL};

/* The shape of the upstream release's policy file: each field with its type
 * and, for the fixed ones, its value. Parents are top-level objects, or
 * kms.report_data_layout. */
struct field {
	const char *parent, *key;
	jv_kind kind;
	const char *value;
};
static const struct field shape[] = {
	{NULL, "schema_version", JV_KIND_NUMBER, NULL},
	{NULL, "role", JV_KIND_STRING, NULL},
	{NULL, "profile", JV_KIND_STRING, NULL},
	{NULL, "tag", JV_KIND_STRING, NULL},
	{NULL, "commit_sha", JV_KIND_STRING, NULL},
	{NULL, "workflow_run_id", JV_KIND_STRING, NULL},
	{NULL, "workflow_run_attempt", JV_KIND_STRING, NULL},
	{NULL, "generated_at", JV_KIND_STRING, NULL},
	{NULL, "source", JV_KIND_OBJECT, NULL},
	{"source", "repository", JV_KIND_STRING, NULL},
	{"source", "workflow", JV_KIND_STRING, NULL},
	{"source", "ref", JV_KIND_STRING, NULL},
	{NULL, "policy_registry_entry_path", JV_KIND_STRING, "release-probe+node"},
	{NULL, "measurement_markers", JV_KIND_OBJECT, NULL},
	{"measurement_markers", "kms_role", JV_KIND_STRING, "calimero.role=kms"},
	{"measurement_markers", "node_role", JV_KIND_STRING, "calimero.role=node"},
	{"measurement_markers", "node_profile_key", JV_KIND_STRING, "calimero.profile"},
	{"measurement_markers", "node_root_hash_key", JV_KIND_STRING, "calimero.root_hash"},
	{NULL, "kms", JV_KIND_OBJECT, NULL},
	{"kms", "provider", JV_KIND_STRING, "mero-kms-phala"},
	{"kms", "attest_endpoint", JV_KIND_STRING, "/attest"},
	{"kms", "report_data_layout", JV_KIND_OBJECT, NULL},
	{"kms.report_data_layout", "bytes_0_31", JV_KIND_STRING, "nonce"},
	{"kms.report_data_layout", "bytes_32_63", JV_KIND_STRING, "binding_or_default_domain_separator"},
	{"kms", "default_binding_hex", JV_KIND_STRING, "2323feace9fd1751a89ab2bebb8aba145f343a3688e3d1655ed428eb0766e396"},
	{"kms", "default_binding_b64", JV_KIND_STRING, "IyP+rOn9F1GomrK+u4q6FF80OjaI49FlXtQo6wdm45Y="},
	{NULL, "policy", JV_KIND_OBJECT, NULL},
	{NULL, "merod_config_path", JV_KIND_STRING, "tee.kms.phala.attestation"},
	{NULL, "provenance", JV_KIND_OBJECT, NULL}, /* ours: optional */
	{0}};

static const char *kind_name(jv_kind k)
{
	switch (k) {
	case JV_KIND_OBJECT: return "an object";
	case JV_KIND_ARRAY: return "an array";
	case JV_KIND_STRING: return "a string";
	case JV_KIND_NUMBER: return "a number";
	case JV_KIND_NULL: return "null";
	default: return "a boolean";
	}
}

/* The object at a dotted parent ("kms.report_data_layout"), or invalid. */
static jv parent_object(jv root, const char *parent, struct buf *path)
{
	jv o = jv_copy(root);
	buf_init(path);
	for (const char *p = parent; p && *p;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)n, p);
		jv next = json_get(o, key);
		jv_free(o);
		o = next;
		jpath_key(path, key, n);
		p = dot ? dot + 1 : p + n;
	}
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return jv_invalid();
	}
	return o;
}

static void check_field(struct lint *L, const struct pfile *f, const struct field *d)
{
	struct buf path;
	jv obj = parent_object(f->root, d->parent, &path);
	if (!jv_is_valid(obj)) { /* reported with the parent */
		buf_free(&path);
		return;
	}
	jpath_key(&path, d->key, strlen(d->key));
	const char *p = jpath_text(&path);
	jv v = json_get(obj, d->key);
	if (!jv_is_valid(v)) {
		if (strcmp(d->key, "provenance") != 0)
			lint_add(L, f, p, "required-field", SEV_ERROR, "%s is missing (%s)", p, kind_name(d->kind));
	} else if (jv_get_kind(v) != d->kind) {
		lint_add(L, f, p, "field-type", SEV_ERROR, "%s must be %s, not %s", p, kind_name(d->kind),
			 kind_name(jv_get_kind(v)));
	} else if (d->value && strcmp(jv_string_value(v), d->value) != 0) {
		lint_add(L, f, p, "constant", SEV_ERROR, "%s is '%s', the release writes '%s'", p, jv_string_value(v),
			 d->value);
	}
	jv_free(v);
	jv_free(obj);
	buf_free(&path);
}

static int known_key(const char *parent, const char *key)
{
	for (const struct field *d = shape; d->key; d++)
		if (strcmp(d->key, key) == 0 && ((!parent && !d->parent) || (parent && d->parent && strcmp(parent, d->parent) == 0)))
			return 1;
	if (parent && strcmp(parent, "policy") == 0)
		for (int i = 0; i < POLICY_NLISTS; i++)
			if (strcmp(policy_lists[i], key) == 0)
				return 1;
	return 0;
}

/* Keys outside the shape in the root and in each object of the shape
 * (provenance's content is checked by its own rules). */
static void check_unknown_keys(struct lint *L, const struct pfile *f)
{
	static const char *const parents[] = {NULL, "source", "measurement_markers", "kms", "kms.report_data_layout", "policy"};
	for (size_t k = 0; k < sizeof parents / sizeof *parents; k++) {
		struct buf path;
		jv obj = parent_object(f->root, parents[k], &path);
		size_t base = path.len;
		if (jv_is_valid(obj)) {
			jv_object_foreach(obj, key, val) {
				const char *s = jv_string_value(key);
				size_t n = (size_t)jv_string_length_bytes(jv_copy(key));
				path.len = base;
				path.data[base] = 0;
				jpath_key(&path, s, n);
				const char *p = jpath_text(&path);
				if (parents[k] && strcmp(parents[k], "policy") == 0 && strncmp(s, "allowed_", 8) == 0)
					lint_at(L, f, p, 1, "legacy-fallback", SEV_ERROR,
						"%s: mero-kms reads it whenever node_%s is missing; remove it", p, s);
				else if (!known_key(parents[k], s))
					lint_at(L, f, p, 1, "unknown-field", SEV_WARNING, "%s is not part of the policy file's shape", p);
				jv_free(key);
				jv_free(val);
			}
		}
		jv_free(obj);
		buf_free(&path);
	}
}

static void check_identity(struct lint *L, const struct pfile *f)
{
	jv sv = json_get(f->root, "schema_version");
	if (jv_get_kind(sv) == JV_KIND_NUMBER && jv_number_value(sv) != 1)
		lint_add(L, f, ".schema_version", "schema-version", SEV_ERROR, "schema_version is %g, not 1",
			 jv_number_value(sv));
	jv_free(sv);
	const char *role = json_str(f->root, "role"), *profile = json_str(f->root, "profile"),
		   *tag = json_str(f->root, "tag"), *gen = json_str(f->root, "generated_at");
	if (role && strcmp(role, "kms") != 0)
		lint_add(L, f, ".role", "role", SEV_ERROR, "role is '%s': mero-kms loads only role \"kms\"", role);
	if (profile && !f->profile)
		lint_add(L, f, ".profile", "profile", SEV_ERROR, "profile '%s' is not %s (lower-case)", profile,
			 profile_choices());
	else if (f->profile && f->name_profile && strcmp(f->profile, f->name_profile) != 0)
		lint_add(L, f, ".profile", "profile", SEV_ERROR, "profile is '%s' but the file name says '%s'", f->profile,
			 f->name_profile);
	if (tag && (!kms_version_valid(tag) || kms_version_bare(tag) != tag))
		lint_add(L, f, ".tag", "tag", SEV_ERROR, "tag '%s' is not a bare version such as 2.3.40 (mero-kms compares "
			 "it with MERO_KMS_VERSION without its mero-kms-v prefix)", tag);
	if (gen && *gen && parse_utc(gen) < 0)
		lint_add(L, f, ".generated_at", "timestamp", SEV_ERROR, "generated_at '%s' is not a UTC time "
			 "(YYYY-MM-DDTHH:MM:SSZ)", gen);
}

char **list_values(jv root, const char *list, int *n)
{
	jv policy = json_get(root, "policy");
	jv arr = json_get(policy, list);
	char **v = NULL;
	*n = 0;
	if (jv_get_kind(arr) == JV_KIND_ARRAY) {
		v = xcalloc((size_t)jv_array_length(jv_copy(arr)) + 1, sizeof *v);
		jv_array_foreach(arr, i, e) {
			(void)i;
			size_t len;
			if (jv_get_kind(e) == JV_KIND_STRING)
				v[(*n)++] = policy_normalize(jv_string_value(e), (size_t)jv_string_length_bytes(jv_copy(e)), &len);
			jv_free(e);
		}
	}
	jv_free(arr);
	jv_free(policy);
	return v;
}

void free_values(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Why a hex entry is not in the file's form. */
static const char *hex_problem(const char *s, size_t n, size_t bytes)
{
	if (n && strchr(" \t\r\n", s[0]) && s[0])
		return "leading white space";
	if (n && strchr(" \t\r\n", s[n - 1]) && s[n - 1])
		return "trailing white space";
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return "a 0x prefix";
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			return "upper-case hex";
	if (n != 2 * bytes)
		return "the wrong length";
	return "characters that are not hex";
}

static void check_hex_entry(struct lint *L, const struct pfile *f, const char *list, const char *p, jv e)
{
	int payload = strcmp(list, "kms_allowed_event_payload") == 0;
	size_t bytes = payload ? POLICY_PAYLOAD_BYTES : POLICY_MEASUREMENT_BYTES;
	const char *s = jv_string_value(e);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(e));
	if (policy_is_hex(s, n, bytes))
		return;
	char why[128];
	char *v = policy_hex_parse(s, n, bytes, why, sizeof why);
	const char *rule = payload ? "event-payload-hex" : "measurement-hex";
	if (v)
		lint_add(L, f, p, rule, SEV_ERROR, "%s is not %zu lower-case hex characters: it has %s (mero-kms reads it "
			 "as %.12s...; write it so)", p, 2 * bytes, hex_problem(s, n, bytes), v);
	else
		lint_add(L, f, p, rule, SEV_ERROR, "%s is not %zu lower-case hex characters: it has %s (%d characters)%s%s",
			 p, 2 * bytes, hex_problem(s, n, bytes), (int)n,
			 payload ? "" : "; mero-kms refuses to load the policy: ", payload ? "" : why);
	free(v);
}

static void check_tcb_entry(struct lint *L, const struct pfile *f, const char *p, jv e)
{
	const char *s = jv_string_value(e);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(e));
	char *t = policy_tcb_normalize(s, n, NULL);
	if (strlen(t) != n || strcmp(t, s) != 0)
		lint_add(L, f, p, "tcb-status-format", SEV_ERROR, "TCB status '%s' must be written '%s' (mero-kms trims "
			 "and lower-cases)", s, t);
	int known = 0;
	for (int k = 0; known_tcb[k]; k++)
		known |= strcmp(t, known_tcb[k]) == 0;
	if (!known)
		lint_add(L, f, p, "tcb-status-unknown", SEV_WARNING, "TCB status '%s' is not one mero-kms's verifier "
			 "reports; no quote will match it", t);
	free(t);
}

/* ".policy.LIST" (a static buffer). */
static const char *jpath_list(const char *list)
{
	static char p[96];
	snprintf(p, sizeof p, ".policy.%s", list);
	return p;
}

/* Entry types, formats, duplicates and emptiness of one list. */
static void check_list(struct lint *L, const struct pfile *f, const char *list)
{
	jv policy = json_get(f->root, "policy");
	jv arr = json_get(policy, list);
	jv_free(policy);
	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		jv_free(arr);
		return; /* required-field or field-type */
	}
	int tcb = strstr(list, "tcb_statuses") != NULL, len = jv_array_length(jv_copy(arr));
	char **seen = xcalloc((size_t)len + 1, sizeof *seen);
	jv_array_foreach(arr, i, e) {
		char p[96];
		snprintf(p, sizeof p, ".policy.%s[%d]", list, i);
		if (jv_get_kind(e) != JV_KIND_STRING) {
			lint_add(L, f, p, "entry-type", SEV_ERROR, "%s is %s: allowlists hold strings only", p,
				 kind_name(jv_get_kind(e)));
		} else {
			size_t n;
			seen[i] = tcb ? policy_tcb_normalize(jv_string_value(e), (size_t)jv_string_length_bytes(jv_copy(e)), NULL)
				      : policy_normalize(jv_string_value(e), (size_t)jv_string_length_bytes(jv_copy(e)), &n);
			for (int k = 0; k < i; k++)
				if (seen[k] && strcmp(seen[k], seen[i]) == 0) {
					lint_add(L, f, p, "duplicate-value", SEV_ERROR, "%s repeats .policy.%s[%d] ('%.16s%s')", p,
						 list, k, seen[i], strlen(seen[i]) > 16 ? "..." : "");
					break;
				}
			if (tcb)
				check_tcb_entry(L, f, p, e);
			else
				check_hex_entry(L, f, list, p, e);
		}
		jv_free(e);
	}
	if (len == 0 && L->release && strcmp(list, "kms_allowed_event_payload") != 0)
		lint_add(L, f, jpath_list(list), "empty-list", SEV_ERROR,
			 "%s is empty: mero-kms refuses to start with an empty allowlist", jpath_list(list));
	free_values(seen, len);
	jv_free(arr);
}

/* Without --release, one notice names the empty lists. */
static void note_empty_lists(struct lint *L, const struct pfile *f)
{
	struct buf names;
	int n = 0;
	buf_init(&names);
	jv policy = json_get(f->root, "policy");
	for (int i = 0; i < POLICY_NLISTS; i++) {
		jv arr = json_get(policy, policy_lists[i]);
		if (jv_get_kind(arr) == JV_KIND_ARRAY && jv_array_length(jv_copy(arr)) == 0 &&
		    strcmp(policy_lists[i], "kms_allowed_event_payload") != 0)
			buf_printf(&names, "%s%s", n++ ? ", " : "", policy_lists[i]);
		jv_free(arr);
	}
	jv_free(policy);
	if (n)
		lint_add(L, f, ".policy", "empty-list", SEV_NOTICE, "%d empty allowlist%s (a release needs them filled: "
			 "mero-kms refuses to start with one empty): %s", n, n == 1 ? "" : "s", (const char *)names.data);
	buf_free(&names);
}

static void check_duplicate_keys(struct lint *L, const struct pfile *f)
{
	for (int k = 0; k < f->ix.n; k++) {
		const struct jpos *e = &f->ix.v[k];
		if (e->dup_next < 0)
			continue;
		const struct jpos *next = &f->ix.v[e->dup_next];
		lint_at(L, f, e->path, 1, "duplicate-key", SEV_ERROR, "%s appears again at line %d: this value is ignored",
			e->path, next->kline);
		L->f[L->n - 1].line = e->kline; /* this occurrence, not the one jq keeps */
		L->f[L->n - 1].col = e->kcol;
	}
}

void lint_file(struct lint *L, struct pfile *f)
{
	check_duplicate_keys(L, f);
	if (jv_get_kind(f->root) != JV_KIND_OBJECT) {
		lint_add(L, f, ".", "field-type", SEV_ERROR, "a policy file is a JSON object, not %s",
			 kind_name(jv_get_kind(f->root)));
		return;
	}
	for (const struct field *d = shape; d->key; d++)
		check_field(L, f, d);
	check_unknown_keys(L, f);
	check_identity(L, f);
	for (int i = 0; i < POLICY_NLISTS; i++)
		check_list(L, f, policy_lists[i]);
	if (!L->release)
		note_empty_lists(L, f);
	check_provenance(L, f);
	if (f->legacy)
		check_legacy(L, f);
}
