/* The verifier: its table of checks, run in order for each quote, and the
 * caches of batch mode. */
#include <stdlib.h>
#include <string.h>

#include "lib/ecdsa.h"
#include "lib/sha.h"
#include "qv.h"

enum { OPEN = 0, GATE = 1 };     /* a failed GATE check stops the run: later checks are skipped */
enum { ALL, TD_ONLY, SGX_ONLY }; /* which quotes a check applies to */

struct check_def {
	const char *name;
	int gate;
	int only;
	once_fn *once; /* a check of the collateral alone: run once by qv_new */
	check_fn *run; /* a check of the quote */
};

/* The checks in dcap-qvl's order (the README lists them so). Up to pce_id
 * they establish trust; from platform_tcb_level on they judge trusted data. */
static const struct check_def checks[] = {
	{"root_ca_revocation", GATE, ALL, once_root_ca_revocation, NULL},
	{"quote_header", GATE, ALL, NULL, ck_quote_header},
	{"qe_vendor_id", GATE, ALL, NULL, ck_qe_vendor_id},
	{"tcb_info_window", GATE, ALL, once_tcb_info_window, NULL},
	{"tcb_info_chain", GATE, ALL, once_tcb_info_chain, NULL},
	{"tcb_info_signature", GATE, ALL, once_tcb_info_signature, NULL},
	{"qe_identity_window", GATE, ALL, once_qe_identity_window, NULL},
	{"qe_identity_chain", GATE, ALL, once_qe_identity_chain, NULL},
	{"qe_identity_signature", GATE, ALL, once_qe_identity_signature, NULL},
	{"qe_identity_type", GATE, ALL, NULL, ck_qe_identity_type},
	{"pck_chain", GATE, ALL, NULL, ck_pck_chain},
	{"qe_report_signature", GATE, ALL, NULL, ck_qe_report_signature},
	{"qe_report_data", GATE, ALL, NULL, ck_qe_report_data},
	{"qe_identity_policy", GATE, ALL, NULL, ck_qe_identity_policy},
	{"qe_tcb_level", OPEN, ALL, NULL, ck_qe_tcb_level},
	{"quote_signature", GATE, ALL, NULL, ck_quote_signature},
	{"fmspc", GATE, ALL, NULL, ck_fmspc},
	{"tcb_info_type", GATE, ALL, NULL, ck_tcb_info_type},
	{"pce_id", GATE, ALL, NULL, ck_pce_id},
	{"platform_tcb_level", OPEN, ALL, NULL, ck_platform_tcb_level},
	{"tdx_module_identity", OPEN, TD_ONLY, NULL, ck_tdx_module_identity},
	{"tdx_module_tcb_level", OPEN, TD_ONLY, NULL, ck_tdx_module_tcb_level},
	{"tcb_status", OPEN, ALL, NULL, ck_tcb_status},
	{"mr_service_td", OPEN, TD_ONLY, NULL, ck_mr_service_td},
	{"td_debug", OPEN, TD_ONLY, NULL, ck_td_debug},
	{"td_reserved_attributes", OPEN, TD_ONLY, NULL, ck_td_reserved_attributes},
	{"sept_ve_disable", OPEN, TD_ONLY, NULL, ck_sept_ve_disable},
	{"enclave_debug", OPEN, SGX_ONLY, NULL, ck_enclave_debug},
	{"report_data", OPEN, ALL, NULL, ck_report_data},
};
#define NCHECKS (int)(sizeof checks / sizeof checks[0])

const struct check *once_result(const struct qv *v, const char *name)
{
	for (int i = 0; i < NCHECKS; i++)
		if (checks[i].once && strcmp(checks[i].name, name) == 0)
			return &v->once[i];
	return NULL;
}

static void pck_entry_free(struct pck_entry *e)
{
	if (!e)
		return;
	dcert_list_free(&e->chain);
	free(e);
}

