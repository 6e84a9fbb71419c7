/* The TCB checks of a quote: the platform's TCB level, the TDX module's
 * identity and level, and the merged TCB status, by dcap-qvl's rules or by
 * Intel QVL's (--intel-rules); see the README's table of the differences. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/codec.h"
#include "qv.h"

/* Why a platform TCB level does not apply; "" when it does. tdx: compare the
 * TDX components from index tdx_from on too. */
static void level_shortfall(const struct qrun *x, const struct tcb_level *l, int tdx, int tdx_from, char *out,
			    size_t n)
{
	const struct pck_ext *e = x->ext;
	int use_comp = x->v->o.intel_rules;
	out[0] = 0;
	if (e->pcesvn < l->pcesvn) {
		snprintf(out, n, "PCESVN %d < %d", e->pcesvn, l->pcesvn);
		return;
	}
	for (int i = 0; i < 16; i++) {
		int have = use_comp ? e->comp[i] : e->cpusvn[i];
		if (have < l->sgx[i]) {
			snprintf(out, n, "SGX component %d is %d < %d", i + 1, have, l->sgx[i]);
			return;
		}
	}
	if (!tdx)
		return;
	if (!l->has_tdx) {
		snprintf(out, n, "no TDX components");
		return;
	}
	for (int i = tdx_from; i < 16; i++)
		if (x->tee[i] < l->tdx[i]) {
			snprintf(out, n, "TEE_TCB_SVN[%d] is %d < %d", i, x->tee[i], l->tdx[i]);
			return;
		}
}

/* Walk the levels highest first: the first whose SGX components, PCESVN
 * (and TDX components) the platform reaches. dcap-qvl stops at a matching
 * SGX level without TDX components (*no_tdx). why collects each refusal. */
static void match_level(struct qrun *x, const struct tcb_level **no_tdx, char *why, size_t wn)
{
	const struct tcb_info *ti = &x->v->c->ti;
	int tdx_from = x->v->o.intel_rules && x->td && x->tee[1] > 0 ? 2 : 0;
	size_t used = 0;
	char one[120];
	why[0] = 0;
	for (int i = 0; i < ti->nlevels && !x->plevel; i++) {
		const struct tcb_level *l = &ti->levels[i];
		level_shortfall(x, l, 0, 0, one, sizeof one);
		if (!one[0] && !x->sgx_level)
			x->sgx_level = l;
		if (!one[0] && x->td && !l->has_tdx) {
			*no_tdx = l;
			return;
		}
		if (!one[0] && x->td)
			level_shortfall(x, l, 1, tdx_from, one, sizeof one);
		if (!one[0])
			x->plevel = l;
		else if (used + 1 < wn)
			used += (size_t)snprintf(why + used, wn - used, "%slevel %d (%s, %s): %s", used ? "; " : "",
						 l->index + 1, tcb_status_name(l->status), l->date, one);
	}
}

void ck_platform_tcb_level(struct qrun *x, struct check *c)
{
	const struct tcb_info *ti = &x->v->c->ti;
	const struct tcb_level *no_tdx = NULL, *l;
	char why[1500];
	match_level(x, &no_tdx, why, sizeof why);
	if ((l = no_tdx))
		ck_fail(c, "No TDX components in the TCB info", "level %d (%s, %s) has no tdxtcbcomponents", l->index + 1,
			tcb_status_name(l->status), l->date);
	else if ((l = x->plevel))
		ck_pass(c, "level %d of %d (%s, tcbDate %s, PCESVN >= %d)%s", l->index + 1, ti->nlevels,
			tcb_status_name(l->status), l->date, l->pcesvn,
			x->v->o.intel_rules && x->td && x->tee[1] > 0
				? "; TEE_TCB_SVN[0..1] judged by the module identity (Intel rules)"
				: "");
	else if (ti->nlevels == 0)
		ck_fail(c, "No matching TCB level found", "the TCB info lists no TCB level");
	else
		ck_fail(c, "No matching TCB level found", "%s", why);
}

static const struct module_identity *find_module(const struct tcb_info *ti, int version)
{
	char id[16];
	snprintf(id, sizeof id, "TDX_%02X", version);
	for (int i = 0; i < ti->nmodules; i++)
		if (strcasecmp(ti->modules[i].id, id) == 0)
			return &ti->modules[i];
	return NULL;
}

