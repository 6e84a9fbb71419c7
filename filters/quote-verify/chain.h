/* DCAP certificate chains without OpenSSL's decoders: certificates and CRLs
 * are read once with the DER walker (lib/der.c), public keys are built from
 * the certificate's raw P-256 point, and every signature (a certificate's, a
 * CRL's) is verified at most once per issuer. chain_verify() reaches the
 * verdicts of OpenSSL's X509_verify_cert with X509_V_FLAG_CRL_CHECK_ALL at a
 * given time, in its order (chain building, extensions, revocation,
 * signatures and validity) and with its error texts, for the chains DCAP
 * uses: ECDSA P-256 with SHA-256 keys and signatures, one trust anchor, CRLs
 * from each issuer. Whatever it does not handle it refuses (an unsupported
 * critical extension, an issuing distribution point or delta CRL, another
 * key or signature algorithm): never more lenient than OpenSSL. */
#ifndef QV_CHAIN_H
#define QV_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "lib/der.h"

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

/* One certificate from DER bytes (copied); 0, or -1 with err. */
int dcert_parse(struct dcert *c, const uint8_t *der, size_t len, char *err, size_t errlen);
/* One certificate from PEM (the first block) or exact DER; 0, or -1 with err. */
int dcert_load(struct dcert *c, const uint8_t *p, size_t n, char *err, size_t errlen);
void dcert_free(struct dcert *c);
/* The P-256 key of c, or NULL. */
EVP_PKEY *dcert_key(struct dcert *c);
/* Verify a DER ECDSA-SHA256 signature over msg with the key of c: 1 valid. */
int dcert_verify(struct dcert *c, const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen);
int dcert_same(const struct dcert *a, const struct dcert *b);
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

struct chainv {
	struct dcert *anchor;   /* self-signed, trusted */
	struct dcrl *crls;
	int ncrls;
	long long now;
	long verifications;     /* chains verified */
	long signatures;        /* ECDSA verifications of certificates and CRLs */
};

/* Verify certs[0] up to the anchor, certs[1..n-1] being untrusted
 * intermediates (a copy of the anchor among them is ignored), every
 * certificate with a CRL from its issuer. 1 when valid; 0 with err
 * "REASON (certificate DEPTH, CN=...)". note (may be NULL) receives remarks
 * about accepted oddities (a CRL issued after now, as dcap-qvl accepts). */
int chain_verify(struct chainv *v, struct dcert *certs, int n, char *err, size_t errlen, char *note,
		 size_t notelen);
/* 1 when the anchor is listed in a CRL that it signed. */
int chain_anchor_revoked(struct chainv *v);

#endif
