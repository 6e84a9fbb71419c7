/* The version coupling paragraph of release notes (ADR-0003). */
#include <string.h>

#include "coupling.h"
#include "json.h"
#include "profile.h"

/* A string member without its v/mero-kms-v prefix, or NULL. */
static const char *version_of(jv obj, const char *key)
{
	const char *s = json_str(obj, key);
	return s && kms_version_valid(s) ? kms_version_bare(s) : NULL;
}

/* Printable text of at most 300 bytes: control characters become spaces. */
static void add_text(struct buf *out, const char *s)
{
	size_t n = strlen(s) > 300 ? 300 : strlen(s);
	for (size_t i = 0; i < n; i++)
		buf_addc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

int coupling_paragraph(const char *path, const char *component, const char *version, struct buf *out, char *err,
		       size_t errlen)
{
	jv v = json_read_file(path, MP_MIB);
	jv mark = json_get(v, "unchanged");
	const char *kms = version_of(v, "kms_version"), *node = version_of(v, "node_image_version");
	int is_kms = strcmp(component, "kms") == 0;
	const char *mine = is_kms ? kms : node, *label = is_kms ? "KMS" : "node image";
	int rc = -1;
	if (!kms || !node) {
		snprintf(err, errlen, "'%s' has no kms_version and node_image_version", path);
	} else if (strcmp(mine, version) != 0) {
		snprintf(err, errlen, "'%s' names the %s version %s, not this release's %s: bump it (with the other "
			 "component, or mark that one unchanged) first", path, label, mine, version);
	} else if (jv_get_kind(mark) != JV_KIND_OBJECT && strcmp(kms, node) != 0) {
		snprintf(err, errlen, "'%s': the KMS (%s) and node image (%s) versions differ and no \"unchanged\" marker "
			 "says why (version-sync)", path, kms, node);
	} else {
		rc = 0;
		buf_printf(out, "Version coupling (ADR-0003): `mero-kms-v%s` goes with `mero-tee-v%s`", kms, node);
		const char *comp = json_str(mark, "component"), *kept = json_str(mark, "version");
		const char *rel = json_str(mark, "release"), *why = json_str(mark, "reason");
		if (jv_get_kind(mark) == JV_KIND_OBJECT && comp && kept) {
			buf_printf(out, "; the %s stays unchanged at %s", strcmp(comp, "kms") == 0 ? "KMS" : "node image",
				   kms_version_bare(kept));
			if (rel) {
				buf_printf(out, " for release ");
				add_text(out, rel);
			}
			if (why) {
				buf_printf(out, ": ");
				add_text(out, why);
			}
		} else {
			buf_printf(out, "; both move together");
		}
		buf_printf(out, " (%s).\n", path);
	}
	jv_free(mark);
	jv_free(v);
	return rc;
}
