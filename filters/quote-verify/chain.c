/* The verification of a chain under one anchor with CRLs, as
 * X509_verify_cert judges it (see chain.h). */
#include "chain.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

static int dcert_same(const struct dcert *a, const struct dcert *b)
{
	return a->len == b->len && memcmp(a->der, b->der, a->len) == 0;
}

static int crl_sig_ok(struct chainv *v, struct dcrl *c, struct dcert *issuer)
{
	return dcrl_signed_by(c, issuer, &v->signatures);
}

int chain_anchor_revoked(struct chainv *v)
{
	struct dcert *a = v->anchor;
	for (int i = 0; i < v->ncrls; i++) {
		struct dcrl *c = &v->crls[i];
		if (!der_eq(c->issuer, a->s.subject) || !crl_sig_ok(v, c, a))
			continue;
		for (int k = 0; k < c->nrevoked; k++)
			if (der_eq(c->revoked[k], a->s.serial))
				return 1;
	}
	return 0;
}

#define MAX_PATH 10

struct path {
	struct dcert *c[MAX_PATH + 1];
	int n;
	int depth; /* of the certificate an error is about */
	char note[200];
};

/* The chain builder's check_issued (ossl_x509_likely_issued): names, AKID,
 * and a key that fits the subject's signature algorithm; key usage is judged
 * later, as check_ca, by check_extensions. */
static int issued(const struct dcert *issuer, const struct dcert *subject)
{
	return der_eq(issuer->s.subject, subject->s.issuer) && !issuer->ext_invalid && !subject->ext_invalid &&
	       dcert_akid_ok(issuer, subject->akid_keyid, subject->akid_serial, subject->akid_name) && issuer->p256;
}

static int in_path(const struct path *p, const struct dcert *c)
{
	for (int i = 0; i < p->n; i++)
		if (dcert_same(p->c[i], c))
			return 1;
	return 0;
}

/* An untrusted issuer of the top certificate: the first valid at now, else
 * the one that expires last (OpenSSL's find_issuer). */
static struct dcert *find_issuer(struct chainv *v, struct dcert *certs, int n, const struct path *p)
{
	struct dcert *top = p->c[p->n - 1], *best = NULL;
	for (int i = 1; i < n; i++) {
		struct dcert *c = &certs[i];
		if (!issued(c, top) || in_path(p, c))
			continue;
		if (c->s.not_before <= v->now && c->s.not_after > v->now)
			return c;
		if (!best || c->s.not_after > best->s.not_after)
			best = c;
	}
	return best;
}

static int build_path(struct chainv *v, struct dcert *certs, int n, struct path *p)
{
	p->c[0] = &certs[0];
	p->n = 1;
	for (;;) {
		struct dcert *top = p->c[p->n - 1];
		p->depth = p->n - 1;
		if (top->self_signed) {
			if (dcert_same(top, v->anchor)) {
				p->c[p->n - 1] = v->anchor;
				return 0;
			}
			/* a self-signed certificate that is not the anchor (a mimic of it, or another root) */
			return p->n == 1 ? X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT : X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
		}
		if (issued(v->anchor, top)) {
			p->c[p->n++] = v->anchor;
			return 0;
		}
		if (p->n >= MAX_PATH)
			return X509_V_ERR_CERT_CHAIN_TOO_LONG;
		struct dcert *next = find_issuer(v, certs, n, p);
		if (!next)
			return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
		p->c[p->n++] = next;
	}
}

/* X509_check_ca: 0 not a CA, 1 by basicConstraints, more for tolerated roots */
static int check_ca(const struct dcert *x)
{
	if (x->ku_set && !(x->ku & KU_KEY_CERT_SIGN))
		return 0;
	if (x->bc)
		return x->ca;
	if (x->s.version == 1 && x->self_signed)
		return 3;
	return x->ku_set ? 4 : 0;
}

static int check_extensions(struct path *p)
{
	int plen = 0;
	for (int i = 0; i < p->n; i++) {
		const struct dcert *x = p->c[i];
		p->depth = i;
		if (x->ext_critical)
			return X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION;
		if (i > 0) {
			int ca = check_ca(x);
			if (ca == 0 || (i + 1 < p->n && ca != 1))
				return X509_V_ERR_INVALID_CA;
		}
		if (i > 1 && x->pathlen >= 0 && plen > x->pathlen)
			return X509_V_ERR_PATH_LENGTH_EXCEEDED;
		if (i > 0 && !x->self_issued)
			plen++;
	}
	return 0;
}

enum { S_AKID = 0x004, S_SAME_PATH = 0x008, S_ISSUER_CERT = 0x018, S_ISSUER_NAME = 0x020, S_TIME = 0x040,
       S_SCOPE = 0x080, S_NOCRITICAL = 0x100 };

