/* The measurements of a TD quote (MRTD, RTMR0-3, REPORTDATA and the SHA-256
 * of the whole quote), taken from quote JSON (td_report, sha256) or from the
 * attest responses that carry the quote itself: mero-kms's {"quoteB64": ...}
 * and merod's {"data": {"quoteB64": ...}}. */
#ifndef MP_TDMEAS_H
#define MP_TDMEAS_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

struct td_meas {
	uint8_t mr_td[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t sha256[32];      /* of the whole quote bytes (the quote JSON's .sha256) */
	const char *origin;      /* "quote-json", "quoteB64" or "data.quoteB64" */
	const char *report_type; /* "TD10" or "TD15" */
};

/* doc is not consumed. Returns 0, or -1 with err (malformed or not a TD quote). */
int td_meas_from_json(jv doc, struct td_meas *m, char *err, size_t errlen);

#endif
