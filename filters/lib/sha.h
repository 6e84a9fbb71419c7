/* SHA-256 and SHA-384 of a buffer, in one call. */
#ifndef MP_SHA_H
#define MP_SHA_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *p, size_t n, uint8_t out[32]);
void sha384(const void *p, size_t n, uint8_t out[48]);

#endif
