#include "tdx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "common.h"
#include "ecdsa.h"
#include "der.h"

const uint8_t INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
					0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

const char *body_kind_name(enum body_kind k)
{
	switch (k) {
	case BODY_SGX: return "SgxEnclave";
	case BODY_TD10: return "TD10";
	case BODY_TD15: return "TD15";
	}
	return "unknown";
}

int tdx_is_td(const struct tdx_quote *q) { return q->kind == BODY_TD10 || q->kind == BODY_TD15; }

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Require n bytes of field `what` at offset off, within limit. */
#define NEED(off, n, limit, what)                                                            \
	do {                                                                                 \
		if ((size_t)(off) > (size_t)(limit) || (size_t)(n) > (size_t)(limit) - (size_t)(off)) \
			BAD("%s truncated at byte %zu of %zu (needs %zu bytes)", what, (size_t)(off), \
			    (size_t)(limit), (size_t)(n));                                       \
	} while (0)

static size_t kind_len(enum body_kind k)
{
	return k == BODY_SGX ? SGX_REPORT_LEN : k == BODY_TD10 ? TD10_REPORT_LEN : TD15_REPORT_LEN;
}

/* The header (and v5 body descriptor) and the body: the signed region. */
static int parse_head(const uint8_t *buf, size_t len, struct tdx_quote *q, char *err, size_t errlen)
{
	if (len < TDX_HEADER_LEN)
		BAD("header truncated at byte 0 of %zu (needs %d bytes)", len, TDX_HEADER_LEN);
	q->version = le16(buf);
	q->ak_type = le16(buf + 2);
	q->tee_type = le32(buf + 4);
	if (q->version < 3 || q->version > 5)
		BAD("unknown quote version %u at byte 0", q->version);
	if (q->ak_type != AK_TYPE_ECDSA_P256)
		BAD("unsupported attestation key type %u at byte 2 (only 2, ECDSA P-256, is supported)", q->ak_type);
	if (q->tee_type != TEE_TYPE_SGX && q->tee_type != TEE_TYPE_TDX)
		BAD("unknown TEE type 0x%08x at byte 4", q->tee_type);
	size_t off = TDX_HEADER_LEN;
	if (q->version == 3) {
		if (q->tee_type != TEE_TYPE_SGX)
			BAD("quote version 3 with TEE type 0x%08x at byte 4 (version 3 is SGX only)", q->tee_type);
		q->kind = BODY_SGX;
		q->body_type = BODY_SGX;
	} else if (q->version == 4) {
		q->kind = q->tee_type == TEE_TYPE_TDX ? BODY_TD10 : BODY_SGX;
		q->body_type = (uint16_t)q->kind;
	} else {
		NEED(off, 6, len, "body descriptor");
		q->has_descriptor = 1;
		q->body_type = le16(buf + off);
		q->body_size = le32(buf + off + 2);
		if (q->body_type < 1 || q->body_type > 3)
			BAD("unknown body type %u at byte %zu", q->body_type, off);
		q->kind = (enum body_kind)q->body_type;
		if ((q->kind == BODY_SGX) != (q->tee_type == TEE_TYPE_SGX))
			BAD("body type %u at byte %zu does not fit TEE type 0x%08x", q->body_type, off, q->tee_type);
		if (q->body_size != kind_len(q->kind))
			BAD("body size %u at byte %zu does not match body type %u (%zu bytes)", q->body_size, off + 2,
			    q->body_type, kind_len(q->kind));
		off += 6;
	}
	q->body_len = kind_len(q->kind);
	if (!q->has_descriptor)
		q->body_size = (uint32_t)q->body_len;
	NEED(off, q->body_len, len, "body");
	q->body = buf + off;
	q->body_off = off;
	q->signed_len = off + q->body_len;
	return 0;
}

