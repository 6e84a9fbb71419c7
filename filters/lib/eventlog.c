#include "eventlog.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common.h"
#include "ecdsa.h"
#include "json.h"
#include "tdx.h"
#include "sha.h"

#define TCG_ALG_SHA384 0x000C
#define CCEL_MAX_ALGS 16
#define UNWRAP_DEPTH 4

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void el_init(struct eventlog *log)
{
	memset(log, 0, sizeof *log);
}

void el_free(struct eventlog *log)
{
	for (size_t i = 0; i < log->n; i++) {
		free(log->ev[i].name);
		free(log->ev[i].payload);
		free(log->ev[i].preimage);
	}
	free(log->ev);
	el_init(log);
}

static struct el_event *add_event(struct eventlog *log)
{
	if (log->n == log->cap) {
		log->cap = log->cap ? 2 * log->cap : 32;
		log->ev = xrealloc(log->ev, log->cap * sizeof *log->ev);
	}
	struct el_event *e = &log->ev[log->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* A printable rendering of an event name for messages (at most 48 chars). */
static void name_text(const struct el_event *e, char out[64])
{
	size_t j = 0;
	for (size_t i = 0; i < e->name_len && j < 48; i++) {
		unsigned char c = (unsigned char)e->name[i];
		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[j] = 0;
}

static void event_label(const struct eventlog *log, size_t i, char *out, size_t outlen)
{
	const struct el_event *e = &log->ev[i];
	char nm[64];
	name_text(e, nm);
	if (e->name_len)
		snprintf(out, outlen, "event %zu '%s' (IMR %d)", i, nm, e->imr);
	else
		snprintf(out, outlen, "event %zu (IMR %d, type 0x%08x)", i, e->imr, e->type);
}

/* ---- JSON form ---- */

/* A member that must be a non-negative integer no larger than max; -1 when
 * absent (ok), -2 when of the wrong kind or range. */
static long long int_member(jv o, const char *key, long long max)
{
	jv v = json_get(o, key);
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		return -1;
	}
	if (k != JV_KIND_NUMBER) {
		jv_free(v);
		return -2;
	}
	double d = jv_number_value(v);
	jv_free(v);
	if (!(d >= 0) || d > (double)max || floor(d) != d)
		return -2;
	return (long long)d;
}

/* A hex member into a new buffer (never NULL): 0 ok (absent or null gives
 * length 0), -1 not a string, -2 bad hex. */
static int hex_member(jv o, const char *key, uint8_t **out, size_t *len)
{
	*out = xmalloc(1);
	*len = 0;
	jv v = json_get(o, key);
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	free(*out);
	*out = NULL;
	if (k != JV_KIND_STRING) {
		jv_free(v);
		return -1;
	}
	size_t n = (size_t)jv_string_length_bytes(jv_copy(v));
	const char *s = jv_string_value(v);
	uint8_t *b = xmalloc(n / 2 + 1);
	if (hex_decode(s, n, b) < 0) {
		free(b);
		jv_free(v);
		return -2;
	}
	jv_free(v);
	*out = b;
	*len = n / 2;
	return 0;
}

/* The event's name ("event"): a string; absent or null is the empty name. */
static int event_name(jv o, size_t i, struct el_event *e, char *err, size_t errlen)
{
	jv name = json_get(o, "event");
	jv_kind nk = jv_get_kind(name);
	if (nk == JV_KIND_STRING) {
		e->name_len = (size_t)jv_string_length_bytes(jv_copy(name));
		e->name = xmalloc(e->name_len + 1);
		memcpy(e->name, jv_string_value(name), e->name_len);
		e->name[e->name_len] = 0;
	} else {
		e->name = xstrdup("");
	}
	jv_free(name);
	if (nk != JV_KIND_STRING && nk != JV_KIND_INVALID && nk != JV_KIND_NULL) {
		seterr(err, errlen, "event %zu: event name is not a string", i);
		return EL_MALFORMED;
	}
	return EL_OK;
}

/* The recorded digest ("digest"): SHA-384 hex; absent, null or empty is none. */
static int event_digest(jv o, size_t i, struct el_event *e, char *err, size_t errlen)
{
	uint8_t *d;
	size_t dl;
	int r = hex_member(o, "digest", &d, &dl);
	if (r) {
		seterr(err, errlen, "event %zu: digest is %s", i, r == -1 ? "not a string" : "not hex");
		return EL_MALFORMED;
	}
	if (dl && dl != EL_DIGEST_LEN) {
		free(d);
		seterr(err, errlen, "event %zu: digest is %zu bytes, not %d (SHA-384)", i, dl, EL_DIGEST_LEN);
		return EL_MALFORMED;
	}
	if (dl) {
		memcpy(e->recorded, d, EL_DIGEST_LEN);
		e->has_recorded = 1;
	}
	free(d);
	return EL_OK;
}

static int json_event(jv o, size_t i, struct eventlog *log, char *err, size_t errlen)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		seterr(err, errlen, "event %zu is not a JSON object", i);
		return EL_MALFORMED;
	}
	long long imr = int_member(o, "imr", 1LL << 32);
	if (imr == -1) {
		seterr(err, errlen, "event %zu has no imr", i);
		return EL_MALFORMED;
	}
	if (imr < 0 || imr >= EL_NREG) {
		jv v = json_get(o, "imr");
		jv s = jv_dump_string(v, 0);
		seterr(err, errlen, "event %zu: unknown IMR %.32s (0-3 are RTMR0-3)", i, jv_string_value(s));
		jv_free(s);
		return EL_MALFORMED;
	}
	long long type = int_member(o, "event_type", 0xffffffffLL);
	if (type < 0) {
		seterr(err, errlen, "event %zu: %s event_type", i, type == -1 ? "no" : "bad");
		return EL_MALFORMED;
	}
	struct el_event *e = add_event(log);
	e->imr = (int)imr;
	e->type = (uint32_t)type;

