/* probe-report: write probe-report.md from the artifacts of one staging probe:
 * each step of the probe's steps file with its result and time, the backend,
 * image and version, the staging CVM (its identifiers, timings, teardown), the
 * verification verdict with the checks that failed, Intel Trust Authority's
 * verdict beside it, each measurement against the profile's current policy
 * (new, unchanged, changed), the compose hashes and the commands that verify
 * the signatures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/sha.h"

enum {
	OPT_DIR = 'd', OPT_STEPS = 's', OPT_PROFILE = 'p', OPT_BACKEND = 'b', OPT_POLICY = 'P',
	OPT_IMAGE = 'i', OPT_KMS_VERSION = 'v', OPT_KMS_URL = 'u', OPT_INTERRUPTED = 'I', OPT_POLICY_SOURCE = 'S'
};

static const struct cli_opt options[] = {
	{"dir", OPT_DIR, "DIR", "the probe's artifact folder (artifacts/probe/<profile>)", 0},
	{"steps", OPT_STEPS, "FILE", "the probe's steps in order, one a line: name, artifacts, what it\n"
				     "does, separated by tabs (mk/probe/steps)", 0},
	{"profile", OPT_PROFILE, "P", "the profile probed", 0},
	{"backend", OPT_BACKEND, "B", "sim, url or phala", 0},
	{"policy", OPT_POLICY, "FILE", "the profile's current policy file, to compare measurements with", 0},
	{"policy-source", OPT_POLICY_SOURCE, "TEXT", "where --policy came from, named in the report instead of its\n"
						    "path (the release it was fetched from: POLICY_SOURCE=release)", 0},
	{"image", OPT_IMAGE, "REF", "the KMS image (name@sha256:...)", 0},
	{"kms-version", OPT_KMS_VERSION, "V", "the KMS version", 0},
	{"kms-url", OPT_KMS_URL, "URL", "the KMS probed (STAGING=url)", 0},
	{"interrupted", OPT_INTERRUPTED, "SIGNAL", "the run was interrupted by SIGNAL: the report says FAIL", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "probe-report --dir DIR --steps FILE --profile P --backend B [--policy FILE]\n"
		    "                    [--policy-source TEXT] [--image REF] [--kms-version V] [--kms-url URL] [--interrupted SIGNAL]\n"
		    "                    > probe-report.md",
	.about = "Summarise a staging probe's artifact folder as Markdown.",
	.opts = options,
	.trailer = "Reads DIR/.steps/NAME (one record per step), verification.json, attestation-quote.json,\n"
		   "event-log-replay.json, compose.yaml, compose-hash.txt, staging.json, ita-appraisal.json and\n"
		   "measurement-policy-candidates.json, whichever exist. stdout: the report.\n"
		   "exit: 0 ok, 2 usage, 65 the steps file or an artifact that exists but cannot be read,\n"
		   "is a directory, over its cap or not JSON, 66 no such folder, steps file or policy file,\n"
		   "74 write error.",
};

#define ARTIFACT_CAP (64 * MP_MIB)

struct step {
	const char *name, *text; /* in the steps file's buffer */
	char status[8];
	long ms;
	char msg[512];
	int present;
};

struct run {
	const char *dir, *steps_path, *profile, *backend, *policy_path, *image, *version, *kms_url, *interrupted;
	const char *policy_source; /* --policy-source: where the policy came from */
	struct buf steps_text;
	struct step *steps;
	size_t nsteps;
	int failed, ran, skipped, sim, complete;
	long total_ms;
	jv verification, quote, replay, cand, policy, staging, ita;
	char *compose_hash;
	char yaml_sha256[65]; /* of compose.yaml; "" when there is none */
};

