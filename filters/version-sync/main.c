/* version-sync: ADR-0003's guard. At the head the KMS version and the node
 * image version are equal (or one is explicitly marked unchanged for this
 * release); over a change (--base), when one is bumped the other is bumped
 * too or marked unchanged. The skip-version-sync label with a justification
 * comment overrides it. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/common.h"
#include "lib/github.h"
#include "lib/json.h"
#include "lib/jsonloc.h"
#include "lib/lint.h"
#include "lib/profile.h"
#include "lib/git.h"
#include "sources.h"

#define CONFIG_PATH "policies/version-sync.toml"
#define SKIP_LABEL "skip-version-sync"

enum {
	OPT_BASE = 'b', OPT_HEAD = 'H', OPT_CONFIG = 'c', OPT_LABELS = 'l', OPT_COMMENTS = 'm', OPT_FORMAT = 'f',
	OPT_PR = 'p', OPT_REPO = 'R'
};

static const struct cli_opt options[] = {
	{"base", OPT_BASE, "REV", "also check the change from the merge base of REV and the head:\n"
				  "a bumped version needs the other bumped or marked unchanged", 0},
	{"head", OPT_HEAD, "REV", "the revision checked (default: the work tree as it is)", 0},
	{"config", OPT_CONFIG, "FILE", "the version sources (default: " CONFIG_PATH " at the head,\n"
				       "else upstream's layout)", 0},
	{"labels", OPT_LABELS, "L,...", "the pull request's labels; " SKIP_LABEL " asks for the override", 0},
	{"comments", OPT_COMMENTS, "FILE", "the pull request's comments (GitHub's JSON array): a line\n"
					   "'version-sync: WHY' justifies the override", 0},
	{"pr", OPT_PR, "N", "read the labels and comments of pull request N through the GitHub API\n"
			    "(instead of --labels and --comments)", 0},
	{"repo", OPT_REPO, "OWNER/NAME", "the repository of --pr (default GITHUB_REPOSITORY)", 0},
	{"format", OPT_FORMAT, "FORMAT", "text (default), json or github (workflow annotations)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "version-sync [--base REV] [--head REV] [--config FILE]\n"
		    "                    [--labels L,... [--comments FILE] | --pr N [--repo OWNER/NAME]] [--format FORMAT]",
	.about = "Check that the KMS and node image versions move together (ADR-0003), in the git repository here.",
	.opts = options,
	.trailer = "stdin: nothing.  stdout: 'version-sync: OK: kms=X, node=Y', or one 'version-sync: ERROR: ...'\n"
		   "line per finding (NOTICE lines for markers and overrides).\n"
		   "environment (--pr): GITHUB_TOKEN or GH_TOKEN (optional), GITHUB_API_URL, GITHUB_REPOSITORY.\n"
		   "exit: 0 ok (or overridden), 1 findings, 2 usage, 65 a malformed version file or comments\n"
		   "file, 66 a revision or file missing, 69 git or the API cannot be reached, 74 write error,\n"
		   "75 retry later, 76 an impossible answer (a pull request that does not exist), 77 credentials\n"
		   "refused, 78 a bad config or GITHUB_API_URL.",
};

struct opts {
	const char *base, *head, *config, *labels, *comments, *pr, *repo;
	enum lint_format format;
};

struct comp {
	const char *version, *file;
	long line;
};

struct run {
	struct vs_config cfg;
	struct buf cfg_text; /* the config read from the head, to compare with the base's */
	int cfg_from_head, have_base;
	char head[65], base[65], mb[65];
	const char *at; /* the head's commit id, or NULL for the work tree */
	struct vs_read *at_head;
	struct comp comp[2];
	const struct vs_marker *marker; /* the head's, when valid */
	const char *versions_file;
	struct lint l;
	int overridden;
	char *justification, *author;
};

