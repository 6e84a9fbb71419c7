#include "x509v.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "common.h"
#include "ecdsa.h"
#include "tdx.h"

static int looks_pem(const uint8_t *p, size_t n)
{
	return n >= 10 && memmem(p, n, "-----BEGIN", 10) != NULL;
}

X509 *x509v_load_cert(const uint8_t *p, size_t n, char *err, size_t errlen)
{
	X509 *x = NULL;
	if (looks_pem(p, n)) {
		BIO *b = BIO_new_mem_buf(p, (int)n);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		const unsigned char *q = p;
		x = d2i_X509(NULL, &q, (long)n);
		if (x && q != p + n) {
			X509_free(x);
			snprintf(err, errlen, "%zu bytes follow the DER certificate", (size_t)(p + n - q));
			return NULL;
		}
	}
	if (!x) {
		char r[256];
		ssl_error_text(r, sizeof r);
		snprintf(err, errlen, "not a PEM or DER certificate: %s", r);
	}
	return x;
}

X509_CRL *x509v_load_crl(const uint8_t *p, size_t n, char *err, size_t errlen)
{
	X509_CRL *c = NULL;
	if (looks_pem(p, n)) {
		BIO *b = BIO_new_mem_buf(p, (int)n);
		c = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		const unsigned char *q = p;
		c = d2i_X509_CRL(NULL, &q, (long)n);
		if (c && q != p + n) {
			X509_CRL_free(c);
			snprintf(err, errlen, "%zu bytes follow the DER CRL", (size_t)(p + n - q));
			return NULL;
		}
	}
	if (!c) {
		char r[256];
		ssl_error_text(r, sizeof r);
		snprintf(err, errlen, "not a DER or PEM CRL: %s", r);
	}
	return c;
}

void x509v_cn(X509 *x, char *out, size_t n)
{
	char cn[256];
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) >= 0) {
		snprintf(out, n, "CN=%s", cn);
		return;
	}
	char *s = x509_name_text(X509_get_subject_name(x));
	snprintf(out, n, "%s", s);
	free(s);
}

void x509v_fingerprint(X509 *x, uint8_t out[32])
{
	unsigned int n = 32;
	if (!X509_digest(x, EVP_sha256(), out, &n))
		memset(out, 0, 32);
}

struct vnote {
	char *note;
	size_t notelen;
};

/* dcap-qvl (webpki) enforces a CRL's nextUpdate but not its thisUpdate:
 * accept a CRL issued after now, and say so. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return 1;
	if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_NOT_YET_VALID) {
		struct vnote *vn = X509_STORE_CTX_get_app_data(ctx);
		if (vn && vn->note && vn->notelen && !vn->note[0])
			snprintf(vn->note, vn->notelen, "a CRL's thisUpdate lies after the verification time (accepted, as dcap-qvl does)");
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return 0;
}

int x509v_init(struct x509v *v, X509 *anchor, X509_CRL *const *crls, int ncrls, long long now)
{
	memset(v, 0, sizeof *v);
	v->store = X509_STORE_new();
	v->crls = sk_X509_CRL_new_null();
	if (!v->store || !v->crls || !X509_STORE_add_cert(v->store, anchor)) {
		x509v_free(v);
		return -1;
	}
	X509_STORE_set_verify_cb(v->store, verify_cb);
	X509_up_ref(anchor);
	v->anchor = anchor;
	for (int i = 0; i < ncrls; i++) {
		X509_CRL_up_ref(crls[i]);
		sk_X509_CRL_push(v->crls, crls[i]);
	}
	v->now = now;
	return 0;
}

void x509v_free(struct x509v *v)
{
	X509_STORE_free(v->store);
	X509_free(v->anchor);
	sk_X509_CRL_pop_free(v->crls, X509_CRL_free);
	memset(v, 0, sizeof *v);
}

int x509v_verify(struct x509v *v, X509 *const *chain, int n, char *err, size_t errlen, char *note, size_t notelen)
{
	if (note && notelen)
		note[0] = 0;
	if (n < 1) {
		snprintf(err, errlen, "empty certificate chain");
		return 0;
	}
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;
	if (!untrusted || !ctx) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int i = 1; i < n; i++)
		sk_X509_push(untrusted, chain[i]);
	if (!X509_STORE_CTX_init(ctx, v->store, chain[0], untrusted)) {
		char r[256];
		ssl_error_text(r, sizeof r);
		snprintf(err, errlen, "cannot set up verification: %s", r);
		goto done;
	}
	struct vnote vn = {note, notelen};
	X509_STORE_CTX_set_app_data(ctx, &vn);
	X509_STORE_CTX_set0_crls(ctx, v->crls);
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_USE_CHECK_TIME);
	X509_VERIFY_PARAM_set_time(param, (time_t)v->now);
	v->verifications++;
	if (X509_verify_cert(ctx) == 1) {
		ok = 1;
	} else {
		int e = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
		char who[300] = "?";
		if (cur)
			x509v_cn(cur, who, sizeof who);
		snprintf(err, errlen, "%s (certificate %d, %s)", X509_verify_cert_error_string(e), depth, who);
	}
	ERR_clear_error();
done:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return ok;
}

int x509v_anchor_revoked(struct x509v *v, X509 *cert)
{
	EVP_PKEY *k = X509_get0_pubkey(v->anchor);
	for (int i = 0; i < sk_X509_CRL_num(v->crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(v->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(v->anchor)) != 0)
			continue;
		if (!k || X509_CRL_verify(c, k) != 1) {
			ERR_clear_error();
			continue;
		}
		X509_REVOKED *r = NULL;
		if (X509_CRL_get0_by_cert(c, &r, cert) == 1)
			return 1;
	}
	return 0;
}
