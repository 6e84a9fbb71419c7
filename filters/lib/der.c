#include "der.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "common.h"

int der_next(struct der *d, int *tag, struct der *val)
{
	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = d->p[0];
	size_t len = d->p[1], hl = 2;
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 3 || d->n < 2 + nb || d->p[2] == 0)
			return -1; /* indefinite, too long, or not minimal */
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = len << 8 | d->p[2 + i];
		if (len < 0x80)
			return -1;
		hl += nb;
	}
	if (len > d->n - hl)
		return -1;
	val->p = d->p + hl;
	val->n = len;
	d->p += hl + len;
	d->n -= hl + len;
	return 0;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int two(const uint8_t *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ */
long long der_time(int tag, struct der v)
{
	size_t digits = tag == 0x17 ? 12 : tag == 0x18 ? 14 : 0;
	if (!digits || v.n != digits + 1 || v.p[digits] != 'Z')
		return -1;
	for (size_t i = 0; i < digits; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const uint8_t *p = v.p;
	if (tag == 0x17) {
		int yy = two(p);
		tm.tm_year = yy < 50 ? 100 + yy : yy;
		p += 2;
	} else {
		tm.tm_year = two(p) * 100 + two(p + 2) - 1900;
		p += 4;
	}
	tm.tm_mon = two(p) - 1;
	tm.tm_mday = two(p + 2);
	tm.tm_hour = two(p + 4);
	tm.tm_min = two(p + 6);
	tm.tm_sec = two(p + 8);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	return (long long)timegm(&tm);
}

/* A Name is a SEQUENCE of SETs of SEQUENCE{OID, string}: check that shape. */
static int name_ok(struct der name)
{
	while (name.n) {
		struct der set, atv, oid, val;
		int tag;
		if (der_next(&name, &tag, &set) || tag != 0x31)
			return -1;
		while (set.n) {
			if (der_next(&set, &tag, &atv) || tag != 0x30 || der_next(&atv, &tag, &oid) || tag != 0x06 ||
			    der_next(&atv, &tag, &val) || atv.n)
				return -1;
		}
	}
	return 0;
}

/* The extensions of a TBSCertificate: each well-formed, and the value of the
 * one asked for. */
static int scan_extensions(struct der exts, const uint8_t *ext_oid, size_t ext_oid_len, struct cert_scan *c,
			   char *err, size_t errlen)
{
	int tag;
	while (exts.n) {
		struct der ext, oid, v;
		if (der_next(&exts, &tag, &ext) || tag != 0x30 || der_next(&ext, &tag, &oid) || tag != 0x06)
			BAD("malformed extension");
		if (der_next(&ext, &tag, &v))
			BAD("malformed extension");
		if (tag == 0x01 && der_next(&ext, &tag, &v)) /* critical flag */
			BAD("malformed extension");
		if (tag != 0x04 || ext.n)
			BAD("malformed extension value");
		if (ext_oid && oid.n == ext_oid_len && memcmp(oid.p, ext_oid, ext_oid_len) == 0)
			c->ext = v;
	}
	return 0;
}

/* The fields of a TBSCertificate after the version. */
static int scan_tbs(struct der tbs, struct cert_scan *c, char *err, size_t errlen)
{
	struct der f, validity, t;
	int tag;
	if (der_next(&tbs, &tag, &f))
		BAD("malformed version or serial");
	c->version = 1;
	if (tag == 0xa0) {
		struct der ver = f, vi;
		if (der_next(&ver, &tag, &vi) || tag != 0x02 || vi.n != 1 || vi.p[0] > 2 || ver.n)
			BAD("malformed version");
		c->version = vi.p[0] + 1;
		if (der_next(&tbs, &tag, &f))
			BAD("malformed serial number");
	}
	if (tag != 0x02 || f.n == 0 || f.n > 21)
		BAD("malformed serial number");
	c->serial = f;
	if (der_next(&tbs, &tag, &c->tbs_alg) || tag != 0x30)
		BAD("malformed signature algorithm");
	if (der_next(&tbs, &tag, &c->issuer) || tag != 0x30 || name_ok(c->issuer))
		BAD("malformed issuer name");
	if (der_next(&tbs, &tag, &validity) || tag != 0x30)
		BAD("malformed validity");
	if (der_next(&validity, &tag, &t) || (c->not_before = der_time(tag, t)) < 0 ||
	    der_next(&validity, &tag, &t) || (c->not_after = der_time(tag, t)) < 0 || validity.n)
		BAD("malformed validity");
	if (der_next(&tbs, &tag, &c->subject) || tag != 0x30 || name_ok(c->subject))
		BAD("malformed subject name");
	if (der_next(&tbs, &tag, &c->spki) || tag != 0x30)
		BAD("malformed subject public key info");
	while (tbs.n) {
		if (der_next(&tbs, &tag, &f))
			BAD("malformed optional fields");
		if (tag != 0xa3)
			continue; /* issuer/subject unique ids */
		if (c->exts.p || der_next(&f, &tag, &c->exts) || tag != 0x30 || f.n)
			BAD("malformed extensions");
	}
	return 0;
}

int der_signed(const uint8_t *p, size_t n, struct der *tbs_tlv, struct der *tbs, struct der *alg, struct der *sig)
{
	struct der all = {p, n}, obj;
	int tag;
	if (der_next(&all, &tag, &obj) || tag != 0x30 || all.n)
		return 1;
	tbs_tlv->p = obj.p;
	if (der_next(&obj, &tag, tbs) || tag != 0x30)
		return 2;
	tbs_tlv->n = (size_t)(obj.p - tbs_tlv->p);
	if (der_next(&obj, &tag, alg) || tag != 0x30 || der_next(&obj, &tag, sig) || tag != 0x03 || obj.n)
		return 3;
	return 0;
}

int der_next_cert(struct der *all, struct der *cert)
{
	struct der v;
	int tag;
	size_t z = 0;
	while (z < all->n && all->p[z] == 0)
		z++;
	if (z == all->n)
		return 0;
	struct der rest = *all;
	if (der_next(&rest, &tag, &v) || tag != 0x30)
		return -1;
	cert->p = all->p;
	cert->n = (size_t)(rest.p - all->p);
	*all = rest;
	return 1;
}

int cert_scan(const uint8_t *der, size_t len, const uint8_t *ext_oid, size_t ext_oid_len,
	      struct cert_scan *c, char *err, size_t errlen)
{
	static const char *const what[] = {"", "not a DER certificate (outer SEQUENCE)", "malformed TBSCertificate",
					   "malformed signature fields"};
	struct der tbs;
	memset(c, 0, sizeof *c);
	int bad = der_signed(der, len, &c->tbs, &tbs, &c->sig_alg, &c->sig);
	if (bad)
		BAD("%s", what[bad]);
	if (scan_tbs(tbs, c, err, errlen))
		return -1;
	return c->exts.p ? scan_extensions(c->exts, ext_oid, ext_oid_len, c, err, errlen) : 0;
}

static const struct { uint8_t oid[3]; const char *name; } short_names[] = {
	{{0x55, 0x04, 0x03}, "CN"}, {{0x55, 0x04, 0x06}, "C"}, {{0x55, 0x04, 0x07}, "L"},
	{{0x55, 0x04, 0x08}, "ST"}, {{0x55, 0x04, 0x0a}, "O"}, {{0x55, 0x04, 0x0b}, "OU"},
	{{0x55, 0x04, 0x05}, "serialNumber"}, {{0x55, 0x04, 0x09}, "street"},
};

static void oid_text(struct der oid, struct buf *b)
{
	for (size_t i = 0; i < sizeof short_names / sizeof short_names[0]; i++)
		if (oid.n == 3 && memcmp(oid.p, short_names[i].oid, 3) == 0) {
			buf_printf(b, "%s", short_names[i].name);
			return;
		}
	unsigned long v = 0;
	for (size_t i = 0; i < oid.n; i++) {
		v = v << 7 | (oid.p[i] & 0x7f);
		if (oid.p[i] & 0x80)
			continue;
		if (i == 0 || b->len == 0 || b->data[b->len - 1] == ',' || b->data[b->len - 1] == '+') {
			unsigned long first = v < 80 ? v / 40 : 2;
			buf_printf(b, "%lu.%lu", first, v - first * 40);
		} else {
			buf_printf(b, ".%lu", v);
		}
		v = 0;
	}
}

char *der_name_text(struct der name)
{
	/* collect the RDNs, then print them last first */
	struct der rdns[32];
	int n = 0, tag;
	while (name.n && n < 32)
		if (der_next(&name, &tag, &rdns[n++]))
			break;
	struct buf b;
	buf_init(&b);
	for (int i = n - 1; i >= 0; i--) {
		struct der set = rdns[i], atv, oid, val;
		int first = 1;
		if (i != n - 1)
			buf_addc(&b, ',');
		while (set.n && der_next(&set, &tag, &atv) == 0) {
			if (der_next(&atv, &tag, &oid) || der_next(&atv, &tag, &val))
				break;
			if (!first)
				buf_addc(&b, '+');
			first = 0;
			oid_text(oid, &b);
			buf_addc(&b, '=');
			for (size_t k = 0; k < val.n; k++) {
				char ch = (char)val.p[k];
				if (strchr(",+\"\\<>;", ch) || (k == 0 && (ch == '#' || ch == ' ')) ||
				    (k == val.n - 1 && ch == ' '))
					buf_addc(&b, '\\');
				buf_addc(&b, ch);
			}
		}
	}
	return (char *)b.data;
}

int pem_cert_blocks(const char *text, size_t n, uint8_t ***ders, size_t **lens, char *err, size_t errlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
	*ders = NULL;
	*lens = NULL;
	int count = 0;
	size_t pos = 0;
	for (;;) {
		const char *s = memmem(text + pos, n - pos, begin, sizeof begin - 1);
		if (!s)
			break;
		s += sizeof begin - 1;
		const char *e = memmem(s, n - (size_t)(s - text), end, sizeof end - 1);
		if (!e) {
			for (int i = 0; i < count; i++)
				free((*ders)[i]);
			free(*ders);
			free(*lens);
			BAD("certificate %d: PEM block has no END line", count + 1);
		}
		struct buf b;
		buf_init(&b);
		if (b64_decode(s, (size_t)(e - s), &b)) {
			buf_free(&b);
			for (int i = 0; i < count; i++)
				free((*ders)[i]);
			free(*ders);
			free(*lens);
			BAD("certificate %d: PEM block is not base64", count + 1);
		}
		*ders = xrealloc(*ders, sizeof(uint8_t *) * (size_t)(count + 1));
		*lens = xrealloc(*lens, sizeof(size_t) * (size_t)(count + 1));
		(*ders)[count] = b.data;
		(*lens)[count] = b.len;
		count++;
		pos = (size_t)(e - text) + sizeof end - 1;
	}
	return count;
}

char *der_cert_pem(const uint8_t *der, size_t len)
{
	char *b64 = b64_encode(der, len);
	size_t bl = strlen(b64);
	struct buf b;
	buf_init(&b);
	buf_add(&b, "-----BEGIN CERTIFICATE-----\n", 28);
	for (size_t i = 0; i < bl; i += 64) {
		buf_add(&b, b64 + i, bl - i < 64 ? bl - i : 64);
		buf_addc(&b, '\n');
	}
	buf_add(&b, "-----END CERTIFICATE-----\n", 26);
	free(b64);
	return (char *)b.data;
}
