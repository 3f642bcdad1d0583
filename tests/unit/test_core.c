/*
 * test_core.c - arena, buf, parse, route, fsutil and access helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/access.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/parse.h"
#include "core/route.h"
#include "tests/unit/check.h"

static void test_arena_cap(void)
{
	struct arena a;
	char *p, *q;

	arena_init(&a, 100 * 1024);
	p = arena_alloc(&a, 1000);
	CHECK(p != NULL);
	CHECK(((uintptr_t)p & 15) == 0);
	q = arena_alloc(&a, 200 * 1024); /* over the cap */
	CHECK(q == NULL);
	q = arena_strdup(&a, "hello");
	CHECK_STR(q, "hello");
	CHECK_STR(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	arena_release(&a);
	CHECK(a.head == NULL);
}

static void test_arena_realloc_in_place(void)
{
	struct arena a;
	char *p, *q;

	arena_init(&a, 1 << 20);
	p = arena_alloc(&a, 16);
	memcpy(p, "abcdefghijklmno", 16);
	q = arena_realloc(&a, p, 16, 64);
	CHECK(q == p); /* last allocation grows in place */
	arena_alloc(&a, 8);
	q = arena_realloc(&a, p, 64, 128);
	CHECK(q != p);
	CHECK(memcmp(q, "abcdefghijklmno", 16) == 0);
	arena_release(&a);
}

static void test_buf_ceiling(void)
{
	struct arena a;
	struct buf b;

	arena_init(&a, 1 << 20);
	buf_init(&b, &a, 10);
	CHECK_INT(buf_adds(&b, "0123456789"), 0); /* exactly at the ceiling */
	CHECK_INT(b.len, 10);
	CHECK_INT(buf_addc(&b, 'x'), -E2BIG);    /* one byte over */
	CHECK_INT(b.err, -E2BIG);
	CHECK_STR(b.p, "0123456789");
	buf_consume(&b, 4);
	CHECK_STR(b.p, "456789");
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_INT(buf_addf(&b, "%s", "abc"), 0);
	CHECK_STR(b.p, "abc");
	arena_release(&a);
}

