#include "images.h"

#include <string.h>

#include "lib/json.h"
#include "lib/jsonloc.h"
#include "lib/profile.h"

static long line_of(const struct buf *b, const char *k1, const char *k2)
{
	const char *keys[] = {k1, k2};
	return json_key_line((const char *)b->data, b->len, keys, k2 ? 2 : 1);
}

static void one_image(struct cl_ctx *c, const struct buf *b, const char *prof, jv ref)
{
	long line = line_of(b, "images", prof);
	const char *p = profile_lookup(prof);
	if (!p || strcmp(p, prof) != 0) {
		lint_add(c->l, "ERROR", c->file, line, "profile-value", "'%s' is not a profile (%s)", prof, profile_choices());
		return;
	}
	if (jv_get_kind(ref) != JV_KIND_STRING) {
		lint_add(c->l, "ERROR", c->file, line, "profile-digest", "the image of %s must be a string", p);
		return;
	}
	struct cl_image im;
	cl_image_parse(jv_string_value(ref), &im);
	if (!im.digest[0])
		lint_add(c->l, "ERROR", c->file, line, "profile-digest",
			 "the image of %s is not pinned by digest (name@sha256:<64 lower-case hex>)", p);
	else
		cl_pins_add(c->pins, im.digest, p, c->file, line);
	if (im.tag_profile && strcmp(im.tag_profile, p) != 0)
		lint_add(c->l, "ERROR", c->file, line, "profile-image", "the image of %s has a tag naming the profile %s", p,
			 im.tag_profile);
}

void cl_check_images(struct cl_ctx *c, const char *path)
{
	struct buf b;
	char msg[512];
	read_file_capped(path, MP_MIB, &b, 0);
	jv doc = json_parse((const char *)b.data, b.len, msg, sizeof msg);
	if (!jv_is_valid(doc))
		fail(EXIT_DATAERR, "%s:%ld: malformed JSON: %s", path, json_error_line(msg), msg);
	c->file = path;
	jv imgs = json_get(doc, "images");
	if (jv_get_kind(imgs) != JV_KIND_OBJECT) {
		lint_add(c->l, "ERROR", path, 1, "profile-digest", "no \"images\" object of the three profiles' images");
	} else {
		jv keys = jv_keys(jv_copy(imgs)); /* sorted: the findings do not depend on jq's hash order */
		jv_array_foreach(keys, i, k) {
			jv v = jv_object_get(jv_copy(imgs), jv_copy(k));
			one_image(c, &b, jv_string_value(k), v);
			jv_free(k);
			jv_free(v);
		}
		jv_free(keys);
		for (int i = 0; i < MP_NPROFILES; i++) {
			jv v = json_get(imgs, mp_profiles[i]);
			if (!jv_is_valid(v))
				lint_add(c->l, "ERROR", path, line_of(&b, "images", NULL), "profile-digest",
					 "no image for the profile %s (one image per profile)", mp_profiles[i]);
			jv_free(v);
		}
	}
	jv_free(imgs);
	jv_free(doc);
	buf_free(&b);
}
