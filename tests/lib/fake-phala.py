#!/usr/bin/env python3
"""fake-phala.py: a stateful stand-in for the Phala Cloud REST API on 127.0.0.1,
for the tests of phala-cvm and of the STAGING=phala probe. Python stdlib only.
It prints its base URL (http://127.0.0.1:PORT/api/v1) on stdout once it
accepts connections.

  fake-phala.py [--boot-seconds S] [--after-boot running|stopped|created]
                [--start-seconds S] [--never-running] [--delete-seconds S]
                [--existing NAME]... [--endpoint [NAME=]URL]... [--gateway-domain D]
                [--wrong-compose-hash] [--script ENDPOINT=ACTION,...]...
                [--api-version V] [--key-env VAR] [--log FILE] [--bodies FILE]
                [--state FILE] [--app-compose-dir DIR]
                [--kms-sim PATH --kms-state DIR [--kms-boot-seconds S] [--kms-flags FLAGS]]

The API (paths under /api/v1), as reference/apis.md section 3 describes it:
  POST   /cvms/provision         the body phala-cvm must send (upstream's
                                 provision_prod.py): exactly name, instance_type,
                                 kms "PHALA", prefer_dev false, listed false,
                                 compose_file {name "", docker_compose_file,
                                 allowed_envs [], public_logs true,
                                 public_sysinfo false}, optional region; else 422.
                                 -> {app_id, compose_hash, ...}
  POST   /cvms                   exactly {app_id, compose_hash} of a provision
                                 (409 ERR-03-007 for another hash) -> the CVM
  GET    /cvms                   the CVMs that exist
  GET    /cvms/{id}              {id} is the numeric id, app_<hex>, <hex>, the
                                 vm uuid (with or without dashes) or the name
  POST   /cvms/{id}/start        stopped/created -> starting -> running
  GET    /cvms/{id}/attestation  tcb_info with the app-compose JSON (running only)
  DELETE /cvms/{id}              204; gone at once, or "deleting" for S seconds
Every request needs X-API-Key equal to the fake's own $PHALA_CLOUD_API_KEY (or
--key-env VAR), else 401; and X-Phala-Version equal to --api-version (default
2026-01-21), else 400.

A CVM is "creating" for --boot-seconds (default 0) after its commit, then
--after-boot (default running); --never-running keeps it creating. A start
call makes it "starting" for --start-seconds (default 0), then running.
compose_hash is the SHA-256 of the app-compose JSON built around the YAML
(sorted keys, compact); --wrong-compose-hash makes the API report another hash
than the one of the app-compose the attestation shows (what the CVM measured).
--existing NAME creates a running CVM of that name at start. --endpoint
NAME=URL (or URL for every CVM) sets endpoints[].app/.instance; PUT
/_fake/endpoint/NAME with the URL as body sets one later.

--script ENDPOINT=ACTIONS: ENDPOINT is provision, commit, list, get, start,
attestation or delete; the comma-separated ACTIONS are served one per request,
then "ok" for ever: ok, 400, 401, 403, 404, 409, 422, 500, 502, 503, 429 (:ra=N
adds Retry-After: N), close (drops the connection), garbage (200, not JSON).

--log FILE: one line per request, written before the answer:
  "METHOD PATH STATUS key=ok|bad|none version=V" (the key itself never).
--bodies FILE: one JSON line per POST with a body: {"method", "path", "body"}.
--state FILE: the state as JSON, rewritten after every change; GET /_fake/state
answers the same, live: {"cvms": [{name, id, app_id, vm_uuid, status,
deleted, starts}], "existing": [names], "deleted": [names], "provisions": N}.
--app-compose-dir DIR: each commit writes DIR/NAME.json, the app-compose JSON.

The CVM's KMS (--kms-sim PATH --kms-state DIR): each commit starts a kms-sim
for the CVM, as the CVM would start mero-kms: the profile, version and image
from the YAML's MERO_KMS_PROFILE, MERO_KMS_VERSION and image lines, the
compose-hash event measured from the app-compose JSON (--app-compose), its
/health "starting" until --boot-seconds + --kms-boot-seconds after the commit,
the words of --kms-flags added (kms-sim's failure injection). Its state is
DIR/cvms/ID, a copy of the one simulated PKI the fake makes in DIR when it
starts (before it prints its URL): DIR/root-ca.pem and DIR/collateral.json
verify every CVM's quotes. A delete stops the CVM's kms-sim, and so does the
fake when it ends (SIGTERM, SIGINT). The CVM's endpoints[].app/.instance is
then the fake's gateway, http://127.0.0.1:PORT/gw/APP_ID, which forwards
GET /health and POST /attest to the kms-sim (502 when the CVM or its KMS is
gone, 503 while the CVM is not running). --script kms-health=... and
kms-attest=... inject faults there (as for the API: ok, 401, 500, close, ...).
"""
import argparse
import hashlib
import json
import os
import http.client
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in tests/lib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeserve import Handler, serve  # noqa: E402

