/*
 * hammer.c - the benchmark's load generator and fast canned upstream.
 *
 *   hammer client PORT REQFILE N CONC [keepalive]
 *       send REQFILE's bytes N times (CONC connections at once); each
 *       request on a new connection unless "keepalive"; prints
 *       "p50_us p99_us rps ttfb_p50_us" on one line.
 *   hammer serve PORT REPLYFILE [EVENTS GAP_US [TRAILERFILE]]
 *       answer every request on 127.0.0.1:PORT with REPLYFILE (a whole
 *       HTTP response); with EVENTS, REPLYFILE is one SSE event repeated
 *       EVENTS times in a chunked 200 stream, GAP_US apart, then
 *       TRAILERFILE's bytes (e.g. the final events).
 *   hammer rss REQFILE CMD [ARG...]
 *       run CMD with REQFILE on stdin (posix_spawn, so no parent pages are
 *       counted) and print its peak RSS in KiB.
 * Test tooling, not product code: plain libc, no limits beyond sanity.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	if (fread(p, 1, (size_t)len, f) != (size_t)len)
		len = 0;
	fclose(f);
	p[len] = 0;
	*n = (size_t)len;
	return p;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read one response: head, then Content-Length body or chunked to the
   0-chunk, or to EOF.  Returns 0, sets *ttfb. */
static int read_response(int fd, long long t0, long long *ttfb, int head_only)
{
	static __thread char buf[1 << 16];
	size_t len = 0;
	long long cl = -1;
	int chunked = 0;
	char *hend = NULL;

	*ttfb = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return hend ? 0 : -1;
		if (!*ttfb)
			*ttfb = now_us() - t0;
		len += (size_t)n;
		buf[len] = 0;
		if (!hend && (hend = strstr(buf, "\r\n\r\n"))) {
			char *p = strcasestr(buf, "\r\ncontent-length:");
			if (p && p < hend)
				cl = strtoll(p + 17, NULL, 10);
			p = strcasestr(buf, "\r\ntransfer-encoding: chunked");
			chunked = p && p < hend;
			if (strncmp(buf, "HTTP/1.1 100", 12) == 0) {
				size_t skip = (size_t)(hend + 4 - buf);
				memmove(buf, hend + 4, len - skip);
				len -= skip;
				buf[len] = 0;
				hend = NULL;
				continue;
			}
		}
		if (hend && head_only)
			return 0;
		if (hend) {
			size_t body = len - (size_t)(hend + 4 - buf);
			if (cl >= 0 && body >= (size_t)cl)
				return 0;
			if (chunked && len >= 5 && memcmp(buf + len - 5, "0\r\n\r\n", 5) == 0)
				return 0;
			if (strncmp(buf, "HTTP/1.1 204", 12) == 0 || (cl == 0))
				return 0;
		}
		if (len > sizeof(buf) / 2) { /* keep the tail only */
			memmove(buf, buf + len - 16, 16);
			len = 16;
			hend = buf; /* head already seen */
		}
	}
}

struct job {
	int port, n, keepalive;
	const char *req;
	size_t reqlen;
	long long *lat, *ttfb;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	int fd = -1;

