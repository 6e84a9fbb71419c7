/* policy-lint: the findings, the files being linted and the rules. */
#ifndef POLICY_LINT_H
#define POLICY_LINT_H

#include <jv.h>

#include <stdio.h>

#include "lib/common.h"
#include "lib/jsonpos.h"

enum sev { SEV_ERROR, SEV_WARNING, SEV_NOTICE };
enum format { FMT_TEXT, FMT_JSON, FMT_GITHUB };

struct finding {
	int file;  /* index into the files, -1 for a finding about the set (--release) */
	int line, col;
	char *path;
	const char *rule;
	enum sev sev;
	char *msg;
	int seq;   /* order of discovery, for a stable sort */
};

/* One file given to lint. */
struct pfile {
	const char *name;         /* as given; "-" is stdin */
	struct buf text;
	jv root;                  /* the parsed JSON (valid when parsed) */
	int parsed;
	struct jpos_index ix;
	const char *profile;      /* the file's own profile when it is one of the three */
	const char *name_profile; /* the profile its name carries, NULL when none */
	int legacy;               /* named kms-phala-attestation-policy.json */
};

struct lint {
	struct finding *f;
	int n, cap;
	int release;
	struct pfile *files;
	int nfiles;
};

/* Record a finding at the value at path (at its key when at_key), or at the
 * nearest enclosing value when the path does not exist. f NULL: about the set. */
void lint_at(struct lint *L, const struct pfile *f, const char *path, int at_key, const char *rule, enum sev sev,
	     const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define lint_add(L, f, path, rule, sev, ...) lint_at(L, f, path, 0, rule, sev, __VA_ARGS__)

/* findings.c: sort the findings by place, count them by severity and write
 * them in the format into o. */
void emit_findings(struct lint *L, enum format fmt, int count[3], struct buf *o);

/* A rule: its id, the severity it usually has, what it checks (the README
 * table and --list-rules print this). */
struct rule_doc {
	const char *id, *severity, *doc;
};
extern const struct rule_doc rule_docs[];

/* The rules of one file (shape, values, provenance, the legacy copy). */
void lint_file(struct lint *L, struct pfile *f);
/* provenance.c: the provenance object; the legacy file's copy. */
void check_provenance(struct lint *L, const struct pfile *f);
void check_legacy(struct lint *L, const struct pfile *f);
/* What a release requires of the set of files (--release). */
void lint_release(struct lint *L);

/* The values of an allowlist, normalised as mero-kms reads them (strings
 * only); n is set. Free with free_values. */
char **list_values(jv root, const char *list, int *n);
void free_values(char **v, int n);

#endif