static void parse_options(struct run *r, int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_DIR: r->dir = v; break;
		case OPT_STEPS: r->steps_path = v; break;
		case OPT_PROFILE: r->profile = v; break;
		case OPT_BACKEND: r->backend = v; break;
		case OPT_POLICY: r->policy_path = v; break;
		case OPT_IMAGE: r->image = v; break;
		case OPT_KMS_VERSION: r->version = v; break;
		case OPT_KMS_URL: r->kms_url = v; break;
		case OPT_INTERRUPTED: r->interrupted = v; break;
		case OPT_POLICY_SOURCE: r->policy_source = v; break;
		}
	}
	if (!r->dir || !r->steps_path || !r->profile || !r->backend)
		cli_usage(&cl, "--dir, --steps, --profile and --backend are required");
	if (r->policy_source && !r->policy_path)
		cli_usage(&cl, "--policy-source names where --policy came from: give --policy FILE too");
	cli_free(&cl);
}

/* An artifact of the folder: 0 when it does not exist, 1 when read into b; one
 * that exists but cannot be read (a directory, unreadable, over the cap) is
 * malformed input (65): a probe folder never holds one. */
static int read_artifact(const char *dir, const char *name, size_t cap, struct buf *b)
{
	char path[4096], t[32];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int r = read_file_capped(path, cap, b, RF_SOFT);
	if (r == 0)
		return 1;
	if (r == EXIT_NOINPUT && errno == ENOENT)
		return 0;
	if (r == EXIT_DATAERR)
		fail(EXIT_DATAERR, "cannot read '%s': over the %s cap", path, size_text(cap, t));
	fail(EXIT_DATAERR, "cannot read '%s': %s", path, errno == EISDIR ? "a directory" : strerror(errno));
}

static jv load_json(const char *dir, const char *name)
{
	struct buf b;
	if (!read_artifact(dir, name, ARTIFACT_CAP, &b))
		return jv_null();
	char err[256];
	jv v = json_parse((const char *)b.data, b.len, err, sizeof err);
	buf_free(&b);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse '%s/%s': %s", dir, name, err);
	return v;
}

static char *load_text(const char *dir, const char *name)
{
	struct buf b;
	if (!read_artifact(dir, name, MP_MIB, &b))
		return NULL;
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = 0;
	return (char *)b.data;
}

/* The next tab-separated field of a line (runs of tabs are one separator). */
static char *next_field(char **p)
{
	char *f = *p;
	if (!f || !*f)
		return NULL;
	char *tab = strchr(f, '\t');
	if (tab) {
		*tab++ = 0;
		while (*tab == '\t')
			tab++;
	}
	*p = tab;
	return f;
}

/* The steps file: "name<TAB>artifacts<TAB>what it does" per line, '#' comments. */
static void load_steps(struct run *r)
{
	if (read_file_capped(r->steps_path, MP_MIB, &r->steps_text, RF_SOFT)) {
		if (errno == ENOENT)
			fail(EXIT_NOINPUT, "no steps file '%s'", r->steps_path);
		fail(EXIT_DATAERR, "cannot read steps file '%s': %s", r->steps_path,
		     errno == EFBIG ? "over the 1 MiB cap" : errno == EISDIR ? "a directory" : strerror(errno));
	}
	char *next = (char *)r->steps_text.data;
	for (size_t lineno = 1; next && *next; lineno++) {
		char *line = next, *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		if (line[0] == '#' || line[strspn(line, " \t\r")] == 0)
			continue;
		char *p = line, *name = next_field(&p), *arts = next_field(&p), *text = next_field(&p);
		if (!name || !arts || !text || strpbrk(name, " /") || name[0] == '.')
			fail(EXIT_DATAERR, "steps file '%s' line %zu: not NAME<TAB>ARTIFACTS<TAB>WHAT", r->steps_path,
			     lineno);
		r->steps = xrealloc(r->steps, (r->nsteps + 1) * sizeof *r->steps);
		memset(&r->steps[r->nsteps], 0, sizeof *r->steps);
		r->steps[r->nsteps].name = name;
		r->steps[r->nsteps++].text = text;
	}
	if (!r->nsteps)
		fail(EXIT_DATAERR, "steps file '%s' lists no step", r->steps_path);
}

