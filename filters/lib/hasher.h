/* SHA-256 of files and of bytes as they stream past (uploads, downloads,
 * checksums), in memory independent of their size. */
#ifndef MP_HASHER_H
#define MP_HASHER_H

#include <stddef.h>

#include "common.h"

struct hasher {
	void *ctx;
};
void hasher_init(struct hasher *h);
void hasher_restart(struct hasher *h);
void hasher_add(struct hasher *h, const void *p, size_t n);
void hasher_hex(struct hasher *h, char out[65]); /* the digest so far */
void hasher_free(struct hasher *h);
/* SHA-256 of the first len bytes of a file; 0, errno of a failed read, or
 * -1 when the file is shorter. */
int hash_fd(int fd, long long len, char out[65]);

#endif
