/* Where each value of a JSON text stands: its line and column, found by path,
 * so that a finding about a parsed value (jv keeps no positions) can point at
 * the text a person edits. Paths are written as jq writes them:
 * .policy.kms_allowed_mrtd[0], .provenance["0abc..."], "." for the root. */
#ifndef MP_JSONPOS_H
#define MP_JSONPOS_H

#include <stddef.h>

#include "common.h"

struct jpos {
	char *path;
	int line, col;   /* the value's first character (1-based; columns count characters) */
	int kline, kcol; /* its key in the enclosing object; 0 for array elements and the root */
	int parent;      /* index of the enclosing value, -1 for the root */
	int dup_next;    /* a later value of the same key in the same object, or -1 */
};

struct jpos_index {
	struct jpos *v; /* in the order of the text */
	int n, cap;
	int *sorted;    /* indexes sorted by path, for lookups */
};

/* Index every value of text. Returns 0, or -1 with the reason and position in
 * err when the text is not strict JSON (RFC 8259, as serde_json and so
 * mero-kms read it): jq 1.6 accepts more (nan, raw control characters and
 * invalid UTF-8 in strings, lone surrogates, an ASCII RS that restarts the
 * parse), none of which is indexed. At most 200 levels deep. */
int jpos_build(const char *text, size_t len, struct jpos_index *ix, char *err, size_t errlen);
void jpos_free(struct jpos_index *ix);

/* The value at path (the last one when a key repeats, as jq keeps it); when
 * there is none, that of the nearest enclosing path; NULL only when the index
 * is empty. *exact tells which (may be NULL). */
const struct jpos *jpos_find(const struct jpos_index *ix, const char *path, int *exact);

/* Append a path step to b: .key (or ["key"] when the key is not an
 * identifier). An empty b is the root. */
void jpath_key(struct buf *b, const char *key, size_t n);
/* The path's text for people: "." for the root. */
const char *jpath_text(const struct buf *b);

#endif