	int r = event_name(o, i, e, err, errlen);
	if (r == EL_OK)
		r = event_digest(o, i, e, err, errlen);
	if (r != EL_OK)
		return r;
	r = hex_member(o, "event_payload", &e->payload, &e->payload_len);
	if (r) {
		seterr(err, errlen, "event %zu: event_payload is %s", i, r == -1 ? "not a string" : "not hex");
		return EL_MALFORMED;
	}
	long long ver = int_member(o, "version", 1000);
	if (ver == -2 || ver == 0 || ver > 2) {
		seterr(err, errlen, "event %zu: unknown event log version (1 or 2)", i);
		return EL_MALFORMED;
	}
	e->version = ver < 0 ? 0 : (int)ver;
	r = hex_member(o, "preimage", &e->preimage, &e->preimage_len);
	if (r) {
		seterr(err, errlen, "event %zu: preimage is %s", i, r == -1 ? "not a string" : "not hex");
		return EL_MALFORMED;
	}
	jv pre = json_get(o, "preimage");
	e->has_preimage = jv_get_kind(pre) == JV_KIND_STRING;
	jv_free(pre);
	return EL_OK;
}

static int json_array(jv arr, struct eventlog *log, char *err, size_t errlen)
{
	int n = jv_array_length(jv_copy(arr));
	if (n > EL_MAX_EVENTS) {
		seterr(err, errlen, "event log has %d events, more than the %d cap", n, EL_MAX_EVENTS);
		jv_free(arr);
		return EL_MALFORMED;
	}
	log->format = EL_FMT_JSON;
	for (int i = 0; i < n; i++) {
		jv o = jv_array_get(jv_copy(arr), i);
		int r = json_event(o, (size_t)i, log, err, errlen);
		jv_free(o);
		if (r) {
			jv_free(arr);
			return r;
		}
	}
	jv_free(arr);
	return EL_OK;
}

