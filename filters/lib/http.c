#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

static int global_done;

static void global_cleanup(void) { curl_global_cleanup(); }

void http_global_init(void)
{
	if (global_done)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fail(EXIT_SOFTWARE, "cannot initialise libcurl");
	global_done = 1;
	atexit(global_cleanup);
}

void http_options_init(struct http_options *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 30000;
	o->retries = 3;
	o->backoff_ms = 500;
	o->backoff_max_ms = 8000;
	o->retry_after_max_ms = 60000;
	o->body_cap = 16 * MP_MIB;
	o->header_cap = 64 * 1024;
	o->user_agent = "mero-policy/" MP_VERSION;
}

const char *http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET: return "GET";
	case HTTP_POST: return "POST";
	case HTTP_PUT: return "PUT";
	case HTTP_DELETE: return "DELETE";
	case HTTP_PATCH: return "PATCH";
	}
	return "GET";
}

int http_status_exit(long status)
{
	if (status >= 200 && status <= 299)
		return EXIT_OK;
	if (status == 401 || status == 403)
		return EXIT_NOPERM;
	if (status == 404 || status == 410)
		return EXIT_UNAVAILABLE;
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return EXIT_TEMPFAIL;
	return EXIT_PROTOCOL;
}

long http_retry_after_ms(const char *v, long long now)
{
	if (!v)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		long long s = 0;
		const char *p = v;
		while (*p >= '0' && *p <= '9') {
			if (s < 100000000)
				s = s * 10 + (*p - '0');
			p++;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return -1;
		return (long)(s * 1000); /* s is capped at 1e8 seconds */
	}
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	long long d = (long long)t - now;
	if (d > 100000000)
		d = 100000000;
	return d <= 0 ? 0 : (long)(d * 1000);
}

struct sink {
	struct buf *b;
	size_t cap;
	int over;
	size_t hdr_bytes, hdr_cap; /* response header bytes of this attempt, and their cap */
	int hdr_over;
	const struct http_sink *user; /* 2xx bodies go there */
	CURL *h;
	long long user_bytes;         /* written to user in this attempt */
	int user_failed;
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	(void)p;
	s->hdr_bytes += size * n;
	if (s->hdr_bytes > s->hdr_cap) {
		s->hdr_over = 1;
		return 0; /* aborts the transfer: an impossible answer, not retried */
	}
	return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (s->user) {
		long status = 0;
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299) {
			if (s->user->write(s->user->arg, p, len) != 0) {
				s->user_failed = 1;
				return 0;
			}
			s->user_bytes += (long long)len;
			return len;
		}
	}
	if (s->b->len + len > s->cap) {
		s->over = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	buf_add(s->b, p, len);
	return len;
}

static unsigned long jitter_state;

static long jitter(long delay)
{
	if (delay < 4)
		return delay;
	if (!jitter_state)
		jitter_state = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^ 0x9e3779b9UL;
	jitter_state ^= jitter_state << 13;
	jitter_state ^= jitter_state >> 7;
	jitter_state ^= jitter_state << 17;
	return delay + (long)(jitter_state % (unsigned long)(delay / 4 + 1));
}

long http_jitter_ms(long delay) { return jitter(delay); }

/* ---- a request body streamed from a file (struct http_source) ---- */
struct source_state {
	const struct http_source *src;
	long long off;
	int err; /* errno of a failed read, -1 when the file ended early */
};

static void source_restart(struct source_state *st)
{
	st->off = 0;
	st->err = 0;
	if (st->src && st->src->restart)
		st->src->restart(st->src->arg);
}

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct source_state *st = arg;
	long long left = st->src->len - st->off;
	size_t want = size * n;
	if ((long long)want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	ssize_t r;
	while ((r = pread(st->src->fd, p, want, (off_t)st->off)) < 0 && errno == EINTR)
		;
	if (r <= 0) {
		st->err = r < 0 ? errno : -1;
		return CURL_READFUNC_ABORT;
	}
	if (st->src->chunk)
		st->src->chunk(st->src->arg, p, (size_t)r);
	st->off += r;
	return (size_t)r;
}

/* libcurl rewinds a body it must send again (a redirect, a reused connection
 * that closed): only a rewind to the start is possible. */
