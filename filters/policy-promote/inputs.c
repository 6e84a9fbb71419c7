/* The inputs of a promotion: the candidates and their signature (a file, a
 * probe folder, or a workflow run's artifact), verified with the project's
 * key before anything else reads them; the probe report when its own
 * signature verifies too; then the checks on what the candidates say. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/json.h"
#include "lib/profile.h"
#include "lib/sigcheck.h"
#include "promote.h"

#define CAND_CAP (16 * MP_MIB)
#define SIG_CAP (64 * 1024)

static char *join(const char *dir, const char *name)
{
	char *s;
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return s;
}

static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path)) : xstrdup(".");
}

/* The probe report beside the candidates, kept only when its signature
 * verifies with the same key. */
static void read_report(struct promote *p, const char *dir)
{
	char *rpath = join(dir, REPORT_NAME), *spath = join(dir, REPORT_NAME ".sig");
	struct buf sig;
	char why[200];
	if (read_file_capped(rpath, CAND_CAP, &p->report, RF_SOFT) != 0) {
		snprintf(p->report_note, sizeof p->report_note, "no %s beside the candidates", REPORT_NAME);
	} else if (read_file_capped(spath, SIG_CAP, &sig, RF_SOFT) != 0) {
		snprintf(p->report_note, sizeof p->report_note, "%s has no readable signature (%s.sig)", REPORT_NAME,
			 REPORT_NAME);
		buf_free(&p->report);
	} else {
		int st = sig_verify(p->o.key, &p->report, &sig, why, sizeof why);
		if (st == 0) {
			p->have_report = 1;
		} else {
			snprintf(p->report_note, sizeof p->report_note, "the signature of %s does not verify: %s",
				 REPORT_NAME, why);
			buf_free(&p->report);
		}
		buf_free(&sig);
	}
	if (!p->have_report)
		warnx("the probe report is left out of the pull request: %s", p->report_note);
	free(rpath);
	free(spath);
}

/* Keep a copy of what was verified in the work folder (the evidence the
 * pull request's body is built from). */
static void keep(struct promote *p, const char *name, const struct buf *b)
{
	char *path = join(p->work, name);
	write_file(path, b->data, b->len, 0644);
	free(path);
}

void inputs_read(struct promote *p)
{
	char *cand, *sig;
	struct stat st;
	if (p->o.run_id)
		cand = fetch_run(p);
	else if (stat(p->o.candidates, &st) == 0 && S_ISDIR(st.st_mode))
		cand = join(p->o.candidates, CANDIDATES_NAME);
	else
		cand = xstrdup(p->o.candidates);
	if (p->o.signature)
		sig = xstrdup(p->o.signature);
	else if (asprintf(&sig, "%s.sig", cand) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	read_file_capped(cand, CAND_CAP, &p->cand, 0);
	read_file_capped(sig, SIG_CAP, &p->sig, 0);
	char why[300];
	int rc = sig_verify(p->o.key, &p->cand, &p->sig, why, sizeof why);
	if (rc == EXIT_NO)
		fail(EXIT_NO, "the signature %s of %s does not verify with %s: %s", sig, cand, p->o.key, why);
	if (rc)
		fail(rc, "cannot check the signature %s of %s with %s: %s", sig, cand, p->o.key, why);
	sha256_hex(p->cand.data, p->cand.len, p->cand_sha);
	sha256_hex(p->sig.data, p->sig.len, p->sig_sha);
	char *dir = folder_of(cand);
	read_report(p, dir);
	free(dir);
	keep(p, CANDIDATES_NAME, &p->cand);
	keep(p, CANDIDATES_NAME ".sig", &p->sig);
	if (p->have_report)
		keep(p, REPORT_NAME, &p->report);
	free(cand);
	free(sig);
}

/* ---- what the candidates say */

static const char *str_at(jv o, const char *key, const char *what)
{
	const char *s = json_str(o, key);
	if (!s)
		fail(EXIT_DATAERR, "the candidates have no %s (a string): not mrtd-extract's candidates", what);
	return s;
}

static int is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return 0;
	return 1;
}

