/* policy-merge: candidates, published measurements, and merging them into a
 * policy file. */
#ifndef POLICY_MERGE_H
#define POLICY_MERGE_H

#include <jv.h>

#include "lib/common.h"
#include "lib/candidates.h"
#include "lib/policy.h"

struct opts {
	const char *policy, *profile, *role, *published, *verification, *signature, *output;
	int replace, allow_simulated, allow_unverified, allow_structure;
};

/* merge.c */
/* Refusals of one source against the policy (exit 1 with one line). */
void check_cand(const struct cand *c, jv root, const char *file_profile, const struct opts *o);
/* Merge a source's values and provenance into root (consumed; returned). */
jv merge_cand(jv root, const struct cand *c, const struct opts *o);
/* The first difference outside the allowlists, provenance and generated_at
 * (a structural change), as "PATH: what"; NULL when there is none. */
char *structural_change(jv before, jv after);

#endif
