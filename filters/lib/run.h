/* Run a program with an argv array (posix_spawnp: never a shell), stdin from
 * /dev/null, and capture what it writes. */
#ifndef MP_RUN_H
#define MP_RUN_H

#include "common.h"

/* Run argv[0] (found on PATH) with argv. Its stdout goes to out (initialised
 * here; at most cap bytes: past that *over is set and the program is stopped),
 * the start of its stderr (4 KiB) to err. Returns its exit status (128 +
 * signal when killed); exits 69 when it cannot be started. */
int run_capture(char *const argv[], struct buf *out, size_t cap, int *over, struct buf *err);
/* run_capture, with stdin reading in's bytes (NULL: /dev/null) and, when
 * fd3 is not NULL, its bytes open on descriptor 3 (the program reads them as
 * /dev/fd/3). Both are anonymous memory files: nothing touches the disk. */
int run_capture_with(char *const argv[], const struct buf *in, const struct buf *fd3, struct buf *out, size_t cap,
		     int *over, struct buf *err);
/* The first line of err, or dflt when empty, into why. */
void run_first_line(const struct buf *err, const char *dflt, char *why, size_t whylen);

#endif
