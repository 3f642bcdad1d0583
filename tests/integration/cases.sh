# cases.sh - the HTTP behaviour every way of running cliproxy must show
# (sourced by test_socket.sh and test_listen.sh after starting a server on
# $PORT with tests/integration/config.yaml, whose client key is KEY).
KEY=integration-key-5f1c
RAW=tests/integration/rawhttp.py

common_cases() {
	# HEAD / without a key: Claude Code's probe.
	code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$PORT/")
	check "HEAD / answers 200 without a key" [ "$code" = 200 ]

	# Keep-alive: two requests, one connection.
	curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' \
		"http://127.0.0.1:$PORT/healthz" "http://127.0.0.1:$PORT/" >"$T/ka"
	check "keep-alive: second request reuses the connection" [ "$(sed -n 2p "$T/ka")" = 0 ]

	# CORS preflight before authentication.
	curl -s -D "$T/h" -o /dev/null -X OPTIONS -H 'Origin: http://x' \
		-H 'Access-Control-Request-Method: POST' "http://127.0.0.1:$PORT/v1/messages"
	check "OPTIONS preflight: 204 with CORS headers" sh -c \
		"grep -q '^HTTP/1.1 204' '$T/h' && grep -qi '^Access-Control-Allow-Methods:' '$T/h'"

	# Authentication, in each family's error shape.
	curl -s -o "$T/b" -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$PORT/v1/chat/completions" >"$T/c"
	check "missing key: 401 OpenAI shape" sh -c "[ \"\$(cat $T/c)\" = 401 ] && [ \"\$(python3 -c \"import json; print(json.load(open('$T/b'))['error']['message'])\")\" = 'Missing API key' ]"
	curl -s -o "$T/b" -w '%{http_code}' -X POST -H 'x-api-key: nope' -H 'anthropic-version: 2023-06-01' \
		-d '{}' "http://127.0.0.1:$PORT/v1/messages?beta=true" >"$T/c"
	check "invalid key: 401 Claude shape" sh -c "[ \"\$(cat $T/c)\" = 401 ] && [ \"\$(python3 -c \"import json; j=json.load(open('$T/b')); print(j['type'], j['error']['type'])\")\" = 'error authentication_error' ]"
	curl -s -o "$T/b" -w '%{http_code}' -X POST -H 'x-goog-api-key: nope' \
		-d '{}' "http://127.0.0.1:$PORT/v1beta/models/gemini-2.5-pro:generateContent" >"$T/c"
	check "invalid key: 401 Gemini shape" sh -c "[ \"\$(cat $T/c)\" = 401 ] && [ \"\$(python3 -c \"import json; e=json.load(open('$T/b'))['error']; print(e['code'], e['status'])\")\" = '401 UNAUTHENTICATED' ]"
	for hdr in "Authorization: Bearer $KEY" "x-api-key: $KEY" "x-goog-api-key: $KEY"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "$hdr" "http://127.0.0.1:$PORT/v1/models")
		check "key accepted as '${hdr%%:*}'" [ "$code" = 200 ]
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/models?key=$KEY")
	check "key accepted as ?key=" [ "$code" = 200 ]

	# Bad JSON: 400 in the caller's shape.
	curl -s -o "$T/b" -w '%{http_code}' -X POST -H "x-api-key: $KEY" \
		-d '{"model": "claude", ' "http://127.0.0.1:$PORT/v1/messages" >"$T/c"
	check "bad JSON: 400 Claude shape" sh -c "[ \"\$(cat $T/c)\" = 400 ] && python3 -c \"import json; j=json.load(open('$T/b')); assert j['error']['type']=='invalid_request_error'\""

	# Chunked request body: parsed (the model it names is served by nobody here).
	python3 -c 'import json; print(json.dumps({"model":"gpt-5","messages":[{"role":"user","content":"x"*50000}]}))' >"$T/big.json"
	curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Transfer-Encoding: chunked' \
		-H 'Content-Type: application/json' --data-binary @"$T/big.json" \
		"http://127.0.0.1:$PORT/v1/chat/completions" >"$T/c"
	check "chunked body read and parsed: 404 unknown model gpt-5" sh -c "[ \"\$(cat $T/c)\" = 404 ] && grep -q 'unknown model gpt-5' '$T/b'"

	# Expect: 100-continue (curl sends it for bodies over 1 MiB).
	python3 -c 'import json; print(json.dumps({"model":"gpt-5","input":"y"*1500000}))' >"$T/huge.json"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
		-H 'Expect: 100-continue' --data-binary @"$T/huge.json" "http://127.0.0.1:$PORT/v1/responses")
	check "Expect: 100-continue with a 1.5 MB body" [ "$code" = 404 ]

	# Routing errors.
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/nothing")
	check "unknown path: 404" [ "$code" = 404 ]
	curl -s -D "$T/h" -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/chat/completions"
	check "wrong method: 405 with Allow: POST" sh -c "grep -q '^HTTP/1.1 405' '$T/h' && grep -qi '^Allow: POST' '$T/h'"

	# Hostile input.
	python3 -c 'import sys; sys.stdout.write("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a"*70000 + "\r\n\r\n")' |
		python3 $RAW "$PORT" >"$T/r"
	check "65 KiB of headers: 431" [ "$(status_of "$T/r")" = 431 ]
	printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' |
		python3 $RAW "$PORT" >"$T/r"
	check "Content-Length with Transfer-Encoding: 400" [ "$(status_of "$T/r")" = 400 ]
	printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\nContent-Length: 99999999999\r\n\r\n' "$KEY" |
		python3 $RAW "$PORT" >"$T/r"
	check "oversized body refused before it is sent: 413" [ "$(status_of "$T/r")" = 413 ]
	printf 'GET / HTTP/1.1\r\nHost: a\r\n' | python3 $RAW "$PORT" --read-timeout 20 >"$T/r"
	check "slow head times out with 408" [ "$(status_of "$T/r")" = 408 ]
	printf '' | python3 $RAW "$PORT" --pause-after 0 0 --read-timeout 20 >"$T/r"
	check "silent client is disconnected without a response" [ ! -s "$T/r" ]
	printf 'POST /v1/messages HTTP/1.1\r\nHost: a\r\nx-api-key: %s\r\nContent-Length: 10\r\n\r\n{"a"' "$KEY" |
		python3 $RAW "$PORT" --read-timeout 20 >"$T/r"
	check "slow body times out with 408" [ "$(status_of "$T/r")" = 408 ]
	check "the 408 is in Claude shape" grep -q '"type":"error"' "$T/r"
}
