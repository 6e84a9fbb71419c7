/* kms-attest: wait until a mero-kms answers /health, POST /attest with a fresh
 * 32-byte nonce, check that the quote carries nonce || binding, and write the
 * /attest response. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/http.h"
#include "lib/json.h"
#include "lib/profile.h"
#include "lib/tdx.h"

enum {
	OPT_URL = 'u', OPT_TIMEOUT = 't', OPT_INTERVAL = 'i', OPT_BINDING = 'b', OPT_EXPECT_VERSION = 'v',
	OPT_EXPECT_PROFILE = 'p', OPT_REQUEST_OUT = 'r'
};

static const struct cli_opt options[] = {
	{"url", OPT_URL, "URL", "base URL of the KMS (http:// or https://)", 0},
	{"timeout", OPT_TIMEOUT, "S", "give up waiting for /health after S seconds (default 300)", 0},
	{"interval", OPT_INTERVAL, "S", "seconds between /health polls (default 2; fractions allowed)", 0},
	{"binding-b64", OPT_BINDING, "B", "32-byte binding, base64 (default: mero-kms's default binding,\n"
					  "sha256(\"" KMS_BINDING_LABEL "\"))", 0},
	{"expect-version", OPT_EXPECT_VERSION, "V", "fail (exit 1) unless /health reports this version (a\n"
						    "mero-kms-v prefix is ignored on both sides)", 0},
	{"expect-profile", OPT_EXPECT_PROFILE, "P", "fail (exit 1) unless /health reports this profile", 0},
	{"request-out", OPT_REQUEST_OUT, "FILE", "also write the request sent (nonceB64, bindingB64) to FILE", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "kms-attest --url URL [--timeout S] [--interval S] [--binding-b64 B] [--expect-version V]\n"
		    "                  [--expect-profile P] [--request-out FILE] > ATTEST_RESPONSE_JSON",
	.about = "Wait for a mero-kms to report alive on /health, then POST /attest with a fresh random\n"
		 "32-byte nonce and check that the quote's report data is nonce || binding.",
	.opts = options,
	.trailer = "stdin: nothing.  stdout: the /attest response (quoteB64, reportDataHex, eventLog,\n"
		   "vmConfig) as canonical JSON. Progress goes to stderr when it is a terminal.\n"
		   "exit: 0 ok; 1 report data, version or profile mismatch; 2 usage; 74 write error;\n"
		   "75 timed out (health never alive, or retries exhausted); 76 refused or impossible\n"
		   "answer (non-2xx, not JSON, missing fields); 78 bad URL.",
};

struct opts {
	const char *url, *binding_b64, *want_version, *want_profile, *request_out;
	double timeout, interval;
	char base[2048];     /* the URL without trailing slashes */
	uint8_t binding[32];
};

/* An error object of mero-kms ({"error","details"}) or the start of a text body. */
static void describe_body(const struct buf *b, char *out, size_t n)
{
	char err[128];
	jv v = b->len ? json_parse((const char *)b->data, b->len, err, sizeof err) : jv_invalid();
	const char *tag = jv_is_valid(v) ? json_str(v, "error") : NULL;
	if (tag) {
		const char *details = json_str(v, "details");
		snprintf(out, n, ": %s%s%s", tag, details ? ": " : "", details ? details : "");
	} else if (b->len) {
		size_t k = b->len < 120 ? b->len : 120;
		snprintf(out, n, ": %.*s", (int)k, (const char *)b->data);
	} else {
		out[0] = 0;
	}
	jv_free(v);
}

