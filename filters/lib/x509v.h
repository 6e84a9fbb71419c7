/* Certificate chains and CRLs as DCAP verification needs them: every chain
 * ends at one trust anchor, every certificate below the anchor needs a CRL
 * from its issuer (unknown revocation status is a failure), at a given time.
 * OpenSSL 3 X509_verify_cert underneath. */
#ifndef MP_X509V_H
#define MP_X509V_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* One certificate from PEM or DER bytes; NULL with err. */
X509 *x509v_load_cert(const uint8_t *p, size_t n, char *err, size_t errlen);
/* One CRL from DER or PEM bytes; NULL with err. */
X509_CRL *x509v_load_crl(const uint8_t *p, size_t n, char *err, size_t errlen);

struct x509v {
	X509_STORE *store;
	X509 *anchor;
	STACK_OF(X509_CRL) *crls;
	long long now;
	int verifications;      /* chain verifications run (for statistics) */
};

/* Set up verification against anchor (a self-signed root; a reference is
 * taken) with the given CRLs (references taken) at time now. 0 or -1. */
int x509v_init(struct x509v *v, X509 *anchor, X509_CRL *const *crls, int ncrls, long long now);
void x509v_free(struct x509v *v);

/* Verify chain[0] up to the anchor, chain[1..n-1] being untrusted
 * intermediates (a copy of the root among them is ignored), with CRL checks
 * on every certificate. Returns 1 when valid; 0 with err naming the
 * certificate and the reason. note (may be NULL) receives remarks about
 * accepted oddities (a CRL whose thisUpdate lies after now, which dcap-qvl
 * accepts too). */
int x509v_verify(struct x509v *v, X509 *const *chain, int n, char *err, size_t errlen, char *note,
		 size_t notelen);

/* 1 when cert is listed as revoked by one of the CRLs whose issuer is the
 * anchor and whose signature verifies with the anchor's key; 0 otherwise. */
int x509v_anchor_revoked(struct x509v *v, X509 *cert);

/* "CN=..." of a certificate's subject (the CN alone when present) into out. */
void x509v_cn(X509 *x, char *out, size_t n);

/* SHA-256 of the DER encoding. */
void x509v_fingerprint(X509 *x, uint8_t out[32]);

#endif
