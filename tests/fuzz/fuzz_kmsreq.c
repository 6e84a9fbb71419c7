/* libFuzzer harness for kms-sim's request reader (filters/kms-sim/kmsreq.c):
 * any bytes as a POST /attest body, as base64 text and as a Content-Type
 * header. Nothing may crash or read out of bounds; every rejection carries
 * the text axum would send; an accepted base64 text is canonical (encoding
 * the decoded bytes gives it back). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "kms-sim/kmsreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsreq req;
	char msg[1024];
	enum kmsreq_result r = kmsreq_parse(data, size, &req, msg, sizeof msg);
	switch (r) {
	case KMSREQ_OK:
		if (msg[0])
			abort();
		break;
	case KMSREQ_SYNTAX:
		if (strncmp(msg, "Failed to parse the request body as JSON: ", 42) != 0 || !strstr(msg, " at line "))
			abort();
		break;
	case KMSREQ_DATA:
		if (strncmp(msg, "Failed to deserialize the JSON body into the target type: ", 58) != 0 ||
		    !strstr(msg, " at line "))
			abort();
		break;
	case KMSREQ_INVALID:
		if (strncmp(msg, "nonceB64", 8) != 0 && strncmp(msg, "bindingB64", 10) != 0)
			abort();
		break;
	}

	uint8_t *out = malloc(size / 4 * 3 + 8);
	long n = kmsreq_b64_decode((const char *)data, size, out, msg, sizeof msg);
	if (n >= 0) {
		char *back = b64_encode(out, (size_t)n);
		if (strlen(back) != size || memcmp(back, data, size) != 0)
			abort(); /* STANDARD decoding accepts only the canonical encoding */
		free(back);
	} else if (!msg[0]) {
		abort();
	}
	free(out);

	char *ct = malloc(size + 1);
	memcpy(ct, data, size);
	ct[size] = 0;
	(void)kmsreq_json_content_type(ct);
	free(ct);
	return 0;
}
