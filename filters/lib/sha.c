/* SHA256_Init & co are deprecated in OpenSSL 3 but are its fastest path for
 * one-shot hashing of small buffers (no EVP fetch per call). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "codec.h"

void sha256(const void *p, size_t n, uint8_t out[32])
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
}

void sha384(const void *p, size_t n, uint8_t out[48])
{
	SHA512_CTX c;
	SHA384_Init(&c);
	SHA384_Update(&c, p, n);
	SHA384_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof c);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t md[32];
	sha256(p, n, md);
	hex_encode_to(md, 32, out);
}