static int on_seek(void *arg, curl_off_t off, int origin)
{
	struct source_state *st = arg;
	if (origin != SEEK_SET || off != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	source_restart(st);
	return CURL_SEEKFUNC_OK;
}

struct progress_state {
	const struct http_request *rq;
};

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http_request *rq = ((struct progress_state *)arg)->rq;
	if (rq->source)
		rq->progress(rq->progress_arg, (long long)ulnow, (long long)ultotal);
	else
		rq->progress(rq->progress_arg, (long long)dlnow, (long long)dltotal);
	return 0;
}

/* The optional parts of a transfer: a body from a file, the progress
 * callback, a stall timeout. */
static void setup_stream(CURL *h, const struct http_options *o, const struct http_request *rq,
			 struct source_state *st, struct progress_state *ps)
{
	st->src = rq->source;
	st->off = 0;
	st->err = 0;
	if (rq->source && rq->method != HTTP_GET && rq->method != HTTP_DELETE) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, st);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, st);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->source->len);
	}
	if (rq->progress) {
		ps->rq = rq;
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, ps);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (o->stall_ms > 0) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (o->stall_ms + 999) / 1000);
	}
}

/* A failure on our side of a streamed transfer (the body's file, the sink):
 * 74 with err set, or 0. */
static int stream_failure(const struct source_state *st, const struct sink *sk, const char *m,
			  const struct http_request *rq, char *err, size_t errlen)
{
	if (st->err > 0)
		snprintf(err, errlen, "%s %s: cannot read the request body: %s", m, rq->url, strerror(st->err));
	else if (st->err < 0)
		snprintf(err, errlen, "%s %s: the request body's file ended before its %lld bytes", m, rq->url,
			 rq->source->len);
	else if (sk->user_failed)
		snprintf(err, errlen, "%s %s: cannot store the response body", m, rq->url);
	else
		return 0;
	return EXIT_IOERR;
}

/* Before another attempt: a sink that already took bytes must take them
 * back; 0 when it did (or had none), -1 when the retry is impossible. */
static int sink_restart(struct sink *sk)
{
	if (!sk->user || !sk->user_bytes)
		return 0;
	if (!sk->user->restart || sk->user->restart(sk->user->arg) != 0)
		return -1;
	sk->user_bytes = 0;
	return 0;
}

/* Free a header list after wiping every line (one of them may carry the token). */
static void wipe_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT: case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR: case CURLE_PARTIAL_FILE: case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599 && s != 501 && s != 505);
}

static int curl_exit(CURLcode c, int over)
{
	if (over)
		return EXIT_PROTOCOL;
	switch (c) {
	case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
		return EXIT_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT: case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE: case CURLE_SSL_CONNECT_ERROR:
		return EXIT_TEMPFAIL;
	case CURLE_URL_MALFORMAT: case CURLE_UNSUPPORTED_PROTOCOL:
		return EXIT_CONFIG;
	case CURLE_FAILED_INIT: case CURLE_OUT_OF_MEMORY:
		return EXIT_SOFTWARE;
	default:
		return EXIT_PROTOCOL;
	}
}

static const char *curl_what(CURLcode c, const char *detail)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT: return "connection refused or host unreachable";
	case CURLE_COULDNT_RESOLVE_HOST: return "host name not found";
	case CURLE_OPERATION_TIMEDOUT: return "timed out";
	case CURLE_GOT_NOTHING: return "the server closed the connection without answering";
	default: return detail[0] ? detail : curl_easy_strerror(c);
	}
}

/* Build the header list, with the token line when one is configured.
 * Returns 0, or an exit code with err set. */
