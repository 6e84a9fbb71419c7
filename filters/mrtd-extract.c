/* mrtd-extract: turn a verified TD quote (and the replay of its event log)
 * into measurement-policy-candidates.json. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/intel_root_ca.h"
#include "lib/json.h"
#include "lib/profile.h"
#include "lib/tdmeas.h"

enum {
	OPT_PROFILE = 'p', OPT_SOURCE = 's', OPT_ROLE = 'r', OPT_VERIFICATION = 'v', OPT_UNVERIFIED = 'u',
	OPT_REPLAY = 'R', OPT_COMPOSE = 'c', OPT_IMAGE = 'i', OPT_VERSION = 'k'
};

static const struct cli_opt options[] = {
	{"profile", OPT_PROFILE, "P", "debug, debug-read-only or locked-read-only (required)", 0},
	{"source", OPT_SOURCE, "S", "where the quote comes from: sim, phala, url, gcp, ... (required); sim\n"
				    "is the local simulated KMS and is never real hardware", 0},
	{"role", OPT_ROLE, "R", "kms (default) or node", 0},
	{"verification", OPT_VERIFICATION, "FILE", "quote-verify's JSON for this quote (same quote_sha256)", 0},
	{"unverified", OPT_UNVERIFIED, NULL, "go on without a verification or after a failed one; recorded in\n"
					     "the output, and promotion refuses such candidates", 0},
	{"replay", OPT_REPLAY, "FILE", "rtmr-replay's JSON made with --quote on this quote (required for\n"
				       "kms): its verified compose hash becomes allowed_event_payload", 0},
	{"compose-hash", OPT_COMPOSE, "HEX", "the hash of the compose file deployed (compose-hash); must equal\n"
					     "the measured one", 0},
	{"image-digest", OPT_IMAGE, "REF", "the KMS image, name@sha256:<64 hex> or sha256:<64 hex>", 0},
	{"kms-version", OPT_VERSION, "V", "the KMS version, X.Y.Z[-pre][+build] (a mero-kms-v or v prefix is\n"
					  "removed)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "mrtd-extract --profile P --source S [--role kms|node] (--verification FILE | --unverified)\n"
		    "       [--replay FILE] [--compose-hash HEX] [--image-digest REF] [--kms-version V] < QUOTE_JSON > CANDIDATES",
	.about = "Write measurement-policy-candidates.json (MRTD, RTMR0-3, TCB status, compose hash, role,\n"
		 "profile, source, provenance) from a TD quote that quote-verify verified and whose event log\n"
		 "rtmr-replay replayed against it.",
	.opts = options,
	.trailer = "stdin: quote JSON from quote2json, or an attest response holding quoteB64 (mero-kms) or\n"
		   "data.quoteB64 (merod).  stdout: candidates JSON (canonical; generated_at honours\n"
		   "SOURCE_DATE_EPOCH).\n"
		   "exit: 0 ok, 1 refused (verification failed or of another quote, compose hash not verified,\n"
		   "mismatch), 2 usage, 65 malformed input, 66 a file missing, 74 write error.",
};

#define IN_CAP (16 * MP_MIB)

static int is_hex_lower(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return 1;
}

/* A string member that must be 2n lower-case hex digits (NULL if absent or null). */
static const char *hex_member(jv o, const char *key, size_t n, const char *what)
{
	jv v = json_get(o, key);
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_NULL || k == JV_KIND_INVALID)
		return NULL;
	const char *s = json_str(o, key);
	if (!s || !is_hex_lower(s, 2 * n))
		fail(EXIT_DATAERR, "%s: %s is not %zu bytes of lower-case hex", what, key, n);
	return s;
}

static int bool_member(jv o, const char *key, const char *what)
{
	int b = json_bool(o, key);
	if (b < 0)
		fail(EXIT_DATAERR, "%s: %s is not true or false", what, key);
	return b;
}

/* A member that is a string or null; fails otherwise. */
static jv str_or_null(jv o, const char *key, const char *what)
{
	jv v = json_get(o, key);
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		return jv_null();
	}
	if (k != JV_KIND_STRING)
		fail(EXIT_DATAERR, "%s: %s is not a string", what, key);
	return v;
}

static jv lower(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	jv r = jv_string(t);
	free(t);
	return r;
}

struct opts {
	const char *profile, *source, *role, *verification, *replay, *compose, *image, *version;
	int unverified;
};

/* Check the verification against the quote; returns its summary object and
 * sets *tcb to the allowed statuses and *intel to whether the root is Intel's. */
/* A verdict whose TCB gate (quote-verify --allow-status) refused the status is a
 * "no" whatever --unverified says: the probe's policy did not accept it. */
