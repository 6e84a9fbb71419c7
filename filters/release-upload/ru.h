/* release-upload: the parts (main.c the command line and the receipt,
 * release.c the release and its assets, upload.c the plan and the uploads;
 * lib/hasher.c SHA-256 of files and streams). */
#ifndef RU_H
#define RU_H

#include <jv.h>

#include "lib/ghrelease.h"
#include "lib/hasher.h"

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
	const char *repo, *tag, *label, *notes_path;
	int create_draft, publish, clobber, progress;
	struct file *files;
	int n;
	jv release;            /* the release's JSON (owned) */
	long long rid;
	char *upload_base;     /* upload_url without its {?name,label} template */
	int created, published;
	const struct buf *notes; /* --notes: the release's notes to have */
	const char *notes_result; /* "created", "updated", "unchanged", or NULL */
};

/* release.c */
void release_find(struct run *r);
jv release_assets(struct run *r);
void release_publish(struct run *r);
/* Set the release's notes to r->notes unless they are those already. */
void release_notes(struct run *r);
void asset_delete(struct run *r, long long id, const char *name);
int release_immutable(const struct run *r);

/* upload.c */
void plan(struct run *r);
void upload_all(struct run *r);

#endif