static int unwrap(jv v, int depth, struct eventlog *log, char *err, size_t errlen)
{
	if (depth > UNWRAP_DEPTH) {
		jv_free(v);
		seterr(err, errlen, "event log nested too deeply");
		return EL_MALFORMED;
	}
	switch (jv_get_kind(v)) {
	case JV_KIND_ARRAY:
		return json_array(v, log, err, errlen);
	case JV_KIND_STRING: {
		char e2[256];
		jv inner = json_parse(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), e2, sizeof e2);
		jv_free(v);
		if (!jv_is_valid(inner)) {
			jv_free(inner);
			seterr(err, errlen, "event log string is not JSON: %s", e2);
			return EL_MALFORMED;
		}
		return unwrap(inner, depth + 1, log, err, errlen);
	}
	case JV_KIND_OBJECT: {
		static const char *const keys[] = {"eventLog", "event_log", "data", "tcb_info"};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			jv inner = json_get(v, keys[k]);
			jv_kind ik = jv_get_kind(inner);
			if (ik == JV_KIND_ARRAY || ik == JV_KIND_STRING || (k >= 2 && ik == JV_KIND_OBJECT)) {
				jv_free(v);
				return unwrap(inner, depth + 1, log, err, errlen);
			}
			jv_free(inner);
		}
		jv_free(v);
		seterr(err, errlen, "JSON object holds no eventLog or event_log");
		return EL_MALFORMED;
	}
	default:
		jv_free(v);
		seterr(err, errlen, "event log is not a JSON array");
		return EL_MALFORMED;
	}
}

/* ---- binary TCG CCEL ---- */

struct alg { uint16_t id, size; };

struct ccel {
	const uint8_t *p;
	size_t n;
	struct alg algs[CCEL_MAX_ALGS];
	uint32_t nalg;
};

/* The Spec ID Event03 header with its digest algorithms; *start is the
 * offset of the first event after it. */
static int ccel_header(struct ccel *c, size_t *start, char *err, size_t errlen)
{
	static const uint8_t sig[16] = "Spec ID Event03";
	const uint8_t *p = c->p;
	if (c->n < 32) {
		seterr(err, errlen, "TCG event log truncated in its header (%zu bytes)", c->n);
		return EL_MALFORMED;
	}
	if (le32(p + 4) != EL_EV_NO_ACTION) {
		seterr(err, errlen, "not a TCG event log: the first event is not EV_NO_ACTION");
		return EL_MALFORMED;
	}
	size_t hsz = le32(p + 28);
	if (hsz > c->n - 32 || hsz < 28 || memcmp(p + 32, sig, 16) != 0) {
		seterr(err, errlen, "not a TCG crypto-agile event log: no Spec ID Event03 header");
		return EL_MALFORMED;
	}
	const uint8_t *spec = p + 32;
	c->nalg = le32(spec + 24);
	if (c->nalg == 0 || c->nalg > CCEL_MAX_ALGS || 28 + 4 * (size_t)c->nalg > hsz) {
		seterr(err, errlen, "TCG event log header lists %u digest algorithms", c->nalg);
		return EL_MALFORMED;
	}
	int have384 = 0;
	for (uint32_t a = 0; a < c->nalg; a++) {
		c->algs[a].id = le16(spec + 28 + 4 * a);
		c->algs[a].size = le16(spec + 30 + 4 * a);
		if (c->algs[a].id == TCG_ALG_SHA384) {
			if (c->algs[a].size != EL_DIGEST_LEN) {
				seterr(err, errlen, "TCG event log header gives SHA-384 a size of %u", c->algs[a].size);
				return EL_MALFORMED;
			}
			have384 = 1;
		}
	}
	if (!have384) {
		seterr(err, errlen, "TCG event log has no SHA-384 digests (an RTMR log needs them)");
		return EL_MALFORMED;
	}
	*start = 32 + hsz;
	return EL_OK;
}

/* The cnt digests of event idx from *o on; *d384 gets the SHA-384 one. */
static int ccel_digests(const struct ccel *c, size_t idx, size_t *o, uint32_t cnt, const uint8_t **d384,
			char *err, size_t errlen)
{
	*d384 = NULL;
	for (uint32_t k = 0; k < cnt; k++) {
		if (c->n - *o < 2) {
			seterr(err, errlen, "event %zu truncated in its digests at byte %zu", idx, *o);
			return EL_MALFORMED;
		}
		uint16_t id = le16(c->p + *o);
		size_t sz = 0;
		for (uint32_t a = 0; a < c->nalg; a++)
			if (c->algs[a].id == id)
				sz = c->algs[a].size;
		if (!sz) {
			seterr(err, errlen, "event %zu at byte %zu: digest algorithm 0x%04x not in the header", idx, *o, id);
			return EL_MALFORMED;
		}
		*o += 2;
		if (c->n - *o < sz) {
			seterr(err, errlen, "event %zu truncated in its digests at byte %zu", idx, *o);
			return EL_MALFORMED;
		}
		if (id == TCG_ALG_SHA384)
			*d384 = c->p + *o;
		*o += sz;
	}
	return EL_OK;
}

