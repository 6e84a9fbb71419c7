#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"

void json_dump_buf(jv v, int pretty, struct buf *b)
{
	int flags = JV_PRINT_SORTED | (pretty ? JV_PRINT_INDENT_FLAGS(2) : 0);
	jv s = jv_dump_string(v, flags);
	buf_add(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	buf_addc(b, '\n');
	jv_free(s);
}

static void emit(jv v, int pretty)
{
	struct buf b;
	buf_init(&b);
	json_dump_buf(v, pretty, &b);
	out_write(b.data, b.len);
	buf_free(&b);
}

void json_emit(jv v) { emit(v, 1); }
void json_emit_line(jv v) { emit(v, 0); }

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
	read_file_capped(path, cap, &b);
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

long long json_int(jv obj, const char *key, int *ok)
{
	jv v = json_get(obj, key);
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		if (ok)
			*ok = 0;
		return 0;
	}
	double d = jv_number_value(v);
	jv_free(v);
	if (ok)
		*ok = 1;
	return (long long)d;
}
