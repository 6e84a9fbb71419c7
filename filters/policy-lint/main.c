/* policy-lint: check kms-phala-attestation-policy.*.json files as CI and the
 * release do, and point each finding at the line and column of the value. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "lib/policy.h"
#include "lib/profile.h"
#include "lint.h"

enum { OPT_FORMAT = 'f', OPT_RELEASE = 'r', OPT_RULES = 'R' };

static const struct cli_opt options[] = {
	{"format", OPT_FORMAT, "FORMAT", "text (default), json, or github (workflow annotations)", 0},
	{"release", OPT_RELEASE, NULL, "add what a release requires: every kms_*/node_* list filled, provenance\n"
				       "for every value, and the rules across the three profiles' files", 0},
	{"list-rules", OPT_RULES, NULL, "print the rules (id, severity, what it checks) and exit", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-lint [--format text|json|github] [--release] [--list-rules] [FILE...] (stdin without FILE)",
	.about = "Check KMS attestation policy files; each finding names the file, line, column and JSON path.",
	.opts = options,
	.trailer = "stdin: a policy file when no FILE is given.  stdout: the findings (also on exit 1 and 65).\n"
		   "exit: 0 no error (warnings and notices allowed), 1 an error found, 2 usage, 65 a file that is\n"
		   "not JSON, 66 a file missing, 74 write error.",
	.max_operands = -1,
};

/* The profile a file name carries: kms-phala-attestation-policy.P.json, or
 * locked-read-only for the legacy kms-phala-attestation-policy.json. */
static void name_profile(struct lint *L, struct pfile *f)
{
	const char *base = strrchr(f->name, '/') ? strrchr(f->name, '/') + 1 : f->name;
	static const char stem[] = "kms-phala-attestation-policy.";
	if (strcmp(f->name, "-") == 0 || strncmp(base, stem, sizeof stem - 1) != 0)
		return;
	const char *rest = base + sizeof stem - 1;
	if (strcmp(rest, "json") == 0) {
		f->legacy = 1;
		f->name_profile = "locked-read-only";
		return;
	}
	size_t n = strlen(rest);
	if (n <= 5 || strcmp(rest + n - 5, ".json") != 0)
		return;
	char p[64];
	snprintf(p, sizeof p, "%.*s", (int)(n - 5), rest);
	f->name_profile = profile_lookup(p);
	if (!f->name_profile || strcmp(f->name_profile, p) != 0)
		lint_add(L, f, ".profile", "profile", SEV_ERROR, "the file name names profile '%s', which is not %s", p,
			 profile_choices());
}

static void syntax_finding(struct lint *L, struct pfile *f, const char *what, const char *msg)
{
	int line = 1, col = 1;
	const char *at = strstr(msg, " at line ");
	if (at && sscanf(at, " at line %d, column %d", &line, &col) == 2 && col < 1)
		col = 1;
	lint_add(L, f, ".", "json-syntax", SEV_ERROR, "%s: %s", what, msg);
	L->f[L->n - 1].line = line;
	L->f[L->n - 1].col = col;
	warnx("cannot parse '%s': %s", f->name, msg);
}

/* Read and parse one file; 1 when it is not JSON, or not the strict JSON
 * mero-kms's parser reads (a json-syntax finding). */
static int load(struct lint *L, struct pfile *f)
{
	char err[512];
	read_file_capped(f->name, 16 * MP_MIB, &f->text, 0);
	f->root = json_parse((const char *)f->text.data, f->text.len, err, sizeof err);
	if (!jv_is_valid(f->root)) {
		syntax_finding(L, f, "not JSON", err);
		return 1;
	}
	if (jpos_build((const char *)f->text.data, f->text.len, &f->ix, err, sizeof err) != 0) {
		syntax_finding(L, f, "not strict JSON (mero-kms's parser refuses it)", err);
		jv_free(f->root);
		return 1;
	}
	f->parsed = 1;
	const char *p = json_str(f->root, "profile");
	f->profile = p ? profile_lookup(p) : NULL;
	if (f->profile && strcmp(f->profile, p) != 0)
		f->profile = NULL; /* "Debug": the profile rule reports it */
	name_profile(L, f);
	return 0;
}

static void list_rules(void)
{
	for (const struct rule_doc *r = rule_docs; r->id; r++)
		printf("%-24s %-8s %s\n", r->id, r->severity, r->doc);
	close_stdout();
	exit(0);
}

static enum format parse_args(int argc, char **argv, struct lint *L, char ***names, int *n)
{
	struct cli cl;
	enum format fmt = FMT_TEXT;
	int rules = 0;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_FORMAT:
			if (strcmp(val, "text") == 0) fmt = FMT_TEXT;
			else if (strcmp(val, "json") == 0) fmt = FMT_JSON;
			else if (strcmp(val, "github") == 0) fmt = FMT_GITHUB;
			else cli_usage(&cl, "--format must be text, json or github (got '%s')", val);
			break;
		case OPT_RELEASE: L->release = 1; break;
		case OPT_RULES: rules = 1; break;
		}
	}
	if (rules && cl.noperands)
		cli_usage(&cl, "--list-rules takes no FILE");
	*n = cl.noperands;
	*names = xcalloc((size_t)cl.noperands + 1, sizeof **names);
	for (int i = 0; i < cl.noperands; i++)
		(*names)[i] = cl.operands[i];
	cli_free(&cl);
	if (rules)
		list_rules();
	return fmt;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct lint L = {0};
	char **names;
	int n, bad = 0, count[3] = {0, 0, 0};
	enum format fmt = parse_args(argc, argv, &L, &names, &n);
	L.nfiles = n ? n : 1;
	L.files = xcalloc((size_t)L.nfiles, sizeof *L.files);
	for (int k = 0; k < L.nfiles; k++) {
		L.files[k].name = n ? names[k] : "-";
		bad |= load(&L, &L.files[k]);
	}
	for (int k = 0; k < L.nfiles; k++)
		if (L.files[k].parsed)
			lint_file(&L, &L.files[k]);
	if (L.release)
		lint_release(&L);
	struct buf o;
	buf_init(&o);
	emit_findings(&L, fmt, count, &o);
	out_write(o.data, o.len);
	buf_free(&o);
	close_stdout();
	if (L.n)
		warnx("%d error%s, %d warning%s, %d notice%s in %d file%s", count[0], count[0] == 1 ? "" : "s", count[1],
		      count[1] == 1 ? "" : "s", count[2], count[2] == 1 ? "" : "s", L.nfiles, L.nfiles == 1 ? "" : "s");
	for (int k = 0; k < L.n; k++) {
		free(L.f[k].path);
		free(L.f[k].msg);
	}
	for (int k = 0; k < L.nfiles; k++) {
		if (L.files[k].parsed)
			jv_free(L.files[k].root);
		jpos_free(&L.files[k].ix);
		buf_free(&L.files[k].text);
	}
	free(L.f);
	free(L.files);
	free(names);
	return bad ? EXIT_DATAERR : count[SEV_ERROR] ? EXIT_NO : EXIT_OK;
}
