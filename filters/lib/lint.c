#include "lint.h"
#include "ghcmd.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int lint_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return LINT_TEXT;
	if (strcmp(s, "json") == 0)
		return LINT_JSON;
	if (strcmp(s, "github") == 0)
		return LINT_GITHUB;
	return -1;
}

void lint_add(struct lint *l, const char *level, const char *file, long line, const char *rule,
	      const char *fmt, ...)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	char *m;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	for (char *p = m; *p; p++) /* text from files never breaks a line or a terminal */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	l->v[l->n++] = (struct lint_item){xstrdup(level), file ? xstrdup(file) : NULL, rule ? xstrdup(rule) : NULL, m,
					  line};
}

size_t lint_count(const struct lint *l, const char *level)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += strcmp(l->v[i].level, level) == 0;
	return n;
}

/* An error is an error annotation; any other level a notice whose message
 * starts with the level ("skipped: ..."). */
static void print_github(const struct lint_item *it, struct buf *out)
{
	int error = strcmp(it->level, "ERROR") == 0;
	char title[256];
	snprintf(title, sizeof title, "%s%s%s", progname, it->rule ? " " : "", it->rule ? it->rule : "");
	struct buf msg;
	buf_init(&msg);
	if (!error) {
		for (const char *p = it->level; *p; p++)
			buf_addc(&msg, tolower((unsigned char)*p));
		buf_add(&msg, ": ", 2);
	}
	buf_add(&msg, it->msg, strlen(it->msg));
	ghcmd_annotation(out, error ? "error" : "notice", it->file, it->line, 0, title, (const char *)msg.data);
	buf_free(&msg);
}

static void print_text(const struct lint_item *it, struct buf *out)
{
	buf_printf(out, "%s: %s: ", progname, it->level);
	if (it->file && it->line > 0)
		buf_printf(out, "%s:%ld: ", it->file, it->line);
	else if (it->file)
		buf_printf(out, "%s: ", it->file);
	buf_add(out, it->msg, strlen(it->msg));
	if (it->rule)
		buf_printf(out, " [%s]", it->rule);
	buf_addc(out, '\n');
}

void lint_print(const struct lint *l, enum lint_format f, struct buf *out)
{
	for (size_t i = 0; i < l->n; i++) {
		if (f == LINT_GITHUB)
			print_github(&l->v[i], out);
		else
			print_text(&l->v[i], out);
	}
}

static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

jv lint_json(const struct lint *l)
{
	jv a = jv_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct lint_item *it = &l->v[i];
		char level[32];
		size_t k = 0;
		for (; it->level[k] && k < sizeof level - 1; k++)
			level[k] = (char)tolower((unsigned char)it->level[k]);
		level[k] = 0;
		jv o = jv_object();
		o = jv_object_set(o, jv_string("file"), str_or_null(it->file));
		o = jv_object_set(o, jv_string("level"), jv_string(level));
		o = jv_object_set(o, jv_string("line"), it->line > 0 ? jv_number((double)it->line) : jv_null());
		o = jv_object_set(o, jv_string("message"), jv_string(it->msg));
		o = jv_object_set(o, jv_string("rule"), str_or_null(it->rule));
		a = jv_array_append(a, o);
	}
	return a;
}

void lint_free(struct lint *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].level);
		free(l->v[i].file);
		free(l->v[i].rule);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}
