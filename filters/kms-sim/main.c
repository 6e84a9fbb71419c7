/* kms-sim: a local staging KMS that behaves like mero-kms (/health, /attest,
 * the profile pinning of ADR-0001) and answers with real-format TDX quotes
 * signed by a SIMULATED PCK chain, plus matching collateral. Everything it
 * makes is simulated and verifies only against its own root (--root-ca). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "lib/profile.h"
#include "kmsreq.h"
#include "policy.h"
#include "simca.h"

enum {
	OPT_LISTEN = 'l', OPT_COMPOSE = 'c', OPT_STATE = 's', OPT_PROFILE = 'p', OPT_VERSION = 'k',
	OPT_DIGEST = 'i', OPT_TCB = 't', OPT_DEBUG_TD = 'd', OPT_BAD_SIG = 'b', OPT_PID_FILE = 'P',
	OPT_BOOT = 'B', OPT_POLICY = 'Y', OPT_POLICY_URL = 'U', OPT_APP_COMPOSE = 'A'
};

#define DEFAULT_VERSION "2.3.40"
#define PIN_FILE "image-profile"
#define LOCK_FILE "kms-sim.lock"

static const struct cli_opt options[] = {
	{"listen", OPT_LISTEN, "ADDRESS", "HOST:PORT, a loopback address (127.0.0.0/8 or localhost); port 0\n"
					 "picks a free port", 0},
	{"compose", OPT_COMPOSE, "FILE", "the compose file: its SHA-256 is the compose-hash runtime event", 0},
	{"state", OPT_STATE, "DIR", "keys, certificates, collateral.json, root-ca.pem/.der and the image's\n"
				    "pinned profile (DIR/image-profile); created when missing", 0},
	{"profile", OPT_PROFILE, "P", "debug, debug-read-only or locked-read-only; pinned into\n"
				      "DIR/image-profile when absent (the image build), else it must match", 0},
	{"kms-version", OPT_VERSION, "V", "reported by /health and measured (default " DEFAULT_VERSION ";\n"
					  "a mero-kms-v prefix is stripped)", 0},
	{"image-digest", OPT_DIGEST, "D", "the KMS image digest the compose file deploys (checked, reported)", 0},
	{"tcb", OPT_TCB, "MODE", "uptodate (default) or outofdate: the platform matches only an\n"
				 "OutOfDate level", 0},
	{"debug-td", OPT_DEBUG_TD, NULL, "set the DEBUG TD attribute", 0},
	{"bad-signature", OPT_BAD_SIG, NULL, "sign the quotes wrongly (the quote signature check fails)", 0},
	{"pid-file", OPT_PID_FILE, "FILE", "write the process id to FILE while serving", 0},
	{"boot-seconds", OPT_BOOT, "S", "answer /health with 503 {\"status\":\"starting\"} for the first S\n"
					"seconds (0 to 3600, default 0), as a CVM that is still booting", 0},
	{"policy", OPT_POLICY, "FILE", "load this policy file as mero-kms loads its release policy; a policy\n"
				      "mero-kms would not load refuses the start", 0},
	{"policy-url", OPT_POLICY_URL, "BASE", "fetch BASE/kms-phala-attestation-policy.PROFILE.json, then the legacy\n"
					      "BASE/kms-phala-attestation-policy.json, as mero-kms (a failed fetch: degraded)", 0},
	{"app-compose", OPT_APP_COMPOSE, "FILE", "the dstack app-compose JSON around the compose file (as Phala\n"
						 "Cloud builds it): its SHA-256 is the compose-hash event instead", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "kms-sim --listen 127.0.0.1:PORT --compose FILE --state DIR [--profile P] [--kms-version V]\n"
		    "               [--image-digest D] [--tcb uptodate|outofdate] [--debug-td] [--bad-signature]\n"
		    "               [--pid-file FILE] [--boot-seconds S] [--app-compose FILE]\n"
		    "               [--policy FILE | --policy-url BASE]",
	.about = "Serve a SIMULATED mero-kms on loopback: GET /health, POST /attest with TDX quotes signed by a\n"
		 "simulated PCK chain; writes matching DCAP collateral. Trusted only with --root-ca DIR/root-ca.pem.",
	.opts = options,
	.trailer = "environment: MERO_KMS_PROFILE (legacy KMS_POLICY_PROFILE) must agree with the pinned profile;\n"
		   "MERO_KMS_POLICY_SHA256 pins the policy file's bytes.\n"
		   "stdout: the URL (http://HOST:PORT) and a newline once connections are accepted; nothing else.\n"
		   "Serves until SIGTERM, SIGINT or SIGHUP (then exit 0, the pid file removed).\n"
		   "exit: 0 stopped by a signal, 2 usage, 65 compose file over 1 MiB (or --policy FILE over 16 MiB,\n"
		   "not JSON), 66 compose or policy file missing, 69 cannot listen (port in use), 70 internal error,\n"
		   "74 I/O error, 78 profile pinning refused, bad state, or the policy refused (an empty allowlist).",
};

/* What the command line asks for. */
struct config {
	const char *listen, *compose, *dir, *profile, *pid_file, *version, *digest, *app_compose;
	double boot_seconds;
	struct simtd_config td;
	struct kmspol policy;
	char host[64];
	struct sockaddr_in sa;
};

