#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { ID_HELP = -1000, ID_VERSION = -1001 };

static size_t count_opts(const struct cli_opt *o)
{
	size_t n = 0;
	while (o && o[n].name)
		n++;
	return n;
}

static void print_doc(const char *doc, int col)
{
	for (const char *p = doc; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("%.*s\n", (int)n, p);
		if (!nl)
			break;
		p = nl + 1;
		printf("%*s", col, "");
	}
}

/* The help text: synopsis, about, one line per option (generated, so that
 * every program documents its options in one form, which tests/cli.bats reads),
 * commands, trailer. */
static void print_help(const struct cli_spec *s)
{
	enum { COL = 26 };
	printf("usage: %s\n", s->synopsis);
	if (s->about)
		printf("%s\n", s->about);
	if (s->cmds) {
		printf("\ncommands (PROG COMMAND --help for each):\n");
		for (const struct cli_cmd *c = s->cmds; c->name; c++) {
			printf("  %-*s", COL - 2, c->name);
			print_doc(c->doc ? c->doc : "", COL);
		}
	}
	printf("\noptions:\n");
	for (size_t i = 0; i < count_opts(s->opts); i++) {
		const struct cli_opt *o = &s->opts[i];
		char lead[128];
		snprintf(lead, sizeof lead, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		int w = printf("  %s", lead);
		if ((int)strlen(lead) + 3 > COL - 2) {
			printf("\n%*s", COL, "");
		} else {
			printf("%*s", COL - w, "");
		}
		char doc[1024];
		snprintf(doc, sizeof doc, "%s%s", o->doc ? o->doc : "",
			 o->flags & CLI_REPEAT ? " (may be repeated)" : "");
		print_doc(doc, COL);
	}
	printf("  %-*s%s\n", COL - 2, "--help", "this text");
	printf("  %-*s%s\n", COL - 2, "--version", "print the version");
	if (s->trailer)
		printf("\n%s%s", s->trailer, s->trailer[strlen(s->trailer) - 1] == '\n' ? "" : "\n");
}

/* "NAME X.Y.Z" on stdout, exit 0 (74 when stdout cannot be written) */
static void __attribute__((noreturn)) cli_version(void)
{
	printf("%s %s\n", progname, MP_VERSION);
	close_stdout();
	exit(EXIT_OK);
}

static void __attribute__((noreturn)) usage_v(const char *synopsis, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof line, fmt, ap);
	usage_fail(synopsis, "%s", line);
}

void cli_usage(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_v(c->spec->synopsis, fmt, ap);
}

static void __attribute__((noreturn)) spec_usage(const struct cli_spec *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_v(s->synopsis, fmt, ap);
}

/* The option as the user typed it, without "=value". */
static void opt_text(const char *arg, char *out, size_t n)
{
	size_t len = strcspn(arg, "=");
	if (len >= n)
		len = n - 1;
	memcpy(out, arg, len);
	out[len] = 0;
}

static int only_for_subcommands(const struct cli_spec *s)
{
	return s->cmds != NULL;
}

void cli_parse(struct cli *c, const struct cli_spec *spec, int argc, char **argv)
{
	size_t nopt = count_opts(spec->opts);
	struct option *lo = xcalloc(nopt + 3, sizeof *lo);
	for (size_t i = 0; i < nopt; i++) {
		lo[i].name = spec->opts[i].name;
		lo[i].has_arg = spec->opts[i].arg ? required_argument : no_argument;
		lo[i].val = (int)i + 1;
	}
	lo[nopt] = (struct option){"help", no_argument, NULL, (int)nopt + 1};
	lo[nopt + 1] = (struct option){"version", no_argument, NULL, (int)nopt + 2};
	int *seen = xcalloc(nopt + 1, sizeof *seen);

	memset(c, 0, sizeof *c);
	c->spec = spec;
	c->items = xcalloc((size_t)argc + 1, sizeof *c->items);
	/* a program of subcommands stops at the command's name ('+') */
	const char *optstring = only_for_subcommands(spec) ? "+:" : ":";
	opterr = 0;
	optind = 0; /* GNU: start afresh (a subcommand parses a second time) */
	int r, li;
	char text[256];
	while ((li = -1, r = getopt_long(argc, argv, optstring, lo, &li)) != -1) {
		const char *typed = argv[optind - 1];
		if (r == '?' || r == ':') {
			/* getopt names the option in optopt for short ones; long ones
			 * are the argument just consumed (or the one before a value) */
			if (optopt && optopt < 256 && !(optopt >= 1 && optopt <= (int)nopt + 2))
				snprintf(text, sizeof text, "-%c", optopt);
			else
				opt_text(typed, text, sizeof text);
			if (r == ':')
				spec_usage(spec, "option '%s' needs a value", text);
			if (optopt >= 1 && optopt <= (int)nopt + 2)
				spec_usage(spec, "option '%s' takes no value", text);
			spec_usage(spec, "unknown option '%s'", text);
		}
		/* no abbreviations: "--inp" is not "--input" (a value given as the
		 * next argument is argv[optind - 1], the option the one before) */
		if (optarg && optarg == argv[optind - 1] && optind >= 2)
			typed = argv[optind - 2];
		opt_text(typed, text, sizeof text);
		if (li < 0 || strncmp(text, "--", 2) != 0 || strcmp(text + 2, lo[li].name) != 0)
			spec_usage(spec, "unknown option '%s'", text);
		if (r == (int)nopt + 1) {
			print_help(spec);
			close_stdout();
			exit(EXIT_OK);
		}
		if (r == (int)nopt + 2)
			cli_version();
		const struct cli_opt *o = &spec->opts[r - 1];
		if (seen[r - 1]++ && !(o->flags & CLI_REPEAT))
			spec_usage(spec, "option '--%s' given twice", o->name);
		c->items[c->n].id = o->id;
		c->items[c->n].val = o->arg ? optarg : NULL;
		c->n++;
	}
	free(seen);
	free(lo);
	c->operands = argv + optind;
	c->noperands = argc - optind;
	if (!only_for_subcommands(spec) && spec->max_operands >= 0 && c->noperands > spec->max_operands)
		spec_usage(spec, "unexpected argument '%s'", c->operands[spec->max_operands]);
}

int cli_next(struct cli *c, const char **val)
{
	if (c->next >= c->n) {
		*val = NULL;
		return 0;
	}
	*val = c->items[c->next].val;
	return c->items[c->next++].id;
}

void cli_free(struct cli *c)
{
	free(c->items);
	c->items = NULL;
	c->n = c->next = 0;
}

int cli_dispatch(const struct cli_spec *spec, int argc, char **argv)
{
	struct cli c;
	cli_parse(&c, spec, argc, argv);
	char **rest = c.operands;
	int nrest = c.noperands;
	cli_free(&c);
	if (nrest < 1)
		spec_usage(spec, "no command given");
	for (const struct cli_cmd *cmd = spec->cmds; cmd->name; cmd++)
		if (strcmp(rest[0], cmd->name) == 0)
			return cmd->run(nrest, rest);
	spec_usage(spec, "unknown command '%s'", rest[0]);
}
