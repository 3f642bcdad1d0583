/*
 * log.h - the log: one line per request plus rare errors and debug lines.
 * Under systemd (JOURNAL_STREAM names our stderr) lines go to the journal
 * with structured fields; otherwise to stderr; with logging-to-file to
 * <log dir>/main.log as well.  Untrusted bytes are escaped.  Never pass a
 * secret to these functions: only labels.
 */
#ifndef CLIPROXY_LOG_H
#define CLIPROXY_LOG_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct conn;

/* Apply settings (debug, logging-to-file); cfg may be NULL. */
void log_setup(const struct config *cfg);
void log_request(const struct conn *c);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool log_debug_enabled(void);
/* Copy s into out (size outsz) with bytes outside printable ASCII, quotes
   and backslashes escaped as \xNN; always NUL-terminates.  */
void log_escape(char *out, size_t outsz, const char *s, size_t n);

#endif