static void pr_options(struct cli *cl, struct opts *o)
{
	if (o->repo && !o->pr)
		cli_usage(cl, "--repo goes with --pr");
	if (!o->pr)
		return;
	if (o->labels || o->comments)
		cli_usage(cl, "--pr reads the labels and comments itself: not with --labels or --comments");
	if (parse_uint(o->pr, 1 << 30) <= 0)
		cli_usage(cl, "--pr must be a pull request number (got '%s')", o->pr);
	if (!o->repo || !*o->repo)
		o->repo = getenv("GITHUB_REPOSITORY");
	if (!o->repo || !*o->repo)
		cli_usage(cl, "--pr needs the repository: --repo OWNER/NAME or GITHUB_REPOSITORY");
	if (!gh_pair_ok(o->repo))
		cli_usage(cl, "the repository must be OWNER/NAME (got '%s')", o->repo);
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	memset(o, 0, sizeof *o);
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_BASE: o->base = val; break;
		case OPT_HEAD: o->head = val; break;
		case OPT_CONFIG: o->config = val; break;
		case OPT_LABELS: o->labels = val; break;
		case OPT_COMMENTS: o->comments = val; break;
		case OPT_PR: o->pr = val; break;
		case OPT_REPO: o->repo = val; break;
		case OPT_FORMAT: {
			int f = lint_format_parse(val);
			if (f < 0)
				cli_usage(&cl, "--format must be text, json or github (got '%s')", val);
			o->format = (enum lint_format)f;
			break;
		}
		}
	}
	const char *badrev = o->base && !git_rev_ok(o->base) ? o->base : o->head && !git_rev_ok(o->head) ? o->head : NULL;
	if (badrev)
		cli_usage(&cl, "a revision is 1-255 characters of [A-Za-z0-9._/@{}~^+-], not starting with '-' (got '%s')",
			  badrev);
	pr_options(&cl, o);
	cli_free(&cl);
}

static void resolve(struct run *r, const struct opts *o)
{
	char why[256];
	const char *head = o->head ? o->head : "HEAD";
	if ((o->head || o->base) && git_commit_id(head, r->head, why, sizeof why))
		fail(EXIT_NOINPUT, "cannot resolve %s '%s': %s", o->head ? "--head" : "the work tree's", head, why);
	r->at = o->head ? r->head : NULL;
	if (!o->base)
		return;
	if (git_commit_id(o->base, r->base, why, sizeof why))
		fail(EXIT_NOINPUT, "cannot resolve --base '%s': %s", o->base, why);
	if (git_merge_base(r->base, r->head, r->mb, why, sizeof why))
		fail(EXIT_NOINPUT, "no merge base of '%s' and '%s': %s", o->base, o->head, why);
	r->have_base = 1;
}

static void load_config(struct run *r, const struct opts *o)
{
	if (o->config) {
		struct buf b;
		read_file_capped(o->config, MP_MIB, &b, 0);
		vs_config_parse(&r->cfg, (const char *)b.data, b.len, o->config);
		buf_free(&b);
		buf_init(&r->cfg_text);
	} else if (git_blob(r->at, CONFIG_PATH, MP_MIB, &r->cfg_text) == GIT_BLOB_OK) {
		vs_config_parse(&r->cfg, (const char *)r->cfg_text.data, r->cfg_text.len, CONFIG_PATH);
		r->cfg_from_head = 1;
	} else {
		vs_config_defaults(&r->cfg);
	}
}

/* ---- the head */

static void read_head(struct run *r)
{
	char err[512];
	r->at_head = xcalloc(r->cfg.n, sizeof *r->at_head);
	for (size_t i = 0; i < r->cfg.n; i++) {
		const struct vs_source *s = &r->cfg.v[i];
		if (vs_read(s, r->at, s->file, &r->l, &r->at_head[i], err, sizeof err))
			fail(EXIT_DATAERR, "%s", err);
		if (!r->at_head[i].present && !s->optional)
			lint_add(&r->l, "ERROR", s->file, 0, NULL, "missing at the head (a version source of %s)", r->cfg.name);
		if (s->kind == VS_SRC_VERSIONS) {
			r->versions_file = s->file;
			if (r->at_head[i].marker.valid)
				r->marker = &r->at_head[i].marker;
		}
	}
}

static int same(const char *a, const char *b)
{
	return strcmp(kms_version_bare(a), kms_version_bare(b)) == 0;
}

