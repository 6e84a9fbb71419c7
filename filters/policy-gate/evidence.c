/* The evidence a pull request's body names (lib/prbody.h): signed
 * candidates, each checked with cosign-wrap against the project's key, and
 * node image releases whose published-mrtds.json is in their signed
 * checksums file. Then every added value is matched with it. */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/prbody.h"
#include "lib/profile.h"
#include "lib/sha.h"
#include "lib/sigcheck.h"
#include "gate.h"

#define ASSET_CAP (16 * MP_MIB)
#define PUBLISHED "published-mrtds.json"
#define CHECKSUMS "node-image-gcp-checksums.txt"

/* the canonical name of a profile, or NULL (also for NULL) */
static const char *canon(const char *s)
{
	return s ? profile_lookup(s) : NULL;
}

static const char *const cand_keys[] = {"tcb_statuses", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "event_payload"};

/* lists {"kms_allowed_mrtd": [normalised values], ...} from "allowed_*"
 * arrays of obj, for a role (kms: every key; node: no event payload) */
static jv lists_of(jv obj, const char *role)
{
	jv lists = jv_object();
	for (size_t k = 0; k < sizeof cand_keys / sizeof *cand_keys; k++) {
		if (!strcmp(role, "node") && !strcmp(cand_keys[k], "event_payload"))
			continue;
		char from[64], to[64];
		snprintf(from, sizeof from, "allowed_%s", cand_keys[k]);
		snprintf(to, sizeof to, "%s_allowed_%s", role, cand_keys[k]);
		jv src = json_get(obj, from), vals = jv_array();
		if (jv_get_kind(src) == JV_KIND_ARRAY)
			jv_array_foreach(src, i, v) {
				char *s = value_normal(v, to);
				if (s)
					vals = jv_array_append(vals, jv_string(s));
				free(s);
				jv_free(v);
			}
		jv_free(src);
		JSET(lists, to, vals);
	}
	return lists;
}

/* Why signed candidates cannot back anything, or NULL when they can. */
static const char *refusal(jv c, const char **profile, const char **role)
{
	jv sv = json_get(c, "schema_version"), prov = json_get(c, "provenance"), pol = json_get(c, "policy");
	const char *why = NULL;
	*profile = canon(json_str(c, "profile"));
	*role = json_str(c, "role");
	jv unv = json_get(prov, "unverified"), mp = json_get(prov, "measured_profile");
	if (jv_get_kind(c) != JV_KIND_OBJECT || jv_get_kind(sv) != JV_KIND_NUMBER || jv_number_value(sv) != 1)
		why = "not candidates of schema_version 1";
	else if (!*profile)
		why = "no profile of the three";
	else if (!*role || (strcmp(*role, "kms") != 0 && strcmp(*role, "node") != 0))
		why = "no role kms or node";
	else if (jv_get_kind(pol) != JV_KIND_OBJECT || jv_get_kind(prov) != JV_KIND_OBJECT)
		why = "no policy or provenance object";
	else if (jv_get_kind(unv) != JV_KIND_FALSE)
		why = "not verified (provenance.unverified)";
	else if (jv_get_kind(mp) == JV_KIND_STRING && canon(jv_string_value(mp)) != *profile)
		why = "the recorded profiles disagree (provenance.measured_profile, ADR-0001)";
	jv_free(sv);
	jv_free(prov);
	jv_free(pol);
	jv_free(unv);
	jv_free(mp);
	return why;
}

static jv signed_block(struct gate *g, const struct prbody_signed *s, int index)
{
	char sha[65], why[300];
	sha256_hex(s->cand.data, s->cand.len, sha);
	jv e = JV_OBJECT(jv_string("index"), jv_number(index), jv_string("line"), jv_number(s->line),
			 jv_string("sha256"), jv_string(sha), jv_string("usable"), jv_false());
	int st = sig_verify(g->o.key, &s->cand, &s->sig, why, sizeof why);
	if (st != 0 && st != EXIT_NO && st != EXIT_DATAERR)
		fail(st, "cannot check signed candidates with %s: %s", g->o.key, why);
	if (st != 0) {
		JSET(e, "refused", jv_string_fmt("the signature does not verify with %s: %s", g->o.key, why));
		return e;
	}
	char err[300];
	jv c = json_parse((const char *)s->cand.data, s->cand.len, err, sizeof err);
	const char *profile = NULL, *role = NULL, *no = jv_is_valid(c) ? refusal(c, &profile, &role) : "not JSON";
	JSET(e, "signature", jv_string("verified"));
	if (profile)
		JSET(e, "profile", jv_string(profile));
	if (no) {
		JSET(e, "refused", jv_string(no));
	} else {
		const char *src = json_str(c, "source");
		jv prov = json_get(c, "provenance"), sim = json_get(prov, "simulated"), pol = json_get(c, "policy");
		JSET(e, "role", jv_string(role));
		JSET(e, "source", src ? jv_string(src) : jv_null());
		JSET(e, "simulated", jv_bool((src && !strcmp(src, "sim")) || jv_get_kind(sim) != JV_KIND_FALSE));
		JSET(e, "lists", lists_of(pol, role));
		JSET(e, "usable", jv_true());
		jv_free(prov);
		jv_free(sim);
		jv_free(pol);
	}
	jv_free(c);
	return e;
}

