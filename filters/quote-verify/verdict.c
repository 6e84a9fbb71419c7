/* The verdict of one quote as JSON (the keys are a contract: see the README). */
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/der.h"
#include "lib/json.h"
#include "lib/sha.h"
#include "qv.h"

static jv jv_utc(long long t)
{
	char s[32];
	if (t < 0)
		return jv_null();
	format_utc(t, s);
	return jv_string(s);
}

static jv advisories_json(const struct advisories *a)
{
	jv ids = jv_array();
	for (int i = 0; a && i < a->n; i++)
		ids = jv_array_append(ids, jv_string(a->ids[i]));
	return ids;
}

/* {status, advisory_ids}: the IDs of the levels given, de-duplicated in order */
static jv status_json(enum tcb_status st, const struct advisories *const *adv, int nadv)
{
	jv ids = jv_array();
	for (int k = 0; k < nadv; k++)
		for (int i = 0; adv[k] && i < adv[k]->n; i++) {
			int dup = 0;
			jv_array_foreach(ids, j, id) {
				dup |= strcmp(jv_string_value(id), adv[k]->ids[i]) == 0;
				jv_free(id);
			}
			if (!dup)
				ids = jv_array_append(ids, jv_string(adv[k]->ids[i]));
		}
	jv o = jv_object();
	JSET(o, "status", jv_string(tcb_status_name(st)));
	JSET(o, "advisory_ids", ids);
	return o;
}

static jv components_json(const int *c)
{
	jv a = jv_array();
	for (int i = 0; i < 16; i++)
		a = jv_array_append(a, jv_number(c[i]));
	return a;
}

static jv checks_json(const struct qrun *x)
{
	static const char *const rn[] = {"pass", "fail", "skip"};
	jv a = jv_array();
	for (int i = 0; i < x->n; i++) {
		jv c = jv_object();
		JSET(c, "name", jv_string(x->ck[i].name));
		JSET(c, "result", jv_string(rn[x->ck[i].r]));
		JSET(c, "detail", jv_string(x->ck[i].detail));
		a = jv_array_append(a, c);
	}
	return a;
}

static jv module_json(const struct qrun *x)
{
	if (!x->td)
		return jv_null();
	jv m = jv_object();
	JSET(m, "version", jv_number(x->tee[1]));
	JSET(m, "isvsvn", jv_number(x->tee[0]));
	JSET(m, "identity", x->mod ? jv_string(x->mod->id) : jv_null());
	JSET(m, "status", x->mod_level ? jv_string(tcb_status_name(x->mod_level->status)) : jv_null());
	JSET(m, "advisory_ids", advisories_json(x->mod_level ? &x->mod_level->adv : NULL));
	if (x->mod_level)
		JSET(m, "tcb_date", jv_string(x->mod_level->date));
	JSET(m, "mr_signer_seam", jv_hex(x->body + TD_MR_SIGNER_SEAM, 48));
	JSET(m, "seam_attributes", jv_hex(x->body + TD_SEAM_ATTRIBUTES, 8));
	JSET(m, "tee_tcb_svn", jv_hex(x->tee, 16));
	if (x->q.kind == BODY_TD15)
		JSET(m, "tee_tcb_svn2", jv_hex(x->body + TD_TEE_TCB_SVN2, 16));
	return m;
}

static jv levels_json(const struct qrun *x, jv out)
{
	const struct tcb_level *p = x->plevel;
	const struct isv_level *qe = x->qe_level;
	if (p) {
		jv l = jv_object();
		JSET(l, "index", jv_number(p->index));
		JSET(l, "tcb_date", jv_string(p->date));
		JSET(l, "tcb_status", jv_string(tcb_status_name(p->status)));
		JSET(l, "advisory_ids", advisories_json(&p->adv));
		JSET(l, "sgx_components", components_json(p->sgx));
		JSET(l, "pce_svn", jv_number(p->pcesvn));
		if (p->has_tdx)
			JSET(l, "tdx_components", components_json(p->tdx));
		JSET(out, "tcb_level", l);
	} else {
		JSET(out, "tcb_level", jv_null());
	}
	if (qe) {
		jv l = jv_object();
		JSET(l, "isvsvn", jv_number(qe->isvsvn));
		JSET(l, "tcb_date", jv_string(qe->date));
		JSET(l, "tcb_status", jv_string(tcb_status_name(qe->status)));
		JSET(out, "qe_tcb_level", l);
	} else {
		JSET(out, "qe_tcb_level", jv_null());
	}
	const struct advisories *pa[1] = {p ? &p->adv : NULL}, *qa[1] = {qe ? &qe->adv : NULL};
	JSET(out, "platform_status", p ? status_json(p->status, pa, 1) : jv_null());
	JSET(out, "qe_status", qe ? status_json(qe->status, qa, 1) : jv_null());
	return out;
}

