/* ita-appraise: send a TDX quote to Intel Trust Authority, verify the
 * attestation token it returns against ITA's published signing keys, and
 * print the claims that matter. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jwt.h"
#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/http.h"
#include "lib/sha.h"
#include "lib/tdx.h"

#define ITA_URL_DEFAULT "https://api.trustauthority.intel.com"
#define KEY_ENV "ITA_API_KEY"
#define LEEWAY 60 /* seconds of clock skew allowed on exp and nbf */
#define MAX_POLICIES 16

enum { O_URL = 1, O_JWKS_URL, O_POLICY_ID, O_MUST_MATCH, O_QUOTE_JSON, O_INPUT, O_TIMEOUT, O_RETRIES, O_NOW,
       O_TOKEN_OUT, O_VERBOSE };

static const struct cli_opt options[] = {
	{"url", O_URL, "URL", "ITA's API (default $ITA_URL, else " ITA_URL_DEFAULT ")", 0},
	{"jwks-url", O_JWKS_URL, "URL", "ITA's token signing keys (default $ITA_JWKS_URL, else the portal's\n"
					"/certs for api.*trustauthority.intel.com, else URL/certs)", 0},
	{"policy-id", O_POLICY_ID, "UUID", "an ITA appraisal policy to evaluate (at most 16)", CLI_REPEAT},
	{"policy-must-match", O_MUST_MATCH, NULL, "no token from ITA unless the policies match", 0},
	{"quote-json", O_QUOTE_JSON, "FILE", "quote2json's output: exit 1 when ITA's MRTD, RTMRs or report data\n"
					     "differ from it", 0},
	{"input", O_INPUT, "FORM", "the quote's form on stdin: bin, hex or base64 (default: detected)", 0},
	{"timeout", O_TIMEOUT, "S", "seconds per request (default 60)", 0},
	{"retries", O_RETRIES, "N", "retries on timeouts, 429 and 5xx (default 3)", 0},
	{"now", O_NOW, "UNIX_SECONDS", "the time exp and nbf are checked at (default: the clock)", 0},
	{"token-out", O_TOKEN_OUT, "FILE", "also write the verified token (the JWT as received) to FILE", 0},
	{"verbose", O_VERBOSE, NULL, "one stderr line per retried request", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "ita-appraise [--url URL] [--jwks-url URL] [--policy-id UUID]... [--policy-must-match]\n"
		    "                    [--quote-json FILE] [--input FORM] [--timeout S] [--retries N] [--now T]\n"
		    "                    [--token-out FILE] < QUOTE > APPRAISAL_JSON",
	.about = "Appraise a TDX quote with Intel Trust Authority and verify the token's signature against ITA's keys.",
	.opts = options,
	.trailer =
		"stdin: one TDX quote (binary, hex or base64).  stdout: the verified claims as canonical JSON:\n"
		"tcb_status, advisory_ids, tcb_date, mrtd, rtmr0..rtmr3, report_data, policy_ids_matched,\n"
		"policy_ids_unmatched, token_id, issuer, issued_at, expires_at, algorithm, key_id, api (v2, or\n"
		"v1 after a 404), signature_verified; quote_comparison with --quote-json.\n"
		"environment: ITA_API_KEY (required; sent as x-api-key, never printed), ITA_URL, ITA_JWKS_URL.\n"
		"exit: 0 ok; 1 the signature does not verify (unknown key, algorithm, bad signature), the token\n"
		"expired or is not yet valid, or (with --quote-json, the claims still written) the measurements\n"
		"differ; 2 usage; 65 malformed quote or quote JSON; 66 quote JSON missing; 69 ITA unreachable or\n"
		"404; 74 write error; 75 timeout or 429/5xx after the retries; 76 impossible answer (no token, a\n"
		"malformed token or key set, claims without MRTD or TCB status); 77 ITA refused the key (401/403);\n"
		"78 ITA_API_KEY missing, a bad URL.",
	.max_operands = 0,
};

struct args {
	const char *url, *jwks_url, *quote_json, *token_out;
	const char *policy[MAX_POLICIES];
	int npolicy, must_match, retries, verbose;
	enum input_form form;
	double timeout;
	long long now;
	char url_buf[1024], jwks_buf[1100];
};

static int uuid_ok(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

static int url_ok(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return 0;
	if (strlen(u) > 1000)
		return 0;
	for (; *u; u++)
		if (*u <= ' ' || *u > '~')
			return 0;
	return 1;
}

/* The JWKS URL of an API URL: the portal's /certs for ITA's own hosts
 * (api.X -> portal.X), else URL/certs. */
static void derive_jwks_url(const char *api, char *out, size_t n)
{
	const char *host = strstr(api, "://") + 3;
	size_t hl = strcspn(host, "/:");
	static const char tail[] = "trustauthority.intel.com";
	if (strncmp(host, "api.", 4) == 0 && hl >= sizeof tail + 4 &&
	    strncmp(host + hl - (sizeof tail - 1), tail, sizeof tail - 1) == 0)
		snprintf(out, n, "https://portal.%.*s/certs", (int)(hl - 4), host + 4);
	else
		snprintf(out, n, "%s/certs", api);
}

static void parse_option(struct cli *cl, struct args *a, int c, const char *v)
{
	switch (c) {
	case O_URL: a->url = v; break;
	case O_JWKS_URL: a->jwks_url = v; break;
	case O_POLICY_ID:
		if (!uuid_ok(v))
			cli_usage(cl, "--policy-id needs a UUID, not '%s'", v);
		if (a->npolicy == MAX_POLICIES)
			cli_usage(cl, "at most %d --policy-id", MAX_POLICIES);
		a->policy[a->npolicy++] = v;
		break;
	case O_MUST_MATCH: a->must_match = 1; break;
	case O_QUOTE_JSON: a->quote_json = v; break;
	case O_INPUT: a->form = input_form_option(v, spec.synopsis); break;
	case O_TIMEOUT:
		if ((a->timeout = parse_seconds(v, 0.1, 3600)) < 0)
			cli_usage(cl, "--timeout needs seconds from 0.1 to 3600, not '%s'", v);
		break;
	case O_RETRIES:
		if ((a->retries = (int)parse_uint(v, 10)) < 0)
			cli_usage(cl, "--retries needs 0 to 10, not '%s'", v);
		break;
	case O_NOW:
		if ((a->now = parse_uint(v, (long long)1 << 40)) < 0)
			cli_usage(cl, "--now needs seconds since the epoch, not '%s'", v);
		break;
	case O_TOKEN_OUT: a->token_out = v; break;
	case O_VERBOSE: a->verbose = 1; break;
	}
}

static void parse_args(struct args *a, int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));)
		parse_option(&cl, a, c, v);
	if (a->must_match && !a->npolicy)
		cli_usage(&cl, "--policy-must-match needs --policy-id");
	const char *u = a->url ? a->url : getenv("ITA_URL");
	const char *what = a->url ? "--url" : "ITA_URL";
	if (!u || !*u)
		u = ITA_URL_DEFAULT;
	if (!url_ok(u))
		a->url ? cli_usage(&cl, "%s needs an http:// or https:// URL, not '%.100s'", what, u)
		       : fail(EXIT_CONFIG, "%s must be an http:// or https:// URL", what);
	snprintf(a->url_buf, sizeof a->url_buf, "%s", u);
	for (size_t n = strlen(a->url_buf); n && a->url_buf[n - 1] == '/'; n--)
		a->url_buf[n - 1] = 0;
	a->url = a->url_buf;
	const char *j = a->jwks_url ? a->jwks_url : getenv("ITA_JWKS_URL");
	if (j && *j && !url_ok(j))
		a->jwks_url ? cli_usage(&cl, "--jwks-url needs an http:// or https:// URL, not '%.100s'", j)
			    : fail(EXIT_CONFIG, "ITA_JWKS_URL must be an http:// or https:// URL");
	if (j && *j)
		snprintf(a->jwks_buf, sizeof a->jwks_buf, "%s", j);
	else
		derive_jwks_url(a->url, a->jwks_buf, sizeof a->jwks_buf);
	a->jwks_url = a->jwks_buf;
	cli_free(&cl);
}

