/* DCAP collateral: dcap-qvl's QuoteCollateralV3 JSON, the TCB info and the
 * QE identity it carries (../shared/reference/tdx-quote.md section 7).
 * The signed texts are kept byte for byte as served: Intel signs those bytes,
 * never a re-serialisation. */
#ifndef MP_COLLATERAL_H
#define MP_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* TCB statuses, in dcap-qvl's order of severity (merge keeps the worst);
 * the two relaunch statuses exist only in Intel's rules. */
enum tcb_status {
	TCB_UP_TO_DATE, TCB_SW_HARDENING_NEEDED, TCB_CONFIGURATION_NEEDED,
	TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, TCB_OUT_OF_DATE,
	TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, TCB_REVOKED,
	TCB_TD_RELAUNCH_ADVISED, TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
};
const char *tcb_status_name(enum tcb_status s);

struct advisories {
	char **ids;
	int n;
};

/* A platform TCB level of a TCB info. */
struct tcb_level {
	int sgx[16];
	int pcesvn;
	int tdx[16];
	int has_tdx;
	enum tcb_status status;
	char *date;             /* tcbDate as served */
	struct advisories adv;
	int index;              /* position in the served tcbLevels array */
};

/* An enclave (QE, TDX module) TCB level: an ISVSVN threshold. */
struct isv_level {
	int isvsvn;
	enum tcb_status status;
	char *date;
	struct advisories adv;
};

struct module_identity {
	char id[16];            /* "TDX_01" */
	uint8_t mrsigner[48], attributes[8], attributes_mask[8];
	struct isv_level *levels;
	int nlevels;
};

struct tcb_info {
	char id[8];             /* "TDX" or "SGX" */
	int version;
	long long issue_date, next_update;
	uint8_t fmspc[6], pceid[2];
	int tcb_type, eval_num;
	int has_module;         /* tdxModule present */
	uint8_t module_mrsigner[48], module_attributes[8], module_attributes_mask[8];
	struct module_identity *modules;
	int nmodules;
	struct tcb_level *levels; /* sorted as Intel's set: highest first */
	int nlevels;
};

struct qe_identity {
	char id[8];             /* "TD_QE" or "QE" */
	int version;
	long long issue_date, next_update;
	int eval_num;
	uint8_t miscselect[4], miscselect_mask[4], attributes[16], attributes_mask[16], mrsigner[32];
	int isvprodid;
	struct isv_level *levels;
	int nlevels;
};

/* QuoteCollateralV3 */
struct collateral {
	char *tcb_info;         /* exact signed text */
	size_t tcb_info_len;
	char *qe_identity;
	size_t qe_identity_len;
	uint8_t tcb_info_sig[64], qe_identity_sig[64];
	char *tcb_info_issuer_chain, *qe_identity_issuer_chain, *pck_crl_issuer_chain;
	char *pck_certificate_chain; /* NULL when absent */
	uint8_t *root_ca_crl, *pck_crl;
	size_t root_ca_crl_len, pck_crl_len;
	struct tcb_info ti;
	struct qe_identity qi;
};

/* Parse a QuoteCollateralV3 JSON document, including the TCB info and QE
 * identity texts. Byte fields may be hex strings or arrays of byte values.
 * Returns 0, or -1 with err naming the field. */
int collateral_parse(const char *json, size_t n, struct collateral *c, char *err, size_t errlen);
void collateral_free(struct collateral *c);

int tcb_info_parse(const char *text, size_t n, struct tcb_info *t, char *err, size_t errlen);
void tcb_info_free(struct tcb_info *t);
int qe_identity_parse(const char *text, size_t n, struct qe_identity *q, char *err, size_t errlen);
void qe_identity_free(struct qe_identity *q);

#endif
