/* The plan (what each file needs: nothing, an upload, a replacement) and the
 * uploads: streamed from disk, checked against what GitHub stored, retried
 * after a dropped connection or a 5xx once the partial asset is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json.h"
#include "ru.h"

static int hash_sink_write(void *arg, const void *p, size_t n)
{
	hasher_add(arg, p, n);
	return 0;
}

static int hash_sink_restart(void *arg)
{
	hasher_restart(arg);
	return 0;
}

/* Whether the asset a holds exactly the file's bytes: by size, then by the
 * API's digest when it gives one, else by downloading and hashing it. */
static int same_content(struct run *r, const struct file *f, jv a)
{
	jv size = json_get(a, "size");
	int same_size = jv_get_kind(size) == JV_KIND_NUMBER && (long long)jv_number_value(size) == f->size;
	jv_free(size);
	if (!same_size)
		return 0;
	const char *digest = json_str(a, "digest");
	if (digest && !strncmp(digest, "sha256:", 7))
		return !strcmp(digest + 7, f->sha);
	char *url = gh_url(&r->g, "/repos/%s/releases/assets/%lld", r->repo, ghr_id(a, "id"));
	struct hasher h;
	hasher_init(&h);
	struct http_sink sink = {hash_sink_write, hash_sink_restart, &h};
	gh_download(&r->g, url, &sink, 0);
	char hex[65];
	hasher_hex(&h, hex);
	hasher_free(&h);
	free(url);
	return !strcmp(hex, f->sha);
}

/* Compare one file with the release's asset of its name; the name goes to
 * conflicts when the contents differ. */
static void plan_file(struct run *r, struct file *f, jv assets, struct buf *conflicts)
{
	jv a = ghr_asset_named(assets, f->name);
	if (!jv_is_valid(a))
		return;
	const char *state = json_str(a, "state");
	f->existing = ghr_id(a, "id");
	if (f->existing < 0)
		fail(EXIT_PROTOCOL, "the release %s lists an asset '%s' without a numeric id", r->tag, f->name);
	if (state && strcmp(state, "uploaded") != 0) {
		jv_free(a); /* a partial upload (state "starter"): removed, then uploaded again */
		return;
	}
	if (same_content(r, f, a)) {
		f->result = R_IDENTICAL;
		f->asset = a;
		f->existing = 0;
		return;
	}
	jv_free(a);
	f->differs = 1;
	buf_printf(conflicts, "%s'%s'", conflicts->len ? ", " : "", f->name);
}

void plan(struct run *r)
{
	jv assets = release_assets(r);
	struct buf conflicts;
	buf_init(&conflicts);
	int changes = 0;
	for (int i = 0; i < r->n; i++) {
		plan_file(r, &r->files[i], assets, &conflicts);
		changes += r->files[i].result != R_IDENTICAL;
	}
	jv_free(assets);
	if (changes && release_immutable(r))
		fail(EXIT_NO, "the release %s of %s is published and immutable: no asset can be added, replaced or "
			      "deleted (%s); make a new release through the draft flow (--create-draft, then --publish)",
		     r->tag, r->repo, conflicts.len ? (char *)conflicts.data : "new assets");
	if (conflicts.len && !r->clobber)
		fail(EXIT_NO, "the release %s already has different %s: --clobber replaces them", r->tag,
		     (char *)conflicts.data);
	buf_free(&conflicts);
}

/* ---- one upload ---- */

struct sending {
	struct file *f;
	struct hasher sent; /* what went out in this attempt */
	int shown;          /* the last percentage shown */
	double last;
};

static void sent_restart(void *arg)
{
	struct sending *s = arg;
	hasher_restart(&s->sent);
}

static void sent_chunk(void *arg, const void *p, size_t n)
{
	struct sending *s = arg;
	hasher_add(&s->sent, p, n);
}

static void show_progress(void *arg, long long done, long long total)
{
	struct sending *s = arg;
	if (total <= 0)
		return;
	int pct = (int)(done * 100 / total);
	double now = mono_now();
	if (pct == s->shown || (now - s->last < 0.2 && pct != 100))
		return;
	s->shown = pct;
	s->last = now;
	fprintf(stderr, "\r%s: %s: %.1f of %.1f MiB (%d%%)%s", progname, s->f->name, done / 1048576.0,
		total / 1048576.0, pct, pct == 100 ? "\n" : "");
}

