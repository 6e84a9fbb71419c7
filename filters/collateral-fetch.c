/* collateral-fetch: read a DCAP quote, take the FMSPC and CA type from its PCK
 * leaf certificate, fetch the collateral that verifies it from Intel PCS (or
 * a PCCS with the same v4 API) and write it as dcap-qvl's QuoteCollateralV3
 * JSON, the signed texts kept byte for byte. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/cli.h"
#include "lib/codec.h"
#include "lib/collateral.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/http.h"
#include "lib/jscan.h"
#include "lib/json.h"
#include "lib/tdx.h"

#define INTEL_PCS "https://api.trustedservices.intel.com"

enum { OPT_PCCS_URL = 1, OPT_PCS, OPT_ROOT_CA_CRL_URL, OPT_TIMEOUT, OPT_RETRIES, OPT_INPUT, OPT_VERBOSE };

static const struct cli_opt options[] = {
	{"pccs-url", OPT_PCCS_URL, "URL", "a PCCS (or PCS mirror) with Intel's v4 API, http:// or https://; a trailing\n"
					  "/sgx/certification/v4 or /tdx/certification/v4 is dropped", 0},
	{"pcs", OPT_PCS, NULL, "Intel PCS, " INTEL_PCS " (the default)", 0},
	{"root-ca-crl-url", OPT_ROOT_CA_CRL_URL, "URL", "where to get the root CA CRL, http:// or https:// (default: PCCS\n"
							".../sgx/certification/v4/rootcacrl, with --pcs the CRL distribution\n"
							"point of the Intel SGX Root CA)", 0},
	{"timeout", OPT_TIMEOUT, "SECONDS", "per transfer, connection included, 0.001 to 3600 (default 30)", 0},
	{"retries", OPT_RETRIES, "N", "retries on timeouts, dropped connections, 429 and 5xx, 0 to 10 (default 3),\n"
				      "waiting as Retry-After says (at most 60 s) or 0.5 s doubling", 0},
	{"input", OPT_INPUT, "FORM", "bin, hex or base64 (default: detected)", 0},
	{"verbose", OPT_VERBOSE, NULL, "one stderr line per retry", 0},
	{0}};

static const struct cli_spec spec = {
	.synopsis = "collateral-fetch [--pccs-url URL | --pcs] [--root-ca-crl-url URL] [--timeout SECONDS]\n"
		    "       [--retries N] [--input FORM] [--verbose] < QUOTE > COLLATERAL_JSON",
	.about = "Fetch the DCAP collateral of a quote (TCB info, QE identity, PCK CRL, root CA CRL, issuer chains)\n"
		 "and write it as dcap-qvl QuoteCollateralV3 JSON for quote-verify --collateral.",
	.opts = options,
	.trailer = "environment: PCS_API_KEY, when set, is sent as Ocp-Apim-Subscription-Key (never printed).\n"
		   "stdin: one quote whose certification data holds the PCK chain (type 5).\n"
		   "stdout: {pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain, tcb_info, tcb_info_signature,\n"
		   "qe_identity_issuer_chain, qe_identity, qe_identity_signature} (CRLs and signatures in hex).\n"
		   "exit: 0 ok, 2 usage, 65 malformed quote, 69 service unavailable (connection refused, 404),\n"
		   "74 write error, 75 timeout or 429/5xx after the retries, 76 an impossible answer (headers\n"
		   "over 64 KiB included), 77 401/403, 78 PCS_API_KEY holds a line break.",
};

struct fetch {
	struct http_options ho;
	const char *pccs, *root_crl_url;
	char *base;              /* the service, without a trailing API path */
	enum input_form form;
	int pcs;
};

/* What the quote's PCK leaf says about its platform. */
struct platform {
	char fmspc[13];          /* upper-case hex, as the API takes it */
	uint8_t fmspc_raw[6];
	const char *ca;          /* "platform" or "processor" */
	int td;
};

/* The collateral, as it is written. */
struct coll {
	char *pck_crl_chain, *tcb_chain, *tcb_info, *qe_chain, *qe_identity;
	uint8_t *pck_crl, *root_crl;
	size_t pck_crl_len, root_crl_len;
	uint8_t tcb_sig[64], qe_sig[64];
};

