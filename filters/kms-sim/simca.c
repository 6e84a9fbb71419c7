/* simca: the simulated provisioning PKI, TDX quotes and collateral of
 * kms-sim. See simca.h. */
#include "simca.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/json.h"
#include "lib/tdx.h"
#include "lib/sha.h"

static const uint8_t SIMCA_FMSPC[6] = {0x53, 0x49, 0x4d, 0x00, 0x00, 0x00};
static const uint8_t SIMCA_PCEID[2] = {0x00, 0x00};
static const uint8_t SIMCA_CPUSVN[16] = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}; /* = the SGX components */
#define SIMCA_PCESVN 13
#define SIMCA_QE_ISVSVN 4
#define SIMCA_QE_ISVPRODID 2
/* seconds of validity left below which collateral is rewritten */
#define SIMCA_COLLATERAL_MARGIN (7LL * 86400)

/* the state files, in the state folder */

static const char *const SIMCA_KEY_FILE[SIMCA_N] = {"root-ca.key", "pck-platform-ca.key", "tcb-signing.key",
					     "pck.key"};
static const char *const SIMCA_CERT_FILE[SIMCA_N] = {"root-ca.pem", "pck-platform-ca.pem", "tcb-signing.pem",
					      "pck.pem"};
#define SIMCA_ROOT_DER_FILE "root-ca.der"
#define SIMCA_COLLATERAL_FILE "collateral.json"
static const char *const CN[SIMCA_N] = {SIMCA_ROOT_CN, SIMCA_PCKCA_CN, SIMCA_TCB_CN, SIMCA_PCK_CN};
static const int PARENT[SIMCA_N] = {SIMCA_ROOT, SIMCA_ROOT, SIMCA_ROOT, SIMCA_PCKCA};
static const int YEARS[SIMCA_N] = {20, 10, 7, 7};

/* the TCB levels of the collateral (tcb_info, highest first) */
static const uint8_t UPTODATE_TDX[16] = {5, 0, 3};
static const uint8_t OUTOFDATE_SGX[16] = {2, 2, 2, 2, 3, 1, 0, 4};
static const uint8_t OUTOFDATE_TDX[16] = {3, 0, 2};
#define OUTOFDATE_PCESVN 11
/* TEE_TCB_SVN of the simulated TD: module SVN 5, major version 1, microcode */
static const uint8_t TEE_TCB_SVN_UPTODATE[16] = {5, 1, 3};
static const uint8_t TEE_TCB_SVN_OUTOFDATE[16] = {5, 1, 2};
#define TDX_MODULE_ISVSVN_LATEST 5
static const uint8_t XFAM[8] = {0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
/* the QE report: ATTRIBUTES as a real TD QE (INIT, MODE64BIT, PROVISIONKEY; XFRM e7) */
static const uint8_t QE_ATTRIBUTES[16] = {0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7};
#define TCB_EVAL_NUMBER 17

#define BAD(code, ...) do { snprintf(err, errlen, __VA_ARGS__); return (code); } while (0)

static char *hex_upper(const uint8_t *p, size_t n)
{
	char *s = hex_encode(p, n);
	for (char *c = s; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	return s;
}

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Write data unless the file already holds exactly these bytes. */
static void write_if_changed(const char *path, const void *data, size_t len, int mode)
{
	struct buf old;
	if (read_file_capped(path, 4 * MP_MIB, &old, RF_SOFT) == 0) {
		int same = old.len == len && memcmp(old.data, data, len) == 0;
		buf_free(&old);
		if (same)
			return;
	}
	write_file(path, data, len, mode);
}

/* ---- DER writing (the SGX extension) ---- */

static void der_tlv(struct buf *out, int tag, const uint8_t *p, size_t n)
{
	buf_addc(out, tag);
	if (n < 0x80) {
		buf_addc(out, (int)n);
	} else if (n < 0x100) {
		buf_addc(out, 0x81);
		buf_addc(out, (int)n);
	} else {
		buf_addc(out, 0x82);
		buf_addc(out, (int)(n >> 8));
		buf_addc(out, (int)(n & 0xff));
	}
	buf_add(out, p, n);
}

static void der_uint(struct buf *out, int tag, unsigned v)
{
	uint8_t b[5];
	size_t n = 0;
	uint8_t tmp[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	size_t i = 0;
	while (i < 3 && tmp[i] == 0)
		i++;
	if (tmp[i] & 0x80)
		b[n++] = 0;
	for (; i < 4; i++)
		b[n++] = tmp[i];
	der_tlv(out, tag, b, n);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.a[.b], value } */
static void sgx_entry(struct buf *out, int a, int b, const struct buf *value)
{
	static const uint8_t base[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
	struct buf e;
	uint8_t oid[sizeof base + 2];
	size_t on = sizeof base;
	memcpy(oid, base, sizeof base);
	oid[on++] = (uint8_t)a;
	if (b >= 0)
		oid[on++] = (uint8_t)b;
	buf_init(&e);
	der_tlv(&e, 0x06, oid, on);
	buf_add(&e, value->data, value->len);
	der_tlv(out, 0x30, e.data, e.len);
	buf_free(&e);
}

static void sgx_octets(struct buf *out, int a, int b, const uint8_t *p, size_t n)
{
	struct buf v;
	buf_init(&v);
	der_tlv(&v, 0x04, p, n);
	sgx_entry(out, a, b, &v);
	buf_free(&v);
}

static void sgx_uint(struct buf *out, int a, int b, int tag, unsigned x)
{
	struct buf v;
	buf_init(&v);
	der_uint(&v, tag, x);
	sgx_entry(out, a, b, &v);
	buf_free(&v);
}

/* The DER of the Intel SGX extension value of the simulated PCK leaf. */
static void sgx_extension(const struct simca *ca, struct buf *out)
{
	struct buf body, tcb, tcbseq, cfg, cfgseq;
	buf_init(&body);
	buf_init(&tcb);
	buf_init(&cfg);
	sgx_octets(&body, 1, -1, ca->ppid, 16);
	for (int i = 0; i < 16; i++)
		sgx_uint(&tcb, 2, i + 1, 0x02, SIMCA_CPUSVN[i]);
	sgx_uint(&tcb, 2, 17, 0x02, SIMCA_PCESVN);
	sgx_octets(&tcb, 2, 18, SIMCA_CPUSVN, 16);
	buf_init(&tcbseq);
	der_tlv(&tcbseq, 0x30, tcb.data, tcb.len);
	sgx_entry(&body, 2, -1, &tcbseq);
	sgx_octets(&body, 3, -1, SIMCA_PCEID, 2);
	sgx_octets(&body, 4, -1, SIMCA_FMSPC, 6);
	sgx_uint(&body, 5, -1, 0x0a, 1); /* SGX type: Scalable, as TDX platforms */
	sgx_octets(&body, 6, -1, ca->platform_instance_id, 16);
	for (int i = 1; i <= 3; i++) { /* dynamic platform, cached keys, SMT: false */
		struct buf v;
		uint8_t f = 0x00;
		buf_init(&v);
		der_tlv(&v, 0x01, &f, 1);
		sgx_entry(&cfg, 7, i, &v);
		buf_free(&v);
	}
	buf_init(&cfgseq);
	der_tlv(&cfgseq, 0x30, cfg.data, cfg.len);
	sgx_entry(&body, 7, -1, &cfgseq);
	buf_init(out);
	der_tlv(out, 0x30, body.data, body.len);
	buf_free(&body);
	buf_free(&tcb);
	buf_free(&tcbseq);
	buf_free(&cfg);
	buf_free(&cfgseq);
}

/* ---- keys and certificates ---- */

static int load_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	struct buf b;
	*out = NULL;
	if (read_file_capped(path, MP_MIB, &b, RF_SOFT) != 0) {
		if (errno == ENOENT)
			return 0;
		BAD(EXIT_CONFIG, "cannot read state file '%s': %s", path, strerror(errno));
	}
	BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	ERR_clear_error();
	if (!k || !ec_is_p256(k)) {
		EVP_PKEY_free(k);
		BAD(EXIT_CONFIG, "state file '%s' is not a P-256 private key (remove the state folder to start over)",
		    path);
	}
	*out = k;
	return 0;
}

static void save_key(const char *path, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		fail(EXIT_SOFTWARE, "cannot encode a private key");
	char *data;
	long n = BIO_get_mem_data(b, &data);
	write_if_changed(path, data, (size_t)n, 0600);
	OPENSSL_cleanse(data, (size_t)n);
	BIO_free(b);
}

static X509 *load_cert(const char *path)
{
	struct buf b;
	if (read_file_capped(path, MP_MIB, &b, RF_SOFT) != 0)
		return NULL;
	BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	buf_free(&b);
	ERR_clear_error();
	return x;
}

static X509_NAME *subject_name(int which)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)CN[which], -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)SIMCA_ORG, -1, -1, 0);
	return n;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

