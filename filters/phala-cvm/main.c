/* phala-cvm: a staging CVM on Phala Cloud through its REST API: deploy a
 * compose file (two-phase provision and commit, as upstream's
 * provision_prod.py), wait for it to run, show its status, service URL and
 * attestation, delete it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/profile.h"
#include "phala.h"

#define DEFAULT_SUFFIX "dstack-pha-prod5.phala.network"
#define COMPOSE_CAP MP_MIB

#define ENV                                                                                  \
	"environment: PHALA_CLOUD_API_KEY (required; sent as X-API-Key, never printed),\n"   \
	"PHALA_API_BASE_URL (or PHALA_CLOUD_API_PREFIX; default " PHALA_BASE_DEFAULT "),\n" \
	"PHALA_API_VERSION (sent as X-Phala-Version; default " PHALA_VERSION_DEFAULT ").\n"
#define EXITS                                                                                                   \
	"exit: 0 ok, 2 usage, 65 malformed input, 66 missing input, 69 no such CVM or refused (404, 409),\n" \
	"74 write error, 75 timeout or 429/5xx after the retries, 76 impossible answer,\n"                  \
	"77 the API refused the key (401/403), 78 missing key or bad PHALA_* setting.\n"

enum {
	O_NAME = 1, O_PROFILE, O_KMS_VERSION, O_COMPOSE, O_INSTANCE_TYPE, O_REGION, O_REUSE, O_REPLACE_TIMEOUT,
	O_CVM, O_ID, O_UNTIL, O_TIMEOUT, O_EXPECT_HASH, O_PORT, O_SUFFIX, O_FORCE, O_WAIT, O_VERBOSE
};

#define TARGET_OPTS                                                                                      \
	{"cvm", O_CVM, "FILE", "the CVM JSON deploy printed ('-': stdin, the default)", 0},              \
	{"id", O_ID, "ID", "the CVM by id, app_<app id>, app id or vm uuid", 0},                          \
	{"name", O_NAME, "NAME", "the CVM by name", 0},                                                  \
	{"verbose", O_VERBOSE, NULL, "one stderr line per retried request; for wait and delete, one\n" \
				     "saying what became of the CVM", 0}

/* What a command other than deploy acts on, and its own options. */
struct target_args {
	const char *file, *id, *name;
	int verbose, given;
};

/* Record a target option; 1 when opt was one. */
static int target_opt(struct cli *cl, struct target_args *a, int opt, const char *val)
{
	switch (opt) {
	case O_CVM: a->file = val; break;
	case O_ID: a->id = val; break;
	case O_NAME: a->name = val; break;
	case O_VERBOSE: a->verbose = 1; return 1;
	default: return 0;
	}
	if (a->given++)
		cli_usage(cl, "--cvm, --id and --name exclude each other");
	return 1;
}

/* The CVM of the target options (reading its JSON), then the API's settings
 * (unless api is 0: a reused CVM's teardown needs no key). */
static void target_ref(struct target_args *a, struct cvm_ref *t, int api)
{
	cvm_ref_from(t, a->file ? a->file : a->id || a->name ? NULL : "-", a->id, a->name);
	if (api)
		api_init(a->verbose);
}

static double seconds_opt(struct cli *cl, const char *opt, const char *val, double min)
{
	double v = parse_seconds(val, min, 7 * 86400);
	if (v < 0)
		cli_usage(cl, "--%s needs seconds from %g to 604800, not '%s'", opt, min, val);
	return v;
}

static void emit(jv v)
{
	json_emit(v);
	close_stdout();
}

/* GET /cvms/{the target} (or a sub-resource); exits on any failure. */
static jv get_cvm(const struct cvm_ref *t, const char *sub)
{
	char id[160], path[220];
	snprintf(path, sizeof path, "/cvms/%s%s", cvm_ref_path(t, id), sub);
	return api_json(HTTP_GET, path, jv_invalid(), API_TIMEOUT);
}

/* ---- deploy ---- */

struct deploy_args {
	const char *name, *profile, *version, *compose, *instance_type, *region, *reuse;
	double replace_timeout;
	int verbose;
	char default_name[160];
};

static int name_valid(const char *s) { return cvm_ident_ok(s, 3, 100); }

