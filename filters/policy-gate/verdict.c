/* policy-gate: the requirements as they are decided, the work folder's paths,
 * and the verdict: its JSON and its summary. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/json.h"
#include "gate.h"

void req_add(struct gate *g, const char *id, int met, jv evidence, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *detail;
	if (vasprintf(&detail, fmt, ap) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	va_end(ap);
	g->reqs = jv_array_append(g->reqs, JV_OBJECT(jv_string("id"), jv_string(id), jv_string("met"), jv_bool(met),
						     jv_string("detail"), jv_string(detail), jv_string("evidence"), evidence));
	free(detail);
	if (!met)
		g->pass = 0;
}

char *gate_path(const struct gate *g, const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s/%s%s%s", g->work, a, b ? "/" : "", b ? b : "") < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return s;
}

/* ---- the verdict */

jv verdict_json(struct gate *g)
{
	jv v = jv_object();
	JSET(v, "repository", jv_string(g->o.repo));
	JSET(v, "pull_request", jv_number(g->number));
	JSET(v, "head_sha", jv_string(g->head));
	JSET(v, "base_sha", jv_string(g->base));
	JSET(v, "merge_base", g->merge_base[0] ? jv_string(g->merge_base) : jv_null());
	JSET(v, "author", jv_string(g->author));
	JSET(v, "policy_change", jv_bool(g->policy_change));
	JSET(v, "pass", jv_bool(g->pass));
	JSET(v, "requirements", jv_copy(g->reqs));
	jv unmet = jv_array();
	jv_array_foreach(g->reqs, i, r) {
		jv met = json_get(r, "met");
		if (jv_get_kind(met) == JV_KIND_FALSE)
			unmet = jv_array_append(unmet, jv_string_fmt("%s: %s", json_str(r, "id"), json_str(r, "detail")));
		jv_free(met);
		jv_free(r);
	}
	JSET(v, "unmet", unmet);
	return v;
}

/* The summary: markdown for summary.md (a job summary in CI), plain lines on stderr. */
void summary(struct gate *g, struct buf *md)
{
	buf_init(md);
	int total = jv_array_length(jv_copy(g->reqs)), unmet = 0;
	buf_printf(md, "## Policy gate: %s\n\n%s #%d, head `%.12s`\n\n", g->pass ? "PASS" : "FAIL", g->o.repo,
		   g->number, g->head);
	jv_array_foreach(g->reqs, i, r) {
		jv met = json_get(r, "met");
		int ok = jv_get_kind(met) == JV_KIND_TRUE;
		unmet += !ok;
		buf_printf(md, "- %s **%s**: %s\n", ok ? "met" : "NOT MET", json_str(r, "id"), json_str(r, "detail"));
		jv_free(met);
		jv_free(r);
	}
	fprintf(stderr, "%s: %s: %s #%d at %.12s: %d of %d requirements met\n", progname, g->pass ? "PASS" : "FAIL",
		g->o.repo, g->number, g->head, total - unmet, total);
	jv_array_foreach(g->reqs, i, r) {
		jv met = json_get(r, "met");
		fprintf(stderr, "%s:   %-7s %s: %s\n", progname, jv_get_kind(met) == JV_KIND_TRUE ? "met" : "NOT MET",
			json_str(r, "id"), json_str(r, "detail"));
		jv_free(met);
		jv_free(r);
	}
}
