/* Measurement candidates as policy-merge and mrtd-publish read them: this
 * project's measurement-policy-candidates.json (mrtd-extract's), the upstream
 * extractor's (extract_tdx_policy_candidates.py: no role, profile or
 * verification inside), and one profile of a node image release's
 * published-mrtds.json. Values are normalised as mero-kms normalises them. */
#ifndef MP_CANDIDATES_H
#define MP_CANDIDATES_H

#include <jv.h>

#include "common.h"
#include "policy.h"

struct values {
	char **v;
	int n;
};

/* What one source brings. */
struct cand {
	const char *shape;    /* "mero-policy", "upstream-extractor", "published-mrtds" */
	const char *what;     /* for messages: "candidates", "upstream candidates", ... */
	const char *role;     /* "kms" or "node" */
	const char *profile;  /* canonical, NULL when the source names none */
	char *measured_profile; /* the profile the KMS measured (calimero.kms.profile), or NULL */
	char *source;         /* where the quote came from (sim, phala, ...) */
	char *why_unverified; /* for the refusal's message */
	int simulated, unverified;
	char *kms_version;    /* bare, or NULL */
	struct values tcb, reg[POLICY_NREG], payload;
	jv record;            /* the provenance record of every value it brings */
};

/* Read candidates of either shape from in; 0 when in is empty (only white
 * space). name, when not NULL, is quoted in messages ("candidates 'NAME'"). Upstream candidates take their role and profile from the
 * arguments (NULL: a usage error, exit 2) and are verified only by the
 * verdict at verification (quote-verify's, of the quote they came from:
 * it must hold exactly their values, else exit 1); that path with this
 * project's candidates is a usage error. Malformed input exits 65. */
int read_candidates(const struct buf *in, const char *name, const char *role, const char *profile,
		    const char *verification, struct cand *c);
/* Read .profiles[profile] of a published-mrtds.json (a file marked
 * simulated, at the top or in the profile, gives simulated values). */
void read_published(const char *path, const char *profile, struct cand *c);
void cand_free(struct cand *c);

/* The values of a JSON array of strings (consumed; null or invalid: none),
 * each parsed as hex of `bytes` bytes, or as a TCB status when bytes is 0,
 * de-duplicated; exits 65 naming what and the index. */
void read_values(jv arr, size_t bytes, const char *what, struct values *out);
void values_free(struct values *v);
int values_has(const struct values *v, const char *s);

#endif
