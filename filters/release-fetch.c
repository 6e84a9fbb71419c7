/* release-fetch: download the assets of a GitHub release (found by tag,
 * drafts too, or the latest published one whose tag has a prefix) into a
 * folder, streamed, each checked against the size and digest the release
 * lists, and print a receipt; or list the latest releases' tags. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/assetname.h"
#include "lib/cli.h"
#include "lib/ghrelease.h"
#include "lib/hasher.h"
#include "lib/json.h"

enum { OPT_REPO = 'r', OPT_TAG = 't', OPT_LATEST = 'L', OPT_DIR = 'd', OPT_ASSET = 'a', OPT_IF = 'i', OPT_LIST = 'l',
       OPT_PREFIX = 'p' };

static const struct cli_opt options[] = {
	{"repo", OPT_REPO, "REPO", "the repository, OWNER/NAME", 0},
	{"tag", OPT_TAG, "TAG", "the release's tag (a draft release is found by it too)", 0},
	{"latest", OPT_LATEST, "PREFIX", "the most recently published release (not a draft or a pre-release)\n"
					 "whose tag starts with PREFIX (mero-kms-v)", 0},
	{"dir", OPT_DIR, "DIR", "where the assets go (default .; made when missing)", 0},
	{"asset", OPT_ASSET, "NAME", "fetch this asset only (default: every asset)", CLI_REPEAT},
	{"if-exists", OPT_IF, NULL, "a missing release (with --tag) or an --asset the release lacks is not\n"
				    "an error: the receipt says so (release_id null, \"absent\")", 0},
	{"list", OPT_LIST, "N", "print the tags of the N most recently published releases instead, one a line", 0},
	{"prefix", OPT_PREFIX, "PREFIX", "with --list: only tags that start with PREFIX", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "release-fetch --repo OWNER/NAME (--tag TAG | --latest PREFIX) [--dir DIR] [--asset NAME]...\n"
		    "                     [--if-exists] > RECEIPT\n"
		    "       release-fetch --repo OWNER/NAME --list N [--prefix PREFIX] > TAGS",
	.about = "Download the assets of a GitHub release into a folder, checked against their listed size and digest.",
	.opts = options,
	.trailer = "Each asset is streamed to DIR/NAME through a temporary beside it, renamed once its size and\n"
		   "digest (sha256:..., when GitHub lists one) match; names other than letters, digits, '.', '_'\n"
		   "and '-' are never written (\"refused\"), nor are incomplete uploads (\"incomplete\").\n"
		   "stdout: the receipt JSON: repo, tag, release_id, draft, immutable, published_at, body, and per\n"
		   "asset name, size, sha256, path, result (downloaded, absent, incomplete, refused).\n"
		   "environment: GH_RELEASE_TOKEN, else GITHUB_TOKEN, else GH_TOKEN (optional for public\n"
		   "releases); GITHUB_API_URL (default " GH_API_DEFAULT "); GITHUB_WAIT_MAX.\n"
		   "exit: 0 ok, 2 usage, 69 no such release or asset, 74 write error, 75 rate limit or retries\n"
		   "exhausted, 76 an asset that does not match its listing or an impossible answer, 77 token\n"
		   "refused, 78 a bad setting.",
};

static const char *const token_vars[] = {"GH_RELEASE_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", NULL};

struct run {
	struct gh g;
	const char *repo, *tag, *latest, *dir, *prefix;
	const char **names;
	int nnames, if_exists;
	long long list;
	jv release;
};

static void parse_args(struct run *r, struct cli *cl, int argc, char **argv)
{
	cli_parse(cl, &spec, argc, argv);
	r->names = xcalloc((size_t)cl->n + 1, sizeof *r->names);
	r->list = -1;
	const char *v;
	for (int c; (c = cli_next(cl, &v));) {
		switch (c) {
		case OPT_REPO: r->repo = v; break;
		case OPT_TAG: r->tag = v; break;
		case OPT_LATEST: r->latest = v; break;
		case OPT_DIR: r->dir = v; break;
		case OPT_IF: r->if_exists = 1; break;
		case OPT_PREFIX: r->prefix = v; break;
		case OPT_LIST:
			if ((r->list = parse_uint(v, 1000)) < 1)
				cli_usage(cl, "--list needs a number from 1 to 1000 (got '%s')", v);
			break;
		case OPT_ASSET:
			if (!asset_name_ok(v, strlen(v)))
				cli_usage(cl, "--asset '%s' is not an asset name (letters, digits, '.', '_', '-')", v);
			r->names[r->nnames++] = v;
			break;
		}
	}
	if (!r->repo || !repo_name_ok(r->repo))
		cli_usage(cl, "--repo needs OWNER/NAME (letters, digits, '.', '_', '-')");
	if ((r->list > 0) + !!r->tag + !!r->latest != 1)
		cli_usage(cl, "give one of --tag TAG, --latest PREFIX and --list N");
	if (r->list > 0 && (r->dir || r->nnames || r->if_exists))
		cli_usage(cl, "--list takes only --prefix");
	if (r->prefix && r->list < 0)
		cli_usage(cl, "--prefix is for --list (--latest takes its own)");
	const char *t = r->tag ? r->tag : r->latest ? r->latest : r->prefix;
	for (const unsigned char *p = (const unsigned char *)(t ? t : ""); *p; p++)
		if (*p <= ' ' || *p == 0x7f || strlen(t) > 255)
			cli_usage(cl, "a tag or prefix without spaces or control characters, at most 255 bytes");
	if (!r->dir)
		r->dir = ".";
}

/* Published releases (not drafts or pre-releases) whose tag has the prefix,
 * most recently published first. */
