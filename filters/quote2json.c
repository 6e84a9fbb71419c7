/* quote2json: read one Intel DCAP quote (TDX v4/v5, SGX v3) and write every
 * field as canonical JSON. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/json.h"
#include "lib/tdx.h"

static const char synopsis[] = "quote2json [--input=bin|hex|base64] [--lines] < QUOTE > JSON";

static void help(void)
{
	printf("usage: %s\n"
	       "Parse an Intel TDX (v4, v5) or SGX (v3) DCAP quote and write all of its fields as JSON.\n"
	       "\n"
	       "  --input=FORM  bin, hex or base64 (default: detected; hex may carry 0x and whitespace,\n"
	       "                base64 may be standard or URL-safe)\n"
	       "  --lines       batch mode: one hex or base64 quote per line in, one compact JSON\n"
	       "                object per line out; a bad line is reported with its number and the\n"
	       "                rest are still processed (exit 65 at the end)\n"
	       "  --help        this text\n"
	       "  --version     print the version\n"
	       "\n"
	       "stdin: one quote (at most 1 MiB).  stdout: quote JSON (canonical: sorted keys).\n"
	       "exit: 0 ok, 2 usage, 65 malformed quote, 74 write error.\n",
	       synopsis);
}

static jv enclave_report(const uint8_t *r)
{
	jv o = jv_object();
	JSET(o, "cpu_svn", jv_hex(r + ER_CPU_SVN, 16));
	JSET(o, "misc_select", jv_hex(r + ER_MISC_SELECT, 4));
	JSET(o, "reserved1", jv_hex(r + 20, 28));
	JSET(o, "attributes", jv_hex(r + ER_ATTRIBUTES, 16));
	JSET(o, "mr_enclave", jv_hex(r + ER_MR_ENCLAVE, 32));
	JSET(o, "reserved2", jv_hex(r + 96, 32));
	JSET(o, "mr_signer", jv_hex(r + ER_MR_SIGNER, 32));
	JSET(o, "reserved3", jv_hex(r + 160, 96));
	JSET(o, "isv_prod_id", jv_number(le16(r + ER_ISV_PROD_ID)));
	JSET(o, "isv_svn", jv_number(le16(r + ER_ISV_SVN)));
	JSET(o, "reserved4", jv_hex(r + 260, 60));
	JSET(o, "report_data", jv_hex(r + ER_REPORT_DATA, 64));
	return o;
}

static jv td_report(const struct tdx_quote *q)
{
	const uint8_t *b = q->body;
	static const struct { const char *name; int off, len; } f[] = {
		{"tee_tcb_svn", TD_TEE_TCB_SVN, 16}, {"mr_seam", TD_MR_SEAM, 48},
		{"mr_signer_seam", TD_MR_SIGNER_SEAM, 48}, {"seam_attributes", TD_SEAM_ATTRIBUTES, 8},
		{"td_attributes", TD_TD_ATTRIBUTES, 8}, {"xfam", TD_XFAM, 8}, {"mr_td", TD_MR_TD, 48},
		{"mr_config_id", TD_MR_CONFIG_ID, 48}, {"mr_owner", TD_MR_OWNER, 48},
		{"mr_owner_config", TD_MR_OWNER_CONFIG, 48}, {"rt_mr0", TD_RT_MR0, 48},
		{"rt_mr1", TD_RT_MR1, 48}, {"rt_mr2", TD_RT_MR2, 48}, {"rt_mr3", TD_RT_MR3, 48},
		{"report_data", TD_REPORT_DATA, 64},
	};
	jv o = jv_object();
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		JSET(o, f[i].name, jv_hex(b + f[i].off, (size_t)f[i].len));
	if (q->kind == BODY_TD15) {
		JSET(o, "tee_tcb_svn2", jv_hex(b + TD_TEE_TCB_SVN2, 16));
		JSET(o, "mr_service_td", jv_hex(b + TD_MR_SERVICE_TD, 48));
	}
	return o;
}

static jv td_attribute_flags(const uint8_t *a)
{
	uint64_t v = le64(a);
	jv o = jv_object();
	JSET(o, "debug", jv_bool(v & 1));
	JSET(o, "sept_ve_disable", jv_bool(v >> 28 & 1));
	JSET(o, "pks", jv_bool(v >> 30 & 1));
	JSET(o, "key_locker", jv_bool(v >> 31 & 1));
	JSET(o, "perfmon", jv_bool(v >> 63 & 1));
	/* TUD 7:1, SEC 27:8 and 29, OTHER 62:32 are reserved */
	uint64_t reserved = v & (0xfeull | 0x0fffff00ull | (1ull << 29) | 0x7fffffff00000000ull);
	JSET(o, "reserved_bits_set", jv_bool(reserved != 0));
	return o;
}

static jv time_text(const ASN1_TIME *t)
{
	char s[32];
	long long e = asn1_time_epoch(t);
	if (e < 0)
		return jv_null();
	format_utc(e, s);
	return jv_string(s);
}

