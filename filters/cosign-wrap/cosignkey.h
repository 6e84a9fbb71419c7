/* cosign's key formats: the encrypted private key (PEM of base64 JSON with
 * scrypt and NaCl secretbox over PKCS#8 DER), unencrypted PKCS#8 / SEC1 and
 * encrypted PKCS#8 PEM, the SPKI public key PEM and the bundle key hint.
 * ECDSA P-256 with SHA-256 only, as cosign verify-blob --key assumes.
 *
 * Functions that can fail for a reason the user must fix return an exit code
 * (0, 65 malformed, 66 missing, 77 wrong password, 78 not P-256 / not
 * configured) and write one line to err. Messages never quote key material
 * or the password. */
#ifndef MP_COSIGNKEY_H
#define MP_COSIGNKEY_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>
#include <openssl/evp.h>

#include "lib/common.h"

/* Labels of cosign's encrypted key PEM: current and legacy. */
#define COSIGN_LABEL "ENCRYPTED SIGSTORE PRIVATE KEY"
#define COSIGN_LABEL_LEGACY "ENCRYPTED COSIGN PRIVATE KEY"

/* Largest key text accepted (a cosign key is about 650 bytes). */
#define COSIGN_KEY_MAX (64 * 1024)

/* scrypt N values cosign accepts (r=8, p=1 always); the default is used by
 * cosign_key_encrypt callers that have no reason to choose. */
#define COSIGN_SCRYPT_N_LEGACY 32768
#define COSIGN_SCRYPT_N_DEFAULT 65536
#define COSIGN_SCRYPT_N_OWASP 131072

/* Initialise libsodium and forbid core dumps; fails (70) if sodium cannot start. */
void cosign_init(void);

/* Parse a private key from PEM text: cosign's encrypted format (either
 * label), ENCRYPTED PRIVATE KEY (PKCS#8 PBES2), PRIVATE KEY (PKCS#8) or
 * EC PRIVATE KEY (SEC1, unencrypted). pw may be NULL for no password. */
int cosign_key_parse(const char *text, size_t len, const char *pw, size_t pwlen, EVP_PKEY **out,
		     char *err, size_t errlen);

/* The private key named by the environment: COSIGN_KEY is a path, or the
 * key text itself when it contains "-----BEGIN"; COSIGN_PASSWORD is the
 * password (unset is treated as empty and said so on a wrong password). */
int cosign_key_from_env(EVP_PKEY **out, char *err, size_t errlen);

/* Encrypt a P-256 private key in cosign's format (label COSIGN_LABEL,
 * scrypt N with r=8, p=1, random salt and nonce) into pem (appended). */
int cosign_key_encrypt(EVP_PKEY *key, const char *pw, size_t pwlen, unsigned n, struct buf *pem,
		       char *err, size_t errlen);

/* A copy of key for one run, appended to out: a fresh random password (64 hex
 * digits) and a newline, then the key as ENCRYPTED PRIVATE KEY PEM (PKCS#8,
 * PBES2 with PBKDF2 and AES-256-CBC) under that password. Decrypting it costs
 * no scrypt: a run that signs several times decrypts the user's key once. */
int cosign_key_session(EVP_PKEY *key, struct buf *out, char *err, size_t errlen);

/* The SPKI "PUBLIC KEY" PEM of a key, as cosign and openssl write it (appended). */
int cosign_pub_pem(EVP_PKEY *key, struct buf *pem);
/* Parse a "PUBLIC KEY" PEM; 65 malformed, 78 not P-256. */
int cosign_pub_parse(const char *text, size_t len, EVP_PKEY **out, char *err, size_t errlen);
/* base64(SHA-256(SPKI DER)): the publicKey hint of a Sigstore bundle; new string or NULL. */
char *cosign_key_hint(EVP_PKEY *key);

/* ECDSA over a SHA-256 digest: DER signature (OPENSSL_free it); 0 or -1. */
int cosign_sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t **sig, size_t *siglen);
/* 1 valid, 0 invalid. sig is DER. */
int cosign_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t *sig, size_t siglen);

/* Turn a signature as cosign reads it (DER or IEEE P1363 r||s, 64 bytes)
 * into DER in out (replaced); 0 or -1. */
int cosign_sig_to_der(const uint8_t *sig, size_t len, struct buf *out);

/* Strict standard base64 (padding required, CR/LF ignored as Go does) into
 * out (replaced); 0, -1 not base64, or COSIGN_B64_NUL: base64 text with a NUL
 * byte inside (refused: a NUL never belongs in base64 text). */
enum { COSIGN_B64_NUL = -2 };
int cosign_b64_decode(const char *s, size_t len, struct buf *out);
/* The same over the string member key of obj (a NUL inside it counts, unlike
 * strlen); -1 also when the member is absent or not a string. */
int cosign_b64_member(jv obj, const char *key, struct buf *out);

#endif
