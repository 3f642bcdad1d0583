#!/bin/sh
# test_listen.sh - `cliproxy listen`: the same behaviour as socket activation,
# concurrency, clean stop, and the refusal to serve a public address unkeyed.
. "$(dirname "$0")/lib.sh"
. tests/integration/cases.sh
PORT=$(free_port)
CLIPROXY_HEADER_TIMEOUT=1 CLIPROXY_BODY_TIMEOUT=1 HOME="$T" \
	"$CLIPROXY" --config tests/integration/config.yaml listen "127.0.0.1:$PORT" 2>"$T/log" &
LPID=$!
PIDS="$PIDS $LPID"
wait_port "$PORT" || { notok "cliproxy listen did not start"; exit 1; }
common_cases

# 20 concurrent clients, each on its own process.
cpids=
for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/healthz" >"$T/parc.$i" &
	cpids="$cpids $!"
done
wait $cpids
check "20 concurrent connections all answered" [ "$(cat "$T"/parc.* | grep -c '^200$')" = 20 ]

kill -TERM "$LPID"
i=0
while kill -0 "$LPID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM stops listen" sh -c "! kill -0 $LPID 2>/dev/null"
wait "$LPID"
check "listen exits 0 after SIGTERM" [ $? -eq 0 ]
check "the client key never reaches the log" sh -c "! grep -q '$KEY' '$T/log'"

# Refusals (nothing is sent anywhere: binding alone is refused).
printf 'port: 1\n' >"$T/nokeys.yaml"
"$CLIPROXY" --config "$T/nokeys.yaml" listen "0.0.0.0:$(free_port)" 2>"$T/err"
rc=$?
check "no keys on 0.0.0.0: refused with exit 100" sh -c "[ $rc = 100 ] && grep -q 'without api-keys' '$T/err'"
printf 'api-keys:\n  - "your-api-key-1"\n' >"$T/sample.yaml"
"$CLIPROXY" --config "$T/sample.yaml" listen "0.0.0.0:$(free_port)" 2>"$T/err"
rc=$?
check "sample key on 0.0.0.0: refused with exit 100" sh -c "[ $rc = 100 ] && grep -q 'sample api-keys' '$T/err'"
"$CLIPROXY" --config "$T/missing.yaml" listen 2>"$T/err"
rc=$?
check "missing --config file: exit 100 with the path" sh -c "[ $rc = 100 ] && grep -q 'missing.yaml' '$T/err'"
printf 'port: seventy\n' >"$T/bad.yaml"
"$CLIPROXY" --config "$T/bad.yaml" check >"$T/out" 2>"$T/err"
rc=$?
check "check: bad value named with key and line" sh -c "[ $rc = 100 ] && grep -q 'bad.yaml:1:.*port' '$T/err'"
"$CLIPROXY" --config tests/integration/config.yaml check >"$T/out" 2>&1
check "check: valid config prints configuration OK" grep -q '^configuration OK' "$T/out"
check "check: never prints the client key" sh -c "! grep -q '$KEY' '$T/out'"
