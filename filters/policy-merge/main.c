/* policy-merge: merge measurement candidates (and a node release's published
 * measurements) into a profile's policy file. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/json.h"
#include "lib/profile.h"
#include "lib/sha.h"
#include "merge.h"

enum {
	OPT_POLICY = 'p', OPT_PROFILE = 'P', OPT_ROLE = 'r', OPT_PUBLISHED = 'u', OPT_VERIFICATION = 'v',
	OPT_SIGNATURE = 's', OPT_OUTPUT = 'o', OPT_REPLACE = 'R', OPT_SIM = 'S', OPT_UNVERIFIED = 'U', OPT_STRUCT = 'T'
};

static const struct cli_opt options[] = {
	{"policy", OPT_POLICY, "FILE", "the profile's policy file to merge into; required", 0},
	{"profile", OPT_PROFILE, "P", "the profile (must be the file's; required for upstream candidates)", 0},
	{"role", OPT_ROLE, "ROLE", "kms or node (must be the candidates'; required for upstream candidates)", 0},
	{"published", OPT_PUBLISHED, "FILE", "a node release's published-mrtds.json: fills node_allowed_* from\n"
					     ".profiles[P].allowed_* (stdin may then be empty)", 0},
	{"verification", OPT_VERIFICATION, "FILE", "quote-verify's verdict of the quote upstream candidates came from", 0},
	{"signature", OPT_SIGNATURE, "FILE", "the candidates' signature (.sig): its SHA-256 goes into the provenance", 0},
	{"output", OPT_OUTPUT, "FILE", "write the policy to FILE (atomically; may be the --policy file)", 0},
	{"replace", OPT_REPLACE, NULL, "replace the lists the candidates fill instead of appending to them", 0},
	{"allow-simulated", OPT_SIM, NULL, "accept simulated candidates (never into locked-read-only)", 0},
	{"allow-unverified", OPT_UNVERIFIED, NULL, "accept unverified candidates (never into locked-read-only)", 0},
	{"allow-structure", OPT_STRUCT, NULL, "accept a change to anything but allowlists and provenance (tag, new lists)",
	 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "policy-merge --policy FILE [--profile P] [--role kms|node] [--published FILE] [--verification FILE]\n"
		    "       [--signature FILE] [--replace] [--allow-simulated] [--allow-unverified] [--allow-structure]\n"
		    "       [--output FILE] < CANDIDATES > POLICY",
	.about = "Merge measurement candidates into a KMS attestation policy file, as mero-kms will read it.",
	.opts = options,
	.trailer = "stdin: measurement-policy-candidates.json (mrtd-extract's, or the upstream extractor's).\n"
		   "stdout: the updated policy, canonical JSON (unless --output).\n"
		   "exit: 0 ok, 1 refused (one line naming the value and the rule), 2 usage, 65 malformed input,\n"
		   "66 a file missing, 74 write error.",
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *v;
	for (int c; (c = cli_next(&cl, &v));) {
		switch (c) {
		case OPT_POLICY: o->policy = v; break;
		case OPT_PROFILE:
			if (!(o->profile = profile_lookup(v)))
				cli_usage(&cl, "--profile must be %s (got '%s')", profile_choices(), v);
			break;
		case OPT_ROLE:
			if (strcmp(v, "kms") != 0 && strcmp(v, "node") != 0)
				cli_usage(&cl, "--role must be kms or node (got '%s')", v);
			o->role = v;
			break;
		case OPT_PUBLISHED: o->published = v; break;
		case OPT_VERIFICATION: o->verification = v; break;
		case OPT_SIGNATURE: o->signature = v; break;
		case OPT_OUTPUT: o->output = v; break;
		case OPT_REPLACE: o->replace = 1; break;
		case OPT_SIM: o->allow_simulated = 1; break;
		case OPT_UNVERIFIED: o->allow_unverified = 1; break;
		case OPT_STRUCT: o->allow_structure = 1; break;
		}
	}
	if (!o->policy)
		cli_usage(&cl, "--policy FILE is required");
	cli_free(&cl);
}

/* The policy file: an object with a policy object and one of the three profiles. */
static jv read_policy(const struct opts *o, const char **profile)
{
	jv root = json_read_file(o->policy, 16 * MP_MIB);
	jv policy = json_get(root, "policy");
	const char *p = json_str(root, "profile");
	if (jv_get_kind(policy) != JV_KIND_OBJECT)
		fail(EXIT_DATAERR, "policy '%s' has no policy object", o->policy);
	jv_free(policy);
	if (!p || !(*profile = profile_lookup(p)) || strcmp(*profile, p) != 0)
		fail(EXIT_DATAERR, "policy '%s': profile '%s' is not %s", o->policy, p ? p : "(missing)", profile_choices());
	if (o->profile && strcmp(o->profile, *profile) != 0)
		fail(EXIT_NO, "--profile %s is not the policy's profile '%s': refused (cohort separation, ADR-0001)",
		     o->profile, *profile);
	return root;
}

static void add_signature(struct cand *c, const char *path)
{
	struct buf b;
	uint8_t md[32];
	read_file_capped(path, 64 * 1024, &b, 0);
	sha256(b.data, b.len, md);
	JSET(c->record, "signature_sha256", jv_hex(md, 32));
	buf_free(&b);
}

/* What the policy becomes; NULL sources are skipped. */
static jv merge_all(jv root, struct cand *src, int n, const char *profile, const struct opts *o)
{
	jv before = jv_copy(root);
	for (int i = 0; i < n; i++) {
		check_cand(&src[i], root, profile, o);
		root = merge_cand(root, &src[i], o);
	}
	char *change = structural_change(before, root);
	if (change && !o->allow_structure)
		fail(EXIT_NO, "structural change %s: refused without --allow-structure", change);
	free(change);
	jv b = json_get(before, "policy"), a = json_get(root, "policy");
	jv pb = json_get(before, "provenance"), pa = json_get(root, "provenance");
	jv tb = json_get(before, "tag"), ta = json_get(root, "tag");
	int same_lists = jv_equal(b, a), same_prov = jv_equal(pb, pa), same_tag = jv_equal(tb, ta); /* each consumes both */
	int changed = !same_lists || !same_prov || !same_tag;
	if (changed) { /* the time of the last change: merging the same again changes nothing */
		char t[32];
		format_utc(now_epoch(), t);
		JSET(root, "generated_at", jv_string(t));
	}
	jv_free(before);
	return root;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct opts o = {0};
	struct cand src[2];
	const char *profile;
	int n = 0;
	parse_args(argc, argv, &o);
	jv root = read_policy(&o, &profile);
	struct buf in;
	read_capped(stdin, 16 * MP_MIB, "the candidates", &in);
	if (read_candidates(&in, NULL, o.role, o.profile, o.verification, &src[n])) {
		if (o.signature)
			add_signature(&src[n], o.signature);
		n++;
	} else if (!o.published) {
		fail(EXIT_DATAERR, "no candidates on stdin");
	}
	buf_free(&in);
	if (o.published)
		read_published(o.published, profile, &src[n++]);
	root = merge_all(root, src, n, profile, &o);
	struct buf out;
	buf_init(&out);
	json_dump_buf(root, 1, &out);
	write_output(o.output, out.data, out.len);
	buf_free(&out);
	for (int i = 0; i < n; i++)
		cand_free(&src[i]);
	return 0;
}
