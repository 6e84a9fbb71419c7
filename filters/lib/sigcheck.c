#include "sigcheck.h"

#include <stdlib.h>
#include <string.h>

#include "run.h"

int sig_verify(const char *key, const struct buf *blob, const struct buf *sig, char *why, size_t whylen)
{
	char *argv[] = {"cosign-wrap", "verify", "--key", (char *)key, "--signature", "/dev/fd/3", NULL};
	struct buf out, err;
	int over;
	int st = run_capture_with(argv, blob, sig, &out, 4096, &over, &err);
	if (st == 0 && strncmp((const char *)out.data, "Verified OK", 11) != 0)
		st = EXIT_PROTOCOL;
	run_first_line(&err, st == 0 ? "Verified OK" : "cosign-wrap verify said nothing", why, whylen);
	buf_free(&out);
	buf_free(&err);
	return st;
}
