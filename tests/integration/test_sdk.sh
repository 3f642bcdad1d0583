#!/bin/sh
# test_sdk.sh - the official SDKs (openai, @anthropic-ai/sdk, @google/genai)
# as real clients through cliproxy (systemd-socket-activate --accept) to the
# mock upstream: models list, non-stream, stream and a tool round trip each.
# The SDKs are installed from the npm registry into tests/sdk/node_modules
# (npm ci, pinned by tests/sdk/package-lock.json); only a missing npm skips.
# Upstream replies: tests/sdk/replies/<scenario>/ (see tests/mock/mock.py).
. "$(dirname "$0")/lib.sh"
SDK=tests/sdk

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "ok 1 - # SKIP npm unavailable"
	exit 0
fi
if [ ! -d "$SDK/node_modules/openai" ] || [ ! -d "$SDK/node_modules/@anthropic-ai/sdk" ] ||
	[ ! -d "$SDK/node_modules/@google/genai" ] || [ "$SDK/package-lock.json" -nt "$SDK/node_modules" ]; then
	(cd "$SDK" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
		{ notok "npm ci in tests/sdk"; sed 's/^/#   /' "$T/npm.log" | tail -20; exit 1; }
fi

python3 tests/mock/mock.py --dir "$T" --log "$T/mock.jsonl" >"$T/mock.port" 2>"$T/mock.err" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/mock.port" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
MPORT=$(sed -n 's/^PORT //p' "$T/mock.port")
[ -n "$MPORT" ] || { notok "the mock upstream did not start"; exit 1; }

KEY=e2e-client-key-7d2a
mkdir -p "$T/auth"
sed -e "s|@MOCK@|http://127.0.0.1:$MPORT|g" -e "s|@AUTHDIR@|$T/auth|g" -e "s|@KEY@|$KEY|g" \
	tests/data/e2e/config.yaml >"$T/config.yaml"
PORT=$(free_port)
systemd-socket-activate --accept -l "127.0.0.1:$PORT" -E HOME="$T" \
	"$CLIPROXY" --config "$T/config.yaml" serve 2>"$T/log" &
PIDS="$PIDS $!"
wait_port "$PORT" || { notok "systemd-socket-activate did not start"; exit 1; }

for sdk in openai responses anthropic genai; do
	for what in models nonstream stream tool; do
		s=$sdk-$what
		[ "$s" = responses-models ] && continue
		dir=$PWD/$SDK/replies/$s
		[ -d "$dir" ] || dir=$T
		rm -f "$T/mock.jsonl"
		curl -s -X POST -d "{\"dir\":\"$dir\",\"log\":\"$T/mock.jsonl\"}" \
			"http://127.0.0.1:$MPORT/_mock/case" >/dev/null
		if out=$(cd "$SDK" && timeout 60 node sdk.mjs "$s" "$PORT" "$KEY" 2>&1); then
			if [ -f "$dir/want.upstream" ] &&
				! why=$(python3 tests/integration/e2e.py --check-upstream "$dir" "$T/mock.jsonl"); then
				notok "$s: upstream requests"
				echo "#   $why"
			else
				ok "$s (${out#ok: })"
			fi
		else
			notok "$s"
			echo "$out" | head -5 | sed 's/^/#   /'
		fi
	done
done
check "the client key never reaches the log" sh -c "! grep -q '$KEY' '$T/log'"
