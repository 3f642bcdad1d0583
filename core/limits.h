/*
 * limits.h - every cap and deadline of one connection process, in one place.
 * Each cap names the HTTP status it becomes when exceeded; each has a test
 * that goes one byte over it (tests/data/http, tests/unit).
 */
#ifndef CLIPROXY_LIMITS_H
#define CLIPROXY_LIMITS_H

/* Request line (method + target + version) longer than this: 414. */
#define LIMIT_REQUEST_LINE (16 * 1024)
/* All header bytes of one request (request line included): 431. */
#define LIMIT_HEADER_BYTES (64 * 1024)
/* Number of header fields of one request: 431. */
#define LIMIT_HEADER_COUNT 128
/* Request body (after de-chunking).  Inline images make bodies big: 413. */
#define LIMIT_BODY_BYTES (64L * 1024 * 1024)
/* One chunk-size line of a chunked body (hex digits + extensions): 400. */
#define LIMIT_CHUNK_LINE 1024
/* Requests served on one keep-alive connection before we close it. */
#define LIMIT_KEEPALIVE_REQUESTS 1000

/* JSON: tokens per document (each costs 16 bytes) and nesting depth: 413 / 400. */
#define LIMIT_JSON_TOKENS (4 * 1024 * 1024)
#define LIMIT_JSON_DEPTH 512

/* SSE: one line of an upstream event stream: stream error. */
#define LIMIT_SSE_LINE (32L * 1024 * 1024)
/* Upstream non-stream body. */
#define LIMIT_UPSTREAM_BODY (128L * 1024 * 1024)

/* Per-process arena: everything one connection allocates.  Past it: 413/500. */
#define LIMIT_ARENA_BYTES (1024L * 1024 * 1024)
/* Secret region (keys, tokens), wiped at exit. */
#define LIMIT_SECRET_BYTES (256 * 1024)

/* Config file size (cliproxy check and every process read it): error. */
#define LIMIT_CONFIG_BYTES (4 * 1024 * 1024)

/*
 * Deadlines in milliseconds.  DEADLINE_HEADER runs from the first byte we wait
 * for until the blank line ending the head: 408.  DEADLINE_BODY from the end
 * of the head to the last body byte: 408.  DEADLINE_IDLE is the keep-alive gap
 * between requests: silent close.  DEADLINE_WRITE bounds one blocked write to
 * a client that stopped reading: close.  The environment variables
 * CLIPROXY_HEADER_TIMEOUT / _BODY_TIMEOUT / _IDLE_TIMEOUT (seconds) override
 * them (documented in cliproxy(1)); ALARM_BACKSTOP is the alarm(2) that ends a
 * process whose poll loop failed to.
 */
#define DEADLINE_HEADER_MS (30 * 1000)
#define DEADLINE_BODY_MS (120 * 1000)
#define DEADLINE_IDLE_MS (60 * 1000)
#define DEADLINE_WRITE_MS (60 * 1000)
#define DEADLINE_LISTEN_DRAIN_MS (10 * 1000)
/* Upstream: TCP+TLS connect, and the longest silence (no byte at all) of an
   upstream answer; thinking models can stay silent for minutes. */
#define DEADLINE_UPSTREAM_CONNECT_MS (30 * 1000)
#define DEADLINE_UPSTREAM_IDLE_MS (600 * 1000)
/* Upstream error bodies kept for decoding. */
#define LIMIT_UPSTREAM_ERROR_BODY (1024 * 1024)

/* listen mode: concurrent connection processes, total and per source address. */
#define LIMIT_LISTEN_CONNECTIONS 256
#define LIMIT_LISTEN_PER_SOURCE 64

#endif
