#include "collateral.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "jscan.h"
#include "json.h"

static const char *const status_names[] = {
	"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
	"OutOfDate", "OutOfDateConfigurationNeeded", "Revoked", "TDRelaunchAdvised",
	"TDRelaunchAdvisedConfigurationNeeded"};

const char *tcb_status_name(enum tcb_status s)
{
	return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "Unknown";
}

static int tcb_status_parse(const char *s)
{
	/* Intel's collateral uses the first seven; the relaunch statuses are verdicts only */
	for (int i = 0; i <= TCB_REVOKED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto bad; } while (0)


/* json_parse after a strict UTF-8 and JSON syntax check of our own: libjq
 * 1.6 leaks memory on some syntax errors, so it only ever sees valid JSON. */
static jv parse_text(const char *text, size_t n, char *err, size_t errlen)
{
	long at = json_utf8_error((const uint8_t *)text, n);
	if (at >= 0) {
		snprintf(err, errlen, "not UTF-8 text (byte %ld)", at);
		return jv_invalid();
	}
	if ((at = json_syntax_error(text, n)) >= 0) {
		snprintf(err, errlen, "malformed JSON at byte %ld of %zu", at, n);
		return jv_invalid();
	}
	return json_parse(text, n, err, errlen);
}

/* ---- small jv helpers (none consumes obj) ---- */

static int get_int(jv obj, const char *key, long long min, long long max, long long *out)
{
	jv v = json_get(obj, key);
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;
	if (ok) {
		double d = jv_number_value(v);
		ok = d >= (double)min && d <= (double)max && d == (double)(long long)d;
		if (ok)
			*out = (long long)d;
	}
	jv_free(v);
	return ok ? 0 : -1;
}

static int get_hex(jv obj, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_str(obj, key);
	if (!s || strlen(s) != 2 * n)
		return -1;
	return hex_decode(s, 2 * n, out) == (long)n ? 0 : -1;
}

static int get_date(jv obj, const char *key, long long *out)
{
	const char *s = json_str(obj, key);
	if (!s)
		return -1;
	*out = parse_utc(s);
	return *out < 0 ? -1 : 0;
}

static void adv_free(struct advisories *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->ids[i]);
	free(a->ids);
	a->ids = NULL;
	a->n = 0;
}

/* advisoryIDs: optional array of strings */
static int get_advisories(jv level, struct advisories *a)
{
	jv v = json_get(level, "advisoryIDs");
	a->ids = NULL;
	a->n = 0;
	if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		return -1;
	}
	int n = jv_array_length(jv_copy(v));
	a->ids = xcalloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		jv s = jv_array_get(jv_copy(v), i);
		if (jv_get_kind(s) != JV_KIND_STRING) {
			jv_free(s);
			jv_free(v);
			adv_free(a);
			return -1;
		}
		a->ids[a->n++] = xstrdup(jv_string_value(s));
		jv_free(s);
	}
	jv_free(v);
	return 0;
}

static int get_status(jv level, enum tcb_status *st)
{
	const char *s = json_str(level, "tcbStatus");
	int v = s ? tcb_status_parse(s) : -1;
	if (v < 0)
		return -1;
	*st = (enum tcb_status)v;
	return 0;
}

static void isv_levels_free(struct isv_level *l, int n)
{
	for (int i = 0; i < n; i++) {
		free(l[i].date);
		adv_free(&l[i].adv);
	}
	free(l);
}

