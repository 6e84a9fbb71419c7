/* The one list of files lint is told to skip (policies/lint-skip.conf): a
 * line "PATTERN REASON...", PATTERN a path from the repository's root, a
 * folder ending in '/', or a glob ('*' stays within a folder). */
#ifndef CL_SKIP_H
#define CL_SKIP_H

#include <stddef.h>

struct cl_skip {
	char *pattern, *reason;
	long line;
};
struct cl_skips {
	char *file;
	struct cl_skip *v;
	size_t n;
};

/* Read the list; exits 66 when it is missing, 78 on a line without a reason. */
void cl_skips_load(struct cl_skips *s, const char *path);
/* The entry that skips path, or NULL. */
const struct cl_skip *cl_skips_match(const struct cl_skips *s, const char *path);
void cl_skips_free(struct cl_skips *s);

#endif
