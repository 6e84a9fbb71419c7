/* quote2json: read one Intel DCAP quote (TDX v4/v5, SGX v3) and write every
 * field as canonical JSON. */
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/jw.h"
#include "lib/tdx.h"
#include "lib/sha.h"

enum { OPT_INPUT = 'i', OPT_LINES = 'l' };

static const struct cli_opt options[] = {
	{"input", OPT_INPUT, "FORM", "bin, hex or base64 (default: detected; hex may carry 0x and\n"
				     "whitespace, base64 may be standard or URL-safe)", 0},
	{"lines", OPT_LINES, NULL, "batch mode: one hex or base64 quote per line in, one compact JSON\n"
				   "object per line out; a bad line is reported with its number and the\n"
				   "rest are still processed (exit 65 at the end)", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "quote2json [--input FORM] [--lines] < QUOTE > JSON",
	.about = "Parse an Intel TDX (v4, v5) or SGX (v3) DCAP quote and write all of its fields as JSON.",
	.opts = options,
	.trailer = "stdin: one quote (at most 1 MiB).  stdout: quote JSON (canonical: sorted keys).\n"
		   "exit: 0 ok, 2 usage, 65 malformed quote, 74 write error.",
};

/* Keys are written in sorted order: jw stops the program if one is not. */

static void enclave_report(struct jw *w, const uint8_t *r)
{
	jw_obj(w);
	jw_key(w, "attributes"); jw_hex(w, r + ER_ATTRIBUTES, 16);
	jw_key(w, "cpu_svn"); jw_hex(w, r + ER_CPU_SVN, 16);
	jw_key(w, "isv_prod_id"); jw_int(w, le16(r + ER_ISV_PROD_ID));
	jw_key(w, "isv_svn"); jw_int(w, le16(r + ER_ISV_SVN));
	jw_key(w, "misc_select"); jw_hex(w, r + ER_MISC_SELECT, 4);
	jw_key(w, "mr_enclave"); jw_hex(w, r + ER_MR_ENCLAVE, 32);
	jw_key(w, "mr_signer"); jw_hex(w, r + ER_MR_SIGNER, 32);
	jw_key(w, "report_data"); jw_hex(w, r + ER_REPORT_DATA, 64);
	jw_key(w, "reserved1"); jw_hex(w, r + 20, 28);
	jw_key(w, "reserved2"); jw_hex(w, r + 96, 32);
	jw_key(w, "reserved3"); jw_hex(w, r + 160, 96);
	jw_key(w, "reserved4"); jw_hex(w, r + 260, 60);
	jw_end_obj(w);
}

static void td_report(struct jw *w, const struct tdx_quote *q)
{
	const uint8_t *b = q->body;
	int td15 = q->kind == BODY_TD15;
	jw_obj(w);
	jw_key(w, "mr_config_id"); jw_hex(w, b + TD_MR_CONFIG_ID, 48);
	jw_key(w, "mr_owner"); jw_hex(w, b + TD_MR_OWNER, 48);
	jw_key(w, "mr_owner_config"); jw_hex(w, b + TD_MR_OWNER_CONFIG, 48);
	jw_key(w, "mr_seam"); jw_hex(w, b + TD_MR_SEAM, 48);
	if (td15) {
		jw_key(w, "mr_service_td");
		jw_hex(w, b + TD_MR_SERVICE_TD, 48);
	}
	jw_key(w, "mr_signer_seam"); jw_hex(w, b + TD_MR_SIGNER_SEAM, 48);
	jw_key(w, "mr_td"); jw_hex(w, b + TD_MR_TD, 48);
	jw_key(w, "report_data"); jw_hex(w, b + TD_REPORT_DATA, 64);
	jw_key(w, "rt_mr0"); jw_hex(w, b + TD_RT_MR0, 48);
	jw_key(w, "rt_mr1"); jw_hex(w, b + TD_RT_MR1, 48);
	jw_key(w, "rt_mr2"); jw_hex(w, b + TD_RT_MR2, 48);
	jw_key(w, "rt_mr3"); jw_hex(w, b + TD_RT_MR3, 48);
	jw_key(w, "seam_attributes"); jw_hex(w, b + TD_SEAM_ATTRIBUTES, 8);
	jw_key(w, "td_attributes"); jw_hex(w, b + TD_TD_ATTRIBUTES, 8);
	jw_key(w, "tee_tcb_svn"); jw_hex(w, b + TD_TEE_TCB_SVN, 16);
	if (td15) {
		jw_key(w, "tee_tcb_svn2");
		jw_hex(w, b + TD_TEE_TCB_SVN2, 16);
	}
	jw_key(w, "xfam"); jw_hex(w, b + TD_XFAM, 8);
	jw_end_obj(w);
}

static void td_attribute_flags(struct jw *w, const uint8_t *a)
{
	uint64_t v = le64(a);
	/* TUD 7:1, SEC 27:8 and 29, OTHER 62:32 are reserved */
	uint64_t reserved = v & (0xfeull | 0x0fffff00ull | (1ull << 29) | 0x7fffffff00000000ull);
	jw_obj(w);
	jw_key(w, "debug"); jw_bool(w, v & 1);
	jw_key(w, "key_locker"); jw_bool(w, v >> 31 & 1);
	jw_key(w, "perfmon"); jw_bool(w, v >> 63 & 1);
	jw_key(w, "pks"); jw_bool(w, v >> 30 & 1);
	jw_key(w, "reserved_bits_set"); jw_bool(w, reserved != 0);
	jw_key(w, "sept_ve_disable"); jw_bool(w, v >> 28 & 1);
	jw_end_obj(w);
}

static void time_text(struct jw *w, long long t)
{
	char s[32];
	format_utc(t, s);
	jw_str(w, s);
}

static void pck_object(struct jw *w, const struct pck_chain *c)
{
	const struct pck_ext *e = &c->ext;
	char *issuer = der_name_text(c->leaf.issuer), *subject = der_name_text(c->leaf.subject);
	const char *ca = pck_ca_type_name(issuer);
	struct der serial = c->leaf.serial;
	if (serial.n > 1 && serial.p[0] == 0) { /* the sign byte, as OpenSSL drops it */
		serial.p++;
		serial.n--;
	}
	jw_obj(w);
	jw_key(w, "ca");
	if (ca)
		jw_str(w, ca);
	else
		jw_null(w);
	if (e->dynamic_platform >= 0 || e->cached_keys >= 0 || e->smt_enabled >= 0) {
		jw_key(w, "configuration");
		jw_obj(w);
		if (e->cached_keys >= 0) { jw_key(w, "cached_keys"); jw_bool(w, e->cached_keys); }
		if (e->dynamic_platform >= 0) { jw_key(w, "dynamic_platform"); jw_bool(w, e->dynamic_platform); }
		if (e->smt_enabled >= 0) { jw_key(w, "smt_enabled"); jw_bool(w, e->smt_enabled); }
		jw_end_obj(w);
	}
	jw_key(w, "cpu_svn"); jw_hex(w, e->cpusvn, 16);
	jw_key(w, "fmspc"); jw_hex(w, e->fmspc, 6);
	jw_key(w, "issuer"); jw_str(w, issuer);
	jw_key(w, "not_after"); time_text(w, c->leaf.not_after);
	jw_key(w, "not_before"); time_text(w, c->leaf.not_before);
	jw_key(w, "pce_id"); jw_hex(w, e->pceid, 2);
	jw_key(w, "pce_svn"); jw_int(w, e->pcesvn);
	if (e->has_platform_instance_id) {
		jw_key(w, "platform_instance_id");
		jw_hex(w, e->platform_instance_id, 16);
	}
	if (e->has_ppid) {
		jw_key(w, "ppid");
		jw_hex(w, e->ppid, 16);
	}
	jw_key(w, "serial"); jw_hex(w, serial.p, serial.n);
	if (e->sgx_type >= 0) {
		jw_key(w, "sgx_type"); jw_int(w, e->sgx_type);
		jw_key(w, "sgx_type_name"); jw_str(w, sgx_type_name(e->sgx_type));
	}
	jw_key(w, "subject"); jw_str(w, subject);
	jw_key(w, "tcb_components");
	jw_arr(w);
	for (int i = 0; i < 16; i++)
		jw_int(w, e->comp[i]);
	jw_end_arr(w);
	jw_end_obj(w);
	free(subject);
	free(issuer);
}

/* auth_data.qe_report_data.certification_data: the PCK chain when c is
 * given, else the raw body */
static void certification_data(struct jw *w, const struct tdx_quote *q, const struct pck_chain *c)
{
	jw_obj(w);
	if (!c) {
		jw_key(w, "body");
		jw_hex(w, q->cert_data, q->cert_size);
	}
	jw_key(w, "cert_type"); jw_int(w, q->cert_type);
	if (c) {
		jw_key(w, "encoding"); jw_str(w, c->is_der ? "der" : "pem");
		jw_key(w, "order"); jw_str(w, c->reversed ? "root-first" : "leaf-first");
		jw_key(w, "pck_cert_chain");
		jw_arr(w);
		for (int i = 0; i < c->n; i++) {
			char *pem = der_cert_pem(c->der[i], c->len[i]);
			jw_str(w, pem);
			free(pem);
		}
		jw_end_arr(w);
	}
	jw_key(w, "size"); jw_int(w, q->cert_size);
	jw_end_obj(w);
}

static void auth_data(struct jw *w, const struct tdx_quote *q, const struct pck_chain *c)
{
	jw_obj(w);
	if (q->has_outer) {
		jw_key(w, "certification_data");
		jw_obj(w);
		jw_key(w, "cert_type"); jw_int(w, q->outer_type);
		jw_key(w, "size"); jw_int(w, q->outer_size);
		jw_end_obj(w);
	}
	jw_key(w, "ecdsa_attestation_key"); jw_hex(w, q->att_key, 64);
	jw_key(w, "ecdsa_signature"); jw_hex(w, q->sig, 64);
	jw_key(w, "qe_report_data");
	jw_obj(w);
	jw_key(w, "certification_data"); certification_data(w, q, c);
	jw_key(w, "qe_auth_data"); jw_hex(w, q->qe_auth, q->qe_auth_len);
	jw_key(w, "qe_report"); enclave_report(w, q->qe_report);
	jw_key(w, "qe_report_signature"); jw_hex(w, q->qe_report_sig, 64);
	jw_end_obj(w);
	jw_end_obj(w);
}

static void quote_header(struct jw *w, const struct tdx_quote *q, const uint8_t *raw)
{
	jw_obj(w);
	jw_key(w, "attestation_key_type"); jw_int(w, q->ak_type);
	if (q->tee_type != TEE_TYPE_TDX) {
		jw_key(w, "pce_svn"); jw_int(w, le16(raw + 10));
		jw_key(w, "qe_svn"); jw_int(w, le16(raw + 8));
	}
	jw_key(w, "qe_vendor_id"); jw_hex(w, raw + 12, 16);
	if (q->tee_type == TEE_TYPE_TDX) {
		jw_key(w, "reserved");
		jw_hex(w, raw + 8, 4);
	}
	jw_key(w, "tee_type"); jw_int(w, q->tee_type);
	jw_key(w, "tee_type_name"); jw_str(w, q->tee_type == TEE_TYPE_TDX ? "TDX" : "SGX");
	jw_key(w, "user_data"); jw_hex(w, raw + 28, 20);
	jw_key(w, "version"); jw_int(w, q->version);
	jw_end_obj(w);
}

static void sizes(struct jw *w, const struct tdx_quote *q)
{
	jw_obj(w);
	jw_key(w, "body"); jw_int(w, (long long)q->body_len);
	jw_key(w, "quote"); jw_int(w, (long long)q->len);
	jw_key(w, "signature_data"); jw_int(w, q->sig_data_len);
	jw_key(w, "signed"); jw_int(w, (long long)q->signed_len);
	jw_key(w, "trailing_bytes"); jw_int(w, (long long)q->trailing);
	jw_end_obj(w);
}

/* Write the JSON of one quote into out (appending); -1 with err on a
 * malformed quote, out then unchanged. */
static int quote_json(const uint8_t *raw, size_t len, int pretty, struct buf *out, char *err, size_t errlen)
{
	struct tdx_quote q;
	if (tdx_parse(raw, len, &q, err, errlen))
		return -1;
	struct pck_chain c;
	int have_chain = q.cert_type == 5 || q.cert_type == 4;
	if (have_chain) {
		char e2[400];
		if (pck_chain_scan(q.cert_data, q.cert_size, &c, e2, sizeof e2)) {
			snprintf(err, errlen, "PCK certificate chain at byte %zu: %s", q.cert_off, e2);
			return -1;
		}
	}
	struct jw w_, *w = &w_;
	jw_init(w, out, pretty);
	jw_obj(w);
	jw_key(w, "auth_data"); auth_data(w, &q, have_chain ? &c : NULL);
	if (q.has_descriptor) {
		jw_key(w, "body_descriptor");
		jw_obj(w);
		jw_key(w, "body_size"); jw_int(w, q.body_size);
		jw_key(w, "body_type"); jw_int(w, q.body_type);
		jw_end_obj(w);
	}
	if (!tdx_is_td(&q)) {
		jw_key(w, "enclave_report");
		enclave_report(w, q.body);
	}
	jw_key(w, "header"); quote_header(w, &q, raw);
	if (have_chain) {
		jw_key(w, "pck");
		pck_object(w, &c);
		pck_chain_free(&c);
	}
	jw_key(w, "report_type"); jw_str(w, body_kind_name(q.kind));
	uint8_t md[32];
	sha256(raw, len, md);
	jw_key(w, "sha256"); jw_hex(w, md, 32);
	jw_key(w, "sizes"); sizes(w, &q);
	if (tdx_is_td(&q)) {
		jw_key(w, "td_attributes_flags");
		td_attribute_flags(w, q.body + TD_TD_ATTRIBUTES);
		jw_key(w, "td_report");
		td_report(w, &q);
	}
	jw_end_obj(w);
	jw_done(w);
	return 0;
}

static int line_json(void *ctx, const uint8_t *quote, size_t len, size_t lineno, struct buf *out, char *err,
		     size_t errlen)
{
	(void)ctx;
	(void)lineno;
	return quote_json(quote, len, 0, out, err, errlen);
}

static int run_lines(enum input_form form)
{
	struct lines_run r;
	quote_lines_run(stdin, form, line_json, NULL, &r);
	close_stdout();
	if (r.bad)
		fail(EXIT_DATAERR, "%zu of %zu quotes failed to parse (%zu written)", r.bad, r.bad + r.done, r.done);
	return 0;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	enum input_form form = FORM_AUTO;
	int lines = 0;
	struct cli cl;
	cli_parse(&cl, &spec, argc, argv);
	const char *val;
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_INPUT: form = input_form_option(val, spec.synopsis); break;
		case OPT_LINES: lines = 1; break;
		}
	}
	cli_free(&cl);
	if (lines)
		return run_lines(form);

	struct buf raw, out;
	char err[512];
	read_quote_stdin(form, &raw);
	buf_init(&out);
	if (quote_json(raw.data, raw.len, 1, &out, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	buf_free(&raw);
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	return 0;
}
