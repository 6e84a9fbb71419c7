/* Error reporting, allocation, capped input reading and output closing. */
#ifndef MP_COMMON_H
#define MP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exitcodes.h"

#define MP_VERSION "0.1.0"
#define MP_MIB ((size_t)1 << 20)

extern const char *progname;

/* Set the program name used as the prefix of every diagnostic. */
void prog_init(const char *name);

/* One line on stderr: "prog: message", then exit with code; anything still
 * buffered for stdout is dropped (call close_stdout first to keep output). */
void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* One line on stderr: "prog: message"; returns. */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: "prog: message" and the synopsis on stderr, exit 2. */
void usage_fail(const char *synopsis, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* A growable byte buffer; data is always NUL-terminated (not counted in len). */
struct buf {
	uint8_t *data;
	size_t len, cap;
};
void buf_init(struct buf *b);
/* Make room for extra more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, int c);
/* Append the code point cp (at most U+10FFFF) encoded as UTF-8. */
void buf_add_utf8(struct buf *b, uint32_t cp);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

/* Read all of f into b, failing (65) with "what exceeds N bytes" past cap,
 * or (74) on a read error. */
void read_capped(FILE *f, size_t cap, const char *what, struct buf *b);

enum { RF_SOFT = 1 }; /* read_file_capped returns the exit code instead of exiting */
/* Read a named file ("-" is stdin) into b (initialised here). Returns 0. On
 * failure exits with one line naming the file: 66 when it is missing,
 * unreadable or not a regular file (a directory), 65 past cap, 74 on a read
 * error. With RF_SOFT it returns that code instead (b freed, errno set). */
int read_file_capped(const char *path, size_t cap, struct buf *b, unsigned flags);
/* "16 MiB" or "4096 bytes", for messages about caps. */
const char *size_text(size_t cap, char out[32]);

/* The safe writer. A PATH whose target (links followed) exists and is not a
 * regular file (a device, a FIFO, /dev/stdout) is opened and written in place;
 * any other PATH is written to a new file of a unique name beside it (created
 * with O_CREAT|O_EXCL|O_NOFOLLOW, so a planted link is never followed), synced
 * and renamed over PATH, which replaces a link at PATH instead of writing
 * through it. Every failure (a full device included) exits 74 with the path,
 * after removing the temporary; so do error exits and fatal signals while a
 * file is being written. */
struct wfile {
	int fd;       /* the temporary's, or the target's when written in place */
	int in_place; /* 1: the target is a device or FIFO, written in place */
	const char *path;
	char *tmp;    /* private: the temporary's name */
};
void wfile_open(struct wfile *w, const char *path, int mode);
void wfile_write(struct wfile *w, const void *data, size_t len);
void wfile_commit(struct wfile *w);
/* Commit as a new file: the temporary is synced and linked to PATH, which
 * never replaces anything there (a file, a link or a device that appeared
 * since wfile_open included). Returns 0, or an errno value (EEXIST when the
 * name is taken) for the caller to report; the temporary is removed either
 * way. */
int wfile_commit_new(struct wfile *w);
void wfile_abort(struct wfile *w);
/* The whole file at once. */
void write_file(const char *path, const void *data, size_t len, int mode);

/* mkdir -p: make each missing folder of path (0755); exit 74 naming the one
 * that cannot be made. */
void make_dirs(const char *path);

/* Write bytes to stdout; 74 on failure. */
void out_write(const void *p, size_t n);
/* Flush and close stdout; exit 74 with a message when that fails. */
/* The output of a filter: FILE through the safe writer when path is given,
 * else standard output, closed (74 on any write failure). */
void write_output(const char *path, const void *p, size_t n);
void close_stdout(void);

/* Parse a non-negative decimal integer; -1 on error. */
long long parse_uint(const char *s, long long max);
/* Parse a number of seconds ("2", "0.25") from min to max; -1 on error. */
double parse_seconds(const char *s, double min, double max);
/* Seconds on the monotonic clock. */
double mono_now(void);
/* Sleep for s seconds (interrupted sleeps are resumed). */
void sleep_seconds(double s);

/* Current time honouring SOURCE_DATE_EPOCH (for reproducible artifacts). */
long long now_epoch(void);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void format_utc(long long t, char out[32]);
/* Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or +00:00); -1 on error. */
long long parse_utc(const char *s);

#endif