struct qv *qv_new(const struct collateral *c, struct qv_anchor *a, const struct qv_options *o, char *err,
		  size_t errlen)
{
	struct qv *v = xcalloc(1, sizeof *v);
	v->c = c;
	v->a = a;
	v->o = *o;
	if (trust_setup(v, err, errlen)) {
		qv_free(v);
		return NULL;
	}
	for (int i = 0; i < NCHECKS; i++)
		if (checks[i].once) {
			v->once[i].name = checks[i].name;
			checks[i].once(v, &v->once[i]);
		}
	v->st.coll_ecdsa = v->st.ecdsa;
	v->st.coll_chains = v->cv.verifications;
	return v;
}

void qv_free(struct qv *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->npck; i++)
		pck_entry_free(v->pck[i]);
	pck_entry_free(v->coll_pck);
	trust_free(v);
	EVP_PKEY_free(v->ak);
	free(v);
}

void qv_get_stats(const struct qv *v, struct qv_stats *s)
{
	*s = v->st;
	s->ecdsa -= v->st.coll_ecdsa;
	s->chains = v->cv.verifications - v->st.coll_chains;
}

/* ---- caches ---- */

static int parse_pck(struct pck_entry *e, const struct tdx_quote *q, char *err, size_t errlen)
{
	char e2[400];
	if (dcert_list_parse(&e->chain, q->cert_data, q->cert_size, e2, sizeof e2)) {
		snprintf(err, errlen, "PCK certificate chain at byte %zu: %s", q->cert_off, e2);
		return -1;
	}
	pck_entry_ext(e);
	return 0;
}

void pck_entry_ext(struct pck_entry *e)
{
	struct der x = e->chain.c[0].s.ext;
	if (!x.p)
		snprintf(e->ext_err, sizeof e->ext_err, "PCK certificate has no Intel SGX extension (OID 1.2.840.113741.1.13.1)");
	else
		e->ext_ok = pck_ext_parse_der(x.p, x.n, &e->ext, e->ext_err, sizeof e->ext_err) == 0;
}

/* The PCK chain of a quote, parsed (and cached by the bytes' SHA-256), or
 * the collateral's. NULL without a chain; -1 in *bad (with err) when the
 * certification data does not parse. */
static struct pck_entry *pck_for(struct qrun *x, int *bad, char *err, size_t errlen)
{
	struct qv *v = x->v;
	uint8_t key[32];
	*bad = 0;
	if (v->coll_pck)
		return v->coll_pck;
	if (x->q.cert_type != 5)
		return NULL;
	sha256(x->q.cert_data, x->q.cert_size, key);
	for (int i = 0; !v->o.no_cache && i < v->npck; i++)
		if (memcmp(v->pck[i]->key, key, 32) == 0) {
			v->st.cache_hits++;
			return v->pck[i];
		}
	struct pck_entry *e = xcalloc(1, sizeof *e);
	memcpy(e->key, key, 32);
	e->verified = -1;
	if (parse_pck(e, &x->q, err, errlen)) {
		free(e);
		*bad = 1;
		return NULL;
	}
	if (!v->o.no_cache && v->npck < CACHE_MAX)
		v->pck[v->npck++] = e;
	else
		x->owned = 1;
	return e;
}

int qv_qe_signature_ok(struct qrun *x)
{
	struct qv *v = x->v;
	const struct tdx_quote *q = &x->q;
	uint8_t buf[32 + SGX_REPORT_LEN + 64], key[32];
	if (!v->o.no_cache) {
		memcpy(buf, x->pe->key, 32);
		memcpy(buf + 32, q->qe_report, SGX_REPORT_LEN);
		memcpy(buf + 32 + SGX_REPORT_LEN, q->qe_report_sig, 64);
		sha256(buf, sizeof buf, key);
		for (int i = 0; i < v->nqe; i++)
			if (memcmp(v->qe[i].key, key, 32) == 0) {
				v->st.cache_hits++;
				return v->qe[i].ok;
			}
	}
	EVP_PKEY *k = dcert_key(x->leaf);
	int ok = k && ecdsa_verify_raw(k, q->qe_report, SGX_REPORT_LEN, q->qe_report_sig) == 1;
	v->st.ecdsa++;
	if (!v->o.no_cache) {
		struct qe_entry *e = &v->qe[v->qe_next];
		memcpy(e->key, key, 32);
		e->ok = ok;
		v->qe_next = (v->qe_next + 1) % CACHE_MAX;
		if (v->nqe < CACHE_MAX)
			v->nqe++;
	}
	return ok;
}

