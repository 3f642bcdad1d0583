#!/bin/sh
# test_login.sh - `cliproxy login` against tests/mock/oauth_mock.py, with
# this script playing the browser: start the login with --no-browser, follow
# the printed address to the mock's authorize endpoint (which consents and
# redirects), deliver the redirect to the callback listener (curl
# --connect-to stands for the ssh -L forward when the provider's redirect
# port is fixed) or paste it on stdin, then check the credential file (name,
# members, mode) and that nothing secret reached the terminal.  Failures:
# wrong state, denied consent, timeout, port in use, token endpoint error;
# each must say why and write nothing.
. "$(dirname "$0")/lib.sh"

python3 tests/mock/oauth_mock.py --log "$T/oauth.jsonl" >"$T/oauth.port" 2>"$T/oauth.err" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/oauth.port" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
OP=$(sed -n 's/^PORT //p' "$T/oauth.port")
[ -n "$OP" ] || { notok "the OAuth mock did not start"; cat "$T/oauth.err"; exit 1; }
M="http://127.0.0.1:$OP"

AUTH="$T/auth"
printf 'auth-dir: "%s"\n' "$AUTH" >"$T/config.yaml"
export HOME="$T"
unset SSH_CONNECTION SSH_CLIENT DISPLAY WAYLAND_DISPLAY
export CLIPROXY_GEMINI_AUTH_URL="$M/google/authorize" CLIPROXY_GEMINI_TOKEN_URL="$M/google/token" \
	CLIPROXY_GEMINI_USERINFO_URL="$M/google/userinfo" CLIPROXY_GEMINI_PROJECTS_URL="$M/google/projects" \
	CLIPROXY_GEMINI_CLI_BASE_URL="$M/google/cloudcode" CLIPROXY_GEMINI_SERVICEUSAGE_URL="$M/google/serviceusage" \
	CLIPROXY_CODEX_AUTH_URL="$M/codex/authorize" CLIPROXY_CODEX_TOKEN_URL="$M/codex/token" \
	CLIPROXY_CODEX_DEVICE_CODE_URL="$M/codex/device/usercode" \
	CLIPROXY_CODEX_DEVICE_TOKEN_URL="$M/codex/device/token" \
	CLIPROXY_CODEX_DEVICE_VERIFY_URL="$M/codex/device" \
	CLIPROXY_CLAUDE_AUTH_URL="$M/claude/authorize" CLIPROXY_CLAUDE_TOKEN_URL="$M/claude/token"

# mock JSON: change the mock's settings (always from the defaults)
mock() { curl -s -o /dev/null -X POST -d "{\"reset\":true${1:+,$1}}" "$M/_mock/oauth"; }
# mockcount PATH-REGEX: requests the mock saw on matching paths
mockcount() {
	curl -s "$M/_mock/state" | python3 -c "
import json, re, sys
c = json.load(sys.stdin)['counts']
print(sum(v for k, v in c.items() if re.search(sys.argv[1], k)))" "$1"
}

