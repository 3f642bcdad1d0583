#!/bin/sh
# test_proxy.sh - outbound proxies and TLS verification.  The upstream's
# host name does not resolve, so an answer proves the request went through
# the configured proxy (the mock acts as a forward proxy and records the
# absolute-form request line); a per-key proxy-url overrides the global one
# and "direct" bypasses it; an https upstream with a self-signed
# certificate is refused, never trusted.
. "$(dirname "$0")/lib.sh"
KEY=proxy-client-key
start_mock() { # name: sets MP to the port (no subshell: PIDS must see the pid)
	python3 tests/mock/mock.py --dir tests/data/proxy --log "$T/$1.jsonl" >"$T/$1.port" 2>"$T/$1.err" &
	PIDS="$PIDS $!"
	i=0
	while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/$1.port" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	MP=$(sed -n 's/^PORT //p' "$T/$1.port")
}
start_mock global
P1=$MP
start_mock perkey
P2=$MP
[ -n "$P1" ] && [ -n "$P2" ] || { notok "mock did not start"; exit 1; }

ask() { # config: status in $T/code, body in $T/body
	req='{"model":"claude-sonnet-4-5-20250929","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}'
	printf 'POST /v1/messages HTTP/1.1\r\nHost: a\r\nx-api-key: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$KEY" ${#req} "$req" | "$CLIPROXY" --config "$1" serve >"$T/raw" 2>>"$T/log"
	status_of "$T/raw" >"$T/code"
	body_of "$T/raw" "$T/body"
}
config() { # file auth proxy base key-proxy
	{
		echo "api-keys: [\"$KEY\"]"
		echo "auth-dir: \"$T/$2\""
		[ -n "$3" ] && echo "proxy-url: \"$3\""
		echo "claude-api-key:"
		echo "  - api-key: \"sk-proxy-$2-0001\""
		echo "    base-url: \"$4\""
		[ -n "$5" ] && echo "    proxy-url: \"$5\""
	} >"$T/$1"
}

config global.yaml a1 "http://127.0.0.1:$P1" "http://upstream.invalid:9" ""
ask "$T/global.yaml"
check "global proxy-url: answered through the proxy" sh -c "[ \"\$(cat $T/code)\" = 200 ] && grep -q 'via the proxy' '$T/body'"
check "the proxy saw the absolute-form request for the upstream" \
	grep -q '"path": "http://upstream.invalid:9/v1/messages' "$T/global.jsonl"

: >"$T/global.jsonl"
config perkey.yaml a2 "http://127.0.0.1:$P1" "http://upstream.invalid:9" "http://127.0.0.1:$P2"
ask "$T/perkey.yaml"
check "per-key proxy-url overrides the global one" sh -c \
	"[ \"\$(cat $T/code)\" = 200 ] && grep -q 'upstream.invalid' '$T/perkey.jsonl' && [ ! -s '$T/global.jsonl' ]"

: >"$T/global.jsonl"
: >"$T/perkey.jsonl"
config direct.yaml a3 "http://127.0.0.1:$P1" "http://127.0.0.1:$P2" "direct"
ask "$T/direct.yaml"
check "proxy-url: direct bypasses the global proxy" sh -c \
	"[ \"\$(cat $T/code)\" = 200 ] && grep -q '\"path\": \"/v1/messages' '$T/perkey.jsonl' && [ ! -s '$T/global.jsonl' ]"

# TLS: an upstream with a self-signed certificate is refused.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
TP=$(free_port)
python3 -c "
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        open(sys.argv[4], 'a').write('request\n')
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()" "$TP" "$T/cert.pem" "$T/key.pem" "$T/tls.log" 2>/dev/null &
PIDS="$PIDS $!"
wait_port "$TP"
config tls.yaml a4 "" "https://127.0.0.1:$TP" ""
ask "$T/tls.yaml"
check "self-signed https upstream: refused with 502" sh -c "[ \"\$(cat $T/code)\" = 502 ] && [ ! -s '$T/tls.log' ]"
check "the 502 is in Claude's error shape" grep -q '"type":"error"' "$T/body"
check "no upstream key in the log" sh -c "! grep -q 'sk-proxy-' '$T/log'"
