/* policy-promote: the parts of one promotion, in the order main runs them. */
#ifndef PROMOTE_H
#define PROMOTE_H

#include <jv.h>

#include "lib/common.h"
#include "lib/github.h"
#include "lib/policy.h"
#include "lib/sha.h"

#define CANDIDATES_NAME "measurement-policy-candidates.json"
#define REPORT_NAME "probe-report.md"
#define PROMOTION_LABEL "policy-promotion"

struct opts {
	const char *profile, *candidates, *signature, *run_id, *tag, *key, *work, *repo_dir, *repo, *base;
	int allow_simulated, push, draft;
};

/* one policy file of the repository: at the branch's parent, and after */
struct pfile {
	char *path;            /* policies/kms-phala-attestation-policy.P.json */
	struct buf before, after;
	int present, changed;
};

struct promote {
	struct opts o;
	char *work;            /* absolute */
	/* the inputs, as verified */
	struct buf cand, sig, report;
	int have_report;
	char report_note[400]; /* why the report is not in the body, when it is not */
	jv cj;                 /* the candidates, parsed */
	char cand_sha[65], sig_sha[65];
	const char *role, *source, *quote_sha;
	int simulated;
	char tag[129];
	/* the policy files and the commit */
	struct pfile f[POLICY_NFILES];
	int me;                /* the index of the profile's file in f */
	char parent[65], tree[65], commit[65], branch[300];
	int changed, reused;
	/* the pull request */
	struct gh g;
	int have_gh, pushed;
	struct buf body;
	char title[200], compare[600];
	jv pull;               /* {number, html_url, action} or null */
};

/* inputs.c */
void inputs_read(struct promote *p);
void inputs_check(struct promote *p);
/* fetch.c: the candidates of a probe workflow run, into WORK/run-N/ */
char *fetch_run(struct promote *p);
/* unzip.c: the members of a zip in memory named names[0] (the shallowest
 * one; exit 66 when there is none) and names[1..] in the same folder, each
 * into dir under its name; returns how many were found */
int unzip_members(const struct buf *zip, const char *const *names, const char *dir, const char *what);
/* merge.c */
void merge_files(struct promote *p);
void lint_files(struct promote *p);
/* commit.c */
void commit_branch(struct promote *p);
/* body.c */
void body_build(struct promote *p);
/* pull.c */
void pull_open(struct promote *p);

/* the GitHub client, set up on first use; with required, no token is 78 */
struct gh *promote_gh(struct promote *p, int required);
#endif
