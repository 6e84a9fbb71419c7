/* kms-sim's measurement policy: see policy.h. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/http.h"
#include "lib/jscan.h"
#include "lib/json.h"
#include "lib/policy.h"
#include "lib/sha.h"

#define POLICY_CAP (16 * MP_MIB)
#define LEGACY_NAME POLICY_STEM "json" /* POLICY_STEM (lib/policy.h) ends in a dot */
#define FETCH_TIMEOUT_MS 30000L

int kmspol_usage(const struct kmspol *p, char *msg, size_t msglen)
{
	if (p->file && p->base) {
		snprintf(msg, msglen, "--policy and --policy-url exclude each other");
		return -1;
	}
	if (p->base && strncmp(p->base, "http://", 7) != 0 && strncmp(p->base, "https://", 8) != 0) {
		snprintf(msg, msglen, "--policy-url must start with http:// or https://, not '%s'", p->base);
		return -1;
	}
	if (p->base && strpbrk(p->base, " \t\r\n?#")) {
		snprintf(msg, msglen, "--policy-url: '%s' is not a release download base (no spaces, query or fragment)",
			 p->base);
		return -1;
	}
	return 0;
}

/* mero-kms's normalize_hash_pin: trimmed, every leading 0x stripped, ASCII
 * lower case, then exactly 64 hex characters. */
static void read_pin(char out[65])
{
	const char *raw = getenv("MERO_KMS_POLICY_SHA256");
	out[0] = 0;
	if (!raw)
		return;
	size_t n;
	char *v = policy_normalize(raw, strlen(raw), &n);
	if (n != 64) {
		free(v);
		fail(EXIT_CONFIG, "MERO_KMS_POLICY_SHA256 must contain exactly 64 hex chars (got %zu); refusing to start", n);
	}
	int hex = policy_is_hex(v, n, 32);
	if (hex)
		memcpy(out, v, 65);
	free(v);
	if (!hex)
		fail(EXIT_CONFIG, "MERO_KMS_POLICY_SHA256 contains non-hex characters; refusing to start");
}

void kmspol_prepare(struct kmspol *p)
{
	read_pin(p->pin);
	if (p->file)
		read_file_capped(p->file, POLICY_CAP, &p->bytes, 0);
	else
		buf_init(&p->bytes);
}

/* ---- fetch_policy_from_release ---- */

/* reqwest's StatusCode display: "500 Internal Server Error" */
static void status_text(long s, char out[64])
{
	static const struct {
		long code;
		const char *text;
	} t[] = {{400, "Bad Request"},       {401, "Unauthorized"},          {403, "Forbidden"},
		 {405, "Method Not Allowed"}, {408, "Request Timeout"},       {410, "Gone"},
		 {429, "Too Many Requests"},  {500, "Internal Server Error"}, {501, "Not Implemented"},
		 {502, "Bad Gateway"},        {503, "Service Unavailable"},   {504, "Gateway Timeout"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].code == s) {
			snprintf(out, 64, "%ld %s", s, t[i].text);
			return;
		}
	snprintf(out, 64, "%ld", s);
}

/* One GET. 1: a 2xx body is in out; 0: move on (404, no answer), with why in
 * last; -1: stop, with mero-kms's reason in err. */
static int fetch_one(const char *url, struct buf *out, char *last, size_t lastlen, char *err, size_t errlen)
{
	struct http_options o;
	http_options_init(&o);
	o.retries = 0;
	o.timeout_ms = o.connect_timeout_ms = FETCH_TIMEOUT_MS;
	o.user_agent = "mero-kms-phala/1.0";
	o.follow_redirects = 1;
	o.body_cap = POLICY_CAP;
	struct http_request rq = {.method = HTTP_GET, .url = url};
	struct http_response rs;
	char e[1024];
	http_do(&o, &rq, &rs, e, sizeof e);
	int r;
	if (rs.status == 0) {
		/* e is "GET URL: what failed" */
		size_t skip = strlen("GET ") + strlen(url) + 2;
		snprintf(last, lastlen, "request error for %s: %s", url, strlen(e) > skip ? e + skip : e);
		r = 0;
	} else if (rs.status == 404) {
		snprintf(last, lastlen, "not found: %s", url);
		r = 0;
	} else if (rs.status < 200 || rs.status > 299) {
		char st[64];
		status_text(rs.status, st);
		snprintf(err, errlen, "Policy fetch failed: %s %s", st, url);
		r = -1;
	} else {
		buf_add(out, rs.body.data, rs.body.len);
		r = 1;
	}
	http_response_free(&rs);
	return r;
}

/* The profile's file, then the legacy one. 0 with the body in out, the URL in
 * *url and whether it is the legacy file; -1 with the reason in err. */
static int fetch(const char *base, const char *profile, struct buf *out, char **url, int *legacy, char *err,
		 size_t errlen)
{
	char last[1200] = "no policy candidates resolved";
	size_t blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	for (int k = 0; k < 2; k++) {
		struct buf u;
		buf_init(&u);
		if (k == 0)
			buf_printf(&u, "%.*s/%s%s.json", (int)blen, base, POLICY_STEM, profile);
		else
			buf_printf(&u, "%.*s/%s", (int)blen, base, LEGACY_NAME);
		int r = fetch_one((const char *)u.data, out, last, sizeof last, err, errlen);
		if (r > 0) {
			*url = (char *)u.data;
			*legacy = k == 1;
			return 0;
		}
		buf_free(&u);
		if (r < 0)
			return -1;
	}
	snprintf(err, errlen, "Policy fetch failed for profile '%s': %s", profile, last);
	return -1;
}

