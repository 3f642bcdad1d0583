#!/usr/bin/env python3
"""oauth_mock.py - a local mock of the OAuth side of Google (Gemini CLI),
OpenAI (Codex) and Anthropic (Claude Code) for the login tests (stdlib only).

    oauth_mock.py [--port N] [--log FILE]

Listens on 127.0.0.1:N (0 or absent: a free port) and prints "PORT <n>" once
it accepts connections.  Every request (but /_mock/*) is appended to the log
as one JSON line {"n","method","path","headers","body"} (header names
lower-cased).  Point cliproxy at it with the CLIPROXY_*_URL variables:

  Google   /google/authorize  /google/token  /google/userinfo
           /google/projects   (cloudresourcemanager v1 projects list)
           /google/cloudcode  (base: /v1internal:loadCodeAssist, :onboardUser)
           /google/serviceusage (base: /v1/projects/P/services/S[:enable])
  Codex    /codex/authorize   /codex/token
           /codex/device/usercode  /codex/device/token  /codex/device (page)
  Claude   /claude/authorize  /claude/token

The authorize endpoints play the user who consents at once: they check the
request (client id, redirect_uri, PKCE S256 where the provider uses it) and
answer 302 to redirect_uri with ?code=...&state=... (or, when told to deny,
?error=access_denied&error_description=...&state=...).  The token endpoints
check what a real one checks: the code was issued and not used, the
redirect_uri is the same, SHA-256(code_verifier) matches the challenge,
Google's client secret; refresh_token grants answer new tokens (rotating the
refresh token when "rotate" is set; an old rotated refresh token is then
refused with invalid_grant / refresh_token_reused).  Cloud Code, Service
Usage and the user-info/project endpoints want an access token this mock
issued.

Control (never logged): POST /_mock/oauth with a JSON object merges into the
settings below (and {"reset": true} first restores the defaults and forgets
every issued code and token); GET /_mock/state answers the settings plus
"counts" (requests per path) and "issued" (tokens per provider).

  email        "user@example.com"   the account's e-mail (all providers)
  deny         false   authorize answers error=access_denied
  bad_state    false   authorize answers with a state that is not the one asked
  expires_in   3600
  rotate       false   refresh grants issue a new refresh token
  plan         "plus"  Codex chatgpt_plan_type ("" for none)
  account_id   "acct-mock-1"  Codex chatgpt_account_id
  projects     ["mock-project-1", "mock-project-2"]   Google project list
  api_enabled  false   cloudaicompanion already ENABLED (else :enable is needed)
  onboard_polls 0      onboardUser answers done:false this many times first
  backend_project ""   onboardUser answers this project instead of the asked one
  device_polls 1       Codex device token answers 403 (pending) this many times
  token_status 200     force the token endpoint's status (e.g. 500, 400)
  token_delay  0       seconds every token endpoint call waits before its
                       answer (outside the lock: concurrent calls overlap),
                       to widen refresh races
  token_drop   false   the token endpoint closes the connection unanswered

Seeding (for refresh tests, which start from a credential file rather than
a login): {"seed": [{"provider": "codex", "refresh_token": "rt-x",
"email": "a@b.c"}, ...]} in a POST /_mock/oauth registers refresh tokens as
if this mock had issued them ("seed" is not a setting; "google" is the
provider name of Gemini).
"""
import argparse
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

GOOGLE_CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "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"
CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
CLAUDE_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
CODEX_DEVICE_REDIRECT = "https://auth.openai.com/deviceauth/callback"

DEFAULTS = {
    "email": "user@example.com",
    "deny": False,
    "bad_state": False,
    "expires_in": 3600,
    "rotate": False,
    "plan": "plus",
    "account_id": "acct-mock-1",
    "projects": ["mock-project-1", "mock-project-2"],
    "api_enabled": False,
    "onboard_polls": 0,
    "backend_project": "",
    "device_polls": 1,
    "token_status": 200,
    "token_delay": 0,
    "token_drop": False,
}

LOCK = threading.Lock()
S = {}


def reset():
    S.clear()
    S.update({"settings": json.loads(json.dumps(DEFAULTS)), "codes": {}, "tokens": {},
              "refresh": {}, "old_refresh": set(), "counts": {}, "issued": {},
              "onboard": {}, "enabled": set(), "devices": {}, "n": 0, "log": S.get("log")})


