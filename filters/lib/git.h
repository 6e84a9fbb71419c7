/* git for version-sync and make promote: every call is an argv array run
 * with posix_spawnp (never a shell), stdin from /dev/null; revisions are
 * checked before use and resolved to commit ids, which are all that later
 * calls see. */
#ifndef MP_GIT_H
#define MP_GIT_H

#include <stddef.h>

#include "common.h"

/* Run every later git call in dir (git -C dir); NULL: the current folder. */
void git_set_dir(const char *dir);

/* 1 when rev may be handed to git: 1-255 characters of [A-Za-z0-9._/@{}~^+-],
 * not starting with '-'. */
int git_rev_ok(const char *rev);
/* 1 when s is a branch name git and GitHub both take: 1-200 characters of
 * [A-Za-z0-9._/-], no "..", "//" or leading '-', '/', '.', no trailing '/'
 * or ".lock". */
int git_branch_ok(const char *s);
/* Resolve rev to a commit id (40 or 64 hex digits) in id; 0 on success, else
 * -1 with git's first line of error (or a sentence) in why. Exits 69 when git
 * cannot be run. */
int git_commit_id(const char *rev, char id[65], char *why, size_t whylen);
/* The merge base of two commit ids; -1 (why set) when there is none. */
int git_merge_base(const char *a, const char *b, char id[65], char *why, size_t whylen);

enum git_blob { GIT_BLOB_OK, GIT_BLOB_ABSENT, GIT_BLOB_NOT_FILE };
/* Read the regular file path (from the repository's root) at commit, or in
 * the work tree when commit is NULL, into b (initialised here; at most cap
 * bytes, else exit 65). A link is not a regular file. Exits 70 when git
 * fails, 74 when the work tree's file cannot be read. */
enum git_blob git_blob(const char *commit, const char *path, size_t cap, struct buf *b);

/* Run git with args (NULL-terminated, without "git"); its stdout (at most
 * 1 MiB) into out (initialised here). Returns git's exit status; on a
 * failure why holds its first line of error. */
int git_capture(const char *const args[], struct buf *out, char *why, size_t whylen);
/* git_capture expecting one object id on the first line of output (0), or
 * -1 with why set. */
int git_capture_id(const char *const args[], char id[65], char *why, size_t whylen);

#endif
