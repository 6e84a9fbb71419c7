/* gh-protect: the branch protection that blocks a merge until the policy gate
 * and the reviews pass, set through the REST API. It reads the protection in
 * place, prints what would change, and changes it only when something
 * differs (idempotent); what it does not manage (push restrictions, linear
 * history, ...) is kept as it is. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/git.h"
#include "lib/github.h"
#include "lib/json.h"

enum { OPT_REPO = 'R', OPT_BRANCH = 'b', OPT_CHECK = 'c', OPT_APPROVALS = 'a', OPT_DRY = 'n' };

static const struct cli_opt options[] = {
	{"repo", OPT_REPO, "OWNER/NAME", "the repository (default GITHUB_REPOSITORY)", 0},
	{"branch", OPT_BRANCH, "BRANCH", "the protected branch (default master)", 0},
	{"check", OPT_CHECK, "CONTEXT", "a status check required to pass (default: policy-gate and check)",
	 CLI_REPEAT},
	{"approvals", OPT_APPROVALS, "N", "approving reviews required (default 2; a higher one in place stays)", 0},
	{"dry-run", OPT_DRY, NULL, "print the difference, change nothing", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "gh-protect [--repo OWNER/NAME] [--branch BRANCH] [--check CONTEXT]... [--approvals N] [--dry-run]\n"
		    "       > PROTECTION_JSON",
	.about = "Require the policy gate, the CI checks and code-owner reviews on a branch, through the GitHub API.",
	.opts = options,
	.trailer = "Sets: the required status checks (strict; those given are added to the ones in place), approving\n"
		   "reviews, code-owner review, stale approvals dismissed on new commits, enforcement for admins, no\n"
		   "force pushes, no deletion. Needs a token with admin rights on the repository.\n"
		   "stdin: nothing.  stdout: {repo, branch, before, after, changes, applied}; stderr: one line per change.\n"
		   "environment: GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY.\n"
		   "exit: 0 ok (also when nothing changes), 2 usage, 69 unreachable, 75 retry later, 76 protocol\n"
		   "error, 77 credentials refused (no admin rights), 78 no token or a bad setting.",
};

struct opts {
	const char *repo, *branch;
	const char *checks[32];
	int nchecks, approvals, dry;
};

/* a status check's name: letters, digits and . _ - / : ( ) space */
static int check_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n <= 200 && s[0] != '-' && s[0] != ' ' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/:() ") == n;
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	memset(o, 0, sizeof *o);
	o->branch = "master";
	o->approvals = 2;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_REPO: o->repo = v; break;
		case OPT_BRANCH: o->branch = v; break;
		case OPT_CHECK:
			if (!check_ok(v) || o->nchecks == 32)
				cli_usage(&cl, "--check must name a status check (letters, digits and . _ - / : ( ) space; at "
					       "most 32; got '%s')", v);
			o->checks[o->nchecks++] = v;
			break;
		case OPT_APPROVALS:
			o->approvals = (int)parse_uint(v, 1000);
			if (o->approvals < 1 || o->approvals > 6)
				cli_usage(&cl, "--approvals must be 1 to 6 (got '%s')", v);
			break;
		case OPT_DRY: o->dry = 1; break;
		}
	}
	if (!o->repo || !*o->repo)
		o->repo = getenv("GITHUB_REPOSITORY");
	if (!o->repo || !*o->repo)
		cli_usage(&cl, "the repository: --repo OWNER/NAME or GITHUB_REPOSITORY");
	if (!gh_pair_ok(o->repo))
		cli_usage(&cl, "the repository must be OWNER/NAME (got '%s')", o->repo);
	if (!git_branch_ok(o->branch))
		cli_usage(&cl, "--branch must be a branch name (got '%s')", o->branch);
	if (!o->nchecks) {
		o->checks[o->nchecks++] = "policy-gate";
		o->checks[o->nchecks++] = "check";
	}
	cli_free(&cl);
}

/* ---- GitHub's GET shape to the PUT shape */

static jv enabled(jv prot, const char *key)
{
	jv o = json_get(prot, key), e = json_get(o, "enabled");
	jv_free(o);
	return jv_get_kind(e) == JV_KIND_TRUE ? jv_true() : jv_false();
}

