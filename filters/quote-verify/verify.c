#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "lib/codec.h"
#include "lib/der.h"
#include "lib/ecdsa.h"
#include "lib/json.h"
#include "lib/tdx.h"
#include "lib/x509v.h"
#include "lib/sha.h"

/* ---- trust anchor ---- */

/* The built-in root's bytes are checked by fingerprint; another root must
 * at least be self-issued and self-signed. */
static int anchor_from(struct qv_anchor *a, X509 *x, int check_sig, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0) {
		snprintf(err, errlen, "the root CA is not self-issued (subject differs from issuer)");
		X509_free(x);
		return -1;
	}
	EVP_PKEY *k = X509_get0_pubkey(x);
	if (!k || (check_sig && X509_verify(x, k) != 1)) {
		ERR_clear_error();
		snprintf(err, errlen, "the root CA's self-signature does not verify");
		X509_free(x);
		return -1;
	}
	unsigned char *der = NULL;
	int dl = i2d_X509(x, &der);
	if (dl <= 0) {
		snprintf(err, errlen, "cannot encode the root CA");
		X509_free(x);
		return -1;
	}
	a->der = xmalloc((size_t)dl);
	memcpy(a->der, der, (size_t)dl);
	a->der_len = (size_t)dl;
	OPENSSL_free(der);
	a->cert = x;
	x509v_fingerprint(x, a->sha256);
	a->subject = x509_name_text(X509_get_subject_name(x));
	return 0;
}

int qv_anchor_builtin(struct qv_anchor *a, char *err, size_t errlen)
{
	uint8_t md[32];
	char hex[65];
	sha256(INTEL_SGX_ROOT_CA_DER, INTEL_SGX_ROOT_CA_DER_LEN, md);
	hex_encode_to(md, 32, hex);
	if (strcmp(hex, INTEL_SGX_ROOT_CA_SHA256) != 0) {
		snprintf(err, errlen, "the built-in Intel SGX Root CA is corrupt (SHA-256 %s)", hex);
		return -1;
	}
	X509 *x = x509v_load_cert(INTEL_SGX_ROOT_CA_DER, INTEL_SGX_ROOT_CA_DER_LEN, err, errlen);
	if (!x || anchor_from(a, x, 0, err, errlen))
		return -1;
	a->builtin = 1;
	return 0;
}

int qv_anchor_load(struct qv_anchor *a, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	X509 *x = x509v_load_cert(p, n, err, errlen);
	return x ? anchor_from(a, x, 1, err, errlen) : -1;
}

void qv_anchor_free(struct qv_anchor *a)
{
	X509_free(a->cert);
	free(a->der);
	free(a->subject);
	memset(a, 0, sizeof *a);
}

/* ---- checks ---- */

enum result { R_PASS, R_FAIL, R_SKIP };
enum { OPEN = 0, GATE = 1 };

struct check {
	const char *name;
	enum result r;
	int gate;
	char detail[600];
	char error[300];
};

#define MAX_CHECKS 40

struct run {
	struct check ck[MAX_CHECKS];
	int n;
	const char *stopped; /* the gating check that failed */
};

/* Start a check; NULL (and a "skip" entry) when an earlier gate failed. */
static struct check *begin(struct run *r, const char *name, int gate)
{
	struct check *c = &r->ck[r->n++];
	memset(c, 0, sizeof *c);
	c->name = name;
	c->gate = gate;
	if (r->stopped) {
		c->r = R_SKIP;
		snprintf(c->detail, sizeof c->detail, "not evaluated: %s failed", r->stopped);
		return NULL;
	}
	return c;
}

static void vfmt(char *out, size_t n, const char *fmt, va_list ap)
{
	vsnprintf(out, n, fmt, ap);
}