/* The type-6 wrapper of v4/v5: its size must be what the signature data holds. */
static int parse_outer(const uint8_t *buf, struct tdx_quote *q, size_t *off, size_t *lim, char *err, size_t errlen)
{
	NEED(*off, 6, *lim, "certification data header");
	q->has_outer = 1;
	q->outer_type = le16(buf + *off);
	q->outer_size = le32(buf + *off + 2);
	if (q->outer_type != 6)
		BAD("unknown certification data type %u at byte %zu (expected 6, QE report)", q->outer_type, *off);
	if (q->outer_size > *lim - (*off + 6))
		BAD("certification data size %u at byte %zu points past the signature data (%zu bytes left)",
		    q->outer_size, *off + 2, *lim - (*off + 6));
	*off += 6;
	if (*off + q->outer_size != *lim)
		BAD("signature data length %u at byte %zu does not match its contents (%zu bytes)", q->sig_data_len,
		    q->signed_len, *off + q->outer_size - (q->signed_len + 4));
	*lim = *off + q->outer_size;
	return 0;
}

/* The QE report, its signature, the QE authentication data and the PCK
 * certification data, within [off, lim): the sizes must add up exactly. */
static int parse_qe(const uint8_t *buf, struct tdx_quote *q, size_t off, size_t lim, char *err, size_t errlen)
{
	NEED(off, SGX_REPORT_LEN, lim, "QE report");
	q->qe_report = buf + off;
	off += SGX_REPORT_LEN;
	NEED(off, 64, lim, "QE report signature");
	q->qe_report_sig = buf + off;
	off += 64;
	NEED(off, 2, lim, "QE authentication data length");
	q->qe_auth_len = le16(buf + off);
	off += 2;
	if (q->qe_auth_len > lim - off)
		BAD("QE authentication data length %u at byte %zu points past the end (%zu bytes left)", q->qe_auth_len,
		    off - 2, lim - off);
	q->qe_auth = buf + off;
	off += q->qe_auth_len;
	NEED(off, 6, lim, "PCK certification data header");
	q->cert_type = le16(buf + off);
	q->cert_size = le32(buf + off + 2);
	if (q->cert_type < 1 || q->cert_type > 7 || q->cert_type == 6)
		BAD("unknown certification data type %u at byte %zu", q->cert_type, off);
	if (q->cert_size > lim - (off + 6))
		BAD("PCK certification data size %u at byte %zu points past the end (%zu bytes left)", q->cert_size,
		    off + 2, lim - (off + 6));
	off += 6;
	q->cert_data = buf + off;
	q->cert_off = off;
	if (off + q->cert_size != lim)
		BAD("certification data size %u at byte %zu does not match its contents (%zu bytes)",
		    q->has_outer ? q->outer_size : q->sig_data_len,
		    q->has_outer ? q->signed_len + 4 + 128 + 2 : q->signed_len,
		    (q->has_outer ? off + q->cert_size - (q->signed_len + 4 + 134) : off + q->cert_size - (q->signed_len + 4)));
	return 0;
}

int tdx_parse(const uint8_t *buf, size_t len, struct tdx_quote *q, char *err, size_t errlen)
{
	memset(q, 0, sizeof *q);
	q->raw = buf;
	q->len = len;
	if (len == 0)
		BAD("empty input");
	if (len > QUOTE_MAX_LEN)
		BAD("input of %zu bytes exceeds the 1 MiB quote cap", len);
	if (parse_head(buf, len, q, err, errlen))
		return -1;
	size_t off = q->signed_len;
	NEED(off, 4, len, "signature data length");
	q->sig_data_len = le32(buf + off);
	off += 4;
	if (q->sig_data_len > len - off)
		BAD("signature data length %u at byte %zu points past the end (%zu bytes left)", q->sig_data_len, off - 4,
		    len - off);
	size_t lim = off + q->sig_data_len; /* everything below lies within the signature data */
	NEED(off, 64, lim, "quote signature");
	q->sig = buf + off;
	off += 64;
	NEED(off, 64, lim, "attestation key");
	q->att_key = buf + off;
	off += 64;
	if (q->version >= 4 && parse_outer(buf, q, &off, &lim, err, errlen))
		return -1;
	if (parse_qe(buf, q, off, lim, err, errlen))
		return -1;
	q->end = q->signed_len + 4 + q->sig_data_len;
	q->trailing = len - q->end;
	return 0;
}

