/* Push the branch and open the pull request, or update the one already open
 * for it (a re-run with the same candidates), labelled policy-promotion.
 * git push gets the token through a credential helper that reads it from
 * the environment: it is in no command line and no URL. When the API refuses
 * to open the pull request (an organisation where Actions may not), the
 * branch stays pushed and the compare URL is printed, as upstream does. */
#include <stdlib.h>
#include <string.h>

#include "lib/git.h"
#include "lib/json.h"
#include "promote.h"

static const char *server_url(void)
{
	const char *s = getenv("GITHUB_SERVER_URL");
	if (!s || !*s)
		return "https://github.com";
	int loop = !strncmp(s, "http://127.0.0.1", 16) || !strncmp(s, "http://localhost", 16) ||
		   !strncmp(s, "http://[::1]", 12);
	if ((strncmp(s, "https://", 8) != 0 && !loop) || strpbrk(s, "@?# \t\n\r'\"\\") || strlen(s) > 300)
		fail(EXIT_CONFIG, "GITHUB_SERVER_URL must be an https URL without credentials or query (plain http only "
				  "on loopback), not '%s'", s);
	return s;
}

static void would_send(const struct promote *p, const char *why)
{
	warnx("%s: the branch %s stays local; the pull request would be \"%s\" into %s, labelled %s%s, its body in "
	      "%s/pr-body.md", why, p->branch, p->title, p->o.base, PROMOTION_LABEL, p->o.draft ? ", a draft" : "",
	      p->work);
}

/* The commit the branch has on GitHub, or "" when it has none. */
static void remote_branch(struct promote *p, struct gh *g, char sha[65])
{
	char *url = gh_url(g, "/repos/%s/git/ref/heads/%s", p->o.repo, p->branch);
	jv ref;
	long st = gh_json(g, HTTP_GET, url, jv_invalid(), GH_SOFT, &ref);
	sha[0] = 0;
	if (st == 200) {
		jv obj = json_get(ref, "object");
		const char *s = json_str(obj, "sha");
		snprintf(sha, 65, "%s", s ? s : "");
		jv_free(obj);
	} else if (st != 404) {
		gh_fail_answer(g, HTTP_GET, url, st, ref);
	}
	jv_free(ref);
	free(url);
}

static void push(struct promote *p, struct gh *g, const char *remote)
{
	char url[700], helper[400], lease[400], spec[400], why[600];
	snprintf(url, sizeof url, "%s/%s.git", server_url(), p->o.repo);
	snprintf(helper, sizeof helper,
		 "credential.helper=!f() { test \"$1\" = get || return 0; echo username=x-access-token; "
		 "printf 'password=%%s\\n' \"$%s\"; }; f", g->token_env);
	snprintf(lease, sizeof lease, "--force-with-lease=refs/heads/%s:%s", p->branch, remote);
	snprintf(spec, sizeof spec, "%s:refs/heads/%s", p->commit, p->branch);
	const char *args[] = {"-c", "credential.helper=", "-c", helper, "-c", "http.followRedirects=false",
			      "push", "--porcelain", lease, "--", url, spec, NULL};
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	struct buf out;
	int st = git_capture(args, &out, why, sizeof why);
	buf_free(&out);
	if (st == 0) {
		p->pushed = 1;
		return;
	}
	int code = strstr(why, "uthentication") || strstr(why, " 401") || strstr(why, " 403") ? EXIT_NOPERM
		   : strstr(why, "rejected") || strstr(why, "stale info")			  ? EXIT_NO
												  : EXIT_TEMPFAIL;
	fail(code, "git push %s to %s failed: %s", p->branch, url, why);
}

static jv existing_pull(struct promote *p, struct gh *g)
{
	char head[400];
	snprintf(head, sizeof head, "%.*s:%s", (int)strcspn(p->o.repo, "/"), p->o.repo, p->branch);
	char *h = gh_escape(head);
	char *url = gh_url(g, "/repos/%s/pulls?state=open&head=%s", p->o.repo, h);
	jv all = gh_get_all(g, url, NULL);
	free(url);
	free(h);
	jv first = jv_array_length(jv_copy(all)) > 0 ? jv_array_get(jv_copy(all), 0) : jv_null();
	jv_free(all);
	return first;
}

