/* policy-merge: the refusals, and merging values and their provenance. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "merge.h"

/* The list KEY of a role: "kms_allowed_mrtd", ... */
static const char *list_key(const char *role, const char *what, char out[64])
{
	snprintf(out, 64, "%s_allowed_%s", role, what);
	return out;
}

/* The policy's TCB list for a role, normalised; a node list that is absent is
 * mero-kms's default ["uptodate"]. */
static void file_tcb(jv root, const char *role, struct values *out)
{
	char key[64], what[96];
	jv policy = json_get(root, "policy"), arr = json_get(policy, list_key(role, "tcb_statuses", key));
	jv_free(policy);
	snprintf(what, sizeof what, "policy: .policy.%s", key);
	if (!jv_is_valid(arr) && strcmp(role, "node") == 0) {
		jv_free(arr);
		arr = JV_ARRAY(jv_string("uptodate"));
	}
	read_values(arr, 0, what, out);
}

static void check_tcb(const struct cand *c, jv root)
{
	struct values allowed;
	char key[64];
	file_tcb(root, c->role, &allowed);
	for (int i = 0; i < c->tcb.n; i++) {
		if (values_has(&allowed, c->tcb.v[i]))
			continue;
		struct buf all;
		buf_init(&all);
		for (int k = 0; k < allowed.n; k++)
			buf_printf(&all, "%s%s", k ? ", " : "", allowed.v[k]);
		fail(EXIT_NO, "TCB status '%s' of the %s is not allowed by the policy's %s (%s): refused", c->tcb.v[i],
		     c->what, list_key(c->role, "tcb_statuses", key), allowed.n ? (const char *)all.data : "empty");
	}
	values_free(&allowed);
}

void check_cand(const struct cand *c, jv root, const char *file_profile, const struct opts *o)
{
	const char *locked = "locked-read-only";
	if (c->profile && strcmp(c->profile, file_profile) != 0)
		fail(EXIT_NO, "%s of profile '%s' are not for the policy's profile '%s': refused (cohort separation, "
		     "ADR-0001)", c->what, c->profile, file_profile);
	if (c->measured_profile && strcmp(c->measured_profile, file_profile) != 0)
		fail(EXIT_NO, "the KMS measured profile '%s' (calimero.kms.profile), not the policy's '%s': refused "
		     "(cohort separation, ADR-0001)", c->measured_profile, file_profile);
	if (o->role && strcmp(c->shape, "published-mrtds") != 0 && strcmp(o->role, c->role) != 0)
		fail(EXIT_NO, "--role %s, but the %s are role '%s': refused", o->role, c->what, c->role);
	if (c->simulated && strcmp(file_profile, locked) == 0)
		fail(EXIT_NO, "simulated %s (source '%s') are never merged into %s: refused", c->what, c->source, locked);
	if (c->simulated && !o->allow_simulated)
		fail(EXIT_NO, "simulated %s (source '%s'): refused without --allow-simulated", c->what, c->source);
	if (c->unverified && strcmp(file_profile, locked) == 0)
		fail(EXIT_NO, "unverified %s (%s) are never merged into %s: refused", c->what, c->why_unverified, locked);
	if (c->unverified && !o->allow_unverified)
		fail(EXIT_NO, "unverified %s (%s): refused without --allow-unverified", c->what, c->why_unverified);
	check_tcb(c, root);
}

/* The list as it stands, normalised (a value mero-kms would refuse stops the merge). */
static void existing(jv policy, const char *key, size_t bytes, struct values *out)
{
	char what[96];
	snprintf(what, sizeof what, "policy: .policy.%s", key);
	read_values(json_get(policy, key), bytes, what, out);
}

struct building {
	struct values in; /* what the list holds so far */
	jv list, kept;    /* the list, and the provenance records of its values */
};

/* Append v unless the list has it; its record: the one it has, else (for a
 * value the source brings) the source's. */
static void push(struct building *b, const char *v, jv per, jv record)
{
	if (values_has(&b->in, v))
		return;
	b->in.v = xrealloc(b->in.v, sizeof *b->in.v * (size_t)(b->in.n + 1));
	b->in.v[b->in.n++] = xstrdup(v);
	b->list = jv_array_append(b->list, jv_string(v));
	jv rec = json_get(per, v);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		rec = jv_copy(record);
	}
	if (jv_get_kind(rec) == JV_KIND_OBJECT)
		b->kept = jv_object_set(b->kept, jv_string(v), rec);
	else
		jv_free(rec);
}

/* One list: the values it holds first (none with --replace), then the new
 * ones in the source's order, each once; provenance for the new ones, and
 * with --replace none for values that left. */