/* Poll url/health until it answers alive; returns the health object. */
static jv wait_health(const char *base, double timeout, double interval, int tty)
{
	char url[2048], err[512], last[512] = "no answer yet";
	snprintf(url, sizeof url, "%s/health", base);
	struct http_options o;
	http_options_init(&o);
	o.retries = 0; /* we poll ourselves */
	o.body_cap = 64 * 1024;
	const char *hdr[] = {"Accept: application/json", NULL};
	double start = mono_now(), deadline = start + timeout;
	int polls = 0;
	for (;;) {
		double left = deadline - mono_now();
		o.timeout_ms = (long)(1000 * (left < 10 ? (left > 0.2 ? left : 0.2) : 10));
		o.connect_timeout_ms = o.timeout_ms;
		struct http_request rq = {.method = HTTP_GET, .url = url, .headers = hdr};
		struct http_response rs;
		int rc = http_do(&o, &rq, &rs, err, sizeof err);
		polls++;
		if (rc == EXIT_CONFIG) {
			http_response_free(&rs);
			fail(EXIT_CONFIG, "%s", err);
		}
		if (rc == 0 && rs.status == 200) {
			char perr[256];
			jv h = json_parse((const char *)rs.body.data, rs.body.len, perr, sizeof perr);
			if (!jv_is_valid(h) || jv_get_kind(h) != JV_KIND_OBJECT) {
				jv_free(h);
				http_response_free(&rs);
				fail(EXIT_PROTOCOL, "GET %s: HTTP 200 but not a JSON object", url);
			}
			const char *st = json_str(h, "status");
			if (st && strcmp(st, "alive") == 0) {
				http_response_free(&rs);
				if (tty)
					fprintf(stderr, "\r%s: %s is alive after %.1f s%20s\n", progname, url,
						mono_now() - start, "");
				return h;
			}
			snprintf(last, sizeof last, "status '%s'", st ? st : "(none)");
			jv_free(h);
		} else if (rc == 0 && (rs.status == 404 || rs.status == 401 || rs.status == 403 ||
				       rs.status == 405)) {
			char d[200];
			describe_body(&rs.body, d, sizeof d);
			long status = rs.status;
			http_response_free(&rs);
			fail(EXIT_PROTOCOL, "GET %s: HTTP %ld%s", url, status, d);
		} else if (rc == 0) {
			snprintf(last, sizeof last, "HTTP %ld", rs.status);
		} else {
			snprintf(last, sizeof last, "%s", err);
		}
		http_response_free(&rs);
		double now = mono_now();
		if (now + interval > deadline)
			fail(EXIT_TEMPFAIL, "%s not alive after %.0f s (%d polls; last: %s)", url, timeout, polls, last);
		if (tty)
			fprintf(stderr, "\r%s: waiting for %s (%.0f s, %s)%10s", progname, url, now - start, last, "");
		sleep_seconds(interval);
	}
}

static void check_expect(jv health, const char *key, const char *want, const char *url)
{
	if (!want)
		return;
	const char *got = json_str(health, key);
	if (!got) {
		warnx("%s/health reports no %s; '%s' not checked", url, key, want);
		return;
	}
	int same = strcmp(key, "version") == 0 ? strcmp(kms_version_bare(got), kms_version_bare(want)) == 0
					       : strcmp(got, want) == 0;
	if (!same)
		fail(EXIT_NO, "%s/health reports %s '%s', expected '%s'", url, key, got, want);
}

static double seconds_option(const struct cli *cl, const char *s, const char *opt)
{
	double v = parse_seconds(s, 0, 86400);
	if (v < 0)
		cli_usage(cl, "%s needs a number of seconds, not '%s'", opt, s);
	return v;
}

static void parse_options(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	o->timeout = 300;
	o->interval = 2;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_URL: o->url = val; break;
		case OPT_TIMEOUT: o->timeout = seconds_option(&cl, val, "--timeout"); break;
		case OPT_INTERVAL: o->interval = seconds_option(&cl, val, "--interval"); break;
		case OPT_BINDING: o->binding_b64 = val; break;
		case OPT_EXPECT_VERSION: o->want_version = val; break;
		case OPT_EXPECT_PROFILE: o->want_profile = val; break;
		case OPT_REQUEST_OUT: o->request_out = val; break;
		}
	}
	if (!o->url)
		cli_usage(&cl, "--url is required");
	if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)
		cli_usage(&cl, "--url must start with http:// or https://, not '%s'", o->url);
	if (o->interval < 0.01)
		o->interval = 0.01;
	if (o->binding_b64) {
		struct buf b;
		buf_init(&b);
		if (b64_decode(o->binding_b64, strlen(o->binding_b64), &b) || b.len != 32)
			cli_usage(&cl, "--binding-b64 must be base64 of exactly 32 bytes");
		memcpy(o->binding, b.data, 32);
		buf_free(&b);
	} else {
		kms_default_binding(o->binding);
	}
	cli_free(&cl);
	snprintf(o->base, sizeof o->base, "%s", o->url);
	for (size_t n = strlen(o->base); n && o->base[n - 1] == '/'; n--)
		o->base[n - 1] = 0;
}

/* The request: {"nonceB64", "bindingB64" when one was given}. */
static jv make_request(const struct opts *o, const uint8_t nonce[32])
{
	char *nonce_b64 = b64_encode(nonce, 32);
	jv req = jv_object();
	JSET(req, "nonceB64", jv_string(nonce_b64));
	free(nonce_b64);
	if (o->binding_b64) {
		char *bb = b64_encode(o->binding, 32);
		JSET(req, "bindingB64", jv_string(bb));
		free(bb);
	}
	return req;
}

