/* policy-bundle: what a KMS release mero-kms-vX.Y.Z carries besides its
 * policy files: the checks a released policy must pass (each file's tag is
 * the version, its profile the one its name says, it loads as mero-kms loads
 * it at startup, the legacy file is the locked-read-only one), the
 * compatibility map (per profile the policy's SHA-256, the KMS compose hash,
 * the node image release it goes with) and the release notes. */
#include <string.h>

#include "lib/assetname.h"
#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/coupling.h"
#include "lib/json.h"
#include "lib/policy.h"
#include "lib/profile.h"
#include "lib/sha.h"

#define POLICY_BASE "kms-phala-attestation-policy"
#define DEFAULT_REPO "calimero-network/mero-tee"

enum { OPT_VERSION = 'v', OPT_VERSIONS = 'V', OPT_DIR = 'd', OPT_REPO = 'r', OPT_MAP = 'm', OPT_NOTES = 'n',
       OPT_HISTORY = 'H' };

static const struct cli_opt options[] = {
	{"kms-version", OPT_VERSION, "X.Y.Z", "the KMS release's version (a mero-kms-v or v prefix is dropped); required", 0},
	{"versions", OPT_VERSIONS, "FILE", "policies/versions.json: the node image release it goes with; required", 0},
	{"dir", OPT_DIR, "DIR", "where the policy files are (default policies)", 0},
	{"repo", OPT_REPO, "REPO", "the repository of the release, for the policy URLs (default " DEFAULT_REPO ")", 0},
	{"map", OPT_MAP, "FILE", "write kms-phala-compatibility-map.json to FILE (default: stdout)", 0},
	{"notes", OPT_NOTES, "FILE", "also write the release notes (markdown) to FILE", 0},
	{"history", OPT_HISTORY, "FILE", "lines \"PROFILE<TAB>TEXT\": the promotions (commits, pull requests)\n"
					 "the notes name for each profile", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-bundle --kms-version X.Y.Z --versions FILE [--dir DIR] [--repo OWNER/NAME] [--map FILE]\n"
		    "                     [--notes FILE] [--history FILE] > COMPATIBILITY_MAP",
	.about = "Check the policy files of a KMS release and write its compatibility map and notes.",
	.opts = options,
	.trailer = "Reads DIR/" POLICY_BASE ".PROFILE.json for each profile and DIR/" POLICY_BASE ".json.\n"
		   "stdout: kms-phala-compatibility-map.json, canonical JSON (unless --map).\n"
		   "exit: 0 ok, 1 a file a release cannot carry (one line naming it and why), 2 usage, 65 a\n"
		   "malformed file, 66 a file missing, 74 write error.",
};

struct opts {
	const char *version, *versions, *dir, *repo, *map, *notes, *history;
};

struct file {
	const char *profile;
	char name[96];
	struct buf bytes;
	char sha[65];
	jv root;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_VERSION: o->version = v; break;
		case OPT_VERSIONS: o->versions = v; break;
		case OPT_DIR: o->dir = v; break;
		case OPT_REPO: o->repo = v; break;
		case OPT_MAP: o->map = v; break;
		case OPT_NOTES: o->notes = v; break;
		case OPT_HISTORY: o->history = v; break;
		}
	}
	if (!o->version || !o->versions)
		cli_usage(&cl, "--kms-version X.Y.Z and --versions FILE are required");
	if (!kms_version_valid(o->version))
		cli_usage(&cl, "--kms-version must be X.Y.Z with an optional -suffix (got '%s')", o->version);
	o->version = kms_version_bare(o->version);
	if (o->repo && !repo_name_ok(o->repo))
		cli_usage(&cl, "--repo needs OWNER/NAME (letters, digits, '.', '_', '-')");
	if (!o->dir)
		o->dir = "policies";
	if (!o->repo)
		o->repo = DEFAULT_REPO;
	cli_free(&cl);
}

static void read_policy(const struct opts *o, struct file *f, const char *profile)
{
	char path[4200], err[512];
	uint8_t md[32];
	f->profile = profile;
	snprintf(f->name, sizeof f->name, profile ? POLICY_BASE ".%s.json" : POLICY_BASE ".json", profile);
	snprintf(path, sizeof path, "%s/%s", o->dir, f->name);
	read_file_capped(path, 16 * MP_MIB, &f->bytes, 0);
	f->root = json_parse((const char *)f->bytes.data, f->bytes.len, err, sizeof err);
	if (!jv_is_valid(f->root))
		fail(EXIT_DATAERR, "cannot parse '%s': %s", path, err);
	sha256(f->bytes.data, f->bytes.len, md);
	hex_encode_to(md, 32, f->sha);
}