/* ---- node releases */

/* An asset of the release by name into b (kept in WORK/releases/TAG/); -1 when absent. */
static int asset(struct gate *g, jv rel, const char *tag, const char *name, struct buf *b)
{
	jv assets = json_get(rel, "assets");
	const char *url = NULL;
	jv_array_foreach(assets, i, a) {
		const char *n = json_str(a, "name");
		if (n && !strcmp(n, name) && !url)
			url = json_str(a, "url");
		jv_free(a);
	}
	int r = -1;
	if (url) {
		buf_init(b);
		struct http_capbuf cb = {b, ASSET_CAP};
		struct http_sink sink = {http_capbuf_write, http_capbuf_restart, &cb};
		gh_download(&g->g, url, &sink, 0);
		char *dir = gate_path(g, "releases", tag), *path;
		make_dirs(dir);
		if (asprintf(&path, "%s/%s", dir, name) < 0)
			fail(EXIT_SOFTWARE, "out of memory");
		write_file(path, b->data, b->len, 0644);
		free(path);
		free(dir);
		r = 0;
	}
	jv_free(assets);
	return r;
}

/* The SHA-256 the checksums file gives name ("HEX  name" or "HEX *name"), or NULL. */
static const char *checksum_of(const struct buf *sums, const char *name, char out[65])
{
	const char *s = (const char *)sums->data;
	for (const char *e; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		size_t n = (size_t)(e - s), k = strlen(name);
		if (n == 64 + 2 + k && s[64] == ' ' && (s[65] == ' ' || s[65] == '*') && !memcmp(s + 66, name, k) &&
		    strspn(s, "0123456789abcdef") >= 64) {
			memcpy(out, s, 64);
			out[64] = 0;
			return out;
		}
	}
	return NULL;
}

/* The verdict on what a release's assets say; NULL when usable, with
 * .profiles of its published-mrtds.json in *profiles. */
static const char *check_assets(struct gate *g, const struct buf *pub, const struct buf *sums, const struct buf *sig,
				jv *profiles)
{
	static char why[400];
	char want[65], got[65], err[300];
	if (sig_verify(g->o.key, sums, sig, err, sizeof err) != 0) {
		snprintf(why, sizeof why, "the signature of " CHECKSUMS " does not verify with %s: %s", g->o.key, err);
		return why;
	}
	sha256_hex(pub->data, pub->len, got);
	if (!checksum_of(sums, PUBLISHED, want) || strcmp(want, got) != 0)
		return PUBLISHED " is not the file the signed " CHECKSUMS " lists";
	jv doc = json_parse((const char *)pub->data, pub->len, err, sizeof err);
	*profiles = jv_is_valid(doc) ? json_get(doc, "profiles") : jv_invalid();
	jv_free(doc);
	return jv_get_kind(*profiles) == JV_KIND_OBJECT ? NULL : PUBLISHED " is not JSON with a profiles object";
}

static const char *release_check(struct gate *g, const char *tag, jv *profiles)
{
	char *url = gh_url(&g->g, "/repos/%s/releases/tags/%s", g->o.repo, tag);
	jv rel;
	long st = gh_json(&g->g, HTTP_GET, url, jv_invalid(), GH_SOFT, &rel);
	if (st != 200 && st != 404)
		gh_fail_answer(&g->g, HTTP_GET, url, st, rel);
	free(url);
	if (st == 404) {
		jv_free(rel);
		return "no published release has this tag";
	}
	struct buf pub = {0}, sums = {0}, sig = {0};
	const char *no = "the release lacks " PUBLISHED ", " CHECKSUMS " or " CHECKSUMS ".sig";
	if (!asset(g, rel, tag, PUBLISHED, &pub) && !asset(g, rel, tag, CHECKSUMS, &sums) &&
	    !asset(g, rel, tag, CHECKSUMS ".sig", &sig))
		no = check_assets(g, &pub, &sums, &sig, profiles);
	jv_free(rel);
	free(pub.data);
	free(sums.data);
	free(sig.data);
	return no;
}

static jv node_release(struct gate *g, const char *tag)
{
	jv profiles = jv_invalid();
	const char *no = release_check(g, tag, &profiles);
	jv e = JV_OBJECT(jv_string("tag"), jv_string(tag), jv_string("usable"), jv_bool(!no));
	if (no) {
		JSET(e, "refused", jv_string(no));
	} else {
		jv lists = jv_object();
		jv_object_foreach(profiles, k, p) {
			if (canon(jv_string_value(k)))
				lists = jv_object_set(lists, jv_copy(k), lists_of(p, "node"));
			jv_free(k);
			jv_free(p);
		}
		JSET(e, "lists", lists);
	}
	jv_free(profiles);
	return e;
}