PROVISION_KEYS = {"name", "instance_type", "kms", "prefer_dev", "listed", "compose_file"}
COMPOSE_KEYS = {"name", "docker_compose_file", "allowed_envs", "public_logs", "public_sysinfo"}
SCRIPTED = {"provision", "commit", "list", "get", "start", "attestation", "delete", "kms-health", "kms-attest"}
# kms-sim's state files a CVM's copy of the fake's simulated PKI leaves out
KMS_OWN = {"image-profile", "kms-sim.lock", "kms-sim.log", "compose.yaml", "app-compose.json", "cvms"}


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot-seconds", type=float, default=0.0)
    ap.add_argument("--after-boot", choices=["running", "stopped", "created"], default="running")
    ap.add_argument("--start-seconds", type=float, default=0.0)
    ap.add_argument("--never-running", action="store_true")
    ap.add_argument("--delete-seconds", type=float, default=0.0)
    ap.add_argument("--existing", action="append", default=[])
    ap.add_argument("--endpoint", action="append", default=[])
    ap.add_argument("--gateway-domain", default="dstack-fake.phala.test")
    ap.add_argument("--wrong-compose-hash", action="store_true")
    ap.add_argument("--script", action="append", default=[])
    ap.add_argument("--api-version", default="2026-01-21")
    ap.add_argument("--key-env", default="PHALA_CLOUD_API_KEY")
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("--bodies")
    ap.add_argument("--state")
    ap.add_argument("--app-compose-dir")
    ap.add_argument("--kms-sim")
    ap.add_argument("--kms-state")
    ap.add_argument("--kms-boot-seconds", type=float, default=0.0)
    ap.add_argument("--kms-flags", default="")
    a = ap.parse_args()
    if bool(a.kms_sim) != bool(a.kms_state):
        ap.error("--kms-sim and --kms-state go together")
    a.scripts = {}
    for s in a.script:
        ep, _, acts = s.partition("=")
        if ep not in SCRIPTED:
            ap.error("unknown script endpoint %r" % ep)
        a.scripts[ep] = acts.split(",")
    a.endpoints = {}
    for e in a.endpoint:
        name, sep, url = e.partition("=")
        if sep and not name.startswith("http"):
            a.endpoints[name] = url
        else:
            a.endpoints["*"] = e
    a.key = os.environ.get(a.key_env, "")
    return a


