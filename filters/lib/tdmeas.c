#include "tdmeas.h"

#include <stdarg.h>
#include <string.h>

#include "codec.h"
#include "common.h"
#include "ecdsa.h"
#include "json.h"
#include "tdx.h"
#include "sha.h"

/* From the raw bytes of a quote. Returns 0 or -1 with err. */
static int td_meas_from_quote(const uint8_t *raw, size_t n, struct td_meas *m, char *err, size_t errlen)
{
	struct tdx_quote q;
	char e2[400];
	if (tdx_parse(raw, n, &q, e2, sizeof e2)) {
		snprintf(err, errlen, "cannot parse quote: %s", e2);
		return -1;
	}
	if (!tdx_is_td(&q)) {
		snprintf(err, errlen, "not a TD quote (report type %s)", body_kind_name(q.kind));
		return -1;
	}
	memcpy(m->mr_td, q.body + TD_MR_TD, 48);
	memcpy(m->rtmr[0], q.body + TD_RT_MR0, 48);
	memcpy(m->rtmr[1], q.body + TD_RT_MR1, 48);
	memcpy(m->rtmr[2], q.body + TD_RT_MR2, 48);
	memcpy(m->rtmr[3], q.body + TD_RT_MR3, 48);
	memcpy(m->report_data, q.body + TD_REPORT_DATA, 64);
	sha256(raw, n, m->sha256);
	m->report_type = q.kind == BODY_TD15 ? "TD15" : "TD10";
	return 0;
}

static int from_b64(jv s, struct td_meas *m, const char *origin, char *err, size_t errlen)
{
	struct buf raw;
	buf_init(&raw);
	if (b64_decode(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)), &raw)) {
		buf_free(&raw);
		snprintf(err, errlen, "%s is not base64", origin);
		return -1;
	}
	int r = td_meas_from_quote(raw.data, raw.len, m, err, errlen);
	buf_free(&raw);
	m->origin = origin;
	return r;
}

/* A hex member of obj of exactly n bytes into out. */
static int hex_field(jv obj, const char *key, uint8_t *out, size_t n, const char *where, char *err, size_t errlen)
{
	const char *s = json_str(obj, key);
	if (!s) {
		snprintf(err, errlen, "quote JSON has no string %s%s", where, key);
		return -1;
	}
	if (strlen(s) != 2 * n || hex_decode(s, 2 * n, out) != (long)n) {
		snprintf(err, errlen, "quote JSON %s%s is not %zu bytes of hex", where, key, n);
		return -1;
	}
	return 0;
}

int td_meas_from_json(jv doc, struct td_meas *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "quote JSON is not an object");
		return -1;
	}
	jv b64 = json_get(doc, "quoteB64");
	if (jv_get_kind(b64) == JV_KIND_STRING) {
		int r = from_b64(b64, m, "quoteB64", err, errlen);
		jv_free(b64);
		return r;
	}
	jv_free(b64);
	jv data = json_get(doc, "data");
	if (jv_get_kind(data) == JV_KIND_OBJECT) {
		b64 = json_get(data, "quoteB64");
		jv_free(data);
		if (jv_get_kind(b64) == JV_KIND_STRING) {
			int r = from_b64(b64, m, "data.quoteB64", err, errlen);
			jv_free(b64);
			return r;
		}
		jv_free(b64);
		snprintf(err, errlen, "data holds no quoteB64 string");
		return -1;
	}
	jv_free(data);
	jv td = json_get(doc, "td_report");
	if (jv_get_kind(td) != JV_KIND_OBJECT) {
		jv_free(td);
		const char *rt = json_str(doc, "report_type");
		if (rt)
			snprintf(err, errlen, "not a TD quote (report type %s)", rt);
		else
			snprintf(err, errlen, "neither quote JSON (td_report) nor an attest response (quoteB64)");
		return -1;
	}
	static const char *const rt[4] = {"rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3"};
	int bad = hex_field(td, "mr_td", m->mr_td, 48, "td_report.", err, errlen) ||
		  hex_field(td, "report_data", m->report_data, 64, "td_report.", err, errlen);
	for (int i = 0; i < 4 && !bad; i++)
		bad = hex_field(td, rt[i], m->rtmr[i], 48, "td_report.", err, errlen);
	jv_free(td);
	if (bad || hex_field(doc, "sha256", m->sha256, 32, "", err, errlen))
		return -1;
	const char *t = json_str(doc, "report_type");
	m->report_type = t && strcmp(t, "TD15") == 0 ? "TD15" : "TD10";
	m->origin = "quote-json";
	return 0;
}
