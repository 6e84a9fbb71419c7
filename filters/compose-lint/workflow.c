/* Workflows. MERO_KMS_PROFILE, wherever a workflow sets it (env of the
 * workflow, a job, a step, a job's container or services, or an assignment
 * in a run script), is one of the three profiles: a literal, a choice input
 * whose options are profiles, or a matrix of profiles; KMS_POLICY_PROFILE is
 * absent or equal. The env-policy variables are an error where they are set
 * for a KMS: the env in effect for a step that deploys one (not through
 * make), assignments in that step's script, and the env of a job container or
 * service that runs a mero-kms image. A make step's env holds make's knobs
 * (ALLOWED_TCB_STATUSES is the probe's), never the KMS's: make deploys the
 * rendered compose only, which compose-render and this lint check. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "lib/common.h"
#include "lib/profile.h"

struct wf {
	struct cl_ctx *c;
	const struct cl_ynode *on, *job;
	long reported[64]; /* env-policy lines of the workflow and job env already reported */
	size_t nreported;
};

/* ---- a profile from an expression: ${{ inputs.X }}, ${{ github.event.inputs.X }}, ${{ matrix.X }} */

static int all_profiles(const struct cl_ynode *seq)
{
	if (!seq || seq->kind != CL_SEQ || seq->n == 0)
		return 0;
	for (size_t i = 0; i < seq->n; i++)
		if (!profile_lookup(cl_scalar(seq->items[i])))
			return 0;
	return 1;
}

static int input_ok(struct wf *w, const char *name)
{
	static const char *const events[] = {"workflow_dispatch", "workflow_call"};
	int declared = 0;
	for (int i = 0; i < 2; i++) {
		const struct cl_ynode *in = cl_get(cl_get(cl_get(w->on, events[i]), "inputs"), name);
		if (!in)
			continue;
		declared = 1;
		const char *type = cl_scalar(cl_get(in, "type"));
		if (!type || strcmp(type, "choice") != 0 || !all_profiles(cl_get(in, "options")))
			return 0;
	}
	return declared;
}

static int matrix_ok(struct wf *w, const char *name)
{
	const struct cl_ynode *m = cl_get(cl_get(w->job, "strategy"), "matrix");
	const struct cl_ynode *v = cl_get(m, name), *inc = cl_get(m, "include");
	int any = 0;
	if (v) {
		if (!all_profiles(v))
			return 0;
		any = 1;
	}
	for (size_t i = 0; inc && inc->kind == CL_SEQ && i < inc->n; i++) {
		const struct cl_ynode *x = cl_get(inc->items[i], name);
		if (!x)
			continue;
		if (!profile_lookup(cl_scalar(x)))
			return 0;
		any = 1;
	}
	return any;
}

/* "${{ PREFIX NAME }}": NAME into name, 1 when it matches */
static int expr_name(const char *v, const char *prefix, char *name, size_t n)
{
	while (isspace((unsigned char)*v))
		v++;
	if (strncmp(v, "${{", 3) != 0)
		return 0;
	v += 3;
	while (*v == ' ')
		v++;
	size_t pl = strlen(prefix);
	if (strncmp(v, prefix, pl) != 0)
		return 0;
	v += pl;
	size_t k = 0;
	while (k + 1 < n && (isalnum((unsigned char)v[k]) || v[k] == '_' || v[k] == '-'))
		k++;
	memcpy(name, v, k);
	name[k] = 0;
	v += k;
	while (*v == ' ')
		v++;
	return k > 0 && strncmp(v, "}}", 2) == 0 && v[2 + strspn(v + 2, " \t\r\n")] == 0;
}

static void expr_profile(struct wf *w, const char *what, const char *val, long line)
{
	char name[128];
	int in = expr_name(val, "inputs.", name, sizeof name) || expr_name(val, "github.event.inputs.", name, sizeof name);
	if (in && input_ok(w, name))
		return;
	if (in) {
		lint_add(w->c->l, "ERROR", w->c->file, line, "profile-value",
			 "%s comes from the input '%s', which is not a choice input whose options are %s", what, name,
			 profile_choices());
		return;
	}
	if (expr_name(val, "matrix.", name, sizeof name)) {
		if (!matrix_ok(w, name))
			lint_add(w->c->l, "ERROR", w->c->file, line, "profile-value",
				 "%s comes from matrix.%s, whose values are not all one of %s", what, name, profile_choices());
		return;
	}
	lint_add(w->c->l, "ERROR", w->c->file, line, "profile-value",
		 "%s is set from '%s', which lint cannot resolve to %s: use a literal, a choice input or a matrix of "
		 "profiles", what, val, profile_choices());
}

/* The profile a workflow value names: canonical for a literal, the
 * expression itself for one that resolves, NULL after an error. */
