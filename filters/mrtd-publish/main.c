/* mrtd-publish: validate the per-profile measurements of a node image's probe
 * VMs and assemble published-mrtds.json for the release mero-tee-vX.Y.Z (the
 * seed's "Node Image GCP Policy Promotion"); --check validates a published
 * file as a consumer reads it. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/json.h"
#include "publish.h"

enum {
	OPT_TAG = 't', OPT_FAMILY = 'f', OPT_SIM = 's', OPT_PREVIOUS = 'p', OPT_OUTPUT = 'o', OPT_NOTES = 'n',
	OPT_VERSIONS = 'V', OPT_CHECK = 'c'
};

static const struct cli_opt options[] = {
	{"release-tag", OPT_TAG, "TAG", "the node image release, mero-tee-vX.Y.Z (required unless --check)", 0},
	{"image-family", OPT_FAMILY, "NAME", "the GCP image families: a prefix (families PREFIX-PROFILE; default\n"
					     "mero-tee), or PROFILE=FAMILY for one profile", CLI_REPEAT},
	{"allow-simulated", OPT_SIM, NULL, "accept simulated or unverified measurements (the file then says so)", 0},
	{"previous", OPT_PREVIOUS, "FILE", "the release's current published-mrtds.json: when only generated_at\n"
					   "would change, its bytes are written again (nothing to upload)", 0},
	{"output", OPT_OUTPUT, "FILE", "write published-mrtds.json to FILE (atomically) instead of stdout", 0},
	{"notes", OPT_NOTES, "FILE", "also write the release notes (markdown) to FILE; needs --versions", 0},
	{"versions", OPT_VERSIONS, "FILE", "policies/versions.json: the KMS version this node release goes with", 0},
	{"check", OPT_CHECK, "FILE", "validate a published-mrtds.json instead (shape and rules); prints a summary", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "mrtd-publish --release-tag TAG [--image-family NAME]... [--allow-simulated] [--previous FILE]\n"
		    "                    [--output FILE] [--notes FILE --versions FILE] CANDIDATES... > PUBLISHED_JSON\n"
		    "       mrtd-publish --check FILE",
	.about = "Validate the measurements of a node image's probe VMs, per profile, and assemble published-mrtds.json.",
	.opts = options,
	.trailer = "CANDIDATES: a folder (measurement-policy-candidates-PROFILE.json or\n"
		   "PROFILE/measurement-policy-candidates.json in it), candidates files (mrtd-extract's, or the\n"
		   "upstream extractor's named by profile, verified by a verification-PROFILE.json beside it), or\n"
		   "one file keyed by profile.\n"
		   "stdout: published-mrtds.json, canonical JSON (generated_at honours SOURCE_DATE_EPOCH).\n"
		   "exit: 0 ok, 1 a rule broken (one line naming the profile and the rule; --check: the file\n"
		   "is not valid), 2 usage, 65 malformed input, 66 a file missing, 74 write error.",
	.max_operands = -1,
};

struct opts {
	const char *previous, *output, *notes, *versions, *check;
	const char *families[16];
	int nfamilies;
};

static int family_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* The image family of each profile: PROFILE=FAMILY, else PREFIX-PROFILE. */
static void set_families(struct run *r, const struct opts *o, struct cli *cl)
{
	const char *prefix = "mero-tee";
	for (int i = 0; i < o->nfamilies; i++) {
		const char *v = o->families[i], *eq = strchr(v, '=');
		if (!eq) {
			if (!family_ok(v))
				cli_usage(cl, "--image-family '%s' is not a GCP image family name (a-z, 0-9, '-')", v);
			prefix = v;
			continue;
		}
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(eq - v < 63 ? eq - v : 63), v);
		const char *p = profile_lookup(name);
		if (!p || strcmp(p, name) != 0 || !family_ok(eq + 1))
			cli_usage(cl, "--image-family '%s' must be PROFILE=FAMILY (%s; a-z, 0-9, '-')", v, profile_choices());
		for (int k = 0; k < MP_NPROFILES; k++)
			if (strcmp(r->p[k].name, p) == 0)
				r->p[k].family = xstrdup(eq + 1);
	}
	for (int k = 0; k < MP_NPROFILES; k++)
		if (!r->p[k].family && asprintf(&r->p[k].family, "%s-%s", prefix, r->p[k].name) < 0)
			fail(EXIT_SOFTWARE, "out of memory");
}