static ASN1_INTEGER *random_serial(void)
{
	uint8_t r[16];
	if (RAND_bytes(r, sizeof r) != 1)
		return NULL;
	r[0] = (uint8_t)((r[0] & 0x7f) | 0x10); /* positive, 16 bytes */
	BIGNUM *bn = BN_bin2bn(r, sizeof r, NULL);
	ASN1_INTEGER *s = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	return s;
}

/* Issue the certificate of ca->key[which], signed by its parent. */
static int issue(struct simca *ca, int which, long long now, char *err, size_t errlen)
{
	int p = PARENT[which];
	X509 *x = X509_new();
	X509_NAME *n = subject_name(which);
	ASN1_INTEGER *serial = random_serial();
	X509V3_CTX ctx;
	struct buf sgx;
	int ok = x && serial && X509_set_version(x, 2) && X509_set_serialNumber(x, serial) &&
		 X509_set_subject_name(x, n) &&
		 X509_set_issuer_name(x, which == SIMCA_ROOT ? n : X509_get_subject_name(ca->cert[p])) &&
		 ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 86400)) &&
		 ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + (long long)YEARS[which] * 365 * 86400)) &&
		 X509_set_pubkey(x, ca->key[which]);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(n);
	if (ok) {
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, which == SIMCA_ROOT ? x : ca->cert[p], x, NULL, NULL, 0);
		int is_ca = which == SIMCA_ROOT || which == SIMCA_PCKCA;
		ok = add_ext(x, &ctx, NID_subject_key_identifier, "hash") == 0 &&
		     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") == 0 &&
		     add_ext(x, &ctx, NID_key_usage,
			     is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation") == 0 &&
		     add_ext(x, &ctx, NID_basic_constraints,
			     which == SIMCA_ROOT ? "critical,CA:TRUE,pathlen:1"
			     : is_ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE") == 0;
	}
	if (ok && which == SIMCA_PCK) {
		sgx_extension(ca, &sgx);
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e = NULL;
		ok = obj && os && ASN1_OCTET_STRING_set(os, sgx.data, (int)sgx.len) &&
		     (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
		buf_free(&sgx);
	}
	if (ok)
		ok = X509_sign(x, ca->key[which == SIMCA_ROOT ? SIMCA_ROOT : p], EVP_sha256()) > 0;
	if (!ok) {
		char d[256];
		ssl_error_text(d, sizeof d);
		X509_free(x);
		BAD(EXIT_SOFTWARE, "cannot issue the simulated certificate '%s': %s", CN[which], d);
	}
	X509_free(ca->cert[which]);
	ca->cert[which] = x;
	return 0;
}

/* Does the certificate on disk still fit: this key, signed by the parent,
 * the expected names (and SGX extension), valid for 30 more days? */
static int cert_fits(const struct simca *ca, int which, X509 *x, long long now)
{
	int p = PARENT[which];
	X509_NAME *n = subject_name(which);
	int ok = X509_NAME_cmp(X509_get_subject_name(x), n) == 0 &&
		 X509_NAME_cmp(X509_get_issuer_name(x), which == SIMCA_ROOT ? n : X509_get_subject_name(ca->cert[p])) == 0 &&
		 X509_check_private_key(x, ca->key[which]) == 1 && X509_verify(x, ca->key[p]) == 1 &&
		 asn1_time_epoch(X509_get0_notBefore(x)) <= now &&
		 asn1_time_epoch(X509_get0_notAfter(x)) > now + 30 * 86400;
	X509_NAME_free(n);
	if (ok && which == SIMCA_PCK) {
		struct buf want;
		sgx_extension(ca, &want);
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		int idx = X509_get_ext_by_OBJ(x, obj, -1);
		ASN1_OBJECT_free(obj);
		ASN1_OCTET_STRING *os = idx >= 0 ? X509_EXTENSION_get_data(X509_get_ext(x, idx)) : NULL;
		ok = os && (size_t)ASN1_STRING_length(os) == want.len &&
		     memcmp(ASN1_STRING_get0_data(os), want.data, want.len) == 0;
		buf_free(&want);
	}
	ERR_clear_error();
	return ok;
}

static void derive_ids(struct simca *ca)
{
	uint8_t xy[64], md[32];
	struct buf b;
	ec_pub_to_xy(ca->key[SIMCA_PCK], xy);
	static const char *const label[3] = {"mero-kms-sim ppid", "mero-kms-sim platform instance id",
					     "mero-kms-sim qe id"};
	uint8_t *dst[3] = {ca->ppid, ca->platform_instance_id, ca->qeid};
	for (int i = 0; i < 3; i++) {
		buf_init(&b);
		buf_add(&b, label[i], strlen(label[i]) + 1);
		buf_add(&b, xy, 64);
		sha256(b.data, b.len, md);
		memcpy(dst[i], md, 16);
		buf_free(&b);
	}
}

static void write_cert(const char *dir, int which, X509 *x)
{
	char *pem = cert_to_pem(x);
	char *path = path_in(dir, SIMCA_CERT_FILE[which]);
	write_if_changed(path, pem, strlen(pem), 0644);
	free(path);
	free(pem);
	if (which == SIMCA_ROOT) {
		unsigned char *der = NULL;
		int n = i2d_X509(x, &der);
		if (n <= 0)
			fail(EXIT_SOFTWARE, "cannot encode the simulated root certificate");
		path = path_in(dir, SIMCA_ROOT_DER_FILE);
		write_if_changed(path, der, (size_t)n, 0644);
		free(path);
		OPENSSL_free(der);
	}
}

int simca_open(struct simca *ca, const char *dir, long long now, char *err, size_t errlen)
{
	memset(ca, 0, sizeof *ca);
	for (int i = 0; i < SIMCA_N; i++) {
		char *path = path_in(dir, SIMCA_KEY_FILE[i]);
		int r = load_key(path, &ca->key[i], err, errlen);
		if (r == 0 && !ca->key[i]) {
			if (!(ca->key[i] = ec_generate_p256())) {
				free(path);
				BAD(EXIT_SOFTWARE, "cannot generate a P-256 key");
			}
			save_key(path, ca->key[i]);
		}
		free(path);
		if (r)
			return r;
	}
	derive_ids(ca);
	/* parents first: a reissued parent keeps its key and name, so children stay valid */
	for (int i = 0; i < SIMCA_N; i++) {
		char *path = path_in(dir, SIMCA_CERT_FILE[i]);
		X509 *x = load_cert(path);
		free(path);
		if (x && cert_fits(ca, i, x, now)) {
			ca->cert[i] = x;
		} else {
			X509_free(x);
			int r = issue(ca, i, now, err, errlen);
			if (r)
				return r;
		}
		write_cert(dir, i, ca->cert[i]);
	}
	return 0;
}

void simca_close(struct simca *ca)
{
	for (int i = 0; i < SIMCA_N; i++) {
		EVP_PKEY_free(ca->key[i]);
		X509_free(ca->cert[i]);
	}
	memset(ca, 0, sizeof *ca);
}

/* ---- collateral ---- */

static void comps_json(struct buf *b, const char *key, const uint8_t c[16], int sgx)
{
	/* the component labels Intel publishes for TDX platforms */
	static const char *const sgx_label[16] = {
		"\"category\":\"BIOS\",\"type\":\"Early Microcode Update\"",
		"\"category\":\"OS/VMM\",\"type\":\"SGX Late Microcode Update\"",
		"\"category\":\"OS/VMM\",\"type\":\"TXT SINIT\"", "\"category\":\"BIOS\"", "\"category\":\"BIOS\"",
		"\"category\":\"BIOS\"", NULL, "\"category\":\"OS/VMM\",\"type\":\"SEAMLDR ACM\""};
	static const char *const tdx_label[16] = {
		"\"category\":\"OS/VMM\",\"type\":\"TDX Module\"", "\"category\":\"OS/VMM\",\"type\":\"TDX Module\"",
		"\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\""};
	buf_printf(b, "\"%s\":[", key);
	for (int i = 0; i < 16; i++) {
		const char *l = sgx ? sgx_label[i] : tdx_label[i];
		buf_printf(b, "%s{\"svn\":%d%s%s}", i ? "," : "", c[i], l ? "," : "", l ? l : "");
	}
	buf_addc(b, ']');
}

static char *simca_tcb_info_text(long long issue, long long next)
{
	char is[32], nx[32];
	uint8_t zero48[48] = {0};
	char *fmspc = hex_upper(SIMCA_FMSPC, 6), *pceid = hex_upper(SIMCA_PCEID, 2), *mrsigner = hex_upper(zero48, 48);
	struct buf b;
	format_utc(issue, is);
	format_utc(next, nx);
	buf_init(&b);
	buf_printf(&b,
		   "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"%s\","
		   "\"pceId\":\"%s\",\"tcbType\":0,\"tcbEvaluationDataNumber\":%d,"
		   "\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
		   "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
		   "\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
		   "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":["
		   "{\"tcb\":{\"isvsvn\":%d},\"tcbDate\":\"2025-02-12T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
		   "{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}],"
		   "\"tcbLevels\":[{\"tcb\":{",
		   is, nx, fmspc, pceid, TCB_EVAL_NUMBER, mrsigner, mrsigner, TDX_MODULE_ISVSVN_LATEST);
	comps_json(&b, "sgxtcbcomponents", SIMCA_CPUSVN, 1);
	buf_printf(&b, ",\"pcesvn\":%d,", SIMCA_PCESVN);
	comps_json(&b, "tdxtcbcomponents", UPTODATE_TDX, 0);
	buf_printf(&b, "},\"tcbDate\":\"2025-02-12T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},{\"tcb\":{");
	comps_json(&b, "sgxtcbcomponents", OUTOFDATE_SGX, 1);
	buf_printf(&b, ",\"pcesvn\":%d,", OUTOFDATE_PCESVN);
	comps_json(&b, "tdxtcbcomponents", OUTOFDATE_TDX, 0);
	buf_printf(&b, "},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
		       "\"advisoryIDs\":[\"SIM-SA-00001\",\"SIM-SA-00002\"]}]}");
	free(fmspc);
	free(pceid);
	free(mrsigner);
	return (char *)b.data;
}

/* MRSIGNER of the simulated TD QE (not Intel's) */
static void qe_mrsigner(uint8_t out[32])
{
	static const char s[] = "mero-policy SIMULATED TD QE signer";
	sha256(s, sizeof s - 1, out);
}

static char *simca_qe_identity_text(long long issue, long long next)
{
	char is[32], nx[32];
	uint8_t mr[32];
	qe_mrsigner(mr);
	char *mrs = hex_upper(mr, 32);
	struct buf b;
	format_utc(issue, is);
	format_utc(next, nx);
	buf_init(&b);
	buf_printf(&b,
		   "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
		   "\"tcbEvaluationDataNumber\":%d,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
		   "\"attributes\":\"11000000000000000000000000000000\","
		   "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\",\"isvprodid\":%d,"
		   "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%d},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
		   "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-08-09T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}",
		   is, nx, TCB_EVAL_NUMBER, mrs, SIMCA_QE_ISVPRODID, SIMCA_QE_ISVSVN);
	free(mrs);
	return (char *)b.data;
}

/* A CRL of issuer, valid [issue, next], listing revoked (may be NULL) */
static X509_CRL *make_crl(const struct simca *ca, int issuer, long long issue, long long next,
			  const uint8_t *revoked, size_t rlen)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)issue), *t2 = ASN1_TIME_set(NULL, (time_t)next);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	int ok = c && t1 && t2 && num && X509_CRL_set_version(c, 1) &&
		 X509_CRL_set_issuer_name(c, X509_get_subject_name(ca->cert[issuer])) &&
		 X509_CRL_set1_lastUpdate(c, t1) && X509_CRL_set1_nextUpdate(c, t2) &&
		 ASN1_INTEGER_set_int64(num, issue) && X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0);
	if (ok) {
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, ca->cert[issuer], NULL, NULL, c, 0);
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
		ok = e && X509_CRL_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
	}
	if (ok && revoked) {
		X509_REVOKED *r = X509_REVOKED_new();
		BIGNUM *bn = BN_bin2bn(revoked, (int)rlen, NULL);
		ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
		ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
		ok = r && sn && reason && X509_REVOKED_set_serialNumber(r, sn) &&
		     X509_REVOKED_set_revocationDate(r, t1) && ASN1_ENUMERATED_set(reason, 1) && /* keyCompromise */
		     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) && X509_CRL_add0_revoked(c, r);
		if (!ok)
			X509_REVOKED_free(r);
		ASN1_ENUMERATED_free(reason);
		ASN1_INTEGER_free(sn);
		BN_free(bn);
	}
	if (ok)
		ok = X509_CRL_sort(c) && X509_CRL_sign(c, ca->key[issuer], EVP_sha256()) > 0;
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	if (!ok) {
		X509_CRL_free(c);
		return NULL;
	}
	return c;
}

