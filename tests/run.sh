#!/bin/sh
# run.sh - every suite of `make check`: unit tests, fuzz corpus replay, raw
# HTTP cases piped into `cliproxy serve`, and the integration scripts.  Each
# suite prints TAP lines ("ok N - name" / "not ok N - name"); a suite that
# dies without saying "not ok" counts as one failure.  Ends with the line
# "N passed, N failed".
# Environment: CLIPROXY (the binary), BUILD (the build dir).
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}" "${CLIPROXY:=$PWD/$BUILD/cliproxy}"
export CLIPROXY BUILD
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

suite() {
	name=$1
	shift
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name: $p passed, $f failed"
		grep -v '^ok ' "$out" | head -60 | sed 's/^/    /'
	else
		echo "ok   $name: $p passed"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	suite "unit $(basename "$t")" "$t"
done
for f in "$BUILD"/fuzz/fuzz-*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	suite "fuzz corpus $n" "$f" "tests/fuzz/corpus/${n#fuzz-}"
done
suite "raw http cases" sh tests/integration/http_cases.sh
for s in tests/integration/test_*.sh; do
	[ -f "$s" ] || continue
	suite "integration $(basename "$s" .sh)" sh "$s"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
