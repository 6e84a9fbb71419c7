#include "skip.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"

static char *span(const char *s, const char *e)
{
	char *c = xmalloc((size_t)(e - s) + 1);
	memcpy(c, s, (size_t)(e - s));
	c[e - s] = 0;
	return c;
}

void cl_skips_load(struct cl_skips *s, const char *path)
{
	struct buf b;
	memset(s, 0, sizeof *s);
	read_file_capped(path, MP_MIB, &b, 0);
	s->file = xstrdup(path);
	long line = 0;
	for (const char *p = (const char *)b.data; *p;) {
		size_t n = strcspn(p, "\n");
		const char *a = p, *e = p + n;
		line++;
		p += n + (p[n] == '\n');
		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (a == e || *a == '#')
			continue;
		const char *pe = a;
		while (pe < e && *pe != ' ' && *pe != '\t')
			pe++;
		const char *r = pe;
		while (r < e && (*r == ' ' || *r == '\t'))
			r++;
		if (r == e)
			fail(EXIT_CONFIG, "%s:%ld: a skipped file needs a reason: PATTERN REASON...", path, line);
		s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
		s->v[s->n++] = (struct cl_skip){span(a, pe), span(r, e), line};
	}
	buf_free(&b);
}

const struct cl_skip *cl_skips_match(const struct cl_skips *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *pat = s->v[i].pattern;
		size_t n = strlen(pat);
		if (pat[n - 1] == '/' ? strncmp(path, pat, n) == 0 : fnmatch(pat, path, FNM_PATHNAME) == 0)
			return &s->v[i];
	}
	return NULL;
}

void cl_skips_free(struct cl_skips *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].pattern);
		free(s->v[i].reason);
	}
	free(s->v);
	free(s->file);
	memset(s, 0, sizeof *s);
}
