#!/bin/sh
# bench.sh - `make bench`: what one process per connection costs, as figures
# against talking to a canned upstream (tests/bench/hammer.c serve) directly,
# same load, same run.  Both link choices are measured: lean (static, the
# default) and dynamic (Debian's shared libraries, libcurl dlopen()ed).  Not a
# test: it prints, asserts nothing.  BENCH_N (default 2000) requests per row.
set -u
cd "$(dirname "$0")/../.."
N=${BENCH_N:-2000}
T=$(mktemp -d)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
make -s cliproxy >/dev/null || exit 1
make -s LINK=dynamic BUILD=build-dyn build-dyn/cliproxy >/dev/null || exit 1
LEAN=$PWD/cliproxy
DYN=$PWD/build-dyn/cliproxy
cc -O2 -D_GNU_SOURCE -o "$T/hammer" tests/bench/hammer.c -lpthread || exit 1
H=$T/hammer
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for i in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return; sleep 0.1; done; }

# Canned upstreams: a fixed 200, a chat completion, a 200-event chat stream.
body='{"message":"CLI Proxy API Server"}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#body} "$body" >"$T/fixed.reply"
cbody='{"id":"chatcmpl-b","object":"chat.completion","created":1,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#cbody} "$cbody" >"$T/chat.reply"
printf 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}\n\n' >"$T/event"
printf 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n' >"$T/trailer"
DP=$(port); "$H" serve "$DP" "$T/fixed.reply" & PIDS="$PIDS $!"
UP=$(port); "$H" serve "$UP" "$T/chat.reply" & PIDS="$PIDS $!"
US=$(port); "$H" serve "$US" "$T/event" 200 0 "$T/trailer" & PIDS="$PIDS $!"
waitp "$DP"; waitp "$UP"; waitp "$US"

mkconfig() { # upstream-port file
	cat >"$2" <<EOF2
api-keys: ["bench-key"]
auth-dir: "$T/auth"
openai-compatibility:
  - name: bench
    base-url: "http://127.0.0.1:$1/v1"
    api-key-entries: [{api-key: "bench-upstream-key"}]
    models: [{name: bench-model}]
EOF2
}
mkconfig "$UP" "$T/chat.yaml"
mkconfig "$US" "$T/stream.yaml"
printf 'HEAD / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n' >"$T/head.req"
req='{"model":"bench-model","messages":[{"role":"user","content":"ping"}]}'
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer bench-key\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#req} "$req" >"$T/chat.req"
sreq='{"model":"bench-model","stream":true,"messages":[{"role":"user","content":"ping"}]}'
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer bench-key\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#sreq} "$sreq" >"$T/stream.req"

activate() { # binary config: sets p, the port it listens on
	p=$(port)
	systemd-socket-activate --accept -l "127.0.0.1:$p" "$1" --config "$2" serve >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	waitp "$p"
}
row() { # key label port reqfile conc [keepalive]
	r=$("$H" client "$3" "$4" "$N" "$5" ${6:-})
	printf '%-48s %8s %8s %8s %8s\n' "$2" $(echo "$r" | cut -d' ' -f1-4)
	echo "$r" >"$T/row.$1"
}
f() { cut -d' ' -f"$2" "$T/row.$1"; }

echo "requests per row: $N, one new connection each (microseconds; rps = requests/s)"
printf '%-48s %8s %8s %8s %8s\n' "" p50 p99 rps ttfb50
row d_head "direct: canned 200" "$DP" "$T/head.req" 1
row d_chat "direct: chat completion" "$UP" "$T/chat.req" 1
row d_stream "direct: 200-event stream" "$US" "$T/stream.req" 1
for v in lean dyn; do
	[ $v = lean ] && B=$LEAN || B=$DYN
	activate "$B" "$T/chat.yaml"
	row ${v}_head "$v, socket-activated: HEAD /" "$p" "$T/head.req" 1
	row ${v}_chat "$v, socket-activated: chat via upstream" "$p" "$T/chat.req" 1
	activate "$B" "$T/stream.yaml"
	row ${v}_stream "$v, socket-activated: 200-event stream" "$p" "$T/stream.req" 1
done
lp=$(port); "$LEAN" --config "$T/chat.yaml" listen "127.0.0.1:$lp" >/dev/null 2>&1 & PIDS="$PIDS $!"; waitp "$lp"
row listen_chat "lean, cliproxy listen: chat via upstream" "$lp" "$T/chat.req" 1
printf 'HEAD / HTTP/1.1\r\nHost: b\r\n\r\n' >"$T/head-ka.req"
activate "$LEAN" "$T/chat.yaml"
row keep_head "lean, keep-alive: HEAD / on one connection" "$p" "$T/head-ka.req" 1 keepalive

echo
for v in lean dyn; do
	echo "$v build:"
	echo "  added p50, non-stream chat:  $(( $(f ${v}_chat 1) - $(f d_chat 1) )) us   (rps ratio $(python3 -c "print('%.3f' % ($(f ${v}_chat 3)/$(f d_chat 3)))"))"
	echo "  added p50, 200-event stream: $(( $(f ${v}_stream 1) - $(f d_stream 1) )) us   (rps ratio $(python3 -c "print('%.3f' % ($(f ${v}_stream 3)/$(f d_stream 3)))"))"
	echo "  stream time to first byte p50: $(f ${v}_stream 4) us (direct $(f d_stream 4) us)"
	echo "  per-event overhead after the first byte: $(python3 -c "print('%.2f' % ((($(f ${v}_stream 1)-$(f ${v}_stream 4))-($(f d_stream 1)-$(f d_stream 4)))/200))") us"
done

rss() { "$H" rss "$3" "$1" --config "$2" serve; }
echo
echo "peak RSS of one connection process (KiB):"
echo "  lean: HEAD / $(rss "$LEAN" "$T/chat.yaml" "$T/head.req"), chat $(rss "$LEAN" "$T/chat.yaml" "$T/chat.req"), stream $(rss "$LEAN" "$T/stream.yaml" "$T/stream.req")"
echo "  dyn:  HEAD / $(rss "$DYN" "$T/chat.yaml" "$T/head.req"), chat $(rss "$DYN" "$T/chat.yaml" "$T/chat.req"), stream $(rss "$DYN" "$T/stream.yaml" "$T/stream.req")"
if command -v valgrind >/dev/null; then
	ins() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" --config "$2" serve <"$3" 2>&1 >/dev/null | sed -n 's/.*refs: *//p'; }
	echo "instructions per process (callgrind):"
	echo "  lean: HEAD / $(ins "$LEAN" "$T/chat.yaml" "$T/head.req"), chat $(ins "$LEAN" "$T/chat.yaml" "$T/chat.req")"
	echo "  dyn:  HEAD / $(ins "$DYN" "$T/chat.yaml" "$T/head.req"), chat $(ins "$DYN" "$T/chat.yaml" "$T/chat.req")"
fi