/* tcbLevels of a QE identity or module identity: [{tcb:{isvsvn}, tcbDate, tcbStatus, advisoryIDs?}] */
static int isv_levels_parse(jv arr, const char *what, struct isv_level **out, int *nout, char *err, size_t errlen)
{
	struct isv_level *l = NULL;
	int n = 0;
	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		BAD("%s: tcbLevels is not an array", what);
	n = jv_array_length(jv_copy(arr));
	l = xcalloc((size_t)n, sizeof *l);
	for (int i = 0; i < n; i++) {
		jv lv = jv_array_get(jv_copy(arr), i);
		jv tcb = json_get(lv, "tcb");
		long long svn;
		const char *date = json_str(lv, "tcbDate");
		int bad = jv_get_kind(lv) != JV_KIND_OBJECT || get_int(tcb, "isvsvn", 0, 65535, &svn) ||
			  get_status(lv, &l[i].status) || get_advisories(lv, &l[i].adv);
		if (!bad) {
			l[i].isvsvn = (int)svn;
			l[i].date = xstrdup(date ? date : "");
		}
		jv_free(tcb);
		jv_free(lv);
		if (bad) {
			isv_levels_free(l, i);
			l = NULL;
			BAD("%s: tcbLevels[%d] is malformed (tcb.isvsvn, tcbStatus or advisoryIDs)", what, i);
		}
	}
	*out = l;
	*nout = n;
	return 0;
bad:
	return -1;
}

/* ---- TCB info ---- */

static int components(jv tcb, const char *key, int out[16])
{
	jv arr = json_get(tcb, key);
	int ok = jv_get_kind(arr) == JV_KIND_ARRAY && jv_array_length(jv_copy(arr)) == 16;
	for (int i = 0; ok && i < 16; i++) {
		jv c = jv_array_get(jv_copy(arr), i);
		long long svn;
		ok = jv_get_kind(c) == JV_KIND_OBJECT && get_int(c, "svn", 0, 65535, &svn) == 0;
		if (ok)
			out[i] = (int)svn;
		jv_free(c);
	}
	jv_free(arr);
	return ok ? 0 : -1;
}

/* TCB info v2 (SGX): sgxtcbcomp01svn ... sgxtcbcomp16svn */
static int components_v2(jv tcb, int out[16])
{
	for (int i = 0; i < 16; i++) {
		char key[32];
		long long svn;
		snprintf(key, sizeof key, "sgxtcbcomp%02dsvn", i + 1);
		if (get_int(tcb, key, 0, 65535, &svn))
			return -1;
		out[i] = (int)svn;
	}
	return 0;
}

