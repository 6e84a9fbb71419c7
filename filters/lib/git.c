#include "git.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static const char *git_dir;

void git_set_dir(const char *dir)
{
	git_dir = dir;
}

/* git [-C DIR] ARGS...: run_capture over a new argv */
static int run_git(const char *const args[], struct buf *out, size_t cap, int *over, struct buf *err)
{
	size_t n = 0;
	while (args[n])
		n++;
	char **argv = xcalloc(n + 4, sizeof *argv);
	size_t k = 0;
	argv[k++] = "git";
	if (git_dir) {
		argv[k++] = "-C";
		argv[k++] = (char *)git_dir;
	}
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)args[i];
	int st = run_capture(argv, out, cap, over, err);
	free(argv);
	return st;
}

int git_rev_ok(const char *rev)
{
	size_t n = strlen(rev);
	if (n == 0 || n > 255 || rev[0] == '-')
		return 0;
	for (const char *p = rev; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      strchr("._/@{}~^+-", *p)))
			return 0;
	return 1;
}

int git_branch_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || strchr("-/.", s[0]) || s[n - 1] == '/' || strstr(s, "..") || strstr(s, "//") ||
	    (n >= 5 && !strcmp(s + n - 5, ".lock")))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-") == n;
}

/* One line of hex (a commit id) from git's output; 0 on success. */
static int one_id(const struct buf *out, char id[65])
{
	size_t n = strcspn((const char *)out->data, "\n");
	if (n != 40 && n != 64)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", out->data[i]))
			return -1;
	memcpy(id, out->data, n);
	id[n] = 0;
	return 0;
}

static int id_query(const char *const argv[], char id[65], const char *dflt, char *why, size_t whylen)
{
	struct buf out, err;
	int over;
	int st = run_git(argv, &out, 4096, &over, &err);
	int r = st == 0 && !over ? one_id(&out, id) : -1;
	if (r)
		run_first_line(&err, dflt, why, whylen);
	buf_free(&out);
	buf_free(&err);
	return r;
}

int git_commit_id(const char *rev, char id[65], char *why, size_t whylen)
{
	char spec[300];
	snprintf(spec, sizeof spec, "%s^{commit}", rev);
	const char *argv[] = {"rev-parse", "--verify", "--quiet", "--end-of-options", spec, NULL};
	return id_query(argv, id, "no such commit", why, whylen);
}

int git_merge_base(const char *a, const char *b, char id[65], char *why, size_t whylen)
{
	const char *argv[] = {"merge-base", a, b, NULL};
	return id_query(argv, id, "the two commits have no common ancestor", why, whylen);
}

/* "MODE TYPE OID\tPATH\0" from ls-tree; absent when empty */
static enum git_blob tree_entry(const char *commit, const char *path, char oid[65])
{
	const char *argv[] = {"--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--", path, NULL};
	struct buf out, err;
	int over;
	char why[256];
	int st = run_git(argv, &out, 65536, &over, &err);
	if (st != 0 || over) {
		run_first_line(&err, "no answer", why, sizeof why);
		fail(EXIT_SOFTWARE, "git ls-tree %s -- %s failed: %s", commit, path, why);
	}
	enum git_blob r = GIT_BLOB_ABSENT;
	const char *s = (const char *)out.data;
	const char *tab = memchr(s, '\t', out.len);
	if (tab && strcmp(tab + 1, path) == 0) {
		r = GIT_BLOB_NOT_FILE;
		char mode[8], type[8];
		if (sscanf(s, "%7s %7s %64s", mode, type, oid) == 3 && strcmp(type, "blob") == 0 &&
		    (strcmp(mode, "100644") == 0 || strcmp(mode, "100755") == 0))
			r = GIT_BLOB_OK;
	}
	buf_free(&out);
	buf_free(&err);
	return r;
}

/* The work tree's top folder (git rev-parse --show-toplevel), asked once. */
static const char *top_level(void)
{
	static char *top;
	if (top)
		return top;
	const char *argv[] = {"rev-parse", "--show-toplevel", NULL};
	struct buf out, err;
	int over;
	char why[256];
	if (run_git(argv, &out, 65536, &over, &err) != 0 || over || out.len < 2) {
		run_first_line(&err, "no answer", why, sizeof why);
		fail(EXIT_NOINPUT, "not in a git work tree: %s", why);
	}
	out.data[strcspn((const char *)out.data, "\n")] = 0;
	top = xstrdup((const char *)out.data);
	buf_free(&out);
	buf_free(&err);
	return top;
}

static enum git_blob work_tree_file(const char *path, size_t cap, struct buf *b)
{
	char full[4096];
	struct stat st;
	buf_init(b);
	snprintf(full, sizeof full, "%s/%s", top_level(), path);
	if (lstat(full, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? GIT_BLOB_ABSENT : GIT_BLOB_NOT_FILE;
	if (!S_ISREG(st.st_mode))
		return GIT_BLOB_NOT_FILE;
	buf_free(b);
	int rc = read_file_capped(full, cap, b, RF_SOFT);
	if (rc == EXIT_DATAERR) {
		char t[32];
		fail(EXIT_DATAERR, "%s: larger than %s", path, size_text(cap, t));
	}
	if (rc)
		fail(EXIT_IOERR, "cannot read %s: %s", path, strerror(errno));
	return GIT_BLOB_OK;
}

enum git_blob git_blob(const char *commit, const char *path, size_t cap, struct buf *b)
{
	if (!commit)
		return work_tree_file(path, cap, b);
	char oid[65];
	enum git_blob r = tree_entry(commit, path, oid);
	if (r != GIT_BLOB_OK) {
		buf_init(b);
		return r;
	}
	const char *argv[] = {"cat-file", "blob", oid, NULL};
	struct buf err;
	int over;
	char why[256];
	int st = run_git(argv, b, cap, &over, &err);
	if (over) {
		char t[32];
		fail(EXIT_DATAERR, "%s at %.12s: larger than %s", path, commit, size_text(cap, t));
	}
	if (st != 0) {
		run_first_line(&err, "no answer", why, sizeof why);
		fail(EXIT_SOFTWARE, "git cat-file blob %s (%s) failed: %s", oid, path, why);
	}
	buf_free(&err);
	return GIT_BLOB_OK;
}

int git_capture(const char *const args[], struct buf *out, char *why, size_t whylen)
{
	struct buf err;
	int over;
	int st = run_git(args, out, MP_MIB, &over, &err);
	if (st == 0 && over)
		st = 1;
	if (st)
		run_first_line(&err, over ? "more output than expected" : "no message", why, whylen);
	buf_free(&err);
	return st;
}

int git_capture_id(const char *const args[], char id[65], char *why, size_t whylen)
{
	return id_query(args, id, "no object id in git's answer", why, whylen);
}
