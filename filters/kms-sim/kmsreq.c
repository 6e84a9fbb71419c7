/* kmsreq: mero-kms's /attest request parsing, error for error. See kmsreq.h.
 * The JSON reader follows serde_json's from_slice: positions are
 * "line L column C" with C the bytes consumed on the line ("error") or one
 * more ("peek_error"), and the same messages in the same order. */
#include "kmsreq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "lib/jscan.h"
#include "lib/profile.h"

/* ---- base64 0.22 STANDARD ---- */

static int b64v(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

long kmsreq_b64_decode(const char *str, size_t n, uint8_t *out, char *msg, size_t msglen)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t rem = n % 4, o = 0;
	if (rem == 1 && s[n - 1] != '=' && b64v(s[n - 1]) < 0) {
		snprintf(msg, msglen, "Invalid symbol %u, offset %zu.", s[n - 1], n - 1);
		return -1;
	}
	/* complete quads, except the last (it may carry padding) */
	size_t full = n >= rem + 4 ? n - rem - 4 : 0;
	for (size_t i = 0; i < full; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int m = b64v(s[i + k]);
			if (m < 0) {
				snprintf(msg, msglen, "Invalid symbol %u, offset %zu.", s[i + k], i + k);
				return -1;
			}
			v = v << 6 | (uint32_t)m;
		}
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	/* the suffix */
	uint8_t morsels[8];
	size_t nm = 0, pads = 0, first_pad = 0;
	uint8_t last = 0;
	for (size_t k = 0; full + k < n; k++) {
		uint8_t b = s[full + k];
		if (b == '=') {
			if (k < 2) {
				size_t at = full + (pads ? first_pad : k);
				snprintf(msg, msglen, "Invalid symbol %u, offset %zu.", b, at);
				return -1;
			}
			if (pads == 0)
				first_pad = k;
			pads++;
			continue;
		}
		if (pads) {
			snprintf(msg, msglen, "Invalid symbol %u, offset %zu.", '=', full + first_pad);
			return -1;
		}
		last = b;
		int m = b64v(b);
		if (m < 0) {
			snprintf(msg, msglen, "Invalid symbol %u, offset %zu.", b, full + k);
			return -1;
		}
		morsels[nm++] = (uint8_t)m; /* at most 7 symbols reach here */
	}
	if (n > 0 && nm < 2) {
		snprintf(msg, msglen, "Invalid input length: %zu", full + nm);
		return -1;
	}
	if ((pads + nm) % 4 != 0) {
		snprintf(msg, msglen, "Invalid padding");
		return -1;
	}
	size_t bytes = nm * 6 / 8;
	uint64_t num = 0;
	for (size_t k = 0; k < nm; k++)
		num |= (uint64_t)morsels[k] << (58 - 6 * k);
	uint64_t mask = bytes >= 8 ? 0 : ~0ull >> (bytes * 8);
	if (num & mask) {
		snprintf(msg, msglen, "Invalid last symbol %u, offset %zu.", last, full + nm - 1);
		return -1;
	}
	for (size_t k = 0; k < bytes; k++)
		out[o++] = (uint8_t)(num >> (56 - 8 * k));
	return (long)o;
}

/* ---- axum's content type check ---- */

int kmsreq_json_content_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	const char *slash = strchr(ct, '/');
	if (!slash || slash == ct)
		return 0;
	size_t tl = (size_t)(slash - ct);
	const char *sub = slash + 1, *end = sub;
	while (*end && *end != ';' && *end != ' ' && *end != '\t')
		end++;
	size_t sl = (size_t)(end - sub);
	for (const char *p = end; *p && *p != ';'; p++)
		if (*p != ' ' && *p != '\t')
			return 0; /* junk between the subtype and the parameters */
	for (const char *p = ct; p < end; p++)
		if (p != slash && !(*p > 32 && *p < 127 && !strchr("()<>@,;:\\\"/[]?=", *p)))
			return 0;
	if (tl != 11 || strncasecmp(ct, "application", 11) != 0 || sl == 0)
		return 0;
	if (sl == 4 && strncasecmp(sub, "json", 4) == 0)
		return 1;
	const char *plus = NULL;
	for (const char *p = sub; p < end; p++)
		if (*p == '+')
			plus = p;
	return plus && end - plus == 5 && strncasecmp(plus + 1, "json", 4) == 0;
}