static int build_headers(const struct http_request *rq, struct curl_slist **out, int *with_token,
			 char *err, size_t errlen)
{
	struct curl_slist *h = NULL, *n;
	*with_token = 0;
	if (rq->headers)
		for (const char *const *p = rq->headers; *p; p++) {
			if (!(n = curl_slist_append(h, *p))) {
				wipe_headers(h);
				snprintf(err, errlen, "out of memory building request headers");
				return EXIT_SOFTWARE;
			}
			h = n;
		}
	if (rq->method == HTTP_POST || rq->method == HTTP_PUT || rq->method == HTTP_PATCH)
		if ((n = curl_slist_append(h, "Expect:")))
			h = n; /* no 100-continue round trip */
	if (rq->token_env) {
		const char *tok = getenv(rq->token_env);
		if (!tok || !*tok) {
			if (rq->token_required) {
				wipe_headers(h);
				snprintf(err, errlen, "%s %s: the token variable %s is not set", http_method_name(rq->method),
					 rq->url, rq->token_env);
				return EXIT_CONFIG;
			}
		} else {
			if (strpbrk(tok, "\r\n")) {
				wipe_headers(h);
				snprintf(err, errlen, "%s %s: the token in %s contains a line break", http_method_name(rq->method),
					 rq->url, rq->token_env);
				return EXIT_CONFIG;
			}
			const char *name = rq->token_header ? rq->token_header : "Authorization";
			const char *prefix = rq->token_header ? "" : "Bearer ";
			size_t len = strlen(name) + strlen(prefix) + strlen(tok) + 3;
			char *line = xmalloc(len);
			snprintf(line, len, "%s: %s%s", name, prefix, tok);
			n = curl_slist_append(h, line);
			OPENSSL_cleanse(line, len);
			free(line);
			if (!n) {
				wipe_headers(h);
				snprintf(err, errlen, "out of memory building request headers");
				return EXIT_SOFTWARE;
			}
			h = n;
			*with_token = 1;
		}
	}
	*out = h;
	return 0;
}

/* One request across its attempts: the handle, its header list, and the
 * states libcurl's callbacks write to (they point into this struct). */
struct transfer {
	const struct http_options *o;
	const struct http_request *rq;
	const char *m; /* the method's name, for messages */
	CURL *h;
	struct curl_slist *hdrs;
	struct sink sink;
	struct source_state src;
	struct progress_state prog;
	char curl_err[CURL_ERROR_SIZE];
};

/* Every option of the handle: the URL, timeouts, callbacks, the method and
 * its body, redirects (never with a token), the optional streaming parts. */
static void setup_handle(struct transfer *t, int with_token)
{
	const struct http_options *o = t->o;
	const struct http_request *rq = t->rq;
	CURL *h = t->h;
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "mero-policy/" MP_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t->sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t->sink);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->curl_err);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (o->follow_redirects && !with_token) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}
	switch (rq->method) {
	case HTTP_GET:
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		break;
	case HTTP_POST:
	case HTTP_PUT:
	case HTTP_PATCH:
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
		if (rq->method != HTTP_POST)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, t->m);
		break;
	case HTTP_DELETE:
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	}
	setup_stream(h, o, rq, &t->src, &t->prog);
}

/* Reset what one attempt fills in. */
static void start_attempt(struct transfer *t, struct http_response *rs, int attempt)
{
	rs->body.len = 0;
	rs->body.data[0] = 0;
	t->sink.over = t->sink.hdr_over = 0;
	t->sink.hdr_bytes = 0;
	t->curl_err[0] = 0;
	rs->status = 0;
	rs->attempts = attempt;
	source_restart(&t->src);
}

/* Judge a finished attempt (c, the HTTP status, the bytes of the request
 * sent): 0 when its answer is final; otherwise the exit code should it stay
 * the last attempt, with *again set when another attempt may follow and
 * cause saying what went wrong. */
static int judge_attempt(struct transfer *t, CURLcode c, long status, long req_size, char *cause,
			 size_t causelen, int *again)
{
	struct sink *sk = &t->sink;
	int idempotent = t->rq->method != HTTP_POST || t->rq->retry_post;
	if (c == CURLE_OK) {
		if (!retryable_status(status) || (status == 429 && t->o->final_429))
			return 0;
		*again = idempotent || status == 429 || status == 503;
		snprintf(cause, causelen, "HTTP %ld", status);
		return EXIT_TEMPFAIL;
	}
	/* libcurl refuses a header line over 100 KiB as "out of memory" before
	 * on_header sees it: once headers arrive, that is one */
	if (c == CURLE_OUT_OF_MEMORY && sk->hdr_bytes > 0)
		sk->hdr_over = 1;
	int sent = req_size > 0, over = sk->over || sk->hdr_over;
	*again = !over && retryable_curl(c) && (idempotent || !sent);
	snprintf(cause, causelen, "%s", curl_what(c, t->curl_err));
	if (sk->over)
		snprintf(cause, causelen, "response body exceeds %zu bytes", sk->cap);
	if (sk->hdr_over)
		snprintf(cause, causelen, "response headers exceed %zu bytes", sk->hdr_cap);
	return curl_exit(c, over);
}

/* The wait before the next attempt: a server's Retry-After (capped) after an
 * HTTP answer that carries one, else the backoff with jitter. */
