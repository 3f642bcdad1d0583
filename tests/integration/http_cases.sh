#!/bin/sh
# http_cases.sh - raw bytes piped into `cliproxy serve` (no socket, no mock):
# tests/data/http/<case>.req is the input; <case>.want the exact expected
# output (compared byte for byte), or <case>.status just the expected status
# of the first response.  <case>.config replaces the default config.  A
# missing want is written from the output and the case fails, for review.
set -u
cd "$(dirname "$0")/../.."
dir=tests/data/http
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for req in "$dir"/*.req; do
	c=$(basename "$req" .req)
	n=$((n + 1))
	cfg=$dir/config.yaml
	[ -f "$dir/$c.config" ] && cfg=$dir/$c.config
	CLIPROXY_HEADER_TIMEOUT=5 CLIPROXY_BODY_TIMEOUT=5 CLIPROXY_IDLE_TIMEOUT=5 \
		timeout 20 "$CLIPROXY" --config "$cfg" serve <"$req" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -f "$dir/$c.want" ]; then
		if cmp -s "$tmp/out" "$dir/$c.want"; then
			echo "ok $n - $c"
		else
			echo "not ok $n - $c: output differs from $c.want"
			diff "$dir/$c.want" "$tmp/out" | head -20 | sed 's/^/#   /'
		fi
	elif [ -f "$dir/$c.status" ]; then
		want=$(cat "$dir/$c.status")
		got=$(head -c 12 "$tmp/out" | cut -d' ' -f2)
		if [ "$got" = "$want" ] && [ "$rc" -ne 124 ]; then
			echo "ok $n - $c ($got)"
		else
			echo "not ok $n - $c: status '$got', want $want (exit $rc)"
			head -c 300 "$tmp/out" | sed 's/^/#   /'
		fi
	else
		cp "$tmp/out" "$dir/$c.want"
		echo "not ok $n - $c: no $c.want; wrote it from this run, review and commit it"
	fi
	if grep -q 'test-key-1' "$tmp/err" "$tmp/out"; then
		echo "not ok $n - $c: the client key leaked into the log or the response"
	fi
done