/* POST /attest with the request (not consumed); the answer, a JSON object. */
static jv post_attest(const struct opts *o, jv req, char *aurl, size_t aurl_len)
{
	struct buf body;
	buf_init(&body);
	json_dump_buf(jv_copy(req), 0, &body);
	char err[512];
	snprintf(aurl, aurl_len, "%s/attest", o->base);
	struct http_options ho;
	http_options_init(&ho);
	ho.timeout_ms = (long)(o->timeout < 60 ? (o->timeout > 5 ? o->timeout : 5) : 60) * 1000;
	ho.body_cap = 4 * MP_MIB;
	const char *hdr[] = {"Content-Type: application/json", "Accept: application/json", NULL};
	struct http_request rq = {.method = HTTP_POST, .url = aurl, .headers = hdr, .body = body.data,
				  .body_len = body.len, .retry_post = 1};
	struct http_response rs;
	int rc = http_do(&ho, &rq, &rs, err, sizeof err);
	buf_free(&body);
	if (rc) {
		http_response_free(&rs);
		fail(rc == EXIT_UNAVAILABLE ? EXIT_TEMPFAIL : rc, "%s", err);
	}
	if (rs.status != 200) {
		char d[300];
		describe_body(&rs.body, d, sizeof d);
		long status = rs.status;
		http_response_free(&rs);
		fail(EXIT_PROTOCOL, "POST %s: HTTP %ld%s", aurl, status, d);
	}
	char perr[256];
	jv resp = json_parse((const char *)rs.body.data, rs.body.len, perr, sizeof perr);
	http_response_free(&rs);
	if (!jv_is_valid(resp) || jv_get_kind(resp) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "POST %s: HTTP 200 but the answer is not a JSON object", aurl);
	return resp;
}

/* nonce || binding must come back, in reportDataHex and in the quote itself. */
static void check_binding(jv resp, const uint8_t want[64], const char *aurl)
{
	const char *qb64 = json_str(resp, "quoteB64"), *rdh = json_str(resp, "reportDataHex");
	if (!qb64 || !rdh)
		fail(EXIT_PROTOCOL, "POST %s: the answer lacks %s", aurl, !qb64 ? "quoteB64" : "reportDataHex");
	uint8_t got[64];
	if (hex_decode_exact(rdh, got, 64))
		fail(EXIT_PROTOCOL, "POST %s: reportDataHex is not 64 bytes of hex", aurl);
	if (CRYPTO_memcmp(got, want, 64) != 0)
		fail(EXIT_NO, "POST %s: reportDataHex is not our nonce || binding (a replayed or foreign answer)", aurl);
	struct buf quote;
	buf_init(&quote);
	if (b64_decode(qb64, strlen(qb64), &quote))
		fail(EXIT_PROTOCOL, "POST %s: quoteB64 is not base64", aurl);
	struct tdx_quote q;
	char err[512];
	if (tdx_parse(quote.data, quote.len, &q, err, sizeof err))
		fail(EXIT_PROTOCOL, "POST %s: quoteB64 is not a quote: %s", aurl, err);
	if (!tdx_is_td(&q))
		fail(EXIT_PROTOCOL, "POST %s: the quote is not a TDX quote", aurl);
	if (CRYPTO_memcmp(q.body + TD_REPORT_DATA, want, 64) != 0)
		fail(EXIT_NO, "POST %s: the quote's report data is not our nonce || binding", aurl);
	buf_free(&quote);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct opts o;
	parse_options(&o, argc, argv);
	uint8_t want[64]; /* nonce || binding */
	if (RAND_bytes(want, 32) != 1)
		fail(EXIT_SOFTWARE, "cannot draw a random nonce");
	memcpy(want + 32, o.binding, 32);

	jv health = wait_health(o.base, o.timeout, o.interval, isatty(2));
	check_expect(health, "version", o.want_version, o.base);
	check_expect(health, "profile", o.want_profile, o.base);
	jv_free(health);

	char aurl[2100];
	jv req = make_request(&o, want);
	jv resp = post_attest(&o, req, aurl, sizeof aurl);
	check_binding(resp, want, aurl);
	if (o.request_out)
		json_write_file(o.request_out, req);
	else
		jv_free(req);
	json_emit(resp);
	close_stdout();
	return 0;
}
