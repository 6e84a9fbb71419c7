#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "mero-policy";

void prog_init(const char *name)
{
	const char *slash = strrchr(name, '/');
	progname = slash ? slash + 1 : name;
}

static void vmsg(const char *fmt, va_list ap)
{
	char line[2048];
	vsnprintf(line, sizeof line, fmt, ap);
	/* one line: fold any newline a caller's data may carry */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s: %s\n", progname, line);
}

/* An error exit: whatever is still buffered for stdout is dropped (no partial
 * output), then exit. Under AddressSanitizer the exit is _exit: LeakSanitizer
 * would otherwise report the buffers a failing path still holds, which is no
 * leak; valgrind (VALGRIND=1) sees the ordinary exit and its handlers. */
static void __attribute__((noreturn)) error_exit(int code)
{
	fflush(stderr);
	__fpurge(stdout);
#ifdef __SANITIZE_ADDRESS__
	_exit(code);
#else
	exit(code);
#endif
}

void fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	error_exit(code);
}

void warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void usage_fail(const char *synopsis, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s\n", synopsis);
	error_exit(EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fail(EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		fail(EXIT_SOFTWARE, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fail(EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

void buf_init(struct buf *b)
{
	b->len = 0;
	b->cap = 256;
	b->data = xmalloc(b->cap);
	b->data[0] = 0;
}

void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

void buf_addc(struct buf *b, int c)
{
	uint8_t ch = (uint8_t)c;
	buf_add(b, &ch, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int read_stream(FILE *f, size_t cap, struct buf *b)
{
	uint8_t chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b->len + n > cap)
			return 1;
		buf_add(b, chunk, n);
	}
	return ferror(f) ? -1 : 0;
}

static const char *size_text(size_t cap, char out[32])
{
	if (cap % MP_MIB == 0)
		snprintf(out, 32, "%zu MiB", cap / MP_MIB);
	else
		snprintf(out, 32, "%zu bytes", cap);
	return out;
}

void read_capped(FILE *f, size_t cap, const char *what, struct buf *b)
{
	char t[32];
	buf_init(b);
	int r = read_stream(f, cap, b);
	if (r > 0)
		fail(EXIT_DATAERR, "%s exceeds the %s input cap", what, size_text(cap, t));
	if (r < 0)
		fail(EXIT_IOERR, "cannot read %s: %s", what, strerror(errno));
}

int try_read_file(const char *path, size_t cap, struct buf *b)
{
	if (strcmp(path, "-") == 0) {
		buf_init(b);
		int r = read_stream(stdin, cap, b);
		if (r) {
			buf_free(b);
			errno = r > 0 ? EFBIG : EIO;
			return -1;
		}
		return 0;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	buf_init(b);
	int r = read_stream(f, cap, b);
	fclose(f);
	if (r) {
		buf_free(b);
		errno = r > 0 ? EFBIG : EIO;
		return -1;
	}
	return 0;
}

void read_file_capped(const char *path, size_t cap, struct buf *b)
{
	char t[32];
	if (strcmp(path, "-") == 0) {
		read_capped(stdin, cap, "standard input", b);
		return;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		fail(EXIT_NOINPUT, "cannot open '%s': %s", path, strerror(errno));
	buf_init(b);
	int r = read_stream(f, cap, b);
	int e = errno;
	fclose(f);
	if (r > 0)
		fail(EXIT_DATAERR, "'%s' exceeds the %s input cap", path, size_text(cap, t));
	if (r < 0)
		fail(EXIT_IOERR, "cannot read '%s': %s", path, strerror(e));
}

void write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	size_t n = strlen(path) + 8;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		fail(EXIT_IOERR, "cannot create '%s': %s", tmp, strerror(errno));
	const uint8_t *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			fail(EXIT_IOERR, "cannot write '%s': %s", tmp, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int e = errno;
		unlink(tmp);
		fail(EXIT_IOERR, "cannot write '%s': %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		fail(EXIT_IOERR, "cannot rename '%s' to '%s': %s", tmp, path, strerror(e));
	}
	free(tmp);
}

void out_write(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(errno));
}

void close_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad)
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(e));
}

long long parse_uint(const char *s, long long max)
{
	if (!s || !*s)
		return -1;
	long long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (max - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

long long now_epoch(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		long long v = parse_uint(sde, (long long)1 << 40);
		if (v >= 0)
			return v;
	}
	return (long long)time(NULL);
}

void format_utc(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long parse_utc(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && *p != 0)
		return -1;
	return (long long)timegm(&tm);
}
