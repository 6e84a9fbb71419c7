/* The one libcurl wrapper of mero-policy: every program that talks HTTP goes
 * through http_do().
 *
 * What it does for every transfer:
 * - one global libcurl init (http_global_init, called lazily; cleanup at exit);
 * - a connect timeout and a total timeout (connect + request + response);
 * - retries with exponential backoff (backoff_ms, doubled per retry, capped at
 *   backoff_max_ms, plus up to 25 % jitter) on connection errors, timeouts,
 *   408, 429 and 5xx (except 501 and 505); a Retry-After header (delta seconds or
 *   an HTTP date) replaces the backoff, capped at retry_after_max_ms;
 *   requests that are not idempotent (POST unless retry_post is set) are
 *   retried only when the server surely did not act on them: the connection
 *   was never made (refused, name not resolved, connect timeout), 429 or 503;
 * - the response body, kept up to body_cap bytes, and its headers, up to
 *   header_cap bytes (more of either is an impossible answer, 76, not
 *   retried), the status, and header lookup (curl_easy_header);
 * - a bearer or API token taken from an environment variable, sent as one
 *   request header, never written to any log or message, wiped after use;
 *   redirects are never followed when a token is sent;
 * - a mapping of every failure to the exit codes of exitcodes.h;
 * - optionally (the GitHub client's uploads and downloads): a request body
 *   streamed from a file descriptor (struct http_source, sent with
 *   Content-Length, re-read from its start on every attempt), a 2xx response
 *   body streamed to a sink (struct http_sink) instead of rs->body, a progress
 *   callback, a stall timeout instead of the whole-transfer timeout, and 429
 *   returned as a final answer (final_429) for callers that wait out rate
 *   limits themselves.
 *
 * Return value of http_do (an exit code, 0 meaning "a response arrived"):
 *   0   an HTTP response arrived whose status is final (not 408/429/5xx, or
 *       one of those on a request that must not be retried): the caller judges
 *       rs->status, e.g. with http_status_exit();
 *   75  EXIT_TEMPFAIL   retries exhausted on a timeout, a dropped connection,
 *                       408, 429 or 5xx (rs->status and body hold the last answer,
 *                       status 0 when none arrived);
 *   69  EXIT_UNAVAILABLE connection refused or host name not found, after the
 *                       retries (nothing listens there: retrying later will
 *                       not help unless someone starts the service);
 *   74  EXIT_IOERR      the request body's file could not be read or ended
 *                       early, or the response sink refused the bytes;
 *   76  EXIT_PROTOCOL   not HTTP, a body above body_cap or headers above
 *                       header_cap (never retried), a TLS peer that fails
 *                       certificate verification;
 *   77  EXIT_NOPERM     never returned by http_do (see http_status_exit);
 *   78  EXIT_CONFIG     a malformed or unsupported URL, a required token
 *                       missing from the environment, a token with CR/LF;
 *   70  EXIT_SOFTWARE   libcurl could not be initialised.
 * On every non-zero return err holds one line: "GET URL: what failed".
 *
 * http_status_exit maps a final status: 2xx 0; 401 and 403 77; 404 and 410
 * 69 (the service has no such resource); 408, 429 and 5xx 75; anything else
 * (1xx, 3xx, other 4xx) 76.
 *
 * Example:
 *	struct http_options o;
 *	http_options_init(&o);
 *	o.timeout_ms = 5000;
 *	const char *hdr[] = {"Accept: application/json", NULL};
 *	struct http_request rq = {.method = HTTP_GET, .url = url, .headers = hdr,
 *				  .token_env = "PHALA_CLOUD_API_KEY", .token_header = "X-API-Key"};
 *	struct http_response rs;
 *	char err[512];
 *	int rc = http_do(&o, &rq, &rs, err, sizeof err);
 *	if (rc == 0 && (rc = http_status_exit(rs.status)) != 0)
 *		snprintf(err, sizeof err, "GET %s: HTTP %ld", url, rs.status);
 *	if (rc) { http_response_free(&rs); fail(rc, "%s", err); }
 *	const char *chain = http_header(&rs, "TCB-Info-Issuer-Chain");
 *	... rs.body.data, rs.body.len ...
 *	http_response_free(&rs);
 */
#ifndef MP_HTTP_H
#define MP_HTTP_H

#include <stddef.h>

#include "common.h"

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_PATCH };