static void test_parse_numbers(void)
{
	uint64_t u;
	int64_t i;

	CHECK_INT(parse_u64("123", 3, 1000, &u), 0);
	CHECK_INT(u, 123);
	CHECK_INT(parse_u64("1001", 4, 1000, &u), -ERANGE);
	CHECK_INT(parse_u64("", 0, 1000, &u), -EINVAL);
	CHECK_INT(parse_u64("+1", 2, 1000, &u), -EINVAL);
	CHECK_INT(parse_u64(" 1", 2, 1000, &u), -EINVAL);
	CHECK_INT(parse_u64("18446744073709551615", 20, UINT64_MAX, &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_INT(parse_u64("18446744073709551616", 20, UINT64_MAX, &u), -ERANGE);
	CHECK_INT(parse_hex_u64("fF", 2, 255, &u), 0);
	CHECK_INT(u, 255);
	CHECK_INT(parse_hex_u64("100", 3, 255, &u), -ERANGE);
	CHECK_INT(parse_hex_u64("g", 1, 255, &u), -EINVAL);
	CHECK_INT(parse_i64("-9223372036854775808", 20, INT64_MIN, INT64_MAX, &i), 0);
	CHECK(i == INT64_MIN);
	CHECK_INT(parse_i64("-5", 2, 0, 10, &i), -ERANGE);
	CHECK_INT(parse_i64("-", 1, -10, 10, &i), -EINVAL);
	CHECK(strn_caseeq("Bearer", 6, "bearer"));
	CHECK(!strn_caseeq("Bear", 4, "bearer"));
}

static void test_route_table(void)
{
	struct route_match m;
	const char *allow = NULL;

	CHECK_INT(route_find("POST", "/v1/messages", &m, &allow), 0);
	CHECK_INT(m.route->id, R_MESSAGES);
	CHECK_INT(m.route->family, FAM_CLAUDE);
	CHECK_INT(route_find("GET", "/v1/messages", &m, &allow), -EPERM);
	CHECK_STR(allow, "POST");
	CHECK_INT(route_find("GET", "/v1/messagesx", &m, &allow), -ENOENT);
	CHECK_INT(route_find("POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", &m, &allow), 0);
	CHECK_MEM(m.model, m.model_len, "gemini-2.5-pro");
	CHECK_MEM(m.action, m.action_len, "streamGenerateContent");
	CHECK_INT(route_find("GET", "/v1beta/models/gemini-2.5-pro", &m, &allow), 0);
	CHECK(m.action == NULL);
	CHECK_INT(route_find("POST", "/v1beta/models/a/b:generateContent", &m, &allow), -ENOENT);
	CHECK_INT(route_find("POST", "/api/provider/openai/v1/chat/completions", &m, &allow), 0);
	CHECK_MEM(m.provider, m.provider_len, "openai");
	CHECK_INT(m.route->id, R_CHAT);
	CHECK_INT(route_find("POST", "/api/provider/openai/chat/completions", &m, &allow), 0);
	CHECK_INT(m.route->id, R_CHAT);
	CHECK_INT(route_find("POST", "/v1internal:streamGenerateContent", &m, &allow), 0);
	CHECK_MEM(m.action, m.action_len, "streamGenerateContent");
	CHECK_INT(route_find("DELETE", "/v0/management/api-keys", &m, &allow), 0);
	CHECK_INT(route_find("HEAD", "/", &m, &allow), 0);
	CHECK_INT(route_family_guess("/v1beta/x", NULL), FAM_GEMINI);
	CHECK_INT(route_family_guess("/api/provider/x/v1/messages", NULL), FAM_CLAUDE);
}

static void test_fs_atomic_write(void)
{
	char dir[] = "/tmp/cliproxy-test-XXXXXX", path[128], *data = NULL;
	struct arena a;
	struct stat st;
	size_t n = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	arena_init(&a, 1 << 20);
	CHECK_INT(fs_write_atomic(path, "{\"a\":1}", 7), 0);
	CHECK_INT(fs_read_file(&a, path, 100, &data, &n), 0);
	CHECK_MEM(data, n, "{\"a\":1}");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(fs_write_atomic(path, "{\"a\":2}", 7), 0);
	CHECK_INT(fs_read_file(&a, path, 100, &data, &n), 0);
	CHECK_MEM(data, n, "{\"a\":2}");
	CHECK_INT(fs_read_file(&a, path, 6, &data, &n), -EFBIG); /* one byte over */
	CHECK_INT(fs_read_file(&a, dir, 100, &data, &n), -EISDIR);
	/* no temp files left behind */
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
		CHECK(system(cmd) == 0);
	}
	chmod(dir, 0755);
	CHECK_INT(fs_ensure_private_dir(dir), 0);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
	arena_release(&a);
}

static void test_fs_lock_excludes(void)
{
	char path[] = "/tmp/cliproxy-lock-XXXXXX";
	int fd = mkstemp(path), l1, st;
	pid_t pid;

	close(fd);
	l1 = fs_lock(path, LOCK_EX);
	CHECK(l1 >= 0);
	pid = fork();
	if (pid == 0) {
		int l2 = open(path, O_RDWR);
		_exit(flock(l2, LOCK_EX | LOCK_NB) == 0 ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* the child could not lock */
	close(l1);
	unlink(path);
}

static void test_sample_keys(void)
{
	CHECK(access_is_sample_key("your-api-key-1"));
	CHECK(!access_is_sample_key("your-api-key-1x"));
}

int main(void)
{
	RUN(test_arena_cap);
	RUN(test_arena_realloc_in_place);
	RUN(test_buf_ceiling);
	RUN(test_parse_numbers);
	RUN(test_route_table);
	RUN(test_fs_atomic_write);
	RUN(test_fs_lock_excludes);
	RUN(test_sample_keys);
	return CHECK_DONE();
}
