/* release-upload: upload files as the assets of a GitHub release, found by
 * tag (drafts too), idempotently, and print a receipt JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/assetname.h"
#include "lib/cli.h"
#include "lib/json.h"
#include "ru.h"

enum { OPT_REPO = 'r', OPT_TAG = 't', OPT_LABEL = 'l', OPT_DRAFT = 'd', OPT_PUBLISH = 'p', OPT_CLOBBER = 'c',
       OPT_NOTES = 'n' };

static const struct cli_opt options[] = {
	{"repo", OPT_REPO, "REPO", "the repository, OWNER/NAME", 0},
	{"tag", OPT_TAG, "TAG", "the release's tag (a draft release is found by it too)", 0},
	{"label", OPT_LABEL, "TEXT", "the label shown for every uploaded asset", 0},
	{"create-draft", OPT_DRAFT, NULL, "create the release as a draft when there is none", 0},
	{"publish", OPT_PUBLISH, NULL, "publish a draft release once every upload succeeded", 0},
	{"notes", OPT_NOTES, "FILE", "the release's notes (markdown): set when they differ, before the uploads\n"
				     "(also on a published immutable release: GitHub lets notes change)", 0},
	{"clobber", OPT_CLOBBER, NULL, "replace (delete, upload) an asset of the same name that differs\n"
				       "(refused on a published immutable release)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "release-upload --repo OWNER/NAME --tag TAG [--label TEXT] [--create-draft] [--publish]\n"
		    "                      [--clobber] [--notes FILE] FILE... > RECEIPT",
	.about = "Upload files as the assets of a GitHub release, idempotently, and print a receipt.",
	.opts = options,
	.trailer = "FILE: uploaded under its base name (letters, digits, '.', '_', '-'), streamed from disk.\n"
		   "An asset of the same name with the same content is left alone (identical); different\n"
		   "content is an error unless --clobber (replaced).\n"
		   "stdout: the receipt JSON (per asset: name, id, size, sha256, download_url, result; notes:\n"
		   "created, updated, unchanged or null).\n"
		   "environment: GH_RELEASE_TOKEN, else GITHUB_TOKEN, else GH_TOKEN (the token);\n"
		   "GITHUB_API_URL (default " GH_API_DEFAULT "); GITHUB_WAIT_MAX (seconds of rate-limit\n"
		   "waits allowed, default 600).\n"
		   "exit: 0 ok, 1 different content without --clobber, an immutable release, several drafts,\n"
		   "2 usage, 65 notes over 125000 bytes, 66 a FILE missing, 69 no such release, 74 read error,\n"
		   "75 rate limit or retries exhausted, 76 an impossible answer, 77 token refused, 78 no token\n"
		   "or a bad setting.",
	.max_operands = -1,
};

static const char *const token_vars[] = {"GH_RELEASE_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", NULL};

static int printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static const char *content_type(const char *name)
{
	static const char *const types[][2] = {
		{".json", "application/json"}, {".txt", "text/plain"}, {".md", "text/markdown"},
		{".sha256", "text/plain"}, {".pem", "application/x-pem-file"}, {".pub", "application/x-pem-file"},
		{".gz", "application/gzip"}, {".tgz", "application/gzip"}, {".zip", "application/zip"},
		{".tar", "application/x-tar"}, {".yaml", "application/yaml"}, {".yml", "application/yaml"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

static void parse_args(struct run *r, struct cli *cl, int argc, char **argv)
{
	cli_parse(cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(cl, &v));) {
		switch (c) {
		case OPT_REPO: r->repo = v; break;
		case OPT_TAG: r->tag = v; break;
		case OPT_LABEL: r->label = v; break;
		case OPT_DRAFT: r->create_draft = 1; break;
		case OPT_PUBLISH: r->publish = 1; break;
		case OPT_CLOBBER: r->clobber = 1; break;
		case OPT_NOTES: r->notes_path = v; break;
		}
	}
	if (!r->repo || !r->tag)
		cli_usage(cl, "--repo and --tag are required");
	if (!repo_name_ok(r->repo))
		cli_usage(cl, "--repo needs OWNER/NAME (letters, digits, '.', '_', '-'), not '%s'", r->repo);
	if (!*r->tag || strlen(r->tag) > 255 || !printable(r->tag) || strchr(r->tag, ' '))
		cli_usage(cl, "--tag needs a tag name without spaces or control characters");
	if (r->label && (strlen(r->label) > 255 || !printable(r->label)))
		cli_usage(cl, "--label needs printable text of at most 255 bytes");
	if (cl->noperands == 0 && !r->notes_path)
		cli_usage(cl, "no FILE given");
}

/* Name, open, size and hash every FILE before anything goes out. */
static void open_files(struct run *r, struct cli *cl)
{
	r->n = cl->noperands;
	r->files = xcalloc((size_t)r->n, sizeof *r->files);
	for (int i = 0; i < r->n; i++) {
		struct file *f = &r->files[i];
		f->path = cl->operands[i];
		f->fd = -1;
		f->asset = jv_null();
		const char *slash = strrchr(f->path, '/');
		f->name = slash ? slash + 1 : f->path;
		if (!asset_name_ok(f->name, strlen(f->name)))
			cli_usage(cl, "the asset name '%s' (of '%s') may hold only letters, digits, '.', '_' and '-'",
				  f->name, f->path);
		for (int j = 0; j < i; j++)
			if (!strcmp(r->files[j].name, f->name))
				cli_usage(cl, "two files are named '%s': '%s' and '%s'", f->name, r->files[j].path, f->path);
	}
	for (int i = 0; i < r->n; i++) {
		struct file *f = &r->files[i];
		struct stat st;
		if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			fail(EXIT_NOINPUT, "cannot open '%s': %s", f->path, strerror(errno));
		if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode))
			fail(EXIT_NOINPUT, "cannot read '%s': not a regular file", f->path);
		f->size = (long long)st.st_size;
		int e = hash_fd(f->fd, f->size, f->sha);
		if (e)
			fail(EXIT_IOERR, "cannot read '%s': %s", f->path, e > 0 ? strerror(e) : "it shrank while being read");
		f->ctype = content_type(f->name);
	}
}

