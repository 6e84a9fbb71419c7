/* The per-profile KMS images (policies/kms-images.json): one digest-pinned
 * reference for each of the three profiles, all different (ADR-0001). */
#ifndef CL_IMAGES_H
#define CL_IMAGES_H

#include "rules.h"

/* Check the file and add its digests to c->pins; exits 65 when it is not
 * JSON (naming the line), 66 when it is missing. */
void cl_check_images(struct cl_ctx *c, const char *path);

#endif
