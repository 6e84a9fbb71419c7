/* Certificates and CRLs for DCAP without OpenSSL's decoders: read once with
 * the DER walker (lib/der.c), public keys built from the certificate's raw
 * P-256 point, every signature (of a certificate, of a CRL) verified at most
 * once per issuer. What they do not handle they mark (an unsupported
 * critical extension, an issuing distribution point or delta CRL, a key
 * that is not P-256) so that chain.c refuses it. */
#ifndef QV_CERTS_H
#define QV_CERTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/der.h"

/* keyUsage bits as OpenSSL keeps them (the first byte of the BIT STRING) */
enum { KU_KEY_CERT_SIGN = 0x04, KU_CRL_SIGN = 0x02 };

struct dcert {
	uint8_t *der;           /* owned */
	size_t len;
	struct cert_scan s;     /* points into der; s.ext is the Intel SGX extension */
	uint8_t xy[64];         /* the subject key, when p256 */
	int p256;               /* an uncompressed P-256 point on a named curve */
	EVP_PKEY *key;          /* made from xy on first use */
	int bc, ca, pathlen;    /* basicConstraints present, cA, pathLenConstraint (-1: none) */
	int ku_set;             /* keyUsage present */
	unsigned ku;            /* its first two bytes, as OpenSSL keeps them */
	struct der skid;        /* subjectKeyIdentifier, or p == NULL */
	struct der akid_keyid, akid_serial, akid_name; /* authorityKeyIdentifier parts, or p == NULL */
	int ext_critical;       /* an unsupported critical extension */
	int ext_invalid;        /* a repeated or malformed extension */
	int self_issued, self_signed;
	char cn[200];           /* "CN=..." (or the whole name), for messages */
	const struct dcert *sig_by; /* the issuer that judged the signature (sig_ok) */
	int sig_ok;
};

struct dcrl {
	uint8_t *der;
	size_t len;
	struct der tbs, tbs_alg, sig_alg, sig, issuer;
	long long last, next;   /* thisUpdate, nextUpdate (-1 when absent) */
	struct der akid_keyid, akid_serial, akid_name;
	int unsupported;        /* an issuing distribution point, a delta or freshest CRL */
	int critical;           /* an unhandled critical extension (of the CRL or of an entry) */
	struct der *revoked;    /* serial numbers (INTEGER contents) */
	int nrevoked;
	const struct dcert *sig_by;
	int sig_ok;
};

/* One certificate from PEM (the first block) or exact DER; 0, or -1 with err. */
int dcert_load(struct dcert *c, const uint8_t *p, size_t n, char *err, size_t errlen);
void dcert_free(struct dcert *c);
/* The P-256 key of c, or NULL. */
EVP_PKEY *dcert_key(struct dcert *c);
/* Whether x is signed (ECDSA P-256 with SHA-256) by the key of issuer;
 * judged once per issuer, *count incremented when judged. */
int dcert_signed_by(struct dcert *x, struct dcert *issuer, long *count);

/* A list of certificates: PEM text (every CERTIFICATE block) or DER
 * certificates back to back (zero padding after them allowed), put leaf
 * first when the list starts at its root (*reversed set). 0, or -1 with err. */
struct dcert_list {
	struct dcert *c;
	int n;
	int der;      /* the list was DER */
	int reversed; /* it listed the root first */
};
int dcert_list_parse(struct dcert_list *l, const uint8_t *p, size_t n, char *err, size_t errlen);
void dcert_list_free(struct dcert_list *l);

/* A CRL from DER or PEM bytes; 0, or -1 with err. */
int dcrl_parse(struct dcrl *c, const uint8_t *p, size_t n, char *err, size_t errlen);
void dcrl_free(struct dcrl *c);

/* X509_check_akid: the key identifier, serial and issuer name an AKID names
 * are those of issuer, where both sides have them. */
int dcert_akid_ok(const struct dcert *issuer, struct der keyid, struct der serial, struct der name);
/* Whether c is signed (ECDSA P-256 with SHA-256) by the key of issuer;
 * judged once per issuer, *count incremented when judged. */
int dcrl_signed_by(struct dcrl *c, struct dcert *issuer, long *count);

static inline int der_eq(struct der a, struct der b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }

#endif