/* DIR/.steps/NAME: "status<TAB>exit<TAB>ms<TAB>message" */
static void read_record(const char *dir, struct step *s)
{
	char name[300];
	snprintf(name, sizeof name, ".steps/%s", s->name);
	struct buf b;
	if (!read_artifact(dir, name, 64 * 1024, &b))
		return;
	char *p = (char *)b.data, *nl = strchr(p, '\n');
	if (nl)
		*nl = 0;
	char *f[4];
	for (int i = 0; i < 4; i++) {
		f[i] = p;
		p = p && i < 3 ? strchr(p, '\t') : NULL;
		if (p)
			*p++ = 0;
		else if (i < 3)
			fail(EXIT_DATAERR, "cannot parse '%s/%s': not STATUS<TAB>EXIT<TAB>MS<TAB>MESSAGE", dir, name);
	}
	snprintf(s->status, sizeof s->status, "%s", f[0]);
	s->ms = atol(f[2]);
	snprintf(s->msg, sizeof s->msg, "%s", f[3]);
	s->present = 1;
	buf_free(&b);
}

static void load_run(struct run *r)
{
	struct stat st;
	if (stat(r->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fail(EXIT_NOINPUT, "no probe folder '%s'", r->dir);
	load_steps(r);
	r->failed = -1;
	for (size_t i = 0; i < r->nsteps; i++) {
		struct step *s = &r->steps[i];
		read_record(r->dir, s);
		if (!s->present)
			continue;
		r->ran++;
		r->skipped += strcmp(s->status, "skip") == 0;
		r->total_ms += s->ms;
		if (r->failed < 0 && strcmp(s->status, "fail") == 0)
			r->failed = (int)i;
	}
	r->verification = load_json(r->dir, "verification.json");
	r->quote = load_json(r->dir, "attestation-quote.json");
	r->replay = load_json(r->dir, "event-log-replay.json");
	r->cand = load_json(r->dir, "measurement-policy-candidates.json");
	r->compose_hash = load_text(r->dir, "compose-hash.txt");
	r->staging = load_json(r->dir, "staging.json");
	r->ita = load_json(r->dir, "ita-appraisal.json");
	struct buf y;
	if (read_artifact(r->dir, "compose.yaml", ARTIFACT_CAP, &y)) {
		uint8_t md[32];
		sha256(y.data, y.len, md);
		hex_encode_to(md, 32, r->yaml_sha256);
		buf_free(&y);
	}
	r->policy = jv_null();
	if (r->policy_path) {
		struct buf b;
		read_file_capped(r->policy_path, 16 * MP_MIB, &b, 0); /* missing: 66 */
		char err[256];
		r->policy = json_parse((const char *)b.data, b.len, err, sizeof err);
		buf_free(&b);
		if (!jv_is_valid(r->policy))
			fail(EXIT_DATAERR, "cannot parse '%s': %s", r->policy_path, err);
	}
	r->sim = strcmp(r->backend, "sim") == 0;
	r->complete = r->failed < 0 && !r->interrupted && jv_get_kind(r->cand) == JV_KIND_OBJECT;
}

/* Markdown table cells: no pipes or newlines */
static void cell(struct buf *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			buf_add(o, "\\|", 2);
		else if (*s == '\n')
			buf_addc(o, ' ');
		else
			buf_addc(o, *s);
	}
}

static void emit_header(struct buf *o, const struct run *r)
{
	/* a quote verified under another anchor than Intel's proves nothing about hardware */
	jv anchor = json_get(r->verification, "root_ca");
	jv builtin = json_get(anchor, "builtin");
	int foreign_root = jv_get_kind(anchor) == JV_KIND_OBJECT && jv_get_kind(builtin) != JV_KIND_TRUE;
	jv_free(builtin);
	jv_free(anchor);
	buf_printf(o, "# Staging probe %s: %s%s\n\n", r->profile, r->complete ? "PASS" : "FAIL",
		   r->sim ? " (SIMULATED: local kms-sim, not TDX hardware)"
			  : foreign_root ? " (NOT verified under Intel's root CA)" : "");
	if (r->sim)
		buf_printf(o, "> **Simulated.** The quote was made by kms-sim and signed by a simulated PCK chain under "
			      "a simulated root CA. It proves the workflow, not any platform; its candidates carry "
			      "`source: sim` and cannot be promoted into a production policy.\n\n");
	if (r->failed >= 0)
		buf_printf(o, "**Failed at step `%s`**: %s\n\n", r->steps[r->failed].name, r->steps[r->failed].msg);
	else if (r->interrupted)
		buf_printf(o, "**Interrupted** by %s between steps: the run did not complete.\n\n", r->interrupted);
	else if (!r->complete)
		buf_printf(o, "**Incomplete**: no candidates were produced.\n\n");

	buf_printf(o, "| | |\n| --- | --- |\n");
	buf_printf(o, "| backend | %s%s |\n", r->backend,
		   r->sim				   ? " (kms-sim on loopback)"
		   : strcmp(r->backend, "url") == 0	   ? " (a KMS that already runs)"
		   : strcmp(r->backend, "phala") == 0 ? " (a staging CVM on Phala Cloud)"
						   : "");
	const char *url = r->kms_url && *r->kms_url ? r->kms_url : json_str(r->staging, "kms_url");
	if (url) {
		buf_printf(o, "| KMS URL | ");
		cell(o, url);
		buf_printf(o, " |\n");
	}
	char when[32];
	format_utc(now_epoch(), when);
	buf_printf(o, "| profile | %s |\n| image | `", r->profile);
	cell(o, r->image && *r->image ? r->image : "(none)");
	buf_printf(o, "` |\n| KMS version | ");
	cell(o, r->version && *r->version ? r->version : "(none)");
	buf_printf(o, " |\n| report written | %s |\n\n", when);
}

static void emit_steps(struct buf *o, const struct run *r)
{
	buf_printf(o, "## Steps\n\n| step | what | result | time |\n| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct step *s = &r->steps[i];
		buf_printf(o, "| %s | ", s->name);
		cell(o, s->text);
		buf_printf(o, " | %s", s->present ? s->status : "not run");
		if (s->present && strcmp(s->status, "pass") != 0 && s->msg[0]) {
			buf_add(o, ": ", 2);
			cell(o, s->msg);
		}
		if (s->present)
			buf_printf(o, " | %ld.%03ld s |\n", s->ms / 1000, s->ms % 1000);
		else
			buf_printf(o, " | |\n");
	}
	buf_printf(o, "\n%d of %zu steps ran", r->ran - r->skipped, r->nsteps);
	if (r->skipped)
		buf_printf(o, " (%d skipped)", r->skipped);
	buf_printf(o, ", %ld.%03ld s in all.\n\n", r->total_ms / 1000, r->total_ms % 1000);
}

static const struct step *find_step(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->nsteps; i++)
		if (strcmp(r->steps[i].name, name) == 0)
			return r->steps[i].present ? &r->steps[i] : NULL;
	return NULL;
}