static void http_init(const struct args *a, struct http_options *o)
{
	http_options_init(o);
	o->timeout_ms = (long)(a->timeout * 1000);
	o->connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
	o->retries = a->retries;
	o->verbose = a->verbose;
	o->body_cap = 4 * MP_MIB;
}

/* One line from an answer for a message: ITA's error text or the body's start. */
static void answer_text(const struct http_response *rs, char *out, size_t n)
{
	size_t k = rs->body.len < 150 ? rs->body.len : 150;
	snprintf(out, n, "%.*s", (int)k, (const char *)rs->body.data);
	for (char *p = out; *p; p++)
		if (*p < ' ' || *p > '~')
			*p = '?';
	const char *key = getenv(KEY_ENV);
	char *hit;
	if (key && strlen(key) >= 4 && (hit = strstr(out, key)))
		*hit = 0; /* never echo the key */
}

static jv appraise_body(const struct args *a, const char *quote_b64, int v2)
{
	jv b = jv_object();
	if (v2) {
		jv tdx = jv_object();
		JSET(tdx, "quote", jv_string(quote_b64));
		JSET(b, "tdx", tdx);
	} else {
		JSET(b, "quote", jv_string(quote_b64));
	}
	if (a->npolicy) {
		jv ids = jv_array();
		for (int i = 0; i < a->npolicy; i++)
			ids = jv_array_append(ids, jv_string(a->policy[i]));
		JSET(b, "policy_ids", ids);
		JSET(b, "policy_must_match", jv_bool(a->must_match));
	}
	return b;
}

