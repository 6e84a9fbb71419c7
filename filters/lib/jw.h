/* A streaming writer of canonical JSON (the same bytes as json_emit: sorted
 * keys, two-space indent or compact), for output too hot for jv: tens of
 * thousands of quotes a second. The caller gives the keys of each object in
 * sorted order; a key out of order is a bug and stops the program (exit 70),
 * so a test catches it. */
#ifndef MP_JW_H
#define MP_JW_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define JW_MAX_DEPTH 16

struct jw {
	struct buf *b;
	int pretty;
	int depth;
	int count[JW_MAX_DEPTH];       /* members written at each depth */
	const char *last[JW_MAX_DEPTH];/* last key at each depth (objects) */
	int after_key;
};

void jw_init(struct jw *w, struct buf *b, int pretty);
void jw_obj(struct jw *w);
void jw_arr(struct jw *w);
void jw_end_obj(struct jw *w);
void jw_end_arr(struct jw *w);
/* The key of the next member; must sort after the previous key. The string
 * must stay valid until the object ends. */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_hex(struct jw *w, const uint8_t *p, size_t n);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* Finish the document with a newline. */
void jw_done(struct jw *w);

/* Append s as a JSON string literal (jq's escaping) to b. */
void json_string_literal(struct buf *b, const char *s, size_t n);

#endif
