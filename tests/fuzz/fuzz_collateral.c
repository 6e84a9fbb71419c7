/* libFuzzer harness: collateral parsing on arbitrary bytes: the
 * QuoteCollateralV3 JSON with the TCB info and QE identity texts it carries
 * (lib/collateral.c), the exact-span scanner collateral-fetch uses on PCS
 * answers, and quote-verify's set-up of a verifier (CRLs, issuer chains,
 * the collateral's own checks). Built by `make fuzz` with ASan and UBSan. */
#include <string.h>

#include "lib/collateral.h"
#include "lib/jscan.h"
#include "lib/common.h"
#include "quote-verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	const char *text = (const char *)data;
	size_t off, len;
	/* a PCS answer: the exact bytes of its members */
	if (json_member_span(text, size, "tcbInfo", &off, &len) == 0) {
		struct tcb_info ti;
		if (tcb_info_parse(text + off, len, &ti, err, sizeof err) == 0)
			tcb_info_free(&ti);
	}
	if (json_member_span(text, size, "enclaveIdentity", &off, &len) == 0) {
		struct qe_identity qi;
		if (qe_identity_parse(text + off, len, &qi, err, sizeof err) == 0)
			qe_identity_free(&qi);
	}
	/* a QuoteCollateralV3 document, then a verifier over it */
	struct collateral c;
	if (collateral_parse(text, size, &c, err, sizeof err) == 0) {
		struct qv_anchor a;
		if (qv_anchor_builtin(&a, err, sizeof err) == 0) {
			struct qv_options o;
			memset(&o, 0, sizeof o);
			o.now = 1752919234;
			struct qv *v = qv_new(&c, &a, &o, err, sizeof err);
			qv_free(v);
			qv_anchor_free(&a);
		}
		collateral_free(&c);
	}
	return 0;
}
