/* compose-lint: ADR-0001 (profile pinning) and ADR-0002 (no env policy) over
 * the compose files, compose templates and workflows of a repository, with
 * file and line for every finding. This file reads YAML with libyaml into
 * ytree.h's tree (the only one that calls libyaml); the checks are in
 * compose.c, workflow.c and images.c. */
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "compose.h"
#include "images.h"
#include "lib/cli.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/run.h"
#include "skip.h"

#define SKIP_LIST "policies/lint-skip.conf"
#define IMAGES "policies/kms-images.json"

enum { OPT_SKIP = 's', OPT_IMAGES = 'i', OPT_FORMAT = 'f' };

static const struct cli_opt options[] = {
	{"skip-list", OPT_SKIP, "FILE", "the files not to lint, each with a reason (default " SKIP_LIST "\n"
					"when it exists); each skipped file is reported", 0},
	{"images", OPT_IMAGES, "FILE", "the three profiles' KMS images (default " IMAGES " when it\n"
				       "exists): pinned by digest, one image per profile", 0},
	{"format", OPT_FORMAT, "FORMAT", "text (default), json or github (workflow annotations)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "compose-lint [--skip-list FILE] [--images FILE] [--format FORMAT] [PATH...]",
	.about = "Lint compose files, compose templates and workflows for KMS profile pinning (ADR-0001) and the "
		 "env-policy ban (ADR-0002).",
	.opts = options,
	.trailer = "PATH: files, or folders searched for *.yaml and *.yml; none: the YAML files git lists here\n"
		   "(tracked, or untracked and not ignored). A YAML file is a workflow when it has jobs:, a compose\n"
		   "file when it has services:, a template when it holds __PLACEHOLDERS__ or .template. in its name.\n"
		   "stdin: nothing.  stdout: one 'compose-lint: ERROR: FILE:LINE: ... [rule]' line per finding,\n"
		   "SKIPPED lines, then 'compose-lint: OK: ...' when there is no error.\n"
		   "exit: 0 ok, 1 findings, 2 usage, 65 a file that is not YAML (or JSON), 66 a file missing,\n"
		   "74 write error, 78 a skip list entry without a reason.",
	.max_operands = -1,
};

struct files {
	char **v;
	size_t n;
};

struct counts {
	size_t compose, workflows, skipped, malformed;
};

static void add_file(struct files *f, const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
	f->v[f->n++] = xstrdup(path);
}

static int yaml_name(const char *p)
{
	size_t n = strlen(p);
	return (n > 5 && strcmp(p + n - 5, ".yaml") == 0) || (n > 4 && strcmp(p + n - 4, ".yml") == 0);
}

static struct files *walked; /* nftw has no user pointer */

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type == FTW_D && strcmp(path + ftw->base, ".git") == 0)
		return FTW_SKIP_SUBTREE;
	if (type == FTW_F && yaml_name(path + ftw->base))
		add_file(walked, path);
	return FTW_CONTINUE;
}