static char *chain_pem(const struct simca *ca, int leaf)
{
	char *a = cert_to_pem(ca->cert[leaf]), *b = cert_to_pem(ca->cert[SIMCA_ROOT]);
	struct buf s;
	buf_init(&s);
	buf_add(&s, a, strlen(a));
	buf_add(&s, b, strlen(b));
	free(a);
	free(b);
	return (char *)s.data;
}

static char *crl_hex(X509_CRL *c)
{
	unsigned char *der = NULL;
	int n = c ? i2d_X509_CRL(c, &der) : -1;
	char *h = n > 0 ? hex_encode(der, (size_t)n) : NULL;
	OPENSSL_free(der);
	return h;
}

static char *signed_text(EVP_PKEY *key, const char *text)
{
	uint8_t sig[64];
	if (ecdsa_sign_raw(key, (const uint8_t *)text, strlen(text), sig))
		return NULL;
	return hex_encode(sig, 64);
}

/* The collateral JSON, or invalid when signing failed. */
static jv build_collateral(const struct simca *ca, long long now)
{
	long long issue = now - 86400, next = now + 30 * 86400;
	/* a revoked serial that is none of ours, so the PCK CRL is not empty */
	static const char rs[] = "mero-kms-sim example revoked PCK serial";
	uint8_t revoked[32];
	sha256(rs, sizeof rs - 1, revoked);
	revoked[0] &= 0x7f;
	X509_CRL *root_crl = make_crl(ca, SIMCA_ROOT, issue, next, NULL, 0);
	X509_CRL *pck_crl = make_crl(ca, SIMCA_PCKCA, issue, next, revoked, 20);
	char *tcb = simca_tcb_info_text(issue, next), *qe = simca_qe_identity_text(issue, next);
	char *tcb_chain = chain_pem(ca, SIMCA_TCB), *pck_chain = chain_pem(ca, SIMCA_PCKCA);
	char *root_hex = crl_hex(root_crl), *pck_hex = crl_hex(pck_crl);
	char *tcb_sig = signed_text(ca->key[SIMCA_TCB], tcb), *qe_sig = signed_text(ca->key[SIMCA_TCB], qe);
	jv o = jv_invalid();
	if (root_hex && pck_hex && tcb_sig && qe_sig) {
		o = jv_object();
		JSET(o, "root_ca_crl", jv_string(root_hex));
		JSET(o, "pck_crl", jv_string(pck_hex));
		JSET(o, "pck_crl_issuer_chain", jv_string(pck_chain));
		JSET(o, "tcb_info_issuer_chain", jv_string(tcb_chain));
		JSET(o, "tcb_info", jv_string(tcb));
		JSET(o, "tcb_info_signature", jv_string(tcb_sig));
		JSET(o, "qe_identity_issuer_chain", jv_string(tcb_chain));
		JSET(o, "qe_identity", jv_string(qe));
		JSET(o, "qe_identity_signature", jv_string(qe_sig));
	}
	X509_CRL_free(root_crl);
	X509_CRL_free(pck_crl);
	free(root_hex);
	free(pck_hex);
	free(tcb_sig);
	free(qe_sig);
	free(tcb);
	free(qe);
	free(tcb_chain);
	free(pck_chain);
	return o;
}

