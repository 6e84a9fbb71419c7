/* JWT verification with OpenSSL 3 EVP: keys from JWK parameters through
 * EVP_PKEY_fromdata, RSA PKCS#1 v1.5 and PSS (salt = digest length, MGF1 with
 * the same digest, RFC 7518 3.5), ECDSA with raw r||s signatures. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jwt.h"
#include "lib/codec.h"
#include "lib/ecdsa.h"

#define MIN_RSA_BITS 2048

enum kty { KTY_RSA, KTY_EC };

struct alg {
	const char *name;
	enum kty kty;
	int pss;
	const char *md;
	const char *curve; /* EC: the JWK crv */
	size_t half;       /* EC: bytes of r and of s */
};

static const struct alg algs[] = {
	{"RS256", KTY_RSA, 0, "SHA256", NULL, 0}, {"RS384", KTY_RSA, 0, "SHA384", NULL, 0},
	{"PS256", KTY_RSA, 1, "SHA256", NULL, 0}, {"PS384", KTY_RSA, 1, "SHA384", NULL, 0},
	{"ES256", KTY_EC, 0, "SHA256", "P-256", 32}, {"ES384", KTY_EC, 0, "SHA384", "P-384", 48},
};

static const struct alg *alg_lookup(const char *name)
{
	for (size_t i = 0; name && i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(name, algs[i].name) == 0)
			return &algs[i];
	return NULL;
}

static int b64url_part(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '-' || p[i] == '_'))
			return -1;
	return n ? b64_decode(p, n, out) : -1;
}

static jv json_part(const char *p, size_t n, const char *what, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	if (b64url_part(p, n, &b)) {
		buf_free(&b);
		snprintf(err, errlen, "the token's %s is not base64url", what);
		return jv_invalid();
	}
	char perr[200];
	jv v = json_parse((const char *)b.data, b.len, perr, sizeof perr);
	buf_free(&b);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		snprintf(err, errlen, "the token's %s is not a JSON object", what);
		return jv_invalid();
	}
	return v;
}

int jwt_parse(const char *token, struct jwt *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->header = jv_null();
	t->claims = jv_null();
	buf_init(&t->sig);
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.')) {
		snprintf(err, errlen, "the token is not a JWS in compact form (three dot-separated parts)");
		return EXIT_PROTOCOL;
	}
	jv_free(t->header);
	t->header = json_part(token, (size_t)(d1 - token), "header", err, errlen);
	if (!jv_is_valid(t->header))
		return EXIT_PROTOCOL;
	jv_free(t->claims);
	t->claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", err, errlen);
	if (!jv_is_valid(t->claims))
		return EXIT_PROTOCOL;
	if (b64url_part(d2 + 1, strlen(d2 + 1), &t->sig)) {
		snprintf(err, errlen, "the token's signature is empty or not base64url");
		return EXIT_PROTOCOL;
	}
	t->signed_len = (size_t)(d2 - token);
	t->signed_part = xmalloc(t->signed_len + 1);
	memcpy(t->signed_part, token, t->signed_len);
	t->signed_part[t->signed_len] = 0;
	return 0;
}

void jwt_free(struct jwt *t)
{
	jv_free(t->header);
	jv_free(t->claims);
	t->header = t->claims = jv_null();
	buf_free(&t->sig);
	free(t->signed_part);
	t->signed_part = NULL;
}

/* A base64url JWK member into out; -1 when absent or malformed. */
static int jwk_bytes(jv jwk, const char *key, struct buf *out)
{
	const char *s = json_str(jwk, key);
	buf_init(out);
	if (!s || b64url_part(s, strlen(s), out) || out->len == 0) {
		buf_free(out);
		return -1;
	}
	return 0;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return k;
}

