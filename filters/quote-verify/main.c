/* quote-verify: verify an Intel DCAP quote (TDX v4/v5, SGX v3) against its
 * collateral with OpenSSL, as dcap-qvl does (or as Intel's QVL does with
 * --intel-rules), and write the verdict as JSON. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/collateral.h"
#include "lib/common.h"
#include "verify.h"

enum {
	OPT_COLLATERAL = 1, OPT_NOW, OPT_ROOT_CA, OPT_ALLOW_DEBUG, OPT_ALLOW_SERVICE_TD, OPT_SKIP_TD_ATTRIBUTES,
	OPT_INTEL_RULES, OPT_EXPECT_REPORT_DATA, OPT_ALLOW_STATUS, OPT_INPUT, OPT_LINES, OPT_NO_CACHE, OPT_STATS
};

static const struct cli_opt options[] = {
	{"collateral", OPT_COLLATERAL, "FILE", "dcap-qvl QuoteCollateralV3 JSON (as collateral-fetch writes it); required", 0},
	{"now", OPT_NOW, "UNIX_SECONDS", "verification time (default: the clock, or SOURCE_DATE_EPOCH)", 0},
	{"root-ca", OPT_ROOT_CA, "FILE", "trust anchor, PEM or DER, an ECDSA P-256 root (default: the built-in\n"
					 "Intel SGX Root CA, SHA-256 " INTEL_SGX_ROOT_CA_SHA256 ")", 0},
	{"allow-debug", OPT_ALLOW_DEBUG, NULL, "accept a debug TD or enclave", 0},
	{"allow-service-td", OPT_ALLOW_SERVICE_TD, NULL, "accept a TD 1.5 bound to a service TD (non-zero MRSERVICETD)", 0},
	{"skip-td-attributes", OPT_SKIP_TD_ATTRIBUTES, NULL, "do not judge TD attributes (debug, SEPT_VE_DISABLE, reserved bits,\n"
							     "MRSERVICETD); they are reported as skipped", 0},
	{"intel-rules", OPT_INTEL_RULES, NULL, "Intel QVL's TCB rules instead of dcap-qvl's (see the README)", 0},
	{"expect-report-data", OPT_EXPECT_REPORT_DATA, "HEX", "the report data must start with these 1 to 64 bytes (the nonce binding)", 0},
	{"allow-status", OPT_ALLOW_STATUS, "LIST", "TCB statuses a verified quote may have, comma-separated and\n"
						   "case-insensitive (UpToDate,SWHardeningNeeded,...); another status\n"
						   "exits 1 and the verdict records the decision in tcb_gate", 0},
	{"input", OPT_INPUT, "FORM", "bin, hex or base64 (default: detected)", 0},
	{"lines", OPT_LINES, NULL, "batch mode: one hex or base64 quote per line, one compact JSON verdict per\n"
				   "line (with \"line\"); the collateral is checked once", 0},
	{"no-cache", OPT_NO_CACHE, NULL, "in --lines mode, verify every PCK chain and QE report signature anew", 0},
	{"stats", OPT_STATS, NULL, "print quote, ECDSA and chain verification counts on stderr at the end", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "quote-verify --collateral FILE [--now UNIX_SECONDS] [--root-ca FILE] [--allow-debug]\n"
		    "       [--allow-service-td] [--skip-td-attributes] [--intel-rules] [--expect-report-data HEX]\n"
		    "       [--allow-status LIST] [--input FORM] [--lines] [--no-cache] [--stats] < QUOTE > JSON",
	.about = "Verify an Intel TDX (v4, v5) or SGX (v3) DCAP quote against its collateral and write the verdict as JSON.",
	.opts = options,
	.trailer = "stdin: one quote (at most 1 MiB).  stdout: the verdict, canonical JSON: verified, status, advisory_ids,\n"
		   "failed_check, error, checks[{name,result,detail}], measurements, quote_sha256, root_ca, platform_status,\n"
		   "qe_status, tdx_module_status, tcb_level, qe_tcb_level, fmspc, ppid, pck, collateral, now, rules,\n"
		   "tcb_gate (with --allow-status), ...\n"
		   "exit: 0 verified (and allowed), 1 not verified or a status not allowed (the verdict is still written,\n"
		   "one stderr line says why), 2 usage, 65 malformed quote or collateral (nothing written), 66 a file is\n"
		   "missing or not a regular file, 74 write error.",
};

/* --allow-status: the allowed statuses, lower-cased, sorted, without repeats */
struct gate {
	int set;
	char **allowed;
	int n;
	char *text; /* "a,b,c" */
};

