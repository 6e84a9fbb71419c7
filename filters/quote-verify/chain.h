/* DCAP certificate chains: chain_verify() reaches the verdicts of OpenSSL's
 * X509_verify_cert with X509_V_FLAG_CRL_CHECK_ALL at a given time, in its
 * order (chain building, extensions, revocation, then signatures and
 * validity) and with its error texts, for the chains DCAP uses: ECDSA P-256
 * with SHA-256 keys and signatures, one trust anchor, CRLs from each issuer.
 * Whatever it does not handle it refuses: never more lenient than OpenSSL. */
#ifndef QV_CHAIN_H
#define QV_CHAIN_H

#include "certs.h"

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