/* Every source of a component says the same version: the first is the reference. */
static void agree(struct run *r, int c)
{
	struct comp *k = &r->comp[c];
	for (size_t i = 0; i < r->cfg.n; i++) {
		const struct vs_read *x = &r->at_head[i];
		if (!x->version[c])
			continue;
		if (!k->version) {
			*k = (struct comp){x->version[c], r->cfg.v[i].file, x->line[c]};
		} else if (!same(k->version, x->version[c])) {
			lint_add(&r->l, "ERROR", r->cfg.v[i].file, x->line[c], NULL, "%s version here is %s, but %s:%ld says %s",
				 vs_component_text(c), x->version[c], k->file, k->line, k->version);
		}
	}
	if (!k->version)
		lint_add(&r->l, "ERROR", NULL, 0, NULL, "no source gives %s version (sources: %s)", vs_component_text(c),
			 r->cfg.name);
}

static int marker_comp(const struct vs_marker *m)
{
	return strcmp(m->component, "kms") == 0 ? VS_KMS : VS_NODE;
}

/* With a marker: the unchanged component is at the marker's version, the
 * other at the marker's release, and they differ. */
static void marker_rule(struct run *r)
{
	const struct vs_marker *m = r->marker;
	int c = marker_comp(m), o = 1 - c, fired = 0;
	if (!same(r->comp[c].version, m->version)) {
		lint_add(&r->l, "ERROR", r->versions_file, m->version_line, NULL,
			 "the unchanged marker keeps %s at %s, but it is at %s (%s:%ld)", vs_component_text(c), m->version,
			 r->comp[c].version, r->comp[c].file, r->comp[c].line);
		fired = 1;
	}
	if (!same(r->comp[o].version, m->release)) {
		lint_add(&r->l, "ERROR", r->versions_file, m->release_line, NULL,
			 "the unchanged marker is for release %s, but %s is at %s (%s:%ld): update the marker for this "
			 "release or remove it", m->release, vs_component_text(o), r->comp[o].version, r->comp[o].file,
			 r->comp[o].line);
		fired = 1;
	}
	if (!fired && same(r->comp[0].version, r->comp[1].version)) {
		lint_add(&r->l, "ERROR", r->versions_file, m->line, NULL,
			 "the unchanged marker keeps %s unchanged, but the KMS and the node image are both at %s: remove it",
			 vs_component_text(c), r->comp[c].version);
		fired = 1;
	}
	if (!fired)
		lint_add(&r->l, "NOTICE", r->versions_file, m->line, NULL, "%s stays at %s for release %s: %s",
			 vs_component_text(c), m->version, m->release, m->reason);
}

static void head_rule(struct run *r)
{
	agree(r, VS_KMS);
	agree(r, VS_NODE);
	const struct comp *k = &r->comp[VS_KMS], *n = &r->comp[VS_NODE];
	if (!k->version || !n->version)
		return;
	if (r->marker) {
		marker_rule(r);
	} else if (!same(k->version, n->version)) {
		int has_invalid_marker = 0;
		for (size_t i = 0; i < r->cfg.n; i++)
			has_invalid_marker |= r->at_head[i].marker.present;
		if (!has_invalid_marker)
			lint_add(&r->l, "ERROR", k->file, k->line, NULL,
				 "the KMS is at %s but the node image is at %s (%s:%ld): bump both, or mark one unchanged for "
				 "this release (\"unchanged\" in %s)", k->version, n->version, n->file, n->line,
				 r->versions_file ? r->versions_file : "the versions file");
	}
}

/* ---- the change */

/* The first version each component has at the merge base (NULL: none). */
static void read_base(struct run *r, char *base[2])
{
	char err[512], shown[300];
	base[0] = base[1] = NULL;
	for (size_t i = 0; i < r->cfg.n; i++) {
		struct vs_read x;
		snprintf(shown, sizeof shown, "%.12s:%s", r->mb, r->cfg.v[i].file);
		if (vs_read(&r->cfg.v[i], r->mb, shown, NULL, &x, err, sizeof err) == 0) {
			for (int c = 0; c < 2; c++)
				if (!base[c] && x.version[c])
					base[c] = xstrdup(x.version[c]);
		}
		vs_read_free(&x);
	}
}

