/* quote-verify: verify an Intel DCAP quote (TDX v4/v5, SGX v3) against its
 * collateral with OpenSSL, as dcap-qvl does (or as Intel's QVL does with
 * --intel-rules), and write the verdict as JSON. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/collateral.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/tdx.h"
#include "verify.h"

static const char synopsis[] =
	"quote-verify --collateral FILE [--now UNIX_SECONDS] [--root-ca FILE] [--allow-debug] [--allow-service-td]\n"
	"       [--skip-td-attributes] [--intel-rules] [--expect-report-data HEX] [--input=FORM] [--lines] < QUOTE > JSON";

static void help(void)
{
	printf("usage: %s\n"
	       "Verify an Intel TDX (v4, v5) or SGX (v3) DCAP quote against its collateral and write the verdict as JSON.\n"
	       "\n"
	       "  --collateral FILE        dcap-qvl QuoteCollateralV3 JSON (as collateral-fetch writes it); required\n"
	       "  --now UNIX_SECONDS       verification time (default: the clock, or SOURCE_DATE_EPOCH)\n"
	       "  --root-ca FILE           trust anchor, PEM or DER (default: the built-in Intel SGX Root CA,\n"
	       "                           SHA-256 %s)\n"
	       "  --allow-debug            accept a debug TD or enclave\n"
	       "  --allow-service-td       accept a TD 1.5 bound to a service TD (non-zero MRSERVICETD)\n"
	       "  --skip-td-attributes     do not judge TD attributes (debug, SEPT_VE_DISABLE, reserved bits,\n"
	       "                           MRSERVICETD); they are reported as skipped\n"
	       "  --intel-rules            Intel QVL's TCB rules instead of dcap-qvl's (see the README)\n"
	       "  --expect-report-data HEX the report data must start with these bytes (the nonce binding)\n"
	       "  --input=FORM             bin, hex or base64 (default: detected)\n"
	       "  --lines                  batch mode: one hex or base64 quote per line, one compact JSON verdict per\n"
	       "                           line (with \"line\"); the collateral is checked once\n"
	       "  --no-cache               in --lines mode, verify every PCK chain and QE report signature anew\n"
	       "  --stats                  print quote, ECDSA and chain verification counts on stderr at the end\n"
	       "  --help, --version\n"
	       "\n"
	       "stdin: one quote (at most 1 MiB).  stdout: the verdict, canonical JSON: verified, status, advisory_ids,\n"
	       "failed_check, error, checks[{name,result,detail}], measurements, quote_sha256, root_ca, platform_status,\n"
	       "qe_status, tdx_module_status, tcb_level, qe_tcb_level, fmspc, ppid, pck, collateral, now, rules, ...\n"
	       "exit: 0 verified, 1 not verified (the verdict is still written), 2 usage, 65 malformed quote or\n"
	       "collateral (nothing written), 66 a file is missing, 74 write error.\n",
	       synopsis, INTEL_SGX_ROOT_CA_SHA256);
}

static int run_lines(struct qv *v, enum input_form form)
{
	struct quote_lines it;
	struct buf raw, out;
	size_t done = 0, failed = 0;
	buf_init(&out);
	quote_lines_init(&it, stdin, form);
	while (quote_lines_next(&it, &raw)) {
		char err[512];
		int ok;
		jv j = qv_verify(v, raw.data, raw.len, &ok, err, sizeof err);
		buf_free(&raw);
		if (!jv_is_valid(j)) {
			jv_free(j);
			warnx("line %zu: cannot parse quote: %s", it.lineno, err);
			it.bad++;
			continue;
		}
		JSET(j, "line", jv_number((double)it.lineno));
		json_dump_buf(j, 0, &out);
		done++;
		failed += !ok;
		if (out.len > 1 << 20) {
			out_write(out.data, out.len);
			out.len = 0;
		}
	}
	quote_lines_end(&it);
	out_write(out.data, out.len);
	buf_free(&out);
	if (it.bad) {
		close_stdout();
		fail(EXIT_DATAERR, "%zu of %zu quotes are malformed (%zu verdicts written)", it.bad, it.bad + done, done);
	}
	return failed ? EXIT_NO : EXIT_OK;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *coll_path = NULL, *root_path = NULL;
	struct qv_options o;
	memset(&o, 0, sizeof o);
	o.now = -1;
	enum input_form form = FORM_AUTO;
	int lines = 0, stats = 0;
	enum { O_COLL = 256, O_NOW, O_ROOT, O_DEBUG, O_SERVICE, O_SKIP, O_INTEL, O_EXPECT, O_INPUT, O_LINES,
	       O_NOCACHE, O_STATS };
	static const struct option opts[] = {
		{"collateral", required_argument, NULL, O_COLL}, {"now", required_argument, NULL, O_NOW},
		{"root-ca", required_argument, NULL, O_ROOT}, {"allow-debug", no_argument, NULL, O_DEBUG},
		{"allow-service-td", no_argument, NULL, O_SERVICE},
		{"skip-td-attributes", no_argument, NULL, O_SKIP}, {"intel-rules", no_argument, NULL, O_INTEL},
		{"expect-report-data", required_argument, NULL, O_EXPECT}, {"input", required_argument, NULL, O_INPUT},
		{"lines", no_argument, NULL, O_LINES}, {"no-cache", no_argument, NULL, O_NOCACHE},
		{"stats", no_argument, NULL, O_STATS}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_COLL: coll_path = optarg; break;
		case O_NOW:
			if ((o.now = parse_uint(optarg, (long long)1 << 40)) < 0)
				usage_fail(synopsis, "--now needs Unix seconds, not '%s'", optarg);
			break;
		case O_ROOT: root_path = optarg; break;
		case O_DEBUG: o.allow_debug = 1; break;
		case O_SERVICE: o.allow_service_td = 1; break;
		case O_SKIP: o.skip_td_attributes = 1; break;
		case O_INTEL: o.intel_rules = 1; break;
		case O_EXPECT: {
			const char *h = optarg;
			if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
				h += 2;
			size_t len = strlen(h);
			if (len == 0 || len % 2 || len > 128 ||
			    hex_decode(h, len, o.expect_report_data) != (long)(len / 2))
				usage_fail(synopsis, "--expect-report-data needs 1 to 64 bytes of hex, not '%s'", optarg);
			o.expect_report_data_len = len / 2;
			o.expect_report_data_set = 1;
			break;
		}
		case O_INPUT: form = input_form_option(optarg, synopsis); break;
		case O_LINES: lines = 1; break;
		case O_NOCACHE: o.no_cache = 1; break;
		case O_STATS: stats = 1; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("quote-verify %s\n", MP_VERSION); close_stdout(); return 0;
		default:
			if (optopt && optopt >= O_COLL)
				usage_fail(synopsis, "option '%s' needs a value", argv[optind - 1]);
			usage_fail(synopsis, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (!coll_path)
		usage_fail(synopsis, "--collateral FILE is required");
	if (strcmp(coll_path, "-") == 0)
		usage_fail(synopsis, "--collateral cannot be standard input: the quote is read from there");
	if (root_path && strcmp(root_path, "-") == 0)
		usage_fail(synopsis, "--root-ca cannot be standard input: the quote is read from there");
	if (o.now < 0)
		o.now = now_epoch();

	char err[512];
	struct buf cb;
	struct collateral coll;
	read_file_capped(coll_path, 16 * MP_MIB, &cb, 0);
	if (collateral_parse((const char *)cb.data, cb.len, &coll, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse collateral '%s': %s", coll_path, err);
	buf_free(&cb);

	struct qv_anchor anchor;
	if (root_path) {
		struct buf rb;
		read_file_capped(root_path, MP_MIB, &rb, 0);
		if (qv_anchor_load(&anchor, rb.data, rb.len, err, sizeof err))
			fail(EXIT_DATAERR, "cannot use root CA '%s': %s", root_path, err);
		buf_free(&rb);
	} else if (qv_anchor_builtin(&anchor, err, sizeof err)) {
		fail(EXIT_SOFTWARE, "%s", err);
	}

	struct qv *v = qv_new(&coll, &anchor, &o, err, sizeof err);
	if (!v)
		fail(EXIT_DATAERR, "cannot parse collateral '%s': %s", coll_path, err);

	int rc;
	if (lines) {
		rc = run_lines(v, form);
	} else {
		struct buf raw;
		read_quote_stdin(form, &raw);
		int ok;
		jv j = qv_verify(v, raw.data, raw.len, &ok, err, sizeof err);
		buf_free(&raw);
		if (!jv_is_valid(j))
			fail(EXIT_DATAERR, "cannot parse quote: %s", err);
		json_emit(j);
		rc = ok ? EXIT_OK : EXIT_NO;
	}
	if (stats) {
		struct qv_stats s;
		qv_get_stats(v, &s);
		warnx("%ld quotes: %ld ECDSA and %ld PCK chain verifications, %ld cache hits; collateral: %ld ECDSA and "
		      "%ld chain verifications", s.quotes, s.ecdsa, s.chains, s.cache_hits, s.coll_ecdsa, s.coll_chains);
	}
	qv_free(v);
	qv_anchor_free(&anchor);
	collateral_free(&coll);
	close_stdout();
	return rc;
}
