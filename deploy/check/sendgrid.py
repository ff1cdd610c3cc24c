#!/usr/bin/env python3
"""A stand-in for SendGrid's v3 Mail Send API, for scripts/deploy-check.sh.

It checks each request as SendGrid would (the bearer key, a JSON body with a recipient, a sender,
a subject, and plain-text then HTML content), answers 202 Accepted with an X-Message-Id header,
and appends every accepted message to RECORD_FILE as one JSON line. A malformed request is
answered 400 and recorded with its problems, so the check sees it. Each answer waits DELAY
seconds (default 0), as a remote API does, so that several senders overlap.

usage: sendgrid.py PORT API_KEY RECORD_FILE [DELAY]
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, API_KEY, RECORD_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DELAY = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
lock = threading.Lock()
accepted = 0


def problems(headers, body):
    found = []
    if headers.get("Authorization") != f"Bearer {API_KEY}":
        found.append("authorization")
    if not (headers.get("Content-Type") or "").startswith("application/json"):
        found.append("content-type")
    try:
        to = body["personalizations"][0]["to"][0]["email"]
    except (KeyError, IndexError, TypeError):
        to = None
    if not isinstance(to, str) or "@" not in to:
        found.append("personalizations[0].to[0].email")
    sender = (body.get("from") or {}).get("email") if isinstance(body, dict) else None
    if not isinstance(sender, str) or "@" not in sender:
        found.append("from.email")
    if not body.get("subject"):
        found.append("subject")
    types = [c.get("type") for c in body.get("content") or [] if isinstance(c, dict)]
    if types != ["text/plain", "text/html"]:
        found.append("content: text/plain then text/html")
    return found


def record(entry):
    with open(RECORD_FILE, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


class MailSend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global accepted
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        time.sleep(DELAY)
        if self.path != "/v3/mail/send":
            return self.answer(404, b'{"errors":[{"message":"not found"}]}')
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        found = problems(self.headers, body) if isinstance(body, dict) else ["body is not JSON"]
        if found:
            with lock:
                record({"refused": found, "at": time.time()})
            errors = [{"message": "invalid", "field": f} for f in found]
            return self.answer(400, json.dumps({"errors": errors}).encode())
        with lock:
            accepted += 1
            message_id = f"standin-{accepted}"
            record(
                {
                    "id": message_id,
                    "to": body["personalizations"][0]["to"][0]["email"],
                    "subject": body["subject"],
                    "at": time.time(),
                }
            )
        self.answer(202, b"", {"X-Message-Id": message_id})

    def answer(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), MailSend)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
