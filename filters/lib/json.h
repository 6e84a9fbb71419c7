/* Canonical JSON over libjq's jv: sorted keys, two-space indent, trailing
 * newline. Every jv_* call consumes its arguments. */
#ifndef MP_JSON_H
#define MP_JSON_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Append the canonical (pretty) or compact dump of v plus "\n" to b; consumes v. */
void json_dump_buf(jv v, int pretty, struct buf *b);
/* Write v to stdout canonically (pretty) with a newline; consumes v. */
void json_emit(jv v);
/* Write v canonically (pretty) with a newline to the file path (mode 0644),
 * through the safe writer write_file; consumes v. */
void json_write_file(const char *path, jv v);

jv jv_hex(const uint8_t *p, size_t n);
/* Set obj[key] = val (consumes obj and val). */
#define JSET(obj, key, val) ((obj) = jv_object_set((obj), jv_string(key), (val)))

/* Parse text; on error returns invalid and writes the message to err. */
jv json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Read and parse a JSON file ("-" stdin), failing with 66/65 and the path. */
jv json_read_file(const char *path, size_t cap);

/* Lookups that do not consume obj; return a new reference or invalid. */
jv json_get(jv obj, const char *key);
/* A string member, borrowed (valid while obj lives), or NULL. */
const char *json_str(jv obj, const char *key);
/* A boolean member: 1 true, 0 false, -1 absent or of another kind. */
int json_bool(jv obj, const char *key);

#endif