static const struct cli_opt deploy_opts[] = {
	{"name", O_NAME, "NAME", "the CVM's name, [a-zA-Z0-9._-]{3,100} (default with --profile and\n"
				 "--kms-version: mero-kms-PROFILE-VERSION, dots as dashes)", 0},
	{"profile", O_PROFILE, "PROFILE", "the KMS profile, for the default name", 0},
	{"kms-version", O_KMS_VERSION, "VERSION", "the KMS version, for the default name", 0},
	{"compose", O_COMPOSE, "FILE", "the rendered docker-compose YAML to deploy (at most 1 MiB)", 0},
	{"instance-type", O_INSTANCE_TYPE, "TYPE", "the instance type (default tdx.small)", 0},
	{"region", O_REGION, "REGION", "the region (default: the API's choice)", 0},
	{"reuse", O_REUSE, "ID", "deploy nothing: describe CVM ID, marked reused (delete keeps it)", 0},
	{"replace-timeout", O_REPLACE_TIMEOUT, "S", "bound on the removal of an existing CVM of the same\n"
						    "name (default 300)", 0},
	{"verbose", O_VERBOSE, NULL, "one stderr line per retried request, and one saying what became\n"
					"of the CVM", 0},
	{0}};

static const struct cli_spec deploy_spec = {
	.synopsis = "phala-cvm deploy (--name NAME | --profile P --kms-version V) --compose FILE\n"
		    "                        [--instance-type T] [--region R] [--replace-timeout S] > CVM_JSON\n"
		    "       phala-cvm deploy --reuse ID > CVM_JSON",
	.about = "Deploy a compose file on a new CVM (POST /cvms/provision, then POST /cvms), replacing a CVM of\n"
		 "the same name, and print the CVM JSON.",
	.opts = deploy_opts,
	.trailer = "stdin: nothing.  stdout: the CVM JSON: app_id, compose_hash (the API's: that of the\n"
		   "app-compose JSON around the YAML), endpoints, gateway_base_domain, id, name, reused,\n"
		   "status, vm_uuid. On a terminal or with --verbose, one stderr line: the CVM deployed.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static void deploy_name(struct cli *cl, struct deploy_args *d)
{
	if (d->name && (d->profile || d->version))
		cli_usage(cl, "--name excludes --profile and --kms-version");
	if (!d->name) {
		if (!d->profile || !d->version)
			cli_usage(cl, "deploy needs --name, or --profile and --kms-version (or --reuse ID)");
		const char *p = profile_lookup(d->profile);
		if (!p)
			cli_usage(cl, "--profile must be %s, not '%s'", profile_choices(), d->profile);
		if (!kms_version_valid(d->version))
			cli_usage(cl, "--kms-version '%s' is not a version (X.Y.Z)", d->version);
		int n = snprintf(d->default_name, sizeof d->default_name, "mero-kms-%s-%s", p,
				 kms_version_bare(d->version));
		for (int i = 0; i < n && i < (int)sizeof d->default_name; i++)
			if (d->default_name[i] == '.')
				d->default_name[i] = '-';
		d->name = d->default_name;
	}
	if (!name_valid(d->name))
		cli_usage(cl, "the CVM name '%s' does not match ^[a-zA-Z0-9._-]{3,100}$", d->name);
}

static void deploy_parse(struct deploy_args *d, int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &deploy_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case O_NAME: d->name = v; break;
		case O_PROFILE: d->profile = v; break;
		case O_KMS_VERSION: d->version = v; break;
		case O_COMPOSE: d->compose = v; break;
		case O_INSTANCE_TYPE: d->instance_type = v; break;
		case O_REGION: d->region = v; break;
		case O_REUSE: d->reuse = v; break;
		case O_REPLACE_TIMEOUT: d->replace_timeout = seconds_opt(&cl, "replace-timeout", v, 0); break;
		case O_VERBOSE: d->verbose = 1; break;
		}
	}
	if (d->reuse) {
		cli_free(&cl);
		return; /* the other options may be given (the probe's one command line) and are ignored */
	}
	deploy_name(&cl, d);
	if (!d->compose)
		cli_usage(&cl, "deploy needs --compose FILE");
	if (!name_valid(d->instance_type))
		cli_usage(&cl, "--instance-type '%s' is not [a-zA-Z0-9._-]{3,100}", d->instance_type);
	if (d->region && !name_valid(d->region))
		cli_usage(&cl, "--region '%s' is not [a-zA-Z0-9._-]{3,100}", d->region);
	cli_free(&cl);
}