/* MRSIGNERSEAM and SEAMATTRIBUTES against the module identity or tdxModule. */
static void module_match(struct qrun *x, struct check *c, const char *idname)
{
	const struct tcb_info *ti = &x->v->c->ti;
	const struct module_identity *mod = x->mod;
	const uint8_t *mrs = mod ? mod->mrsigner : ti->module_mrsigner;
	const uint8_t *attr = mod ? mod->attributes : ti->module_attributes;
	const uint8_t *mask = mod ? mod->attributes_mask : ti->module_attributes_mask;
	const uint8_t *seam = x->body + TD_SEAM_ATTRIBUTES;
	const char *what = mod ? idname : "tdxModule";
	int attr_bad = 0, nonzero = 0;
	for (int i = 0; i < 8; i++) {
		attr_bad |= (seam[i] & mask[i]) != (attr[i] & mask[i]) || (seam[i] & ~mask[i]);
		nonzero |= seam[i] != 0;
	}
	char h[97];
	hex_encode_to(x->body + TD_MR_SIGNER_SEAM, 48, h);
	if (memcmp(x->body + TD_MR_SIGNER_SEAM, mrs, 48) != 0) {
		ck_fail(c, "TDX module MRSIGNER mismatch", "MRSIGNERSEAM %s is not the %s mrsigner", h, what);
	} else if (attr_bad) {
		ck_fail(c, "TDX module attributes mismatch", "SEAMATTRIBUTES differ from the %s attributes under its mask",
			what);
	} else if (x->v->o.intel_rules && nonzero) {
		ck_fail(c, "TDX module attributes mismatch", "SEAMATTRIBUTES are not zero (Intel rules)");
	} else {
		ck_pass(c, "MRSIGNERSEAM and SEAMATTRIBUTES match %s (module version %d, ISVSVN %d)", what, x->tee[1],
			x->tee[0]);
		x->module_ok = 1;
	}
}

void ck_tdx_module_identity(struct qrun *x, struct check *c)
{
	const struct tcb_info *ti = &x->v->c->ti;
	char idname[16];
	snprintf(idname, sizeof idname, "TDX_%02X", x->tee[1]);
	int need_identity = x->tee[1] > 0 && (x->v->o.intel_rules || ti->nmodules > 0);
	if (need_identity && !(x->mod = find_module(ti, x->tee[1]))) {
		char e[120];
		snprintf(e, sizeof e, "TDX module identity %s not found in TCB info", idname);
		ck_fail(c, e, "TEE_TCB_SVN[1] = %d names module identity %s, absent from tdxModuleIdentities", x->tee[1],
			idname);
	} else if (!x->mod && !ti->has_module) {
		ck_fail(c, "TDX module identity missing from TCB info", "the TCB info has no tdxModule");
	} else {
		module_match(x, c, idname);
	}
}

void ck_tdx_module_tcb_level(struct qrun *x, struct check *c)
{
	const struct module_identity *mod = x->mod;
	const uint8_t *tee = x->tee;
	if (!mod) {
		ck_skip(c, "module version %d: no module identity applies (the TDX components of the platform level judge it)",
			tee[1]);
		return;
	}
	for (int i = 0; i < mod->nlevels && !x->mod_level; i++)
		if (tee[0] >= mod->levels[i].isvsvn)
			x->mod_level = &mod->levels[i];
	if (x->mod_level) {
		ck_pass(c, "module ISVSVN %d matches %s level ISVSVN >= %d (%s, tcbDate %s)", tee[0], mod->id,
			x->mod_level->isvsvn, tcb_status_name(x->mod_level->status), x->mod_level->date);
	} else {
		char e[200];
		snprintf(e, sizeof e, "TDX module ISVSVN %d is below every TCB level of %s", tee[0], mod->id);
		ck_fail(c, e, "no %s TCB level has ISVSVN <= %d", mod->id, tee[0]);
	}
}

static enum tcb_status worst(enum tcb_status a, enum tcb_status b) { return a > b ? a : b; }

