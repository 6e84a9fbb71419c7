#include "github.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "json.h"

#define GH_STALL_MS 60000L /* an upload or download that moves nothing this long fails */

/* ---- URLs and origins ---- */

struct origin {
	char scheme[16];
	char host[256];
	long port;
	int userinfo, query;
};

/* Parse an absolute http(s) URL; 0, or -1 when it is not one. */
static int parse_origin(const char *url, struct origin *o)
{
	memset(o, 0, sizeof *o);
	CURLU *u = curl_url();
	int r = -1;
	char *s = NULL, *h = NULL, *p = NULL, *user = NULL, *pw = NULL, *q = NULL, *frag = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if ((strcasecmp(s, "http") != 0 && strcasecmp(s, "https") != 0) || strlen(h) >= sizeof o->host)
		goto out;
	o->userinfo = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
		      curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK;
	o->query = curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK ||
		   curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK;
	for (size_t i = 0; s[i] && i < sizeof o->scheme - 1; i++)
		o->scheme[i] = (char)(s[i] | 0x20);
	for (size_t i = 0; h[i]; i++)
		o->host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] | 0x20 : h[i]);
	o->port = strtol(p, NULL, 10);
	r = 0;
out:
	curl_free(s), curl_free(h), curl_free(p), curl_free(user), curl_free(pw), curl_free(q), curl_free(frag);
	curl_url_cleanup(u);
	return r;
}

static int loopback(const char *host)
{
	return !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]") || !strcmp(host, "::1") ||
	       !strcmp(host, "localhost");
}

static int same_origin(const struct gh *g, const struct origin *o)
{
	return !o->userinfo && !strcmp(o->scheme, g->scheme) && !strcmp(o->host, g->host) && o->port == g->port;
}

/* The URL without its query, for messages (a signed download URL carries
 * its signature there). */
static const char *shown(const char *url, char *out, size_t len)
{
	snprintf(out, len, "%.*s", (int)strcspn(url, "?"), url);
	return out;
}

/* Replace every occurrence of the token in s by "***" (a server may echo
 * what it was sent). */
static void scrub(const struct gh *g, char *s)
{
	const char *tok = g->token_env ? getenv(g->token_env) : NULL;
	size_t n = tok ? strlen(tok) : 0;
	if (n < 4)
		return;
	char *p;
	while ((p = strstr(s, tok))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

static void __attribute__((noreturn)) gh_fail(const struct gh *g, int code, char *msg)
{
	scrub(g, msg);
	fail(code, "%s", msg);
}

/* Exit 76 unless url may carry the token: the API's origin only. */
static void check_origin(const struct gh *g, const char *m, const char *url, const char *what)
{
	struct origin o;
	char msg[900], s[600];
	if (parse_origin(url, &o) == 0 && same_origin(g, &o))
		return;
	snprintf(msg, sizeof msg, "%s %s: %s is not on the API's origin %s://%s:%ld: refused (the token goes nowhere else)",
		 m, shown(url, s, sizeof s), what, g->scheme, g->host, g->port);
	gh_fail(g, EXIT_PROTOCOL, msg);
}

int gh_pair_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/') || strlen(s) > 200 || s[0] == '.' ||
	    slash[1] == '.')
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") == strlen(s);
}