/* 1 when p[0..n) is UTF-8 text without NUL: libjq keeps exactly such bytes
 * in a JSON string (it replaces invalid sequences), so the YAML is sent as is. */
static int utf8_text(const uint8_t *p, size_t n)
{
	if (memchr(p, 0, n))
		return 0;
	jv s = jv_string_sized((const char *)p, (int)n);
	int same = (size_t)jv_string_length_bytes(jv_copy(s)) == n && memcmp(jv_string_value(s), p, n) == 0;
	jv_free(s);
	return same;
}

/* Delete a CVM that already has this name and wait until it is gone. */
static void replace_existing(const char *name, double timeout)
{
	char path[200], err[600];
	snprintf(path, sizeof path, "/cvms/%s", name);
	struct api_reply r;
	int rc = api_call(HTTP_GET, path, jv_invalid(), API_TIMEOUT, 0, &r, err, sizeof err);
	if (rc)
		fail(rc, "%s", err);
	if (r.status == 404 || r.status == 410) {
		api_reply_free(&r);
		return;
	}
	if (r.status < 200 || r.status > 299 || jv_get_kind(r.body) != JV_KIND_OBJECT)
		api_fail_status(HTTP_GET, path, &r);
	struct cvm_ref old;
	char via[160], label[200];
	cvm_ref_fill(&old, r.body, "the existing CVM", EXIT_PROTOCOL);
	const char *by = delete_fallbacks(&old, via);
	snprintf(label, sizeof label, "the existing CVM '%s'", name);
	if (by)
		warnx("deleted %s (via %s)", label + 4, by);
	wait_gone(path, label, timeout);
	cvm_ref_free(&old);
}

static jv provision_body(const struct deploy_args *d, const struct buf *yaml)
{
	jv cf = jv_object();
	JSET(cf, "name", jv_string(""));
	JSET(cf, "docker_compose_file", jv_string_sized((const char *)yaml->data, (int)yaml->len));
	JSET(cf, "allowed_envs", jv_array());
	JSET(cf, "public_logs", jv_true());
	JSET(cf, "public_sysinfo", jv_false());
	jv b = jv_object();
	JSET(b, "name", jv_string(d->name));
	JSET(b, "instance_type", jv_string(d->instance_type));
	JSET(b, "kms", jv_string("PHALA"));
	JSET(b, "prefer_dev", jv_false());
	JSET(b, "listed", jv_false());
	JSET(b, "compose_file", cf);
	if (d->region)
		JSET(b, "region", jv_string(d->region));
	return b;
}

/* POST /cvms/provision then POST /cvms; returns the committed CVM (API form). */
static jv provision_commit(const struct deploy_args *d, const struct buf *yaml)
{
	jv prov = api_json(HTTP_POST, "/cvms/provision", provision_body(d, yaml), API_TIMEOUT);
	const char *app = json_str(prov, "app_id"), *hash = json_str(prov, "compose_hash");
	if (!app || !*app || strlen(app) > 128 || strspn(app, "app_0123456789abcdefABCDEF") != strlen(app))
		fail(EXIT_PROTOCOL, "POST /cvms/provision: the answer has no app_id of hex digits");
	if (!hash || strlen(hash) != 64 || strspn(hash, "0123456789abcdefABCDEF") != 64)
		fail(EXIT_PROTOCOL, "POST /cvms/provision: the answer has no compose_hash of 64 hex digits");
	jv body = jv_object();
	JSET(body, "app_id", jv_string(app));
	JSET(body, "compose_hash", jv_string(hash));
	jv cvm = api_json(HTTP_POST, "/cvms", body, API_TIMEOUT);
	if (jv_get_kind(cvm) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "POST /cvms: the answer is not a CVM object");
	const char *got = json_str(cvm, "compose_hash");
	if (got && *got && strcasecmp(got, hash) != 0)
		fail(EXIT_PROTOCOL, "POST /cvms: the committed compose hash %.64s is not the provisioned %s", got, hash);
	if (!got || !*got)
		JSET(cvm, "compose_hash", jv_string(hash));
	if (!json_str(cvm, "app_id"))
		JSET(cvm, "app_id", jv_string(app));
	jv_free(prov);
	return cvm;
}