/* The "token" of a 2xx answer (a new string), or exit 76. */
static char *token_of(const struct http_response *rs, const char *url)
{
	char err[200];
	jv v = json_parse((const char *)rs->body.data, rs->body.len, err, sizeof err);
	const char *t = jv_get_kind(v) == JV_KIND_OBJECT ? json_str(v, "token") : NULL;
	if (!t || !*t || strlen(t) > 65536 || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						       "0123456789-_.") != strlen(t))
		fail(EXIT_PROTOCOL, "POST %s: HTTP %ld without a token (a JSON object with \"token\": JWT)", url,
		     rs->status);
	char *r = xstrdup(t);
	jv_free(v);
	return r;
}

/* POST the quote to /appraisal/v2/attest, on 404 to /appraisal/v1/attest;
 * returns the token, *api names the version that answered. */
static char *appraise(const struct args *a, const char *quote_b64, const char **api)
{
	struct http_options o;
	http_init(a, &o);
	const char *hdr[] = {"Content-Type: application/json", "Accept: application/json", NULL};
	for (int v2 = 1;; v2 = 0) {
		char url[1200], err[600], text[160];
		snprintf(url, sizeof url, "%s/appraisal/%s/attest", a->url, v2 ? "v2" : "v1");
		struct buf body;
		buf_init(&body);
		json_dump_buf(appraise_body(a, quote_b64, v2), 0, &body);
		struct http_request rq = {.method = HTTP_POST, .url = url, .headers = hdr, .body = body.data,
					  .body_len = body.len, .token_env = KEY_ENV, .token_header = "x-api-key",
					  .token_required = 1, .retry_post = 1};
		struct http_response rs;
		int rc = http_do(&o, &rq, &rs, err, sizeof err);
		buf_free(&body);
		if (rc)
			fail(rc, "%s", err);
		if (rs.status == 404 && v2) {
			http_response_free(&rs);
			continue;
		}
		if (rs.status >= 200 && rs.status <= 299) {
			char *t = token_of(&rs, url);
			http_response_free(&rs);
			*api = v2 ? "v2" : "v1";
			return t;
		}
		answer_text(&rs, text, sizeof text);
		fail(http_status_exit(rs.status), "POST %s: HTTP %ld%s%s%s", url, rs.status, text[0] ? ": " : "", text,
		     rs.status == 401 || rs.status == 403 ? " (ITA refused " KEY_ENV ")" : "");
	}
}

