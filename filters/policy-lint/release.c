/* policy-lint --release: what a release requires of the three files together
 * (upstream's release-kms-phala.yaml and verify-kms-phala-release-assets.sh:
 * reference/apis.md 4.6). */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/policy.h"
#include "lib/profile.h"
#include "lint.h"

static int has(char **v, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The files of the three profiles, by their own profile; -1 when one is missing. */
static int pick_profiles(struct lint *L, int idx[MP_NPROFILES])
{
	int ok = 1;
	for (int p = 0; p < MP_NPROFILES; p++) {
		idx[p] = -1;
		for (int k = 0; k < L->nfiles; k++) {
			const struct pfile *f = &L->files[k];
			if (!f->parsed || f->legacy || !f->profile || strcmp(f->profile, mp_profiles[p]) != 0)
				continue;
			if (idx[p] >= 0) {
				lint_add(L, f, ".profile", "release-files", SEV_ERROR, "a second %s file (the first is %s)",
					 mp_profiles[p], L->files[idx[p]].name);
				ok = 0;
			} else {
				idx[p] = k;
			}
		}
		if (idx[p] < 0) {
			lint_add(L, NULL, ".", "release-files", SEV_ERROR, "no %s policy file among the files: a release "
				 "needs the three profiles", mp_profiles[p]);
			ok = 0;
		}
	}
	return ok;
}

/* The set of a list: normalised, de-duplicated (sorted for comparison). */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char **value_set(const struct pfile *f, const char *list, int *n)
{
	char **v = list_values(f->root, list, n);
	if (*n)
		qsort(v, (size_t)*n, sizeof *v, cmp_str);
	int m = 0;
	for (int i = 0; i < *n; i++) {
		if (m && strcmp(v[m - 1], v[i]) == 0)
			free(v[i]);
		else
			v[m++] = v[i];
	}
	*n = m;
	return v;
}

static int same_set(const struct pfile *a, const struct pfile *b, const char *list)
{
	int na, nb, same;
	char **x = value_set(a, list, &na), **y = value_set(b, list, &nb);
	same = na == nb;
	for (int i = 0; same && i < na; i++)
		same = strcmp(x[i], y[i]) == 0;
	free_values(x, na);
	free_values(y, nb);
	return same;
}

/* No two profiles allow the same KMS MRTD and RTMR0-3 sets (a KMS of one
 * profile must not pass for another: profile spoofing). */
static void kms_distinct(struct lint *L, const int idx[MP_NPROFILES])
{
	for (int a = 0; a < MP_NPROFILES; a++)
		for (int b = a + 1; b < MP_NPROFILES; b++) {
			int same = 1;
			for (int g = 0; g < POLICY_NREG && same; g++)
				same = same_set(&L->files[idx[a]], &L->files[idx[b]], policy_lists[1 + g]);
			if (same)
				lint_add(L, &L->files[idx[b]], ".policy", "release-kms-distinct", SEV_ERROR,
					 "the KMS MRTD and RTMR0-3 allowlists of %s equal those of %s (%s): profiles must differ",
					 mp_profiles[b], mp_profiles[a], L->files[idx[a]].name);
		}
}

/* No locked-read-only node value is also allowed for a debug profile's nodes. */
static void locked_overlap(struct lint *L, const int idx[MP_NPROFILES])
{
	const struct pfile *locked = &L->files[idx[2]];
	for (int g = 0; g < POLICY_NREG; g++) {
		const char *list = policy_lists[8 + g];
		int n;
		char **mine = list_values(locked->root, list, &n);
		for (int d = 0; d < 2; d++) {
			int m;
			char **theirs = list_values(L->files[idx[d]].root, list, &m);
			for (int i = 0; i < n; i++)
				if (has(theirs, m, mine[i])) {
					char p[96];
					snprintf(p, sizeof p, ".policy.%s[%d]", list, i);
					lint_add(L, locked, p, "release-locked-overlap", SEV_ERROR, "%s ('%.16s...') is also "
						 "allowed for %s nodes (%s)", p, mine[i], mp_profiles[d], L->files[idx[d]].name);
				}
			free_values(theirs, m);
		}
		free_values(mine, n);
	}
}

/* Within a profile, no KMS RTMR3 value among the node RTMR3 values. */
static void role_overlap(struct lint *L, const struct pfile *f)
{
	int n, m;
	char **kms = list_values(f->root, "kms_allowed_rtmr3", &n), **node = list_values(f->root, "node_allowed_rtmr3", &m);
	for (int i = 0; i < n; i++)
		if (has(node, m, kms[i])) {
			char p[96];
			snprintf(p, sizeof p, ".policy.kms_allowed_rtmr3[%d]", i);
			lint_add(L, f, p, "release-role-overlap", SEV_ERROR, "%s ('%.16s...') is also a node RTMR3 value: "
				 "a node must never pass for the KMS", p, kms[i]);
		}
	free_values(kms, n);
	free_values(node, m);
}

static void one_payload(struct lint *L, const struct pfile *f)
{
	int n;
	char **v = list_values(f->root, "kms_allowed_event_payload", &n);
	if (n > 1)
		lint_add(L, f, ".policy.kms_allowed_event_payload[1]", "release-event-payload", SEV_ERROR,
			 ".policy.kms_allowed_event_payload holds %d values: a release names one compose hash (or none)", n);
	free_values(v, n);
}

void lint_release(struct lint *L)
{
	int idx[MP_NPROFILES];
	for (int k = 0; k < L->nfiles; k++)
		if (L->files[k].parsed && jv_get_kind(L->files[k].root) == JV_KIND_OBJECT) {
			role_overlap(L, &L->files[k]);
			one_payload(L, &L->files[k]);
		}
	if (!pick_profiles(L, idx))
		return;
	kms_distinct(L, idx);
	locked_overlap(L, idx);
}