static int newer_first(const void *a, const void *b)
{
	jv x = *(const jv *)a, y = *(const jv *)b;
	const char *px = json_str(x, "published_at"), *py = json_str(y, "published_at");
	int c = strcmp(py ? py : "", px ? px : "");
	if (c)
		return c;
	long long ix = ghr_id(x, "id"), iy = ghr_id(y, "id");
	return (iy > ix) - (iy < ix);
}

static jv published_with_prefix(struct run *r, const char *prefix, int *n)
{
	char *url = gh_url(&r->g, "/repos/%s/releases", r->repo);
	jv all = gh_get_all(&r->g, url, NULL), keep = jv_array();
	free(url);
	jv_array_foreach(all, i, rel) {
		const char *t = json_str(rel, "tag_name");
		if (t && json_bool(rel, "draft") != 1 && json_bool(rel, "prerelease") != 1 &&
		    (!prefix || strncmp(t, prefix, strlen(prefix)) == 0))
			keep = jv_array_append(keep, jv_copy(rel));
		jv_free(rel);
	}
	jv_free(all);
	*n = jv_array_length(jv_copy(keep));
	return keep;
}

/* The releases sorted (a C array of new references). */
static jv *sorted(jv list, int n)
{
	jv *v = xcalloc((size_t)n + 1, sizeof *v);
	for (int i = 0; i < n; i++)
		v[i] = jv_array_get(jv_copy(list), i);
	qsort(v, (size_t)n, sizeof *v, newer_first);
	return v;
}

static int run_list(struct run *r)
{
	int n;
	jv keep = published_with_prefix(r, r->prefix, &n);
	jv *v = sorted(keep, n);
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < n; i++) {
		if (i < r->list)
			buf_printf(&out, "%s\n", json_str(v[i], "tag_name"));
		jv_free(v[i]);
	}
	free(v);
	jv_free(keep);
	out_write(out.data, out.len);
	close_stdout();
	buf_free(&out);
	return 0;
}

static void find_release(struct run *r)
{
	if (r->tag) {
		if (!ghr_find(&r->g, r->repo, r->tag, &r->release) && !r->if_exists)
			fail(EXIT_UNAVAILABLE, "%s has no release with the tag '%s', published or draft", r->repo, r->tag);
		return;
	}
	int n;
	jv keep = published_with_prefix(r, r->latest, &n);
	if (n == 0) {
		jv_free(keep);
		fail(EXIT_UNAVAILABLE, "%s has no published release whose tag starts with '%s'", r->repo, r->latest);
	}
	jv *v = sorted(keep, n);
	r->release = v[0];
	for (int i = 1; i < n; i++)
		jv_free(v[i]);
	free(v);
	jv_free(keep);
}

/* ---- one download ---- */

struct fetch {
	struct wfile w;
	struct hasher h;
	long long got;
};

static int fetch_write(void *arg, const void *p, size_t n)
{
	struct fetch *f = arg;
	wfile_write(&f->w, p, n);
	hasher_add(&f->h, p, n);
	f->got += (long long)n;
	return 0;
}

static int fetch_restart(void *arg)
{
	struct fetch *f = arg;
	if (f->w.in_place || ftruncate(f->w.fd, 0) != 0 || lseek(f->w.fd, 0, SEEK_SET) != 0)
		return -1;
	hasher_restart(&f->h);
	f->got = 0;
	return 0;
}

