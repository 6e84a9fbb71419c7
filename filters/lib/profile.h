/* Facts of mero-kms that several programs share: the three KMS profiles
 * (ADR-0001; the one place the list is written, mk/config.mk reads it from
 * here), KMS version strings and the default report-data binding. */
#ifndef MP_PROFILE_H
#define MP_PROFILE_H

#include <stdint.h>

#define MP_PROFILE_LIST "debug", "debug-read-only", "locked-read-only"
#define MP_NPROFILES 3
extern const char *const mp_profiles[MP_NPROFILES];

/* The canonical name of a profile, compared whole and case-insensitively as
 * mero-kms does; NULL when s is none of the three. */
const char *profile_lookup(const char *s);
/* "debug, debug-read-only or locked-read-only", for messages. */
const char *profile_choices(void);

/* A KMS version without its "mero-kms-v" (or "v") prefix. */
const char *kms_version_bare(const char *v);
/* 1 when v (prefix stripped) is a version: digits.digits.digits, then
 * optionally a pre-release or build suffix of [0-9A-Za-z.+-] after '-' or '+'. */
int kms_version_valid(const char *v);

/* mero-kms's default binding, the last 32 bytes of the report data when a
 * request carries no bindingB64: sha256("mero-kms-phala-attest-v1"). */
#define KMS_BINDING_LABEL "mero-kms-phala-attest-v1"
void kms_default_binding(uint8_t out[32]);

#endif
