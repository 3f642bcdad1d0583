#!/usr/bin/env python3
"""e2e.py - replays tests/data/e2e/<case>/ against a running cliproxy and the
mock upstream (tests/mock/mock.py); prints TAP.  Started by test_e2e.sh.

    e2e.py --port P --mock-port M --config PATH --work DIR [--log FILE]
           [--only NAME] [CASES_DIR]
    e2e.py --check-upstream DIR MOCKLOG     (DIR/want.upstream vs a mock log)

Per case directory (found with ls, sorted):
  config.yaml      optional; else CASES_DIR/config.yaml.  @MOCK@ becomes the
                   mock's URL, @AUTHDIR@ a fresh auth-dir, @KEY@ the client
                   key.  Written to --config (cliproxy reads it per process).
  client.http      the request: request line, headers, blank line, body.
                   $KEY is the client key; Host, Content-Length and
                   Connection: close are added.  client.http.1, .2, ... are
                   sent one after the other instead.
  upstream.reply*  the mock's canned replies (see tests/mock/mock.py).
  want.upstream    JSON: one request object or a list (all requests the mock
                   must see, in order; [] = none).  Keys: method, path, key,
                   headers (names lower-case), body (JSON subset).
  want.client      "<status>", header lines, blank line, body (want.client.N
                   for client.http.N).  Header lines are checked, not the
                   whole set: "name: value", "!name" (absent).  The body is
                   compared after normalising generated ids and times: as
                   JSON when both sides parse, else byte for byte.  No body
                   section: the one received is written in, and the case
                   fails until a human has reviewed it.
  auth/            optional: credential files copied into the case's fresh
                   auth-dir (mode 0600, @MOCK@ filled in) before the first
                   request, as `cliproxy login` would have left them.
  want.auth/<file> optional: JSON the auth-dir file of that name must match
                   after the case (same patterns as want.upstream; the file
                   must be mode 0600).
  case.json        optional: {"repeat": N, "concurrency": C,
                   "key_counts": {"k": [lo, hi]}, "disconnect_after": BYTES,
                   "upstream_gone_within": S, "pause": S}.
Patterns in want values: "<absent>", "<any>", "<any:X>" (binds X), "<=X>",
"<!=X>", "<re:REGEX>", "<int:LO-HI>", "<len:N>"; a list starting with
"<head>" or "<tail>" matches the first or last items of a longer list.
Objects match as subsets (keys not named are not checked).
"""
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import urllib.request

KEY = "e2e-client-key-7d2a"
ARGS = {}
tapn = 0


def tap(ok, name, diag=None):
    global tapn
    tapn += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", tapn, name))
    if not ok and diag:
        for line in str(diag).splitlines()[:40]:
            print("#   " + line)
    sys.stdout.flush()


# ---- the client side ------------------------------------------------------

def load_request(path, port):
    raw = open(path, "rb").read()
    head, sep, body = raw.partition(b"\n\n")
    if body.endswith(b"\n"):
        body = body[:-1]
    lines = head.decode().replace("$KEY", KEY).split("\n")
    out = [lines[0].strip()]
    for ln in lines[1:]:
        ln = ln.rstrip("\r")
        if not ln:
            continue
        name = ln.split(":", 1)[0].strip().lower()
        if name in ("host", "content-length", "connection"):
            continue
        out.append(ln)
    out.append("Host: 127.0.0.1:%d" % port)
    if body or lines[0].startswith("POST"):
        out.append("Content-Length: %d" % len(body))
    out.append("Connection: close")
    return ("\r\n".join(out) + "\r\n\r\n").encode() + body


def parse_response(data):
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, data
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            try:
                n = int(size_line.split(b";")[0], 16)
            except ValueError:
                break
            if n == 0:
                break
            body += rest[:n]
            rest = rest[n + 2:]
        return status, hdrs, body
    return status, hdrs, rest


