/* What compose-lint checks in compose files, templates and workflows alike:
 * the profile a value names (ADR-0001), the env-policy variables (ADR-0002),
 * the profile an image reference carries, one image per profile. */
#ifndef CL_RULES_H
#define CL_RULES_H

#include "lib/lint.h"

struct cl_pin {
	char *digest, *profile, *file;
	long line;
};
struct cl_pins {
	struct cl_pin *v;
	size_t n;
};

struct cl_ctx {
	struct lint *l;
	const char *file; /* the file being linted */
	int template;     /* a compose template: __PLACEHOLDERS__ allowed */
	struct cl_pins *pins;
};

#define CL_PROFILE_PLACEHOLDER "__MERO_KMS_PROFILE__"

/* USE_ENV_POLICY, ALLOWED_TCB_STATUSES, ALLOWED_MRTD, ALLOWED_RTMR0..3 */
int cl_is_env_policy(const char *key);
/* The profile val names (canonical), CL_PROFILE_PLACEHOLDER in a template,
 * or NULL after an ERROR (rule profile-value) at file:line naming what. */
const char *cl_profile_value(struct cl_ctx *c, const char *what, const char *val, const char *file, long line);

struct cl_image {
	const char *tag_profile; /* the profile a <version>-<profile> tag names, or NULL */
	char digest[72];         /* "sha256:<64 hex>", or empty */
	int kms;                 /* the repository's last part starts with mero-kms */
};
void cl_image_parse(const char *ref, struct cl_image *im);

void cl_pins_add(struct cl_pins *p, const char *digest, const char *profile, const char *file, long line);
/* One image per profile: an ERROR (rule profile-digest) where a digest
 * pinned for one profile is pinned again for another. */
void cl_pins_check(const struct cl_pins *p, struct lint *l);
void cl_pins_free(struct cl_pins *p);

#endif
