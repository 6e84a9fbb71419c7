/* The checks of a quote, one function each, as the table in verify.c orders
 * them: the quote's header, the QE and its report, the PCK chain, the quote
 * signature, the platform's identity against the TCB info, then the TD's
 * attributes and report data (the TCB levels are in tcb.c). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/codec.h"
#include "lib/ecdsa.h"
#include "lib/sha.h"
#include "qv.h"

void ck_quote_header(struct qrun *x, struct check *c)
{
	const struct tdx_quote *q = &x->q;
	if (q->tee_type == TEE_TYPE_SGX && q->version != 3)
		ck_fail(c, "SGX TEE quote must have version 3", "SGX quote of version %u", q->version);
	else if (q->tee_type == TEE_TYPE_TDX && q->version != 4 && q->version != 5)
		ck_fail(c, "TDX TEE quote must have version 4 or 5", "TDX quote of version %u", q->version);
	else
		ck_pass(c, "version %u, %s, %s body, attestation key type 2 (ECDSA P-256)", q->version,
			q->tee_type == TEE_TYPE_TDX ? "TDX" : "SGX", body_kind_name(q->kind));
}

void ck_qe_vendor_id(struct qrun *x, struct check *c)
{
	char h[33];
	hex_encode_to(x->raw + 12, 16, h);
	if (memcmp(x->raw + 12, INTEL_QE_VENDOR_ID, 16) != 0)
		ck_fail(c, "Unknown QE vendor ID", "QE vendor ID %s is not Intel's 939a7233f79c4ca9940a0db3957f0607", h);
	else
		ck_pass(c, "Intel QE %s", h);
}

void ck_qe_identity_type(struct qrun *x, struct check *c)
{
	const struct qe_identity *qi = &x->v->c->qi;
	const char *want = x->td ? "TD_QE" : "QE";
	int vok = x->td ? (qi->version == 2 || qi->version == 3) : qi->version == 2;
	if (strcmp(qi->id, want) != 0 || !vok) {
		char e[200];
		snprintf(e, sizeof e,
			 "Unsupported QE Identity id/version for the quote TEE type: %s version %d (expected %s version %s)",
			 qi->id, qi->version, want, x->td ? "[2, 3]" : "[2]");
		ck_fail(c, e, "QE identity %s version %d for a %s quote", qi->id, qi->version, x->td ? "TDX" : "SGX");
	} else {
		ck_pass(c, "%s version %d", qi->id, qi->version);
	}
}

void ck_pck_chain(struct qrun *x, struct check *c)
{
	struct qv *v = x->v;
	struct pck_entry *pe = x->pe;
	char cns[700];
	if (!pe) {
		char e[200];
		snprintf(e, sizeof e, "Unsupported DCAP PCK cert format: %u", x->q.cert_type);
		ck_fail(c, e, "certification data type %u carries no PCK certificate chain and the collateral has no "
			"pck_certificate_chain", x->q.cert_type);
		return;
	}
	chain_cns(&pe->chain, cns, sizeof cns);
	if (pe->chain.n < 2) {
		ck_fail(c, "Certificate chain is too short in quote", "%d certificate(s): %s", pe->chain.n, cns);
		return;
	}
	if (pe->verified < 0)
		pe->verified = chain_verify(&v->cv, pe->chain.c, pe->chain.n, pe->verr, sizeof pe->verr, pe->vnote,
					    sizeof pe->vnote);
	if (!pe->verified) {
		ck_fail(c, pe->verr, "%s: %s", cns, pe->verr);
	} else if (!pe->ext_ok) {
		ck_fail(c, pe->ext_err, "%s", pe->ext_err);
	} else {
		ck_pass(c, "%s%s; revocation checked against the PCK CRL and the root CA CRL%s%s", cns,
			pe == v->coll_pck ? " (from the collateral)" : "", pe->vnote[0] ? "; " : "", pe->vnote);
		x->leaf = &pe->chain.c[0];
		x->ext = &pe->ext;
	}
}

void ck_qe_report_signature(struct qrun *x, struct check *c)
{
	if (qv_qe_signature_ok(x))
		ck_pass(c, "the QE report is signed by the PCK leaf key");
	else
		ck_fail(c, "Signature is invalid for qe_report in quote",
			"the signature over the 384-byte QE report does not verify with the PCK leaf key");
}

void ck_qe_report_data(struct qrun *x, struct check *c)
{
	const struct tdx_quote *q = &x->q;
	/* dcap-qvl requires 32 bytes of QE authentication data; Intel hashes whatever there is */
	if (q->qe_auth_len != 32 && !x->v->o.intel_rules) {
		ck_fail(c, "Invalid QE auth data length", "QE authentication data is %u bytes, 32 expected", q->qe_auth_len);
		return;
	}
	uint8_t *buf = xmalloc(64 + (size_t)q->qe_auth_len), md[32];
	memcpy(buf, q->att_key, 64);
	memcpy(buf + 64, q->qe_auth, q->qe_auth_len);
	sha256(buf, 64 + (size_t)q->qe_auth_len, md);
	free(buf);
	if (CRYPTO_memcmp(md, q->qe_report + ER_REPORT_DATA, 32) != 0)
		ck_fail(c, "QE report hash mismatch",
			"SHA-256(attestation key || QE authentication data) differs from the QE report data");
	else
		ck_pass(c, "QE report data binds the attestation key and the %u bytes of QE authentication data",
			q->qe_auth_len);
}