struct run {
	const char *coll_path, *root_path;
	struct qv_options o;
	enum input_form form;
	int lines, stats;
	struct gate gate;
	struct qv *v;
};

static int word(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void gate_parse(struct gate *g, const char *list, const struct cli *cl)
{
	g->set = 1;
	g->allowed = xcalloc(strlen(list) / 2 + 1, sizeof *g->allowed);
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		if (!word(p, n))
			cli_usage(cl, "--allow-status needs TCB status names separated by commas, not '%s'", list);
		char *w = xmalloc(n + 1);
		for (size_t i = 0; i < n; i++)
			w[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
		w[n] = 0;
		g->allowed[g->n++] = w;
		p += n;
		if (!*p)
			break;
	}
	qsort(g->allowed, (size_t)g->n, sizeof *g->allowed, cmp_str);
	int k = 0;
	for (int i = 0; i < g->n; i++) {
		if (k && strcmp(g->allowed[k - 1], g->allowed[i]) == 0)
			free(g->allowed[i]);
		else
			g->allowed[k++] = g->allowed[i];
	}
	g->n = k;
	struct buf t;
	buf_init(&t);
	for (int i = 0; i < g->n; i++)
		buf_printf(&t, "%s%s", i ? "," : "", g->allowed[i]);
	g->text = (char *)t.data;
}

static void gate_free(struct gate *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->allowed[i]);
	free(g->allowed);
	free(g->text);
}

static void expect_report_data(struct qv_options *o, const char *arg, const struct cli *cl)
{
	const char *h = arg;
	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	size_t len = strlen(h);
	if (len == 0 || len % 2 || len > 128 || hex_decode(h, len, o->expect_report_data) != (long)(len / 2))
		cli_usage(cl, "--expect-report-data needs 1 to 64 bytes of hex, not '%s'", arg);
	o->expect_report_data_len = len / 2;
	o->expect_report_data_set = 1;
}

static void parse_args(struct run *r, int argc, char **argv)
{
	struct cli cl;
	const char *val;
	memset(r, 0, sizeof *r);
	r->o.now = -1;
	cli_parse(&cl, &spec, argc, argv);
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_COLLATERAL: r->coll_path = val; break;
		case OPT_NOW:
			if ((r->o.now = parse_uint(val, (long long)1 << 40)) < 0)
				cli_usage(&cl, "--now needs Unix seconds, not '%s'", val);
			break;
		case OPT_ROOT_CA: r->root_path = val; break;
		case OPT_ALLOW_DEBUG: r->o.allow_debug = 1; break;
		case OPT_ALLOW_SERVICE_TD: r->o.allow_service_td = 1; break;
		case OPT_SKIP_TD_ATTRIBUTES: r->o.skip_td_attributes = 1; break;
		case OPT_INTEL_RULES: r->o.intel_rules = 1; break;
		case OPT_EXPECT_REPORT_DATA: expect_report_data(&r->o, val, &cl); break;
		case OPT_ALLOW_STATUS: gate_parse(&r->gate, val, &cl); break;
		case OPT_INPUT: r->form = input_form_option(val, spec.synopsis); break;
		case OPT_LINES: r->lines = 1; break;
		case OPT_NO_CACHE: r->o.no_cache = 1; break;
		case OPT_STATS: r->stats = 1; break;
		}
	}
	if (!r->coll_path)
		cli_usage(&cl, "--collateral FILE is required");
	if (strcmp(r->coll_path, "-") == 0)
		cli_usage(&cl, "--collateral cannot be standard input: the quote is read from there");
	if (r->root_path && strcmp(r->root_path, "-") == 0)
		cli_usage(&cl, "--root-ca cannot be standard input: the quote is read from there");
	cli_free(&cl);
	if (r->o.now < 0)
		r->o.now = now_epoch();
}

/* The collateral, the trust anchor and the verifier over them: every failure
 * here exits (65 malformed, 66 missing). */