static int cmp_arr(const int *a, const int *b)
{
	for (int i = 0; i < 16; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* descending by (SGX components, PCESVN, TDX components); stable */
static int level_cmp(const void *pa, const void *pb)
{
	const struct tcb_level *a = pa, *b = pb;
	int c = cmp_arr(a->sgx, b->sgx);
	if (!c)
		c = a->pcesvn < b->pcesvn ? -1 : a->pcesvn > b->pcesvn;
	if (!c && a->has_tdx && b->has_tdx)
		c = cmp_arr(a->tdx, b->tdx);
	if (c)
		return -c;
	return a->index - b->index;
}

void tcb_info_free(struct tcb_info *t)
{
	for (int i = 0; i < t->nlevels; i++) {
		free(t->levels[i].date);
		adv_free(&t->levels[i].adv);
	}
	free(t->levels);
	for (int i = 0; i < t->nmodules; i++)
		isv_levels_free(t->modules[i].levels, t->modules[i].nlevels);
	free(t->modules);
	memset(t, 0, sizeof *t);
}

/* The TCB info's own fields: id, version, dates, FMSPC, PCE-ID, tdxModule. */
static int tcb_info_head(jv o, struct tcb_info *t, char *err, size_t errlen)
{
	long long v;
	const char *id = json_str(o, "id");
	jv m = jv_invalid();
	if (get_int(o, "version", 0, 1000, &v))
		BAD("TCB info: version is missing or not a number");
	t->version = (int)v;
	if (!id)
		snprintf(t->id, sizeof t->id, "SGX"); /* version 2 had no id */
	else if (strlen(id) >= sizeof t->id)
		BAD("TCB info: id '%.20s' is unknown", id);
	else
		snprintf(t->id, sizeof t->id, "%s", id);
	if (get_date(o, "issueDate", &t->issue_date))
		BAD("TCB info: issueDate is missing or not a UTC date");
	if (get_date(o, "nextUpdate", &t->next_update))
		BAD("TCB info: nextUpdate is missing or not a UTC date");
	if (get_hex(o, "fmspc", t->fmspc, 6))
		BAD("TCB info: fmspc is not 6 bytes of hex");
	if (get_hex(o, "pceId", t->pceid, 2))
		BAD("TCB info: pceId is not 2 bytes of hex");
	if (get_int(o, "tcbType", 0, 65535, &v) == 0)
		t->tcb_type = (int)v;
	if (get_int(o, "tcbEvaluationDataNumber", 0, 1LL << 32, &v) == 0)
		t->eval_num = (int)v;
	m = json_get(o, "tdxModule");
	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		if (get_hex(m, "mrsigner", t->module_mrsigner, 48) || get_hex(m, "attributes", t->module_attributes, 8) ||
		    get_hex(m, "attributesMask", t->module_attributes_mask, 8))
			BAD("TCB info: tdxModule needs mrsigner (48 bytes), attributes and attributesMask (8 bytes) in hex");
		t->has_module = 1;
	}
	jv_free(m);
	return 0;
bad:
	jv_free(m);
	return -1;
}

/* tdxModuleIdentities: [{id, mrsigner, attributes, attributesMask, tcbLevels}] */
static int tcb_info_modules(jv o, struct tcb_info *t, char *err, size_t errlen)
{
	jv mods = json_get(o, "tdxModuleIdentities");
	if (jv_get_kind(mods) != JV_KIND_ARRAY) {
		int bad = jv_is_valid(mods) && jv_get_kind(mods) != JV_KIND_NULL;
		jv_free(mods);
		if (bad)
			snprintf(err, errlen, "TCB info: tdxModuleIdentities is not an array");
		return bad ? -1 : 0;
	}
	int nm = jv_array_length(jv_copy(mods));
	t->modules = xcalloc((size_t)nm, sizeof *t->modules);
	for (int i = 0; i < nm; i++) {
		struct module_identity *mi = &t->modules[i];
		jv e = jv_array_get(jv_copy(mods), i);
		const char *mid = json_str(e, "id");
		int bad = jv_get_kind(e) != JV_KIND_OBJECT || !mid || strlen(mid) >= sizeof mi->id ||
			  get_hex(e, "mrsigner", mi->mrsigner, 48) || get_hex(e, "attributes", mi->attributes, 8) ||
			  get_hex(e, "attributesMask", mi->attributes_mask, 8);
		if (bad) {
			snprintf(err, errlen, "TCB info: tdxModuleIdentities[%d] needs id, mrsigner, attributes and attributesMask", i);
		} else {
			snprintf(mi->id, sizeof mi->id, "%s", mid);
			jv tl = json_get(e, "tcbLevels");
			char what[64];
			snprintf(what, sizeof what, "TCB info: tdxModuleIdentities[%d]", i);
			bad = isv_levels_parse(tl, what, &mi->levels, &mi->nlevels, err, errlen);
			jv_free(tl);
		}
		jv_free(e);
		t->nmodules = i + (bad ? 0 : 1);
		if (bad) {
			jv_free(mods);
			return -1;
		}
	}
	jv_free(mods);
	return 0;
}

/* One platform level: {tcb: {sgxtcbcomponents | sgxtcbcompNNsvn, pcesvn, tdxtcbcomponents?}, tcbDate, tcbStatus, advisoryIDs?} */
static int tcb_level_parse(jv lv, int i, struct tcb_level *l)
{
	long long v;
	jv tcb = json_get(lv, "tcb"), tdx = json_get(tcb, "tdxtcbcomponents"), sgxc = json_get(tcb, "sgxtcbcomponents");
	const char *date = json_str(lv, "tcbDate");
	int has_sgx_array = jv_is_valid(sgxc) && jv_get_kind(sgxc) != JV_KIND_NULL;
	int bad = jv_get_kind(tcb) != JV_KIND_OBJECT || get_int(tcb, "pcesvn", 0, 65535, &v);
	if (!bad)
		l->pcesvn = (int)v;
	bad = bad || (has_sgx_array ? components(tcb, "sgxtcbcomponents", l->sgx) : components_v2(tcb, l->sgx));
	if (!bad && jv_is_valid(tdx) && jv_get_kind(tdx) != JV_KIND_NULL) {
		bad = components(tcb, "tdxtcbcomponents", l->tdx);
		l->has_tdx = 1;
	}
	bad = bad || get_status(lv, &l->status) || get_advisories(lv, &l->adv);
	l->date = xstrdup(date ? date : "");
	l->index = i;
	jv_free(sgxc);
	jv_free(tdx);
	jv_free(tcb);
	return bad ? -1 : 0;
}

static int tcb_info_levels(jv o, struct tcb_info *t, char *err, size_t errlen)
{
	jv levels = json_get(o, "tcbLevels");
	if (jv_get_kind(levels) != JV_KIND_ARRAY) {
		jv_free(levels);
		snprintf(err, errlen, "TCB info: tcbLevels is missing");
		return -1;
	}
	int nl = jv_array_length(jv_copy(levels));
	t->levels = xcalloc((size_t)nl, sizeof *t->levels);
	for (int i = 0; i < nl; i++) {
		jv lv = jv_array_get(jv_copy(levels), i);
		int bad = tcb_level_parse(lv, i, &t->levels[i]);
		jv_free(lv);
		t->nlevels = i + 1;
		if (bad) {
			jv_free(levels);
			snprintf(err, errlen, "TCB info: tcbLevels[%d] is malformed (16 sgxtcbcomponents, pcesvn, 16 "
				 "tdxtcbcomponents, tcbStatus)", i);
			return -1;
		}
	}
	jv_free(levels);
	qsort(t->levels, (size_t)t->nlevels, sizeof *t->levels, level_cmp);
	return 0;
}

int tcb_info_parse(const char *text, size_t n, struct tcb_info *t, char *err, size_t errlen)
{
	char perr[256];
	memset(t, 0, sizeof *t);
	jv o = parse_text(text, n, perr, sizeof perr);
	if (!jv_is_valid(o))
		BAD("TCB info is not JSON: %s", perr);
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		BAD("TCB info is not a JSON object");
	if (tcb_info_head(o, t, err, errlen) || tcb_info_modules(o, t, err, errlen) || tcb_info_levels(o, t, err, errlen))
		goto bad;
	jv_free(o);
	return 0;
bad:
	jv_free(o);
	tcb_info_free(t);
	return -1;
}

/* ---- QE identity ---- */

void qe_identity_free(struct qe_identity *q)
{
	isv_levels_free(q->levels, q->nlevels);
	memset(q, 0, sizeof *q);
}

int qe_identity_parse(const char *text, size_t n, struct qe_identity *q, char *err, size_t errlen)
{
	char perr[256];
	long long v;
	memset(q, 0, sizeof *q);
	jv o = parse_text(text, n, perr, sizeof perr), levels = jv_invalid();
	if (!jv_is_valid(o))
		BAD("QE identity is not JSON: %s", perr);
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		BAD("QE identity is not a JSON object");
	const char *id = json_str(o, "id");
	if (!id || strlen(id) >= sizeof q->id)
		BAD("QE identity: id is missing or unknown");
	snprintf(q->id, sizeof q->id, "%s", id);
	if (get_int(o, "version", 0, 1000, &v))
		BAD("QE identity: version is missing or not a number");
	q->version = (int)v;
	if (get_date(o, "issueDate", &q->issue_date))
		BAD("QE identity: issueDate is missing or not a UTC date");
	if (get_date(o, "nextUpdate", &q->next_update))
		BAD("QE identity: nextUpdate is missing or not a UTC date");
	if (get_int(o, "tcbEvaluationDataNumber", 0, 1LL << 32, &v) == 0)
		q->eval_num = (int)v;
	if (get_hex(o, "miscselect", q->miscselect, 4) || get_hex(o, "miscselectMask", q->miscselect_mask, 4))
		BAD("QE identity: miscselect and miscselectMask must be 4 bytes of hex");
	if (get_hex(o, "attributes", q->attributes, 16) || get_hex(o, "attributesMask", q->attributes_mask, 16))
		BAD("QE identity: attributes and attributesMask must be 16 bytes of hex");
	if (get_hex(o, "mrsigner", q->mrsigner, 32))
		BAD("QE identity: mrsigner must be 32 bytes of hex");
	if (get_int(o, "isvprodid", 0, 65535, &v))
		BAD("QE identity: isvprodid is missing or not a 16-bit number");
	q->isvprodid = (int)v;
	levels = json_get(o, "tcbLevels");
	if (isv_levels_parse(levels, "QE identity", &q->levels, &q->nlevels, err, errlen))
		goto bad;
	jv_free(levels);
	jv_free(o);
	return 0;
bad:
	jv_free(levels);
	jv_free(o);
	qe_identity_free(q);
	return -1;
}

/* ---- QuoteCollateralV3 ---- */

/* The members of the QuoteCollateralV3 object, found in one pass over its
 * text (libjq parses only the TCB info and the QE identity it carries). */
struct members {
	const char *text;
	struct json_member m[32];
	int n;
};

/* The value of member key, or NULL (*len its length) */
static const char *member(const struct members *o, const char *key, size_t *len)
{
	const struct json_member *m = json_member_find(o->m, o->n, key);
	if (!m)
		return NULL;
	*len = m->len;
	return o->text + m->off;
}

static char *get_text(const struct members *o, const char *key, size_t *len)
{
	size_t n, dlen;
	const char *v = member(o, key, &n);
	char *s = v && v[0] == '"' ? json_string_decode(v, n, &dlen) : NULL;
	if (s && len)
		*len = dlen;
	return s;
}

/* [0..255, ...]: the bytes, or -1 */
static int byte_array(const char *v, size_t n, uint8_t **out, size_t *len)
{
	*out = xmalloc(n / 2 + 1);
	*len = 0;
	for (size_t i = 1; i < n;) {
		while (i < n && strchr(" \t\r\n,", v[i]))
			i++;
		if (i >= n || v[i] == ']')
			break;
		char num[32], *end;
		size_t k = strcspn(v + i, " \t\r\n,]");
		if (k >= sizeof num)
			return -1;
		memcpy(num, v + i, k);
		num[k] = 0;
		double d = strtod(num, &end);
		if (*end || d < 0 || d > 255 || d != (double)(int)d)
			return -1;
		(*out)[(*len)++] = (uint8_t)d;
		i += k;
	}
	return 0;
}

/* A byte field: hex string (optional 0x) or array of numbers 0..255. */
static int get_bytes(const struct members *o, const char *key, uint8_t **out, size_t *len)
{
	size_t n;
	const char *v = member(o, key, &n);
	int rc = -1;
	*out = NULL;
	*len = 0;
	if (v && v[0] == '"') {
		const char *s = v + 1;
		n -= 2;
		if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s += 2;
			n -= 2;
		}
		*out = xmalloc(n / 2 + 1);
		if (n % 2 == 0 && hex_decode(s, n, *out) == (long)(n / 2)) {
			*len = n / 2;
			rc = 0;
		}
	} else if (v && v[0] == '[') {
		rc = byte_array(v, n, out, len);
	}
	if (rc) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return rc;
}

