/* policy-check: decide a verified quote against a policy file as mero-kms
 * decides /get-key (role node), or as a client checks a KMS (role kms). */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "lib/policy.h"
#include "lib/profile.h"
#include "lib/sha.h"

enum { OPT_POLICY = 'p', OPT_ROLE = 'r', OPT_LINES = 'l', OPT_PUBLISHED = 'u', OPT_PROFILE = 'P' };

static const struct cli_opt options[] = {
	{"policy", OPT_POLICY, "FILE", "the policy file (kms-phala-attestation-policy.*.json); required", 0},
	{"role", OPT_ROLE, "ROLE", "node (default): node_allowed_*, as mero-kms decides /get-key;\n"
				   "kms: kms_allowed_*, as a client checks a KMS", 0},
	{"published", OPT_PUBLISHED, "FILE", "a node image release's published-mrtds.json instead of a policy file:\n"
					     "its .profiles[P].allowed_* decide, as node_allowed_* would (role node)", 0},
	{"profile", OPT_PROFILE, "P", "the profile of --published to decide against (required with it)", 0},
	{"lines", OPT_LINES, NULL, "one verdict per input line, one compact decision per output line,\n"
				   "a summary on stderr", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-check --policy FILE [--role node|kms] [--lines] < VERDICT_JSON > DECISION_JSON\n"
		    "       policy-check --published FILE --profile P [--lines] < VERDICT_JSON > DECISION_JSON",
	.about = "Decide a quote-verify verdict against a policy file as mero-kms decides it.",
	.opts = options,
	.trailer = "stdin: quote-verify's verdict (verified, status, measurements, quote_sha256).\n"
		   "stdout: the decision, canonical JSON (also on exit 1).\n"
		   "exit: 0 allowed, 1 refused (one stderr line naming every failing check), 2 usage, 65 a verdict\n"
		   "or policy that cannot be read, 66 the policy (or published) file missing, 74 write error.",
};

struct ctx {
	struct kms_policy p;
	enum policy_role role;
	jv about; /* the policy's file, profile, tag and SHA-256 */
};

/* The verdict's fields; -1 with err when it is not a verdict of a TD quote. */
struct verdict {
	int verified;
	const char *status, *failed_check, *error, *quote_sha256;
	size_t status_len; /* bytes, NUL bytes included */
	char *reg[POLICY_NREG];
};

static int read_verdict(jv v, struct verdict *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "not a quote-verify verdict (a JSON object)");
		return -1;
	}
	jv ver = json_get(v, "verified"), m = json_get(v, "measurements");
	int ok = jv_get_kind(ver) == JV_KIND_TRUE || jv_get_kind(ver) == JV_KIND_FALSE;
	d->verified = jv_get_kind(ver) == JV_KIND_TRUE;
	jv_free(ver);
	if (!ok || jv_get_kind(m) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "not a quote-verify verdict: %s", ok ? "no measurements object" : "no verified boolean");
		jv_free(m);
		return -1;
	}
	for (int g = 0; g < POLICY_NREG; g++) {
		const char *s = json_str(m, policy_quote_keys[g]);
		char why[128];
		if (!s || !(d->reg[g] = policy_hex_parse(s, strlen(s), POLICY_MEASUREMENT_BYTES, why, sizeof why))) {
			snprintf(err, errlen, "verdict: measurements.%s is %s (not a TD quote?)", policy_quote_keys[g],
				 s ? "not 48 bytes of hex" : "missing");
			jv_free(m);
			for (int k = 0; k < g; k++)
				free(d->reg[k]);
			return -1;
		}
	}
	jv_free(m);
	d->status = json_str(v, "status");
	jv st = json_get(v, "status");
	d->status_len = jv_get_kind(st) == JV_KIND_STRING ? (size_t)jv_string_length_bytes(jv_copy(st)) : 0;
	jv_free(st);
	d->failed_check = json_str(v, "failed_check");
	d->error = json_str(v, "error");
	d->quote_sha256 = json_str(v, "quote_sha256");
	return 0;
}

static jv opt_str(const char *s) { return s ? jv_string(s) : jv_null(); }