struct server {
	struct simtd td;
	double alive_at;    /* monotonic time from which /health says alive */
	char *health;       /* the /health body */
	char *vm_config_js; /* vmConfig as a JSON string literal */
};

struct request {
	struct buf body;
	size_t received;
};

/* ---- options ---- */

/* The profile named by raw (trimmed, any case: as mero-kms reads it), or
 * NULL; out gets the lower-cased text (at most 31 characters) for messages. */
static const char *known_profile(const char *raw, char out[32])
{
	const char *a = raw, *e = raw + strlen(raw);
	while (a < e && isspace((unsigned char)*a))
		a++;
	while (e > a && isspace((unsigned char)e[-1]))
		e--;
	size_t n = (size_t)(e - a), k;
	for (k = 0; k < n && k < 31; k++)
		out[k] = (char)tolower((unsigned char)a[k]);
	out[k] = 0;
	return n > 31 ? NULL : profile_lookup(out);
}

static int token_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

static void parse_listen(const struct cli *cl, struct config *c)
{
	const char *arg = c->listen, *colon = strrchr(arg, ':');
	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof c->host)
		cli_usage(cl, "--listen wants HOST:PORT, not '%s'", arg);
	memcpy(c->host, arg, (size_t)(colon - arg));
	c->host[colon - arg] = 0;
	long long port = parse_uint(colon + 1, 65535);
	if (port < 0)
		cli_usage(cl, "--listen: bad port '%s'", colon + 1);
	memset(&c->sa, 0, sizeof c->sa);
	c->sa.sin_family = AF_INET;
	c->sa.sin_port = htons((uint16_t)port);
	const char *addr = strcmp(c->host, "localhost") == 0 ? "127.0.0.1" : c->host;
	if (inet_pton(AF_INET, addr, &c->sa.sin_addr) != 1 || (ntohl(c->sa.sin_addr.s_addr) >> 24) != 127)
		cli_usage(cl, "--listen: '%s' is not a loopback IPv4 address (127.0.0.0/8 or localhost)", c->host);
}

static void take_option(const struct cli *cl, struct config *c, int id, const char *val)
{
	switch (id) {
	case OPT_LISTEN: c->listen = val; break;
	case OPT_COMPOSE: c->compose = val; break;
	case OPT_STATE: c->dir = val; break;
	case OPT_PROFILE: c->profile = val; break;
	case OPT_VERSION: c->version = val; break;
	case OPT_DIGEST: c->digest = val; break;
	case OPT_TCB:
		if (strcmp(val, "uptodate") && strcmp(val, "outofdate"))
			cli_usage(cl, "--tcb is uptodate or outofdate, not '%s'", val);
		c->td.outofdate = strcmp(val, "outofdate") == 0;
		break;
	case OPT_DEBUG_TD: c->td.debug = 1; break;
	case OPT_BAD_SIG: c->td.bad_signature = 1; break;
	case OPT_PID_FILE: c->pid_file = val; break;
	case OPT_POLICY: c->policy.file = val; break;
	case OPT_POLICY_URL: c->policy.base = val; break;
	case OPT_APP_COMPOSE: c->app_compose = val; break;
	case OPT_BOOT:
		if ((c->boot_seconds = parse_seconds(val, 0, 3600)) < 0)
			cli_usage(cl, "--boot-seconds needs 0 to 3600 seconds, not '%s'", val);
		break;
	}
}