void collateral_free(struct collateral *c)
{
	free(c->tcb_info);
	free(c->qe_identity);
	free(c->tcb_info_issuer_chain);
	free(c->qe_identity_issuer_chain);
	free(c->pck_crl_issuer_chain);
	free(c->pck_certificate_chain);
	free(c->root_ca_crl);
	free(c->pck_crl);
	tcb_info_free(&c->ti);
	qe_identity_free(&c->qi);
	memset(c, 0, sizeof *c);
}

/* A required text member: a JSON string (not null, not another type). */
static int need_text(const struct members *o, const char *key, char **out, size_t *len, char *err, size_t errlen)
{
	if ((*out = get_text(o, key, len)))
		return 0;
	snprintf(err, errlen, "collateral: %s is missing, null or not a string", key);
	return -1;
}

/* A required signature: 64 bytes of r||s, in hex or as an array of bytes. */
static int need_sig(const struct members *o, const char *key, uint8_t out[64], char *err, size_t errlen)
{
	uint8_t *sig;
	size_t n;
	int bad = get_bytes(o, key, &sig, &n) || n != 64;
	if (!bad)
		memcpy(out, sig, 64);
	free(sig);
	if (bad)
		snprintf(err, errlen, "collateral: %s is not 64 bytes (hex r||s)", key);
	return bad ? -1 : 0;
}