/* What became of the CVM is said on stderr on a terminal, or with --verbose. */
static int saying(int verbose) { return verbose || isatty(STDERR_FILENO); }

/* The line that says what became of the CVM (after the JSON is built). */
static void say_cvm(jv cvm, int verbose, const char *what)
{
	if (!saying(verbose))
		return;
	const char *name = json_str(cvm, "name"), *id = json_str(cvm, "id"), *app = json_str(cvm, "app_id");
	warnx("CVM '%s' (id %s, app id %s) %s", name ? name : "(unnamed)", id ? id : "unknown", app, what);
}

static int cmd_deploy(int argc, char **argv)
{
	struct deploy_args d = {.instance_type = "tdx.small", .replace_timeout = 300};
	deploy_parse(&d, argc, argv);
	if (d.reuse) {
		api_check_id(d.reuse, "--reuse");
		api_init(d.verbose);
		struct cvm_ref t = {.id = (char *)d.reuse};
		jv cvm = cvm_json(get_cvm(&t, ""), 1);
		say_cvm(cvm, d.verbose, "reused (--reuse): delete keeps it without --force");
		emit(cvm);
		return 0;
	}
	struct buf yaml;
	read_file_capped(d.compose, COMPOSE_CAP, &yaml, 0);
	if (yaml.len == 0)
		fail(EXIT_DATAERR, "'%s' is empty", d.compose);
	if (!utf8_text(yaml.data, yaml.len))
		fail(EXIT_DATAERR, "'%s' is not UTF-8 text (a NUL or an invalid sequence)", d.compose);
	api_init(d.verbose);
	replace_existing(d.name, d.replace_timeout);
	jv cvm = provision_commit(&d, &yaml);
	buf_free(&yaml);
	cvm = cvm_json(cvm, 0);
	say_cvm(cvm, d.verbose, "deployed");
	emit(cvm);
	return 0;
}

/* ---- wait ---- */

static const struct cli_opt wait_opts[] = {
	TARGET_OPTS,
	{"until", O_UNTIL, "STATE", "running (the default: a stopped or created CVM is started) or gone", 0},
	{"timeout", O_TIMEOUT, "S", "give up after S seconds (default 1200)", 0},
	{0}};