/* ADR-0001: the profile the probe pinned and the one the KMS reported. */
static void check_profiles(struct promote *p, jv prov)
{
	const char *pinned = profile_lookup(str_at(p->cj, "profile", "profile"));
	if (!pinned || strcmp(pinned, json_str(p->cj, "profile")) != 0)
		fail(EXIT_DATAERR, "the candidates' profile '%s' is not %s", json_str(p->cj, "profile"), profile_choices());
	if (strcmp(pinned, p->o.profile) != 0)
		fail(EXIT_NO, "the candidates are for profile %s, not %s: candidates never cross profiles (ADR-0001)",
		     pinned, p->o.profile);
	jv mp = json_get(prov, "measured_profile");
	if (jv_get_kind(mp) == JV_KIND_STRING) {
		const char *m = profile_lookup(jv_string_value(mp));
		if (!m || strcmp(m, pinned) != 0)
			fail(EXIT_NO, "the candidates' recorded profiles disagree: the probe pinned %s, the KMS reported '%s' "
				      "(ADR-0001)", pinned, jv_string_value(mp));
	} else if (jv_get_kind(mp) != JV_KIND_NULL && jv_is_valid(mp)) {
		fail(EXIT_DATAERR, "the candidates' provenance.measured_profile is neither a string nor null");
	}
	jv_free(mp);
}

static void check_trust(struct promote *p, jv prov)
{
	jv unv = json_get(prov, "unverified"), sim = json_get(prov, "simulated");
	int unverified = jv_get_kind(unv) != JV_KIND_FALSE;
	p->simulated = !strcmp(p->source, "sim") || jv_get_kind(sim) != JV_KIND_FALSE;
	jv_free(unv);
	jv_free(sim);
	if (unverified)
		fail(EXIT_NO, "the candidates are not marked verified (provenance.unverified): they are never promoted");
	if (p->simulated && !strcmp(p->o.profile, "locked-read-only"))
		fail(EXIT_NO, "the candidates are simulated (source %s): they are never promoted into locked-read-only",
		     p->source);
	if (p->simulated && !p->o.allow_simulated)
		fail(EXIT_NO, "the candidates are simulated (source %s, not TDX hardware): promoting them into %s needs "
			      "--allow-simulated (make promote ALLOW_SIMULATED=1)", p->source, p->o.profile);
}

/* The release tag: --release-tag, else the KMS version the probe ran; the
 * two must agree when both are known. */
static void release_tag(struct promote *p, jv prov)
{
	const char *v = json_str(prov, "kms_version");
	if (v && !kms_version_valid(v))
		fail(EXIT_DATAERR, "the candidates' provenance.kms_version '%s' is not a version", v);
	if (p->o.tag && v && strcmp(kms_version_bare(p->o.tag), kms_version_bare(v)) != 0)
		fail(EXIT_NO, "the candidates were measured on KMS %s, not on the release %s", kms_version_bare(v),
		     kms_version_bare(p->o.tag));
	const char *t = p->o.tag ? p->o.tag : v;
	if (!t)
		fail(EXIT_DATAERR, "the candidates name no KMS version (provenance.kms_version): give --release-tag");
	snprintf(p->tag, sizeof p->tag, "%s", kms_version_bare(t));
}

void inputs_check(struct promote *p)
{
	char err[300];
	p->cj = json_parse((const char *)p->cand.data, p->cand.len, err, sizeof err);
	if (!jv_is_valid(p->cj))
		fail(EXIT_DATAERR, "the candidates are not JSON: %s", err);
	if (jv_get_kind(p->cj) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "the candidates are not a JSON object");
	jv sv = json_get(p->cj, "schema_version");
	int v1 = jv_get_kind(sv) == JV_KIND_NUMBER && jv_number_value(sv) == 1;
	jv_free(sv);
	if (!v1)
		fail(EXIT_DATAERR, "the candidates' schema_version is not 1");
	p->role = str_at(p->cj, "role", "role");
	if (strcmp(p->role, "kms") != 0 && strcmp(p->role, "node") != 0)
		fail(EXIT_DATAERR, "the candidates' role '%s' is neither kms nor node", p->role);
	p->source = str_at(p->cj, "source", "source");
	jv prov = json_get(p->cj, "provenance"), pol = json_get(p->cj, "policy");
	if (jv_get_kind(prov) != JV_KIND_OBJECT || jv_get_kind(pol) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "the candidates have no provenance or policy object: not mrtd-extract's candidates");
	check_profiles(p, prov);
	check_trust(p, prov);
	release_tag(p, prov);
	p->quote_sha = json_str(prov, "quote_sha256");
	if (p->quote_sha && !is_hex64(p->quote_sha))
		fail(EXIT_DATAERR, "the candidates' provenance.quote_sha256 is not 64 lower-case hex digits");
	jv_free(prov);
	jv_free(pol);
}
