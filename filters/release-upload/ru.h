/* release-upload: the parts (main.c the command line and the receipt,
 * release.c the release and its assets, upload.c the plan and the uploads,
 * hash.c SHA-256 of files and streams). */
#ifndef RU_H
#define RU_H

#include <jv.h>

#include "lib/github.h"

enum result { R_NONE, R_UPLOADED, R_IDENTICAL, R_REPLACED };

struct file {
	const char *path;
	const char *name;      /* the asset's name: the file's base name */
	int fd;
	long long size;
	char sha[65];          /* SHA-256 of the file, hex */
	const char *ctype;
	enum result result;
	jv asset;              /* the asset on the release once done (owned) */
	long long existing;    /* id of an asset of the same name to remove first, 0 none */
	int differs;           /* that asset holds other content (not a starter) */
};

struct run {
	struct gh g;
	const char *repo, *tag, *label;
	int create_draft, publish, clobber, progress;
	struct file *files;
	int n;
	jv release;            /* the release's JSON (owned) */
	long long rid;
	char *upload_base;     /* upload_url without its {?name,label} template */
	int created, published;
};

/* release.c */
void release_find(struct run *r);
jv release_assets(struct run *r);
void release_publish(struct run *r);
void asset_delete(struct run *r, long long id, const char *name);
int release_immutable(const struct run *r);
/* A number member of an object, or -1. */
long long member_id(jv obj, const char *key);

/* upload.c */
void plan(struct run *r);
void upload_all(struct run *r);

/* hash.c */
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
