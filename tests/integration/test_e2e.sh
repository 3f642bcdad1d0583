#!/bin/sh
# test_e2e.sh - every tests/data/e2e/<case>/ through the real binary under
# systemd-socket-activate --accept (one process per connection) against the
# mock upstream: client request -> cliproxy -> mock -> back (DESIGN §4.21).
# The cases and their file shapes are described in tests/integration/e2e.py.
# E2E_ONLY=<regex> runs a subset (and skips the whole-log checks).
. "$(dirname "$0")/lib.sh"

MPORT_FILE=$T/mock.port
python3 tests/mock/mock.py --dir "$T" --log "$T/mock.jsonl" >"$MPORT_FILE" 2>"$T/mock.err" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 50 ] && ! grep -q '^PORT ' "$MPORT_FILE" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
MPORT=$(sed -n 's/^PORT //p' "$MPORT_FILE")
[ -n "$MPORT" ] || { notok "the mock upstream did not start"; cat "$T/mock.err"; exit 1; }

# A config must exist before the first connection; e2e.py rewrites it per case.
printf 'api-keys: ["e2e-client-key-7d2a"]\n' >"$T/config.yaml"
PORT=$(free_port)
systemd-socket-activate --accept -l "127.0.0.1:$PORT" \
	-E HOME="$T" \
	-E CLIPROXY_CLAUDE_API_BASE_URL="http://127.0.0.1:$MPORT" \
	-E CLIPROXY_GEMINI_API_BASE_URL="http://127.0.0.1:$MPORT" \
	-E CLIPROXY_GEMINI_CLI_BASE_URL="http://127.0.0.1:$MPORT" \
	-E CLIPROXY_CODEX_BASE_URL="http://127.0.0.1:$MPORT/backend-api/codex" \
	-E CLIPROXY_CLAUDE_BASE_URL="http://127.0.0.1:$MPORT" \
	-E CLIPROXY_GEMINI_TOKEN_URL="http://127.0.0.1:$MPORT/oauth/gemini/token" \
	-E CLIPROXY_CODEX_TOKEN_URL="http://127.0.0.1:$MPORT/oauth/codex/token" \
	-E CLIPROXY_CLAUDE_TOKEN_URL="http://127.0.0.1:$MPORT/oauth/claude/token" \
	"$CLIPROXY" --config "$T/config.yaml" serve 2>"$T/log" &
PIDS="$PIDS $!"
wait_port "$PORT" || { notok "systemd-socket-activate did not start"; exit 1; }

python3 tests/integration/e2e.py --port "$PORT" --mock-port "$MPORT" \
	--config "$T/config.yaml" --work "$T" --log "$T/log" \
	${E2E_ONLY:+--only "$E2E_ONLY"} tests/data/e2e
