/* kms-sim: a local staging KMS that behaves like mero-kms (/health, /attest,
 * the profile pinning of ADR-0001) and answers with real-format TDX quotes
 * signed by a SIMULATED PCK chain, plus matching collateral. Everything it
 * makes is simulated and verifies only against its own root (--root-ca). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "kmsreq.h"
#include "simca.h"

static const char synopsis[] =
	"kms-sim --listen 127.0.0.1:PORT --compose FILE --state DIR [--profile P] [--kms-version V]\n"
	"               [--image-digest D] [--tcb uptodate|outofdate] [--debug-td] [--bad-signature]\n"
	"               [--pid-file F] [--boot-seconds S]";

static const char *const PROFILES[] = {"debug", "debug-read-only", "locked-read-only"};
#define PIN_FILE "image-profile"
#define LOCK_FILE "kms-sim.lock"
#define DEFAULT_VERSION "2.3.40"

static void help(void)
{
	printf("usage: %s\n"
	       "Serve a SIMULATED mero-kms on loopback: GET /health, POST /attest with TDX quotes signed by a\n"
	       "simulated PCK chain; writes matching DCAP collateral. Trusted only with --root-ca DIR/root-ca.pem.\n"
	       "\n"
	       "  --listen ADDR:PORT  loopback address (127.0.0.0/8 or localhost); port 0 picks a free port\n"
	       "  --compose FILE      the compose file: its SHA-256 is the compose-hash runtime event\n"
	       "  --state DIR         keys, certificates, collateral.json, root-ca.pem/.der and the image's\n"
	       "                      pinned profile (DIR/image-profile); created when missing\n"
	       "  --profile P         debug, debug-read-only or locked-read-only; pinned into DIR/image-profile\n"
	       "                      when absent (the image build), else it must match the pin\n"
	       "  --kms-version V     reported by /health and measured (default %s; mero-kms-v prefix stripped)\n"
	       "  --image-digest D    the KMS image digest the compose file deploys (checked, reported)\n"
	       "  --tcb MODE          uptodate (default) or outofdate: the platform matches only an OutOfDate level\n"
	       "  --debug-td          set the DEBUG TD attribute\n"
	       "  --bad-signature     sign the quotes wrongly (the quote signature check fails)\n"
	       "  --pid-file F        write the process id to F while serving\n"
	       "  --boot-seconds S    answer /health with 503 {\"status\":\"starting\"} for the first S seconds,\n"
	       "                      as a CVM that is still booting (default 0)\n"
	       "  --help, --version\n"
	       "\n"
	       "environment: MERO_KMS_PROFILE (legacy KMS_POLICY_PROFILE) must agree with the pinned profile.\n"
	       "stdout: the URL (http://HOST:PORT) and a newline once connections are accepted; nothing else.\n"
	       "Serves until SIGTERM or SIGINT.\n"
	       "exit: 0 stopped by a signal, 2 usage, 65 compose file over 1 MiB, 66 compose file missing,\n"
	       "69 cannot listen (port in use), 70 internal error, 74 I/O error, 78 profile pinning refused\n"
	       "or bad state.\n",
	       synopsis, DEFAULT_VERSION);
}

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

/* The profile named by raw (trimmed, any case), or NULL; out gets the
 * lower-cased text (at most 31 characters) for messages. */
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
	if (n > 31)
		return NULL;
	for (size_t i = 0; i < sizeof PROFILES / sizeof PROFILES[0]; i++)
		if (strcmp(out, PROFILES[i]) == 0)
			return PROFILES[i];
	return NULL;
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

static void parse_listen(const char *arg, char host[64], struct sockaddr_in *sa)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || colon == arg || (size_t)(colon - arg) >= 64)
		usage_fail(synopsis, "--listen wants HOST:PORT, not '%s'", arg);
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = 0;
	long long port = parse_uint(colon + 1, 65535);
	if (port < 0)
		usage_fail(synopsis, "--listen: bad port '%s'", colon + 1);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	const char *addr = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1 || (ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		usage_fail(synopsis, "--listen: '%s' is not a loopback IPv4 address (127.0.0.0/8 or localhost)", host);
}