def send(req, port, disconnect_after=None, timeout=60):
    """-> (status, headers, body, seconds until we hung up or got EOF)"""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    s.sendall(req)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if disconnect_after is not None:
                _, _, body = data.partition(b"\r\n\r\n")
                if len(body) >= disconnect_after:
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    took = time.monotonic() - t0
    s.close()
    st, h, b = parse_response(data)
    return st, h, b, took


# ---- normalising and matching ---------------------------------------------

ID_RE = re.compile(r"(?<![A-Za-z0-9])(chatcmpl-|msg_|resp_|rs_|fc_|toolu_|call_|item_|req_)([A-Za-z0-9]{16,})")
TIME_RE = re.compile(r'"(created|created_at|completed_at)"\s*:\s*(\d{9,11})')
NANO_RE = re.compile(r"-(\d{16,20})-")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(text):
    ids = {}

    def idsub(m):
        k = m.group(0)
        if k not in ids:
            ids[k] = "%s<%d>" % (m.group(1), len(ids) + 1)
        return ids[k]

    now = time.time()

    def timesub(m):
        v = int(m.group(2))
        if abs(v - now) < 86400:
            return '"%s":"<T>"' % m.group(1)
        return m.group(0)

    text = ID_RE.sub(idsub, text)
    text = TIME_RE.sub(timesub, text)
    text = NANO_RE.sub("-<NANO>-", text)
    return UUID_RE.sub("<uuid>", text)


