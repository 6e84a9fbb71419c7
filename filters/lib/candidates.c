/* The sources of measurement values: this project's candidates (mrtd-extract's
 * measurement-policy-candidates.json), the upstream extractor's
 * (extract_tdx_policy_candidates.py: no role, profile or verification inside),
 * and a node image release's published-mrtds.json. */
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "intel_root_ca.h"
#include "json.h"
#include "profile.h"
#include "sha.h"

void read_values(jv arr, size_t bytes, const char *what, struct values *out)
{
	memset(out, 0, sizeof *out);
	if (!jv_is_valid(arr) || jv_get_kind(arr) == JV_KIND_NULL) {
		jv_free(arr);
		return;
	}
	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		fail(EXIT_DATAERR, "%s is not an array", what);
	out->v = xcalloc((size_t)jv_array_length(jv_copy(arr)) + 1, sizeof *out->v);
	jv_array_foreach(arr, i, e) {
		char why[128];
		if (jv_get_kind(e) != JV_KIND_STRING)
			fail(EXIT_DATAERR, "%s[%d] is not a string", what, i);
		const char *s = jv_string_value(e);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(e));
		if (strlen(s) != n)
			fail(EXIT_DATAERR, "%s[%d] holds a NUL byte", what, i);
		char *v = bytes ? policy_hex_parse(s, n, bytes, why, sizeof why) : policy_tcb_normalize(s, n, NULL);
		if (!v || !*v)
			fail(EXIT_DATAERR, "%s[%d] '%.100s': %s", what, i, s, v ? "an empty TCB status" : why);
		if (values_has(out, v))
			free(v);
		else
			out->v[out->n++] = v;
		jv_free(e);
	}
	jv_free(arr);
}

void values_free(struct values *v)
{
	for (int i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof *v);
}

int values_has(const struct values *v, const char *s)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

static char *opt_dup(const char *s) { return s ? xstrdup(s) : NULL; }
static jv opt_str(const char *s) { return s ? jv_string(s) : jv_null(); }

/* policy.allowed_{tcb_statuses,mrtd,rtmr0..3}[,event_payload] of a candidates file. */
static void read_lists(jv policy, const char *what, struct cand *c)
{
	char name[128], key[64];
	for (int g = -1; g <= POLICY_NREG; g++) {
		snprintf(key, sizeof key, "allowed_%s", g < 0 ? "tcb_statuses" : g == POLICY_NREG ? "event_payload" : policy_regs[g]);
		snprintf(name, sizeof name, "%s: policy.%s", what, key);
		struct values *out = g < 0 ? &c->tcb : g == POLICY_NREG ? &c->payload : &c->reg[g];
		size_t bytes = g < 0 ? 0 : g == POLICY_NREG ? POLICY_PAYLOAD_BYTES : POLICY_MEASUREMENT_BYTES;
		read_values(json_get(policy, key), bytes, name, out);
	}
}

/* A verification (ours, or quote-verify's verdict) made under Intel's root CA. */
static int intel_root(jv verification)
{
	jv root = json_get(verification, "root_ca");
	const char *sha = json_str(root, "sha256");
	int r = json_bool(root, "intel") == 1 || json_bool(root, "builtin") == 1 || (sha && strcmp(sha, INTEL_SGX_ROOT_CA_SHA256) == 0);
	jv_free(root);
	return r;
}

/* This project's candidates: role, profile, source and provenance inside.
 * Anything not plainly false counts as simulated or unverified. */
