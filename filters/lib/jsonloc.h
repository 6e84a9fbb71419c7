/* Lines in JSON text, for findings that name a file and a line: libjq's jv
 * keeps no positions, so the text is scanned again. */
#ifndef MP_JSONLOC_H
#define MP_JSONLOC_H

#include <stddef.h>

/* The line (1-based) of the member reached by the object keys keys[0..n-1]
 * from the top-level object of text (the last one when a key repeats, as
 * libjq keeps the last); 0 when there is none or the text is not JSON. Keys
 * are compared as written (escapes not decoded). */
long json_key_line(const char *text, size_t len, const char *const *keys, int n);
/* The line a libjq parse error names ("... at line N, column M"); 0 if none. */
long json_error_line(const char *msg);

#endif