/* 1 when the log ends at off: a 0xffffffff terminator, zero padding, or
 * fewer than 12 bytes of padding; -1 (err set) when those bytes are not. */
static int ccel_end(const struct ccel *c, size_t off, size_t idx, char *err, size_t errlen)
{
	size_t left = c->n - off;
	if (left >= 4 && le32(c->p + off) == 0xffffffffu)
		return 1;
	if (left < 12) {
		for (size_t k = off; k < c->n; k++)
			if (c->p[k] != 0 && c->p[k] != 0xff) {
				seterr(err, errlen, "event %zu truncated at byte %zu", idx, off);
				return -1;
			}
		return 1;
	}
	return le32(c->p + off) == 0 && le32(c->p + off + 4) == 0 && le32(c->p + off + 8) == 0;
}

/* The event at *off, added to log; *off moves past it. */
static int ccel_event(const struct ccel *c, struct eventlog *log, size_t *off, char *err, size_t errlen)
{
	const uint8_t *p = c->p;
	uint32_t mr = le32(p + *off), type = le32(p + *off + 4), cnt = le32(p + *off + 8);
	if (log->n >= EL_MAX_EVENTS) {
		seterr(err, errlen, "event log has more than %d events", EL_MAX_EVENTS);
		return EL_MALFORMED;
	}
	if (cnt == 0 || cnt > c->nalg) {
		seterr(err, errlen, "event %zu at byte %zu has %u digests (the header lists %u algorithms)", log->n,
		       *off, cnt, c->nalg);
		return EL_MALFORMED;
	}
	size_t o = *off + 12;
	const uint8_t *d384;
	if (ccel_digests(c, log->n, &o, cnt, &d384, err, errlen))
		return EL_MALFORMED;
	if (c->n - o < 4 || (size_t)le32(p + o) > c->n - o - 4) {
		seterr(err, errlen, "event %zu truncated in its data at byte %zu", log->n, o);
		return EL_MALFORMED;
	}
	size_t esz = le32(p + o);
	o += 4;
	if (!d384) {
		seterr(err, errlen, "event %zu at byte %zu has no SHA-384 digest", log->n, *off);
		return EL_MALFORMED;
	}
	if ((mr < 1 || mr > EL_NREG) && !(type == EL_EV_NO_ACTION && mr == 0)) {
		seterr(err, errlen, "event %zu at byte %zu: unknown MR index %u (CCEL MR 1-4 are RTMR0-3)", log->n,
		       *off, mr);
		return EL_MALFORMED;
	}
	struct el_event *e = add_event(log);
	e->imr = (int)mr - 1;
	e->type = type;
	e->name = xstrdup("");
	e->payload = xmalloc(esz ? esz : 1);
	memcpy(e->payload, p + o, esz);
	e->payload_len = esz;
	memcpy(e->recorded, d384, EL_DIGEST_LEN);
	e->has_recorded = 1;
	e->version = -1; /* firmware events are never dstack runtime events */
	*off = o + esz;
	return EL_OK;
}

static int parse_ccel(const uint8_t *p, size_t n, struct eventlog *log, char *err, size_t errlen)
{
	struct ccel c = {.p = p, .n = n};
	size_t off;
	if (ccel_header(&c, &off, err, errlen))
		return EL_MALFORMED;
	log->format = EL_FMT_CCEL;
	while (off < n) {
		int end = ccel_end(&c, off, log->n, err, errlen);
		if (end < 0)
			return EL_MALFORMED;
		if (end)
			break;
		if (ccel_event(&c, log, &off, err, errlen))
			return EL_MALFORMED;
	}
	log->trailing = off < n ? n - off : 0;
	return EL_OK;
}