static void pass(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pass(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	c->r = R_PASS;
	vfmt(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
}

static void skip(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void skip(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	c->r = R_SKIP;
	vfmt(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
}

/* Fail with dcap-qvl's error string and a detail. */
static void failc(struct run *r, struct check *c, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void failc(struct run *r, struct check *c, const char *error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	c->r = R_FAIL;
	snprintf(c->error, sizeof c->error, "%s", error);
	vfmt(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	if (c->gate && r && !r->stopped)
		r->stopped = c->name;
}

/* Append a check computed once for the collateral. */
static void add_fixed(struct run *r, const struct check *fixed)
{
	struct check *c = begin(r, fixed->name, fixed->gate);
	if (!c)
		return;
	*c = *fixed;
	if (c->r == R_FAIL && c->gate)
		r->stopped = c->name;
}

/* ---- caches for --lines ---- */

#define CACHE_MAX 256

struct pck_entry {
	uint8_t key[32];
	struct cert_chain chain;
	struct pck_ext ext;
	int ext_ok;
	char ext_err[300];
	int verified;          /* -1 not yet, 0 failed, 1 valid */
	char verr[400], vnote[200];
};

struct qe_entry {
	uint8_t key[32];
	int ok;
};

struct qv {
	const struct collateral *c;
	const struct qv_anchor *a;
	struct qv_options o;
	struct x509v xv;
	X509_CRL *crl[2];        /* root CA CRL, PCK CRL */
	struct cert_chain tcb_chain, qe_chain;
	struct pck_entry *coll_pck; /* the collateral's PCK chain, when given */
	struct check fixed[8];
	int nfixed;
	long long win_issue_min, win_issue_max, win_expire_min;
	struct pck_entry *pck[CACHE_MAX];
	int npck;
	struct qe_entry qe[CACHE_MAX];
	int nqe, qe_next;
	uint8_t ak_xy[64];
	EVP_PKEY *ak;
	struct qv_stats st;
};

void qv_get_stats(const struct qv *v, struct qv_stats *s)
{
	*s = v->st;
	s->ecdsa -= v->st.coll_ecdsa;
	s->chains = v->xv.verifications - v->st.coll_chains;
}

static void pck_entry_free(struct pck_entry *e)
{
	if (!e)
		return;
	cert_chain_free(&e->chain);
	free(e);
}

/* ---- helpers ---- */

static void utc(long long t, char out[32])
{
	if (t < 0)
		snprintf(out, 32, "?");
	else
		format_utc(t, out);
}

static jv jv_utc(long long t)
{
	char s[32];
	if (t < 0)
		return jv_null();
	format_utc(t, s);
	return jv_string(s);
}

static long long crl_time(const ASN1_TIME *t) { return t ? asn1_time_epoch(t) : -1; }

static void window_add(struct qv *v, long long issue, long long expire)
{
	if (issue >= 0) {
		if (v->win_issue_min < 0 || issue < v->win_issue_min)
			v->win_issue_min = issue;
		if (issue > v->win_issue_max)
			v->win_issue_max = issue;
	}
	if (expire >= 0 && (v->win_expire_min < 0 || expire < v->win_expire_min))
		v->win_expire_min = expire;
}

static void window_chain(struct qv *v, const struct cert_chain *ch)
{
	for (int i = 0; i < ch->n; i++)
		window_add(v, asn1_time_epoch(X509_get0_notBefore(ch->certs[i])),
			   asn1_time_epoch(X509_get0_notAfter(ch->certs[i])));
}

static const char *chain_cns(const struct cert_chain *ch, char *out, size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (int i = 0; i < ch->n && used + 4 < n; i++) {
		char cn[200];
		x509v_cn(ch->certs[i], cn, sizeof cn);
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " <- " : "", cn);
	}
	return out;
}

/* Parse a PEM chain, reusing the anchor object for a copy of the anchor:
 * OpenSSL 3's public-key decoding is the dearest part of reading a
 * certificate. Leaf first (a root-first list is reversed). 0, or -1 with err. */
static int chain_from_pem(const struct qv_anchor *a, const char *pem, size_t n, struct cert_chain *ch, char *err,
			  size_t errlen)
{
	uint8_t **ders;
	size_t *lens;
	memset(ch, 0, sizeof *ch);
	int k = pem_cert_blocks(pem, n, &ders, &lens, err, errlen);
	if (k < 0)
		return -1;
	if (k == 0) {
		snprintf(err, errlen, "no PEM certificate found");
		return -1;
	}
	ch->certs = xcalloc((size_t)k, sizeof(X509 *));
	int rc = 0;
	for (int i = 0; i < k; i++) {
		if (rc == 0) {
			X509 *x = NULL;
			if (lens[i] == a->der_len && memcmp(ders[i], a->der, a->der_len) == 0) {
				X509_up_ref(a->cert);
				x = a->cert;
			} else {
				const unsigned char *q = ders[i];
				x = d2i_X509(NULL, &q, (long)lens[i]);
				if (x && q != ders[i] + lens[i]) {
					X509_free(x);
					x = NULL;
				}
			}
			if (x) {
				ch->certs[ch->n++] = x;
			} else {
				char r[256];
				unsigned long e = ERR_peek_last_error();
				if (e)
					ERR_error_string_n(e, r, sizeof r);
				else
					snprintf(r, sizeof r, "trailing bytes");
				ERR_clear_error();
				snprintf(err, errlen, "certificate %d of the chain does not parse: %s", i + 1, r);
				rc = -1;
			}
		}
		free(ders[i]);
	}
	free(ders);
	free(lens);
	if (rc) {
		cert_chain_free(ch);
		return -1;
	}
	X509 *first = ch->certs[0], *last = ch->certs[ch->n - 1];
	if (ch->n >= 2 && X509_NAME_cmp(X509_get_subject_name(first), X509_get_issuer_name(first)) == 0 &&
	    X509_NAME_cmp(X509_get_subject_name(last), X509_get_issuer_name(last)) != 0) {
		for (int i = 0, j = ch->n - 1; i < j; i++, j--) {
			X509 *t = ch->certs[i];
			ch->certs[i] = ch->certs[j];
			ch->certs[j] = t;
		}
		ch->reversed = 1;
	}
	return 0;
}

/* The validity dates of a PEM chain read structurally (no key decoding). */
static int window_pem(struct qv *v, const char *pem, char *err, size_t errlen)
{
	uint8_t **d;
	size_t *l;
	int k = pem_cert_blocks(pem, strlen(pem), &d, &l, err, errlen), rc = k > 0 ? 0 : -1;
	if (k == 0)
		snprintf(err, errlen, "no PEM certificate found");
	for (int i = 0; i < k; i++) {
		struct cert_scan cs;
		if (rc == 0 && cert_scan(d[i], l[i], NULL, 0, &cs, err, errlen) == 0)
			window_add(v, cs.not_before, cs.not_after);
		else
			rc = -1;
		free(d[i]);
	}
	if (k > 0) {
		free(d);
		free(l);
	}
	return rc;
}

/* ECDSA-P256-SHA256 over msg with the key of cert; 1 valid, 0 not. */
static int verify_with_cert(struct qv *v, X509 *cert, const void *msg, size_t n, const uint8_t sig[64])
{
	EVP_PKEY *k = X509_get0_pubkey(cert);
	v->st.ecdsa++;
	int r = k && ec_is_p256(k) ? ecdsa_verify_raw(k, msg, n, sig) : -1;
	ERR_clear_error();
	return r == 1;
}

/* The attestation key from x||y: on-curve check only (P-256 has cofactor 1). */
static EVP_PKEY *att_key(struct qv *v, const uint8_t xy[64])
{
	if (v->ak && !v->o.no_cache && memcmp(v->ak_xy, xy, 64) == 0)
		return v->ak;
	EVP_PKEY_free(v->ak);
	v->ak = NULL;
	EVP_PKEY *k = ec_pub_from_xy(xy);
	if (k) {
		v->ak = k;
		memcpy(v->ak_xy, xy, 64);
	}
	return k;
}

/* ---- the collateral checks, once ---- */

static int parse_chain(const struct qv_anchor *a, const char *pem, const char *what, struct cert_chain *ch, char *err,
		       size_t errlen)
{
	char e2[400];
	if (!pem || chain_from_pem(a, pem, strlen(pem), ch, e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: %s: %s", what, pem ? e2 : "missing");
		return -1;
	}
	return 0;
}

static void collateral_item(struct qv *v, const char *kind, const char *text, size_t len, const uint8_t sig[64],
			    long long issue, long long next, const struct cert_chain *ch, const struct check *reuse,
			    const char *sig_error, const char *early, const char *expired, const char *short_error)
{
	struct check *c;
	char a[32], b[32], t[32], cns[700];
	utc(issue, a);
	utc(next, b);
	utc(v->o.now, t);
	c = &v->fixed[v->nfixed++];
	memset(c, 0, sizeof *c);
	c->name = strcmp(kind, "tcb_info") == 0 ? "tcb_info_window" : "qe_identity_window";
	c->gate = GATE;
	if (v->o.now < issue)
		failc(NULL, c, early, "issued %s, after the verification time %s", a, t);
	else if (v->o.now > next)
		failc(NULL, c, expired, "next update was due %s, before the verification time %s", b, t);
	else
		pass(c, "issued %s, next update %s, verification time %s", a, b, t);

	c = &v->fixed[v->nfixed++];
	memset(c, 0, sizeof *c);
	c->name = strcmp(kind, "tcb_info") == 0 ? "tcb_info_chain" : "qe_identity_chain";
	c->gate = GATE;
	char e[400], note[200];
	if (reuse) {
		const char *name = c->name;
		*c = *reuse; /* the same issuer chain text: the same verification */
		c->name = name;
	} else if (ch->n < 2)
		failc(NULL, c, short_error, "the issuer chain has %d certificate(s): %s", ch->n,
		      chain_cns(ch, cns, sizeof cns));
	else if (!x509v_verify(&v->xv, ch->certs, ch->n, e, sizeof e, note, sizeof note))
		failc(NULL, c, e, "%s: %s", chain_cns(ch, cns, sizeof cns), e);
	else
		pass(c, "%s; revocation checked against the root CA CRL%s%s", chain_cns(ch, cns, sizeof cns),
		     note[0] ? "; " : "", note);

	c = &v->fixed[v->nfixed++];
	memset(c, 0, sizeof *c);
	c->name = strcmp(kind, "tcb_info") == 0 ? "tcb_info_signature" : "qe_identity_signature";
	c->gate = GATE;
	char cn[200] = "?";
	if (ch->n)
		x509v_cn(ch->certs[0], cn, sizeof cn);
	if (ch->n && verify_with_cert(v, ch->certs[0], text, len, sig))
		pass(c, "ECDSA P-256 signature over the %zu bytes served, by %s", len, cn);
	else
		failc(NULL, c, sig_error, "the signature over the %zu bytes served does not verify with the key of %s", len,
		      cn);
}

struct qv *qv_new(const struct collateral *c, const struct qv_anchor *a, const struct qv_options *o, char *err,
		  size_t errlen)
{
	struct qv *v = xcalloc(1, sizeof *v);
	char e2[400];
	v->c = c;
	v->a = a;
	v->o = *o;
	v->win_issue_min = v->win_issue_max = v->win_expire_min = -1;
	v->crl[0] = x509v_load_crl(c->root_ca_crl, c->root_ca_crl_len, e2, sizeof e2);
	if (!v->crl[0]) {
		snprintf(err, errlen, "collateral: root_ca_crl: %s", e2);
		goto bad;
	}
	v->crl[1] = x509v_load_crl(c->pck_crl, c->pck_crl_len, e2, sizeof e2);
	if (!v->crl[1]) {
		snprintf(err, errlen, "collateral: pck_crl: %s", e2);
		goto bad;
	}
	int same_chain = strcmp(c->tcb_info_issuer_chain, c->qe_identity_issuer_chain) == 0;
	if (parse_chain(a, c->tcb_info_issuer_chain, "tcb_info_issuer_chain", &v->tcb_chain, err, errlen) ||
	    (!same_chain &&
	     parse_chain(a, c->qe_identity_issuer_chain, "qe_identity_issuer_chain", &v->qe_chain, err, errlen)))
		goto bad;
	if (c->pck_crl_issuer_chain && *c->pck_crl_issuer_chain && window_pem(v, c->pck_crl_issuer_chain, e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: pck_crl_issuer_chain: %s", e2);
		goto bad;
	}
	if (c->pck_certificate_chain) {
		v->coll_pck = xcalloc(1, sizeof *v->coll_pck);
		v->coll_pck->verified = -1;
		if (parse_chain(a, c->pck_certificate_chain, "pck_certificate_chain", &v->coll_pck->chain, err, errlen))
			goto bad;
		v->coll_pck->ext_ok = pck_ext_parse(v->coll_pck->chain.certs[0], &v->coll_pck->ext, v->coll_pck->ext_err,
						    sizeof v->coll_pck->ext_err) == 0;
	}
	if (x509v_init(&v->xv, a->cert, v->crl, 2, o->now)) {
		snprintf(err, errlen, "cannot set up certificate verification");
		goto bad;
	}

	/* the collateral validity window (dcap-qvl's eight date sources, the PCK chain added per quote) */
	window_add(v, c->ti.issue_date, c->ti.next_update);
	window_add(v, c->qi.issue_date, c->qi.next_update);
	for (int i = 0; i < 2; i++)
		window_add(v, crl_time(X509_CRL_get0_lastUpdate(v->crl[i])), crl_time(X509_CRL_get0_nextUpdate(v->crl[i])));
	window_chain(v, &v->tcb_chain);
	window_chain(v, &v->qe_chain);

	/* root CA revocation */
	struct check *ck = &v->fixed[v->nfixed++];
	ck->name = "root_ca_revocation";
	ck->gate = GATE;
	if (x509v_anchor_revoked(&v->xv, a->cert))
		failc(NULL, ck, "Root CA is revoked", "the trust anchor %s is listed in a CRL it signed", a->subject);
	else
		pass(ck, "the trust anchor is not listed in the CRLs it signed");

	collateral_item(v, "tcb_info", c->tcb_info, c->tcb_info_len, c->tcb_info_sig, c->ti.issue_date,
			c->ti.next_update, &v->tcb_chain, NULL, "Signature is invalid for tcb_info in quote_collateral",
			"TCBInfo issue date is in the future", "TCBInfo expired",
			"Certificate chain is too short for TCB Info");
	collateral_item(v, "qe_identity", c->qe_identity, c->qe_identity_len, c->qe_identity_sig, c->qi.issue_date,
			c->qi.next_update, same_chain ? &v->tcb_chain : &v->qe_chain, same_chain ? &v->fixed[2] : NULL,
			"Signature is invalid for qe_identity in quote_collateral",
			"QE Identity issue date is in the future", "QE Identity expired",
			"Certificate chain is too short for QE Identity");
	v->st.coll_ecdsa = v->st.ecdsa;
	v->st.coll_chains = v->xv.verifications;
	return v;
bad:
	qv_free(v);
	return NULL;
}

void qv_free(struct qv *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->npck; i++)
		pck_entry_free(v->pck[i]);
	pck_entry_free(v->coll_pck);
	cert_chain_free(&v->tcb_chain);
	cert_chain_free(&v->qe_chain);
	X509_CRL_free(v->crl[0]);
	X509_CRL_free(v->crl[1]);
	if (v->xv.store)
		x509v_free(&v->xv);
	EVP_PKEY_free(v->ak);
	free(v);
}

/* ---- per quote ---- */

/* The PCK chain of a quote, parsed (and cached by the bytes' SHA-256).
 * NULL with err when the certification data does not parse. *owned is set
 * when the caller must free the entry. */
static struct pck_entry *pck_for(struct qv *v, const struct tdx_quote *q, int *owned, char *err, size_t errlen)
{
	uint8_t key[32];
	*owned = 0;
	if (v->coll_pck)
		return v->coll_pck;
	if (q->cert_type != 5)
		return NULL;
	sha256(q->cert_data, q->cert_size, key);
	if (!v->o.no_cache)
		for (int i = 0; i < v->npck; i++)
			if (memcmp(v->pck[i]->key, key, 32) == 0) {
				v->st.cache_hits++;
				return v->pck[i];
			}
	struct pck_entry *e = xcalloc(1, sizeof *e);
	memcpy(e->key, key, 32);
	e->verified = -1;
	char e2[400];
	int pem = q->cert_size >= 10 && memmem(q->cert_data, q->cert_size, "-----BEGIN", 10);
	if (pem ? chain_from_pem(v->a, (const char *)q->cert_data, q->cert_size, &e->chain, e2, sizeof e2)
		: cert_chain_parse(q->cert_data, q->cert_size, &e->chain, e2, sizeof e2)) {
		snprintf(err, errlen, "PCK certificate chain at byte %zu: %s", q->cert_off, e2);
		free(e);
		return NULL;
	}
	e->ext_ok = pck_ext_parse(e->chain.certs[0], &e->ext, e->ext_err, sizeof e->ext_err) == 0;
	if (!v->o.no_cache && v->npck < CACHE_MAX)
		v->pck[v->npck++] = e;
	else
		*owned = 1;
	return e;
}

static int qe_sig_ok(struct qv *v, struct pck_entry *pe, const struct tdx_quote *q)
{
	uint8_t key[32];
	EVP_MD_CTX *md = NULL;
	if (!v->o.no_cache) {
		md = EVP_MD_CTX_new();
		unsigned int n = 32;
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, pe->key, 32);
		EVP_DigestUpdate(md, q->qe_report, SGX_REPORT_LEN);
		EVP_DigestUpdate(md, q->qe_report_sig, 64);
		EVP_DigestFinal_ex(md, key, &n);
		EVP_MD_CTX_free(md);
		for (int i = 0; i < v->nqe; i++)
			if (memcmp(v->qe[i].key, key, 32) == 0) {
				v->st.cache_hits++;
				return v->qe[i].ok;
			}
	}
	int ok = verify_with_cert(v, pe->chain.certs[0], q->qe_report, SGX_REPORT_LEN, q->qe_report_sig);
	if (!v->o.no_cache) {
		struct qe_entry *e = &v->qe[v->qe_next];
		memcpy(e->key, key, 32);
		e->ok = ok;
		v->qe_next = (v->qe_next + 1) % CACHE_MAX;
		if (v->nqe < CACHE_MAX)
			v->nqe++;
	}
	return ok;
}

static void hexup(const uint8_t *p, size_t n, char *out)
{
	static const char h[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = 0;
}

struct status_adv {
	enum tcb_status st;
	const struct advisories *adv[3];
	int nadv;
	int set;
};

static jv status_json(enum tcb_status st, const struct advisories *const *adv, int nadv)
{
	jv ids = jv_array();
	for (int k = 0; k < nadv; k++)
		for (int i = 0; adv[k] && i < adv[k]->n; i++) {
			int dup = 0;
			jv_array_foreach(ids, j, x) {
				if (strcmp(jv_string_value(x), adv[k]->ids[i]) == 0)
					dup = 1;
				jv_free(x);
			}
			if (!dup)
				ids = jv_array_append(ids, jv_string(adv[k]->ids[i]));
		}
	jv o = jv_object();
	JSET(o, "status", jv_string(tcb_status_name(st)));
	JSET(o, "advisory_ids", ids);
	return o;
}

static jv components_json(const int *c)
{
	jv a = jv_array();
	for (int i = 0; i < 16; i++)
		a = jv_array_append(a, jv_number(c[i]));
	return a;
}

static jv advisories_json(const struct advisories *a)
{
	jv ids = jv_array();
	for (int i = 0; i < a->n; i++)
		ids = jv_array_append(ids, jv_string(a->ids[i]));
	return ids;
}

/* Why a platform TCB level does not apply; "" when it does. */
static void level_shortfall(const struct tcb_level *l, int pcesvn, const uint8_t *cpusvn, const int *comp, int use_comp,
			    const uint8_t *tee, int tdx, int tdx_from, char *out, size_t n)
{
	out[0] = 0;
	if (pcesvn < l->pcesvn) {
		snprintf(out, n, "PCESVN %d < %d", pcesvn, l->pcesvn);
		return;
	}
	for (int i = 0; i < 16; i++) {
		int have = use_comp ? comp[i] : cpusvn[i];
		if (have < l->sgx[i]) {
			snprintf(out, n, "SGX component %d is %d < %d", i + 1, have, l->sgx[i]);
			return;
		}
	}
	if (tdx) {
		if (!l->has_tdx) {
			snprintf(out, n, "no TDX components");
			return;
		}
		for (int i = tdx_from; i < 16; i++)
			if (tee[i] < l->tdx[i]) {
				snprintf(out, n, "TEE_TCB_SVN[%d] is %d < %d", i, tee[i], l->tdx[i]);
				return;
			}
	}
}

static enum tcb_status worst(enum tcb_status a, enum tcb_status b) { return a > b ? a : b; }

/* Intel QVL: TcbLevelCheck.cpp convergeTcbStatusWithQeTcbStatus / TdxModuleCheck.cpp. */
static enum tcb_status converge_intel(enum tcb_status platform, enum tcb_status other)
{
	if (other == TCB_OUT_OF_DATE || other == TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) {
		if (platform == TCB_UP_TO_DATE || platform == TCB_SW_HARDENING_NEEDED)
			return TCB_OUT_OF_DATE;
		if (platform == TCB_CONFIGURATION_NEEDED || platform == TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
			return TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	}
	if (other == TCB_REVOKED)
		return TCB_REVOKED;
	return platform;
}

static int config_needed(enum tcb_status s)
{
	return s == TCB_CONFIGURATION_NEEDED || s == TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
	       s == TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED || s == TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

static const struct module_identity *find_module(const struct tcb_info *ti, int version)
{
	char id[16];
	snprintf(id, sizeof id, "TDX_%02X", version);
	for (int i = 0; i < ti->nmodules; i++)
		if (strcasecmp(ti->modules[i].id, id) == 0)
			return &ti->modules[i];
	return NULL;
}

static jv checks_json(const struct run *r)
{
	static const char *const rn[] = {"pass", "fail", "skip"};
	jv a = jv_array();
	for (int i = 0; i < r->n; i++) {
		jv c = jv_object();
		JSET(c, "name", jv_string(r->ck[i].name));
		JSET(c, "result", jv_string(rn[r->ck[i].r]));
		JSET(c, "detail", jv_string(r->ck[i].detail));
		a = jv_array_append(a, c);
	}
	return a;
}

jv qv_verify(struct qv *v, const uint8_t *raw, size_t len, int *verified, char *err, size_t errlen)
{
	struct tdx_quote q;
	const struct collateral *c = v->c;
	const struct tcb_info *ti = &c->ti;
	const struct qe_identity *qi = &c->qi;
	struct run *r = xcalloc(1, sizeof *r);
	struct check *ck;
	int owned = 0;
	struct pck_entry *pe = NULL;
	jv out = jv_invalid();
	char t1[32];
	*verified = 0;

	if (tdx_parse(raw, len, &q, err, errlen))
		goto done;
	int td = tdx_is_td(&q);
	pe = pck_for(v, &q, &owned, err, errlen);
	if (!pe && (v->coll_pck || q.cert_type == 5))
		goto done; /* certification data that does not parse: a malformed quote */
	v->st.quotes++;
	const uint8_t *body = q.body;
	const uint8_t *tee = td ? body + TD_TEE_TCB_SVN : NULL;
	uint8_t qe_report_data[64];
	memcpy(qe_report_data, q.qe_report + ER_REPORT_DATA, 64);

	add_fixed(r, &v->fixed[0]); /* root_ca_revocation */

	if ((ck = begin(r, "quote_header", GATE))) {
		if (q.tee_type == TEE_TYPE_SGX && q.version != 3)
			failc(r, ck, "SGX TEE quote must have version 3", "SGX quote of version %u", q.version);
		else if (q.tee_type == TEE_TYPE_TDX && q.version != 4 && q.version != 5)
			failc(r, ck, "TDX TEE quote must have version 4 or 5", "TDX quote of version %u", q.version);
		else
			pass(ck, "version %u, %s, %s body, attestation key type 2 (ECDSA P-256)", q.version,
			     q.tee_type == TEE_TYPE_TDX ? "TDX" : "SGX", body_kind_name(q.kind));
	}
	if ((ck = begin(r, "qe_vendor_id", GATE))) {
		char h[33];
		hex_encode_to(raw + 12, 16, h);
		if (memcmp(raw + 12, INTEL_QE_VENDOR_ID, 16) != 0)
			failc(r, ck, "Unknown QE vendor ID", "QE vendor ID %s is not Intel's 939a7233f79c4ca9940a0db3957f0607", h);
		else
			pass(ck, "Intel QE %s", h);
	}
	for (int i = 1; i < v->nfixed; i++)
		add_fixed(r, &v->fixed[i]);

	if ((ck = begin(r, "qe_identity_type", GATE))) {
		const char *want = td ? "TD_QE" : "QE";
		int vok = td ? (qi->version == 2 || qi->version == 3) : qi->version == 2;
		if (strcmp(qi->id, want) != 0 || !vok) {
			char e[200];
			snprintf(e, sizeof e,
				 "Unsupported QE Identity id/version for the quote TEE type: %s version %d (expected %s version %s)",
				 qi->id, qi->version, want, td ? "[2, 3]" : "[2]");
			failc(r, ck, e, "QE identity %s version %d for a %s quote", qi->id, qi->version, td ? "TDX" : "SGX");
		} else {
			pass(ck, "%s version %d", qi->id, qi->version);
		}
	}

	/* PCK chain */
	X509 *leaf = NULL;
	const struct pck_ext *ext = NULL;
	if ((ck = begin(r, "pck_chain", GATE))) {
		char cns[700];
		if (!pe) {
			char e[200];
			snprintf(e, sizeof e, "Unsupported DCAP PCK cert format: %u", q.cert_type);
			failc(r, ck, e, "certification data type %u carries no PCK certificate chain and the collateral has no pck_certificate_chain",
			      q.cert_type);
		} else if (pe->chain.n < 2) {
			failc(r, ck, "Certificate chain is too short in quote", "%d certificate(s): %s", pe->chain.n,
			      chain_cns(&pe->chain, cns, sizeof cns));
		} else {
			if (pe->verified < 0)
				pe->verified = x509v_verify(&v->xv, pe->chain.certs, pe->chain.n, pe->verr, sizeof pe->verr,
							    pe->vnote, sizeof pe->vnote);
			if (!pe->verified)
				failc(r, ck, pe->verr, "%s: %s", chain_cns(&pe->chain, cns, sizeof cns), pe->verr);
			else if (!pe->ext_ok)
				failc(r, ck, pe->ext_err, "%s", pe->ext_err);
			else {
				pass(ck, "%s%s; revocation checked against the PCK CRL and the root CA CRL%s%s",
				     chain_cns(&pe->chain, cns, sizeof cns), v->coll_pck ? " (from the collateral)" : "",
				     pe->vnote[0] ? "; " : "", pe->vnote);
				leaf = pe->chain.certs[0];
				ext = &pe->ext;
			}
		}
	}
	if ((ck = begin(r, "qe_report_signature", GATE))) {
		if (qe_sig_ok(v, pe, &q))
			pass(ck, "the QE report is signed by the PCK leaf key");
		else
			failc(r, ck, "Signature is invalid for qe_report in quote",
			      "the signature over the 384-byte QE report does not verify with the PCK leaf key");
	}
	if ((ck = begin(r, "qe_report_data", GATE))) {
		/* dcap-qvl requires 32 bytes of QE authentication data; Intel hashes whatever there is */
		uint8_t md[32];
		if (q.qe_auth_len != 32 && !v->o.intel_rules) {
			failc(r, ck, "Invalid QE auth data length", "QE authentication data is %u bytes, 32 expected",
			      q.qe_auth_len);
		} else {
			EVP_MD_CTX *h = EVP_MD_CTX_new();
			unsigned int mdlen = 32;
			int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) && EVP_DigestUpdate(h, q.att_key, 64) &&
				 EVP_DigestUpdate(h, q.qe_auth, q.qe_auth_len) && EVP_DigestFinal_ex(h, md, &mdlen);
			EVP_MD_CTX_free(h);
			if (!ok || CRYPTO_memcmp(md, qe_report_data, 32) != 0)
				failc(r, ck, "QE report hash mismatch",
				      "SHA-256(attestation key || QE authentication data) differs from the QE report data");
			else
				pass(ck, "QE report data binds the attestation key and the %u bytes of QE authentication data",
				     q.qe_auth_len);
		}
	}
	const uint8_t *qr = q.qe_report;
	if ((ck = begin(r, "qe_identity_policy", GATE))) {
		char want[80], got[80], e[300];
		uint32_t misc = le32(qr + ER_MISC_SELECT), m_want = le32(qi->miscselect), m_mask = le32(qi->miscselect_mask);
		int bad_attr = -1;
		for (int i = 0; i < 16 && bad_attr < 0; i++)
			if ((qr[ER_ATTRIBUTES + i] & qi->attributes_mask[i]) != (qi->attributes[i] & qi->attributes_mask[i]))
				bad_attr = i;
		if (memcmp(qr + ER_MR_SIGNER, qi->mrsigner, 32) != 0) {
			hexup(qi->mrsigner, 32, want);
			hexup(qr + ER_MR_SIGNER, 32, got);
			snprintf(e, sizeof e, "QE MRSIGNER mismatch: expected %s, got %s", want, got);
			failc(r, ck, e, "the QE report's MRSIGNER is not the QE identity's");
		} else if (qr[ER_ATTRIBUTES] & 0x02) {
			failc(r, ck, "QE report validation failed", "Debug mode is enabled in the QE report");
		} else if (le16(qr + ER_ISV_PROD_ID) != qi->isvprodid) {
			snprintf(e, sizeof e, "QE ISVPRODID mismatch: expected %d, got %u", qi->isvprodid, le16(qr + ER_ISV_PROD_ID));
			failc(r, ck, e, "the QE report's ISVPRODID is not the QE identity's");
		} else if ((misc & m_mask) != (m_want & m_mask)) {
			snprintf(e, sizeof e, "QE MISCSELECT mismatch: expected %08X (masked), got %08X (masked)", m_want & m_mask,
				 misc & m_mask);
			failc(r, ck, e, "MISCSELECT differs under the mask");
		} else if (bad_attr >= 0) {
			snprintf(e, sizeof e, "QE ATTRIBUTES mismatch at byte %d: expected %02X (masked), got %02X (masked)",
				 bad_attr, qi->attributes[bad_attr] & qi->attributes_mask[bad_attr],
				 qr[ER_ATTRIBUTES + bad_attr] & qi->attributes_mask[bad_attr]);
			failc(r, ck, e, "ATTRIBUTES differ under the mask");
		} else {
			hexup(qi->mrsigner, 32, want);
			pass(ck, "MRSIGNER %s, ISVPRODID %d, MISCSELECT and ATTRIBUTES match under their masks, not debug", want,
			     qi->isvprodid);
		}
	}
	const struct isv_level *qe_level = NULL;
	int qe_isvsvn = le16(qr + ER_ISV_SVN);
	if ((ck = begin(r, "qe_tcb_level", OPEN))) {
		for (int i = 0; i < qi->nlevels && !qe_level; i++)
			if (qe_isvsvn >= qi->levels[i].isvsvn)
				qe_level = &qi->levels[i];
		if (qe_level) {
			pass(ck, "QE ISVSVN %d matches the level ISVSVN >= %d (%s, tcbDate %s)", qe_isvsvn, qe_level->isvsvn,
			     tcb_status_name(qe_level->status), qe_level->date);
		} else if (qi->nlevels == 0) {
			failc(r, ck, "No TCB levels found in QE Identity", "the QE identity lists no TCB level");
		} else {
			char e[200];
			snprintf(e, sizeof e, "QE ISVSVN %d is below minimum required %d from QE Identity", qe_isvsvn,
				 qi->levels[qi->nlevels - 1].isvsvn);
			failc(r, ck, e, "no QE identity TCB level has ISVSVN <= %d", qe_isvsvn);
		}
	}
	if ((ck = begin(r, "quote_signature", GATE))) {
		EVP_PKEY *ak = att_key(v, q.att_key);
		v->st.ecdsa++;
		int ok = ak && ecdsa_verify_raw(ak, raw, q.signed_len, q.sig) == 1;
		ERR_clear_error();
		if (!ak)
			failc(r, ck, "ISV enclave report signature is invalid", "the attestation key is not a P-256 point");
		else if (!ok)
			failc(r, ck, "ISV enclave report signature is invalid",
			      "the signature over the %zu signed bytes does not verify with the attestation key", q.signed_len);
		else
			pass(ck, "ECDSA P-256 signature over the %zu signed bytes (header and %s body) by the attestation key",
			     q.signed_len, body_kind_name(q.kind));
	}
	char fm_cert[13] = "", fm_info[13];
	hex_encode_to(ti->fmspc, 6, fm_info);
	if (ext)
		hex_encode_to(ext->fmspc, 6, fm_cert);
	if ((ck = begin(r, "fmspc", GATE))) {
		if (memcmp(ext->fmspc, ti->fmspc, 6) != 0)
			failc(r, ck, "Fmspc mismatch", "the PCK certificate's FMSPC %s is not the TCB info's %s", fm_cert, fm_info);
		else
			pass(ck, "FMSPC %s", fm_cert);
	}
	if ((ck = begin(r, "tcb_info_type", GATE))) {
		if (td && (ti->version < 3 || strcmp(ti->id, "TDX") != 0))
			failc(r, ck, "TDX quote with non-TDX TCB info in the collateral", "TCB info %s version %d", ti->id,
			      ti->version);
		else if (!td && (ti->version < 2 || strcmp(ti->id, "SGX") != 0))
			failc(r, ck, "SGX quote with non-SGX TCB info in the collateral", "TCB info %s version %d", ti->id,
			      ti->version);
		else
			pass(ck, "%s TCB info version %d, tcbEvaluationDataNumber %d", ti->id, ti->version, ti->eval_num);
	}
	if ((ck = begin(r, "pce_id", GATE))) {
		char a[5], b[5];
		hex_encode_to(ext->pceid, 2, a);
		hex_encode_to(ti->pceid, 2, b);
		if (memcmp(ext->pceid, ti->pceid, 2) != 0)
			failc(r, ck, "PCE ID mismatch", "the PCK certificate's PCE-ID %s is not the TCB info's %s", a, b);
		else
			pass(ck, "PCE-ID %s", a);
	}

	/* platform TCB level */
	const struct tcb_level *plevel = NULL, *sgx_level = NULL;
	int intel = v->o.intel_rules;
	int tdx_from = intel && td && tee[1] > 0 ? 2 : 0;
	if ((ck = begin(r, "platform_tcb_level", OPEN))) {
		char why[1500] = "", one[120];
		size_t used = 0;
		const struct tcb_level *no_tdx = NULL;
		for (int i = 0; i < ti->nlevels && !plevel && !no_tdx; i++) {
			const struct tcb_level *l = &ti->levels[i];
			level_shortfall(l, ext->pcesvn, ext->cpusvn, ext->comp, intel, tee, 0, 0, one, sizeof one);
			if (!one[0] && !sgx_level)
				sgx_level = l;
			if (!one[0] && td && !l->has_tdx) {
				no_tdx = l; /* dcap-qvl stops here: a TDX level without TDX components */
				break;
			}
			if (!one[0] && td)
				level_shortfall(l, ext->pcesvn, ext->cpusvn, ext->comp, intel, tee, 1, tdx_from, one, sizeof one);
			if (!one[0])
				plevel = l;
			else if (used + 1 < sizeof why)
				used += (size_t)snprintf(why + used, sizeof why - used, "%slevel %d (%s, %s): %s", used ? "; " : "",
							 l->index + 1, tcb_status_name(l->status), l->date, one);
		}
		if (no_tdx)
			failc(r, ck, "No TDX components in the TCB info", "level %d (%s, %s) has no tdxtcbcomponents",
			      no_tdx->index + 1, tcb_status_name(no_tdx->status), no_tdx->date);
		else if (plevel)
			pass(ck, "level %d of %d (%s, tcbDate %s, PCESVN >= %d)%s", plevel->index + 1, ti->nlevels,
			     tcb_status_name(plevel->status), plevel->date, plevel->pcesvn,
			     tdx_from ? "; TEE_TCB_SVN[0..1] judged by the module identity (Intel rules)" : "");
		else if (ti->nlevels == 0)
			failc(r, ck, "No matching TCB level found", "the TCB info lists no TCB level");
		else
			failc(r, ck, "No matching TCB level found", "%s", why);
	}

	/* TDX module identity */
	const struct module_identity *mod = NULL;
	const struct isv_level *mod_level = NULL;
	int module_ok = !td;
	if (td && (ck = begin(r, "tdx_module_identity", OPEN))) {
		const uint8_t *mrs = NULL, *attr = NULL, *mask = NULL;
		char idname[16];
		snprintf(idname, sizeof idname, "TDX_%02X", tee[1]);
		int need_identity = tee[1] > 0 && (intel || ti->nmodules > 0);
		if (need_identity && !(mod = find_module(ti, tee[1]))) {
			char e[120];
			snprintf(e, sizeof e, "TDX module identity %s not found in TCB info", idname);
			failc(r, ck, e, "TEE_TCB_SVN[1] = %d names module identity %s, absent from tdxModuleIdentities", tee[1],
			      idname);
		} else if (!mod && !ti->has_module) {
			failc(r, ck, "TDX module identity missing from TCB info", "the TCB info has no tdxModule");
		} else {
			mrs = mod ? mod->mrsigner : ti->module_mrsigner;
			attr = mod ? mod->attributes : ti->module_attributes;
			mask = mod ? mod->attributes_mask : ti->module_attributes_mask;
			const uint8_t *seam = body + TD_SEAM_ATTRIBUTES;
			int attr_bad = 0, outside = 0, nonzero = 0;
			for (int i = 0; i < 8; i++) {
				if ((seam[i] & mask[i]) != (attr[i] & mask[i]))
					attr_bad = 1;
				if (seam[i] & ~mask[i])
					outside = 1;
				if (seam[i])
					nonzero = 1;
			}
			char h[97];
			hex_encode_to(body + TD_MR_SIGNER_SEAM, 48, h);
			if (memcmp(body + TD_MR_SIGNER_SEAM, mrs, 48) != 0)
				failc(r, ck, "TDX module MRSIGNER mismatch", "MRSIGNERSEAM %s is not the %s mrsigner", h,
				      mod ? idname : "tdxModule");
			else if (attr_bad || outside)
				failc(r, ck, "TDX module attributes mismatch", "SEAMATTRIBUTES differ from the %s attributes under its mask",
				      mod ? idname : "tdxModule");
			else if (intel && nonzero)
				failc(r, ck, "TDX module attributes mismatch", "SEAMATTRIBUTES are not zero (Intel rules)");
			else {
				pass(ck, "MRSIGNERSEAM and SEAMATTRIBUTES match %s (module version %d, ISVSVN %d)",
				     mod ? idname : "tdxModule", tee[1], tee[0]);
				module_ok = 1;
			}
		}
	}
	if (td && (ck = begin(r, "tdx_module_tcb_level", OPEN))) {
		if (!mod) {
			skip(ck, "module version %d: no module identity applies (the TDX components of the platform level judge it)",
			     tee[1]);
		} else {
			for (int i = 0; i < mod->nlevels && !mod_level; i++)
				if (tee[0] >= mod->levels[i].isvsvn)
					mod_level = &mod->levels[i];
			if (mod_level)
				pass(ck, "module ISVSVN %d matches %s level ISVSVN >= %d (%s, tcbDate %s)", tee[0], mod->id,
				     mod_level->isvsvn, tcb_status_name(mod_level->status), mod_level->date);
			else {
				char e[200];
				snprintf(e, sizeof e, "TDX module ISVSVN %d is below every TCB level of %s", tee[0], mod->id);
				failc(r, ck, e, "no %s TCB level has ISVSVN <= %d", mod->id, tee[0]);
			}
		}
	}

	/* status */
	int have_status = 0;
	enum tcb_status final = TCB_UP_TO_DATE;
	const struct advisories *adv[3];
	int nadv = 0;
	if ((ck = begin(r, "tcb_status", OPEN))) {
		if (!plevel || !qe_level || !module_ok || (mod && !mod_level)) {
			skip(ck, "not evaluated: %s", !plevel ? "no platform TCB level matched"
						     : !qe_level ? "no QE TCB level matched"
								 : "the TDX module does not match the TCB info");
		} else {
			adv[nadv++] = &plevel->adv;
			if (mod_level)
				adv[nadv++] = &mod_level->adv;
			adv[nadv++] = &qe_level->adv;
			const char *how;
			if (!intel) {
				final = plevel->status;
				if (mod_level)
					final = worst(final, mod_level->status);
				final = worst(final, qe_level->status);
				how = "the worst of platform, TDX module and QE statuses (dcap-qvl)";
			} else {
				enum tcb_status tdx_status = plevel->status;
				how = "Intel's convergence of platform, TDX module and QE statuses";
				if (td) {
					enum tcb_status ms = mod_level ? mod_level->status : TCB_UP_TO_DATE;
					tdx_status = converge_intel(plevel->status, ms);
					if (tdx_status != TCB_REVOKED && q.kind == BODY_TD15 && sgx_level &&
					    qe_level->status != TCB_OUT_OF_DATE && qe_level->status != TCB_REVOKED &&
					    (sgx_level->status == TCB_UP_TO_DATE || sgx_level->status == TCB_SW_HARDENING_NEEDED ||
					     sgx_level->status == TCB_CONFIGURATION_NEEDED ||
					     sgx_level->status == TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED) &&
					    (tdx_status == TCB_OUT_OF_DATE || tdx_status == TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) &&
					    ms == TCB_OUT_OF_DATE && ti->nlevels > 0) {
						/* TDRelaunchCheck.cpp: the running module (TEE_TCB_SVN2) is already current */
						const uint8_t *svn2 = body + TD_TEE_TCB_SVN2;
						const struct tcb_level *latest = &ti->levels[0];
						int relaunch = 0;
						if (svn2[1] == 0) {
							relaunch = latest->has_tdx && svn2[0] >= latest->tdx[0] && svn2[2] >= latest->tdx[2];
						} else {
							const struct module_identity *m2 = find_module(ti, svn2[1]);
							relaunch = m2 && m2->nlevels > 0 && latest->has_tdx &&
								   svn2[0] >= m2->levels[0].isvsvn && svn2[2] >= latest->tdx[2];
						}
						if (relaunch)
							tdx_status = config_needed(sgx_level->status) || config_needed(tdx_status)
									     ? TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
									     : TCB_TD_RELAUNCH_ADVISED;
					}
				}
				final = tdx_status == TCB_REVOKED ? TCB_REVOKED : converge_intel(tdx_status, qe_level->status);
			}
			have_status = 1;
			if (final == TCB_REVOKED) {
				char e[80];
				snprintf(e, sizeof e, "TCB status is invalid: %s", tcb_status_name(final));
				failc(r, ck, e, "%s is Revoked", how);
			} else {
				pass(ck, "%s: %s", how, tcb_status_name(final));
			}
		}
	}

	/* TD attributes / enclave attributes */
	if (td) {
		uint64_t a = le64(body + TD_TD_ATTRIBUTES);
		const char *sk = "skipped by --skip-td-attributes";
		if ((ck = begin(r, "mr_service_td", OPEN))) {
			int zero = 1;
			if (q.kind == BODY_TD15)
				for (int i = 0; i < 48; i++)
					zero &= body[TD_MR_SERVICE_TD + i] == 0;
			if (v->o.skip_td_attributes)
				skip(ck, "%s", sk);
			else if (q.kind != BODY_TD15)
				pass(ck, "TD report 1.0 has no MRSERVICETD");
			else if (zero)
				pass(ck, "MRSERVICETD is zero");
			else if (v->o.allow_service_td)
				pass(ck, "MRSERVICETD is not zero, allowed by --allow-service-td");
			else
				failc(r, ck, "Invalid MR service TD", "MRSERVICETD is not zero (a service TD is bound to this TD)");
		}
		if ((ck = begin(r, "td_debug", OPEN))) {
			if (v->o.skip_td_attributes)
				skip(ck, "%s", sk);
			else if (!(a & 1))
				pass(ck, "TDATTRIBUTES.DEBUG is clear");
			else if (v->o.allow_debug)
				pass(ck, "TDATTRIBUTES.DEBUG is set, allowed by --allow-debug");
			else
				failc(r, ck, "Debug mode is enabled", "TDATTRIBUTES.DEBUG (bit 0) is set: the host can read the TD's memory");
		}
		if ((ck = begin(r, "td_reserved_attributes", OPEN))) {
			uint64_t reserved = a & (0xfeull | 0x0fffff00ull | (1ull << 29) | 0x7fffffff00000000ull);
			if (v->o.skip_td_attributes)
				skip(ck, "%s", sk);
			else if (reserved)
				failc(r, ck, "Reserved bits in TD attributes are set", "TDATTRIBUTES %016llx has reserved bits %016llx set",
				      (unsigned long long)a, (unsigned long long)reserved);
			else
				pass(ck, "no reserved TDATTRIBUTES bit is set");
		}
		if ((ck = begin(r, "sept_ve_disable", OPEN))) {
			if (v->o.skip_td_attributes)
				skip(ck, "%s", sk);
			else if (a >> 28 & 1)
				pass(ck, "TDATTRIBUTES.SEPT_VE_DISABLE is set");
			else
				failc(r, ck, "SEPT_VE_DISABLE is not enabled",
				      "TDATTRIBUTES.SEPT_VE_DISABLE (bit 28) is clear: the TD may receive #VE on EPT violations");
		}
	} else if ((ck = begin(r, "enclave_debug", OPEN))) {
		if (!(body[ER_ATTRIBUTES] & 0x02))
			pass(ck, "ATTRIBUTES.DEBUG is clear");
		else if (v->o.allow_debug)
			pass(ck, "ATTRIBUTES.DEBUG is set, allowed by --allow-debug");
		else
			failc(r, ck, "Debug mode is enabled", "ATTRIBUTES.DEBUG (bit 1) is set");
	}
	const uint8_t *rd = body + (td ? TD_REPORT_DATA : ER_REPORT_DATA);
	if ((ck = begin(r, "report_data", OPEN))) {
		if (!v->o.expect_report_data_set) {
			skip(ck, "no --expect-report-data given");
		} else {
			char want[129], got[129];
			size_t n = v->o.expect_report_data_len;
			hex_encode_to(v->o.expect_report_data, n, want);
			hex_encode_to(rd, n, got);
			if (CRYPTO_memcmp(rd, v->o.expect_report_data, n) != 0)
				failc(r, ck, "Report data mismatch", "report data starts with %s, expected %s", got, want);
			else
				pass(ck, "report data starts with the expected %zu bytes", n);
		}
	}

	/* the verdict */
	const struct check *first = NULL;
	for (int i = 0; i < r->n && !first; i++)
		if (r->ck[i].r == R_FAIL)
			first = &r->ck[i];
	*verified = first == NULL;
	out = jv_object();
	JSET(out, "verified", jv_bool(!first));
	JSET(out, "failed_check", first ? jv_string(first->name) : jv_null());
	JSET(out, "error", first ? jv_string(first->error) : jv_null());
	if (have_status) {
		JSET(out, "status", jv_string(tcb_status_name(final)));
		jv s = status_json(final, adv, nadv);
		JSET(out, "advisory_ids", jv_object_get(s, jv_string("advisory_ids")));
	} else {
		JSET(out, "status", jv_null());
		JSET(out, "advisory_ids", jv_array());
	}
	JSET(out, "checks", checks_json(r));
	{
		const struct advisories *pa[1] = {plevel ? &plevel->adv : NULL};
		JSET(out, "platform_status", plevel ? status_json(plevel->status, pa, 1) : jv_null());
		const struct advisories *qa[1] = {qe_level ? &qe_level->adv : NULL};
		JSET(out, "qe_status", qe_level ? status_json(qe_level->status, qa, 1) : jv_null());
	}
	if (td) {
		jv m = jv_object();
		JSET(m, "version", jv_number(tee[1]));
		JSET(m, "isvsvn", jv_number(tee[0]));
		JSET(m, "identity", mod ? jv_string(mod->id) : jv_null());
		if (mod_level) {
			JSET(m, "status", jv_string(tcb_status_name(mod_level->status)));
			JSET(m, "advisory_ids", advisories_json(&mod_level->adv));
			JSET(m, "tcb_date", jv_string(mod_level->date));
		} else {
			JSET(m, "status", jv_null());
			JSET(m, "advisory_ids", jv_array());
		}
		JSET(m, "mr_signer_seam", jv_hex(body + TD_MR_SIGNER_SEAM, 48));
		JSET(m, "seam_attributes", jv_hex(body + TD_SEAM_ATTRIBUTES, 8));
		JSET(m, "tee_tcb_svn", jv_hex(tee, 16));
		if (q.kind == BODY_TD15)
			JSET(m, "tee_tcb_svn2", jv_hex(body + TD_TEE_TCB_SVN2, 16));
		JSET(out, "tdx_module_status", m);
	} else {
		JSET(out, "tdx_module_status", jv_null());
	}
	if (plevel) {
		jv l = jv_object();
		JSET(l, "index", jv_number(plevel->index));
		JSET(l, "tcb_date", jv_string(plevel->date));
		JSET(l, "tcb_status", jv_string(tcb_status_name(plevel->status)));
		JSET(l, "advisory_ids", advisories_json(&plevel->adv));
		JSET(l, "sgx_components", components_json(plevel->sgx));
		JSET(l, "pce_svn", jv_number(plevel->pcesvn));
		if (plevel->has_tdx)
			JSET(l, "tdx_components", components_json(plevel->tdx));
		JSET(out, "tcb_level", l);
	} else {
		JSET(out, "tcb_level", jv_null());
	}
	if (qe_level) {
		jv l = jv_object();
		JSET(l, "isvsvn", jv_number(qe_level->isvsvn));
		JSET(l, "tcb_date", jv_string(qe_level->date));
		JSET(l, "tcb_status", jv_string(tcb_status_name(qe_level->status)));
		JSET(out, "qe_tcb_level", l);
	} else {
		JSET(out, "qe_tcb_level", jv_null());
	}
	jv meas = jv_object();
	if (td) {
		JSET(meas, "mr_td", jv_hex(body + TD_MR_TD, 48));
		JSET(meas, "rt_mr0", jv_hex(body + TD_RT_MR0, 48));
		JSET(meas, "rt_mr1", jv_hex(body + TD_RT_MR1, 48));
		JSET(meas, "rt_mr2", jv_hex(body + TD_RT_MR2, 48));
		JSET(meas, "rt_mr3", jv_hex(body + TD_RT_MR3, 48));
	} else {
		JSET(meas, "mr_enclave", jv_hex(body + ER_MR_ENCLAVE, 32));
		JSET(meas, "mr_signer", jv_hex(body + ER_MR_SIGNER, 32));
		JSET(meas, "isv_prod_id", jv_number(le16(body + ER_ISV_PROD_ID)));
		JSET(meas, "isv_svn", jv_number(le16(body + ER_ISV_SVN)));
	}
	JSET(meas, "report_data", jv_hex(rd, 64));
	JSET(out, "measurements", meas);
	uint8_t md[32];
	sha256(raw, len, md);
	JSET(out, "quote_sha256", jv_hex(md, 32));
	jv rc = jv_object();
	JSET(rc, "subject", jv_string(v->a->subject));
	JSET(rc, "sha256", jv_hex(v->a->sha256, 32));
	JSET(rc, "builtin", jv_bool(v->a->builtin));
	JSET(out, "root_ca", rc);
	JSET(out, "fmspc", ext ? jv_string(fm_cert) : jv_null());
	JSET(out, "ppid", ext && ext->has_ppid ? jv_hex(ext->ppid, 16) : jv_null());
	if (ext) {
		jv p = jv_object();
		JSET(p, "fmspc", jv_string(fm_cert));
		JSET(p, "pce_id", jv_hex(ext->pceid, 2));
		JSET(p, "pce_svn", jv_number(ext->pcesvn));
		JSET(p, "cpu_svn", jv_hex(ext->cpusvn, 16));
		const char *ca = pck_ca_type(leaf);
		JSET(p, "ca", ca ? jv_string(ca) : jv_null());
		JSET(p, "sgx_type", ext->sgx_type >= 0 ? jv_string(sgx_type_name(ext->sgx_type)) : jv_null());
		JSET(out, "pck", p);
	} else {
		JSET(out, "pck", jv_null());
	}
	/* collateral window: the collateral's sources plus the PCK chain's certificates */
	{
		long long imin = v->win_issue_min, imax = v->win_issue_max, emin = v->win_expire_min;
		if (pe)
			for (int i = 0; i < pe->chain.n; i++) {
				long long nb = asn1_time_epoch(X509_get0_notBefore(pe->chain.certs[i]));
				long long na = asn1_time_epoch(X509_get0_notAfter(pe->chain.certs[i]));
				if (nb >= 0 && (imin < 0 || nb < imin))
					imin = nb;
				if (nb > imax)
					imax = nb;
				if (na >= 0 && (emin < 0 || na < emin))
					emin = na;
			}
		jv w = jv_object();
		JSET(w, "earliest_issue_date", jv_utc(imin));
		JSET(w, "latest_issue_date", jv_utc(imax));
		JSET(w, "earliest_expiration_date", jv_utc(emin));
		JSET(w, "tcb_info_issue_date", jv_utc(ti->issue_date));
		JSET(w, "tcb_info_next_update", jv_utc(ti->next_update));
		JSET(w, "qe_identity_issue_date", jv_utc(qi->issue_date));
		JSET(w, "qe_identity_next_update", jv_utc(qi->next_update));
		JSET(w, "tcb_evaluation_data_number", jv_number(ti->eval_num < qi->eval_num ? ti->eval_num : qi->eval_num));
		JSET(out, "collateral", w);
	}
	utc(v->o.now, t1);
	JSET(out, "now", jv_string(t1));
	JSET(out, "rules", jv_string(intel ? "intel" : "dcap-qvl"));
	JSET(out, "quote_version", jv_number(q.version));
	JSET(out, "report_type", jv_string(body_kind_name(q.kind)));
done:
	if (owned)
		pck_entry_free(pe);
	free(r);
	return out;
}