def app_compose(name, yaml_text):
    """The app-compose JSON Phala builds around the YAML (dstack's AppCompose)."""
    doc = {
        "allowed_envs": [], "docker_compose_file": yaml_text, "gateway_enabled": True,
        "kms_enabled": True, "local_key_provider_enabled": False, "manifest_version": 2,
        "name": name, "no_instance_id": False, "public_logs": True, "public_sysinfo": False,
        "public_tcbinfo": True, "runner": "docker-compose", "secure_time": True,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def yaml_value(yaml_text, key):
    """The value of KEY: "VALUE" (or KEY: VALUE) in the rendered compose YAML."""
    m = re.search(r'^\s*%s:\s*"?([^"\s]+)"?\s*$' % re.escape(key), yaml_text, re.M)
    return m.group(1) if m else None


class Kms:
    """The kms-sim processes of the CVMs (--kms-sim, --kms-state)."""

    def __init__(self, a):
        self.a = a
        self.procs = {}  # CVM id -> (Popen, url), stopped ones kept
        self.lock = threading.Lock()
        self.closing = False
        if a.kms_sim:
            self.make_pki()

    def start_sim(self, state, args, log):
        """Start kms-sim on state with args; (Popen, URL), or (None, None) when it printed no URL."""
        cmd = [self.a.kms_sim, "--listen", "127.0.0.1:0", "--state", state] + args
        with open(log, "ab") as err:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        url = p.stdout.readline().decode().strip()
        p.stdout.close()
        if not url:
            p.wait()
            return None, None
        return p, url

    def make_pki(self):
        """The one simulated PKI (and collateral) every CVM's kms-sim signs with."""
        d = self.a.kms_state
        os.makedirs(d, exist_ok=True)
        compose = os.path.join(d, "compose.yaml")
        with open(compose, "w") as f:
            f.write("services: {}\n")
        p, _ = self.start_sim(d, ["--compose", compose, "--profile", "debug"], os.path.join(d, "kms-sim.log"))
        if p is None:
            sys.exit("fake-phala: kms-sim did not start: see %s" % os.path.join(d, "kms-sim.log"))
        self.stop_proc(p)
        for f in ("image-profile", "kms-sim.lock", "compose.yaml"):
            if os.path.exists(os.path.join(d, f)):
                os.unlink(os.path.join(d, f))

    def start(self, c, yaml_text, boot):
        """Start the KMS of CVM c (its YAML, which names its profile)."""
        profile = yaml_value(yaml_text, "MERO_KMS_PROFILE")
        d = os.path.join(self.a.kms_state, "cvms", str(c["id"]))
        os.makedirs(d)
        for f in os.listdir(self.a.kms_state):
            src = os.path.join(self.a.kms_state, f)
            if f not in KMS_OWN and os.path.isfile(src):
                shutil.copy2(src, os.path.join(d, f))
        with open(os.path.join(d, "compose.yaml"), "w") as f:
            f.write(yaml_text)
        with open(os.path.join(d, "app-compose.json"), "w") as f:
            f.write(c["app_compose"])
        args = ["--compose", os.path.join(d, "compose.yaml"), "--app-compose", os.path.join(d, "app-compose.json"),
                "--profile", profile, "--boot-seconds", "%g" % (boot + self.a.kms_boot_seconds)]
        version = yaml_value(yaml_text, "MERO_KMS_VERSION")
        image = yaml_value(yaml_text, "image")
        args += (["--kms-version", version] if version else []) + (["--image-digest", image] if image else [])
        p, url = self.start_sim(d, args + shlex.split(self.a.kms_flags), os.path.join(d, "kms-sim.log"))
        if p is not None:
            with self.lock:
                self.procs[c["id"]] = (p, url)
                closing = self.closing
            if closing:  # the fake ends: no kms-sim outlives it
                self.stop_proc(p)

    @staticmethod
    def stop_proc(p):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop(self, c):
        with self.lock:
            entry = self.procs.get(c["id"])
        if entry and entry[0].poll() is None:
            self.stop_proc(entry[0])

    def stop_all(self):
        with self.lock:
            self.closing = True
            procs = [p for p, _ in self.procs.values()]
        for p in procs:
            if p.poll() is None:
                self.stop_proc(p)

    def url(self, c):
        with self.lock:
            entry = self.procs.get(c["id"])
        return entry[1] if entry and entry[0].poll() is None else None

    def row(self, c):
        with self.lock:
            entry = self.procs.get(c["id"])
        if not entry:
            return None
        return {"pid": entry[0].pid, "url": entry[1], "running": entry[0].poll() is None}


class State:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.provisions = {}  # app_id -> {name, compose_hash, app_compose, instance_type}
        self.cvms = []        # every CVM ever committed, deleted ones included
        self.nprov = 0
        self.kms = Kms(a)
        self.kms_pending = []  # committed CVMs whose kms-sim is not started yet
        self.max_existing = 0  # the most CVMs that existed at once
        self.root = None  # http://127.0.0.1:PORT, known from the first request
        for name in a.existing:
            self.commit_new(self.provision(name, "services: {}\n", "tdx.small"), ready=True)

    # -- CVMs ---------------------------------------------------------------
    def provision(self, name, yaml_text, instance_type):
        self.nprov += 1
        app_id = hashlib.sha256(("app:%s:%d" % (name, self.nprov)).encode()).hexdigest()[:40]
        ac = app_compose(name, yaml_text)
        measured = hashlib.sha256(ac.encode()).hexdigest()
        reported = hashlib.sha256((ac + "#wrong").encode()).hexdigest() if self.a.wrong_compose_hash else measured
        self.provisions[app_id] = {"name": name, "compose_hash": reported, "app_compose": ac,
                                   "instance_type": instance_type, "yaml": yaml_text}
        return app_id

    def commit_new(self, app_id, ready=False):
        p = self.provisions[app_id]
        n = len(self.cvms) + 1
        u = hashlib.sha256(("vm:%s" % app_id).encode()).hexdigest()
        cvm = {"id": 1000 + n, "name": p["name"], "app_id": app_id,
               "vm_uuid": "%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:32]),
               "instance_id": u[32:72], "compose_hash": p["compose_hash"], "app_compose": p["app_compose"],
               "instance_type": p["instance_type"], "created": time.monotonic() - (1e6 if ready else 0),
               "started": None, "deleted": None, "starts": 0}
        self.cvms.append(cvm)
        self.max_existing = max(self.max_existing, sum(1 for c in self.cvms if self.status(c) is not None))
        if not ready and self.a.kms_sim and yaml_value(p["yaml"], "MERO_KMS_PROFILE"):
            cvm["gw"] = True
            self.kms_pending.append(cvm)  # started by the handler, outside the lock
        if self.a.app_compose_dir:
            with open(os.path.join(self.a.app_compose_dir, p["name"] + ".json"), "w") as f:
                f.write(p["app_compose"])
        return cvm

    def status(self, c):
        now = time.monotonic()
        if c["deleted"] is not None:
            return "deleting" if now - c["deleted"] < self.a.delete_seconds else None
        if c["started"] is not None:
            return "starting" if now - c["started"] < self.a.start_seconds else "running"
        if self.a.never_running or now - c["created"] < self.a.boot_seconds:
            return "creating"
        return self.a.after_boot

    def find(self, ident):
        for c in self.cvms:
            if self.status(c) is None:
                continue
            u = c["vm_uuid"]
            if ident in (str(c["id"]), c["name"], c["app_id"], "app_" + c["app_id"], u, u.replace("-", ""),
                         c["instance_id"]):
                return c
        return None

    def endpoint(self, c):
        url = self.a.endpoints.get(c["name"], self.a.endpoints.get("*"))
        if not url and c.get("gw") and self.root:
            url = "%s/gw/%s" % (self.root, c["app_id"])
        return [{"app": url, "instance": url}] if url else []

    def info(self, c):
        return {"id": c["id"], "name": c["name"], "app_id": c["app_id"], "vm_uuid": c["vm_uuid"],
                "instance_id": c["instance_id"], "status": self.status(c), "compose_hash": c["compose_hash"],
                "instance_type": c["instance_type"],
                "gateway": {"base_domain": self.a.gateway_domain, "cname": "app_%s" % c["app_id"]},
                "endpoints": self.endpoint(c),
                "os": {"name": "dstack", "version": "0.5.7", "is_dev": False, "os_image_hash": "00" * 32},
                "kms_info": {"id": "kms-base-prod5", "chain_id": None}}

    def dump(self):
        rows = []
        for c in self.cvms:
            st = self.status(c)
            rows.append({"name": c["name"], "id": c["id"], "app_id": c["app_id"], "vm_uuid": c["vm_uuid"],
                         "status": st or "deleted", "deleted": c["deleted"] is not None, "starts": c["starts"],
                         "kms": self.kms.row(c)})
        return {"cvms": rows, "existing": [r["name"] for r in rows if not r["deleted"]],
                "deleted": [r["name"] for r in rows if r["deleted"]], "provisions": self.nprov,
                "kms_running": sum(1 for r in rows if r["kms"] and r["kms"]["running"]),
                "max_existing": self.max_existing}

    def save(self):
        if not self.a.state:
            return
        tmp = "%s.%d.tmp" % (self.a.state, os.getpid())
        with open(tmp, "w") as f:
            json.dump(self.dump(), f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.a.state)


def check_provision(body):
    """None when body is what upstream's provision_prod.py sends, else why not."""
    if not isinstance(body, dict):
        return "body is not an object"
    keys = set(body)
    if not PROVISION_KEYS <= keys or keys - PROVISION_KEYS - {"region"}:
        return "fields %s, expected %s (+ region)" % (sorted(keys), sorted(PROVISION_KEYS))
    if not isinstance(body["name"], str) or not re.fullmatch(r"[a-zA-Z0-9._-]{3,100}", body["name"]):
        return "bad name"
    if not isinstance(body["instance_type"], str) or not body["instance_type"]:
        return "bad instance_type"
    if body["kms"] != "PHALA" or body["prefer_dev"] is not False or body["listed"] is not False:
        return "kms must be PHALA, prefer_dev and listed false"
    if "region" in body and (not isinstance(body["region"], str) or not body["region"]):
        return "bad region"
    cf = body["compose_file"]
    if not isinstance(cf, dict) or set(cf) != COMPOSE_KEYS:
        return "compose_file fields %s, expected %s" % (sorted(cf) if isinstance(cf, dict) else cf,
                                                        sorted(COMPOSE_KEYS))
    if cf["name"] != "" or cf["allowed_envs"] != [] or cf["public_logs"] is not True or \
            cf["public_sysinfo"] is not False:
        return "compose_file: name \"\", allowed_envs [], public_logs true, public_sysinfo false expected"
    if not isinstance(cf["docker_compose_file"], str) or not cf["docker_compose_file"]:
        return "compose_file.docker_compose_file must be the YAML text"
    return None


def make_handler(a, st):
    def log_line(method, path, status, key, version):
        with open(a.log, "a") as f:
            f.write("%s %s %s key=%s version=%s\n" % (method, path, status, key, version))

    class H(Handler):

        def route(self, method, parts):
            """(endpoint name, ident) of an API path, or (None, None)."""
            if parts == ["cvms", "provision"] and method == "POST":
                return "provision", None
            if parts == ["cvms"]:
                return {"POST": "commit", "GET": "list"}.get(method), None
            if len(parts) == 2 and parts[0] == "cvms":
                return {"GET": "get", "DELETE": "delete"}.get(method), parts[1]
            if len(parts) == 3 and parts[0] == "cvms":
                if parts[2] == "start" and method == "POST":
                    return "start", parts[1]
                if parts[2] == "attestation" and method == "GET":
                    return "attestation", parts[1]
            return None, None

        def handle_any(self, method):
            url = urllib.parse.urlparse(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if st.root is None:
                st.root = "http://127.0.0.1:%d" % self.server.server_address[1]
            if url.path.startswith("/_fake/"):
                return self.fake_admin(method, url.path, raw)
            if url.path.startswith("/gw/"):
                return self.gateway(method, url.path, raw)
            given = self.headers.get("X-API-Key")
            key = "none" if given is None else ("ok" if a.key and given == a.key else "bad")
            version = self.headers.get("X-Phala-Version") or "-"
            if not url.path.startswith("/api/v1/"):
                log_line(method, url.path, 404, key, version)
                return self.answer(404, {"detail": "Not Found"})
            ep, ident = self.route(method, url.path[len("/api/v1/"):].split("/"))
            if ep is None:
                log_line(method, url.path, 404, key, version)
                return self.answer(404, {"detail": "Not Found"})
            with st.lock:
                act = a.scripts[ep].pop(0) if a.scripts.get(ep) else "ok"
            if act != "ok":
                return self.scripted(method, url.path, act, key, version)
            if key != "ok":
                log_line(method, url.path, 401, key, version)
                return self.answer(401, {"detail": "Invalid API key"})
            if version != a.api_version:
                log_line(method, url.path, 400, key, version)
                return self.answer(400, {"detail": "Unsupported X-Phala-Version %r" % version})
            body = None
            if method == "POST" and ep in ("provision", "commit"):
                if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                    log_line(method, url.path, 415, key, version)
                    return self.answer(415, {"detail": "Content-Type must be application/json"})
                try:
                    body = json.loads(raw)
                except ValueError:
                    log_line(method, url.path, 422, key, version)
                    return self.answer(422, {"detail": "body is not JSON"})
                if a.bodies:
                    with st.lock, open(a.bodies, "a") as f:
                        f.write(json.dumps({"method": method, "path": url.path, "body": body}) + "\n")
            with st.lock:
                status, obj = getattr(self, "do_" + ep)(ident, body)
                st.save()
                pending, st.kms_pending = st.kms_pending, []
            for c in pending:  # a CVM's KMS starts beside the API, which goes on answering
                st.kms.start(c, st.provisions[c["app_id"]]["yaml"],
                             0.0 if a.never_running else a.boot_seconds)
                with st.lock:
                    if c["deleted"] is not None:  # deleted while its KMS started
                        st.kms.stop(c)
                    st.save()
            log_line(method, url.path, status, key, version)
            return self.answer(status, obj)

        def gateway(self, method, path, raw):
            """/gw/APP_ID/health and /gw/APP_ID/attest, forwarded to the CVM's kms-sim."""
            parts = path.split("/", 3)
            rest = parts[3] if len(parts) > 3 else ""
            ep = {("GET", "health"): "kms-health", ("POST", "attest"): "kms-attest"}.get((method, rest))
            if ep is None:
                log_line(method, path, 404, "-", "-")
                return self.answer(404, {"detail": "Not Found"})
            with st.lock:
                act = a.scripts[ep].pop(0) if a.scripts.get(ep) else "ok"
                c = next((c for c in st.cvms if c["app_id"] == parts[2] and st.status(c) is not None), None)
                status = st.status(c) if c else None
                target = st.kms.url(c) if c else None
            if act != "ok":
                if act.startswith("401") and ep == "kms-attest":  # what mero-kms answers without dstack
                    log_line(method, path, 401, "-", "-")
                    return self.answer(401, {"error": "attestation_verification_failed",
                                             "details": "fake gateway: the KMS failed to attest"})
                return self.scripted(method, path, act, "-", "-")
            if c is None or (status == "running" and target is None):
                log_line(method, path, 502, "-", "-")
                return self.answer(502, {"detail": "no app %s behind the gateway" % parts[2]})
            if status != "running":
                log_line(method, path, 503, "-", "-")
                return self.answer(503, {"detail": "the CVM is %s" % status})
            u = urllib.parse.urlparse(target)
            try:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                hdr = {"Content-Type": self.headers.get("Content-Type")} if self.headers.get("Content-Type") else {}
                conn.request(method, "/" + rest, body=raw if method == "POST" else None, headers=hdr)
                r = conn.getresponse()
                body = r.read()
                ctype = r.getheader("Content-Type")
                conn.close()
            except OSError as e:
                log_line(method, path, 502, "-", "-")
                return self.answer(502, {"detail": "the KMS did not answer: %s" % e})
            log_line(method, path, r.status, "-", "-")
            self.send_response(r.status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None

        def scripted(self, method, path, act, key, version):
            name, _, opt = act.partition(":")
            if name == "close":
                log_line(method, path, 0, key, version)
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if name == "garbage":
                log_line(method, path, 200, key, version)
                return self.answer(200, raw=b"<html>not the API</html>")
            status = int(name)
            h = {"Retry-After": opt[3:]} if opt.startswith("ra=") else {}
            detail = {409: {"error_code": "ERR-03-007", "message": "CVM_APP_ID_CONFLICT: the app id is taken"},
                      401: "Invalid API key"}.get(status, "fake error %d" % status)
            log_line(method, path, status, key, version)
            return self.answer(status, {"detail": detail}, headers=h)

        # -- endpoints: each returns (status, JSON object or None) -------------
        def do_provision(self, _ident, body):
            why = check_provision(body)
            if why:
                return 422, {"detail": [{"loc": ["body"], "msg": why, "type": "value_error"}]}
            cf = body["compose_file"]
            app_id = st.provision(body["name"], cf["docker_compose_file"], body["instance_type"])
            p = st.provisions[app_id]
            return 200, {"app_id": app_id, "compose_hash": p["compose_hash"], "app_env_encrypt_pubkey": "ab" * 32,
                         "os_image_hash": "00" * 32, "instance_type": body["instance_type"], "node_id": 7,
                         "device_id": "de" * 32, "fmspc": "00806f050000", "kms_info": {"id": "kms-base-prod5"}}

        def do_commit(self, _ident, body):
            if not isinstance(body, dict) or set(body) != {"app_id", "compose_hash"}:
                return 422, {"detail": "expected exactly app_id and compose_hash"}
            p = st.provisions.get(body["app_id"])
            if p is None:
                return 404, {"detail": "no provision for app_id %s" % body["app_id"]}
            if body["compose_hash"] != p["compose_hash"]:
                return 409, {"detail": {"error_code": "ERR-03-007", "message": "compose hash differs"}}
            for c in st.cvms:
                if c["app_id"] == body["app_id"] and st.status(c) is not None:
                    return 200, st.info(c)  # idempotent for the same app_id and hash
            info = st.info(st.commit_new(body["app_id"]))
            info["status"] = "creating"  # as the real commit answers; GET tells the truth
            return 200, info

        def do_list(self, _ident, _body):
            return 200, [st.info(c) for c in st.cvms if st.status(c) is not None]

        def do_get(self, ident, _body):
            c = st.find(ident)
            return (200, st.info(c)) if c else (404, {"detail": "CVM %s not found" % ident})

        def do_start(self, ident, _body):
            c = st.find(ident)
            if c is None:
                return 404, {"detail": "CVM %s not found" % ident}
            if st.status(c) in ("stopped", "created"):
                c["started"] = time.monotonic()
                c["starts"] += 1
            return 200, st.info(c)

        def do_attestation(self, ident, _body):
            c = st.find(ident)
            if c is None:
                return 404, {"detail": "CVM %s not found" % ident}
            if st.status(c) != "running":
                return 409, {"detail": "CVM %s is not running" % ident}
            tcb = {"mrtd": "aa" * 48, "rootfs_hash": "bb" * 48, "rtmr0": "00" * 48, "rtmr1": "11" * 48,
                   "rtmr2": "22" * 48, "rtmr3": "33" * 48, "event_log": [], "app_compose": c["app_compose"]}
            return 200, {"name": c["name"], "is_online": True, "is_public": True, "error": None,
                         "app_certificates": [], "tcb_info": tcb, "compose_file": c["app_compose"]}

        def do_delete(self, ident, _body):
            c = st.find(ident)
            if c is None:
                return 404, {"detail": "CVM %s not found" % ident}
            if c["deleted"] is None:
                c["deleted"] = time.monotonic()
                st.kms.stop(c)
            return 204, None

        def fake_admin(self, method, path, raw):
            if method == "GET" and path == "/_fake/state":
                with st.lock:
                    return self.answer(200, st.dump())
            if method == "PUT" and path.startswith("/_fake/endpoint/"):
                with st.lock:
                    a.endpoints[path[len("/_fake/endpoint/"):]] = raw.decode().strip()
                return self.answer(204)
            return self.answer(404, {"detail": "no such fake endpoint"})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PUT(self):
            self.handle_any("PUT")

        def do_DELETE(self):
            self.handle_any("DELETE")

    return H


def main():
    a = parse_args()
    # SIGTERM and SIGINT end the fake through the finally below: no kms-sim outlives it
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(0))
    st = State(a)
    try:
        st.save()
        serve(make_handler(a, st), "/api/v1")
    finally:
        st.kms.stop_all()


if __name__ == "__main__":
    main()
