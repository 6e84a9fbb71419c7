/* mrtd-publish: published-mrtds.json in the upstream release's shape
 * (assemble-published-mrtd-payload.sh) with the seed's metadata, and the
 * release notes that describe it. */
#include <string.h>

#include "lib/codec.h"
#include "lib/coupling.h"
#include "lib/json.h"
#include "lib/sha.h"
#include "publish.h"

static jv opt_str(const char *s) { return s ? jv_string(s) : jv_null(); }

static jv string_array(const struct values *v)
{
	jv a = jv_array();
	for (int i = 0; i < v->n; i++)
		a = jv_array_append(a, jv_string(v->v[i]));
	return a;
}

static int any_simulated(const struct run *r)
{
	for (int i = 0; i < MP_NPROFILES; i++)
		if (r->p[i].c.simulated || !r->p[i].verified)
			return 1;
	return 0;
}

static jv profile_object(const struct prof *p)
{
	jv o = jv_object();
	char key[64];
	for (int g = 0; g < POLICY_NREG; g++) {
		snprintf(key, sizeof key, "allowed_%s", policy_regs[g]);
		JSET(o, key, string_array(&p->c.reg[g]));
		JSET(o, policy_regs[g], jv_string(p->c.reg[g].v[0])); /* the measured value */
	}
	JSET(o, "allowed_tcb_statuses", string_array(&p->c.tcb));
	JSET(o, "image_family", jv_string(p->family));
	JSET(o, "mrtd_source", jv_string("td_quote"));
	JSET(o, "timestamp_utc", opt_str(p->timestamp));
	/* where the values came from */
	JSET(o, "source", jv_string(p->c.source));
	JSET(o, "quote_sha256", opt_str(p->quote_sha256));
	JSET(o, "tcb_status", opt_str(p->tcb_status));
	JSET(o, "verified", jv_bool(p->verified));
	JSET(o, "simulated", jv_bool(p->c.simulated || !p->verified));
	JSET(o, "candidates", jv_string(p->base));
	JSET(o, "candidates_shape", jv_string(p->c.shape));
	JSET(o, "candidates_sha256", opt_str(json_str(p->c.record, "candidates_sha256")));
	return o;
}

jv published_document(const struct run *r)
{
	char t[32];
	format_utc(now_epoch(), t);
	jv profiles = jv_object();
	for (int i = 0; i < MP_NPROFILES; i++)
		JSET(profiles, r->p[i].name, profile_object(&r->p[i]));
	jv marks = JV_OBJECT(jv_string("role"), jv_string("calimero.role=node"), jv_string("profile_key"),
			     jv_string("calimero.profile"), jv_string("root_hash_key"), jv_string("calimero.root_hash"));
	return JV_OBJECT(jv_string("role"), jv_string("node"), jv_string("tag"), jv_string(r->version),
			 jv_string("release_tag"), jv_string(r->release_tag), jv_string("generated_at"), jv_string(t),
			 jv_string("measurement_markers"), marks, jv_string("profiles"), profiles,
			 jv_string("simulated"), jv_bool(any_simulated(r)));
}

static void add_list(struct buf *o, const char *label, const struct values *v)
{
	buf_printf(o, "- %s:", label);
	for (int i = 0; i < v->n; i++)
		buf_printf(o, "%s `%s`", i ? "," : "", v->v[i]);
	buf_printf(o, "\n");
}

static void profile_notes(struct buf *o, const struct prof *p)
{
	buf_printf(o, "\n## %s\n\n- image family: `%s`\n", p->name, p->family);
	for (int g = 0; g < POLICY_NREG; g++)
		add_list(o, policy_reg_labels[g], &p->c.reg[g]);
	add_list(o, "TCB statuses", &p->c.tcb);
	const char *sha = json_str(p->c.record, "candidates_sha256");
	buf_printf(o, "- from: `%s` (SHA-256 `%s`, %s shape), source `%s`, quote SHA-256 `%s`, %s%s%s%s, measured %s\n",
		   p->base, sha ? sha : "?", p->c.shape, p->c.source, p->quote_sha256 ? p->quote_sha256 : "unknown",
		   p->verified ? "verified" : "NOT verified", p->tcb_status ? " (" : "", p->tcb_status ? p->tcb_status : "",
		   p->tcb_status ? ")" : "", p->timestamp ? p->timestamp : "at an unknown time");
	if (p->c.simulated || !p->verified)
		buf_printf(o, "- **simulated or unverified**: published with ALLOW_SIMULATED; never trust it in production\n");
}

int release_notes(const struct run *r, const struct buf *doc, const char *versions, struct buf *out, char *err,
		  size_t errlen)
{
	uint8_t md[32];
	char hex[65];
	sha256(doc->data, doc->len, md);
	hex_encode_to(md, 32, hex);
	buf_printf(out, "# %s: node image measurements\n\n", r->release_tag);
	if (any_simulated(r))
		buf_printf(out, "**SIMULATED**: some measurements are simulated or unverified (published with "
				"ALLOW_SIMULATED): not for production.\n\n");
	buf_printf(out, "`published-mrtds.json` (SHA-256 `%s`) holds the MRTD and RTMR0-3 measured on the probe VMs of "
			"node image %s, per profile: what a deployed VM of this release must show "
			"(`policy-check --published`, `make verify-node`). Its SHA-256 is in the release's checksums "
			"file, which is signed with cosign (`.sig` and Sigstore bundle).\n",
		   hex, r->version);
	for (int i = 0; i < MP_NPROFILES; i++)
		profile_notes(out, &r->p[i]);
	buf_printf(out, "\n## Version coupling\n\n");
	return versions ? coupling_paragraph(versions, "node", r->version, out, err, errlen) : 0;
}