EVP_PKEY *qv_attestation_key(struct qv *v, const uint8_t xy[64])
{
	if (v->ak && !v->o.no_cache && memcmp(v->ak_xy, xy, 64) == 0)
		return v->ak;
	EVP_PKEY_free(v->ak);
	v->ak = ec_pub_from_xy(xy);
	if (v->ak)
		memcpy(v->ak_xy, xy, 64);
	return v->ak;
}

/* ---- one quote ---- */

static void run_checks(struct qrun *x)
{
	for (int i = 0; i < NCHECKS; i++) {
		const struct check_def *d = &checks[i];
		if ((d->only == TD_ONLY && !x->td) || (d->only == SGX_ONLY && x->td))
			continue;
		struct check *c = &x->ck[x->n++];
		memset(c, 0, sizeof *c);
		c->name = d->name;
		if (x->stopped) {
			ck_skip(c, "not evaluated: %s failed", x->stopped);
			continue;
		}
		if (d->once)
			*c = x->v->once[i];
		else
			d->run(x, c);
		if (c->r == R_FAIL && d->gate)
			x->stopped = d->name;
	}
}

/* The verified flag, the first failure, the status and its advisory IDs. */
static void result(struct qrun *x)
{
	struct qv_result *r = &x->r;
	r->verified = 1;
	for (int i = 0; i < x->n && r->verified; i++)
		if (x->ck[i].r == R_FAIL) {
			r->verified = 0;
			r->failed_check = x->ck[i].name;
			r->error = x->ck[i].error;
		}
	if (!x->have_status)
		return;
	r->status = tcb_status_name(x->final);
	for (int k = 0; k < x->nadv; k++)
		for (int i = 0; i < x->adv[k]->n; i++) {
			const char *id = x->adv[k]->ids[i];
			int dup = 0;
			for (int j = 0; j < r->nadvisories; j++)
				dup |= strcmp(r->advisories[j], id) == 0;
			if (!dup && r->nadvisories < (int)(sizeof r->advisories / sizeof r->advisories[0]))
				r->advisories[r->nadvisories++] = id;
		}
}

struct qrun *qv_check(struct qv *v, const uint8_t *raw, size_t len, struct qv_result *r, char *err, size_t errlen)
{
	struct qrun *x = xcalloc(1, sizeof *x);
	int bad;
	x->v = v;
	x->raw = raw;
	x->len = len;
	if (tdx_parse(raw, len, &x->q, err, errlen) || (x->pe = pck_for(x, &bad, err, errlen), bad)) {
		free(x); /* a malformed quote, or certification data that does not parse */
		return NULL;
	}
	v->st.quotes++;
	x->td = tdx_is_td(&x->q);
	x->body = x->q.body;
	x->tee = x->td ? x->body + TD_TEE_TCB_SVN : NULL;
	x->module_ok = !x->td;
	run_checks(x);
	result(x);
	*r = x->r;
	return x;
}

void qv_write(const struct qrun *x, const struct qv_extra *e, int pretty, struct buf *out)
{
	verdict_write(x, &x->r, e, pretty, out);
}

void qv_end(struct qrun *x)
{
	if (!x)
		return;
	if (x->owned)
		pck_entry_free(x->pe);
	free(x);
}