/* ITA's signing keys, fetched once per run. */
static jv fetch_jwks(const struct args *a)
{
	struct http_options o;
	http_init(a, &o);
	const char *hdr[] = {"Accept: application/json", NULL};
	struct http_request rq = {.method = HTTP_GET, .url = a->jwks_url, .headers = hdr};
	struct http_response rs;
	char err[600], perr[200];
	int rc = http_do(&o, &rq, &rs, err, sizeof err);
	if (rc)
		fail(rc, "%s", err);
	if (rs.status != 200)
		fail(http_status_exit(rs.status) == EXIT_NOPERM ? EXIT_PROTOCOL : http_status_exit(rs.status),
		     "GET %s: HTTP %ld", a->jwks_url, rs.status);
	jv v = json_parse((const char *)rs.body.data, rs.body.len, perr, sizeof perr);
	http_response_free(&rs);
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "GET %s: the signing keys are not a JSON key set", a->jwks_url);
	return v;
}

/* ---- the claims ---- */

/* The claim key: under "tdx" (v2 tokens), else at the top (v1). */
static jv claim(jv claims, const char *key)
{
	jv tdx = json_get(claims, "tdx");
	jv v = json_get(tdx, key);
	jv_free(tdx);
	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL)
		return v;
	jv_free(v);
	return json_get(claims, key);
}

/* A measurement claim as lower-case hex of n bytes (hex, or base64 of n
 * bytes); null when absent; exit 76 when it is something else. */
static jv hex_claim(jv claims, const char *key, size_t n, int required)
{
	jv v = claim(claims, key);
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		if (required)
			fail(EXIT_PROTOCOL, "the ITA token has no %s claim", key);
		return jv_null();
	}
	const char *s = jv_string_value(v);
	uint8_t bytes[64];
	struct buf b;
	buf_init(&b);
	int ok = strlen(s) == 2 * n && hex_decode(s, 2 * n, bytes) == (long)n;
	if (!ok && b64_decode(s, strlen(s), &b) == 0 && b.len == n) {
		memcpy(bytes, b.data, n);
		ok = 1;
	}
	buf_free(&b);
	if (!ok)
		fail(EXIT_PROTOCOL, "the ITA token's %s is not %zu bytes of hex or base64", key, n);
	jv_free(v);
	return jv_hex(bytes, n);
}

/* policy_ids_(un)matched: a list of {id, ...} (or of strings) -> the ids */
static jv policy_ids(jv claims, const char *key)
{
	jv list = json_get(claims, key), out = jv_array();
	for (int i = 0; jv_get_kind(list) == JV_KIND_ARRAY && i < jv_array_length(jv_copy(list)); i++) {
		jv e = jv_array_get(jv_copy(list), i);
		const char *id = jv_get_kind(e) == JV_KIND_STRING ? jv_string_value(e) : json_str(e, "id");
		if (id)
			out = jv_array_append(out, jv_string(id));
		jv_free(e);
	}
	jv_free(list);
	return out;
}

static jv string_claim(jv claims, const char *key, int top)
{
	jv v = top ? json_get(claims, key) : claim(claims, key);
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	jv_free(v);
	return jv_null();
}

static jv time_claim(jv claims, const char *key)
{
	jv v = json_get(claims, key);
	char t[32];
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;
	if (ok)
		format_utc((long long)jv_number_value(v), t);
	jv_free(v);
	return ok ? jv_string(t) : jv_null();
}

static jv appraisal_json(const struct jwt *t, const char *api)
{
	jv c = t->claims, out = jv_object();
	jv adv = claim(c, "attester_advisory_ids");
	JSET(out, "advisory_ids", jv_get_kind(adv) == JV_KIND_ARRAY ? adv : (jv_free(adv), jv_array()));
	JSET(out, "algorithm", jv_string(json_str(t->header, "alg")));
	JSET(out, "api", jv_string(api));
	JSET(out, "expires_at", time_claim(c, "exp"));
	JSET(out, "issued_at", time_claim(c, "iat"));
	JSET(out, "issuer", string_claim(c, "iss", 1));
	JSET(out, "key_id", jv_string(json_str(t->header, "kid")));
	JSET(out, "mrtd", hex_claim(c, "tdx_mrtd", 48, 1));
	JSET(out, "policy_ids_matched", policy_ids(c, "policy_ids_matched"));
	JSET(out, "policy_ids_unmatched", policy_ids(c, "policy_ids_unmatched"));
	JSET(out, "report_data", hex_claim(c, "tdx_report_data", 64, 0));
	static const char *const rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof key, "tdx_%s", rtmr[i]);
		JSET(out, rtmr[i], hex_claim(c, key, 48, 0));
	}
	JSET(out, "signature_verified", jv_true());
	JSET(out, "tcb_date", string_claim(c, "attester_tcb_date", 0));
	jv st = string_claim(c, "attester_tcb_status", 0);
	if (jv_get_kind(st) != JV_KIND_STRING)
		fail(EXIT_PROTOCOL, "the ITA token has no attester_tcb_status claim");
	JSET(out, "tcb_status", st);
	JSET(out, "token_id", string_claim(c, "jti", 1));
	return out;
}