static int http_url(const char *u) { return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0; }

static char *base_url(const char *u)
{
	char *b = xstrdup(u);
	size_t n = strlen(b);
	while (n && b[n - 1] == '/')
		b[--n] = 0;
	static const char *const sfx[] = {"/sgx/certification/v4", "/tdx/certification/v4"};
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(sfx[i]);
		if (n >= l && strcmp(b + n - l, sfx[i]) == 0)
			b[n -= l] = 0;
	}
	while (n && b[n - 1] == '/')
		b[--n] = 0;
	return b;
}

static void parse_args(struct fetch *f, int argc, char **argv)
{
	struct cli cl;
	const char *val;
	double s;
	long long n;
	memset(f, 0, sizeof *f);
	http_options_init(&f->ho);
	cli_parse(&cl, &spec, argc, argv);
	for (int c; (c = cli_next(&cl, &val));) {
		switch (c) {
		case OPT_PCCS_URL: f->pccs = val; break;
		case OPT_PCS: f->pcs = 1; break;
		case OPT_ROOT_CA_CRL_URL: f->root_crl_url = val; break;
		case OPT_TIMEOUT:
			if ((s = parse_seconds(val, 0.001, 3600)) < 0)
				cli_usage(&cl, "--timeout needs seconds from 0.001 to 3600, not '%s'", val);
			f->ho.timeout_ms = f->ho.connect_timeout_ms = (long)(s * 1000 + 0.5);
			break;
		case OPT_RETRIES:
			if ((n = parse_uint(val, 10)) < 0)
				cli_usage(&cl, "--retries needs 0 to 10, not '%s'", val);
			f->ho.retries = (int)n;
			break;
		case OPT_INPUT: f->form = input_form_option(val, spec.synopsis); break;
		case OPT_VERBOSE: f->ho.verbose = 1; break;
		}
	}
	if (f->pccs && f->pcs)
		cli_usage(&cl, "--pccs-url and --pcs exclude each other");
	if (f->pccs && !http_url(f->pccs))
		cli_usage(&cl, "--pccs-url needs an http:// or https:// URL, not '%s'", f->pccs);
	if (f->root_crl_url && !http_url(f->root_crl_url))
		cli_usage(&cl, "--root-ca-crl-url needs an http:// or https:// URL, not '%s'", f->root_crl_url);
	cli_free(&cl);
	f->pcs = !f->pccs;
	f->base = f->pcs ? xstrdup(INTEL_PCS) : base_url(f->pccs);
	const char *key = getenv("PCS_API_KEY");
	if (key && strpbrk(key, "\r\n"))
		fail(EXIT_CONFIG, "PCS_API_KEY holds a line break: it cannot be sent as a header");
}