/* An array of strings sorted, without repeats. */
static jv sorted(jv a)
{
	jv s = jv_sort(jv_copy(a), jv_copy(a)), out = jv_array();
	jv_free(a);
	jv_array_foreach(s, i, x) {
		int n = jv_array_length(jv_copy(out));
		if (n && jv_equal(jv_array_get(jv_copy(out), n - 1), jv_copy(x)))
			jv_free(x);
		else
			out = jv_array_append(out, x);
	}
	jv_free(s);
	return out;
}

static int has(jv o, const char *key)
{
	return jv_object_has(jv_copy(o), jv_string(key));
}

static jv names(jv list, const char *key)
{
	jv out = jv_array();
	if (jv_get_kind(list) == JV_KIND_ARRAY)
		jv_array_foreach(list, i, x) {
			const char *s = jv_get_kind(x) == JV_KIND_STRING ? jv_string_value(x) : json_str(x, key);
			if (s)
				out = jv_array_append(out, jv_string(s));
			jv_free(x);
		}
	jv_free(list);
	return sorted(out);
}

static jv status_checks(jv prot)
{
	jv rsc = json_get(prot, "required_status_checks");
	if (jv_get_kind(rsc) != JV_KIND_OBJECT) {
		jv_free(rsc);
		return jv_null();
	}
	jv out = JV_OBJECT(jv_string("strict"), jv_bool(json_bool(rsc, "strict") == 1), jv_string("contexts"),
			   names(json_get(rsc, "contexts"), "context"));
	jv_free(rsc);
	return out;
}

static jv reviews(jv prot)
{
	jv r = json_get(prot, "required_pull_request_reviews");
	if (jv_get_kind(r) != JV_KIND_OBJECT) {
		jv_free(r);
		return jv_null();
	}
	jv out = jv_object();
	static const char *const flags[] = {"dismiss_stale_reviews", "require_code_owner_reviews",
					    "require_last_push_approval"};
	for (int i = 0; i < 3; i++)
		JSET(out, flags[i], jv_bool(json_bool(r, flags[i]) == 1));
	jv n = json_get(r, "required_approving_review_count");
	JSET(out, "required_approving_review_count", jv_get_kind(n) == JV_KIND_NUMBER ? n : (jv_free(n), jv_number(0)));
	jv_free(r);
	return out;
}

static jv restrictions(jv prot)
{
	jv r = json_get(prot, "restrictions");
	if (jv_get_kind(r) != JV_KIND_OBJECT) {
		jv_free(r);
		return jv_null();
	}
	jv out = JV_OBJECT(jv_string("users"), names(json_get(r, "users"), "login"), jv_string("teams"),
			   names(json_get(r, "teams"), "slug"), jv_string("apps"), names(json_get(r, "apps"), "slug"));
	jv_free(r);
	return out;
}

static const char *const kept[] = {"required_linear_history", "required_conversation_resolution", "lock_branch",
				   "allow_fork_syncing", "block_creations"};

/* The protection in place as a PUT body; null when the branch has none. */
static jv current(jv prot)
{
	if (jv_get_kind(prot) != JV_KIND_OBJECT)
		return jv_null();
	jv c = jv_object();
	JSET(c, "required_status_checks", status_checks(prot));
	JSET(c, "enforce_admins", enabled(prot, "enforce_admins"));
	JSET(c, "required_pull_request_reviews", reviews(prot));
	JSET(c, "restrictions", restrictions(prot));
	JSET(c, "allow_force_pushes", enabled(prot, "allow_force_pushes"));
	JSET(c, "allow_deletions", enabled(prot, "allow_deletions"));
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
		JSET(c, kept[i], enabled(prot, kept[i]));
	return c;
}

/* What the branch must have: ours, with what we do not manage kept. */
static jv wanted(const struct opts *o, jv cur)
{
	jv w = jv_get_kind(cur) == JV_KIND_OBJECT ? jv_copy(cur) : jv_object();
	jv rsc = json_get(cur, "required_status_checks"), ctx = json_get(rsc, "contexts");
	jv contexts = jv_get_kind(ctx) == JV_KIND_ARRAY ? jv_copy(ctx) : jv_array();
	for (int i = 0; i < o->nchecks; i++)
		contexts = jv_array_append(contexts, jv_string(o->checks[i]));
	jv_free(ctx);
	jv_free(rsc);
	JSET(w, "required_status_checks", JV_OBJECT(jv_string("strict"), jv_true(), jv_string("contexts"),
						    sorted(contexts)));
	JSET(w, "enforce_admins", jv_true());
	jv rev = json_get(cur, "required_pull_request_reviews"), n = json_get(rev, "required_approving_review_count");
	int have = jv_get_kind(n) == JV_KIND_NUMBER ? (int)jv_number_value(n) : 0;
	jv last = json_get(rev, "require_last_push_approval");
	JSET(w, "required_pull_request_reviews",
	     JV_OBJECT(jv_string("dismiss_stale_reviews"), jv_true(), jv_string("require_code_owner_reviews"), jv_true(),
		       jv_string("required_approving_review_count"), jv_number(have > o->approvals ? have : o->approvals),
		       jv_string("require_last_push_approval"), jv_bool(jv_get_kind(last) == JV_KIND_TRUE)));
	jv_free(last);
	jv_free(n);
	jv_free(rev);
	if (!has(w, "restrictions"))
		JSET(w, "restrictions", jv_null());
	JSET(w, "allow_force_pushes", jv_false());
	JSET(w, "allow_deletions", jv_false());
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
		if (!has(w, kept[i]))
			JSET(w, kept[i], jv_false());
	return w;
}