static const char *wf_profile(struct wf *w, const char *what, const char *val, long line)
{
	if (val && strstr(val, "${{")) {
		size_t before = lint_count(w->c->l, "ERROR");
		expr_profile(w, what, val, line);
		return lint_count(w->c->l, "ERROR") == before ? val : NULL;
	}
	return cl_profile_value(w->c, what, val, NULL, line);
}

/* ---- env maps */

/* MERO_KMS_PROFILE of this env, KMS_POLICY_PROFILE against the one in effect
 * (this env's, else the inherited one). */
static const char *check_env(struct wf *w, const struct cl_envs *env, const char *inherited)
{
	const struct cl_env *m = cl_envs_get(env, "MERO_KMS_PROFILE"), *k = cl_envs_get(env, "KMS_POLICY_PROFILE");
	const char *mp = m ? wf_profile(w, "MERO_KMS_PROFILE", m->val, m->line) : inherited;
	if (!k)
		return mp;
	const char *kp = wf_profile(w, "KMS_POLICY_PROFILE", k->val, k->line);
	if (!m && !inherited)
		lint_add(w->c->l, "ERROR", w->c->file, k->line, "profile-legacy",
			 "KMS_POLICY_PROFILE is deprecated: set MERO_KMS_PROFILE (the KMS refuses the two when they differ)");
	else if (kp && mp && strcmp(kp, mp) != 0)
		lint_add(w->c->l, "ERROR", w->c->file, k->line, "profile-legacy",
			 "the deprecated KMS_POLICY_PROFILE is %s but MERO_KMS_PROFILE is %s: it must be absent or equal", kp,
			 mp);
	return mp;
}

static int reported(struct wf *w, long line)
{
	for (size_t i = 0; i < w->nreported; i++)
		if (w->reported[i] == line)
			return 1;
	if (w->nreported < sizeof w->reported / sizeof *w->reported)
		w->reported[w->nreported++] = line;
	return 0;
}

static void ban_env(struct wf *w, const struct cl_envs *env, const char *scope, const char *what, int once)
{
	for (size_t i = 0; i < env->n; i++)
		if (cl_is_env_policy(env->v[i].key) && !(once && reported(w, env->v[i].line)))
			lint_add(w->c->l, "ERROR", w->c->file, env->v[i].line, "env-policy",
				 "%s is set in the %s env for %s: the env-policy escape hatch is banned for every profile "
				 "(ADR-0002)", env->v[i].key, scope, what);
}

/* ---- run scripts */

static int is_make(const char *run)
{
	for (const char *p = run; *p;) {
		size_t n = strcspn(p, "\n");
		const char *s = p;
		while (s < p + n && isspace((unsigned char)*s))
			s++;
		if (s < p + n && *s != '#' && !(strncmp(s, "make", 4) == 0 && (s + 4 == p + n || isspace((unsigned char)s[4]))))
			return 0;
		p += n + (p[n] == '\n');
	}
	return 1;
}

static int deploys(const char *run)
{
	static const char *const marks[] = {"docker run", "docker create", "docker compose", "docker-compose",
					    "docker stack deploy", "podman run", "phala deploy", "phala cvms",
					    "provision_prod", "/cvms"};
	if (is_make(run))
		return 0;
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
		if (strstr(run, marks[i]))
			return 1;
	return 0;
}

static int ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* An assignment "NAME=value" or "NAME: value" at s (NAME ends at s + k):
 * the value's text into val; 0 when it is not one. */
static int assignment(const char *line, const char *s, size_t k, const char *end, char *val, size_t n)
{
	if ((s > line && (ident(s[-1]) || s[-1] == '$' || s[-1] == '{')) || (s + k < end && ident(s[k])))
		return 0;
	const char *p = s + k;
	while (p < end && *p == ' ')
		p++;
	if (p >= end || (*p != '=' && *p != ':') || (p + 1 < end && p[1] == '='))
		return 0;
	for (p++; p < end && (*p == ' ' || *p == '"' || *p == '\''); p++)
		;
	const char *v = p;
	if (end - p >= 3 && strncmp(p, "${{", 3) == 0) {
		const char *close = strstr(p, "}}");
		p = close && close < end ? close + 2 : end;
	} else {
		while (p < end && !strchr(" \t\"';,)}", *p))
			p++;
	}
	snprintf(val, n, "%.*s", (int)(p - v), v);
	return 1;
}

