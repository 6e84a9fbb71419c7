/* Policy files (kms-phala-attestation-policy.*.json): their allowlists, the
 * normalisation mero-kms applies to their values, and loading one as mero-kms
 * loads it (mero-kms/src/policy.rs, measurement.rs, util.rs at upstream
 * 4787313e; reference/apis.md 4.3 and 4.4), with mero-kms's own messages. */
#ifndef MP_POLICY_H
#define MP_POLICY_H

#include <jv.h>
#include <stddef.h>

/* The five measurement registers: names in policy keys ("mrtd", "rtmr0",
 * ...), mero-kms's labels ("MRTD", "RTMR0", ...) and quote-verify's keys
 * under "measurements" ("mr_td", "rt_mr0", ...). */
#define POLICY_NREG 5
extern const char *const policy_regs[POLICY_NREG];
extern const char *const policy_reg_labels[POLICY_NREG];
extern const char *const policy_quote_keys[POLICY_NREG];

/* The thirteen allowlists under "policy", in the upstream release's order:
 * kms_allowed_{tcb_statuses,mrtd,rtmr0..3}, kms_allowed_event_payload,
 * node_allowed_{tcb_statuses,mrtd,rtmr0..3}. */
#define POLICY_NLISTS 13
extern const char *const policy_lists[POLICY_NLISTS];

#define POLICY_MEASUREMENT_BYTES 48 /* a TDX register: 96 hex characters */
#define POLICY_PAYLOAD_BYTES 32     /* a compose hash: 64 hex characters */

/* mero-kms's normalisation of a hex value: trim white space (Unicode, as
 * Rust's str::trim), strip every leading "0x" (trim_start_matches), ASCII
 * lower-case. A new string; *outlen gets its length (it may hold NUL bytes). */
char *policy_normalize(const char *s, size_t n, size_t *outlen);
/* HexMeasurement::parse for a value of `bytes` bytes: normalise, then exactly
 * 2*bytes hex digits. A new string, or NULL with mero-kms's reason in err
 * ("expected 48 bytes (96 hex chars), got 94 chars"). */
char *policy_hex_parse(const char *s, size_t n, size_t bytes, char *err, size_t errlen);
/* 1 when s (n bytes) is exactly 2*bytes lower-case hex digits. */
int policy_is_hex(const char *s, size_t n, size_t bytes);
/* A TCB status as mero-kms keeps it: trimmed, ASCII lower-case; a new string
 * (empty when nothing is left: mero-kms drops it); *outlen gets its length
 * when outlen is not NULL. */
char *policy_tcb_normalize(const char *s, size_t n, size_t *outlen);

/* One allowlist as mero-kms holds it: normalised values. */
struct policy_allow {
	char **v;
	size_t *len; /* each value's length: a TCB status may hold a NUL byte (it then matches nothing) */
	int n;
	const char *key; /* the key it was read from, NULL when the file has none */
};

/* What mero-kms enforces (its AttestationPolicy), or what a client checking
 * a KMS reads. */
struct kms_policy {
	struct policy_allow tcb;
	struct policy_allow reg[POLICY_NREG];
	int tcb_default; /* no TCB list in the file: mero-kms's ["uptodate"] */
};

enum policy_role { POLICY_NODE, POLICY_KMS };

/* AttestationPolicy::from_json over a parsed policy file.
 * - tag: a string, equal to expected_tag unless that is NULL;
 * - role: "kms"; profile: equal to expected_profile (compared as mero-kms
 *   parses profiles: trimmed, case-insensitive) unless that is NULL; a missing
 *   role or profile only with allow_legacy_missing and the locked-read-only
 *   profile (expected, or the file's when expected_profile is NULL);
 * - POLICY_NODE reads node_allowed_* and falls back to allowed_* when a key is
 *   absent; a missing TCB list is ["uptodate"]; TCB entries that are not
 *   strings are dropped; hex entries must be strings of 48 bytes of hex.
 *   POLICY_KMS reads kms_allowed_* the same way, without fallback or default
 *   (a client has no default: a missing list allows nothing).
 * Returns 0, or -1 with mero-kms's message in err. */
int policy_from_json(jv root, enum policy_role role, const char *expected_tag, const char *expected_profile,
		     int allow_legacy_missing, struct kms_policy *p, char *err, size_t errlen);
/* validate_policy_requirements: every list non-empty, else -1 with mero-kms's
 * message (the KMS refuses to start). */
int policy_requirements(const struct kms_policy *p, char *err, size_t errlen);
/* 1 when the normalised value (n bytes) is in the list. */
int policy_allows(const struct policy_allow *a, const char *value, size_t n);
void policy_free(struct kms_policy *p);

/* The policy files of the repository: policies/kms-phala-attestation-policy.P.json
 * for each profile, and the legacy policies/kms-phala-attestation-policy.json
 * (a byte copy of locked-read-only, the name mero-kms falls back to). */
#define POLICY_DIR "policies"
#define POLICY_STEM "kms-phala-attestation-policy."
#define POLICY_LEGACY_PATH POLICY_DIR "/" POLICY_STEM "json"
#define POLICY_NFILES 4 /* the profiles' files, then the legacy one */
/* The repository path of file i (0..POLICY_NFILES-1): a new string. */
char *policy_file_path(int i);
/* The profile the name of a policy file (a path; its base name is read)
 * carries: the legacy file's is locked-read-only (*legacy set when legacy is
 * not NULL); NULL for any other name. */
const char *policy_file_profile(const char *path, int *legacy);

#endif
