#!/usr/bin/env python3
"""mock.py - a local mock upstream for the integration tests (stdlib only).

    mock.py [--port N] [--dir DIR] [--log FILE]

Listens on 127.0.0.1:N (0 or absent: a free port) and prints "PORT <n>" on
stdout once it accepts connections.  Every request is appended to the log
as one JSON line:
    {"n": 3, "kn": 1, "method": "POST", "path": "/v1/messages?beta=true",
     "headers": {"content-type": "...", ...}, "body": "<text>", "key": "k1",
     "reply": "upstream.reply", "t": 12.345}
(header names lower-cased; "key" is the credential the request carried:
Bearer token, x-api-key, x-goog-api-key or ?key=; "n" counts requests, "kn"
requests with that key.)  When the peer goes away while a reply is still
being sent, one more line is written:
    {"event": "disconnect", "n": 3, "t": 12.9, "sent": 4}
(t: seconds since the mock started; sent: body segments written before).

The reply comes from a file of DIR, the first that exists of
    upstream.reply.<key>.<kn>   upstream.reply.<key>   upstream.reply.<n>
    upstream.reply
(no file: 599 "no canned reply").  Before those names, an optional file
upstream.rules of DIR is consulted: each line (blank and "#" lines aside) is
    NAME  REGEX
and the first line whose REGEX (Python re) is found in the text
"METHOD PATH\n" + body picks NAME.<m> if it exists, else NAME, where m
counts the requests that line has matched (1, 2, ...; reset by
/_mock/case); when neither file exists the names above are tried.  The log
line then carries "rule": <line number>.  A reply file is:

    --- delay 1.5             optional lines before the head: slow first byte
    HTTP/1.1 429 Too Many Requests      (or just "429")
    Content-Type: application/json
    Retry-After: 30
                              (blank line)
    body bytes ...
    --- delay 0.2             in the body: flush what came before, then wait
    more body ...
    --- truncate              drop the connection mid-body (no final chunk)
    --- close                 drop the connection (before the head: no reply)

Framing: chunked, one chunk per segment between "---" lines, unless the head
names Content-Length (then the length of the whole body is filled in if the
value is "auto") or "X-Mock-Framing: close" (no length: the body ends when
the connection closes; the header itself is not sent).  While a delay runs
the mock watches the socket, so a peer that hangs up is seen at once.

Control (never logged, never counted): POST /_mock/case with a JSON body
{"dir": "...", "log": "..."} switches the reply directory and the log file
and resets the counters.  GET /_mock/ping answers 204.
"""
import argparse
import json
import os
import re
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STATE = {"dir": ".", "log": None, "n": 0, "per_key": {}, "per_rule": {}}
LOCK = threading.Lock()
T0 = time.monotonic()


def log_line(obj):
    with LOCK:
        path = STATE["log"]
        if not path:
            return
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(obj, sort_keys=True) + "\n")


def request_key(headers, query):
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for h in ("x-api-key", "x-goog-api-key"):
        if headers.get(h):
            return headers[h].strip()
    q = parse_qs(query)
    if "key" in q:
        return q["key"][0]
    return ""


def pick_reply(d, key, kn, n):
    names = []
    if key:
        names += ["upstream.reply.%s.%d" % (key, kn), "upstream.reply.%s" % key]
    names += ["upstream.reply.%d" % n, "upstream.reply"]
    for name in names:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return name, p
    return None, None


def pick_rule(d, text):
    """-> (line number, name, path) of the first matching rule with a reply
    file, or (None, None, None).  Counts the match (under LOCK)."""
    try:
        with open(os.path.join(d, "upstream.rules"), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return None, None, None
    for i, ln in enumerate(lines, 1):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        name, _, rx = ln.partition(" ")
        if not re.search(rx.strip(), text):
            continue
        with LOCK:
            m = STATE["per_rule"].get(i, 0) + 1
            STATE["per_rule"][i] = m
        for cand in ("%s.%d" % (name, m), name):
            p = os.path.join(d, cand)
            if os.path.isfile(p):
                return i, cand, p
        return None, None, None
    return None, None, None


def parse_reply(data):
    """-> (pre, status, reason, headers, segments); pre and segments are
    lists of ("data", bytes) / ("delay", s) / ("truncate",) / ("close",)."""
    pre = []
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"--- "):
        pre.append(directive(lines[i]))
        i += 1
    if i >= len(lines) or not lines[i].strip():
        return pre, None, None, [], []
    first = lines[i].decode().strip().split(None, 2)
    if first[0].startswith("HTTP/"):
        first = first[1:]
    status = int(first[0])
    reason = first[1] if len(first) > 1 else ""
    i += 1
    headers = []
    while i < len(lines) and lines[i].strip():
        name, _, value = lines[i].decode().partition(":")
        headers.append((name.strip(), value.strip()))
        i += 1
    body_lines = lines[i + 1:]
    segs = []
    cur = []
    for ln in body_lines:
        if ln.startswith(b"--- "):
            if cur:
                segs.append(("data", b"\n".join(cur) + b"\n"))
                cur = []
            segs.append(directive(ln))
        else:
            cur.append(ln)
    if cur:
        segs.append(("data", b"\n".join(cur)))
    return pre, status, reason, headers, segs