/* a table row: the step's time, or what became of it */
static void step_row(struct buf *o, const struct run *r, const char *name, const char *what)
{
	const struct step *s = find_step(r, name);
	buf_printf(o, "| %s | ", name);
	if (!s)
		buf_printf(o, "not run");
	else if (strcmp(s->status, "pass") == 0)
		buf_printf(o, "%ld.%03ld s%s", s->ms / 1000, s->ms % 1000, what);
	else {
		buf_printf(o, "%s after %ld.%03ld s: ", strcmp(s->status, "fail") == 0 ? "FAILED" : s->status,
			   s->ms / 1000, s->ms % 1000);
		cell(o, s->msg);
	}
	buf_printf(o, " |\n");
}

static void cvm_row(struct buf *o, jv cvm, const char *label, const char *key)
{
	const char *v = json_str(cvm, key);
	buf_printf(o, "| %s | ", label);
	cell(o, v ? v : "-");
	buf_printf(o, " |\n");
}

/* The staging CVM of STAGING=phala: what it was, how long it took, its end. */
static void emit_staging(struct buf *o, const struct run *r)
{
	if (strcmp(r->backend, "phala") != 0)
		return;
	buf_printf(o, "## Staging CVM (Phala Cloud)\n\n| | |\n| --- | --- |\n");
	jv cvm = json_get(r->staging, "cvm");
	if (jv_get_kind(cvm) != JV_KIND_OBJECT) {
		const char *name = json_str(r->staging, "cvm_name");
		buf_printf(o, "| CVM | none was deployed%s%s%s |\n", name ? " (name `" : "", name ? name : "",
			   name ? "`)" : "");
	} else {
		jv reused = json_get(r->staging, "reused");
		cvm_row(o, cvm, "name", "name");
		cvm_row(o, cvm, "CVM id", "id");
		cvm_row(o, cvm, "app id", "app_id");
		cvm_row(o, cvm, "vm uuid", "vm_uuid");
		buf_printf(o, "| reused | %s |\n", jv_get_kind(reused) == JV_KIND_TRUE
							  ? "yes (STAGING_CVM_ID): kept at the end"
							  : "no: deployed for this probe, deleted at the end");
		jv_free(reused);
	}
	jv_free(cvm);
	step_row(o, r, "deploy", " (provision and commit)");
	step_row(o, r, "boot", " (until running)");
	step_row(o, r, "health", " (until /health said alive)");
	const struct step *t = find_step(r, "teardown");
	int failed = t && strcmp(t->status, "fail") == 0;
	buf_printf(o, "| teardown | %s", !t ? "not run" : strcmp(t->status, "pass") == 0 ? "done: " : failed ? "FAILED: " : "");
	if (t)
		cell(o, t->msg);
	buf_printf(o, " |\n\n");
	jv c = json_get(r->staging, "cvm");
	const char *id = json_str(c, "id") ? json_str(c, "id") : json_str(r->staging, "cvm_name");
	if (failed && id)
		buf_printf(o, "**The CVM may still run.** Delete it by hand: `phala-cvm delete --id %s --wait 300`.\n\n", id);
	jv_free(c);
}

