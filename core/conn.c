/*
 * conn.c - life of the per-process context: set up arenas and deadlines,
 * load the configuration at most once per connection (so an edit applies to
 * the next connection), and tear everything down in one place.
 */
#include "core/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deadline overrides from the environment, in seconds (cliproxy(1)). */
static int env_ms(const char *name, int dflt)
{
	const char *s = getenv(name);
	uint64_t v;

	if (!s || parse_u64(s, strlen(s), 24 * 3600, &v) < 0 || v == 0)
		return dflt;
	return (int)v * 1000;
}

void conn_init(struct conn *c, int in_fd, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	arena_init(&c->arena, LIMIT_ARENA_BYTES);
	arena_init(&c->req_arena, LIMIT_ARENA_BYTES);
	arena_init_secret(&c->secrets, LIMIT_SECRET_BYTES);
	c->header_ms = env_ms("CLIPROXY_HEADER_TIMEOUT", DEADLINE_HEADER_MS);
	c->body_ms = env_ms("CLIPROXY_BODY_TIMEOUT", DEADLINE_BODY_MS);
	c->idle_ms = env_ms("CLIPROXY_IDLE_TIMEOUT", DEADLINE_IDLE_MS);
	memcpy(c->peer, "-", 2);
	memcpy(c->rid, "-", 2);
}

void conn_close(struct conn *c)
{
	arena_release(&c->req_arena);
	arena_release(&c->arena);
	arena_release(&c->secrets);
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0 && c->out_fd != c->in_fd)
		close(c->out_fd);
	c->in_fd = c->out_fd = -1;
}

int conn_config(struct conn *c)
{
	if (c->cfg_state)
		return c->cfg_state < 0 ? c->cfg_state : 0;
	if (!c->config_path)
		c->config_path = config_default_path(&c->arena);
	c->cfg_state = config_load(&c->cfg, &c->arena, c->config_path, &c->cfg_err);
	if (c->cfg_state == 0) {
		c->cfg_state = 1;
		/* debug and logging-to-file take effect from here on. */
		log_setup(&c->cfg);
		for (size_t i = 0; i < c->cfg.nunknown; i++)
			log_debug("config line %d: unknown key %s ignored", c->cfg.unknown[i].line,
				  c->cfg.unknown[i].key);
	}
	return c->cfg_state < 0 ? c->cfg_state : 0;
}

int conn_remaining(const struct conn *c)
{
	int64_t left = c->deadline - now_ms();
	return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}
