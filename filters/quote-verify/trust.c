/* The trust anchor, and the collateral read once: its CRLs and issuer chains,
 * its validity window, and the checks that concern it alone (run once by
 * qv_new, replayed for every quote in the table's order). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/der.h"
#include "lib/ecdsa.h"
#include "lib/sha.h"
#include "qv.h"

/* ---- the trust anchor ---- */

/* The built-in root's bytes are checked by fingerprint; another root must
 * at least be self-issued and self-signed. */
static int anchor_from(struct qv_anchor *a, int check_sig, char *err, size_t errlen)
{
	struct dcert *c = &a->cert;
	long n = 0;
	const char *why = NULL;
	if (!c->self_issued)
		why = "the root CA is not self-issued (subject differs from issuer)";
	else if (!c->p256)
		why = "the root CA's key is not an ECDSA P-256 key";
	else if (check_sig && !dcert_signed_by(c, c, &n))
		why = "the root CA's self-signature does not verify";
	if (why) {
		snprintf(err, errlen, "%s", why);
		dcert_free(c);
		return -1;
	}
	sha256(c->der, c->len, a->sha256);
	a->subject = der_name_text(c->s.subject);
	return 0;
}

int qv_anchor_builtin(struct qv_anchor *a, char *err, size_t errlen)
{
	uint8_t md[32];
	char hex[65];
	memset(a, 0, sizeof *a);
	sha256(INTEL_SGX_ROOT_CA_DER, INTEL_SGX_ROOT_CA_DER_LEN, md);
	hex_encode_to(md, 32, hex);
	if (strcmp(hex, INTEL_SGX_ROOT_CA_SHA256) != 0) {
		snprintf(err, errlen, "the built-in Intel SGX Root CA is corrupt (SHA-256 %s)", hex);
		return -1;
	}
	if (dcert_load(&a->cert, INTEL_SGX_ROOT_CA_DER, INTEL_SGX_ROOT_CA_DER_LEN, err, errlen) ||
	    anchor_from(a, 0, err, errlen))
		return -1;
	a->builtin = 1;
	return 0;
}

int qv_anchor_load(struct qv_anchor *a, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	return dcert_load(&a->cert, p, n, err, errlen) ? -1 : anchor_from(a, 1, err, errlen);
}

void qv_anchor_free(struct qv_anchor *a)
{
	dcert_free(&a->cert);
	free(a->subject);
	memset(a, 0, sizeof *a);
}

/* ---- check results ---- */

static void vset(struct check *c, enum result r, const char *fmt, va_list ap)
{
	c->r = r;
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
}

void ck_pass(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(c, R_PASS, fmt, ap);
	va_end(ap);
}

void ck_skip(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(c, R_SKIP, fmt, ap);
	va_end(ap);
}

void ck_fail(struct check *c, const char *error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(c, R_FAIL, fmt, ap);
	va_end(ap);
	snprintf(c->error, sizeof c->error, "%s", error);
}

/* ---- the collateral, read once ---- */

static void utc(long long t, char out[32])
{
	if (t < 0)
		snprintf(out, 32, "?");
	else
		format_utc(t, out);
}

static void window_add(struct window *w, long long issue, long long expire)
{
	if (issue >= 0) {
		if (w->issue_min < 0 || issue < w->issue_min)
			w->issue_min = issue;
		if (issue > w->issue_max)
			w->issue_max = issue;
	}
	if (expire >= 0 && (w->expire_min < 0 || expire < w->expire_min))
		w->expire_min = expire;
}

static void window_chain(struct window *w, const struct dcert_list *l)
{
	for (int i = 0; i < l->n; i++)
		window_add(w, l->c[i].s.not_before, l->c[i].s.not_after);
}