void evidence_read(struct gate *g)
{
	struct prbody b;
	prbody_parse(g->body, strlen(g->body), &b);
	g->candidates = jv_array();
	for (size_t i = 0; i < b.n; i++)
		g->candidates = jv_array_append(g->candidates, signed_block(g, &b.v[i], (int)i + 1));
	for (size_t i = 0; i < b.nerr; i++)
		g->candidates = jv_array_append(g->candidates, JV_OBJECT(jv_string("usable"), jv_false(), jv_string("refused"),
									 jv_string(b.errors[i])));
	g->releases = jv_array();
	for (size_t i = 0; i < b.nrel; i++)
		g->releases = jv_array_append(g->releases, node_release(g, b.releases[i]));
	prbody_free(&b);
}

/* ---- matching */

static int holds(jv e, const char *list, const char *value)
{
	jv lists = json_get(e, "lists"), l = json_get(lists, list);
	int found = 0;
	if (jv_get_kind(l) == JV_KIND_ARRAY)
		jv_array_foreach(l, i, v) {
			found |= !strcmp(jv_string_value(v), value);
			jv_free(v);
		}
	jv_free(l);
	jv_free(lists);
	return found;
}

/* Usable signed candidates of the value's profile that hold it (simulated
 * ones never back locked-read-only); for a node list, else a verified node
 * release. What backs it (a new string), or NULL. */
static char *backing(struct gate *g, const struct added *a)
{
	int locked = !strcmp(a->profile, "locked-read-only");
	char *by = NULL;
	jv_array_foreach(g->candidates, i, e) {
		jv usable = json_get(e, "usable"), sim = json_get(e, "simulated");
		const char *p = json_str(e, "profile");
		int ok = !by && jv_get_kind(usable) == JV_KIND_TRUE && p && !strcmp(p, a->profile) &&
			 !(locked && jv_get_kind(sim) == JV_KIND_TRUE) && holds(e, a->list, a->value);
		if (ok && asprintf(&by, "signed candidates #%d (sha256 %.12s)", i + 1, json_str(e, "sha256")) < 0)
			fail(EXIT_SOFTWARE, "out of memory");
		jv_free(usable);
		jv_free(sim);
		jv_free(e);
	}
	if (by || strncmp(a->list, "node_allowed_", 13) != 0)
		return by;
	jv_array_foreach(g->releases, i, e) {
		jv lists = json_get(e, "lists"), mine = json_get(lists, a->profile);
		if (!by && jv_get_kind(mine) == JV_KIND_OBJECT) {
			jv wrap = JV_OBJECT(jv_string("lists"), jv_copy(mine));
			if (holds(wrap, a->list, a->value) && asprintf(&by, "node release %s", json_str(e, "tag")) < 0)
				fail(EXIT_SOFTWARE, "out of memory");
			jv_free(wrap);
		}
		jv_free(mine);
		jv_free(lists);
		jv_free(e);
	}
	return by;
}

/* Why the body's evidence backs nothing, for the message. */
static void evidence_notes(struct gate *g, struct buf *b)
{
	if (jv_array_length(jv_copy(g->candidates)) == 0 && jv_array_length(jv_copy(g->releases)) == 0) {
		buf_printf(b, "; the body holds no signed candidates and names no node release");
		return;
	}
	jv_array_foreach(g->candidates, i, e) {
		const char *why = json_str(e, "refused"), *p = json_str(e, "profile");
		if (why)
			buf_printf(b, "; signed candidates #%d: %s", i + 1, why);
		else
			buf_printf(b, "; signed candidates #%d are of profile %s", i + 1, p ? p : "?");
		jv_free(e);
	}
	jv_array_foreach(g->releases, i, e) {
		const char *why = json_str(e, "refused");
		if (why)
			buf_printf(b, "; node release %s: %s", json_str(e, "tag"), why);
		jv_free(e);
	}
}

void values_back(struct gate *g)
{
	jv list = jv_array();
	struct buf bad;
	buf_init(&bad);
	size_t unbacked = 0;
	for (size_t i = 0; i < g->nadd; i++) {
		struct added *a = &g->add[i];
		a->backed_by = backing(g, a);
		list = jv_array_append(list, JV_OBJECT(jv_string("file"), jv_string(a->file), jv_string("list"),
						       jv_string(a->list), jv_string("value"), jv_string(a->value),
						       jv_string("backed_by"), a->backed_by ? jv_string(a->backed_by) : jv_null()));
		if (!a->backed_by && unbacked++ < 3)
			buf_printf(&bad, "%s%s %s '%.16s...'", unbacked > 1 ? ", " : "", a->file, a->list, a->value);
	}
	jv ev = JV_OBJECT(jv_string("added"), list, jv_string("candidates"), jv_copy(g->candidates), jv_string("releases"),
			  jv_copy(g->releases));
	if (!g->nadd) {
		req_add(g, "values", 1, ev, "the pull request adds no allowlist value");
	} else if (!unbacked) {
		req_add(g, "values", 1, ev, "all %zu added values are in verified signed evidence of their profile", g->nadd);
	} else {
		evidence_notes(g, &bad);
		req_add(g, "values", 0, ev, "%zu of %zu added values are in no verified signed candidates of their profile "
					    "(nor a verified node release): %s", unbacked, g->nadd, (char *)bad.data);
	}
	buf_free(&bad);
}
