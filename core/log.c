/*
 * log.c - request summary lines and diagnostics.  The journal gets
 * structured fields (CLIPROXY_RID, _METHOD, _PATH, _STATUS ...) so
 * `journalctl CLIPROXY_STATUS=401` works; stderr and the log file get the
 * same key=value line.  Query strings are never logged (?key= carries
 * client keys); neither are headers or bodies.
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "core/config.h"
#include "core/conn.h"
#include "core/parse.h"

/* The log context: the one global besides arg_* (DESIGN.md §4.1). */
static struct {
	bool journal;
	bool debug;
	int file_fd;
	int journal_fd;
	bool inited;
} logctx = { .file_fd = -1, .journal_fd = -1 };

#define LOG_FILE_ROTATE (10L * 1024 * 1024)

/* The journal's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): one
   datagram of "FIELD=value\n" lines to /run/systemd/journal/socket.  Values
   here never contain a newline (callers escape), so the simple form
   suffices; this is all sd_journal_send() would do for us, without loading
   libsystemd into every process. */
static void journal_send(const char *fields, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
				  .sun_path = "/run/systemd/journal/socket" };

	if (logctx.journal_fd < 0)
		logctx.journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (logctx.journal_fd < 0 ||
	    sendto(logctx.journal_fd, fields, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* The journal is gone: say it on stderr, which it also reads. */
		if (write(STDERR_FILENO, fields, n) < 0) {
			/* nothing left */
		}
	}
}

/* Append "KEY=value\n" with newlines in value flattened to spaces. */
static size_t field(char *out, size_t o, size_t cap, const char *key, const char *value)
{
	int n = snprintf(out + o, o < cap ? cap - o : 0, "%s=", key);

	if (n < 0 || o + (size_t)n >= cap)
		return o;
	o += (size_t)n;
	for (; *value && o + 2 < cap; value++)
		out[o++] = *value == '\n' ? ' ' : *value;
	out[o++] = '\n';
	return o;
}

static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	struct stat st;
	const char *colon;
	uint64_t dev, ino;

	if (!e || !(colon = strchr(e, ':')))
		return false;
	if (parse_u64(e, (size_t)(colon - e), UINT64_MAX, &dev) < 0 ||
	    parse_u64(colon + 1, strlen(colon + 1), UINT64_MAX, &ino) < 0)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/* Log directory per the original: $WRITABLE_PATH/logs, else ./logs if the
   working directory is writable, else <auth-dir>/logs. */
static int open_log_file(const struct config *cfg)
{
	char dir[4096], path[4200];
	const char *wp = getenv("WRITABLE_PATH");
	int fd;

	if (wp && *wp)
		snprintf(dir, sizeof(dir), "%s/logs", wp);
	else if (access(".", W_OK) == 0)
		snprintf(dir, sizeof(dir), "logs");
	else if (cfg->auth_dir)
		snprintf(dir, sizeof(dir), "%s/logs", cfg->auth_dir);
	else
		return -ENOENT;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/main.log", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Rotate past 10 MB: the first process to notice renames the file;
	   O_APPEND writers of the old file finish into the renamed one. */
	{
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_size > LOG_FILE_ROTATE) {
			char old[4300];
			snprintf(old, sizeof(old), "%s/main-%lld.log", dir, (long long)time(NULL));
			if (rename(path, old) == 0) {
				close(fd);
				fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
			}
		}
	}
	return fd;
}

void log_setup(const struct config *cfg)
{
	if (!logctx.inited) {
		logctx.journal = stderr_is_journal();
		logctx.inited = true;
	}
	if (!cfg)
		return;
	logctx.debug = cfg->debug;
	if (cfg->logging_to_file && logctx.file_fd < 0) {
		int fd = open_log_file(cfg);
		if (fd >= 0)
			logctx.file_fd = fd;
	}
}

bool log_debug_enabled(void) { return logctx.debug; }

void log_escape(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (outsz == 0)
		return;
	for (i = 0; i < n && o + 5 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (i < n && o + 3 < outsz) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = 0;
}

static void emit_line(int priority, const char *line, bool journal_sent)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	char full[4400];
	int n;

	if (logctx.journal && !journal_sent) {
		char f[4600], pr[4] = { (char)('0' + priority % 10), 0 };
		size_t o = 0;
		o = field(f, o, sizeof(f), "MESSAGE", line);
		o = field(f, o, sizeof(f), "PRIORITY", pr);
		o = field(f, o, sizeof(f), "SYSLOG_IDENTIFIER", "cliproxy");
		journal_send(f, o);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(full, sizeof(full), "%s.%03ld cliproxy[%d]: %s\n", ts,
		     now.tv_nsec / 1000000, (int)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(full))
		n = sizeof(full) - 1;
	if (!logctx.journal && write(STDERR_FILENO, full, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	if (logctx.file_fd >= 0 && write(logctx.file_fd, full, (size_t)n) < 0) {
		/* ignore: logging must never fail a request */
	}
}

static void vlog(int priority, const char *fmt, va_list ap)
{
	char line[4096];

	if (!logctx.inited)
		log_setup(NULL);
	vsnprintf(line, sizeof(line), fmt, ap);
	emit_line(priority, line, false);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(3, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(6, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	if (!logctx.debug)
		return;
	va_start(ap, fmt);
	vlog(7, fmt, ap);
	va_end(ap);
}

void log_request(const struct conn *c)
{
	char method[40], path[600], model[200];
	const struct http_request *r = c->req;
	long ms10 = (long)((now_ms() - c->t_start) * 10);
	char line[2048];

	if (!logctx.inited)
		log_setup(NULL);
	log_escape(method, sizeof(method), r && r->method ? r->method : "-",
		   r && r->method ? strlen(r->method) : 1);
	log_escape(path, sizeof(path), r && r->path ? r->path : "-",
		   r && r->path ? strlen(r->path) : 1);
	log_escape(model, sizeof(model), c->log_model ? c->log_model : "-",
		   c->log_model ? strlen(c->log_model) : 1);
	snprintf(line, sizeof(line),
		 "rid=%s peer=%s method=%s path=%s status=%d bytes=%llu ms=%ld.%ld model=%s provider=%s cred=%s",
		 c->rid, c->peer, method, path, c->status, (unsigned long long)c->bytes_out,
		 ms10 / 10, ms10 % 10, model, c->log_provider ? c->log_provider : "-",
		 c->log_cred ? c->log_cred : "-");
	if (logctx.journal) {
		char st[8], f[8192];
		size_t o = 0;
		snprintf(st, sizeof(st), "%d", c->status);
		o = field(f, o, sizeof(f), "MESSAGE", line);
		o = field(f, o, sizeof(f), "PRIORITY", "6");
		o = field(f, o, sizeof(f), "SYSLOG_IDENTIFIER", "cliproxy");
		o = field(f, o, sizeof(f), "CLIPROXY_RID", c->rid);
		o = field(f, o, sizeof(f), "CLIPROXY_METHOD", method);
		o = field(f, o, sizeof(f), "CLIPROXY_PATH", path);
		o = field(f, o, sizeof(f), "CLIPROXY_STATUS", st);
		journal_send(f, o);
		emit_line(6, line, true);
		return;
	}
	emit_line(6, line, false);
}
