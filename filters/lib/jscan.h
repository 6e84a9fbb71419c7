/* Strict JSON scanning over the exact bytes a server sent: where a text
 * first goes wrong, the byte spans of an object's members, string decoding.
 * The TCB info and the QE identity are signed as served text: they are found
 * as spans, never re-serialised; and libjq 1.6 (which leaks on some syntax
 * errors) only ever parses text that passed these checks. */
#ifndef MP_JSCAN_H
#define MP_JSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629), or -1. */
long json_utf8_error(const uint8_t *p, size_t n);
/* -1 when text is exactly one JSON value with optional white space around,
 * else the offset of the first error. */
long json_syntax_error(const char *p, size_t n);

/* The members of a top-level object, in order: the key as written (quotes
 * included) and the value's span. Returns their count, or -1 when text is
 * not one well-formed object, has more than max members or repeats a key. */
struct json_member {
	const char *key;
	size_t klen;
	size_t off, len;
};
int json_members(const char *text, size_t n, struct json_member *m, int max);
/* The member named key (written without escapes) among n, or NULL. */
const struct json_member *json_member_find(const struct json_member *m, int n, const char *key);
/* The value of member key of the top-level JSON object in text, as a byte
 * span (the exact served bytes). Returns 0, or -1 when text is not one
 * object of at most 64 members without repeats, or has no such member. */
int json_member_span(const char *text, size_t n, const char *key, size_t *off, size_t *len);

/* The text of a JSON string literal p[0..n) (quotes included, already
 * checked by json_syntax_error), escapes decoded, as a new NUL-terminated
 * string of *len bytes; NULL for a lone surrogate or when p is no string. */
char *json_string_decode(const char *p, size_t n, size_t *len);

#endif
