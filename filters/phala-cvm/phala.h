/* phala-cvm's parts: the Phala Cloud API client (api.c), the CVM JSON and
 * the CVM a command acts on (cvm.c), the polls and the teardown (wait.c), the
 * commands (main.c). */
#ifndef PHALA_CVM_H
#define PHALA_CVM_H

#include "lib/common.h"
#include "lib/http.h"
#include "lib/json.h"

#define PHALA_BASE_DEFAULT "https://cloud-api.phala.com/api/v1"
#define PHALA_VERSION_DEFAULT "2026-01-21"
#define PHALA_KEY_ENV "PHALA_CLOUD_API_KEY"

/* ---- api.c ---- */

/* Read PHALA_CLOUD_API_KEY (78 when missing or empty), PHALA_API_BASE_URL (or
 * PHALA_CLOUD_API_PREFIX) and PHALA_API_VERSION (78 when malformed). */
void api_init(int verbose);
/* --verbose was given (to api_init) */
int api_verbose(void);

struct api_reply {
	long status;  /* the HTTP status */
	jv body;      /* the parsed answer; null when empty or not JSON */
	int json;     /* 1 when the body parsed as JSON */
	char text[160]; /* the start of the body, for messages */
};

/* METHOD {base}{path} with body (consumed; jv_invalid() for none), the whole
 * exchange, retries included, bounded by timeout seconds. 0 when an answer
 * arrived (r filled: release with api_reply_free); otherwise an exit code
 * with err set (no answer after the retries, a bad URL, ...). */
enum { API_NO_RETRY = 1 }; /* one attempt: a poll retries by polling again */
int api_call(enum http_method m, const char *path, jv body, double timeout, unsigned flags, struct api_reply *r,
	     char *err, size_t errlen);
void api_reply_free(struct api_reply *r);
/* Exit with the code an unwelcome answer deserves, naming the request and the
 * API's detail: 401/403 77; 404, 409, 410 69; 408, 429, 5xx 75; others 76. */
void api_fail_status(enum http_method m, const char *path, struct api_reply *r) __attribute__((noreturn));
/* api_call that exits on anything but a 2xx JSON answer; returns the body. */
jv api_json(enum http_method m, const char *path, jv body, double timeout);
/* The one-line text of the API's error detail ({"detail": ...}), printable
 * ASCII, at most n - 1 bytes, the key never in it. */
void api_detail(const struct api_reply *r, char *out, size_t n);
/* Fail (65) unless s can be a path segment: [A-Za-z0-9._-]{1,128}. */
void api_check_id(const char *s, const char *what);
/* The default per-request timeout (seconds). */
#define API_TIMEOUT 45.0

/* ---- cvm.c ---- */

/* The CVM a command acts on: from the CVM JSON of deploy (--cvm FILE, or
 * stdin), or one identifier (--id, --name). Strings are owned. */
struct cvm_ref {
	char *id, *name, *app_id, *vm_uuid;
	int reused;
	char label[160]; /* how messages name it */
};
void cvm_ref_from(struct cvm_ref *t, const char *file, const char *id, const char *name);
/* The same from a CVM JSON object (consumed): ours or the API's; a bad
 * identifier exits with code, what naming the source. */
void cvm_ref_fill(struct cvm_ref *t, jv o, const char *what, int code);
void cvm_ref_free(struct cvm_ref *t);
/* The identifier to GET it by: app_<hex>, else the vm uuid without dashes,
 * else the id, else the name. Valid until cvm_ref_free. */
const char *cvm_ref_path(const struct cvm_ref *t, char out[160]);

/* Our CVM JSON from an API answer (consumed): app_id, compose_hash,
 * endpoints, gateway_base_domain, id, name, reused, status, vm_uuid. Exits 76
 * when the answer has no usable app id. */
jv cvm_json(jv info, int reused);
/* The status of an API answer (status, or the legacy hosted.status), lower
 * case, "" when absent, into out. */
void cvm_status(jv info, char *out, size_t n);
/* The service URL candidates of our CVM JSON for port, in upstream's order
 * (endpoints[].app and .instance, https and http on the gateway's base
 * domain, then https and http on suffix with and without app_), without
 * duplicates. */
jv cvm_urls(jv cvm, int port, const char *suffix);
/* 1 when s is [A-Za-z0-9._-]{min,max}. */
int cvm_ident_ok(const char *s, size_t min, size_t max);
/* 1 when h is a host name: [A-Za-z0-9.-], 1 to 253 characters. */
int cvm_host_ok(const char *h);

/* ---- wait.c ---- */

/* Poll until the CVM runs (a stopped or created CVM gets a start call);
 * returns the API's last answer. 75 at the deadline. */
jv wait_running(const struct cvm_ref *t, double timeout);
/* Poll GET /cvms/{path} until 404; 75 at the deadline. */
void wait_gone(const char *path, const char *label, double timeout);
/* DELETE by vm uuid, then app id, then name, then id; a 404 moves on. Returns
 * the identifier that deleted it, or NULL when none knew it (already gone).
 * Exits on a refusal or when every attempt failed otherwise. */
const char *delete_fallbacks(const struct cvm_ref *t, char out[160]);

#endif