static EVP_PKEY *rsa_key(jv jwk)
{
	struct buf n, e;
	if (jwk_bytes(jwk, "n", &n))
		return NULL;
	if (jwk_bytes(jwk, "e", &e)) {
		buf_free(&n);
		return NULL;
	}
	BIGNUM *bn = BN_bin2bn(n.data, (int)n.len, NULL), *be = BN_bin2bn(e.data, (int)e.len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *k = NULL;
	if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		k = pkey_fromdata("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	buf_free(&n);
	buf_free(&e);
	return k;
}

static EVP_PKEY *ec_key(jv jwk, const struct alg *a)
{
	const char *crv = json_str(jwk, "crv");
	if (!crv || strcmp(crv, a->curve) != 0)
		return NULL;
	struct buf x, y;
	if (jwk_bytes(jwk, "x", &x))
		return NULL;
	if (jwk_bytes(jwk, "y", &y)) {
		buf_free(&x);
		return NULL;
	}
	if (x.len != a->half || y.len != a->half) {
		buf_free(&x);
		buf_free(&y);
		return NULL;
	}
	uint8_t pt[1 + 2 * 48];
	pt[0] = 4;
	memcpy(pt + 1, x.data, a->half);
	memcpy(pt + 1 + a->half, y.data, a->half);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *k = NULL;
	const char *group = a->half == 32 ? "prime256v1" : "secp384r1";
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * a->half))
		k = pkey_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	buf_free(&x);
	buf_free(&y);
	return k;
}

/* The x5c leaf: it must hold key (when key is given) and be valid at now;
 * returns its key (a new reference) or NULL with err. */
static EVP_PKEY *x5c_leaf_key(jv jwk, EVP_PKEY *key, long long now, char *err, size_t errlen)
{
	jv chain = json_get(jwk, "x5c"), first = jv_array_get(jv_copy(chain), 0);
	EVP_PKEY *k = NULL;
	struct buf der;
	buf_init(&der);
	const char *b64 = jv_get_kind(first) == JV_KIND_STRING ? jv_string_value(first) : NULL;
	const uint8_t *p = der.data;
	X509 *x = NULL;
	if (b64 && b64_decode(b64, strlen(b64), &der) == 0 && (p = der.data, x = d2i_X509(NULL, &p, (long)der.len))) {
		time_t t = (time_t)now;
		if (X509_cmp_time(X509_get0_notBefore(x), &t) > 0 || X509_cmp_time(X509_get0_notAfter(x), &t) < 0)
			snprintf(err, errlen, "the signing key's x5c certificate is not valid at %lld", now);
		else if (key && EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1)
			snprintf(err, errlen, "the signing key's x5c certificate holds another key");
		else if ((k = X509_get0_pubkey(x)))
			EVP_PKEY_up_ref(k);
	} else {
		snprintf(err, errlen, "the signing key's x5c certificate does not parse");
	}
	X509_free(x);
	buf_free(&der);
	jv_free(first);
	jv_free(chain);
	return k;
}

