/* libFuzzer harness for version-sync's TOML reader (filters/version-sync/toml.c)
 * and the JSON key locator (filters/lib/jsonloc.c): any bytes. Nothing may
 * crash, leak or read out of bounds; a rejection names a line inside the
 * input and says why; an accepted document's members are all reachable by
 * their keys, and a table's members are in its own hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonloc.h"
#include "version-sync/toml.h"

static void walk(const struct vs_toml *d, const struct vs_tnode *t, int depth)
{
	if (depth > 200)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		const struct vs_tnode *k = t->kids[i];
		if (k->parent != t)
			abort();
		if (t->kind == VS_TABLE && vs_toml_get(d, t, k->key) != k)
			abort();
		if ((k->kind == VS_TABLE || k->kind == VS_ARRAY))
			walk(d, k, depth + 1);
		else if (!k->str)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_toml d;
	char err[256] = "";
	long line = 0;
	if (vs_toml_parse((const char *)data, size, &d, err, sizeof err, &line) == 0) {
		walk(&d, d.root, 0);
		(void)vs_toml_path(&d, "package.version");
		vs_toml_free(&d);
	} else {
		long lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (!err[0] || line < 1 || line > lines || d.root)
			abort();
	}
	const char *keys[] = {"unchanged", "version"};
	long l = json_key_line((const char *)data, size, keys, 2);
	if (l < 0)
		abort();
	(void)json_error_line((const char *)err);
	return 0;
}
