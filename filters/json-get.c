/* json-get: the values at a few paths of a JSON document, for scripts that
 * need one field and not a jq process (jq 1.6 compiles its builtins at every
 * start: about 30 ms, where this takes one). Read-only, no expressions. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/json.h"

enum { OPT_BASE64 = 'b' };

static const struct cli_opt options[] = {
	{"base64", OPT_BASE64, NULL, "decode the string at the one PATH as base64 and write its bytes\n"
				     "(no newline)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "json-get [--base64] PATH... < JSON > VALUES",
	.about = "Print the value at each PATH of the JSON document on stdin, one line each: a string as its\n"
		 "text (as jq -r prints it), any other value as compact JSON.",
	.opts = options,
	.trailer = "PATH: member names and array indexes from the top, as jq writes them: .status,\n"
		   ".cvm.compose_hash, .eventLog[0].digest, .[1]; '.' is the whole document. A name is letters,\n"
		   "digits, '_' and '-'.\n"
		   "stdin: one JSON document (at most 16 MiB).  stdout: one line per PATH, all or nothing.\n"
		   "exit: 0 ok, 1 a PATH is absent or null (nothing is printed), 2 usage, 65 malformed JSON, a\n"
		   "string that cannot be printed as a line (a NUL; a newline with several PATHs) or not\n"
		   "base64, 74 write error.",
	.max_operands = -1,
};

#define INPUT_CAP (16 * MP_MIB)

/* One step of a PATH at *p, moving *p past it: STEP_NAME (the name in name),
 * STEP_INDEX (in *index), STEP_END at the end, STEP_BAD on anything else. The
 * path's check and its lookup both walk it with this. */
enum { STEP_END, STEP_NAME, STEP_INDEX, STEP_BAD };
static int path_step(const char **p, char name[256], long *index)
{
	const char *s = *p;
	if (!*s)
		return STEP_END;
	if (s[0] == '.' && s[1] == '[') /* .[0]: jq's index of the top */
		s++;
	size_t n;
	if (*s == '.') {
		n = strspn(++s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
		if (n == 0 || n > 255)
			return STEP_BAD;
		snprintf(name, 256, "%.*s", (int)n, s);
		*p = s + n;
		return STEP_NAME;
	}
	if (*s == '[') {
		n = strspn(++s, "0123456789");
		if (n == 0 || n > 9 || s[n] != ']')
			return STEP_BAD;
		*index = strtol(s, NULL, 10);
		*p = s + n + 1;
		return STEP_INDEX;
	}
	return STEP_BAD;
}

/* 1 when path is jq's syntax of member names and indexes ('.' alone: the top) */
static int path_ok(const char *p)
{
	char name[256];
	long i;
	if (strcmp(p, ".") == 0)
		return 1;
	for (int k; (k = path_step(&p, name, &i)) != STEP_END;)
		if (k == STEP_BAD)
			return 0;
	return 1;
}

/* The value at a checked path in doc (borrowed; a new reference), invalid when absent. */
static jv lookup(jv doc, const char *p)
{
	jv v = jv_copy(doc);
	char name[256];
	long i;
	if (strcmp(p, ".") == 0)
		return v;
	for (int k; jv_is_valid(v) && (k = path_step(&p, name, &i)) != STEP_END;) {
		jv next;
		if (k == STEP_NAME)
			next = jv_get_kind(v) == JV_KIND_OBJECT ? json_get(v, name) : jv_invalid();
		else
			next = jv_get_kind(v) == JV_KIND_ARRAY && i < jv_array_length(jv_copy(v))
				       ? jv_array_get(jv_copy(v), (int)i)
				       : jv_invalid();
		jv_free(v);
		v = next;
	}
	return v;
}

/* Append the line of v (consumed) to out. */
static void value_line(jv v, const char *path, int several, struct buf *out)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		json_dump_buf(v, 0, out);
		return;
	}
	size_t n = (size_t)jv_string_length_bytes(jv_copy(v));
	const char *s = jv_string_value(v);
	if (memchr(s, 0, n))
		fail(EXIT_DATAERR, "the string at %s holds a NUL byte: it cannot be printed as text", path);
	if (several && memchr(s, '\n', n))
		fail(EXIT_DATAERR, "the string at %s holds a newline: ask for it alone", path);
	buf_add(out, s, n);
	buf_add(out, "\n", 1);
	jv_free(v);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	int base64 = 0;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	while (cli_next(&cl, &val))
		base64 = 1;
	char **paths = cl.operands;
	int n = cl.noperands;
	if (n == 0)
		cli_usage(&cl, "json-get needs a PATH (.name, .name[0].name, or .)");
	if (base64 && n != 1)
		cli_usage(&cl, "--base64 takes one PATH");
	for (int i = 0; i < n; i++)
		if (!path_ok(paths[i]))
			cli_usage(&cl, "'%s' is not a PATH of .names and [indexes]", paths[i]);
	cli_free(&cl);

	struct buf in;
	char err[512];
	read_capped(stdin, INPUT_CAP, "standard input", &in);
	jv doc = json_parse((const char *)in.data, in.len, err, sizeof err);
	buf_free(&in);
	if (!jv_is_valid(doc))
		fail(EXIT_DATAERR, "standard input is not JSON: %s", err);
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < n; i++) {
		jv v = lookup(doc, paths[i]);
		if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL)
			fail(EXIT_NO, "%s is %s", paths[i], jv_is_valid(v) ? "null" : "absent");
		if (!base64) {
			value_line(v, paths[i], n > 1, &out);
			continue;
		}
		if (jv_get_kind(v) != JV_KIND_STRING)
			fail(EXIT_DATAERR, "%s is not a string: no base64 to decode", paths[i]);
		if (b64_decode(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), &out))
			fail(EXIT_DATAERR, "the string at %s is not base64", paths[i]);
		jv_free(v);
	}
	jv_free(doc);
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	return 0;
}