/* After publishing, the assets' download URLs change (drafts use an
 * untagged-... path): take them from the release as it is now. */
static void refresh_assets(struct run *r)
{
	jv assets = release_assets(r);
	for (int i = 0; i < r->n; i++) {
		long long id = ghr_id(r->files[i].asset, "id");
		jv_array_foreach(assets, k, a) {
			if (ghr_id(a, "id") == id) {
				jv_free(r->files[i].asset);
				r->files[i].asset = jv_copy(a);
			}
			jv_free(a);
		}
	}
	jv_free(assets);
}

static void emit_receipt(struct run *r)
{
	static const char *const results[] = {"none", "uploaded", "identical", "replaced"};
	jv list = jv_array();
	for (int i = 0; i < r->n; i++) {
		struct file *f = &r->files[i];
		jv a = JV_OBJECT(jv_string("name"), jv_string(f->name), jv_string("size"), jv_number((double)f->size),
				 jv_string("sha256"), jv_string(f->sha), jv_string("result"), jv_string(results[f->result]));
		JSET(a, "id", jv_number((double)ghr_id(f->asset, "id")));
		const char *url = json_str(f->asset, "browser_download_url");
		JSET(a, "download_url", url ? jv_string(url) : jv_null());
		JSET(a, "content_type", jv_string(f->ctype));
		list = jv_array_append(list, a);
	}
	const char *html = json_str(r->release, "html_url");
	jv out = JV_OBJECT(jv_string("repo"), jv_string(r->repo), jv_string("tag"), jv_string(r->tag),
			   jv_string("release_id"), jv_number((double)r->rid), jv_string("assets"), list);
	JSET(out, "draft", jv_bool(!!jv_equal(json_get(r->release, "draft"), jv_true())));
	JSET(out, "immutable", jv_bool(release_immutable(r)));
	JSET(out, "created", jv_bool(r->created));
	JSET(out, "published", jv_bool(r->published));
	JSET(out, "html_url", html ? jv_string(html) : jv_null());
	JSET(out, "notes", r->notes_result ? jv_string(r->notes_result) : jv_null());
	json_emit(out);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct run r;
	memset(&r, 0, sizeof r);
	r.release = jv_null();
	struct cli cl;
	parse_args(&r, &cl, argc, argv);
	open_files(&r, &cl);
	struct buf notes;
	if (r.notes_path) {
		read_file_capped(r.notes_path, 125000, &notes, 0); /* GitHub's limit of a release body */
		r.notes = &notes;
	}
	gh_init(&r.g, token_vars, 1);
	r.progress = isatty(2);
	release_find(&r);
	plan(&r);
	release_notes(&r);
	upload_all(&r);
	if (r.publish) {
		release_publish(&r);
		if (r.published)
			refresh_assets(&r);
	}
	emit_receipt(&r);
	close_stdout();
	for (int i = r.n - 1; i >= 0; i--) {
		jv_free(r.files[i].asset);
		close(r.files[i].fd);
	}
	free(r.files);
	if (r.notes)
		buf_free(&notes);
	free(r.upload_base);
	jv_free(r.release);
	gh_free(&r.g);
	cli_free(&cl);
	return 0;
}