static void parse_args(int argc, char **argv, struct run *r, struct opts *o, struct cli *cl)
{
	cli_parse(cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(cl, &v));) {
		switch (c) {
		case OPT_TAG: r->release_tag = v; break;
		case OPT_FAMILY:
			if (o->nfamilies == 16)
				cli_usage(cl, "--image-family given more than 16 times");
			o->families[o->nfamilies++] = v;
			break;
		case OPT_SIM: r->allow_simulated = 1; break;
		case OPT_PREVIOUS: o->previous = v; break;
		case OPT_OUTPUT: o->output = v; break;
		case OPT_NOTES: o->notes = v; break;
		case OPT_VERSIONS: o->versions = v; break;
		case OPT_CHECK: o->check = v; break;
		}
	}
	if (o->check) {
		if (cl->noperands || r->release_tag || o->nfamilies || r->allow_simulated || o->previous || o->output ||
		    o->notes || o->versions)
			cli_usage(cl, "--check FILE takes no other option and no CANDIDATES");
		return;
	}
	if (!r->release_tag)
		cli_usage(cl, "--release-tag TAG is required");
	const char *ver = strncmp(r->release_tag, "mero-tee-v", 10) == 0 ? r->release_tag + 10 : "";
	if (!kms_version_valid(ver) || strcmp(kms_version_bare(ver), ver) != 0)
		cli_usage(cl, "--release-tag must be mero-tee-vX.Y.Z, the node image release (got '%s')", r->release_tag);
	r->version = ver;
	if (o->notes && !o->versions)
		cli_usage(cl, "--notes needs --versions FILE (the version coupling the notes document)");
	if (cl->noperands == 0)
		cli_usage(cl, "no CANDIDATES given");
	for (int i = 0; i < MP_NPROFILES; i++)
		r->p[i].name = mp_profiles[i];
	set_families(r, o, cl);
}

/* --check FILE: exit 0 with a summary, 1 with the broken rule. */
static int run_check(const char *path)
{
	char err[600];
	jv doc = json_read_file(path, 16 * MP_MIB);
	const char *tag = json_str(doc, "tag"), *rel = json_str(doc, "release_tag");
	jv sim = json_get(doc, "simulated");
	char line[400];
	snprintf(line, sizeof line, "%s: node %s%s%s%s, %d profiles, %s\n", path, tag ? tag : "?", rel ? " (" : "",
		 rel ? rel : "", rel ? ")" : "", MP_NPROFILES,
		 jv_get_kind(sim) == JV_KIND_TRUE ? "SIMULATED (published with ALLOW_SIMULATED)" : "verified measurements");
	jv_free(sim);
	if (check_published(doc, err, sizeof err))
		fail(EXIT_NO, "%s: %s", path, err);
	out_write(line, strlen(line));
	close_stdout();
	return 0;
}

/* The document's bytes, or previous's when only generated_at differs. */
static void settle_previous(jv doc, const char *previous, struct buf *out)
{
	struct buf old;
	char err[512];
	json_dump_buf(jv_copy(doc), 1, out);
	if (!previous)
		return;
	read_file_capped(previous, 16 * MP_MIB, &old, 0);
	jv prev = json_parse((const char *)old.data, old.len, err, sizeof err);
	if (!jv_is_valid(prev))
		fail(EXIT_DATAERR, "cannot parse the previous '%s': %s", previous, err);
	jv a = jv_get_kind(prev) == JV_KIND_OBJECT ? jv_object_delete(prev, jv_string("generated_at")) : prev;
	jv b = jv_object_delete(jv_copy(doc), jv_string("generated_at"));
	if (jv_equal(a, b)) {
		buf_free(out);
		*out = old;
		return;
	}
	buf_free(&old);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct run r;
	struct opts o;
	struct cli cl;
	memset(&r, 0, sizeof r);
	memset(&o, 0, sizeof o);
	parse_args(argc, argv, &r, &o, &cl);
	if (o.check) {
		cli_free(&cl);
		return run_check(o.check);
	}
	read_inputs(&r, cl.operands, cl.noperands);
	check_rules(&r);
	jv doc = published_document(&r);
	struct buf out, notes;
	char err[600];
	buf_init(&out);
	buf_init(&notes);
	settle_previous(doc, o.previous, &out);
	jv_free(doc);
	if (o.notes && release_notes(&r, &out, o.versions, &notes, err, sizeof err))
		fail(EXIT_NO, "release notes: %s", err);
	if (o.notes)
		write_file(o.notes, notes.data, notes.len, 0644);
	write_output(o.output, out.data, out.len);
	buf_free(&notes);
	buf_free(&out);
	for (int i = MP_NPROFILES - 1; i >= 0; i--) {
		struct prof *p = &r.p[i];
		free(p->tcb_status);
		free(p->quote_sha256);
		free(p->timestamp);
		free(p->family);
		free(p->base);
		free(p->file);
		cand_free(&p->c);
	}
	cli_free(&cl);
	return 0;
}