/* The command line: every value checked, nothing touched yet. */
static void parse_options(struct config *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	c->version = DEFAULT_VERSION;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int id; (id = cli_next(&cl, &val));)
		take_option(&cl, c, id, val);
	if (!c->listen || !c->compose || !c->dir)
		cli_usage(&cl, "--listen, --compose and --state are required");
	if (!kms_version_valid(c->version))
		cli_usage(&cl, "--kms-version: '%s' is not a version (X.Y.Z, optionally -pre or +build)", c->version);
	c->version = kms_version_bare(c->version);
	if (c->digest && !token_ok(c->digest, "._/:@+-", 256))
		cli_usage(&cl, "--image-digest: '%s' is not an image reference or digest", c->digest);
	parse_listen(&cl, c);
	char msg[512];
	if (kmspol_usage(&c->policy, msg, sizeof msg))
		cli_usage(&cl, "%s", msg);
	cli_free(&cl);
}

/* ---- ADR-0001: the image-pinned profile ---- */

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static const char *env_override(const char **name)
{
	const char *modern = getenv("MERO_KMS_PROFILE"), *legacy = getenv("KMS_POLICY_PROFILE");
	if (modern && legacy) {
		char a[32], b[32];
		known_profile(modern, a);
		known_profile(legacy, b);
		if (strcmp(a, b) != 0)
			fail(EXIT_CONFIG, "MERO_KMS_PROFILE and legacy KMS_POLICY_PROFILE disagree; set only MERO_KMS_PROFILE");
	}
	*name = modern ? "MERO_KMS_PROFILE" : "KMS_POLICY_PROFILE";
	return modern ? modern : legacy;
}

/* The effective profile: the pin in DIR/image-profile (written from
 * --profile when absent), which --profile and the environment must match. */
static const char *pinned_profile(const char *dir, const char *arg)
{
	char *path = path_in(dir, PIN_FILE), buf[32];
	const char *want = NULL, *pin;
	if (arg && !(want = known_profile(arg, buf)))
		usage_fail(spec.synopsis, "unsupported profile '%s' (%s)", arg, profile_choices());
	struct buf b;
	if (read_file_capped(path, 4096, &b, RF_SOFT) == 0) {
		/* trimmed content, as mero-kms reads /etc/mero-kms/image-profile */
		size_t a = 0, e = b.len;
		while (a < e && isspace(b.data[a]))
			a++;
		while (e > a && isspace(b.data[e - 1]))
			e--;
		char t[64];
		int binary = memchr(b.data, 0, b.len) != NULL;
		snprintf(t, sizeof t, "%.*s", (int)(e - a < 48 ? e - a : 48), (const char *)b.data + a);
		buf_free(&b);
		if (e == a)
			fail(EXIT_CONFIG, "pinned image profile '%s' is empty; refusing to start", path);
		pin = binary || e - a > 31 ? NULL : known_profile(t, buf);
		if (!pin)
			fail(EXIT_CONFIG, "pinned image profile '%s' holds an unsupported profile '%s'; refusing to start",
			     path, binary ? "(binary data)" : t);
	} else if (errno == ENOENT) {
		if (!want)
			usage_fail(spec.synopsis, "--profile is required: '%s' does not exist yet", path);
		char text[40];
		snprintf(text, sizeof text, "%s\n", want);
		write_file(path, text, strlen(text), 0644); /* the image build */
		pin = want;
	} else {
		fail(EXIT_CONFIG, "cannot read pinned image profile '%s': %s", path, strerror(errno));
	}
	if (want && want != pin)
		fail(EXIT_CONFIG,
		     "--profile '%s' does not match profile-pinned image value '%s' in '%s'; use a separate state "
		     "folder (image) per profile",
		     want, pin, path);
	const char *name, *env = env_override(&name);
	if (env) {
		const char *o = known_profile(env, buf);
		if (!*buf)
			fail(EXIT_CONFIG, "%s is set but empty: KMS policy profile cannot be empty; refusing to start", name);
		if (!o)
			fail(EXIT_CONFIG, "%s '%s' is not a supported profile (%s)", name, buf, profile_choices());
		if (o != pin)
			fail(EXIT_CONFIG,
			     "%s '%s' does not match profile-pinned image value '%s'; build/deploy the matching KMS "
			     "image profile instead",
			     name, o, pin);
	}
	free(path);
	return pin;
}

/* ---- HTTP ---- */

