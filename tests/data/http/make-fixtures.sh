#!/bin/sh
# make-fixtures.sh - regenerate the raw request fixtures next to this script:
# <case>.req holds the exact bytes (CRLF line ends, printf only, so the bytes
# are reproducible) and <case>.status the HTTP status core/http_req.c answers.
# tests/unit/test_http_req.c checks every pair; serve tests pipe the .req files.
set -eu
cd "$(dirname "$0")"

# pad N C: N copies of the character C
pad() { head -c "$1" /dev/zero | tr '\0' "$2"; }
# mk NAME STATUS: stdin becomes NAME.req
mk() { cat > "$1.req"; printf '%s\n' "$2" > "$1.status"; }

# Head of 64 KiB + 1 bytes: 16 + 9 + 7 + 65501 + 2 + 2 = 65537 (limit 65536).
{ printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Pad: '; pad 65501 a; printf '\r\n\r\n'; } |
	mk oversized-headers 431

# 129 fields (limit 128): Host and X-H-1 .. X-H-128.
{
	printf 'GET / HTTP/1.1\r\nHost: x\r\n'
	i=1
	while [ "$i" -le 128 ]; do
		printf 'X-H-%d: v\r\n' "$i"
		i=$((i + 1))
	done
	printf '\r\n'
} | mk too-many-headers 431

# Request line of 16 KiB + 1 bytes: "GET " + target + " HTTP/1.1" = 4 + 16372 + 9.
{ printf 'GET /'; pad 16371 a; printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } |
	mk long-request-line 414

printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' |
	mk cl-and-te 400
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key-1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' |
	mk bad-chunk-size 400
printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!' |
	mk duplicate-cl-differ 400
printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello' |
	mk cl-list 400
printf 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' |
	mk http2-version 505
printf 'GET / HTTP/1.1x\r\nHost: x\r\n\r\n' |
	mk bad-version 400
printf 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n' |
	mk obs-fold 400
printf 'GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n' |
	mk bare-cr 400
printf 'GET / HTTP/1.1\r\nHost : x\r\n\r\n' |
	mk space-before-colon 400
printf 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\001b\r\n\r\n' |
	mk ctl-in-header 400
printf 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n' |
	mk unknown-te 501
printf 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n' |
	mk chunked-chunked 501
# LIMIT_BODY_BYTES + 1; refused at head time, so no body is needed.
printf 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 67108865\r\n\r\n' |
	mk body-too-large 413
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key-1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n' |
	mk chunk-missing-crlf 400
# Chunk-size line of 1025 bytes (limit 1024): "5;" + 1023 extension bytes.
{ printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key-1\r\nTransfer-Encoding: chunked\r\n\r\n5;'; pad 1023 e; printf '\r\nhello\r\n0\r\n\r\n'; } |
	mk chunk-line-too-long 400
printf 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n' |
	mk expect-unknown 417