/* ---- certificates ---- */

void cert_chain_free(struct cert_chain *c)
{
	for (int i = 0; i < c->n; i++)
		X509_free(c->certs[i]);
	free(c->certs);
	c->certs = NULL;
	c->n = 0;
}

static void chain_push(struct cert_chain *c, X509 *x)
{
	c->certs = xrealloc(c->certs, sizeof(X509 *) * (size_t)(c->n + 1));
	c->certs[c->n++] = x;
}

int cert_chain_parse_pem(const char *p, size_t n, struct cert_chain *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	const char *marker = "-----BEGIN CERTIFICATE-----";
	size_t pos = 0;
	while (pos < n) {
		const char *s = memmem(p + pos, n - pos, marker, strlen(marker));
		if (!s)
			break;
		const char *e = memmem(s, n - (size_t)(s - p), "-----END CERTIFICATE-----", 25);
		if (!e) {
			cert_chain_free(c);
			BAD("certificate %d: PEM block has no END line", c->n + 1);
		}
		e += 25;
		BIO *bio = BIO_new_mem_buf(s, (int)(e - s));
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (!x) {
			char r[256];
			ssl_error_text(r, sizeof r);
			cert_chain_free(c);
			BAD("certificate %d of the chain does not parse: %s", c->n + 1, r);
		}
		chain_push(c, x);
		pos = (size_t)(e - p);
	}
	if (c->n == 0)
		BAD("no PEM certificate found");
	return 0;
}

char *cert_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = xmalloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = 0;
	BIO_free(b);
	return s;
}

long long asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	return (long long)timegm(&tm);
}

/* The PCK CRL a PCK certificate needs: its issuer CA names the kind */
static const char *ca_kind(const char *issuer_cn)
{
	if (strstr(issuer_cn, "Platform"))
		return "platform";
	if (strstr(issuer_cn, "Processor"))
		return "processor";
	return NULL;
}

const char *sgx_type_name(int t)
{
	switch (t) {
	case 0: return "Standard";
	case 1: return "Scalable";
	case 2: return "ScalableWithIntegrity";
	}
	return "unknown";
}

const uint8_t SGX_EXT_OID[9] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* Compare an OID value with the SGX extension arc 1.2.840.113741.1.13.1 plus suffix. */

static int oid_suffix(struct der oid, int *a, int *b)
{
	if (oid.n < sizeof SGX_EXT_OID + 1 || memcmp(oid.p, SGX_EXT_OID, sizeof SGX_EXT_OID) != 0)
		return -1;
	size_t rest = oid.n - sizeof SGX_EXT_OID;
	const uint8_t *s = oid.p + sizeof SGX_EXT_OID;
	*a = s[0];
	*b = rest >= 2 ? s[1] : -1;
	if (rest > 2 || (*a & 0x80))
		return -1;
	return 0;
}

static int der_int(struct der v, int *out)
{
	if (v.n == 0 || v.n > 3 || (v.p[0] & 0x80))
		return -1; /* empty, too long or negative */
	long x = 0;
	for (size_t i = 0; i < v.n; i++)
		x = x << 8 | v.p[i];
	if (x > 65535)
		return -1;
	*out = (int)x;
	return 0;
}

#define EXTBAD(...) do { snprintf(err, errlen, "PCK certificate SGX extension: " __VA_ARGS__); return -1; } while (0)

/* What the extension must hold, seen so far. */
struct ext_seen {
	int tcb, fmspc, pceid, ncomp, pcesvn, cpusvn;
};

