/* Inside the verifier: what verify.c (the table of checks), trust.c (the
 * anchor and the collateral's own checks), checks.c and tcb.c (the checks of
 * a quote) and verdict.c (the verdict JSON) share. */
#ifndef QV_QV_H
#define QV_QV_H

#include "lib/tdx.h"
#include "verify.h"

enum result { R_PASS, R_FAIL, R_SKIP };

struct check {
	const char *name;
	enum result r;
	char detail[600];
	char error[300]; /* dcap-qvl's error string when it fails */
};

void ck_pass(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ck_skip(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail with dcap-qvl's error string and a detail. */
void ck_fail(struct check *c, const char *error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define MAX_CHECKS 40
#define CACHE_MAX 256

/* A PCK chain (from a quote, cached by the SHA-256 of its bytes, or the
 * collateral's) and its verification. */
struct pck_entry {
	uint8_t key[32];
	struct dcert_list chain;
	struct pck_ext ext;
	int ext_ok;
	char ext_err[300];
	int verified;           /* -1 not yet, 0 failed, 1 valid */
	char verr[400], vnote[200];
};

struct qe_entry {
	uint8_t key[32];
	int ok;
};

/* The collateral's validity window, as dcap-qvl computes it. */
struct window {
	long long issue_min, issue_max, expire_min;
};

struct qv {
	const struct collateral *c;
	struct qv_anchor *a;
	struct qv_options o;
	struct chainv cv;
	struct dcrl crl[2];                    /* root CA CRL, PCK CRL */
	struct dcert_list tcb_chain, qe_chain; /* qe_chain is empty when both are the same text */
	struct pck_entry *coll_pck;            /* the collateral's PCK chain, when given */
	struct check once[MAX_CHECKS];         /* results of the collateral's checks, by table row */
	struct window win;
	struct pck_entry *pck[CACHE_MAX];
	int npck;
	struct qe_entry qe[CACHE_MAX];
	int nqe, qe_next;
	uint8_t ak_xy[64];
	EVP_PKEY *ak;
	struct qv_stats st;
};

/* One quote's verification in progress: what the checks learn, in order. */
struct qrun {
	struct qv *v;
	struct tdx_quote q;
	const uint8_t *raw;
	size_t len;
	int td;
	const uint8_t *body, *tee;         /* tee: TEE_TCB_SVN (TDX) */
	struct pck_entry *pe;
	int owned;                         /* pe is not cached: free it */
	const struct pck_ext *ext;         /* the leaf's values, once pck_chain passed */
	struct dcert *leaf;
	const struct isv_level *qe_level;
	const struct tcb_level *plevel, *sgx_level;
	const struct module_identity *mod;
	const struct isv_level *mod_level;
	int module_ok;
	int have_status;
	enum tcb_status final;
	const struct advisories *adv[3];
	int nadv;
	struct check ck[MAX_CHECKS];
	int n;
	const char *stopped;               /* the gating check that failed */
	struct qv_result r;
};

typedef void check_fn(struct qrun *x, struct check *c);
typedef void once_fn(struct qv *v, struct check *c);

/* trust.c: the collateral's checks (run once by qv_new), its set-up */
once_fn once_root_ca_revocation, once_tcb_info_window, once_tcb_info_chain, once_tcb_info_signature,
	once_qe_identity_window, once_qe_identity_chain, once_qe_identity_signature;
int trust_setup(struct qv *v, char *err, size_t errlen);
void trust_free(struct qv *v);
/* The issuer CNs of a chain, "CN=a <- CN=b", into out. */
const char *chain_cns(const struct dcert_list *l, char *out, size_t n);
/* A result computed once (by its name). */
const struct check *once_result(const struct qv *v, const char *name);

/* checks.c */
check_fn ck_quote_header, ck_qe_vendor_id, ck_qe_identity_type, ck_pck_chain, ck_qe_report_signature,
	ck_qe_report_data, ck_qe_identity_policy, ck_qe_tcb_level, ck_quote_signature, ck_fmspc, ck_tcb_info_type,
	ck_pce_id, ck_mr_service_td, ck_td_debug, ck_td_reserved_attributes, ck_sept_ve_disable, ck_enclave_debug,
	ck_report_data;
/* tcb.c */
check_fn ck_platform_tcb_level, ck_tdx_module_identity, ck_tdx_module_tcb_level, ck_tcb_status;
/* verdict.c: the verdict of a finished run */
void verdict_write(const struct qrun *x, const struct qv_result *r, const struct qv_extra *e, int pretty,
		   struct buf *out);

/* verify.c: the leaf's SGX extension into e (ext_ok, or ext_err) */
void pck_entry_ext(struct pck_entry *e);
/* whether the QE report signature verifies (cached) */
int qv_qe_signature_ok(struct qrun *x);
/* The attestation key from x||y (cached); NULL when not a P-256 point. */
EVP_PKEY *qv_attestation_key(struct qv *v, const uint8_t xy[64]);

#endif