/* the status of the response being sent (one server thread), for the log line */
static unsigned last_status;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *body,
			     size_t len, const char *allow)
{
	last_status = status;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return reply(c, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

/* s as a JSON string literal, in a new string */
static char *string_literal(const char *s)
{
	struct buf b;
	buf_init(&b);
	json_string_literal(&b, s, strlen(s));
	return (char *)b.data;
}

static enum MHD_Result attest(struct server *srv, struct MHD_Connection *c, struct request *rq)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!kmsreq_json_content_type(ct))
		return text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Expected request with `Content-Type: application/json`");
	if (rq->received > KMSREQ_BODY_LIMIT)
		return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "Failed to buffer the request body: length limit exceeded");
	struct kmsreq req;
	char msg[1024];
	switch (kmsreq_parse(rq->body.data, rq->body.len, &req, msg, sizeof msg)) {
	case KMSREQ_SYNTAX:
		return text(c, MHD_HTTP_BAD_REQUEST, msg);
	case KMSREQ_DATA:
		return text(c, MHD_HTTP_UNPROCESSABLE_CONTENT, msg);
	case KMSREQ_INVALID: {
		char *d = string_literal(msg);
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "{\"error\":\"invalid_attestation_request\",\"details\":%s}", d);
		free(d);
		enum MHD_Result r = reply(c, MHD_HTTP_BAD_REQUEST, "application/json", (char *)b.data, b.len, NULL);
		buf_free(&b);
		return r;
	}
	case KMSREQ_OK:
		break;
	}
	uint8_t rd[64], *quote;
	size_t qlen;
	memcpy(rd, req.nonce, 32);
	memcpy(rd + 32, req.binding, 32);
	if (simtd_quote(&srv->td, rd, &quote, &qlen)) {
		static const char e[] = "{\"error\":\"attestation_verification_failed\",\"details\":\"simulated quote signing failed\"}";
		return reply(c, MHD_HTTP_UNAUTHORIZED, "application/json", e, sizeof e - 1, NULL);
	}
	char *q64 = b64_encode(quote, qlen), rdh[129];
	free(quote);
	hex_encode_to(rd, 64, rdh);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "{\"quoteB64\":\"%s\",\"reportDataHex\":\"%s\",\"eventLog\":%s,\"vmConfig\":%s}", q64, rdh,
		   srv->td.event_log, srv->vm_config_js);
	free(q64);
	enum MHD_Result r = reply(c, MHD_HTTP_OK, "application/json", (char *)b.data, b.len, NULL);
	buf_free(&b);
	return r;
}

static enum MHD_Result route(struct server *srv, struct MHD_Connection *c, const char *url, const char *method,
			     struct request *rq)
{
	if (strcmp(url, "/health") == 0) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, "GET,HEAD");
		if (mono_now() < srv->alive_at) {
			static const char starting[] = "{\"status\":\"starting\",\"service\":\"mero-kms-phala\"}";
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", starting, sizeof starting - 1, NULL);
		}
		return reply(c, MHD_HTTP_OK, "application/json", srv->health, strlen(srv->health), NULL);
	}
	if (strcmp(url, "/attest") == 0) {
		if (strcmp(method, "POST"))
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, "", 0, "POST");
		return attest(srv, c, rq);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, NULL, "", 0, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)version;
	struct request *rq = *state;
	if (!rq) {
		rq = xcalloc(1, sizeof *rq);
		buf_init(&rq->body);
		*state = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		/* keep what the 64 KiB limit allows, read (and drop) the rest */
		if (rq->received + *upload_size <= KMSREQ_BODY_LIMIT)
			buf_add(&rq->body, upload, *upload_size);
		rq->received += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	enum MHD_Result r = route(cls, c, url, method, rq);
	warnx("%s %s %u", method, url, last_status);
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct request *rq = *state;
	if (rq) {
		buf_free(&rq->body);
		free(rq);
		*state = NULL;
	}
}

/* ---- the steps of main ---- */

static int listen_on(const char *host, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		fail(EXIT_UNAVAILABLE, "cannot create a socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 || listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		fail(EXIT_UNAVAILABLE, "cannot listen on %s:%u: %s", host, ntohs(sa->sin_port), strerror(e));
	}
	socklen_t len = sizeof *sa;
	getsockname(fd, (struct sockaddr *)sa, &len);
	return fd;
}

/* The state folder, created when missing, and its lock held (a link planted
 * at the lock's name is removed, never followed). Returns the lock's fd. */
static int lock_state(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		fail(EXIT_IOERR, "cannot create state folder '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fail(EXIT_CONFIG, "state folder '%s' is not a folder", dir);
	char *path = path_in(dir, LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP && unlink(path) == 0)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0)
		fail(EXIT_IOERR, "cannot lock '%s': %s", path, strerror(errno));
	free(path);
	return fd;
}

/* Under the state lock: the pinned profile, the listening socket (*fd), the
 * PKI and the collateral; the simulated TD made from them. Returns whether
 * the collateral was written. */