/* get_crl_score: how well CRL c fits the certificate at depth i; 0 not at all. */
static int crl_score(struct chainv *v, const struct path *p, int i, const struct dcrl *c, struct dcert **issuer)
{
	const struct dcert *x = p->c[i];
	if (c->unsupported || !der_eq(x->s.issuer, c->issuer))
		return 0;
	int score = S_ISSUER_NAME | S_SCOPE | (c->critical ? 0 : S_NOCRITICAL);
	if (c->last <= v->now && !(c->next >= 0 && c->next <= v->now))
		score |= S_TIME;
	int k = i + 1 < p->n ? i + 1 : i;
	if (dcert_akid_ok(p->c[k], c->akid_keyid, c->akid_serial, c->akid_name)) {
		*issuer = p->c[k];
		return score | S_AKID | S_ISSUER_CERT;
	}
	for (k++; k < p->n; k++)
		if (der_eq(p->c[k]->s.subject, c->issuer) && dcert_akid_ok(p->c[k], c->akid_keyid, c->akid_serial, c->akid_name)) {
			*issuer = p->c[k];
			return score | S_AKID | S_SAME_PATH;
		}
	return 0;
}

static int is_revoked(const struct dcrl *c, const struct dcert *x)
{
	for (int k = 0; k < c->nrevoked; k++)
		if (der_eq(c->revoked[k], x->s.serial))
			return 1;
	return 0;
}

/* check_cert with check_crl and cert_crl: the best CRL for depth i, its
 * issuer's key usage, its time, its signature, then the serial. */
static int check_cert_crl(struct chainv *v, struct path *p, int i)
{
	struct dcrl *best = NULL;
	struct dcert *iss = NULL;
	int best_score = 0;
	for (int k = 0; k < v->ncrls; k++) {
		struct dcert *ci = NULL;
		int s = crl_score(v, p, i, &v->crls[k], &ci);
		if (s == 0 || s < best_score || (s == best_score && best && !(v->crls[k].last > best->last)))
			continue;
		best = &v->crls[k];
		best_score = s;
		iss = ci;
	}
	if (!best)
		return X509_V_ERR_UNABLE_TO_GET_CRL;
	if (iss->ku_set && !(iss->ku & KU_CRL_SIGN))
		return X509_V_ERR_KEYUSAGE_NO_CRL_SIGN;
	if (!(best_score & S_TIME)) {
		if (best->last > v->now && !p->note[0])
			snprintf(p->note, sizeof p->note,
				 "a CRL's thisUpdate lies after the verification time (accepted, as dcap-qvl does)");
		if (best->next >= 0 && best->next <= v->now)
			return X509_V_ERR_CRL_HAS_EXPIRED;
	}
	if (!dcert_key(iss))
		return X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY;
	if (!crl_sig_ok(v, best, iss))
		return X509_V_ERR_CRL_SIGNATURE_FAILURE;
	if (best->critical)
		return X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION;
	return is_revoked(best, p->c[i]) ? X509_V_ERR_CERT_REVOKED : 0;
}

/* internal_verify: from the anchor down, each signature by the certificate
 * above it (the anchor's own is not checked), then each validity period. */
static int check_signatures(struct chainv *v, struct path *p)
{
	for (int i = p->n - 1; i >= 0; i--) {
		struct dcert *x = p->c[i];
		p->depth = i;
		if (i < p->n - 1) {
			if (!dcert_key(p->c[i + 1]))
				return X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY;
			if (!dcert_signed_by(x, p->c[i + 1], &v->signatures))
				return X509_V_ERR_CERT_SIGNATURE_FAILURE;
		}
		if (x->s.not_before > v->now)
			return X509_V_ERR_CERT_NOT_YET_VALID;
		if (x->s.not_after <= v->now)
			return X509_V_ERR_CERT_HAS_EXPIRED;
	}
	return 0;
}

int chain_verify(struct chainv *v, struct dcert *certs, int n, char *err, size_t errlen, char *note, size_t notelen)
{
	struct path p;
	int code;
	memset(&p, 0, sizeof p);
	if (note && notelen)
		note[0] = 0;
	if (n < 1) {
		snprintf(err, errlen, "empty certificate chain");
		return 0;
	}
	v->verifications++;
	if (!(code = build_path(v, certs, n, &p)) && !(code = check_extensions(&p))) {
		for (int i = 0; i < p.n && !code; i++) {
			p.depth = i;
			code = check_cert_crl(v, &p, i);
		}
		if (!code)
			code = check_signatures(v, &p);
	}
	if (note && notelen && p.note[0])
		snprintf(note, notelen, "%s", p.note);
	if (!code)
		return 1;
	snprintf(err, errlen, "%s (certificate %d, %s)", X509_verify_cert_error_string(code), p.depth,
		 p.c[p.depth]->cn);
	return 0;
}
