#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/common.h"
#include "lib/ecdsa.h"
#include "lib/tdx.h"

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* DER contents of the OIDs and algorithm identifiers that matter here */
static const uint8_t ECDSA_SHA256_ALG[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t EC_P256_ALG[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
				      0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
enum { X_BC, X_KU, X_SKID, X_AKID, X_IDP, X_DELTA, X_FRESHEST, X_CERT_ISSUER, X_REASON, X_OTHER };
static const uint8_t EXT_ARC[] = {0x55, 0x1d}; /* 2.5.29 */

static int ext_id(struct der oid)
{
	static const struct { uint8_t last; int id; } ids[] = {
		{0x13, X_BC}, {0x0f, X_KU}, {0x0e, X_SKID}, {0x23, X_AKID}, {0x1c, X_IDP},
		{0x1b, X_DELTA}, {0x2e, X_FRESHEST}, {0x1d, X_CERT_ISSUER}, {0x15, X_REASON}};
	if (oid.n != 3 || memcmp(oid.p, EXT_ARC, 2) != 0)
		return X_OTHER;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (oid.p[2] == ids[i].last)
			return ids[i].id;
	return X_OTHER;
}

static int alg_is(struct der alg, const uint8_t *want, size_t n) { return alg.n == n && memcmp(alg.p, want, n) == 0; }

/* The next extension of a list, SEQUENCE {OID, critical BOOLEAN?, OCTET
 * STRING}: its OID, criticality and value; -1 when it is malformed. */
static int ext_next(struct der *exts, struct der *oid, int *critical, struct der *val)
{
	struct der ext;
	int tag;
	*critical = 0;
	if (der_next(exts, &tag, &ext) || tag != 0x30 || der_next(&ext, &tag, oid) || tag != 0x06 ||
	    der_next(&ext, &tag, val))
		return -1;
	if (tag == 0x01) {
		if (val->n != 1)
			return -1;
		*critical = val->p[0] != 0;
		if (der_next(&ext, &tag, val))
			return -1;
	}
	return tag == 0x04 && ext.n == 0 ? 0 : -1;
}

/* ---- certificate extensions ---- */

static int parse_bc(struct dcert *c, struct der v)
{
	struct der seq, f;
	int tag;
	if (der_next(&v, &tag, &seq) || tag != 0x30 || v.n)
		return -1;
	c->bc = 1;
	if (seq.n && seq.p[0] == 0x01) {
		if (der_next(&seq, &tag, &f) || f.n != 1)
			return -1;
		c->ca = f.p[0] != 0;
	}
	if (seq.n) {
		if (der_next(&seq, &tag, &f) || tag != 0x02 || f.n == 0 || f.n > 4 || (f.p[0] & 0x80) || seq.n || !c->ca)
			return -1; /* a negative pathLenConstraint, or one on a non-CA: invalid, as in OpenSSL */
		long pl = 0;
		for (size_t i = 0; i < f.n; i++)
			pl = pl << 8 | f.p[i];
		c->pathlen = (int)(pl > 1000000 ? 1000000 : pl);
	}
	return 0;
}

static int parse_ku(struct dcert *c, struct der v)
{
	struct der bits;
	int tag;
	if (der_next(&v, &tag, &bits) || tag != 0x03 || v.n || bits.n < 1 || bits.p[0] > 7)
		return -1;
	c->ku_set = 1;
	c->ku = (bits.n > 1 ? bits.p[1] : 0) | (bits.n > 2 ? (unsigned)bits.p[2] << 8 : 0);
	return 0;
}

/* AuthorityKeyIdentifier: keyIdentifier [0], authorityCertIssuer [1] (the
 * first directoryName), authorityCertSerialNumber [2]. */
static int parse_akid(struct der v, struct der *keyid, struct der *serial, struct der *name)
{
	struct der seq, f;
	int tag;
	if (der_next(&v, &tag, &seq) || tag != 0x30 || v.n)
		return -1;
	while (seq.n) {
		if (der_next(&seq, &tag, &f))
			return -1;
		if (tag == 0x80) {
			*keyid = f;
		} else if (tag == 0x82) {
			*serial = f;
		} else if (tag == 0xa1) {
			while (f.n && !name->p) {
				struct der gn, nm;
				if (der_next(&f, &tag, &gn))
					return -1;
				if (tag == 0xa4 && (der_next(&gn, &tag, &nm) || tag != 0x30))
					return -1;
				if (tag == 0x30)
					*name = nm;
			}
		} else {
			return -1;
		}
	}
	return 0;
}

static void cert_extensions(struct dcert *c)
{
	struct der exts = c->s.exts;
	unsigned seen = 0;
	while (exts.n) {
		struct der oid, v;
		int critical, id, bad = 0;
		if (ext_next(&exts, &oid, &critical, &v)) {
			c->ext_invalid = 1; /* cert_scan let none through; be safe all the same */
			return;
		}
		id = ext_id(oid);
		if (id != X_OTHER && (seen & 1u << id))
			c->ext_invalid = 1; /* a repeated extension */
		seen |= 1u << id;
		switch (id) {
		case X_BC: bad = parse_bc(c, v); break;
		case X_KU: bad = parse_ku(c, v); break;
		case X_SKID: {
			int tag;
			bad = der_next(&v, &tag, &c->skid) || tag != 0x04 || v.n;
			break;
		}
		case X_AKID: bad = parse_akid(v, &c->akid_keyid, &c->akid_serial, &c->akid_name); break;
		default:
			if (critical)
				c->ext_critical = 1;
		}
		if (bad)
			c->ext_invalid = 1;
	}
}

/* The subject key when it is an uncompressed point on the named P-256 curve. */
static void spki_point(struct dcert *c)
{
	struct der spki = c->s.spki, alg, key;
	int tag;
	if (der_next(&spki, &tag, &alg) || tag != 0x30 || !alg_is(alg, EC_P256_ALG, sizeof EC_P256_ALG) ||
	    der_next(&spki, &tag, &key) || tag != 0x03 || spki.n || key.n != 66 || key.p[0] != 0 || key.p[1] != 0x04)
		return;
	memcpy(c->xy, key.p + 2, 64);
	c->p256 = 1;
}

/* "CN=..." of a name (its first CN), or the whole name when it has none. */
static void name_cn(struct der name, char *out, size_t n)
{
	static const uint8_t cn_oid[] = {0x55, 0x04, 0x03};
	struct der set, atv, oid, val;
	int tag;
	while (name.n && der_next(&name, &tag, &set) == 0)
		while (set.n && der_next(&set, &tag, &atv) == 0) {
			if (der_next(&atv, &tag, &oid) || der_next(&atv, &tag, &val))
				break;
			if (oid.n == 3 && memcmp(oid.p, cn_oid, 3) == 0) {
				size_t len = strnlen((const char *)val.p, val.n);
				snprintf(out, n, "CN=%.*s", (int)len, (const char *)val.p);
				return;
			}
		}
	out[0] = 0;
}

/* X509_check_akid: the key identifier, serial and issuer name an AKID names
 * must be those of the issuer, where both sides have them. */
int dcert_akid_ok(const struct dcert *issuer, struct der keyid, struct der serial, struct der name)
{
	if (keyid.p && issuer->skid.p && !der_eq(keyid, issuer->skid))
		return 0;
	if (serial.p && !der_eq(serial, issuer->s.serial))
		return 0;
	if (name.p && !der_eq(name, issuer->s.issuer))
		return 0;
	return 1;
}

static int cert_adopt(struct dcert *c, uint8_t *der, size_t len, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->der = der;
	c->len = len;
	c->pathlen = -1;
	if (cert_scan(der, len, SGX_EXT_OID, sizeof SGX_EXT_OID, &c->s, err, errlen)) {
		free(der);
		memset(c, 0, sizeof *c);
		return -1;
	}
	spki_point(c);
	cert_extensions(c);
	c->self_issued = der_eq(c->s.issuer, c->s.subject);
	c->self_signed = c->self_issued && !c->ext_invalid && c->p256 &&
			 dcert_akid_ok(c, c->akid_keyid, c->akid_serial, c->akid_name);
	name_cn(c->s.subject, c->cn, sizeof c->cn);
	if (!c->cn[0]) {
		char *t = der_name_text(c->s.subject);
		snprintf(c->cn, sizeof c->cn, "%s", t);
		free(t);
	}
	return 0;
}

static int dcert_parse(struct dcert *c, const uint8_t *der, size_t len, char *err, size_t errlen)
{
	uint8_t *copy = xmalloc(len);
	memcpy(copy, der, len);
	return cert_adopt(c, copy, len, err, errlen);
}

static int looks_pem(const uint8_t *p, size_t n) { return n >= 10 && memmem(p, n, "-----BEGIN", 10) != NULL; }

static void free_blocks(uint8_t **d, size_t *l, int k, int from)
{
	for (int i = from; i < k; i++)
		free(d[i]);
	free(d);
	free(l);
}

int dcert_load(struct dcert *c, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	char e2[300];
	if (!looks_pem(p, n)) {
		if (dcert_parse(c, p, n, e2, sizeof e2) == 0)
			return 0;
		BAD("not a PEM or DER certificate: %s", e2);
	}
	uint8_t **d;
	size_t *l;
	int k = pem_cert_blocks((const char *)p, n, &d, &l, e2, sizeof e2);
	if (k <= 0)
		BAD("not a PEM or DER certificate: %s", k == 0 ? "no PEM certificate found" : e2);
	int rc = cert_adopt(c, d[0], l[0], e2, sizeof e2);
	free_blocks(d, l, k, 1);
	if (rc)
		BAD("not a PEM or DER certificate: %s", e2);
	return 0;
}

void dcert_free(struct dcert *c)
{
	EVP_PKEY_free(c->key);
	free(c->der);
	memset(c, 0, sizeof *c);
}

EVP_PKEY *dcert_key(struct dcert *c)
{
	if (!c->key && c->p256)
		c->key = ec_pub_from_xy(c->xy);
	return c->key;
}

static int dcert_verify(struct dcert *c, const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *k = dcert_key(c);
	return k && ecdsa_verify_der(k, msg, n, sig, siglen) == 1;
}

/* ---- lists of certificates ---- */

static void list_add(struct dcert_list *l, struct dcert *c)
{
	l->c = xrealloc(l->c, sizeof *l->c * (size_t)(l->n + 1));
	l->c[l->n++] = *c;
}

static int list_pem(struct dcert_list *l, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	uint8_t **d;
	size_t *len;
	char e2[300];
	int k = pem_cert_blocks((const char *)p, n, &d, &len, err, errlen);
	if (k < 0)
		return -1;
	if (k == 0)
		BAD("no PEM certificate found");
	for (int i = 0; i < k; i++) {
		struct dcert c;
		if (cert_adopt(&c, d[i], len[i], e2, sizeof e2)) {
			free_blocks(d, len, k, i + 1);
			BAD("certificate %d of the chain does not parse: %s", i + 1, e2);
		}
		list_add(l, &c);
	}
	free(d);
	free(len);
	return 0;
}

/* DER certificates back to back, possibly followed by zero padding */
static int list_der(struct dcert_list *l, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	struct der all = {p, n}, cert;
	char e2[300];
	int r;
	l->der = 1;
	while ((r = der_next_cert(&all, &cert)) != 0) {
		struct dcert c;
		if (r < 0 || dcert_parse(&c, cert.p, cert.n, e2, sizeof e2))
			BAD("certificate %d of the chain (DER at offset %zu) does not parse", l->n + 1,
			    (size_t)((r < 0 ? all.p : cert.p) - p));
		list_add(l, &c);
	}
	if (l->n == 0)
		BAD("certificate chain is empty");
	return 0;
}

int dcert_list_parse(struct dcert_list *l, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	memset(l, 0, sizeof *l);
	if (looks_pem(p, n) ? list_pem(l, p, n, err, errlen) : list_der(l, p, n, err, errlen)) {
		dcert_list_free(l);
		return -1;
	}
	if (l->n >= 2 && l->c[0].self_issued && !l->c[l->n - 1].self_issued) {
		for (int i = 0, j = l->n - 1; i < j; i++, j--) {
			struct dcert t = l->c[i];
			l->c[i] = l->c[j];
			l->c[j] = t;
		}
		l->reversed = 1;
	}
	return 0;
}

void dcert_list_free(struct dcert_list *l)
{
	for (int i = 0; i < l->n; i++)
		dcert_free(&l->c[i]);
	free(l->c);
	memset(l, 0, sizeof *l);
}

/* ---- CRLs ---- */

/* One revoked entry: its serial, unless its reason is removeFromCRL (8). */
static int crl_entry(struct dcrl *c, struct der e)
{
	struct der serial, t, exts;
	int tag, remove = 0;
	if (der_next(&e, &tag, &serial) || tag != 0x02 || serial.n == 0 || der_next(&e, &tag, &t) ||
	    der_time(tag, t) < 0)
		return -1;
	if (e.n) {
		if (der_next(&e, &tag, &exts) || tag != 0x30 || e.n)
			return -1;
		while (exts.n) {
			struct der oid, v, en;
			int critical, id;
			if (ext_next(&exts, &oid, &critical, &v))
				return -1;
			id = ext_id(oid);
			if (id == X_CERT_ISSUER)
				c->unsupported = 1; /* an indirect CRL */
			else if (critical)
				c->critical = 1;
			if (id == X_REASON && der_next(&v, &tag, &en) == 0 && tag == 0x0a && en.n == 1 && en.p[0] == 8)
				remove = 1;
		}
	}
	if (!remove) {
		c->revoked = xrealloc(c->revoked, sizeof *c->revoked * (size_t)(c->nrevoked + 1));
		c->revoked[c->nrevoked++] = serial;
	}
	return 0;
}

static int crl_extensions(struct dcrl *c, struct der f)
{
	struct der exts;
	int tag;
	if (der_next(&f, &tag, &exts) || tag != 0x30 || f.n)
		return -1;
	while (exts.n) {
		struct der oid, v;
		int critical, id;
		if (ext_next(&exts, &oid, &critical, &v))
			return -1;
		id = ext_id(oid);
		if (id == X_IDP || id == X_DELTA || id == X_FRESHEST)
			c->unsupported = 1;
		else if (critical && id != X_AKID)
			c->critical = 1;
		if (id == X_AKID && parse_akid(v, &c->akid_keyid, &c->akid_serial, &c->akid_name))
			return -1;
	}
	return 0;
}

/* TBSCertList: version?, signature, issuer, thisUpdate, nextUpdate?,
 * revokedCertificates?, [0] crlExtensions? */
static int crl_tbs(struct dcrl *c, struct der tbs)
{
	struct der f, list, e;
	int tag;
	if (der_next(&tbs, &tag, &f))
		return -1;
	if (tag == 0x02 && (f.n != 1 || f.p[0] != 1 || der_next(&tbs, &tag, &f)))
		return -1;
	c->tbs_alg = f;
	if (tag != 0x30 || der_next(&tbs, &tag, &c->issuer) || tag != 0x30 || der_next(&tbs, &tag, &f) ||
	    (c->last = der_time(tag, f)) < 0)
		return -1;
	c->next = -1;
	if (tbs.n && (tbs.p[0] == 0x17 || tbs.p[0] == 0x18) &&
	    (der_next(&tbs, &tag, &f) || (c->next = der_time(tag, f)) < 0))
		return -1;
	if (tbs.n && tbs.p[0] == 0x30) {
		if (der_next(&tbs, &tag, &list))
			return -1;
		while (list.n)
			if (der_next(&list, &tag, &e) || tag != 0x30 || crl_entry(c, e))
				return -1;
	}
	if (tbs.n && (der_next(&tbs, &tag, &f) || tag != 0xa0 || tbs.n || crl_extensions(c, f)))
		return -1;
	return 0;
}

static int crl_der(struct dcrl *c, char *err, size_t errlen)
{
	static const char *const what[] = {"", "CertificateList", "TBSCertList", "signature fields"};
	struct der tbs;
	int bad = der_signed(c->der, c->len, &c->tbs, &tbs, &c->sig_alg, &c->sig);
	if (bad)
		BAD("not a DER or PEM CRL: malformed %s", what[bad]);
	if (crl_tbs(c, tbs))
		BAD("not a DER or PEM CRL: malformed TBSCertList");
	return 0;
}

int dcrl_parse(struct dcrl *c, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	static const char begin[] = "-----BEGIN X509 CRL-----", end[] = "-----END X509 CRL-----";
	memset(c, 0, sizeof *c);
	if (looks_pem(p, n)) {
		const char *s = memmem(p, n, begin, sizeof begin - 1), *e;
		struct buf b;
		if (!s || !(e = memmem(s, n - (size_t)((const uint8_t *)s - p), end, sizeof end - 1)))
			BAD("not a DER or PEM CRL: no X509 CRL block");
		s += sizeof begin - 1;
		buf_init(&b);
		if (b64_decode(s, (size_t)(e - s), &b)) {
			buf_free(&b);
			BAD("not a DER or PEM CRL: the PEM block is not base64");
		}
		c->der = b.data;
		c->len = b.len;
	} else {
		c->der = xmalloc(n);
		memcpy(c->der, p, n);
		c->len = n;
	}
	if (crl_der(c, err, errlen)) {
		dcrl_free(c);
		return -1;
	}
	return 0;
}

void dcrl_free(struct dcrl *c)
{
	free(c->der);
	free(c->revoked);
	memset(c, 0, sizeof *c);
}

/* ---- signatures, each verified once per issuer ---- */

static int sig_value(struct der sig, struct der *out)
{
	if (sig.n < 2 || sig.p[0] != 0)
		return -1;
	out->p = sig.p + 1;
	out->n = sig.n - 1;
	return 0;
}

static int signed_by(long *count, struct der tbs, struct der alg1, struct der alg2, struct der sig,
		     struct dcert *issuer)
{
	struct der s;
	(*count)++;
	return alg_is(alg1, ECDSA_SHA256_ALG, sizeof ECDSA_SHA256_ALG) &&
	       alg_is(alg2, ECDSA_SHA256_ALG, sizeof ECDSA_SHA256_ALG) && sig_value(sig, &s) == 0 &&
	       dcert_verify(issuer, tbs.p, tbs.n, s.p, s.n);
}

int dcert_signed_by(struct dcert *x, struct dcert *issuer, long *count)
{
	if (x->sig_by != issuer) {
		x->sig_ok = signed_by(count, x->s.tbs, x->s.tbs_alg, x->s.sig_alg, x->s.sig, issuer);
		x->sig_by = issuer;
	}
	return x->sig_ok;
}

int dcrl_signed_by(struct dcrl *c, struct dcert *issuer, long *count)
{
	if (c->sig_by != issuer) {
		c->sig_ok = signed_by(count, c->tbs, c->tbs_alg, c->sig_alg, c->sig, issuer);
		c->sig_by = issuer;
	}
	return c->sig_ok;
}
