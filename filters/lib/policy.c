#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "profile.h"

const char *const policy_regs[POLICY_NREG] = {"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"};
const char *const policy_reg_labels[POLICY_NREG] = {"MRTD", "RTMR0", "RTMR1", "RTMR2", "RTMR3"};
const char *const policy_quote_keys[POLICY_NREG] = {"mr_td", "rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3"};

const char *const policy_lists[POLICY_NLISTS] = {
	"kms_allowed_tcb_statuses", "kms_allowed_mrtd",  "kms_allowed_rtmr0",        "kms_allowed_rtmr1",
	"kms_allowed_rtmr2",        "kms_allowed_rtmr3", "kms_allowed_event_payload", "node_allowed_tcb_statuses",
	"node_allowed_mrtd",        "node_allowed_rtmr0", "node_allowed_rtmr1",      "node_allowed_rtmr2",
	"node_allowed_rtmr3"};

/* The length of the Unicode white space (Rust's char::is_whitespace, the
 * White_Space property) that starts at p, or 0. */
static size_t space_at(const unsigned char *p, size_t n)
{
	if (n >= 1 && ((p[0] >= 0x09 && p[0] <= 0x0d) || p[0] == ' '))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2; /* U+0085, U+00A0 */
	if (n < 3)
		return 0;
	unsigned cp = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	if ((p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
		return 0;
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
	    cp == 0x205f || cp == 0x3000)
		return 3;
	return 0;
}

/* The length of the white space that ends at p + n, or 0. */
static size_t space_before(const unsigned char *p, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++)
		if (space_at(p + n - k, k) == k)
			return k;
	return 0;
}

/* str::trim: the bounds of s without leading and trailing white space. */
static void trim(const char *s, size_t n, size_t *start, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t a = 0, k;
	while (a < n && (k = space_at(p + a, n - a)))
		a += k;
	size_t b = n;
	while (b > a && (k = space_before(p + a, b - a)))
		b -= k;
	*start = a;
	*len = b - a;
}

static char *lower_copy(const char *s, size_t n)
{
	char *r = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		r[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	r[n] = 0;
	return r;
}

char *policy_normalize(const char *s, size_t n, size_t *outlen)
{
	size_t a, len;
	trim(s, n, &a, &len);
	s += a;
	while (len >= 2 && s[0] == '0' && s[1] == 'x') {
		s += 2;
		len -= 2;
	}
	*outlen = len;
	return lower_copy(s, len);
}

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

char *policy_hex_parse(const char *s, size_t n, size_t bytes, char *err, size_t errlen)
{
	size_t len;
	char *v = policy_normalize(s, n, &len);
	if (len != 2 * bytes) {
		snprintf(err, errlen, "expected %zu bytes (%zu hex chars), got %zu chars", bytes, 2 * bytes, len);
		free(v);
		return NULL;
	}
	if (!all_hex(v, len)) {
		snprintf(err, errlen, "value contains non-hex characters");
		free(v);
		return NULL;
	}
	return v;
}

int policy_is_hex(const char *s, size_t n, size_t bytes)
{
	if (n != 2 * bytes)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

char *policy_tcb_normalize(const char *s, size_t n, size_t *outlen)
{
	size_t a, len;
	trim(s, n, &a, &len);
	if (outlen)
		*outlen = len;
	return lower_copy(s + a, len);
}

/* mero-kms's parse_profile: trimmed, lower-cased, one of the three; the
 * canonical name, or NULL with mero-kms's message in err. */
static const char *policy_parse_profile(const char *s, char *err, size_t errlen)
{
	size_t a, len;
	trim(s, strlen(s), &a, &len);
	char *v = lower_copy(s + a, len);
	const char *p = profile_lookup(v);
	if (!len)
		snprintf(err, errlen, "KMS policy profile cannot be empty");
	else if (!p)
		snprintf(err, errlen, "Unsupported KMS policy profile '%s'. Expected one of: debug, debug-read-only, locked-read-only", v);
	free(v);
	return len ? p : NULL;
}

static void allow_add(struct policy_allow *a, char *v, size_t len)
{
	a->v = xrealloc(a->v, sizeof *a->v * (size_t)(a->n + 1));
	a->len = xrealloc(a->len, sizeof *a->len * (size_t)(a->n + 1));
	a->len[a->n] = len;
	a->v[a->n++] = v;
}

/* parse_json_string_array: the TCB list at key, or -1 when absent or not an
 * array (mero-kms then falls back). */
static int read_tcb(jv policy, const char *key, struct policy_allow *a)
{
	jv arr = json_get(policy, key);
	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		jv_free(arr);
		return -1;
	}
	a->key = key;
	jv_array_foreach(arr, i, e) {
		(void)i;
		if (jv_get_kind(e) == JV_KIND_STRING) {
			size_t len;
			char *t = policy_tcb_normalize(jv_string_value(e), (size_t)jv_string_length_bytes(jv_copy(e)), &len);
			if (len)
				allow_add(a, t, len);
			else
				free(t);
		}
		jv_free(e);
	}
	jv_free(arr);
	return 0;
}

/* parse_json_hex_array: 1 read, 0 absent, -1 error (message in err). */
static int read_hex(jv policy, const char *key, struct policy_allow *a, char *err, size_t errlen)
{
	jv arr = json_get(policy, key);
	int r = 1;
	if (!jv_is_valid(arr)) {
		jv_free(arr);
		return 0;
	}
	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "Policy field '%s' must be an array", key);
		jv_free(arr);
		return -1;
	}
	a->key = key;
	jv_array_foreach(arr, i, e) {
		(void)i;
		char why[128];
		char *v = NULL;
		if (r > 0 && jv_get_kind(e) != JV_KIND_STRING) {
			snprintf(err, errlen, "Policy field '%s' entries must be strings", key);
			r = -1;
		} else if (r > 0 && !(v = policy_hex_parse(jv_string_value(e), (size_t)jv_string_length_bytes(jv_copy(e)),
							   POLICY_MEASUREMENT_BYTES, why, sizeof why))) {
			snprintf(err, errlen, "Invalid measurement in policy field '%s': %s", key, why);
			r = -1;
		}
		if (v)
			allow_add(a, v, strlen(v));
		jv_free(e);
	}
	jv_free(arr);
	return r;
}

