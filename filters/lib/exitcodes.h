/* Exit codes shared by every mero-policy program (DESIGN.md, "Exit codes").
 * The numbers above 63 are those of <sysexits.h>; 1 and 2 are the usual
 * "clean no" and "usage" of Unix filters. */
#ifndef MP_EXITCODES_H
#define MP_EXITCODES_H

enum {
	EXIT_OK = 0,          /* success */
	EXIT_NO = 1,          /* a clean "no": findings, verification failed, mismatch */
	EXIT_USAGE = 2,       /* bad options or arguments */
	EXIT_DATAERR = 65,    /* malformed input */
	EXIT_NOINPUT = 66,    /* an input file is missing or unreadable */
	EXIT_UNAVAILABLE = 69,/* a service is unavailable */
	EXIT_SOFTWARE = 70,   /* internal error */
	EXIT_IOERR = 74,      /* I/O error, including a failed write to stdout */
	EXIT_TEMPFAIL = 75,   /* temporary failure worth retrying */
	EXIT_PROTOCOL = 76,   /* protocol error: an impossible answer */
	EXIT_NOPERM = 77,     /* refused credentials */
	EXIT_CONFIG = 78      /* configuration missing or invalid */
};

#endif