/* The YAML files git lists: tracked, and untracked ones it does not ignore. */
static void list_repo(struct files *f)
{
	char *argv[] = {"git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.yaml", "*.yml", NULL};
	struct buf out, err;
	int over;
	char why[256];
	if (run_capture(argv, &out, 16 * MP_MIB, &over, &err) != 0 || over) {
		run_first_line(&err, "no answer", why, sizeof why);
		fail(EXIT_NOINPUT, "cannot list the repository's files (name the files or folders to lint): git: %s", why);
	}
	for (size_t i = 0; i < out.len; i += strlen((const char *)out.data + i) + 1)
		add_file(f, (const char *)out.data + i);
	buf_free(&out);
	buf_free(&err);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_files(struct files *f, char **operands, int n)
{
	struct stat st;
	if (n == 0)
		list_repo(f);
	for (int i = 0; i < n; i++) {
		if (stat(operands[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			walked = f;
			if (nftw(operands[i], walk_one, 16, FTW_PHYS | FTW_ACTIONRETVAL) != 0)
				fail(EXIT_IOERR, "cannot read the folder '%s'", operands[i]);
		} else {
			add_file(f, operands[i]);
		}
	}
	if (f->n)
		qsort(f->v, f->n, sizeof *f->v, by_name);
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (k && strcmp(f->v[k - 1], f->v[i]) == 0)
			free(f->v[i]);
		else
			f->v[k++] = f->v[i];
	}
	f->n = k;
}

/* ---- YAML into the tree */

struct ydoc {
	struct cl_ynode *nodes;
	size_t n;
};

static unsigned style(yaml_scalar_style_t s)
{
	return s == YAML_PLAIN_SCALAR_STYLE ? CL_PLAIN : s == YAML_LITERAL_SCALAR_STYLE ? CL_LITERAL
	       : s == YAML_FOLDED_SCALAR_STYLE                           ? CL_FOLDED
									 : 0;
}

static struct cl_ynode *ref(struct ydoc *t, int id)
{
	return id >= 1 && (size_t)id <= t->n ? &t->nodes[id - 1] : &t->nodes[0];
}

static void convert(yaml_document_t *d, struct ydoc *t)
{
	t->n = (size_t)(d->nodes.top - d->nodes.start);
	t->nodes = xcalloc(t->n, sizeof *t->nodes);
	for (size_t i = 0; i < t->n; i++) {
		yaml_node_t *y = d->nodes.start + i;
		struct cl_ynode *x = &t->nodes[i];
		x->line = (long)y->start_mark.line + 1;
		if (y->type == YAML_SCALAR_NODE) {
			x->kind = CL_SCALAR;
			x->style = style(y->data.scalar.style);
			x->len = y->data.scalar.length;
			x->str = xmalloc(x->len + 1);
			memcpy(x->str, y->data.scalar.value, x->len);
			x->str[x->len] = 0;
		} else if (y->type == YAML_SEQUENCE_NODE) {
			x->kind = CL_SEQ;
			x->n = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
			x->items = xcalloc(x->n + 1, sizeof *x->items);
			for (size_t k = 0; k < x->n; k++)
				x->items[k] = ref(t, y->data.sequence.items.start[k]);
		} else {
			x->kind = CL_MAP;
			x->n = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
			x->items = xcalloc(2 * x->n + 1, sizeof *x->items);
			for (size_t k = 0; k < x->n; k++) {
				x->items[2 * k] = ref(t, y->data.mapping.pairs.start[k].key);
				x->items[2 * k + 1] = ref(t, y->data.mapping.pairs.start[k].value);
			}
		}
	}
}

static void ydoc_free(struct ydoc *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].str);
		free(t->nodes[i].items);
	}
	free(t->nodes);
}