static void setup(struct run *r, struct collateral *coll, struct qv_anchor *anchor)
{
	char err[512];
	struct buf b;
	read_file_capped(r->coll_path, 16 * MP_MIB, &b, 0);
	if (collateral_parse((const char *)b.data, b.len, coll, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse collateral '%s': %s", r->coll_path, err);
	buf_free(&b);
	if (r->root_path) {
		read_file_capped(r->root_path, MP_MIB, &b, 0);
		if (qv_anchor_load(anchor, b.data, b.len, err, sizeof err))
			fail(EXIT_DATAERR, "cannot use root CA '%s': %s", r->root_path, err);
		buf_free(&b);
	} else if (qv_anchor_builtin(anchor, err, sizeof err)) {
		fail(EXIT_SOFTWARE, "%s", err);
	}
	if (!(r->v = qv_new(coll, anchor, &r->o, err, sizeof err)))
		fail(EXIT_DATAERR, "cannot parse collateral '%s': %s", r->coll_path, err);
}

/* The TCB-status gate: the decision for tcb_gate; a verified quote whose
 * status is refused gets one stderr line. */
static const char *gate_judge(const struct gate *g, const struct qv_result *res, const char *where)
{
	if (!res->verified)
		return "not-evaluated";
	for (int i = 0; i < g->n; i++)
		if (strcasecmp(res->status, g->allowed[i]) == 0)
			return "allowed";
	struct buf t;
	buf_init(&t);
	for (int i = 0; i < res->nadvisories; i++)
		buf_printf(&t, "%s%s", i ? ", " : "", res->advisories[i]);
	warnx("%snot allowed: TCB status %s (%s) is not in --allow-status %s", where, res->status,
	      res->nadvisories ? (const char *)t.data : "no advisories", g->text);
	buf_free(&t);
	return "refused";
}

/* Verify one quote: its verdict appended to out (pretty, or compact with
 * "line" in batch mode). 0 verified and allowed; 1 a clean no, with one
 * stderr line naming the failed check or the refused status; -1 malformed. */
static int judge(void *ctx, const uint8_t *quote, size_t len, size_t lineno, struct buf *out, char *err, size_t errlen)
{
	struct run *r = ctx;
	struct qv_result res;
	struct qv_extra extra = {.line = r->lines ? lineno : 0};
	struct qrun *x = qv_check(r->v, quote, len, &res, err, errlen);
	if (!x)
		return -1;
	char where[40] = "";
	if (r->lines)
		snprintf(where, sizeof where, "line %zu: ", lineno);
	if (!res.verified)
		warnx("%snot verified: %s: %s", where, res.failed_check, res.error);
	if (r->gate.set) {
		extra.allowed = (const char *const *)r->gate.allowed;
		extra.nallowed = r->gate.n;
		extra.decision = gate_judge(&r->gate, &res, where);
	}
	qv_write(x, &extra, !r->lines, out);
	qv_end(x);
	return !res.verified || (extra.decision && strcmp(extra.decision, "refused") == 0);
}

static int run_one(struct run *r)
{
	struct buf raw, out;
	char err[512];
	read_quote_stdin(r->form, &raw);
	buf_init(&out);
	int rc = judge(r, raw.data, raw.len, 0, &out, err, sizeof err);
	buf_free(&raw);
	if (rc < 0)
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	out_write(out.data, out.len);
	buf_free(&out);
	return rc ? EXIT_NO : EXIT_OK;
}

static int run_lines(struct run *r)
{
	struct lines_run lr;
	quote_lines_run(stdin, r->form, judge, r, &lr);
	if (lr.bad) {
		close_stdout();
		fail(EXIT_DATAERR, "%zu of %zu quotes are malformed (%zu verdicts written)", lr.bad, lr.bad + lr.done,
		     lr.done);
	}
	return lr.no ? EXIT_NO : EXIT_OK;
}

static void print_stats(const struct qv *v)
{
	struct qv_stats s;
	qv_get_stats(v, &s);
	warnx("%ld quotes: %ld ECDSA and %ld PCK chain verifications, %ld cache hits; collateral: %ld ECDSA and "
	      "%ld chain verifications",
	      s.quotes, s.ecdsa, s.chains, s.cache_hits, s.coll_ecdsa, s.coll_chains);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	/* OpenSSL for what quote-verify uses (ECDSA P-256, SHA-256): no
	 * configuration file, no error strings, no cipher and digest tables, no
	 * clean-up at exit; each costs more than a verification does */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
				    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_ATEXIT,
			    NULL);
	struct run r;
	struct collateral coll;
	struct qv_anchor anchor;
	parse_args(&r, argc, argv);
	setup(&r, &coll, &anchor);
	int rc = r.lines ? run_lines(&r) : run_one(&r);
	if (r.stats)
		print_stats(r.v);
	qv_free(r.v);
	qv_anchor_free(&anchor);
	collateral_free(&coll);
	gate_free(&r.gate);
	close_stdout();
	return rc;
}
