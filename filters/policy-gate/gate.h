/* policy-gate: the CI gate on a policy pull request. What it reads, what it
 * finds, and the parts main runs in order. */
#ifndef GATE_H
#define GATE_H

#include <jv.h>

#include "lib/common.h"
#include "lib/github.h"
#include "lib/policy.h"

#define PROMOTION_LABEL "policy-promotion"
#define STATUS_CONTEXT "policy-gate"

struct opts {
	const char *repo, *pr, *security, *architecture, *key, *work;
	int approvals, status;
};

/* a policy file at the merge base and at the head (absent: not there) */
struct side {
	struct buf text;
	int present;
	jv doc; /* parsed, or invalid */
};

struct pfile {
	char *path;
	const char *profile;
	int changed;
	struct side base, head;
};

/* an added allowlist value and what backs it */
struct added {
	char *file, *list, *value;
	const char *profile;
	char *backed_by; /* NULL: nothing */
};

struct gate {
	struct opts o;
	struct gh g;
	char *work;
	/* the pull request */
	int number;
	char head[65], base[65], merge_base[65];
	char *author, *body;
	jv labels, files;        /* names; the files list as the API gave it */
	int policy_change;       /* a file under policies/ changes */
	jv other_changes;        /* files under policies/ that are not policy files */
	struct pfile f[POLICY_NFILES];
	/* findings */
	struct added *add;
	size_t nadd;
	jv structural;           /* [{file, path, change}] */
	jv candidates, releases; /* evidence: every signed block and node release */
	jv lint;                 /* the head's lint findings */
	int lint_ok;
	jv reviewers;            /* per reviewer: latest state and whether it counts */
	int approvals, arch_approvals;
	jv reqs;                 /* [{id, met, detail, evidence}] */
	int pass;
};

/* pull.c */
void pull_read(struct gate *g);
void contents_read(struct gate *g);
void lint_head(struct gate *g);
/* values.c */
void values_diff(struct gate *g);
/* a list's value as mero-kms compares it (new string), NULL when it is no
 * string; does not consume v */
char *value_normal(jv v, const char *list);
/* evidence.c */
void evidence_read(struct gate *g);
void values_back(struct gate *g);
/* reviews.c */
void reviews_count(struct gate *g);
/* verdict.c */
void req_add(struct gate *g, const char *id, int met, jv evidence, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* a repository path inside the work folder (new string) */
char *gate_path(const struct gate *g, const char *a, const char *b);
/* the verdict JSON (every requirement, the unmet ones listed) */
jv verdict_json(struct gate *g);
/* the summary: markdown into md, one line per requirement on stderr */
void summary(struct gate *g, struct buf *md);

#endif
