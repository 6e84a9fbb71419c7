/* The TOML reader of version-sync (toml.h). Errors leave through longjmp;
 * every allocation goes to the document's list, so nothing leaks on the way
 * out. Members are found through one hash table keyed by (table, key), so a
 * large Cargo.lock reads in linear time. */
#include "toml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"

/* how a table or array was made: TOML forbids reopening some of them */
enum { TF_HEADER = 1, TF_IMPLICIT = 2, TF_DOTTED = 4, TF_INLINE = 8, TF_AOT = 16 };
enum { MAX_NEST = 64, MAX_KEYS = 64 };

struct tp {
	const char *p, *end;
	long line;
	struct vs_toml *doc;
	struct vs_tnode *cur;
	jmp_buf jb;
	char *err;
	size_t errlen;
	long errline;
};

union hdr {
	void *next;
	max_align_t align;
};

static void *alloc(struct vs_toml *d, size_t n)
{
	union hdr *h = xmalloc(sizeof *h + n);
	h->next = d->mem;
	d->mem = h;
	return h + 1;
}

static void __attribute__((noreturn, format(printf, 2, 3))) bad(struct tp *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
	t->errline = t->line;
	longjmp(t->jb, 1);
}

/* ---- members: (table, key) -> node */

static size_t hash(const struct vs_tnode *parent, const char *k)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static struct vs_tnode *lookup(const struct vs_toml *d, const struct vs_tnode *parent, const char *k)
{
	if (!d->slots)
		return NULL;
	for (size_t i = hash(parent, k) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
		struct vs_tnode *s = d->slots[i];
		if (!s || (s->parent == parent && strcmp(s->key, k) == 0))
			return s;
	}
}

static void slot_put(struct vs_tnode **slots, size_t n, struct vs_tnode *v)
{
	size_t i = hash(v->parent, v->key) & (n - 1);
	while (slots[i])
		i = (i + 1) & (n - 1);
	slots[i] = v;
}

static void index_member(struct vs_toml *d, struct vs_tnode *v)
{
	if (2 * (d->used + 1) > d->nslots) {
		size_t n = d->nslots ? 2 * d->nslots : 64;
		struct vs_tnode **s = xcalloc(n, sizeof *s);
		for (size_t i = 0; i < d->nslots; i++)
			if (d->slots[i])
				slot_put(s, n, d->slots[i]);
		free(d->slots);
		d->slots = s;
		d->nslots = n;
	}
	slot_put(d->slots, d->nslots, v);
	d->used++;
}

static struct vs_tnode *node(struct tp *t, enum vs_tkind kind, unsigned flags, long line)
{
	struct vs_tnode *v = alloc(t->doc, sizeof *v);
	memset(v, 0, sizeof *v);
	v->kind = kind;
	v->flags = flags;
	v->line = line;
	return v;
}

/* Attach v to parent: under key k in a table, or at the end of an array. */
static void attach(struct tp *t, struct vs_tnode *parent, struct vs_tnode *v, const char *k)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? 2 * parent->cap : 4;
		struct vs_tnode **kids = alloc(t->doc, cap * sizeof *kids);
		if (parent->n)
			memcpy(kids, parent->kids, parent->n * sizeof *kids);
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = v;
	v->parent = parent;
	v->key = k;
	if (k)
		index_member(t->doc, v);
}

/* ---- lexical pieces */

static void skip_ws(struct tp *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static int newline(struct tp *t)
{
	if (t->p < t->end && *t->p == '\n') {
		t->p++;
	} else if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n') {
		t->p += 2;
	} else {
		return 0;
	}
	t->line++;
	return 1;
}