/* The key of jwk for alg, checked against its x5c; NULL with err. */
static EVP_PKEY *jwk_key(jv jwk, const struct alg *a, long long now, char *err, size_t errlen)
{
	const char *kty = json_str(jwk, "kty"), *jalg = json_str(jwk, "alg"), *use = json_str(jwk, "use");
	if (!kty || strcmp(kty, a->kty == KTY_RSA ? "RSA" : "EC") != 0) {
		snprintf(err, errlen, "the key '%s' is not for %s (kty %s)", json_str(jwk, "kid"), a->name,
			 kty ? kty : "missing");
		return NULL;
	}
	if ((jalg && strcmp(jalg, a->name) != 0) || (use && strcmp(use, "sig") != 0)) {
		snprintf(err, errlen, "the key '%s' is for %s, not %s", json_str(jwk, "kid"), jalg ? jalg : use, a->name);
		return NULL;
	}
	EVP_PKEY *k = a->kty == KTY_RSA ? rsa_key(jwk) : ec_key(jwk, a);
	jv chain = json_get(jwk, "x5c");
	int has_x5c = jv_get_kind(chain) == JV_KIND_ARRAY && jv_array_length(jv_copy(chain)) > 0;
	jv_free(chain);
	if (has_x5c) {
		EVP_PKEY *leaf = x5c_leaf_key(jwk, k, now, err, errlen);
		EVP_PKEY_free(k);
		k = leaf;
	} else if (!k) {
		snprintf(err, errlen, "the key '%s' has no usable %s parameters", json_str(jwk, "kid"),
			 a->kty == KTY_RSA ? "n, e" : "crv, x, y");
	}
	if (k && a->kty == KTY_RSA && EVP_PKEY_get_bits(k) < MIN_RSA_BITS) {
		snprintf(err, errlen, "the key '%s' has %d bits, fewer than %d", json_str(jwk, "kid"),
			 EVP_PKEY_get_bits(k), MIN_RSA_BITS);
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* 1 when sig verifies over msg with key under a. */
static int verify_sig(EVP_PKEY *key, const struct alg *a, const struct buf *sig, const char *msg, size_t n)
{
	const EVP_MD *md = EVP_get_digestbyname(a->md);
	const uint8_t *s = sig->data;
	size_t slen = sig->len;
	uint8_t *der = NULL;
	if (a->kty == KTY_EC) { /* JWS: r||s of fixed size; OpenSSL: DER */
		if (slen != 2 * a->half)
			return 0;
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(s, (int)a->half, NULL), *ss = BN_bin2bn(s + a->half, (int)a->half, NULL);
		int len = -1;
		if (es && r && ss && ECDSA_SIG_set0(es, r, ss)) {
			r = ss = NULL;
			len = i2d_ECDSA_SIG(es, &der);
		}
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(es);
		if (len <= 0)
			return 0;
		s = der;
		slen = (size_t)len;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) == 1;
	if (ok && a->pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0;
	ok = ok && EVP_DigestVerify(ctx, s, slen, (const uint8_t *)msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

/* The member of jwks["keys"] whose kid is kid, or invalid. */
static jv find_key(jv keys, const char *kid)
{
	for (int i = 0; i < jv_array_length(jv_copy(keys)); i++) {
		jv k = jv_array_get(jv_copy(keys), i);
		const char *id = json_str(k, "kid");
		if (id && strcmp(id, kid) == 0)
			return k;
		jv_free(k);
	}
	return jv_invalid();
}

int jwt_verify(const struct jwt *t, jv jwks, long long now, char *err, size_t errlen)
{
	jv keys = json_get(jwks, "keys");
	if (jv_get_kind(keys) != JV_KIND_ARRAY) {
		jv_free(keys);
		snprintf(err, errlen, "the key set is not a JWKS (no \"keys\" array)");
		return EXIT_PROTOCOL;
	}
	const char *algname = json_str(t->header, "alg"), *kid = json_str(t->header, "kid");
	const struct alg *a = alg_lookup(algname);
	int rc = EXIT_NO;
	if (!a) {
		snprintf(err, errlen, "the token's algorithm '%.20s' is not one of RS256, RS384, PS256, PS384, ES256, ES384",
			 algname ? algname : "(none)");
	} else if (!kid) {
		snprintf(err, errlen, "the token's header has no kid");
	} else {
		jv jwk = find_key(keys, kid);
		EVP_PKEY *key = NULL;
		if (!jv_is_valid(jwk))
			snprintf(err, errlen, "no key '%.80s' in the key set", kid);
		else if ((key = jwk_key(jwk, a, now, err, errlen)) &&
			 !verify_sig(key, a, &t->sig, t->signed_part, t->signed_len))
			snprintf(err, errlen, "the %s signature does not verify with key '%.80s'", a->name, kid);
		else if (key)
			rc = 0;
		EVP_PKEY_free(key);
		jv_free(jwk);
	}
	jv_free(keys);
	return rc;
}

int jwt_check_time(const struct jwt *t, long long now, long leeway, char *err, size_t errlen)
{
	jv exp = json_get(t->claims, "exp"), nbf = json_get(t->claims, "nbf");
	int rc = 0;
	char when[32];
	if (jv_get_kind(exp) != JV_KIND_NUMBER) {
		snprintf(err, errlen, "the token has no exp (expiry) claim");
		rc = EXIT_NO;
	} else if ((long long)jv_number_value(exp) + leeway < now) {
		format_utc((long long)jv_number_value(exp), when);
		snprintf(err, errlen, "the token expired at %s", when);
		rc = EXIT_NO;
	} else if (jv_get_kind(nbf) == JV_KIND_NUMBER && (long long)jv_number_value(nbf) - leeway > now) {
		format_utc((long long)jv_number_value(nbf), when);
		snprintf(err, errlen, "the token is not valid before %s", when);
		rc = EXIT_NO;
	}
	jv_free(exp);
	jv_free(nbf);
	return rc;
}
