/* SHA-256 of files and of bytes as they stream past (OpenSSL EVP). */
#include <errno.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "codec.h"
#include "hasher.h"

void hasher_init(struct hasher *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		fail(EXIT_SOFTWARE, "cannot initialise SHA-256");
}

void hasher_restart(struct hasher *h)
{
	if (!EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		fail(EXIT_SOFTWARE, "cannot initialise SHA-256");
}

void hasher_add(struct hasher *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

void hasher_hex(struct hasher *h, char out[65])
{
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_MD_CTX_copy_ex(c, h->ctx) || !EVP_DigestFinal_ex(c, md, NULL))
		fail(EXIT_SOFTWARE, "cannot compute SHA-256");
	EVP_MD_CTX_free(c);
	hex_encode_to(md, 32, out);
}

void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int hash_fd(int fd, long long len, char out[65])
{
	struct hasher h;
	unsigned char chunk[65536];
	long long off = 0;
	hasher_init(&h);
	while (off < len) {
		size_t want = len - off < (long long)sizeof chunk ? (size_t)(len - off) : sizeof chunk;
		ssize_t n = pread(fd, chunk, want, (off_t)off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			int e = n < 0 ? errno : -1;
			hasher_free(&h);
			return e;
		}
		hasher_add(&h, chunk, (size_t)n);
		off += n;
	}
	hasher_hex(&h, out);
	hasher_free(&h);
	return 0;
}