/* The window [issue, next] of a signed JSON text; -1 when unreadable. */
static int text_window(const char *text, long long *issue, long long *next)
{
	char e[64];
	jv v = json_parse(text, strlen(text), e, sizeof e);
	const char *a = jv_is_valid(v) ? json_str(v, "issueDate") : NULL;
	const char *b = jv_is_valid(v) ? json_str(v, "nextUpdate") : NULL;
	*issue = a ? parse_utc(a) : -1;
	*next = b ? parse_utc(b) : -1;
	jv_free(v);
	return *issue < 0 || *next < 0 ? -1 : 0;
}

static int sig_ok(EVP_PKEY *key, const char *text, const char *sighex)
{
	uint8_t sig[64];
	if (!text || !sighex || hex_decode_exact(sighex, sig, 64))
		return 0;
	return ecdsa_verify_raw(key, (const uint8_t *)text, strlen(text), sig) == 1;
}

static int crl_ok(const struct simca *ca, int issuer, const char *hex, long long now)
{
	if (!hex)
		return 0;
	size_t n = strlen(hex) / 2;
	uint8_t *der = xmalloc(n + 1);
	int ok = 0;
	if (hex_decode(hex, strlen(hex), der) == (long)n) {
		const unsigned char *p = der;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)n);
		ok = c && X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(ca->cert[issuer])) == 0 &&
		     X509_CRL_verify(c, ca->key[issuer]) == 1 &&
		     asn1_time_epoch(X509_CRL_get0_lastUpdate(c)) <= now &&
		     asn1_time_epoch(X509_CRL_get0_nextUpdate(c)) - now >= SIMCA_COLLATERAL_MARGIN;
		X509_CRL_free(c);
	}
	free(der);
	ERR_clear_error();
	return ok;
}

