/* policy-merge: candidates, published measurements, and merging them into a
 * policy file. */
#ifndef POLICY_MERGE_H
#define POLICY_MERGE_H

#include <jv.h>

#include "lib/common.h"
#include "lib/policy.h"

struct opts {
	const char *policy, *profile, *role, *published, *verification, *signature, *output;
	int replace, allow_simulated, allow_unverified, allow_structure;
};

struct values {
	char **v;
	int n;
};

/* What one source brings: our candidates, upstream's, or a node release's
 * published-mrtds.json. Values are normalised as mero-kms normalises them. */
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

/* candidates.c */
/* Read stdin's candidates (either shape); 0 when stdin is empty. */
int read_candidates(const struct buf *in, const struct opts *o, struct cand *c);
/* Read .profiles[profile] of a published-mrtds.json. */
void read_published(const char *path, const char *profile, struct cand *c);
void cand_free(struct cand *c);

/* merge.c */
/* Refusals of one source against the policy (exit 1 with one line). */
void check_cand(const struct cand *c, jv root, const char *file_profile, const struct opts *o);
/* Merge a source's values and provenance into root (consumed; returned). */
jv merge_cand(jv root, const struct cand *c, const struct opts *o);
/* The first difference outside the allowlists, provenance and generated_at
 * (a structural change), as "PATH: what"; NULL when there is none. */
char *structural_change(jv before, jv after);

/* The values of a JSON array of strings, each parsed with parse (hex of a
 * number of bytes, or 0 for a TCB status); exits 65 naming what and the index. */
void read_values(jv arr, size_t bytes, const char *what, struct values *out);
void values_free(struct values *v);
int values_has(const struct values *v, const char *s);

#endif