static void read_ours(jv v, const char *who, struct cand *c)
{
	jv prov = json_get(v, "provenance"), ver = json_get(prov, "verification");
	const char *role = json_str(v, "role"), *profile = json_str(v, "profile"), *source = json_str(v, "source");
	if (!role || (strcmp(role, "kms") != 0 && strcmp(role, "node") != 0))
		fail(EXIT_DATAERR, "%s: role must be kms or node", who);
	if (!profile || !(c->profile = profile_lookup(profile)))
		fail(EXIT_DATAERR, "%s: profile '%s' is not %s", who, profile ? profile : "(missing)", profile_choices());
	if (!source || jv_get_kind(prov) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s: source and provenance are required", who);
	c->shape = "mero-policy";
	c->what = "candidates";
	c->role = strcmp(role, "kms") == 0 ? "kms" : "node";
	c->source = xstrdup(source);
	c->measured_profile = opt_dup(json_str(prov, "measured_profile"));
	c->kms_version = opt_dup(json_str(prov, "kms_version"));
	c->unverified = json_bool(prov, "unverified") != 0 || json_bool(ver, "verified") != 1;
	c->simulated = strcmp(source, "sim") == 0 || json_bool(prov, "simulated") != 0 || (json_bool(ver, "verified") == 1 && !intel_root(ver));
	char why[256];
	snprintf(why, sizeof why, "%s: %s", json_str(ver, "failed_check") ? json_str(ver, "failed_check") : "no verification",
		 json_str(ver, "error") ? json_str(ver, "error") : "marked unverified");
	c->why_unverified = xstrdup(why);
	jv rec = jv_object();
	JSET(rec, "source", jv_string(source));
	JSET(rec, "generated_at", opt_str(json_str(prov, "generated_at")));
	JSET(rec, "quote_sha256", opt_str(json_str(prov, "quote_sha256")));
	JSET(rec, "verified", jv_bool(json_bool(ver, "verified") == 1));
	JSET(rec, "tcb_status", opt_str(json_str(ver, "status")));
	JSET(rec, "kms_version", opt_str(c->kms_version));
	JSET(rec, "image_digest", opt_str(json_str(prov, "image_digest")));
	c->record = rec;
	jv policy = json_get(v, "policy");
	read_lists(policy, who, c);
	jv_free(policy);
	jv_free(ver);
	jv_free(prov);
}

/* The verdict of the quote upstream's candidates were extracted from: it must
 * be verified and carry exactly the candidates' values. */
static void upstream_verdict(const char *path, struct cand *c)
{
	jv v = json_read_file(path, 16 * MP_MIB);
	jv m = json_get(v, "measurements");
	if (jv_get_kind(m) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "verification '%s': not a quote-verify verdict (no measurements)", path);
	for (int g = 0; g < POLICY_NREG; g++) {
		const char *want = json_str(m, policy_quote_keys[g]);
		for (int i = 0; i < c->reg[g].n; i++)
			if (!want || strcmp(c->reg[g].v[i], want) != 0)
				fail(EXIT_NO, "candidates' %s '%.16s...' is not the %s of the verified quote (%s): a verdict of "
				     "another quote", policy_regs[g], c->reg[g].v[i], policy_quote_keys[g], path);
	}
	const char *status = json_str(v, "status");
	c->unverified = json_bool(v, "verified") != 1;
	c->simulated = !intel_root(v);
	char *lower = policy_tcb_normalize(status ? status : "", status ? strlen(status) : 0, NULL);
	for (int i = 0; !c->unverified && i < c->tcb.n; i++)
		if (strcmp(c->tcb.v[i], lower) != 0)
			fail(EXIT_NO, "candidates' TCB status '%s' is not the verified quote's '%s' (%s)", c->tcb.v[i],
			     status ? status : "none", path);
	free(lower);
	free(c->why_unverified);
	c->why_unverified = xstrdup(c->unverified ? "the verdict says not verified" : "");
	JSET(c->record, "quote_sha256", opt_str(json_str(v, "quote_sha256")));
	JSET(c->record, "verified", jv_bool(!c->unverified));
	JSET(c->record, "tcb_status", opt_str(status));
	jv_free(m);
	jv_free(v);
}

/* Upstream's extractor: no role, profile or verification inside: the options
 * give them (--verification is the verdict of the quote). */
static void read_upstream(jv v, const char *who, const char *role, const char *profile, const char *verification,
			  struct cand *c)
{
	if (!role)
		fail(EXIT_USAGE, "upstream candidates carry no role: give --role kms|node");
	if (!profile)
		fail(EXIT_USAGE, "upstream candidates carry no profile: give --profile P");
	c->shape = "upstream-extractor";
	c->what = "upstream candidates";
	c->role = strcmp(role, "kms") == 0 ? "kms" : "node";
	c->profile = profile_lookup(profile);
	c->source = xstrdup("upstream-extractor");
	c->unverified = 1;
	c->why_unverified = xstrdup("upstream candidates carry no verification: give --verification VERDICT");
	jv rec = jv_object();
	JSET(rec, "source", jv_string("upstream-extractor"));
	JSET(rec, "measurement_source", opt_str(json_str(v, "measurement_source")));
	JSET(rec, "generated_at", opt_str(json_str(v, "generated_at_utc")));
	JSET(rec, "quote_sha256", jv_null());
	JSET(rec, "verified", jv_false());
	JSET(rec, "tcb_status", jv_null());
	c->record = rec;
	jv policy = json_get(v, "policy");
	char what[320];
	snprintf(what, sizeof what, "upstream %s", who);
	read_lists(policy, what, c);
	jv_free(policy);
	if (verification)
		upstream_verdict(verification, c);
}

int read_candidates(const struct buf *in, const char *name, const char *role, const char *profile,
		    const char *verification, struct cand *c)
{
	char who[300];
	snprintf(who, sizeof who, name ? "candidates '%.250s'" : "candidates", name);
	char err[512];
	uint8_t md[32];
	memset(c, 0, sizeof *c);
	if (strspn((const char *)in->data, " \t\r\n") == in->len)
		return 0;
	jv v = json_parse((const char *)in->data, in->len, err, sizeof err);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse the %s: %s", who, err);
	jv sv = json_get(v, "schema_version");
	int one = jv_get_kind(sv) == JV_KIND_NUMBER && jv_number_value(sv) == 1;
	jv_free(sv);
	if (jv_get_kind(v) != JV_KIND_OBJECT || !one)
		fail(EXIT_DATAERR, "%s: not a candidates file of schema_version 1", who);
	jv has_role = json_get(v, "role");
	int ours = jv_is_valid(has_role);
	jv_free(has_role);
	if (ours && verification)
		fail(EXIT_USAGE, "--verification is for upstream candidates (these carry their own verification)");
	if (ours)
		read_ours(v, who, c);
	else
		read_upstream(v, who, role, profile, verification, c);
	sha256(in->data, in->len, md);
	JSET(c->record, "candidates_sha256", jv_hex(md, 32));
	JSET(c->record, "shape", jv_string(c->shape));
	JSET(c->record, "simulated", jv_bool(c->simulated));
	JSET(c->record, "unverified", jv_bool(c->unverified));
	jv_free(v);
	return 1;
}

void read_published(const char *path, const char *profile, struct cand *c)
{
	struct buf b;
	char err[512], what[160];
	uint8_t md[32];
	memset(c, 0, sizeof *c);
	read_file_capped(path, 16 * MP_MIB, &b, 0);
	jv v = json_parse((const char *)b.data, b.len, err, sizeof err);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse '%s': %s", path, err);
	const char *role = json_str(v, "role");
	jv profiles = json_get(v, "profiles"), p = json_get(profiles, profile);
	if ((role && strcmp(role, "node") != 0) || jv_get_kind(p) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "'%s' is not a published-mrtds.json with profiles.%s", path, profile);
	c->shape = "published-mrtds";
	c->what = "published measurements";
	c->role = "node";
	c->profile = profile;
	c->source = xstrdup("published-mrtds");
	snprintf(what, sizeof what, "%s: profiles.%s.allowed_tcb_statuses", path, profile);
	read_values(json_get(p, "allowed_tcb_statuses"), 0, what, &c->tcb);
	for (int g = 0; g < POLICY_NREG; g++) {
		char key[32];
		snprintf(key, sizeof key, "allowed_%s", policy_regs[g]);
		snprintf(what, sizeof what, "%s: profiles.%s.%s", path, profile, key);
		read_values(json_get(p, key), POLICY_MEASUREMENT_BYTES, what, &c->reg[g]);
	}
	/* a release published with ALLOW_SIMULATED says so (mrtd-publish) */
	c->simulated = json_bool(v, "simulated") == 1 || json_bool(p, "simulated") == 1;
	sha256(b.data, b.len, md);
	jv rec = jv_object();
	JSET(rec, "source", jv_string("published-mrtds"));
	JSET(rec, "shape", jv_string("published-mrtds"));
	JSET(rec, "tag", opt_str(json_str(v, "tag")));
	JSET(rec, "generated_at", opt_str(json_str(v, "generated_at")));
	JSET(rec, "published_sha256", jv_hex(md, 32));
	JSET(rec, "simulated", jv_bool(c->simulated));
	JSET(rec, "unverified", jv_false());
	c->record = rec;
	jv_free(p);
	jv_free(profiles);
	jv_free(v);
	buf_free(&b);
}

void cand_free(struct cand *c)
{
	values_free(&c->tcb);
	values_free(&c->payload);
	for (int g = 0; g < POLICY_NREG; g++)
		values_free(&c->reg[g]);
	free(c->source);
	free(c->measured_profile);
	free(c->kms_version);
	free(c->why_unverified);
	if (c->shape)
		jv_free(c->record);
	memset(c, 0, sizeof *c);
}