static char *joined(const struct policy_allow *a)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < a->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", a->v[i]);
	return (char *)b.data;
}

/* The first refusal in mero-kms's order and words (get_key.rs), with the
 * HTTP status and error tag it answers /get-key with. */
struct refusal {
	int status;
	const char *tag;
	char details[256];
};

static void refuse(struct refusal *r, int status, const char *tag, const char *fmt, const char *a, const char *b)
{
	if (r->status)
		return;
	r->status = status;
	r->tag = tag;
	snprintf(r->details, sizeof r->details, fmt, a, b);
}

static jv tcb_decision(const struct ctx *c, const struct verdict *d, struct refusal *r, struct buf *why)
{
	const struct policy_allow *t = &c->p.tcb;
	char *lower = d->status ? xstrdup(d->status) : NULL;
	for (char *q = lower; q && *q; q++) /* to_ascii_lowercase, untrimmed, as get_key.rs compares */
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	/* a status holding a NUL byte is compared whole: it matches nothing */
	int ok = lower && strlen(lower) == d->status_len && policy_allows(t, lower, d->status_len);
	jv o = jv_object();
	JSET(o, "value", opt_str(d->status));
	JSET(o, "allowed", jv_bool(ok));
	JSET(o, "list", t->key ? jv_string(t->key) : jv_null());
	JSET(o, "list_size", jv_number(t->n));
	JSET(o, "default", jv_bool(c->p.tcb_default));
	if (!ok) {
		char *all = joined(t);
		if (!d->status)
			refuse(r, 403, "tcb_status_rejected", "Quote verification did not provide a TCB status%s%s", "", "");
		else
			refuse(r, 403, "tcb_status_rejected", "TCB status '%s' is not allowed. Allowed values: %s", d->status, all);
		buf_printf(why, "; tcb_status %s%s%s not in %s (%d entr%s)", d->status ? "'" : "",
			   d->status ? d->status : "missing", d->status ? "'" : "", t->key ? t->key : "the default list", t->n,
			   t->n == 1 ? "y" : "ies");
		free(all);
	}
	free(lower);
	return o;
}

static jv register_decisions(const struct ctx *c, const struct verdict *d, struct refusal *r, struct buf *why)
{
	jv regs = jv_object();
	for (int g = 0; g < POLICY_NREG; g++) /* mero-kms checks every list is non-empty first */
		if (c->p.reg[g].n == 0)
			refuse(r, 403, "measurement_policy_rejected", "%s allowlist is empty%s", policy_reg_labels[g], "");
	for (int g = 0; g < POLICY_NREG; g++) {
		const struct policy_allow *a = &c->p.reg[g];
		int ok = policy_allows(a, d->reg[g], strlen(d->reg[g]));
		jv o = jv_object();
		JSET(o, "value", jv_string(d->reg[g]));
		JSET(o, "allowed", jv_bool(ok));
		JSET(o, "list", a->key ? jv_string(a->key) : jv_null());
		JSET(o, "list_size", jv_number(a->n));
		JSET(regs, policy_regs[g], o);
		if (!ok) {
			refuse(r, 403, "measurement_policy_rejected", "%s '%s' is not in allowlist", policy_reg_labels[g], d->reg[g]);
			if (a->n == 0)
				buf_printf(why, "; %s: %s is empty", policy_regs[g], a->key ? a->key : "the list");
			else
				buf_printf(why, "; %s not in %s (%d entr%s)", policy_regs[g], a->key, a->n,
					   a->n == 1 ? "y" : "ies");
		}
	}
	return regs;
}

