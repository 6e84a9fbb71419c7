#!/usr/bin/env python3
"""fake-pcs.py: a stand-in for Intel PCS / a PCCS on 127.0.0.1, for the tests of
collateral-fetch. It serves recorded collateral (a dcap-qvl QuoteCollateralV3
JSON file, e.g. from tests/fixtures/vectors) in the v4 API's raw form:

  /sgx/certification/v4/pckcrl?ca=...&encoding=der   DER body, SGX-PCK-CRL-Issuer-Chain
  /{tdx,sgx}/certification/v4/tcb?fmspc=...           {"tcbInfo":...,"signature":...}, TCB-Info-Issuer-Chain
  /{tdx,sgx}/certification/v4/qe/identity             {"enclaveIdentity":...,"signature":...},
                                                       SGX-Enclave-Identity-Issuer-Chain
  /sgx/certification/v4/rootcacrl                     hex text (as a PCCS answers)

  fake-pcs.py --collateral FILE --port-file FILE [--log FILE] [--script ENDPOINT=ACTION,...]...

ENDPOINT is pckcrl, tcb, qe or rootcacrl; the ACTIONs are served one per
request, then "ok" for ever: ok, 401, 403, 404, 500, 503, 429 (append :ra=N
for a Retry-After of N seconds, or :ra=date for an HTTP date N seconds ahead
with :ra=dateN), slow (answers after 3 s), close (drops the connection),
garbage (200 with a body that is not the resource), nochain (200 without the
issuer chain header), badsig (200 with a signature that does not verify),
hugeheaders (200 with 96 KiB of headers, in 2 KiB lines), hugeheader (200 with
one header line of 150 KiB).
Every request is logged as "ENDPOINT STATUS key=<Ocp-Apim-Subscription-Key> PATH".
"""
import argparse
import email.utils
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--collateral", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("--script", action="append", default=[])
    a = ap.parse_args()
    coll = json.load(open(a.collateral))
    scripts = {}
    for s in a.script:
        ep, acts = s.split("=", 1)
        scripts[ep] = acts.split(",")
    lock = threading.Lock()

    def enc(pem):
        return urllib.parse.quote(pem, safe="")

    def resource(ep, path):
        if ep == "pckcrl":
            return bytes.fromhex(coll["pck_crl"]), "application/pkix-crl", {"SGX-PCK-CRL-Issuer-Chain": enc(coll["pck_crl_issuer_chain"])}
        if ep == "tcb":
            body = '{"tcbInfo":%s,"signature":"%s"}' % (coll["tcb_info"], coll["tcb_info_signature"])
            return body.encode(), "application/json", {"TCB-Info-Issuer-Chain": enc(coll["tcb_info_issuer_chain"])}
        if ep == "qe":
            body = '{"enclaveIdentity":%s,"signature":"%s"}' % (coll["qe_identity"], coll["qe_identity_signature"])
            return body.encode(), "application/json", {"SGX-Enclave-Identity-Issuer-Chain": enc(coll["qe_identity_issuer_chain"])}
        return coll["root_ca_crl"].encode(), "text/plain", {}

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body=b"", ctype="text/plain", headers=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_request_line(self, ep, status):
            # written before the answer goes out, so the log's order is the requests' order
            with lock, open(a.log, "a") as f:
                f.write("%s %s key=%s %s\n" % (ep, status, self.headers.get("Ocp-Apim-Subscription-Key", "-"),
                                               self.path))

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path
            ep = ("pckcrl" if path.endswith("/pckcrl") else "tcb" if path.endswith("/tcb") else
                  "qe" if path.endswith("/qe/identity") else "rootcacrl" if path.endswith("/rootcacrl") else None)
            with lock:
                act = scripts[ep].pop(0) if ep and scripts.get(ep) else "ok"
            if ep is None:
                self.log_request_line(ep, 404)
                return self.answer(404, b"no such resource")
            name, _, opt = act.partition(":")
            if name == "close":
                self.log_request_line(ep, 0)
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if name == "slow":
                time.sleep(3)
                name = "ok"
            if name.isdigit():
                status = int(name)
                h = {"Error-Code": "FakeError"}
                if opt.startswith("ra=date"):
                    h["Retry-After"] = email.utils.formatdate(time.time() + int(opt[7:] or 1), usegmt=True)
                elif opt.startswith("ra="):
                    h["Retry-After"] = opt[3:]
                self.log_request_line(ep, status)
                return self.answer(status, b'{"error":"fake"}', "application/json", h)
            body, ctype, headers = resource(ep, path)
            if name == "garbage":
                body = b"<html>this is not the resource</html>"
            elif name == "nochain":
                headers = {}
            elif name in ("hugeheaders", "hugeheader"):
                headers = dict(headers)
                if name == "hugeheaders":
                    for i in range(48):
                        headers["X-Padding-%02d" % i] = "p" * 2048
                else:
                    headers["X-Padding"] = "p" * (150 * 1024)
            elif name == "badsig":
                sig = coll["tcb_info_signature" if ep == "tcb" else "qe_identity_signature"]
                bad = ("0" if sig[0] != "0" else "1") + sig[1:]
                body = body.replace(sig.encode(), bad.encode())
            self.log_request_line(ep, 200)
            return self.answer(200, body, ctype, headers)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
