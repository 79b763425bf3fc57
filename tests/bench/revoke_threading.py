#!/usr/bin/env python3
"""A thread-per-connection RFC 7009 revocation endpoint for the bulk benchmark (issue #19).

Python's stdlib `http.server.ThreadingHTTPServer`: one thread per connection, every thread
taking the GIL in turn, so it does not get faster with more connections the way an event loop
does, and with many of them it spends its time switching threads (the case the adaptive
concurrency limit of `signoff revoke` has to find for itself).

    python3 revoke_threading.py CLIENT_ID CLIENT_SECRET

It binds 127.0.0.1 on a free port and prints the port on stdout (one line, then flushes).

- `POST /revoke`: RFC 7009 section 2.1. The client must authenticate with HTTP Basic (id and
  secret form-encoded first, RFC 6749 section 2.3.1, as signoff and the bench's wrk script send
  them): else 401 `invalid_client`. The body must be a form with a `token`: else 400
  `invalid_request`. Anything else is 200 with an empty body (section 2.2: also for tokens it
  never issued, which is all of them here: it keeps no tokens, it only counts).
- `POST /__count`: the number of revocations answered 200 so far, as text.

Assumptions: HTTP/1.1 with keep-alive (`protocol_version`), and `Content-Length` on every
answer, so that wrk and reqwest reuse their connections instead of opening one per request;
request bodies always carry `Content-Length` (wrk's and reqwest's do; chunked bodies are not
read). Only the standard library, so nothing has to be installed.
"""

import base64
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.revoked = 0

    def add(self):
        with self.lock:
            self.revoked += 1

    def get(self):
        with self.lock:
            return self.revoked


def make_handler(expected_auth, counter):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            pass

        def answer(self, status, body=b"", content_type=None):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                self.wfile.write(body)

        def error_json(self, status, code):
            body = ('{"error":"%s"}' % code).encode()
            self.answer(status, body, "application/json")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            if self.path == "/__count":
                self.answer(200, str(counter.get()).encode(), "text/plain")
                return
            if self.path != "/revoke":
                self.error_json(404, "not_found")
                return
            if self.headers.get("Authorization") != expected_auth:
                self.error_json(401, "invalid_client")
                return
            content_type = self.headers.get("Content-Type") or ""
            if not content_type.startswith("application/x-www-form-urlencoded"):
                self.error_json(400, "invalid_request")
                return
            form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
            if not form.get("token", [""])[0]:
                self.error_json(400, "invalid_request")
                return
            counter.add()
            self.answer(200)

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client closing its keep-alive connection (wrk at the end of a run) is not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    if len(sys.argv) != 3:
        print("usage: revoke_threading.py CLIENT_ID CLIENT_SECRET", file=sys.stderr)
        sys.exit(2)
    quote = lambda s: urllib.parse.quote_plus(s)  # noqa: E731
    pair = "%s:%s" % (quote(sys.argv[1]), quote(sys.argv[2]))
    expected = "Basic " + base64.b64encode(pair.encode()).decode()
    server = Server(("127.0.0.1", 0), make_handler(expected, Counter()))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
