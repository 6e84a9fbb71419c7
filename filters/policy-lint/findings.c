/* policy-lint: recording findings and writing them (text, json, github). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ghcmd.h"
#include "lib/json.h"
#include "lint.h"

static const char *const sev_names[] = {"error", "warning", "notice"};

void lint_at(struct lint *L, const struct pfile *f, const char *path, int at_key, const char *rule, enum sev sev,
	     const char *fmt, ...)
{
	if (L->n == L->cap) {
		L->cap = L->cap ? 2 * L->cap : 32;
		L->f = xrealloc(L->f, sizeof *L->f * (size_t)L->cap);
	}
	struct finding *d = &L->f[L->n];
	memset(d, 0, sizeof *d);
	d->file = f ? (int)(f - L->files) : -1;
	d->path = xstrdup(path);
	d->rule = rule;
	d->sev = sev;
	d->seq = L->n;
	if (f) {
		const struct jpos *e = jpos_find(&f->ix, path, NULL);
		d->line = e ? (at_key && e->kline ? e->kline : e->line) : 1;
		d->col = e ? (at_key && e->kline ? e->kcol : e->col) : 1;
	}
	va_list ap;
	va_start(ap, fmt);
	char line[2048];
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *q = line; *q; q++) /* one finding, one line */
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	d->msg = xstrdup(line);
	L->n++;
}

static int by_place(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->file != y->file)
		return x->file - y->file;
	if (x->line != y->line)
		return x->line - y->line;
	if (x->col != y->col)
		return x->col - y->col;
	return x->seq - y->seq;
}

static void emit_line(const struct lint *L, const struct finding *d, enum format fmt, struct buf *o)
{
	const char *file = d->file >= 0 ? L->files[d->file].name : NULL;
	if (fmt == FMT_GITHUB) {
		ghcmd_annotation(o, sev_names[d->sev], file, d->line, d->col, d->rule, d->msg);
	} else if (file) {
		buf_printf(o, "%s:%d:%d: %s: %s [%s]\n", file, d->line, d->col, sev_names[d->sev], d->msg, d->rule);
	} else {
		buf_printf(o, "(release): %s: %s [%s]\n", sev_names[d->sev], d->msg, d->rule);
	}
}

static void emit_json(const struct lint *L, const int count[3], struct buf *o)
{
	jv all = jv_array();
	for (int k = 0; k < L->n; k++) {
		const struct finding *d = &L->f[k];
		jv e = jv_object();
		JSET(e, "file", d->file >= 0 ? jv_string(L->files[d->file].name) : jv_null());
		JSET(e, "line", jv_number(d->line));
		JSET(e, "column", jv_number(d->col));
		JSET(e, "path", jv_string(d->path));
		JSET(e, "rule", jv_string(d->rule));
		JSET(e, "severity", jv_string(sev_names[d->sev]));
		JSET(e, "message", jv_string(d->msg));
		all = jv_array_append(all, e);
	}
	jv r = jv_object();
	JSET(r, "findings", all);
	JSET(r, "errors", jv_number(count[SEV_ERROR]));
	JSET(r, "warnings", jv_number(count[SEV_WARNING]));
	JSET(r, "notices", jv_number(count[SEV_NOTICE]));
	JSET(r, "files", jv_number(L->nfiles));
	json_dump_buf(r, 1, o);
}

void emit_findings(struct lint *L, enum format fmt, int count[3], struct buf *o)
{
	if (L->n) /* qsort wants an array, even of none */
		qsort(L->f, (size_t)L->n, sizeof *L->f, by_place);
	for (int k = 0; k < L->n; k++)
		count[L->f[k].sev]++;
	if (fmt == FMT_JSON)
		emit_json(L, count, o);
	else
		for (int k = 0; k < L->n; k++)
			emit_line(L, &L->f[k], fmt, o);
}