/* The FMSPC, CA type and TEE of the quote's PCK leaf (read structurally). */
static void read_platform(enum input_form form, struct platform *p)
{
	struct buf raw;
	struct tdx_quote q;
	struct pck_chain c;
	char err[512];
	read_quote_stdin(form, &raw);
	if (tdx_parse(raw.data, raw.len, &q, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	if (q.cert_type != 5)
		fail(EXIT_DATAERR, "the quote's certification data is of type %u, not a PCK certificate chain (type 5): "
		     "its PCK certificate must come from a PCCS, which collateral-fetch does not do", q.cert_type);
	if (pck_chain_scan(q.cert_data, q.cert_size, &c, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse quote: PCK certificate chain at byte %zu: %s", q.cert_off, err);
	char *issuer = der_name_text(c.leaf.issuer);
	p->ca = pck_ca_type_name(issuer);
	free(issuer);
	if (!p->ca)
		fail(EXIT_DATAERR, "the PCK certificate's issuer is neither the PCK Platform CA nor the PCK Processor CA");
	memcpy(p->fmspc_raw, c.ext.fmspc, 6);
	for (int i = 0; i < 6; i++)
		snprintf(p->fmspc + 2 * i, 3, "%02X", c.ext.fmspc[i]);
	p->td = tdx_is_td(&q);
	pck_chain_free(&c);
	buf_free(&raw);
}

/* GET url; fails with the mapped exit code unless the answer is 200. */
static void get(struct fetch *f, const char *url, struct http_response *rs)
{
	static const char *const hdr[] = {"Accept: */*", NULL};
	struct http_request rq = {.method = HTTP_GET, .url = url, .headers = hdr, .token_env = "PCS_API_KEY",
				  .token_header = "Ocp-Apim-Subscription-Key"};
	char err[1024];
	int rc = http_do(&f->ho, &rq, rs, err, sizeof err);
	if (rc == 0 && rs->status != 200) {
		const char *ec = http_header(rs, "Error-Code");
		char code[120] = "";
		if (ec)
			snprintf(code, sizeof code, " (Error-Code %.80s)", ec);
		rc = http_status_exit(rs->status);
		if (rc == 0)
			rc = EXIT_PROTOCOL; /* a 2xx other than 200 */
		snprintf(err, sizeof err, "GET %s: HTTP %ld%s", url, rs->status, code);
	}
	if (rc) {
		http_response_free(rs);
		fail(rc, "%s", err);
	}
}

/* An issuer chain header: URL-encoded PEM; parsed to check it. */
static char *chain_header(struct http_response *rs, const char *url, const char *const *names)
{
	const char *v = NULL, *name = names[0];
	for (int i = 0; names[i] && !v; i++)
		if ((v = http_header(rs, names[i])))
			name = names[i];
	if (!v)
		fail(EXIT_PROTOCOL, "GET %s: the answer has no %s header", url, names[0]);
	int n = 0;
	char *dec = curl_easy_unescape(NULL, v, 0, &n);
	if (!dec)
		fail(EXIT_SOFTWARE, "out of memory");
	char *pem = xmalloc((size_t)n + 1);
	memcpy(pem, dec, (size_t)n);
	pem[n] = 0;
	curl_free(dec);
	struct cert_chain ch;
	char e[400];
	if (cert_chain_parse_pem(pem, (size_t)n, &ch, e, sizeof e))
		fail(EXIT_PROTOCOL, "GET %s: the %s header is not a PEM certificate chain: %s", url, name, e);
	cert_chain_free(&ch);
	return pem;
}

/* One CRL from DER or PEM bytes; NULL with err. */
static X509_CRL *load_crl(const uint8_t *p, size_t n, char *err, size_t errlen)
{
	X509_CRL *c = NULL;
	const unsigned char *q = p;
	if (n >= 10 && memmem(p, n, "-----BEGIN", 10)) {
		BIO *b = BIO_new_mem_buf(p, (int)n);
		c = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else if ((c = d2i_X509_CRL(NULL, &q, (long)n)) && q != p + n) {
		X509_CRL_free(c);
		snprintf(err, errlen, "%zu bytes follow the DER CRL", (size_t)(p + n - q));
		return NULL;
	}
	if (!c) {
		char r[256];
		ssl_error_text(r, sizeof r);
		snprintf(err, errlen, "not a DER or PEM CRL: %s", r);
	}
	return c;
}

/* A CRL answer: DER, PEM or hex text (PCCS); returns the DER. */
static uint8_t *crl_body(struct http_response *rs, const char *url, size_t *len)
{
	const uint8_t *p = rs->body.data;
	size_t n = rs->body.len;
	uint8_t *der = NULL;
	char e[300];
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	int hex = n > 0 && n % 2 == 0;
	for (size_t i = 0; hex && i < n; i++)
		hex = strchr("0123456789abcdefABCDEF", p[i]) != NULL;
	if (hex) {
		der = xmalloc(n / 2);
		hex_decode((const char *)p, n, der);
		p = der;
		n /= 2;
	} else {
		n = rs->body.len;
	}
	X509_CRL *crl = load_crl(p, n, e, sizeof e);
	if (!crl)
		fail(EXIT_PROTOCOL, "GET %s: the answer is not a CRL: %s", url, e);
	unsigned char *out = NULL;
	int dl = i2d_X509_CRL(crl, &out);
	X509_CRL_free(crl);
	if (dl <= 0)
		fail(EXIT_SOFTWARE, "cannot encode the CRL from %s", url);
	free(der);
	der = xmalloc((size_t)dl);
	memcpy(der, out, (size_t)dl);
	OPENSSL_free(out);
	*len = (size_t)dl;
	return der;
}

static int printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x7f || ((unsigned char)p[i] < 0x20 && !strchr("\t\r\n", p[i])))
			return 0;
	return 1;
}

/* A signed JSON answer {"<member>": {...}, "signature": "<hex>"}: the member's
 * exact bytes and the signature, checked against the chain's leaf key. */
static char *signed_body(struct http_response *rs, const char *url, const char *member, const char *chain_pem,
			 uint8_t sig[64])
{
	const char *p = (const char *)rs->body.data;
	size_t off, len, soff, slen;
	if (json_member_span(p, rs->body.len, member, &off, &len) || p[off] != '{')
		fail(EXIT_PROTOCOL, "GET %s: the answer is not a JSON object with a \"%s\" object", url, member);
	if (json_member_span(p, rs->body.len, "signature", &soff, &slen) || slen != 130 || p[soff] != '"' ||
	    hex_decode(p + soff + 1, 128, sig) != 64)
		fail(EXIT_PROTOCOL, "GET %s: the answer has no 64-byte hex \"signature\"", url);
	if (!printable(p + off, len))
		fail(EXIT_PROTOCOL, "GET %s: \"%s\" holds bytes other than printable ASCII", url, member);
	struct cert_chain ch;
	char e[400];
	if (cert_chain_parse_pem(chain_pem, strlen(chain_pem), &ch, e, sizeof e))
		fail(EXIT_PROTOCOL, "GET %s: issuer chain: %s", url, e);
	EVP_PKEY *k = X509_get0_pubkey(ch.certs[0]);
	int ok = k && ecdsa_verify_raw(k, (const uint8_t *)p + off, len, sig) == 1;
	cert_chain_free(&ch);
	if (!ok)
		fail(EXIT_PROTOCOL, "GET %s: the \"%s\" signature does not verify with the issuer chain's leaf key", url, member);
	char *s = xmalloc(len + 1);
	memcpy(s, p + off, len);
	s[len] = 0;
	return s;
}

/* The CRL distribution point URI of a certificate, or NULL. */
static char *crl_dp(X509 *x)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	char *out = NULL;
	for (int i = 0; dps && i < sk_DIST_POINT_num(dps) && !out; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *gns = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(gns) && !out; j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
			if (gn->type == GEN_URI)
				out = xstrdup((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return out;
}

/* ---- the four requests ---- */

static void fetch_pck_crl(struct fetch *f, const struct platform *p, struct coll *out)
{
	static const char *const names[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
	char url[2048];
	struct http_response rs;
	snprintf(url, sizeof url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", f->base, p->ca);
	get(f, url, &rs);
	out->pck_crl_chain = chain_header(&rs, url, names);
	out->pck_crl = crl_body(&rs, url, &out->pck_crl_len);
	http_response_free(&rs);
}

static void fetch_tcb_info(struct fetch *f, const struct platform *p, struct coll *out)
{
	static const char *const names[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain", NULL};
	char url[2048], e[400];
	struct http_response rs;
	struct tcb_info ti;
	snprintf(url, sizeof url, "%s/%s/certification/v4/tcb?fmspc=%s", f->base, p->td ? "tdx" : "sgx", p->fmspc);
	get(f, url, &rs);
	out->tcb_chain = chain_header(&rs, url, names);
	out->tcb_info = signed_body(&rs, url, "tcbInfo", out->tcb_chain, out->tcb_sig);
	http_response_free(&rs);
	if (tcb_info_parse(out->tcb_info, strlen(out->tcb_info), &ti, e, sizeof e))
		fail(EXIT_PROTOCOL, "GET %s: %s", url, e);
	int fm_ok = memcmp(ti.fmspc, p->fmspc_raw, 6) == 0, id_ok = strcmp(ti.id, p->td ? "TDX" : "SGX") == 0;
	tcb_info_free(&ti);
	if (!fm_ok)
		fail(EXIT_PROTOCOL, "GET %s: the TCB info is for another FMSPC than %s", url, p->fmspc);
	if (!id_ok)
		fail(EXIT_PROTOCOL, "GET %s: the TCB info is not of type %s", url, p->td ? "TDX" : "SGX");
}

static void fetch_qe_identity(struct fetch *f, const struct platform *p, struct coll *out)
{
	static const char *const names[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};
	char url[2048], e[400];
	struct http_response rs;
	struct qe_identity qi;
	snprintf(url, sizeof url, "%s/%s/certification/v4/qe/identity?update=standard", f->base, p->td ? "tdx" : "sgx");
	get(f, url, &rs);
	out->qe_chain = chain_header(&rs, url, names);
	out->qe_identity = signed_body(&rs, url, "enclaveIdentity", out->qe_chain, out->qe_sig);
	http_response_free(&rs);
	if (qe_identity_parse(out->qe_identity, strlen(out->qe_identity), &qi, e, sizeof e))
		fail(EXIT_PROTOCOL, "GET %s: %s", url, e);
	int id_ok = strcmp(qi.id, p->td ? "TD_QE" : "QE") == 0;
	qe_identity_free(&qi);
	if (!id_ok)
		fail(EXIT_PROTOCOL, "GET %s: the QE identity is not of type %s", url, p->td ? "TD_QE" : "QE");
}

/* The root CA CRL: --root-ca-crl-url, the PCCS's rootcacrl, or with Intel PCS
 * the CRL distribution point of the root of the QE identity's chain. */
static void fetch_root_crl(struct fetch *f, struct coll *out)
{
	char url[2048], e[400];
	struct http_response rs;
	if (f->root_crl_url) {
		snprintf(url, sizeof url, "%s", f->root_crl_url);
	} else if (f->pcs) {
		struct cert_chain ch;
		if (cert_chain_parse_pem(out->qe_chain, strlen(out->qe_chain), &ch, e, sizeof e))
			fail(EXIT_PROTOCOL, "QE identity issuer chain: %s", e);
		char *dp = crl_dp(ch.certs[ch.n - 1]);
		cert_chain_free(&ch);
		if (!dp)
			fail(EXIT_PROTOCOL, "the root CA of the QE identity issuer chain names no CRL distribution point");
		if (!http_url(dp))
			fail(EXIT_PROTOCOL, "the root CA's CRL distribution point '%.200s' is not an http:// or https:// URL", dp);
		snprintf(url, sizeof url, "%s", dp);
		free(dp);
	} else {
		snprintf(url, sizeof url, "%s/sgx/certification/v4/rootcacrl", f->base);
	}
	f->ho.follow_redirects = 1;
	get(f, url, &rs);
	out->root_crl = crl_body(&rs, url, &out->root_crl_len);
	http_response_free(&rs);
}

static void emit(const struct coll *c)
{
	jv o = jv_object();
	JSET(o, "pck_crl_issuer_chain", jv_string(c->pck_crl_chain));
	JSET(o, "pck_crl", jv_hex(c->pck_crl, c->pck_crl_len));
	JSET(o, "root_ca_crl", jv_hex(c->root_crl, c->root_crl_len));
	JSET(o, "tcb_info_issuer_chain", jv_string(c->tcb_chain));
	JSET(o, "tcb_info", jv_string(c->tcb_info));
	JSET(o, "tcb_info_signature", jv_hex(c->tcb_sig, 64));
	JSET(o, "qe_identity_issuer_chain", jv_string(c->qe_chain));
	JSET(o, "qe_identity", jv_string(c->qe_identity));
	JSET(o, "qe_identity_signature", jv_hex(c->qe_sig, 64));
	json_emit(o);
}

static void coll_free(struct coll *c)
{
	free(c->pck_crl_chain);
	free(c->pck_crl);
	free(c->root_crl);
	free(c->tcb_chain);
	free(c->tcb_info);
	free(c->qe_chain);
	free(c->qe_identity);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	struct fetch f;
	struct platform p;
	struct coll c;
	memset(&c, 0, sizeof c);
	parse_args(&f, argc, argv);
	read_platform(f.form, &p);
	fetch_pck_crl(&f, &p, &c);
	fetch_tcb_info(&f, &p, &c);
	fetch_qe_identity(&f, &p, &c);
	fetch_root_crl(&f, &c);
	emit(&c);
	coll_free(&c);
	free(f.base);
	close_stdout();
	return 0;
}