char *gh_escape(const char *s)
{
	struct buf b;
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			buf_addc(&b, *p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	return (char *)b.data;
}

char *gh_url(const struct gh *g, const char *fmt, ...)
{
	struct buf b;
	buf_init(&b);
	buf_add(&b, g->api, strlen(g->api));
	va_list ap;
	va_start(ap, fmt);
	char *path;
	if (vasprintf(&path, fmt, ap) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	va_end(ap);
	buf_add(&b, path, strlen(path));
	free(path);
	return (char *)b.data;
}

/* ---- set-up ---- */

static void init_api(struct gh *g)
{
	const char *api = getenv("GITHUB_API_URL");
	if (!api || !*api)
		api = GH_API_DEFAULT;
	struct origin o;
	if (parse_origin(api, &o) != 0 || o.userinfo || o.query)
		fail(EXIT_CONFIG, "GITHUB_API_URL must be an http(s) URL without credentials or query, not '%s'",
		     o.userinfo ? "(a URL with credentials)" : api);
	if (strcmp(o.scheme, "https") != 0 && !loopback(o.host))
		fail(EXIT_CONFIG, "GITHUB_API_URL '%s': plain http is only for a loopback host; use https", api);
	g->api = xstrdup(api);
	size_t n = strlen(g->api);
	while (n && g->api[n - 1] == '/')
		g->api[--n] = 0;
	g->scheme = xstrdup(o.scheme);
	g->host = xstrdup(o.host);
	g->port = o.port;
}

void gh_init(struct gh *g, const char *const *token_vars, int required)
{
	memset(g, 0, sizeof *g);
	init_api(g);
	for (const char *const *v = token_vars; v && *v; v++) {
		const char *t = getenv(*v);
		if (t && *t) {
			g->token_env = *v;
			break;
		}
	}
	if (!g->token_env && required) {
		struct buf names;
		buf_init(&names);
		for (const char *const *v = token_vars; v && *v; v++)
			buf_printf(&names, "%s%s", v == token_vars ? "" : v[1] ? ", " : " or ", *v);
		fail(EXIT_CONFIG, "no GitHub token: set %s", (char *)names.data);
	}
	g->wait_max = 600;
	const char *w = getenv("GITHUB_WAIT_MAX");
	if (w && *w && (g->wait_max = parse_seconds(w, 0, 86400)) < 0)
		fail(EXIT_CONFIG, "GITHUB_WAIT_MAX must be a number of seconds from 0 to 86400, not '%s'", w);
	http_options_init(&g->ho);
	g->ho.timeout_ms = 60000;
	g->ho.final_429 = 1;
	g->ho.verbose = isatty(2);
	g->per_page = 100;
}

void gh_free(struct gh *g)
{
	free(g->api);
	free(g->scheme);
	free(g->host);
	g->api = g->scheme = g->host = NULL;
}

/* ---- one request, with rate limits waited out ---- */

struct call {
	enum http_method m;
	const char *url;
	const char *accept;   /* NULL: application/vnd.github+json */
	const char *ctype;    /* Content-Type of the body, or NULL */
	const void *body;
	size_t body_len;
	const struct http_source *src;
	const struct http_sink *sink;
	int anonymous;        /* no token and no GitHub headers (an asset host) */
	void (*progress)(void *arg, long long done, long long total);
	void *progress_arg;
};

/* Whether a 403/429 is a rate limit, and how long to wait for it. */
static int rate_limited(struct gh *g, struct http_response *rs, double *wait, char *why, size_t n)
{
	if (rs->status != 403 && rs->status != 429)
		return 0;
	const char *v = http_header(rs, "Retry-After");
	long ms = v ? http_retry_after_ms(v, (long long)time(NULL)) : -1;
	if (ms >= 0) {
		*wait = ms / 1000.0;
		snprintf(why, n, "HTTP %ld, secondary rate limit (Retry-After %ld s)", rs->status, ms / 1000);
		return 1;
	}
	v = http_header(rs, "x-ratelimit-remaining");
	if (v && parse_uint(v, 1L << 40) == 0) {
		v = http_header(rs, "x-ratelimit-reset");
		long long reset = v ? parse_uint(v, 1LL << 40) : -1, now = (long long)time(NULL);
		*wait = reset < 0 ? 60 : (double)(reset > now ? reset - now : 0) + 1;
		snprintf(why, n, "HTTP %ld, primary rate limit exhausted (x-ratelimit-reset %lld)", rs->status, reset);
		return 1;
	}
	if (rs->status == 429 || strcasestr((const char *)rs->body.data, "secondary rate limit")) {
		int k = g->secondary < 6 ? g->secondary : 6;
		g->secondary++;
		*wait = 60.0 * (1 << k);
		snprintf(why, n, "HTTP %ld, secondary rate limit", rs->status);
		return 1;
	}
	return 0;
}

static int perform(struct gh *g, const struct call *c, struct http_response *rs, char *err, size_t errlen)
{
	char accept[96], ctype[160];
	const char *hdr[4] = {accept, NULL, NULL, NULL};
	int k = 1;
	snprintf(accept, sizeof accept, "Accept: %s", c->accept ? c->accept : "application/vnd.github+json");
	if (!c->anonymous)
		hdr[k++] = "X-GitHub-Api-Version: " GH_API_VERSION;
	if (c->ctype) {
		snprintf(ctype, sizeof ctype, "Content-Type: %s", c->ctype);
		hdr[k++] = ctype;
	}
	struct http_request rq = {.method = c->m, .url = c->url, .headers = hdr, .body = c->body,
				  .body_len = c->body_len, .token_env = c->anonymous ? NULL : g->token_env,
				  .source = c->src, .sink = c->sink, .progress = c->progress,
				  .progress_arg = c->progress_arg};
	struct http_options o = g->ho;
	if (c->src || c->sink)
		o.stall_ms = GH_STALL_MS;
	if (c->anonymous)
		o.follow_redirects = 1;
	for (;;) {
		int rc = http_do(&o, &rq, rs, err, errlen);
		if (rc)
			return rc;
		double wait;
		char why[160], s[600];
		if (!rate_limited(g, rs, &wait, why, sizeof why))
			return 0;
		if (g->waited + wait > g->wait_max) {
			snprintf(err, errlen, "%s %s: %s: waiting %.0f s more would pass GITHUB_WAIT_MAX (%.0f s); retry later",
				 http_method_name(c->m), shown(c->url, s, sizeof s), why, wait, g->wait_max);
			return EXIT_TEMPFAIL;
		}
		warnx("%s %s: %s, waiting %.0f s", http_method_name(c->m), shown(c->url, s, sizeof s), why, wait);
		http_response_free(rs);
		sleep_seconds(wait);
		g->waited += wait;
	}
}

/* ---- answers ---- */

int gh_error_has_code(jv answer, const char *code)
{
	jv errs = json_get(answer, "errors");
	int found = 0;
	if (jv_get_kind(errs) == JV_KIND_ARRAY) {
		jv_array_foreach(errs, i, e) {
			const char *c = json_str(e, "code");
			if (c && !strcmp(c, code))
				found = 1;
			jv_free(e);
		}
	}
	jv_free(errs);
	return found;
}

const char *gh_error_text(const struct gh *g, jv answer, char *out, size_t len)
{
	struct buf b;
	buf_init(&b);
	const char *m = json_str(answer, "message");
	buf_printf(&b, "%s", m ? m : "(no message)");
	jv errs = json_get(answer, "errors");
	if (jv_get_kind(errs) == JV_KIND_ARRAY && jv_array_length(jv_copy(errs)) > 0) {
		buf_add(&b, " (", 2);
		jv_array_foreach(errs, i, e) {
			const char *code = json_str(e, "code"), *field = json_str(e, "field"), *em = json_str(e, "message");
			if (jv_get_kind(e) == JV_KIND_STRING)
				em = jv_string_value(e);
			buf_printf(&b, "%s%s%s%s", i ? "; " : "", field ? field : "", field && (code || em) ? " " : "",
				   em ? em : code ? code : "");
			jv_free(e);
		}
		buf_addc(&b, ')');
	}
	jv_free(errs);
	snprintf(out, len, "%s", (char *)b.data);
	buf_free(&b);
	scrub(g, out);
	return out;
}

void gh_fail_answer(struct gh *g, enum http_method m, const char *url, long status, jv answer)
{
	char text[600], msg[1400], s[600];
	gh_error_text(g, answer, text, sizeof text);
	jv_free(answer);
	int code = status == 401 || status == 403 ? EXIT_NOPERM : status >= 500 ? EXIT_TEMPFAIL : EXIT_PROTOCOL;
	char hint[96] = "";
	if (status == 401 && g->token_env)
		snprintf(hint, sizeof hint, " (the token in %s was refused)", g->token_env);
	else if (status == 401)
		snprintf(hint, sizeof hint, " (no token was sent)");
	snprintf(msg, sizeof msg, "%s %s: HTTP %ld: %s%s", http_method_name(m), shown(url, s, sizeof s), status, text,
		 hint);
	gh_fail(g, code, msg);
}

/* The answer's JSON: null when empty; for an error status whose body is not
 * JSON, an object with a message. -1 when a 2xx body is not JSON. */
static int answer_json(struct http_response *rs, jv *out)
{
	const char *t = (const char *)rs->body.data;
	size_t n = rs->body.len;
	while (n && strchr(" \t\r\n", *t))
		t++, n--;
	if (!n) {
		*out = rs->status >= 300 ? JV_OBJECT(jv_string("message"), jv_string("(empty answer)")) : jv_null();
		return 0;
	}
	char err[200];
	jv v = json_parse(t, n, err, sizeof err);
	if (jv_is_valid(v) && (rs->status < 300 || jv_get_kind(v) == JV_KIND_OBJECT)) {
		*out = v;
		return 0;
	}
	jv_free(v);
	if (rs->status < 300)
		return -1;
	*out = JV_OBJECT(jv_string("message"), jv_string_fmt("%.*s", n > 200 ? 200 : (int)n, t));
	return 0;
}

/* Link: <url>; rel="next", <url>; rel="last": the next URL (new), or NULL. */
static char *link_next(const char *v)
{
	const char *p = v;
	while (v && (p = strchr(p, '<'))) {
		const char *e = strchr(p, '>');
		if (!e)
			return NULL;
		const char *end = strchr(e, ',');
		size_t plen = end ? (size_t)(end - e) : strlen(e);
		char params[256];
		snprintf(params, sizeof params, "%.*s", (int)plen, e + 1);
		const char *rel = strstr(params, "rel=");
		if (rel) {
			rel += 4;
			char val[128];
			snprintf(val, sizeof val, "%.*s", (int)strcspn(rel + (*rel == '"'), "\";,"), rel + (*rel == '"'));
			char *save = NULL;
			for (char *tok = strtok_r(val, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
				if (!strcmp(tok, "next"))
					return strndup(p + 1, (size_t)(e - p - 1));
		}
		p = e + 1;
	}
	return NULL;
}

static long json_request(struct gh *g, enum http_method m, const char *url, jv body, unsigned flags, jv *out,
			 char **next)
{
	const char *mn = http_method_name(m);
	check_origin(g, mn, url, "the URL");
	struct buf b = {0};
	if (jv_is_valid(body)) {
		buf_init(&b);
		json_dump_buf(body, 0, &b);
	} else {
		jv_free(body);
	}
	struct call c = {.m = m, .url = url, .ctype = b.data ? "application/json" : NULL, .body = b.data,
			 .body_len = b.len};
	struct http_response rs;
	char err[900];
	int rc = perform(g, &c, &rs, err, sizeof err);
	buf_free(&b);
	long st = rs.status;
	if (!rc && answer_json(&rs, out) != 0) {
		snprintf(err, sizeof err, "%s %s: HTTP %ld with a body that is not JSON", mn, url, st);
		rc = EXIT_PROTOCOL;
	}
	if (rc) {
		http_response_free(&rs);
		gh_fail(g, rc, err);
	}
	if (next)
		*next = st >= 200 && st < 300 ? link_next(http_header(&rs, "Link")) : NULL;
	http_response_free(&rs);
	if (st >= 200 && st < 300)
		return st;
	int soft403 = st == 403 && (flags & GH_SOFT_FORBIDDEN);
	if (st == 401 || (st == 403 && !soft403) || st >= 500 || st < 200 || !(flags & GH_SOFT))
		gh_fail_answer(g, m, url, st, *out);
	return st;
}

long gh_json(struct gh *g, enum http_method m, const char *url, jv body, unsigned flags, jv *out)
{
	return json_request(g, m, url, body, flags, out, NULL);
}

jv gh_get(struct gh *g, const char *url)
{
	jv v;
	json_request(g, HTTP_GET, url, jv_invalid(), 0, &v, NULL);
	return v;
}

/* Append one page's items to all; exit 76 when the page has no list. */
static jv add_page(struct gh *g, jv all, jv page, const char *key, const char *url)
{
	jv items = key ? json_get(page, key) : jv_copy(page);
	jv_free(page);
	if (jv_get_kind(items) == JV_KIND_NULL && !key) {
		jv_free(items);
		return all; /* 204: an empty list */
	}
	if (jv_get_kind(items) != JV_KIND_ARRAY) {
		jv_free(items);
		jv_free(all);
		char msg[900], s[600];
		snprintf(msg, sizeof msg, "GET %s: the answer holds no list%s%s", shown(url, s, sizeof s),
			 key ? " in " : "", key ? key : "");
		gh_fail(g, EXIT_PROTOCOL, msg);
	}
	return jv_array_concat(all, items);
}

jv gh_get_all(struct gh *g, const char *url, const char *key)
{
	char *cur;
	if (strstr(url, "per_page="))
		cur = xstrdup(url);
	else if (asprintf(&cur, "%s%cper_page=%d", url, strchr(url, '?') ? '&' : '?', g->per_page) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	jv all = jv_array();
	for (int pages = 1; cur; pages++) {
		char *next = NULL;
		jv page;
		json_request(g, HTTP_GET, cur, jv_invalid(), 0, &page, &next);
		all = add_page(g, all, page, key, cur);
		if (next) {
			char msg[900], s[600];
			if (!strcmp(next, cur) || pages >= 10000) {
				snprintf(msg, sizeof msg, "GET %s: the pages do not end (Link rel=\"next\" repeats)",
					 shown(cur, s, sizeof s));
				gh_fail(g, EXIT_PROTOCOL, msg);
			}
			check_origin(g, "GET", next, "its Link rel=\"next\"");
		}
		free(cur);
		cur = next;
	}
	return all;
}

/* ---- downloads and uploads ---- */

/* The location of a redirect to an asset host (a new string), or exit 76. */
static char *redirect_target(struct gh *g, struct http_response *rs, const char *url)
{
	const char *loc = http_header(rs, "Location");
	struct origin o;
	char msg[900], s[600];
	if (!loc || parse_origin(loc, &o) != 0 || o.userinfo ||
	    (strcmp(o.scheme, "https") != 0 && strcmp(g->scheme, "http") != 0)) {
		snprintf(msg, sizeof msg, "GET %s: HTTP %ld without a usable https Location", shown(url, s, sizeof s),
			 rs->status);
		http_response_free(rs);
		gh_fail(g, EXIT_PROTOCOL, msg);
	}
	return xstrdup(loc);
}

long gh_download(struct gh *g, const char *url, const struct http_sink *sink, unsigned flags)
{
	check_origin(g, "GET", url, "the URL");
	struct call c = {.m = HTTP_GET, .url = url, .accept = "application/octet-stream", .sink = sink};
	struct http_response rs;
	char err[900], s[600];
	int rc = perform(g, &c, &rs, err, sizeof err);
	char *loc = NULL;
	if (!rc && (rs.status == 301 || rs.status == 302 || rs.status == 303 || rs.status == 307 || rs.status == 308)) {
		/* the asset host: no token, no GitHub headers */
		loc = redirect_target(g, &rs, url);
		http_response_free(&rs);
		struct call a = {.m = HTTP_GET, .url = loc, .accept = "application/octet-stream", .sink = sink,
				 .anonymous = 1};
		rc = perform(g, &a, &rs, err, sizeof err);
		if (!rc && (rs.status < 200 || rs.status > 299)) {
			snprintf(err, sizeof err, "GET %s (the asset host of %s): HTTP %ld", shown(loc, s, sizeof s), url,
				 rs.status);
			rc = rs.status >= 500 ? EXIT_TEMPFAIL : EXIT_PROTOCOL;
		}
	}
	free(loc);
	if (rc) {
		http_response_free(&rs);
		gh_fail(g, rc, err);
	}
	long st = rs.status;
	if (st >= 200 && st < 300) {
		http_response_free(&rs);
		return 200;
	}
	jv ans;
	answer_json(&rs, &ans);
	http_response_free(&rs);
	if (st == 404 && (flags & GH_SOFT)) {
		jv_free(ans);
		return 404;
	}
	gh_fail_answer(g, HTTP_GET, url, st, ans);
}

static int file_write(void *arg, const void *p, size_t n)
{
	wfile_write(arg, p, n);
	return 0;
}

static int file_restart(void *arg)
{
	struct wfile *w = arg;
	if (w->in_place || ftruncate(w->fd, 0) != 0 || lseek(w->fd, 0, SEEK_SET) != 0)
		return -1;
	return 0;
}

void gh_download_file(struct gh *g, const char *url, const char *path, int mode)
{
	struct wfile w;
	wfile_open(&w, path, mode);
	struct http_sink sink = {file_write, file_restart, &w};
	gh_download(g, url, &sink, 0);
	wfile_commit(&w);
}

/* Exit 76 unless url is on the API's origin or is GitHub's upload host
 * (api.github.com -> uploads.github.com, same scheme and port). */
static void check_upload_url(const struct gh *g, const char *url)
{
	struct origin o;
	if (parse_origin(url, &o) == 0 && !o.userinfo && !strcmp(o.scheme, g->scheme) && o.port == g->port) {
		if (!strcmp(o.host, g->host))
			return;
		if (!strncmp(g->host, "api.", 4) && !strncmp(o.host, "uploads.", 8) && !strcmp(o.host + 8, g->host + 4))
			return;
	}
	check_origin(g, "POST", url, "the upload URL");
}

long gh_upload(struct gh *g, const char *url, const struct http_source *src, const char *ctype,
	       void (*progress)(void *arg, long long done, long long total), void *arg, jv *out)
{
	check_upload_url(g, url);
	struct call c = {.m = HTTP_POST, .url = url, .ctype = ctype, .src = src, .progress = progress,
			 .progress_arg = arg};
	struct http_response rs;
	int rc = perform(g, &c, &rs, g->last_err, sizeof g->last_err);
	*out = jv_null();
	g->last_rc = rc;
	if (rc == EXIT_CONFIG || rc == EXIT_SOFTWARE || (rc && rs.status)) { /* rs.status: a rate limit past the bound */
		http_response_free(&rs);
		gh_fail(g, rc, g->last_err);
	}
	if (rc) {
		scrub(g, g->last_err);
		http_response_free(&rs);
		return 0;
	}
	long st = rs.status;
	if (answer_json(&rs, out) != 0) {
		char msg[900];
		snprintf(msg, sizeof msg, "POST %s: HTTP %ld with a body that is not JSON", url, st);
		http_response_free(&rs);
		gh_fail(g, EXIT_PROTOCOL, msg);
	}
	http_response_free(&rs);
	if (st == 401 || st == 403)
		gh_fail_answer(g, HTTP_POST, url, st, *out);
	return st;
}
