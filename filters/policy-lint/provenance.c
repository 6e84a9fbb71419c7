/* policy-lint: the provenance object and the legacy file's copy. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/policy.h"
#include "lint.h"

static int is_list(const char *key)
{
	for (int i = 0; i < POLICY_NLISTS; i++)
		if (strcmp(policy_lists[i], key) == 0)
			return 1;
	return 0;
}

static int has_value(char **v, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int locked_file(const struct pfile *f)
{
	/* the file's profile or its name's: locked-read-only (or unknown) is held to production's rule */
	return !f->profile || strcmp(f->profile, "locked-read-only") == 0 ||
	       (f->name_profile && strcmp(f->name_profile, "locked-read-only") == 0);
}

/* One record: {source, simulated, unverified, ...}. Returns 1 when it is
 * simulated or unverified in a debug profile (counted, warned once). */
static int check_record(struct lint *L, const struct pfile *f, const char *p, jv rec)
{
	int debug_sim = 0;
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		lint_at(L, f, p, 1, "provenance-format", SEV_ERROR, "%s must be an object {source, simulated, unverified, ...}", p);
		return 0;
	}
	jv src = json_get(rec, "source"), sim = json_get(rec, "simulated"), unv = json_get(rec, "unverified");
	int bools = (jv_get_kind(sim) == JV_KIND_TRUE || jv_get_kind(sim) == JV_KIND_FALSE) &&
		    (jv_get_kind(unv) == JV_KIND_TRUE || jv_get_kind(unv) == JV_KIND_FALSE);
	int s = jv_get_kind(sim) == JV_KIND_TRUE, u = jv_get_kind(unv) == JV_KIND_TRUE;
	if (jv_get_kind(src) != JV_KIND_STRING || !bools)
		lint_at(L, f, p, 1, "provenance-format", SEV_ERROR, "%s needs source (a string), simulated and unverified "
			"(booleans)", p);
	else if ((s || u) && locked_file(f))
		lint_at(L, f, p, 1, "provenance-simulated", SEV_ERROR, "%s comes from a%s%s%s quote (source '%s'): never "
			"in locked-read-only", p, s ? " simulated" : "", s && u ? "," : "", u ? " unverified" : "",
			jv_string_value(src));
	else
		debug_sim = s || u;
	jv_free(src);
	jv_free(sim);
	jv_free(unv);
	return debug_sim;
}

/* provenance.LIST: {VALUE: record} for values the list holds. */
static int check_list_provenance(struct lint *L, const struct pfile *f, const char *list, jv obj, struct buf *path)
{
	int debug_sim = 0;
	size_t base = path->len;
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		lint_add(L, f, (const char *)path->data, "provenance-format", SEV_ERROR,
			 "%s must be an object keyed by value", (const char *)path->data);
		return 0;
	}
	int n;
	char **vals = list_values(f->root, list, &n);
	jv_object_foreach(obj, key, rec) {
		path->len = base;
		path->data[base] = 0;
		jpath_key(path, jv_string_value(key), (size_t)jv_string_length_bytes(jv_copy(key)));
		const char *p = (const char *)path->data;
		if (!has_value(vals, n, jv_string_value(key)))
			lint_at(L, f, p, 1, "provenance-orphan", SEV_WARNING, "%s: .policy.%s holds no such value", p, list);
		debug_sim += check_record(L, f, p, rec);
		jv_free(key);
		jv_free(rec);
	}
	free_values(vals, n);
	return debug_sim;
}

/* Every measurement and event payload has a record: an error with --release,
 * a warning otherwise (a value whose origin is unknown came in outside a
 * promotion). */
static void check_backing(struct lint *L, const struct pfile *f, jv prov)
{
	const char *rule = L->release ? "release-provenance" : "provenance-missing";
	enum sev sev = L->release ? SEV_ERROR : SEV_WARNING;
	for (int i = 0; i < POLICY_NLISTS; i++) {
		const char *list = policy_lists[i];
		if (strstr(list, "tcb_statuses"))
			continue; /* statuses are set by review, not measured */
		int n;
		char **vals = list_values(f->root, list, &n);
		jv per = json_get(prov, list);
		for (int k = 0; k < n; k++) {
			jv rec = json_get(per, vals[k]);
			if (jv_get_kind(rec) != JV_KIND_OBJECT) {
				char p[96];
				snprintf(p, sizeof p, ".policy.%s[%d]", list, k);
				lint_add(L, f, p, rule, sev, "%s ('%.16s...') has no provenance: where it came from is "
					 "unknown", p, vals[k]);
			}
			jv_free(rec);
		}
		jv_free(per);
		free_values(vals, n);
	}
}

void check_provenance(struct lint *L, const struct pfile *f)
{
	jv prov = json_get(f->root, "provenance");
	int debug_sim = 0;
	if (jv_get_kind(prov) == JV_KIND_OBJECT) {
		jv_object_foreach(prov, key, obj) {
			struct buf path;
			buf_init(&path);
			buf_add(&path, ".provenance", 11);
			jpath_key(&path, jv_string_value(key), (size_t)jv_string_length_bytes(jv_copy(key)));
			if (!is_list(jv_string_value(key)))
				lint_at(L, f, (const char *)path.data, 1, "provenance-format", SEV_ERROR,
					"%s: provenance is keyed by the policy's allowlists", (const char *)path.data);
			else
				debug_sim += check_list_provenance(L, f, jv_string_value(key), obj, &path);
			buf_free(&path);
			jv_free(key);
			jv_free(obj);
		}
	}
	if (debug_sim)
		lint_add(L, f, ".provenance", "provenance-simulated", SEV_WARNING, "%d value%s of this %s policy come%s from "
			 "simulated or unverified quotes: never merge them into locked-read-only", debug_sim,
			 debug_sim == 1 ? "" : "s", f->profile, debug_sim == 1 ? "s" : "");
	check_backing(L, f, prov);
	jv_free(prov);
}

void check_legacy(struct lint *L, const struct pfile *f)
{
	char *copy = xstrdup(f->name);
	struct buf locked;
	struct buf where;
	buf_init(&where);
	buf_printf(&where, "%s/kms-phala-attestation-policy.locked-read-only.json", dirname(copy));
	free(copy);
	if (read_file_capped((const char *)where.data, 16 * MP_MIB, &locked, RF_SOFT) != 0) {
		lint_add(L, f, ".", "legacy-copy", SEV_ERROR, "no readable %s to compare the legacy file with",
			 (const char *)where.data);
	} else {
		size_t i = 0, line = 1;
		while (i < locked.len && i < f->text.len && locked.data[i] == f->text.data[i])
			line += locked.data[i++] == '\n';
		if (i < locked.len || i < f->text.len)
			lint_add(L, f, ".", "legacy-copy", SEV_ERROR, "differs from %s from line %zu on: the legacy file must "
				 "be its byte copy (make policies)", (const char *)where.data, line);
		buf_free(&locked);
	}
	buf_free(&where);
}