/* What a released file must be; exits 1 naming the file. */
static void check_file(const struct opts *o, const struct file *f)
{
	char err[512];
	const char *tag = json_str(f->root, "tag");
	if (!tag || strcmp(tag, o->version) != 0)
		fail(EXIT_NO, "%s: tag '%s' is not the release's version %s: a release carries policy files bumped to "
			      "its version in a merged pull request", f->name, tag ? tag : "(missing)", o->version);
	struct kms_policy p;
	/* as mero-kms loads it from the release (node lists), then starts (every list filled) */
	if (policy_from_json(f->root, POLICY_NODE, o->version, f->profile, 0, &p, err, sizeof err) ||
	    policy_requirements(&p, err, sizeof err))
		fail(EXIT_NO, "%s: mero-kms %s would refuse it: %s", f->name, o->version, err);
	policy_free(&p);
}


/* The node image version the release goes with, from the versions file. */
static const char *node_version(jv versions)
{
	const char *n = json_str(versions, "node_image_version");
	return n && kms_version_valid(n) ? kms_version_bare(n) : NULL;
}

static jv compat_map(const struct opts *o, const struct file *f, jv versions)
{
	jv profiles = jv_object();
	for (int i = 0; i < MP_NPROFILES; i++) {
		jv policy = json_get(f[i].root, "policy"), pay = json_get(policy, "kms_allowed_event_payload");
		jv first = jv_get_kind(pay) == JV_KIND_ARRAY && jv_array_length(jv_copy(pay)) > 0 ? jv_array_get(jv_copy(pay), 0)
												  : jv_null();
		char url[600];
		snprintf(url, sizeof url, "https://github.com/%s/releases/download/mero-kms-v%s/%s", o->repo, o->version,
			 f[i].name);
		jv e = JV_OBJECT(jv_string("node_profile"), jv_string(f[i].profile), jv_string("kms_policy_asset"),
				 jv_string(f[i].name), jv_string("kms_policy_sha256"), jv_string(f[i].sha),
				 jv_string("kms_policy_url"), jv_string(url), jv_string("event_payload"), first);
		JSET(profiles, f[i].profile, e);
		jv_free(pay);
		jv_free(policy);
	}
	char kms_tag[128], node_tag[128];
	const char *node = node_version(versions);
	snprintf(kms_tag, sizeof kms_tag, "mero-kms-v%s", o->version);
	snprintf(node_tag, sizeof node_tag, "mero-tee-v%s", node ? node : "");
	jv c = JV_OBJECT(jv_string("version"), jv_string(o->version), jv_string("kms_tag"), jv_string(kms_tag),
			 jv_string("node_image_tag"), node ? jv_string(node_tag) : jv_null(), jv_string("profiles"), profiles,
			 jv_string("legacy_policy_asset"), jv_string(f[MP_NPROFILES].name),
			 jv_string("legacy_policy_sha256"), jv_string(f[MP_NPROFILES].sha));
	return JV_OBJECT(jv_string("schema_version"), jv_number(1), jv_string("tag"), jv_string(o->version),
			 jv_string("compatibility"), c);
}

/* ---- notes ---- */

static void add_values(struct buf *b, const char *label, jv policy, const char *key)
{
	jv l = json_get(policy, key);
	buf_printf(b, "- %s:", label);
	int n = jv_get_kind(l) == JV_KIND_ARRAY ? jv_array_length(jv_copy(l)) : 0;
	for (int i = 0; i < n; i++) {
		jv v = jv_array_get(jv_copy(l), i);
		buf_printf(b, "%s `%s`", i ? "," : "", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "?");
		jv_free(v);
	}
	buf_printf(b, "%s\n", n ? "" : " none");
	jv_free(l);
}

/* One provenance record: a probe's quote, or a node image release. */
static void add_record(struct buf *b, const char *label, const char *value, jv r)
{
	const char *src = json_str(r, "source"), *q = json_str(r, "quote_sha256"), *c = json_str(r, "candidates_sha256");
	const char *st = json_str(r, "tcb_status"), *tag = json_str(r, "tag"), *pub = json_str(r, "published_sha256");
	jv ver = json_get(r, "verified"), sim = json_get(r, "simulated");
	if (src && strcmp(src, "published-mrtds") == 0)
		buf_printf(b, "- %s: MRTD `%.16s...` from the node image release %s (published-mrtds.json SHA-256 `%s`)%s\n",
			   label, value, tag ? tag : "?", pub ? pub : "?", jv_get_kind(sim) == JV_KIND_FALSE ? "" : " (simulated)");
	else
		buf_printf(b, "- %s: MRTD `%.16s...` from source `%s`, quote SHA-256 `%s`, candidates SHA-256 `%s`, %s%s%s\n",
			   label, value, src ? src : "?", q ? q : "?", c ? c : "?",
			   jv_get_kind(ver) == JV_KIND_TRUE ? "verified " : "NOT verified ", st ? st : "",
			   jv_get_kind(sim) == JV_KIND_FALSE ? "" : " (simulated)");
	jv_free(ver);
	jv_free(sim);
}