/* Compare ITA's measurements with quote2json's; adds quote_comparison to
 * out and returns the number of fields that differ (names in diff). */
static int compare_quote(jv *out, const char *path, char *diff, size_t n)
{
	static const char *const ours[] = {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "report_data"};
	static const char *const theirs[] = {"mr_td", "rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3", "report_data"};
	jv q = json_read_file(path, 4 * MP_MIB), td = json_get(q, "td_report"), differs = jv_array();
	int count = 0;
	diff[0] = 0;
	for (int i = 0; i < 6; i++) {
		const char *want = json_str(td, theirs[i]), *got = json_str(*out, ours[i]);
		if (!want)
			fail(EXIT_DATAERR, "'%s': no td_report.%s (not quote2json's output of a TDX quote)", path, theirs[i]);
		if (!got || strcasecmp(got, want) != 0) {
			differs = jv_array_append(differs, jv_string(ours[i]));
			snprintf(diff + strlen(diff), n - strlen(diff), "%s%s", count++ ? ", " : "", ours[i]);
		}
	}
	jv cmp = jv_object();
	JSET(cmp, "differs", differs);
	JSET(cmp, "matches", jv_bool(count == 0));
	JSET(*out, "quote_comparison", cmp);
	jv_free(td);
	jv_free(q);
	return count;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct args a = {.form = FORM_AUTO, .timeout = 60, .retries = 3, .now = -1};
	parse_args(&a, argc, argv);
	struct buf raw;
	struct tdx_quote q;
	char err[600];
	read_quote_stdin(a.form, &raw);
	if (tdx_parse(raw.data, raw.len, &q, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	if (!tdx_is_td(&q))
		fail(EXIT_DATAERR, "not a TDX quote (an SGX quote): ITA's TDX appraisal needs a TD report");
	if (a.quote_json) {
		struct buf t;
		read_file_capped(a.quote_json, 4 * MP_MIB, &t, 0); /* 66 now, not after the appraisal */
		buf_free(&t);
	}
	const char *key = getenv(KEY_ENV);
	if (!key || !*key)
		fail(EXIT_CONFIG, "%s is not set: Intel Trust Authority needs an API key", KEY_ENV);
	char *b64 = b64_encode(raw.data, raw.len);
	buf_free(&raw);
	const char *api;
	char *token = appraise(&a, b64, &api);
	free(b64);
	struct jwt t;
	int rc = jwt_parse(token, &t, err, sizeof err);
	if (rc)
		fail(rc, "the ITA token: %s", err);
	jv jwks = fetch_jwks(&a);
	if ((rc = jwt_verify(&t, jwks, a.now >= 0 ? a.now : (long long)time(NULL), err, sizeof err)))
		fail(rc, "%s the ITA token: %s", rc == EXIT_NO ? "refused" : "cannot verify", err);
	jv_free(jwks);
	if ((rc = jwt_check_time(&t, a.now >= 0 ? a.now : (long long)time(NULL), LEEWAY, err, sizeof err)))
		fail(rc, "refused the ITA token: %s", err);
	jv out = appraisal_json(&t, api);
	char diff[120];
	int differ = a.quote_json ? compare_quote(&out, a.quote_json, diff, sizeof diff) : 0;
	if (a.token_out)
		write_file(a.token_out, token, strlen(token), 0644);
	jwt_free(&t);
	free(token);
	json_emit(out);
	close_stdout();
	if (differ)
		fail(EXIT_NO, "ITA's %s differ%s from the quote's ('%s')", diff, differ == 1 ? "s" : "", a.quote_json);
	return 0;
}
