#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *progname = "mero-policy";

static void pending_unlink_all(void);

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
	pending_unlink_all();
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

void buf_add_utf8(struct buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
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

const char *size_text(size_t cap, char out[32])
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

int read_file_capped(const char *path, size_t cap, struct buf *b, unsigned flags)
{
	char t[32];
	int code = 0, e = 0;
	char msg[600];
	buf_init(b);
	if (strcmp(path, "-") == 0) {
		int r = read_stream(stdin, cap, b);
		if (r > 0) {
			code = EXIT_DATAERR;
			snprintf(msg, sizeof msg, "standard input exceeds the %s input cap", size_text(cap, t));
		} else if (r < 0) {
			code = EXIT_IOERR;
			e = errno;
			snprintf(msg, sizeof msg, "cannot read standard input: %s", strerror(e));
		}
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		FILE *f = NULL;
		if (fd < 0) {
			code = EXIT_NOINPUT;
			e = errno;
			snprintf(msg, sizeof msg, "cannot open '%s': %s", path, strerror(e));
		} else if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
			code = EXIT_NOINPUT;
			e = EISDIR;
			snprintf(msg, sizeof msg, "cannot read '%s': not a regular file (a directory)", path);
			close(fd);
		} else if (!(f = fdopen(fd, "rb"))) {
			code = EXIT_IOERR;
			e = errno;
			snprintf(msg, sizeof msg, "cannot read '%s': %s", path, strerror(e));
			close(fd);
		} else {
			int r = read_stream(f, cap, b);
			e = errno;
			fclose(f);
			if (r > 0) {
				code = EXIT_DATAERR;
				e = EFBIG;
				snprintf(msg, sizeof msg, "'%s' exceeds the %s input cap", path, size_text(cap, t));
			} else if (r < 0) {
				code = EXIT_IOERR;
				snprintf(msg, sizeof msg, "cannot read '%s': %s", path, strerror(e));
			}
		}
	}
	if (!code)
		return 0;
	buf_free(b);
	if (!(flags & RF_SOFT))
		fail(code, "%s", msg);
	errno = e;
	return code;
}

/* ---- the safe writer ----
 * Temporaries in flight are listed here, so that an error exit or a fatal
 * signal removes them (the list is read from a signal handler: fixed slots). */
#define MAX_PENDING 8
static char *volatile pending[MAX_PENDING];

static void pending_add(char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (!pending[i]) {
			pending[i] = tmp;
			return;
		}
	fail(EXIT_SOFTWARE, "too many files written at once");
}

static void pending_del(const char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] == tmp)
			pending[i] = NULL;
}

static void pending_unlink_all(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i])
			unlink(pending[i]);
}

static void on_fatal_signal(int sig)
{
	pending_unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catch the signals that end a program (only where nobody else handles them),
 * so that an interrupted write leaves no temporary behind. */
static void catch_fatal_signals(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_fatal_signal;
			sigemptyset(&sa.sa_mask);
			sigaction(sigs[i], &sa, NULL);
		}
	}
}

static void wfile_fail(struct wfile *w, const char *what, int e) __attribute__((noreturn));
static void wfile_fail(struct wfile *w, const char *what, int e)
{
	wfile_abort(w);
	fail(EXIT_IOERR, "cannot %s '%s': %s", what, w->path, strerror(e));
}

/* A device, FIFO or terminal (links followed) is written in place; a regular
 * file, a missing one or a link to either is replaced by a new file. */
static int open_in_place(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return -1;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -2;
	/* it may have been swapped for a regular file since stat: never write
	 * into a regular file in place */
	if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

void wfile_open(struct wfile *w, const char *path, int mode)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->path = path;
	if (!*path)
		fail(EXIT_IOERR, "cannot write '': empty file name");
	int fd = open_in_place(path);
	if (fd == -2)
		wfile_fail(w, "open", errno);
	if (fd >= 0) {
		w->fd = fd;
		w->in_place = 1;
		return;
	}
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		wfile_fail(w, "write", EISDIR);
	catch_fatal_signals();
	/* a unique name beside the target, created with O_EXCL|O_NOFOLLOW: a
	 * link planted at any name is never followed */
	size_t n = strlen(path) + 32;
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	for (int tries = 0; tries < 100; tries++) {
		uint8_t rnd[6];
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			wfile_fail(w, "create a temporary for", errno);
		char *tmp = xmalloc(n);
		snprintf(tmp, n, "%.*s.%s.%02x%02x%02x%02x%02x%02x.tmp", (int)dirlen, path, path + dirlen,
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		pending_add(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			w->fd = fd;
			w->tmp = tmp;
			return;
		}
		int e = errno;
		pending_del(tmp);
		free(tmp);
		if (e != EEXIST)
			wfile_fail(w, "create a temporary for", e);
	}
	wfile_fail(w, "create a temporary for", EEXIST);
}

void wfile_write(struct wfile *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t r = write(w->fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			wfile_fail(w, "write", errno);
		}
		p += r;
		len -= (size_t)r;
	}
}

void wfile_commit(struct wfile *w)
{
	if (w->in_place) {
		int r = close(w->fd);
		w->fd = -1;
		if (r != 0)
			wfile_fail(w, "write", errno);
		return;
	}
	if (fsync(w->fd) != 0)
		wfile_fail(w, "write", errno);
	int r = close(w->fd);
	w->fd = -1;
	if (r != 0)
		wfile_fail(w, "write", errno);
	/* rename replaces a link at the final name instead of writing through it */
	if (rename(w->tmp, w->path) != 0)
		wfile_fail(w, "replace", errno);
	pending_del(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
}

int wfile_commit_new(struct wfile *w)
{
	int e = 0;
	if (w->in_place)
		e = EEXIST; /* a device or FIFO is there */
	else if (fsync(w->fd) != 0)
		e = errno;
	if (!e) {
		int r = close(w->fd);
		w->fd = -1;
		/* link, unlike rename, fails on any name that exists, a link too */
		if (r != 0 || link(w->tmp, w->path) != 0)
			e = errno;
	}
	wfile_abort(w); /* the temporary goes in every case */
	return e;
}

void wfile_abort(struct wfile *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp) {
		unlink(w->tmp);
		pending_del(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
	}
}

void write_file(const char *path, const void *data, size_t len, int mode)
{
	struct wfile w;
	wfile_open(&w, path, mode);
	wfile_write(&w, data, len);
	wfile_commit(&w);
}

void out_write(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		fail(EXIT_IOERR, "cannot write to standard output: %s", strerror(errno));
}

void write_output(const char *path, const void *p, size_t n)
{
	if (path) {
		write_file(path, p, n, 0644);
	} else {
		out_write(p, n);
		close_stdout();
	}
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

double parse_seconds(const char *s, double min, double max)
{
	char *end;
	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno || !(v >= min) || !(v <= max))
		return -1;
	return v;
}

double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_seconds(double s)
{
	if (!(s > 0))
		return;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
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

void make_dirs(const char *path)
{
	char *d = xstrdup(path);
	for (char *q = d + 1;; q++) {
		if (*q != '/' && *q)
			continue;
		char c = *q;
		*q = 0;
		struct stat st;
		if (mkdir(d, 0755) != 0 && (errno != EEXIST || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)))
			fail(EXIT_IOERR, "cannot make the folder '%s': %s", d, strerror(errno == EEXIST ? ENOTDIR : errno));
		if (!(*q = c))
			break;
	}
	free(d);
}