static void bump_rule(struct run *r, char *base[2])
{
	int bumped[2];
	for (int c = 0; c < 2; c++)
		bumped[c] = r->comp[c].version && (!base[c] || !same(base[c], r->comp[c].version));
	const struct vs_marker *m = r->marker;
	for (int c = 0; c < 2; c++) {
		if (!bumped[c] || !m || marker_comp(m) != c)
			continue;
		lint_add(&r->l, "ERROR", r->versions_file, m->line, NULL,
			 "the unchanged marker keeps %s unchanged, but this change bumps it from %s to %s",
			 vs_component_text(c), base[c] ? base[c] : "nothing", r->comp[c].version);
		return;
	}
	if (bumped[0] == bumped[1])
		return;
	int b = bumped[VS_KMS] ? VS_KMS : VS_NODE, u = 1 - b;
	if (m && marker_comp(m) == u)
		return;
	lint_add(&r->l, "ERROR", r->comp[b].file, r->comp[b].line, NULL,
		 "%s is bumped from %s to %s, but %s stays at %s: bump it in the same change, or mark it unchanged for "
		 "this release (\"unchanged\" in %s)", vs_component_text(b), base[b] ? base[b] : "nothing",
		 r->comp[b].version, vs_component_text(u), r->comp[u].version ? r->comp[u].version : "?",
		 r->versions_file ? r->versions_file : "the versions file");
}

static void change_rule(struct run *r)
{
	char *base[2];
	read_base(r, base);
	bump_rule(r, base);
	free(base[0]);
	free(base[1]);
	if (!r->cfg_from_head)
		return;
	struct buf old;
	enum git_blob st = git_blob(r->mb, CONFIG_PATH, MP_MIB, &old);
	if (st != GIT_BLOB_OK || old.len != r->cfg_text.len || memcmp(old.data, r->cfg_text.data, old.len) != 0)
		lint_add(&r->l, "NOTICE", CONFIG_PATH, 0, NULL,
			 "the version sources changed in this change: the head's were used (review them)");
	buf_free(&old);
}

/* ---- the override: the label and a justification comment */

