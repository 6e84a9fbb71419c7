/* The Intel DCAP quote layout (TDX v4/v5, SGX v3) and the PCK certificate's
 * Intel SGX extension. See ../shared/reference/tdx-quote.md sections 2-5.
 * The parser keeps pointers into the caller's buffer; nothing is copied. */
#ifndef MP_TDX_H
#define MP_TDX_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "der.h"

#define TDX_HEADER_LEN 48
#define SGX_REPORT_LEN 384
#define TD10_REPORT_LEN 584
#define TD15_REPORT_LEN 648
#define TEE_TYPE_SGX 0x00000000u
#define TEE_TYPE_TDX 0x00000081u
#define AK_TYPE_ECDSA_P256 2
#define QUOTE_MAX_LEN (1u << 20)

extern const uint8_t INTEL_QE_VENDOR_ID[16];

enum body_kind { BODY_SGX = 1, BODY_TD10 = 2, BODY_TD15 = 3 };

/* TD report offsets inside the body */
enum {
	TD_TEE_TCB_SVN = 0, TD_MR_SEAM = 16, TD_MR_SIGNER_SEAM = 64, TD_SEAM_ATTRIBUTES = 112,
	TD_TD_ATTRIBUTES = 120, TD_XFAM = 128, TD_MR_TD = 136, TD_MR_CONFIG_ID = 184,
	TD_MR_OWNER = 232, TD_MR_OWNER_CONFIG = 280, TD_RT_MR0 = 328, TD_RT_MR1 = 376,
	TD_RT_MR2 = 424, TD_RT_MR3 = 472, TD_REPORT_DATA = 520, TD_TEE_TCB_SVN2 = 584,
	TD_MR_SERVICE_TD = 600
};
/* SGX enclave report (also the QE report) offsets */
enum {
	ER_CPU_SVN = 0, ER_MISC_SELECT = 16, ER_ATTRIBUTES = 48, ER_MR_ENCLAVE = 64,
	ER_MR_SIGNER = 128, ER_ISV_PROD_ID = 256, ER_ISV_SVN = 258, ER_REPORT_DATA = 320
};

struct tdx_quote {
	const uint8_t *raw;
	size_t len;             /* whole input, padding included */
	uint16_t version, ak_type;
	uint32_t tee_type;
	int has_descriptor;     /* v5 */
	uint16_t body_type;     /* v5 descriptor, or implied */
	uint32_t body_size;
	enum body_kind kind;
	const uint8_t *body;
	size_t body_off, body_len;
	size_t signed_len;      /* header [+ descriptor] + body */
	uint32_t sig_data_len;
	const uint8_t *sig;     /* 64: r||s over raw[0..signed_len) */
	const uint8_t *att_key; /* 64: x||y */
	int has_outer;          /* v4/v5: type-6 wrapper */
	uint16_t outer_type;
	uint32_t outer_size;
	const uint8_t *qe_report;     /* 384 */
	const uint8_t *qe_report_sig; /* 64 */
	uint16_t qe_auth_len;
	const uint8_t *qe_auth;
	uint16_t cert_type;
	uint32_t cert_size;
	const uint8_t *cert_data;
	size_t cert_off;
	size_t end;             /* offset just past the signature data */
	size_t trailing;        /* bytes after the signature data */
};

/* Parse a quote. Returns 0, or -1 with err naming the field and byte offset. */
int tdx_parse(const uint8_t *buf, size_t len, struct tdx_quote *q, char *err, size_t errlen);
int tdx_is_td(const struct tdx_quote *q);
const char *body_kind_name(enum body_kind k);

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* OpenSSL certificates, in the order given. */
struct cert_chain {
	X509 **certs;
	int n;
};
/* The certificates of PEM text, in order (OpenSSL objects, for checking a
 * service's answer); 0, or -1 with err. */
int cert_chain_parse_pem(const char *p, size_t n, struct cert_chain *c, char *err, size_t errlen);
void cert_chain_free(struct cert_chain *c);
char *cert_to_pem(X509 *x);

/* Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate;
 * SGX_EXT_OID is the DER contents of that OID. */
extern const uint8_t SGX_EXT_OID[9];
struct pck_ext {
	uint8_t ppid[16];
	int has_ppid;
	int comp[16];          /* SGX TCB component SVNs (.2.1-.2.16) */
	int pcesvn;            /* .2.17 */
	uint8_t cpusvn[16];    /* .2.18 */
	uint8_t pceid[2];
	uint8_t fmspc[6];
	int sgx_type;          /* .5, -1 when absent */
	uint8_t platform_instance_id[16];
	int has_platform_instance_id;
	int dynamic_platform, cached_keys, smt_enabled; /* .7.*, -1 absent */
};
/* From the extension's DER value; 0, or -1 with err. */
int pck_ext_parse_der(const uint8_t *p, size_t n, struct pck_ext *e, char *err, size_t errlen);

/* The type-5 chain read structurally (no OpenSSL decoders): DER of each
 * certificate leaf-first, the leaf's fields and its SGX extension. It checks
 * no signature. */
struct pck_chain {
	int n;
	uint8_t **der;
	size_t *len;
	int is_der;    /* the quote carried DER, not PEM */
	int reversed;  /* the quote listed the root first */
	struct cert_scan leaf; /* points into der[0] */
	struct pck_ext ext;
};
int pck_chain_scan(const uint8_t *p, size_t n, struct pck_chain *c, char *err, size_t errlen);
void pck_chain_free(struct pck_chain *c);
/* "platform" or "processor" from an issuer's RFC 2253 text; NULL if neither. */
const char *pck_ca_type_name(const char *issuer_text);
const char *sgx_type_name(int t);

/* ASN1 time as epoch seconds; -1 on error. */
long long asn1_time_epoch(const ASN1_TIME *t);

#endif
