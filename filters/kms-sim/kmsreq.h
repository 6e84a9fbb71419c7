/* kmsreq: the POST /attest request exactly as mero-kms takes it
 * (../shared/reference/apis.md 4.1): axum 0.8's Json<KmsAttestRequest>
 * extractor over serde_json (with serde_path_to_error), then the handler's
 * base64 0.22 STANDARD decoding of nonceB64 and bindingB64.
 *
 *   struct KmsAttestRequest { nonceB64: String, bindingB64: Option<String> }
 *   (camelCase, unknown fields ignored; serde also accepts the sequence
 *   form ["<nonce>", "<binding>"|null])
 *
 * Error texts are axum's and serde_json's: a syntax error is answered 400
 * "Failed to parse the request body as JSON: <msg> at line L column C", a
 * type or missing-field error 422 "Failed to deserialize the JSON body into
 * the target type: [path: ]<msg> at line L column C"; a well-formed request
 * with bad values is mero-kms's 400 {"error":"invalid_attestation_request",
 * "details":...}. Nothing here allocates on the caller's behalf or exits. */
#ifndef MP_KMSREQ_H
#define MP_KMSREQ_H

#include <stddef.h>
#include <stdint.h>

#define KMSREQ_BODY_LIMIT 65536 /* axum DefaultBodyLimit::max in mero-kms */

enum kmsreq_result {
	KMSREQ_OK = 0,
	KMSREQ_SYNTAX,   /* 400, plain text in msg */
	KMSREQ_DATA,     /* 422, plain text in msg */
	KMSREQ_INVALID   /* 400, JSON error; msg holds the details */
};

struct kmsreq {
	uint8_t nonce[32];
	uint8_t binding[32];
	int binding_given;  /* 0: the default binding was used */
};

/* Parse and validate a request body. msg receives the response text
 * (KMSREQ_SYNTAX, KMSREQ_DATA) or the details (KMSREQ_INVALID). */
enum kmsreq_result kmsreq_parse(const uint8_t *body, size_t n, struct kmsreq *r, char *msg, size_t msglen);

/* axum's json_content_type(): application/json or application/<x>+json,
 * parameters allowed, case-insensitive. 1 yes, 0 no (NULL: no header). */
int kmsreq_json_content_type(const char *content_type);

/* base64 0.22 STANDARD (canonical padding, no trailing bits): decoded length,
 * or -1 with the crate's error text in msg. out holds (n / 4 + 1) * 3. */
long kmsreq_b64_decode(const char *s, size_t n, uint8_t *out, char *msg, size_t msglen);

#endif
