/* Compose files and templates: the KMS service's environment (and its
 * env_file files) sets no env-policy variable (ADR-0002), and the profiles it
 * names (MERO_KMS_PROFILE, the deprecated KMS_POLICY_PROFILE, the image's
 * <version>-<profile> tag, the io.calimero.kms_profile label) are one of the
 * three and agree (ADR-0001). */
#include "compose.h"

#include <string.h>

#include "lib/common.h"
#include "lib/profile.h"

/* The KMS service: its image is a mero-kms image, its name starts with
 * mero-kms, or it sets a MERO_KMS_* variable or KMS_POLICY_PROFILE. */
static int is_kms(const char *name, const struct cl_ynode *svc, const struct cl_envs *env)
{
	const char *img = cl_scalar(cl_get(svc, "image"));
	struct cl_image im;
	if (img) {
		cl_image_parse(img, &im);
		if (im.kms)
			return 1;
	}
	if (strncmp(name, "mero-kms", 8) == 0)
		return 1;
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i].key, "MERO_KMS_", 9) == 0 || strcmp(env->v[i].key, "KMS_POLICY_PROFILE") == 0)
			return 1;
	return 0;
}

/* A relative path without "..": the env_file beside the compose file. */
static int env_file_path(const char *compose, const char *rel, char *out, size_t n)
{
	if (!rel[0] || rel[0] == '/' || strstr(rel, ".."))
		return 0;
	const char *slash = strrchr(compose, '/');
	int dir = slash ? (int)(slash - compose) + 1 : 0;
	return snprintf(out, n, "%.*s%s", dir, compose, rel) < (int)n;
}

/* KEY=VALUE lines of an env file (export, comments, quotes allowed); a file
 * that is not there is the deploying machine's, not ours. */
static void read_env_file(const char *path, struct cl_envs *env)
{
	struct buf b;
	if (read_file_capped(path, MP_MIB, &b, RF_SOFT))
		return;
	long line = 0;
	for (const char *p = (const char *)b.data; *p;) {
		size_t n = strcspn(p, "\n");
		const char *s = p, *e = p + n;
		line++;
		p += n + (p[n] == '\n');
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(e - s) > 7 && memcmp(s, "export ", 7) == 0)
			s += 7;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (s == e || *s == '#' || !eq)
			continue;
		const char *v = eq + 1, *ve = e;
		while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
			ve--;
		if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
			v++;
			ve--;
		}
		cl_envs_add(env, s, (size_t)(eq - s), v, (size_t)(ve - v), path, line);
	}
	buf_free(&b);
}

static void env_files(struct cl_ctx *c, const struct cl_ynode *ef, struct cl_envs *env)
{
	size_t n = !ef ? 0 : ef->kind == CL_SEQ ? ef->n : 1;
	for (size_t i = 0; i < n; i++) {
		const struct cl_ynode *it = ef->kind == CL_SEQ ? ef->items[i] : ef;
		const char *rel = it->kind == CL_MAP ? cl_scalar(cl_get(it, "path")) : cl_scalar(it);
		char path[4096];
		if (rel && env_file_path(c->file, rel, path, sizeof path))
			read_env_file(path, env);
	}
}

static void legacy(struct cl_ctx *c, const struct cl_env *k, const struct cl_env *m, const char *mp)
{
	const char *kp = cl_profile_value(c, "KMS_POLICY_PROFILE", k->val, k->file, k->line);
	if (!m)
		lint_add(c->l, "ERROR", k->file ? k->file : c->file, k->line, "profile-legacy",
			 "KMS_POLICY_PROFILE is deprecated: set MERO_KMS_PROFILE (the KMS refuses the two when they differ)");
	else if (kp && mp && strcmp(kp, mp) != 0)
		lint_add(c->l, "ERROR", k->file ? k->file : c->file, k->line, "profile-legacy",
			 "the deprecated KMS_POLICY_PROFILE is %s but MERO_KMS_PROFILE is %s: it must be absent or equal",
			 kp, mp);
}

/* The label io.calimero.kms_profile, where given, names ref (what says ref: by). */
static void label(struct cl_ctx *c, const struct cl_ynode *svc, const char *ref, const char *by)
{
	struct cl_envs labels = {0};
	cl_envs_from(&labels, cl_get(svc, "labels"));
	const struct cl_env *lb = cl_envs_get(&labels, "io.calimero.kms_profile");
	const char *lp = lb && lb->val ? profile_lookup(lb->val) : NULL;
	if (lb && !lp)
		lint_add(c->l, "ERROR", c->file, lb->line, "profile-label", "the label io.calimero.kms_profile is '%s', not %s",
			 lb->val ? lb->val : "", profile_choices());
	else if (lb && ref && strcmp(ref, CL_PROFILE_PLACEHOLDER) != 0 && strcmp(lp, ref) != 0)
		lint_add(c->l, "ERROR", c->file, lb->line, "profile-label",
			 "the label io.calimero.kms_profile is %s, but %s is %s", lp, by, ref);
	cl_envs_free(&labels);
}

static void profiles(struct cl_ctx *c, const struct cl_ynode *svc, const struct cl_envs *env)
{
	const struct cl_env *m = cl_envs_get(env, "MERO_KMS_PROFILE"), *k = cl_envs_get(env, "KMS_POLICY_PROFILE");
	const char *ref = m ? cl_profile_value(c, "MERO_KMS_PROFILE", m->val, m->file, m->line) : NULL;
	const char *by = "MERO_KMS_PROFILE";
	if (k)
		legacy(c, k, m, ref);
	const struct cl_ynode *img = cl_get(svc, "image");
	struct cl_image im = {0};
	if (cl_scalar(img))
		cl_image_parse(img->str, &im);
	if (im.tag_profile && !m) {
		ref = im.tag_profile;
		by = "the image tag";
	} else if (im.tag_profile && ref && strcmp(ref, CL_PROFILE_PLACEHOLDER) != 0 && strcmp(ref, im.tag_profile) != 0) {
		lint_add(c->l, "ERROR", c->file, img->line, "profile-image",
			 "the image's tag names the profile %s, but MERO_KMS_PROFILE is %s", im.tag_profile, ref);
	}
	label(c, svc, ref, by);
	if (!c->template && im.digest[0] && ref)
		cl_pins_add(c->pins, im.digest, ref, c->file, img->line);
}

static void kms_service(struct cl_ctx *c, const char *name, const struct cl_ynode *svc, const struct cl_envs *env)
{
	for (size_t i = 0; i < env->n; i++)
		if (cl_is_env_policy(env->v[i].key))
			lint_add(c->l, "ERROR", env->v[i].file ? env->v[i].file : c->file, env->v[i].line, "env-policy",
				 "the KMS service '%s' sets %s: the env-policy escape hatch is banned for every profile "
				 "(ADR-0002); the policy comes from the release policy file", name, env->v[i].key);
	profiles(c, svc, env);
}

void cl_check_compose(struct cl_ctx *c, const struct cl_ynode *root)
{
	struct cl_pairs svcs;
	cl_pairs(cl_get(root, "services"), &svcs);
	for (size_t i = 0; i < svcs.n; i++) {
		const char *name = cl_scalar(svcs.k[i]);
		if (!name || svcs.v[i]->kind != CL_MAP)
			continue;
		struct cl_envs env = {0};
		cl_envs_from(&env, cl_get(svcs.v[i], "environment"));
		env_files(c, cl_get(svcs.v[i], "env_file"), &env);
		if (is_kms(name, svcs.v[i], &env))
			kms_service(c, name, svcs.v[i], &env);
		cl_envs_free(&env);
	}
	cl_pairs_free(&svcs);
}
