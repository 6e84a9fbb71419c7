/* libFuzzer harness: the whole of quote2json's parsing and JSON building on
 * arbitrary bytes. Built by `make fuzz` with ASan and UBSan. */
#define main quote2json_main
#include "../../filters/quote2json.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct buf out;
	buf_init(&out);
	quote_json(data, size, 1, &out, err, sizeof err);
	/* the text forms too: hex and base64 detection and decoding */
	struct buf raw;
	enum input_form used;
	if (decode_input(data, size, FORM_AUTO, &raw, &used, err, sizeof err) == 0 && used != FORM_BIN)
		quote_json(raw.data, raw.len, 0, &out, err, sizeof err);
	buf_free(&raw);
	buf_free(&out);
	return 0;
}
