/* The verdict of one quote as canonical JSON (sorted keys, written in that
 * order with lib/jw.h; the keys are a contract: see the README). */
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/der.h"
#include "lib/jw.h"
#include "lib/sha.h"
#include "qv.h"

static void utc(struct jw *w, long long t)
{
	char s[32];
	if (t < 0) {
		jw_null(w);
		return;
	}
	format_utc(t, s);
	jw_str(w, s);
}

static void ids(struct jw *w, const char *const *id, int n)
{
	jw_arr(w);
	for (int i = 0; i < n; i++)
		jw_str(w, id[i]);
	jw_end_arr(w);
}

static void advisories(struct jw *w, const struct advisories *a)
{
	ids(w, a ? (const char *const *)a->ids : NULL, a ? a->n : 0);
}

static void components(struct jw *w, const int *c)
{
	jw_arr(w);
	for (int i = 0; i < 16; i++)
		jw_int(w, c[i]);
	jw_end_arr(w);
}

static void checks(struct jw *w, const struct qrun *x)
{
	static const char *const rn[] = {"pass", "fail", "skip"};
	jw_arr(w);
	for (int i = 0; i < x->n; i++) {
		jw_obj(w);
		jw_key(w, "detail"); jw_str(w, x->ck[i].detail);
		jw_key(w, "name"); jw_str(w, x->ck[i].name);
		jw_key(w, "result"); jw_str(w, rn[x->ck[i].r]);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

/* The collateral's window, widened by the quote's PCK chain. */
static void window(struct jw *w, const struct qrun *x)
{
	const struct collateral *c = x->v->c;
	struct window win = x->v->win;
	for (int i = 0; x->pe && i < x->pe->chain.n; i++) {
		long long nb = x->pe->chain.c[i].s.not_before, na = x->pe->chain.c[i].s.not_after;
		if (win.issue_min < 0 || nb < win.issue_min)
			win.issue_min = nb;
		if (nb > win.issue_max)
			win.issue_max = nb;
		if (win.expire_min < 0 || na < win.expire_min)
			win.expire_min = na;
	}
	jw_obj(w);
	jw_key(w, "earliest_expiration_date"); utc(w, win.expire_min);
	jw_key(w, "earliest_issue_date"); utc(w, win.issue_min);
	jw_key(w, "latest_issue_date"); utc(w, win.issue_max);
	jw_key(w, "qe_identity_issue_date"); utc(w, c->qi.issue_date);
	jw_key(w, "qe_identity_next_update"); utc(w, c->qi.next_update);
	jw_key(w, "tcb_evaluation_data_number"); jw_int(w, c->ti.eval_num < c->qi.eval_num ? c->ti.eval_num : c->qi.eval_num);
	jw_key(w, "tcb_info_issue_date"); utc(w, c->ti.issue_date);
	jw_key(w, "tcb_info_next_update"); utc(w, c->ti.next_update);
	jw_end_obj(w);
}

static void measurements(struct jw *w, const struct qrun *x)
{
	const uint8_t *b = x->body;
	jw_obj(w);
	if (x->td) {
		jw_key(w, "mr_td"); jw_hex(w, b + TD_MR_TD, 48);
		jw_key(w, "report_data"); jw_hex(w, b + TD_REPORT_DATA, 64);
		jw_key(w, "rt_mr0"); jw_hex(w, b + TD_RT_MR0, 48);
		jw_key(w, "rt_mr1"); jw_hex(w, b + TD_RT_MR1, 48);
		jw_key(w, "rt_mr2"); jw_hex(w, b + TD_RT_MR2, 48);
		jw_key(w, "rt_mr3"); jw_hex(w, b + TD_RT_MR3, 48);
	} else {
		jw_key(w, "isv_prod_id"); jw_int(w, le16(b + ER_ISV_PROD_ID));
		jw_key(w, "isv_svn"); jw_int(w, le16(b + ER_ISV_SVN));
		jw_key(w, "mr_enclave"); jw_hex(w, b + ER_MR_ENCLAVE, 32);
		jw_key(w, "mr_signer"); jw_hex(w, b + ER_MR_SIGNER, 32);
		jw_key(w, "report_data"); jw_hex(w, b + ER_REPORT_DATA, 64);
	}
	jw_end_obj(w);
}

static void pck(struct jw *w, const struct qrun *x)
{
	const struct pck_ext *e = x->ext;
	char *issuer = der_name_text(x->leaf->s.issuer);
	const char *ca = pck_ca_type_name(issuer);
	jw_obj(w);
	jw_key(w, "ca");
	if (ca)
		jw_str(w, ca);
	else
		jw_null(w);
	jw_key(w, "cpu_svn"); jw_hex(w, e->cpusvn, 16);
	jw_key(w, "fmspc"); jw_hex(w, e->fmspc, 6);
	jw_key(w, "pce_id"); jw_hex(w, e->pceid, 2);
	jw_key(w, "pce_svn"); jw_int(w, e->pcesvn);
	jw_key(w, "sgx_type");
	if (e->sgx_type >= 0)
		jw_str(w, sgx_type_name(e->sgx_type));
	else
		jw_null(w);
	jw_end_obj(w);
	free(issuer);
}

/* {advisory_ids (without repeats), status} of one matched level, or null */
static void level_status(struct jw *w, int have, enum tcb_status st, const struct advisories *a)
{
	if (!have) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "advisory_ids");
	jw_arr(w);
	for (int i = 0; i < a->n; i++) {
		int dup = 0;
		for (int k = 0; k < i; k++)
			dup |= strcmp(a->ids[k], a->ids[i]) == 0;
		if (!dup)
			jw_str(w, a->ids[i]);
	}
	jw_end_arr(w);
	jw_key(w, "status"); jw_str(w, tcb_status_name(st));
	jw_end_obj(w);
}

static void qe_level(struct jw *w, const struct isv_level *l)
{
	if (!l) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "isvsvn"); jw_int(w, l->isvsvn);
	jw_key(w, "tcb_date"); jw_str(w, l->date);
	jw_key(w, "tcb_status"); jw_str(w, tcb_status_name(l->status));
	jw_end_obj(w);
}

