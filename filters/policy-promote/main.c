/* policy-promote: promote a staging probe's signed measurement candidates into
 * the profile's policy file, on a branch of the local repository with one
 * commit, and with a GitHub token open (or update) the pull request that
 * make gate checks. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/git.h"
#include "lib/json.h"
#include "lib/profile.h"
#include "lib/sha.h"
#include "promote.h"

enum {
	OPT_PROFILE = 'p', OPT_CAND = 'c', OPT_SIG = 's', OPT_RUN = 'r', OPT_TAG = 't', OPT_KEY = 'k', OPT_WORK = 'w',
	OPT_REPO_DIR = 'C', OPT_REPO = 'R', OPT_BASE = 'b', OPT_SIM = 'S', OPT_PUSH = 'P', OPT_DRAFT = 'd'
};

static const struct cli_opt options[] = {
	{"profile", OPT_PROFILE, "P", "the profile whose policy file is promoted into; required", 0},
	{"candidates", OPT_CAND, "FILE", "the probe's " CANDIDATES_NAME ", or the probe folder holding it", 0},
	{"signature", OPT_SIG, "FILE", "the candidates' cosign signature (default: the candidates' name + .sig)", 0},
	{"run-id", OPT_RUN, "N", "instead of --candidates: the probe artifact of workflow run N (Actions API)", 0},
	{"release-tag", OPT_TAG, "TAG", "the KMS release the candidates are for (default: their kms_version)", 0},
	{"key", OPT_KEY, "PUB", "the project's public key the candidates must verify with (default cosign.pub)", 0},
	{"work", OPT_WORK, "DIR", "where the verified inputs, the policy files and the body go\n"
				  "(default artifacts/promote/P)", 0},
	{"repo-dir", OPT_REPO_DIR, "DIR", "the git repository (default: the current folder); the branch starts\n"
					  "at its HEAD and the work tree is left as it is", 0},
	{"repo", OPT_REPO, "OWNER/NAME", "the GitHub repository (default GITHUB_REPOSITORY)", 0},
	{"base", OPT_BASE, "BRANCH", "the pull request's base branch (default master)", 0},
	{"allow-simulated", OPT_SIM, NULL, "accept simulated candidates (kms-sim's; never into locked-read-only)", 0},
	{"push", OPT_PUSH, NULL, "push the branch and open or update the pull request (needs a token)", 0},
	{"draft", OPT_DRAFT, NULL, "open the pull request as a draft", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-promote --profile P (--candidates FILE|DIR [--signature FILE] | --run-id N)\n"
		    "       [--release-tag TAG] [--key PUB] [--work DIR] [--repo-dir DIR] [--repo OWNER/NAME]\n"
		    "       [--base BRANCH] [--allow-simulated] [--push] [--draft] > RECEIPT_JSON",
	.about = "Promote signed measurement candidates into a profile's policy file, on a branch with one commit,\n"
		 "and open the pull request the policy gate checks.",
	.opts = options,
	.trailer = "stdin: nothing.  stdout: the receipt (branch, commit, files' SHA-256, pull request), canonical JSON.\n"
		   "environment: GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL, GITHUB_SERVER_URL (default\n"
		   "https://github.com), GITHUB_REPOSITORY, GIT_AUTHOR_NAME and friends.\n"
		   "exit: 0 ok (also when nothing changes), 1 refused (signature, profiles, simulated or unverified\n"
		   "candidates, lint findings), 2 usage, 65 malformed candidates, 66 a file or artifact missing,\n"
		   "69 unreachable, 70 git failed, 74 I/O error, 75 retry later, 76 protocol error,\n"
		   "77 credentials refused, 78 --push without a token or a bad setting.",
};

static void check_options(struct cli *cl, struct opts *o)
{
	if (!o->profile)
		cli_usage(cl, "--profile is required");
	if (!o->candidates == !o->run_id)
		cli_usage(cl, "give either --candidates or --run-id");
	if (o->signature && !o->candidates)
		cli_usage(cl, "--signature goes with --candidates");
	if (o->run_id && parse_uint(o->run_id, 1LL << 53) <= 0)
		cli_usage(cl, "--run-id must be a workflow run id (a number; got '%s')", o->run_id);
	if (o->tag && !kms_version_valid(o->tag))
		cli_usage(cl, "--release-tag must be a KMS version (2.3.40, v2.3.40, mero-kms-v2.3.40; got '%s')", o->tag);
	if (!o->repo)
		o->repo = getenv("GITHUB_REPOSITORY");
	if (o->repo && *o->repo && !gh_pair_ok(o->repo))
		cli_usage(cl, "the repository must be OWNER/NAME (got '%s')", o->repo);
	if (o->repo && !*o->repo)
		o->repo = NULL;
	if (!git_branch_ok(o->base))
		cli_usage(cl, "--base must be a branch name (letters, digits and . _ / -; got '%s')", o->base);
	if ((o->run_id || o->push) && !o->repo)
		cli_usage(cl, "%s needs the repository: --repo OWNER/NAME or GITHUB_REPOSITORY",
			  o->run_id ? "--run-id" : "--push");
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	memset(o, 0, sizeof *o);
	o->key = "cosign.pub";
	o->base = "master";
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_PROFILE:
			if (!(o->profile = profile_lookup(v)))
				cli_usage(&cl, "--profile must be %s (got '%s')", profile_choices(), v);
			break;
		case OPT_CAND: o->candidates = v; break;
		case OPT_SIG: o->signature = v; break;
		case OPT_RUN: o->run_id = v; break;
		case OPT_TAG: o->tag = v; break;
		case OPT_KEY: o->key = v; break;
		case OPT_WORK: o->work = v; break;
		case OPT_REPO_DIR: o->repo_dir = v; break;
		case OPT_REPO: o->repo = v; break;
		case OPT_BASE: o->base = v; break;
		case OPT_SIM: o->allow_simulated = 1; break;
		case OPT_PUSH: o->push = 1; break;
		case OPT_DRAFT: o->draft = 1; break;
		}
	}
	check_options(&cl, o);
	cli_free(&cl);
}

/* The work folder, made if missing, as an absolute path (git runs elsewhere). */
static void work_folder(struct promote *p)
{
	char dflt[300];
	snprintf(dflt, sizeof dflt, "artifacts/promote/%s", p->o.profile);
	const char *w = p->o.work ? p->o.work : dflt;
	make_dirs(w);
	char abs[PATH_MAX];
	if (!realpath(w, abs))
		fail(EXIT_IOERR, "cannot resolve the work folder '%s': %s", w, strerror(errno));
	p->work = xstrdup(abs);
}