static const struct cli_spec wait_spec = {
	.synopsis = "phala-cvm wait [--cvm FILE | --id ID | --name NAME] [--until running|gone] [--timeout S]\n"
		    "                      < CVM_JSON > CVM_JSON",
	.about = "Poll the CVM until it runs (or is gone), backing off with the time waited (0.25 s to 10 s).",
	.opts = wait_opts,
	.trailer = "stdin: the CVM JSON (without --cvm, --id, --name).  stdout: the CVM JSON once running\n"
		   "(reused kept from the input); nothing for --until gone. Progress on stderr when a terminal;\n"
		   "with --verbose, a CVM that runs is said there too.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static int cmd_wait(int argc, char **argv)
{
	struct target_args a = {0};
	double timeout = 1200;
	int gone = 0;
	struct cli cl;
	cli_parse(&cl, &wait_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		if (target_opt(&cl, &a, c, v))
			continue;
		if (c == O_TIMEOUT)
			timeout = seconds_opt(&cl, "timeout", v, 0);
		else if (strcmp(v, "running") == 0 || strcmp(v, "gone") == 0)
			gone = strcmp(v, "gone") == 0;
		else
			cli_usage(&cl, "--until must be running or gone, not '%s'", v);
	}
	cli_free(&cl);
	struct cvm_ref t;
	target_ref(&a, &t, 1);
	if (gone) {
		char id[160], path[200];
		snprintf(path, sizeof path, "/cvms/%s", cvm_ref_path(&t, id));
		wait_gone(path, t.label, timeout);
		cvm_ref_free(&t);
		close_stdout();
		return 0;
	}
	jv info = wait_running(&t, timeout);
	int reused = t.reused;
	cvm_ref_free(&t);
	emit(cvm_json(info, reused));
	return 0;
}

/* ---- status ---- */

static const struct cli_opt status_opts[] = {
	TARGET_OPTS,
	{"expect-compose-hash", O_EXPECT_HASH, "HEX", "exit 1 unless the API's compose_hash is HEX (64 hex digits)", 0},
	{0}};

static const struct cli_spec status_spec = {
	.synopsis = "phala-cvm status [--cvm FILE | --id ID | --name NAME] [--expect-compose-hash HEX]\n"
		    "                        < CVM_JSON > CVM_JSON",
	.about = "Print the CVM's current CVM JSON; with --expect-compose-hash, check the API's compose hash.",
	.opts = status_opts,
	.trailer = "stdin: the CVM JSON (without --cvm, --id, --name).  stdout: the CVM JSON.\n"
		   "exit 1 (nothing on stdout) when the compose hash is not the expected one.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static int cmd_status(int argc, char **argv)
{
	struct target_args a = {0};
	char want[65] = "";
	struct cli cl;
	cli_parse(&cl, &status_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		if (target_opt(&cl, &a, c, v))
			continue;
		if (strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64)
			cli_usage(&cl, "--expect-compose-hash needs 64 hex digits, not '%s'", v);
		for (int i = 0; i < 65; i++)
			want[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] - 'A' + 'a' : v[i]);
	}
	cli_free(&cl);
	struct cvm_ref t;
	target_ref(&a, &t, 1);
	jv cvm = cvm_json(get_cvm(&t, ""), t.reused);
	if (want[0]) {
		const char *got = json_str(cvm, "compose_hash");
		if (!got)
			fail(EXIT_NO, "%s: the API reports no compose hash, expected %s", t.label, want);
		if (strcmp(got, want) != 0)
			fail(EXIT_NO, "%s: the API's compose hash is %s, expected %s", t.label, got, want);
	}
	cvm_ref_free(&t);
	emit(cvm);
	return 0;
}

/* ---- url ---- */

static const struct cli_opt url_opts[] = {
	TARGET_OPTS,
	{"port", O_PORT, "PORT", "the service's port (required)", 0},
	{"suffix", O_SUFFIX, "DOMAIN", "the public domain suffix (default " DEFAULT_SUFFIX ")", 0},
	{0}};

static const struct cli_spec url_spec = {
	.synopsis = "phala-cvm url [--cvm FILE | --id ID | --name NAME] --port PORT [--suffix DOMAIN]\n"
		    "                     < CVM_JSON > URLS",
	.about = "Print the CVM's candidate service URLs for a port, one per line, best first (upstream's order).",
	.opts = url_opts,
	.trailer = "stdin: the CVM JSON (without --cvm, --id, --name).  stdout: one URL per line: the CVM's\n"
		   "endpoints[].app and .instance, https:// and http://APPID-PORT.GATEWAY_BASE_DOMAIN, then\n"
		   "https:// and http:// app_APPID-PORT.SUFFIX and APPID-PORT.SUFFIX.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static int cmd_url(int argc, char **argv)
{
	struct target_args a = {0};
	const char *suffix = DEFAULT_SUFFIX;
	long long port = -1;
	struct cli cl;
	cli_parse(&cl, &url_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		if (target_opt(&cl, &a, c, v))
			continue;
		if (c == O_PORT && ((port = parse_uint(v, 65535)) < 1))
			cli_usage(&cl, "--port needs 1 to 65535, not '%s'", v);
		if (c == O_SUFFIX && !cvm_host_ok(suffix = v))
			cli_usage(&cl, "--suffix '%s' is not a domain name", v);
	}
	if (port < 0)
		cli_usage(&cl, "url needs --port PORT");
	cli_free(&cl);
	struct cvm_ref t;
	target_ref(&a, &t, 1);
	jv cvm = cvm_json(get_cvm(&t, ""), t.reused);
	jv urls = cvm_urls(cvm, (int)port, suffix);
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < jv_array_length(jv_copy(urls)); i++) {
		jv u = jv_array_get(jv_copy(urls), i);
		buf_printf(&out, "%s\n", jv_string_value(u));
		jv_free(u);
	}
	jv_free(urls);
	jv_free(cvm);
	cvm_ref_free(&t);
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	return 0;
}

/* ---- attestation ---- */

static const struct cli_opt attestation_opts[] = {TARGET_OPTS, {0}};

static const struct cli_spec attestation_spec = {
	.synopsis = "phala-cvm attestation [--cvm FILE | --id ID | --name NAME] < CVM_JSON > ATTESTATION_JSON",
	.about = "Print the API's attestation of the CVM (GET /cvms/{id}/attestation) as canonical JSON.",
	.opts = attestation_opts,
	.trailer = "stdin: the CVM JSON (without --cvm, --id, --name).  stdout: {name, is_online, tcb_info\n"
		   "{mrtd, rtmr0..3, event_log, app_compose}, app_certificates, compose_file, ...}.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static int cmd_attestation(int argc, char **argv)
{
	struct target_args a = {0};
	struct cli cl;
	cli_parse(&cl, &attestation_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));)
		target_opt(&cl, &a, c, v);
	cli_free(&cl);
	struct cvm_ref t;
	target_ref(&a, &t, 1);
	jv att = get_cvm(&t, "/attestation");
	if (jv_get_kind(att) != JV_KIND_OBJECT)
		fail(EXIT_PROTOCOL, "%s: the attestation is not a JSON object", t.label);
	cvm_ref_free(&t);
	emit(att);
	return 0;
}