static jv pck_object(X509 *leaf, const struct pck_ext *e)
{
	jv o = jv_object(), comps = jv_array();
	JSET(o, "fmspc", jv_hex(e->fmspc, 6));
	JSET(o, "pce_id", jv_hex(e->pceid, 2));
	JSET(o, "cpu_svn", jv_hex(e->cpusvn, 16));
	JSET(o, "pce_svn", jv_number(e->pcesvn));
	for (int i = 0; i < 16; i++)
		comps = jv_array_append(comps, jv_number(e->comp[i]));
	JSET(o, "tcb_components", comps);
	if (e->has_ppid)
		JSET(o, "ppid", jv_hex(e->ppid, 16));
	if (e->sgx_type >= 0) {
		JSET(o, "sgx_type", jv_number(e->sgx_type));
		JSET(o, "sgx_type_name", jv_string(sgx_type_name(e->sgx_type)));
	}
	if (e->has_platform_instance_id)
		JSET(o, "platform_instance_id", jv_hex(e->platform_instance_id, 16));
	if (e->dynamic_platform >= 0 || e->cached_keys >= 0 || e->smt_enabled >= 0) {
		jv c = jv_object();
		if (e->dynamic_platform >= 0) JSET(c, "dynamic_platform", jv_bool(e->dynamic_platform));
		if (e->cached_keys >= 0) JSET(c, "cached_keys", jv_bool(e->cached_keys));
		if (e->smt_enabled >= 0) JSET(c, "smt_enabled", jv_bool(e->smt_enabled));
		JSET(o, "configuration", c);
	}
	const char *ca = pck_ca_type(leaf);
	JSET(o, "ca", ca ? jv_string(ca) : jv_null());
	char *s = x509_name_text(X509_get_subject_name(leaf));
	JSET(o, "subject", jv_string(s));
	free(s);
	s = x509_name_text(X509_get_issuer_name(leaf));
	JSET(o, "issuer", jv_string(s));
	free(s);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(leaf);
	JSET(o, "serial", jv_hex(serial->data, (size_t)serial->length));
	JSET(o, "not_before", time_text(X509_get0_notBefore(leaf)));
	JSET(o, "not_after", time_text(X509_get0_notAfter(leaf)));
	return o;
}

/* Build the JSON of one quote; returns invalid with err on a malformed quote. */
static jv quote_json(const uint8_t *raw, size_t len, char *err, size_t errlen)
{
	struct tdx_quote q;
	if (tdx_parse(raw, len, &q, err, errlen))
		return jv_invalid();
	jv pck = jv_null(), chain = jv_null();
	const char *encoding = NULL;
	int reversed = 0;
	if (q.cert_type == 5 || q.cert_type == 4) {
		struct cert_chain c;
		char e2[400];
		if (cert_chain_parse(q.cert_data, q.cert_size, &c, e2, sizeof e2)) {
			snprintf(err, errlen, "PCK certificate chain at byte %zu: %s", q.cert_off, e2);
			return jv_invalid();
		}
		struct pck_ext ext;
		if (pck_ext_parse(c.certs[0], &ext, e2, sizeof e2)) {
			snprintf(err, errlen, "PCK certificate at byte %zu: %s", q.cert_off, e2);
			cert_chain_free(&c);
			return jv_invalid();
		}
		pck = pck_object(c.certs[0], &ext);
		chain = jv_array();
		for (int i = 0; i < c.n; i++) {
			char *pem = cert_to_pem(c.certs[i]);
			chain = jv_array_append(chain, jv_string(pem));
			free(pem);
		}
		encoding = c.der ? "der" : "pem";
		reversed = c.reversed;
		cert_chain_free(&c);
	}

	jv h = jv_object();
	JSET(h, "version", jv_number(q.version));
	JSET(h, "attestation_key_type", jv_number(q.ak_type));
	JSET(h, "tee_type", jv_number(q.tee_type));
	JSET(h, "tee_type_name", jv_string(q.tee_type == TEE_TYPE_TDX ? "TDX" : "SGX"));
	if (q.tee_type == TEE_TYPE_TDX) {
		JSET(h, "reserved", jv_hex(raw + 8, 4));
	} else {
		JSET(h, "qe_svn", jv_number(le16(raw + 8)));
		JSET(h, "pce_svn", jv_number(le16(raw + 10)));
	}
	JSET(h, "qe_vendor_id", jv_hex(raw + 12, 16));
	JSET(h, "user_data", jv_hex(raw + 28, 20));

	jv o = jv_object();
	JSET(o, "header", h);
	if (q.has_descriptor) {
		jv d = jv_object();
		JSET(d, "body_type", jv_number(q.body_type));
		JSET(d, "body_size", jv_number(q.body_size));
		o = jv_object_set(o, jv_string("body_descriptor"), d);
	}
	JSET(o, "report_type", jv_string(body_kind_name(q.kind)));
	if (tdx_is_td(&q)) {
		JSET(o, "td_report", td_report(&q));
		JSET(o, "td_attributes_flags", td_attribute_flags(q.body + TD_TD_ATTRIBUTES));
	} else {
		JSET(o, "enclave_report", enclave_report(q.body));
	}

	jv inner = jv_object();
	JSET(inner, "cert_type", jv_number(q.cert_type));
	JSET(inner, "size", jv_number(q.cert_size));
	if (encoding) {
		JSET(inner, "encoding", jv_string(encoding));
		JSET(inner, "pck_cert_chain", chain);
		JSET(inner, "order", jv_string(reversed ? "root-first" : "leaf-first"));
	} else {
		jv_free(chain);
		JSET(inner, "body", jv_hex(q.cert_data, q.cert_size));
	}
	jv qrd = jv_object();
	JSET(qrd, "qe_report", enclave_report(q.qe_report));
	JSET(qrd, "qe_report_signature", jv_hex(q.qe_report_sig, 64));
	JSET(qrd, "qe_auth_data", jv_hex(q.qe_auth, q.qe_auth_len));
	JSET(qrd, "certification_data", inner);
	jv ad = jv_object();
	JSET(ad, "ecdsa_signature", jv_hex(q.sig, 64));
	JSET(ad, "ecdsa_attestation_key", jv_hex(q.att_key, 64));
	if (q.has_outer) {
		jv outer = jv_object();
		JSET(outer, "cert_type", jv_number(q.outer_type));
		JSET(outer, "size", jv_number(q.outer_size));
		JSET(ad, "certification_data", outer);
	}
	JSET(ad, "qe_report_data", qrd);
	JSET(o, "auth_data", ad);
	if (jv_get_kind(pck) != JV_KIND_NULL)
		JSET(o, "pck", pck);
	else
		jv_free(pck);

	jv sz = jv_object();
	JSET(sz, "quote", jv_number((double)q.len));
	JSET(sz, "body", jv_number((double)q.body_len));
	JSET(sz, "signed", jv_number((double)q.signed_len));
	JSET(sz, "signature_data", jv_number(q.sig_data_len));
	JSET(sz, "trailing_bytes", jv_number((double)q.trailing));
	JSET(o, "sizes", sz);
	uint8_t md[32];
	sha256(raw, len, md);
	JSET(o, "sha256", jv_hex(md, 32));
	return o;
}