/* ---- serde_json, as much of it as a KmsAttestRequest sees ---- */

enum { ST_SYNTAX = 1, ST_DATA = 2 };

struct rd {
	const uint8_t *s;
	size_t n, i;
	char path[160];  /* serde_path_to_error path of the value being read, "" at the root */
	int kind;        /* ST_SYNTAX or ST_DATA once failed */
	char *msg;
	size_t msglen;
};

/* Record the first error: msg at byte position pos. */
static int at(struct rd *r, int kind, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int at(struct rd *r, int kind, size_t pos, const char *fmt, ...)
{
	if (r->kind)
		return -1;
	size_t line = 1, start = 0;
	for (size_t k = 0; k < pos && k < r->n; k++)
		if (r->s[k] == '\n') {
			line++;
			start = k + 1;
		}
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	const char *lead = kind == ST_SYNTAX ? "Failed to parse the request body as JSON: "
					     : "Failed to deserialize the JSON body into the target type: ";
	snprintf(r->msg, r->msglen, "%s%s%s%s at line %zu column %zu", lead, r->path, *r->path ? ": " : "", text,
		 line, pos - start);
	r->kind = kind;
	return -1;
}
#define ERR(r, ...) at((r), ST_SYNTAX, (r)->i, __VA_ARGS__)
#define PEEKERR(r, ...) at((r), ST_SYNTAX, (r)->i + 1 < (r)->n ? (r)->i + 1 : (r)->n, __VA_ARGS__)

static int peek(struct rd *r) { return r->i < r->n ? r->s[r->i] : -1; }

static int ws(struct rd *r)
{
	while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\n' || r->s[r->i] == '\t' || r->s[r->i] == '\r'))
		r->i++;
	return peek(r);
}

static int ident(struct rd *r, const char *rest)
{
	for (const char *p = rest; *p; p++) {
		if (r->i >= r->n)
			return ERR(r, "EOF while parsing a value");
		if (r->s[r->i++] != (uint8_t)*p)
			return ERR(r, "expected ident");
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int hex4(struct rd *r, unsigned *v)
{
	if (r->n - r->i < 4) {
		r->i = r->n;
		return ERR(r, "EOF while parsing a string");
	}
	*v = 0;
	int bad = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(r->s[r->i + (size_t)k]);
		bad |= h < 0;
		*v = *v << 4 | (unsigned)(h < 0 ? 0 : h);
	}
	r->i += 4;
	return bad ? ERR(r, "invalid escape") : 0;
}

/* A string; the opening quote is next. out (may be NULL) receives the
 * unescaped bytes, which must then be UTF-8 (serde_json's parse_str). */
static int string(struct rd *r, struct buf *out)
{
	r->i++; /* '"' */
	for (;;) {
		if (r->i >= r->n)
			return ERR(r, "EOF while parsing a string");
		uint8_t c = r->s[r->i];
		if (c == '"') {
			r->i++;
			if (out && json_utf8_error(out->data, out->len) >= 0)
				return ERR(r, "invalid unicode code point");
			return 0;
		}
		if (c < 0x20) {
			r->i++;
			return ERR(r, "control character (\\u0000-\\u001F) found while parsing a string");
		}
		if (c != '\\') {
			if (out)
				buf_addc(out, c);
			r->i++;
			continue;
		}
		r->i++;
		if (r->i >= r->n)
			return ERR(r, "EOF while parsing a string");
		uint8_t e = r->s[r->i++];
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *f = e ? strchr(from, e) : NULL;
		if (f) {
			if (out)
				buf_addc(out, to[f - from]);
			continue;
		}
		if (e != 'u')
			return ERR(r, "invalid escape");
		unsigned cp;
		if (hex4(r, &cp))
			return -1;
		if (!out)
			continue; /* ignored strings: any code unit (serde_json's ignore_escape) */
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return ERR(r, "lone leading surrogate in hex escape");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (r->n - r->i < 2 || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u') {
				if (r->i >= r->n)
					return ERR(r, "EOF while parsing a string");
				r->i += r->s[r->i] == '\\' ? 2 : 1;
				if (r->i > r->n)
					r->i = r->n;
				return ERR(r, "unexpected end of hex escape");
			}
			r->i += 2;
			unsigned lo;
			if (hex4(r, &lo))
				return -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return ERR(r, "lone leading surrogate in hex escape");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		buf_add_utf8(out, cp);
	}
}

struct number {
	int is_int, neg;
	unsigned long long u;
	double f;
	size_t start, end;
};

/* A number (first char '-' or a digit), as serde_json's parse_any_number. */
static int number(struct rd *r, struct number *num, int range)
{
	num->start = r->i;
	num->neg = 0;
	if (peek(r) == '-') {
		num->neg = 1;
		r->i++;
	}
	if (r->i >= r->n)
		return ERR(r, "EOF while parsing a value");
	uint8_t c = r->s[r->i++];
	int is_float = 0, overflow = 0;
	unsigned long long u = 0;
	if (c == '0') {
		if (peek(r) >= '0' && peek(r) <= '9')
			return PEEKERR(r, "invalid number");
	} else if (c >= '1' && c <= '9') {
		u = c - '0';
		while (peek(r) >= '0' && peek(r) <= '9') {
			unsigned d = (unsigned)(r->s[r->i++] - '0');
			if (u > (~0ull - d) / 10)
				overflow = 1;
			else
				u = u * 10 + d;
		}
	} else {
		return ERR(r, "invalid number");
	}
	if (peek(r) == '.') {
		r->i++;
		int digits = 0;
		while (peek(r) >= '0' && peek(r) <= '9') {
			r->i++;
			digits++;
		}
		if (!digits)
			return r->i < r->n ? PEEKERR(r, "invalid number") : PEEKERR(r, "EOF while parsing a value");
		is_float = 1;
	}
	if (peek(r) == 'e' || peek(r) == 'E') {
		r->i++;
		if (peek(r) == '+' || peek(r) == '-')
			r->i++;
		if (r->i >= r->n)
			return ERR(r, "EOF while parsing a value");
		uint8_t d = r->s[r->i++];
		if (d < '0' || d > '9')
			return ERR(r, "invalid number");
		while (peek(r) >= '0' && peek(r) <= '9')
			r->i++;
		is_float = 1;
	}
	num->end = r->i;
	if (!is_float && !overflow && (!num->neg || u <= 0x8000000000000000ull)) {
		num->is_int = 1;
		num->u = u;
		return 0;
	}
	char text[512];
	size_t len = num->end - num->start;
	if (len >= sizeof text) {
		/* long literal: strtod on a heap copy */
		char *t = xmalloc(len + 1);
		memcpy(t, r->s + num->start, len);
		t[len] = 0;
		num->f = strtod(t, NULL);
		free(t);
	} else {
		memcpy(text, r->s + num->start, len);
		text[len] = 0;
		num->f = strtod(text, NULL);
	}
	num->is_int = 0;
	if (range && isinf(num->f))
		return ERR(r, "number out of range");
	return 0;
}

/* ryu's shortest representation, as serde_json prints floats */
static void ryu_format(double v, char *out, size_t n)
{
	char sci[40];
	int p;
	for (p = 0; p < 17; p++) {
		snprintf(sci, sizeof sci, "%.*e", p, v);
		if (strtod(sci, NULL) == v)
			break;
	}
	const char *s = sci;
	int neg = *s == '-';
	if (neg)
		s++;
	char digits[24];
	size_t nd = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			digits[nd++] = *s;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = 0;
	int e10 = atoi(s + 1);
	if (v == 0) {
		snprintf(out, n, "%s0.0", neg ? "-" : "");
		return;
	}
	int len = (int)nd, k = e10 - len + 1, kk = len + k;
	char b[64];
	size_t o = 0;
	if (neg)
		b[o++] = '-';
	if (k >= 0 && kk <= 16) {
		for (int i = 0; i < len; i++) b[o++] = digits[i];
		for (int i = 0; i < k; i++) b[o++] = '0';
		b[o++] = '.';
		b[o++] = '0';
	} else if (kk > 0 && kk <= 16) {
		for (int i = 0; i < len; i++) {
			if (i == kk) b[o++] = '.';
			b[o++] = digits[i];
		}
	} else if (kk > -5 && kk <= 0) {
		b[o++] = '0';
		b[o++] = '.';
		for (int i = 0; i < -kk; i++) b[o++] = '0';
		for (int i = 0; i < len; i++) b[o++] = digits[i];
	} else {
		b[o++] = digits[0];
		if (len > 1) {
			b[o++] = '.';
			for (int i = 1; i < len; i++) b[o++] = digits[i];
		}
		o += (size_t)snprintf(b + o, sizeof b - o, "e%d", kk - 1);
	}
	b[o] = 0;
	snprintf(out, n, "%s", b);
}

/* Rust's {:?} of a str, shortened */
static void debug_str(const struct buf *s, char *out, size_t n)
{
	struct buf b;
	buf_init(&b);
	buf_addc(&b, '"');
	for (size_t i = 0; i < s->len && b.len < 200; i++) {
		uint8_t c = s->data[i];
		switch (c) {
		case '"': buf_printf(&b, "\\\""); break;
		case '\\': buf_printf(&b, "\\\\"); break;
		case '\n': buf_printf(&b, "\\n"); break;
		case '\r': buf_printf(&b, "\\r"); break;
		case '\t': buf_printf(&b, "\\t"); break;
		case 0: buf_printf(&b, "\\0"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(&b, "\\u{%x}", c);
			else
				buf_addc(&b, c);
		}
	}
	buf_addc(&b, '"');
	snprintf(out, n, "%s", (const char *)b.data);
	buf_free(&b);
}

/* The value is not what exp wants: serde_json's peek_invalid_type. */
static int invalid_type(struct rd *r, const char *exp)
{
	int c = peek(r);
	char what[300];
	if (c == 'n' || c == 't' || c == 'f') {
		r->i++;
		if (ident(r, c == 'n' ? "ull" : c == 't' ? "rue" : "alse"))
			return -1;
		snprintf(what, sizeof what, "%s", c == 'n' ? "null" : c == 't' ? "boolean `true`" : "boolean `false`");
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		struct number num;
		if (number(r, &num, 1))
			return -1;
		if (num.is_int)
			snprintf(what, sizeof what, "integer `%s%llu`", num.neg && num.u ? "-" : "", num.u);
		else {
			char f[64];
			ryu_format(num.f, f, sizeof f);
			snprintf(what, sizeof what, "floating point `%s`", f);
		}
	} else if (c == '"') {
		struct buf s;
		buf_init(&s);
		if (string(r, &s)) {
			buf_free(&s);
			return -1;
		}
		char d[260];
		debug_str(&s, d, sizeof d);
		buf_free(&s);
		snprintf(what, sizeof what, "string %s", d);
	} else if (c == '[' || c == '{') {
		snprintf(what, sizeof what, "%s", c == '[' ? "sequence" : "map");
	} else {
		return PEEKERR(r, "expected value");
	}
	return at(r, ST_DATA, r->i, "invalid type: %s, expected %s", what, exp);
}

/* The start of a value to skip: a scalar is read whole (*frame 0), an array
 * or object only opened (*frame '[' or '{'). 0 or -1. */
static int skip_value_start(struct rd *r, int *frame)
{
	int c = ws(r);
	*frame = 0;
	if (c < 0)
		return PEEKERR(r, "EOF while parsing a value");
	if (c == 'n' || c == 't' || c == 'f') {
		r->i++;
		return ident(r, c == 'n' ? "ull" : c == 't' ? "rue" : "alse") ? -1 : 0;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		struct number num;
		return number(r, &num, 0) ? -1 : 0;
	}
	if (c == '"')
		return string(r, NULL) ? -1 : 0;
	if (c == '[' || c == '{') {
		r->i++;
		*frame = c;
		return 0;
	}
	return PEEKERR(r, "expected value");
}

/* An object member's key and its colon. 0 or -1. */
static int skip_key(struct rd *r)
{
	int p = ws(r);
	if (p != '"')
		return PEEKERR(r, p < 0 ? "EOF while parsing an object" : "key must be a string");
	if (string(r, NULL))
		return -1;
	p = ws(r);
	if (p != ':')
		return PEEKERR(r, p < 0 ? "EOF while parsing an object" : "expected `:`");
	r->i++;
	return 0;
}

/* Skip any value, checking it as serde_json's ignore_value does. */
static int ignore_value(struct rd *r)
{
	struct buf stack; /* enclosing '[' / '{' */
	buf_init(&stack);
	int rc = -1;
	for (;;) {
		int frame, accept_comma;
		if (skip_value_start(r, &frame))
			goto out;
		if (frame) {
			accept_comma = 0;
		} else if (stack.len) {
			frame = stack.data[--stack.len];
			accept_comma = 1;
		} else {
			rc = 0;
			goto out;
		}
		for (;;) {
			int p = ws(r);
			if (p == ',' && accept_comma) {
				r->i++;
				break;
			}
			if ((p == ']' && frame == '[') || (p == '}' && frame == '{')) {
				r->i++;
				if (!stack.len) {
					rc = 0;
					goto out;
				}
				frame = stack.data[--stack.len];
				accept_comma = 1;
				continue;
			}
			if (p < 0) {
				PEEKERR(r, frame == '[' ? "EOF while parsing a list" : "EOF while parsing an object");
				goto out;
			}
			if (accept_comma) {
				PEEKERR(r, frame == '[' ? "expected `,` or `]`" : "expected `,` or `}`");
				goto out;
			}
			break;
		}
		buf_addc(&stack, frame);
		if (frame == '{' && skip_key(r))
			goto out;
	}
out:
	buf_free(&stack);
	return rc;
}

/* A String field (want_null: Option<String>, where null is None). */
static int string_field(struct rd *r, struct buf *out, int optional, int *present)
{
	int c = ws(r);
	if (c < 0)
		return PEEKERR(r, "EOF while parsing a value");
	if (optional && c == 'n') {
		r->i++;
		if (ident(r, "ull"))
			return -1;
		*present = 0;
		return 0;
	}
	if (c != '"')
		return invalid_type(r, "a string");
	buf_init(out);
	*present = 1;
	if (string(r, out)) {
		buf_free(out);
		*present = 0;
		return -1;
	}
	return 0;
}

#define EXPECTING "struct KmsAttestRequest"

static int request_map(struct rd *r, struct buf *nonce, int *has_nonce, struct buf *binding, int *has_binding)
{
	int first = 1, seen_binding = 0;
	r->i++; /* '{' */
	for (;;) {
		int c = ws(r);
		if (c == '}')
			break;
		if (c == ',' && !first) {
			r->i++;
			c = ws(r);
		} else if (c >= 0 && !first) {
			return PEEKERR(r, "expected `,` or `}`");
		} else if (c < 0) {
			return PEEKERR(r, "EOF while parsing an object");
		}
		first = 0;
		if (c == '}')
			return PEEKERR(r, "trailing comma");
		if (c < 0)
			return PEEKERR(r, "EOF while parsing a value");
		if (c != '"')
			return PEEKERR(r, "key must be a string");
		struct buf key;
		buf_init(&key);
		if (string(r, &key)) {
			buf_free(&key);
			return -1;
		}
		int which = key.len == 8 && memcmp(key.data, "nonceB64", 8) == 0     ? 1
			    : key.len == 10 && memcmp(key.data, "bindingB64", 10) == 0 ? 2
										   : 0;
		if ((which == 1 && *has_nonce) || (which == 2 && seen_binding)) {
			buf_free(&key);
			return at(r, ST_DATA, r->i, "duplicate field `%s`", which == 1 ? "nonceB64" : "bindingB64");
		}
		/* errors inside the value carry the key as their path */
		snprintf(r->path, sizeof r->path, "%s", (char *)key.data);
		buf_free(&key);
		int p = ws(r);
		if (p != ':')
			return PEEKERR(r, p < 0 ? "EOF while parsing an object" : "expected `:`");
		r->i++;
		int rc;
		if (which == 1) {
			rc = string_field(r, nonce, 0, has_nonce);
		} else if (which == 2) {
			seen_binding = 1;
			rc = string_field(r, binding, 1, has_binding);
		} else {
			rc = ignore_value(r);
		}
		if (rc)
			return -1;
		r->path[0] = 0;
	}
	if (!*has_nonce) {
		r->i++; /* serde_json's end_map consumed the '}' */
		return at(r, ST_DATA, r->i, "missing field `nonceB64`");
	}
	r->i++;
	return 0;
}

static int request_seq(struct rd *r, struct buf *nonce, int *has_nonce, struct buf *binding, int *has_binding)
{
	r->i++; /* '[' */
	for (int idx = 0; idx < 2; idx++) {
		int c = ws(r);
		if (c == ']') {
			if (idx == 0) {
				r->i++; /* serde_json's end_seq consumed the ']' */
				return at(r, ST_DATA, r->i, "invalid length 0, expected " EXPECTING " with 2 elements");
			}
			break;
		}
		if (idx > 0) {
			if (c < 0)
				return PEEKERR(r, "EOF while parsing a list");
			if (c != ',')
				return PEEKERR(r, "expected `,` or `]`");
			r->i++;
			c = ws(r);
			if (c == ']')
				return PEEKERR(r, "trailing comma");
		} else if (c < 0) {
			return PEEKERR(r, "EOF while parsing a list");
		}
		if (c < 0)
			return PEEKERR(r, "EOF while parsing a value");
		snprintf(r->path, sizeof r->path, "[%d]", idx);
		if (string_field(r, idx ? binding : nonce, idx, idx ? has_binding : has_nonce))
			return -1;
		r->path[0] = 0;
	}
	/* serde_json's end_seq */
	int c = ws(r);
	if (c == ']') {
		r->i++;
		return 0;
	}
	if (c == ',') {
		r->i++;
		c = ws(r);
		return PEEKERR(r, c == ']' ? "trailing comma" : "trailing characters");
	}
	return PEEKERR(r, c < 0 ? "EOF while parsing a list" : "trailing characters");
}

static enum kmsreq_result decode32(const char *field, const struct buf *v, uint8_t out[32], char *msg,
				   size_t msglen)
{
	uint8_t *tmp = xmalloc(v->len / 4 * 3 + 8);
	char e[128];
	long n = kmsreq_b64_decode((const char *)v->data, v->len, tmp, e, sizeof e);
	if (n == 32)
		memcpy(out, tmp, 32);
	free(tmp);
	if (n < 0) {
		snprintf(msg, msglen, "%s: %s", field, e);
		return KMSREQ_INVALID;
	}
	if (n != 32) {
		snprintf(msg, msglen, "%s must be exactly 32 bytes", field);
		return KMSREQ_INVALID;
	}
	return KMSREQ_OK;
}

enum kmsreq_result kmsreq_parse(const uint8_t *body, size_t n, struct kmsreq *req, char *msg, size_t msglen)
{
	struct rd r = {.s = body, .n = n, .msg = msg, .msglen = msglen};
	struct buf nonce, binding;
	int has_nonce = 0, has_binding = 0, rc;
	memset(req, 0, sizeof *req);
	msg[0] = 0;
	int c = ws(&r);
	if (c == '{')
		rc = request_map(&r, &nonce, &has_nonce, &binding, &has_binding);
	else if (c == '[')
		rc = request_seq(&r, &nonce, &has_nonce, &binding, &has_binding);
	else if (c < 0)
		rc = PEEKERR(&r, "EOF while parsing a value");
	else
		rc = invalid_type(&r, EXPECTING);
	if (rc == 0) {
		r.path[0] = 0;
		if (ws(&r) >= 0)
			rc = PEEKERR(&r, "trailing characters"); /* axum's Deserializer::end */
	}
	enum kmsreq_result res = KMSREQ_OK;
	if (rc)
		res = r.kind == ST_DATA ? KMSREQ_DATA : KMSREQ_SYNTAX;
	if (res == KMSREQ_OK)
		res = decode32("nonceB64", &nonce, req->nonce, msg, msglen);
	if (res == KMSREQ_OK) {
		if (has_binding) {
			res = decode32("bindingB64", &binding, req->binding, msg, msglen);
			req->binding_given = 1;
		} else {
			kms_default_binding(req->binding);
		}
	}
	if (has_nonce)
		buf_free(&nonce);
	if (has_binding)
		buf_free(&binding);
	return res;
}