def match(want, got, binds, path="$"):
    """None if got matches want, else a one-line reason."""
    if isinstance(want, str) and want.startswith("<") and want.endswith(">"):
        p = want[1:-1]
        if p == "any":
            return None
        if p.startswith("any:"):
            binds[p[4:]] = got
            return None
        if p.startswith("="):
            return None if binds.get(p[1:]) == got else "%s: %r != %s=%r" % (path, got, p[1:], binds.get(p[1:]))
        if p.startswith("!="):
            return None if binds.get(p[2:]) != got else "%s: %r must differ from %s" % (path, got, p[2:])
        if p.startswith("re:"):
            return None if isinstance(got, str) and re.fullmatch(p[3:], got, re.S) else "%s: %r !~ /%s/" % (path, got, p[3:])
        if p.startswith("int:"):
            lo, hi = (int(x) for x in p[4:].split("-"))
            try:
                v = int(got)
            except (TypeError, ValueError):
                return "%s: %r is not an integer" % (path, got)
            return None if lo <= v <= hi else "%s: %d not in [%d, %d]" % (path, v, lo, hi)
        if p.startswith("len:"):
            return None if hasattr(got, "__len__") and len(got) == int(p[4:]) else "%s: length %s != %s" % (path, len(got) if hasattr(got, "__len__") else "-", p[4:])
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want an object, got %s" % (path, json.dumps(got)[:200])
        for k, v in want.items():
            if v == "<absent>":
                if k in got:
                    return "%s.%s: must be absent, got %s" % (path, k, json.dumps(got[k])[:200])
                continue
            if k not in got:
                return "%s.%s: missing" % (path, k)
            r = match(v, got[k], binds, "%s.%s" % (path, k))
            if r:
                return r
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return "%s: want a list, got %s" % (path, json.dumps(got)[:200])
        if want and want[0] in ("<head>", "<tail>"):
            n = len(want) - 1
            if len(got) < n:
                return "%s: %d items, want at least %d" % (path, len(got), n)
            part = got[:n] if want[0] == "<head>" else got[len(got) - n:]
            return match(want[1:], part, binds, "%s%s" % (path, want[0]))
        if len(want) != len(got):
            return "%s: %d items, want %d: %s" % (path, len(got), len(want), json.dumps(got)[:300])
        for i, (w, g) in enumerate(zip(want, got)):
            r = match(w, g, binds, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    if want != got:
        return "%s: got %s, want %s" % (path, json.dumps(got)[:300], json.dumps(want)[:300])
    return None


def parse_want_client(path):
    raw = open(path, encoding="utf-8").read()
    head, sep, body = raw.partition("\n\n")
    lines = head.split("\n")
    return int(lines[0].split()[0]), [l for l in lines[1:] if l.strip()], (body if sep else None)


def check_client(case, path, st, hdrs, body):
    name = os.path.basename(path)
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            f.write("%d\ncontent-type: %s\n\n%s" % (st, hdrs.get("content-type", ""), pretty(body)))
        return "%s written from this run: review it" % name
    wst, whdrs, wbody = parse_want_client(path)
    if st != wst:
        return "%s: status %d, want %d; body: %s" % (name, st, wst, body[:600].decode("utf-8", "replace"))
    binds = {}
    for h in whdrs:
        if h.startswith("!"):
            if h[1:].strip().lower() in hdrs:
                return "%s: header %s must be absent" % (name, h[1:])
            continue
        k, _, v = h.partition(":")
        k, v = k.strip().lower(), v.strip()
        if k not in hdrs:
            return "%s: header %s missing" % (name, k)
        r = match(v, hdrs[k], binds, k)
        if r:
            return "%s: header %s" % (name, r)
    if wbody is None:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n" + pretty(body))
        return "%s: body written from this run: review it" % name
    got = normalise(body.decode("utf-8", "replace"))
    try:
        gj, wj = json.loads(got), json.loads(wbody)
    except ValueError:
        gj = wj = None
    if gj is not None:
        r = match(wj, gj, binds)
        return None if not r else "%s: %s" % (name, r)
    if got != wbody:
        return "%s: body differs\n%s" % (name, diff(wbody, got))
    return None


def pretty(body):
    text = normalise(body.decode("utf-8", "replace"))
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
    except ValueError:
        return text


def diff(want, got):
    import difflib
    return "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "want", "got", lineterm="", n=1))


def mock_log(path):
    reqs, events = [], []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            j = json.loads(line)
            (events if "event" in j else reqs).append(j)
    for r in reqs:
        try:
            r["body"] = json.loads(r["body"])
        except ValueError:
            pass
    return reqs, events


def check_upstream(case_dir, reqs):
    for r in reqs:
        if KEY in json.dumps(r["headers"]) or KEY in r["path"]:
            return "the client's key was forwarded upstream: %s %s" % (r["method"], r["path"])
    path = os.path.join(case_dir, "want.upstream")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(reqs, f, indent=1, ensure_ascii=False)
        return "want.upstream written from this run: review it"
    want = json.load(open(path, encoding="utf-8"))
    if isinstance(want, dict):
        want = [want]
    if len(reqs) != len(want):
        return "the mock saw %d requests, want %d: %s" % (
            len(reqs), len(want), "; ".join("%s %s key=%s" % (r["method"], r["path"], r["key"]) for r in reqs))
    binds = {}
    for i, (w, g) in enumerate(zip(want, reqs)):
        if "headers" in w:
            w = dict(w, headers={k.lower(): v for k, v in w["headers"].items()})
        r = match(w, g, binds, "request[%d]" % i)
        if r:
            return r
    return None


# ---- one case ---------------------------------------------------------------

def mock_case(case_dir, log):
    req = urllib.request.Request("http://127.0.0.1:%d/_mock/case" % ARGS["mock_port"],
                                 data=json.dumps({"dir": case_dir, "log": log}).encode(),
                                 method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def write_config(case_dir, cases_dir, name):
    src = os.path.join(case_dir, "config.yaml")
    if not os.path.exists(src):
        src = os.path.join(cases_dir, "config.yaml")
    auth = os.path.join(ARGS["work"], "auth-" + name)
    shutil.rmtree(auth, ignore_errors=True)
    os.makedirs(auth, mode=0o700)
    place_auth_files(case_dir, auth)
    text = open(src, encoding="utf-8").read()
    text = text.replace("@MOCK@", "http://127.0.0.1:%d" % ARGS["mock_port"])
    text = text.replace("@AUTHDIR@", auth).replace("@KEY@", KEY)
    tmp = ARGS["config"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.rename(tmp, ARGS["config"])


def place_auth_files(case_dir, auth):
    """The case's auth/ files into its fresh auth-dir, 0600."""
    src = os.path.join(case_dir, "auth")
    if not os.path.isdir(src):
        return
    for f in sorted(os.listdir(src)):
        text = open(os.path.join(src, f), encoding="utf-8").read()
        text = text.replace("@MOCK@", "http://127.0.0.1:%d" % ARGS["mock_port"])
        dst = os.path.join(auth, f)
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)


def check_auth_files(case_dir, name):
    """want.auth/<file> against the auth-dir file after the case."""
    wdir = os.path.join(case_dir, "want.auth")
    if not os.path.isdir(wdir):
        return
    auth = os.path.join(ARGS["work"], "auth-" + name)
    for f in sorted(os.listdir(wdir)):
        path = os.path.join(auth, f)
        problem = None
        try:
            got = json.load(open(path, encoding="utf-8"))
            mode = os.stat(path).st_mode & 0o7777
            want = json.load(open(os.path.join(wdir, f), encoding="utf-8"))
            problem = match(want, got, {})
            if not problem and mode != 0o600:
                problem = "mode %o, want 600" % mode
        except (OSError, ValueError) as e:
            problem = repr(e)
        tap(problem is None, "%s: auth-dir file %s" % (name, f), problem)


def client_files(case_dir):
    if os.path.exists(os.path.join(case_dir, "client.http")):
        return [("client.http", "want.client")]
    out = []
    i = 1
    while os.path.exists(os.path.join(case_dir, "client.http.%d" % i)):
        out.append(("client.http.%d" % i, "want.client.%d" % i))
        i += 1
    return out


def run_case(cases_dir, name):
    case_dir = os.path.abspath(os.path.join(cases_dir, name))
    opts = {}
    if os.path.exists(os.path.join(case_dir, "case.json")):
        opts = json.load(open(os.path.join(case_dir, "case.json")))
    log = os.path.join(ARGS["work"], name + ".mock.jsonl")
    if os.path.exists(log):
        os.unlink(log)
    write_config(case_dir, cases_dir, name)
    mock_case(case_dir, log)
    port = ARGS["port"]
    problems = []
    took = None
    for req_file, want_file in client_files(case_dir):
        req = load_request(os.path.join(case_dir, req_file), port)
        n = opts.get("repeat", 1)
        if n > 1:
            results = []
            lock = threading.Lock()
            todo = list(range(n))

            def worker():
                while True:
                    with lock:
                        if not todo:
                            return
                        todo.pop()
                    r = send(req, port)
                    with lock:
                        results.append(r)

            threads = [threading.Thread(target=worker) for _ in range(opts.get("concurrency", 1))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            bad = [r for r in results if check_client(name, os.path.join(case_dir, want_file), *r[:3])]
            if bad:
                problems.append("%d of %d responses differ, first: %s" % (
                    len(bad), n, check_client(name, os.path.join(case_dir, want_file), *bad[0][:3])))
        else:
            st, hdrs, body, took = send(req, port, opts.get("disconnect_after"))
            if opts.get("disconnect_after") is None:
                r = check_client(name, os.path.join(case_dir, want_file), st, hdrs, body)
                if r:
                    problems.append(r)
        if opts.get("pause"):
            time.sleep(opts["pause"])
    tap(not problems, "%s: client response" % name, "\n".join(problems))

    # The upstream side.
    if opts.get("upstream_gone_within") is not None:
        deadline = time.monotonic() + opts["upstream_gone_within"] + 3
        while time.monotonic() < deadline:
            reqs, events = mock_log(log)
            if events:
                break
            time.sleep(0.1)
        reqs, events = mock_log(log)
        if not reqs or not events:
            tap(False, "%s: the upstream connection is closed when the client goes away" % name,
                "mock saw %d requests, %d disconnects" % (len(reqs), len(events)))
        else:
            after = events[0]["t"] - reqs[0]["t"]
            ok = after <= took + opts["upstream_gone_within"]
            tap(ok, "%s: the upstream connection is closed when the client goes away" % name,
                "client left after %.2fs, upstream closed after %.2fs" % (took, after))
        return
    reqs, _ = mock_log(log)
    if "key_counts" in opts:
        counts = {}
        for r in reqs:
            counts[r["key"]] = counts.get(r["key"], 0) + 1
        bad = {k: counts.get(k, 0) for k, (lo, hi) in opts["key_counts"].items()
               if not lo <= counts.get(k, 0) <= hi}
        tap(not bad, "%s: requests per key within bounds" % name, "counts: %r" % counts)
        return
    r = check_upstream(case_dir, reqs)
    tap(r is None, "%s: upstream request" % name, r)
    check_auth_files(case_dir, name)


def main():
    argv = sys.argv[1:]
    cases_dir = "tests/data/e2e"
    if argv and argv[0] == "--check-upstream":
        # e2e.py --check-upstream DIR MOCKLOG: DIR/want.upstream against the
        # log (for test_sdk.sh); prints the mismatch, exit 1.
        reqs, _ = mock_log(argv[2])
        r = check_upstream(os.path.abspath(argv[1]), reqs)
        if r:
            print(r)
        sys.exit(1 if r else 0)
    while argv:
        a = argv.pop(0)
        if a == "--port":
            ARGS["port"] = int(argv.pop(0))
        elif a == "--mock-port":
            ARGS["mock_port"] = int(argv.pop(0))
        elif a == "--config":
            ARGS["config"] = argv.pop(0)
        elif a == "--work":
            ARGS["work"] = argv.pop(0)
        elif a == "--log":
            ARGS["log"] = argv.pop(0)
        elif a == "--only":
            ARGS["only"] = argv.pop(0)
        else:
            cases_dir = a
    for name in sorted(os.listdir(cases_dir)):
        if not os.path.isdir(os.path.join(cases_dir, name)):
            continue
        if ARGS.get("only") and not re.search(ARGS["only"], name):
            continue
        try:
            run_case(cases_dir, name)
        except Exception as e:  # one broken case must not hide the others
            tap(False, "%s: runner error" % name, repr(e))
    if ARGS.get("log") and not ARGS.get("only"):
        check_log(cases_dir)


def check_log(cases_dir):
    """No secret in cliproxy's log: not the client key, not any upstream key."""
    text = open(ARGS["log"], encoding="utf-8", errors="replace").read()
    tap(KEY not in text, "the client key never reaches the log")
    secrets = set()
    for root, _, files in os.walk(cases_dir):
        for f in files:
            if f == "config.yaml":
                for m in re.finditer(r"api-key:\s*\"?([A-Za-z0-9_.-]{8,})", open(os.path.join(root, f)).read()):
                    secrets.add(m.group(1))
            if f.startswith("upstream.reply"):
                # tokens a mock token endpoint hands out (a refresh)
                for m in re.finditer(r'"(?:access|refresh|id)_token"\s*:\s*"([^"]{8,})"',
                                     open(os.path.join(root, f), encoding="utf-8", errors="replace").read()):
                    secrets.add(m.group(1))
            if os.path.basename(root) == "auth" and f.endswith(".json"):
                try:
                    for k, v in flat_items(json.load(open(os.path.join(root, f)))):
                        if k.endswith("_token") and isinstance(v, str) and len(v) >= 8:
                            secrets.add(v)
                except ValueError:
                    pass
    leaked = sorted(s for s in secrets if s in text)
    tap(not leaked, "no upstream key reaches the log", "leaked: %s" % ", ".join(leaked))
    tap(text.count("status=") > 0, "requests are logged")


def flat_items(j):
    """Every (key, value) of a JSON document, nested objects included."""
    if isinstance(j, dict):
        for k, v in j.items():
            yield k, v
            yield from flat_items(v)
    elif isinstance(j, list):
        for v in j:
            yield from flat_items(v)


if __name__ == "__main__":
    main()