def directive(line):
    w = line[4:].decode().split()
    if w[0] == "delay":
        return ("delay", float(w[1]))
    if w[0] in ("truncate", "close"):
        return (w[0],)
    raise ValueError("unknown directive %r" % line)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock/1"

    def log_message(self, *args):
        pass

    def peer_gone(self, timeout):
        """Wait up to timeout seconds; True if the peer hung up."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.connection], [], [], left)
            if not r:
                return False
            try:
                b = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return True
            if not b:
                return True
            time.sleep(min(left, 0.05))  # pipelined bytes: not a hang-up

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def control(self, body):
        if self.path.startswith("/_mock/case"):
            c = json.loads(body or b"{}")
            with LOCK:
                STATE["dir"] = c.get("dir", STATE["dir"])
                STATE["log"] = c.get("log", STATE["log"])
                STATE["n"] = 0
                STATE["per_key"] = {}
                STATE["per_rule"] = {}
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_mock/"):
            return self.control(body)
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        u = urlsplit(self.path)
        key = request_key(headers, u.query)
        with LOCK:
            STATE["n"] += 1
            n = STATE["n"]
            kn = STATE["per_key"].get(key, 0) + 1
            STATE["per_key"][key] = kn
            d = STATE["dir"]
        text = body.decode("utf-8", "replace")
        rule, name, path = pick_rule(d, "%s %s\n%s" % (self.command, self.path, text))
        if not path:
            name, path = pick_reply(d, key, kn, n)
        entry = {"n": n, "kn": kn, "method": self.command, "path": self.path,
                 "headers": headers, "body": text, "key": key, "reply": name,
                 "t": round(time.monotonic() - T0, 3)}
        if rule:
            entry["rule"] = rule
        log_line(entry)
        if not path:
            msg = b'{"error":{"message":"mock: no canned reply"}}'
            self.send_response(599, "No Reply")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        with open(path, "rb") as f:
            pre, status, reason, hdrs, segs = parse_reply(f.read())
        self.serve_reply(n, pre, status, reason, hdrs, segs)

    def serve_reply(self, n, pre, status, reason, hdrs, segs):
        for d in pre:
            if d[0] == "delay" and self.peer_gone(d[1]):
                log_line({"event": "disconnect", "n": n, "sent": 0,
                          "t": round(time.monotonic() - T0, 3)})
                return self.drop()
            if d[0] in ("close", "truncate"):
                return self.drop()
        if status is None:
            return self.drop()
        names = {h[0].lower(): h[1] for h in hdrs}
        framing = "chunked"
        if names.get("x-mock-framing") == "close":
            framing = "close"
        elif "content-length" in names:
            framing = "length"
        self.send_response(status, reason or None)
        for k, v in hdrs:
            kl = k.lower()
            if kl == "x-mock-framing":
                continue
            if kl == "content-length" and v == "auto":
                v = str(sum(len(s[1]) for s in segs if s[0] == "data"))
            self.send_header(k, v)
        if framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif framing == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.flush()
        sent = 0
        try:
            for s in segs:
                if s[0] == "data":
                    if not s[1]:
                        continue
                    if framing == "chunked":
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(s[1]), s[1]))
                    else:
                        self.wfile.write(s[1])
                    self.wfile.flush()
                    sent += 1
                elif s[0] == "delay":
                    if self.peer_gone(s[1]):
                        raise ConnectionResetError
                else:
                    return self.drop()
            if framing == "chunked":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            log_line({"event": "disconnect", "n": n, "sent": sent,
                      "t": round(time.monotonic() - T0, 3)})
            return self.drop()
        if framing == "close":
            self.drop()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description="mock upstream")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", default=".")
    ap.add_argument("--log")
    a = ap.parse_args()
    STATE["dir"] = a.dir
    STATE["log"] = a.log
    srv = Server(("127.0.0.1", a.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
