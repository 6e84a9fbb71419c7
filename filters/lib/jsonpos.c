#include "jsonpos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "jw.h"

enum { MAX_DEPTH = 200 }; /* below jq 1.6's 256 levels: what is indexed, jq parses */

struct scan {
	const char *s;
	size_t n, i;
	int line, col;
	struct jpos_index *ix;
	struct buf path;
	char *err;
	size_t errlen;
	int failed;
};

static int fail_at(struct scan *sc, const char *what)
{
	if (!sc->failed)
		snprintf(sc->err, sc->errlen, "%s at line %d, column %d", what, sc->line, sc->col);
	sc->failed = 1;
	return -1;
}

/* Move one byte on; a column is a character (UTF-8 continuation bytes do not count). */
static void step(struct scan *sc)
{
	unsigned char c = (unsigned char)sc->s[sc->i++];
	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		sc->col++;
	}
}

static void skip_space(struct scan *sc)
{
	while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
		step(sc);
}

static int peek(struct scan *sc)
{
	skip_space(sc);
	return sc->i < sc->n ? (unsigned char)sc->s[sc->i] : -1;
}

static int hex4(struct scan *sc, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		if (sc->i >= sc->n)
			return -1;
		char c = sc->s[sc->i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
		step(sc);
	}
	*out = v;
	return 0;
}

/* A \u escape (the 'u' consumed): a surrogate must be the first of a pair
 * (serde_json, mero-kms's parser, refuses a lone one). */
static int unicode_escape(struct scan *sc)
{
	unsigned cp, lo;
	if (hex4(sc, &cp))
		return fail_at(sc, "invalid \\u escape");
	if (cp >= 0xdc00 && cp < 0xe000)
		return fail_at(sc, "lone trailing surrogate in a \\u escape");
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (sc->i + 1 >= sc->n || sc->s[sc->i] != '\\' || sc->s[sc->i + 1] != 'u')
			return fail_at(sc, "lone leading surrogate in a \\u escape");
		step(sc);
		step(sc);
		if (hex4(sc, &lo) || lo < 0xdc00 || lo >= 0xe000)
			return fail_at(sc, "invalid surrogate pair in a \\u escape");
	}
	return 0;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* A string at the cursor (on its quote). Strict: no raw control characters,
 * well-formed UTF-8 and escapes. */
static int string(struct scan *sc)
{
	step(sc);
	while (sc->i < sc->n) {
		const unsigned char *p = (const unsigned char *)sc->s + sc->i;
		if (*p == '"') {
			step(sc);
			return 0;
		}
		if (*p < 0x20)
			return fail_at(sc, "control character in a string");
		if (*p != '\\') {
			size_t len = utf8_len(p, sc->n - sc->i);
			if (!len)
				return fail_at(sc, "invalid UTF-8 in a string");
			while (len--)
				step(sc);
			continue;
		}
		step(sc);
		if (sc->i >= sc->n)
			break;
		char e = sc->s[sc->i];
		step(sc);
		if (e == 'u' ? unicode_escape(sc) : !e || !strchr("\"\\/bfnrt", e) ? fail_at(sc, "invalid escape") : 0)
			return -1;
	}
	return fail_at(sc, "unfinished string");
}

/* The text of a string that string() accepted, decoded (by jq: strict JSON
 * reads the same everywhere) into a path step. */
static void path_key(struct scan *sc, size_t from)
{
	jv k = jv_parse_sized(sc->s + from, (int)(sc->i - from));
	if (jv_get_kind(k) == JV_KIND_STRING)
		jpath_key(&sc->path, jv_string_value(k), (size_t)jv_string_length_bytes(jv_copy(k)));
	jv_free(k);
}

