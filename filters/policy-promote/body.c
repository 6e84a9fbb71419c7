/* The pull request's body: the probe report's summary, a table of the values
 * per list (old, new, from which probe), the policy files' SHA-256 before and
 * after, and the signed candidates (lib/prbody.h) the gate checks the diff
 * against. Written to WORK/pr-body.md as well. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/prbody.h"
#include "promote.h"

static const char *server(void)
{
	const char *s = getenv("GITHUB_SERVER_URL");
	return s && *s ? s : "https://github.com";
}

static void probe_text(const struct promote *p, struct buf *b)
{
	if (p->o.run_id && p->o.repo)
		buf_printf(b, "probe run [%s](%s/%s/actions/runs/%s)", p->o.run_id, server(), p->o.repo, p->o.run_id);
	else
		buf_printf(b, "a local probe");
	if (p->quote_sha)
		buf_printf(b, ", quote `%.12s`", p->quote_sha);
	buf_printf(b, ", source `%s`%s", p->source, p->simulated ? " (simulated)" : "");
}

/* The report's headline and its Verification bullets, quoted. */
static void report_summary(const struct promote *p, struct buf *b)
{
	buf_printf(b, "### Probe report\n\n");
	if (!p->have_report) {
		buf_printf(b, "_Not included: %s._\n\n", p->report_note);
		return;
	}
	const char *s = (const char *)p->report.data;
	int in_verification = 0;
	for (const char *e; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		int n = (int)(e - s);
		if (s == (const char *)p->report.data && n > 2 && !strncmp(s, "# ", 2))
			buf_printf(b, "> **%.*s**\n>\n", n - 2, s + 2);
		else if (!strncmp(s, "## ", 3))
			in_verification = n == 15 && !strncmp(s, "## Verification", 15);
		else if (in_verification && n > 2 && !strncmp(s, "- ", 2))
			buf_printf(b, "> %.*s\n", n, s);
	}
	buf_printf(b, "\nThe whole report and its signature: `%s` of the probe (verified with the project's key).\n\n",
		   REPORT_NAME);
}

static jv list_of(jv doc, const char *name)
{
	jv pol = json_get(doc, "policy");
	jv l = json_get(pol, name);
	jv_free(pol);
	if (jv_get_kind(l) != JV_KIND_ARRAY) {
		jv_free(l);
		return jv_array();
	}
	return l;
}

static int holds(jv list, jv v)
{
	int found = 0;
	jv_array_foreach(list, i, x) {
		found |= jv_equal(x, jv_copy(v));
	}
	return found;
}

/* "`v1`<br>`v2`" of the values of a that other does not hold (all of a when
 * other is invalid); "_none_" when there are none. Consumes a and other. */
static void cell(struct buf *b, jv a, jv other)
{
	int n = 0;
	jv_array_foreach(a, i, v) {
		if (!jv_is_valid(other) || !holds(other, v))
			buf_printf(b, "%s`%s`", n++ ? "<br>" : "", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "?");
		jv_free(v);
	}
	if (!n)
		buf_printf(b, "_none_");
	jv_free(a);
	jv_free(other);
}

static void values_table(const struct promote *p, struct buf *b)
{
	const struct pfile *f = &p->f[p->me];
	char err[200];
	jv before = json_parse((const char *)f->before.data, f->before.len, err, sizeof err);
	jv after = json_parse((const char *)f->after.data, f->after.len, err, sizeof err);
	buf_printf(b, "### Values\n\n`%s`, the lists this pull request changes:\n\n", f->path);
	buf_printf(b, "| list | old values | new values | from |\n| --- | --- | --- | --- |\n");
	for (int i = 0; i < POLICY_NLISTS; i++) {
		jv o = list_of(before, policy_lists[i]), n = list_of(after, policy_lists[i]);
		if (!jv_equal(jv_copy(o), jv_copy(n))) {
			buf_printf(b, "| `%s` | ", policy_lists[i]);
			cell(b, jv_copy(o), jv_invalid());
			buf_printf(b, " | ");
			cell(b, jv_copy(n), jv_copy(o));
			buf_printf(b, " | ");
			probe_text(p, b);
			buf_printf(b, " |\n");
		}
		jv_free(o);
		jv_free(n);
	}
	jv_free(before);
	jv_free(after);
}

static void files_table(const struct promote *p, struct buf *b)
{
	buf_printf(b, "\n### Policy files\n\n| file | SHA-256 before | SHA-256 after |\n| --- | --- | --- |\n");
	for (int i = 0; i < POLICY_NFILES; i++) {
		const struct pfile *f = &p->f[i];
		if (!f->changed)
			continue;
		char before[65], after[65];
		sha256_hex(f->before.data, f->before.len, before);
		sha256_hex(f->after.data, f->after.len, after);
		buf_printf(b, "| `%s` | `%s` | `%s` |\n", f->path, before, after);
	}
}

void body_build(struct promote *p)
{
	struct buf *b = &p->body;
	buf_init(b);
	buf_printf(b, "## Policy promotion: %s, KMS %s\n\n", p->o.profile, p->tag);
	buf_printf(b, "Promotes the signed measurement candidates of ");
	probe_text(p, b);
	buf_printf(b, " into `%s` (role `%s`).%s\n\n", p->f[p->me].path, p->role,
		   p->simulated ? " **The candidates are simulated (kms-sim, not TDX hardware).**" : "");
	buf_printf(b, "- candidates SHA-256 `%s`, signature SHA-256 `%s`, verified with the project's key\n"
		      "- commit `%s` on `%.12s`\n\n", p->cand_sha, p->sig_sha, p->commit, p->parent);
	report_summary(p, b);
	values_table(p, b);
	files_table(p, b);
	buf_printf(b, "\n### Signed candidates\n\nThe policy gate (`make gate`) checks every value this pull request "
		      "adds against these candidates, whose signature must verify with the project's key "
		      "(`cosign.pub`) and whose profile must be the file's. Do not edit this block.\n\n");
	prbody_put_candidates(b, &p->cand, &p->sig);
	buf_printf(b, "\n### Review\n\nTwo approvals from the security team on the head commit; a change to the "
		      "policy's structure needs the architecture team's approval too. Check that the values above "
		      "are the ones the probe report measured.\n");
	char path[4200];
	snprintf(path, sizeof path, "%s/pr-body.md", p->work);
	write_file(path, b->data, b->len, 0644);
}