	for (int i = 0; i < j->n; i++) {
		long long t0 = now_us(), tf;
		if (fd < 0 || !j->keepalive)
			fd = dial(j->port);
		if (fd < 0 || write(fd, j->req, j->reqlen) != (ssize_t)j->reqlen ||
		    read_response(fd, t0, &tf, strncmp(j->req, "HEAD ", 5) == 0) < 0) {
			j->lat[i] = -1;
			if (fd >= 0)
				close(fd);
			fd = -1;
			continue;
		}
		j->lat[i] = now_us() - t0;
		j->ttfb[i] = tf;
		if (!j->keepalive) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static int client(int argc, char **argv)
{
	int port = atoi(argv[2]), n = atoi(argv[4]), conc = atoi(argv[5]);
	int keep = argc > 6 && strcmp(argv[6], "keepalive") == 0, ok = 0;
	size_t reqlen;
	char *req = slurp(argv[3], &reqlen);
	pthread_t *th = calloc((size_t)conc, sizeof(*th));
	struct job *jobs = calloc((size_t)conc, sizeof(*jobs));
	long long *lat = calloc((size_t)n, sizeof(long long)), *tt = calloc((size_t)n, sizeof(long long));
	long long t0 = now_us(), el;
	int per = n / conc;

	if (!req)
		return 2;
	for (int c = 0; c < conc; c++) {
		jobs[c] = (struct job){ port, per, keep, req, reqlen, lat + c * per, tt + c * per };
		pthread_create(&th[c], NULL, worker, &jobs[c]);
	}
	for (int c = 0; c < conc; c++)
		pthread_join(th[c], NULL);
	el = now_us() - t0;
	n = per * conc;
	for (int i = 0; i < n; i++)
		if (lat[i] >= 0) {
			lat[ok] = lat[i];
			tt[ok] = tt[i];
			ok++;
		}
	if (!ok) {
		printf("0 0 0 0 failed\n");
		return 1;
	}
	qsort(lat, (size_t)ok, sizeof(*lat), cmp);
	qsort(tt, (size_t)ok, sizeof(*tt), cmp);
	printf("%lld %lld %.0f %lld%s\n", lat[ok / 2], lat[(ok * 99) / 100], ok * 1e6 / (double)el,
	       tt[ok / 2], ok < n ? " some-failed" : "");
	return 0;
}

/* ---- serve ---- */
static char *reply;
static size_t replylen;
static int events;
static long gap_us;
static char *trailer;
static size_t trailerlen;

static void serve_conn(int fd)
{
	char buf[1 << 16];
	size_t len = 0;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		char *hend;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		hend = strstr(buf, "\r\n\r\n");
		if (!hend)
			continue;
		{
			char *p = strcasestr(buf, "\r\ncontent-length:");
			long long cl = p && p < hend ? strtoll(p + 17, NULL, 10) : 0;
			size_t have = len - (size_t)(hend + 4 - buf);
			while ((long long)have < cl) {
				n = read(fd, buf, sizeof(buf));
				if (n <= 0)
					return;
				have += (size_t)n;
			}
		}
		len = 0;
		if (!events) {
			if (write(fd, reply, replylen) < 0)
				return;
			continue;
		}
		{
			static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
						   "Transfer-Encoding: chunked\r\n\r\n";
			char hdr[32];
			if (write(fd, head, sizeof(head) - 1) < 0)
				return;
			for (int i = 0; i < events; i++) {
				int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", replylen);
				if (write(fd, hdr, (size_t)hl) < 0 || write(fd, reply, replylen) < 0 ||
				    write(fd, "\r\n", 2) < 0)
					return;
				if (gap_us)
					usleep((useconds_t)gap_us);
			}
			if (trailerlen) {
				int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", trailerlen);
				if (write(fd, hdr, (size_t)hl) < 0 || write(fd, trailer, trailerlen) < 0 ||
				    write(fd, "\r\n", 2) < 0)
					return;
			}
			if (write(fd, "0\r\n\r\n", 5) < 0)
				return;
		}
	}
}

static void *serve_thread(void *arg)
{
	int fd = (int)(long)arg;
	serve_conn(fd);
	close(fd);
	return NULL;
}

static int serve(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	reply = slurp(argv[3], &replylen);
	events = argc > 4 ? atoi(argv[4]) : 0;
	gap_us = argc > 5 ? atol(argv[5]) : 0;
	if (argc > 6)
		trailer = slurp(argv[6], &trailerlen);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!reply || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 512) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;
		if (fd < 0)
			continue;
		pthread_create(&t, NULL, serve_thread, (void *)(long)fd);
		pthread_detach(t);
	}
}

extern char **environ;

static int rss(char **argv)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, argv[2], O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ) != 0)
		return 1;
	if (wait4(pid, &st, 0, &ru) < 0)
		return 1;
	printf("%ld\n", ru.ru_maxrss);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "rss") == 0)
		return rss(argv);
	if (argc >= 6 && strcmp(argv[1], "client") == 0)
		return client(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "serve") == 0)
		return serve(argc, argv);
	fprintf(stderr, "usage: hammer client PORT REQFILE N CONC [keepalive] | hammer serve PORT REPLYFILE [EVENTS GAP_US]\n");
	return 2;
}