/* Is the collateral on disk one this PKI made, and fresh enough? */
static int collateral_fits(const struct simca *ca, const char *path, long long now)
{
	struct buf b;
	char e[64];
	if (read_file_capped(path, 4 * MP_MIB, &b, RF_SOFT) != 0)
		return 0;
	jv c = json_parse((const char *)b.data, b.len, e, sizeof e);
	buf_free(&b);
	if (!jv_is_valid(c) || jv_get_kind(c) != JV_KIND_OBJECT) {
		jv_free(c);
		return 0;
	}
	int ok = 1;
	const char *texts[2] = {json_str(c, "tcb_info"), json_str(c, "qe_identity")};
	const char *sigs[2] = {json_str(c, "tcb_info_signature"), json_str(c, "qe_identity_signature")};
	for (int i = 0; i < 2 && ok; i++) {
		long long is, nx;
		if (!texts[i] || text_window(texts[i], &is, &nx) || is > now || nx - now < SIMCA_COLLATERAL_MARGIN) {
			ok = 0;
			break;
		}
		char *want = i == 0 ? simca_tcb_info_text(is, nx) : simca_qe_identity_text(is, nx);
		ok = strcmp(want, texts[i]) == 0 && sig_ok(ca->key[SIMCA_TCB], texts[i], sigs[i]);
		free(want);
	}
	char *tcb_chain = chain_pem(ca, SIMCA_TCB), *pck_chain = chain_pem(ca, SIMCA_PCKCA);
	const char *a = json_str(c, "tcb_info_issuer_chain"), *q = json_str(c, "qe_identity_issuer_chain"),
		   *p = json_str(c, "pck_crl_issuer_chain");
	ok = ok && a && q && p && strcmp(a, tcb_chain) == 0 && strcmp(q, tcb_chain) == 0 &&
	     strcmp(p, pck_chain) == 0 && crl_ok(ca, SIMCA_ROOT, json_str(c, "root_ca_crl"), now) &&
	     crl_ok(ca, SIMCA_PCKCA, json_str(c, "pck_crl"), now);
	free(tcb_chain);
	free(pck_chain);
	jv_free(c);
	return ok;
}

