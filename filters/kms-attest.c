/* kms-attest: wait until a mero-kms answers /health, POST /attest with a fresh
 * 32-byte nonce, check that the quote carries nonce || binding, and write the
 * /attest response. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/http.h"
#include "lib/json.h"
#include "lib/tdx.h"
#include "lib/sha.h"

static const char synopsis[] =
	"kms-attest --url URL [--timeout S] [--interval S] [--binding-b64 B] [--expect-version V]\n"
	"                  [--expect-profile P] [--request-out FILE] > ATTEST_RESPONSE_JSON";

static void help(void)
{
	printf("usage: %s\n"
	       "Wait for a mero-kms to report alive on /health, then POST /attest with a fresh random\n"
	       "32-byte nonce and check that the quote's report data is nonce || binding.\n"
	       "\n"
	       "  --url URL            base URL of the KMS (http:// or https://)\n"
	       "  --timeout S          give up waiting for /health after S seconds (default 300)\n"
	       "  --interval S         seconds between /health polls (default 2; fractions allowed)\n"
	       "  --binding-b64 B      32-byte binding, base64 (default: mero-kms's default binding,\n"
	       "                       sha256(\"mero-kms-phala-attest-v1\"))\n"
	       "  --expect-version V   fail (exit 1) unless /health reports this version\n"
	       "  --expect-profile P   fail (exit 1) unless /health reports this profile\n"
	       "  --request-out FILE   also write the request sent (nonceB64, bindingB64) to FILE\n"
	       "\n"
	       "stdin: nothing.  stdout: the /attest response (quoteB64, reportDataHex, eventLog,\n"
	       "vmConfig) as canonical JSON. Progress goes to stderr when it is a terminal.\n"
	       "exit: 0 ok; 1 report data, version or profile mismatch; 2 usage; 74 write error;\n"
	       "75 timed out (health never alive, or retries exhausted); 76 refused or impossible\n"
	       "answer (non-2xx, not JSON, missing fields); 78 bad URL.\n",
	       synopsis);
}

static double seconds_option(const char *s, const char *opt)
{
	double v = parse_seconds(s, 0, 86400);
	if (v < 0)
		usage_fail(synopsis, "%s needs a number of seconds, not '%s'", opt, s);
	return v;
}

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
		struct timespec ts = {(time_t)interval, (long)(fmod(interval, 1.0) * 1e9)};
		nanosleep(&ts, NULL);
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
	/* mero-kms versions may carry a "mero-kms-v" prefix */
	const char *g = strncmp(got, "mero-kms-v", 10) == 0 ? got + 10 : got;
	const char *w = strncmp(want, "mero-kms-v", 10) == 0 ? want + 10 : want;
	if (strcmp(g, w) != 0)
		fail(EXIT_NO, "%s/health reports %s '%s', expected '%s'", url, key, got, want);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *url = NULL, *binding_b64 = NULL, *want_version = NULL, *want_profile = NULL,
		   *request_out = NULL;
	double timeout = 300, interval = 2;
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'}, {"timeout", required_argument, NULL, 't'},
		{"interval", required_argument, NULL, 'i'}, {"binding-b64", required_argument, NULL, 'b'},
		{"expect-version", required_argument, NULL, 'v'}, {"expect-profile", required_argument, NULL, 'p'},
		{"request-out", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 't': timeout = seconds_option(optarg, "--timeout"); break;
		case 'i': interval = seconds_option(optarg, "--interval"); break;
		case 'b': binding_b64 = optarg; break;
		case 'v': want_version = optarg; break;
		case 'p': want_profile = optarg; break;
		case 'r': request_out = optarg; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("kms-attest %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (!url)
		usage_fail(synopsis, "--url is required");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		usage_fail(synopsis, "--url must start with http:// or https://, not '%s'", url);
	if (interval < 0.01)
		interval = 0.01;

	uint8_t nonce[32], binding[32];
	if (binding_b64) {
		struct buf b;
		buf_init(&b);
		if (b64_decode(binding_b64, strlen(binding_b64), &b) || b.len != 32)
			usage_fail(synopsis, "--binding-b64 must be base64 of exactly 32 bytes");
		memcpy(binding, b.data, 32);
		buf_free(&b);
	} else {
		sha256("mero-kms-phala-attest-v1", 24, binding);
	}
	if (RAND_bytes(nonce, sizeof nonce) != 1)
		fail(EXIT_SOFTWARE, "cannot draw a random nonce");

	char base[2048];
	snprintf(base, sizeof base, "%s", url);
	for (size_t n = strlen(base); n && base[n - 1] == '/'; n--)
		base[n - 1] = 0;
	int tty = isatty(2);
	jv health = wait_health(base, timeout, interval, tty);
	check_expect(health, "version", want_version, base);
	check_expect(health, "profile", want_profile, base);
	jv_free(health);

	/* the request, exactly as sent */
	char *nonce_b64 = b64_encode(nonce, 32);
	jv req = jv_object();
	JSET(req, "nonceB64", jv_string(nonce_b64));
	if (binding_b64) {
		char *bb = b64_encode(binding, 32);
		JSET(req, "bindingB64", jv_string(bb));
		free(bb);
	}
	free(nonce_b64);
	struct buf body;
	buf_init(&body);
	json_dump_buf(jv_copy(req), 0, &body);

	char aurl[2100], err[512];
	snprintf(aurl, sizeof aurl, "%s/attest", base);
	struct http_options o;
	http_options_init(&o);
	o.timeout_ms = (long)(timeout < 60 ? (timeout > 5 ? timeout : 5) : 60) * 1000;
	o.body_cap = 4 * MP_MIB;
	const char *hdr[] = {"Content-Type: application/json", "Accept: application/json", NULL};
	struct http_request rq = {.method = HTTP_POST, .url = aurl, .headers = hdr, .body = body.data,
				  .body_len = body.len, .retry_post = 1};
	struct http_response rs;
	int rc = http_do(&o, &rq, &rs, err, sizeof err);
	buf_free(&body);
	if (rc) {
		http_response_free(&rs);
		jv_free(req);
		fail(rc == EXIT_UNAVAILABLE ? EXIT_TEMPFAIL : rc, "%s", err);
	}
	if (rs.status != 200) {
		char d[300];
		describe_body(&rs.body, d, sizeof d);
		long status = rs.status;
		http_response_free(&rs);
		jv_free(req);
		fail(EXIT_PROTOCOL, "POST %s: HTTP %ld%s", aurl, status, d);
	}
	char perr[256];
	jv resp = json_parse((const char *)rs.body.data, rs.body.len, perr, sizeof perr);
	http_response_free(&rs);
	if (!jv_is_valid(resp) || jv_get_kind(resp) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "POST %s: HTTP 200 but the answer is not a JSON object", aurl);
	const char *qb64 = json_str(resp, "quoteB64"), *rdh = json_str(resp, "reportDataHex");
	if (!qb64 || !rdh)
		fail(EXIT_PROTOCOL, "POST %s: the answer lacks %s", aurl, !qb64 ? "quoteB64" : "reportDataHex");

	/* nonce || binding must come back, in reportDataHex and in the quote itself */
	uint8_t want[64], got[64];
	memcpy(want, nonce, 32);
	memcpy(want + 32, binding, 32);
	if (hex_decode_exact(rdh, got, 64))
		fail(EXIT_PROTOCOL, "POST %s: reportDataHex is not 64 bytes of hex", aurl);
	if (CRYPTO_memcmp(got, want, 64) != 0)
		fail(EXIT_NO, "POST %s: reportDataHex is not our nonce || binding (a replayed or foreign answer)", aurl);
	struct buf quote;
	buf_init(&quote);
	if (b64_decode(qb64, strlen(qb64), &quote))
		fail(EXIT_PROTOCOL, "POST %s: quoteB64 is not base64", aurl);
	struct tdx_quote q;
	if (tdx_parse(quote.data, quote.len, &q, err, sizeof err))
		fail(EXIT_PROTOCOL, "POST %s: quoteB64 is not a quote: %s", aurl, err);
	if (!tdx_is_td(&q))
		fail(EXIT_PROTOCOL, "POST %s: the quote is not a TDX quote", aurl);
	if (CRYPTO_memcmp(q.body + TD_REPORT_DATA, want, 64) != 0)
		fail(EXIT_NO, "POST %s: the quote's report data is not our nonce || binding", aurl);
	buf_free(&quote);

	if (request_out) {
		struct buf rb;
		buf_init(&rb);
		json_dump_buf(jv_copy(req), 1, &rb);
		write_file(request_out, rb.data, rb.len, 0644);
		buf_free(&rb);
	}
	jv_free(req);
	json_emit(resp);
	close_stdout();
	return 0;
}
