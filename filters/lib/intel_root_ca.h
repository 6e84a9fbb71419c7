/* The Intel SGX Root CA: the trust anchor of every DCAP verification unless
 * --root-ca names another. */
#ifndef MP_INTEL_ROOT_CA_H
#define MP_INTEL_ROOT_CA_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t INTEL_SGX_ROOT_CA_DER[];
extern const size_t INTEL_SGX_ROOT_CA_DER_LEN;
/* SHA-256 of the DER, lower-case hex: the one place it is written */
#define INTEL_SGX_ROOT_CA_SHA256 "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"

#endif
