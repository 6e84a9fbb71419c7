/* A JSON Web Token as Intel Trust Authority signs its attestation tokens:
 * parsed, then verified against a JSON Web Key Set (RS256, RS384, PS256,
 * PS384, ES256, ES384; the key chosen by kid; a key's x5c leaf certificate,
 * when present, must hold the same key and be valid), and its exp/nbf
 * checked. Only ita-appraise uses it. */
#ifndef ITA_JWT_H
#define ITA_JWT_H

#include "lib/common.h"
#include "lib/json.h"

struct jwt {
	jv header, claims;   /* the decoded JOSE header and claims (objects) */
	struct buf sig;      /* the signature bytes */
	char *signed_part;   /* "HEADER.PAYLOAD" exactly as received */
	size_t signed_len;
};

/* Parse a compact JWS; 0, or 76 with err (not three base64url parts, not
 * JSON objects). t is always initialised: release with jwt_free. */
int jwt_parse(const char *token, struct jwt *t, char *err, size_t errlen);
void jwt_free(struct jwt *t);

/* Verify the signature with the key of jwks (a {"keys": [...]} object) whose
 * kid is the header's, at time now (for the x5c certificate). 0 when valid;
 * 1 with err when it is not (unknown kid, an algorithm other than the six,
 * "none" included, a key of another type or alg, a bad signature); 76 with
 * err when jwks is not a key set. */
int jwt_verify(const struct jwt *t, jv jwks, long long now, char *err, size_t errlen);

/* exp and nbf against now, leeway seconds either way: 0, or 1 with err
 * (expired, not yet valid, or exp missing). */
int jwt_check_time(const struct jwt *t, long long now, long leeway, char *err, size_t errlen);

#endif
