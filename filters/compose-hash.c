/* compose-hash: the SHA-256 of the exact bytes of a compose file as deployed
 * (never re-serialised), checks of it against an expected hash or an event
 * log, and the rendering of the KMS compose template. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/eventlog.h"
#include "lib/sha.h"

static const char synopsis[] =
	"compose-hash [--check HEX] [--event-log FILE] < COMPOSE > HASH\n"
	"       compose-hash --render [--template FILE] [--image-ref REF] [--port N] [--kms-version V] [--profile P] > COMPOSE";

#define COMPOSE_CAP (16 * MP_MIB)

static void help(void)
{
	printf("usage: %s\n"
	       "Print the lower-case SHA-256 of the exact compose bytes read (Docker Compose YAML or dstack\n"
	       "app-compose.json; nothing is re-serialised), or render the KMS compose template.\n"
	       "\n"
	       "  --check HEX       exit 1 unless the hash equals HEX\n"
	       "  --event-log FILE  exit 1 unless the event log's compose-hash runtime event carries the hash\n"
	       "                    (any form rtmr-replay reads; its runtime digests are checked too)\n"
	       "  --render          render the template (stdin, or --template FILE) to stdout, replacing\n"
	       "                    __IMAGE_REF__, __SERVICE_PORT__, __MERO_KMS_VERSION__ and __MERO_KMS_PROFILE__\n"
	       "                    from the options below or the environment variables of the same names;\n"
	       "                    exit 1 with the reason when the result keeps a legacy env-policy field\n"
	       "                    (USE_ENV_POLICY, ALLOWED_TCB_STATUSES, ALLOWED_MRTD, ALLOWED_RTMR*), an image\n"
	       "                    not pinned by digest or tagged latest, a missing version or profile, or\n"
	       "                    an unrendered placeholder\n"
	       "  --template FILE   the template (default: stdin), e.g. policies/kms-compose.template.yaml\n"
	       "  --image-ref REF   IMAGE_REF: name@sha256:<64 hex>\n"
	       "  --port N          SERVICE_PORT: the host port (default 8080)\n"
	       "  --kms-version V   MERO_KMS_VERSION, e.g. 2.3.40\n"
	       "  --profile P       MERO_KMS_PROFILE: debug, debug-read-only or locked-read-only\n"
	       "  --help            this text\n"
	       "  --version         print the version\n"
	       "\n"
	       "stdin: a compose file (at most 16 MiB).  stdout: 64 hex digits and a newline (or the\n"
	       "rendered compose file).\n"
	       "exit: 0 ok, 1 mismatch or refused rendering, 2 usage, 65 malformed input or event log,\n"
	       "66 a file missing, 74 write error.\n",
	       synopsis);
}

static const char *const PROFILES[] = {"debug", "debug-read-only", "locked-read-only"};

/* ---- line helpers over the rendered text ---- */

struct line { const char *p; size_t n; size_t no; };

/* The next line of text (without its newline); 0 at the end. */
static int next_line(const char *text, size_t len, size_t *off, struct line *l)
{
	if (*off >= len)
		return 0;
	const char *s = text + *off, *nl = memchr(s, '\n', len - *off);
	l->p = s;
	l->n = nl ? (size_t)(nl - s) : len - *off;
	l->no++;
	*off += l->n + 1;
	return 1;
}

static int is_ident(int c) { return isalnum(c) || c == '_'; }

/* Skip indentation and a list dash; returns the start of the content. */
static size_t content_start(const struct line *l)
{
	size_t i = 0;
	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	if (i + 1 < l->n && l->p[i] == '-' && l->p[i + 1] == ' ') {
		i += 2;
		while (i < l->n && l->p[i] == ' ')
			i++;
	}
	return i;
}

static int is_comment(const struct line *l)
{
	size_t i = content_start(l);
	return i < l->n && l->p[i] == '#';
}

/* The value after "key:" or "key=" on this line (quotes, a trailing comment
 * and spaces removed) into out; 1 when the line sets key. */