/* The tag, role and profile checks of from_json, in mero-kms's order. */
static int check_identity(jv root, const char *expected_tag, const char *expected_profile, int allow_legacy,
			  char *err, size_t errlen)
{
	const char *tag = json_str(root, "tag"), *role = json_str(root, "role"), *profile = json_str(root, "profile");
	if (!tag) {
		snprintf(err, errlen, "Policy JSON missing 'tag' string");
		return -1;
	}
	if (expected_tag && strcmp(tag, expected_tag) != 0) {
		snprintf(err, errlen, "Policy tag mismatch: expected '%s', got '%s'", expected_tag, tag);
		return -1;
	}
	const char *parsed = NULL, *want = expected_profile;
	if (!want) { /* no profile requested: the file's own (policy-check) */
		if (profile && !(parsed = policy_parse_profile(profile, err, errlen)))
			return -1;
		want = parsed ? parsed : "locked-read-only";
	}
	int legacy_ok = allow_legacy && strcmp(want, "locked-read-only") == 0;
	if (role && strcmp(role, "kms") != 0) {
		snprintf(err, errlen, "Policy role mismatch: expected 'kms', got '%s'", role);
		return -1;
	}
	if (!role && !legacy_ok) {
		snprintf(err, errlen, "Policy JSON missing 'role' for KMS policy");
		return -1;
	}
	if (profile) {
		if (!parsed && !(parsed = policy_parse_profile(profile, err, errlen)))
			return -1;
		if (strcmp(parsed, want) != 0) {
			snprintf(err, errlen, "Policy profile mismatch: expected '%s', got '%s'", want, parsed);
			return -1;
		}
	} else if (!legacy_ok) {
		snprintf(err, errlen, "Policy JSON missing 'profile' for requested profile '%s'", want);
		return -1;
	}
	return 0;
}

