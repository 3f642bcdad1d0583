# lib.sh - shared helpers of the integration scripts (sourced).
# TAP output: ok/notok; free ports; JSON field checks; cleanup of servers.
set -u
cd "$(dirname "$0")/../.."
: "${CLIPROXY:=$PWD/build/cliproxy}"
T=$(mktemp -d)
PIDS=
tapn=0
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { tapn=$((tapn + 1)); echo "ok $tapn - $*"; }
notok() { tapn=$((tapn + 1)); echo "not ok $tapn - $*"; }
# check NAME CONDITION-COMMAND...: ok if the command succeeds
check() { n=$1; shift; if "$@"; then ok "$n"; else notok "$n"; fi; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens there (max 5 s)
wait_port() {
	i=0
	while [ $i -lt 50 ]; do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# jq-like: jget FILE EXPR  (python expression on j, the parsed body)
jget() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

# status FILE: the status code of a raw response
status_of() { head -c 12 "$1" | cut -d' ' -f2; }
# body_of RAW OUT: the body after the blank line (Content-Length bodies)
body_of() { python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.stdout.buffer.write(d.split(b'\r\n\r\n',1)[1] if b'\r\n\r\n' in d else b'')" "$1" >"$2"; }
