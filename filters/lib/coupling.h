/* ADR-0003's version coupling as the release notes state it: which KMS
 * release goes with which node image release, read from this project's
 * versions file (policies/versions.json: kms_version, node_image_version and
 * the "unchanged" marker; version-sync checks the file itself). */
#ifndef MP_COUPLING_H
#define MP_COUPLING_H

#include <stddef.h>

#include "common.h"

/* Append the coupling paragraph for a release of component ("kms" or
 * "node") at version (bare) to out. Returns 0, or -1 with the reason in err
 * when the file's versions do not describe this release (its version is not
 * the file's, or the two versions differ without an unchanged marker).
 * Exits 66 or 65 when the file is missing or malformed. */
int coupling_paragraph(const char *path, const char *component, const char *version, struct buf *out, char *err,
		       size_t errlen);

#endif
