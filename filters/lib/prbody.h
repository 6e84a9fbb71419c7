/* The machine-read parts of a policy promotion pull request's body: make
 * promote writes them, make gate reads them back.
 *
 *   <!-- mero-policy:signed-candidates -->
 *   ````json
 *   {the candidates file, byte for byte as signed}
 *   ````
 *   ````text
 *   {its cosign signature: base64}
 *   ````
 *   <!-- /mero-policy:signed-candidates -->
 *
 *   <!-- mero-policy:node-release TAG -->   node values from that release's
 *                                           published-mrtds.json
 *
 * A body may hold several of each. Line ends may come back from GitHub as
 * CR LF (a body edited in the web editor): a fence's content is its lines
 * joined with LF, plus a final LF, which gives back the canonical JSON that
 * was signed (JSON text holds no raw CR). */
#ifndef MP_PRBODY_H
#define MP_PRBODY_H

#include <stddef.h>

#include "common.h"

#define PRBODY_BEGIN "<!-- mero-policy:signed-candidates -->"
#define PRBODY_END "<!-- /mero-policy:signed-candidates -->"
#define PRBODY_NODE "<!-- mero-policy:node-release "

/* Append a signed-candidates section; exits 65 when the candidates hold a
 * line that would end the fence. */
void prbody_put_candidates(struct buf *body, const struct buf *cand, const struct buf *sig);
/* Append a node-release marker (tag: [A-Za-z0-9._-], 1-128 characters, not
 * starting with '.' or '-'). */
void prbody_put_node_release(struct buf *body, const char *tag);
/* 1 when tag may name a release in a marker. */
int prbody_tag_ok(const char *tag);

struct prbody_signed {
	struct buf cand, sig;
	int line; /* of the begin marker, from 1 */
};

struct prbody {
	struct prbody_signed *v;
	size_t n;
	char **releases; /* node-release tags */
	size_t nrel;
	char **errors;   /* "line N: what is wrong" for sections that do not parse */
	size_t nerr;
};

void prbody_parse(const char *text, size_t len, struct prbody *out);
void prbody_free(struct prbody *p);

#endif
