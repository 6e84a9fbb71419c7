/* A minimal, strict TOML 1.0 reader for the version files (Cargo.toml,
 * Cargo.lock, policies/version-sync.toml): tables, arrays of tables, dotted
 * and quoted keys, strings of the four kinds, integers, floats, booleans,
 * dates (kept as text), arrays and inline tables, with the line of every
 * value. Anything else, and every redefinition TOML forbids, is an error
 * with its line. */
#ifndef VS_TOML_H
#define VS_TOML_H

#include <stddef.h>

enum vs_tkind { VS_TABLE, VS_ARRAY, VS_STRING, VS_INTEGER, VS_FLOAT, VS_BOOL, VS_DATETIME };

struct vs_tnode {
	enum vs_tkind kind;
	unsigned flags;   /* how a table or array was made (toml.c) */
	long line;        /* of the key, or of the item in an array */
	const char *key;  /* the name in its table; NULL in an array */
	const char *str;  /* a string's value; the text of a number, boolean or date */
	size_t len;       /* bytes of str (a string may hold NUL) */
	struct vs_tnode *parent;
	struct vs_tnode **kids; /* a table's members in order, an array's items */
	size_t n, cap;
};

struct vs_toml {
	struct vs_tnode *root;
	void *mem;               /* every allocation, freed at once */
	struct vs_tnode **slots; /* (table, key) -> member */
	size_t nslots, used;
};

/* Parse text; 0 on success, else -1 with the message in err and the line in
 * *line (the document is then empty but may still be freed). */
int vs_toml_parse(const char *text, size_t len, struct vs_toml *doc, char *err, size_t errlen, long *line);
/* A member of a table; NULL when absent or t is not a table. */
const struct vs_tnode *vs_toml_get(const struct vs_toml *doc, const struct vs_tnode *t, const char *key);
/* A member reached by a dotted path of bare keys ("package.version"). */
const struct vs_tnode *vs_toml_path(const struct vs_toml *doc, const char *dotted);
void vs_toml_free(struct vs_toml *doc);

#endif