static void root_ca(struct jw *w, const struct qv_anchor *a)
{
	jw_obj(w);
	jw_key(w, "builtin"); jw_bool(w, a->builtin);
	jw_key(w, "sha256"); jw_hex(w, a->sha256, 32);
	jw_key(w, "subject"); jw_str(w, a->subject);
	jw_end_obj(w);
}

static void gate(struct jw *w, const struct qv_extra *e)
{
	jw_obj(w);
	jw_key(w, "allowed"); ids(w, e->allowed, e->nallowed);
	jw_key(w, "decision"); jw_str(w, e->decision);
	jw_end_obj(w);
}

static void platform_level(struct jw *w, const struct tcb_level *l)
{
	if (!l) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "advisory_ids"); advisories(w, &l->adv);
	jw_key(w, "index"); jw_int(w, l->index);
	jw_key(w, "pce_svn"); jw_int(w, l->pcesvn);
	jw_key(w, "sgx_components"); components(w, l->sgx);
	jw_key(w, "tcb_date"); jw_str(w, l->date);
	jw_key(w, "tcb_status"); jw_str(w, tcb_status_name(l->status));
	if (l->has_tdx) {
		jw_key(w, "tdx_components");
		components(w, l->tdx);
	}
	jw_end_obj(w);
}

static void module(struct jw *w, const struct qrun *x)
{
	const struct isv_level *ml = x->mod_level;
	if (!x->td) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_key(w, "advisory_ids"); advisories(w, ml ? &ml->adv : NULL);
	jw_key(w, "identity");
	if (x->mod)
		jw_str(w, x->mod->id);
	else
		jw_null(w);
	jw_key(w, "isvsvn"); jw_int(w, x->tee[0]);
	jw_key(w, "mr_signer_seam"); jw_hex(w, x->body + TD_MR_SIGNER_SEAM, 48);
	jw_key(w, "seam_attributes"); jw_hex(w, x->body + TD_SEAM_ATTRIBUTES, 8);
	jw_key(w, "status");
	if (ml)
		jw_str(w, tcb_status_name(ml->status));
	else
		jw_null(w);
	if (ml) {
		jw_key(w, "tcb_date");
		jw_str(w, ml->date);
	}
	jw_key(w, "tee_tcb_svn"); jw_hex(w, x->tee, 16);
	if (x->q.kind == BODY_TD15) {
		jw_key(w, "tee_tcb_svn2");
		jw_hex(w, x->body + TD_TEE_TCB_SVN2, 16);
	}
	jw_key(w, "version"); jw_int(w, x->tee[1]);
	jw_end_obj(w);
}

