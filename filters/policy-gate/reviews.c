/* Approvals: each reviewer's latest review counts (an approval, changes
 * requested or a dismissal; comments do not change it), and it counts only
 * when it approves the head commit, its author is not the pull request's, and
 * the reviewer is a member of the team. Two such approvals from the security
 * team; a structural change needs one from the architecture team as well. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/json.h"
#include "gate.h"

static jv team_members(struct gate *g, const char *team)
{
	size_t org = strcspn(team, "/");
	char *url = gh_url(&g->g, "/orgs/%.*s/teams/%s/members", (int)org, team, team + org + 1);
	jv all = gh_get_all(&g->g, url, NULL);
	free(url);
	jv logins = jv_array();
	jv_array_foreach(all, i, m) {
		const char *l = json_str(m, "login");
		if (l)
			logins = jv_array_append(logins, jv_string(l));
		jv_free(m);
	}
	jv_free(all);
	return logins;
}

static int member(jv logins, const char *login)
{
	int found = 0;
	jv_array_foreach(logins, i, l) {
		found |= !strcasecmp(jv_string_value(l), login);
		jv_free(l);
	}
	return found;
}

/* Each reviewer's latest review that counts for its state: {login: review}. */
static jv latest_reviews(struct gate *g)
{
	char *url = gh_url(&g->g, "/repos/%s/pulls/%d/reviews", g->o.repo, g->number);
	jv all = gh_get_all(&g->g, url, NULL);
	free(url);
	jv latest = jv_object();
	jv_array_foreach(all, i, r) {
		jv user = json_get(r, "user");
		const char *login = json_str(user, "login"), *state = json_str(r, "state");
		if (login && state &&
		    (!strcmp(state, "APPROVED") || !strcmp(state, "CHANGES_REQUESTED") || !strcmp(state, "DISMISSED"))) {
			char *key = xstrdup(login);
			for (char *k = key; *k; k++)
				*k = (char)(*k >= 'A' && *k <= 'Z' ? *k | 0x20 : *k);
			latest = jv_object_set(latest, jv_string(key), jv_copy(r));
			free(key);
		}
		jv_free(user);
		jv_free(r);
	}
	jv_free(all);
	return latest;
}

/* Why a reviewer's latest review does not count for team, or NULL. */
static const char *no_count(struct gate *g, jv r, const char *login, jv team, const char *team_name, char *why,
			    size_t n)
{
	const char *state = json_str(r, "state"), *commit = json_str(r, "commit_id");
	if (strcmp(state, "APPROVED") != 0)
		snprintf(why, n, "the latest review is %s", !strcmp(state, "DISMISSED") ? "a dismissed approval" : state);
	else if (!strcasecmp(login, g->author))
		snprintf(why, n, "the author's own approval does not count");
	else if (!commit || strcmp(commit, g->head) != 0)
		snprintf(why, n, "the approval is of an older commit (%.12s), not the head", commit ? commit : "?");
	else if (!member(team, login))
		snprintf(why, n, "not a member of %s", team_name);
	else
		return NULL;
	return why;
}

/* Count the approvals that count for team; record each reviewer when
 * record is set. */
static int count(struct gate *g, jv latest, jv team, const char *team_name, int record)
{
	int n = 0;
	jv_object_foreach(latest, k, r) {
		jv user = json_get(r, "user");
		const char *login = json_str(user, "login");
		char why[200];
		const char *no = no_count(g, r, login, team, team_name, why, sizeof why);
		n += !no;
		if (record)
			g->reviewers = jv_array_append(
				g->reviewers, JV_OBJECT(jv_string("login"), jv_string(login), jv_string("state"),
							jv_string(json_str(r, "state")), jv_string("commit_id"),
							json_str(r, "commit_id") ? jv_string(json_str(r, "commit_id")) : jv_null(),
							jv_string("counts"), jv_bool(!no), jv_string("why_not"),
							no ? jv_string(no) : jv_null()));
		jv_free(user);
		jv_free(k);
		jv_free(r);
	}
	return n;
}

static void structure(struct gate *g, jv latest)
{
	int n = jv_array_length(jv_copy(g->structural));
	if (!n) {
		req_add(g, "structure", 1, jv_copy(g->structural), "no structural change: only allowlist values and provenance");
		return;
	}
	jv arch = team_members(g, g->o.architecture);
	g->arch_approvals = count(g, latest, arch, g->o.architecture, 0);
	jv first = jv_array_get(jv_copy(g->structural), 0);
	const char *path = json_str(first, "path");
	char what[400];
	snprintf(what, sizeof what, "%s%s%s (%s)", json_str(first, "file"), path ? " " : "", path ? path : "",
		 json_str(first, "change"));
	if (g->arch_approvals)
		req_add(g, "structure", 1, jv_copy(g->structural),
			"%d structural change%s (first: %s), approved by the architecture team (%s)", n, n == 1 ? "" : "s",
			what, g->o.architecture);
	else
		req_add(g, "structure", 0, jv_copy(g->structural),
			"%d structural change%s (first: %s) need%s an approval of the head commit from the architecture team "
			"(%s)", n, n == 1 ? "" : "s", what, n == 1 ? "s" : "", g->o.architecture);
	jv_free(first);
	jv_free(arch);
}

void reviews_count(struct gate *g)
{
	jv latest = latest_reviews(g);
	jv sec = team_members(g, g->o.security);
	g->reviewers = jv_array();
	g->approvals = count(g, latest, sec, g->o.security, 1);
	int need = g->o.approvals;
	req_add(g, "approvals", g->approvals >= need, jv_copy(g->reviewers),
		"%d of %d required approvals of the head commit from distinct members of %s (the author's own, older "
		"commits' and superseded ones do not count)", g->approvals, need, g->o.security);
	structure(g, latest);
	jv_free(sec);
	jv_free(latest);
}