int simca_collateral(const struct simca *ca, const char *dir, long long now, int *written, char *err,
		     size_t errlen)
{
	char *path = path_in(dir, SIMCA_COLLATERAL_FILE);
	*written = 0;
	if (!collateral_fits(ca, path, now)) {
		jv c = build_collateral(ca, now);
		if (!jv_is_valid(c)) {
			char d[256];
			ssl_error_text(d, sizeof d);
			jv_free(c);
			free(path);
			BAD(EXIT_SOFTWARE, "cannot build the simulated collateral: %s", d);
		}
		json_write_file(path, c);
		*written = 1;
	}
	free(path);
	return 0;
}

/* ---- the simulated TD: measurements, event log, quotes ---- */

struct boot_event {
	int imr;
	uint32_t type;
	const char *label; /* a simulated component, or the payload of a fixed event */
	int fixed;         /* digest = SHA384(label) as real firmware logs it */
};

#define EV_SEPARATOR 0x00000004u
static const struct boot_event BOOT[] = {
	{0, 0x8000000bu, "td-hob", 0},          /* EV_EFI_HANDOFF_TABLES2 */
	{0, 0x8000000au, "ovmf-cfv", 0},        /* EV_EFI_PLATFORM_FIRMWARE_BLOB2 */
	{0, 0x80000001u, "SecureBoot", 0},      /* EV_EFI_VARIABLE_DRIVER_CONFIG */
	{0, 0x80000001u, "PK", 0},
	{0, 0x80000001u, "KEK", 0},
	{0, 0x80000001u, "db", 0},
	{0, 0x80000001u, "dbx", 0},
	{0, EV_SEPARATOR, NULL, 1},
	{0, 0x0000000au, "acpi-loader", 0},     /* EV_PLATFORM_CONFIG_FLAGS */
	{0, 0x0000000au, "acpi-rsdp", 0},
	{0, 0x0000000au, "acpi-tables", 0},
	{1, 0x80000003u, "kernel", 0},          /* EV_EFI_BOOT_SERVICES_APPLICATION */
	{0, 0x80000002u, "BootOrder", 0},       /* EV_EFI_VARIABLE_BOOT */
	{0, 0x80000002u, "Boot0000", 0},
	{1, 0x80000007u, "Calling EFI Application from Boot Option", 1}, /* EV_EFI_ACTION */
	{1, EV_SEPARATOR, NULL, 1},
	{2, 0x00000006u, "kernel-cmdline", 0},  /* EV_EVENT_TAG */
	{2, 0x00000006u, "initrd", 0},
	{1, 0x80000007u, "Exit Boot Services Invocation", 1},
	{1, 0x80000007u, "Exit Boot Services Returned with Success", 1},
};

#define RUNTIME_EVENT 0x08000001u

/* sha384(seed || 0 || name): a measurement of the simulated image */
static void component(const struct buf *seed, const char *name, uint8_t out[48])
{
	struct buf b;
	buf_init(&b);
	buf_add(&b, seed->data, seed->len);
	buf_addc(&b, 0);
	buf_add(&b, name, strlen(name));
	sha384(b.data, b.len, out);
	buf_free(&b);
}

static void extend(uint8_t mr[48], const uint8_t d[48])
{
	uint8_t b[96];
	memcpy(b, mr, 48);
	memcpy(b + 48, d, 48);
	sha384(b, 96, mr);
}

static void log_entry(struct buf *log, int imr, uint32_t type, const uint8_t d[48], const char *name,
		      const uint8_t *payload, size_t plen)
{
	char dh[97], *ph = hex_encode(payload, plen);
	hex_encode_to(d, 48, dh);
	buf_printf(log, "%s{\"imr\":%d,\"event_type\":%u,\"digest\":\"%s\",\"event\":\"%s\",\"event_payload\":\"%s\"}",
		   log->len > 1 ? "," : "", imr, type, dh, name, ph);
	free(ph);
}