/* The validity dates of a PEM chain read structurally. */
static int window_pem(struct window *w, const char *pem, char *err, size_t errlen)
{
	uint8_t **d;
	size_t *l;
	int k = pem_cert_blocks(pem, strlen(pem), &d, &l, err, errlen), rc = k > 0 ? 0 : -1;
	if (k == 0)
		snprintf(err, errlen, "no PEM certificate found");
	for (int i = 0; i < k; i++) {
		struct cert_scan cs;
		if (rc == 0 && cert_scan(d[i], l[i], NULL, 0, &cs, err, errlen) == 0)
			window_add(w, cs.not_before, cs.not_after);
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

static int parse_chain(const char *pem, const char *what, struct dcert_list *l, char *err, size_t errlen)
{
	char e2[400];
	if (dcert_list_parse(l, (const uint8_t *)pem, strlen(pem), e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: %s: %s", what, e2);
		return -1;
	}
	return 0;
}

static int coll_pck_chain(struct qv *v, char *err, size_t errlen)
{
	struct pck_entry *e = v->coll_pck = xcalloc(1, sizeof *e);
	e->verified = -1;
	if (parse_chain(v->c->pck_certificate_chain, "pck_certificate_chain", &e->chain, err, errlen))
		return -1;
	pck_entry_ext(e);
	return 0;
}

/* The CRLs, the issuer chains and the window (dcap-qvl's eight date sources;
 * a quote's PCK chain is added per quote). */
int trust_setup(struct qv *v, char *err, size_t errlen)
{
	const struct collateral *c = v->c;
	char e2[400];
	struct window *w = &v->win;
	if (dcrl_parse(&v->crl[0], c->root_ca_crl, c->root_ca_crl_len, e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: root_ca_crl: %s", e2);
		return -1;
	}
	if (dcrl_parse(&v->crl[1], c->pck_crl, c->pck_crl_len, e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: pck_crl: %s", e2);
		return -1;
	}
	if (parse_chain(c->tcb_info_issuer_chain, "tcb_info_issuer_chain", &v->tcb_chain, err, errlen) ||
	    (strcmp(c->tcb_info_issuer_chain, c->qe_identity_issuer_chain) != 0 &&
	     parse_chain(c->qe_identity_issuer_chain, "qe_identity_issuer_chain", &v->qe_chain, err, errlen)))
		return -1;
	w->issue_min = w->issue_max = w->expire_min = -1;
	if (window_pem(w, c->pck_crl_issuer_chain, e2, sizeof e2)) {
		snprintf(err, errlen, "collateral: pck_crl_issuer_chain: %s", e2);
		return -1;
	}
	if (c->pck_certificate_chain && coll_pck_chain(v, err, errlen))
		return -1;
	v->cv.anchor = &v->a->cert;
	v->cv.crls = v->crl;
	v->cv.ncrls = 2;
	v->cv.now = v->o.now;
	window_add(w, c->ti.issue_date, c->ti.next_update);
	window_add(w, c->qi.issue_date, c->qi.next_update);
	for (int i = 0; i < 2; i++)
		window_add(w, v->crl[i].last, v->crl[i].next);
	window_chain(w, &v->tcb_chain);
	window_chain(w, &v->qe_chain);
	return 0;
}

void trust_free(struct qv *v)
{
	dcert_list_free(&v->tcb_chain);
	dcert_list_free(&v->qe_chain);
	dcrl_free(&v->crl[0]);
	dcrl_free(&v->crl[1]);
}

const char *chain_cns(const struct dcert_list *l, char *out, size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (int i = 0; i < l->n && used + 4 < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " <- " : "", l->c[i].cn);
	return out;
}

/* ---- the collateral's checks ---- */

/* The TCB info or the QE identity: its text, signature, dates, chain and
 * dcap-qvl's error strings. */
struct item {
	const char *text;
	size_t len;
	const uint8_t *sig;
	long long issue, next;
	struct dcert_list *chain;
	const char *early, *expired, *too_short, *bad_sig;
};

static struct item item(struct qv *v, int qe)
{
	const struct collateral *c = v->c;
	if (!qe)
		return (struct item){c->tcb_info, c->tcb_info_len, c->tcb_info_sig, c->ti.issue_date, c->ti.next_update,
				     &v->tcb_chain, "TCBInfo issue date is in the future", "TCBInfo expired",
				     "Certificate chain is too short for TCB Info",
				     "Signature is invalid for tcb_info in quote_collateral"};
	return (struct item){c->qe_identity, c->qe_identity_len, c->qe_identity_sig, c->qi.issue_date,
			     c->qi.next_update, v->qe_chain.n ? &v->qe_chain : &v->tcb_chain,
			     "QE Identity issue date is in the future", "QE Identity expired",
			     "Certificate chain is too short for QE Identity",
			     "Signature is invalid for qe_identity in quote_collateral"};
}

static void item_window(struct qv *v, int qe, struct check *c)
{
	struct item it = item(v, qe);
	char a[32], b[32], t[32];
	utc(it.issue, a);
	utc(it.next, b);
	utc(v->o.now, t);
	if (v->o.now < it.issue)
		ck_fail(c, it.early, "issued %s, after the verification time %s", a, t);
	else if (v->o.now > it.next)
		ck_fail(c, it.expired, "next update was due %s, before the verification time %s", b, t);
	else
		ck_pass(c, "issued %s, next update %s, verification time %s", a, b, t);
}

static void item_chain(struct qv *v, int qe, struct check *c)
{
	struct item it = item(v, qe);
	char e[400], note[200], cns[700];
	chain_cns(it.chain, cns, sizeof cns);
	if (it.chain->n < 2)
		ck_fail(c, it.too_short, "the issuer chain has %d certificate(s): %s", it.chain->n, cns);
	else if (!chain_verify(&v->cv, it.chain->c, it.chain->n, e, sizeof e, note, sizeof note))
		ck_fail(c, e, "%s: %s", cns, e);
	else
		ck_pass(c, "%s; revocation checked against the root CA CRL%s%s", cns, note[0] ? "; " : "", note);
}

static void item_signature(struct qv *v, int qe, struct check *c)
{
	struct item it = item(v, qe);
	struct dcert *signer = it.chain->n ? &it.chain->c[0] : NULL;
	EVP_PKEY *k = signer ? dcert_key(signer) : NULL;
	int ok = k && ecdsa_verify_raw(k, (const uint8_t *)it.text, it.len, it.sig) == 1;
	v->st.ecdsa++;
	if (ok)
		ck_pass(c, "ECDSA P-256 signature over the %zu bytes served, by %s", it.len, signer->cn);
	else
		ck_fail(c, it.bad_sig, "the signature over the %zu bytes served does not verify with the key of %s", it.len,
			signer ? signer->cn : "?");
}

void once_root_ca_revocation(struct qv *v, struct check *c)
{
	if (chain_anchor_revoked(&v->cv))
		ck_fail(c, "Root CA is revoked", "the trust anchor %s is listed in a CRL it signed", v->a->subject);
	else
		ck_pass(c, "the trust anchor is not listed in the CRLs it signed");
}

void once_tcb_info_window(struct qv *v, struct check *c) { item_window(v, 0, c); }
void once_tcb_info_chain(struct qv *v, struct check *c) { item_chain(v, 0, c); }
void once_tcb_info_signature(struct qv *v, struct check *c) { item_signature(v, 0, c); }
void once_qe_identity_window(struct qv *v, struct check *c) { item_window(v, 1, c); }
void once_qe_identity_signature(struct qv *v, struct check *c) { item_signature(v, 1, c); }

void once_qe_identity_chain(struct qv *v, struct check *c)
{
	const struct check *tcb = once_result(v, "tcb_info_chain");
	if (v->qe_chain.n || !tcb) {
		item_chain(v, 1, c);
		return;
	}
	/* the same issuer chain text: the same verification */
	const char *name = c->name;
	*c = *tcb;
	c->name = name;
}