static void emit_checks(struct buf *o, jv verification)
{
	jv checks = json_get(verification, "checks");
	int nfail = 0, npass = 0, nskip = 0;
	if (jv_get_kind(checks) == JV_KIND_ARRAY) {
		jv_array_foreach(checks, i, ch) {
			(void)i;
			const char *res = json_str(ch, "result");
			if (res && !strcmp(res, "fail")) {
				if (!nfail++)
					buf_printf(o, "\nChecks that failed:\n\n");
				const char *nm = json_str(ch, "name"), *d = json_str(ch, "detail");
				buf_printf(o, "- `%s`: %s\n", nm ? nm : "?", d ? d : "");
			} else if (res && !strcmp(res, "skip")) {
				nskip++;
			} else {
				npass++;
			}
			jv_free(ch);
		}
	}
	jv_free(checks);
	buf_printf(o, "\n%d checks passed, %d failed, %d skipped (all of them in `verification.json`).\n\n", npass,
		   nfail, nskip);
}

static void emit_verification(struct buf *o, jv v)
{
	buf_printf(o, "## Verification\n\n");
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		buf_printf(o, "No verdict: the quote was not verified in this run.\n\n");
		return;
	}
	jv ver = json_get(v, "verified");
	const char *status = json_str(v, "status");
	buf_printf(o, "- verified: **%s**\n- TCB status: %s\n", jv_get_kind(ver) == JV_KIND_TRUE ? "yes" : "no",
		   status ? status : "(none: verification stopped before TCB matching)");
	jv_free(ver);
	jv adv = json_get(v, "advisory_ids");
	if (jv_get_kind(adv) == JV_KIND_ARRAY && jv_array_length(jv_copy(adv)) > 0) {
		buf_printf(o, "- advisories:");
		jv_array_foreach(adv, i, a) {
			buf_printf(o, "%s %s", i ? "," : "", jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "?");
			jv_free(a);
		}
		buf_addc(o, '\n');
	}
	jv_free(adv);
	jv root = json_get(v, "root_ca");
	const char *subject = json_str(root, "subject");
	jv builtin = json_get(root, "builtin");
	buf_printf(o, "- trust anchor: %s%s\n", subject ? subject : "(unknown)",
		   jv_get_kind(builtin) == JV_KIND_TRUE ? " (built-in Intel SGX Root CA)" : " (named with --root-ca)");
	jv_free(builtin);
	jv_free(root);
	const char *fc = json_str(v, "failed_check"), *err = json_str(v, "error");
	if (fc)
		buf_printf(o, "- failed check: `%s`: %s\n", fc, err ? err : "");
	emit_checks(o, v);
}