/* ---- ADR-0001: the image-pinned profile ---- */

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
	char *path = xmalloc(strlen(dir) + sizeof PIN_FILE + 2), buf[32];
	sprintf(path, "%s/%s", dir, PIN_FILE);
	const char *want = NULL, *pin;
	if (arg && !(want = known_profile(arg, buf)))
		usage_fail(synopsis, "unsupported profile '%s' (debug, debug-read-only or locked-read-only)", arg);
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
			usage_fail(synopsis, "--profile is required: '%s' does not exist yet", path);
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
			fail(EXIT_CONFIG, "%s '%s' is not a supported profile (debug, debug-read-only, locked-read-only)",
			     name, buf);
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
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((double)ts.tv_sec + ts.tv_nsec / 1e9 < srv->alive_at) {
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

/* ---- main ---- */

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

static void state_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		fail(EXIT_IOERR, "cannot create state folder '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fail(EXIT_CONFIG, "state folder '%s' is not a folder", dir);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *listen_arg = NULL, *compose = NULL, *dir = NULL, *profile_arg = NULL, *pid_file = NULL;
	const char *version = DEFAULT_VERSION, *digest = NULL;
	struct simtd_config cfg = {0};
	double boot_seconds = 0;
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'}, {"compose", required_argument, NULL, 'c'},
		{"state", required_argument, NULL, 's'}, {"profile", required_argument, NULL, 'p'},
		{"kms-version", required_argument, NULL, 'k'}, {"image-digest", required_argument, NULL, 'i'},
		{"tcb", required_argument, NULL, 't'}, {"debug-td", no_argument, NULL, 'd'},
		{"bad-signature", no_argument, NULL, 'b'}, {"pid-file", required_argument, NULL, 'P'},
		{"boot-seconds", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_arg = optarg; break;
		case 'c': compose = optarg; break;
		case 's': dir = optarg; break;
		case 'p': profile_arg = optarg; break;
		case 'k': version = optarg; break;
		case 'i': digest = optarg; break;
		case 't':
			if (strcmp(optarg, "uptodate") && strcmp(optarg, "outofdate"))
				usage_fail(synopsis, "--tcb is uptodate or outofdate, not '%s'", optarg);
			cfg.outofdate = strcmp(optarg, "outofdate") == 0;
			break;
		case 'd': cfg.debug = 1; break;
		case 'b': cfg.bad_signature = 1; break;
		case 'P': pid_file = optarg; break;
		case 'B': {
			char *end;
			boot_seconds = strtod(optarg, &end);
			if (!*optarg || *end || !(boot_seconds >= 0) || boot_seconds > 3600)
				usage_fail(synopsis, "--boot-seconds needs 0 to 3600 seconds, not '%s'", optarg);
			break;
		}
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("kms-sim %s\n", MP_VERSION); close_stdout(); return 0;
		default:
			if (optopt && strchr("lcspkitP", optopt))
				usage_fail(synopsis, "option '%s' needs a value", argv[optind - 1]);
			usage_fail(synopsis, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (!listen_arg || !compose || !dir)
		usage_fail(synopsis, "--listen, --compose and --state are required");
	if (strncmp(version, "mero-kms-v", 10) == 0)
		version += 10;
	if (!token_ok(version, "._+-", 64))
		usage_fail(synopsis, "--kms-version: '%s' is not a version (letters, digits, . _ + -)", version);
	if (digest && !token_ok(digest, "._/:@+-", 256))
		usage_fail(synopsis, "--image-digest: '%s' is not an image reference or digest", digest);
	char host[64];
	struct sockaddr_in sa;
	parse_listen(listen_arg, host, &sa);

	struct buf comp;
	read_file_capped(compose, MP_MIB, &comp, 0);
	if (digest) {
		const char *d = strstr(digest, "sha256:") ? strstr(digest, "sha256:") : digest;
		if (!memmem(comp.data, comp.len, d, strlen(d)))
			warnx("warning: the compose file '%s' does not mention the image digest '%s'", compose, d);
	}

	/* from here SIGTERM and SIGINT are taken by sigwait below (the server thread
	 * inherits the mask): one that arrives during startup stops the server
	 * cleanly as soon as it is up */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the state folder: pin, PKI and collateral under one lock */
	state_dir(dir);
	char *lock_path = xmalloc(strlen(dir) + sizeof LOCK_FILE + 2);
	sprintf(lock_path, "%s/%s", dir, LOCK_FILE);
	int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0)
		fail(EXIT_IOERR, "cannot lock '%s': %s", lock_path, strerror(errno));
	free(lock_path);
	const char *profile = pinned_profile(dir, profile_arg);
	int fd = listen_on(host, &sa);

	char err[512];
	struct simca ca;
	int collateral_written, r;
	long long now = now_epoch();
	if ((r = simca_open(&ca, dir, now, err, sizeof err)) ||
	    (r = simca_collateral(&ca, dir, now, &collateral_written, err, sizeof err)))
		fail(r, "%s", err);
	close(lock);

	struct server srv;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	srv.alive_at = (double)t0.tv_sec + t0.tv_nsec / 1e9 + boot_seconds;
	cfg.profile = profile;
	cfg.version = version;
	cfg.compose = comp.data;
	cfg.compose_len = comp.len;
	if ((r = simtd_init(&srv.td, &ca, &cfg, err, sizeof err)))
		fail(r, "%s", err);
	simca_close(&ca);
	buf_free(&comp);
	jv h = jv_object();
	h = jv_object_set(h, jv_string("status"), jv_string("alive"));
	h = jv_object_set(h, jv_string("service"), jv_string("mero-kms-phala"));
	h = jv_object_set(h, jv_string("version"), jv_string(version));
	h = jv_object_set(h, jv_string("profile"), jv_string(profile));
	jv hs = jv_dump_string(h, 0);
	srv.health = xstrdup(jv_string_value(hs));
	jv_free(hs);
	srv.vm_config_js = string_literal(srv.td.vm_config);

	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, on_request, &srv, MHD_OPTION_LISTEN_SOCKET,
		fd, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_END);
	if (!d)
		fail(EXIT_SOFTWARE, "cannot start the HTTP server on %s:%u", host, ntohs(sa.sin_port));
	if (pid_file) {
		char p[32];
		snprintf(p, sizeof p, "%ld\n", (long)getpid());
		write_file(pid_file, p, strlen(p), 0644);
	}
	printf("http://%s:%u\n", host, ntohs(sa.sin_port));
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		MHD_stop_daemon(d);
		if (pid_file)
			unlink(pid_file);
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(e));
	}
	/* stdout is done: let a reader of the pipe see its end */
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	warnx("SIMULATED mero-kms-phala %s, profile %s, tcb %s%s%s, on http://%s:%u (collateral %s; trust only with "
	      "--root-ca %s/root-ca.pem)",
	      version, profile, cfg.outofdate ? "outofdate" : "uptodate", cfg.debug ? ", debug TD" : "",
	      cfg.bad_signature ? ", bad signatures" : "", host, ntohs(sa.sin_port),
	      collateral_written ? "written" : "kept", dir);

	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	if (pid_file)
		unlink(pid_file);
	warnx("stopped by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	simtd_free(&srv.td);
	free(srv.health);
	free(srv.vm_config_js);
	fclose(stdout);
	return 0;
}