/* Download asset a to DIR/NAME; its receipt entry. */
static jv download(struct run *r, jv a, const char *name)
{
	char *path, hex[65];
	if (asprintf(&path, "%s/%s", r->dir, name) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	jv size = json_get(a, "size");
	long long want = jv_get_kind(size) == JV_KIND_NUMBER ? (long long)jv_number_value(size) : -1;
	jv_free(size);
	const char *digest = json_str(a, "digest");
	char *url = gh_url(&r->g, "/repos/%s/releases/assets/%lld", r->repo, ghr_id(a, "id"));
	struct fetch f = {.got = 0};
	wfile_open(&f.w, path, 0644);
	hasher_init(&f.h);
	struct http_sink sink = {fetch_write, fetch_restart, &f};
	gh_download(&r->g, url, &sink, 0);
	free(url);
	hasher_hex(&f.h, hex);
	hasher_free(&f.h);
	if (f.got != want) {
		wfile_abort(&f.w);
		free(path);
		fail(EXIT_PROTOCOL, "asset '%s' of %s: %lld bytes arrived, the release lists %lld: nothing kept", name,
		     json_str(r->release, "tag_name"), f.got, want);
	}
	if (digest && strncmp(digest, "sha256:", 7) == 0 && strcmp(digest + 7, hex) != 0) {
		wfile_abort(&f.w);
		free(path);
		fail(EXIT_PROTOCOL, "asset '%s' of %s: its SHA-256 is %s, the release lists %.80s: nothing kept", name,
		     json_str(r->release, "tag_name"), hex, digest);
	}
	wfile_commit(&f.w);
	jv e = JV_OBJECT(jv_string("name"), jv_string(name), jv_string("size"), jv_number((double)f.got),
			 jv_string("sha256"), jv_string(hex), jv_string("path"), jv_string(path),
			 jv_string("result"), jv_string("downloaded"));
	free(path);
	return e;
}

static jv entry(const char *name, const char *result)
{
	return JV_OBJECT(jv_string("name"), jv_string(name), jv_string("size"), jv_null(), jv_string("sha256"),
			 jv_null(), jv_string("path"), jv_null(), jv_string("result"), jv_string(result));
}

/* One asset of the listing: downloaded, or why not. */
static jv fetch_one(struct run *r, jv a)
{
	const char *name = json_str(a, "name"), *state = json_str(a, "state");
	if (!name || !asset_name_ok(name, strlen(name)))
		return entry(name ? name : "", "refused");
	if (state && strcmp(state, "uploaded") != 0)
		return entry(name, "incomplete");
	return download(r, a, name);
}

static jv fetch_all(struct run *r, jv assets)
{
	jv out = jv_array();
	if (!r->nnames) {
		jv_array_foreach(assets, i, a) {
			out = jv_array_append(out, fetch_one(r, a));
			jv_free(a);
		}
		jv_free(assets);
		return out;
	}
	for (int i = 0; i < r->nnames; i++) {
		jv a = ghr_asset_named(assets, r->names[i]);
		if (jv_is_valid(a))
			out = jv_array_append(out, fetch_one(r, a));
		else if (r->if_exists)
			out = jv_array_append(out, entry(r->names[i], "absent"));
		else
			fail(EXIT_UNAVAILABLE, "the release %s of %s has no asset '%s'", json_str(r->release, "tag_name"),
			     r->repo, r->names[i]);
		jv_free(a);
	}
	jv_free(assets);
	return out;
}

static void make_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		fail(EXIT_IOERR, "cannot make the folder '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fail(EXIT_IOERR, "'%s' is not a folder", dir);
}

static jv opt_str(const char *s) { return s ? jv_string(s) : jv_null(); }

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct run r;
	struct cli cl;
	memset(&r, 0, sizeof r);
	r.release = jv_null();
	parse_args(&r, &cl, argc, argv);
	gh_init(&r.g, token_vars, 0);
	if (r.list > 0) {
		run_list(&r);
	} else {
		find_release(&r);
		int none = jv_get_kind(r.release) == JV_KIND_NULL; /* --if-exists: no such release */
		long long rid = ghr_id(r.release, "id");
		if (rid < 0 && !none)
			fail(EXIT_PROTOCOL, "a release of %s without a numeric id", r.repo);
		make_dir(r.dir);
		jv list = fetch_all(&r, none ? jv_array() : ghr_assets(&r.g, r.repo, rid));
		jv out = JV_OBJECT(jv_string("repo"), jv_string(r.repo), jv_string("release_id"),
				   none ? jv_null() : jv_number((double)rid), jv_string("assets"), list, jv_string("dir"),
				   jv_string(r.dir));
		JSET(out, "tag", opt_str(none ? r.tag : json_str(r.release, "tag_name")));
		JSET(out, "draft", jv_bool(json_bool(r.release, "draft") == 1));
		JSET(out, "immutable", jv_bool(json_bool(r.release, "immutable") == 1 && json_bool(r.release, "draft") != 1));
		JSET(out, "published_at", opt_str(json_str(r.release, "published_at")));
		JSET(out, "body", opt_str(json_str(r.release, "body")));
		json_emit(out);
		close_stdout();
	}
	jv_free(r.release);
	free(r.names);
	gh_free(&r.g);
	cli_free(&cl);
	return 0;
}
