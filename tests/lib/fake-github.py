#!/usr/bin/env python3
"""fake-github.py: a stateful stand-in for the GitHub REST API on 127.0.0.1, the one
every suite shares (python3 standard library only).

  fake-github.py [--log FILE] [--seed FILE] [--git-root DIR]

It listens on two ports chosen by the system: the API (printed on stdout as its base
URL, one line, once it accepts connections) and an "asset host" standing in for
objects.githubusercontent.com, where release-asset and artifact downloads are
redirected with a signed URL (it refuses requests that carry an Authorization header,
as S3 does, so a client that leaks its token there fails).

What a client must send, checked on every API request (answered as GitHub answers):
  User-Agent (403), Accept holding application/vnd.github+json (or
  application/octet-stream for a download; 415), X-GitHub-Api-Version 2022-11-28 or
  2026-03-10 (400; GitHub defaults a missing one, this fake refuses it), Authorization
  "Bearer TOKEN" or "token TOKEN" with a seeded token (401); on uploads also a
  Content-Type that is a media type (not the form type curl defaults to; 422) and a
  Content-Length (411).

The API (state in memory; ids are numbers from 1000):
  releases: list (drafts included), get, by tag (404 for drafts), latest, create (422
  already_exists for a published tag; 422 for a tag used by an immutable release),
  PATCH (publishing makes the release immutable when the repository has
  immutable_releases), DELETE; assets: list, get, download (Accept:
  application/octet-stream -> 302 to the asset host), PATCH, DELETE (204), upload at
  upload_url = BASE/uploads/repos/O/R/releases/ID/assets{?name,label} (422
  already_exists for a name that exists, 422 "Cannot upload assets to an immutable
  release."; digest "sha256:..." unless the setting digest is false);
  pulls: list (state, head, base), create (422 when an open one has the head; 403 when
  actions_can_create_pr is false), get, PATCH, files (seeded, or computed from the
  git repository), reviews (list, create, dismiss); issue labels (get, add, set,
  remove) and comments; team members and memberships; commit statuses (create, list,
  combined); Actions runs, their artifacts and the artifact zip (302 to the asset
  host); git refs, branches, commits, compare and contents read from a bare git
  repository per repository (GIT_ROOT/O/R.git), which also answers git's smart HTTP
  at BASE/O/R.git (user anything, password a seeded token), so pushes and fetches work
  as against GitHub; branch protection (get, put, delete); /user; /rate_limit.
Every list paginates with Link (per_page default 30, at most the setting
max_per_page, 100 like GitHub) and every answer carries x-ratelimit-* headers.

Control (no authentication), for the tests:
  POST /_fake/seed     JSON merged into the state: {"tokens": {TOKEN: LOGIN},
                       "teams": {"org/slug": [LOGIN...]}, "settings": {...},
                       "repos": {"o/r": {"default_branch", "immutable_releases", "git": true,
                       "actions_can_create_pr", "releases": [{"tag_name", "draft",
                       "immutable", "prerelease", "name", "body", "assets": [{"name",
                       "content" | "content_b64" | "size", "state", "label",
                       "content_type"}], "generate_assets": N}], "pulls": [{"number",
                       "title", "body", "user", "head", "base", "labels", "files",
                       "reviews" ({"user", "state", "commit_id", "body"}), "comments"
                       ({"user", "body"}), "draft", "state"}], "runs": [{"id", "artifacts":
                       [{"name", "files": {PATH: TEXT}}]}], "protection": {BRANCH: {...}}}}}
                       -> the state
  GET /_fake/state     releases with their assets (plus "sha256" of the stored bytes),
                       pulls, statuses, protection, git paths, the asset host's URL
  POST /_fake/faults   one fault or a list; each {"action", "method" ("*"), "path"
                       (a regular expression searched in the path), "host" ("api" or
                       "assets"), "times" (1; -1 for ever), "retry_after", "reset_in",
                       "status", "message"}. Actions: 500, 502, 503 (an error answer);
                       429 (Retry-After when retry_after is given); secondary (403, the
                       secondary-limit message, Retry-After when given); primary (403 or
                       "status", x-ratelimit-remaining 0, reset in reset_in s); 401; 403
                       (no rate-limit headers); 4xx ("status", default 400, and "message");
                       close (the connection dropped before any
                       answer); drop-upload (half the upload read, a "starter" asset
                       left, the connection dropped); starter-502 (the whole upload read,
                       a starter asset left, 502); size-mismatch and digest-mismatch (the
                       upload stored, its answer reporting another size or digest); race
                       (another writer's asset of the name, holding "content", lands
                       first: 422 already_exists);
                       link-elsewhere (the answer's Link rel="next" points at another host);
                       on the asset host (releases: downloads) also corrupt (the bytes served
                       with the first one flipped) and short (the first half served, a
                       Content-Length that says so)
  DELETE /_fake/faults remove the faults not yet used
  GET /_fake/log       the request log: [{"host", "method", "path", "status", "auth"
                       ("ok", "bad", "none"), "headers"}]: every header, the
                       Authorization value replaced by its scheme and "[redacted]"
  GET /_fake/asset/ID  an asset's stored bytes
The log also goes to --log FILE, one JSON object a line, written before each answer.
"""
import argparse
import base64
import hashlib
import http.server
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile

API_VERSIONS = ("2022-11-28", "2026-03-10")
DOCS = "https://docs.github.com/rest"
SECONDARY_MSG = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                 "If you reach out to GitHub Support for help, please include the request ID.")
UA_MSG = ("Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
          "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). "
          "Check https://developer.github.com for other possible causes.")


