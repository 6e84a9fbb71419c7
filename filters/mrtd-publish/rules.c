/* mrtd-publish: the publication rules (upstream's
 * assemble-published-mrtd-payload.sh, made stricter where noted), for the
 * candidates before assembly and for a published-mrtds.json (--check):
 * - every profile present, once;
 * - every list non-empty: MRTD, RTMR0-3 (48 bytes of hex each, normalised as
 *   mero-kms does) and the TCB statuses;
 * - no two profiles that both allow one RTMR0, one RTMR2 and one RTMR3 value
 *   (upstream only refuses the three being identical on all three registers:
 *   a node image must be told apart from every other profile's);
 * - verified, non-simulated measurements unless --allow-simulated. */
#include <string.h>

#include "lib/common.h"
#include "lib/json.h"
#include "publish.h"

static const char *list_name(int g) { return g < 0 ? "tcb_statuses" : policy_regs[g]; }

/* 0, or -1 with err: a profile's lists are all filled. */
static int rule_lists(const struct prof *p, char *err, size_t errlen)
{
	for (int g = -1; g < POLICY_NREG; g++) {
		const struct values *v = g < 0 ? &p->c.tcb : &p->c.reg[g];
		if (v->n == 0) {
			snprintf(err, errlen, "profile %s ('%s'): allowed_%s is empty (every list must hold a value)", p->name,
				 p->file, list_name(g));
			return -1;
		}
	}
	return 0;
}

static int overlap(const struct values *a, const struct values *b, const char **shared)
{
	for (int i = 0; i < a->n; i++)
		if (values_has(b, a->v[i])) {
			*shared = a->v[i];
			return 1;
		}
	return 0;
}

/* 0, or -1 with err: no two profiles share an RTMR0, RTMR2 and RTMR3 value. */
static int rule_distinct(const struct run *r, char *err, size_t errlen)
{
	for (int i = 0; i < MP_NPROFILES; i++)
		for (int j = i + 1; j < MP_NPROFILES; j++) {
			const struct cand *a = &r->p[i].c, *b = &r->p[j].c;
			const char *s0, *s2, *s3;
			if (overlap(&a->reg[1], &b->reg[1], &s0) && overlap(&a->reg[3], &b->reg[3], &s2) &&
			    overlap(&a->reg[4], &b->reg[4], &s3)) {
				snprintf(err, errlen, "profiles %s and %s are identical on RTMR0, RTMR2 and RTMR3 (%.16s..., "
					 "%.16s..., %.16s...): each profile's image must measure differently (calimero.profile "
					 "in RTMR2, RTMR3 at boot)", r->p[i].name, r->p[j].name, s0, s2, s3);
				return -1;
			}
		}
	return 0;
}

void check_rules(const struct run *r)
{
	char err[600];
	for (int i = 0; i < MP_NPROFILES; i++) {
		const struct prof *p = &r->p[i];
		if (!p->have)
			fail(EXIT_NO, "profile %s: no candidates (a release publishes every profile: %s)", p->name,
			     profile_choices());
	}
	for (int i = 0; i < MP_NPROFILES; i++) {
		const struct prof *p = &r->p[i];
		if (rule_lists(p, err, sizeof err))
			fail(EXIT_NO, "%s", err);
		if (r->allow_simulated)
			continue;
		if (p->c.simulated)
			fail(EXIT_NO, "profile %s ('%s'): simulated measurements (source %s): refused without "
				      "--allow-simulated", p->name, p->file, p->c.source);
		if (p->c.unverified)
			fail(EXIT_NO, "profile %s ('%s'): unverified measurements (%s): refused without --allow-simulated",
			     p->name, p->file, p->c.why_unverified);
	}
	if (rule_distinct(r, err, sizeof err))
		fail(EXIT_NO, "%s", err);
}

/* ---- --check: the same rules over a published file ---- */

