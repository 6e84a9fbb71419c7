/* DCAP quote verification (TDX v4/v5, SGX v3) against QuoteCollateralV3
 * collateral, as ../shared/reference/tdx-quote.md section 6 describes it:
 * dcap-qvl's algorithm and error strings by default, Intel QVL's rules on
 * request. Used by quote-verify's main and its fuzz harnesses.
 *
 * The verdict is a JSON object (see quote-verify --help and the README): the
 * checks of the table in verify.c in order, each "pass", "fail" or "skip"
 * with a detail; the first failure names failed_check and error. The checks
 * up to pce_id establish trust and stop the run when they fail (later checks
 * are "skip"); the judgement checks after them (TCB levels, TCB status, TD
 * attributes, report data) are all evaluated so that a report shows every
 * reason at once. */
#ifndef QV_VERIFY_H
#define QV_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "lib/collateral.h"
#include "lib/intel_root_ca.h"

struct qv_anchor {
	struct dcert cert;   /* self-signed, ECDSA P-256 */
	uint8_t sha256[32];  /* of the DER */
	char *subject;       /* RFC 2253 */
	int builtin;
};
/* The built-in Intel SGX Root CA (its fingerprint is checked); 0 or -1. */
int qv_anchor_builtin(struct qv_anchor *a, char *err, size_t errlen);
/* A root CA from PEM or DER bytes; 0 or -1 with err. */
int qv_anchor_load(struct qv_anchor *a, const uint8_t *p, size_t n, char *err, size_t errlen);
void qv_anchor_free(struct qv_anchor *a);

struct qv_options {
	long long now;               /* verification time, epoch seconds */
	int allow_debug;             /* accept a debug TD or enclave */
	int allow_service_td;        /* accept a non-zero MRSERVICETD (TD 1.5) */
	int skip_td_attributes;      /* report the TD attribute policy as skipped */
	int intel_rules;             /* Intel QVL's TCB rules instead of dcap-qvl's */
	int no_cache;                /* verify every PCK chain and QE report anew */
	int expect_report_data_set;  /* check report data starts with expect_report_data */
	uint8_t expect_report_data[64];
	size_t expect_report_data_len;
};

struct qv;

/* Prepare verification against one collateral: parse its CRLs and issuer
 * chains and run the checks that concern the collateral alone (root CA
 * revocation, TCB info and QE identity windows, chains and signatures) once.
 * c and a are borrowed and must outlive the verifier. Returns NULL with err
 * when the collateral is malformed (a CRL or chain that does not parse). */
struct qv *qv_new(const struct collateral *c, struct qv_anchor *a, const struct qv_options *o, char *err,
		  size_t errlen);
/* The answer for one quote; the strings live until qv_end. */
struct qv_result {
	int verified;             /* every check passed */
	const char *failed_check; /* the first failed check's name, and dcap-qvl's error string; NULL when verified */
	const char *error;
	const char *status;       /* the TCB status, or NULL when none was reached */
	const char *advisories[48]; /* the advisory IDs of the status (platform, module, QE; no repeats) */
	int nadvisories;
};
struct qrun;
/* Run the checks on one quote: the run (for qv_write, then qv_end), or NULL
 * with err when the quote is malformed. */
struct qrun *qv_check(struct qv *v, const uint8_t *quote, size_t len, struct qv_result *r, char *err, size_t errlen);
/* What quote-verify adds to a verdict: the line in batch mode (0: none) and
 * the TCB-status gate (decision NULL: none). */
struct qv_extra {
	size_t line;
	const char *const *allowed;
	int nallowed;
	const char *decision;
};
/* Append the verdict (canonical JSON, pretty or compact, and a newline) to out. */
void qv_write(const struct qrun *x, const struct qv_extra *e, int pretty, struct buf *out);
void qv_end(struct qrun *x);
void qv_free(struct qv *v);

struct qv_stats {
	long quotes;
	long ecdsa;        /* ECDSA verifications for the quotes, outside chain verification */
	long chains;       /* PCK certificate chain verifications */
	long cache_hits;   /* PCK chains and QE report signatures found in the cache */
	long coll_ecdsa;   /* once for the collateral: its two signatures */
	long coll_chains;  /* once for the collateral: its issuer chains (one when shared) */
};
void qv_get_stats(const struct qv *v, struct qv_stats *s);

#endif
