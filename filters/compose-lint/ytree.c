#include "ytree.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/common.h"

enum { MAX_MERGE = 8 };

const char *cl_scalar(const struct cl_ynode *n)
{
	return n && n->kind == CL_SCALAR ? n->str : NULL;
}

/* A plain null: empty, ~ or null (any case): "no value". */
static int cl_is_null(const struct cl_ynode *n)
{
	return !n || (n->kind == CL_SCALAR && (n->style & CL_PLAIN) &&
		      (n->len == 0 || strcmp(n->str, "~") == 0 || strcasecmp(n->str, "null") == 0));
}

static int is_merge(const struct cl_ynode *k)
{
	return k->kind == CL_SCALAR && (k->style & CL_PLAIN) && strcmp(k->str, "<<") == 0;
}

static const struct cl_ynode *get(const struct cl_ynode *m, const char *key, int depth)
{
	if (!m || m->kind != CL_MAP || depth > MAX_MERGE)
		return NULL;
	const struct cl_ynode *found = NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct cl_ynode *k = m->items[2 * i];
		if (k->kind == CL_SCALAR && !is_merge(k) && strcmp(k->str, key) == 0)
			found = m->items[2 * i + 1];
	}
	for (size_t i = 0; !found && i < m->n; i++) {
		if (!is_merge(m->items[2 * i]))
			continue;
		const struct cl_ynode *v = m->items[2 * i + 1];
		if (v->kind == CL_MAP)
			found = get(v, key, depth + 1);
		for (size_t j = 0; v->kind == CL_SEQ && !found && j < v->n; j++)
			found = get(v->items[j], key, depth + 1);
	}
	return found;
}

const struct cl_ynode *cl_get(const struct cl_ynode *m, const char *key)
{
	return get(m, key, 0);
}

static void add_pair(struct cl_pairs *p, size_t *cap, const struct cl_ynode *k, const struct cl_ynode *v)
{
	if (p->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		p->k = xrealloc(p->k, *cap * sizeof *p->k);
		p->v = xrealloc(p->v, *cap * sizeof *p->v);
	}
	p->k[p->n] = k;
	p->v[p->n++] = v;
}

static int have_key(const struct cl_pairs *p, const struct cl_ynode *k)
{
	for (size_t i = 0; i < p->n; i++)
		if (k->kind == CL_SCALAR && p->k[i]->kind == CL_SCALAR && strcmp(p->k[i]->str, k->str) == 0)
			return 1;
	return 0;
}

/* own members first; merged ones (bounded: a merge of a merge at most
 * MAX_MERGE deep, at most 4096 members checked for repeats) after */
static void pairs(const struct cl_ynode *m, struct cl_pairs *p, size_t *cap, int depth)
{
	if (!m || m->kind != CL_MAP || depth > MAX_MERGE)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (!is_merge(m->items[2 * i]))
			add_pair(p, cap, m->items[2 * i], m->items[2 * i + 1]);
	for (size_t i = 0; i < m->n; i++) {
		if (!is_merge(m->items[2 * i]))
			continue;
		const struct cl_ynode *v = m->items[2 * i + 1];
		struct cl_pairs sub = {0};
		size_t subcap = 0;
		if (v->kind == CL_MAP)
			pairs(v, &sub, &subcap, depth + 1);
		for (size_t j = 0; v->kind == CL_SEQ && j < v->n; j++)
			pairs(v->items[j], &sub, &subcap, depth + 1);
		for (size_t j = 0; j < sub.n && j < 4096 && p->n < 4096; j++)
			if (!have_key(p, sub.k[j]))
				add_pair(p, cap, sub.k[j], sub.v[j]);
		cl_pairs_free(&sub);
	}
}

void cl_pairs(const struct cl_ynode *m, struct cl_pairs *p)
{
	size_t cap = 0;
	memset(p, 0, sizeof *p);
	pairs(m, p, &cap, 0);
}

void cl_pairs_free(struct cl_pairs *p)
{
	free(p->k);
	free(p->v);
	memset(p, 0, sizeof *p);
}

static char *xstrndup(const char *s, size_t n)
{
	char *c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	return c;
}

void cl_envs_add(struct cl_envs *e, const char *key, size_t klen, const char *val, size_t vlen, const char *file,
		 long line)
{
	e->v = xrealloc(e->v, (e->n + 1) * sizeof *e->v);
	e->v[e->n++] = (struct cl_env){xstrndup(key, klen), val ? xstrndup(val, vlen) : NULL, file ? xstrdup(file) : NULL, line};
}

void cl_envs_from(struct cl_envs *e, const struct cl_ynode *env)
{
	if (env && env->kind == CL_MAP) {
		struct cl_pairs p;
		cl_pairs(env, &p);
		for (size_t i = 0; i < p.n; i++) {
			if (p.k[i]->kind != CL_SCALAR)
				continue;
			const struct cl_ynode *v = p.v[i];
			int none = cl_is_null(v) || v->kind != CL_SCALAR;
			cl_envs_add(e, p.k[i]->str, p.k[i]->len, none ? NULL : v->str, none ? 0 : v->len, NULL, p.k[i]->line);
		}
		cl_pairs_free(&p);
	}
	for (size_t i = 0; env && env->kind == CL_SEQ && i < env->n; i++) {
		const struct cl_ynode *it = env->items[i];
		if (it->kind != CL_SCALAR)
			continue;
		const char *eq = memchr(it->str, '=', it->len);
		size_t kl = eq ? (size_t)(eq - it->str) : it->len;
		cl_envs_add(e, it->str, kl, eq ? eq + 1 : NULL, eq ? it->len - kl - 1 : 0, NULL, it->line);
	}
}

const struct cl_env *cl_envs_get(const struct cl_envs *e, const char *key)
{
	const struct cl_env *found = NULL;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].key, key) == 0)
			found = &e->v[i];
	return found;
}

void cl_envs_free(struct cl_envs *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].key);
		free(e->v[i].val);
		free(e->v[i].file);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}
