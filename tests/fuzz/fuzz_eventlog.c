/* libFuzzer harness for the event-log parser and replay (filters/lib/eventlog.c):
 * any bytes as a dstack JSON log (or a wrapper of one) or a binary TCG CCEL,
 * then the runtime digests and the RTMR replay. Nothing may crash, leak or
 * read out of bounds; every rejection must carry a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eventlog log;
	char err[1024];
	el_init(&log);
	err[0] = 0;
	int r = el_parse(data, size, &log, err, sizeof err);
	if (r == EL_OK) {
		err[0] = 0;
		r = el_replay(&log, err, sizeof err);
		if (r == EL_OK) {
			for (size_t i = 0; i < log.n; i++)
				if (log.ev[i].imr >= 0 && log.ev[i].imr < EL_NREG && log.ev[i].extended &&
				    log.count[log.ev[i].imr] == 0)
					abort(); /* an extended event must be counted */
		}
	}
	if (r != EL_OK && err[0] == 0)
		abort(); /* a failure without a message */
	el_free(&log);
	return 0;
}

/* libjq 1.6 leaks the value it was building when it meets "Expected
 * separator between values" (jv_parse.c value() drops the new value without
 * freeing it): libjq's bug on malformed JSON, not this code's. Leaks of
 * allocations made inside jv_parser_next are suppressed (which needs full
 * malloc stacks: libjq has no frame pointers). Leaks of everything the event
 * log code allocates itself (names, payloads, preimages, the event array) are
 * still caught here; a leaked parsed document is caught by the bats suites
 * under VALGRIND=1. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:jv_parser_next\n"; }