static jv measurements_json(const struct qrun *x)
{
	const uint8_t *b = x->body;
	jv m = jv_object();
	if (x->td) {
		JSET(m, "mr_td", jv_hex(b + TD_MR_TD, 48));
		JSET(m, "rt_mr0", jv_hex(b + TD_RT_MR0, 48));
		JSET(m, "rt_mr1", jv_hex(b + TD_RT_MR1, 48));
		JSET(m, "rt_mr2", jv_hex(b + TD_RT_MR2, 48));
		JSET(m, "rt_mr3", jv_hex(b + TD_RT_MR3, 48));
		JSET(m, "report_data", jv_hex(b + TD_REPORT_DATA, 64));
	} else {
		JSET(m, "mr_enclave", jv_hex(b + ER_MR_ENCLAVE, 32));
		JSET(m, "mr_signer", jv_hex(b + ER_MR_SIGNER, 32));
		JSET(m, "isv_prod_id", jv_number(le16(b + ER_ISV_PROD_ID)));
		JSET(m, "isv_svn", jv_number(le16(b + ER_ISV_SVN)));
		JSET(m, "report_data", jv_hex(b + ER_REPORT_DATA, 64));
	}
	return m;
}

static jv pck_json(const struct qrun *x, jv out)
{
	const struct pck_ext *e = x->ext;
	char fm[13];
	if (!e) {
		JSET(out, "fmspc", jv_null());
		JSET(out, "ppid", jv_null());
		JSET(out, "pck", jv_null());
		return out;
	}
	hex_encode_to(e->fmspc, 6, fm);
	JSET(out, "fmspc", jv_string(fm));
	JSET(out, "ppid", e->has_ppid ? jv_hex(e->ppid, 16) : jv_null());
	char *issuer = der_name_text(x->leaf->s.issuer);
	const char *ca = pck_ca_type_name(issuer);
	jv p = jv_object();
	JSET(p, "fmspc", jv_string(fm));
	JSET(p, "pce_id", jv_hex(e->pceid, 2));
	JSET(p, "pce_svn", jv_number(e->pcesvn));
	JSET(p, "cpu_svn", jv_hex(e->cpusvn, 16));
	JSET(p, "ca", ca ? jv_string(ca) : jv_null());
	JSET(p, "sgx_type", e->sgx_type >= 0 ? jv_string(sgx_type_name(e->sgx_type)) : jv_null());
	JSET(out, "pck", p);
	free(issuer);
	return out;
}

/* The collateral's window, widened by the quote's PCK chain. */
static jv window_json(const struct qrun *x)
{
	const struct collateral *c = x->v->c;
	struct window w = x->v->win;
	for (int i = 0; x->pe && i < x->pe->chain.n; i++) {
		long long nb = x->pe->chain.c[i].s.not_before, na = x->pe->chain.c[i].s.not_after;
		if (w.issue_min < 0 || nb < w.issue_min)
			w.issue_min = nb;
		if (nb > w.issue_max)
			w.issue_max = nb;
		if (w.expire_min < 0 || na < w.expire_min)
			w.expire_min = na;
	}
	jv o = jv_object();
	JSET(o, "earliest_issue_date", jv_utc(w.issue_min));
	JSET(o, "latest_issue_date", jv_utc(w.issue_max));
	JSET(o, "earliest_expiration_date", jv_utc(w.expire_min));
	JSET(o, "tcb_info_issue_date", jv_utc(c->ti.issue_date));
	JSET(o, "tcb_info_next_update", jv_utc(c->ti.next_update));
	JSET(o, "qe_identity_issue_date", jv_utc(c->qi.issue_date));
	JSET(o, "qe_identity_next_update", jv_utc(c->qi.next_update));
	JSET(o, "tcb_evaluation_data_number",
	     jv_number(c->ti.eval_num < c->qi.eval_num ? c->ti.eval_num : c->qi.eval_num));
	return o;
}

static jv outcome_json(const struct qrun *x, jv out)
{
	const struct check *first = NULL;
	for (int i = 0; i < x->n && !first; i++)
		if (x->ck[i].r == R_FAIL)
			first = &x->ck[i];
	JSET(out, "verified", jv_bool(!first));
	JSET(out, "failed_check", first ? jv_string(first->name) : jv_null());
	JSET(out, "error", first ? jv_string(first->error) : jv_null());
	if (x->have_status) {
		jv s = status_json(x->final, x->adv, x->nadv);
		JSET(out, "status", jv_string(tcb_status_name(x->final)));
		JSET(out, "advisory_ids", jv_object_get(s, jv_string("advisory_ids")));
	} else {
		JSET(out, "status", jv_null());
		JSET(out, "advisory_ids", jv_array());
	}
	return out;
}

jv verdict_json(const struct qrun *x)
{
	const struct qv *v = x->v;
	jv out = outcome_json(x, jv_object());
	JSET(out, "checks", checks_json(x));
	out = levels_json(x, out);
	JSET(out, "tdx_module_status", module_json(x));
	JSET(out, "measurements", measurements_json(x));
	uint8_t md[32];
	sha256(x->raw, x->len, md);
	JSET(out, "quote_sha256", jv_hex(md, 32));
	jv rc = jv_object();
	JSET(rc, "subject", jv_string(v->a->subject));
	JSET(rc, "sha256", jv_hex(v->a->sha256, 32));
	JSET(rc, "builtin", jv_bool(v->a->builtin));
	JSET(out, "root_ca", rc);
	out = pck_json(x, out);
	JSET(out, "collateral", window_json(x));
	char t[32];
	format_utc(v->o.now, t);
	JSET(out, "now", jv_string(t));
	JSET(out, "rules", jv_string(v->o.intel_rules ? "intel" : "dcap-qvl"));
	JSET(out, "quote_version", jv_number(x->q.version));
	JSET(out, "report_type", jv_string(body_kind_name(x->q.kind)));
	return out;
}