class Fail(Exception):
    def __init__(self, status, message, errors=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers or {}


class Drop(Exception):
    """Close the connection without an answer."""


def iso(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def not_found():
    return Fail(404, "Not Found")


def validation(resource, code, field, message=None):
    e = {"resource": resource, "code": code, "field": field}
    if message:
        e["message"] = message
    return Fail(422, "Validation Failed", [e])


class State:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.tokens = {}
        self.repos = {}
        self.teams = {}
        self.settings = {"max_per_page": 100, "digest": True}
        self.faults = []
        self.log = []
        self.log_file = args.log
        self.next_id = 1000
        self.data = tempfile.mkdtemp(prefix="fake-github-")
        self.git_root = os.path.abspath(args.git_root) if args.git_root else os.path.join(self.data, "git")
        self.signed = {}
        self.remaining = 5000
        self.api_base = self.asset_base = ""

    def new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def repo(self, o, r):
        rp = self.repos.get("%s/%s" % (o, r))
        if rp is None:
            raise not_found()
        return rp

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if self.log_file:
                with open(self.log_file, "a") as f:
                    f.write(json.dumps(entry, sort_keys=True) + "\n")

    def take_fault(self, host, method, path):
        with self.lock:
            for f in self.faults:
                if f.get("times", 1) == 0:
                    continue
                if f.get("host", "api") != host or f.get("method", "*") not in ("*", method):
                    continue
                if not re.search(f.get("path", ""), path):
                    continue
                if f.get("times", 1) > 0:
                    f["times"] = f.get("times", 1) - 1
                return dict(f)
        return None

    def sign(self, what):
        sig = secrets.token_hex(16)
        with self.lock:
            self.signed[sig] = what
        return "%s/%s/%s?X-Amz-Signature=%s&X-Amz-Expires=300" % (self.asset_base, what[0], sig, sig)

    # ---- seeding ----
    def seed(self, s):
        with self.lock:
            self.tokens.update(s.get("tokens", {}))
            self.teams.update(s.get("teams", {}))
            self.settings.update(s.get("settings", {}))
            for name, spec in s.get("repos", {}).items():
                self.seed_repo(name, spec)

    def seed_repo(self, name, spec):
        rp = self.repos.get(name)
        if rp is None:
            rp = self.repos[name] = {
                "full_name": name, "id": self.new_id(), "default_branch": "master", "immutable_releases": False,
                "actions_can_create_pr": True, "releases": {}, "assets": {}, "immutable_tags": set(),
                "pulls": {}, "next_number": 1, "statuses": {}, "runs": {}, "artifacts": {}, "protection": {},
                "git": None, "labels": {}}
        for k in ("default_branch", "immutable_releases", "actions_can_create_pr"):
            if k in spec:
                rp[k] = spec[k]
        if spec.get("git") and not rp["git"]:
            path = os.path.join(self.git_root, name + ".git")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.isdir(path):
                subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=" + rp["default_branch"], path],
                               check=True)
            rp["git"] = path
        for rel in spec.get("releases", []):
            self.seed_release(rp, rel)
        for pr in spec.get("pulls", []):
            self.seed_pull(rp, pr)
        for run in spec.get("runs", []):
            self.seed_run(rp, run)
        rp["protection"].update(spec.get("protection", {}))

    def seed_release(self, rp, spec):
        rel = new_release(self, rp, spec, spec.get("author", "seed"))
        rel["immutable"] = rel["immutable"] or (bool(spec.get("immutable", False)) and not rel["draft"])
        assets = list(spec.get("assets", []))
        for i in range(spec.get("generate_assets", 0)):
            assets.append({"name": "asset-%04d.txt" % (i + 1), "content": "asset %d\n" % (i + 1)})
        for a in assets:
            if "content_b64" in a:
                data = base64.b64decode(a["content_b64"])
            elif "content" in a:
                data = a["content"].encode()
            else:
                data = b"\0" * int(a.get("size", 0))
            add_asset(self, rp, rel, a["name"], a.get("label"), a.get("content_type", "application/octet-stream"),
                      data, a.get("state", "uploaded"))

    def seed_pull(self, rp, spec):
        n = spec.get("number") or rp["next_number"]
        rp["next_number"] = max(rp["next_number"], n + 1)
        head, base = spec.get("head", {}), spec.get("base", {})
        pr = {"number": n, "id": self.new_id(), "title": spec.get("title", "pull %d" % n), "body": spec.get("body", ""),
              "state": spec.get("state", "open"), "draft": bool(spec.get("draft", False)),
              "user": {"login": spec.get("user", "author")}, "labels": [],
              "head": {"ref": head.get("ref", "feature-%d" % n), "sha": head.get("sha", "0" * 40)},
              "base": {"ref": base.get("ref", rp["default_branch"]), "sha": base.get("sha", "0" * 40)},
              "files": spec.get("files"), "reviews": [], "comments": [], "created_at": iso(), "merged": False}
        for lb in spec.get("labels", []):
            pr["labels"].append(label_json(self, rp, lb))
        for rv in spec.get("reviews", []):
            pr["reviews"].append(review_json(self, pr, rv.get("user", "reviewer"), rv.get("state", "APPROVED"),
                                             rv.get("commit_id"), rv.get("body", "")))
        for c in spec.get("comments", []):
            pr["comments"].append({"id": self.new_id(), "user": {"login": c.get("user", "commenter")},
                                   "body": c.get("body", ""), "created_at": c.get("created_at", iso())})
        rp["pulls"][n] = pr

    def seed_run(self, rp, spec):
        rid = spec.get("id") or self.new_id()
        run = {"id": rid, "name": spec.get("name", "probe"), "status": spec.get("status", "completed"),
               "conclusion": spec.get("conclusion", "success"), "head_sha": spec.get("head_sha", "0" * 40),
               "artifacts": []}
        for a in spec.get("artifacts", []):
            aid = self.new_id()
            zbuf = io.BytesIO()
            with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
                for p, text in sorted(a.get("files", {}).items()):
                    z.writestr(p, text)
            path = os.path.join(self.data, "artifact-%d.zip" % aid)
            with open(path, "wb") as f:
                f.write(zbuf.getvalue())
            rp["artifacts"][aid] = {"id": aid, "name": a.get("name", "probe-artifacts"), "run_id": rid,
                                    "size_in_bytes": len(zbuf.getvalue()), "file": path,
                                    "expired": bool(a.get("expired", False))}
            run["artifacts"].append(aid)
        rp["runs"][rid] = run


# ---- JSON shapes ----

def new_release(st, rp, spec, login):
    rid = st.new_id()
    rel = {"id": rid, "tag_name": spec["tag_name"], "name": spec.get("name") or spec["tag_name"],
           "body": spec.get("body", ""), "draft": bool(spec.get("draft", False)),
           "prerelease": bool(spec.get("prerelease", False)), "immutable": False,
           "target_commitish": spec.get("target_commitish", rp["default_branch"]), "created_at": iso(),
           "published_at": None, "author": {"login": login}, "untagged": "untagged-" + secrets.token_hex(10)}
    if not rel["draft"]:
        publish(rp, rel)
    rp["releases"][rid] = rel
    return rel


def publish(rp, rel):
    rel["draft"] = False
    rel["published_at"] = iso()
    if rp["immutable_releases"]:
        rel["immutable"] = True


def add_asset(st, rp, rel, name, label, ctype, data, state="uploaded"):
    aid = st.new_id()
    path = os.path.join(st.data, "asset-%d" % aid)
    with open(path, "wb") as f:
        f.write(data)
    rp["assets"][aid] = {"id": aid, "release_id": rel["id"], "name": name, "label": label or "", "state": state,
                         "size": len(data), "content_type": ctype, "sha256": hashlib.sha256(data).hexdigest(),
                         "file": path, "created_at": iso(), "uploader": {"login": "seed"}}
    return rp["assets"][aid]


def release_json(st, rp, rel, with_assets=True):
    o, r = rp["full_name"].split("/")
    base = "%s/repos/%s/%s/releases/%d" % (st.api_base, o, r, rel["id"])
    tag = rel["untagged"] if rel["draft"] else rel["tag_name"]
    j = {k: rel[k] for k in ("id", "tag_name", "name", "body", "draft", "prerelease", "immutable",
                             "target_commitish", "created_at", "published_at", "author")}
    j.update({"url": base, "assets_url": base + "/assets",
              "upload_url": "%s/repos/%s/%s/releases/%d/assets{?name,label}" % (
                  st.settings.get("upload_base") or st.api_base + "/uploads", o, r, rel["id"]),
              "html_url": "https://github.invalid/%s/releases/tag/%s" % (rp["full_name"], tag)})
    if with_assets:
        j["assets"] = [asset_json(st, rp, a) for a in assets_of(rp, rel)]
    return j


def assets_of(rp, rel):
    return sorted((a for a in rp["assets"].values() if a["release_id"] == rel["id"]), key=lambda a: a["id"])


def asset_json(st, rp, a):
    rel = rp["releases"][a["release_id"]]
    tag = rel["untagged"] if rel["draft"] else rel["tag_name"]
    j = {k: a[k] for k in ("id", "name", "label", "state", "size", "content_type", "created_at", "uploader")}
    j.update({"download_count": 0, "updated_at": a["created_at"],
              "url": "%s/repos/%s/releases/assets/%d" % (st.api_base, rp["full_name"], a["id"]),
              "browser_download_url": "%s/download/%s/%s/%s" % (st.asset_base, rp["full_name"], tag, a["name"])})
    if st.settings.get("digest", True) and a["state"] == "uploaded":
        j["digest"] = "sha256:" + a["sha256"]
    return j


def label_json(st, rp, name):
    if name not in rp["labels"]:
        rp["labels"][name] = {"id": st.new_id(), "name": name, "color": "ededed", "default": False}
    return dict(rp["labels"][name])


def review_json(st, pr, login, state, commit_id, body):
    return {"id": st.new_id(), "user": {"login": login}, "state": state, "body": body,
            "commit_id": commit_id or pr["head"]["sha"], "submitted_at": iso()}


# ---- git ----

def git(rp, *args, check=True):
    if not rp["git"]:
        raise Fail(409, "Git Repository is empty.")
    p = subprocess.run(["git", "--git-dir", rp["git"]] + list(args), capture_output=True)
    if check and p.returncode:
        raise not_found()
    return p


def rev(rp, ref):
    p = git(rp, "rev-parse", "--verify", "-q", ref + "^{commit}", check=False)
    return p.stdout.decode().strip() if p.returncode == 0 else None


def diff_files(rp, base, head):
    """The files of base...head as the pulls/files endpoint lists them."""
    mb = git(rp, "merge-base", base, head).stdout.decode().strip()
    out = git(rp, "diff", "--no-color", "-M", "--numstat", "-z", mb, head).stdout.decode()
    files, parts, i = [], out.split("\0"), 0
    while i < len(parts) and parts[i]:
        add, dele, path = parts[i].split("\t", 2)
        prev = None
        if path == "":
            prev, path = parts[i + 1], parts[i + 2]
            i += 3
        else:
            i += 1
        patch = git(rp, "diff", "--no-color", "-M", mb, head, "--", *(p for p in (prev, path) if p)).stdout.decode()
        body = patch.split("\n@@", 1)
        status = "renamed" if prev else "modified"
        if "\nnew file mode" in patch:
            status = "added"
        elif "\ndeleted file mode" in patch:
            status = "removed"
        f = {"filename": path, "status": status, "additions": int(add) if add != "-" else 0,
             "deletions": int(dele) if dele != "-" else 0, "sha": hashlib.sha1(path.encode()).hexdigest()}
        f["changes"] = f["additions"] + f["deletions"]
        if len(body) == 2:
            f["patch"] = "@@" + body[1].rstrip("\n")
        if prev:
            f["previous_filename"] = prev
        files.append(f)
    return files


# ---- the handlers ----

class Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    st = None
    host_kind = "api"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def log_entry(self, status):
        if self.path.startswith("/_fake/"):
            return  # the tests' own control calls
        hdrs = {}
        auth = "none"
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                scheme = v.split(" ", 1)[0]
                tok = v.split(" ", 1)[1].strip() if " " in v else ""
                if scheme.lower() == "basic":
                    try:
                        tok = base64.b64decode(tok).decode().split(":", 1)[1]
                    except Exception:
                        tok = ""
                auth = "ok" if tok in self.st.tokens else "bad"
                v = scheme + " [redacted]"
            hdrs[k.lower()] = v
        self.st.record({"host": self.host_kind, "method": self.command, "path": self.path, "status": status,
                        "auth": auth, "headers": hdrs})

    def send(self, status, body=b"", ctype="application/json; charset=utf-8", headers=None):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body, indent=1) + "\n").encode()
        self.log_entry(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_json(self, e):
        j = {"message": e.message, "documentation_url": DOCS, "status": str(e.status)}
        if e.errors is not None:
            j["errors"] = e.errors
        self.send(e.status, j, headers=dict(self.rate_headers(), **e.headers))

    def rate_headers(self):
        return {}

    def drop(self):
        self.log_entry("dropped")
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def body_length(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        try:
            return int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None

    def read_body(self, limit=None):
        n = self.body_length()
        if n is None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self.read_chunked()
            return b""
        return self.rfile.read(n if limit is None else min(n, limit))

    def read_chunked(self):
        out = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    def drain(self):
        n = self.body_length()
        while n and n > 0:
            chunk = self.rfile.read(min(n, 1 << 20))
            if not chunk:
                break
            n -= len(chunk)

    def fault_answer(self, f):
        """Answer with a generic fault; True when it did."""
        a = f["action"]
        if a == "close":
            self.drop()
            return True
        heads = {}
        if a in ("500", "502", "503"):
            status, msg = int(a), f.get("message", "Server Error")
        elif a == "429":
            status, msg = 429, f.get("message", "Too Many Requests")
        elif a == "secondary":
            status, msg = f.get("status", 403), f.get("message", SECONDARY_MSG)
        elif a == "primary":
            status, msg = f.get("status", 403), f.get("message", "API rate limit exceeded for user ID 1.")
            heads = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                     "x-ratelimit-reset": str(int(time.time() + f.get("reset_in", 1))),
                     "x-ratelimit-resource": "core"}
        elif a == "401":
            status, msg = 401, f.get("message", "Bad credentials")
        elif a == "403":
            status, msg = 403, f.get("message", "Resource not accessible by integration")
        elif a == "4xx":
            status, msg = int(f.get("status", 400)), f.get("message", "Bad Request")
        else:
            return False
        if "retry_after" in f:
            heads["Retry-After"] = str(f["retry_after"])
        self.drain()
        j = {"message": msg, "documentation_url": DOCS, "status": str(status)}
        self.send(status, j, headers=heads if a == "primary" else dict(self.rate_headers(), **heads))
        return True


class AssetHandler(Base):
    host_kind = "assets"

    def dispatch(self, method):
        path = urllib.parse.urlsplit(self.path).path
        try:
            f = self.st.take_fault("assets", method, path)
            if f and self.fault_answer(f):
                return
            self.download_fault = f["action"] if f and f["action"] in ("corrupt", "short") else None
            if method not in ("GET", "HEAD"):
                raise Fail(405, "Method Not Allowed")
            m = re.fullmatch(r"/(asset|artifact)/([0-9a-f]+)", path)
            if m:
                if "Authorization" in self.headers:
                    raise Fail(400, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                               "Signature query string parameter or the Authorization header should be specified")
                what = self.st.signed.get(m.group(2))
                if not what or what[0] != m.group(1):
                    raise Fail(403, "Request has expired or its signature does not match")
                return self.send_file(what[1], "application/zip" if what[0] == "artifact" else
                                      "application/octet-stream")
            m = re.fullmatch(r"/download/([^/]+)/([^/]+)/([^/]+)/([^/]+)", path)
            if m:
                rp = self.st.repo(m.group(1), m.group(2))
                for a in rp["assets"].values():
                    rel = rp["releases"][a["release_id"]]
                    tag = rel["untagged"] if rel["draft"] else rel["tag_name"]
                    if tag == m.group(3) and a["name"] == m.group(4) and a["state"] == "uploaded":
                        return self.send_file(a["file"], "application/octet-stream")
            raise not_found()
        except Fail as e:
            self.send_error_json(e)

    def send_file(self, path, ctype):
        with open(path, "rb") as f:
            data = f.read()
        fault = getattr(self, "download_fault", None)
        if fault == "corrupt" and data:  # a download damaged on the way (releases)
            data = bytes([data[0] ^ 1]) + data[1:]
        elif fault == "short":
            data = data[:len(data) // 2]
        self.send(200, data, ctype)


class ApiHandler(Base):
    def rate_headers(self):
        with self.st.lock:
            self.st.remaining = max(self.st.remaining - 1, 1)
            rem = self.st.remaining
        return {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(rem), "x-ratelimit-used": str(5000 - rem),
                "x-ratelimit-reset": str(int(time.time()) + 3600), "x-ratelimit-resource": "core",
                "X-GitHub-Api-Version-Selected": self.headers.get("X-GitHub-Api-Version", API_VERSIONS[0])}

    def dispatch(self, method):
        u = urllib.parse.urlsplit(self.path)
        path, query = u.path, dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        self.link_fault = None
        try:
            if path.startswith("/_fake/"):
                return self.control(method, path)
            if re.fullmatch(r"/[^/_][^/]*/[^/]+?(\.git)?/(info/refs|git-upload-pack|git-receive-pack)", path):
                return self.git_http(method, path, u.query)
            self.check_headers(path)
            f = self.st.take_fault("api", method, path)
            if f and self.fault_answer(f):
                return
            self.login = self.auth()
            self.fault = f
            if f and f["action"] == "link-elsewhere":
                self.link_fault = f
            self.route(method, path, query)
        except Drop:
            self.drop()
        except Fail as e:
            self.send_error_json(e)

    # ---- checks ----
    def check_headers(self, path):
        if not self.headers.get("User-Agent"):
            raise Fail(403, UA_MSG)
        accept = self.headers.get("Accept", "")
        download = "application/octet-stream" in accept and re.search(r"(/releases/assets/\d+|/actions/artifacts/\d+/zip)$", path)
        if "application/vnd.github+json" not in accept and "application/vnd.github.raw" not in accept and not download:
            raise Fail(415, "Unsupported 'Accept' header: '%s'. Must accept 'application/vnd.github+json'." % accept)
        ver = self.headers.get("X-GitHub-Api-Version")
        if ver is None:
            raise Fail(400, "Missing 'X-GitHub-Api-Version' header: this fake requires it (GitHub defaults to "
                       "2022-11-28).")
        if ver not in API_VERSIONS:
            raise Fail(400, "API version '%s' is not supported." % ver)

    def auth(self):
        v = self.headers.get("Authorization")
        if not v:
            raise Fail(401, "Requires authentication")
        parts = v.split(" ", 1)
        if len(parts) != 2 or parts[0].lower() not in ("bearer", "token") or parts[1].strip() not in self.st.tokens:
            raise Fail(401, "Bad credentials")
        return self.st.tokens[parts[1].strip()]

    def json_body(self):
        raw = self.read_body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise Fail(400, "Problems parsing JSON")

    # ---- answers ----
    def ok(self, status, body, headers=None):
        h = self.rate_headers()
        h.update(headers or {})
        if self.link_fault:
            h["Link"] = '<http://elsewhere.invalid:9/repositories/1/next?page=2>; rel="next"'
        if status == 204:
            return self.send(204, b"", headers=h)
        self.send(status, body, headers=h)

    def page(self, items, query, path):
        try:
            per = int(query.get("per_page", 30))
        except ValueError:
            per = 30
        per = max(1, min(per, int(self.st.settings.get("max_per_page", 100))))
        try:
            pg = max(1, int(query.get("page", 1)))
        except ValueError:
            pg = 1
        last = max(1, math.ceil(len(items) / per))
        links = []

        def url(p):
            q = dict(query, page=str(p))
            return "<%s%s?%s>" % (self.st.api_base, path, urllib.parse.urlencode(q))
        if pg < last:
            links += [url(pg + 1) + '; rel="next"', url(last) + '; rel="last"']
        if pg > 1:
            links += [url(pg - 1) + '; rel="prev"', url(1) + '; rel="first"']
        return items[(pg - 1) * per:pg * per], ({"Link": ", ".join(links)} if links else {})

    def list_answer(self, items, query, path, key=None, total=None):
        chunk, h = self.page(items, query, path)
        if key:
            chunk = {"total_count": len(items) if total is None else total, key: chunk}
        self.ok(200, chunk, h)

    # ---- control ----
    def control(self, method, path):
        st = self.st
        if method == "POST" and path == "/_fake/seed":
            st.seed(self.json_body())
            return self.send(200, self.state_json())
        if method == "GET" and path == "/_fake/state":
            return self.send(200, self.state_json())
        if method == "POST" and path == "/_fake/faults":
            b = self.json_body()
            with st.lock:
                st.faults.extend(b if isinstance(b, list) else [b])
            return self.send(200, {"faults": len(st.faults)})
        if method == "DELETE" and path == "/_fake/faults":
            with st.lock:
                st.faults = []
            return self.send(204)
        if method == "GET" and path == "/_fake/log":
            with st.lock:
                return self.send(200, list(st.log))
        m = re.fullmatch(r"/_fake/asset/(\d+)", path)
        if method == "GET" and m:
            for rp in st.repos.values():
                a = rp["assets"].get(int(m.group(1)))
                if a:
                    with open(a["file"], "rb") as f:
                        return self.send(200, f.read(), "application/octet-stream")
        raise not_found()

    def state_json(self):
        st = self.st
        with st.lock:
            repos = {}
            for name, rp in st.repos.items():
                rels = []
                for rel in sorted(rp["releases"].values(), key=lambda r: r["id"]):
                    j = release_json(st, rp, rel)
                    for aj in j["assets"]:
                        aj["sha256"] = rp["assets"][aj["id"]]["sha256"]
                    rels.append(j)
                pulls = {}
                for n, pr in rp["pulls"].items():
                    pj = self.pull_json(rp, pr)
                    pj["reviews"] = pr["reviews"]
                    pj["comments"] = pr["comments"]
                    pulls[str(n)] = pj
                repos[name] = {"releases": rels, "pulls": pulls, "statuses": rp["statuses"],
                               "protection": rp["protection"], "git": rp["git"],
                               "immutable_tags": sorted(rp["immutable_tags"])}
            return {"api": st.api_base, "asset_host": st.asset_base, "repos": repos, "settings": st.settings}

    # ---- git smart HTTP (git http-backend) ----
    def git_http(self, method, path, qs):
        v = self.headers.get("Authorization", "")
        login = None
        if v.lower().startswith("basic "):
            try:
                tok = base64.b64decode(v[6:]).decode().split(":", 1)[1]
                login = self.st.tokens.get(tok)
            except Exception:
                login = None
        if not login:
            return self.send(401, b"Authentication required\n", "text/plain",
                             {"WWW-Authenticate": 'Basic realm="GitHub"'})
        m = re.fullmatch(r"/([^/]+)/([^/]+?)(?:\.git)?(/.*)", path)
        rp = self.st.repos.get(m.group(1) + "/" + m.group(2))
        if not rp or not rp["git"]:
            return self.send(404, b"Repository not found.\n", "text/plain")
        body = self.read_body()
        env = {"GIT_PROJECT_ROOT": self.st.git_root, "GIT_HTTP_EXPORT_ALL": "1", "REQUEST_METHOD": method,
               "PATH_INFO": "/%s/%s.git%s" % (m.group(1), m.group(2), m.group(3)), "QUERY_STRING": qs,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "REMOTE_USER": login, "REMOTE_ADDR": "127.0.0.1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": self.st.data}
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        p = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, out = p.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, out = p.stdout.partition(b"\n\n")
        status, hdrs, ctype = 200, {}, "text/plain"
        for line in head.decode(errors="replace").splitlines():
            k, _, val = line.partition(":")
            if k.lower() == "status":
                status = int(val.split()[0])
            elif k.lower() == "content-type":
                ctype = val.strip()
            elif k:
                hdrs[k] = val.strip()
        self.send(status, out, ctype, hdrs)

    # ---- routing ----
    def route(self, method, path, query):
        for meth, pat, fn in ROUTES:
            if meth != method:
                continue
            m = re.fullmatch(pat, path)
            if m:
                g = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                with_repo = "o" in g
                if with_repo:
                    rp = self.st.repo(g.pop("o"), g.pop("r"))
                    return fn(self, rp, query, path, **g)
                return fn(self, query, path, **g)
        raise not_found()

    # ---- users, teams, rate limit ----
    def user(self, query, path):
        self.ok(200, {"login": self.login, "id": abs(hash(self.login)) % 100000, "type": "User"})

    def rate_limit(self, query, path):
        r = {"limit": 5000, "remaining": self.st.remaining, "reset": int(time.time()) + 3600, "used": 0}
        self.ok(200, {"resources": {"core": r}, "rate": r})

    def team_members(self, query, path, org, slug):
        members = self.st.teams.get(org + "/" + slug)
        if members is None:
            raise not_found()
        self.list_answer([{"login": m, "id": i + 1, "type": "User"} for i, m in enumerate(members)], query, path)

    def team_membership(self, query, path, org, slug, user):
        members = self.st.teams.get(org + "/" + slug)
        if members is None or user not in members:
            raise not_found()
        self.ok(200, {"state": "active", "role": "member", "url": self.st.api_base + path})

    def repo_get(self, rp, query, path):
        o, r = rp["full_name"].split("/")
        self.ok(200, {"id": rp["id"], "full_name": rp["full_name"], "name": r, "owner": {"login": o},
                      "default_branch": rp["default_branch"], "private": False,
                      "html_url": "https://github.invalid/" + rp["full_name"]})

    # ---- releases ----
    def release(self, rp, rid):
        rel = rp["releases"].get(int(rid))
        if not rel:
            raise not_found()
        return rel

    def releases_list(self, rp, query, path):
        rels = sorted(rp["releases"].values(), key=lambda r: r["id"], reverse=True)
        self.list_answer([release_json(self.st, rp, r) for r in rels], query, path)

    def release_get(self, rp, query, path, rid):
        self.ok(200, release_json(self.st, rp, self.release(rp, rid)))

    def release_by_tag(self, rp, query, path, tag):
        for rel in sorted(rp["releases"].values(), key=lambda r: r["id"]):
            if rel["tag_name"] == tag and not rel["draft"]:
                return self.ok(200, release_json(self.st, rp, rel))
        raise not_found()

    def release_latest(self, rp, query, path):
        rels = [r for r in rp["releases"].values() if not r["draft"] and not r["prerelease"]]
        if not rels:
            raise not_found()
        self.ok(200, release_json(self.st, rp, max(rels, key=lambda r: (r["published_at"], r["id"]))))

    def release_create(self, rp, query, path):
        b = self.json_body()
        tag = b.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise validation("Release", "missing_field", "tag_name")
        with self.st.lock:
            if tag in rp["immutable_tags"]:
                raise validation("Release", "custom", "tag_name", "tag_name was used by an immutable release")
            if not b.get("draft") and any(r["tag_name"] == tag and not r["draft"] for r in rp["releases"].values()):
                raise validation("Release", "already_exists", "tag_name")
            rel = new_release(self.st, rp, b, self.login)
        self.ok(201, release_json(self.st, rp, rel), {"Location": release_json(self.st, rp, rel)["url"]})

    def release_patch(self, rp, query, path, rid):
        b = self.json_body()
        with self.st.lock:
            rel = self.release(rp, rid)
            if rel["immutable"] and (b.get("draft") is True or ("tag_name" in b and b["tag_name"] != rel["tag_name"])):
                raise Fail(422, "Cannot modify an immutable release.")
            for k in ("name", "body", "prerelease", "tag_name", "target_commitish"):
                if k in b:
                    rel[k] = b[k]
            if b.get("draft") is False and rel["draft"]:
                if any(r["tag_name"] == rel["tag_name"] and not r["draft"] for r in rp["releases"].values()):
                    raise validation("Release", "already_exists", "tag_name")
                if rel["tag_name"] in rp["immutable_tags"]:
                    raise validation("Release", "custom", "tag_name", "tag_name was used by an immutable release")
                publish(rp, rel)
            elif b.get("draft") is True:
                rel["draft"], rel["published_at"] = True, None
        self.ok(200, release_json(self.st, rp, rel))

    def release_delete(self, rp, query, path, rid):
        with self.st.lock:
            rel = self.release(rp, rid)
            if rel["immutable"]:
                rp["immutable_tags"].add(rel["tag_name"])
            for a in assets_of(rp, rel):
                del rp["assets"][a["id"]]
            del rp["releases"][rel["id"]]
        self.ok(204, None)

    def assets_list(self, rp, query, path, rid):
        rel = self.release(rp, rid)
        self.list_answer([asset_json(self.st, rp, a) for a in assets_of(rp, rel)], query, path)

    def asset(self, rp, aid):
        a = rp["assets"].get(int(aid))
        if not a:
            raise not_found()
        return a

    def asset_get(self, rp, query, path, aid):
        a = self.asset(rp, aid)
        if "application/octet-stream" in self.headers.get("Accept", ""):
            return self.ok(302, b"", {"Location": self.st.sign(("asset", a["file"]))})
        self.ok(200, asset_json(self.st, rp, a))

    def asset_patch(self, rp, query, path, aid):
        b = self.json_body()
        with self.st.lock:
            a = self.asset(rp, aid)
            if rp["releases"][a["release_id"]]["immutable"]:
                raise Fail(422, "Cannot modify assets of an immutable release.")
            for k in ("name", "label"):
                if k in b:
                    a[k] = b[k]
        self.ok(200, asset_json(self.st, rp, a))

    def asset_delete(self, rp, query, path, aid):
        with self.st.lock:
            a = self.asset(rp, aid)
            if rp["releases"][a["release_id"]]["immutable"]:
                raise Fail(422, "Cannot delete assets from an immutable release.")
            del rp["assets"][a["id"]]
        try:
            os.unlink(a["file"])
        except OSError:
            pass
        self.ok(204, None)

    def upload(self, rp, query, path, rid):
        rel = self.release(rp, rid)
        n = self.body_length()
        ctype = self.headers.get("Content-Type", "")
        if n is None:
            raise Fail(411, "Length Required")
        if not ctype or ctype.startswith("application/x-www-form-urlencoded") or "/" not in ctype:
            self.drain()
            raise Fail(422, "Bad Content-Type header value: '%s'" % ctype)
        name = query.get("name", "")
        if not name:
            self.drain()
            raise validation("ReleaseAsset", "missing_field", "name")
        if rel["immutable"]:
            self.drain()
            raise Fail(422, "Cannot upload assets to an immutable release.")
        name = re.sub(r"[^A-Za-z0-9._-]", ".", name)  # GitHub renames special characters
        f = self.fault or {}
        if f.get("action") == "drop-upload":
            part = self.rfile.read(n // 2)
            with self.st.lock:
                add_asset(self.st, rp, rel, name, query.get("label"), ctype, part, "starter")
            raise Drop()
        h = hashlib.sha256()
        tmp = os.path.join(self.st.data, "upload-" + secrets.token_hex(8))
        got = 0
        with open(tmp, "wb") as out:
            while got < n:
                chunk = self.rfile.read(min(n - got, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                h.update(chunk)
                got += len(chunk)
        if got < n:
            os.unlink(tmp)
            raise Drop()
        with self.st.lock:
            if f.get("action") == "race":  # another writer's upload of the name lands first
                add_asset(self.st, rp, rel, name, None, ctype, f.get("content", "").encode())
            if any(a["name"] == name and a["release_id"] == rel["id"] for a in rp["assets"].values()):
                os.unlink(tmp)
                raise validation("ReleaseAsset", "already_exists", "name")
            a = add_asset(self.st, rp, rel, name, query.get("label"), ctype, b"",
                          "starter" if f.get("action") == "starter-502" else "uploaded")
            shutil.move(tmp, a["file"])
            a["size"], a["sha256"], a["uploader"] = got, h.hexdigest(), {"login": self.login}
        if f.get("action") == "starter-502":
            raise Fail(502, "Upstream failure")
        j = asset_json(self.st, rp, a)
        if f.get("action") == "size-mismatch":
            j["size"] = got + 1
        if f.get("action") == "digest-mismatch":
            j["digest"] = "sha256:" + "0" * 64
        self.ok(201, j)

    # ---- pulls ----
    def pull(self, rp, n):
        pr = rp["pulls"].get(int(n))
        if not pr:
            raise not_found()
        if rp["git"]:
            for side in ("head", "base"):
                sha = rev(rp, "refs/heads/" + pr[side]["ref"])
                if sha:
                    pr[side]["sha"] = sha
        return pr

    def pull_json(self, rp, pr):
        o = rp["full_name"].split("/")[0]
        j = {k: pr[k] for k in ("number", "id", "title", "body", "state", "draft", "user", "labels", "created_at",
                                "merged")}
        j["head"] = dict(pr["head"], label="%s:%s" % (o, pr["head"]["ref"]), repo={"full_name": rp["full_name"]})
        j["base"] = dict(pr["base"], label="%s:%s" % (o, pr["base"]["ref"]), repo={"full_name": rp["full_name"]})
        j["url"] = "%s/repos/%s/pulls/%d" % (self.st.api_base, rp["full_name"], pr["number"])
        j["html_url"] = "https://github.invalid/%s/pull/%d" % (rp["full_name"], pr["number"])
        return j

    def pulls_list(self, rp, query, path):
        state = query.get("state", "open")
        out = []
        for n in sorted(rp["pulls"], reverse=True):
            pr = self.pull(rp, n)
            if state != "all" and pr["state"] != state:
                continue
            if "head" in query and query["head"] not in (pr["head"]["ref"], "%s:%s" % (
                    rp["full_name"].split("/")[0], pr["head"]["ref"])):
                continue
            if "base" in query and query["base"] != pr["base"]["ref"]:
                continue
            out.append(self.pull_json(rp, pr))
        self.list_answer(out, query, path)

    def pull_create(self, rp, query, path):
        b = self.json_body()
        if not rp["actions_can_create_pr"]:
            raise Fail(403, "GitHub Actions is not permitted to create or approve pull requests.")
        for k in ("head", "base", "title"):
            if not isinstance(b.get(k), str) or not b[k]:
                raise validation("PullRequest", "missing_field", k)
        head = b["head"].split(":", 1)[-1]
        with self.st.lock:
            if rp["git"] and not rev(rp, "refs/heads/" + head):
                raise validation("PullRequest", "invalid", "head")
            if rp["git"] and not rev(rp, "refs/heads/" + b["base"]):
                raise validation("PullRequest", "invalid", "base")
            for pr in rp["pulls"].values():
                if pr["state"] == "open" and pr["head"]["ref"] == head:
                    raise Fail(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                           "message": "A pull request already exists for %s:%s." % (
                                                               rp["full_name"].split("/")[0], head)}])
            self.st.seed_pull(rp, {"title": b["title"], "body": b.get("body", ""), "user": self.login,
                                   "draft": b.get("draft", False), "head": {"ref": head}, "base": {"ref": b["base"]}})
            pr = self.pull(rp, rp["next_number"] - 1)
        self.ok(201, self.pull_json(rp, pr))

    def pull_get(self, rp, query, path, n):
        self.ok(200, self.pull_json(rp, self.pull(rp, n)))

    def pull_patch(self, rp, query, path, n):
        b = self.json_body()
        with self.st.lock:
            pr = self.pull(rp, n)
            for k in ("title", "body", "state"):
                if k in b:
                    pr[k] = b[k]
            if "base" in b:
                pr["base"]["ref"] = b["base"]
        self.ok(200, self.pull_json(rp, pr))

    def pull_files(self, rp, query, path, n):
        pr = self.pull(rp, n)
        if pr["files"] is not None:
            files = [dict({"status": "modified", "additions": 0, "deletions": 0, "changes": 0,
                           "sha": hashlib.sha1(f["filename"].encode()).hexdigest()}, **f) for f in pr["files"]]
        elif rp["git"]:
            files = diff_files(rp, pr["base"]["sha"], pr["head"]["sha"])
        else:
            files = []
        self.list_answer(files[:3000], query, path)

    def reviews_list(self, rp, query, path, n):
        self.list_answer(self.pull(rp, n)["reviews"], query, path)

    def review_create(self, rp, query, path, n):
        b = self.json_body()
        states = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
        with self.st.lock:
            pr = self.pull(rp, n)
            ev = b.get("event", "")
            if ev not in states:
                raise validation("PullRequestReview", "invalid", "event")
            if ev != "COMMENT" and pr["user"]["login"] == self.login:
                raise Fail(422, "Unprocessable Entity", ["Can not %s your own pull request" % (
                    "approve" if ev == "APPROVE" else "request changes on")])
            rv = review_json(self.st, pr, self.login, states[ev], b.get("commit_id"), b.get("body", ""))
            pr["reviews"].append(rv)
        self.ok(200, rv)

    def review_dismiss(self, rp, query, path, n, rid):
        self.json_body()
        with self.st.lock:
            pr = self.pull(rp, n)
            for rv in pr["reviews"]:
                if rv["id"] == int(rid):
                    rv["state"] = "DISMISSED"
                    return self.ok(200, rv)
        raise not_found()

    def labels_get(self, rp, query, path, n):
        self.list_answer(self.pull(rp, n)["labels"], query, path)

    def labels_add(self, rp, query, path, n, replace=False):
        b = self.json_body()
        names = b.get("labels") if isinstance(b, dict) else b
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise validation("Label", "invalid", "labels")
        with self.st.lock:
            pr = self.pull(rp, n)
            if replace:
                pr["labels"] = []
            for name in names:
                if all(lb["name"] != name for lb in pr["labels"]):
                    pr["labels"].append(label_json(self.st, rp, name))
        self.ok(200, pr["labels"])

    def labels_set(self, rp, query, path, n):
        self.labels_add(rp, query, path, n, replace=True)

    def label_remove(self, rp, query, path, n, name):
        with self.st.lock:
            pr = self.pull(rp, n)
            if all(lb["name"] != name for lb in pr["labels"]):
                raise Fail(404, "Label does not exist")
            pr["labels"] = [lb for lb in pr["labels"] if lb["name"] != name]
        self.ok(200, pr["labels"])

    def comments_get(self, rp, query, path, n):
        self.list_answer(self.pull(rp, n)["comments"], query, path)

    def comment_add(self, rp, query, path, n):
        b = self.json_body()
        if not isinstance(b.get("body"), str):
            raise validation("IssueComment", "missing_field", "body")
        with self.st.lock:
            pr = self.pull(rp, n)
            c = {"id": self.st.new_id(), "user": {"login": self.login}, "body": b["body"], "created_at": iso()}
            pr["comments"].append(c)
        self.ok(201, c)

    # ---- statuses ----
    def status_create(self, rp, query, path, sha):
        b = self.json_body()
        if b.get("state") not in ("error", "failure", "pending", "success"):
            raise validation("Status", "invalid", "state")
        s = {"id": self.st.new_id(), "state": b["state"], "context": b.get("context", "default"),
             "description": b.get("description"), "target_url": b.get("target_url"), "created_at": iso(),
             "creator": {"login": self.login}}
        with self.st.lock:
            rp["statuses"].setdefault(self.resolve(rp, sha), []).insert(0, s)
        self.ok(201, s)

    def resolve(self, rp, ref):
        if re.fullmatch(r"[0-9a-f]{40}", ref) or not rp["git"]:
            return ref
        sha = rev(rp, ref)
        if not sha:
            raise Fail(422, "No commit found for SHA: %s" % ref)
        return sha

    def statuses_list(self, rp, query, path, ref):
        self.list_answer(rp["statuses"].get(self.resolve(rp, ref), []), query, path)

    def status_combined(self, rp, query, path, ref):
        sha = self.resolve(rp, ref)
        latest = {}
        for s in rp["statuses"].get(sha, []):
            latest.setdefault(s["context"], s)
        states = [s["state"] for s in latest.values()]
        state = ("failure" if any(x in ("failure", "error") for x in states) else
                 "pending" if not states or "pending" in states else "success")
        self.ok(200, {"state": state, "sha": sha, "total_count": len(latest), "statuses": list(latest.values())})

    # ---- Actions ----
    def run_get(self, rp, query, path, rid):
        run = rp["runs"].get(int(rid))
        if not run:
            raise not_found()
        self.ok(200, {k: run[k] for k in ("id", "name", "status", "conclusion", "head_sha")})

    def artifact_json(self, rp, a):
        return {"id": a["id"], "name": a["name"], "size_in_bytes": a["size_in_bytes"], "expired": a["expired"],
                "workflow_run": {"id": a["run_id"]},
                "archive_download_url": "%s/repos/%s/actions/artifacts/%d/zip" % (
                    self.st.api_base, rp["full_name"], a["id"])}

    def run_artifacts(self, rp, query, path, rid):
        run = rp["runs"].get(int(rid))
        if not run:
            raise not_found()
        arts = [self.artifact_json(rp, rp["artifacts"][a]) for a in run["artifacts"]]
        if "name" in query:
            arts = [a for a in arts if a["name"] == query["name"]]
        self.list_answer(arts, query, path, key="artifacts")

    def artifact_get(self, rp, query, path, aid):
        a = rp["artifacts"].get(int(aid))
        if not a:
            raise not_found()
        self.ok(200, self.artifact_json(rp, a))

    def artifact_zip(self, rp, query, path, aid):
        a = rp["artifacts"].get(int(aid))
        if not a:
            raise not_found()
        if a["expired"]:
            raise Fail(410, "Artifact has expired")
        self.ok(302, b"", {"Location": self.st.sign(("artifact", a["file"]))})

    # ---- git data ----
    def ref_json(self, rp, ref, sha):
        return {"ref": ref, "object": {"sha": sha, "type": "commit",
                                       "url": "%s/repos/%s/git/commits/%s" % (self.st.api_base, rp["full_name"], sha)},
                "url": "%s/repos/%s/git/%s" % (self.st.api_base, rp["full_name"], ref)}

    def ref_get(self, rp, query, path, ref):
        sha = rev(rp, "refs/" + ref)
        if not sha:
            raise not_found()
        self.ok(200, self.ref_json(rp, "refs/" + ref, sha))

    def refs_matching(self, rp, query, path, ref):
        out = git(rp, "for-each-ref", "--format=%(refname) %(objectname)", "refs/" + ref).stdout.decode()
        refs = [self.ref_json(rp, *line.split()) for line in out.splitlines()
                if line.split()[0].startswith("refs/" + ref)]
        self.list_answer(refs, query, path)

    def ref_create(self, rp, query, path):
        b = self.json_body()
        ref, sha = b.get("ref", ""), b.get("sha", "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise Fail(422, "Reference name must start with 'refs/' and have at least two slashes.")
        with self.st.lock:
            if rev(rp, ref):
                raise Fail(422, "Reference already exists")
            if git(rp, "update-ref", ref, sha, "", check=False).returncode:
                raise Fail(422, "Object does not exist")
        self.ok(201, self.ref_json(rp, ref, rev(rp, ref)))

    def ref_update(self, rp, query, path, ref):
        b = self.json_body()
        full = "refs/" + ref
        with self.st.lock:
            old = rev(rp, full)
            if not old:
                raise Fail(422, "Reference does not exist")
            sha = b.get("sha", "")
            if not rev(rp, sha):
                raise Fail(422, "Object does not exist")
            if not b.get("force") and git(rp, "merge-base", "--is-ancestor", old, sha, check=False).returncode:
                raise Fail(422, "Update is not a fast forward")
            git(rp, "update-ref", full, sha, old)
        self.ok(200, self.ref_json(rp, full, sha))

    def ref_delete(self, rp, query, path, ref):
        with self.st.lock:
            if not rev(rp, "refs/" + ref):
                raise Fail(422, "Reference does not exist")
            git(rp, "update-ref", "-d", "refs/" + ref)
        self.ok(204, None)

    def branch_get(self, rp, query, path, branch):
        sha = rev(rp, "refs/heads/" + branch)
        if not sha:
            raise Fail(404, "Branch not found")
        self.ok(200, {"name": branch, "commit": {"sha": sha}, "protected": branch in rp["protection"]})

    def commit_get(self, rp, query, path, ref):
        sha = rev(rp, ref)
        if not sha:
            raise Fail(422, "No commit found for SHA: %s" % ref)
        msg = git(rp, "log", "-1", "--format=%B", sha).stdout.decode()
        parents = git(rp, "log", "-1", "--format=%P", sha).stdout.decode().split()
        self.ok(200, {"sha": sha, "commit": {"message": msg.rstrip("\n")}, "parents": [{"sha": p} for p in parents]})

    def compare(self, rp, query, path, base, head):
        b, h = rev(rp, base), rev(rp, head)
        if not b or not h:
            raise not_found()
        self.ok(200, {"base_commit": {"sha": b}, "merge_base_commit": {"sha": git(rp, "merge-base", b, h).stdout.decode().strip()},
                      "files": diff_files(rp, b, h)})

    def contents(self, rp, query, path, fpath):
        ref = query.get("ref") or rp["default_branch"]
        sha = rev(rp, ref) or rev(rp, "refs/heads/" + ref)
        if not sha:
            raise Fail(404, "No commit found for the ref %s" % ref)
        p = git(rp, "cat-file", "blob", "%s:%s" % (sha, fpath), check=False)
        if p.returncode:
            raise not_found()
        if "application/vnd.github.raw" in self.headers.get("Accept", ""):
            return self.ok(200, p.stdout)
        blob = git(rp, "rev-parse", "%s:%s" % (sha, fpath)).stdout.decode().strip()
        self.ok(200, {"type": "file", "encoding": "base64", "size": len(p.stdout), "name": os.path.basename(fpath),
                      "path": fpath, "sha": blob, "content": base64.encodebytes(p.stdout).decode()})

    # ---- branch protection ----
    # Stored in the shape a PUT sends (seeds too); answered in the shape GitHub's
    # GET gives: flags as {"enabled": bool}, objects with their url, absent when null.
    def protection_json(self, rp, branch):
        p = rp["protection"][branch]
        url = "%s/repos/%s/branches/%s/protection" % (self.st.api_base, rp["full_name"], branch)
        j = {"url": url, "enforce_admins": {"url": url + "/enforce_admins", "enabled": bool(p.get("enforce_admins"))}}
        rsc = p.get("required_status_checks")
        if rsc:
            ctx = list(rsc.get("contexts") or []) + [c["context"] for c in rsc.get("checks") or []]
            j["required_status_checks"] = {"url": url + "/required_status_checks", "strict": bool(rsc.get("strict")),
                                           "contexts": ctx, "contexts_url": url + "/required_status_checks/contexts",
                                           "checks": [{"context": c, "app_id": None} for c in ctx]}
        rev = p.get("required_pull_request_reviews")
        if rev:
            j["required_pull_request_reviews"] = dict(
                {"url": url + "/required_pull_request_reviews", "dismiss_stale_reviews": False,
                 "require_code_owner_reviews": False, "required_approving_review_count": 0,
                 "require_last_push_approval": False}, **rev)
        if p.get("restrictions"):
            r = p["restrictions"]
            j["restrictions"] = {"url": url + "/restrictions",
                                 "users": [{"login": u} for u in r.get("users", [])],
                                 "teams": [{"slug": t} for t in r.get("teams", [])],
                                 "apps": [{"slug": a} for a in r.get("apps", [])]}
        for k in ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                  "required_conversation_resolution", "lock_branch", "allow_fork_syncing"):
            j[k] = {"enabled": bool(p.get(k, False))}
        return j

    def protection_get(self, rp, query, path, branch):
        if branch not in rp["protection"]:
            raise Fail(404, "Branch not protected")
        self.ok(200, self.protection_json(rp, branch))

    def protection_put(self, rp, query, path, branch):
        b = self.json_body()
        for k in ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"):
            if k not in b:
                raise validation("Protection", "missing_field", k)
        rsc, rev = b["required_status_checks"], b["required_pull_request_reviews"]
        if rsc is not None and (not isinstance(rsc, dict) or not isinstance(rsc.get("strict"), bool) or
                                not isinstance(rsc.get("contexts", rsc.get("checks")), list)):
            raise validation("Protection", "invalid", "required_status_checks")
        if rev is not None and not (isinstance(rev, dict) and
                                    0 <= rev.get("required_approving_review_count", 1) <= 6):
            raise validation("Protection", "invalid", "required_pull_request_reviews")
        if not isinstance(b["enforce_admins"], (bool, type(None))):
            raise validation("Protection", "invalid", "enforce_admins")
        with self.st.lock:
            rp["protection"][branch] = b
        self.ok(200, self.protection_json(rp, branch))

    def protection_delete(self, rp, query, path, branch):
        with self.st.lock:
            if rp["protection"].pop(branch, None) is None:
                raise Fail(404, "Branch not protected")
        self.ok(204, None)


R = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"
ROUTES = [
    ("GET", r"/user", ApiHandler.user),
    ("GET", r"/rate_limit", ApiHandler.rate_limit),
    ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/members", ApiHandler.team_members),
    ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/memberships/(?P<user>[^/]+)", ApiHandler.team_membership),
    ("GET", R, ApiHandler.repo_get),
    ("GET", R + r"/releases", ApiHandler.releases_list),
    ("POST", R + r"/releases", ApiHandler.release_create),
    ("GET", R + r"/releases/latest", ApiHandler.release_latest),
    ("GET", R + r"/releases/tags/(?P<tag>.+)", ApiHandler.release_by_tag),
    ("GET", R + r"/releases/(?P<rid>\d+)", ApiHandler.release_get),
    ("PATCH", R + r"/releases/(?P<rid>\d+)", ApiHandler.release_patch),
    ("DELETE", R + r"/releases/(?P<rid>\d+)", ApiHandler.release_delete),
    ("GET", R + r"/releases/(?P<rid>\d+)/assets", ApiHandler.assets_list),
    ("GET", R + r"/releases/assets/(?P<aid>\d+)", ApiHandler.asset_get),
    ("PATCH", R + r"/releases/assets/(?P<aid>\d+)", ApiHandler.asset_patch),
    ("DELETE", R + r"/releases/assets/(?P<aid>\d+)", ApiHandler.asset_delete),
    ("POST", r"/uploads" + R + r"/releases/(?P<rid>\d+)/assets", ApiHandler.upload),
    ("GET", R + r"/pulls", ApiHandler.pulls_list),
    ("POST", R + r"/pulls", ApiHandler.pull_create),
    ("GET", R + r"/pulls/(?P<n>\d+)", ApiHandler.pull_get),
    ("PATCH", R + r"/pulls/(?P<n>\d+)", ApiHandler.pull_patch),
    ("GET", R + r"/pulls/(?P<n>\d+)/files", ApiHandler.pull_files),
    ("GET", R + r"/pulls/(?P<n>\d+)/reviews", ApiHandler.reviews_list),
    ("POST", R + r"/pulls/(?P<n>\d+)/reviews", ApiHandler.review_create),
    ("PUT", R + r"/pulls/(?P<n>\d+)/reviews/(?P<rid>\d+)/dismissals", ApiHandler.review_dismiss),
    ("GET", R + r"/issues/(?P<n>\d+)/labels", ApiHandler.labels_get),
    ("POST", R + r"/issues/(?P<n>\d+)/labels", ApiHandler.labels_add),
    ("PUT", R + r"/issues/(?P<n>\d+)/labels", ApiHandler.labels_set),
    ("DELETE", R + r"/issues/(?P<n>\d+)/labels/(?P<name>[^/]+)", ApiHandler.label_remove),
    ("GET", R + r"/issues/(?P<n>\d+)/comments", ApiHandler.comments_get),
    ("POST", R + r"/issues/(?P<n>\d+)/comments", ApiHandler.comment_add),
    ("POST", R + r"/statuses/(?P<sha>[^/]+)", ApiHandler.status_create),
    ("GET", R + r"/commits/(?P<ref>.+)/statuses", ApiHandler.statuses_list),
    ("GET", R + r"/commits/(?P<ref>.+)/status", ApiHandler.status_combined),
    ("GET", R + r"/commits/(?P<ref>[^/]+)", ApiHandler.commit_get),
    ("GET", R + r"/compare/(?P<base>.+?)\.\.\.(?P<head>.+)", ApiHandler.compare),
    ("GET", R + r"/contents/(?P<fpath>.+)", ApiHandler.contents),
    ("GET", R + r"/actions/runs/(?P<rid>\d+)", ApiHandler.run_get),
    ("GET", R + r"/actions/runs/(?P<rid>\d+)/artifacts", ApiHandler.run_artifacts),
    ("GET", R + r"/actions/artifacts/(?P<aid>\d+)", ApiHandler.artifact_get),
    ("GET", R + r"/actions/artifacts/(?P<aid>\d+)/zip", ApiHandler.artifact_zip),
    ("GET", R + r"/git/ref/(?P<ref>.+)", ApiHandler.ref_get),
    ("GET", R + r"/git/matching-refs/(?P<ref>.+)", ApiHandler.refs_matching),
    ("POST", R + r"/git/refs", ApiHandler.ref_create),
    ("PATCH", R + r"/git/refs/(?P<ref>.+)", ApiHandler.ref_update),
    ("DELETE", R + r"/git/refs/(?P<ref>.+)", ApiHandler.ref_delete),
    ("GET", R + r"/branches/(?P<branch>[^/]+)", ApiHandler.branch_get),
    ("GET", R + r"/branches/(?P<branch>[^/]+)/protection", ApiHandler.protection_get),
    ("PUT", R + r"/branches/(?P<branch>[^/]+)/protection", ApiHandler.protection_put),
    ("DELETE", R + r"/branches/(?P<branch>[^/]+)/protection", ApiHandler.protection_delete),
]


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="a fake GitHub REST API on 127.0.0.1 for the tests")
    ap.add_argument("--log", help="append every request here, one JSON object a line")
    ap.add_argument("--seed", help="a JSON file of the state to start with (the /_fake/seed shape)")
    ap.add_argument("--git-root", help="where the repositories' bare git repositories live")
    a = ap.parse_args()
    st = State(a)
    assets = Server(("127.0.0.1", 0), type("H", (AssetHandler,), {"st": st}))
    api = Server(("127.0.0.1", 0), type("H", (ApiHandler,), {"st": st}))
    st.api_base = "http://127.0.0.1:%d" % api.server_address[1]
    st.asset_base = "http://127.0.0.1:%d" % assets.server_address[1]
    if a.seed:
        with open(a.seed) as f:
            st.seed(json.load(f))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Thread(target=assets.serve_forever, daemon=True).start()
    print(st.api_base, flush=True)
    try:
        api.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        shutil.rmtree(st.data, ignore_errors=True)


if __name__ == "__main__":
    main()