static void run_line(struct wf *w, const char *line, const char *end, long no, int deploying)
{
	static const char *const names[] = {"MERO_KMS_PROFILE", "KMS_POLICY_PROFILE", "USE_ENV_POLICY",
					    "ALLOWED_TCB_STATUSES", "ALLOWED_MRTD", "ALLOWED_RTMR0", "ALLOWED_RTMR1",
					    "ALLOWED_RTMR2", "ALLOWED_RTMR3"};
	char val[256];
	for (const char *s = line; s < end; s++) {
		for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
			size_t k = strlen(names[i]);
			if ((size_t)(end - s) < k || memcmp(s, names[i], k) != 0 || !assignment(line, s, k, end, val, sizeof val))
				continue;
			if (i >= 2 && deploying)
				lint_add(w->c->l, "ERROR", w->c->file, no, "env-policy",
					 "the script of a step that deploys a KMS sets %s: the env-policy escape hatch is "
					 "banned for every profile (ADR-0002)", names[i]);
			else if (i < 2 && !(val[0] == '$' && strncmp(val, "${{", 3) != 0))
				wf_profile(w, names[i], val, no);
		}
	}
}

static void scan_run(struct wf *w, const struct cl_ynode *run, int deploying)
{
	long no = run->line + ((run->style & (CL_LITERAL | CL_FOLDED)) ? 1 : 0);
	for (const char *p = run->str; *p; no++) {
		size_t n = strcspn(p, "\n");
		const char *s = p;
		while (s < p + n && isspace((unsigned char)*s))
			s++;
		if (s < p + n && *s != '#')
			run_line(w, p, p + n, no, deploying);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* ---- jobs */

static void kms_container(struct wf *w, const struct cl_ynode *ct, const char *what)
{
	struct cl_image im;
	const char *img = cl_scalar(cl_get(ct, "image"));
	struct cl_envs env = {0};
	cl_envs_from(&env, cl_get(ct, "env"));
	const char *p = check_env(w, &env, NULL);
	if (img) {
		cl_image_parse(img, &im);
		if (im.kms)
			ban_env(w, &env, what, "a mero-kms container", 0);
		if (im.kms && im.tag_profile && p && profile_lookup(p) && strcmp(profile_lookup(p), im.tag_profile) != 0)
			lint_add(w->c->l, "ERROR", w->c->file, cl_get(ct, "image")->line, "profile-image",
				 "the image's tag names the profile %s, but MERO_KMS_PROFILE is %s", im.tag_profile, p);
	}
	cl_envs_free(&env);
}

static void step(struct wf *w, const struct cl_ynode *st, const struct cl_envs *wenv, const struct cl_envs *jenv,
		 const char *jp)
{
	struct cl_envs env = {0};
	cl_envs_from(&env, cl_get(st, "env"));
	check_env(w, &env, jp);
	const struct cl_ynode *run = cl_get(st, "run");
	int deploying = cl_scalar(run) && deploys(run->str);
	if (deploying) {
		const char *name = cl_scalar(cl_get(st, "name"));
		char what[200];
		snprintf(what, sizeof what, "the step '%s', which deploys a KMS", name ? name : "(unnamed)");
		ban_env(w, wenv, "workflow", what, 1);
		ban_env(w, jenv, "job", what, 1);
		ban_env(w, &env, "step", what, 0);
	}
	if (cl_scalar(run))
		scan_run(w, run, deploying);
	cl_envs_free(&env);
}

static void job(struct wf *w, const struct cl_ynode *j, const struct cl_envs *wenv, const char *wp)
{
	w->job = j;
	struct cl_envs jenv = {0};
	cl_envs_from(&jenv, cl_get(j, "env"));
	const char *jp = check_env(w, &jenv, wp);
	if (cl_get(j, "container") && cl_get(j, "container")->kind == CL_MAP)
		kms_container(w, cl_get(j, "container"), "job container");
	struct cl_pairs svcs;
	cl_pairs(cl_get(j, "services"), &svcs);
	for (size_t i = 0; i < svcs.n; i++)
		kms_container(w, svcs.v[i], "job service");
	cl_pairs_free(&svcs);
	const struct cl_ynode *steps = cl_get(j, "steps");
	for (size_t i = 0; steps && steps->kind == CL_SEQ && i < steps->n; i++)
		step(w, steps->items[i], wenv, &jenv, jp);
	cl_envs_free(&jenv);
	w->job = NULL;
}

void cl_check_workflow(struct cl_ctx *c, const struct cl_ynode *root)
{
	struct wf w = {.c = c, .on = cl_get(root, "on")};
	struct cl_envs wenv = {0};
	cl_envs_from(&wenv, cl_get(root, "env"));
	const char *wp = check_env(&w, &wenv, NULL);
	struct cl_pairs jobs;
	cl_pairs(cl_get(root, "jobs"), &jobs);
	for (size_t i = 0; i < jobs.n; i++)
		if (jobs.v[i]->kind == CL_MAP)
			job(&w, jobs.v[i], &wenv, wp);
	cl_pairs_free(&jobs);
	cl_envs_free(&wenv);
}