/* ---- the difference */

static void differences(jv a, jv b, const char *path, jv *changes)
{
	if (jv_get_kind(b) == JV_KIND_OBJECT && (jv_get_kind(a) == JV_KIND_OBJECT || jv_get_kind(a) == JV_KIND_NULL)) {
		jv keys = jv_keys(jv_copy(b));
		jv_array_foreach(keys, i, k) {
			char sub[200];
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", jv_string_value(k));
			jv av = json_get(a, jv_string_value(k)), bv = json_get(b, jv_string_value(k));
			differences(jv_is_valid(av) ? av : (jv_free(av), jv_null()), bv, sub, changes);
			jv_free(k);
		}
		jv_free(keys);
	} else if (!jv_equal(jv_copy(a), jv_copy(b))) {
		*changes = jv_array_append(*changes, JV_OBJECT(jv_string("field"), jv_string(*path ? path : "(all)"),
							       jv_string("from"), jv_copy(a), jv_string("to"), jv_copy(b)));
	}
	jv_free(a);
	jv_free(b);
}

static void print_change(jv c)
{
	struct buf from, to;
	buf_init(&from);
	buf_init(&to);
	json_dump_buf(json_get(c, "from"), 0, &from);
	json_dump_buf(json_get(c, "to"), 0, &to);
	fprintf(stderr, "%s: %s: %.*s -> %.*s\n", progname, json_str(c, "field"), (int)from.len - 1, (char *)from.data,
		(int)to.len - 1, (char *)to.data);
	buf_free(&from);
	buf_free(&to);
}

int main(int argc, char **argv)
{
	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
	prog_init(argv[0]);
	struct opts o;
	parse_options(argc, argv, &o);
	struct gh g;
	gh_init(&g, vars, 1);
	char *b = gh_escape(o.branch);
	char *url = gh_url(&g, "/repos/%s/branches/%s/protection", o.repo, b);
	jv prot;
	long st = gh_json(&g, HTTP_GET, url, jv_invalid(), GH_SOFT, &prot);
	if (st != 200 && st != 404)
		gh_fail_answer(&g, HTTP_GET, url, st, prot);
	jv before = current(st == 200 ? prot : jv_null()); /* does not consume prot */
	jv_free(prot);
	jv after = wanted(&o, before);
	jv changes = jv_array();
	differences(jv_copy(before), jv_copy(after), "", &changes);
	int n = jv_array_length(jv_copy(changes));
	jv_array_foreach(changes, i, c) {
		print_change(c);
		jv_free(c);
	}
	if (!n)
		warnx("%s %s: the protection is already in place: nothing to change", o.repo, o.branch);
	else if (o.dry)
		warnx("%s %s: %d change%s (dry run: nothing changed)", o.repo, o.branch, n, n == 1 ? "" : "s");
	if (n && !o.dry) {
		jv ans;
		gh_json(&g, HTTP_PUT, url, jv_copy(after), 0, &ans);
		jv_free(ans);
		warnx("%s %s: %d change%s applied", o.repo, o.branch, n, n == 1 ? "" : "s");
	}
	json_emit(JV_OBJECT(jv_string("repo"), jv_string(o.repo), jv_string("branch"), jv_string(o.branch),
			    jv_string("before"), before, jv_string("after"), after, jv_string("changes"), changes,
			    jv_string("applied"), jv_bool(n && !o.dry)));
	free(url);
	free(b);
	gh_free(&g);
	close_stdout();
	return EXIT_OK;
}
