/* ECDSA P-256 as DCAP uses it: raw r||s signatures and raw x||y keys,
 * converted to and from what OpenSSL's EVP interfaces take. */
#ifndef MP_ECDSA_H
#define MP_ECDSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* A P-256 public key from 64 bytes x||y; NULL if not on the curve. */
EVP_PKEY *ec_pub_from_xy(const uint8_t xy[64]);
/* The 64-byte x||y of a P-256 key (public or private); 0 or -1. */
int ec_pub_to_xy(EVP_PKEY *k, uint8_t xy[64]);
/* A fresh P-256 private key; NULL on failure. */
EVP_PKEY *ec_generate_p256(void);
/* 1 when k is an EC key on P-256. */
int ec_is_p256(EVP_PKEY *k);

/* Raw r||s (32+32 bytes, big-endian) to a new DER Ecdsa-Sig-Value. */
int ecdsa_raw_to_der(const uint8_t raw[64], uint8_t **der, size_t *derlen);

/* Verify a raw r||s signature over msg with SHA-256: 1 valid, 0 invalid,
 * -1 error (bad key or encoding). */
int ecdsa_verify_raw(EVP_PKEY *pub, const uint8_t *msg, size_t n, const uint8_t sig[64]);
/* Verify a DER signature over msg with SHA-256: 1 valid, 0 invalid, -1 error. */
int ecdsa_verify_der(EVP_PKEY *pub, const uint8_t *msg, size_t n, const uint8_t *der, size_t derlen);
/* Sign msg with SHA-256 into raw r||s; 0 or -1. */
int ecdsa_sign_raw(EVP_PKEY *priv, const uint8_t *msg, size_t n, uint8_t sig[64]);

/* OpenSSL's last error as one line into out (clearing the queue): what failed, for
 * a message of our own. */
void ssl_error_text(char *out, size_t n);

#endif