reset()


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def s256(verifier):
    return b64u(hashlib.sha256(verifier.encode()).digest())


def jwt(claims):
    head = b64u(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return "%s.%s.%s" % (head, b64u(json.dumps(claims).encode()), b64u(b"mock-signature"))


def new_tokens(provider, email):
    """Issue an access + refresh token pair for provider (under LOCK)."""
    st = S["settings"]
    tag = secrets.token_hex(6)
    if provider == "claude":
        access, refresh = "sk-ant-oat01-mock-" + tag, "sk-ant-ort01-mock-" + tag
    elif provider == "google":
        access, refresh = "ya29.mock-" + tag, "1//mock-refresh-" + tag
    else:
        access, refresh = "codex-at-mock-" + tag, "codex-rt-mock-" + tag
    S["tokens"][access] = {"provider": provider, "email": email,
                           "exp": time.time() + int(st["expires_in"])}
    S["refresh"][refresh] = {"provider": provider, "email": email}
    S["issued"].setdefault(provider, []).append({"access_token": access, "refresh_token": refresh})
    return access, refresh


def token_answer(provider, access, refresh, email):
    st = S["settings"]
    out = {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
           "expires_in": int(st["expires_in"])}
    if provider == "google":
        out["scope"] = ("https://www.googleapis.com/auth/cloud-platform "
                        "https://www.googleapis.com/auth/userinfo.email "
                        "https://www.googleapis.com/auth/userinfo.profile openid")
        out["id_token"] = jwt({"email": email, "iss": "https://accounts.google.com"})
    elif provider == "codex":
        auth = {"chatgpt_account_id": st["account_id"]}
        if st["plan"]:
            auth["chatgpt_plan_type"] = st["plan"]
        out["id_token"] = jwt({"email": email, "https://api.openai.com/auth": auth,
                               "exp": int(time.time()) + int(st["expires_in"])})
    elif provider == "claude":
        out["organization"] = {"uuid": "org-mock-1", "name": "Mock Org"}
        out["account"] = {"uuid": "acct-mock-claude", "email_address": email}
        out["scope"] = "user:inference user:profile"
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oauth-mock/1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, headers=(), text=None):
        body = text.encode() if text is not None else json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if body or text is not None or obj is not None:
            self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def oauth_error(self, status, err, desc=""):
        self.reply(status, {"error": err, "error_description": desc})

    def bearer(self):
        a = self.headers.get("Authorization", "")
        return a[7:].strip() if a.lower().startswith("bearer ") else ""

    def token_ok(self, provider):
        t = S["tokens"].get(self.bearer())
        return t if t and t["provider"] == provider else None

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        if u.path.startswith("/_mock/"):
            return self.control(u.path, raw)
        if u.path.endswith("/token") and not u.path.startswith("/codex/device"):
            with LOCK:
                delay, drop = float(S["settings"]["token_delay"]), S["settings"]["token_drop"]
            if delay > 0:
                time.sleep(delay)
            if drop:
                with LOCK:
                    S["counts"][u.path] = S["counts"].get(u.path, 0) + 1
                self.close_connection = True
                self.connection.shutdown(2)
                return None
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype and raw:
            try:
                form = json.loads(raw)
            except ValueError:
                form = {}
        else:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"),
                                                 keep_blank_values=True).items()}
        with LOCK:
            S["n"] += 1
            S["counts"][u.path] = S["counts"].get(u.path, 0) + 1
            if S.get("log"):
                with open(S["log"], "a", encoding="utf-8") as f:
                    f.write(json.dumps({"n": S["n"], "method": self.command, "path": self.path,
                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": raw.decode("utf-8", "replace")},
                                       sort_keys=True) + "\n")
            return self.route(u.path, q, form)

    # ---- routes (called under LOCK) ----

    def route(self, path, q, form):
        parts = path.strip("/").split("/", 1)
        provider, rest = parts[0], parts[1] if len(parts) > 1 else ""
        if provider in ("google", "codex", "claude") and rest == "authorize":
            return self.authorize(provider, q)
        if provider in ("google", "codex", "claude") and rest == "token":
            return self.token(provider, form)
        if provider == "google":
            return self.google(rest, form)
        if provider == "codex" and rest.startswith("device"):
            return self.device(rest, form)
        return self.reply(404, {"error": "not_found", "error_description": path})

    def authorize(self, provider, q):
        st = S["settings"]
        want_client = {"google": GOOGLE_CLIENT_ID, "codex": CODEX_CLIENT_ID,
                       "claude": CLAUDE_CLIENT_ID}[provider]
        redirect = q.get("redirect_uri", "")
        if q.get("client_id") != want_client or not redirect or q.get("response_type") != "code":
            return self.reply(400, text="bad authorize request: client_id/redirect_uri/response_type")
        if provider in ("codex", "claude") and (q.get("code_challenge_method") != "S256"
                                                 or len(q.get("code_challenge", "")) < 43):
            return self.reply(400, text="bad authorize request: PKCE S256 required")
        if provider == "google" and (q.get("access_type") != "offline" or "scope" not in q):
            return self.reply(400, text="bad authorize request: access_type=offline and scope required")
        state = q.get("state", "")
        if st["bad_state"]:
            state = "not-" + state
        if st["deny"]:
            params = {"error": "access_denied",
                      "error_description": "The user denied the request", "state": state}
        else:
            code = "mockcode-%s-%s" % (provider, secrets.token_hex(8))
            S["codes"][code] = {"provider": provider, "redirect_uri": redirect,
                                "challenge": q.get("code_challenge"), "state": q.get("state", ""),
                                "email": st["email"]}
            params = {"code": code, "state": state}
            if provider == "google":
                params["scope"] = q.get("scope", "")
        loc = redirect + ("&" if "?" in redirect else "?") + urlencode(params)
        return self.reply(302, headers=[("Location", loc)], text="redirecting\n")

    def token(self, provider, form):
        st = S["settings"]
        if int(st["token_status"]) != 200:
            return self.oauth_error(int(st["token_status"]), "server_error", "forced by the test")
        grant = form.get("grant_type")
        want_client = {"google": GOOGLE_CLIENT_ID, "codex": CODEX_CLIENT_ID,
                       "claude": CLAUDE_CLIENT_ID}[provider]
        if form.get("client_id") != want_client:
            return self.oauth_error(401, "invalid_client", "unknown client_id")
        if provider == "google" and form.get("client_secret") != GOOGLE_CLIENT_SECRET:
            return self.oauth_error(401, "invalid_client", "bad client_secret")
        if grant == "authorization_code":
            c = S["codes"].pop(form.get("code", ""), None)
            if not c or c["provider"] != provider:
                return self.oauth_error(400, "invalid_grant", "unknown or used code")
            if form.get("redirect_uri") != c["redirect_uri"]:
                return self.oauth_error(400, "invalid_grant", "redirect_uri differs")
            if c["challenge"] is not None or provider != "google":
                if s256(form.get("code_verifier", "")) != c["challenge"]:
                    return self.oauth_error(400, "invalid_grant", "PKCE verification failed")
            if provider == "claude" and form.get("state") != c["state"]:
                return self.oauth_error(400, "invalid_grant", "state differs")
            access, refresh = new_tokens(provider, c["email"])
            return self.reply(200, token_answer(provider, access, refresh, c["email"]))
        if grant == "refresh_token":
            rt = form.get("refresh_token", "")
            if rt in S["old_refresh"]:
                err = "refresh_token_reused" if provider == "codex" else "invalid_grant"
                return self.oauth_error(400, err, "refresh token already used")
            r = S["refresh"].get(rt)
            if not r or r["provider"] != provider:
                return self.oauth_error(400, "invalid_grant", "unknown refresh token")
            access, refresh = new_tokens(provider, r["email"])
            if st["rotate"]:
                del S["refresh"][rt]
                S["old_refresh"].add(rt)
            else:
                del S["refresh"][refresh]
                refresh = rt
                S["issued"][provider][-1]["refresh_token"] = rt
            return self.reply(200, token_answer(provider, access, refresh, r["email"]))
        return self.oauth_error(400, "unsupported_grant_type", str(grant))

    def google(self, rest, form):
        st = S["settings"]
        t = self.token_ok("google")
        if not t:
            return self.reply(401, {"error": {"code": 401, "message": "invalid credentials",
                                              "status": "UNAUTHENTICATED"}})
        if rest == "userinfo":
            return self.reply(200, {"id": "1234", "email": t["email"], "verified_email": True})
        if rest == "projects":
            return self.reply(200, {"projects": [{"projectId": p, "name": "Project " + p,
                                                  "lifecycleState": "ACTIVE"}
                                                 for p in st["projects"]]})
        if rest == "cloudcode/v1internal:loadCodeAssist":
            return self.reply(200, {"currentTier": None,
                                    "allowedTiers": [{"id": "legacy-tier"},
                                                     {"id": "free-tier", "isDefault": True}]})
        if rest == "cloudcode/v1internal:onboardUser":
            proj = form.get("cloudaicompanionProject") or "auto-project-1"
            key = (t["email"], proj)
            seen = S["onboard"].get(key, 0)
            S["onboard"][key] = seen + 1
            if form.get("tierId") != "free-tier":
                return self.reply(400, {"error": {"code": 400, "message": "bad tierId",
                                                  "status": "INVALID_ARGUMENT"}})
            if seen < int(st["onboard_polls"]):
                return self.reply(200, {"name": "operations/mock", "done": False})
            got = st["backend_project"] or proj
            return self.reply(200, {"name": "operations/mock", "done": True,
                                    "response": {"cloudaicompanionProject": {"id": got,
                                                                             "name": got}}})
        if rest.startswith("serviceusage/v1/projects/"):
            tail = rest[len("serviceusage/v1/projects/"):]
            proj, _, svc = tail.partition("/services/")
            if svc == "cloudaicompanion.googleapis.com":
                on = st["api_enabled"] or proj in S["enabled"]
                return self.reply(200, {"name": "projects/%s/services/%s" % (proj, svc),
                                        "state": "ENABLED" if on else "DISABLED"})
            if svc == "cloudaicompanion.googleapis.com:enable" and self.command == "POST":
                S["enabled"].add(proj)
                return self.reply(200, {"name": "operations/enable", "done": True})
        return self.reply(404, {"error": {"code": 404, "message": "no such mock route " + rest,
                                          "status": "NOT_FOUND"}})

    def device(self, rest, form):
        st = S["settings"]
        if rest == "device" and self.command == "GET":
            return self.reply(200, text="Enter the code shown in your terminal.\n")
        if rest == "device/usercode":
            if form.get("client_id") != CODEX_CLIENT_ID:
                return self.oauth_error(400, "invalid_client", "unknown client_id")
            dev = "devauth-" + secrets.token_hex(6)
            code = "%s-%s" % (secrets.token_hex(2).upper(), secrets.token_hex(2).upper())
            S["devices"][dev] = {"user_code": code, "polls": 0}
            return self.reply(200, {"device_auth_id": dev, "user_code": code, "interval": "1"})
        if rest == "device/token":
            d = S["devices"].get(form.get("device_auth_id", ""))
            if not d or d["user_code"] != form.get("user_code"):
                return self.oauth_error(400, "invalid_request", "unknown device authorization")
            if st["deny"]:
                return self.oauth_error(400, "access_denied", "The user denied the request")
            d["polls"] += 1
            if d["polls"] <= int(st["device_polls"]):
                return self.reply(403, {"error": {"message": "authorization pending",
                                                  "code": "deviceauth_authorization_unknown"}})
            verifier = b64u(secrets.token_bytes(32))
            code = "mockcode-codex-dev-" + secrets.token_hex(8)
            S["codes"][code] = {"provider": "codex", "redirect_uri": CODEX_DEVICE_REDIRECT,
                                "challenge": s256(verifier), "state": "", "email": st["email"]}
            del S["devices"][form["device_auth_id"]]
            return self.reply(200, {"authorization_code": code, "code_verifier": verifier,
                                    "code_challenge": s256(verifier)})
        return self.reply(404, {"error": "not_found"})

    def control(self, path, raw):
        with LOCK:
            if path == "/_mock/oauth" and self.command == "POST":
                c = json.loads(raw or b"{}")
                if c.pop("reset", False):
                    reset()
                if "log" in c:
                    S["log"] = c.pop("log")
                for sd in c.pop("seed", []):
                    S["refresh"][sd["refresh_token"]] = {
                        "provider": sd["provider"], "email": sd.get("email", S["settings"]["email"])}
                S["settings"].update(c)
                return self.reply(204)
            if path == "/_mock/state":
                return self.reply(200, {"settings": S["settings"], "counts": S["counts"],
                                        "issued": S["issued"]})
            if path == "/_mock/ping":
                return self.reply(204)
        return self.reply(404, {"error": "no such control"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description="mock OAuth endpoints")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    a = ap.parse_args()
    S["log"] = a.log
    srv = Server(("127.0.0.1", a.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
