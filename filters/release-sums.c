/* release-sums: the checksums file of a release (sha256sum's format, one
 * "HEX  NAME" line per asset, sorted by name): update it with files, or check
 * files against it as a consumer does. Names are asset names (letters,
 * digits, '.', '_', '-'), so a line can never point outside its folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/assetname.h"
#include "lib/cli.h"
#include "lib/hasher.h"

#define SUMS_CAP (4 * MP_MIB)

struct entry {
	char *name;
	char hex[65];
};

struct sums {
	struct entry *e;
	int n, cap;
};

static struct entry *find(const struct sums *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->e[i].name, name) == 0)
			return &s->e[i];
	return NULL;
}

static struct entry *add(struct sums *s, const char *name, size_t n)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->e = xrealloc(s->e, (size_t)s->cap * sizeof *s->e);
	}
	struct entry *e = &s->e[s->n++];
	e->name = strndup(name, n);
	if (!e->name)
		fail(EXIT_SOFTWARE, "out of memory");
	return e;
}

static void sums_free(struct sums *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
}

/* One line "HEX  NAME" (or "HEX *NAME"): 0, or -1 with why. */
static int parse_line(const char *l, size_t n, struct sums *s, const char **why)
{
	*why = "not '<64 hex digits>  NAME'";
	if (n < 67 || l[64] != ' ' || (l[65] != ' ' && l[65] != '*'))
		return -1;
	for (int i = 0; i < 64; i++)
		if (!((l[i] >= '0' && l[i] <= '9') || (l[i] >= 'a' && l[i] <= 'f') || (l[i] >= 'A' && l[i] <= 'F')))
			return -1;
	const char *name = l + 66;
	size_t len = n - 66;
	*why = "the name is not an asset name (letters, digits, '.', '_', '-')";
	if (!asset_name_ok(name, len))
		return -1;
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%.*s", (int)len, name);
	*why = "a second line for this name";
	if (find(s, tmp))
		return -1;
	struct entry *e = add(s, name, len);
	for (int i = 0; i < 64; i++)
		e->hex[i] = (char)(l[i] >= 'A' && l[i] <= 'F' ? l[i] + 32 : l[i]);
	e->hex[64] = 0;
	return 0;
}

/* Read a checksums file; exits 66 when missing, 65 on a malformed line. */
static void read_sums(const char *path, struct sums *s)
{
	struct buf b;
	read_file_capped(path, SUMS_CAP, &b, 0);
	const char *p = (const char *)b.data, *end = p + b.len;
	for (int line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			fail(EXIT_DATAERR, "'%s' line %d: no newline at the end", path, line);
		const char *why;
		if (memchr(p, 0, (size_t)(nl - p)) || parse_line(p, (size_t)(nl - p), s, &why))
			fail(EXIT_DATAERR, "'%s' line %d: %s", path, line, memchr(p, 0, (size_t)(nl - p)) ? "a NUL byte" : why);
		p = nl + 1;
	}
	buf_free(&b);
}

/* SHA-256 of a regular file: 0, or the exit code with why. */
static int hash_file(const char *path, char hex[65], char *why, size_t whylen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "cannot read '%s': not a regular file", path);
		return EXIT_NOINPUT;
	}
	int e = hash_fd(fd, (long long)st.st_size, hex);
	close(fd);
	if (e) {
		snprintf(why, whylen, "cannot read '%s': %s", path, e > 0 ? strerror(e) : "it shrank while being read");
		return EXIT_IOERR;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* ---- update ---- */

enum { OPT_BASE = 'b', OPT_OUTPUT = 'o', OPT_DIR = 'd', OPT_NAME = 'n' };

static const struct cli_opt update_opts[] = {
	{"base", OPT_BASE, "FILE", "the release's current checksums: its other lines are kept", 0},
	{"output", OPT_OUTPUT, "FILE", "write the checksums to FILE (atomically) instead of stdout", 0},
	{0}};

static const struct cli_spec update_spec = {
	.synopsis = "release-sums update [--base FILE] [--output FILE] FILE... > CHECKSUMS",
	.about = "Write a checksums file: the lines of --base, with the line of each FILE replaced or added.",
	.opts = update_opts,
	.trailer = "FILE: listed under its base name (an asset name: letters, digits, '.', '_', '-').\n"
		   "stdout: sha256sum lines (\"HEX  NAME\"), sorted by name: `sha256sum -c` reads them.\n"
		   "exit: 0 ok, 2 usage, 65 a malformed --base, 66 a file missing, 74 read or write error.",
	.max_operands = -1,
};

static int cmd_update(int argc, char **argv)
{
	struct cli cl;
	const char *base = NULL, *output = NULL, *v;
	cli_parse(&cl, &update_spec, argc, argv);
	for (int c; (c = cli_next(&cl, &v));)
		c == OPT_BASE ? (void)(base = v) : (void)(output = v);
	if (cl.noperands == 0)
		cli_usage(&cl, "no FILE given");
	struct sums s = {0};
	if (base)
		read_sums(base, &s);
	for (int i = 0; i < cl.noperands; i++) {
		const char *path = cl.operands[i], *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
		char why[600];
		if (!asset_name_ok(name, strlen(name)))
			cli_usage(&cl, "'%s': '%s' is not an asset name (letters, digits, '.', '_', '-')", path, name);
		struct entry *e = find(&s, name);
		if (!e)
			e = add(&s, name, strlen(name));
		int rc = hash_file(path, e->hex, why, sizeof why);
		if (rc)
			fail(rc, "%s", why);
	}
	qsort(s.e, (size_t)s.n, sizeof *s.e, by_name);
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < s.n; i++)
		buf_printf(&out, "%s  %s\n", s.e[i].hex, s.e[i].name);
	write_output(output, out.data, out.len);
	buf_free(&out);
	sums_free(&s);
	cli_free(&cl);
	return 0;
}