static int is_skip(const char *s, size_t n)
{
	while (n && *s == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	return n == strlen(SKIP_LABEL) && memcmp(s, SKIP_LABEL, n) == 0;
}

static int has_label(const char *labels)
{
	for (const char *p = labels; p && *p;) {
		size_t n = strcspn(p, ",");
		if (is_skip(p, n))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The last line "version-sync: WHY" (WHY not empty) of a comment body. */
static void find_justification(const char *body, const char *login, struct run *r)
{
	static const char tag[] = "version-sync:";
	for (const char *p = body; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0) {
			const char *s = p + sizeof tag - 1, *e = p + len;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			if (e > s) {
				free(r->justification);
				free(r->author);
				size_t n = (size_t)(e - s) > 300 ? 300 : (size_t)(e - s);
				r->justification = xmalloc(n + 1);
				memcpy(r->justification, s, n);
				r->justification[n] = 0;
				r->author = xstrdup(login ? login : "?");
			}
		}
		p += len + (p[len] == '\n');
	}
}

static void scan_comments(jv doc, struct run *r)
{
	jv_array_foreach(doc, i, c) {
		const char *body = json_str(c, "body");
		jv user = json_get(c, "user");
		if (body)
			find_justification(body, json_str(user, "login"), r);
		jv_free(user);
		jv_free(c);
	}
	jv_free(doc);
}

static void read_comments(const char *path, struct run *r)
{
	struct buf b;
	char msg[512];
	read_file_capped(path, 16 * MP_MIB, &b, 0);
	jv doc = json_parse((const char *)b.data, b.len, msg, sizeof msg);
	if (!jv_is_valid(doc))
		fail(EXIT_DATAERR, "%s:%ld: malformed JSON: %s", path, json_error_line(msg), msg);
	if (jv_get_kind(doc) != JV_KIND_ARRAY)
		fail(EXIT_DATAERR, "%s: not a JSON array of comments (GitHub's issue comments)", path);
	scan_comments(doc, r);
	buf_free(&b);
}

/* --pr: the pull request's labels, and its comments when the label is there
 * (GitHub's issue endpoints: a pull request is an issue). */
static int pr_override(const struct opts *o, struct run *r)
{
	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
	struct gh g;
	gh_init(&g, vars, 0);
	char *url = gh_url(&g, "/repos/%s/issues/%s/labels", o->repo, o->pr);
	jv labels = gh_get_all(&g, url, NULL);
	free(url);
	int skip = 0;
	jv_array_foreach(labels, i, l) {
		const char *n = json_str(l, "name");
		skip |= n && is_skip(n, strlen(n));
		jv_free(l);
	}
	jv_free(labels);
	if (skip) {
		url = gh_url(&g, "/repos/%s/issues/%s/comments", o->repo, o->pr);
		scan_comments(gh_get_all(&g, url, NULL), r);
		free(url);
	}
	gh_free(&g);
	return skip;
}

static void override(struct run *r, const struct opts *o)
{
	if (o->pr ? !pr_override(o, r) : !has_label(o->labels))
		return;
	if (o->comments)
		read_comments(o->comments, r);
	if (!r->justification) {
		lint_add(&r->l, "ERROR", NULL, 0, NULL,
			 "the " SKIP_LABEL " label needs a pull request comment with a line 'version-sync: <justification>'"
			 "%s", o->comments || o->pr ? ", and none has one" : ", and no comments were given (--comments FILE)");
		return;
	}
	size_t errors = 0;
	for (size_t i = 0; i < r->l.n; i++) {
		if (strcmp(r->l.v[i].level, "ERROR") == 0) {
			free(r->l.v[i].level);
			r->l.v[i].level = xstrdup("OVERRIDDEN");
			errors++;
		}
	}
	r->overridden = errors > 0;
	lint_add(&r->l, "NOTICE", NULL, 0, NULL, SKIP_LABEL ": %s, justified by @%s: \"%s\"",
		 errors ? "the findings above are overridden" : "nothing to override", r->author, r->justification);
}

/* ---- output */

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static void emit_json(const struct run *r, int ok)
{
	jv o = jv_object();
	JSET(o, "base", r->have_base ? jv_string(r->base) : jv_null());
	JSET(o, "findings", lint_json(&r->l));
	JSET(o, "head", r->at ? jv_string(r->head) : jv_null());
	JSET(o, "kms", str_or_null(r->comp[VS_KMS].version));
	JSET(o, "merge_base", r->have_base ? jv_string(r->mb) : jv_null());
	JSET(o, "node", str_or_null(r->comp[VS_NODE].version));
	JSET(o, "ok", jv_bool(ok));
	jv ov = jv_object();
	JSET(ov, "author", str_or_null(r->author));
	JSET(ov, "justification", str_or_null(r->justification));
	JSET(ov, "overridden", jv_bool(r->overridden));
	JSET(o, "override", ov);
	jv m = jv_null();
	if (r->marker) {
		m = jv_object();
		JSET(m, "component", jv_string(r->marker->component));
		JSET(m, "reason", jv_string(r->marker->reason));
		JSET(m, "release", jv_string(r->marker->release));
		JSET(m, "version", jv_string(r->marker->version));
	}
	JSET(o, "unchanged", m);
	JSET(o, "work_tree", jv_bool(!r->at));
	json_emit(o);
}

static int emit(const struct run *r, enum lint_format f)
{
	int ok = lint_count(&r->l, "ERROR") == 0;
	if (f == LINT_JSON) {
		emit_json(r, ok);
	} else {
		struct buf out;
		buf_init(&out);
		lint_print(&r->l, f, &out);
		if (ok)
			buf_printf(&out, "%s: OK: kms=%s, node=%s%s\n", progname,
				   r->comp[VS_KMS].version ? r->comp[VS_KMS].version : "?",
				   r->comp[VS_NODE].version ? r->comp[VS_NODE].version : "?",
				   r->overridden ? " (overridden by " SKIP_LABEL ")" : "");
		out_write(out.data, out.len);
		buf_free(&out);
	}
	return ok ? EXIT_OK : EXIT_NO;
}

static void run_free(struct run *r)
{
	for (size_t i = 0; r->at_head && i < r->cfg.n; i++)
		vs_read_free(&r->at_head[i]);
	free(r->at_head);
	vs_config_free(&r->cfg);
	buf_free(&r->cfg_text);
	lint_free(&r->l);
	free(r->justification);
	free(r->author);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct opts o;
	parse_options(argc, argv, &o);
	struct run r;
	memset(&r, 0, sizeof r);
	resolve(&r, &o);
	load_config(&r, &o);
	read_head(&r);
	head_rule(&r);
	if (r.have_base)
		change_rule(&r);
	override(&r, &o);
	int rc = emit(&r, o.format);
	run_free(&r);
	close_stdout();
	return rc;
}
