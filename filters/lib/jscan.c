/* Strict JSON scanning over the exact bytes a server sent (no parse tree):
 * where values start and end, where a text first goes wrong, the members
 * of an object. Intel signs the served text of the TCB info and the QE
 * identity, so these are found as byte spans, never re-serialised. */
#include "jscan.h"

#include <string.h>

#include "common.h"

long json_utf8_error(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t len;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return (long)i;
		}
		if (n - i < len)
			return (long)i;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += len;
	}
	return -1;
}

static size_t ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

/* A strict JSON scanner: where a value starts and ends, and where the text
 * first goes wrong. */
struct scan {
	const char *p;
	size_t n;
	size_t fail; /* offset of the first error */
};

static size_t bad_at(struct scan *s, size_t i)
{
	s->fail = i;
	return 0;
}

/* Skip a string at s->p[i] == '"' (RFC 8259 escapes); the index after it or 0. */
static size_t skip_string(struct scan *s, size_t i)
{
	const char *p = s->p;
	for (i++; i < s->n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return bad_at(s, i);
		if (c != '\\')
			continue;
		if (++i >= s->n)
			return bad_at(s, i);
		if (p[i] == 'u') {
			for (int k = 1; k <= 4; k++)
				if (i + k >= s->n || !p[i + k] || !strchr("0123456789abcdefABCDEF", p[i + k]))
					return bad_at(s, i + k);
			i += 4;
		} else if (!p[i] || !strchr("\"\\/bfnrt", p[i])) {
			return bad_at(s, i);
		}
	}
	return bad_at(s, i);
}

static size_t skip_digits(const struct scan *s, size_t i)
{
	while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9')
		i++;
	return i;
}

/* Skip one JSON value; the index after it, or 0 with s->fail set. */
static size_t skip_value(struct scan *s, size_t i, int depth)
{
	const char *p = s->p;
	size_t n = s->n;
	i = ws(p, i, n);
	if (i >= n || depth > 64)
		return bad_at(s, i);
	if (p[i] == '"')
		return skip_string(s, i);
	if (p[i] == '{' || p[i] == '[') {
		char close = p[i] == '{' ? '}' : ']';
		int obj = p[i] == '{';
		i = ws(p, i + 1, n);
		if (i < n && p[i] == close)
			return i + 1;
		for (;;) {
			if (obj) {
				i = ws(p, i, n);
				if (i >= n || p[i] != '"')
					return bad_at(s, i);
				if (!(i = skip_string(s, i)))
					return 0;
				i = ws(p, i, n);
				if (i >= n || p[i] != ':')
					return bad_at(s, i);
				i++;
			}
			if (!(i = skip_value(s, i, depth + 1)))
				return 0;
			i = ws(p, i, n);
			if (i >= n)
				return bad_at(s, i);
			if (p[i] == close)
				return i + 1;
			if (p[i] != ',')
				return bad_at(s, i);
			i++;
		}
	}
	static const char *const lit[] = {"true", "false", "null"};
	for (int k = 0; k < 3; k++) {
		size_t l = strlen(lit[k]);
		if (n - i >= l && memcmp(p + i, lit[k], l) == 0)
			return i + l;
	}
	/* number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
	if (p[i] == '-')
		i++;
	if (i >= n || p[i] < '0' || p[i] > '9')
		return bad_at(s, i);
	i = p[i] == '0' ? i + 1 : skip_digits(s, i);
	if (i < n && p[i] == '.') {
		size_t st = i + 1;
		if ((i = skip_digits(s, st)) == st)
			return bad_at(s, i);
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t st = i;
		if ((i = skip_digits(s, st)) == st)
			return bad_at(s, i);
	}
	return i;
}

long json_syntax_error(const char *p, size_t n)
{
	struct scan s = {p, n, 0};
	size_t e = skip_value(&s, 0, 0);
	if (e && ws(p, e, n) != n)
		return (long)ws(p, e, n);
	return e ? -1 : (long)s.fail;
}

int json_members(const char *p, size_t n, struct json_member *m, int max)
{
	struct scan sc = {p, n, 0};
	size_t i = ws(p, 0, n);
	int count = 0;
	if (i >= n || p[i] != '{')
		return -1;
	i = ws(p, i + 1, n);
	if (i < n && p[i] == '}')
		return ws(p, i + 1, n) == n ? 0 : -1;
	for (;;) {
		size_t ks = i, ke, vs, ve;
		if (i >= n || p[i] != '"' || !(ke = skip_string(&sc, i)))
			return -1;
		i = ws(p, ke, n);
		if (i >= n || p[i] != ':' || !(ve = skip_value(&sc, vs = ws(p, i + 1, n), 0)))
			return -1;
		for (int k = 0; k < count; k++)
			if (m[k].klen == ke - ks && memcmp(m[k].key, p + ks, ke - ks) == 0)
				return -1; /* a repeated member is ambiguous */
		if (count == max)
			return -1;
		m[count++] = (struct json_member){p + ks, ke - ks, vs, ve - vs};
		i = ws(p, ve, n);
		if (i < n && p[i] == '}')
			break;
		if (i >= n || p[i] != ',')
			return -1;
		i = ws(p, i + 1, n);
	}
	return ws(p, i + 1, n) == n ? count : -1;
}

const struct json_member *json_member_find(const struct json_member *m, int n, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < n; i++)
		if (m[i].klen == kl + 2 && memcmp(m[i].key + 1, key, kl) == 0)
			return &m[i];
	return NULL;
}

int json_member_span(const char *p, size_t n, const char *key, size_t *off, size_t *len)
{
	struct json_member m[64];
	const struct json_member *f = json_member_find(m, json_members(p, n, m, 64), key);
	if (!f)
		return -1;
	*off = f->off;
	*len = f->len;
	return 0;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		v = v << 4 | (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10);
	}
	return v;
}

/* One escape at p[0] == '\\' (checked by the scanner); the bytes it takes, 0 for a lone surrogate. */
static size_t unescape(const char *p, size_t n, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = strchr(from, p[1]);
	if (p[1] != 'u') {
		buf_addc(b, to[e - from]);
		return 2;
	}
	unsigned cp = (unsigned)hex4(p + 2);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (n < 12 || p[6] != '\\' || p[7] != 'u')
			return 0;
		unsigned lo = (unsigned)hex4(p + 8);
		if (lo < 0xdc00 || lo > 0xdfff)
			return 0;
		buf_add_utf8(b, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
		return 12;
	}
	buf_add_utf8(b, cp);
	return 6;
}

char *json_string_decode(const char *p, size_t n, size_t *len)
{
	struct buf b;
	if (n < 2 || p[0] != '"' || p[n - 1] != '"')
		return NULL;
	buf_init(&b);
	buf_reserve(&b, n);
	for (size_t i = 1; i < n - 1;) {
		const char *bs = memchr(p + i, '\\', n - 1 - i);
		size_t run = bs ? (size_t)(bs - (p + i)) : n - 1 - i, used;
		buf_add(&b, p + i, run);
		i += run;
		if (!bs)
			break;
		if (!(used = unescape(p + i, n - 1 - i, &b))) {
			buf_free(&b);
			return NULL;
		}
		i += used;
	}
	*len = b.len;
	return (char *)b.data;
}
