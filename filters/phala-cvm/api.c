/* The Phala Cloud REST API as phala-cvm uses it: base URL, version header and
 * key from the environment, JSON bodies, the API's error details. */
#include <stdlib.h>
#include <string.h>

#include "phala.h"

static char base[1024];
static char version_header[64];
static int verbose;

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

static int version_valid(const char *v)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(v) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(v[i] >= '0' && v[i] <= '9') : v[i] != '-')
			return 0;
	return 1;
}

int api_verbose(void) { return verbose; }

void api_init(int verbose_flag)
{
	verbose = verbose_flag;
	const char *key = getenv(PHALA_KEY_ENV);
	if (!key || !*key)
		fail(EXIT_CONFIG, "%s is not set: the Phala Cloud API needs an API key", PHALA_KEY_ENV);
	if (strpbrk(key, "\r\n"))
		fail(EXIT_CONFIG, "%s contains a line break", PHALA_KEY_ENV);
	const char *b = getenv("PHALA_API_BASE_URL"), *var = "PHALA_API_BASE_URL";
	if (!b || !*b) {
		b = getenv("PHALA_CLOUD_API_PREFIX");
		var = "PHALA_CLOUD_API_PREFIX";
	}
	if (!b || !*b)
		b = PHALA_BASE_DEFAULT;
	if ((strncmp(b, "http://", 7) != 0 && strncmp(b, "https://", 8) != 0) || strlen(b) >= 900 || !printable(b))
		fail(EXIT_CONFIG, "%s must be an http:// or https:// URL of printable characters, not '%.100s'", var,
		     printable(b) ? b : "(unprintable)");
	snprintf(base, sizeof base, "%s", b);
	for (size_t n = strlen(base); n && base[n - 1] == '/'; n--)
		base[n - 1] = 0;
	const char *v = getenv("PHALA_API_VERSION");
	if (!v || !*v)
		v = PHALA_VERSION_DEFAULT;
	if (!version_valid(v))
		fail(EXIT_CONFIG, "PHALA_API_VERSION must be a date YYYY-MM-DD, not '%.40s'", printable(v) ? v : "(unprintable)");
	snprintf(version_header, sizeof version_header, "X-Phala-Version: %s", v);
}

void api_check_id(const char *s, const char *what)
{
	size_t n = strlen(s);
	if (!cvm_ident_ok(s, 1, 128))
		fail(EXIT_DATAERR, "%s '%.60s%s' is not an identifier ([A-Za-z0-9._-], at most 128)", what,
		     printable(s) ? s : "(unprintable)", n > 60 ? "..." : "");
}

void api_reply_free(struct api_reply *r)
{
	jv_free(r->body);
	r->body = jv_null();
}

/* Replace every occurrence of the API key in s (it should never be there:
 * this guards against a server that echoes it). */
static void redact(char *s)
{
	const char *key = getenv(PHALA_KEY_ENV);
	size_t k = key ? strlen(key) : 0;
	static const char mark[] = "[redacted]";
	size_t m = sizeof mark - 1;
	if (k < 4)
		return;
	for (char *p = s; (p = strstr(p, key));) {
		if (k >= m) {
			memcpy(p, mark, m);
			memmove(p + m, p + k, strlen(p + k) + 1);
			p += m;
		} else {
			memset(p, '#', k);
			p += k;
		}
	}
}

static void clean_text(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = '?';
	redact(s);
}

