/* libFuzzer harness for the policy parser: any bytes as a policy file, loaded
 * as mero-kms loads it (filters/lib/policy.c) and indexed by policy-lint's JSON
 * locator (filters/lib/jsonpos.c), and as one allowlist value normalised.
 * Nothing may crash or read out of bounds; and:
 * - a value that parses is exactly 2*bytes lower-case hex, and parsing it again
 *   gives it back (normalisation is idempotent);
 * - what the locator indexes (strict JSON) jq parses too, and each indexed path
 *   is found again;
 * - a policy that loads holds only normalised 96-hex register values and
 *   non-empty, trimmed, lower-case TCB statuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/jsonpos.h"
#include "lib/policy.h"

static void check_value(const uint8_t *data, size_t size)
{
	char err[256];
	size_t bytes[] = {POLICY_MEASUREMENT_BYTES, POLICY_PAYLOAD_BYTES};
	for (int k = 0; k < 2; k++) {
		char *v = policy_hex_parse((const char *)data, size, bytes[k], err, sizeof err);
		if (!v) {
			if (!err[0])
				abort();
			continue;
		}
		if (!policy_is_hex(v, strlen(v), bytes[k]))
			abort();
		char *again = policy_hex_parse(v, strlen(v), bytes[k], err, sizeof err);
		if (!again || strcmp(again, v) != 0)
			abort();
		free(again);
		free(v);
	}
	size_t tl, tl2;
	char *t = policy_tcb_normalize((const char *)data, size, &tl);
	char *t2 = policy_tcb_normalize(t, tl, &tl2);
	if (tl != tl2 || memcmp(t, t2, tl) != 0)
		abort();
	free(t2);
	free(t);
}

static void check_loaded(const struct kms_policy *p)
{
	for (int g = 0; g < POLICY_NREG; g++)
		for (int i = 0; i < p->reg[g].n; i++)
			if (!policy_is_hex(p->reg[g].v[i], strlen(p->reg[g].v[i]), POLICY_MEASUREMENT_BYTES))
				abort();
	for (int i = 0; i < p->tcb.n; i++) {
		if (p->tcb.len[i] == 0)
			abort();
		for (size_t k = 0; k < p->tcb.len[i]; k++)
			if (p->tcb.v[i][k] >= 'A' && p->tcb.v[i][k] <= 'Z')
				abort();
	}
}

static void check_index(const char *text, size_t size, int jq_ok)
{
	struct jpos_index ix;
	char err[256];
	int r = jpos_build(text, size, &ix, err, sizeof err);
	if (r == 0 && !jq_ok)
		abort(); /* strict JSON is JSON to jq too */
	if (r != 0)
		return;
	for (int k = 0; k < ix.n && k < 64; k++) {
		int exact;
		const struct jpos *e = jpos_find(&ix, ix.v[k].path, &exact);
		if (!e || !exact || strcmp(e->path, ix.v[k].path) != 0)
			abort();
	}
	jpos_free(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	check_value(data, size);
	jv v = json_parse((const char *)data, size, err, sizeof err);
	int ok = jv_is_valid(v);
	check_index((const char *)data, size, ok);
	if (ok) {
		struct kms_policy p;
		for (int role = 0; role < 2; role++) {
			if (policy_from_json(v, role ? POLICY_KMS : POLICY_NODE, NULL, NULL, 1, &p, err, sizeof err) == 0) {
				check_loaded(&p);
				(void)policy_requirements(&p, err, sizeof err);
				policy_free(&p);
			} else if (!err[0]) {
				abort();
			}
		}
		if (policy_from_json(v, POLICY_NODE, "2.3.40", "locked-read-only", 0, &p, err, sizeof err) == 0)
			policy_free(&p);
	}
	jv_free(v);
	return 0;
}

/* libjq 1.6 leaks the value it was building when a text ends or breaks in the
 * middle (libFuzzer cuts the seeds at -max_len): reported in tests/valgrind.supp,
 * not ours to fix. libjq has no frame pointers, so the slow unwinder is needed
 * for the stack to reach jv_parser_next (and for a leak of ours to show our frames). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:jv_parser_next\n"; }
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