static int need_der(const struct members *o, const char *key, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	if (get_bytes(o, key, out, len) == 0 && *len > 0)
		return 0;
	snprintf(err, errlen, "collateral: %s is missing or not hex", key);
	return -1;
}

/* The optional PCK chain: absent or null, else a string. */
static int opt_text(const struct members *o, const char *key, char **out, char *err, size_t errlen)
{
	size_t n;
	const char *v = member(o, key, &n);
	if (!v || (n == 4 && memcmp(v, "null", 4) == 0) || (*out = get_text(o, key, NULL)))
		return 0;
	snprintf(err, errlen, "collateral: %s is not a string", key);
	return -1;
}

/* The members of the collateral object; -1 with err when it is none. */
static int members_of(const char *json, size_t n, struct members *o, char *err, size_t errlen)
{
	long at = json_utf8_error((const uint8_t *)json, n);
	o->text = json;
	if (at >= 0) {
		snprintf(err, errlen, "collateral is not JSON: not UTF-8 text (byte %ld)", at);
		return -1;
	}
	if ((at = json_syntax_error(json, n)) >= 0) {
		snprintf(err, errlen, "collateral is not JSON: malformed JSON at byte %ld of %zu", at, n);
		return -1;
	}
	if ((o->n = json_members(json, n, o->m, (int)(sizeof o->m / sizeof o->m[0]))) < 0) {
		snprintf(err, errlen, "collateral is not a JSON object (or repeats a member)");
		return -1;
	}
	return 0;
}

