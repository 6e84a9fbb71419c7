#!/usr/bin/env python3
"""testca.py: a small TEST stand-in for Intel's provisioning PKI, built with the
openssl CLI at test time (python3 has no crypto module here), to make DCAP
quotes and collateral that only a verifier anchored at this test root accepts.

  testca.py init DIR              root CA, "PCK Platform CA", TCB signing cert
  testca.py make DIR SPEC OUTDIR  OUTDIR/quote.bin and OUTDIR/collateral.json

The root is DIR/root.pem (and root.der). Certificates are valid 2024-01-01 to
2034-01-01; TCB info, QE identity and CRLs by default 2025-01-01 to
2025-02-01, so tests verify at 2025-01-15 (1736899200). Everything is fixed
but the ECDSA signatures.

SPEC is a JSON object; every key is optional (defaults in DEFAULT below):
  pck:    {fmspc, cpusvn (16 SVNs), pcesvn, pceid}   the PCK leaf's SGX extension
  quote:  {version 4|5, body "td10"|"td15", tee_tcb_svn, tee_tcb_svn2,
           td_attributes, seam_attributes, mr_signer_seam, mr_service_td,
           report_data, qe_isvsvn, qe_vendor_id, tee_type}   (hex strings)
  tcb_levels: [{sgx: [16], pcesvn, tdx: [16], status, advisories: [...]}]
  tdx_module: {mrsigner, attributes, attributesMask}
  module_identities: [{id, mrsigner?, levels: [{isvsvn, status, advisories?}]}]
  qe_levels: [{isvsvn, status, advisories?}]
  tcb_info, qe_identity: members that replace the generated ones
  dates: {issue, next, crl_last, crl_next}  (YYYYmmddHHMMSSZ)
  revoke: names among "pck", "pckca", "tcb": the CRLs list them
  pck_crl_issuer: "pckca" (default), "root" (then the PCK leaf has no CRL) or
          "other" (the leaf's signer of leaf.signer "other")
  pckca:  {ext, start, end}  a Platform CA of its own (a new key, the same name,
          these extension lines and dates) issues the leaf and the PCK CRL
  sub_ca: {ext}              a CA between the Platform CA and the leaf (it issues
          the leaf and the PCK CRL; nothing revokes or vouches for it)
  leaf:   {ext, start, end, signer: "other"}  the PCK leaf's extension lines
          (on top of its defaults) and dates; signer "other": a CA of the Platform
          CA's name but another key signs the leaf (the chain and CRL stay)
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

OID_SGX = bytes.fromhex("2a864886f84d010d01")
QE_MRSIGNER = "DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5"
INTEL_QE_VENDOR = "939a7233f79c4ca9940a0db3957f0607"
CERT_START, CERT_END = "20240101000000Z", "20340101000000Z"

COMP = [2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]
DEFAULT = {
    "pck": {"fmspc": "C0FFEE000000", "cpusvn": COMP, "pcesvn": 11, "pceid": "0000"},
    "quote": {"version": 4, "body": "td10", "tee_tcb_svn": "05010200000000000000000000000000",
              "tee_tcb_svn2": "05010200000000000000000000000000",
              "td_attributes": "0000001000000000", "seam_attributes": "0000000000000000",
              "mr_signer_seam": "00" * 48, "mr_service_td": "00" * 48,
              "report_data": "11" * 32 + "22" * 32, "qe_isvsvn": 4,
              "qe_vendor_id": INTEL_QE_VENDOR, "tee_type": "81000000"},
    "tcb_levels": [
        {"sgx": COMP, "pcesvn": 11, "tdx": [5, 0, 2] + [0] * 13, "status": "UpToDate"},
        {"sgx": COMP, "pcesvn": 5, "tdx": [3, 0, 2] + [0] * 13, "status": "OutOfDate",
         "advisories": ["INTEL-SA-00837"]},
    ],
    "tdx_module": {"mrsigner": "00" * 48, "attributes": "0000000000000000", "attributesMask": "FFFFFFFFFFFFFFFF"},
    "module_identities": [
        {"id": "TDX_01", "levels": [{"isvsvn": 5, "status": "UpToDate"},
                                    {"isvsvn": 2, "status": "OutOfDate", "advisories": ["INTEL-SA-00960"]}]},
    ],
    "qe_levels": [{"isvsvn": 4, "status": "UpToDate"},
                  {"isvsvn": 2, "status": "OutOfDate", "advisories": ["INTEL-SA-00615"]}],
    "dates": {"issue": "20250101000000Z", "next": "20250201000000Z",
              "crl_last": "20250101000000Z", "crl_next": "20250201000000Z"},
    "revoke": [],
    "pck_crl_issuer": "pckca",
}


def openssl(*args, data=None):
    r = subprocess.run(["openssl", *args], input=data, capture_output=True)
    if r.returncode != 0:
        sys.exit("testca: openssl %s failed: %s" % (" ".join(args[:2]), r.stderr.decode(errors="replace").strip()))
    return r.stdout


def iso(t):  # YYYYmmddHHMMSSZ -> RFC 3339
    return "%s-%s-%sT%s:%s:%sZ" % (t[0:4], t[4:6], t[6:8], t[8:10], t[10:12], t[12:14])


CA_CNF = """[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/cert.pem
private_key = $dir/key.pem
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = x
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
"""


def ca_dir(base, name):
    d = os.path.join(base, name)
    os.makedirs(os.path.join(d, "new"), exist_ok=True)
    for f, v in (("index.txt", ""), ("serial", "1000\n"), ("crlnumber", "01\n")):
        p = os.path.join(d, f)
        if not os.path.exists(p):
            open(p, "w").write(v)
    cnf = os.path.join(d, "ca.cnf")
    open(cnf, "w").write(CA_CNF.format(dir=d))
    return d


def keygen(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)


def issue(base, issuer, name, cn, ext_section, extfile=None, start=CERT_START, end=CERT_END):
    """Issue DIR/name/cert.pem for DIR/name/key.pem, signed by issuer (a CA dir name or None: self-signed)."""
    d = ca_dir(base, name)
    keygen(os.path.join(d, "key.pem"))
    csr = os.path.join(d, "req.csr")
    openssl("req", "-new", "-key", os.path.join(d, "key.pem"), "-subj", "/CN=%s/O=mero-policy TEST (not Intel)" % cn,
            "-out", csr, "-config", os.path.join(d, "ca.cnf"))
    idir = os.path.join(base, issuer or name)
    args = ["ca", "-batch", "-notext", "-config", os.path.join(idir, "ca.cnf"), "-in", csr,
            "-out", os.path.join(d, "cert.pem"), "-startdate", start, "-enddate", end,
            "-extensions", ext_section]
    if issuer is None:
        args += ["-selfsign", "-keyfile", os.path.join(d, "key.pem")]
    if extfile:
        args += ["-extfile", extfile]
    openssl(*args)
    return d


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, v):
    return bytes([tag]) + der_len(len(v)) + v


def der_int(n):
    b = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, b)


def oid(*suffix):
    return tlv(0x06, OID_SGX + bytes(suffix))


def sgx_extension(pck, ppid):
    comps = b"".join(tlv(0x30, oid(2, i + 1) + der_int(v)) for i, v in enumerate(pck["cpusvn"]))
    comps += tlv(0x30, oid(2, 17) + der_int(pck["pcesvn"]))
    comps += tlv(0x30, oid(2, 18) + tlv(0x04, bytes(pck["cpusvn"])))
    body = tlv(0x30, oid(1) + tlv(0x04, ppid))
    body += tlv(0x30, oid(2) + tlv(0x30, comps))
    body += tlv(0x30, oid(3) + tlv(0x04, bytes.fromhex(pck["pceid"])))
    body += tlv(0x30, oid(4) + tlv(0x04, bytes.fromhex(pck["fmspc"])))
    body += tlv(0x30, oid(5) + tlv(0x0a, b"\x01"))
    return tlv(0x30, body)


def raw_sig(der):
    """DER Ecdsa-Sig-Value -> 64-byte r||s"""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\x00")
        out += v.rjust(32, b"\x00")
        i += 2 + n
    return out


def sign(key, data, work):
    p = os.path.join(work, "tbs.bin")
    open(p, "wb").write(data)
    return raw_sig(openssl("dgst", "-sha256", "-sign", key, p))


def pem(path):
    return open(path).read()


def init(base):
    os.makedirs(base, exist_ok=True)
    issue(base, None, "root", "mero-policy TEST SGX Root CA", "v3_ca")
    issue(base, "root", "pckca", "mero-policy TEST SGX PCK Platform CA", "v3_ca")
    issue(base, "root", "tcb", "mero-policy TEST SGX TCB Signing", "v3_leaf")
    shutil.copy(os.path.join(base, "root", "cert.pem"), os.path.join(base, "root.pem"))
    open(os.path.join(base, "root.der"), "wb").write(
        openssl("x509", "-in", os.path.join(base, "root.pem"), "-outform", "DER"))
    keygen(os.path.join(base, "att.pem"))


def merged(spec):
    s = json.loads(json.dumps(DEFAULT))
    for k, v in spec.items():
        if isinstance(v, dict) and isinstance(s.get(k), dict):
            s[k].update(v)
        else:
            s[k] = v
    return s


def ext_lines(defaults, extra):
    """An extension section: the default "name = value" lines, replaced or added to by extra."""
    lines = dict(l.split(" = ", 1) for l in defaults)
    for l in (extra or "").splitlines():
        if l.strip():
            k, v = l.split("=", 1)
            lines[k.strip()] = v.strip()
    return "".join("%s = %s\n" % kv for kv in lines.items())


def tag_of(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def variant_ca(base, issuer, prefix, cn, spec, defaults=("basicConstraints = critical, CA:TRUE",
                                                         "keyUsage = critical, keyCertSign, cRLSign")):
    """A CA of its own (kept by the hash of what makes it): DIR/prefix-TAG."""
    name = "%s-%s" % (prefix, tag_of(issuer, cn, spec))
    d = os.path.join(base, name)
    if not os.path.exists(os.path.join(d, "cert.pem")):
        os.makedirs(d, exist_ok=True)
        ext = os.path.join(d, "ext.cnf")
        open(ext, "w").write("[ v ]\n" + ext_lines(defaults, spec.get("ext")))
        issue(base, issuer, name, cn, "v", extfile=ext, start=spec.get("start", CERT_START),
              end=spec.get("end", CERT_END))
    return name


def pck_leaf(base, pck, issuer="pckca", leaf=None):
    leaf = leaf or {}
    tag = tag_of(pck, issuer, leaf) if (issuer != "pckca" or leaf) else \
        hashlib.sha256(json.dumps(pck, sort_keys=True).encode()).hexdigest()[:16]
    name = "pck-" + tag
    d = os.path.join(base, name)
    if not os.path.exists(os.path.join(d, "cert.pem")):
        os.makedirs(d, exist_ok=True)
        ext = os.path.join(d, "ext.cnf")
        ppid = hashlib.sha256(tag.encode()).digest()[:16]
        open(ext, "w").write("[ pck ]\n" + ext_lines(
            ("basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature, nonRepudiation",
             "1.2.840.113741.1.13.1 = DER:%s" % sgx_extension(pck, ppid).hex()), leaf.get("ext")))
        issue(base, issuer, name, "mero-policy TEST SGX PCK Certificate", "pck", extfile=ext,
              start=leaf.get("start", CERT_START), end=leaf.get("end", CERT_END))
    return d


def pck_cas(base, s):
    """The CAs of the PCK chain under the root, top first, and the one that signs the leaf."""
    cas = [variant_ca(base, "root", "pckca", "mero-policy TEST SGX PCK Platform CA", s["pckca"])
           if s.get("pckca") is not None else "pckca"]
    if s.get("sub_ca") is not None:
        cas.append(variant_ca(base, cas[-1], "subca", "mero-policy TEST SGX PCK Sub CA", s["sub_ca"]))
    signer = cas[-1]
    if (s.get("leaf") or {}).get("signer") == "other":
        signer = variant_ca(base, "root", "pckca-other", "mero-policy TEST SGX PCK Platform CA", {"other": True})
    return cas, signer


def crl_der(cnf, d, dates):
    out = os.path.join(d, "crl.pem")
    openssl("ca", "-config", cnf, "-gencrl", "-crl_lastupdate", dates["crl_last"],
            "-crl_nextupdate", dates["crl_next"], "-out", out)
    return openssl("crl", "-in", out, "-outform", "DER")


def levels_json(levels, date):
    out = []
    for l in levels:
        e = {"tcb": {"isvsvn": l["isvsvn"]}, "tcbDate": l.get("date", date), "tcbStatus": l["status"]}
        if l.get("advisories"):
            e["advisoryIDs"] = l["advisories"]
        out.append(e)
    return out


def make(base, spec, outdir):
    s = merged(spec)
    os.makedirs(outdir, exist_ok=True)
    work = os.path.join(outdir, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    q, dates = s["quote"], s["dates"]
    cas, signer = pck_cas(base, s)
    pckd = pck_leaf(base, s["pck"], signer, s.get("leaf"))

    # the quote
    att_pub = openssl("pkey", "-in", os.path.join(base, "att.pem"), "-pubout", "-outform", "DER")[-64:]
    td15 = q["body"] == "td15"
    header = struct.pack("<HH", q["version"], 2) + bytes.fromhex(q["tee_type"]) + b"\0" * 4
    header += bytes.fromhex(q["qe_vendor_id"]) + hashlib.sha256(b"qeid").digest()[:16] + b"\0" * 4
    if q["version"] == 5:
        header += struct.pack("<HI", 3 if td15 else 2, 648 if td15 else 584)
    body = bytes.fromhex(q["tee_tcb_svn"]) + bytes.fromhex("5e" * 48) + bytes.fromhex(q["mr_signer_seam"])
    body += bytes.fromhex(q["seam_attributes"]) + bytes.fromhex(q["td_attributes"]) + bytes.fromhex("e718060000000000")
    body += bytes(range(48))                                # MRTD
    body += b"\0" * 48 * 3                                  # MRCONFIGID, MROWNER, MROWNERCONFIG
    for i in range(4):
        body += bytes([0xa0 + i]) * 48                      # RTMR0-3
    body += bytes.fromhex(q["report_data"])
    if td15:
        body += bytes.fromhex(q["tee_tcb_svn2"]) + bytes.fromhex(q["mr_service_td"])
    signed = header + body
    qe_auth = hashlib.sha256(b"qe auth").digest()
    qe_rd = hashlib.sha256(att_pub + qe_auth).digest() + b"\0" * 32
    qe_report = b"\x07" * 16 + b"\0" * 4 + b"\0" * 28 + bytes.fromhex("11" + "00" * 15) + b"\x3e" * 32 + b"\0" * 32
    qe_report += bytes.fromhex(QE_MRSIGNER) + b"\0" * 96 + struct.pack("<HH", 2, q["qe_isvsvn"]) + b"\0" * 60 + qe_rd
    assert len(qe_report) == 384
    qe_sig = sign(os.path.join(pckd, "key.pem"), qe_report, work)
    chain = (pem(os.path.join(pckd, "cert.pem")) + "".join(pem(os.path.join(base, c, "cert.pem")) for c in reversed(cas)) +
             pem(os.path.join(base, "root", "cert.pem"))).encode()
    inner = qe_report + qe_sig + struct.pack("<H", 32) + qe_auth + struct.pack("<HI", 5, len(chain)) + chain
    quote_sig = sign(os.path.join(base, "att.pem"), signed, work)
    sigdata = quote_sig + att_pub + struct.pack("<HI", 6, len(inner)) + inner
    open(os.path.join(outdir, "quote.bin"), "wb").write(signed + struct.pack("<I", len(sigdata)) + sigdata)

    # TCB info and QE identity
    issue_d, next_d = iso(dates["issue"]), iso(dates["next"])
    tlevels = []
    for l in s["tcb_levels"]:
        tcb = {"sgxtcbcomponents": [{"svn": v} for v in l["sgx"]], "pcesvn": l["pcesvn"]}
        if l.get("tdx") is not None:
            tcb["tdxtcbcomponents"] = [{"svn": v} for v in l["tdx"]]
        e = {"tcb": tcb, "tcbDate": l.get("date", "2024-03-13T00:00:00Z"), "tcbStatus": l["status"]}
        if l.get("advisories"):
            e["advisoryIDs"] = l["advisories"]
        tlevels.append(e)
    ti = {"id": "TDX", "version": 3, "issueDate": issue_d, "nextUpdate": next_d, "fmspc": s["pck"]["fmspc"],
          "pceId": s["pck"]["pceid"], "tcbType": 0, "tcbEvaluationDataNumber": 17}
    if s["tdx_module"] is not None:
        ti["tdxModule"] = s["tdx_module"]
    if s["module_identities"] is not None:
        ti["tdxModuleIdentities"] = [
            {"id": m["id"], "mrsigner": m.get("mrsigner", "00" * 48), "attributes": "0000000000000000",
             "attributesMask": "FFFFFFFFFFFFFFFF", "tcbLevels": levels_json(m["levels"], "2024-03-13T00:00:00Z")}
            for m in s["module_identities"]]
    ti["tcbLevels"] = tlevels
    ti.update(s.get("tcb_info", {}))
    qi = {"id": "TD_QE", "version": 2, "issueDate": issue_d, "nextUpdate": next_d, "tcbEvaluationDataNumber": 17,
          "miscselect": "00000000", "miscselectMask": "FFFFFFFF", "attributes": "11000000000000000000000000000000",
          "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000", "mrsigner": QE_MRSIGNER, "isvprodid": 2,
          "tcbLevels": levels_json(s["qe_levels"], "2024-03-13T00:00:00Z")}
    qi.update(s.get("qe_identity", {}))
    ti_text = json.dumps(ti, separators=(",", ":"))
    qi_text = json.dumps(qi, separators=(",", ":"))
    tcb_key = os.path.join(base, "tcb", "key.pem")
    dirs = {"pck": pckd, "pckca": os.path.join(base, cas[0]), "tcb": os.path.join(base, "tcb")}
    rev = [dirs[r] for r in s["revoke"]]
    root_rev = [d for d in rev if d != pckd]
    pck_rev = [d for d in rev if d == pckd]
    root_crl = crl_der(*copy_ca(base, work, "root", root_rev, "root-crl"), dates)
    pck_issuer = {"pckca": cas[-1], "other": signer}.get(s["pck_crl_issuer"], s["pck_crl_issuer"])
    pck_crl = crl_der(*copy_ca(base, work, pck_issuer, pck_rev, "pck-crl"), dates)
    ca_chain = pem(os.path.join(base, "tcb", "cert.pem")) + pem(os.path.join(base, "root", "cert.pem"))
    coll = {
        "pck_crl_issuer_chain": pem(os.path.join(base, pck_issuer, "cert.pem")) + pem(os.path.join(base, "root", "cert.pem")),
        "root_ca_crl": root_crl.hex(), "pck_crl": pck_crl.hex(),
        "tcb_info_issuer_chain": ca_chain, "tcb_info": ti_text,
        "tcb_info_signature": sign(tcb_key, ti_text.encode(), work).hex(),
        "qe_identity_issuer_chain": ca_chain, "qe_identity": qi_text,
        "qe_identity_signature": sign(tcb_key, qi_text.encode(), work).hex(),
    }
    with open(os.path.join(outdir, "collateral.json"), "w") as f:
        json.dump(coll, f, indent=1, sort_keys=True)
    shutil.rmtree(work, ignore_errors=True)


def copy_ca(base, work, ca, revoke_dirs, tag):
    d = os.path.join(work, tag)
    shutil.copytree(os.path.join(base, ca), d)
    cnf = os.path.join(d, "ca.cnf")
    open(cnf, "w").write(CA_CNF.format(dir=d))
    for r in revoke_dirs:
        openssl("ca", "-config", cnf, "-revoke", os.path.join(r, "cert.pem"))
    return cnf, d


def main(argv):
    if len(argv) >= 2 and argv[0] == "init":
        init(argv[1])
    elif len(argv) == 4 and argv[0] == "make":
        make(argv[1], json.loads(argv[2]) if argv[2].lstrip().startswith("{") else json.load(open(argv[2])), argv[3])
    else:
        sys.exit("usage: testca.py init DIR | testca.py make DIR SPEC_JSON OUTDIR")


if __name__ == "__main__":
    main(sys.argv[1:])
