/* libFuzzer harness: cosign key and signature parsing (filters/cosign-wrap/cosignkey.c).
 * Inputs are PEM texts (cosign's encrypted format, PKCS#8, SEC1, public keys)
 * and signatures; the password is "hello", that of the seed keys, so mutated
 * keys also reach scrypt, the secretbox and the PKCS#8 parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cosign-wrap/cosignkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		cosign_init();
		ready = 1;
	}
	char err[640];
	EVP_PKEY *k = NULL;
	if (cosign_key_parse((const char *)data, size, "hello", 5, &k, err, sizeof err) == 0) {
		struct buf pem;
		buf_init(&pem);
		cosign_pub_pem(k, &pem);
		buf_free(&pem);
		EVP_PKEY_free(k);
	}
	if (cosign_pub_parse((const char *)data, size, &k, err, sizeof err) == 0) {
		char *hint = cosign_key_hint(k);
		free(hint);
		EVP_PKEY_free(k);
	}
	struct buf der;
	buf_init(&der);
	cosign_sig_to_der(data, size, &der);
	/* base64 text holding a NUL byte is never accepted (libsodium skips NUL) */
	if (cosign_b64_decode((const char *)data, size, &der) == 0 && memchr(data, 0, size))
		abort();
	buf_free(&der);
	return 0;
}

/* libjq 1.6 leaks the value it was parsing on "Expected separator between
 * values" (jv_parse.c value()): its bug on malformed JSON, not this code's,
 * and the same suppression as fuzz_eventlog.c. Everything cosignkey.c
 * allocates is still checked. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:jv_parser_next\n"; }
