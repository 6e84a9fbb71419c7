#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { ERR_CAP = 4096 };

/* Append what is readable on fd to b (up to cap bytes kept); 0 at the end. */
static int drain(int fd, struct buf *b, size_t cap, int *over)
{
	char chunk[65536];
	ssize_t r = read(fd, chunk, sizeof chunk);
	if (r < 0 && errno == EINTR)
		return 1;
	if (r <= 0)
		return 0;
	size_t keep = b->len >= cap ? 0 : (size_t)r < cap - b->len ? (size_t)r : cap - b->len;
	buf_add(b, chunk, keep);
	if (keep < (size_t)r)
		*over = 1;
	return 1;
}

static pid_t spawn(char *const argv[], int in, int fd3, int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	/* out and err first: placing stdin and descriptor 3 must not replace
	 * a pipe before it was copied */
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (fd3 >= 0)
		posix_spawn_file_actions_adddup2(&fa, fd3, 3);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail(EXIT_UNAVAILABLE, "cannot run %s: %s", argv[0], strerror(rc));
	return pid;
}

/* An anonymous memory file holding b, at offset 0 (-1 for NULL). */
static int memory_file(const char *name, const struct buf *b)
{
	if (!b)
		return -1;
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		fail(EXIT_SOFTWARE, "memfd_create: %s", strerror(errno));
	for (size_t off = 0; off < b->len;) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail(EXIT_SOFTWARE, "cannot fill a memory file: %s", strerror(errno));
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fail(EXIT_SOFTWARE, "lseek: %s", strerror(errno));
	return fd;
}

int run_capture(char *const argv[], struct buf *out, size_t cap, int *over, struct buf *err)
{
	return run_capture_with(argv, NULL, NULL, out, cap, over, err);
}

int run_capture_with(char *const argv[], const struct buf *in, const struct buf *fd3, struct buf *out, size_t cap,
		     int *over, struct buf *err)
{
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		fail(EXIT_SOFTWARE, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	int fi = memory_file("stdin", in), f3 = memory_file("fd3", fd3);
	pid_t pid = spawn(argv, fi, f3, po[1], pe[1]);
	if (fi >= 0)
		close(fi);
	if (f3 >= 0)
		close(f3);
	close(po[1]);
	close(pe[1]);
	buf_init(out);
	buf_init(err);
	*over = 0;
	int eover = 0;
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(EXIT_SOFTWARE, "cannot run %s: poll: %s", argv[0], strerror(errno));
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!drain(fds[i].fd, i ? err : out, i ? ERR_CAP : cap, i ? &eover : over)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
		if (*over && fds[0].fd >= 0) {
			kill(pid, SIGTERM);
			close(fds[0].fd);
			fds[0].fd = -1;
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail(EXIT_SOFTWARE, "cannot run %s: waitpid: %s", argv[0], strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void run_first_line(const struct buf *err, const char *dflt, char *why, size_t whylen)
{
	const char *s = err->len ? (const char *)err->data : dflt;
	size_t n = strcspn(s, "\n");
	snprintf(why, whylen, "%.*s", (int)n, s);
}