static int line_value(const struct line *l, const char *key, char *out, size_t outlen)
{
	size_t i = content_start(l), kl = strlen(key);
	int q = 0;
	if (i < l->n && (l->p[i] == '"' || l->p[i] == '\''))
		q = l->p[i++];
	if (l->n - i < kl + 1 || memcmp(l->p + i, key, kl) != 0 || (l->p[i + kl] != ':' && l->p[i + kl] != '='))
		return 0;
	i += kl + 1;
	size_t e = l->n;
	for (size_t k = i; k < l->n; k++)
		if (l->p[k] == '#' && k > i && (l->p[k - 1] == ' ' || l->p[k - 1] == '\t')) {
			e = k;
			break;
		}
	while (i < e && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	while (e > i && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t' || l->p[e - 1] == '\r'))
		e--;
	if (q && e > i && l->p[e - 1] == q)
		e--;
	if (e > i && (l->p[i] == '"' || l->p[i] == '\'') && l->p[e - 1] == l->p[i] && e - i >= 2) {
		i++;
		e--;
	}
	size_t n = e - i < outlen - 1 ? e - i : outlen - 1;
	memcpy(out, l->p + i, n);
	out[n] = 0;
	return 1;
}

static int valid_digest_ref(const char *ref, const char **why)
{
	const char *at = strstr(ref, "@sha256:");
	size_t rl = strlen(ref);
	if (!at && rl > 7 && strcmp(ref + rl - 7, ":latest") == 0) {
		*why = "uses the mutable tag latest and no digest (name@sha256:<64 hex>)";
		return 0;
	}
	if (!at || strlen(at + 8) != 64) {
		*why = "is not pinned by digest (name@sha256:<64 hex>)";
		return 0;
	}
	for (const char *p = at + 8; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) {
			*why = "is not pinned by digest (name@sha256:<64 lower-case hex>)";
			return 0;
		}
	const char *slash = strrchr(ref, '/');
	const char *name = slash && slash < at ? slash + 1 : ref;
	const char *colon = memchr(name, ':', (size_t)(at - name));
	if (colon && (size_t)(at - colon - 1) == 6 && memcmp(colon + 1, "latest", 6) == 0) {
		*why = "uses the mutable tag latest";
		return 0;
	}
	for (const char *p = ref; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\'' || *p == '$') {
			*why = "contains a space, quote or $";
			return 0;
		}
	return 1;
}

/* Refusals of a rendered compose file: exit 1 naming the line. */
static void check_rendered(const char *text, size_t len)
{
	static const char *const legacy[] = {"USE_ENV_POLICY", "ALLOWED_TCB_STATUSES", "ALLOWED_MRTD", "ALLOWED_RTMR"};
	struct line l = {0};
	size_t off = 0, images = 0;
	int have_version = 0, have_profile = 0;
	char val[512];
	while (next_line(text, len, &off, &l)) {
		for (size_t i = 0; i + 4 < l.n; i++) {
			if (l.p[i] != '_' || l.p[i + 1] != '_' || !isupper((unsigned char)l.p[i + 2]))
				continue;
			size_t k = i + 2;
			while (k < l.n && (isupper((unsigned char)l.p[k]) || isdigit((unsigned char)l.p[k]) || l.p[k] == '_'))
				k++;
			if (k - i > 4 && l.p[k - 1] == '_' && l.p[k - 2] == '_')
				fail(EXIT_NO, "refused: line %zu keeps the placeholder %.*s", l.no, (int)(k - i), l.p + i);
		}
		if (is_comment(&l))
			continue;
		for (size_t j = 0; j < sizeof legacy / sizeof legacy[0]; j++) {
			size_t kl = strlen(legacy[j]);
			for (const char *p = l.p; (size_t)(l.p + l.n - p) >= kl; p++) {
				if (memcmp(p, legacy[j], kl) != 0 || (p > l.p && is_ident((unsigned char)p[-1])))
					continue;
				size_t rest = (size_t)(l.p + l.n - p) - kl;
				if (j < 3 && rest && is_ident((unsigned char)p[kl]))
					continue;
				fail(EXIT_NO, "refused: line %zu sets the legacy env-policy field %s%s (policy comes "
				     "from the release policy file, ADR-0002)", l.no, legacy[j], j == 3 ? "*" : "");
			}
		}
		if (line_value(&l, "image", val, sizeof val)) {
			const char *why;
			if (!valid_digest_ref(val, &why))
				fail(EXIT_NO, "refused: line %zu: image '%s' %s", l.no, val, why);
			images++;
		}
		if (line_value(&l, "MERO_KMS_VERSION", val, sizeof val)) {
			if (!*val || strchr(val, '$'))
				fail(EXIT_NO, "refused: line %zu: MERO_KMS_VERSION is %s", l.no, *val ? "interpolated at deploy time" : "empty");
			have_version = 1;
		}
		if (line_value(&l, "MERO_KMS_PROFILE", val, sizeof val)) {
			if (!*val || strchr(val, '$'))
				fail(EXIT_NO, "refused: line %zu: MERO_KMS_PROFILE is %s", l.no, *val ? "interpolated at deploy time" : "empty");
			have_profile = 1;
		}
	}
	if (!images)
		fail(EXIT_NO, "refused: the compose file names no image");
	if (!have_version)
		fail(EXIT_NO, "refused: the compose file does not set MERO_KMS_VERSION");
	if (!have_profile)
		fail(EXIT_NO, "refused: the compose file does not set MERO_KMS_PROFILE");
}

static const char *setting(const char *opt, const char *env)
{
	if (opt)
		return opt;
	const char *e = getenv(env);
	return e && *e ? e : NULL;
}

static void render(const char *tpath, const char *image, const char *port, const char *version, const char *profile)
{
	image = setting(image, "IMAGE_REF");
	port = setting(port, "SERVICE_PORT");
	version = setting(version, "MERO_KMS_VERSION");
	profile = setting(profile, "MERO_KMS_PROFILE");
	const char *why;
	if (!image)
		fail(EXIT_NO, "refused: no image reference (--image-ref or IMAGE_REF)");
	if (!valid_digest_ref(image, &why))
		fail(EXIT_NO, "refused: image reference '%s' %s", image, why);
	if (!port)
		port = "8080";
	long long pn = parse_uint(port, 65535);
	if (pn < 1)
		fail(EXIT_NO, "refused: service port '%s' is not a number from 1 to 65535", port);
	if (!version)
		fail(EXIT_NO, "refused: no KMS version (--kms-version or MERO_KMS_VERSION)");
	for (const char *p = version; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-+_", *p))
			fail(EXIT_NO, "refused: KMS version '%s' has a character other than letters, digits and .-+_", version);
	if (strlen(version) > 64)
		fail(EXIT_NO, "refused: KMS version is longer than 64 characters");
	if (!profile)
		fail(EXIT_NO, "refused: no profile (--profile or MERO_KMS_PROFILE)");
	int known = 0;
	for (size_t i = 0; i < 3; i++)
		known |= strcmp(profile, PROFILES[i]) == 0;
	if (!known)
		fail(EXIT_NO, "refused: unknown profile '%s' (debug, debug-read-only or locked-read-only)", profile);

	struct buf t, out;
	read_file_capped(tpath ? tpath : "-", COMPOSE_CAP, &t, 0);
	if (t.len == 0)
		fail(EXIT_DATAERR, "empty template");
	if (memchr(t.data, 0, t.len))
		fail(EXIT_DATAERR, "template is not text (it holds a NUL byte)");
	char portbuf[24];
	snprintf(portbuf, sizeof portbuf, "%lld", pn);
	const struct { const char *ph, *val; } subst[] = {
		{"__IMAGE_REF__", image}, {"__SERVICE_PORT__", portbuf},
		{"__MERO_KMS_VERSION__", version}, {"__MERO_KMS_PROFILE__", profile}};
	buf_init(&out);
	for (size_t i = 0; i < t.len;) {
		size_t k;
		for (k = 0; k < 4; k++) {
			size_t pl = strlen(subst[k].ph);
			if (t.len - i >= pl && memcmp(t.data + i, subst[k].ph, pl) == 0) {
				buf_add(&out, subst[k].val, strlen(subst[k].val));
				i += pl;
				break;
			}
		}
		if (k == 4)
			buf_addc(&out, t.data[i++]);
	}
	buf_free(&t);
	check_rendered((const char *)out.data, out.len);
	out_write(out.data, out.len);
	buf_free(&out);
}

/* exit 1 unless the log's compose-hash runtime events (IMR 3) carry md */
static void check_event_log(const char *path, const uint8_t md[32], const char *hex)
{
	struct buf b;
	struct eventlog log;
	char err[1024];
	el_init(&log);
	read_file_capped(path, COMPOSE_CAP, &b, 0);
	if (el_parse(b.data, b.len, &log, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse event log '%s': %s", path, err);
	buf_free(&b);
	int r = el_replay(&log, err, sizeof err);
	if (r)
		fail(r == EL_MISMATCH ? EXIT_NO : EXIT_DATAERR, "event log '%s': %s", path, err);
	size_t found = 0;
	for (size_t i = 0; i < log.n; i++) {
		const struct el_event *e = &log.ev[i];
		if (e->imr != 3 || !e->has_computed || strcmp(e->name, "compose-hash") != 0 || e->name_len != 12)
			continue;
		if (e->payload_len != 32 || memcmp(e->payload, md, 32) != 0) {
			char *got = hex_encode(e->payload, e->payload_len);
			fail(EXIT_NO, "event log '%s': compose-hash event %zu carries %s, not %s", path, i, got, hex);
		}
		found++;
	}
	el_free(&log);
	if (!found)
		fail(EXIT_NO, "event log '%s' has no compose-hash runtime event in IMR 3", path);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *check = NULL, *elog = NULL, *tpl = NULL, *image = NULL, *port = NULL, *ver = NULL, *prof = NULL;
	int do_render = 0;
	static const struct option opts[] = {
		{"check", required_argument, NULL, 'c'}, {"event-log", required_argument, NULL, 'e'},
		{"render", no_argument, NULL, 'R'}, {"template", required_argument, NULL, 't'},
		{"image-ref", required_argument, NULL, 'i'}, {"port", required_argument, NULL, 'p'},
		{"kms-version", required_argument, NULL, 'k'}, {"profile", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = optarg; break;
		case 'e': elog = optarg; break;
		case 'R': do_render = 1; break;
		case 't': tpl = optarg; break;
		case 'i': image = optarg; break;
		case 'p': port = optarg; break;
		case 'k': ver = optarg; break;
		case 'P': prof = optarg; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("compose-hash %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (do_render && (check || elog))
		usage_fail(synopsis, "--render does not combine with --check or --event-log");
	if (!do_render && (tpl || image || port || ver || prof))
		usage_fail(synopsis, "--template, --image-ref, --port, --kms-version and --profile need --render");
	uint8_t want[32];
	if (check && hex_decode_exact(check, want, 32))
		usage_fail(synopsis, "--check needs 64 hex digits, not '%s'", check);

	if (do_render) {
		render(tpl, image, port, ver, prof);
		close_stdout();
		return 0;
	}

	struct buf in;
	read_capped(stdin, COMPOSE_CAP, "compose file", &in);
	if (in.len == 0)
		fail(EXIT_DATAERR, "empty compose file");
	uint8_t md[32];
	char hex[65];
	sha256(in.data, in.len, md);
	buf_free(&in);
	hex_encode_to(md, 32, hex);
	if (check && memcmp(md, want, 32) != 0) {
		char *w = hex_encode(want, 32);
		fail(EXIT_NO, "compose hash %s differs from the expected %s", hex, w);
	}
	if (elog)
		check_event_log(elog, md, hex);
	out_write(hex, 64);
	out_write("\n", 1);
	close_stdout();
	return 0;
}
