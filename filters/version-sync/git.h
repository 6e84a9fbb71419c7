/* git for version-sync: every call is an argv array run with posix_spawnp
 * (never a shell), stdin from /dev/null; revisions are checked before use and
 * resolved to commit ids, which are all that later calls see. */
#ifndef VS_GIT_H
#define VS_GIT_H

#include <stddef.h>

#include "lib/common.h"

/* 1 when rev may be handed to git: 1-255 characters of [A-Za-z0-9._/@{}~^+-],
 * not starting with '-'. */
int vs_rev_ok(const char *rev);
/* Resolve rev to a commit id (40 or 64 hex digits) in id; 0 on success, else
 * -1 with git's first line of error (or a sentence) in why. Exits 69 when git
 * cannot be run. */
int vs_git_commit(const char *rev, char id[65], char *why, size_t whylen);
/* The merge base of two commit ids; -1 (why set) when there is none. */
int vs_git_merge_base(const char *a, const char *b, char id[65], char *why, size_t whylen);

enum vs_blob { VS_BLOB_OK, VS_BLOB_ABSENT, VS_BLOB_NOT_FILE };
/* Read the regular file path (from the repository's root) at commit, or in
 * the work tree when commit is NULL, into b (initialised here; at most cap
 * bytes, else exit 65). A link is not a regular file. Exits 70 when git
 * fails, 74 when the work tree's file cannot be read. */
enum vs_blob vs_git_blob(const char *commit, const char *path, size_t cap, struct buf *b);

#endif
