/* kms-sim's measurement policy, loaded at startup as mero-kms 2.3.x loads its
 * release policy (../shared/reference/apis.md 4.2-4.4 and 4.6; upstream
 * config/mod.rs, config/policy_loader.rs, policy.rs), with the checks of
 * lib/policy.h (AttestationPolicy::from_json, validate_policy_requirements).
 *
 * --policy-url BASE behaves as mero-kms's fetch: GET
 * BASE/kms-phala-attestation-policy.PROFILE.json, then the legacy
 * BASE/kms-phala-attestation-policy.json (30 s, User-Agent mero-kms-phala/1.0,
 * redirects followed, no retries); a 404 or a network error moves on to the
 * next, any other non-2xx stops the fetch; the bytes must match
 * MERO_KMS_POLICY_SHA256 when it is set, then the file is loaded (tag ==
 * version, role kms, profile == the pinned one; a missing role or profile only
 * in the legacy file and for locked-read-only). Any of that failing leaves the
 * KMS running degraded, as mero-kms: /attest answers, /health says why.
 *
 * --policy FILE (kms-sim's own, mero-kms has no such option) applies the same
 * checks to a local file (the legacy file is one named
 * kms-phala-attestation-policy.json) and refuses to start when one fails.
 *
 * Either way a policy that loads with an empty allowlist refuses to start, as
 * validate_policy_requirements stops mero-kms. Refusals exit with one line. */
#ifndef MP_KMSSIM_POLICY_H
#define MP_KMSSIM_POLICY_H

#include <jv.h>
#include <stddef.h>

#include "lib/common.h"

struct kmspol {
	const char *file, *base; /* --policy FILE, --policy-url BASE (at most one) */
	char pin[65];            /* MERO_KMS_POLICY_SHA256 normalised, "" when unset */
	struct buf bytes;        /* --policy FILE's bytes */
	/* the outcome of kmspol_load */
	int ready;
	char *source;            /* the file or URL it was loaded from */
	char *reason;            /* why it is not ready (degraded) */
	char *tag, *profile;
	char sha256[65];
};

/* 0, or -1 with a usage message in msg (both options, a BASE that is not an
 * http(s) URL). */
int kmspol_usage(const struct kmspol *p, char *msg, size_t msglen);
/* Before anything is touched: the pin (78 when malformed, with mero-kms's
 * message) and --policy FILE's bytes (66 missing or a folder, 65 over 16 MiB). */
void kmspol_prepare(struct kmspol *p);
/* Load the policy for the pinned profile and the KMS version (bare). Exits
 * when the KMS refuses to start: 78 (a check of --policy FILE, an empty
 * allowlist), 65 (--policy FILE not UTF-8 or not JSON). Otherwise ready or
 * degraded, said on stderr in one line. */
void kmspol_load(struct kmspol *p, const char *version, const char *profile);
/* The "policy" member of /health: {"status":"loaded","source","profile",
 * "tag","sha256"} or {"status":"degraded","reason"}. */
jv kmspol_health(const struct kmspol *p);
void kmspol_free(struct kmspol *p);

#endif
