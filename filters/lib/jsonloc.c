#include "jsonloc.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 512 };

struct scan {
	const char *p, *end;
	long line;
};

static void ws(struct scan *s)
{
	for (; s->p < s->end; s->p++) {
		if (*s->p == '\n')
			s->line++;
		else if (*s->p != ' ' && *s->p != '\t' && *s->p != '\r')
			break;
	}
}

/* A string at s->p (a '"'): its contents in [*b, *e); 0 when malformed. */
static int string(struct scan *s, const char **b, const char **e)
{
	if (s->p >= s->end || *s->p != '"')
		return 0;
	*b = ++s->p;
	for (; s->p < s->end; s->p++) {
		if (*s->p == '\\') {
			if (++s->p >= s->end)
				return 0;
		} else if (*s->p == '"') {
			*e = s->p++;
			return 1;
		} else if (*s->p == '\n') {
			return 0;
		}
	}
	return 0;
}

static int value(struct scan *s, int depth, const char *const *keys, int n, long *found);

/* An object or array at s->p; keys (n left) are looked for in an object. */
static int container(struct scan *s, int depth, const char *const *keys, int n, long *found)
{
	char close = *s->p == '{' ? '}' : ']';
	int obj = close == '}';
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 1;
	}
	for (;;) {
		int match = 0;
		if (obj) {
			const char *b, *e;
			long kline = s->line;
			if (!string(s, &b, &e))
				return 0;
			match = n > 0 && strlen(keys[0]) == (size_t)(e - b) && memcmp(keys[0], b, (size_t)(e - b)) == 0;
			if (match && n == 1)
				*found = kline;
			ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return 0;
			ws(s);
		}
		if (!value(s, depth + 1, match ? keys + 1 : NULL, match ? n - 1 : 0, found))
			return 0;
		ws(s);
		if (s->p >= s->end)
			return 0;
		if (*s->p == close) {
			s->p++;
			return 1;
		}
		if (*s->p++ != ',')
			return 0;
		ws(s);
	}
}

static int value(struct scan *s, int depth, const char *const *keys, int n, long *found)
{
	if (depth > MAX_DEPTH || s->p >= s->end)
		return 0;
	if (*s->p == '{' || *s->p == '[')
		return container(s, depth, *s->p == '{' ? keys : NULL, *s->p == '{' ? n : 0, found);
	if (*s->p == '"') {
		const char *b, *e;
		return string(s, &b, &e);
	}
	/* a number, true, false or null */
	const char *start = s->p;
	while (s->p < s->end && strchr("0123456789+-.eEtrufalsn", *s->p))
		s->p++;
	return s->p > start;
}

long json_key_line(const char *text, size_t len, const char *const *keys, int n)
{
	struct scan s = {text, text + len, 1};
	long found = 0;
	ws(&s);
	if (n < 1 || s.p >= s.end || *s.p != '{')
		return 0;
	if (!value(&s, 0, keys, n, &found))
		return 0;
	return found;
}

long json_error_line(const char *msg)
{
	const char *at = msg ? strstr(msg, " at line ") : NULL;
	if (!at)
		return 0;
	long v = strtol(at + 9, NULL, 10);
	return v > 0 ? v : 0;
}
