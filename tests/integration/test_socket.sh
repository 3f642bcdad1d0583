#!/bin/sh
# test_socket.sh - the real binary under systemd-socket-activate --accept,
# one process per connection, as the socket unit runs it.
. "$(dirname "$0")/lib.sh"
. tests/integration/cases.sh
PORT=$(free_port)
systemd-socket-activate --accept -l "127.0.0.1:$PORT" \
	-E CLIPROXY_HEADER_TIMEOUT=1 -E CLIPROXY_BODY_TIMEOUT=1 -E HOME="$T" \
	"$CLIPROXY" --config tests/integration/config.yaml serve 2>"$T/log" &
PIDS="$PIDS $!"
wait_port "$PORT" || { notok "systemd-socket-activate did not start"; exit 1; }
common_cases

# One line per request in the log, and never the client key.
check "request lines are logged" grep -q 'method=HEAD path=/ status=200' "$T/log"
check "the client key never reaches the log" sh -c "! grep -q '$KEY' '$T/log'"