static int not_permitted(long st, jv answer)
{
	const char *m = json_str(answer, "message");
	char text[600];
	snprintf(text, sizeof text, "%s", m ? m : "");
	return st == 403 || (st == 422 && strstr(text, "not permitted"));
}

/* POST the pull request; 0 when the API refuses to open it. */
static int create_pull(struct promote *p, struct gh *g, jv *pr)
{
	char *url = gh_url(g, "/repos/%s/pulls", p->o.repo);
	jv body = JV_OBJECT(jv_string("title"), jv_string(p->title), jv_string("head"), jv_string(p->branch),
			    jv_string("base"), jv_string(p->o.base), jv_string("body"), jv_string((const char *)p->body.data),
			    jv_string("draft"), jv_bool(p->o.draft));
	long st = gh_json(g, HTTP_POST, url, body, GH_SOFT | GH_SOFT_FORBIDDEN, pr);
	if (st != 201 && not_permitted(st, *pr)) {
		char text[600];
		gh_error_text(g, *pr, text, sizeof text);
		snprintf(p->compare, sizeof p->compare, "%s/%s/compare/%s...%s?expand=1", server_url(), p->o.repo,
			 p->o.base, p->branch);
		warnx("the API refused to open the pull request (HTTP %ld: %s): the branch is pushed; open it here: %s", st,
		      text, p->compare);
		jv_free(*pr);
		*pr = jv_null();
		free(url);
		return 0;
	}
	if (st != 201)
		gh_fail_answer(g, HTTP_POST, url, st, *pr);
	free(url);
	return 1;
}

static void label(struct promote *p, struct gh *g, int number)
{
	char *url = gh_url(g, "/repos/%s/issues/%d/labels", p->o.repo, number);
	jv ans;
	gh_json(g, HTTP_POST, url, JV_OBJECT(jv_string("labels"), JV_ARRAY(jv_string(PROMOTION_LABEL))), 0, &ans);
	jv_free(ans);
	free(url);
}

void pull_open(struct promote *p)
{
	struct gh *g = promote_gh(p, 0);
	if (!g->token_env) {
		would_send(p, "no GitHub token (GITHUB_TOKEN or GH_TOKEN)");
		if (p->o.push)
			fail(EXIT_CONFIG, "--push needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN");
		return;
	}
	if (!p->o.push) {
		would_send(p, "not pushed (no --push)");
		return;
	}
	char remote[65];
	server_url();
	remote_branch(p, g, remote);
	if (strcmp(remote, p->commit) != 0)
		push(p, g, remote);
	jv pr = existing_pull(p, g);
	const char *action = "updated";
	if (jv_get_kind(pr) != JV_KIND_NULL) {
		jv n = json_get(pr, "number");
		char *url = gh_url(g, "/repos/%s/pulls/%d", p->o.repo, (int)jv_number_value(n));
		jv_free(n);
		jv_free(pr);
		gh_json(g, HTTP_PATCH, url,
			JV_OBJECT(jv_string("title"), jv_string(p->title), jv_string("body"),
				  jv_string((const char *)p->body.data), jv_string("base"), jv_string(p->o.base)),
			0, &pr);
		free(url);
	} else if (create_pull(p, g, &pr)) {
		action = "created";
	} else {
		return;
	}
	jv n = json_get(pr, "number");
	if (jv_get_kind(n) != JV_KIND_NUMBER)
		fail(EXIT_PROTOCOL, "the pull request the API returned has no number");
	int number = (int)jv_number_value(n);
	label(p, g, number);
	const char *html = json_str(pr, "html_url");
	jv_free(p->pull);
	p->pull = JV_OBJECT(jv_string("number"), n, jv_string("html_url"), html ? jv_string(html) : jv_null(),
			    jv_string("action"), jv_string(action), jv_string("draft"), jv_bool(p->o.draft));
	warnx("pull request #%d %s: %s", number, action, html ? html : "");
	jv_free(pr);
}