/* ---- loading the bytes ---- */

/* 1-based line and column of byte off */
static void line_col(const uint8_t *p, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (p[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* The pin, UTF-8, JSON and AttestationPolicy::from_json over the bytes.
 * Returns 0 (kp filled, the identity kept in p), EXIT_DATAERR (not UTF-8,
 * not JSON) or EXIT_CONFIG (refused), with mero-kms's reason in err. */
static int load_bytes(struct kmspol *p, const struct buf *b, const char *src, int legacy, const char *version,
		      const char *profile, struct kms_policy *kp, char *err, size_t errlen)
{
	uint8_t md[32];
	sha256(b->data, b->len, md);
	hex_encode_to(md, 32, p->sha256);
	if (p->pin[0] && strcmp(p->pin, p->sha256) != 0) {
		snprintf(err, errlen, "Policy hash mismatch for %s: expected %s, got %s", src, p->pin, p->sha256);
		return EXIT_CONFIG;
	}
	size_t line, col;
	long at = json_utf8_error(b->data, b->len);
	if (at >= 0) {
		snprintf(err, errlen, "Policy body is not valid UTF-8: invalid utf-8 sequence from index %ld", at);
		return EXIT_DATAERR;
	}
	if ((at = json_syntax_error((const char *)b->data, b->len)) >= 0) {
		line_col(b->data, (size_t)at, &line, &col);
		snprintf(err, errlen, "Invalid policy JSON: not JSON at line %zu column %zu", line, col);
		return EXIT_DATAERR;
	}
	char why[512];
	jv root = json_parse((const char *)b->data, b->len, why, sizeof why);
	if (!jv_is_valid(root)) {
		snprintf(err, errlen, "Invalid policy JSON: %s", why);
		return EXIT_DATAERR;
	}
	int r = policy_from_json(root, POLICY_NODE, version, profile, legacy, kp, err, errlen);
	if (r == 0) {
		p->tag = xstrdup(json_str(root, "tag"));
		p->profile = xstrdup(profile);
	}
	jv_free(root);
	return r ? EXIT_CONFIG : 0;
}

static int is_legacy_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strcmp(slash ? slash + 1 : path, LEGACY_NAME) == 0;
}

/* --policy-url: fetch and load; failures leave p degraded with the reason. */
static int load_url(struct kmspol *p, const char *version, const char *profile, struct kms_policy *kp)
{
	char err[2048];
	struct buf body;
	char *url = NULL;
	int legacy = 0, r;
	buf_init(&body);
	if ((r = fetch(p->base, profile, &body, &url, &legacy, err, sizeof err)) == 0)
		r = load_bytes(p, &body, url, legacy, version, profile, kp, err, sizeof err);
	buf_free(&body);
	if (r) {
		struct buf why;
		buf_init(&why);
		buf_printf(&why, "Failed to load release policy for version '%s' profile '%s': %s", version, profile, err);
		p->reason = (char *)why.data;
		free(url);
		return -1;
	}
	p->source = url;
	return 0;
}

void kmspol_load(struct kmspol *p, const char *version, const char *profile)
{
	struct kms_policy kp;
	char err[2048];
	if (p->file) {
		int r = load_bytes(p, &p->bytes, p->file, is_legacy_file(p->file), version, profile, &kp, err, sizeof err);
		if (r)
			fail(r, "refusing to start: policy '%s': %s", p->file, err);
		p->source = xstrdup(p->file);
	} else if (!p->base) {
		p->reason = xstrdup("no policy source: kms-sim was started without --policy or --policy-url");
		warnx("warning: policy unavailable; /attest remains available but /get-key is fail-closed: %s", p->reason);
		return;
	} else if (load_url(p, version, profile, &kp)) {
		warnx("warning: policy unavailable; /attest remains available but /get-key is fail-closed: %s", p->reason);
		return;
	}
	if (policy_requirements(&kp, err, sizeof err)) {
		policy_free(&kp);
		fail(EXIT_CONFIG, "refusing to start: policy '%s': %s", p->source, err);
	}
	p->ready = 1;
	warnx("policy loaded from %s (profile %s, tag %s, sha256 %s); entries: tcb_statuses=%d, mrtd=%d, rtmr0=%d, "
	      "rtmr1=%d, rtmr2=%d, rtmr3=%d",
	      p->source, p->profile, p->tag, p->sha256, kp.tcb.n, kp.reg[0].n, kp.reg[1].n, kp.reg[2].n, kp.reg[3].n,
	      kp.reg[4].n);
	policy_free(&kp);
}

jv kmspol_health(const struct kmspol *p)
{
	jv o = jv_object();
	if (!p->ready) {
		JSET(o, "status", jv_string("degraded"));
		JSET(o, "reason", jv_string(p->reason ? p->reason : "policy not loaded"));
		return o;
	}
	JSET(o, "status", jv_string("loaded"));
	JSET(o, "source", jv_string(p->source));
	JSET(o, "profile", jv_string(p->profile));
	JSET(o, "tag", jv_string(p->tag));
	JSET(o, "sha256", jv_string(p->sha256));
	return o;
}

void kmspol_free(struct kmspol *p)
{
	buf_free(&p->bytes);
	free(p->source);
	free(p->reason);
	free(p->tag);
	free(p->profile);
	p->source = p->reason = p->tag = p->profile = NULL;
}