int api_call(enum http_method m, const char *path, jv body, double timeout, unsigned flags, struct api_reply *r,
	     char *err, size_t errlen)
{
	char url[1200];
	snprintf(url, sizeof url, "%s%s", base, path);
	struct buf b;
	buf_init(&b);
	int has_body = jv_is_valid(body);
	if (has_body)
		json_dump_buf(body, 0, &b);
	else
		jv_free(body);
	struct http_options o;
	http_options_init(&o);
	double t = timeout < API_TIMEOUT ? timeout : API_TIMEOUT;
	o.timeout_ms = (long)(1000 * (t > 1 ? t : 1));
	o.connect_timeout_ms = o.timeout_ms < 10000 ? o.timeout_ms : 10000;
	o.retries = flags & API_NO_RETRY ? 0 : 3;
	o.verbose = verbose;
	o.body_cap = 8 * MP_MIB;
	const char *hdr[] = {"Accept: application/json", version_header,
			     has_body ? "Content-Type: application/json" : NULL, NULL};
	/* provision only computes, a commit of the same app id and hash is
	 * idempotent, a start of a started CVM is harmless: POSTs are retried */
	struct http_request rq = {.method = m, .url = url, .headers = hdr, .body = b.data, .body_len = b.len,
				  .token_env = PHALA_KEY_ENV, .token_header = "X-API-Key", .token_required = 1,
				  .retry_post = 1};
	struct http_response rs;
	int rc = http_do(&o, &rq, &rs, err, errlen);
	buf_free(&b);
	memset(r, 0, sizeof *r);
	r->body = jv_null();
	if (rc) {
		r->status = rs.status;
		http_response_free(&rs);
		redact(err);
		return rc;
	}
	r->status = rs.status;
	snprintf(r->text, sizeof r->text, "%.*s", (int)(rs.body.len < 150 ? rs.body.len : 150),
		 (const char *)rs.body.data);
	clean_text(r->text);
	if (rs.body.len) {
		char perr[128];
		jv v = json_parse((const char *)rs.body.data, rs.body.len, perr, sizeof perr);
		if (jv_is_valid(v)) {
			r->body = v;
			r->json = 1;
		}
	}
	http_response_free(&rs);
	return 0;
}

/* The text of a FastAPI detail: a string, a list of {loc, msg}, or
 * {error_code, message}. */
static void detail_text(jv d, char *out, size_t n)
{
	out[0] = 0;
	if (jv_get_kind(d) == JV_KIND_STRING) {
		snprintf(out, n, "%s", jv_string_value(d));
	} else if (jv_get_kind(d) == JV_KIND_ARRAY && jv_array_length(jv_copy(d)) > 0) {
		jv e = jv_array_get(jv_copy(d), 0);
		const char *msg = json_str(e, "msg");
		snprintf(out, n, "%s", msg ? msg : "validation error");
		jv_free(e);
	} else if (jv_get_kind(d) == JV_KIND_OBJECT) {
		const char *code = json_str(d, "error_code"), *msg = json_str(d, "message");
		snprintf(out, n, "%s%s%s", code ? code : "", code && msg ? " " : "", msg ? msg : "");
	}
}

void api_detail(const struct api_reply *r, char *out, size_t n)
{
	out[0] = 0;
	if (r->json) {
		jv d = json_get(r->body, "detail");
		detail_text(d, out, n);
		jv_free(d);
	}
	if (!out[0])
		snprintf(out, n, "%s", r->text);
	if (strlen(out) > 200)
		strcpy(out + 197, "...");
	clean_text(out);
}

void api_fail_status(enum http_method m, const char *path, struct api_reply *r)
{
	char d[256];
	api_detail(r, d, sizeof d);
	int code = http_status_exit(r->status);
	if (r->status == 409)
		code = EXIT_UNAVAILABLE; /* a conflict: refused, not an impossible answer */
	const char *hint = code == EXIT_NOPERM ? " (the API refused " PHALA_KEY_ENV ")" : "";
	long status = r->status;
	api_reply_free(r);
	fail(code, "%s %s%s: HTTP %ld%s%s%s", http_method_name(m), base, path, status, d[0] ? ": " : "", d, hint);
}

jv api_json(enum http_method m, const char *path, jv body, double timeout)
{
	struct api_reply r;
	char err[600];
	int rc = api_call(m, path, body, timeout, 0, &r, err, sizeof err);
	if (rc)
		fail(rc, "%s", err);
	if (r.status < 200 || r.status > 299)
		api_fail_status(m, path, &r);
	if (!r.json && r.text[0])
		fail(EXIT_PROTOCOL, "%s %s%s: HTTP %ld but the answer is not JSON: %.60s", http_method_name(m), base,
		     path, r.status, r.text);
	return r.body;
}