/* V1 runtime event: digest = sha384(le32(type) || ":" || name || ":" || payload) */
static void runtime_event(struct simtd *td, struct buf *log, const char *name, const uint8_t *p, size_t n)
{
	struct buf pre;
	uint8_t d[48], t[4] = {RUNTIME_EVENT & 0xff, RUNTIME_EVENT >> 8 & 0xff, RUNTIME_EVENT >> 16 & 0xff,
			       RUNTIME_EVENT >> 24};
	buf_init(&pre);
	buf_add(&pre, t, 4);
	buf_addc(&pre, ':');
	buf_add(&pre, name, strlen(name));
	buf_addc(&pre, ':');
	if (n)
		buf_add(&pre, p, n);
	sha384(pre.data, pre.len, d);
	buf_free(&pre);
	extend(td->rtmr[3], d);
	log_entry(log, 3, RUNTIME_EVENT, d, name, p, n);
}

static void measure(struct simtd *td, const struct simtd_config *c)
{
	struct buf seed, log;
	buf_init(&seed);
	buf_printf(&seed, "mero-kms-sim/v1");
	buf_addc(&seed, 0);
	buf_printf(&seed, "profile=%s", c->profile);
	buf_addc(&seed, 0);
	buf_printf(&seed, "version=%s", c->version);

	component(&seed, "mrtd", td->mrtd);
	uint8_t osi[48];
	component(&seed, "os-image", osi);
	memcpy(td->os_image_hash, osi, 32);

	memset(td->rtmr, 0, sizeof td->rtmr);
	buf_init(&log);
	buf_addc(&log, '[');
	for (size_t i = 0; i < sizeof BOOT / sizeof BOOT[0]; i++) {
		const struct boot_event *e = &BOOT[i];
		uint8_t d[48];
		if (e->type == EV_SEPARATOR) {
			static const uint8_t zero[4] = {0};
			sha384(zero, 4, d);
		} else if (e->fixed) {
			sha384(e->label, strlen(e->label), d);
		} else {
			char name[64];
			snprintf(name, sizeof name, "rtmr%d/%s", e->imr, e->label);
			component(&seed, name, d);
		}
		extend(td->rtmr[e->imr], d);
		log_entry(&log, e->imr, e->type, d, "", NULL, 0); /* boot payloads stripped, as dstack */
	}

	/* runtime events, in dstack's order; mero-kms adds its profile after boot */
	uint8_t app_id[20], inst[32];
	struct buf ib;
	sha256(c->compose, c->compose_len, td->compose_hash);
	memcpy(app_id, td->compose_hash, 20); /* dstack: the app id of a first deployment */
	buf_init(&ib);
	buf_add(&ib, seed.data, seed.len);
	buf_addc(&ib, 0);
	buf_printf(&ib, "instance-id");
	buf_addc(&ib, 0);
	buf_add(&ib, app_id, 20);
	sha256(ib.data, ib.len, inst);
	buf_free(&ib);
	char prof[96];
	snprintf(prof, sizeof prof, "calimero.kms.profile=%s", c->profile);
	runtime_event(td, &log, "system-preparing", NULL, 0);
	runtime_event(td, &log, "app-id", app_id, 20);
	runtime_event(td, &log, "compose-hash", td->compose_hash, 32);
	runtime_event(td, &log, "instance-id", inst, 20);
	runtime_event(td, &log, "boot-mr-done", NULL, 0);
	runtime_event(td, &log, "system-ready", NULL, 0);
	runtime_event(td, &log, "calimero.kms.profile", (const uint8_t *)prof, strlen(prof));
	buf_addc(&log, ']');
	td->event_log = (char *)log.data;

	char osh[65];
	struct buf vm;
	hex_encode_to(td->os_image_hash, 32, osh);
	buf_init(&vm);
	buf_printf(&vm,
		   "{\"os_image_hash\":\"%s\",\"cpu_count\":2,\"memory_size\":2147483648,\"pci_hole64_size\":0,"
		   "\"hugepages\":false,\"num_gpus\":0,\"num_nvswitches\":0,\"hotplug_off\":false,"
		   "\"image\":\"mero-kms-sim-%s\",\"host_share_mode\":\"\"}",
		   osh, c->version);
	td->vm_config = (char *)vm.data;
	buf_free(&seed);
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* The TD report 1.0 of the simulated TD at b. */
static void put_td_report(uint8_t *b, const struct simtd *td, const struct simtd_config *c)
{
	memcpy(b + TD_TEE_TCB_SVN, c->outofdate ? TEE_TCB_SVN_OUTOFDATE : TEE_TCB_SVN_UPTODATE, 16);
	static const char seam[] = "mero-policy SIMULATED TDX module 1.5";
	sha384(seam, sizeof seam - 1, b + TD_MR_SEAM);
	/* MRSIGNERSEAM and SEAMATTRIBUTES zero: an Intel-signed module, as tcbInfo.tdxModule says */
	uint64_t attr = 1ull << 28 | (c->debug ? 1ull : 0); /* SEPT_VE_DISABLE [| DEBUG] */
	for (int i = 0; i < 8; i++)
		b[TD_TD_ATTRIBUTES + i] = (uint8_t)(attr >> (8 * i));
	memcpy(b + TD_XFAM, XFAM, 8);
	memcpy(b + TD_MR_TD, td->mrtd, 48);
	for (int i = 0; i < 4; i++)
		memcpy(b + TD_RT_MR0 + 48 * i, td->rtmr[i], 48);
}

/* The QE report at qe, bound to the attestation key ak and auth data. */
static void put_qe_report(uint8_t *qe, const uint8_t ak[64], const uint8_t auth[32])
{
	memcpy(qe + ER_CPU_SVN, SIMCA_CPUSVN, 16);
	memcpy(qe + ER_ATTRIBUTES, QE_ATTRIBUTES, 16);
	static const char qem[] = "mero-policy SIMULATED TD QE enclave";
	uint8_t md[32];
	sha256(qem, sizeof qem - 1, md);
	memcpy(qe + ER_MR_ENCLAVE, md, 32);
	qe_mrsigner(qe + ER_MR_SIGNER);
	put16(qe + ER_ISV_PROD_ID, SIMCA_QE_ISVPRODID);
	put16(qe + ER_ISV_SVN, SIMCA_QE_ISVSVN);
	uint8_t bind[96];
	memcpy(bind, ak, 64);
	memcpy(bind + 64, auth, 32);
	sha256(bind, sizeof bind, qe + ER_REPORT_DATA); /* SHA256(att_key || qe_auth_data) */
}

/* The PCK chain as type-5 certification data: PEM, leaf first, NUL-terminated
 * as real quotes have it. */
static void pck_chain_pem(const struct simca *ca, struct buf *chain)
{
	static const int order[3] = {SIMCA_PCK, SIMCA_PCKCA, SIMCA_ROOT};
	buf_init(chain);
	for (int i = 0; i < 3; i++) {
		char *pem = cert_to_pem(ca->cert[order[i]]);
		buf_add(chain, pem, strlen(pem));
		free(pem);
	}
	buf_addc(chain, 0);
}

int simtd_init(struct simtd *td, const struct simca *ca, const struct simtd_config *c, char *err, size_t errlen)
{
	memset(td, 0, sizeof *td);
	td->bad_signature = c->bad_signature;
	measure(td, c);
	if (!(td->ak = ec_generate_p256()))
		BAD(EXIT_SOFTWARE, "cannot generate the attestation key");
	uint8_t ak[64];
	if (ec_pub_to_xy(td->ak, ak))
		BAD(EXIT_SOFTWARE, "cannot encode the attestation key");
	struct buf chain;
	pck_chain_pem(ca, &chain);
	uint8_t auth[32];
	for (int i = 0; i < 32; i++)
		auth[i] = (uint8_t)i;
	size_t cert6 = SGX_REPORT_LEN + 64 + 2 + sizeof auth + 2 + 4 + chain.len;
	size_t sigdata = 64 + 64 + 2 + 4 + cert6;
	size_t signed_len = TDX_HEADER_LEN + TD10_REPORT_LEN;
	td->len = signed_len + 4 + sigdata;
	uint8_t *q = td->tmpl = xcalloc(1, td->len);

	/* header, TD report */
	put16(q, 4);
	put16(q + 2, AK_TYPE_ECDSA_P256);
	put32(q + 4, TEE_TYPE_TDX);
	memcpy(q + 12, INTEL_QE_VENDOR_ID, 16);
	memcpy(q + 28, ca->qeid, 16);
	put_td_report(q + TDX_HEADER_LEN, td, c);

	/* signature data: (quote signature), attestation key, type 6 holding the
	 * QE report, its signature by the PCK key, the auth data and type 5 */
	uint8_t *s = q + signed_len;
	put32(s, (uint32_t)sigdata);
	memcpy(s + 4 + 64, ak, 64);
	uint8_t *o = s + 4 + 128;
	put16(o, 6);
	put32(o + 2, (uint32_t)cert6);
	uint8_t *qe = o + 6;
	put_qe_report(qe, ak, auth);
	uint8_t *p = qe + SGX_REPORT_LEN;
	if (ecdsa_sign_raw(ca->key[SIMCA_PCK], qe, SGX_REPORT_LEN, p)) {
		buf_free(&chain);
		BAD(EXIT_SOFTWARE, "cannot sign the QE report with the simulated PCK key");
	}
	p += 64;
	put16(p, sizeof auth);
	memcpy(p + 2, auth, sizeof auth);
	p += 2 + sizeof auth;
	put16(p, 5);
	put32(p + 2, (uint32_t)chain.len);
	memcpy(p + 6, chain.data, chain.len);
	buf_free(&chain);
	return 0;
}

int simtd_quote(const struct simtd *td, const uint8_t report_data[64], uint8_t **quote, size_t *len)
{
	const size_t signed_len = TDX_HEADER_LEN + TD10_REPORT_LEN;
	uint8_t *q = xmalloc(td->len);
	memcpy(q, td->tmpl, td->len);
	memcpy(q + TDX_HEADER_LEN + TD_REPORT_DATA, report_data, 64);
	int r;
	if (td->bad_signature) {
		/* a well-formed signature over other bytes: it cannot verify */
		uint8_t other[TDX_HEADER_LEN + TD10_REPORT_LEN];
		memcpy(other, q, signed_len);
		other[TDX_HEADER_LEN + TD_MR_TD] ^= 0x01;
		r = ecdsa_sign_raw(td->ak, other, signed_len, q + signed_len + 4);
	} else {
		r = ecdsa_sign_raw(td->ak, q, signed_len, q + signed_len + 4);
	}
	if (r) {
		free(q);
		return -1;
	}
	*quote = q;
	*len = td->len;
	return 0;
}

void simtd_free(struct simtd *td)
{
	free(td->tmpl);
	EVP_PKEY_free(td->ak);
	free(td->event_log);
	free(td->vm_config);
	memset(td, 0, sizeof *td);
}
