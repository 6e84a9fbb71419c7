/* The policy files as the branch will hold them: the profile's file at HEAD,
 * merged with the candidates by policy-merge (its refusals are ours); the
 * legacy copy follows locked-read-only; then policy-lint over all of them. */
#include <stdlib.h>
#include <string.h>

#include "lib/git.h"
#include "lib/json.h"
#include "lib/profile.h"
#include "lib/run.h"
#include "promote.h"

#define POLICY_CAP (16 * MP_MIB)

static char *work_path(const struct promote *p, const char *rel)
{
	char *s;
	if (asprintf(&s, "%s/%s", p->work, rel) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return s;
}

static void read_parent(struct promote *p)
{
	char why[300];
	if (git_commit_id("HEAD", p->parent, why, sizeof why) != 0)
		fail(EXIT_NOINPUT, "no commit to start the branch from (HEAD): %s", why);
	for (int i = 0; i < POLICY_NFILES; i++) {
		struct pfile *f = &p->f[i];
		f->path = policy_file_path(i);
		enum git_blob st = git_blob(p->parent, f->path, POLICY_CAP, &f->before);
		if (st == GIT_BLOB_NOT_FILE)
			fail(EXIT_NOINPUT, "%s at HEAD (%.12s) is not a regular file", f->path, p->parent);
		f->present = st == GIT_BLOB_OK;
	}
}

/* Run a program of ours with stdin from in; exit with its status (and its
 * message) unless it succeeds. */
static void run_step(char *const argv[], const struct buf *in, const char *what)
{
	struct buf out, err;
	int over;
	char why[600];
	int st = run_capture_with(argv, in, NULL, &out, MP_MIB, &over, &err);
	if (st != 0) {
		fputs((const char *)out.data, stderr);
		run_first_line(&err, "no message", why, sizeof why);
		fail(st >= 128 ? EXIT_SOFTWARE : st, "%s: %s", what, why);
	}
	buf_free(&out);
	buf_free(&err);
}

void merge_files(struct promote *p)
{
	read_parent(p);
	int me = 0;
	while (strcmp(mp_profiles[me], p->o.profile) != 0)
		me++;
	p->me = me;
	if (!p->f[me].present)
		fail(EXIT_NOINPUT, "%s is not in HEAD (%.12s): nothing to promote into", p->f[me].path, p->parent);
	char *dir = work_path(p, POLICY_DIR);
	make_dirs(dir);
	free(dir);
	char *pol = work_path(p, p->f[me].path), *sig = work_path(p, CANDIDATES_NAME ".sig");
	write_file(pol, p->f[me].before.data, p->f[me].before.len, 0644);
	char *argv[] = {"policy-merge", "--policy", pol, "--signature", sig, "--output", pol,
			p->o.allow_simulated ? "--allow-simulated" : NULL, NULL};
	/* the time of the measurement, unless SOURCE_DATE_EPOCH says otherwise:
	 * the same candidates on the same parent give the same bytes */
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (!sde || !*sde) {
		jv prov = json_get(p->cj, "provenance");
		const char *at = json_str(prov, "generated_at");
		long long t = at ? parse_utc(at) : -1;
		char v[32];
		snprintf(v, sizeof v, "%lld", t);
		if (t >= 0)
			setenv("SOURCE_DATE_EPOCH", v, 1);
		jv_free(prov);
	}
	run_step(argv, &p->cand, "policy-merge refused the candidates");
	if (!sde || !*sde)
		unsetenv("SOURCE_DATE_EPOCH");
	read_file_capped(pol, POLICY_CAP, &p->f[me].after, 0);
	free(pol);
	free(sig);
	int legacy = POLICY_NFILES - 1;
	for (int i = 0; i < POLICY_NFILES; i++) {
		struct pfile *f = &p->f[i];
		if (i != me) {
			const struct buf *from = i == legacy && !strcmp(p->o.profile, "locked-read-only") && f->present
							 ? &p->f[me].after : &f->before;
			buf_init(&f->after);
			buf_add(&f->after, from->data, from->len);
		}
		f->changed = f->present && (f->after.len != f->before.len ||
					    memcmp(f->after.data, f->before.data, f->before.len) != 0);
		p->changed |= f->changed;
		if (f->present && i != me) {
			char *w = work_path(p, f->path);
			write_file(w, f->after.data, f->after.len, 0644);
			free(w);
		}
	}
}

void lint_files(struct promote *p)
{
	char *argv[POLICY_NFILES + 4] = {"policy-lint", "--format", "text"};
	int k = 3;
	for (int i = 0; i < POLICY_NFILES; i++)
		if (p->f[i].present)
			argv[k++] = work_path(p, p->f[i].path);
	argv[k] = NULL;
	run_step(argv, NULL, "policy-lint finds errors in the promoted policy files (listed above)");
	for (int i = 3; i < k; i++)
		free(argv[i]);
}