/* Reads prof (borrowed). */
static int check_profile_(jv prof, struct prof *p, char *err, size_t errlen)
{
	char what[160];
	if (jv_get_kind(prof) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "profiles.%s is missing or not an object", p->name);
		return -1;
	}
	for (int g = -1; g < POLICY_NREG; g++) {
		char key[64];
		snprintf(key, sizeof key, "allowed_%s", list_name(g));
		snprintf(what, sizeof what, "profiles.%s.%s", p->name, key);
		read_values(json_get(prof, key), g < 0 ? 0 : POLICY_MEASUREMENT_BYTES, what, g < 0 ? &p->c.tcb : &p->c.reg[g]);
	}
	p->have = 1;
	if (rule_lists(p, err, errlen))
		return -1;
	for (int g = 0; g < POLICY_NREG; g++) {
		const char *m = json_str(prof, policy_regs[g]);
		if (!m || strcmp(m, p->c.reg[g].v[0]) != 0) {
			snprintf(err, errlen, "profiles.%s.%s is %s, not the first of allowed_%s", p->name, policy_regs[g],
				 m ? "another value" : "missing", policy_regs[g]);
			return -1;
		}
	}
	return 0;
}

static int check_profile(jv prof, struct prof *p, char *err, size_t errlen)
{
	int rc = check_profile_(prof, p, err, errlen);
	jv_free(prof);
	return rc;
}

static int check_top(jv doc, char *err, size_t errlen)
{
	const char *role = json_str(doc, "role"), *tag = json_str(doc, "tag"), *at = json_str(doc, "generated_at");
	jv marks = json_get(doc, "measurement_markers");
	jv want = JV_OBJECT(jv_string("role"), jv_string("calimero.role=node"), jv_string("profile_key"),
			    jv_string("calimero.profile"), jv_string("root_hash_key"), jv_string("calimero.root_hash"));
	int same = jv_equal(marks, want);
	if (!role || strcmp(role, "node") != 0)
		snprintf(err, errlen, "role is not \"node\"");
	else if (!tag || !kms_version_valid(tag) || strcmp(kms_version_bare(tag), tag) != 0)
		snprintf(err, errlen, "tag is not a bare version (2.3.40)");
	else if (!at || parse_utc(at) < 0)
		snprintf(err, errlen, "generated_at is not a UTC time (2026-01-01T00:00:00Z)");
	else if (!same)
		snprintf(err, errlen, "measurement_markers are not upstream's {role: calimero.role=node, profile_key: "
			 "calimero.profile, root_hash_key: calimero.root_hash}");
	else
		return 0;
	return -1;
}

int check_published(jv doc, char *err, size_t errlen)
{
	struct run r;
	memset(&r, 0, sizeof r);
	int rc = -1;
	if (jv_get_kind(doc) != JV_KIND_OBJECT || check_top(doc, err, errlen))
		goto out;
	jv profiles = json_get(doc, "profiles");
	int n = jv_get_kind(profiles) == JV_KIND_OBJECT ? jv_object_length(jv_copy(profiles)) : -1;
	for (int i = 0; i < MP_NPROFILES; i++) {
		r.p[i].name = mp_profiles[i];
		r.p[i].file = (char *)"published-mrtds.json";
	}
	rc = 0;
	for (int i = 0; i < MP_NPROFILES && !rc; i++)
		rc = check_profile(json_get(profiles, mp_profiles[i]), &r.p[i], err, errlen);
	jv_free(profiles);
	if (!rc && n != MP_NPROFILES) {
		snprintf(err, errlen, "profiles holds %d entries, not exactly %s", n, profile_choices());
		rc = -1;
	}
	if (!rc)
		rc = rule_distinct(&r, err, errlen);
out:
	if (jv_get_kind(doc) != JV_KIND_OBJECT)
		snprintf(err, errlen, "not a published-mrtds.json (a JSON object)");
	for (int i = 0; i < MP_NPROFILES; i++)
		cand_free(&r.p[i].c);
	jv_free(doc);
	return rc ? 1 : 0;
}