static void str_or_null(struct jw *w, const char *s)
{
	if (s)
		jw_str(w, s);
	else
		jw_null(w);
}

/* The keys up to "measurements" (and "line"), then the rest. */
static void verdict_head(struct jw *w, const struct qrun *x, const struct qv_result *r, const struct qv_extra *e)
{
	jw_key(w, "advisory_ids"); ids(w, r->advisories, r->nadvisories);
	jw_key(w, "checks"); checks(w, x);
	jw_key(w, "collateral"); window(w, x);
	jw_key(w, "error"); str_or_null(w, r->error);
	jw_key(w, "failed_check"); str_or_null(w, r->failed_check);
	char fm[13];
	if (x->ext)
		hex_encode_to(x->ext->fmspc, 6, fm);
	jw_key(w, "fmspc"); str_or_null(w, x->ext ? fm : NULL);
	if (e && e->line) {
		jw_key(w, "line");
		jw_int(w, (long long)e->line);
	}
	jw_key(w, "measurements"); measurements(w, x);
}

void verdict_write(const struct qrun *x, const struct qv_result *r, const struct qv_extra *e, int pretty,
		   struct buf *out)
{
	const struct qv *v = x->v;
	struct jw w_, *w = &w_;
	char t[32];
	uint8_t md[32];
	jw_init(w, out, pretty);
	jw_obj(w);
	verdict_head(w, x, r, e);
	format_utc(v->o.now, t);
	jw_key(w, "now"); jw_str(w, t);
	jw_key(w, "pck");
	if (x->ext)
		pck(w, x);
	else
		jw_null(w);
	jw_key(w, "platform_status"); level_status(w, x->plevel != NULL, x->plevel ? x->plevel->status : 0, x->plevel ? &x->plevel->adv : NULL);
	jw_key(w, "ppid");
	if (x->ext && x->ext->has_ppid)
		jw_hex(w, x->ext->ppid, 16);
	else
		jw_null(w);
	jw_key(w, "qe_status"); level_status(w, x->qe_level != NULL, x->qe_level ? x->qe_level->status : 0, x->qe_level ? &x->qe_level->adv : NULL);
	jw_key(w, "qe_tcb_level"); qe_level(w, x->qe_level);
	sha256(x->raw, x->len, md);
	jw_key(w, "quote_sha256"); jw_hex(w, md, 32);
	jw_key(w, "quote_version"); jw_int(w, x->q.version);
	jw_key(w, "report_type"); jw_str(w, body_kind_name(x->q.kind));
	jw_key(w, "root_ca"); root_ca(w, v->a);
	jw_key(w, "rules"); jw_str(w, v->o.intel_rules ? "intel" : "dcap-qvl");
	jw_key(w, "status"); str_or_null(w, r->status);
	if (e && e->decision) {
		jw_key(w, "tcb_gate");
		gate(w, e);
	}
	jw_key(w, "tcb_level"); platform_level(w, x->plevel);
	jw_key(w, "tdx_module_status"); module(w, x);
	jw_key(w, "verified"); jw_bool(w, r->verified);
	jw_end_obj(w);
	jw_done(w);
}