/* The TCB entry (.2): 16 component SVNs, PCESVN, CPUSVN. */
static int ext_tcb(struct der val, struct pck_ext *e, struct ext_seen *seen, char *err, size_t errlen)
{
	seen->tcb = 1;
	while (val.n) {
		struct der t, toid, tval;
		int x, y, tt;
		if (der_next(&val, &tt, &t) || tt != 0x30 || der_next(&t, &tt, &toid) || tt != 0x06 ||
		    oid_suffix(toid, &x, &y) || x != 2 || y < 1 || der_next(&t, &tt, &tval))
			EXTBAD("malformed TCB entry");
		if (y >= 1 && y <= 16) {
			if (tt != 0x02 || der_int(tval, &e->comp[y - 1]) || e->comp[y - 1] > 255)
				EXTBAD("TCB component %d is not a small INTEGER", y);
			seen->ncomp++;
		} else if (y == 17) {
			if (tt != 0x02 || der_int(tval, &e->pcesvn))
				EXTBAD("PCESVN is not an INTEGER");
			seen->pcesvn = 1;
		} else if (y == 18) {
			if (tt != 0x04 || tval.n != 16)
				EXTBAD("CPUSVN is not 16 bytes");
			memcpy(e->cpusvn, tval.p, 16);
			seen->cpusvn = 1;
		}
	}
	return 0;
}

/* The configuration entry (.7): dynamic platform, cached keys, SMT. */
static int ext_configuration(struct der val, struct pck_ext *e, char *err, size_t errlen)
{
	while (val.n) {
		struct der t, toid, tval;
		int x, y, tt;
		if (der_next(&val, &tt, &t) || tt != 0x30 || der_next(&t, &tt, &toid) || tt != 0x06 ||
		    oid_suffix(toid, &x, &y) || x != 7 || der_next(&t, &tt, &tval))
			EXTBAD("malformed configuration entry");
		int bv = (tt == 0x01 && tval.n == 1) ? (tval.p[0] != 0) : -1;
		if (y == 1)
			e->dynamic_platform = bv;
		else if (y == 2)
			e->cached_keys = bv;
		else if (y == 3)
			e->smt_enabled = bv;
	}
	return 0;
}

/* One entry of the extension: .1 PPID, .2 TCB, .3 PCE-ID, .4 FMSPC, .5 SGX
 * type, .6 platform instance ID, .7 configuration; others are ignored. */
static int ext_entry(int a, int tag, struct der val, struct pck_ext *e, struct ext_seen *seen, char *err, size_t errlen)
{
	switch (a) {
	case 1:
		if (tag != 0x04 || val.n != 16)
			EXTBAD("PPID is not 16 bytes");
		memcpy(e->ppid, val.p, 16);
		e->has_ppid = 1;
		return 0;
	case 2:
		if (tag != 0x30)
			EXTBAD("TCB is not a SEQUENCE");
		return ext_tcb(val, e, seen, err, errlen);
	case 3:
		if (tag != 0x04 || val.n != 2)
			EXTBAD("PCE-ID is not 2 bytes");
		memcpy(e->pceid, val.p, 2);
		seen->pceid = 1;
		return 0;
	case 4:
		if (tag != 0x04 || val.n != 6)
			EXTBAD("FMSPC is not 6 bytes");
		memcpy(e->fmspc, val.p, 6);
		seen->fmspc = 1;
		return 0;
	case 5:
		if (tag != 0x0a || der_int(val, &e->sgx_type))
			EXTBAD("SGX type is not an ENUMERATED");
		return 0;
	case 6:
		if (tag == 0x04 && val.n == 16) {
			memcpy(e->platform_instance_id, val.p, 16);
			e->has_platform_instance_id = 1;
		}
		return 0;
	case 7:
		return tag == 0x30 ? ext_configuration(val, e, err, errlen) : 0;
	}
	return 0;
}