/* A template holds a __PLACEHOLDER__ or has .template. in its name. */
static int is_template(const char *path, const struct buf *b)
{
	if (strstr(path, ".template."))
		return 1;
	for (const char *p = (const char *)b->data; (p = strstr(p, "__")) != NULL; p += 2) {
		const char *q = p + 2;
		while ((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_')
			q++;
		if (q - p > 4 && q[-1] == '_' && q[-2] == '_' && p[2] >= 'A' && p[2] <= 'Z')
			return 1;
	}
	return 0;
}

static void check_doc(struct cl_ctx *c, const struct cl_ynode *root, struct counts *n)
{
	if (root->kind != CL_MAP)
		return;
	if (cl_get(root, "jobs")) {
		n->workflows++;
		cl_check_workflow(c, root);
	} else if (cl_get(root, "services")) {
		n->compose++;
		cl_check_compose(c, root);
	}
}

static void lint_yaml(struct cl_ctx *c, const struct buf *b, struct counts *n)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		fail(EXIT_SOFTWARE, "out of memory");
	yaml_parser_set_input_string(&p, b->data, b->len);
	for (;;) {
		yaml_document_t d;
		if (!yaml_parser_load(&p, &d)) {
			if (p.error == YAML_MEMORY_ERROR)
				fail(EXIT_SOFTWARE, "out of memory reading %s", c->file);
			lint_add(c->l, "ERROR", c->file, (long)p.problem_mark.line + 1, "yaml", "malformed YAML: %s%s%s",
				 p.context ? p.context : "", p.context ? ": " : "", p.problem ? p.problem : "?");
			n->malformed++;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&d);
		if (root) {
			struct ydoc t;
			convert(&d, &t);
			check_doc(c, &t.nodes[0], n);
			ydoc_free(&t);
		}
		yaml_document_delete(&d);
		if (!root)
			break;
	}
	yaml_parser_delete(&p);
}

static void lint_file(struct cl_ctx *c, const char *path, int listed, struct counts *n)
{
	struct buf b;
	int rc = read_file_capped(path, MP_MIB, &b, RF_SOFT);
	if (rc == EXIT_NOINPUT && listed)
		return; /* listed by git, gone from the work tree */
	if (rc)
		read_file_capped(path, MP_MIB, &b, 0); /* exits with the reader's message */
	c->file = path;
	c->template = is_template(path, &b);
	lint_yaml(c, &b, n);
	buf_free(&b);
}

/* ---- output */

struct ordered {
	struct lint_item it;
	size_t i;
};

static int by_place(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int f = strcmp(x->it.file ? x->it.file : "", y->it.file ? y->it.file : "");
	if (f)
		return f;
	if (x->it.line != y->it.line)
		return x->it.line < y->it.line ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Findings in file and line order (in the order found within a line). */
static void sort_findings(struct lint *l)
{
	struct ordered *o = xcalloc(l->n + 1, sizeof *o);
	for (size_t i = 0; i < l->n; i++)
		o[i] = (struct ordered){l->v[i], i};
	qsort(o, l->n, sizeof *o, by_place);
	for (size_t i = 0; i < l->n; i++)
		l->v[i] = o[i].it;
	free(o);
}

static int emit(const struct lint *l, enum lint_format f, const struct counts *n)
{
	int ok = lint_count(l, "ERROR") == 0;
	if (f == LINT_JSON) {
		jv o = jv_object();
		JSET(o, "compose_files", jv_number((double)n->compose));
		JSET(o, "findings", lint_json(l));
		JSET(o, "ok", jv_bool(ok));
		JSET(o, "skipped", jv_number((double)n->skipped));
		JSET(o, "workflows", jv_number((double)n->workflows));
		json_emit(o);
		return ok;
	}
	struct buf out;
	buf_init(&out);
	lint_print(l, f, &out);
	if (ok)
		buf_printf(&out, "%s: OK: %zu files checked (%zu compose, %zu workflows), %zu skipped\n", progname,
			   n->compose + n->workflows, n->compose, n->workflows, n->skipped);
	out_write(out.data, out.len);
	buf_free(&out);
	return ok;
}

static const char *default_file(const char *path)
{
	return access(path, F_OK) == 0 ? path : NULL;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct cli cl;
	const char *skip = NULL, *images = NULL, *val;
	enum lint_format format = LINT_TEXT;
	cli_parse(&cl, &spec, argc, argv);
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_SKIP: skip = val; break;
		case OPT_IMAGES: images = val; break;
		case OPT_FORMAT:
			if (lint_format_parse(val) < 0)
				cli_usage(&cl, "--format must be text, json or github (got '%s')", val);
			format = (enum lint_format)lint_format_parse(val);
			break;
		}
	}
	struct files files = {0};
	int listed = cl.noperands == 0;
	list_files(&files, cl.operands, cl.noperands);
	cli_free(&cl);

	struct cl_skips skips = {0};
	if ((skip = skip ? skip : default_file(SKIP_LIST)))
		cl_skips_load(&skips, skip);
	struct lint l = {0};
	struct cl_pins pins = {0};
	struct cl_ctx ctx = {.l = &l, .pins = &pins};
	struct counts n = {0};
	for (size_t i = 0; i < files.n; i++) {
		const struct cl_skip *s = cl_skips_match(&skips, files.v[i]);
		if (s) {
			lint_add(&l, "SKIPPED", files.v[i], 0, NULL, "listed in %s:%ld: %s", skips.file, s->line, s->reason);
			n.skipped++;
		} else {
			lint_file(&ctx, files.v[i], listed, &n);
		}
	}
	if ((images = images ? images : default_file(IMAGES)))
		cl_check_images(&ctx, images);
	cl_pins_check(&pins, &l);
	sort_findings(&l);
	int ok = emit(&l, format, &n);

	for (size_t i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	cl_skips_free(&skips);
	cl_pins_free(&pins);
	lint_free(&l);
	close_stdout();
	if (n.malformed)
		fail(EXIT_DATAERR, "%zu file%s not YAML", n.malformed, n.malformed == 1 ? " is" : "s are");
	return ok ? EXIT_OK : EXIT_NO;
}