int el_parse(const uint8_t *buf, size_t n, struct eventlog *log, char *err, size_t errlen)
{
	size_t i = 0;
	if (n >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		i = 3;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i == n) {
		seterr(err, errlen, "empty event log");
		return EL_MALFORMED;
	}
	if (buf[i] == '[' || buf[i] == '{' || buf[i] == '"') {
		char e2[256];
		jv v = json_parse((const char *)buf + i, n - i, e2, sizeof e2);
		if (!jv_is_valid(v)) {
			jv_free(v);
			seterr(err, errlen, "not JSON: %s", e2);
			return EL_MALFORMED;
		}
		return unwrap(v, 0, log, err, errlen);
	}
	return parse_ccel(buf, n, log, err, errlen);
}

/* ---- runtime digests and replay ---- */

static void jcs_string(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\b': buf_add(b, "\\b", 2); break;
		case '\f': buf_add(b, "\\f", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20)
				buf_printf(b, "\\u%04x", c);
			else
				buf_addc(b, (int)c);
		}
	}
	buf_addc(b, '"');
}

/* The digest preimage of a runtime event in format version 1 or 2, as a new
 * buffer (caller frees); *len receives its length. */
static uint8_t *el_runtime_preimage(const struct el_event *e, int version, size_t *len)
{
	struct buf b;
	buf_init(&b);
	if (version == 2) {
		buf_add(&b, "{\"name\":", 8);
		jcs_string(&b, e->name, e->name_len);
		buf_add(&b, ",\"payload\":\"", 12);
		char *h = hex_encode(e->payload, e->payload_len);
		buf_add(&b, h, strlen(h));
		free(h);
		buf_printf(&b, "\",\"type\":%u}", EL_RUNTIME_EVENT_TYPE);
	} else {
		uint8_t t[4] = {EL_RUNTIME_EVENT_TYPE & 0xff, EL_RUNTIME_EVENT_TYPE >> 8 & 0xff,
				EL_RUNTIME_EVENT_TYPE >> 16 & 0xff, EL_RUNTIME_EVENT_TYPE >> 24};
		buf_add(&b, t, 4);
		buf_addc(&b, ':');
		buf_add(&b, e->name, e->name_len);
		buf_addc(&b, ':');
		buf_add(&b, e->payload, e->payload_len);
	}
	*len = b.len;
	return b.data;
}

static void runtime_digest(const struct el_event *e, int version, uint8_t out[EL_DIGEST_LEN])
{
	size_t n;
	uint8_t *pre = el_runtime_preimage(e, version, &n);
	sha384(pre, n, out);
	free(pre);
}

static int runtime_event(struct eventlog *log, size_t i, char *err, size_t errlen)
{
	struct el_event *e = &log->ev[i];
	char label[128];
	int ver = e->version;
	if (ver == 0 && e->has_preimage)
		ver = e->preimage_len && e->preimage[0] == '{' ? 2 : 1;
	if (ver == 0) {
		/* no version given: V1 (dstack's default) unless only V2 explains the digest */
		runtime_digest(e, 1, e->computed);
		ver = 1;
		if (e->has_recorded && memcmp(e->computed, e->recorded, EL_DIGEST_LEN) != 0) {
			uint8_t v2[EL_DIGEST_LEN];
			runtime_digest(e, 2, v2);
			if (memcmp(v2, e->recorded, EL_DIGEST_LEN) == 0) {
				memcpy(e->computed, v2, EL_DIGEST_LEN);
				ver = 2;
			}
		}
	} else {
		runtime_digest(e, ver, e->computed);
	}
	e->version = ver;
	e->has_computed = 1;
	if (e->has_preimage) {
		size_t n;
		uint8_t *pre = el_runtime_preimage(e, ver, &n);
		int same = n == e->preimage_len && memcmp(pre, e->preimage, n) == 0;
		free(pre);
		if (!same) {
			event_label(log, i, label, sizeof label);
			seterr(err, errlen, "%s: its preimage is not the V%d preimage of its name and payload", label, ver);
			return EL_MISMATCH;
		}
	}
	if (e->has_recorded) {
		if (memcmp(e->computed, e->recorded, EL_DIGEST_LEN) != 0) {
			char rec[97], comp[97];
			hex_encode_to(e->recorded, EL_DIGEST_LEN, rec);
			hex_encode_to(e->computed, EL_DIGEST_LEN, comp);
			event_label(log, i, label, sizeof label);
			seterr(err, errlen, "%s: recorded digest %s differs from the computed V%d digest %s",
			       label, rec, ver, comp);
			return EL_MISMATCH;
		}
		e->src = EL_DIGEST_VERIFIED;
	} else {
		e->src = EL_DIGEST_COMPUTED;
	}
	memcpy(e->digest, e->computed, EL_DIGEST_LEN);
	return EL_OK;
}

