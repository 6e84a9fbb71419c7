/* collateral-fetch: read a DCAP quote, take the FMSPC and CA type from its PCK
 * leaf certificate, fetch the collateral that verifies it from Intel PCS (or
 * a PCCS with the same v4 API) and write it as dcap-qvl's QuoteCollateralV3
 * JSON, the signed texts kept byte for byte. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/x509v3.h>

#include "lib/codec.h"
#include "lib/collateral.h"
#include "lib/jscan.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/http.h"
#include "lib/json.h"
#include "lib/tdx.h"
#include "lib/x509v.h"

#define INTEL_PCS "https://api.trustedservices.intel.com"

static const char synopsis[] =
	"collateral-fetch [--pccs-url URL | --pcs] [--root-ca-crl-url URL] [--timeout SECONDS] [--retries N]\n"
	"       [--input=FORM] [--verbose] < QUOTE > COLLATERAL_JSON";

static void help(void)
{
	printf("usage: %s\n"
	       "Fetch the DCAP collateral of a quote (TCB info, QE identity, PCK CRL, root CA CRL, issuer chains)\n"
	       "and write it as dcap-qvl QuoteCollateralV3 JSON for quote-verify --collateral.\n"
	       "\n"
	       "  --pccs-url URL         a PCCS (or PCS mirror) with Intel's v4 API; a trailing\n"
	       "                         /sgx/certification/v4 or /tdx/certification/v4 is dropped\n"
	       "  --pcs                  Intel PCS, " INTEL_PCS " (the default)\n"
	       "  --root-ca-crl-url URL  where to get the root CA CRL (default: PCCS .../sgx/certification/v4/rootcacrl,\n"
	       "                         with --pcs the CRL distribution point of the Intel SGX Root CA)\n"
	       "  --timeout SECONDS      per transfer, connection included (default 30; decimals allowed)\n"
	       "  --retries N            retries on timeouts, dropped connections, 429 and 5xx (default 3),\n"
	       "                         waiting as Retry-After says (at most 60 s) or 0.5 s doubling\n"
	       "  --input=FORM           bin, hex or base64 (default: detected)\n"
	       "  --verbose              one stderr line per retry\n"
	       "  --help, --version\n"
	       "\n"
	       "environment: PCS_API_KEY, when set, is sent as Ocp-Apim-Subscription-Key (never printed).\n"
	       "stdin: one quote whose certification data holds the PCK chain (type 5).\n"
	       "stdout: {pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain, tcb_info, tcb_info_signature,\n"
	       "qe_identity_issuer_chain, qe_identity, qe_identity_signature} (CRLs and signatures in hex).\n"
	       "exit: 0 ok, 2 usage, 65 malformed quote, 69 service unavailable (connection refused, 404),\n"
	       "74 write error, 75 timeout or 429/5xx after the retries, 76 an impossible answer, 77 401/403.\n",
	       synopsis);
}

struct ctx {
	struct http_options ho;
	const char *base;
};

/* GET url; fails with the mapped exit code unless the answer is 200. */
static void get(struct ctx *x, const char *url, struct http_response *rs)
{
	static const char *const hdr[] = {"Accept: */*", NULL};
	struct http_request rq = {.method = HTTP_GET, .url = url, .headers = hdr, .token_env = "PCS_API_KEY",
				  .token_header = "Ocp-Apim-Subscription-Key"};
	char err[1024];
	int rc = http_do(&x->ho, &rq, rs, err, sizeof err);
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

/* A CRL answer: DER, PEM or hex text (PCCS); returns the DER. */
static uint8_t *crl_body(struct http_response *rs, const char *url, size_t *len)
{
	const uint8_t *p = rs->body.data;
	size_t n = rs->body.len;
	uint8_t *der = NULL;
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	int hex = n > 0 && n % 2 == 0;
	for (size_t i = 0; hex && i < n; i++)
		hex = strchr("0123456789abcdefABCDEF", p[i]) != NULL;
	char e[300];
	X509_CRL *crl;
	if (hex) {
		der = xmalloc(n / 2);
		hex_decode((const char *)p, n, der);
		crl = x509v_load_crl(der, n / 2, e, sizeof e);
		*len = n / 2;
	} else {
		crl = x509v_load_crl(rs->body.data, rs->body.len, e, sizeof e);
	}
	if (!crl)
		fail(EXIT_PROTOCOL, "GET %s: the answer is not a CRL: %s", url, e);
	if (!hex) {
		unsigned char *out = NULL;
		int dl = i2d_X509_CRL(crl, &out);
		if (dl <= 0)
			fail(EXIT_SOFTWARE, "cannot encode the CRL from %s", url);
		der = xmalloc((size_t)dl);
		memcpy(der, out, (size_t)dl);
		OPENSSL_free(out);
		*len = (size_t)dl;
	}
	X509_CRL_free(crl);
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

static char *base_url(const char *u)
{
	char *b = xstrdup(u);
	size_t n = strlen(b);
	while (n && b[n - 1] == '/')
		b[--n] = 0;
	const char *sfx[] = {"/sgx/certification/v4", "/tdx/certification/v4"};
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(sfx[i]);
		if (n >= l && strcmp(b + n - l, sfx[i]) == 0)
			b[n -= l] = 0;
	}
	while (n && b[n - 1] == '/')
		b[--n] = 0;
	return b;
}

static long parse_seconds_ms(const char *s)
{
	char *end;
	double d = strtod(s, &end);
	if (end == s || *end || !(d > 0) || d > 3600)
		return -1;
	return (long)(d * 1000 + 0.5);
}

int main(int argc, char **argv)
{
	prog_init(argv[0]);
	const char *pccs = NULL, *rootcrl_url = NULL;
	int pcs = 0;
	enum input_form form = FORM_AUTO;
	struct ctx x;
	http_options_init(&x.ho);
	enum { O_PCCS = 256, O_PCS, O_ROOTCRL, O_TIMEOUT, O_RETRIES, O_INPUT, O_VERBOSE };
	static const struct option opts[] = {
		{"pccs-url", required_argument, NULL, O_PCCS}, {"pcs", no_argument, NULL, O_PCS},
		{"root-ca-crl-url", required_argument, NULL, O_ROOTCRL}, {"timeout", required_argument, NULL, O_TIMEOUT},
		{"retries", required_argument, NULL, O_RETRIES}, {"input", required_argument, NULL, O_INPUT},
		{"verbose", no_argument, NULL, O_VERBOSE}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c;
	long long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_PCCS: pccs = optarg; break;
		case O_PCS: pcs = 1; break;
		case O_ROOTCRL: rootcrl_url = optarg; break;
		case O_TIMEOUT:
			if ((x.ho.timeout_ms = parse_seconds_ms(optarg)) < 0)
				usage_fail(synopsis, "--timeout needs seconds (up to 3600), not '%s'", optarg);
			x.ho.connect_timeout_ms = x.ho.timeout_ms;
			break;
		case O_RETRIES:
			if ((v = parse_uint(optarg, 10)) < 0)
				usage_fail(synopsis, "--retries needs 0 to 10, not '%s'", optarg);
			x.ho.retries = (int)v;
			break;
		case O_INPUT: form = input_form_option(optarg, synopsis); break;
		case O_VERBOSE: x.ho.verbose = 1; break;
		case 'h': help(); close_stdout(); return 0;
		case 'V': printf("collateral-fetch %s\n", MP_VERSION); close_stdout(); return 0;
		default: usage_fail(synopsis, "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_fail(synopsis, "unexpected argument '%s'", argv[optind]);
	if (pccs && pcs)
		usage_fail(synopsis, "--pccs-url and --pcs exclude each other");
	if (pccs && strncmp(pccs, "http://", 7) != 0 && strncmp(pccs, "https://", 8) != 0)
		usage_fail(synopsis, "--pccs-url needs an http:// or https:// URL, not '%s'", pccs);
	pcs = !pccs;

	/* the quote and its PCK leaf */
	struct buf raw;
	char err[512];
	read_quote_stdin(form, &raw);
	struct tdx_quote q;
	if (tdx_parse(raw.data, raw.len, &q, err, sizeof err))
		fail(EXIT_DATAERR, "cannot parse quote: %s", err);
	if (q.cert_type != 5)
		fail(EXIT_DATAERR, "the quote's certification data is of type %u, not a PCK certificate chain (type 5): "
		     "its PCK certificate must come from a PCCS, which collateral-fetch does not do", q.cert_type);
	struct cert_chain pck;
	struct pck_ext ext;
	char e2[400];
	if (cert_chain_parse(q.cert_data, q.cert_size, &pck, e2, sizeof e2))
		fail(EXIT_DATAERR, "cannot parse quote: PCK certificate chain at byte %zu: %s", q.cert_off, e2);
	if (pck_ext_parse(pck.certs[0], &ext, e2, sizeof e2))
		fail(EXIT_DATAERR, "cannot parse quote: PCK certificate: %s", e2);
	const char *ca = pck_ca_type(pck.certs[0]);
	if (!ca)
		fail(EXIT_DATAERR, "the PCK certificate's issuer is neither the PCK Platform CA nor the PCK Processor CA");
	cert_chain_free(&pck);
	int td = tdx_is_td(&q);
	buf_free(&raw);
	char fmspc[13];
	for (int i = 0; i < 6; i++)
		snprintf(fmspc + 2 * i, 3, "%02X", ext.fmspc[i]);

	x.base = pcs ? INTEL_PCS : (pccs = base_url(pccs));
	const char *tee = td ? "tdx" : "sgx";
	char url[2048];
	struct http_response rs;
	static const char *const crl_chain_h[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
	static const char *const tcb_chain_h[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain", NULL};
	static const char *const qe_chain_h[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};

	snprintf(url, sizeof url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", x.base, ca);
	get(&x, url, &rs);
	char *pck_crl_chain = chain_header(&rs, url, crl_chain_h);
	size_t pck_crl_len;
	uint8_t *pck_crl = crl_body(&rs, url, &pck_crl_len);
	http_response_free(&rs);

	snprintf(url, sizeof url, "%s/%s/certification/v4/tcb?fmspc=%s", x.base, tee, fmspc);
	get(&x, url, &rs);
	char *tcb_chain = chain_header(&rs, url, tcb_chain_h);
	uint8_t tcb_sig[64], qe_sig[64];
	char *tcb_info = signed_body(&rs, url, "tcbInfo", tcb_chain, tcb_sig);
	http_response_free(&rs);
	struct tcb_info ti;
	if (tcb_info_parse(tcb_info, strlen(tcb_info), &ti, e2, sizeof e2))
		fail(EXIT_PROTOCOL, "GET %s: %s", url, e2);
	int fm_ok = memcmp(ti.fmspc, ext.fmspc, 6) == 0, id_ok = strcmp(ti.id, td ? "TDX" : "SGX") == 0;
	tcb_info_free(&ti);
	if (!fm_ok)
		fail(EXIT_PROTOCOL, "GET %s: the TCB info is for another FMSPC than %s", url, fmspc);
	if (!id_ok)
		fail(EXIT_PROTOCOL, "GET %s: the TCB info is not of type %s", url, td ? "TDX" : "SGX");

	snprintf(url, sizeof url, "%s/%s/certification/v4/qe/identity?update=standard", x.base, tee);
	get(&x, url, &rs);
	char *qe_chain = chain_header(&rs, url, qe_chain_h);
	char *qe_identity = signed_body(&rs, url, "enclaveIdentity", qe_chain, qe_sig);
	http_response_free(&rs);
	struct qe_identity qi;
	if (qe_identity_parse(qe_identity, strlen(qe_identity), &qi, e2, sizeof e2))
		fail(EXIT_PROTOCOL, "GET %s: %s", url, e2);
	id_ok = strcmp(qi.id, td ? "TD_QE" : "QE") == 0;
	qe_identity_free(&qi);
	if (!id_ok)
		fail(EXIT_PROTOCOL, "GET %s: the QE identity is not of type %s", url, td ? "TD_QE" : "QE");

	char *dp = NULL;
	if (rootcrl_url) {
		snprintf(url, sizeof url, "%s", rootcrl_url);
	} else if (pcs) {
		struct cert_chain ch;
		if (cert_chain_parse_pem(qe_chain, strlen(qe_chain), &ch, e2, sizeof e2))
			fail(EXIT_PROTOCOL, "QE identity issuer chain: %s", e2);
		dp = crl_dp(ch.certs[ch.n - 1]);
		cert_chain_free(&ch);
		if (!dp)
			fail(EXIT_PROTOCOL, "the root CA of the QE identity issuer chain names no CRL distribution point");
		snprintf(url, sizeof url, "%s", dp);
	} else {
		snprintf(url, sizeof url, "%s/sgx/certification/v4/rootcacrl", x.base);
	}
	x.ho.follow_redirects = 1;
	get(&x, url, &rs);
	size_t root_crl_len;
	uint8_t *root_crl = crl_body(&rs, url, &root_crl_len);
	http_response_free(&rs);

	jv o = jv_object();
	JSET(o, "pck_crl_issuer_chain", jv_string(pck_crl_chain));
	JSET(o, "pck_crl", jv_hex(pck_crl, pck_crl_len));
	JSET(o, "root_ca_crl", jv_hex(root_crl, root_crl_len));
	JSET(o, "tcb_info_issuer_chain", jv_string(tcb_chain));
	JSET(o, "tcb_info", jv_string(tcb_info));
	JSET(o, "tcb_info_signature", jv_hex(tcb_sig, 64));
	JSET(o, "qe_identity_issuer_chain", jv_string(qe_chain));
	JSET(o, "qe_identity", jv_string(qe_identity));
	JSET(o, "qe_identity_signature", jv_hex(qe_sig, 64));
	json_emit(o);
	free(pck_crl_chain);
	free(pck_crl);
	free(root_crl);
	free(tcb_chain);
	free(tcb_info);
	free(qe_chain);
	free(qe_identity);
	free(dp);
	if (pccs && !pcs)
		free((char *)pccs);
	close_stdout();
	return 0;
}
