#include "prbody.h"

#include <stdlib.h>
#include <string.h>

#define FENCE "````"

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

void prbody_put_candidates(struct buf *body, const struct buf *cand, const struct buf *sig)
{
	const char *s = (const char *)cand->data;
	for (size_t i = 0; i < cand->len; i += strcspn(s + i, "\n") + 1)
		if (starts(s + i, cand->len - i, FENCE))
			fail(EXIT_DATAERR, "the candidates hold a line starting with %s: they cannot be embedded", FENCE);
	buf_printf(body, "%s\n%sjson\n", PRBODY_BEGIN, FENCE);
	buf_add(body, cand->data, cand->len);
	if (cand->len && cand->data[cand->len - 1] != '\n')
		buf_addc(body, '\n');
	buf_printf(body, "%s\n%stext\n", FENCE, FENCE);
	size_t n = sig->len;
	while (n && (sig->data[n - 1] == '\n' || sig->data[n - 1] == '\r'))
		n--;
	buf_add(body, sig->data, n);
	buf_printf(body, "\n%s\n%s\n", FENCE, PRBODY_END);
}

int prbody_tag_ok(const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0 || n > 128 || tag[0] == '.' || tag[0] == '-')
		return 0;
	for (const char *p = tag; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return 0;
	return 1;
}

void prbody_put_node_release(struct buf *body, const char *tag)
{
	buf_printf(body, "%s%s -->\n", PRBODY_NODE, tag);
}

/* ---- reading */

struct line {
	const char *s;
	size_t n;
};

struct lines {
	struct line *v;
	size_t n, at;
};

static void split(const char *text, size_t len, struct lines *ls)
{
	size_t cap = 64;
	ls->v = xmalloc(cap * sizeof *ls->v);
	ls->n = ls->at = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (ls->n == cap)
			ls->v = xrealloc(ls->v, (cap *= 2) * sizeof *ls->v);
		ls->v[ls->n++] = (struct line){text + i, n && text[i + n - 1] == '\r' ? n - 1 : n};
		i += n + 1;
	}
}

/* The line trimmed of spaces, compared whole with want. */
static int is(const struct line *l, const char *want)
{
	const char *s = l->s, *e = l->s + l->n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - s) == strlen(want) && memcmp(s, want, (size_t)(e - s)) == 0;
}

/* The next line that is not blank, or NULL. */
static const struct line *next_line(struct lines *ls)
{
	while (ls->at < ls->n) {
		const struct line *l = &ls->v[ls->at++];
		if (!is(l, ""))
			return l;
	}
	return NULL;
}

/* A fence from its opening line to its closing one: the lines between,
 * joined with LF and a final LF. 0, or -1 when it is not there. */
static int fence(struct lines *ls, const char *info, struct buf *out)
{
	const struct line *l = next_line(ls);
	char open[16];
	snprintf(open, sizeof open, "%s%s", FENCE, info);
	if (!l || !is(l, open))
		return -1;
	buf_init(out);
	while (ls->at < ls->n) {
		l = &ls->v[ls->at++];
		if (is(l, FENCE))
			return 0;
		buf_add(out, l->s, l->n);
		buf_addc(out, '\n');
	}
	buf_free(out);
	return -1;
}

static void add_error(struct prbody *p, int line, const char *what)
{
	p->errors = xrealloc(p->errors, (p->nerr + 1) * sizeof *p->errors);
	if (asprintf(&p->errors[p->nerr], "line %d: %s", line, what) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	p->nerr++;
}

static void signed_section(struct lines *ls, struct prbody *p)
{
	int line = (int)ls->at;
	struct prbody_signed s = {.line = line};
	if (fence(ls, "json", &s.cand) != 0) {
		add_error(p, line, "a signed-candidates section without its " FENCE "json fence");
		return;
	}
	if (fence(ls, "text", &s.sig) != 0) {
		buf_free(&s.cand);
		add_error(p, line, "a signed-candidates section without its " FENCE "text fence (the signature)");
		return;
	}
	const struct line *l = next_line(ls);
	if (!l || !is(l, PRBODY_END)) {
		buf_free(&s.cand);
		buf_free(&s.sig);
		add_error(p, line, "a signed-candidates section that does not end with " PRBODY_END);
		return;
	}
	p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
	p->v[p->n++] = s;
}

static void node_marker(const struct line *l, int line, struct prbody *p)
{
	const char *s = l->s, *e = l->s + l->n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	s += strlen(PRBODY_NODE);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	char tag[160] = "";
	if (e - s >= 3 && memcmp(e - 3, "-->", 3) == 0) {
		e -= 3;
		while (e > s && e[-1] == ' ')
			e--;
		if (e - s < (long)sizeof tag)
			snprintf(tag, sizeof tag, "%.*s", (int)(e - s), s);
	}
	if (!prbody_tag_ok(tag)) {
		add_error(p, line, "a node-release marker without a release tag ([A-Za-z0-9._-])");
		return;
	}
	p->releases = xrealloc(p->releases, (p->nrel + 1) * sizeof *p->releases);
	p->releases[p->nrel++] = xstrdup(tag);
}

void prbody_parse(const char *text, size_t len, struct prbody *out)
{
	memset(out, 0, sizeof *out);
	struct lines ls;
	split(text, len, &ls);
	while (ls.at < ls.n) {
		const struct line *l = &ls.v[ls.at++];
		const char *s = l->s;
		size_t n = l->n;
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		if (is(l, PRBODY_BEGIN))
			signed_section(&ls, out);
		else if (starts(s, n, PRBODY_NODE))
			node_marker(l, (int)ls.at, out);
	}
	free(ls.v);
}

void prbody_free(struct prbody *p)
{
	for (size_t i = 0; i < p->n; i++) {
		buf_free(&p->v[i].cand);
		buf_free(&p->v[i].sig);
	}
	for (size_t i = 0; i < p->nrel; i++)
		free(p->releases[i]);
	for (size_t i = 0; i < p->nerr; i++)
		free(p->errors[i]);
	free(p->v);
	free(p->releases);
	free(p->errors);
	memset(p, 0, sizeof *p);
}