/* A JSON number (RFC 8259): -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_number(const char *s, size_t n)
{
	size_t i = 0, d;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static int add_entry(struct scan *sc, int parent, int kline, int kcol)
{
	struct jpos_index *ix = sc->ix;
	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 64;
		ix->v = xrealloc(ix->v, sizeof *ix->v * (size_t)ix->cap);
	}
	struct jpos *e = &ix->v[ix->n];
	e->path = xstrdup((const char *)sc->path.data);
	e->line = sc->line, e->col = sc->col;
	e->kline = kline, e->kcol = kcol;
	e->parent = parent;
	e->dup_next = -1;
	return ix->n++;
}

static int value(struct scan *sc, int parent, int kline, int kcol, int depth);

/* After a member: 1 at the closing bracket, 0 at a comma, -1 otherwise. */
static int next_member(struct scan *sc, size_t mark, int close)
{
	sc->path.len = mark;
	sc->path.data[mark] = 0;
	int c = peek(sc);
	if (c < 0)
		return fail_at(sc, close == '}' ? "unfinished object" : "unfinished array");
	step(sc);
	if (c == close)
		return 1;
	if (c != ',')
		return fail_at(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	return 0;
}

static int object(struct scan *sc, int self, int depth)
{
	step(sc); /* { */
	if (peek(sc) == '}') {
		step(sc);
		return 0;
	}
	for (int r = 0; r == 0;) {
		if (peek(sc) != '"')
			return fail_at(sc, "expected an object key");
		int kline = sc->line, kcol = sc->col;
		size_t from = sc->i, mark = sc->path.len;
		if (string(sc))
			return -1;
		path_key(sc, from);
		if (peek(sc) != ':')
			return fail_at(sc, "expected ':'");
		step(sc);
		if (value(sc, self, kline, kcol, depth + 1))
			return -1;
		r = next_member(sc, mark, '}');
	}
	return sc->failed ? -1 : 0;
}

/* Append an array step [i] to a path (an empty path is the root). */
static void jpath_index(struct buf *b, int i)
{
	buf_printf(b, "%s[%d]", b->len ? "" : ".", i);
}

static int array(struct scan *sc, int self, int depth)
{
	step(sc); /* [ */
	if (peek(sc) == ']') {
		step(sc);
		return 0;
	}
	for (int i = 0, r = 0; r == 0; i++) {
		size_t mark = sc->path.len;
		jpath_index(&sc->path, i);
		if (value(sc, self, 0, 0, depth + 1))
			return -1;
		r = next_member(sc, mark, ']');
	}
	return sc->failed ? -1 : 0;
}

static int value(struct scan *sc, int parent, int kline, int kcol, int depth)
{
	int c = peek(sc);
	if (c < 0)
		return fail_at(sc, "unfinished JSON");
	if (depth > MAX_DEPTH)
		return fail_at(sc, "nested too deeply");
	int self = add_entry(sc, parent, kline, kcol);
	if (c == '{')
		return object(sc, self, depth);
	if (c == '[')
		return array(sc, self, depth);
	if (c == '"')
		return string(sc);
	/* a literal or a number: up to the next delimiter, then exactly one */
	size_t start = sc->i;
	int tline = sc->line, tcol = sc->col;
	while (sc->i < sc->n && (!sc->s[sc->i] || !strchr("{}[],:\" \t\r\n", sc->s[sc->i])))
		step(sc);
	const char *t = sc->s + start;
	size_t n = sc->i - start;
	if ((n == 4 && (!memcmp(t, "true", 4) || !memcmp(t, "null", 4))) || (n == 5 && !memcmp(t, "false", 5)) ||
	    (n && is_number(t, n)))
		return 0;
	sc->line = tline, sc->col = tcol; /* point at the token */
	return fail_at(sc, n ? "not a JSON literal or number" : "unexpected character");
}

static const struct jpos_index *sort_ix;
static int by_path(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int r = strcmp(sort_ix->v[x].path, sort_ix->v[y].path);
	return r ? r : (x > y) - (x < y);
}

/* Link each key to its next repetition in the same object. */
static void link_duplicates(struct jpos_index *ix)
{
	for (int k = 0; k + 1 < ix->n; k++) {
		struct jpos *a = &ix->v[ix->sorted[k]];
		for (int j = k + 1; j < ix->n && strcmp(ix->v[ix->sorted[j]].path, a->path) == 0; j++) {
			if (ix->v[ix->sorted[j]].parent == a->parent && a->kline) {
				a->dup_next = ix->sorted[j];
				break;
			}
		}
	}
}

int jpos_build(const char *text, size_t len, struct jpos_index *ix, char *err, size_t errlen)
{
	memset(ix, 0, sizeof *ix);
	struct scan sc = {.s = text, .n = len, .line = 1, .col = 1, .ix = ix, .err = err, .errlen = errlen};
	buf_init(&sc.path);
	int r = value(&sc, -1, 0, 0, 0);
	if (r == 0 && peek(&sc) >= 0)
		r = fail_at(&sc, "unexpected text after the JSON value");
	buf_free(&sc.path);
	if (r) {
		jpos_free(ix);
		return -1;
	}
	ix->sorted = xmalloc(sizeof *ix->sorted * (size_t)(ix->n ? ix->n : 1));
	for (int k = 0; k < ix->n; k++)
		ix->sorted[k] = k;
	sort_ix = ix;
	qsort(ix->sorted, (size_t)ix->n, sizeof *ix->sorted, by_path);
	link_duplicates(ix);
	return 0;
}

void jpos_free(struct jpos_index *ix)
{
	for (int k = 0; k < ix->n; k++)
		free(ix->v[k].path);
	free(ix->v);
	free(ix->sorted);
	memset(ix, 0, sizeof *ix);
}

/* The last entry of exactly this path, or NULL. */
static const struct jpos *lookup(const struct jpos_index *ix, const char *path, size_t n)
{
	int lo = 0, hi = ix->n, found = -1;
	while (lo < hi) { /* the first entry whose path is not below path[0..n) */
		int mid = (lo + hi) / 2;
		const char *p = ix->v[ix->sorted[mid]].path;
		int r = strncmp(p, path, n);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int k = lo; k < ix->n; k++) {
		const char *p = ix->v[ix->sorted[k]].path;
		if (strncmp(p, path, n) != 0)
			break;
		if (p[n] == 0)
			found = ix->sorted[k];
	}
	return found >= 0 ? &ix->v[found] : NULL;
}

/* The length of path without its last step (0 for one step), or -1 for the root. */
static long parent_len(const char *path, size_t n)
{
	long last = -1;
	for (size_t i = 0; i < n;) {
		last = (long)i;
		if (path[i] == '.' && i + 1 < n && path[i + 1] == '[')
			i++; /* .[0] or .["k"] at the root: one step */
		if (path[i] == '.') {
			for (i++; i < n && path[i] != '.' && path[i] != '['; i++)
				;
		} else if (path[i] == '[' && i + 1 < n && path[i + 1] == '"') {
			for (i += 2; i < n && path[i] != '"'; i++)
				if (path[i] == '\\')
					i++;
			i += 2; /* "] */
		} else {
			while (i < n && path[i] != ']')
				i++;
			i++;
		}
	}
	return last;
}

const struct jpos *jpos_find(const struct jpos_index *ix, const char *path, int *exact)
{
	size_t n = strcmp(path, ".") == 0 ? 0 : strlen(path);
	if (exact)
		*exact = 1;
	for (;;) {
		const struct jpos *e = lookup(ix, path, n);
		if (e || n == 0) {
			if (!e && exact)
				*exact = 0;
			return e ? e : ix->n ? &ix->v[0] : NULL;
		}
		if (exact)
			*exact = 0;
		long p = parent_len(path, n);
		n = p > 0 ? (size_t)p : 0;
	}
}

static int is_ident(const char *k, size_t n)
{
	if (n == 0 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '_'))
			return 0;
	return 1;
}

void jpath_key(struct buf *b, const char *key, size_t n)
{
	if (is_ident(key, n)) {
		buf_addc(b, '.');
		buf_add(b, key, n);
		return;
	}
	if (b->len == 0)
		buf_addc(b, '.');
	buf_addc(b, '[');
	json_string_literal(b, key, n);
	buf_addc(b, ']');
}

const char *jpath_text(const struct buf *b)
{
	return b->len ? (const char *)b->data : ".";
}
