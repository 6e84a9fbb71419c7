/* GitHub releases through the client of github.h (release-upload,
 * release-fetch): a release found by its tag, drafts included (GitHub's
 * by-tag endpoint does not show drafts: they are looked up in the release
 * list), its assets. */
#ifndef MP_GHRELEASE_H
#define MP_GHRELEASE_H

#include <jv.h>

#include "github.h"

/* A number member of an object (an id), or -1. */
long long ghr_id(jv obj, const char *key);
/* The release of repo with this tag into *out: 1 found, 0 none; exits on
 * the client's failures and (1) when several drafts carry the tag. */
int ghr_find(struct gh *g, const char *repo, const char *tag, jv *out);
/* Every asset of a release (all pages). */
jv ghr_assets(struct gh *g, const char *repo, long long rid);
/* The asset of this name in a list (borrowed: not consumed), as a new
 * reference, or invalid. */
jv ghr_asset_named(jv assets, const char *name);

#endif