static int is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void comment(struct tp *t)
{
	for (t->p++; t->p < t->end && *t->p != '\n'; t->p++)
		if (is_control((unsigned char)*t->p) && !(*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n'))
			bad(t, "control character in a comment");
}

/* After a key/value pair or a header: spaces, a comment, then the end of the line. */
static void eol(struct tp *t)
{
	skip_ws(t);
	if (t->p < t->end && *t->p == '#')
		comment(t);
	if (t->p < t->end && !newline(t))
		bad(t, "expected the end of the line, found '%c'", *t->p);
}

/* Skip spaces, comments and newlines inside an array. */
static void array_ws(struct tp *t)
{
	for (;;) {
		skip_ws(t);
		if (t->p < t->end && *t->p == '#')
			comment(t);
		if (!newline(t))
			return;
	}
}

/* ---- strings */

static void put_utf8(char *o, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		o[(*n)++] = (char)c;
	} else if (c < 0x800) {
		o[(*n)++] = (char)(0xc0 | c >> 6);
		o[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		o[(*n)++] = (char)(0xe0 | c >> 12);
		o[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | c >> 18);
		o[(*n)++] = (char)(0x80 | (c >> 12 & 0x3f));
		o[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
}

/* The end of a string that starts at t->p (after its opening delimiter q,
 * tripled when multi): where the closing delimiter starts. A multi-line
 * string may end with one or two quotes of its own before the closing three. */
static const char *string_end(struct tp *t, char q, int multi)
{
	for (const char *p = t->p; p < t->end; p++) {
		if (*p == '\\' && q == '"') {
			p++;
			continue;
		}
		if (*p == '\n' && !multi)
			break;
		if (*p != q)
			continue;
		if (!multi)
			return p;
		if (t->end - p >= 3 && p[1] == q && p[2] == q) {
			for (int extra = 0; extra < 2 && t->end - p >= 4 && p[3] == q; extra++)
				p++;
			return p;
		}
	}
	bad(t, "unterminated string");
}

static uint32_t hex_escape(struct tp *t, int digits)
{
	uint32_t c = 0;
	for (int i = 0; i < digits; i++, t->p++) {
		char h = t->p < t->end ? *t->p : 0;
		int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
		if (v < 0)
			bad(t, "\\%c needs %d hex digits", digits == 4 ? 'u' : 'U', digits);
		c = c << 4 | (uint32_t)v;
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		bad(t, "\\u escape of a value that is not a Unicode scalar value");
	return c;
}

/* After a backslash at the end of a line in a multi-line basic string: skip
 * the line ending and every space and newline that follows. */
static void line_continuation(struct tp *t)
{
	skip_ws(t);
	if (!newline(t))
		bad(t, "invalid escape '\\ ' (a backslash ends a line only before the newline)");
	for (;;) {
		skip_ws(t);
		if (!newline(t))
			return;
	}
}

static void escape(struct tp *t, char *o, size_t *n, int multi)
{
	char c = ++t->p < t->end ? *t->p : 0;
	const char *from = "btnfr\"\\", *to = "\b\t\n\f\r\"\\";
	const char *k = c ? strchr(from, c) : NULL;
	if (k) {
		o[(*n)++] = to[k - from];
		t->p++;
	} else if (c == 'u' || c == 'U') {
		t->p++;
		put_utf8(o, n, hex_escape(t, c == 'u' ? 4 : 8));
	} else if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
		line_continuation(t);
	} else {
		bad(t, "invalid escape '\\%c'", c >= ' ' && c < 0x7f ? c : '?');
	}
}

/* A string of any kind at t->p; its decoded value in *len bytes. */
static const char *string(struct tp *t, size_t *len, int allow_multi)
{
	char q = *t->p;
	int multi = allow_multi && t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
	t->p += multi ? 3 : 1;
	const char *end = string_end(t, q, multi); /* errors name the line the string starts on */
	if (multi)
		newline(t); /* a newline right after the delimiter is not part of it */
	char *o = alloc(t->doc, (size_t)(end - t->p) + 1);
	size_t n = 0;
	while (t->p < end) {
		unsigned char c = (unsigned char)*t->p;
		if (c == '\\' && q == '"') {
			escape(t, o, &n, multi);
		} else if (multi && newline(t)) {
			o[n++] = '\n';
		} else if (is_control(c)) {
			bad(t, "control character in a string");
		} else {
			o[n++] = (char)c;
			t->p++;
		}
	}
	t->p = end + (multi ? 3 : 1);
	o[n] = 0;
	*len = n;
	return o;
}

/* ---- keys */

static int bare_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A dotted key: its parts in k[], their number returned. */
static int key(struct tp *t, const char **k)
{
	int n = 0;
	for (;;) {
		skip_ws(t);
		if (n == MAX_KEYS)
			bad(t, "a key of more than %d parts", MAX_KEYS);
		if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
			size_t len;
			k[n] = string(t, &len, 0);
			if (strlen(k[n]) != len)
				bad(t, "a key holds a NUL character");
		} else {
			const char *s = t->p;
			while (t->p < t->end && bare_char(*t->p))
				t->p++;
			if (t->p == s)
				bad(t, "expected a key");
			char *c = alloc(t->doc, (size_t)(t->p - s) + 1);
			memcpy(c, s, (size_t)(t->p - s));
			c[t->p - s] = 0;
			k[n] = c;
		}
		n++;
		skip_ws(t);
		if (t->p >= t->end || *t->p != '.')
			return n;
		t->p++;
	}
}

/* ---- values */

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_oct(int c) { return c >= '0' && c <= '7'; }
static int is_bin(int c) { return c == '0' || c == '1'; }

/* digit (_? digit)*: the end, or NULL */
static const char *digits(const char *p, const char *e, int (*isd)(int))
{
	if (p >= e || !isd((unsigned char)*p))
		return NULL;
	for (p++; p < e; p++) {
		if (*p == '_' && p + 1 < e && isd((unsigned char)p[1]))
			p++;
		else if (!isd((unsigned char)*p))
			return p;
	}
	return p;
}

static int exactly(const char *p, const char *e, int n, int (*isd)(int))
{
	if (e - p < n)
		return 0;
	for (int i = 0; i < n; i++)
		if (!isd((unsigned char)p[i]))
			return 0;
	return 1;
}

/* HH:MM:SS(.frac)?: the end or NULL */
static const char *time_part(const char *p, const char *e)
{
	if (e - p < 8 || !exactly(p, e, 2, is_digit) || p[2] != ':' || !exactly(p + 3, e, 2, is_digit) || p[5] != ':' ||
	    !exactly(p + 6, e, 2, is_digit))
		return NULL;
	p += 8;
	if (p < e && *p == '.') {
		const char *s = ++p;
		while (p < e && is_digit((unsigned char)*p))
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static int is_datetime(const char *p, const char *e)
{
	if (e - p >= 10 && exactly(p, e, 4, is_digit) && p[4] == '-' && exactly(p + 5, e, 2, is_digit) && p[7] == '-' &&
	    exactly(p + 8, e, 2, is_digit)) {
		p += 10;
		if (p == e)
			return 1;
		if (*p != 'T' && *p != 't' && *p != ' ')
			return 0;
		if (!(p = time_part(p + 1, e)))
			return 0;
		if (p == e)
			return 1;
		if ((*p == 'Z' || *p == 'z') && p + 1 == e)
			return 1;
		return (*p == '+' || *p == '-') && e - p == 6 && exactly(p + 1, e, 2, is_digit) && p[3] == ':' &&
		       exactly(p + 4, e, 2, is_digit);
	}
	return time_part(p, e) == e;
}

static int is_integer(const char *p, const char *e)
{
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b'))
		return digits(p + 2, e, p[1] == 'x' ? is_hex : p[1] == 'o' ? is_oct : is_bin) == e;
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	if (p < e && *p == '0')
		return p + 1 == e;
	return digits(p, e, is_digit) == e;
}

static int is_float(const char *p, const char *e)
{
	if (p < e && (*p == '+' || *p == '-'))
		p++;
	if ((e - p == 3 && (memcmp(p, "inf", 3) == 0 || memcmp(p, "nan", 3) == 0)))
		return 1;
	const char *q = p < e && *p == '0' ? p + 1 : digits(p, e, is_digit);
	if (!q)
		return 0;
	int frac = 0, exp = 0;
	if (q < e && *q == '.') {
		if (!(q = digits(q + 1, e, is_digit)))
			return 0;
		frac = 1;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (!(q = digits(q, e, is_digit)))
			return 0;
		exp = 1;
	}
	return q == e && (frac || exp);
}

static struct vs_tnode *value(struct tp *t, int depth);

static struct vs_tnode *array(struct tp *t, int depth)
{
	struct vs_tnode *a = node(t, VS_ARRAY, 0, t->line);
	t->p++;
	for (;;) {
		array_ws(t);
		if (t->p < t->end && *t->p == ']')
			break;
		long line = t->line;
		struct vs_tnode *v = value(t, depth + 1);
		v->line = line;
		attach(t, a, v, NULL);
		array_ws(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p >= t->end || *t->p != ']')
			bad(t, "expected ',' or ']' in an array");
		break;
	}
	t->p++;
	return a;
}

static void keyval(struct tp *t, struct vs_tnode *table, int depth);

static struct vs_tnode *inline_table(struct tp *t, int depth)
{
	struct vs_tnode *tab = node(t, VS_TABLE, TF_INLINE, t->line);
	t->p++;
	skip_ws(t);
	if (t->p < t->end && *t->p == '}') {
		t->p++;
		return tab;
	}
	for (;;) {
		keyval(t, tab, depth + 1);
		skip_ws(t);
		if (t->p < t->end && *t->p == '}')
			break;
		if (t->p >= t->end || *t->p != ',')
			bad(t, "expected ',' or '}' in an inline table (it is one line)");
		t->p++;
		skip_ws(t);
		if (t->p < t->end && *t->p == '}')
			bad(t, "a trailing comma in an inline table");
	}
	t->p++;
	return tab;
}

static int scalar_char(char c)
{
	return bare_char(c) || c == '+' || c == '.' || c == ':';
}

static struct vs_tnode *scalar(struct tp *t)
{
	const char *s = t->p;
	while (t->p < t->end && scalar_char(*t->p))
		t->p++;
	/* a date and a time may be separated by one space */
	if (t->p - s == 10 && t->end - t->p >= 3 && *t->p == ' ' && is_digit((unsigned char)t->p[1]) && is_datetime(s, t->p))
		for (t->p++; t->p < t->end && scalar_char(*t->p);)
			t->p++;
	const char *e = t->p;
	enum vs_tkind k;
	if ((e - s == 4 && memcmp(s, "true", 4) == 0) || (e - s == 5 && memcmp(s, "false", 5) == 0))
		k = VS_BOOL;
	else if (is_integer(s, e))
		k = VS_INTEGER;
	else if (is_float(s, e))
		k = VS_FLOAT;
	else if (is_datetime(s, e))
		k = VS_DATETIME;
	else if (e == s)
		bad(t, "expected a value");
	else
		bad(t, "invalid value '%.*s'", (int)(e - s > 40 ? 40 : e - s), s);
	struct vs_tnode *v = node(t, k, 0, t->line);
	char *c = alloc(t->doc, (size_t)(e - s) + 1);
	memcpy(c, s, (size_t)(e - s));
	c[e - s] = 0;
	v->str = c;
	v->len = (size_t)(e - s);
	return v;
}

static struct vs_tnode *value(struct tp *t, int depth)
{
	if (depth > MAX_NEST)
		bad(t, "arrays or inline tables nested deeper than %d", MAX_NEST);
	if (t->p >= t->end)
		bad(t, "expected a value");
	if (*t->p == '"' || *t->p == '\'') {
		struct vs_tnode *v = node(t, VS_STRING, 0, t->line);
		v->str = string(t, &v->len, 1);
		return v;
	}
	if (*t->p == '[')
		return array(t, depth);
	if (*t->p == '{')
		return inline_table(t, depth);
	return scalar(t);
}

/* key = value, into table (the current one, or an inline table) */
static void keyval(struct tp *t, struct vs_tnode *table, int depth)
{
	const char *k[MAX_KEYS];
	long line = t->line;
	int n = key(t, k);
	if (t->p >= t->end || *t->p != '=')
		bad(t, "expected '=' after the key");
	t->p++;
	skip_ws(t);
	struct vs_tnode *tab = table;
	unsigned inl = table->flags & TF_INLINE;
	for (int i = 0; i < n - 1; i++) {
		struct vs_tnode *c = lookup(t->doc, tab, k[i]);
		if (!c) {
			c = node(t, VS_TABLE, TF_DOTTED | inl, line);
			attach(t, tab, c, k[i]);
		} else if (c->kind != VS_TABLE || !(c->flags & TF_DOTTED) || (c->flags & TF_INLINE) != inl) {
			bad(t, "cannot add to '%s' with a dotted key: it is defined elsewhere", k[i]);
		}
		tab = c;
	}
	if (lookup(t->doc, tab, k[n - 1]))
		bad(t, "duplicate key '%s'", k[n - 1]);
	struct vs_tnode *v = value(t, depth);
	v->line = line;
	if (v->kind == VS_TABLE || v->kind == VS_ARRAY)
		v->flags |= inl;
	attach(t, tab, v, k[n - 1]);
}

/* The last part of a [header] or [[header]]: the table it opens. */
static struct vs_tnode *header_last(struct tp *t, struct vs_tnode *tab, const char *k, int aot, long line)
{
	struct vs_tnode *c = lookup(t->doc, tab, k);
	if (aot) {
		if (!c) {
			c = node(t, VS_ARRAY, TF_AOT, line);
			attach(t, tab, c, k);
		} else if (c->kind != VS_ARRAY || !(c->flags & TF_AOT)) {
			bad(t, "[[%s]]: '%s' is already a value or a table", k, k);
		}
		struct vs_tnode *e = node(t, VS_TABLE, TF_HEADER, line);
		attach(t, c, e, NULL);
		return e;
	}
	if (!c) {
		c = node(t, VS_TABLE, TF_HEADER, line);
		attach(t, tab, c, k);
	} else if (c->kind == VS_TABLE && c->flags == TF_IMPLICIT) {
		c->flags = TF_HEADER;
	} else {
		bad(t, "table [%s] is defined twice (or is already a value)", k);
	}
	return c;
}

static void header(struct tp *t)
{
	const char *k[MAX_KEYS];
	long line = t->line;
	int aot = t->end - t->p >= 2 && t->p[1] == '[';
	t->p += aot ? 2 : 1;
	int n = key(t, k);
	if (t->p >= t->end || *t->p != ']' || (aot && (t->end - t->p < 2 || t->p[1] != ']')))
		bad(t, "expected '%s' to close the table header", aot ? "]]" : "]");
	t->p += aot ? 2 : 1;
	struct vs_tnode *tab = t->doc->root;
	for (int i = 0; i < n - 1; i++) {
		struct vs_tnode *c = lookup(t->doc, tab, k[i]);
		if (!c) {
			c = node(t, VS_TABLE, TF_IMPLICIT, line);
			attach(t, tab, c, k[i]);
		} else if (c->kind == VS_ARRAY && (c->flags & TF_AOT)) {
			c = c->kids[c->n - 1];
		} else if (c->kind != VS_TABLE || (c->flags & TF_INLINE)) {
			bad(t, "'%s' is not a table", k[i]);
		}
		tab = c;
	}
	t->cur = header_last(t, tab, k[n - 1], aot, line);
	eol(t);
}

/* ---- the document */

static void check_utf8(struct tp *t)
{
	const unsigned char *p = (const unsigned char *)t->p, *e = (const unsigned char *)t->end;
	while (p < e) {
		if (*p == '\n')
			t->line++;
		if (*p < 0x80) {
			p++;
			continue;
		}
		int n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p <= 0xdf ? 2 : 0;
		if (n == 0 || *p > 0xf4 || e - p < n)
			bad(t, "invalid UTF-8");
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				bad(t, "invalid UTF-8");
		if ((n == 3 && *p == 0xe0 && p[1] < 0xa0) || (n == 3 && *p == 0xed && p[1] >= 0xa0) ||
		    (n == 4 && *p == 0xf0 && p[1] < 0x90) || (n == 4 && *p == 0xf4 && p[1] >= 0x90))
			bad(t, "invalid UTF-8");
		p += n;
	}
	t->line = 1;
}

static int run(struct tp *t)
{
	if (setjmp(t->jb))
		return -1;
	check_utf8(t);
	t->doc->root = node(t, VS_TABLE, TF_HEADER, 1);
	t->cur = t->doc->root;
	if (t->end - t->p >= 3 && memcmp(t->p, "\xef\xbb\xbf", 3) == 0)
		t->p += 3;
	while (t->p < t->end) {
		skip_ws(t);
		if (t->p >= t->end || newline(t))
			continue;
		if (*t->p == '#') {
			comment(t);
			if (t->p < t->end && !newline(t))
				bad(t, "a lone carriage return");
		} else if (*t->p == '[') {
			header(t);
		} else {
			keyval(t, t->cur, 0);
			eol(t);
		}
	}
	return 0;
}

int vs_toml_parse(const char *text, size_t len, struct vs_toml *doc, char *err, size_t errlen, long *line)
{
	memset(doc, 0, sizeof *doc);
	struct tp t = {.p = text, .end = text + len, .line = 1, .doc = doc, .err = err, .errlen = errlen};
	if (run(&t) == 0)
		return 0;
	*line = t.errline;
	vs_toml_free(doc);
	return -1;
}

const struct vs_tnode *vs_toml_get(const struct vs_toml *doc, const struct vs_tnode *t, const char *key)
{
	return t && t->kind == VS_TABLE ? lookup(doc, t, key) : NULL;
}

const struct vs_tnode *vs_toml_path(const struct vs_toml *doc, const char *dotted)
{
	const struct vs_tnode *t = doc->root;
	char part[256];
	for (const char *p = dotted; t;) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, p, n);
		part[n] = 0;
		t = vs_toml_get(doc, t, part);
		if (!p[n])
			return t;
		p += n + 1;
	}
	return NULL;
}

void vs_toml_free(struct vs_toml *doc)
{
	for (union hdr *h = doc->mem; h;) {
		union hdr *next = h->next;
		free(h);
		h = next;
	}
	free(doc->slots);
	memset(doc, 0, sizeof *doc);
}