# login OUT ARGS...: run a login in the background, stdin from the fifo
# $T/in (held open by fd 9 so it never sees EOF unless we close it); sets LP.
login() {
	out=$1
	shift
	rm -f "$T/in"
	mkfifo "$T/in"
	"$CLIPROXY" --config "$T/config.yaml" "$@" <"$T/in" >"$T/$out.out" 2>"$T/$out.err" &
	LP=$!
	exec 9>"$T/in"
}
# wait_url OUT: the authorize address the login printed (max 5 s)
wait_url() {
	i=0
	while [ $i -lt 50 ]; do
		u=$(grep -m1 '^http' "$T/$1.out" 2>/dev/null)
		[ -n "$u" ] && { echo "$u"; return 0; }
		kill -0 "$LP" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# follow URL: what the browser is sent to after consent (the Location)
follow() { curl -s -o /dev/null -w '%{redirect_url}' "$1"; }
# finish: close stdin, wait for the login, its exit status in RC
finish() { exec 9>&-; wait "$LP"; RC=$?; }
# jf FILE EXPR: python expression over the credential j
jf() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
mode_of() { stat -c %a "$1"; }
nofiles() { [ -z "$(ls "$AUTH" 2>/dev/null | grep '\.json$')" ]; }
# no secret issued by the mock appears in these files
no_secrets() {
	curl -s "$M/_mock/state" | python3 -c '
import json, sys
st = json.load(sys.stdin)
toks = [t for p in st["issued"].values() for d in p for t in d.values()]
for f in sys.argv[1:]:
    data = open(f, errors="replace").read()
    for t in toks:
        if t in data:
            sys.exit(1)
' "$@"
}

# ---- Codex: browser redirect, listener moved with --callback-port -----------
# (Tokens as long-lived as the real ones, so their first use below needs no
# refresh: Codex's lead time is 5 days, Claude's 4 hours.)
mock '"expires_in":864000'
CP=$(free_port)
login codex login codex --no-browser --callback-port "$CP"
URL=$(wait_url codex)
check "codex: authorize address printed" [ -n "$URL" ]
check "codex: PKCE S256 and state in the address" sh -c "echo '$URL' | grep -q 'code_challenge_method=S256' && echo '$URL' | grep -q 'state='"
check "codex: ssh -L hint maps 1455 onto the listener" grep -q "ssh -L 1455:127.0.0.1:$CP" "$T/codex.out"
LOC=$(follow "$URL")
check "codex: the mock redirects to localhost:1455/auth/callback" sh -c "echo '$LOC' | grep -q '^http://localhost:1455/auth/callback?code='"
# A browser asks for more than the callback: those get 404 and the wait goes on.
st=$(curl -s -o /dev/null -w '%{http_code}' --connect-to "localhost:1455:127.0.0.1:$CP" http://localhost:1455/favicon.ico)
check "codex: another path on the listener is 404" [ "$st" = 404 ]
curl -s --connect-to "localhost:1455:127.0.0.1:$CP" "$LOC" >"$T/codex.page"
check "codex: the browser is told it can close the tab" grep -q 'close this tab' "$T/codex.page"
finish
check "codex: login exits 0" [ "$RC" = 0 ]
F="$AUTH/codex-user@example.com-plus.json"
check "codex: codex-<email>-<plan>.json written" [ -f "$F" ]
check "codex: file mode 0600" [ "$(mode_of "$F")" = 600 ]
check "codex: auth-dir mode 0700" [ "$(mode_of "$AUTH")" = 700 ]
check "codex: the original's members in its order" [ "$(jf "$F" 'list(j.keys())')" = "['id_token', 'access_token', 'refresh_token', 'account_id', 'last_refresh', 'email', 'type', 'expired']" ]
check "codex: type, email, account_id" [ "$(jf "$F" 'j["type"], j["email"], j["account_id"]')" = "codex user@example.com acct-mock-1" ]
ISSUED=$(curl -s "$M/_mock/state" | python3 -c "import json,sys; print(json.load(sys.stdin)['issued']['codex'][-1]['access_token'])")
check "codex: the issued access token is in the file" [ "$(jf "$F" 'j["access_token"]')" = "$ISSUED" ]
check "codex: expired and last_refresh are RFC 3339" [ "$(jf "$F" 'all(__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", j[k]) for k in ("expired", "last_refresh"))')" = True ]
check "codex: no token on the terminal" no_secrets "$T/codex.out" "$T/codex.err"
CODEX_FILE=$F

# ---- Codex: the original's flags, answer pasted on stdin --------------------
mock '"plan":"team","email":"team@example.com","account_id":"acct-team-9"'
CP=$(free_port)
login codexp -codex-login -no-browser -oauth-callback-port "$CP"
URL=$(wait_url codexp)
LOC=$(follow "$URL")
echo "  $LOC  " >&9
finish
H=$(printf 'acct-team-9' | sha256sum | cut -c1-8)
check "codex (original flags, pasted URL): exits 0" [ "$RC" = 0 ]
check "codex team plan: codex-<sha256(account)[:8]>-<email>-team.json" [ -f "$AUTH/codex-$H-team@example.com-team.json" ]

# ---- Codex: device flow ----------------------------------------------------------
mock '"email":"dev@example.com","plan":"pro","device_polls":1'
login codexd login codex --device --no-browser
finish
check "codex --device: exits 0 after one pending poll" [ "$RC" = 0 ]
check "codex --device: user code shown with the device page" grep -q "$M/codex/device" "$T/codexd.out"
check "codex --device: codex-dev@example.com-pro.json written" [ -f "$AUTH/codex-dev@example.com-pro.json" ]
check "codex --device: polled twice" [ "$(mockcount '^/codex/device/token$')" = 2 ]

# ---- Claude: "code#state" pasted ---------------------------------------------------
mock '"email":"claude@example.com","expires_in":28800'
CP=$(free_port)
login claude login claude --no-browser --callback-port "$CP"
URL=$(wait_url claude)
LOC=$(follow "$URL")
CODE=$(echo "$LOC" | python3 -c "import sys,urllib.parse as u; q=u.parse_qs(u.urlsplit(sys.stdin.read().strip()).query); print(q['code'][0]+'#'+q['state'][0])")
echo "$CODE" >&9
finish
F="$AUTH/claude-claude@example.com.json"
check "claude (code#state pasted): exits 0" [ "$RC" = 0 ]
check "claude: claude-<email>.json, mode 0600" sh -c "[ -f '$F' ] && [ \$(stat -c %a '$F') = 600 ]"
check "claude: the original's members in its order" [ "$(jf "$F" 'list(j.keys())')" = "['id_token', 'access_token', 'refresh_token', 'last_refresh', 'email', 'type', 'expired']" ]
check "claude: an OAuth token (sk-ant-oat)" sh -c "[ \"\$(python3 -c \"import json; print(json.load(open('$F'))['access_token'][:10])\")\" = sk-ant-oat ]"
check "claude: no token on the terminal" no_secrets "$T/claude.out" "$T/claude.err"
CLAUDE_FILE=$F

# ---- Gemini: ALL projects, Cloud AI Companion API enabled -------------------------
mock '"email":"g@example.com","projects":["p-one","p-two"]'
CP=$(free_port)
login gem login gemini --project ALL --no-browser --callback-port "$CP"
URL=$(wait_url gem)
check "gemini: redirect_uri follows --callback-port" sh -c "echo '$URL' | grep -q 'redirect_uri=http%3A%2F%2Flocalhost%3A$CP%2Foauth2callback'"
LOC=$(follow "$URL")
curl -s "$(echo "$LOC" | sed "s|localhost:$CP|127.0.0.1:$CP|")" >"$T/gem.page"
finish
F="$AUTH/gemini-g@example.com-all.json"
check "gemini --project ALL: exits 0" [ "$RC" = 0 ]
check "gemini --project ALL: gemini-<email>-all.json, mode 0600" sh -c "[ -f '$F' ] && [ \$(stat -c %a '$F') = 600 ]"
check "gemini: members" [ "$(jf "$F" 'list(j.keys()), sorted(j["token"].keys())')" = "['token', 'project_id', 'email', 'auto', 'checked', 'type'] ['access_token', 'client_id', 'client_secret', 'expiry', 'refresh_token', 'scopes', 'token_type', 'token_uri']" ]
check "gemini: project_id lists both, checked, type gemini" [ "$(jf "$F" 'j["project_id"], j["checked"], j["auto"], j["type"]')" = "p-one,p-two True False gemini" ]
check "gemini: the API was enabled on both projects" [ "$(mockcount '/projects/p-(one|two)/services/cloudaicompanion.googleapis.com:enable$')" = 2 ]
check "gemini: no token on the terminal" no_secrets "$T/gem.out" "$T/gem.err"
GEMINI_FILE=$F

# ---- Gemini: the original's -login -project_id, onboarding polled -------------------
mock '"email":"g2@example.com","onboard_polls":1,"api_enabled":true'
CP=$(free_port)
login gem2 -login -project_id my-proj -no-browser -oauth-callback-port="$CP"
URL=$(wait_url gem2)
LOC=$(follow "$URL")
echo "$LOC" >&9
finish
check "gemini -login -project_id: exits 0 after polling onboardUser" [ "$RC" = 0 ]
check "gemini: gemini-<email>-<project>.json" [ "$(jf "$AUTH/gemini-g2@example.com-my-proj.json" 'j["project_id"]')" = my-proj ]
check "gemini: onboardUser polled twice" [ "$(mockcount 'v1internal:onboardUser$')" = 2 ]
check "gemini: an enabled API is not enabled again" [ "$(mockcount ':enable$')" = 0 ]

# ---- Failures: each says why and writes nothing ------------------------------------
mkdir -p "$T/saved"
cp "$AUTH"/*.json "$T/saved/"
rm -rf "$AUTH"

mock '"bad_state":true'
CP=$(free_port)
login bad login codex --no-browser --callback-port "$CP"
LOC=$(follow "$(wait_url bad)")
curl -s --connect-to "localhost:1455:127.0.0.1:$CP" "$LOC" >"$T/bad.page"
finish
check "wrong state: exit 1" [ "$RC" = 1 ]
check "wrong state: says the state does not match" grep -q "state does not match" "$T/bad.err"
check "wrong state: the browser page says the login failed" grep -q 'Login failed' "$T/bad.page"
check "wrong state: no file" nofiles
check "wrong state: no code exchange" [ "$(mockcount '^/codex/token$')" = 0 ]

mock '"deny":true'
CP=$(free_port)
login deny login claude --no-browser --callback-port "$CP"
LOC=$(follow "$(wait_url deny)")
curl -s --connect-to "localhost:54545:127.0.0.1:$CP" "$LOC" >"$T/deny.page"
finish
check "denied consent: exit 1" [ "$RC" = 1 ]
check "denied consent: names access_denied" grep -q "refused the login: access_denied" "$T/deny.err"
check "denied consent: no file" nofiles

mock
CP=$(free_port)
CLIPROXY_LOGIN_TIMEOUT=1 "$CLIPROXY" --config "$T/config.yaml" login gemini --no-browser \
	--callback-port "$CP" </dev/null >"$T/to.out" 2>"$T/to.err"
RC=$?
check "timeout: exit 1" [ "$RC" = 1 ]
check "timeout: says no answer within 1 s" grep -q "no answer within 1 s" "$T/to.err"
check "timeout: no file" nofiles

CP=$(free_port)
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $CP)); s.listen(1); print('ready', flush=True); time.sleep(30)" >"$T/busy" &
BUSY=$!
PIDS="$PIDS $BUSY"
i=0
while [ $i -lt 50 ] && ! grep -q ready "$T/busy"; do sleep 0.1; i=$((i + 1)); done
"$CLIPROXY" --config "$T/config.yaml" login codex --no-browser --callback-port "$CP" \
	</dev/null >"$T/busy.out" 2>"$T/busy.err"
RC=$?
kill "$BUSY" 2>/dev/null
check "port in use: exit 1" [ "$RC" = 1 ]
check "port in use: says so, with the port" grep -q "127.0.0.1:$CP is already in use" "$T/busy.err"
check "port in use: no address shown" sh -c "! grep -q '^http' '$T/busy.out'"
check "port in use: no file" nofiles

mock '"token_status":500'
CP=$(free_port)
login tok login codex --no-browser --callback-port "$CP"
LOC=$(follow "$(wait_url tok)")
echo "$LOC" >&9
finish
check "token endpoint 500: exit 1 with the status" sh -c "[ $RC = 1 ] && grep -q 'code exchange failed: HTTP 500' '$T/tok.err'"
check "token endpoint 500: no file" nofiles

"$CLIPROXY" --config "$T/config.yaml" login nosuch >/dev/null 2>"$T/use.err"
RC=$?
check "unknown provider: exit 100" sh -c "[ $RC = 100 ] && grep -q 'unknown provider nosuch' '$T/use.err'"
"$CLIPROXY" --config "$T/config.yaml" login codex --project x >/dev/null 2>"$T/use.err"
check "--project with codex: exit 100" [ $? = 100 ]
"$CLIPROXY" --config "$T/config.yaml" --no-browser check >/dev/null 2>"$T/use.err"
check "login flags without login: exit 100" [ $? = 100 ]

# ---- The new credentials carry requests upstream ----------------------------------
# The three files the logins wrote, in a fresh auth-dir: one request per
# provider through `cliproxy serve` (over a pipe) must reach the mock
# upstream with the access token the login wrote.
mkdir -p "$T/auth2" "$T/up"
cp "$T/saved/codex-user@example.com-plus.json" "$T/saved/claude-claude@example.com.json" \
	"$T/saved/gemini-g@example.com-all.json" "$T/auth2/"
chmod 600 "$T/auth2"/*.json
chmod 700 "$T/auth2"
printf 'auth-dir: "%s"\n' "$T/auth2" >"$T/serve.yaml"
tok() { jf "$T/auth2/$1" "$2"; }
CXT=$(tok codex-user@example.com-plus.json 'j["access_token"]')
CLT=$(tok claude-claude@example.com.json 'j["access_token"]')
GMT=$(tok gemini-g@example.com-all.json 'j["token"]["access_token"]')
cat >"$T/up/upstream.reply.$CXT" <<'EOF'
HTTP/1.1 200 OK
Content-Type: text/event-stream

event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_login1","object":"response","created_at":1764000000,"status":"in_progress","model":"gpt-5","output":[]}}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":1,"output_index":0,"item":{"id":"msg_login1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello!","annotations":[]}]}}

event: response.completed
data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_login1","object":"response","created_at":1764000000,"status":"completed","model":"gpt-5","output":[{"id":"msg_login1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello!","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}}

EOF
cat >"$T/up/upstream.reply.$CLT" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json

{"id":"msg_login1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}
EOF
cat >"$T/up/upstream.reply.$GMT" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json

{"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello!"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash"},"traceId":"trace-login-1"}
EOF
python3 tests/mock/mock.py --dir "$T/up" --log "$T/up.jsonl" >"$T/up.port" 2>"$T/up.err" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/up.port" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
UP="http://127.0.0.1:$(sed -n 's/^PORT //p' "$T/up.port")"
# serve NAME PATH BODY: one request over a pipe; the raw answer in $T/NAME.resp
serve() {
	printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$2" "${#3}" "$3" |
		CLIPROXY_CODEX_BASE_URL="$UP/backend-api/codex" CLIPROXY_CLAUDE_BASE_URL="$UP" \
		CLIPROXY_GEMINI_CLI_BASE_URL="$UP" \
		"$CLIPROXY" --config "$T/serve.yaml" serve >"$T/$1.resp" 2>>"$T/serve.log"
}
# upstream_saw TOKEN PATH: the mock upstream got a request on PATH with TOKEN
upstream_saw() {
	python3 -c "
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get('key') == sys.argv[2] and r.get('path') == sys.argv[3]:
        sys.exit(0)
sys.exit(1)" "$T/up.jsonl" "$1" "$2"
}
serve cx /v1/chat/completions '{"model":"gpt-5","messages":[{"role":"user","content":"Say hello"}]}'
check "codex login -> request upstream answered 200" [ "$(status_of "$T/cx.resp")" = 200 ]
check "codex login -> upstream got the login's token" upstream_saw "$CXT" /backend-api/codex/responses
serve cl /v1/chat/completions '{"model":"claude-sonnet-4-5-20250929","messages":[{"role":"user","content":"Say hello"}]}'
check "claude login -> request upstream answered 200" [ "$(status_of "$T/cl.resp")" = 200 ]
check "claude login -> upstream got the login's token" upstream_saw "$CLT" "/v1/messages?beta=true"
serve gm /v1beta/models/gemini-2.5-flash:generateContent '{"contents":[{"role":"user","parts":[{"text":"Say hello"}]}]}'
check "gemini login -> request upstream answered 200" [ "$(status_of "$T/gm.resp")" = 200 ]
check "gemini login -> upstream got the login's token" upstream_saw "$GMT" /v1internal:generateContent
check "no token in the serve log" no_secrets "$T/serve.log"
exit 0