static int in_array(jv arr, const char *s)
{
	if (jv_get_kind(arr) != JV_KIND_ARRAY || !s)
		return 0;
	int found = 0;
	jv_array_foreach(arr, i, e) {
		(void)i;
		if (jv_get_kind(e) == JV_KIND_STRING && strcasecmp(jv_string_value(e), s) == 0)
			found = 1;
		jv_free(e);
	}
	return found;
}

/* new (the policy allows nothing yet), unchanged (allowed), changed (not among the allowed) */
static const char *compare(jv policy, const char *key, const char *value)
{
	if (!value)
		return "-";
	jv inner = json_get(policy, "policy");
	jv arr = json_get(inner, key);
	const char *r;
	if (jv_get_kind(policy) != JV_KIND_OBJECT)
		r = "new (no policy file)";
	else if (jv_get_kind(arr) != JV_KIND_ARRAY || jv_array_length(jv_copy(arr)) == 0)
		r = "new";
	else
		r = in_array(arr, value) ? "unchanged" : "changed";
	jv_free(arr);
	jv_free(inner);
	return r;
}

static void emit_registers(struct buf *o, const struct run *r)
{
	static const struct {
		const char *name, *field, *reg, *pkey;
	} M[] = {{"MRTD", "mr_td", NULL, "kms_allowed_mrtd"}, {"RTMR0", "rt_mr0", "rtmr0", "kms_allowed_rtmr0"},
		 {"RTMR1", "rt_mr1", "rtmr1", "kms_allowed_rtmr1"}, {"RTMR2", "rt_mr2", "rtmr2", "kms_allowed_rtmr2"},
		 {"RTMR3", "rt_mr3", "rtmr3", "kms_allowed_rtmr3"}};
	jv td = json_get(r->quote, "td_report");
	jv regs = json_get(r->replay, "registers");
	for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
		const char *v = json_str(td, M[i].field), *rep = "-";
		if (M[i].reg && jv_get_kind(regs) == JV_KIND_OBJECT) {
			jv reg = json_get(regs, M[i].reg);
			jv m = json_get(reg, "match");
			rep = jv_get_kind(m) == JV_KIND_TRUE ? "matches" : jv_get_kind(m) == JV_KIND_FALSE ? "DIFFERS" : "-";
			jv_free(m);
			jv_free(reg);
		} else if (M[i].reg) {
			rep = "not replayed";
		}
		buf_printf(o, "| %s | `%s` | %s | %s |\n", M[i].name, v ? v : "(no quote)", rep,
			   compare(r->policy, M[i].pkey, v));
	}
	jv_free(regs);
	jv_free(td);
}