static jv merge_list(jv root, const char *key, const struct values *add, size_t bytes, jv record, int replace)
{
	struct values now;
	struct building b = {.list = jv_array(), .kept = jv_object()};
	jv policy = json_get(root, "policy"), prov = json_get(root, "provenance");
	if (jv_get_kind(prov) != JV_KIND_OBJECT) {
		jv_free(prov);
		prov = jv_object();
	}
	jv per = json_get(prov, key);
	existing(policy, key, bytes, &now);
	for (int i = 0; !replace && i < now.n; i++)
		push(&b, now.v[i], per, jv_null());
	for (int i = 0; i < add->n; i++)
		push(&b, add->v[i], per, record);
	if (!replace && jv_get_kind(per) == JV_KIND_OBJECT) /* records this merge does not own stay */
		b.kept = jv_object_merge(jv_copy(per), b.kept);
	jv_free(per);
	policy = jv_object_set(policy, jv_string(key), b.list);
	if (jv_object_length(jv_copy(b.kept)))
		prov = jv_object_set(prov, jv_string(key), b.kept);
	else
		prov = jv_object_delete(prov, jv_string(key)), jv_free(b.kept);
	root = jv_object_set(root, jv_string("policy"), policy);
	root = jv_object_set(root, jv_string("provenance"), prov);
	values_free(&now);
	values_free(&b.in);
	return root;
}

jv merge_cand(jv root, const struct cand *c, const struct opts *o)
{
	char key[64];
	for (int g = 0; g < POLICY_NREG; g++)
		root = merge_list(root, list_key(c->role, policy_regs[g], key), &c->reg[g], POLICY_MEASUREMENT_BYTES,
				  c->record, o->replace);
	if (strcmp(c->role, "kms") == 0)
		root = merge_list(root, "kms_allowed_event_payload", &c->payload, POLICY_PAYLOAD_BYTES, c->record, o->replace);
	else if (c->payload.n)
		warnx("the %s carry an event payload, which no node list holds: not merged", c->what);
	if (c->kms_version && strcmp(c->role, "kms") == 0)
		root = jv_object_set(root, jv_string("tag"), jv_string(c->kms_version));
	return root;
}

/* before and after without what a merge may change: the allowlists that
 * exist before, provenance and generated_at. */
static jv structure(jv v, jv before)
{
	jv p = json_get(v, "policy"), pb = json_get(before, "policy");
	if (jv_get_kind(p) == JV_KIND_OBJECT) {
		for (int i = 0; i < POLICY_NLISTS; i++) {
			jv had = json_get(pb, policy_lists[i]);
			if (jv_is_valid(had))
				p = jv_object_delete(p, jv_string(policy_lists[i]));
			jv_free(had);
		}
		v = jv_object_set(v, jv_string("policy"), p);
	} else {
		jv_free(p);
	}
	jv_free(pb);
	v = jv_object_delete(v, jv_string("provenance"));
	return jv_object_delete(v, jv_string("generated_at"));
}

/* A value for a message: short ones as JSON, arrays by their size. */
static jv describe(jv v)
{
	if (!jv_is_valid(v))
		return jv_string("(absent)");
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		return jv_string_fmt("[%d value%s]", jv_array_length(jv_copy(v)), jv_array_length(jv_copy(v)) == 1 ? "" : "s");
	return jv_dump_string(jv_copy(v), 0);
}

static char *first_difference(jv a, jv b, const char *at)
{
	char *r = NULL;
	jv keys = jv_keys(jv_object_merge(jv_copy(a), jv_copy(b)));
	jv_array_foreach(keys, i, k) {
		(void)i;
		jv x = jv_object_get(jv_copy(a), jv_copy(k)), y = jv_object_get(jv_copy(b), jv_copy(k));
		if (!r && !jv_equal(jv_copy(x), jv_copy(y))) {
			struct buf d;
			buf_init(&d);
			if (jv_get_kind(x) == JV_KIND_OBJECT && jv_get_kind(y) == JV_KIND_OBJECT) {
				buf_printf(&d, "%s.%s", at, jv_string_value(k));
				r = first_difference(x, y, (const char *)d.data);
				buf_free(&d);
			} else {
				jv xs = describe(x), ys = describe(y);
				buf_printf(&d, "%s.%s %.60s -> %.60s", at, jv_string_value(k), jv_string_value(xs), jv_string_value(ys));
				jv_free(xs);
				jv_free(ys);
				r = (char *)d.data;
			}
		}
		jv_free(x);
		jv_free(y);
		jv_free(k);
	}
	jv_free(keys);
	return r;
}

char *structural_change(jv before, jv after)
{
	jv a = structure(jv_copy(before), before), b = structure(jv_copy(after), before);
	char *r = jv_equal(jv_copy(a), jv_copy(b)) ? NULL : first_difference(a, b, "");
	jv_free(a);
	jv_free(b);
	return r;
}
