/* The polls (until running, until gone) and the teardown's fallbacks. Polls
 * back off with the time already waited: every tenth of it, at least 0.25 s
 * and at most 10 s, so a short boot is seen within a fraction of a second and
 * a long one costs a request every 10 s. */
#include <string.h>
#include <unistd.h>

#include "phala.h"

#define START_EVERY 30.0   /* seconds between start calls to a stopped CVM */
#define NOT_FOUND_GRACE 60 /* seconds a fresh CVM may still be unknown */

struct poll {
	const char *label;
	double start, deadline, last_start_call;
	int polls, tty;
	char last[220]; /* what the last poll saw, for the timeout message */
};

static void poll_init(struct poll *p, const char *label, double timeout)
{
	memset(p, 0, sizeof *p);
	p->label = label;
	p->start = mono_now();
	p->deadline = p->start + timeout;
	p->last_start_call = -1e9;
	p->tty = isatty(2);
	snprintf(p->last, sizeof p->last, "no answer yet");
}

/* Sleep before the next poll, or fail (75) at the deadline. */
static void poll_pause(struct poll *p, const char *what)
{
	double now = mono_now(), waited = now - p->start;
	if (now >= p->deadline) {
		if (p->tty)
			fputc('\n', stderr);
		fail(EXIT_TEMPFAIL, "%s not %s after %.0f s (%d polls; last: %s)", p->label, what,
		     p->deadline - p->start, p->polls, p->last);
	}
	double pause = waited / 10;
	pause = pause < 0.25 ? 0.25 : pause > 10 ? 10 : pause;
	if (now + pause > p->deadline)
		pause = p->deadline - now;
	if (p->tty)
		fprintf(stderr, "\r%s: waiting for %s to be %s (%.0f s, %s)%10s", progname, p->label, what, waited,
			p->last, "");
	sleep_seconds(pause);
}

/* The end of a poll: on a terminal, over the progress line; with --verbose,
 * a CVM that runs is said too (a gone one by the command that deleted it). */
static void poll_done(struct poll *p, const char *what)
{
	if (p->tty)
		fprintf(stderr, "\r%s: %s is %s after %.1f s%30s\n", progname, p->label, what, mono_now() - p->start,
			"");
	else if (api_verbose() && strcmp(what, "running") == 0)
		fprintf(stderr, "%s: %s is %s after %.1f s\n", progname, p->label, what, mono_now() - p->start);
}

/* One GET of the CVM; returns 1 when the answer is final for the poll (2xx
 * JSON or 404), 0 when the poll goes on (last updated). */
static int poll_get(struct poll *p, const char *path, struct api_reply *r)
{
	char err[600];
	double left = p->deadline - mono_now();
	int rc = api_call(HTTP_GET, path, jv_invalid(), left > 1 ? left : 1, API_NO_RETRY, r, err, sizeof err);
	p->polls++;
	if (rc == EXIT_CONFIG || rc == EXIT_SOFTWARE)
		fail(rc, "%s", err);
	if (rc) {
		snprintf(p->last, sizeof p->last, "%.200s", err);
		return 0;
	}
	if (r->status == 404 || r->status == 410 || (r->status >= 200 && r->status <= 299 && r->json))
		return 1;
	if (r->status == 408 || r->status == 429 || r->status >= 500) {
		snprintf(p->last, sizeof p->last, "HTTP %ld", r->status);
		api_reply_free(r);
		return 0;
	}
	api_fail_status(HTTP_GET, path, r); /* 401, 403, other 4xx, 2xx without JSON */
}

/* POST /start for a stopped or created CVM, at most every START_EVERY
 * seconds; a failure other than refused credentials only goes to last. */
static void start_call(struct poll *p, const char *id, const char *status)
{
	if (mono_now() - p->last_start_call < START_EVERY)
		return;
	p->last_start_call = mono_now();
	char path[200], err[600];
	snprintf(path, sizeof path, "/cvms/%s/start", id);
	struct api_reply r;
	int rc = api_call(HTTP_POST, path, jv_object(), API_TIMEOUT, 0, &r, err, sizeof err);
	if (rc == 0 && (r.status == 401 || r.status == 403))
		api_fail_status(HTTP_POST, path, &r);
	if (p->tty && rc == 0 && r.status >= 200 && r.status <= 299)
		fprintf(stderr, "\r%s: %s was %s: started it%30s\n", progname, p->label, status, "");
	api_reply_free(&r);
}