struct http_options {
	long connect_timeout_ms;  /* default 10000 */
	long timeout_ms;          /* whole transfer, default 30000 */
	int retries;              /* retries after the first attempt, default 3 */
	long backoff_ms;          /* delay before the first retry, default 500 */
	long backoff_max_ms;      /* cap of the doubling delay, default 8000 */
	long retry_after_max_ms;  /* cap of a server's Retry-After, default 60000 */
	size_t body_cap;          /* response bytes accepted, default 16 MiB */
	size_t header_cap;        /* response header bytes accepted, default 64 KiB */
	const char *user_agent;   /* default "mero-policy/VERSION" */
	int follow_redirects;     /* default 0; ignored when a token is sent */
	int verbose;              /* one stderr line per retry (method, URL, cause, delay) */
	int final_429;            /* 1: a 429 is a final answer, not retried (the caller waits) */
	long stall_ms;            /* > 0: no whole-transfer timeout; fail when fewer than one
				     byte a second moves for this long (large uploads) */
};

/* A request body read from a file descriptor: len bytes from offset 0 (pread,
 * so the descriptor's position is not used), sent with Content-Length. Every
 * attempt starts again at offset 0 and calls restart first; chunk sees every
 * byte as it is sent (to hash what went out). A file that ends before len
 * bytes fails the transfer with 74. */
struct http_source {
	int fd;
	long long len;
	void (*restart)(void *arg);                       /* may be NULL */
	void (*chunk)(void *arg, const void *p, size_t n); /* may be NULL */
	void *arg;
};

/* Where the body of a 2xx response goes instead of rs->body (any other
 * status's body still goes to rs->body). write returns 0, or -1 to stop the
 * transfer (74). Before a retry that follows bytes already written, restart
 * is called: 0 when it took them back (a truncated file), -1 when it cannot
 * (then there is no retry). */
struct http_sink {
	int (*write)(void *arg, const void *p, size_t n);
	int (*restart)(void *arg); /* NULL: cannot restart */
	void *arg;
};

struct http_request {
	enum http_method method;
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
	const void *body;           /* request body (POST, PUT), may be NULL */
	size_t body_len;
	const char *token_env;      /* environment variable holding the token, or NULL */
	const char *token_header;   /* header name for the token; NULL: "Authorization: Bearer" */
	int token_required;         /* 1: a missing or empty token is EXIT_CONFIG */
	int retry_post;             /* 1: this POST is idempotent, retry it like a GET */
	const struct http_source *source; /* POST/PUT/PATCH body from a file, instead of body */
	const struct http_sink *sink;     /* a 2xx body goes there, not to rs->body */
	/* called as bytes move: the upload's when there is a source, else the
	 * download's; total is 0 while unknown */
	void (*progress)(void *arg, long long done, long long total);
	void *progress_arg;
};

struct http_response {
	long status;                /* last HTTP status, 0 when no response arrived */
	struct buf body;            /* always initialised; NUL-terminated */
	int attempts;               /* transfers made */
	long elapsed_ms;            /* wall time of all attempts and waits */
	void *handle;               /* private: the curl handle, for http_header */
};

/* Initialise libcurl once per process (also done by http_do). */
void http_global_init(void);
/* Fill o with the defaults above. */
void http_options_init(struct http_options *o);
/* Perform rq with retries; see the return values above. rs is always
 * initialised and must be released with http_response_free. */
int http_do(const struct http_options *o, const struct http_request *rq, struct http_response *rs,
	    char *err, size_t errlen);
/* A response header of the last transfer, or NULL. The pointer is valid until
 * the next http_header call on rs or http_response_free. */
const char *http_header(struct http_response *rs, const char *name);
/* Map a final HTTP status to an exit code (see above). */
int http_status_exit(long status);
void http_response_free(struct http_response *rs);
const char *http_method_name(enum http_method m);
/* Parse a Retry-After value (delta seconds or HTTP date) relative to now;
 * returns milliseconds >= 0, or -1 when it is neither. */
long http_retry_after_ms(const char *value, long long now);
/* A sink into memory: the body appended to buf, a body over cap bytes fails
 * the transfer, a retry starts the buffer again. */
struct http_capbuf {
	struct buf *buf;
	size_t cap;
};
int http_capbuf_write(void *arg, const void *p, size_t n);
int http_capbuf_restart(void *arg);

/* delay plus up to 25 % of random jitter (the backoff of http_do), for
 * callers that retry on their own. */
long http_jitter_ms(long delay);

#endif