int policy_from_json(jv root, enum policy_role role, const char *expected_tag, const char *expected_profile,
		     int allow_legacy_missing, struct kms_policy *p, char *err, size_t errlen)
{
	static const char *const fallback[POLICY_NREG] = {"allowed_mrtd", "allowed_rtmr0", "allowed_rtmr1",
							  "allowed_rtmr2", "allowed_rtmr3"};
	memset(p, 0, sizeof *p);
	if (jv_get_kind(root) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "Invalid policy JSON: not an object");
		return -1;
	}
	if (check_identity(root, expected_tag, expected_profile, allow_legacy_missing, err, errlen))
		return -1;
	jv policy = json_get(root, "policy");
	if (jv_get_kind(policy) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "Policy JSON missing 'policy' object");
		jv_free(policy);
		return -1;
	}
	/* policy_lists: kms_allowed_tcb_statuses, then its five registers, at 0;
	 * node_allowed_tcb_statuses and its registers at 7 */
	int base = role == POLICY_KMS ? 0 : 7, r = 0;
	if (read_tcb(policy, policy_lists[base], &p->tcb) != 0 && role == POLICY_NODE &&
	    read_tcb(policy, "allowed_tcb_statuses", &p->tcb) != 0) {
		p->tcb_default = 1;
		allow_add(&p->tcb, xstrdup("uptodate"), 8);
	}
	for (int g = 0; g < POLICY_NREG && r == 0; g++) {
		int got = read_hex(policy, policy_lists[base + 1 + g], &p->reg[g], err, errlen);
		if (got == 0 && role == POLICY_NODE)
			got = read_hex(policy, fallback[g], &p->reg[g], err, errlen);
		if (got < 0)
			r = -1;
	}
	jv_free(policy);
	if (r)
		policy_free(p);
	return r;
}

int policy_requirements(const struct kms_policy *p, char *err, size_t errlen)
{
	static const char *const guidance[POLICY_NREG] = {
		"Provide policy via MERO_KMS_VERSION + MERO_KMS_PROFILE, or use USE_ENV_POLICY=true for explicit "
		"air-gapped mode.",
		"Configure at least one trusted RTMR0 value.", "Configure at least one trusted RTMR1 value.",
		"Configure at least one trusted RTMR2 value.", "Configure at least one trusted RTMR3 value."};
	if (p->tcb.n == 0) {
		snprintf(err, errlen,
			 "Measurement policy is enforced, but allowed_tcb_statuses is empty. Configure at least one "
			 "allowed status (recommended: UpToDate).");
		return -1;
	}
	for (int g = 0; g < POLICY_NREG; g++) {
		if (p->reg[g].n == 0) {
			snprintf(err, errlen, "Measurement policy is enforced, but allowed_%s is empty. %s", policy_regs[g],
				 guidance[g]);
			return -1;
		}
	}
	return 0;
}

int policy_allows(const struct policy_allow *a, const char *value, size_t n)
{
	for (int i = 0; i < a->n; i++)
		if (a->len[i] == n && memcmp(a->v[i], value, n) == 0)
			return 1;
	return 0;
}

static void allow_free(struct policy_allow *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
	memset(a, 0, sizeof *a);
}

void policy_free(struct kms_policy *p)
{
	allow_free(&p->tcb);
	for (int g = 0; g < POLICY_NREG; g++)
		allow_free(&p->reg[g]);
}

char *policy_file_path(int i)
{
	char *s;
	if ((i < MP_NPROFILES ? asprintf(&s, "%s/%s%s.json", POLICY_DIR, POLICY_STEM, mp_profiles[i])
			      : asprintf(&s, "%s", POLICY_LEGACY_PATH)) < 0)
		fail(EXIT_SOFTWARE, "out of memory");
	return s;
}

const char *policy_file_profile(const char *path, int *legacy)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t k = strlen(POLICY_STEM), n = strlen(base);
	if (legacy)
		*legacy = 0;
	if (strncmp(base, POLICY_STEM, k) != 0 || n < k + 4 || strcmp(base + n - 5, ".json") != 0)
		return NULL;
	if (n == k + 4) {
		if (legacy)
			*legacy = 1;
		return "locked-read-only";
	}
	for (int i = 0; i < MP_NPROFILES; i++)
		if (n - k - 5 == strlen(mp_profiles[i]) && strncmp(base + k, mp_profiles[i], n - k - 5) == 0)
			return mp_profiles[i];
	return NULL;
}