int el_replay(struct eventlog *log, char *err, size_t errlen)
{
	memset(log->rtmr, 0, sizeof log->rtmr);
	memset(log->count, 0, sizeof log->count);
	for (size_t i = 0; i < log->n; i++) {
		struct el_event *e = &log->ev[i];
		e->has_computed = 0;
		if (e->type == EL_RUNTIME_EVENT_TYPE && e->version >= 0) {
			int r = runtime_event(log, i, err, errlen);
			if (r)
				return r;
		} else if (e->has_recorded) {
			memcpy(e->digest, e->recorded, EL_DIGEST_LEN);
			e->src = EL_DIGEST_RECORDED;
		} else if (e->type != EL_EV_NO_ACTION) {
			char label[128];
			event_label(log, i, label, sizeof label);
			seterr(err, errlen, "%s: a boot event without a digest (only runtime events can be computed)", label);
			return EL_MALFORMED;
		}
		e->extended = e->type != EL_EV_NO_ACTION;
		if (!e->extended)
			continue;
		if (e->imr < 0 || e->imr >= EL_NREG) {
			seterr(err, errlen, "event %zu: unknown IMR %d", i, e->imr);
			return EL_MALFORMED;
		}
		uint8_t cat[2 * EL_DIGEST_LEN];
		memcpy(cat, log->rtmr[e->imr], EL_DIGEST_LEN);
		memcpy(cat + EL_DIGEST_LEN, e->digest, EL_DIGEST_LEN);
		sha384(cat, sizeof cat, log->rtmr[e->imr]);
		log->count[e->imr]++;
	}
	return EL_OK;
}

const char *el_format_name(enum el_format f)
{
	return f == EL_FMT_CCEL ? "tcg-ccel" : "dstack-json";
}

const char *el_type_name(uint32_t t)
{
	static const char *const tcg[] = {
		"EV_PREBOOT_CERT", "EV_POST_CODE", "EV_UNUSED", "EV_NO_ACTION", "EV_SEPARATOR",
		"EV_ACTION", "EV_EVENT_TAG", "EV_S_CRTM_CONTENTS", "EV_S_CRTM_VERSION",
		"EV_CPU_MICROCODE", "EV_PLATFORM_CONFIG_FLAGS", "EV_TABLE_OF_DEVICES",
		"EV_COMPACT_HASH", "EV_IPL", "EV_IPL_PARTITION_DATA", "EV_NONHOST_CODE",
		"EV_NONHOST_CONFIG", "EV_NONHOST_INFO", "EV_OMIT_BOOT_DEVICE_EVENTS"};
	static const struct { uint32_t t; const char *n; } efi[] = {
		{0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"}, {0x80000002, "EV_EFI_VARIABLE_BOOT"},
		{0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"}, {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
		{0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"}, {0x80000006, "EV_EFI_GPT_EVENT"},
		{0x80000007, "EV_EFI_ACTION"}, {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
		{0x80000009, "EV_EFI_HANDOFF_TABLES"}, {0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
		{0x8000000b, "EV_EFI_HANDOFF_TABLES2"}, {0x8000000c, "EV_EFI_VARIABLE_BOOT2"},
		{0x80000010, "EV_EFI_HCRTM_EVENT"}, {0x800000e0, "EV_EFI_VARIABLE_AUTHORITY"},
		{0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB"}, {0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
		{EL_RUNTIME_EVENT_TYPE, "DSTACK_RUNTIME_EVENT"}};
	if (t < sizeof tcg / sizeof tcg[0])
		return tcg[t];
	for (size_t i = 0; i < sizeof efi / sizeof efi[0]; i++)
		if (efi[i].t == t)
			return efi[i].n;
	return NULL;
}