/* ---- delete ---- */

static const struct cli_opt delete_opts[] = {
	TARGET_OPTS,
	{"force", O_FORCE, NULL, "delete a CVM the CVM JSON marks reused too", 0},
	{"wait", O_WAIT, "S", "then poll until the CVM is gone, at most S seconds", 0},
	{0}};

static const struct cli_spec delete_spec = {
	.synopsis = "phala-cvm delete [--cvm FILE | --id ID | --name NAME] [--force] [--wait S]\n"
		    "                        < CVM_JSON > RESULT_JSON",
	.about = "Delete the CVM by vm uuid, then app id, then name; a CVM already gone is success.",
	.opts = delete_opts,
	.trailer = "stdin: the CVM JSON (without --cvm, --id, --name).  stdout: {deleted_via, name, result}:\n"
		   "result deleted, gone (no identifier was known: already deleted) or kept (a reused CVM,\n"
		   "without --force; nothing is sent to the API). On a terminal or with --verbose, one stderr\n"
		   "line says which.\n"
		   ENV EXITS,
	.max_operands = 0,
};

static int cmd_delete(int argc, char **argv)
{
	struct target_args a = {0};
	int force = 0;
	double wait = -1;
	struct cli cl;
	cli_parse(&cl, &delete_spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		if (target_opt(&cl, &a, c, v))
			continue;
		if (c == O_FORCE)
			force = 1;
		else
			wait = seconds_opt(&cl, "wait", v, 0);
	}
	cli_free(&cl);
	struct cvm_ref t;
	target_ref(&a, &t, 0);
	char via[160];
	const char *by = NULL, *result = "kept";
	if (t.reused && !force) {
		warnx("%s is reused: kept (--force deletes it)", t.label);
	} else {
		api_init(a.verbose);
		by = delete_fallbacks(&t, via);
		result = by ? "deleted" : "gone";
		if (by && wait >= 0) {
			char path[200];
			snprintf(path, sizeof path, "/cvms/%s", by);
			wait_gone(path, t.label, wait);
		}
	}
	if (by && saying(a.verbose))
		warnx("%s deleted (DELETE /cvms/%s)%s", t.label, by, wait >= 0 ? ", and gone" : "");
	else if (!by && (!t.reused || force) && saying(a.verbose))
		warnx("no %s to delete: gone already", t.label);
	jv out = jv_object();
	JSET(out, "deleted_via", by ? jv_string(by) : jv_null());
	JSET(out, "name", t.name ? jv_string(t.name) : jv_null());
	JSET(out, "result", jv_string(result));
	cvm_ref_free(&t);
	emit(out);
	return 0;
}

/* ---- the program ---- */

static const struct cli_cmd commands[] = {
	{"deploy", "provision and commit a CVM for a compose file; print the CVM JSON", cmd_deploy},
	{"wait", "poll until the CVM runs (starting it when stopped) or is gone", cmd_wait},
	{"status", "print the CVM JSON; check the compose hash", cmd_status},
	{"url", "print the candidate service URLs of a port", cmd_url},
	{"attestation", "print the API's attestation of the CVM", cmd_attestation},
	{"delete", "delete the CVM (vm uuid, app id, name); already gone is success", cmd_delete},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "phala-cvm COMMAND [OPTIONS]",
	.about = "Deploy, watch and delete a staging CVM on Phala Cloud through its REST API.",
	.trailer = ENV EXITS,
	.max_operands = -1,
	.cmds = commands,
};

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	return cli_dispatch(&spec, argc, argv);
}
