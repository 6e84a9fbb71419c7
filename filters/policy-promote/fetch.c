/* The candidates of a probe workflow run: its artifact (probe-artifacts-P as
 * the probe workflow names it, or probe-artifacts as the seed's manual flow
 * downloads it with `gh run download RUN -n probe-artifacts`), fetched
 * through the Actions REST API as a zip and unpacked with libzip into
 * WORK/run-N/. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "promote.h"

#define ARTIFACT "probe-artifacts"
#define ZIP_CAP (64 * MP_MIB)

struct gh *promote_gh(struct promote *p, int required)
{
	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
	if (!p->have_gh) {
		gh_init(&p->g, vars, required);
		p->have_gh = 1;
	} else if (required && !p->g.token_env) {
		fail(EXIT_CONFIG, "no GitHub token: set GITHUB_TOKEN or GH_TOKEN");
	}
	return &p->g;
}

/* The run's artifact to use: probe-artifacts-PROFILE, else probe-artifacts. */
static jv pick(jv arts, const char *profile, const char *run)
{
	char mine[128];
	snprintf(mine, sizeof mine, ARTIFACT "-%s", profile);
	jv found = jv_null();
	for (int pass = 0; pass < 2 && jv_get_kind(found) == JV_KIND_NULL; pass++) {
		jv_array_foreach(arts, i, a) {
			const char *name = json_str(a, "name");
			if (jv_get_kind(found) == JV_KIND_NULL && name && !strcmp(name, pass ? ARTIFACT : mine)) {
				jv_free(found);
				found = jv_copy(a);
			}
			jv_free(a);
		}
	}
	jv_free(arts);
	if (jv_get_kind(found) == JV_KIND_NULL)
		fail(EXIT_NOINPUT, "workflow run %s has no artifact named %s or " ARTIFACT, run, mine);
	jv exp = json_get(found, "expired");
	int expired = jv_get_kind(exp) == JV_KIND_TRUE;
	jv_free(exp);
	if (expired)
		fail(EXIT_NOINPUT, "the artifact %s of workflow run %s has expired", json_str(found, "name"), run);
	return found;
}

char *fetch_run(struct promote *p)
{
	struct gh *g = promote_gh(p, 1);
	char *url = gh_url(g, "/repos/%s/actions/runs/%s/artifacts", p->o.repo, p->o.run_id);
	jv art = pick(gh_get_all(g, url, "artifacts"), p->o.profile, p->o.run_id);
	free(url);
	const char *dl = json_str(art, "archive_download_url");
	if (!dl)
		fail(EXIT_PROTOCOL, "the artifact %s of workflow run %s has no archive_download_url", json_str(art, "name"),
		     p->o.run_id);
	struct buf zip;
	buf_init(&zip);
	struct http_capbuf cb = {&zip, ZIP_CAP};
	struct http_sink sink = {http_capbuf_write, http_capbuf_restart, &cb};
	gh_download(g, dl, &sink, 0);
	char dir[4200], what[300];
	snprintf(dir, sizeof dir, "%s/run-%s", p->work, p->o.run_id);
	snprintf(what, sizeof what, "the artifact %s of workflow run %s", json_str(art, "name"), p->o.run_id);
	make_dirs(dir);
	static const char *const names[] = {CANDIDATES_NAME, CANDIDATES_NAME ".sig", REPORT_NAME, REPORT_NAME ".sig",
					    NULL};
	unzip_members(&zip, names, dir, what);
	buf_free(&zip);
	jv_free(art);
	char *path;
	if (asprintf(&path, "%s/%s", dir, CANDIDATES_NAME) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return path;
}
