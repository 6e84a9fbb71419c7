/* compose-render: render the KMS compose template with a digest-pinned image,
 * the KMS version, the profile and the service port, and refuse a result that
 * a release must not deploy (a mutable image, a legacy env-policy field, a
 * setting left to deploy-time interpolation, an unrendered placeholder). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "lib/profile.h"

enum { OPT_TEMPLATE = 't', OPT_IMAGE = 'i', OPT_PORT = 'p', OPT_VERSION = 'k', OPT_PROFILE = 'P' };

static const struct cli_opt options[] = {
	{"template", OPT_TEMPLATE, "FILE", "the template (default: stdin), e.g. policies/kms-compose.template.yaml", 0},
	{"image-ref", OPT_IMAGE, "REF", "__IMAGE_REF__ (else IMAGE_REF): name@sha256:<64 hex>", 0},
	{"port", OPT_PORT, "N", "__SERVICE_PORT__ (else SERVICE_PORT): the host port, default 8080", 0},
	{"kms-version", OPT_VERSION, "V", "__MERO_KMS_VERSION__ (else MERO_KMS_VERSION), e.g. 2.3.40", 0},
	{"profile", OPT_PROFILE, "P", "__MERO_KMS_PROFILE__ (else MERO_KMS_PROFILE): debug, debug-read-only\n"
				      "or locked-read-only", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "compose-render [--template FILE] [--image-ref REF] [--port N] [--kms-version V] [--profile P]\n"
		    "                      > COMPOSE",
	.about = "Render the KMS compose template, refusing mutable images, legacy env-policy fields,\n"
		 "missing or interpolated settings and unrendered placeholders.",
	.opts = options,
	.trailer = "environment: IMAGE_REF, SERVICE_PORT, MERO_KMS_VERSION, MERO_KMS_PROFILE, for the\n"
		   "options not given (options win).\n"
		   "stdin: the template unless --template (at most 16 MiB).  stdout: the rendered compose file,\n"
		   "written only when it passes every check.\n"
		   "exit: 0 ok, 1 refused (the reason on stderr), 2 usage, 65 template not text, 66 template\n"
		   "missing, 74 write error.",
};

#define TEMPLATE_CAP (16 * MP_MIB)

/* ---- line helpers over the rendered text ---- */

struct line {
	const char *p;
	size_t n, no;
};

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

/* ---- the checks ---- */

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

/* A __PLACEHOLDER__ left on the line: exit 1. */
static void check_placeholders(const struct line *l)
{
	for (size_t i = 0; i + 4 < l->n; i++) {
		if (l->p[i] != '_' || l->p[i + 1] != '_' || !isupper((unsigned char)l->p[i + 2]))
			continue;
		size_t k = i + 2;
		while (k < l->n && (isupper((unsigned char)l->p[k]) || isdigit((unsigned char)l->p[k]) || l->p[k] == '_'))
			k++;
		if (k - i > 4 && l->p[k - 1] == '_' && l->p[k - 2] == '_')
			fail(EXIT_NO, "refused: line %zu keeps the placeholder %.*s", l->no, (int)(k - i), l->p + i);
	}
}

/* A legacy env-policy field set on the line (ADR-0002): exit 1. */
static void check_legacy(const struct line *l)
{
	static const char *const legacy[] = {"USE_ENV_POLICY", "ALLOWED_TCB_STATUSES", "ALLOWED_MRTD", "ALLOWED_RTMR"};
	for (size_t j = 0; j < sizeof legacy / sizeof legacy[0]; j++) {
		size_t kl = strlen(legacy[j]);
		for (const char *p = l->p; (size_t)(l->p + l->n - p) >= kl; p++) {
			if (memcmp(p, legacy[j], kl) != 0 || (p > l->p && is_ident((unsigned char)p[-1])))
				continue;
			size_t rest = (size_t)(l->p + l->n - p) - kl;
			if (j < 3 && rest && is_ident((unsigned char)p[kl]))
				continue; /* ALLOWED_RTMR0..3 are all meant */
			fail(EXIT_NO, "refused: line %zu sets the legacy env-policy field %s%s (policy comes "
			     "from the release policy file, ADR-0002)", l->no, legacy[j], j == 3 ? "*" : "");
		}
	}
}

/* 1 when the line sets key, which must then be a literal value: exit 1 when
 * it is empty or left to deploy-time $ interpolation. */
static int check_setting(const struct line *l, const char *key)
{
	char val[512];
	if (!line_value(l, key, val, sizeof val))
		return 0;
	if (!*val || strchr(val, '$'))
		fail(EXIT_NO, "refused: line %zu: %s is %s", l->no, key, *val ? "interpolated at deploy time" : "empty");
	return 1;
}