/* Check what GitHub says it stored; on a mismatch delete it and fail. */
static void verify(struct run *r, struct file *f, struct sending *s, jv a)
{
	char why[300] = "", sent[65];
	const char *name = json_str(a, "name"), *state = json_str(a, "state"), *digest = json_str(a, "digest");
	long long id = ghr_id(a, "id");
	jv size = json_get(a, "size");
	long long got = jv_get_kind(size) == JV_KIND_NUMBER ? (long long)jv_number_value(size) : -1;
	jv_free(size);
	hasher_hex(&s->sent, sent);
	if (id < 0)
		fail(EXIT_PROTOCOL, "uploaded '%s' but the answer has no asset id", f->name);
	if (!name || strcmp(name, f->name) != 0)
		snprintf(why, sizeof why, "it was stored as '%s'", name ? name : "(no name)");
	else if (got != f->size)
		snprintf(why, sizeof why, "GitHub reports %lld bytes, %lld were sent", got, f->size);
	else if (digest && !strncmp(digest, "sha256:", 7) && strcmp(digest + 7, f->sha) != 0)
		snprintf(why, sizeof why, "GitHub reports the digest %.80s, the file's SHA-256 is %s", digest, f->sha);
	else if (state && strcmp(state, "uploaded") != 0)
		snprintf(why, sizeof why, "its state is '%.40s', not 'uploaded'", state);
	if (*why) {
		asset_delete(r, id, f->name);
		fail(EXIT_PROTOCOL, "uploaded '%s' but %s: the asset was deleted", f->name, why);
	}
	if (strcmp(sent, f->sha) != 0) {
		asset_delete(r, id, f->name);
		fail(EXIT_IOERR, "'%s' changed while it was uploaded: the asset was deleted", f->path);
	}
	f->asset = a;
}

/* After a failed or contested upload: the asset of the name now on the
 * release. 1 when it already holds the file (an answer lost on the way),
 * 0 when there is none (a partial one is deleted), -1 when a different
 * complete one is there (its id in *other). */
static int settle(struct run *r, struct file *f, long long *other)
{
	jv assets = release_assets(r);
	jv a = ghr_asset_named(assets, f->name);
	jv_free(assets);
	if (!jv_is_valid(a))
		return 0;
	const char *state = json_str(a, "state");
	long long id = ghr_id(a, "id");
	int complete = !state || !strcmp(state, "uploaded");
	if (complete && same_content(r, f, a)) {
		jv_free(f->asset);
		f->asset = a;
		return 1;
	}
	jv_free(a);
	if (complete) {
		*other = id;
		return -1;
	}
	asset_delete(r, id, f->name);
	return 0;
}

static char *upload_url(struct run *r, const struct file *f)
{
	char *name = gh_escape(f->name), *label = r->label ? gh_escape(r->label) : NULL, *url;
	if (asprintf(&url, "%s?name=%s%s%s", r->upload_base, name, label ? "&label=" : "", label ? label : "") < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	free(name);
	free(label);
	return url;
}

/* What to do after an answer that is not 201: 1 when the file is done
 * after all, 0 to upload again; exits otherwise. A 422 already_exists (another
 * writer won the race) is judged by what is there now; a 5xx or a dropped
 * connection first removes the partial asset it may have left. */
static int after_failure(struct run *r, struct file *f, const char *url, long st, jv ans, int last)
{
	int race = st == 422 && gh_error_has_code(ans, "already_exists");
	if (!race && st != 0 && st < 500)
		gh_fail_answer(&r->g, HTTP_POST, url, st, ans);
	jv_free(ans);
	long long other = 0;
	if (st == 0 && r->g.last_rc != EXIT_TEMPFAIL && r->g.last_rc != EXIT_UNAVAILABLE) {
		settle(r, f, &other);
		fail(r->g.last_rc, "%s", r->g.last_err);
	}
	int s = settle(r, f, &other);
	if (s > 0) {
		if (race && f->result != R_REPLACED)
			f->result = R_IDENTICAL;
		return 1;
	}
	if (s < 0) {
		if (!r->clobber)
			fail(EXIT_NO, "another upload put a different '%s' on %s meanwhile: --clobber replaces it", f->name,
			     r->tag);
		asset_delete(r, other, f->name);
		f->result = R_REPLACED;
	}
	if (!last)
		return 0;
	int tries = 1 + r->g.ho.retries;
	if (race)
		fail(EXIT_TEMPFAIL, "'%s': other uploads of the same name kept winning (%d attempts)", f->name, tries);
	if (st)
		fail(EXIT_TEMPFAIL, "POST %.*s: HTTP %ld (after %d attempts)", (int)strcspn(url, "?"), url, st, tries);
	fail(r->g.last_rc, "%s (after %d attempts)", r->g.last_err, tries);
}

static void upload_one(struct run *r, struct file *f)
{
	if (f->result == R_IDENTICAL)
		return;
	f->result = f->differs ? R_REPLACED : R_UPLOADED;
	if (f->existing)
		asset_delete(r, f->existing, f->name);
	char *url = upload_url(r, f);
	struct sending s = {.f = f, .shown = -1};
	hasher_init(&s.sent);
	struct http_source src = {f->fd, f->size, sent_restart, sent_chunk, &s};
	long delay = r->g.ho.backoff_ms;
	for (int attempt = 1;; attempt++) {
		jv ans;
		long st = gh_upload(&r->g, url, &src, f->ctype, r->progress ? show_progress : NULL, &s, &ans);
		if (st == 201 || st == 200) {
			verify(r, f, &s, ans);
			break;
		}
		if (after_failure(r, f, url, st, ans, attempt > r->g.ho.retries))
			break;
		sleep_seconds(http_jitter_ms(delay) / 1000.0);
		delay = delay * 2 > r->g.ho.backoff_max_ms ? r->g.ho.backoff_max_ms : delay * 2;
	}
	hasher_free(&s.sent);
	free(url);
}

void upload_all(struct run *r)
{
	for (int i = 0; i < r->n; i++)
		upload_one(r, &r->files[i]);
}
