#!/bin/sh
# test_torture.sh - allocation torture (DESIGN.md §4.23): for n = 1, 2, ...
# the nth arena allocation of the process fails (CLIPROXY_FAIL_ALLOC=n, test
# builds only), over requests that touch the parser, config, JSON, routing
# and translation.  Every run must end in a well-formed HTTP answer (or a
# closed connection) and never in a crash or sanitizer report.  Runs in the
# sanitizer build (make check SAN=1); elsewhere it says so and skips.
. "$(dirname "$0")/lib.sh"
case "$CLIPROXY" in
*build-san*) ;;
*) echo "ok 1 - # SKIP allocation torture runs in the SAN=1 build"; exit 0 ;;
esac
cfg=tests/data/http/config.yaml
body='{"model":"gpt-5","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"stream":true}'
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer test-key-1\r\nContent-Length: %d\r\n\r\n%s' ${#body} "$body" >"$T/chat.req"
printf 'GET /v1/models HTTP/1.1\r\nHost: a\r\nx-api-key: test-key-1\r\nanthropic-version: 2023-06-01\r\n\r\n' >"$T/models.req"
for req in chat models; do
	n=1
	clean=0
	bad=0
	while [ $n -le 400 ]; do
		CLIPROXY_FAIL_ALLOC=$n timeout 20 "$CLIPROXY" --config "$cfg" serve <"$T/$req.req" >"$T/out" 2>"$T/err"
		rc=$?
		if grep -q 'Sanitizer\|runtime error' "$T/err" || [ $rc -ge 124 ]; then
			bad=$n
			break
		fi
		if [ -s "$T/out" ] && ! head -c 9 "$T/out" | grep -q '^HTTP/1.1 '; then
			bad=$n
			break
		fi
		# Past the last allocation the answer is the normal one: stop after
		# a few runs in a row without an injected failure mattering.
		if cmp -s "$T/out" "$T/prev" && [ $n -gt 40 ]; then
			clean=$((clean + 1))
			[ $clean -ge 5 ] && break
		else
			clean=0
		fi
		cp "$T/out" "$T/prev"
		n=$((n + 1))
	done
	if [ $bad -eq 0 ]; then
		ok "$req: allocation failures 1..$n each end in a well-formed answer"
	else
		notok "$req: allocation failure $bad broke the process (exit $rc)"
		head -20 "$T/err" | sed 's/^/#   /'
	fi
done
