#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

void hex_encode_to(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = 0;
}

char *hex_encode(const uint8_t *p, size_t n)
{
	char *s = xmalloc(2 * n + 1);
	hex_encode_to(p, n, s);
	return s;
}

/* value of a hex digit, or -1 */
static const int8_t HEXV[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
static inline int hexval(int c) { return HEXV[c & 0xff] - 1; }

long hex_decode(const char *s, size_t len, uint8_t *out)
{
	if (len % 2)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

int hex_decode_exact(const char *s, uint8_t *out, size_t n)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t len = strlen(s);
	if (len != 2 * n)
		return -1;
	return hex_decode(s, len, out) == (long)n ? 0 : -1;
}

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const uint8_t *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1), *o = s;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64std[v >> 18];
		*o++ = b64std[(v >> 12) & 63];
		*o++ = b64std[(v >> 6) & 63];
		*o++ = b64std[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = b64std[v >> 18];
		*o++ = b64std[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64std[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = 0;
	return s;
}

/* value+1 of a base64 digit (standard or URL-safe), 0 when not one */
static int8_t B64V[256];
static void b64_table(void)
{
	if (B64V['A'])
		return;
	for (int i = 0; i < 64; i++)
		B64V[(unsigned char)b64std[i]] = (int8_t)(i + 1);
	B64V['-'] = 63;
	B64V['_'] = 64;
}
static inline int b64val(int c) { return B64V[c & 0xff] - 1; }

static int is_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v';
}

int b64_decode(const char *s, size_t len, struct buf *out)
{
	b64_table();
	buf_reserve(out, len / 4 * 3 + 3);
	uint8_t *o = out->data + out->len;
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t nchars = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		int v = b64val(c);
		if (v < 0) {
			if (is_space(c))
				continue;
			if (c != '=')
				return -1;
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		nchars++;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (uint8_t)(acc >> bits);
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = 0;
	if (nchars % 4 == 1 || pad > 2)
		return -1;
	if (pad && (nchars + (size_t)pad) % 4)
		return -1;
	/* leftover bits must be zero (canonical encoding) */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return 0;
}

/* "bin", "hex", "base64" (or "binary", "b64", "auto"); -1 if unknown */
static int parse_form(const char *s)
{
	if (!strcmp(s, "bin") || !strcmp(s, "binary"))
		return FORM_BIN;
	if (!strcmp(s, "hex"))
		return FORM_HEX;
	if (!strcmp(s, "base64") || !strcmp(s, "b64"))
		return FORM_BASE64;
	if (!strcmp(s, "auto"))
		return FORM_AUTO;
	return -1;
}

/* character classes for detection: 1 hex digit, 2 base64 digit or '=', 4 space */
static uint8_t CLS[256];
static void cls_table(void)
{
	if (CLS['0'])
		return;
	for (int c = 0; c < 256; c++)
		CLS[c] = (uint8_t)((hexval(c) >= 0 ? 1 : 0) | (b64val(c) >= 0 || c == '=' ? 2 : 0) |
				   (is_space(c) ? 4 : 0));
}

static enum input_form detect(const uint8_t *in, size_t n)
{
	b64_table();
	cls_table();
	size_t i = 0;
	while (i < n && (CLS[in[i]] & 4))
		i++;
	if (i + 1 < n && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X')) {
		/* "0x": hex when the rest is hex, else base64 text that starts with 0x */
		unsigned all = 3;
		for (size_t j = i + 2; j < n; j++)
			all &= CLS[in[j]] & 4 ? 3u : CLS[in[j]];
		if (all & 1)
			return FORM_HEX;
	}
	unsigned all = 3;
	int any = 0;
	for (; i < n; i++) {
		unsigned c = CLS[in[i]];
		if (c & 4)
			continue;
		any = 1;
		all &= c;
		if (!all)
			return FORM_BIN;
	}
	if (!any)
		return FORM_BIN;
	return all & 1 ? FORM_HEX : FORM_BASE64;
}

int decode_input(const uint8_t *in, size_t n, enum input_form form, struct buf *out,
		 enum input_form *used, char *err, size_t errlen)
{
	if (form == FORM_AUTO)
		form = detect(in, n);
	if (used)
		*used = form;
	buf_init(out);
	if (form == FORM_BIN) {
		buf_add(out, in, n);
		return 0;
	}
	if (form == FORM_HEX) {
		size_t i = 0;
		while (i < n && is_space(in[i]))
			i++;
		if (i + 1 < n && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X'))
			i += 2;
		buf_reserve(out, (n - i) / 2 + 1);
		uint8_t *o = out->data;
		int hi = -1;
		while (i < n) {
			/* fast path: runs of digit pairs */
			while (hi < 0 && i + 1 < n) {
				int a = HEXV[in[i]], b = HEXV[in[i + 1]];
				if (!a || !b)
					break;
				*o++ = (uint8_t)((a - 1) << 4 | (b - 1));
				i += 2;
			}
			if (i >= n)
				break;
			int v = hexval(in[i]);
			if (v < 0) {
				if (!is_space(in[i])) {
					snprintf(err, errlen, "bad hex character at byte %zu of the input", i);
					return -1;
				}
			} else if (hi < 0) {
				hi = v;
			} else {
				*o++ = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
			i++;
		}
		out->len = (size_t)(o - out->data);
		out->data[out->len] = 0;
		if (hi >= 0) {
			snprintf(err, errlen, "hex input has an odd number of digits");
			return -1;
		}
		return 0;
	}
	if (b64_decode((const char *)in, n, out) != 0) {
		snprintf(err, errlen, "input is not valid base64");
		return -1;
	}
	return 0;
}

enum input_form input_form_option(const char *arg, const char *synopsis)
{
	int f = parse_form(arg);
	if (f < 0)
		usage_fail(synopsis, "unknown input form '%s' (bin, hex or base64)", arg);
	return (enum input_form)f;
}

/* a quote of 1 MiB is 2 MiB of hex, or less of base64, plus some whitespace */
#define QUOTE_TEXT_CAP (2 * (1u << 20) + 64)

void read_quote_stdin(enum input_form form, struct buf *raw)
{
	struct buf in;
	char err[512];
	read_capped(stdin, QUOTE_TEXT_CAP, "quote", &in);
	if (in.len == 0)
		fail(EXIT_DATAERR, "cannot parse quote: empty input");
	if (decode_input(in.data, in.len, form, raw, NULL, err, sizeof err))
		fail(EXIT_DATAERR, "cannot decode quote: %s", err);
	buf_free(&in);
}

/* The reader of --lines. */
struct quote_lines {
	FILE *f;
	enum input_form form;
	char *line;
	size_t cap, lineno, bad;
};

static void quote_lines_init(struct quote_lines *it, FILE *f, enum input_form form)
{
	memset(it, 0, sizeof *it);
	it->f = f;
	/* a line is text: binary is not a form a line can take */
	it->form = form == FORM_BIN ? FORM_AUTO : form;
}

/* The next decoded quote into raw (initialised here; free it): 1, or 0 at the end. */
static int quote_lines_next(struct quote_lines *it, struct buf *raw)
{
	ssize_t n;
	while ((n = getline(&it->line, &it->cap, it->f)) > 0) {
		it->lineno++;
		while (n && is_space((unsigned char)it->line[n - 1]))
			n--;
		if (n == 0)
			continue;
		char err[512];
		enum input_form f = it->form;
		if ((size_t)n > QUOTE_TEXT_CAP) {
			warnx("line %zu: quote exceeds the 1 MiB quote cap", it->lineno);
			it->bad++;
			continue;
		}
		if (decode_input((uint8_t *)it->line, (size_t)n, f, raw, &f, err, sizeof err) || f == FORM_BIN) {
			warnx("line %zu: %s", it->lineno, f == FORM_BIN ? "not hex or base64 text" : err);
			buf_free(raw);
			it->bad++;
			continue;
		}
		return 1;
	}
	return 0;
}

/* Release the reader; exits 74 when the input could not be read. */
static void quote_lines_end(struct quote_lines *it)
{
	free(it->line);
	it->line = NULL;
	if (ferror(it->f))
		fail(EXIT_IOERR, "cannot read standard input");
}

void quote_lines_run(FILE *in, enum input_form form, lines_fn *one, void *ctx, struct lines_run *r)
{
	struct quote_lines it;
	struct buf raw, out;
	memset(r, 0, sizeof *r);
	buf_init(&out);
	quote_lines_init(&it, in, form);
	while (quote_lines_next(&it, &raw)) {
		char err[512];
		int rc = one(ctx, raw.data, raw.len, it.lineno, &out, err, sizeof err);
		buf_free(&raw);
		if (rc < 0) {
			warnx("line %zu: cannot parse quote: %s", it.lineno, err);
			it.bad++;
			continue;
		}
		r->done++;
		r->no += rc > 0;
		if (out.len > MP_MIB) {
			out_write(out.data, out.len);
			out.len = 0;
		}
	}
	quote_lines_end(&it);
	out_write(out.data, out.len);
	buf_free(&out);
	r->bad = it.bad;
}
