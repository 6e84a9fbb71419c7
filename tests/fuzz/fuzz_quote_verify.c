/* libFuzzer harness: quote-verify's whole per-quote path (quote-verify/) on
 * arbitrary quote bytes, against real collateral checked once at start-up:
 * the quote layout, PCK chain parsing and verification, the QE report and
 * quote signatures, TCB level matching and the verdict JSON. The first byte
 * picks the options (debug, service TD, skipped attributes, Intel rules,
 * report data). Built by `make fuzz` with ASan and UBSan; run from the
 * repository root (or set FUZZ_COLLATERAL to a QuoteCollateralV3 file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/collateral.h"
#include "lib/common.h"
#include "quote-verify/verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct collateral coll;
static struct qv_anchor anchor;
static struct qv *verifiers[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *path = getenv("FUZZ_COLLATERAL");
	if (!path)
		path = "tests/fixtures/vectors/tdx/dcap-qvl/sample/tdx_quote_collateral.json";
	struct buf b;
	char err[512];
	if (read_file_capped(path, 16 * MP_MIB, &b, RF_SOFT)) {
		fprintf(stderr, "fuzz_quote_verify: cannot read %s (run from the repository root)\n", path);
		exit(1);
	}
	if (collateral_parse((const char *)b.data, b.len, &coll, err, sizeof err) ||
	    qv_anchor_builtin(&anchor, err, sizeof err)) {
		fprintf(stderr, "fuzz_quote_verify: %s\n", err);
		exit(1);
	}
	buf_free(&b);
	for (int i = 0; i < 32; i++) {
		struct qv_options o;
		memset(&o, 0, sizeof o);
		o.now = 1752919234;
		o.allow_debug = i & 1;
		o.allow_service_td = i >> 1 & 1;
		o.skip_td_attributes = i >> 2 & 1;
		o.intel_rules = i >> 3 & 1;
		o.expect_report_data_set = i >> 4 & 1;
		o.expect_report_data_len = 8;
		memcpy(o.expect_report_data, "\x9a\x9d\x48\xe7\xf6\x79\x96\x42", 8);
		o.no_cache = i & 1; /* half the verifiers cache PCK chains across inputs */
		if (!(verifiers[i] = qv_new(&coll, &anchor, &o, err, sizeof err))) {
			fprintf(stderr, "fuzz_quote_verify: %s\n", err);
			exit(1);
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char err[512];
	struct qv_result r;
	struct qrun *x = qv_check(verifiers[data[0] & 31], data + 1, size - 1, &r, err, sizeof err);
	if (x) {
		struct buf out;
		struct qv_extra e = {.line = size, .decision = r.verified ? "allowed" : "not-evaluated"};
		buf_init(&out);
		qv_write(x, &e, data[0] >> 5 & 1, &out);
		buf_free(&out);
		qv_end(x);
	}
	return 0;
}