jv wait_running(const struct cvm_ref *t, double timeout)
{
	char id[160], path[200];
	cvm_ref_path(t, id);
	snprintf(path, sizeof path, "/cvms/%s", id);
	struct poll p;
	poll_init(&p, t->label, timeout);
	for (;;) {
		struct api_reply r;
		if (poll_get(&p, path, &r)) {
			if (r.status == 404 || r.status == 410) {
				api_reply_free(&r);
				if (mono_now() - p.start > NOT_FOUND_GRACE)
					fail(EXIT_UNAVAILABLE, "%s: no such CVM (GET %s: HTTP 404 for %d s)", t->label,
					     path, NOT_FOUND_GRACE);
				snprintf(p.last, sizeof p.last, "not found");
			} else {
				char st[64];
				cvm_status(r.body, st, sizeof st);
				if (strcmp(st, "running") == 0) {
					poll_done(&p, "running");
					return r.body;
				}
				api_reply_free(&r);
				if (strcmp(st, "error") == 0 || strcmp(st, "failed") == 0)
					fail(EXIT_UNAVAILABLE, "%s is in state '%s'", t->label, st);
				snprintf(p.last, sizeof p.last, "status '%s'", st[0] ? st : "(none)");
				if (strcmp(st, "stopped") == 0 || strcmp(st, "created") == 0)
					start_call(&p, id, st);
			}
		}
		poll_pause(&p, "running");
	}
}

void wait_gone(const char *path, const char *label, double timeout)
{
	struct poll p;
	poll_init(&p, label, timeout);
	for (;;) {
		struct api_reply r;
		if (poll_get(&p, path, &r)) {
			int gone = r.status == 404 || r.status == 410;
			char st[64];
			cvm_status(r.body, st, sizeof st);
			api_reply_free(&r);
			if (gone) {
				poll_done(&p, "gone");
				return;
			}
			snprintf(p.last, sizeof p.last, "status '%s'", st[0] ? st : "(none)");
		}
		poll_pause(&p, "gone");
	}
}

const char *delete_fallbacks(const struct cvm_ref *t, char out[160])
{
	char cand[4][160], err[600], first_err[600] = "";
	int n = 0, first_code = 0;
	if (t->vm_uuid) {
		struct cvm_ref u = {.vm_uuid = t->vm_uuid};
		cvm_ref_path(&u, cand[n++]);
	}
	if (t->app_id)
		snprintf(cand[n++], 160, "app_%s", t->app_id);
	if (t->name)
		snprintf(cand[n++], 160, "%s", t->name);
	if (t->id)
		snprintf(cand[n++], 160, "%s", t->id);
	for (int i = 0; i < n; i++) {
		char path[200];
		snprintf(path, sizeof path, "/cvms/%.159s", cand[i]);
		struct api_reply r;
		int rc = api_call(HTTP_DELETE, path, jv_invalid(), API_TIMEOUT, 0, &r, err, sizeof err);
		if (rc == 0 && r.status >= 200 && r.status <= 299) {
			api_reply_free(&r);
			snprintf(out, 160, "%.159s", cand[i]);
			return out;
		}
		if (rc == 0 && (r.status == 401 || r.status == 403))
			api_fail_status(HTTP_DELETE, path, &r);
		if (rc == 0 && r.status != 404 && r.status != 410 && !first_code) {
			char d[256];
			api_detail(&r, d, sizeof d);
			first_code = r.status == 409 ? EXIT_UNAVAILABLE : http_status_exit(r.status);
			snprintf(first_err, sizeof first_err, "DELETE %s: HTTP %ld%s%s", path, r.status, d[0] ? ": " : "", d);
		} else if (rc && !first_code) {
			first_code = rc;
			snprintf(first_err, sizeof first_err, "%s", err);
		}
		api_reply_free(&r);
	}
	if (first_code)
		fail(first_code, "cannot delete %s: %s", t->label, first_err);
	return NULL;
}