/* Refusals of a rendered compose file: exit 1 naming the line. */
static void check_rendered(const char *text, size_t len)
{
	struct line l = {0};
	size_t off = 0, images = 0;
	int have_version = 0, have_profile = 0;
	char val[512];
	while (next_line(text, len, &off, &l)) {
		check_placeholders(&l);
		if (is_comment(&l))
			continue;
		check_legacy(&l);
		if (line_value(&l, "image", val, sizeof val)) {
			const char *why;
			if (!valid_digest_ref(val, &why))
				fail(EXIT_NO, "refused: line %zu: image '%s' %s", l.no, val, why);
			images++;
		}
		have_version |= check_setting(&l, "MERO_KMS_VERSION");
		have_profile |= check_setting(&l, "MERO_KMS_PROFILE");
	}
	if (!images)
		fail(EXIT_NO, "refused: the compose file names no image");
	if (!have_version)
		fail(EXIT_NO, "refused: the compose file does not set MERO_KMS_VERSION");
	if (!have_profile)
		fail(EXIT_NO, "refused: the compose file does not set MERO_KMS_PROFILE");
}

/* ---- the values ---- */

struct values {
	const char *template, *image, *port, *version, *profile;
	char portbuf[24];
};

static const char *setting(const char *opt, const char *env)
{
	if (opt)
		return opt;
	const char *e = getenv(env);
	return e && *e ? e : NULL;
}

/* Take the environment for what the options left open, and check each value:
 * exit 1 with the reason. */
static void check_values(struct values *v)
{
	v->image = setting(v->image, "IMAGE_REF");
	v->port = setting(v->port, "SERVICE_PORT");
	v->version = setting(v->version, "MERO_KMS_VERSION");
	v->profile = setting(v->profile, "MERO_KMS_PROFILE");
	const char *why;
	if (!v->image)
		fail(EXIT_NO, "refused: no image reference (--image-ref or IMAGE_REF)");
	if (!valid_digest_ref(v->image, &why))
		fail(EXIT_NO, "refused: image reference '%s' %s", v->image, why);
	long long pn = parse_uint(v->port ? v->port : "8080", 65535);
	if (pn < 1)
		fail(EXIT_NO, "refused: service port '%s' is not a number from 1 to 65535", v->port);
	snprintf(v->portbuf, sizeof v->portbuf, "%lld", pn);
	if (!v->version)
		fail(EXIT_NO, "refused: no KMS version (--kms-version or MERO_KMS_VERSION)");
	if (!kms_version_valid(v->version))
		fail(EXIT_NO, "refused: KMS version '%s' is not a version (X.Y.Z, optionally -pre or +build; a "
		     "mero-kms-v prefix is allowed)", v->version);
	if (!v->profile)
		fail(EXIT_NO, "refused: no profile (--profile or MERO_KMS_PROFILE)");
	const char *p = profile_lookup(v->profile);
	if (!p)
		fail(EXIT_NO, "refused: unknown profile '%s' (%s)", v->profile, profile_choices());
	v->profile = p;
}

/* The template with its four placeholders replaced, into out. */
static void substitute(const struct buf *t, const struct values *v, struct buf *out)
{
	const struct {
		const char *ph, *val;
	} subst[] = {{"__IMAGE_REF__", v->image},
		     {"__SERVICE_PORT__", v->portbuf},
		     {"__MERO_KMS_VERSION__", v->version},
		     {"__MERO_KMS_PROFILE__", v->profile}};
	size_t nsubst = sizeof subst / sizeof subst[0];
	buf_init(out);
	for (size_t i = 0; i < t->len;) {
		size_t k;
		for (k = 0; k < nsubst; k++) {
			size_t pl = strlen(subst[k].ph);
			if (t->len - i >= pl && memcmp(t->data + i, subst[k].ph, pl) == 0) {
				buf_add(out, subst[k].val, strlen(subst[k].val));
				i += pl;
				break;
			}
		}
		if (k == nsubst)
			buf_addc(out, t->data[i++]);
	}
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct values v = {0};
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_TEMPLATE: v.template = val; break;
		case OPT_IMAGE: v.image = val; break;
		case OPT_PORT: v.port = val; break;
		case OPT_VERSION: v.version = val; break;
		case OPT_PROFILE: v.profile = val; break;
		}
	}
	cli_free(&cl);
	check_values(&v);

	struct buf t, out;
	read_file_capped(v.template ? v.template : "-", TEMPLATE_CAP, &t, 0);
	if (t.len == 0)
		fail(EXIT_DATAERR, "empty template");
	if (memchr(t.data, 0, t.len))
		fail(EXIT_DATAERR, "template is not text (it holds a NUL byte)");
	substitute(&t, &v, &out);
	buf_free(&t);
	check_rendered((const char *)out.data, out.len);
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	return 0;
}
