#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "jw.h"

/* Our own writer over jv, in jq's canonical format (jq -S, two-space indent):
 * jv_dump_string is an order of magnitude slower on long strings. */
static void dump_string(const char *s, size_t n, struct buf *b) { json_string_literal(b, s, n); }

static void dump_number(double d, struct buf *b)
{
	char t[40];
	if (d != d) {
		buf_add(b, "null", 4);
		return;
	}
	if (d == (double)(long long)d && fabs(d) < 1e17) {
		snprintf(t, sizeof t, "%.0f", d);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(t, sizeof t, "%.*g", prec, d);
			if (strtod(t, NULL) == d)
				break;
		}
	}
	buf_add(b, t, strlen(t));
}

static void newline(struct buf *b, int pretty, int depth)
{
	if (!pretty)
		return;
	buf_addc(b, '\n');
	for (int i = 0; i < depth; i++)
		buf_add(b, "  ", 2);
}

struct key {
	const char *s;
	int n;
	jv k;
};

static int key_cmp(const void *a, const void *c)
{
	const struct key *x = a, *y = c;
	int m = x->n < y->n ? x->n : y->n;
	int r = memcmp(x->s, y->s, (size_t)m);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* Writes v (borrowed, not consumed). */
static void dump_value(jv v, int pretty, int depth, struct buf *b)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: buf_add(b, "null", 4); break;
	case JV_KIND_TRUE: buf_add(b, "true", 4); break;
	case JV_KIND_FALSE: buf_add(b, "false", 5); break;
	case JV_KIND_NUMBER: dump_number(jv_number_value(v), b); break;
	case JV_KIND_STRING:
		dump_string(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), b);
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		if (n == 0) {
			buf_add(b, "[]", 2);
			break;
		}
		buf_addc(b, '[');
		for (int i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			newline(b, pretty, depth + 1);
			jv e = jv_array_get(jv_copy(v), i);
			dump_value(e, pretty, depth + 1, b);
			jv_free(e);
		}
		newline(b, pretty, depth);
		buf_addc(b, ']');
		break;
	}
	case JV_KIND_OBJECT: {
		int n = jv_object_length(jv_copy(v));
		if (n == 0) {
			buf_add(b, "{}", 2);
			break;
		}
		struct key stackkeys[64], *keys = n <= 64 ? stackkeys : xmalloc(sizeof *keys * (size_t)n);
		int i = 0;
		jv_object_foreach(v, k, val) {
			keys[i].k = k;
			keys[i].s = jv_string_value(k);
			keys[i].n = jv_string_length_bytes(jv_copy(k));
			i++;
			jv_free(val);
		}
		qsort(keys, (size_t)n, sizeof *keys, key_cmp);
		buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			newline(b, pretty, depth + 1);
			dump_string(keys[i].s, (size_t)keys[i].n, b);
			buf_add(b, pretty ? ": " : ":", pretty ? 2 : 1);
			jv e = jv_object_get(jv_copy(v), jv_copy(keys[i].k));
			dump_value(e, pretty, depth + 1, b);
			jv_free(e);
			jv_free(keys[i].k);
		}
		if (keys != stackkeys)
			free(keys);
		newline(b, pretty, depth);
		buf_addc(b, '}');
		break;
	}
	default:
		buf_add(b, "null", 4);
	}
}

void json_dump_buf(jv v, int pretty, struct buf *b)
{
	dump_value(v, pretty, 0, b);
	buf_addc(b, '\n');
	jv_free(v);
}

void json_emit(jv v)
{
	struct buf b;
	buf_init(&b);
	json_dump_buf(v, 1, &b);
	out_write(b.data, b.len);
	buf_free(&b);
}

void json_write_file(const char *path, jv v)
{
	struct buf b;
	buf_init(&b);
	json_dump_buf(v, 1, &b);
	write_file(path, b.data, b.len, 0644);
	buf_free(&b);
}

jv jv_hex(const uint8_t *p, size_t n)
{
	char stackbuf[257];
	char *s = 2 * n + 1 <= sizeof stackbuf ? stackbuf : xmalloc(2 * n + 1);
	hex_encode_to(p, n, s);
	jv r = jv_string_sized(s, (int)(2 * n));
	if (s != stackbuf)
		free(s);
	return r;
}

jv json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	jv v = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(err, errlen, "%s", jv_string_value(msg));
		else
			snprintf(err, errlen, "not JSON");
		jv_free(msg);
		return jv_invalid();
	}
	return v;
}

jv json_read_file(const char *path, size_t cap)
{
	struct buf b;
	char err[512];
	read_file_capped(path, cap, &b, 0);
	jv v = json_parse((const char *)b.data, b.len, err, sizeof err);
	buf_free(&b);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse '%s': %s", path, err);
	return v;
}

jv json_get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	return v;
}

int json_bool(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	jv_kind k = jv_get_kind(v);
	jv_free(v);
	return k == JV_KIND_TRUE ? 1 : k == JV_KIND_FALSE ? 0 : -1;
}

const char *json_str(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	/* obj holds a reference to the same string, so the pointer stays valid */
	const char *s = jv_string_value(v);
	jv_free(v);
	return s;
}
