#include "profile.h"

#include <string.h>
#include <strings.h>

#include "sha.h"

const char *const mp_profiles[MP_NPROFILES] = {MP_PROFILE_LIST};

const char *profile_lookup(const char *s)
{
	for (int i = 0; s && i < MP_NPROFILES; i++)
		if (strcasecmp(s, mp_profiles[i]) == 0)
			return mp_profiles[i];
	return NULL;
}

const char *profile_choices(void)
{
	return "debug, debug-read-only or locked-read-only";
}

const char *kms_version_bare(const char *v)
{
	if (strncmp(v, "mero-kms-v", 10) == 0)
		return v + 10;
	if (v[0] == 'v')
		return v + 1;
	return v;
}

static const char *digits(const char *p)
{
	const char *s = p;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > s && p - s <= 9 ? p : NULL;
}

int kms_version_valid(const char *v)
{
	const char *p = kms_version_bare(v);
	for (int i = 0; i < 3; i++) {
		if (!(p = digits(p)))
			return 0;
		if (i < 2 && *p++ != '.')
			return 0;
	}
	if (!*p)
		return 1;
	if (*p != '-' && *p != '+')
		return 0;
	if (!*++p || strlen(p) > 64)
		return 0;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      *p == '.' || *p == '+' || *p == '-'))
			return 0;
	return 1;
}

void kms_default_binding(uint8_t out[32])
{
	sha256(KMS_BINDING_LABEL, sizeof KMS_BINDING_LABEL - 1, out);
}
