#include "rules.h"

#include <stdlib.h>
#include <string.h>

#include "lib/profile.h"

int cl_is_env_policy(const char *key)
{
	static const char *const vars[] = {"USE_ENV_POLICY", "ALLOWED_TCB_STATUSES", "ALLOWED_MRTD", "ALLOWED_RTMR0",
					   "ALLOWED_RTMR1", "ALLOWED_RTMR2", "ALLOWED_RTMR3"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (strcmp(key, vars[i]) == 0)
			return 1;
	return 0;
}

const char *cl_profile_value(struct cl_ctx *c, const char *what, const char *val, const char *file, long line)
{
	const char *f = file ? file : c->file;
	if (!val) {
		lint_add(c->l, "ERROR", f, line, "profile-value",
			 "%s has no value here, so the deploying environment would choose it: pin %s", what,
			 profile_choices());
		return NULL;
	}
	if (c->template && strcmp(val, CL_PROFILE_PLACEHOLDER) == 0)
		return CL_PROFILE_PLACEHOLDER;
	const char *p = profile_lookup(val);
	if (p)
		return p;
	if (strchr(val, '$'))
		lint_add(c->l, "ERROR", f, line, "profile-value",
			 "%s is '%s', left to interpolation when deployed: pin %s", what, val, profile_choices());
	else
		lint_add(c->l, "ERROR", f, line, "profile-value", "%s is '%s', not %s", what, val, profile_choices());
	return NULL;
}

/* The longest profile that the tag is, or ends with after a '-'. */
static const char *tag_profile(const char *tag, size_t n)
{
	const char *best = NULL;
	for (int i = 0; i < MP_NPROFILES; i++) {
		size_t k = strlen(mp_profiles[i]);
		if (k > n || memcmp(tag + n - k, mp_profiles[i], k) != 0 || (k < n && tag[n - k - 1] != '-'))
			continue;
		if (!best || k > strlen(best))
			best = mp_profiles[i];
	}
	return best;
}

void cl_image_parse(const char *ref, struct cl_image *im)
{
	memset(im, 0, sizeof *im);
	const char *at = strchr(ref, '@');
	size_t nl = at ? (size_t)(at - ref) : strlen(ref);
	if (at && strncmp(at + 1, "sha256:", 7) == 0 && strlen(at + 8) == 64 && strspn(at + 8, "0123456789abcdef") == 64)
		snprintf(im->digest, sizeof im->digest, "%s", at + 1);
	const char *last = ref;
	for (size_t i = 0; i < nl; i++)
		if (ref[i] == '/')
			last = ref + i + 1;
	const char *colon = memchr(last, ':', nl - (size_t)(last - ref));
	if (colon)
		im->tag_profile = tag_profile(colon + 1, nl - (size_t)(colon + 1 - ref));
	im->kms = strncmp(last, "mero-kms", 8) == 0;
}

void cl_pins_add(struct cl_pins *p, const char *digest, const char *profile, const char *file, long line)
{
	p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
	p->v[p->n++] = (struct cl_pin){xstrdup(digest), xstrdup(profile), xstrdup(file), line};
}

void cl_pins_check(const struct cl_pins *p, struct lint *l)
{
	for (size_t i = 0; i < p->n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->v[i].digest, p->v[j].digest) != 0 || strcmp(p->v[i].profile, p->v[j].profile) == 0)
				continue;
			lint_add(l, "ERROR", p->v[i].file, p->v[i].line, "profile-digest",
				 "the image %.19s... is pinned here for %s and at %s:%ld for %s: one image per profile (ADR-0001)",
				 p->v[i].digest, p->v[i].profile, p->v[j].file, p->v[j].line, p->v[j].profile);
			break;
		}
	}
}

void cl_pins_free(struct cl_pins *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].digest);
		free(p->v[i].profile);
		free(p->v[i].file);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}
