/* What a pull request changes in each policy file: the allowlist values it
 * adds (each must be backed by signed evidence, evidence.c), and any change
 * to anything but allowlist values, provenance and generated_at: a
 * structural change (a key added, renamed or removed, schema_version, kms,
 * measurement_markers, tag, a list's type), which needs the architecture
 * team's approval too. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "gate.h"

static void structural(struct gate *g, const char *file, const char *path, const char *change)
{
	g->structural = jv_array_append(g->structural, JV_OBJECT(jv_string("file"), jv_string(file), jv_string("path"),
								  path ? jv_string(path) : jv_null(),
								  jv_string("change"), jv_string(change)));
}

static int is_tcb(const char *list)
{
	return strstr(list, "tcb_statuses") != NULL;
}

/* A value as mero-kms compares it (a new string); NULL when it is no string.
 * Does not consume v. */
char *value_normal(jv v, const char *list)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return NULL;
	const char *s = jv_string_value(v);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(v)), len;
	char *out = is_tcb(list) ? policy_tcb_normalize(s, n, &len) : policy_normalize(s, n, &len);
	if (strlen(out) != len) { /* a NUL inside: it matches nothing */
		free(out);
		return NULL;
	}
	return out;
}

static int list_holds(jv list, const char *name, const char *value)
{
	int found = 0;
	jv_array_foreach(list, i, v) {
		char *s = value_normal(v, name);
		found |= s && !strcmp(s, value);
		free(s);
		jv_free(v);
	}
	return found;
}

static void add_value(struct gate *g, const struct pfile *f, const char *list, const char *value)
{
	g->add = xrealloc(g->add, (g->nadd + 1) * sizeof *g->add);
	g->add[g->nadd++] = (struct added){xstrdup(f->path), xstrdup(list), xstrdup(value), f->profile, NULL};
}

/* The values each list of the head adds to the same list at the base. */
static void added_values(struct gate *g, const struct pfile *f, jv bp, jv hp)
{
	jv_object_foreach(hp, key, hl) {
		jv bl = json_get(bp, jv_string_value(key));
		if (jv_get_kind(hl) == JV_KIND_ARRAY && jv_get_kind(bl) == JV_KIND_ARRAY) {
			const char *name = jv_string_value(key);
			jv_array_foreach(hl, i, v) {
				char *s = value_normal(v, name);
				if (!s)
					add_value(g, f, name, jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "(not a string)");
				else if (!list_holds(bl, name, s))
					add_value(g, f, name, s);
				free(s);
				jv_free(v);
			}
		}
		jv_free(bl);
		jv_free(key);
		jv_free(hl);
	}
}

/* The document with what may change without review of its structure
 * blanked: the lists both sides hold as arrays, provenance, generated_at. */
static jv skeleton(jv doc, jv other)
{
	jv pol = json_get(doc, "policy"), opol = json_get(other, "policy");
	if (jv_get_kind(pol) == JV_KIND_OBJECT && jv_get_kind(opol) == JV_KIND_OBJECT) {
		jv keys = jv_keys(jv_copy(pol));
		jv_array_foreach(keys, i, k) {
			jv a = json_get(pol, jv_string_value(k)), b = json_get(opol, jv_string_value(k));
			if (jv_get_kind(a) == JV_KIND_ARRAY && jv_get_kind(b) == JV_KIND_ARRAY)
				pol = jv_object_set(pol, jv_copy(k), jv_array());
			jv_free(a);
			jv_free(b);
			jv_free(k);
		}
		jv_free(keys);
		doc = jv_object_set(doc, jv_string("policy"), pol);
	} else {
		jv_free(pol);
	}
	jv_free(opol);
	if (jv_get_kind(doc) == JV_KIND_OBJECT) {
		doc = jv_object_delete(doc, jv_string("provenance"));
		doc = jv_object_delete(doc, jv_string("generated_at"));
	}
	return doc;
}

static void diff(struct gate *g, const char *file, const char *path, jv a, jv b)
{
	if (jv_get_kind(a) == JV_KIND_OBJECT && jv_get_kind(b) == JV_KIND_OBJECT) {
		jv_object_foreach(a, k, av) {
			char *sub;
			if (asprintf(&sub, "%s.%s", path, jv_string_value(k)) < 0)
				fail(EXIT_SOFTWARE, "out of memory");
			jv bv = json_get(b, jv_string_value(k));
			if (!jv_is_valid(bv))
				structural(g, file, sub, "removed");
			else
				diff(g, file, sub, jv_copy(av), jv_copy(bv));
			jv_free(bv);
			free(sub);
			jv_free(k);
			jv_free(av);
		}
		jv_object_foreach(b, k, bv) {
			jv av = json_get(a, jv_string_value(k));
			if (!jv_is_valid(av)) {
				char *sub;
				if (asprintf(&sub, "%s.%s", path, jv_string_value(k)) < 0)
					fail(EXIT_SOFTWARE, "out of memory");
				structural(g, file, sub, "added");
				free(sub);
			}
			jv_free(av);
			jv_free(k);
			jv_free(bv);
		}
	} else if (!jv_equal(jv_copy(a), jv_copy(b))) {
		structural(g, file, *path ? path : ".", "changed");
	}
	jv_free(a);
	jv_free(b);
}

static void compare(struct gate *g, const struct pfile *f)
{
	jv bp = json_get(f->base.doc, "policy"), hp = json_get(f->head.doc, "policy");
	if (jv_get_kind(bp) == JV_KIND_OBJECT && jv_get_kind(hp) == JV_KIND_OBJECT)
		added_values(g, f, bp, hp);
	jv_free(bp);
	jv_free(hp);
	diff(g, f->path, "", skeleton(jv_copy(f->base.doc), f->head.doc), skeleton(jv_copy(f->head.doc), f->base.doc));
}

void values_diff(struct gate *g)
{
	for (int i = 0; i < POLICY_NFILES; i++) {
		const struct pfile *f = &g->f[i];
		if (!f->changed || (!f->base.present && !f->head.present))
			continue;
		if (!f->base.present)
			structural(g, f->path, NULL, "the policy file is added");
		else if (!f->head.present)
			structural(g, f->path, NULL, "the policy file is removed");
		else if (!jv_is_valid(f->base.doc) || !jv_is_valid(f->head.doc))
			structural(g, f->path, NULL, "the policy file is not JSON at the base or at the head");
		else
			compare(g, f);
	}
	jv_array_foreach(g->other_changes, i, name) {
		structural(g, jv_string_value(name), NULL, "a file under policies/ that is not a policy file changes");
		jv_free(name);
	}
	/* in file and path order, whatever order the objects held their keys in */
	jv keys = jv_array();
	jv_array_foreach(g->structural, i, c) {
		jv path = json_get(c, "path");
		keys = jv_array_append(keys, JV_ARRAY(json_get(c, "file"), jv_get_kind(path) == JV_KIND_STRING ? path : jv_string("")));
		jv_free(c);
	}
	g->structural = jv_sort(g->structural, keys);
}
