/* Findings of the lint programs (version-sync, compose-lint): one list, three
 * output forms. Text is one line a finding,
 *   PROG: LEVEL: FILE:LINE: message [rule]
 * github is an Actions workflow command (::error file=F,line=L,title=...::message)
 * so that findings show on the pull request's lines, json an array of objects
 * {file, level, line, message, rule}. */
#ifndef MP_LINT_H
#define MP_LINT_H

#include <jv.h>

#include "common.h"

enum lint_format { LINT_TEXT, LINT_JSON, LINT_GITHUB };
/* "text", "json" or "github"; -1 for anything else. */
int lint_format_parse(const char *s);

/* Levels: "ERROR" fails the check; "NOTICE", "SKIPPED" and "OVERRIDDEN" do not. */
struct lint_item {
	char *level, *file, *rule, *msg;
	long line; /* 1-based; 0 when the finding has no line */
};
struct lint {
	struct lint_item *v;
	size_t n, cap;
};

/* Add a finding; file and rule may be NULL. */
void lint_add(struct lint *l, const char *level, const char *file, long line, const char *rule,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
size_t lint_count(const struct lint *l, const char *level);
/* Append every finding in the form f (not json) to out. */
void lint_print(const struct lint *l, enum lint_format f, struct buf *out);
/* The findings as a JSON array (level in lower case). */
jv lint_json(const struct lint *l);
void lint_free(struct lint *l);

#endif
