"""fakeserve.py: what the fakes of tests/lib share: a request handler base
that answers JSON, and serving a handler on 127.0.0.1 (a free port), printing
the base URL once it accepts connections (tests/test_helper.bash start_server
waits for that line)."""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, obj=None, raw=None, headers=None):
        """obj as JSON (or the bytes raw), with Content-Length and headers."""
        body = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)



def serve(handler, path=""):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    sys.stdout.write("http://127.0.0.1:%d%s\n" % (srv.server_address[1], path))
    sys.stdout.flush()
    srv.serve_forever()
