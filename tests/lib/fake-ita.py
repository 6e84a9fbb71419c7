#!/usr/bin/env python3
"""fake-ita.py: a stand-in for Intel Trust Authority on 127.0.0.1, for the
tests of ita-appraise and of the probe's ita step. Python stdlib only; tokens
are signed with the openssl CLI. It prints its base URL on stdout once it
accepts connections.

  fake-ita.py --key KEY.pem --cert CERT.pem [--other-key KEY.pem] [--kid KID]
              [--alg PS384|RS256|PS256|RS384|ES256|ES384] [--mode MODE]
              [--v2-404] [--script ENDPOINT=ACTION,...]... [--tcb-status S]
              [--key-env VAR] [--log FILE]

  POST /appraisal/v2/attest  {"tdx": {"quote": B64}, "policy_ids"?, "policy_must_match"?}
  POST /appraisal/v1/attest  {"quote": B64, ...}      (v1 tokens carry the claims flat)
       -> {"token": JWT} whose claims are taken from the quote: tdx_mrtd,
          tdx_rtmr0..3, tdx_report_data, attester_tcb_status (--tcb-status,
          default UpToDate), attester_advisory_ids, policy_ids_matched, exp,
          nbf, iat, jti, iss
  GET  /certs                {"keys": [the KEY's JWK: kid, kty, alg, use, n/e or
                              crv/x/y, x5c [CERT]]}
The x-api-key header must equal the fake's own $ITA_API_KEY (--key-env VAR), else 401.

MODE: good (default); wrong-key (signed with --other-key under KEY's kid);
expired (exp an hour ago); not-yet-valid (nbf in an hour); mrtd-mismatch
(tdx_mrtd differs from the quote's); unknown-kid (a kid the JWKS lacks);
alg-none (header alg "none"); no-token (200 without a token).
--v2-404: the v2 endpoint answers 404 (ita-appraise falls back to v1).
--script ENDPOINT=ACTIONS: ENDPOINT attest or certs; the ACTIONs (ok, 400, 401,
404, 429, 500, 503, close; 429:ra=N adds Retry-After) are served one per request,
then ok for ever.
--log FILE: one line per request, "METHOD PATH STATUS key=ok|bad|none", written
before the answer.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in tests/lib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import Handler, serve  # noqa: E402

RSA_ALGS = {"RS256": ("sha256", False), "RS384": ("sha384", False), "PS256": ("sha256", True),
            "PS384": ("sha384", True)}
EC_ALGS = {"ES256": ("sha256", 32, "P-256"), "ES384": ("sha384", 48, "P-384")}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE, check=True).stdout


def jwk_of(key, cert, kid, alg):
    j = {"kid": kid, "alg": alg, "use": "sig",
         "x5c": [base64.b64encode(openssl("x509", "-in", cert, "-outform", "DER")).decode()]}
    if alg in RSA_ALGS:
        mod = openssl("rsa", "-in", key, "-noout", "-modulus").decode().strip().split("=", 1)[1]
        j.update(kty="RSA", n=b64u(bytes.fromhex(mod)), e="AQAB")
    else:
        _, half, crv = EC_ALGS[alg]
        spki = openssl("pkey", "-in", key, "-pubout", "-outform", "DER")
        pt = spki[-(1 + 2 * half):]
        j.update(kty="EC", crv=crv, x=b64u(pt[1:1 + half]), y=b64u(pt[1 + half:]))
    return j


def der_to_raw(der, half):
    """ECDSA-Sig-Value (DER) -> r||s of fixed size (JWS), read with asn1parse."""
    lines = openssl("asn1parse", "-inform", "DER", data=der).decode().splitlines()
    ints = [line.rsplit(":", 1)[1] for line in lines if "INTEGER" in line]
    assert len(ints) == 2
    return b"".join(bytes.fromhex(v.rjust(2 * half, "0")) for v in ints)


def sign(key, alg, data):
    if alg in RSA_ALGS:
        md, pss = RSA_ALGS[alg]
        opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest",
                "-sigopt", "rsa_mgf1_md:" + md] if pss else []
        return openssl("dgst", "-" + md, "-sign", key, *opts, data=data)
    md, half, _ = EC_ALGS[alg]
    return der_to_raw(openssl("dgst", "-" + md, "-sign", key, data=data), half)


def quote_claims(quote):
    """The TD report's measurements of a TDX quote (v4 or v5)."""
    version = int.from_bytes(quote[0:2], "little")
    body = 48 + (6 if version == 5 else 0)
    h = lambda off, n: quote[body + off:body + off + n].hex()
    c = {"tdx_mrtd": h(136, 48), "tdx_report_data": h(520, 64), "tdx_mrseam": h(16, 48),
         "tdx_td_attributes": h(120, 8), "attester_type": "TDX"}
    for i in range(4):
        c["tdx_rtmr%d" % i] = h(328 + 48 * i, 48)
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--other-key")
    ap.add_argument("--kid", default="fake-ita-signing-key-1")
    ap.add_argument("--alg", default="PS384", choices=sorted(list(RSA_ALGS) + list(EC_ALGS)))
    ap.add_argument("--mode", default="good", choices=["good", "wrong-key", "expired", "not-yet-valid",
                                                      "mrtd-mismatch", "unknown-kid", "alg-none", "no-token"])
    ap.add_argument("--v2-404", action="store_true")
    ap.add_argument("--script", action="append", default=[])
    ap.add_argument("--tcb-status", default="UpToDate")
    ap.add_argument("--key-env", default="ITA_API_KEY")
    ap.add_argument("--log", default=os.devnull)
    a = ap.parse_args()
    scripts = {}
    for s in a.script:
        ep, _, acts = s.partition("=")
        scripts[ep] = acts.split(",")
    api_key = os.environ.get(a.key_env, "")
    jwks = {"keys": [jwk_of(a.key, a.cert, a.kid, a.alg)]}
    lock = threading.Lock()

    def token(quote, v2, policies):
        now = int(time.time())
        c = quote_claims(quote)
        if a.mode == "mrtd-mismatch":
            c["tdx_mrtd"] = ("%02x" % (int(c["tdx_mrtd"][:2], 16) ^ 0xff)) + c["tdx_mrtd"][2:]
        c.update(attester_tcb_status=a.tcb_status, attester_advisory_ids=["INTEL-SA-00837"],
                 attester_tcb_date="2024-03-13T00:00:00Z")
        claims = {"iss": "Intel Trust Authority", "jti": str(uuid.uuid4()), "iat": now, "nbf": now,
                  "exp": now + 300, "ver": "2.0.0" if v2 else "1.0.0",
                  "policy_ids_matched": [{"id": p, "version": "v1"} for p in policies],
                  "policy_ids_unmatched": None}
        if a.mode == "expired":
            claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
        if a.mode == "not-yet-valid":
            claims.update(nbf=now + 3600, exp=now + 7200)
        if v2:
            claims["tdx"] = c
        else:
            claims.update(c)
        kid = "no-such-key" if a.mode == "unknown-kid" else a.kid
        header = {"alg": "none" if a.mode == "alg-none" else a.alg, "kid": kid, "typ": "JWT",
                  "jku": "https://attacker.example/certs"}
        signing = (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        key = a.other_key if a.mode == "wrong-key" else a.key
        return signing.decode() + "." + b64u(sign(key, a.alg, signing))

    class H(Handler):

        def log_line(self, status):
            given = self.headers.get("x-api-key")
            key = "none" if given is None else ("ok" if api_key and given == api_key else "bad")
            with lock, open(a.log, "a") as f:
                f.write("%s %s %s key=%s\n" % (self.command, self.path, status, key))

        def scripted(self, ep):
            with lock:
                act = scripts[ep].pop(0) if scripts.get(ep) else "ok"
            name, _, opt = act.partition(":")
            if name == "ok":
                return False
            if name == "close":
                self.log_line(0)
                self.close_connection = True
                self.connection.shutdown(2)
                return True
            self.log_line(int(name))
            h = {"Retry-After": opt[3:]} if opt.startswith("ra=") else {}
            self.answer(int(name), {"error": "fake error %s" % name}, headers=h)
            return True

        def do_GET(self):
            if self.path != "/certs":
                self.log_line(404)
                return self.answer(404, {"error": "not found"})
            if self.scripted("certs"):
                return None
            self.log_line(200)
            return self.answer(200, jwks)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n)
            v2 = self.path == "/appraisal/v2/attest"
            if not v2 and self.path != "/appraisal/v1/attest":
                self.log_line(404)
                return self.answer(404, {"error": "not found"})
            if self.scripted("attest"):
                return None
            if v2 and a.v2_404:
                self.log_line(404)
                return self.answer(404, {"error": "v2 is not served here"})
            given = self.headers.get("x-api-key")
            if not api_key or given != api_key:
                self.log_line(401)
                return self.answer(401, {"error": "Unauthorized"})
            try:
                body = json.loads(raw)
                q = body["tdx"]["quote"] if v2 else body["quote"]
                extra = set(body) - {"tdx" if v2 else "quote", "policy_ids", "policy_must_match"}
                assert not extra and (not v2 or set(body["tdx"]) == {"quote"})
                quote = base64.b64decode(q, validate=True)
                policies = body.get("policy_ids", [])
            except Exception as e:  # noqa: BLE001 (any malformed request)
                self.log_line(400)
                return self.answer(400, {"error": "bad request: %s" % e})
            self.log_line(200)
            if a.mode == "no-token":
                return self.answer(200, {"status": "ok"})
            return self.answer(200, {"token": token(quote, v2, policies)})

    serve(H)


if __name__ == "__main__":
    main()