static void hexup(const uint8_t *p, size_t n, char *out)
{
	static const char h[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = 0;
}

void ck_qe_identity_policy(struct qrun *x, struct check *c)
{
	const struct qe_identity *qi = &x->v->c->qi;
	const uint8_t *qr = x->q.qe_report;
	char want[80], got[80], e[300];
	uint32_t misc = le32(qr + ER_MISC_SELECT), m_want = le32(qi->miscselect), m_mask = le32(qi->miscselect_mask);
	int bad_attr = -1;
	for (int i = 0; i < 16 && bad_attr < 0; i++)
		if ((qr[ER_ATTRIBUTES + i] & qi->attributes_mask[i]) != (qi->attributes[i] & qi->attributes_mask[i]))
			bad_attr = i;
	if (memcmp(qr + ER_MR_SIGNER, qi->mrsigner, 32) != 0) {
		hexup(qi->mrsigner, 32, want);
		hexup(qr + ER_MR_SIGNER, 32, got);
		snprintf(e, sizeof e, "QE MRSIGNER mismatch: expected %s, got %s", want, got);
		ck_fail(c, e, "the QE report's MRSIGNER is not the QE identity's");
	} else if (qr[ER_ATTRIBUTES] & 0x02) {
		ck_fail(c, "QE report validation failed", "Debug mode is enabled in the QE report");
	} else if (le16(qr + ER_ISV_PROD_ID) != qi->isvprodid) {
		snprintf(e, sizeof e, "QE ISVPRODID mismatch: expected %d, got %u", qi->isvprodid, le16(qr + ER_ISV_PROD_ID));
		ck_fail(c, e, "the QE report's ISVPRODID is not the QE identity's");
	} else if ((misc & m_mask) != (m_want & m_mask)) {
		snprintf(e, sizeof e, "QE MISCSELECT mismatch: expected %08X (masked), got %08X (masked)", m_want & m_mask,
			 misc & m_mask);
		ck_fail(c, e, "MISCSELECT differs under the mask");
	} else if (bad_attr >= 0) {
		snprintf(e, sizeof e, "QE ATTRIBUTES mismatch at byte %d: expected %02X (masked), got %02X (masked)",
			 bad_attr, qi->attributes[bad_attr] & qi->attributes_mask[bad_attr],
			 qr[ER_ATTRIBUTES + bad_attr] & qi->attributes_mask[bad_attr]);
		ck_fail(c, e, "ATTRIBUTES differ under the mask");
	} else {
		hexup(qi->mrsigner, 32, want);
		ck_pass(c, "MRSIGNER %s, ISVPRODID %d, MISCSELECT and ATTRIBUTES match under their masks, not debug", want,
			qi->isvprodid);
	}
}

void ck_qe_tcb_level(struct qrun *x, struct check *c)
{
	const struct qe_identity *qi = &x->v->c->qi;
	int svn = le16(x->q.qe_report + ER_ISV_SVN);
	for (int i = 0; i < qi->nlevels && !x->qe_level; i++)
		if (svn >= qi->levels[i].isvsvn)
			x->qe_level = &qi->levels[i];
	if (x->qe_level) {
		ck_pass(c, "QE ISVSVN %d matches the level ISVSVN >= %d (%s, tcbDate %s)", svn, x->qe_level->isvsvn,
			tcb_status_name(x->qe_level->status), x->qe_level->date);
	} else if (qi->nlevels == 0) {
		ck_fail(c, "No TCB levels found in QE Identity", "the QE identity lists no TCB level");
	} else {
		char e[200];
		snprintf(e, sizeof e, "QE ISVSVN %d is below minimum required %d from QE Identity", svn,
			 qi->levels[qi->nlevels - 1].isvsvn);
		ck_fail(c, e, "no QE identity TCB level has ISVSVN <= %d", svn);
	}
}

void ck_quote_signature(struct qrun *x, struct check *c)
{
	const struct tdx_quote *q = &x->q;
	EVP_PKEY *ak = qv_attestation_key(x->v, q->att_key);
	x->v->st.ecdsa++;
	if (!ak)
		ck_fail(c, "ISV enclave report signature is invalid", "the attestation key is not a P-256 point");
	else if (ecdsa_verify_raw(ak, x->raw, q->signed_len, q->sig) != 1)
		ck_fail(c, "ISV enclave report signature is invalid",
			"the signature over the %zu signed bytes does not verify with the attestation key", q->signed_len);
	else
		ck_pass(c, "ECDSA P-256 signature over the %zu signed bytes (header and %s body) by the attestation key",
			q->signed_len, body_kind_name(q->kind));
}

void ck_fmspc(struct qrun *x, struct check *c)
{
	const struct tcb_info *ti = &x->v->c->ti;
	char cert[13], info[13];
	hex_encode_to(x->ext->fmspc, 6, cert);
	hex_encode_to(ti->fmspc, 6, info);
	if (memcmp(x->ext->fmspc, ti->fmspc, 6) != 0)
		ck_fail(c, "Fmspc mismatch", "the PCK certificate's FMSPC %s is not the TCB info's %s", cert, info);
	else
		ck_pass(c, "FMSPC %s", cert);
}

void ck_tcb_info_type(struct qrun *x, struct check *c)
{
	const struct tcb_info *ti = &x->v->c->ti;
	if (x->td && (ti->version < 3 || strcmp(ti->id, "TDX") != 0))
		ck_fail(c, "TDX quote with non-TDX TCB info in the collateral", "TCB info %s version %d", ti->id,
			ti->version);
	else if (!x->td && (ti->version < 2 || strcmp(ti->id, "SGX") != 0))
		ck_fail(c, "SGX quote with non-SGX TCB info in the collateral", "TCB info %s version %d", ti->id,
			ti->version);
	else
		ck_pass(c, "%s TCB info version %d, tcbEvaluationDataNumber %d", ti->id, ti->version, ti->eval_num);
}

void ck_pce_id(struct qrun *x, struct check *c)
{
	const struct tcb_info *ti = &x->v->c->ti;
	char a[5], b[5];
	hex_encode_to(x->ext->pceid, 2, a);
	hex_encode_to(ti->pceid, 2, b);
	if (memcmp(x->ext->pceid, ti->pceid, 2) != 0)
		ck_fail(c, "PCE ID mismatch", "the PCK certificate's PCE-ID %s is not the TCB info's %s", a, b);
	else
		ck_pass(c, "PCE-ID %s", a);
}

/* ---- the TD's attributes, the enclave's, the report data ---- */

static const char skipped[] = "skipped by --skip-td-attributes";

void ck_mr_service_td(struct qrun *x, struct check *c)
{
	int zero = 1;
	if (x->q.kind == BODY_TD15)
		for (int i = 0; i < 48; i++)
			zero &= x->body[TD_MR_SERVICE_TD + i] == 0;
	if (x->v->o.skip_td_attributes)
		ck_skip(c, "%s", skipped);
	else if (x->q.kind != BODY_TD15)
		ck_pass(c, "TD report 1.0 has no MRSERVICETD");
	else if (zero)
		ck_pass(c, "MRSERVICETD is zero");
	else if (x->v->o.allow_service_td)
		ck_pass(c, "MRSERVICETD is not zero, allowed by --allow-service-td");
	else
		ck_fail(c, "Invalid MR service TD", "MRSERVICETD is not zero (a service TD is bound to this TD)");
}

void ck_td_debug(struct qrun *x, struct check *c)
{
	uint64_t a = le64(x->body + TD_TD_ATTRIBUTES);
	if (x->v->o.skip_td_attributes)
		ck_skip(c, "%s", skipped);
	else if (!(a & 1))
		ck_pass(c, "TDATTRIBUTES.DEBUG is clear");
	else if (x->v->o.allow_debug)
		ck_pass(c, "TDATTRIBUTES.DEBUG is set, allowed by --allow-debug");
	else
		ck_fail(c, "Debug mode is enabled", "TDATTRIBUTES.DEBUG (bit 0) is set: the host can read the TD's memory");
}

void ck_td_reserved_attributes(struct qrun *x, struct check *c)
{
	uint64_t a = le64(x->body + TD_TD_ATTRIBUTES);
	/* TUD 7:1, SEC 27:8 and 29, OTHER 62:32 */
	uint64_t reserved = a & (0xfeull | 0x0fffff00ull | (1ull << 29) | 0x7fffffff00000000ull);
	if (x->v->o.skip_td_attributes)
		ck_skip(c, "%s", skipped);
	else if (reserved)
		ck_fail(c, "Reserved bits in TD attributes are set", "TDATTRIBUTES %016llx has reserved bits %016llx set",
			(unsigned long long)a, (unsigned long long)reserved);
	else
		ck_pass(c, "no reserved TDATTRIBUTES bit is set");
}

void ck_sept_ve_disable(struct qrun *x, struct check *c)
{
	uint64_t a = le64(x->body + TD_TD_ATTRIBUTES);
	if (x->v->o.skip_td_attributes)
		ck_skip(c, "%s", skipped);
	else if (a >> 28 & 1)
		ck_pass(c, "TDATTRIBUTES.SEPT_VE_DISABLE is set");
	else
		ck_fail(c, "SEPT_VE_DISABLE is not enabled",
			"TDATTRIBUTES.SEPT_VE_DISABLE (bit 28) is clear: the TD may receive #VE on EPT violations");
}

void ck_enclave_debug(struct qrun *x, struct check *c)
{
	if (!(x->body[ER_ATTRIBUTES] & 0x02))
		ck_pass(c, "ATTRIBUTES.DEBUG is clear");
	else if (x->v->o.allow_debug)
		ck_pass(c, "ATTRIBUTES.DEBUG is set, allowed by --allow-debug");
	else
		ck_fail(c, "Debug mode is enabled", "ATTRIBUTES.DEBUG (bit 1) is set");
}

void ck_report_data(struct qrun *x, struct check *c)
{
	const struct qv_options *o = &x->v->o;
	const uint8_t *rd = x->body + (x->td ? TD_REPORT_DATA : ER_REPORT_DATA);
	char want[129], got[129];
	if (!o->expect_report_data_set) {
		ck_skip(c, "no --expect-report-data given");
		return;
	}
	hex_encode_to(o->expect_report_data, o->expect_report_data_len, want);
	hex_encode_to(rd, o->expect_report_data_len, got);
	if (CRYPTO_memcmp(rd, o->expect_report_data, o->expect_report_data_len) != 0)
		ck_fail(c, "Report data mismatch", "report data starts with %s, expected %s", got, want);
	else
		ck_pass(c, "report data starts with the expected %zu bytes", o->expect_report_data_len);
}