/* Intel QVL: TcbLevelCheck.cpp convergeTcbStatusWithQeTcbStatus / TdxModuleCheck.cpp. */
static enum tcb_status converge_intel(enum tcb_status platform, enum tcb_status other)
{
	if (other == TCB_OUT_OF_DATE || other == TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) {
		if (platform == TCB_UP_TO_DATE || platform == TCB_SW_HARDENING_NEEDED)
			return TCB_OUT_OF_DATE;
		if (platform == TCB_CONFIGURATION_NEEDED || platform == TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
			return TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	}
	if (other == TCB_REVOKED)
		return TCB_REVOKED;
	return platform;
}

static int config_needed(enum tcb_status s)
{
	return s == TCB_CONFIGURATION_NEEDED || s == TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
	       s == TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED || s == TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/* TDRelaunchCheck.cpp: a TD 1.5 running an OutOfDate module whose updated
 * module (TEE_TCB_SVN2) is already at the latest level is advised to relaunch. */
static enum tcb_status relaunch_intel(const struct qrun *x, enum tcb_status tdx_status, enum tcb_status ms)
{
	const struct tcb_info *ti = &x->v->c->ti;
	const struct tcb_level *sgx = x->sgx_level;
	enum tcb_status qe = x->qe_level->status;
	if (tdx_status == TCB_REVOKED || x->q.kind != BODY_TD15 || !sgx || qe == TCB_OUT_OF_DATE || qe == TCB_REVOKED ||
	    sgx->status > TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
	    (tdx_status != TCB_OUT_OF_DATE && tdx_status != TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) ||
	    ms != TCB_OUT_OF_DATE || ti->nlevels == 0)
		return tdx_status;
	const uint8_t *svn2 = x->body + TD_TEE_TCB_SVN2;
	const struct tcb_level *latest = &ti->levels[0];
	int relaunch;
	if (svn2[1] == 0) {
		relaunch = latest->has_tdx && svn2[0] >= latest->tdx[0] && svn2[2] >= latest->tdx[2];
	} else {
		const struct module_identity *m2 = find_module(ti, svn2[1]);
		relaunch = m2 && m2->nlevels > 0 && latest->has_tdx && svn2[0] >= m2->levels[0].isvsvn &&
			   svn2[2] >= latest->tdx[2];
	}
	if (!relaunch)
		return tdx_status;
	return config_needed(sgx->status) || config_needed(tdx_status) ? TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
								     : TCB_TD_RELAUNCH_ADVISED;
}

static enum tcb_status merge(struct qrun *x, const char **how)
{
	const struct tcb_level *p = x->plevel;
	enum tcb_status qe = x->qe_level->status;
	if (!x->v->o.intel_rules) {
		*how = "the worst of platform, TDX module and QE statuses (dcap-qvl)";
		enum tcb_status s = p->status;
		if (x->mod_level)
			s = worst(s, x->mod_level->status);
		return worst(s, qe);
	}
	*how = "Intel's convergence of platform, TDX module and QE statuses";
	enum tcb_status tdx_status = p->status;
	if (x->td) {
		enum tcb_status ms = x->mod_level ? x->mod_level->status : TCB_UP_TO_DATE;
		tdx_status = relaunch_intel(x, converge_intel(p->status, ms), ms);
	}
	return tdx_status == TCB_REVOKED ? TCB_REVOKED : converge_intel(tdx_status, qe);
}

void ck_tcb_status(struct qrun *x, struct check *c)
{
	if (!x->plevel || !x->qe_level || !x->module_ok || (x->mod && !x->mod_level)) {
		ck_skip(c, "not evaluated: %s", !x->plevel      ? "no platform TCB level matched"
						: !x->qe_level ? "no QE TCB level matched"
							       : "the TDX module does not match the TCB info");
		return;
	}
	x->adv[x->nadv++] = &x->plevel->adv;
	if (x->mod_level)
		x->adv[x->nadv++] = &x->mod_level->adv;
	x->adv[x->nadv++] = &x->qe_level->adv;
	const char *how;
	x->final = merge(x, &how);
	x->have_status = 1;
	if (x->final == TCB_REVOKED) {
		char e[80];
		snprintf(e, sizeof e, "TCB status is invalid: %s", tcb_status_name(x->final));
		ck_fail(c, e, "%s is Revoked", how);
	} else {
		ck_pass(c, "%s: %s", how, tcb_status_name(x->final));
	}
}
