/*
 * cliproxy.c - command line: serve (one connection, socket activated),
 * listen (standalone, fork per connection), check (validate the config),
 * version.  Flags accept the original's Go spellings (-config, --config,
 * --config=FILE).  usage() is identical to the SYNOPSIS of cliproxy(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/listen.h"
#include "core/log.h"
#include "core/serve.h"
#include "core/sockact.h"

/* argv-derived settings: the only globals (DESIGN.md §4.1). */
static const char *arg_config;
static const char *arg_command;
static const char *arg_operand;

static const char usage_text[] =
	"usage: cliproxy [--config file] [serve]\n"
	"       cliproxy [--config file] listen [[addr:]port]\n"
	"       cliproxy [--config file] check\n"
	"       cliproxy version\n"
	"       cliproxy --help\n";

static int usage(FILE *f, int code)
{
	fputs(usage_text, f);
	if (f == stdout)
		fputs("\nWith no command: serve when started by systemd (LISTEN_FDS), else listen.\n"
		      "See cliproxy(1) and cliproxy.yaml(5).\n",
		      f);
	return code;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--config") == 0 || strcmp(a, "-config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cliproxy: %s needs a file\n", a);
				return -EINVAL;
			}
			arg_config = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "-config=", 8) == 0) {
			arg_config = strchr(a, '=') + 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) {
			arg_command = "help";
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-version") == 0) {
			arg_command = "version";
		} else if (a[0] == '-') {
			fprintf(stderr, "cliproxy: unknown option %s\n", a);
			return -EINVAL;
		} else if (!arg_command) {
			arg_command = a;
		} else if (!arg_operand && strcmp(arg_command, "listen") == 0) {
			arg_operand = a;
		} else {
			fprintf(stderr, "cliproxy: unexpected argument %s\n", a);
			return -EINVAL;
		}
	}
	if (arg_config && !*arg_config) {
		fprintf(stderr, "cliproxy: --config needs a file\n");
		return -EINVAL;
	}
	return 0;
}

/* Load the config named by --config or found by the default search. */
static int load_config(struct config *cfg, struct arena *a, const char **ret_path)
{
	struct config_error err;
	const char *path = arg_config ? arg_config : config_default_path(a);
	int r;

	memset(&err, 0, sizeof(err));
	r = config_load(cfg, a, path, &err);
	*ret_path = path;
	if (r < 0) {
		if (err.line > 0)
			fprintf(stderr, "cliproxy: %s:%d:%d: %s%s%s\n", path, err.line, err.column,
				err.key, err.key[0] ? ": " : "", err.message);
		else
			fprintf(stderr, "cliproxy: %s: %s%s%s\n", path ? path : "(defaults)", err.key,
				err.key[0] ? ": " : "", err.message[0] ? err.message : strerror(-r));
	}
	return r;
}

static int cmd_check(void)
{
	struct arena a;
	struct config cfg;
	const char *path;
	int r;

	arena_init(&a, LIMIT_ARENA_BYTES);
	r = load_config(&cfg, &a, &path);
	if (r < 0) {
		arena_release(&a);
		return EXIT_USAGE;
	}
	printf("config: %s\n", path ? path : "(none found: built-in defaults)");
	config_print(&cfg, stdout);
	for (size_t i = 0; i < cfg.nunknown; i++)
		printf("warning: line %d: unknown key %s (ignored)\n", cfg.unknown[i].line,
		       cfg.unknown[i].key);
	printf("configuration OK\n");
	arena_release(&a);
	return 0;
}

static int cmd_listen(void)
{
	struct arena a;
	struct config cfg;
	struct serve_opts o = { 0 };
	const char *path;
	int r;

	if (proc_sanitize() < 0)
		return EXIT_ABORTED;
	arena_init(&a, LIMIT_ARENA_BYTES);
	if (load_config(&cfg, &a, &path) < 0)
		return EXIT_USAGE;
	log_setup(&cfg);
	for (size_t i = 0; i < cfg.nunknown; i++)
		log_debug("config line %d: unknown key %s ignored", cfg.unknown[i].line,
			  cfg.unknown[i].key);
	/* Children re-read the file for every connection: edits apply at once. */
	o.config_path = path;
	o.config_explicit = arg_config != NULL;
	r = listen_main(arg_operand, &cfg, &o);
	arena_release(&a);
	return r;
}

int main(int argc, char **argv)
{
	struct serve_opts o = { 0 };

	if (parse_args(argc, argv) < 0)
		return usage(stderr, EXIT_USAGE);
	if (!arg_command)
		arg_command = getenv("LISTEN_FDS") ? "serve" : "listen";
	if (strcmp(arg_command, "help") == 0)
		return usage(stdout, 0);
	if (strcmp(arg_command, "version") == 0) {
		printf("cliproxy %s\n", CLIPROXY_VERSION);
		return 0;
	}
	if (strcmp(arg_command, "check") == 0)
		return cmd_check();
	if (strcmp(arg_command, "listen") == 0)
		return cmd_listen();
	if (strcmp(arg_command, "serve") == 0) {
		o.config_path = arg_config;
		o.config_explicit = arg_config != NULL;
		return serve_main(&o);
	}
	fprintf(stderr, "cliproxy: unknown command %s\n", arg_command);
	return usage(stderr, EXIT_USAGE);
}