static int run_lines(enum input_form form)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0, bad = 0, done = 0;
	ssize_t n;
	struct buf out;
	buf_init(&out);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		char err[512];
		struct buf raw;
		enum input_form f = form;
		if ((size_t)n > 2 * QUOTE_MAX_LEN + 8) {
			warnx("line %zu: quote exceeds the 1 MiB quote cap", lineno);
			bad++;
			continue;
		}
		if (f == FORM_BIN)
			f = FORM_AUTO;
		if (decode_input((uint8_t *)line, (size_t)n, f, &raw, &f, err, sizeof err) || f == FORM_BIN) {
			warnx("line %zu: %s", lineno, f == FORM_BIN ? "not hex or base64 text" : err);
			buf_free(&raw);
			bad++;
			continue;
		}
		jv v = quote_json(raw.data, raw.len, err, sizeof err);
		buf_free(&raw);
		if (!jv_is_valid(v)) {
			jv_free(v);
			warnx("line %zu: cannot parse quote: %s", lineno, err);
			bad++;
			continue;
		}
		json_dump_buf(v, 0, &out);
		done++;
		if (out.len > 1 << 20) {
			out_write(out.data, out.len);
			out.len = 0;
		}
	}
	free(line);
	if (ferror(stdin))
		fail(EXIT_IOERR, "cannot read standard input");
	out_write(out.data, out.len);
	buf_free(&out);
	close_stdout();
	if (bad)
		fail(EXIT_DATAERR, "%zu of %zu quotes failed to parse (%zu written)", bad, bad + done, done);
	return 0;
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	enum input_form form = FORM_AUTO;
	int lines = 0;
	static const struct option opts[] = {
		{"input", required_argument, NULL, 'i'}, {"lines", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': {
			int f = parse_form(optarg);
			if (f < 0)
				usage_fail(synopsis, "unknown input form '%s' (bin, hex or base64)", optarg);
			form = (enum input_form)f;
			break;
		}
		case 'l': lines = 1; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("quote2json %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (lines)
		return run_lines(form);

	struct buf in, raw;
	char err[512];
	read_capped(stdin, 2 * QUOTE_MAX_LEN + 64, "quote", &in);
	if (in.len == 0)
		fail(EXIT_DATAERR, "cannot parse quote: empty input");
	if (decode_input(in.data, in.len, form, &raw, NULL, err, sizeof err))
		fail(EXIT_DATAERR, "cannot decode quote: %s", err);
	buf_free(&in);
	jv v = quote_json(raw.data, raw.len, err, sizeof err);
	buf_free(&raw);
	if (!jv_is_valid(v))
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	json_emit(v);
	close_stdout();
	return 0;
}
