/* Names GitHub keeps as given: release asset names and the parts of a
 * repository's OWNER/NAME (letters, digits, '.', '_', '-'; GitHub renames
 * assets with other characters). A name is never "." or "..", so it can
 * never leave the folder it is written to. */
#ifndef MP_ASSETNAME_H
#define MP_ASSETNAME_H

#include <stddef.h>
#include <string.h>

/* 1 when the n bytes at s are such a name (1 to 255 bytes). */
static inline int asset_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 255 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* 1 when s is OWNER/NAME, each part such a name, at most 200 bytes. */
static inline int repo_name_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash && strlen(s) <= 200 && asset_name_ok(s, (size_t)(slash - s)) &&
	       asset_name_ok(slash + 1, strlen(slash + 1));
}

#endif
