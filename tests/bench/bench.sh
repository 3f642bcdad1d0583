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

printf 'api-keys:\n  - "bench-key"\n' >"$T/config.yaml"
printf 'HEAD / HTTP/1.1\r\nHost: b\r\n\r\n' >"$T/head.req"
body='{"message":"CLI Proxy API Server"}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' ${#body} "$body" >"$T/fixed.reply"

DP=$(port); "$H" serve "$DP" "$T/fixed.reply" & PIDS="$PIDS $!"; waitp "$DP"
SP=$(port); systemd-socket-activate --accept -l "127.0.0.1:$SP" "$CLIPROXY" --config "$T/config.yaml" serve 2>/dev/null & PIDS="$PIDS $!"; waitp "$SP"
LP=$(port); "$CLIPROXY" --config "$T/config.yaml" listen "127.0.0.1:$LP" 2>/dev/null & PIDS="$PIDS $!"; waitp "$LP"

row() { # name port reqfile conc [keepalive]
	r=$("$H" client "$2" "$3" "$N" "$4" ${5:-})
	printf '%-44s %8s %8s %8s\n' "$1" $(echo "$r" | cut -d' ' -f1-3)
	echo "$r" >"$T/row.$(echo "$1" | tr -c 'a-z0-9' _)"
}
echo "requests per row: $N    (p50/p99 in microseconds; rps = requests per second)"
printf '%-44s %8s %8s %8s\n' "" p50 p99 rps
row "direct: canned upstream, new conn each" "$DP" "$T/head.req" 1
row "cliproxy socket-activated, HEAD /, new conn" "$SP" "$T/head.req" 1
row "cliproxy listen, HEAD /, new conn" "$LP" "$T/head.req" 1
row "cliproxy keep-alive, HEAD /, one conn" "$SP" "$T/head.req" 1 keepalive
row "direct, 4 concurrent" "$DP" "$T/head.req" 4
row "cliproxy socket-activated, 4 concurrent" "$SP" "$T/head.req" 4

ratio() { python3 -c "
a=open('$T/row.$1').read().split(); b=open('$T/row.$2').read().split()
print('%-44s +%.2f ms p50, rps ratio %.2f' % ('$3', (int(a[0])-int(b[0]))/1000, float(a[2])/float(b[2])))"; }
echo
ratio cliproxy_socket_activated__head____new_conn direct__canned_upstream__new_conn_each "socket activation vs direct:"
ratio cliproxy_listen__head____new_conn direct__canned_upstream__new_conn_each "listen vs direct:"
ratio cliproxy_keep_alive__head____one_conn direct__canned_upstream__new_conn_each "keep-alive request vs direct new conn:"

# Peak RSS of one connection process (HEAD / over a pipe).
rss=$(python3 -c "
import resource, subprocess
subprocess.run(['$CLIPROXY','--config','$T/config.yaml','serve'], input=open('$T/head.req','rb').read(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
echo "peak RSS of one connection process (HEAD /): ${rss} KiB"
