/* gh-call: a test driver of the GitHub client (filters/lib/github.h), built by
 * tests/github-client.bats against the library archive. Token from
 * GITHUB_TOKEN or GH_TOKEN (none required).
 *
 *   gh-call METHOD PATH [JSON]   gh_json with GH_SOFT: prints "STATUS" and the answer
 *   gh-call get PATH             gh_get: prints the answer
 *   gh-call all PATH [KEY]       gh_get_all: prints the collected array
 *   gh-call download PATH FILE   gh_download_file
 *   gh-call upload URL FILE TYPE gh_upload: prints "STATUS" and the answer
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/github.h"
#include "lib/json.h"

static enum http_method method(const char *m)
{
	static const char *const names[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
	static const enum http_method ms[] = {HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_PATCH};
	for (int i = 0; i < 5; i++)
		if (!strcmp(m, names[i]))
			return ms[i];
	fail(EXIT_USAGE, "unknown method '%s'", m);
}

static void print(long status, jv v)
{
	if (status)
		printf("%ld\n", status);
	json_emit(v);
}

int main(int argc, char **argv)
{
	static const char *const vars[] = {"GITHUB_TOKEN", "GH_TOKEN", NULL};
	prog_init("gh-call");
	if (argc < 3)
		fail(EXIT_USAGE, "usage: gh-call METHOD|get|all|download|upload PATH [ARG...]");
	struct gh g;
	gh_init(&g, vars, 0);
	const char *cmd = argv[1];
	char *url = strstr(argv[2], "://") ? xstrdup(argv[2]) : gh_url(&g, "%s", argv[2]);
	if (!strcmp(cmd, "get")) {
		print(0, gh_get(&g, url));
	} else if (!strcmp(cmd, "all")) {
		print(0, gh_get_all(&g, url, argc > 3 ? argv[3] : NULL));
	} else if (!strcmp(cmd, "download") && argc > 3) {
		gh_download_file(&g, url, argv[3], 0644);
	} else if (!strcmp(cmd, "upload") && argc > 4) {
		int fd = open(argv[3], O_RDONLY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0)
			fail(EXIT_NOINPUT, "cannot open '%s'", argv[3]);
		struct http_source src = {fd, (long long)st.st_size, NULL, NULL, NULL};
		jv ans;
		long s = gh_upload(&g, url, &src, argv[4], NULL, NULL, &ans);
		if (!s)
			fail(g.last_rc, "%s", g.last_err);
		print(s, ans);
		close(fd);
	} else {
		jv body = jv_invalid();
		char err[200];
		if (argc > 3 && !jv_is_valid(body = json_parse(argv[3], strlen(argv[3]), err, sizeof err)))
			fail(EXIT_USAGE, "bad JSON: %s", err);
		jv ans;
		long s = gh_json(&g, method(cmd), url, body, GH_SOFT, &ans);
		print(s, ans);
	}
	free(url);
	gh_free(&g);
	close_stdout();
	return 0;
}
