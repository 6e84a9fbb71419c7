/* Where version-sync reads the versions (policies/version-sync.toml, or the
 * upstream layout by default) and what one source says at one commit. */
#ifndef VS_SOURCES_H
#define VS_SOURCES_H

#include <stddef.h>

#include "lib/lint.h"

enum { VS_KMS, VS_NODE };
enum vs_kind { VS_SRC_TOML, VS_SRC_CARGO_LOCK, VS_SRC_JSON, VS_SRC_VERSIONS };

struct vs_source {
	enum vs_kind kind;
	int component; /* VS_KMS or VS_NODE; -1 for a versions file (both) */
	char *file;    /* from the repository's root */
	char *key;     /* toml, json: a dotted path */
	char *package; /* cargo-lock: the [[package]] name */
	int optional;  /* a file missing at the head is skipped */
	long line;     /* of its [[source]] in the config; 0 for the defaults */
};

struct vs_config {
	char *name; /* the config file, or "the built-in defaults" */
	struct vs_source *v;
	size_t n;
};

/* The defaults: upstream's layout plus this project's versions file. */
void vs_config_defaults(struct vs_config *c);
/* Read a config from TOML text (named name in messages): exits 65 on
 * malformed TOML, 78 on an invalid source, both naming the line. */
void vs_config_parse(struct vs_config *c, const char *text, size_t len, const char *name);
void vs_config_free(struct vs_config *c);

/* The "unchanged for this release" marker of a versions file. */
struct vs_marker {
	int present, valid;
	char *component, *version, *release, *reason;
	long line, version_line, release_line;
};

/* What one source says at one commit. */
struct vs_read {
	int present;           /* the file exists there */
	char *version[2];      /* per component (VS_KMS, VS_NODE); NULL when not given */
	long line[2];
	struct vs_marker marker;
};

/* Read source s at commit, naming it shown in messages. Problems of content
 * (a key missing, two packages, not a version) go to l when l is not NULL.
 * Returns 0, or 65 for a malformed file with "FILE:LINE: ..." in err. */
int vs_read(const struct vs_source *s, const char *commit, const char *shown, struct lint *l, struct vs_read *r,
	    char *err, size_t errlen);
void vs_read_free(struct vs_read *r);

/* "kms" / "node" and "the KMS" / "the node image" */
const char *vs_component_name(int c);
const char *vs_component_text(int c);

#endif