int collateral_parse(const char *json, size_t n, struct collateral *c, char *err, size_t errlen)
{
	struct members o;
	memset(c, 0, sizeof *c);
	if (members_of(json, n, &o, err, errlen) ||
	    need_text(&o, "tcb_info", &c->tcb_info, &c->tcb_info_len, err, errlen) ||
	    need_text(&o, "qe_identity", &c->qe_identity, &c->qe_identity_len, err, errlen) ||
	    need_sig(&o, "tcb_info_signature", c->tcb_info_sig, err, errlen) ||
	    need_sig(&o, "qe_identity_signature", c->qe_identity_sig, err, errlen) ||
	    need_text(&o, "tcb_info_issuer_chain", &c->tcb_info_issuer_chain, NULL, err, errlen) ||
	    need_text(&o, "qe_identity_issuer_chain", &c->qe_identity_issuer_chain, NULL, err, errlen) ||
	    need_text(&o, "pck_crl_issuer_chain", &c->pck_crl_issuer_chain, NULL, err, errlen) ||
	    opt_text(&o, "pck_certificate_chain", &c->pck_certificate_chain, err, errlen) ||
	    need_der(&o, "root_ca_crl", &c->root_ca_crl, &c->root_ca_crl_len, err, errlen) ||
	    need_der(&o, "pck_crl", &c->pck_crl, &c->pck_crl_len, err, errlen) ||
	    tcb_info_parse(c->tcb_info, c->tcb_info_len, &c->ti, err, errlen) ||
	    qe_identity_parse(c->qe_identity, c->qe_identity_len, &c->qi, err, errlen)) {
		collateral_free(c);
		return -1;
	}
	return 0;
}