static void refuse_gate(jv v, const char *what)
{
	jv gate = json_get(v, "tcb_gate");
	int kind = jv_get_kind(gate);
	if (kind == JV_KIND_INVALID || kind == JV_KIND_NULL) {
		jv_free(gate);
		return;
	}
	const char *d = kind == JV_KIND_OBJECT ? json_str(gate, "decision") : NULL;
	if (!d)
		fail(EXIT_DATAERR, "%s: tcb_gate has no decision", what);
	if (strcmp(d, "refused") == 0)
		fail(EXIT_NO, "%s: the TCB gate refused status %s", what,
		     json_str(v, "status") ? json_str(v, "status") : "(none)");
	jv_free(gate);
}

static jv use_verification(const struct opts *o, const char *qsha, jv *tcb, int *intel)
{
	const char *w = o->verification;
	jv v = json_read_file(w, IN_CAP);
	char what[512];
	snprintf(what, sizeof what, "verification '%s'", w);
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s is not a JSON object", what);
	int verified = bool_member(v, "verified", what);
	const char *vsha = hex_member(v, "quote_sha256", 32, what);
	if (!vsha)
		fail(EXIT_DATAERR, "%s has no quote_sha256", what);
	if (strcmp(vsha, qsha) != 0)
		fail(EXIT_NO, "%s belongs to another quote (quote_sha256 %s, this quote %s)", what, vsha, qsha);
	jv status = str_or_null(v, "status", what);
	jv failed = str_or_null(v, "failed_check", what);
	jv error = str_or_null(v, "error", what);
	jv adv = json_get(v, "advisory_ids");
	if (jv_get_kind(adv) == JV_KIND_NULL || jv_get_kind(adv) == JV_KIND_INVALID) {
		jv_free(adv);
		adv = jv_array();
	}
	if (jv_get_kind(adv) != JV_KIND_ARRAY)
		fail(EXIT_DATAERR, "%s: advisory_ids is not an array", what);
	jv_array_foreach(adv, i, a) {
		if (jv_get_kind(a) != JV_KIND_STRING)
			fail(EXIT_DATAERR, "%s: advisory_ids[%d] is not a string", what, i);
		jv_free(a);
	}
	if (!verified && !o->unverified) {
		const char *fc = jv_get_kind(failed) == JV_KIND_STRING ? jv_string_value(failed) : "unknown check";
		const char *er = jv_get_kind(error) == JV_KIND_STRING ? jv_string_value(error) : "no reason given";
		fail(EXIT_NO, "the quote failed verification at %s: %s (--unverified records candidates that "
		     "cannot be promoted)", fc, er);
	}
	refuse_gate(v, what);
	jv root = json_get(v, "root_ca");
	if (jv_get_kind(root) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s: root_ca is not an object", what);
	char rwhat[600];
	snprintf(rwhat, sizeof rwhat, "%s root_ca", what);
	jv subject = str_or_null(root, "subject", rwhat);
	const char *rsha = hex_member(root, "sha256", 32, rwhat);
	int builtin = bool_member(root, "builtin", rwhat);
	*intel = builtin || (rsha && strcmp(rsha, INTEL_SGX_ROOT_CA_SHA256) == 0);
	if (verified && !*intel && strcmp(o->source, "sim") != 0)
		fail(EXIT_NO, "%s trusted a root CA other than Intel's (%s) but --source is '%s': only sim "
		     "candidates come from a simulated root", what,
		     jv_get_kind(subject) == JV_KIND_STRING ? jv_string_value(subject) : "no subject", o->source);

	*tcb = jv_array();
	if (verified && jv_get_kind(status) == JV_KIND_STRING)
		*tcb = jv_array_append(*tcb, lower(jv_string_value(status)));

	jv rs = jv_object();
	JSET(rs, "subject", subject);
	JSET(rs, "sha256", rsha ? jv_string(rsha) : jv_null());
	JSET(rs, "builtin", jv_bool(builtin));
	JSET(rs, "intel", jv_bool(*intel));
	jv s = jv_object();
	JSET(s, "verified", jv_bool(verified));
	JSET(s, "status", status);
	JSET(s, "advisory_ids", adv);
	JSET(s, "failed_check", failed);
	JSET(s, "error", error);
	JSET(s, "root_ca", rs);
	jv_free(root);
	jv_free(v);
	return s;
}

/* Check the replay against the quote; returns the verified compose hash
 * (string) or null, and the measured KMS profile in *mprof. */
static jv use_replay(const struct opts *o, const struct td_meas *q, const char *qsha, jv *mprof)
{
	const char *w = o->replay;
	char what[512];
	snprintf(what, sizeof what, "replay '%s'", w);
	jv r = json_read_file(w, IN_CAP);
	if (jv_get_kind(r) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s is not a JSON object", what);
	jv regs = json_get(r, "registers"), r3 = json_get(regs, "rtmr3");
	if (jv_get_kind(r3) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s has no registers.rtmr3 (is it rtmr-replay's output?)", what);
	const char *rep3 = hex_member(r3, "replayed", 48, what);
	if (!rep3)
		fail(EXIT_DATAERR, "%s has no registers.rtmr3.replayed", what);
	jv rq = json_get(r, "quote");
	if (jv_get_kind(rq) != JV_KIND_OBJECT)
		fail(EXIT_NO, "%s was not compared with a quote (run rtmr-replay --quote)", what);
	const char *rsha = hex_member(rq, "sha256", 32, what);
	if (!rsha || strcmp(rsha, qsha) != 0)
		fail(EXIT_NO, "%s was compared with another quote (sha256 %s, this quote %s)", what,
		     rsha ? rsha : "missing", qsha);
	char q3[97];
	hex_encode_to(q->rtmr[3], 48, q3);
	if (strcmp(rep3, q3) != 0)
		fail(EXIT_NO, "%s: replayed RTMR3 %s differs from the quote's %s", what, rep3, q3);
	int verified = bool_member(r, "compose_hash_verified", what);
	jv rt = json_get(r, "runtime");
	if (jv_get_kind(rt) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "%s has no runtime object", what);
	const char *ch = hex_member(rt, "compose_hash", 32, what);
	*mprof = str_or_null(rt, "kms_profile", what);
	jv out = jv_null();
	if (ch && !verified)
		fail(EXIT_NO, "%s did not verify the compose hash %s against RTMR3", what, ch);
	if (!ch && strcmp(o->role, "kms") == 0)
		fail(EXIT_NO, "%s has no verified compose-hash event (a KMS measures one into RTMR3)", what);
	if (ch) {
		jv_free(out);
		out = jv_string(ch);
	}
	if (o->compose) {
		if (!ch)
			fail(EXIT_NO, "--compose-hash %s given but the event log measured no compose hash", o->compose);
		if (strcmp(o->compose, ch) != 0)
			fail(EXIT_NO, "the deployed compose hash %s differs from the measured %s", o->compose, ch);
	}
	if (jv_get_kind(*mprof) == JV_KIND_STRING && strcmp(jv_string_value(*mprof), o->profile) != 0)
		fail(EXIT_NO, "the KMS measured profile '%s' into RTMR3, not '%s' (ADR-0001)",
		     jv_string_value(*mprof), o->profile);
	jv_free(rt);
	jv_free(rq);
	jv_free(r3);
	jv_free(regs);
	jv_free(r);
	return out;
}

static jv one(const uint8_t *p) { return jv_array_append(jv_array(), jv_hex(p, 48)); }

static int valid_source(const char *src)
{
	size_t sl = strlen(src);
	int ok = sl >= 1 && sl <= 32 && islower((unsigned char)src[0]);
	for (size_t i = 0; i < sl; i++)
		ok &= islower((unsigned char)src[i]) || isdigit((unsigned char)src[i]) || src[i] == '-';
	return ok;
}

/* The option values, checked against each other: usage errors exit 2. */
static void check_options(const struct cli *cl, struct opts *o)
{
	const char *p = o->profile ? profile_lookup(o->profile) : NULL;
	if (!p)
		cli_usage(cl, "--profile must be %s", profile_choices());
	o->profile = p;
	if (!o->source)
		cli_usage(cl, "--source is required (sim, phala, url, gcp, ...)");
	if (!valid_source(o->source))
		cli_usage(cl, "bad --source '%s' (lower-case letters, digits and -)", o->source);
	if (strcmp(o->role, "kms") && strcmp(o->role, "node"))
		cli_usage(cl, "--role must be kms or node");
	if (!o->verification && !o->unverified)
		cli_usage(cl, "--verification FILE is required (or --unverified)");
	if (!o->replay && strcmp(o->role, "kms") == 0)
		cli_usage(cl, "--replay FILE is required for role kms (its compose hash)");
	if (o->compose && !o->replay)
		cli_usage(cl, "--compose-hash needs --replay");
	if (o->compose && !is_hex_lower(o->compose, 64))
		cli_usage(cl, "--compose-hash needs 64 lower-case hex digits");
	if (o->image) {
		const char *d = strstr(o->image, "sha256:");
		if (!d || !is_hex_lower(d + 7, 64) || (d != o->image && d[-1] != '@'))
			cli_usage(cl, "--image-digest must be name@sha256:<64 hex> or sha256:<64 hex>");
	}
	if (o->version) {
		if (!kms_version_valid(o->version))
			cli_usage(cl, "bad --kms-version '%s'", o->version);
		o->version = kms_version_bare(o->version);
	}
}

static void parse_options(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->role = "kms";
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_PROFILE: o->profile = val; break;
		case OPT_SOURCE: o->source = val; break;
		case OPT_ROLE: o->role = val; break;
		case OPT_VERIFICATION: o->verification = val; break;
		case OPT_UNVERIFIED: o->unverified = 1; break;
		case OPT_REPLAY: o->replay = val; break;
		case OPT_COMPOSE: o->compose = val; break;
		case OPT_IMAGE: o->image = val; break;
		case OPT_VERSION: o->version = val; break;
		}
	}
	check_options(&cl, o);
	cli_free(&cl);
}

/* The quote on stdin: its measurements and SHA-256 (hex). */
static void read_quote(struct td_meas *q, char qsha[65])
{
	struct buf in;
	char err[512];
	read_capped(stdin, IN_CAP, "quote JSON", &in);
	jv doc = json_parse((const char *)in.data, in.len, err, sizeof err);
	buf_free(&in);
	if (!jv_is_valid(doc))
		fail(EXIT_DATAERR, "cannot parse quote JSON: %s", err);
	if (td_meas_from_json(doc, q, err, sizeof err))
		fail(EXIT_DATAERR, "%s", err);
	jv_free(doc);
	hex_encode_to(q->sha256, 32, qsha);
}

/* What was found out, for the candidates. */
struct findings {
	jv tcb, vsum, mprof, compose;
	int intel, verified;
};

static jv provenance(const struct opts *o, const struct td_meas *q, const char *qsha, struct findings *f)
{
	char when[32];
	format_utc(now_epoch(), when);
	jv prov = jv_object();
	JSET(prov, "image_digest", o->image ? jv_string(o->image) : jv_null());
	JSET(prov, "kms_version", o->version ? jv_string(o->version) : jv_null());
	JSET(prov, "compose_hash", jv_copy(f->compose));
	JSET(prov, "measured_profile", f->mprof);
	JSET(prov, "quote_sha256", jv_string(qsha));
	JSET(prov, "quote_origin", jv_string(q->origin));
	JSET(prov, "verification", f->vsum);
	JSET(prov, "generated_at", jv_string(when));
	JSET(prov, "unverified", jv_bool(!f->verified));
	JSET(prov, "simulated", jv_bool(strcmp(o->source, "sim") == 0 || (o->verification && !f->intel)));
	return prov;
}

static jv policy(const struct td_meas *q, struct findings *f)
{
	jv pol = jv_object();
	JSET(pol, "allowed_mrtd", one(q->mr_td));
	JSET(pol, "allowed_rtmr0", one(q->rtmr[0]));
	JSET(pol, "allowed_rtmr1", one(q->rtmr[1]));
	JSET(pol, "allowed_rtmr2", one(q->rtmr[2]));
	JSET(pol, "allowed_rtmr3", one(q->rtmr[3]));
	JSET(pol, "allowed_tcb_statuses", f->tcb);
	jv payload = jv_array();
	if (jv_get_kind(f->compose) == JV_KIND_STRING)
		payload = jv_array_append(payload, f->compose);
	else
		jv_free(f->compose);
	JSET(pol, "allowed_event_payload", payload);
	return pol;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct opts o;
	parse_options(&o, argc, argv);
	struct td_meas q;
	char qsha[65];
	read_quote(&q, qsha);

	struct findings f = {.tcb = jv_array(), .vsum = jv_null(), .mprof = jv_null(), .compose = jv_null()};
	if (o.verification) {
		jv_free(f.tcb);
		f.vsum = use_verification(&o, qsha, &f.tcb, &f.intel);
		jv vv = jv_object_get(jv_copy(f.vsum), jv_string("verified"));
		f.verified = jv_get_kind(vv) == JV_KIND_TRUE;
		jv_free(vv);
	}
	if (o.replay)
		f.compose = use_replay(&o, &q, qsha, &f.mprof);

	jv out = jv_object();
	JSET(out, "schema_version", jv_number(1));
	JSET(out, "role", jv_string(o.role));
	JSET(out, "profile", jv_string(o.profile));
	JSET(out, "source", jv_string(o.source));
	JSET(out, "provenance", provenance(&o, &q, qsha, &f));
	JSET(out, "policy", policy(&q, &f));
	json_emit(out);
	close_stdout();
	return 0;
}