static long retry_delay(struct transfer *t, CURLcode c, long backoff)
{
	struct curl_header *ra;
	if (c != CURLE_OK || curl_easy_header(t->h, "Retry-After", 0, CURLH_HEADER, -1, &ra) != CURLHE_OK)
		return jitter(backoff);
	long v = http_retry_after_ms(ra->value, (long long)time(NULL));
	if (v < 0)
		return jitter(backoff);
	return v > t->o->retry_after_max_ms ? t->o->retry_after_max_ms : v;
}

/* Detach the handle from this call's stack (it lives on in rs for
 * http_header) and wipe the header list, token line included. */
static void end_transfer(struct transfer *t)
{
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(t->h, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(t->h, CURLOPT_READDATA, NULL);
	curl_easy_setopt(t->h, CURLOPT_XFERINFODATA, NULL);
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, NULL);
	wipe_headers(t->hdrs);
}

int http_do(const struct http_options *o, const struct http_request *rq, struct http_response *rs,
	    char *err, size_t errlen)
{
	memset(rs, 0, sizeof *rs);
	buf_init(&rs->body);
	err[0] = 0;
	http_global_init();
	struct transfer t = {.o = o, .rq = rq, .m = http_method_name(rq->method)};
	const char *m = t.m;
	if (!(t.h = curl_easy_init())) {
		snprintf(err, errlen, "%s %s: cannot create a libcurl handle", m, rq->url);
		return EXIT_SOFTWARE;
	}
	rs->handle = t.h;
	int with_token;
	int rc = build_headers(rq, &t.hdrs, &with_token, err, errlen);
	if (rc)
		return rc;
	t.sink = (struct sink){.b = &rs->body, .cap = o->body_cap ? o->body_cap : 16 * MP_MIB,
			       .hdr_cap = o->header_cap ? o->header_cap : 64 * 1024, .user = rq->sink, .h = t.h};
	setup_handle(&t, with_token);
	int max_attempts = 1 + (o->retries > 0 ? o->retries : 0);
	double start = mono_now();
	long backoff = o->backoff_ms > 0 ? o->backoff_ms : 0;
	for (int attempt = 1;; attempt++) {
		start_attempt(&t, rs, attempt);
		CURLcode c = curl_easy_perform(t.h);
		long status = 0, req_size = 0;
		curl_easy_getinfo(t.h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(t.h, CURLINFO_REQUEST_SIZE, &req_size);
		rs->status = c == CURLE_OK ? status : 0;
		if ((rc = stream_failure(&t.src, &t.sink, m, rq, err, errlen)) != 0)
			break;
		int again = 0;
		char cause[160];
		if ((rc = judge_attempt(&t, c, status, req_size, cause, sizeof cause, &again)) == 0)
			break;
		if (again && sink_restart(&t.sink) != 0)
			again = 0;
		if (!again || attempt >= max_attempts) {
			if (c == CURLE_OK && !again) {
				rc = 0; /* a final 5xx/429 on a request we may not repeat */
				break;
			}
			if (attempt > 1)
				snprintf(err, errlen, "%s %s: %s (after %d attempts)", m, rq->url, cause, attempt);
			else
				snprintf(err, errlen, "%s %s: %s", m, rq->url, cause);
			break;
		}
		long delay = retry_delay(&t, c, backoff);
		if (o->verbose)
			warnx("%s %s: %s, retry %d of %d in %ld ms", m, rq->url, cause, attempt, max_attempts - 1, delay);
		sleep_seconds(delay / 1000.0);
		backoff = backoff * 2 > o->backoff_max_ms ? o->backoff_max_ms : backoff * 2;
	}
	rs->elapsed_ms = (long)((mono_now() - start) * 1000);
	end_transfer(&t);
	return rc;
}

const char *http_header(struct http_response *rs, const char *name)
{
	struct curl_header *hd;
	if (!rs->handle || rs->status == 0)
		return NULL;
	if (curl_easy_header(rs->handle, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return hd->value;
}

void http_response_free(struct http_response *rs)
{
	if (rs->handle)
		curl_easy_cleanup(rs->handle);
	rs->handle = NULL;
	buf_free(&rs->body);
}

int http_capbuf_write(void *arg, const void *p, size_t n)
{
	struct http_capbuf *c = arg;
	if (c->buf->len + n > c->cap)
		return -1;
	buf_add(c->buf, p, n);
	return 0;
}

int http_capbuf_restart(void *arg)
{
	((struct http_capbuf *)arg)->buf->len = 0;
	return 0;
}