/* The decision for one verdict; *allowed set; why gets "; check ..." parts. */
static jv decide(const struct ctx *c, const struct verdict *d, int *allowed, struct buf *why)
{
	struct refusal r = {0};
	if (!d->verified) {
		refuse(&r, 401, "attestation_verification_failed", "Quote cryptographic verification failed%s%s", "", "");
		buf_printf(why, "; not verified (%s: %s)", d->failed_check ? d->failed_check : "?", d->error ? d->error : "?");
	}
	jv o = jv_object();
	JSET(o, "verified", jv_bool(d->verified));
	JSET(o, "tcb_status", tcb_decision(c, d, &r, why));
	JSET(o, "registers", register_decisions(c, d, &r, why));
	*allowed = r.status == 0;
	JSET(o, "allowed", jv_bool(*allowed));
	JSET(o, "role", jv_string(c->role == POLICY_NODE ? "node" : "kms"));
	JSET(o, "quote_sha256", opt_str(d->quote_sha256));
	JSET(o, "policy", jv_copy(c->about));
	JSET(o, "reason", *allowed ? jv_null() : jv_string(r.details));
	if (c->role == POLICY_NODE && !*allowed) {
		jv m = jv_object();
		JSET(m, "status", jv_number(r.status));
		JSET(m, "error", jv_string(r.tag));
		JSET(m, "details", jv_string(r.details));
		JSET(o, "mero_kms", m);
	} else {
		JSET(o, "mero_kms", jv_null());
	}
	return o;
}

/* A policy file standing for .profiles[profile] of a published-mrtds.json:
 * its allowed_* lists as node_allowed_*, so that the policy file's rules
 * (normalisation, the missing TCB list's default) decide. */
static jv published_as_policy(jv doc, const char *path, const char *profile, jv about)
{
	jv profiles = json_get(doc, "profiles"), p = json_get(profiles, profile);
	const char *role = json_str(doc, "role");
	if ((role && strcmp(role, "node") != 0) || jv_get_kind(p) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "'%s' is not a published-mrtds.json with profiles.%s", path, profile);
	jv lists = jv_object();
	for (int g = -1; g < POLICY_NREG; g++) {
		char key[64], node[80];
		snprintf(key, sizeof key, "allowed_%s", g < 0 ? "tcb_statuses" : policy_regs[g]);
		snprintf(node, sizeof node, "node_%s", key);
		jv v = json_get(p, key);
		if (jv_is_valid(v))
			JSET(lists, node, v);
		else
			jv_free(v);
	}
	jv sim = json_get(doc, "simulated"), psim = json_get(p, "simulated");
	JSET(about, "release_tag", opt_str(json_str(doc, "release_tag")));
	JSET(about, "simulated", jv_bool(jv_get_kind(sim) == JV_KIND_TRUE || jv_get_kind(psim) == JV_KIND_TRUE));
	jv_free(sim);
	jv_free(psim);
	jv root = JV_OBJECT(jv_string("role"), jv_string("kms"), jv_string("profile"), jv_string(profile),
			    jv_string("policy"), lists);
	jv tag = json_get(doc, "tag");
	if (jv_is_valid(tag))
		JSET(root, "tag", tag);
	else
		jv_free(tag);
	jv_free(p);
	jv_free(profiles);
	jv_free(doc);
	return JV_OBJECT(jv_string("root"), root, jv_string("about"), about);
}

/* The policy file, or with profile set the published file's profile. */
static void load_policy(struct ctx *c, const char *path, const char *profile)
{
	struct buf b;
	char err[512];
	uint8_t md[32];
	const char *what = profile ? "published measurements" : "policy";
	read_file_capped(path, 16 * MP_MIB, &b, 0);
	jv root = json_parse((const char *)b.data, b.len, err, sizeof err);
	if (!jv_is_valid(root))
		fail(EXIT_DATAERR, "cannot parse %s '%s': %s", what, path, err);
	c->about = jv_object();
	if (profile) {
		jv both = published_as_policy(root, path, profile, c->about);
		root = json_get(both, "root");
		c->about = json_get(both, "about");
		jv_free(both);
	}
	if (policy_from_json(root, c->role, NULL, NULL, 1, &c->p, err, sizeof err))
		fail(EXIT_DATAERR, "cannot load %s '%s': %s", what, path, err);
	sha256(b.data, b.len, md);
	JSET(c->about, "file", jv_string(path));
	JSET(c->about, "profile", opt_str(json_str(root, "profile")));
	JSET(c->about, "tag", opt_str(json_str(root, "tag")));
	JSET(c->about, "sha256", jv_hex(md, 32));
	jv_free(root);
	buf_free(&b);
}

