/* Hex and base64, and the detection of how a quote was encoded. */
#ifndef MP_CODEC_H
#define MP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Lower-case hex of n bytes into a new NUL-terminated string. */
char *hex_encode(const uint8_t *p, size_t n);
void hex_encode_to(const uint8_t *p, size_t n, char *out); /* out holds 2n+1 */
/* Decode hex (upper or lower case, even length, no separators) into out
 * (holding len/2 bytes). Returns bytes written or -1. */
long hex_decode(const char *s, size_t len, uint8_t *out);
/* Decode exactly n bytes of hex from a NUL-terminated string, allowing a 0x
 * prefix; 0 on success, -1 otherwise. */
int hex_decode_exact(const char *s, uint8_t *out, size_t n);

/* Standard base64 with padding into a new string. */
char *b64_encode(const uint8_t *p, size_t n);
/* Decode standard or URL-safe base64, with or without padding, ignoring
 * whitespace. Appends to out; returns 0 or -1 on a bad character/length. */
int b64_decode(const char *s, size_t len, struct buf *out);

enum input_form { FORM_AUTO, FORM_BIN, FORM_HEX, FORM_BASE64 };

/* Turn the bytes of one quote in the given form into raw bytes.
 * Hex: optional 0x, whitespace ignored. Base64: standard or URL-safe.
 * FORM_AUTO decides: text that is all hex digits -> hex; text in the base64
 * alphabet -> base64; anything else -> binary. Returns 0, or -1 with a
 * message in err. *used receives the form decided. */
int decode_input(const uint8_t *in, size_t n, enum input_form form, struct buf *out,
		 enum input_form *used, char *err, size_t errlen);

/* --input=FORM: the form, or a usage error (exit 2) naming the value. */
enum input_form input_form_option(const char *arg, const char *synopsis);

/* Read one quote (at most 1 MiB once decoded) from stdin in the given form into
 * raw; exits 65 on empty or undecodable input. */
void read_quote_stdin(enum input_form form, struct buf *raw);

/* The --lines batch loop: one hex or base64 quote per line (blank lines are
 * skipped; a line that does not decode is reported on stderr as "line N: ..."
 * and counted in bad). Every quote read from in goes to one(), which appends
 * one output line to out and returns 0, 1 for a
 * well-formed quote whose answer is "no" (counted in no), or -1 with a message
 * in err for a malformed quote: that one is reported on stderr as "line N:
 * cannot parse quote: ERR" and counted in bad, and the loop goes on. Output is
 * written to stdout as it grows; a closed pipe kills the program with SIGPIPE,
 * as it does any filter. */
struct lines_run {
	size_t done;  /* lines written */
	size_t bad;   /* malformed or undecodable lines */
	size_t no;    /* lines whose answer is "no" */
};
typedef int lines_fn(void *ctx, const uint8_t *quote, size_t len, size_t lineno, struct buf *out, char *err,
		     size_t errlen);
void quote_lines_run(FILE *in, enum input_form form, lines_fn *one, void *ctx, struct lines_run *r);

#endif
