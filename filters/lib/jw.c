#include "jw.h"

#include <stdio.h>
#include <string.h>

void jw_init(struct jw *w, struct buf *b, int pretty)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->pretty = pretty;
}

static void indent(struct jw *w, int depth)
{
	static const char spaces[] = "                                ";
	if (!w->pretty)
		return;
	buf_addc(w->b, '\n');
	size_t n = (size_t)depth * 2;
	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		buf_add(w->b, spaces, k);
		n -= k;
	}
}

/* Before a value: a comma and the indentation inside arrays; nothing after a key. */
static void before_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->count[w->depth]++)
			buf_addc(w->b, ',');
		indent(w, w->depth);
	}
}

static void open_container(struct jw *w, char c)
{
	before_value(w);
	if (w->depth + 1 >= JW_MAX_DEPTH)
		fail(EXIT_SOFTWARE, "internal error: JSON nested too deep");
	buf_addc(w->b, c);
	w->depth++;
	w->count[w->depth] = 0;
	w->last[w->depth] = NULL;
}

static void close_container(struct jw *w, char c)
{
	if (w->count[w->depth]) /* an empty container prints as {} or [] */
		indent(w, w->depth - 1);
	buf_addc(w->b, c);
	w->depth--;
}

void jw_obj(struct jw *w) { open_container(w, '{'); }
void jw_arr(struct jw *w) { open_container(w, '['); }
void jw_end_obj(struct jw *w) { close_container(w, '}'); }
void jw_end_arr(struct jw *w) { close_container(w, ']'); }

void jw_key(struct jw *w, const char *k)
{
	const char *prev = w->last[w->depth];
	if (prev && strcmp(prev, k) >= 0)
		fail(EXIT_SOFTWARE, "internal error: JSON key \"%s\" written after \"%s\"", k, prev);
	w->last[w->depth] = k;
	if (w->count[w->depth]++)
		buf_addc(w->b, ',');
	indent(w, w->depth);
	json_string_literal(w->b, k, strlen(k));
	buf_add(w->b, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = 1;
}

void json_string_literal(struct buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	buf_reserve(b, n + 2);
	buf_addc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		char esc[6] = {'\\', 0, 0, 0, 0, 0};
		size_t el = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			el = 6;
		}
		buf_add(b, esc, el);
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

static void jw_strn(struct jw *w, const char *s, size_t n)
{
	before_value(w);
	json_string_literal(w->b, s, n);
}

void jw_str(struct jw *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_hex(struct jw *w, const uint8_t *p, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	before_value(w);
	buf_reserve(w->b, 2 * n + 2);
	char *o = (char *)w->b->data + w->b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = hexd[p[i] >> 4];
		*o++ = hexd[p[i] & 15];
	}
	*o++ = '"';
	w->b->len += 2 * n + 2;
	w->b->data[w->b->len] = 0;
}

void jw_int(struct jw *w, long long v)
{
	char t[24];
	before_value(w);
	int n = snprintf(t, sizeof t, "%lld", v);
	buf_add(w->b, t, (size_t)n);
}

void jw_bool(struct jw *w, int v)
{
	before_value(w);
	buf_add(w->b, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	before_value(w);
	buf_add(w->b, "null", 4);
}

void jw_done(struct jw *w)
{
	if (w->depth != 0)
		fail(EXIT_SOFTWARE, "internal error: JSON document left open");
	buf_addc(w->b, '\n');
}
