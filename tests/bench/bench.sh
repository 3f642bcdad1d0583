#!/bin/sh
# bench.sh - `make bench`: what one-process-per-connection costs, as ratios
# against talking to a canned upstream (tests/bench/hammer.c serve) directly,
# same load, same run.  Not a test: it prints figures, asserts nothing.
# BENCH_N (default 2000) requests per row.
set -u
cd "$(dirname "$0")/../.."
N=${BENCH_N:-2000}
CLIPROXY=${CLIPROXY:-$PWD/cliproxy}
T=$(mktemp -d)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
cc -O2 -D_GNU_SOURCE -o "$T/hammer" tests/bench/hammer.c -lpthread || exit 1
H=$T/hammer
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for i in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return; sleep 0.1; done; }

cat >"$T/config.yaml" <<EOF
api-keys:
  - "bench-key"
auth-dir: "$T/auth"
openai-compatibility:
  - name: bench
    base-url: "http://127.0.0.1:@UP@/v1"
    api-key-entries:
      - api-key: "bench-upstream-key"
    models:
      - name: bench-model
EOF
printf 'HEAD / HTTP/1.1\r\nHost: b\r\n\r\n' >"$T/head.req"
body='{"message":"CLI Proxy API Server"}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#body} "$body" >"$T/fixed.reply"

DP=$(port); "$H" serve "$DP" "$T/fixed.reply" & PIDS="$PIDS $!"; waitp "$DP"
# Canned upstreams: a chat completion, and a 200-event stream.
cbody='{"id":"chatcmpl-b","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#cbody} "$cbody" >"$T/chat.reply"
printf 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}\n\n' >"$T/event"
printf 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n' >"$T/trailer"
UP=$(port); "$H" serve "$UP" "$T/chat.reply" & PIDS="$PIDS $!"; waitp "$UP"
US=$(port); "$H" serve "$US" "$T/event" 200 0 "$T/trailer" & PIDS="$PIDS $!"; waitp "$US"
sed "s/@UP@/$UP/" "$T/config.yaml" >"$T/config-ns.yaml"
sed "s/@UP@/$US/" "$T/config.yaml" >"$T/config-st.yaml"
mv "$T/config-ns.yaml" "$T/config.yaml"
SP=$(port); systemd-socket-activate --accept -l "127.0.0.1:$SP" "$CLIPROXY" --config "$T/config.yaml" serve 2>/dev/null & PIDS="$PIDS $!"; waitp "$SP"
LP=$(port); "$CLIPROXY" --config "$T/config.yaml" listen "127.0.0.1:$LP" 2>/dev/null & PIDS="$PIDS $!"; waitp "$LP"
SS=$(port); systemd-socket-activate --accept -l "127.0.0.1:$SS" "$CLIPROXY" --config "$T/config-st.yaml" serve 2>/dev/null & PIDS="$PIDS $!"; waitp "$SS"
req='{"model":"bench-model","messages":[{"role":"user","content":"ping"}]}'
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer bench-key\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#req} "$req" >"$T/chat.req"
sreq='{"model":"bench-model","stream":true,"messages":[{"role":"user","content":"ping"}]}'
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer bench-key\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#sreq} "$sreq" >"$T/stream.req"

row() { # key name port reqfile conc [keepalive]
	r=$("$H" client "$3" "$4" "$N" "$5" ${6:-})
	printf '%-44s %8s %8s %8s\n' "$2" $(echo "$r" | cut -d' ' -f1-3)
	echo "$r" >"$T/row.$1"
}
echo "requests per row: $N    (p50/p99 in microseconds; rps = requests per second)"
printf '%-44s %8s %8s %8s\n' "" p50 p99 rps
row direct "direct: canned upstream, new conn each" "$DP" "$T/head.req" 1
row sock "cliproxy socket-activated, HEAD /, new conn" "$SP" "$T/head.req" 1
row listen "cliproxy listen, HEAD /, new conn" "$LP" "$T/head.req" 1
row keep "cliproxy keep-alive, HEAD /, one conn" "$SP" "$T/head.req" 1 keepalive
row dchat "direct to upstream: chat, new conn" "$UP" "$T/chat.req" 1
row pchat "via cliproxy (socket): chat, new conn" "$SP" "$T/chat.req" 1
row dstream "direct to upstream: 200-event stream" "$US" "$T/stream.req" 1
row pstream "via cliproxy (socket): 200-event stream" "$SS" "$T/stream.req" 1
row d4 "direct, 4 concurrent" "$DP" "$T/head.req" 4
row p4 "cliproxy socket-activated, 4 concurrent" "$SP" "$T/head.req" 4

ratio() { python3 -c "
a=open('$T/row.$1').read().split(); b=open('$T/row.$2').read().split()
print('%-44s +%.2f ms p50, rps ratio %.2f' % ('$3', (int(a[0])-int(b[0]))/1000, float(a[2])/float(b[2])))"; }
echo
ratio sock direct "socket activation vs direct:"
ratio listen direct "listen vs direct:"
ratio keep direct "keep-alive request vs direct new conn:"
ratio pchat dchat "chat non-stream, added per request:"
ratio pstream dstream "200-event stream, added per request:"
python3 -c "
a=open('$T/row.pstream').read().split(); b=open('$T/row.dstream').read().split()
print('stream time-to-first-byte p50: %.2f ms via cliproxy, %.2f ms direct' % (int(a[3])/1000, int(b[3])/1000))
print('per-event overhead (p50, after the first byte): %.1f us' % (((int(a[0])-int(a[3]))-(int(b[0])-int(b[3])))/200))"

# Peak RSS of one connection process (HEAD / over a pipe).
rss=$(python3 -c "
import resource, subprocess
subprocess.run(['$CLIPROXY','--config','$T/config.yaml','serve'], input=open('$T/head.req','rb').read(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
echo "peak RSS of one connection process (HEAD /): ${rss} KiB"
rss=$(python3 -c "
import resource, subprocess
subprocess.run(['$CLIPROXY','--config','$T/config.yaml','serve'], input=open('$T/chat.req','rb').read(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
echo "peak RSS of one connection process (chat through libcurl): ${rss} KiB"
