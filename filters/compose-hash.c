/* compose-hash: the SHA-256 of the exact bytes of a compose file as deployed
 * (never re-serialised), and checks of it against an expected hash or an
 * event log. Rendering the template is compose-render's job. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/eventlog.h"
#include "lib/sha.h"

enum { OPT_CHECK = 'c', OPT_EVENT_LOG = 'e' };

static const struct cli_opt options[] = {
	{"check", OPT_CHECK, "HEX", "exit 1 unless the hash equals HEX (64 hex digits, any case)", 0},
	{"event-log", OPT_EVENT_LOG, "FILE", "exit 1 unless the event log's compose-hash runtime events in IMR 3\n"
					     "carry the hash (any form rtmr-replay reads; its runtime digests\n"
					     "are checked too)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "compose-hash [--check HEX] [--event-log FILE] < COMPOSE > HASH",
	.about = "Print the lower-case SHA-256 of the exact compose bytes read (Docker Compose YAML or dstack\n"
		 "app-compose.json; nothing is re-serialised), and check it.",
	.opts = options,
	.trailer = "stdin: a compose file (at most 16 MiB).  stdout: 64 hex digits and a newline.\n"
		   "exit: 0 ok, 1 mismatch, 2 usage, 65 malformed input or event log, 66 a file missing,\n"
		   "74 write error.",
};

#define COMPOSE_CAP (16 * MP_MIB)

/* exit 1 unless the log's compose-hash runtime events (IMR 3) carry md */
static void check_event_log(const char *path, const uint8_t md[32], const char *hex)
{
	struct buf b;
	struct eventlog log;
	char err[1024];
	el_init(&log);
	read_file_capped(path, COMPOSE_CAP, &b, 0);
	if (el_parse(b.data, b.len, &log, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse event log '%s': %s", path, err);
	buf_free(&b);
	int r = el_replay(&log, err, sizeof err);
	if (r)
		fail(r == EL_MISMATCH ? EXIT_NO : EXIT_DATAERR, "event log '%s': %s", path, err);
	size_t found = 0;
	for (size_t i = 0; i < log.n; i++) {
		const struct el_event *e = &log.ev[i];
		if (e->imr != 3 || !e->has_computed || strcmp(e->name, "compose-hash") != 0 || e->name_len != 12)
			continue;
		if (e->payload_len != 32 || memcmp(e->payload, md, 32) != 0) {
			char *got = hex_encode(e->payload, e->payload_len);
			fail(EXIT_NO, "event log '%s': compose-hash event %zu carries %s, not %s", path, i, got, hex);
		}
		found++;
	}
	el_free(&log);
	if (!found)
		fail(EXIT_NO, "event log '%s' has no compose-hash runtime event in IMR 3", path);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *check = NULL, *elog = NULL;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_CHECK: check = val; break;
		case OPT_EVENT_LOG: elog = val; break;
		}
	}
	uint8_t want[32];
	if (check && hex_decode_exact(check, want, 32))
		cli_usage(&cl, "--check needs 64 hex digits, not '%s'", check);
	cli_free(&cl);

	struct buf in;
	read_capped(stdin, COMPOSE_CAP, "compose file", &in);
	if (in.len == 0)
		fail(EXIT_DATAERR, "empty compose file");
	uint8_t md[32];
	char hex[65];
	sha256(in.data, in.len, md);
	buf_free(&in);
	hex_encode_to(md, 32, hex);
	if (check && memcmp(md, want, 32) != 0) {
		char *w = hex_encode(want, 32);
		fail(EXIT_NO, "compose hash %s differs from the expected %s", hex, w);
	}
	if (elog)
		check_event_log(elog, md, hex);
	out_write(hex, 64);
	out_write("\n", 1);
	close_stdout();
	return 0;
}
