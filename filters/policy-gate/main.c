/* policy-gate: the CI check on a pull request that touches policies/. It
 * reads the pull request through the GitHub REST API (nothing of the pull
 * request's own code runs) and passes only when it carries the
 * policy-promotion label, the head's policy files lint clean, enough
 * security-team members approved the head commit, every allowlist value it
 * adds comes from signed candidates (or a verified node release) named in its
 * body, and any structural change has an architecture approval too. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/json.h"
#include "gate.h"

enum {
	OPT_PR = 'n', OPT_REPO = 'R', OPT_SECURITY = 's', OPT_ARCH = 'a', OPT_APPROVALS = 'A', OPT_KEY = 'k',
	OPT_WORK = 'w', OPT_STATUS = 'S'
};

static const struct cli_opt options[] = {
	{"pr", OPT_PR, "N", "the pull request's number; required", 0},
	{"repo", OPT_REPO, "OWNER/NAME", "the repository (default GITHUB_REPOSITORY)", 0},
	{"security-team", OPT_SECURITY, "ORG/SLUG", "whose approvals count (default calimero-network/security)", 0},
	{"architecture-team", OPT_ARCH, "ORG/SLUG", "who approves structural changes\n"
						    "(default calimero-network/architecture)", 0},
	{"approvals", OPT_APPROVALS, "N", "security-team approvals required on the head commit (default 2)", 0},
	{"key", OPT_KEY, "PUB", "the project's public key candidates and releases must verify with\n"
				"(default cosign.pub)", 0},
	{"work", OPT_WORK, "DIR", "where the head's policy files, the node releases' files, verdict.json\n"
				  "and summary.md go (default artifacts/gate/pr-N)", 0},
	{"status", OPT_STATUS, NULL, "post the commit status " STATUS_CONTEXT " on the head commit", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-gate --pr N [--repo OWNER/NAME] [--security-team ORG/SLUG] [--architecture-team ORG/SLUG]\n"
		    "       [--approvals N] [--key PUB] [--work DIR] [--status] > VERDICT_JSON",
	.about = "Decide whether a pull request that changes the attestation policy may merge.",
	.opts = options,
	.trailer = "stdin: nothing.  stdout: the verdict (every requirement, met or not, with its evidence), canonical\n"
		   "JSON, also on exit 1; stderr: a short summary.\n"
		   "environment: GITHUB_TOKEN or GH_TOKEN (reading team members needs read:org), GITHUB_API_URL,\n"
		   "GITHUB_REPOSITORY, GITHUB_SERVER_URL and GITHUB_RUN_ID (the status's link),\n"
		   "exit: 0 passes, 1 a requirement unmet (each one listed), 2 usage, 69 unreachable, 74 I/O error,\n"
		   "75 retry later, 76 protocol error, 77 credentials refused, 78 no token or a bad setting.",
};

static void check_options(struct cli *cl, struct opts *o)
{
	if (!o->pr)
		cli_usage(cl, "--pr is required");
	if (parse_uint(o->pr, 1 << 30) <= 0)
		cli_usage(cl, "--pr must be a pull request number (got '%s')", o->pr);
	if (!o->repo || !*o->repo)
		o->repo = getenv("GITHUB_REPOSITORY");
	if (!o->repo || !*o->repo)
		cli_usage(cl, "the repository: --repo OWNER/NAME or GITHUB_REPOSITORY");
	const char *bad = !gh_pair_ok(o->repo) ? o->repo : !gh_pair_ok(o->security) ? o->security
						  : !gh_pair_ok(o->architecture) ? o->architecture : NULL;
	if (bad)
		cli_usage(cl, "a repository or team is OWNER/NAME of letters, digits and . _ - (got '%s')", bad);
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	memset(o, 0, sizeof *o);
	o->security = "calimero-network/security";
	o->architecture = "calimero-network/architecture";
	o->key = "cosign.pub";
	o->approvals = 2;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_PR: o->pr = v; break;
		case OPT_REPO: o->repo = v; break;
		case OPT_SECURITY: o->security = v; break;
		case OPT_ARCH: o->architecture = v; break;
		case OPT_APPROVALS:
			o->approvals = (int)parse_uint(v, 1000);
			if (o->approvals < 1 || o->approvals > 20)
				cli_usage(&cl, "--approvals must be 1 to 20 (got '%s')", v);
			break;
		case OPT_KEY: o->key = v; break;
		case OPT_WORK: o->work = v; break;
		case OPT_STATUS: o->status = 1; break;
		}
	}
	check_options(&cl, o);
	cli_free(&cl);
}

static void post_status(struct gate *g)
{
	char desc[141], target[600] = "";
	jv first = jv_null();
	jv_array_foreach(g->reqs, i, r) {
		jv met = json_get(r, "met");
		if (jv_get_kind(met) == JV_KIND_FALSE && jv_get_kind(first) == JV_KIND_NULL) {
			jv_free(first);
			first = jv_copy(r);
		}
		jv_free(met);
		jv_free(r);
	}
	if (g->pass)
		snprintf(desc, sizeof desc, "all requirements met");
	else
		snprintf(desc, sizeof desc, "%s: %s", json_str(first, "id"), json_str(first, "detail"));
	jv_free(first);
	const char *srv = getenv("GITHUB_SERVER_URL"), *run = getenv("GITHUB_RUN_ID");
	if (srv && *srv && run && parse_uint(run, 1LL << 53) > 0 && !strpbrk(srv, " \"'\\"))
		snprintf(target, sizeof target, "%s/%s/actions/runs/%s", srv, g->o.repo, run);
	jv body = JV_OBJECT(jv_string("state"), jv_string(g->pass ? "success" : "failure"), jv_string("context"),
			    jv_string(STATUS_CONTEXT), jv_string("description"), jv_string(desc));
	if (target[0])
		JSET(body, "target_url", jv_string(target));
	char *url = gh_url(&g->g, "/repos/%s/statuses/%s", g->o.repo, g->head);
	jv ans;
	gh_json(&g->g, HTTP_POST, url, body, 0, &ans);
	jv_free(ans);
	free(url);
	warnx("commit status %s: %s on %.12s", STATUS_CONTEXT, g->pass ? "success" : "failure", g->head);
}

static void requirements(struct gate *g)
{
	jv labels = jv_copy(g->labels);
	int labelled = 0;
	jv_array_foreach(labels, i, l) {
		labelled |= jv_get_kind(l) == JV_KIND_STRING && !strcmp(jv_string_value(l), PROMOTION_LABEL);
		jv_free(l);
	}
	req_add(g, "label", labelled, labels,
		labelled ? "the pull request carries the " PROMOTION_LABEL " label"
			 : "the pull request changes policies/ but does not carry the " PROMOTION_LABEL " label");
	contents_read(g);
	lint_head(g);
	values_diff(g);
	evidence_read(g);
	values_back(g);
	reviews_count(g);
}

static void gate_free(struct gate *g)
{
	jv_free(g->labels);
	jv_free(g->files);
	jv_free(g->other_changes);
	jv_free(g->structural);
	jv_free(g->candidates);
	jv_free(g->releases);
	jv_free(g->lint);
	jv_free(g->reviewers);
	jv_free(g->reqs);
	for (int i = 0; i < POLICY_NFILES; i++) {
		struct pfile *f = &g->f[i];
		free(f->path);
		buf_free(&f->base.text);
		buf_free(&f->head.text);
		jv_free(f->base.doc);
		jv_free(f->head.doc);
	}
	for (size_t i = 0; i < g->nadd; i++) {
		free(g->add[i].file);
		free(g->add[i].list);
		free(g->add[i].value);
		free(g->add[i].backed_by);
	}
	free(g->add);
	free(g->author);
	free(g->body);
	free(g->work);
	gh_free(&g->g);
}

int main(int argc, char **argv)
{
	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
	prog_init(argv[0]);
	struct gate g;
	memset(&g, 0, sizeof g);
	parse_options(argc, argv, &g.o);
	g.number = (int)parse_uint(g.o.pr, 1 << 30);
	char dflt[64];
	snprintf(dflt, sizeof dflt, "artifacts/gate/pr-%d", g.number);
	g.work = xstrdup(g.o.work ? g.o.work : dflt);
	make_dirs(g.work);
	gh_init(&g.g, vars, 1);
	g.pass = 1;
	g.reqs = jv_array();
	g.labels = g.files = g.other_changes = g.candidates = g.releases = g.lint = g.reviewers = jv_null();
	g.structural = jv_array();
	for (int i = 0; i < POLICY_NFILES; i++)
		g.f[i].base.doc = g.f[i].head.doc = jv_invalid();
	pull_read(&g);
	if (g.policy_change)
		requirements(&g);
	else
		req_add(&g, "policy", 1, jv_null(), "nothing under policies/ changes: no policy requirement applies");
	jv v = verdict_json(&g);
	struct buf md;
	summary(&g, &md);
	char *vp = gate_path(&g, "verdict.json", NULL), *sp = gate_path(&g, "summary.md", NULL);
	json_write_file(vp, jv_copy(v));
	write_file(sp, md.data, md.len, 0644);
	free(vp);
	free(sp);
	buf_free(&md);
	if (g.o.status)
		post_status(&g);
	json_emit(v);
	int rc = g.pass ? EXIT_OK : EXIT_NO;
	gate_free(&g);
	close_stdout();
	return rc;
}