/* Where a list's MRTD values came from: one line per value's record. */
static void add_sources(struct buf *b, jv root, const char *key, const char *label)
{
	jv prov = json_get(root, "provenance"), recs = json_get(prov, key);
	if (jv_get_kind(recs) == JV_KIND_OBJECT) {
		jv_object_foreach(recs, k, r) {
			add_record(b, label, jv_string_value(k), r);
			jv_free(k);
			jv_free(r);
		}
	}
	jv_free(recs);
	jv_free(prov);
}

/* The --history lines of one profile, printable, at most 5. */
static void add_history(struct buf *b, const struct buf *h, const char *profile)
{
	const char *p = h ? (const char *)h->data : "", *end = p + (h ? h->len : 0);
	int n = 0;
	size_t pl = strlen(profile);
	while (p < end && n < 5) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if ((size_t)(e - p) > pl && strncmp(p, profile, pl) == 0 && p[pl] == '\t') {
			buf_printf(b, "- promotion: ");
			for (const char *q = p + pl + 1; q < e && q < p + pl + 201; q++)
				buf_addc(b, (unsigned char)*q < 0x20 || *q == 0x7f ? ' ' : *q);
			buf_addc(b, '\n');
			n++;
		}
		p = e + 1;
	}
}

static int notes(const struct opts *o, const struct file *f, const struct buf *history, struct buf *b, char *err,
		 size_t errlen)
{
	buf_printf(b, "# mero-kms-v%s: KMS attestation policies\n\n", o->version);
	buf_printf(b, "The policy files mero-kms %s fetches at startup, one per profile, and the legacy `%s` (a copy of "
		      "the locked-read-only file), from merged pull requests only (ADR-0002). Released policy is "
		      "immutable: a change needs a new version. Each file's SHA-256 is the `MERO_KMS_POLICY_SHA256` pin "
		      "of its KMS; `kms-phala-compatibility-map.json` lists them, and the release's checksums file, "
		      "signed with cosign (`.sig` and Sigstore bundle), covers every file.\n",
		   o->version, f[MP_NPROFILES].name);
	for (int i = 0; i < MP_NPROFILES; i++) {
		jv policy = json_get(f[i].root, "policy");
		buf_printf(b, "\n## %s\n\n- policy: `%s`, SHA-256 `%s`\n", f[i].profile, f[i].name, f[i].sha);
		add_values(b, "compose hash (kms_allowed_event_payload)", policy, "kms_allowed_event_payload");
		add_values(b, "KMS TCB statuses", policy, "kms_allowed_tcb_statuses");
		for (int g = 0; g < POLICY_NREG; g++) {
			char key[64], label[64];
			snprintf(key, sizeof key, "kms_allowed_%s", policy_regs[g]);
			snprintf(label, sizeof label, "KMS %s", policy_reg_labels[g]);
			add_values(b, label, policy, key);
		}
		add_values(b, "node TCB statuses", policy, "node_allowed_tcb_statuses");
		add_values(b, "node MRTD", policy, "node_allowed_mrtd");
		add_sources(b, f[i].root, "kms_allowed_mrtd", "probe");
		add_sources(b, f[i].root, "node_allowed_mrtd", "node");
		add_history(b, history, f[i].profile);
		jv_free(policy);
	}
	buf_printf(b, "\n## Version coupling\n\n");
	return coupling_paragraph(o->versions, "kms", o->version, b, err, errlen);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct opts o = {0};
	struct file f[MP_NPROFILES + 1];
	parse_args(argc, argv, &o);
	for (int i = 0; i <= MP_NPROFILES; i++)
		read_policy(&o, &f[i], i < MP_NPROFILES ? mp_profiles[i] : NULL);
	for (int i = 0; i < MP_NPROFILES; i++)
		check_file(&o, &f[i]);
	const struct file *locked = &f[MP_NPROFILES - 1];
	if (f[MP_NPROFILES].bytes.len != locked->bytes.len || memcmp(f[MP_NPROFILES].bytes.data, locked->bytes.data,
								      locked->bytes.len) != 0)
		fail(EXIT_NO, "%s is not a byte copy of %s (make policies)", f[MP_NPROFILES].name, locked->name);
	jv versions = json_read_file(o.versions, MP_MIB);
	struct buf map, text, hist, *history = NULL;
	char err[600];
	buf_init(&map);
	buf_init(&text);
	if (o.history) {
		read_file_capped(o.history, MP_MIB, &hist, 0);
		history = &hist;
	}
	json_dump_buf(compat_map(&o, f, versions), 1, &map);
	if (o.notes && notes(&o, f, history, &text, err, sizeof err))
		fail(EXIT_NO, "release notes: %s", err);
	if (o.notes)
		write_file(o.notes, text.data, text.len, 0644);
	write_output(o.map, map.data, map.len);
	if (history)
		buf_free(history);
	buf_free(&text);
	buf_free(&map);
	jv_free(versions);
	for (int i = MP_NPROFILES; i >= 0; i--) {
		jv_free(f[i].root);
		buf_free(&f[i].bytes);
	}
	return 0;
}
