/* simca: the SIMULATED Intel provisioning PKI, TDX quotes and DCAP
 * collateral of kms-sim (../shared/reference/tdx-quote.md sections 2-7).
 *
 * A root CA whose subject says it is simulated signs a "PCK Platform CA"
 * and a TCB signing certificate; the Platform CA signs a PCK leaf carrying
 * the Intel SGX extension (OID 1.2.840.113741.1.13.1). Keys are P-256,
 * kept in the state folder (mode 0600) and reused. Quotes are TDX v4 with a
 * TD report 1.0, signed by a per-process attestation key whose QE report is
 * signed by the PCK leaf, with the PEM chain in type-5 certification data
 * wrapped in type 6, as real quotes. Collateral is dcap-qvl's
 * QuoteCollateralV3 JSON. Nothing here is trusted unless a verifier is told
 * to anchor at the simulated root. Functions return 0 or an exit code with a
 * message; only state-file writes exit (74) on failure. */
#ifndef MP_SIMCA_H
#define MP_SIMCA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define SIMCA_ROOT_CN "mero-policy SIMULATED SGX Root CA (not Intel)"
#define SIMCA_PCKCA_CN "mero-policy SIMULATED SGX PCK Platform CA (not Intel)"
#define SIMCA_TCB_CN "mero-policy SIMULATED SGX TCB Signing (not Intel)"
#define SIMCA_PCK_CN "mero-policy SIMULATED SGX PCK Certificate (not Intel)"
#define SIMCA_ORG "mero-policy simulation (not Intel Corporation)"

enum { SIMCA_ROOT, SIMCA_PCKCA, SIMCA_TCB, SIMCA_PCK, SIMCA_N };

struct simca {
	EVP_PKEY *key[SIMCA_N];
	X509 *cert[SIMCA_N];
	uint8_t ppid[16], platform_instance_id[16], qeid[16];
};

/* Load the PKI from dir, generating and persisting what is missing and
 * reissuing certificates that are absent, inconsistent or expire within 30
 * days. EXIT_CONFIG when a key file there is not a P-256 private key. */
int simca_open(struct simca *ca, const char *dir, long long now, char *err, size_t errlen);
void simca_close(struct simca *ca);

/* Write dir/collateral.json unless the one there was made by this PKI,
 * verifies, and stays valid for SIMCA_COLLATERAL_MARGIN; *written says which. */
int simca_collateral(const struct simca *ca, const char *dir, long long now, int *written, char *err,
		     size_t errlen);

/* ---- the simulated TD ---- */

struct simtd_config {
	const char *profile, *version;
	const uint8_t *compose;
	size_t compose_len;
	int debug;          /* TD attributes DEBUG */
	int outofdate;      /* platform matches only the OutOfDate TCB level */
	int bad_signature;  /* the quote signature does not verify */
};

struct simtd {
	uint8_t *tmpl;      /* a whole quote; report data and signature filled per call */
	size_t len;
	EVP_PKEY *ak;       /* the attestation key, fresh per process */
	int bad_signature;
	uint8_t mrtd[48], rtmr[4][48], compose_hash[32], os_image_hash[32];
	char *event_log;    /* compact JSON array, dstack's entry shape */
	char *vm_config;    /* dstack VmConfig JSON text */
};

/* Derive the measurements and the event log, make the attestation key and
 * the QE report. */
int simtd_init(struct simtd *td, const struct simca *ca, const struct simtd_config *c, char *err,
	       size_t errlen);
/* A new signed quote with this report data; 0 or -1. */
int simtd_quote(const struct simtd *td, const uint8_t report_data[64], uint8_t **quote, size_t *len);
void simtd_free(struct simtd *td);

#endif
