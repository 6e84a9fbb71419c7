/* The GitHub REST client of mero-policy (release-upload, make promote, make
 * gate, version-sync), over the one libcurl wrapper (http.h).
 *
 * - The token comes from the first non-empty variable of a list the caller
 *   gives (release-upload: GH_RELEASE_TOKEN, GITHUB_TOKEN, GH_TOKEN); it is
 *   sent as "Authorization: Bearer", only to the API's origin (and GitHub's
 *   upload host), never printed, never in argv, and wiped from any message a
 *   server echoes back.
 * - GITHUB_API_URL is the API base (default https://api.github.com; GitHub
 *   Enterprise and the tests set it): http(s), no credentials, no query;
 *   plain http only for a loopback host (127.0.0.1, ::1, localhost).
 * - Every request sends Accept: application/vnd.github+json,
 *   X-GitHub-Api-Version: 2022-11-28 and a User-Agent.
 * - Lists are read page by page through Link: rel="next", whose URL is
 *   followed verbatim but only on the API's origin: a Link elsewhere is a
 *   protocol error (76), so the token never leaves.
 * - Rate limits: a 403 or 429 with x-ratelimit-remaining: 0 waits until
 *   x-ratelimit-reset; a 403 or 429 with Retry-After waits that long; a
 *   secondary limit without either waits 60 s, doubling. All waits of a run
 *   together stay within GITHUB_WAIT_MAX seconds (default 600): a wait that
 *   would pass it exits 75 at once. Each wait is one line on stderr.
 * - 5xx, 408 and dropped connections are retried with backoff and jitter
 *   (http.h) on idempotent calls; a POST is retried only when the server
 *   surely did not act on it.
 * - Failures exit with one line "METHOD URL: what failed": 401 77; 403 that
 *   is not a rate limit 77 with the API's message; other 4xx 76 naming the
 *   API's message (unless the caller asked to see them: GH_SOFT); 5xx and
 *   transport failures after the retries 75; an unreachable API 69; a 2xx
 *   body that is not JSON 76; a bad GITHUB_API_URL or GITHUB_WAIT_MAX, or a
 *   missing token where one is required, 78.
 *
 *	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
 *	struct gh g;
 *	gh_init(&g, vars, 1);
 *	char *url = gh_url(&g, "/repos/%s/releases/tags/%s", repo, tag_escaped);
 *	jv rel;
 *	long st = gh_json(&g, HTTP_GET, url, jv_invalid(), GH_SOFT, &rel);
 *	if (st == 404) ... else if (st != 200) gh_fail_answer(&g, HTTP_GET, url, st, rel);
 *	jv all = gh_get_all(&g, url_of_list, NULL);
 *	...
 *	gh_free(&g);
 */
#ifndef MP_GITHUB_H
#define MP_GITHUB_H

#include <jv.h>

#include "http.h"

#define GH_API_DEFAULT "https://api.github.com"
#define GH_API_VERSION "2022-11-28"

struct gh {
	char *api;             /* GITHUB_API_URL without a trailing '/' */
	char *scheme, *host;   /* the API's origin, lower case */
	long port;
	const char *token_env; /* the variable the token is read from; NULL: none */
	struct http_options ho;
	double wait_max;       /* seconds of rate-limit waits allowed in all */
	double waited;
	int secondary;         /* secondary limits met without a wait given */
	int per_page;          /* page size asked of lists (100) */
	int last_rc;           /* gh_upload: the exit code of a failed transfer */
	char last_err[600];    /* gh_upload: its message */
};

enum {
	GH_SOFT = 1, /* return 3xx/4xx answers (not 401/403) to the caller */
	GH_SOFT_FORBIDDEN = 2, /* with GH_SOFT: a 403 that is no rate limit comes back too
				  ("GitHub Actions is not permitted to create ... pull requests") */
};

/* Read GITHUB_API_URL, GITHUB_WAIT_MAX and the token (the first of
 * token_vars that is set and not empty); with required, no token is 78. */
void gh_init(struct gh *g, const char *const *token_vars, int required);
void gh_free(struct gh *g);

/* The API base followed by the formatted path (a new string). Path parts
 * that come from outside go through gh_escape first. */
char *gh_url(const struct gh *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when s is OWNER/NAME (a repository, or ORG/SLUG, a team): two names of
 * [A-Za-z0-9._-], neither starting with '.', at most 200 characters; such a
 * text may go into a URL's path as it is. */
int gh_pair_ok(const char *s);

/* Percent-encode everything but the unreserved characters (a new string). */
char *gh_escape(const char *s);

/* A JSON request. body is sent as compact JSON unless invalid (consumed).
 * Returns the final status; *out is the parsed answer (null for an empty
 * one). Exits on the failures above; with GH_SOFT a 3xx/4xx other than 401
 * and 403 is returned, *out holding its body (an object, at least with a
 * "message"). */
long gh_json(struct gh *g, enum http_method m, const char *url, jv body, unsigned flags, jv *out);
/* GET that must answer 2xx. */
jv gh_get(struct gh *g, const char *url);
/* Every page of a list, following Link rel="next" on the API's origin, as one
 * array. key NULL: each page is an array; else the member of each page's
 * object that holds the array (Actions: "artifacts"). per_page is added to
 * url when it has none. */
jv gh_get_all(struct gh *g, const char *url, const char *key);

/* Exit for an answer gh_json returned under GH_SOFT: 76 (77 for 401/403, 75
 * for 5xx) with "METHOD URL: HTTP N message". Consumes answer. */
void gh_fail_answer(struct gh *g, enum http_method m, const char *url, long status, jv answer)
	__attribute__((noreturn));
/* "message (code, code)" of an error answer into out, the token wiped. */
const char *gh_error_text(const struct gh *g, jv answer, char *out, size_t len);
/* Whether an error answer's errors[] holds an entry with this code
 * (already_exists, ...). Does not consume answer. */
int gh_error_has_code(jv answer, const char *code);

/* A raw download: GET url with Accept: application/octet-stream, the 2xx body
 * to sink. A redirect (GitHub sends assets from another host) is followed
 * WITHOUT the token. Returns 200, or with GH_SOFT a 404; exits otherwise. */
long gh_download(struct gh *g, const char *url, const struct http_sink *sink, unsigned flags);
/* gh_download into a file through the safe writer. */
void gh_download_file(struct gh *g, const char *url, const char *path, int mode);

/* POST a file (an asset upload) to url, which must be on the API's origin or
 * GitHub's upload host (api.X -> uploads.X), with Content-Type ctype and
 * Content-Length. Not retried: the caller knows how to clean up after a
 * partial upload. Returns the status with *out as gh_json does (GH_SOFT
 * implied, 5xx included), or 0 when no answer arrived (a dropped
 * connection, a timeout: g->last_rc and g->last_err say what; *out null).
 * Exits on 401/403, on a rate limit beyond the bound and on a URL elsewhere. */
long gh_upload(struct gh *g, const char *url, const struct http_source *src, const char *ctype,
	       void (*progress)(void *arg, long long done, long long total), void *arg, jv *out);

#endif
