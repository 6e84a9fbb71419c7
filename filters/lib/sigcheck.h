/* Signature checks of signed blobs (probe candidates, release checksums)
 * with the project's public key, by cosign-wrap itself: make promote and make
 * gate trust exactly what `cosign-wrap verify` trusts. */
#ifndef MP_SIGCHECK_H
#define MP_SIGCHECK_H

#include <stddef.h>

#include "common.h"

/* Run `cosign-wrap verify --key KEY --signature /dev/fd/3` (cosign-wrap
 * found on PATH; never a shell) with blob
 * on its stdin and sig on descriptor 3, both in memory. Returns 0 when the
 * signature verifies, 1 when it does not, else cosign-wrap's exit code (65 a
 * malformed signature or key, 66 the key missing, 78 a key that is not P-256,
 * 69 cosign-wrap cannot be run); why gets the first line it wrote to stderr. */
int sig_verify(const char *key, const struct buf *blob, const struct buf *sig, char *why, size_t whylen);

#endif
