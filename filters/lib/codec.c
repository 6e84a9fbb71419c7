#include "codec.h"

#include <stdio.h>
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

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static int is_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v';
}

int b64_decode(const char *s, size_t len, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t nchars = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		int v = b64val(c);
		if (v < 0)
			return -1;
		nchars++;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (int)(acc >> bits) & 0xff);
		}
	}
	if (nchars % 4 == 1 || pad > 2)
		return -1;
	if (pad && (nchars + (size_t)pad) % 4)
		return -1;
	/* leftover bits must be zero (canonical encoding) */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return 0;
}

const char *form_name(enum input_form f)
{
	switch (f) {
	case FORM_BIN: return "bin";
	case FORM_HEX: return "hex";
	case FORM_BASE64: return "base64";
	default: return "auto";
	}
}

int parse_form(const char *s)
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

static enum input_form detect(const uint8_t *in, size_t n)
{
	size_t i = 0;
	while (i < n && is_space(in[i]))
		i++;
	int all_hex = 1, all_b64 = 1, any = 0;
	if (i + 1 < n && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X'))
		i += 2;
	for (size_t j = i; j < n; j++) {
		int c = in[j];
		if (is_space(c))
			continue;
		any = 1;
		if (hexval(c) < 0)
			all_hex = 0;
		if (b64val(c) < 0 && c != '=')
			all_b64 = 0;
		if (!all_hex && !all_b64)
			return FORM_BIN;
	}
	if (!any)
		return FORM_BIN;
	if (all_hex)
		return FORM_HEX;
	/* a 0x prefix that was not hex is base64 text starting with "0x"; rescan */
	for (size_t j = 0; j < n; j++)
		if (!is_space(in[j]) && b64val(in[j]) < 0 && in[j] != '=')
			return FORM_BIN;
	return FORM_BASE64;
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
		int hi = -1;
		for (; i < n; i++) {
			int c = in[i];
			if (is_space(c))
				continue;
			int v = hexval(c);
			if (v < 0) {
				snprintf(err, errlen, "bad hex character at byte %zu of the input", i);
				return -1;
			}
			if (hi < 0)
				hi = v;
			else {
				buf_addc(out, hi << 4 | v);
				hi = -1;
			}
		}
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
