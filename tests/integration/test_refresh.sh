#!/bin/sh
# test_refresh.sh - the token lifecycle across processes, every URL pointed
# at local mocks (tests/mock/oauth_mock.py for the token endpoint,
# tests/mock/mock.py for the ChatGPT backend), `cliproxy listen` forking one
# process per connection:
#   - the race: RACE_N concurrent requests on one expired credential -> the
#     token endpoint sees exactly one refresh, every request succeeds with
#     the new token, the file holds the rotated tokens and its unknown
#     members; again with an endpoint that rotates the refresh token and
#     refuses the old one;
#   - a transient failure keeps a still-valid token and backs off (no second
#     call); a permanent one disables the file once (no loop);
#   - `cliproxy refresh` and `cliproxy auth list`;
#   - crash safety: kill -9 during refreshes, in a loop; the file always
#     parses and holds the old or the new tokens.
# The figures (processes, token calls, failures) are printed as "# race:".
. "$(dirname "$0")/lib.sh"
: "${RACE_N:=50}" "${KILL_ROUNDS:=25}"

start_mock() { # VAR NAME ARGS...: start a mock, its port into VAR
	var=$1
	name=$2
	shift 2
	python3 "$@" >"$T/$name.port" 2>"$T/$name.err" &
	PIDS="$PIDS $!"
	i=0
	while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/$name.port" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	eval "$var=\$(sed -n 's/^PORT //p' \"\$T/\$name.port\")"
}
start_mock OP oauth tests/mock/oauth_mock.py
mkdir -p "$T/up"
cp tests/data/refresh/codex.reply "$T/up/upstream.reply"
start_mock UP up tests/mock/mock.py --dir "$T/up" --log "$T/up.log"
[ -n "$OP" ] && [ -n "$UP" ] || { notok "mocks did not start"; cat "$T"/*.err; exit 1; }
M="http://127.0.0.1:$OP"

AUTH="$T/auth"
mkdir -m 700 "$AUTH"
LPORT=$(free_port)
printf 'auth-dir: "%s"\nrequest-retry: 0\n' "$AUTH" >"$T/config.yaml"
export HOME="$T"
export CLIPROXY_CODEX_TOKEN_URL="$M/codex/token" CLIPROXY_CODEX_BASE_URL="http://127.0.0.1:$UP" \
	CLIPROXY_CLAUDE_TOKEN_URL="$M/claude/token" CLIPROXY_GEMINI_TOKEN_URL="$M/google/token"
"$CLIPROXY" --config "$T/config.yaml" listen "127.0.0.1:$LPORT" 2>"$T/listen.err" &
PIDS="$PIDS $!"
wait_port "$LPORT" || { notok "cliproxy listen did not start"; cat "$T/listen.err"; exit 1; }

F="$AUTH/codex-race@example.com-plus.json"

# mkcred ACCESS REFRESH EXPIRES-IN-SECONDS: the credential file, as the
# original writes it, plus a member only the user knows about.
mkcred() {
	rm -f "$AUTH/.cliproxy/cooldown.json" # each scenario starts without cooldowns
	python3 - "$F" "$1" "$2" "$3" <<'PY'
import json, os, sys, time
p, at, rt, dt = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = {"id_token": "", "access_token": at, "refresh_token": rt, "account_id": "acct-mock-1",
     "last_refresh": "2025-01-01T00:00:00Z", "email": "race@example.com", "type": "codex",
     "expired": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + dt)),
     "user_note": {"kept": [1, "two", None]}}
if os.path.exists(p):
    os.unlink(p)
fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, json.dumps(d, indent=2).encode())
os.close(fd)
PY
}
# mock JSON: reset the OAuth mock and apply settings
mock() { curl -s -o /dev/null -X POST -d "{\"reset\":true${1:+,$1}}" "$M/_mock/oauth"; }
tokcalls() { curl -s "$M/_mock/state" | python3 -c "import json,sys; print(json.load(sys.stdin)['counts'].get('/codex/token', 0))"; }
issued() { curl -s "$M/_mock/state" | python3 -c "import json,sys; i=json.load(sys.stdin)['issued'].get('codex', []); print(i[-1]['$1'] if i else '')"; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))" "$F" "$2"; }
parses() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['type']=='codex'" "$F" 2>/dev/null; }
fmode() { stat -c %a "$F"; }
req() { # OUT: one non-stream request through cliproxy, prints the status
	curl -s -m 60 -o "$T/$1" -w '%{http_code}' "http://127.0.0.1:$LPORT/v1/chat/completions" \
		-H 'content-type: application/json' \
		-d '{"model":"gpt-5","messages":[{"role":"user","content":"Say hello"}]}'
}
upkeys() { python3 -c "
import json, sys
keys = [json.loads(l).get('key') for l in open(sys.argv[1]) if l.strip() and 'event' not in json.loads(l)]
print(len(keys), len(set(keys)), keys[0] if keys else '')" "$T/up.log"; }

# race NAME: RACE_N concurrent requests on the expired credential
race() {
	name=$1
	: >"$T/up.log"
	pids=
	i=0
	while [ $i -lt "$RACE_N" ]; do
		(req "r.$i" >"$T/code.$i") &
		pids="$pids $!"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	wait $pids
	ok200=$(cat "$T"/code.* | grep -o 200 | wc -l)
	calls=$(tokcalls)
	set -- $(upkeys)
	echo "# $name: $RACE_N processes, $calls token call(s), $((RACE_N - ok200)) failed request(s), upstream saw $1 request(s) with $2 distinct token(s)"
	check "$name: every one of $RACE_N requests succeeded" [ "$ok200" -eq "$RACE_N" ]
	check "$name: the token endpoint saw exactly one refresh" [ "$calls" -eq 1 ]
	check "$name: the upstream got every request with the one new token" \
		[ "$1" -eq "$RACE_N" -a "$2" -eq 1 -a "$3" = "$(issued access_token)" ]
	check "$name: the file holds the new access token" [ "$(field "$F" access_token)" = "$(issued access_token)" ]
	check "$name: the file holds the new refresh token" [ "$(field "$F" refresh_token)" = "$(issued refresh_token)" ]
	check "$name: unknown members kept, mode 0600" \
		[ "$(field "$F" user_note)" = "{'kept': [1, 'two', None]}" -a "$(fmode)" = 600 ]
	rm -f "$T"/code.* "$T"/r.*
}

# 1. Non-rotating endpoint.
mkcred at-expired-1 rt-seed-1 -60
mock '"seed":[{"provider":"codex","refresh_token":"rt-seed-1","email":"race@example.com"}],"token_delay":0.5'
race "race"
check "race: the refresh token was not rotated" [ "$(field "$F" refresh_token)" = rt-seed-1 ]

# 2. Rotating endpoint that refuses a used refresh token.
mkcred at-expired-2 rt-seed-2 -60
mock '"seed":[{"provider":"codex","refresh_token":"rt-seed-2","email":"race@example.com"}],"token_delay":0.5,"rotate":true'
race "rotating race"
check "rotating race: the refresh token was rotated" [ "$(field "$F" refresh_token)" != rt-seed-2 ]
old=$(curl -s -X POST "$M/codex/token" -d "grant_type=refresh_token&client_id=app_EMoamEEZ73f0CkXaXp7hrann&refresh_token=rt-seed-2")
check "rotating race: the endpoint refuses the old refresh token" sh -c "echo '$old' | grep -q refresh_token_reused"
check "rotating race: the file is not disabled" [ "$(field "$F" disabled)" = None ]

# 3. Transient failure, token still valid (due: inside Codex's 5-day lead).
mkcred at-valid-3 rt-seed-3 86400
mock '"seed":[{"provider":"codex","refresh_token":"rt-seed-3"}],"token_status":503'
: >"$T/up.log"
check "transient: the request succeeds with the old token" [ "$(req t1)" = 200 ]
set -- $(upkeys)
check "transient: the upstream saw the old token" [ "$3" = at-valid-3 ]
check "transient: one token call, failure recorded in the file" \
	[ "$(tokcalls)" -eq 1 -a "$(field "$F" refresh_failures)" = 1 -a "$(field "$F" refresh_retry_at)" != None ]
check "transient: the old tokens are kept" \
	[ "$(field "$F" access_token)" = at-valid-3 -a "$(field "$F" refresh_token)" = rt-seed-3 ]
req t2 >/dev/null
check "transient: backing off, the next request makes no token call" [ "$(tokcalls)" -eq 1 ]
out=$("$CLIPROXY" --config "$T/config.yaml" auth list 2>&1)
check "transient: auth list shows the failing refresh" sh -c "echo '$out' | grep -q 'refresh failing: token endpoint HTTP 503'"
# the endpoint is back; --force ignores the backoff
mock '"seed":[{"provider":"codex","refresh_token":"rt-seed-3"}]'
"$CLIPROXY" --config "$T/config.yaml" refresh --force >"$T/refresh.out" 2>&1
check "refresh --force: refreshed, backoff cleared" \
	[ $? -eq 0 -a "$(field "$F" refresh_failures)" = None -a "$(field "$F" access_token)" = "$(issued access_token)" ]
grep -q '^refreshed *codex-race@example.com-plus.json' "$T/refresh.out" || sed 's/^/#   /' "$T/refresh.out"
"$CLIPROXY" --config "$T/config.yaml" refresh >"$T/refresh.out" 2>&1
check "refresh: nothing due, no call" [ $? -eq 0 -a "$(tokcalls)" -eq 1 ]

# 4. Transient failure with an expired token: the request fails cleanly.
mkcred at-expired-4 rt-seed-4 -60
mock '"seed":[{"provider":"codex","refresh_token":"rt-seed-4"}],"token_drop":true'
code=$(req t4)
check "transient, expired: the request fails with 5xx/429 ($code), not a hang" sh -c "[ '$code' -ge 429 ]"
check "transient, expired: one call, the old refresh token kept" \
	[ "$(tokcalls)" -eq 1 -a "$(field "$F" refresh_token)" = rt-seed-4 -a "$(field "$F" disabled)" = None ]

# 5. Permanent failure: disabled once, never retried.
mkcred at-expired-5 rt-unknown-5 -60
mock
code=$(req p1)
check "permanent: the request fails ($code)" [ "$code" != 200 ]
check "permanent: the file is disabled with the reason" \
	sh -c "[ '$(field "$F" disabled)' = True ] && python3 -c \"import json; assert 'invalid_grant' in json.load(open('$F'))['disabled_reason']\""
req p2 >/dev/null
"$CLIPROXY" --config "$T/config.yaml" refresh --force >/dev/null 2>&1
check "permanent: no further token call (request, refresh --force)" [ "$(tokcalls)" -eq 1 ]
out=$("$CLIPROXY" --config "$T/config.yaml" accounts 2>&1)
check "accounts: shows the disabled file and why" sh -c "echo '$out' | grep -q 'codex-race@example.com-plus.json.*disabled: refresh refused: token endpoint HTTP 400 invalid_grant'"
check "accounts: no token in the output" sh -c "! echo '$out' | grep -q 'rt-\\|at-'"
check "the log names the label and the reason, never a token" \
	sh -c "grep -q 'race@example.com.*disabled' '$T/listen.err' && ! grep -q 'rt-unknown-5\\|at-expired' '$T/listen.err'"

# 6. Crash safety: kill -9 at random points of refreshes, in a loop.  The
#    token endpoint rotates and answers after 50 ms, so kills land before,
#    during and after the call and around the write.
mock '"rotate":true,"token_delay":0.05'
bad=0
nold=0
nnew=0
n=1
while [ $n -le "$KILL_ROUNDS" ]; do
	mkcred "at-k$n" "rt-k$n" -60
	curl -s -o /dev/null -X POST -d "{\"seed\":[{\"provider\":\"codex\",\"refresh_token\":\"rt-k$n\"}]}" "$M/_mock/oauth"
	"$CLIPROXY" --config "$T/config.yaml" refresh >/dev/null 2>&1 &
	p=$!
	sleep "$(awk "BEGIN{srand($n * 7919); printf \"%.3f\", rand() * 0.12}")"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	at=$(field "$F" access_token)
	rt=$(field "$F" refresh_token)
	if ! parses; then
		bad=$((bad + 1)); echo "#   round $n: the file does not parse"
	elif [ "$at" = "at-k$n" ] && [ "$rt" = "rt-k$n" ]; then
		nold=$((nold + 1))
	elif [ "$rt" != "rt-k$n" ] && [ "$at" != "at-k$n" ] && [ "$rt" != None ]; then
		nnew=$((nnew + 1))
	else
		bad=$((bad + 1)); echo "#   round $n: mixed tokens at=$at rt=$rt"
	fi
	n=$((n + 1))
done
left=$(find "$AUTH" -name '*.tmp.*' | wc -l)
echo "# crash: $KILL_ROUNDS kill -9 rounds: $nold left the old tokens, $nnew the new ones, $bad torn; $left temp file(s) left behind"
check "crash safety: after $KILL_ROUNDS kill -9 the file always parses and holds old or new tokens" [ "$bad" -eq 0 ]
# The next writer under the lock sweeps temp files a killed writer left.
mock '"seed":[{"provider":"codex","refresh_token":"rt-final"}]'
mkcred at-final rt-final -60
: >"$AUTH/codex-race@example.com-plus.json.tmp.99999.0"
"$CLIPROXY" --config "$T/config.yaml" refresh >/dev/null 2>&1
check "a later write removes stale temp files" [ "$(find "$AUTH" -name '*.tmp.*' | wc -l)" -eq 0 ]

# 7. One keep-alive connection, many requests, a ChatGPT-sized (2.5 KB)
#    token: tokens are per request, the secrets arena never runs out.
big=$(python3 -c "print('eyJ' + 'x' * 2500)")
mkcred "$big" rt-big 864000
args=
i=1
while [ $i -le 300 ]; do
	args="$args -o /dev/null -w %{http_code}\\n -H content-type:application/json -d {\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} http://127.0.0.1:$LPORT/v1/chat/completions"
	[ $i -lt 300 ] && args="$args --next"
	i=$((i + 1))
done
# shellcheck disable=SC2086
n200=$(curl -s $args | grep -c '^200$')
check "300 requests on one keep-alive connection with a 2.5 KB token all succeed ($n200)" [ "$n200" -eq 300 ]

# 8. Claude (JSON grant) and Gemini (form grant with the client secret; the
#    token object and the flat members) through `cliproxy refresh`.
rm -f "$F"
python3 - "$AUTH" <<'PY'
import json, os, sys
d = sys.argv[1]
def put(name, obj):
    fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, json.dumps(obj).encode())
    os.close(fd)
put("claude-c@example.com.json", {"id_token": "", "access_token": "sk-ant-oat01-old", "refresh_token": "sk-ant-ort01-seed",
    "last_refresh": "2025-01-01T00:00:00Z", "email": "c@example.com", "type": "claude", "expired": "2025-01-02T00:00:00Z"})
put("gemini-g@example.com-all.json", {"token": {"access_token": "ya29.old", "refresh_token": "1//seed", "token_type": "Bearer",
    "expiry": "2025-01-02T00:00:00.123456789+01:00", "token_uri": "https://oauth2.googleapis.com/token",
    "client_id": "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
    "client_secret": "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", "scopes": ["https://www.googleapis.com/auth/cloud-platform"]},
    "project_id": "p1,p2", "email": "g@example.com", "auto": False, "checked": True, "type": "gemini"})
PY
mock '"seed":[{"provider":"claude","refresh_token":"sk-ant-ort01-seed"},{"provider":"google","refresh_token":"1//seed"}]'
"$CLIPROXY" --config "$T/config.yaml" refresh >"$T/refresh.out" 2>&1
check "refresh: Claude and Gemini refreshed" [ "$(grep -c '^refreshed' "$T/refresh.out")" -eq 2 ]
check "Claude: new access token, refresh token kept" python3 -c "
import json, sys
d = json.load(open('$AUTH/claude-c@example.com.json'))
assert d['access_token'].startswith('sk-ant-oat01-mock-') and d['refresh_token'] == 'sk-ant-ort01-seed'
assert d['expired'] > '2026' and d['last_refresh'] > '2026'"
check "Gemini: token object and flat members updated, the rest kept" python3 -c "
import json, sys
d = json.load(open('$AUTH/gemini-g@example.com-all.json'))
t = d['token']
assert t['access_token'].startswith('ya29.mock-') and d['access_token'] == t['access_token']
assert t['refresh_token'] == '1//seed' and t['expiry'] == d['expiry'] and t['expiry'] > '2026'
assert t['scopes'] == ['https://www.googleapis.com/auth/cloud-platform'] and d['project_id'] == 'p1,p2'"
out=$("$CLIPROXY" --config "$T/config.yaml" accounts 2>&1)
check "accounts: one line per Gemini project" sh -c "[ \$(echo '$out' | grep -c 'gemini-g@example.com-all.json') -eq 2 ]"
