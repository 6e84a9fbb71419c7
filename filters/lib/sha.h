/* SHA-256 and SHA-384 of a buffer, in one call. */
#ifndef MP_SHA_H
#define MP_SHA_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *p, size_t n, uint8_t out[32]);
/* SHA-256 as 64 lower-case hex digits */
void sha256_hex(const void *p, size_t n, char out[65]);
void sha384(const void *p, size_t n, uint8_t out[48]);

#endif