static void emit_measurements(struct buf *o, const struct run *r)
{
	if (r->policy_source)
		buf_printf(o, "## Measurements\n\nCompared with the policy of %s (`policy.kms_allowed_*`).\n\n",
			   r->policy_source);
	else
		buf_printf(o, "## Measurements\n\nCompared with `%s` (`policy.kms_allowed_*`).\n\n",
			   r->policy_path ? r->policy_path : "(no policy file)");
	buf_printf(o, "| register | value | replayed from the event log | policy |\n| --- | --- | --- | --- |\n");
	emit_registers(o, r);
	const char *status = json_str(r->verification, "status");
	char lower[64] = "";
	for (size_t i = 0; status && status[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(status[i] >= 'A' && status[i] <= 'Z' ? status[i] + 32 : status[i]);
	buf_printf(o, "| TCB status | `%s` | | %s |\n", status ? lower : "(none)",
		   compare(r->policy, "kms_allowed_tcb_statuses", status ? lower : NULL));
	buf_printf(o, "| compose hash | `%s` | %s | %s |\n\n", r->compose_hash ? r->compose_hash : "(not computed)",
		   r->compose_hash ? "in the RTMR3 event log" : "-",
		   compare(r->policy, "kms_allowed_event_payload", r->compose_hash));
	if (jv_get_kind(r->cand) == JV_KIND_OBJECT) {
		const char *src = json_str(r->cand, "source");
		buf_printf(o, "Candidates: `measurement-policy-candidates.json` (role kms, source `%s`).\n\n",
			   src ? src : "?");
	} else {
		buf_printf(o, "No candidates file: nothing from this run can be promoted.\n\n");
	}
}

/* The compose file's SHA-256, the hash the CVM measured (the RTMR3 event) and,
 * for phala, the API's: Phala Cloud measures the app-compose JSON it builds
 * around the YAML, so the first differs from the others there. */
static void emit_compose(struct buf *o, const struct run *r)
{
	jv runtime = json_get(r->replay, "runtime");
	const char *measured = json_str(runtime, "compose_hash");
	jv cvm = json_get(r->staging, "cvm");
	const char *api = json_str(cvm, "compose_hash");
	buf_printf(o, "## Compose\n\n");
	buf_printf(o, "- `compose.yaml`, the YAML deployed: SHA-256 `%s`\n", r->yaml_sha256[0] ? r->yaml_sha256 : "(no file)");
	buf_printf(o, "- measured (the RTMR3 `compose-hash` event, replayed against the quote): `%s`", measured ? measured : "(not replayed)");
	if (measured && r->yaml_sha256[0] && strcmp(measured, r->yaml_sha256) == 0)
		buf_printf(o, ": the YAML's own");
	buf_printf(o, "\n");
	if (strcmp(r->backend, "phala") == 0)
		buf_printf(o, "- Phala Cloud's (the app-compose JSON it built around the YAML): `%s`%s\n",
			   api ? api : "(none)",
			   !api || !measured ? "" : strcasecmp(api, measured) == 0 ? ": the measured one" : ": DIFFERS from the measured one");
	buf_printf(o, "- checked (`compose-hash.txt`, the candidates' event payload): `%s`\n\n",
		   r->compose_hash ? r->compose_hash : "(none: the check did not pass)");
	jv_free(cvm);
	jv_free(runtime);
}

/* One row of ITA's verdict beside ours: the quote's value, and ITA's when it differs. */
static void ita_row(struct buf *o, const char *label, const char *ours, const char *theirs)
{
	buf_printf(o, "| %s | `%s` | ", label, ours ? ours : "-");
	if (!theirs)
		buf_printf(o, "- |\n");
	else if (ours && strcasecmp(ours, theirs) == 0)
		buf_printf(o, "same |\n");
	else
		buf_printf(o, "`%s` DIFFERS |\n", theirs);
}

/* Intel Trust Authority's appraisal beside quote-verify's verdict. */
static void emit_ita(struct buf *o, const struct run *r)
{
	const struct step *s = find_step(r, "ita");
	const char *skipped = json_str(r->ita, "skipped");
	buf_printf(o, "## Intel Trust Authority\n\n");
	if (skipped || (s && strcmp(s->status, "skip") == 0)) {
		buf_printf(o, "Skipped: %s (no second opinion on the quote).\n\n", skipped ? skipped : s->msg);
		return;
	}
	if (jv_get_kind(r->ita) != JV_KIND_OBJECT) {
		buf_printf(o, "No appraisal%s", s ? ": " : " in this run.");
		if (s)
			cell(o, s->msg);
		buf_printf(o, "\n\n");
		return;
	}
	jv td = json_get(r->quote, "td_report"), ver = json_get(r->verification, "verified");
	const char *alg = json_str(r->ita, "algorithm"), *kid = json_str(r->ita, "key_id"), *api = json_str(r->ita, "api");
	buf_printf(o, "| | quote-verify, and the quote | Intel Trust Authority |\n| --- | --- | --- |\n");
	buf_printf(o, "| verdict | %s | token signature verified (%s, key `%s`, API %s) |\n",
		   jv_get_kind(ver) == JV_KIND_TRUE ? "verified" : "NOT verified", alg ? alg : "?", kid ? kid : "?",
		   api ? api : "?");
	const char *ours = json_str(r->verification, "status"), *theirs = json_str(r->ita, "tcb_status");
	buf_printf(o, "| TCB status | %s | %s%s |\n", ours ? ours : "-", theirs ? theirs : "-",
		   ours && theirs && strcasecmp(ours, theirs) != 0 ? " DIFFERS" : "");
	static const char *const Q[] = {"mr_td", "rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3", "report_data"};
	static const char *const I[] = {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "report_data"};
	static const char *const L[] = {"MRTD", "RTMR0", "RTMR1", "RTMR2", "RTMR3", "report data"};
	for (int i = 0; i < 6; i++)
		ita_row(o, L[i], json_str(td, Q[i]), json_str(r->ita, I[i]));
	buf_printf(o, "\nITA's claims: `ita-appraisal.json`.\n\n");
	jv_free(ver);
	jv_free(td);
}

static void emit_runtime(struct buf *o, jv replay)
{
	jv runtime = json_get(replay, "runtime");
	if (jv_get_kind(runtime) == JV_KIND_OBJECT) {
		buf_printf(o, "## Runtime events (RTMR3)\n\n");
		jv_object_foreach(runtime, k, v) {
			buf_printf(o, "- %s: ", jv_string_value(k));
			if (jv_get_kind(v) == JV_KIND_STRING) {
				buf_printf(o, "`%s`\n", jv_string_value(v));
			} else {
				struct buf t;
				buf_init(&t);
				json_dump_buf(jv_copy(v), 0, &t);
				buf_printf(o, "%.*s", (int)t.len, (const char *)t.data);
				buf_free(&t);
			}
			jv_free(k);
			jv_free(v);
		}
		buf_addc(o, '\n');
	}
	jv_free(runtime);
}

static void emit_signatures(struct buf *o, int sim)
{
	buf_printf(o, "## Verifying the signatures\n\n"
		      "Every artifact has a `.sig` and a `.sigstore.json` beside it: an ECDSA P-256 signature "
		      "in cosign's format and the same signature as a Sigstore bundle, "
		      "made with the key whose public half is `cosign.pub` in this folder%s. From this folder:\n\n"
		      "```sh\n"
		      "# with mero-policy\n"
		      "for f in *.sig; do cosign-wrap verify --key cosign.pub --signature \"$f\" < \"${f%%.sig}\" && echo \"ok ${f%%.sig}\"; done\n"
		      "# with cosign v2 (key-based signatures: no transparency log entry)\n"
		      "cosign verify-blob --key cosign.pub --signature measurement-policy-candidates.json.sig \\\n"
		      "  --insecure-ignore-tlog=true measurement-policy-candidates.json\n"
		      "# with cosign v3, from the Sigstore bundle beside each file\n"
		      "cosign verify-blob --key cosign.pub --bundle measurement-policy-candidates.json.sigstore.json \\\n"
		      "  --insecure-ignore-tlog=true measurement-policy-candidates.json\n"
		      "# with OpenSSL alone\n"
		      "base64 -d measurement-policy-candidates.json.sig > /tmp/c.sig.der\n"
		      "openssl dgst -sha256 -verify cosign.pub -signature /tmp/c.sig.der measurement-policy-candidates.json\n"
		      "```\n",
		   sim ? " (for simulated runs, the development key of `make keys`)" : "");
}

static void free_run(struct run *r)
{
	free(r->compose_hash);
	jv_free(r->staging);
	jv_free(r->ita);
	jv_free(r->policy);
	jv_free(r->verification);
	jv_free(r->quote);
	jv_free(r->replay);
	jv_free(r->cand);
	free(r->steps);
	buf_free(&r->steps_text);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct run r = {0};
	parse_options(&r, argc, argv);
	load_run(&r);

	struct buf o;
	buf_init(&o);
	emit_header(&o, &r);
	emit_steps(&o, &r);
	emit_staging(&o, &r);
	emit_verification(&o, r.verification);
	emit_ita(&o, &r);
	emit_measurements(&o, &r);
	emit_compose(&o, &r);
	emit_runtime(&o, r.replay);
	emit_signatures(&o, r.sim);
	out_write(o.data, o.len);
	buf_free(&o);
	free_run(&r);
	close_stdout();
	return 0;
}