static int prepare_state(struct config *c, const struct buf *compose, struct server *srv, int *fd)
{
	int lock = lock_state(c->dir);
	c->td.profile = pinned_profile(c->dir, c->profile);
	*fd = listen_on(c->host, &c->sa);
	char err[512];
	struct simca ca;
	int written, r;
	long long now = now_epoch();
	if ((r = simca_open(&ca, c->dir, now, err, sizeof err)) ||
	    (r = simca_collateral(&ca, c->dir, now, &written, err, sizeof err)))
		fail(r, "%s", err);
	close(lock);
	c->td.version = c->version;
	c->td.compose = compose->data;
	c->td.compose_len = compose->len;
	if ((r = simtd_init(&srv->td, &ca, &c->td, err, sizeof err)))
		fail(r, "%s", err);
	simca_close(&ca);
	return written;
}

static void server_texts(struct server *srv, const struct config *c)
{
	jv h = jv_object();
	h = jv_object_set(h, jv_string("status"), jv_string("alive"));
	h = jv_object_set(h, jv_string("service"), jv_string("mero-kms-phala"));
	h = jv_object_set(h, jv_string("version"), jv_string(c->version));
	h = jv_object_set(h, jv_string("profile"), jv_string(c->td.profile));
	h = jv_object_set(h, jv_string("policy"), kmspol_health(&c->policy));
	jv hs = jv_dump_string(h, 0);
	srv->health = xstrdup(jv_string_value(hs));
	jv_free(hs);
	srv->vm_config_js = string_literal(srv->td.vm_config);
	srv->alive_at = mono_now() + c->boot_seconds;
}

/* Tell the world: the pid file, then the URL on stdout, which is closed (a
 * reader of the pipe sees its end). */
static void announce(struct MHD_Daemon *d, const struct config *c)
{
	if (c->pid_file) {
		char p[32];
		snprintf(p, sizeof p, "%ld\n", (long)getpid());
		write_file(c->pid_file, p, strlen(p), 0644);
	}
	printf("http://%s:%u\n", c->host, ntohs(c->sa.sin_port));
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		MHD_stop_daemon(d);
		if (c->pid_file)
			unlink(c->pid_file);
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(e));
	}
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM";
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct config c;
	parse_options(&c, argc, argv);
	struct buf comp;
	read_file_capped(c.compose, MP_MIB, &comp, 0);
	kmspol_prepare(&c.policy);
	if (c.digest) {
		const char *d = strstr(c.digest, "sha256:") ? strstr(c.digest, "sha256:") : c.digest;
		if (!memmem(comp.data, comp.len, d, strlen(d)))
			warnx("warning: the compose file '%s' does not mention the image digest '%s'", c.compose, d);
	}
	if (c.app_compose) { /* dstack measures the app-compose JSON, not the YAML */
		buf_free(&comp);
		read_file_capped(c.app_compose, MP_MIB, &comp, 0);
	}

	/* from here SIGTERM, SIGINT and SIGHUP are taken by sigwait below (the
	 * server thread inherits the mask): one that arrives during startup stops
	 * the server cleanly as soon as it is up. A server ignores SIGPIPE: a
	 * client that goes away is no reason to stop. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct server srv;
	int fd;
	int written = prepare_state(&c, &comp, &srv, &fd);
	buf_free(&comp);
	kmspol_load(&c.policy, c.version, c.td.profile);
	server_texts(&srv, &c);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, on_request, &srv, MHD_OPTION_LISTEN_SOCKET,
		fd, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_END);
	if (!d)
		fail(EXIT_SOFTWARE, "cannot start the HTTP server on %s:%u", c.host, ntohs(c.sa.sin_port));
	announce(d, &c);
	warnx("SIMULATED mero-kms-phala %s, profile %s, tcb %s%s%s, on http://%s:%u (collateral %s; trust only with "
	      "--root-ca %s/root-ca.pem)",
	      c.version, c.td.profile, c.td.outofdate ? "outofdate" : "uptodate", c.td.debug ? ", debug TD" : "",
	      c.td.bad_signature ? ", bad signatures" : "", c.host, ntohs(c.sa.sin_port), written ? "written" : "kept",
	      c.dir);

	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	if (c.pid_file)
		unlink(c.pid_file);
	warnx("stopped by %s", signal_name(sig));
	simtd_free(&srv.td);
	free(srv.health);
	free(srv.vm_config_js);
	kmspol_free(&c.policy);
	fclose(stdout);
	return 0;
}