/* ---- check ---- */

static const struct cli_opt check_opts[] = {
	{"dir", OPT_DIR, "DIR", "where the listed files are (default: the checksums file's folder)", 0},
	{"name", OPT_NAME, "NAME", "check this name only (it must be listed)", CLI_REPEAT},
	{0}};

static const struct cli_spec check_spec = {
	.synopsis = "release-sums check [--dir DIR] [--name NAME]... CHECKSUMS",
	.about = "Check the files a checksums file lists (or the --name ones) against their SHA-256.",
	.opts = check_opts,
	.trailer = "stdout: one line per name, also on exit 1: \"NAME: OK\", \"NAME: FAILED (SHA-256 HEX)\",\n"
		   "\"NAME: MISSING\" or \"NAME: NOT LISTED\".\n"
		   "exit: 0 every file matches, 1 one does not (or is missing or not listed), 2 usage, 65 a\n"
		   "malformed checksums file, 66 the checksums file missing, 74 read or write error.",
	.max_operands = 1,
};

/* One name's line; 1 when it passed. */
static int check_one(const char *dir, const struct sums *s, const char *name, struct buf *out)
{
	const struct entry *e = find(s, name);
	if (!e) {
		buf_printf(out, "%s: NOT LISTED\n", name);
		return 0;
	}
	char *path, hex[65], why[600];
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	int rc = hash_file(path, hex, why, sizeof why);
	free(path);
	if (rc == EXIT_IOERR)
		fail(rc, "%s", why);
	if (rc)
		buf_printf(out, "%s: MISSING\n", name);
	else if (strcmp(hex, e->hex) != 0)
		buf_printf(out, "%s: FAILED (SHA-256 %s)\n", name, hex);
	else
		buf_printf(out, "%s: OK\n", name);
	return !rc && strcmp(hex, e->hex) == 0;
}

static int cmd_check(int argc, char **argv)
{
	struct cli cl;
	const char *dir = NULL, *v;
	cli_parse(&cl, &check_spec, argc, argv);
	const char **names = xcalloc((size_t)cl.n + 1, sizeof *names);
	int n = 0;
	for (int c; (c = cli_next(&cl, &v));)
		if (c == OPT_DIR)
			dir = v;
		else if (!asset_name_ok(v, strlen(v)))
			cli_usage(&cl, "--name '%s' is not an asset name (letters, digits, '.', '_', '-')", v);
		else
			names[n++] = v;
	if (cl.noperands != 1)
		cli_usage(&cl, "no CHECKSUMS file given");
	const char *path = cl.operands[0], *slash = strrchr(path, '/');
	char *own = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
	struct sums s = {0};
	read_sums(path, &s);
	struct buf out;
	buf_init(&out);
	int bad = 0;
	for (int i = 0; i < n; i++)
		bad += !check_one(dir ? dir : own, &s, names[i], &out);
	for (int i = 0; !n && i < s.n; i++)
		bad += !check_one(dir ? dir : own, &s, s.e[i].name, &out);
	write_output(NULL, out.data, out.len);
	buf_free(&out);
	sums_free(&s);
	free(own);
	free(names);
	cli_free(&cl);
	return bad ? EXIT_NO : EXIT_OK;
}

/* ---- names ---- */

static const struct cli_spec names_spec = {
	.synopsis = "release-sums names CHECKSUMS",
	.about = "Print the names a checksums file lists, one a line, once the file is checked to be well formed.",
	.trailer = "exit: 0 ok, 2 usage, 65 a malformed checksums file, 66 it is missing, 74 write error.",
	.max_operands = 1,
};

static int cmd_names(int argc, char **argv)
{
	struct cli cl;
	cli_parse(&cl, &names_spec, argc, argv);
	if (cl.noperands != 1)
		cli_usage(&cl, "no CHECKSUMS file given");
	struct sums s = {0};
	read_sums(cl.operands[0], &s);
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < s.n; i++)
		buf_printf(&out, "%s\n", s.e[i].name);
	write_output(NULL, out.data, out.len);
	buf_free(&out);
	sums_free(&s);
	cli_free(&cl);
	return 0;
}

static const struct cli_cmd commands[] = {
	{"update", "write a checksums file: another's lines with the FILEs' replaced or added", cmd_update},
	{"check", "check files against a checksums file", cmd_check},
	{"names", "print the names a checksums file lists", cmd_names},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "release-sums update [--base FILE] [--output FILE] FILE... > CHECKSUMS\n"
		    "       release-sums check [--dir DIR] [--name NAME]... CHECKSUMS\n"
		    "       release-sums names CHECKSUMS",
	.about = "Write and check a release's checksums file (sha256sum's format, asset names only).",
	.trailer = "exit: 0 ok, 1 a file does not match, 2 usage, 65 a malformed checksums file, 66 a file\n"
		   "missing, 74 read or write error.",
	.cmds = commands,
};

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	return cli_dispatch(&spec, argc, argv);
}
