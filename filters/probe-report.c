/* probe-report: write probe-report.md from the artifacts of one staging probe:
 * each step with its result and time, the backend, image and version, the
 * verification verdict with the checks that failed, each measurement against
 * the profile's current policy (new, unchanged, changed), the compose hash and
 * the commands that verify the signatures. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/common.h"
#include "lib/json.h"

static const char synopsis[] =
	"probe-report --dir DIR --profile P --backend B [--policy FILE] [--image REF]\n"
	"                    [--kms-version V] [--kms-url URL] > probe-report.md";

static void help(void)
{
	printf("usage: %s\n"
	       "Summarise a staging probe's artifact folder as Markdown.\n"
	       "\n"
	       "  --dir DIR          the probe's artifact folder (artifacts/probe/<profile>)\n"
	       "  --profile P        the profile probed\n"
	       "  --backend B        sim, url or phala\n"
	       "  --policy FILE      the profile's current policy file, to compare measurements with\n"
	       "  --image REF        the KMS image (name@sha256:...)\n"
	       "  --kms-version V    the KMS version\n"
	       "  --kms-url URL      the KMS probed (STAGING=url)\n"
	       "\n"
	       "Reads DIR/.steps/* (step records), verification.json, attestation-quote.json,\n"
	       "event-log-replay.json, compose-hash.txt and measurement-policy-candidates.json,\n"
	       "whichever exist. stdout: the report.\n"
	       "exit: 0 ok, 2 usage, 65 an artifact that is not JSON, 66 no such folder, 74 write error.\n",
	       synopsis);
}

static const char *const STEPS[] = {"render", "deploy", "attest", "collateral", "teardown", "parse",
				    "verify", "tcb-policy", "replay", "compose-hash", "extract"};
static const char *const STEP_TEXT[] = {
	"render the KMS compose file (compose-hash --render)", "deploy the staging KMS",
	"wait for /health, attest with a fresh nonce (kms-attest)", "collateral for the quote",
	"tear the staging KMS down", "parse the quote (quote2json)", "verify the quote (quote-verify)",
	"TCB status among ALLOWED_TCB_STATUSES",
	"replay the event log against the quote (rtmr-replay)", "compose hash of the deployed bytes",
	"extract candidates (mrtd-extract)"};
#define NSTEPS (sizeof STEPS / sizeof STEPS[0])

struct step {
	char status[8];
	long ms;
	char msg[512];
	int present;
};

static jv load(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct buf b;
	if (read_file_capped(path, 64 * MP_MIB, &b, RF_SOFT))
		return jv_null();
	char err[256];
	jv v = json_parse((const char *)b.data, b.len, err, sizeof err);
	buf_free(&b);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse '%s': %s", path, err);
	return v;
}

static char *load_text(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct buf b;
	if (read_file_capped(path, MP_MIB, &b, RF_SOFT))
		return NULL;
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = 0;
	return (char *)b.data;
}

static void read_step(const char *dir, const char *name, struct step *s)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/.steps/%s", dir, name);
	memset(s, 0, sizeof *s);
	struct buf b;
	if (read_file_capped(path, 64 * 1024, &b, RF_SOFT))
		return;
	char *line = (char *)b.data, *f[4] = {0};
	int n = 0;
	for (char *p = line; n < 4 && p; n++) {
		f[n] = p;
		p = n < 3 ? strchr(p, '\t') : NULL;
		if (p)
			*p++ = 0;
	}
	if (n == 4) {
		snprintf(s->status, sizeof s->status, "%s", f[0]);
		s->ms = atol(f[2]);
		char *nl = strchr(f[3], '\n');
		if (nl)
			*nl = 0;
		snprintf(s->msg, sizeof s->msg, "%s", f[3]);
		s->present = 1;
	}
	buf_free(&b);
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

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *dir = NULL, *profile = NULL, *backend = NULL, *policy_path = NULL, *image = "",
		   *version = "", *kms_url = "";
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'}, {"profile", required_argument, NULL, 'p'},
		{"backend", required_argument, NULL, 'b'}, {"policy", required_argument, NULL, 'P'},
		{"image", required_argument, NULL, 'i'}, {"kms-version", required_argument, NULL, 'v'},
		{"kms-url", required_argument, NULL, 'u'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'p': profile = optarg; break;
		case 'b': backend = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'i': image = optarg; break;
		case 'v': version = optarg; break;
		case 'u': kms_url = optarg; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("probe-report %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (!dir || !profile || !backend)
		usage_fail(synopsis, "--dir, --profile and --backend are required");

	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fail(EXIT_NOINPUT, "no probe folder '%s'", dir);

	struct step steps[NSTEPS];
	int failed = -1, ran = 0;
	long total_ms = 0;
	for (size_t i = 0; i < NSTEPS; i++) {
		read_step(dir, STEPS[i], &steps[i]);
		if (steps[i].present) {
			ran++;
			total_ms += steps[i].ms;
			if (failed < 0 && strcmp(steps[i].status, "fail") == 0)
				failed = (int)i;
		}
	}
	jv verification = load(dir, "verification.json"), quote = load(dir, "attestation-quote.json"),
	   replay = load(dir, "event-log-replay.json"), cand = load(dir, "measurement-policy-candidates.json");
	jv policy = jv_null();
	if (policy_path) {
		struct buf b;
		if (read_file_capped(policy_path, 16 * MP_MIB, &b, RF_SOFT) == 0) {
			char err[256];
			policy = json_parse((const char *)b.data, b.len, err, sizeof err);
			buf_free(&b);
			if (!jv_is_valid(policy))
				fail(EXIT_DATAERR, "cannot parse '%s': %s", policy_path, err);
		}
	}
	char *compose_hash = load_text(dir, "compose-hash.txt");
	int sim = strcmp(backend, "sim") == 0;
	int complete = failed < 0 && jv_get_kind(cand) == JV_KIND_OBJECT;
	char when[32];
	format_utc(now_epoch(), when);

	struct buf o;
	buf_init(&o);
	/* a quote verified under another anchor than Intel's proves nothing about hardware */
	jv anchor = json_get(verification, "root_ca");
	jv anchor_builtin = json_get(anchor, "builtin");
	int foreign_root = jv_get_kind(anchor) == JV_KIND_OBJECT && jv_get_kind(anchor_builtin) != JV_KIND_TRUE;
	jv_free(anchor_builtin);
	jv_free(anchor);
	buf_printf(&o, "# Staging probe %s: %s%s\n\n", profile, complete ? "PASS" : "FAIL",
		   sim ? " (SIMULATED: local kms-sim, not TDX hardware)"
		       : foreign_root ? " (NOT verified under Intel's root CA)" : "");
	if (sim)
		buf_printf(&o, "> **Simulated.** The quote was made by kms-sim and signed by a simulated PCK chain under "
			       "a simulated root CA. It proves the workflow, not any platform; its candidates carry "
			       "`source: sim` and cannot be promoted into a production policy.\n\n");
	if (failed >= 0)
		buf_printf(&o, "**Failed at step `%s`**: %s\n\n", STEPS[failed], steps[failed].msg);
	else if (!complete)
		buf_printf(&o, "**Incomplete**: no candidates were produced.\n\n");

	buf_printf(&o, "| | |\n| --- | --- |\n");
	buf_printf(&o, "| backend | %s%s |\n", backend,
		   sim ? " (kms-sim on loopback)" : strcmp(backend, "url") == 0 ? " (a KMS that already runs)" : "");
	if (*kms_url) {
		buf_printf(&o, "| KMS URL | ");
		cell(&o, kms_url);
		buf_printf(&o, " |\n");
	}
	buf_printf(&o, "| profile | %s |\n| image | `", profile);
	cell(&o, *image ? image : "(none)");
	buf_printf(&o, "` |\n| KMS version | ");
	cell(&o, *version ? version : "(none)");
	buf_printf(&o, " |\n| report written | %s |\n\n", when);

	buf_printf(&o, "## Steps\n\n| step | what | result | time |\n| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < NSTEPS; i++) {
		struct step *s = &steps[i];
		buf_printf(&o, "| %s | %s | %s", STEPS[i], STEP_TEXT[i], s->present ? s->status : "not run");
		if (s->present && strcmp(s->status, "pass") != 0 && s->msg[0]) {
			buf_add(&o, ": ", 2);
			cell(&o, s->msg);
		}
		if (s->present)
			buf_printf(&o, " | %ld.%03ld s |\n", s->ms / 1000, s->ms % 1000);
		else
			buf_printf(&o, " | |\n");
	}
	buf_printf(&o, "\n%d of %zu steps ran, %ld.%03ld s in all.\n\n", ran, NSTEPS, total_ms / 1000, total_ms % 1000);

	buf_printf(&o, "## Verification\n\n");
	if (jv_get_kind(verification) == JV_KIND_OBJECT) {
		jv ver = json_get(verification, "verified");
		int verified = jv_get_kind(ver) == JV_KIND_TRUE;
		jv_free(ver);
		const char *status = json_str(verification, "status");
		buf_printf(&o, "- verified: **%s**\n- TCB status: %s\n", verified ? "yes" : "no",
			   status ? status : "(none: verification stopped before TCB matching)");
		jv adv = json_get(verification, "advisory_ids");
		if (jv_get_kind(adv) == JV_KIND_ARRAY && jv_array_length(jv_copy(adv)) > 0) {
			buf_printf(&o, "- advisories:");
			jv_array_foreach(adv, i, a) {
				buf_printf(&o, "%s %s", i ? "," : "", jv_get_kind(a) == JV_KIND_STRING ? jv_string_value(a) : "?");
				jv_free(a);
			}
			buf_addc(&o, '\n');
		}
		jv_free(adv);
		jv root = json_get(verification, "root_ca");
		const char *subject = json_str(root, "subject");
		jv builtin = json_get(root, "builtin");
		buf_printf(&o, "- trust anchor: %s%s\n", subject ? subject : "(unknown)",
			   jv_get_kind(builtin) == JV_KIND_TRUE ? " (built-in Intel SGX Root CA)" : " (named with --root-ca)");
		jv_free(builtin);
		jv_free(root);
		const char *fc = json_str(verification, "failed_check"), *err = json_str(verification, "error");
		if (fc)
			buf_printf(&o, "- failed check: `%s`: %s\n", fc, err ? err : "");
		jv checks = json_get(verification, "checks");
		int nfail = 0, npass = 0, nskip = 0;
		if (jv_get_kind(checks) == JV_KIND_ARRAY) {
			jv_array_foreach(checks, i, ch) {
				(void)i;
				const char *r = json_str(ch, "result");
				if (r && !strcmp(r, "fail")) {
					if (!nfail++)
						buf_printf(&o, "\nChecks that failed:\n\n");
					const char *nm = json_str(ch, "name"), *d = json_str(ch, "detail");
					buf_printf(&o, "- `%s`: %s\n", nm ? nm : "?", d ? d : "");
				} else if (r && !strcmp(r, "skip")) {
					nskip++;
				} else {
					npass++;
				}
				jv_free(ch);
			}
		}
		jv_free(checks);
		buf_printf(&o, "\n%d checks passed, %d failed, %d skipped (all of them in `verification.json`).\n\n",
			   npass, nfail, nskip);
	} else {
		buf_printf(&o, "No verdict: the quote was not verified in this run.\n\n");
	}

	buf_printf(&o, "## Measurements\n\nCompared with `%s` (`policy.kms_allowed_*`).\n\n",
		   policy_path ? policy_path : "(no policy file)");
	buf_printf(&o, "| register | value | replayed from the event log | policy |\n| --- | --- | --- | --- |\n");
	jv td = json_get(quote, "td_report");
	jv regs = json_get(replay, "registers");
	static const struct { const char *name, *field, *reg, *pkey; } M[] = {
		{"MRTD", "mr_td", NULL, "kms_allowed_mrtd"}, {"RTMR0", "rt_mr0", "rtmr0", "kms_allowed_rtmr0"},
		{"RTMR1", "rt_mr1", "rtmr1", "kms_allowed_rtmr1"}, {"RTMR2", "rt_mr2", "rtmr2", "kms_allowed_rtmr2"},
		{"RTMR3", "rt_mr3", "rtmr3", "kms_allowed_rtmr3"}};
	for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
		const char *v = json_str(td, M[i].field);
		const char *rep = "-";
		if (M[i].reg && jv_get_kind(regs) == JV_KIND_OBJECT) {
			jv r = json_get(regs, M[i].reg);
			jv m = json_get(r, "match");
			rep = jv_get_kind(m) == JV_KIND_TRUE ? "matches" : jv_get_kind(m) == JV_KIND_FALSE ? "DIFFERS" : "-";
			jv_free(m);
			jv_free(r);
		} else if (M[i].reg) {
			rep = "not replayed";
		}
		buf_printf(&o, "| %s | `%s` | %s | %s |\n", M[i].name, v ? v : "(no quote)", rep,
			   compare(policy, M[i].pkey, v));
	}
	jv_free(regs);
	jv_free(td);
	const char *status = json_str(verification, "status");
	char lower[64] = "";
	for (size_t i = 0; status && status[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(status[i] >= 'A' && status[i] <= 'Z' ? status[i] + 32 : status[i]);
	buf_printf(&o, "| TCB status | `%s` | | %s |\n", status ? lower : "(none)",
		   compare(policy, "kms_allowed_tcb_statuses", status ? lower : NULL));
	buf_printf(&o, "| compose hash | `%s` | %s | %s |\n\n", compose_hash ? compose_hash : "(not computed)",
		   compose_hash ? "in the RTMR3 event log" : "-",
		   compare(policy, "kms_allowed_event_payload", compose_hash));

	if (jv_get_kind(cand) == JV_KIND_OBJECT) {
		const char *src = json_str(cand, "source");
		buf_printf(&o, "Candidates: `measurement-policy-candidates.json` (role kms, source `%s`).\n\n",
			   src ? src : "?");
	} else {
		buf_printf(&o, "No candidates file: nothing from this run can be promoted.\n\n");
	}

	jv runtime = json_get(replay, "runtime");
	if (jv_get_kind(runtime) == JV_KIND_OBJECT) {
		buf_printf(&o, "## Runtime events (RTMR3)\n\n");
		jv_object_foreach(runtime, k, v) {
			buf_printf(&o, "- %s: ", jv_string_value(k));
			if (jv_get_kind(v) == JV_KIND_STRING)
				buf_printf(&o, "`%s`\n", jv_string_value(v));
			else {
				struct buf t;
				buf_init(&t);
				json_dump_buf(jv_copy(v), 0, &t);
				buf_printf(&o, "%.*s", (int)t.len, (const char *)t.data);
				buf_free(&t);
			}
			jv_free(k);
			jv_free(v);
		}
		buf_addc(&o, '\n');
	}
	jv_free(runtime);

	buf_printf(&o, "## Verifying the signatures\n\n"
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

	out_write(o.data, o.len);
	buf_free(&o);
	free(compose_hash);
	jv_free(policy);
	jv_free(verification);
	jv_free(quote);
	jv_free(replay);
	jv_free(cand);
	close_stdout();
	return 0;
}