static jv files_json(const struct promote *p)
{
	jv a = jv_array();
	for (int i = 0; i < POLICY_NFILES; i++) {
		const struct pfile *f = &p->f[i];
		char b[65] = "", t[65];
		if (f->present)
			sha256_hex(f->before.data, f->before.len, b);
		sha256_hex(f->after.data, f->after.len, t);
		jv o = jv_object();
		JSET(o, "path", jv_string(f->path));
		JSET(o, "changed", jv_bool(f->changed));
		JSET(o, "sha256_before", f->present ? jv_string(b) : jv_null());
		JSET(o, "sha256_after", jv_string(t));
		a = jv_array_append(a, o);
	}
	return a;
}

static void emit_receipt(struct promote *p)
{
	jv r = jv_object();
	JSET(r, "profile", jv_string(p->o.profile));
	JSET(r, "tag", jv_string(p->tag));
	JSET(r, "changed", jv_bool(p->changed));
	JSET(r, "branch", p->changed ? jv_string(p->branch) : jv_null());
	JSET(r, "commit", p->changed ? jv_string(p->commit) : jv_null());
	JSET(r, "parent", jv_string(p->parent));
	JSET(r, "base", jv_string(p->o.base));
	JSET(r, "title", jv_string(p->title));
	JSET(r, "files", files_json(p));
	jv c = jv_object();
	JSET(c, "sha256", jv_string(p->cand_sha));
	JSET(c, "signature_sha256", jv_string(p->sig_sha));
	JSET(c, "role", jv_string(p->role));
	JSET(c, "source", jv_string(p->source));
	JSET(c, "simulated", jv_bool(p->simulated));
	JSET(c, "quote_sha256", p->quote_sha ? jv_string(p->quote_sha) : jv_null());
	JSET(c, "run_id", p->o.run_id ? jv_string(p->o.run_id) : jv_null());
	JSET(r, "candidates", c);
	JSET(r, "probe_report", JV_OBJECT(jv_string("included"), jv_bool(p->have_report), jv_string("note"),
					  p->have_report ? jv_null() : jv_string(p->report_note)));
	JSET(r, "work", jv_string(p->work));
	JSET(r, "pushed", jv_bool(p->pushed));
	JSET(r, "pull_request", jv_copy(p->pull));
	JSET(r, "compare_url", p->compare[0] ? jv_string(p->compare) : jv_null());
	json_emit(r);
}

static void promote_free(struct promote *p)
{
	buf_free(&p->cand);
	buf_free(&p->sig);
	if (p->have_report)
		buf_free(&p->report);
	jv_free(p->cj);
	jv_free(p->pull);
	for (int i = 0; i < POLICY_NFILES; i++) {
		free(p->f[i].path);
		buf_free(&p->f[i].before);
		buf_free(&p->f[i].after);
	}
	if (p->body.data)
		buf_free(&p->body);
	if (p->have_gh)
		gh_free(&p->g);
	free(p->work);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct promote p;
	memset(&p, 0, sizeof p);
	parse_options(argc, argv, &p.o);
	p.cj = jv_null();
	p.pull = jv_null();
	git_set_dir(p.o.repo_dir);
	work_folder(&p);
	inputs_read(&p);
	inputs_check(&p);
	merge_files(&p);
	lint_files(&p);
	commit_branch(&p);
	if (p.changed) {
		body_build(&p);
		pull_open(&p);
	}
	emit_receipt(&p);
	promote_free(&p);
	close_stdout();
	return EXIT_OK;
}
