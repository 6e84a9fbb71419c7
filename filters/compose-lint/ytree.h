/* A YAML document as compose-lint reads it: scalars, sequences and mappings
 * with their lines, aliases shared (never expanded), merge keys (<<) resolved
 * on lookup. Built from libyaml's document in main.c; nothing here calls
 * libyaml. */
#ifndef CL_YTREE_H
#define CL_YTREE_H

#include <stddef.h>

enum cl_ykind { CL_SCALAR, CL_SEQ, CL_MAP };
enum { CL_PLAIN = 1, CL_LITERAL = 2, CL_FOLDED = 4 }; /* a scalar's style */

struct cl_ynode {
	enum cl_ykind kind;
	unsigned style;
	long line;     /* 1-based; a block scalar's is the line of its | or > */
	char *str;     /* a scalar's text */
	size_t len;
	struct cl_ynode **items; /* a sequence's items; a mapping's keys and values, interleaved */
	size_t n;                /* items, or pairs */
};

/* A mapping's members with merge keys resolved: own keys first, then merged
 * ones not given already. */
struct cl_pairs {
	const struct cl_ynode **k, **v;
	size_t n;
};

/* The scalar's text, or NULL for a non-scalar. */
const char *cl_scalar(const struct cl_ynode *n);
/* The value under key in a mapping (the last of repeated keys, then merged
 * mappings in order); NULL when absent or m is no mapping. */
const struct cl_ynode *cl_get(const struct cl_ynode *m, const char *key);
/* All members of a mapping (empty for a non-mapping); free with cl_pairs_free. */
void cl_pairs(const struct cl_ynode *m, struct cl_pairs *p);
void cl_pairs_free(struct cl_pairs *p);

/* One variable of an environment: a compose `environment:` (a mapping, or a
 * sequence of KEY=VALUE / KEY), a workflow `env:` or an env_file line. */
struct cl_env {
	char *key, *val; /* val NULL: no value (taken from the deploying environment) */
	char *file;       /* NULL: the linted file itself */
	long line;
};
struct cl_envs {
	struct cl_env *v;
	size_t n;
};
void cl_envs_add(struct cl_envs *e, const char *key, size_t klen, const char *val, size_t vlen, const char *file,
		 long line);
/* Append the variables of an environment node (mapping or sequence). */
void cl_envs_from(struct cl_envs *e, const struct cl_ynode *env);
/* The last variable named key; NULL when none. */
const struct cl_env *cl_envs_get(const struct cl_envs *e, const char *key);
void cl_envs_free(struct cl_envs *e);

#endif
