/* A strict, allocation-free walker over DER, and a structural scan of an X.509
 * certificate (the signed bytes, serial, names, validity, key, extensions)
 * without OpenSSL's decoders, fast enough for tens of thousands of PCK chains
 * a second. It checks no signature. */
#ifndef MP_DER_H
#define MP_DER_H

#include <stddef.h>
#include <stdint.h>

struct der {
	const uint8_t *p;
	size_t n;
};

/* Read one TLV (single-byte tags, definite lengths up to 2^24) from d into
 * tag/val, advancing d; 0 or -1. */
int der_next(struct der *d, int *tag, struct der *val);

/* The envelope of a signed X.509 object (a certificate, a CRL): SEQUENCE
 * {tbs SEQUENCE, algorithm SEQUENCE, signature BIT STRING} and nothing after
 * it. tbs_tlv: the signed bytes (tag and length included); the rest are the
 * contents. 0, or which part is malformed: 1 the outer SEQUENCE, 2 the TBS,
 * 3 the algorithm or signature. */
int der_signed(const uint8_t *p, size_t n, struct der *tbs_tlv, struct der *tbs, struct der *alg, struct der *sig);
/* The next of DER certificates back to back, zero padding after them
 * allowed: 1 with its bytes (tag and length included) in *cert, 0 at the
 * end, -1 when what follows is no SEQUENCE (all then still points at it). */
int der_next_cert(struct der *all, struct der *cert);

/* UTCTime (tag 0x17) or GeneralizedTime (0x18) ending in Z as epoch seconds; -1 if malformed. */
long long der_time(int tag, struct der v);

struct cert_scan {
	struct der tbs;                     /* the whole TBSCertificate TLV: the signed bytes */
	int version;                        /* 1, 2 or 3 */
	struct der serial, issuer, subject; /* issuer/subject: the Name SEQUENCE contents */
	long long not_before, not_after;    /* epoch seconds */
	struct der tbs_alg, sig_alg;        /* the signature AlgorithmIdentifier (contents), inside and after the TBS */
	struct der spki;                    /* SubjectPublicKeyInfo contents */
	struct der sig;                     /* signatureValue BIT STRING contents (the unused-bits byte first) */
	struct der exts;                    /* the Extensions SEQUENCE contents, or p == NULL */
	struct der ext;                     /* value of the extension asked for, or p == NULL */
};
/* Scan a DER certificate (every extension must be well-formed); ext_oid (DER
 * contents of an OID, may be NULL) selects the extension whose OCTET STRING
 * value goes to c->ext. 0, or -1 with err. */
int cert_scan(const uint8_t *der, size_t len, const uint8_t *ext_oid, size_t ext_oid_len,
	      struct cert_scan *c, char *err, size_t errlen);
/* RFC 2253 text of a Name (most significant RDN last, as OpenSSL prints it). */
char *der_name_text(struct der name);

/* Split PEM text into the DER of each CERTIFICATE block, in order: returns the
 * count (0 when none), or -1 with err. Each blob is malloc'd into ders[i]. */
int pem_cert_blocks(const char *text, size_t n, uint8_t ***ders, size_t **lens, char *err, size_t errlen);
/* PEM text of a DER certificate (64-column base64), malloc'd. */
char *der_cert_pem(const uint8_t *der, size_t len);

#endif
