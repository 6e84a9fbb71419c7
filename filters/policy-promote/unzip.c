/* Reading an Actions artifact (a zip) in memory with libzip. Only members of
 * known names are taken, each written under its own name into a folder of
 * ours, so the archive's paths never choose where anything goes. */
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "promote.h"

#define MEMBER_CAP (16 * MP_MIB)

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int depth(const char *p)
{
	int d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* The index of the shallowest member named name (-1: none); two at that
 * depth are ambiguous (65). */
static zip_int64_t anchor(zip_t *z, const char *name, const char *what)
{
	zip_int64_t n = zip_get_num_entries(z, 0), best = -1;
	int bd = 0, ties = 0;
	for (zip_int64_t i = 0; i < n; i++) {
		const char *m = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_GUESS);
		if (!m || strcmp(base_name(m), name) != 0)
			continue;
		int d = depth(m);
		if (best < 0 || d < bd)
			best = i, bd = d, ties = 0;
		else if (d == bd)
			ties++;
	}
	if (ties)
		fail(EXIT_DATAERR, "%s holds %s in more than one folder: which one is meant?", what, name);
	return best;
}

static void extract(zip_t *z, zip_int64_t i, const char *name, const char *dir, const char *what)
{
	zip_stat_t st;
	if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		fail(EXIT_DATAERR, "%s: cannot read the entry of %s: %s", what, name, zip_strerror(z));
	if (st.size > MEMBER_CAP)
		fail(EXIT_DATAERR, "%s: %s is larger than 16 MiB", what, name);
	zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
	if (!f)
		fail(EXIT_DATAERR, "%s: cannot open %s: %s", what, name, zip_strerror(z));
	char *data = xmalloc(st.size + 1);
	zip_int64_t got = zip_fread(f, data, st.size + 1);
	if (got < 0 || (zip_uint64_t)got != st.size)
		fail(EXIT_DATAERR, "%s: %s does not unpack to its recorded size", what, name);
	zip_fclose(f);
	char path[4400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	write_file(path, data, st.size, 0644);
	free(data);
}

int unzip_members(const struct buf *zip, const char *const *names, const char *dir, const char *what)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(zip->data, zip->len, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
	if (!z) {
		zip_source_free(src);
		fail(EXIT_DATAERR, "%s is not a zip archive: %s", what, zip_error_strerror(&ze));
	}
	zip_int64_t first = anchor(z, names[0], what);
	if (first < 0)
		fail(EXIT_NOINPUT, "%s holds no %s", what, names[0]);
	const char *m = zip_get_name(z, (zip_uint64_t)first, ZIP_FL_ENC_GUESS);
	char *prefix = strndup(m, (size_t)(base_name(m) - m));
	int found = 0;
	for (int k = 0; names[k]; k++) {
		char full[1024];
		snprintf(full, sizeof full, "%s%s", prefix, names[k]);
		zip_int64_t i = zip_name_locate(z, full, ZIP_FL_ENC_GUESS);
		if (i >= 0) {
			extract(z, i, names[k], dir, what);
			found++;
		}
	}
	free(prefix);
	zip_discard(z);
	zip_error_fini(&ze);
	return found;
}
