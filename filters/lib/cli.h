/* The command line of every program: one table of options, parsed with
 * getopt_long (a leading ':' in the optstring), the same usage errors, and
 * --help and --version generated from the same table.
 *
 *   static const struct cli_opt opts[] = {
 *           {"input", 'i', "FORM", "bin, hex or base64 (default: detected)"},
 *           {"lines", 'l', NULL, "one quote per line in, one JSON per line out"},
 *           {0}};
 *   static const struct cli_spec spec = {
 *           .synopsis = "quote2json [--input FORM] [--lines] < QUOTE > JSON",
 *           .about = "Parse an Intel TDX or SGX DCAP quote and write its fields as JSON.",
 *           .opts = opts,
 *           .trailer = "stdin: ...\nstdout: ...\nexit: 0 ok, 2 usage, ...",
 *   };
 *   struct cli cl;
 *   cli_parse(&cl, &spec, argc, argv);
 *   for (const char *v; (c = cli_next(&cl, &v));) switch (c) { ... }
 *
 * The whole command line is checked before the first option reaches the
 * program, so a usage error never depends on the order of the options:
 *   PROG: unknown option '--x'
 *   PROG: option '--x' needs a value
 *   PROG: option '--x' given twice       (unless the option is CLI_REPEAT)
 *   PROG: option '--x' takes no value    (--flag=value)
 *   PROG: unexpected argument 'x'        (more operands than the spec allows)
 * each followed by "usage: SYNOPSIS" on stderr, exit 2, nothing on stdout.
 * --help prints the synopsis, the about line, one line per option and the
 * trailer to stdout (exit 0, or 74 when stdout cannot be written); --version
 * prints "NAME X.Y.Z". Options may not be abbreviated. */
#ifndef MP_CLI_H
#define MP_CLI_H

#include "common.h"

enum { CLI_REPEAT = 1 }; /* the option may be given more than once */

struct cli_opt {
	const char *name; /* without the leading dashes; NULL ends the table */
	int id;           /* what cli_next returns for it: non-zero */
	const char *arg;  /* the value's name in --help ("FILE"), NULL for a flag */
	const char *doc;  /* what it does; may hold '\n' for more lines */
	unsigned flags;   /* CLI_REPEAT */
};

/* A subcommand of a program that has several (cosign-wrap sign, ...). */
struct cli_cmd {
	const char *name;
	const char *doc; /* one line for the program's --help */
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
};

struct cli_spec {
	const char *synopsis; /* one or more lines, without "usage: " */
	const char *about;    /* one sentence */
	const struct cli_opt *opts; /* may be NULL */
	const char *trailer;  /* stdin, stdout, environment, exit codes */
	int max_operands;     /* operands allowed after the options (-1: any) */
	const struct cli_cmd *cmds; /* a program of subcommands: ends with {0} */
};

struct cli_item {
	int id;
	const char *val;
};

struct cli {
	const struct cli_spec *spec;
	struct cli_item *items;
	int n, next;
	char **operands;
	int noperands;
};

/* Check argv completely against spec and collect the options in command-line
 * order; exits on a usage error, --help and --version. */
void cli_parse(struct cli *c, const struct cli_spec *spec, int argc, char **argv);
/* The next option: its id, and its value in *val (NULL for a flag); 0 after
 * the last. */
int cli_next(struct cli *c, const char **val);
void cli_free(struct cli *c);

/* "PROG: message", "usage: SYNOPSIS" on stderr, exit 2. */
void cli_usage(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A program of subcommands: parse the program's own options (--help,
 * --version), then run the command named by the first operand with the rest
 * of argv. Unknown or missing commands are usage errors. */
int cli_dispatch(const struct cli_spec *spec, int argc, char **argv);

#endif
