/* mrtd-publish: the parts (main.c the command line, inputs.c the candidates
 * of each profile, rules.c the publication rules, document.c the
 * published-mrtds.json and its notes). */
#ifndef MRTD_PUBLISH_H
#define MRTD_PUBLISH_H

#include <jv.h>

#include "lib/candidates.h"
#include "lib/profile.h"

/* What one profile publishes. */
struct prof {
	const char *name;      /* the profile */
	int have;
	char *file;            /* where its candidates came from (for messages) */
	char *base;            /* that file's base name (recorded) */
	struct cand c;
	char *family;          /* the GCP image family */
	char *timestamp;       /* the candidates' generated_at, or NULL */
	char *quote_sha256;
	char *tcb_status;
	int verified;
};

struct run {
	const char *release_tag, *version; /* mero-tee-vX.Y.Z and X.Y.Z */
	const char *family_prefix;
	int allow_simulated;
	struct prof p[MP_NPROFILES];
};

/* inputs.c: the candidates named by the operands (files or folders) into
 * r->p[]; exits on a missing file (66), malformed input (65), a profile given
 * twice (1). */
void read_inputs(struct run *r, char **paths, int n);

/* rules.c: the publication rules; exits 1 with one line naming the profile
 * and the rule. */
void check_rules(const struct run *r);
/* The same rules over a published-mrtds.json (--check); 0, or 1 with the
 * reason in err. */
int check_published(jv doc, char *err, size_t errlen);

/* document.c */
jv published_document(const struct run *r);
/* The release notes of the file's final bytes. Returns 0, or -1 with the
 * reason in err (the versions file does not describe the release). */
int release_notes(const struct run *r, const struct buf *doc, const char *versions, struct buf *out, char *err,
		  size_t errlen);

#endif
