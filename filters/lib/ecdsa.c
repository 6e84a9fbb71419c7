#include "ecdsa.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "common.h"

EVP_PKEY *ec_pub_from_xy(const uint8_t xy[64])
{
	uint8_t point[65];
	point[0] = 0x04;
	memcpy(point + 1, xy, 64);
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	if (!ctx || !bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	if (k) {
		/* fromdata does not check that the point is on the curve; the quick check
		 * does, and on P-256 (cofactor 1) that is the whole check */
		EVP_PKEY_CTX *c2 = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		int ok = c2 && EVP_PKEY_public_check_quick(c2) == 1;
		EVP_PKEY_CTX_free(c2);
		if (!ok) {
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	ERR_clear_error();
	return k;
}

int ec_pub_to_xy(EVP_PKEY *k, uint8_t xy[64])
{
	uint8_t point[65];
	size_t n = 0;
	if (!ec_is_p256(k) ||
	    !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n))
		return -1;
	if (n != 65 || point[0] != 0x04) {
		/* compressed form: ask for the uncompressed encoding */
		EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed");
		if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &n) ||
		    n != 65)
			return -1;
	}
	memcpy(xy, point + 1, 64);
	return 0;
}

EVP_PKEY *ec_generate_p256(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int ec_is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t n = 0;
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n))
		return 0;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

int ecdsa_raw_to_der(const uint8_t raw[64], uint8_t **der, size_t *derlen)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *ss = BN_bin2bn(raw + 32, 32, NULL);
	if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return -1;
	}
	unsigned char *out = NULL;
	int n = i2d_ECDSA_SIG(s, &out);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return -1;
	*der = out;
	*derlen = (size_t)n;
	return 0;
}

static int ecdsa_der_to_raw(const uint8_t *der, size_t derlen, uint8_t raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!s)
		return -1;
	int ok = p == der + derlen;
	const BIGNUM *r, *ss;
	ECDSA_SIG_get0(s, &r, &ss);
	ok = ok && BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(ss, raw + 32, 32) == 32;
	ECDSA_SIG_free(s);
	return ok ? 0 : -1;
}

int ecdsa_verify_der(EVP_PKEY *pub, const uint8_t *msg, size_t n, const uint8_t *der, size_t derlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	int r = -1;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1) {
		int v = EVP_DigestVerify(ctx, der, derlen, msg, n);
		r = v == 1 ? 1 : 0;
	}
	EVP_MD_CTX_free(ctx);
	if (r != 1)
		ERR_clear_error(); /* a "no" is an answer, not an error to keep */
	return r;
}

int ecdsa_verify_raw(EVP_PKEY *pub, const uint8_t *msg, size_t n, const uint8_t sig[64])
{
	uint8_t *der = NULL;
	size_t derlen;
	if (ecdsa_raw_to_der(sig, &der, &derlen))
		return -1;
	int r = ecdsa_verify_der(pub, msg, n, der, derlen);
	OPENSSL_free(der);
	return r;
}

static int ecdsa_sign_der(EVP_PKEY *priv, const uint8_t *msg, size_t n, uint8_t **der, size_t *derlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = 0;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, priv) == 1 &&
		 EVP_DigestSign(ctx, NULL, &len, msg, n) == 1;
	uint8_t *out = ok ? OPENSSL_malloc(len) : NULL;
	ok = ok && out && EVP_DigestSign(ctx, out, &len, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		OPENSSL_free(out);
		return -1;
	}
	*der = out;
	*derlen = len;
	return 0;
}

int ecdsa_sign_raw(EVP_PKEY *priv, const uint8_t *msg, size_t n, uint8_t sig[64])
{
	uint8_t *der;
	size_t derlen;
	if (ecdsa_sign_der(priv, msg, n, &der, &derlen))
		return -1;
	int r = ecdsa_der_to_raw(der, derlen, sig);
	OPENSSL_free(der);
	return r;
}

void ssl_error_text(char *out, size_t n)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, out, n);
	else
		snprintf(out, n, "no detail");
	ERR_clear_error();
}