int pck_ext_parse_der(const uint8_t *p, size_t n, struct pck_ext *e, char *err, size_t errlen)
{
	struct der top = {p, n}, seq, item;
	struct ext_seen seen = {0};
	int tag;
	memset(e, 0, sizeof *e);
	e->sgx_type = -1;
	e->dynamic_platform = e->cached_keys = e->smt_enabled = -1;
	if (der_next(&top, &tag, &seq) || tag != 0x30)
		EXTBAD("not a SEQUENCE");
	while (seq.n) {
		struct der oid, val;
		int a, b;
		if (der_next(&seq, &tag, &item) || tag != 0x30)
			EXTBAD("entry is not a SEQUENCE");
		if (der_next(&item, &tag, &oid) || tag != 0x06 || oid_suffix(oid, &a, &b) || b != -1)
			EXTBAD("entry has an unexpected OID");
		if (der_next(&item, &tag, &val))
			EXTBAD("entry %d has no value", a);
		if (ext_entry(a, tag, val, e, &seen, err, errlen))
			return -1;
	}
	if (!seen.tcb || seen.ncomp != 16 || !seen.pcesvn || !seen.cpusvn)
		EXTBAD("TCB is incomplete (%d of 16 components%s%s)", seen.ncomp, seen.pcesvn ? "" : ", no PCESVN",
		       seen.cpusvn ? "" : ", no CPUSVN");
	if (!seen.fmspc)
		EXTBAD("no FMSPC");
	if (!seen.pceid)
		EXTBAD("no PCE-ID");
	return 0;
}

/* ---- the type-5 chain read structurally, for reporting ---- */

void pck_chain_free(struct pck_chain *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->der[i]);
	free(c->der);
	free(c->len);
	memset(c, 0, sizeof *c);
}

static int same_name(struct der a, struct der b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

int pck_chain_scan(const uint8_t *p, size_t n, struct pck_chain *c, char *err, size_t errlen)
{
	char e2[256];
	memset(c, 0, sizeof *c);
	if (n >= 11 && memmem(p, n, "-----BEGIN", 10)) {
		int k = pem_cert_blocks((const char *)p, n, &c->der, &c->len, e2, sizeof e2);
		if (k < 0)
			BAD("%s", e2);
		c->n = k;
	} else {
		struct der all = {p, n}, cert;
		int r;
		c->is_der = 1;
		while ((r = der_next_cert(&all, &cert)) > 0) {
			c->der = xrealloc(c->der, sizeof(uint8_t *) * (size_t)(c->n + 1));
			c->len = xrealloc(c->len, sizeof(size_t) * (size_t)(c->n + 1));
			c->der[c->n] = memcpy(xmalloc(cert.n), cert.p, cert.n);
			c->len[c->n] = cert.n;
			c->n++;
		}
		if (r < 0) {
			int k = c->n + 1;
			pck_chain_free(c);
			BAD("certificate %d of the chain (DER at offset %zu) does not parse", k, (size_t)(all.p - p));
		}
	}
	if (c->n == 0)
		BAD("no certificate found");
	struct cert_scan scans[8];
	for (int i = 0; i < c->n; i++) {
		struct cert_scan tmp, *sc = i < 8 ? &scans[i] : &tmp;
		if (cert_scan(c->der[i], c->len[i], SGX_EXT_OID, sizeof SGX_EXT_OID, sc, e2, sizeof e2)) {
			pck_chain_free(c);
			BAD("certificate %d of the chain does not parse: %s", i + 1, e2);
		}
	}
	/* root first (Intel's DER sample)? turn the chain around */
	int last = c->n < 8 ? c->n - 1 : 7;
	if (c->n > 1 && same_name(scans[0].subject, scans[0].issuer) &&
	    !same_name(scans[last].subject, scans[last].issuer)) {
		for (int i = 0, j = c->n - 1; i < j; i++, j--) {
			uint8_t *t = c->der[i];
			size_t tl = c->len[i];
			c->der[i] = c->der[j];
			c->len[i] = c->len[j];
			c->der[j] = t;
			c->len[j] = tl;
		}
		c->reversed = 1;
		c->leaf = scans[last];
	} else {
		c->leaf = scans[0];
	}
	if (!c->leaf.ext.p) {
		pck_chain_free(c);
		BAD("PCK certificate has no Intel SGX extension (OID 1.2.840.113741.1.13.1)");
	}
	if (pck_ext_parse_der(c->leaf.ext.p, c->leaf.ext.n, &c->ext, e2, sizeof e2)) {
		pck_chain_free(c);
		BAD("%s", e2);
	}
	return 0;
}

const char *pck_ca_type_name(const char *issuer_text)
{
	const char *cn = strstr(issuer_text, "CN=");
	return cn ? ca_kind(cn) : NULL;
}
