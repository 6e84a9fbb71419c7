/* The local branch automation/kms-policy-<tag>-<run or quote hash> with one
 * commit on HEAD, made with git's plumbing through a temporary index: the
 * work tree, the real index and the branch checked out are left alone. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/git.h"
#include "promote.h"

static void git_or_fail(const char *const args[], struct buf *out, const char *what)
{
	char why[300];
	if (git_capture(args, out, why, sizeof why) != 0)
		fail(EXIT_SOFTWARE, "git %s failed: %s", what, why);
}

static void git_id_or_fail(const char *const args[], char id[65], const char *what)
{
	char why[300];
	if (git_capture_id(args, id, why, sizeof why) != 0)
		fail(EXIT_SOFTWARE, "git %s failed: %s", what, why);
}

/* Letters, digits and . _ - only, for a part of a branch name. */
static void name_part(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		out[k++] = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
				   *s == '.' || *s == '_' || *s == '-' ? *s : '-';
	out[k] = 0;
}

static void branch_name(struct promote *p)
{
	char tag[129], which[80];
	name_part(p->tag, tag, sizeof tag);
	if (p->o.run_id)
		snprintf(which, sizeof which, "%s", p->o.run_id);
	else
		snprintf(which, sizeof which, "%.12s", p->quote_sha ? p->quote_sha : p->cand_sha);
	snprintf(p->branch, sizeof p->branch, "automation/kms-policy-%s-%s", tag, which);
	snprintf(p->title, sizeof p->title, "chore(policy): promote KMS policy candidate for %s", p->tag);
}

/* The tree of HEAD with the changed files replaced, through an index of our own. */
static void write_tree(struct promote *p)
{
	char index[4200], blob[65];
	snprintf(index, sizeof index, "%s/index", p->work);
	unlink(index);
	setenv("GIT_INDEX_FILE", index, 1);
	struct buf out;
	const char *rt[] = {"read-tree", p->parent, NULL};
	git_or_fail(rt, &out, "read-tree");
	buf_free(&out);
	for (int i = 0; i < POLICY_NFILES; i++) {
		if (!p->f[i].changed)
			continue;
		char file[4400], info[600];
		snprintf(file, sizeof file, "%s/%s", p->work, p->f[i].path);
		const char *ho[] = {"hash-object", "-w", "--no-filters", "--", file, NULL};
		git_id_or_fail(ho, blob, "hash-object");
		snprintf(info, sizeof info, "100644,%s,%s", blob, p->f[i].path);
		const char *ui[] = {"update-index", "--add", "--cacheinfo", info, NULL};
		git_or_fail(ui, &out, "update-index");
		buf_free(&out);
	}
	const char *wt[] = {"write-tree", NULL};
	git_id_or_fail(wt, p->tree, "write-tree");
	unsetenv("GIT_INDEX_FILE");
	unlink(index);
}

/* An identity for the commit when git has none configured (CI containers). */
static void identity(void)
{
	struct buf out;
	char why[300];
	const char *var[] = {"var", "GIT_COMMITTER_IDENT", NULL};
	int have = git_capture(var, &out, why, sizeof why) == 0;
	buf_free(&out);
	if (have)
		return;
	int actions = getenv("GITHUB_ACTIONS") && !strcmp(getenv("GITHUB_ACTIONS"), "true");
	const char *name = actions ? "github-actions[bot]" : "mero-policy promote";
	const char *mail = actions ? "41898282+github-actions[bot]@users.noreply.github.com" : "promote@mero-policy.invalid";
	setenv("GIT_AUTHOR_NAME", name, 0);
	setenv("GIT_AUTHOR_EMAIL", mail, 0);
	setenv("GIT_COMMITTER_NAME", name, 0);
	setenv("GIT_COMMITTER_EMAIL", mail, 0);
}

/* The branch's commit when it already holds this tree on this parent. */
static int reuse(struct promote *p, const char *old)
{
	char tspec[80], pspec[80], tree[65], parent[65], why[300];
	snprintf(tspec, sizeof tspec, "%s^{tree}", old);
	snprintf(pspec, sizeof pspec, "%s^1", old);
	const char *t[] = {"rev-parse", "--verify", "--quiet", tspec, NULL};
	const char *pa[] = {"rev-parse", "--verify", "--quiet", pspec, NULL};
	if (git_capture_id(t, tree, why, sizeof why) != 0 || git_capture_id(pa, parent, why, sizeof why) != 0)
		return 0;
	return !strcmp(tree, p->tree) && !strcmp(parent, p->parent);
}

static void make_commit(struct promote *p)
{
	char msg[1200];
	snprintf(msg, sizeof msg,
		 "%s\n\nprofile: %s\ncandidates: %s (sha256 %s)\nsource: %s%s\nquote: %s\nprobe run: %s\n", p->title,
		 p->o.profile, CANDIDATES_NAME, p->cand_sha, p->source, p->simulated ? " (simulated)" : "",
		 p->quote_sha ? p->quote_sha : "-", p->o.run_id ? p->o.run_id : "-");
	identity();
	const char *ct[] = {"commit-tree", p->tree, "-p", p->parent, "-m", msg, NULL};
	git_id_or_fail(ct, p->commit, "commit-tree");
}

void commit_branch(struct promote *p)
{
	branch_name(p);
	if (!p->changed) {
		warnx("nothing to promote: %s already holds every value of the candidates", p->f[p->me].path);
		return;
	}
	write_tree(p);
	char ref[400], old[65], why[300];
	snprintf(ref, sizeof ref, "refs/heads/%s", p->branch);
	int exists = git_commit_id(ref, old, why, sizeof why) == 0;
	if (exists && reuse(p, old)) {
		snprintf(p->commit, sizeof p->commit, "%s", old);
		p->reused = 1;
		return;
	}
	make_commit(p);
	char zero[65];
	memset(zero, '0', strlen(p->parent));
	zero[strlen(p->parent)] = 0;
	const char *ur[] = {"update-ref", "-m", "policy-promote", ref, p->commit, exists ? old : zero, NULL};
	struct buf out;
	git_or_fail(ur, &out, "update-ref");
	buf_free(&out);
	warnx("branch %s: commit %.12s on %.12s (the work tree is unchanged: git switch %s)", p->branch, p->commit,
	      p->parent, p->branch);
}