/* Decide one verdict text into out (pretty or compact); 0 allowed, 1 refused
 * (why filled), -1 unreadable (err). */
static int one(const struct ctx *c, const char *text, size_t len, int pretty, long line, struct buf *out,
	       struct buf *why, char *err, size_t errlen)
{
	jv v = json_parse(text, len, err, errlen);
	if (!jv_is_valid(v))
		return -1;
	struct verdict d;
	int allowed;
	if (read_verdict(v, &d, err, errlen)) {
		jv_free(v);
		return -1;
	}
	jv o = decide(c, &d, &allowed, why);
	if (line > 0)
		JSET(o, "line", jv_number((double)line));
	json_dump_buf(o, pretty, out);
	for (int g = 0; g < POLICY_NREG; g++)
		free(d.reg[g]);
	jv_free(v);
	return allowed ? 0 : 1;
}

static int run_lines(const struct ctx *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, counts[3] = {0, 0, 0}; /* allowed, refused, unreadable */
	struct buf out;
	buf_init(&out);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		char err[512];
		struct buf why;
		buf_init(&why);
		int r = one(c, line, (size_t)n, 0, lineno, &out, &why, err, sizeof err);
		if (r < 0) {
			warnx("line %ld: cannot read verdict: %s", lineno, err);
			buf_printf(&out, "{\"allowed\":false,\"error\":");
			json_string_literal(&out, err, strlen(err));
			buf_printf(&out, ",\"line\":%ld}\n", lineno);
		}
		counts[r < 0 ? 2 : r]++;
		buf_free(&why);
	}
	if (ferror(stdin))
		fail(EXIT_IOERR, "cannot read stdin");
	free(line);
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	warnx("%ld verdicts: %ld allowed, %ld refused, %ld unreadable", counts[0] + counts[1] + counts[2], counts[0],
	      counts[1], counts[2]);
	return counts[2] ? EXIT_DATAERR : counts[1] ? EXIT_NO : EXIT_OK;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct ctx c = {.role = POLICY_NODE};
	const char *policy = NULL, *published = NULL, *profile = NULL;
	int lines = 0, role_given = 0;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int o; (o = cli_next(&cl, &val));) {
		switch (o) {
		case OPT_POLICY: policy = val; break;
		case OPT_LINES: lines = 1; break;
		case OPT_PUBLISHED: published = val; break;
		case OPT_PROFILE:
			if (!(profile = profile_lookup(val)))
				cli_usage(&cl, "--profile must be %s (got '%s')", profile_choices(), val);
			break;
		case OPT_ROLE:
			role_given = 1;
			if (strcmp(val, "node") != 0 && strcmp(val, "kms") != 0)
				cli_usage(&cl, "--role must be node or kms (got '%s')", val);
			c.role = strcmp(val, "kms") == 0 ? POLICY_KMS : POLICY_NODE;
			break;
		}
	}
	if (!policy && !published)
		cli_usage(&cl, "--policy FILE is required");
	if (policy && published)
		cli_usage(&cl, "--policy and --published exclude each other");
	if (published && (!profile || role_given))
		cli_usage(&cl, "--published needs --profile P and decides role node only (no --role)");
	if (profile && !published)
		cli_usage(&cl, "--profile is for --published (a policy file names its own profile)");
	cli_free(&cl);
	load_policy(&c, published ? published : policy, published ? profile : NULL);
	int rc;
	if (lines) {
		rc = run_lines(&c);
	} else {
		struct buf in, out, why;
		char err[512];
		read_capped(stdin, 16 * MP_MIB, "the verdict", &in);
		buf_init(&out);
		buf_init(&why);
		rc = one(&c, (const char *)in.data, in.len, 1, 0, &out, &why, err, sizeof err);
		if (rc < 0)
			fail(EXIT_DATAERR, "cannot read verdict: %s", err);
		out_write(out.data, out.len);
		close_stdout();
		if (rc)
			warnx("refused: %s", (const char *)why.data + 2);
		buf_free(&in);
		buf_free(&out);
		buf_free(&why);
	}
	jv_free(c.about);
	policy_free(&c.p);
	return rc;
}
