/*
 * cliproxy.c - command line: serve (one connection, socket activated),
 * listen (standalone, fork per connection), check (validate the config),
 * login (auth/login.h; also the original's -login style flags), auth list /
 * accounts and refresh (auth/cmd.h), version.
 * Flags accept the original's Go spellings (-config, --config,
 * --config=FILE).  usage() is identical to the SYNOPSIS of cliproxy(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cmd.h"
#include "auth/login.h"
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
static struct login_opts arg_login; /* login and the original's login flags */
static bool arg_force;                /* refresh --force */
static char *arg_names[64];           /* refresh file ... */
static int arg_nnames;

static const char usage_text[] =
	"usage: cliproxy [--config file] [serve]\n"
	"       cliproxy [--config file] listen [[addr:]port]\n"
	"       cliproxy [--config file] check\n"
	"       cliproxy [--config file] auth list\n"
	"       cliproxy [--config file] accounts\n"
	"       cliproxy [--config file] refresh [--force] [file ...]\n"
	"       cliproxy [--config file] login gemini [--project id|ALL] [--no-browser] [--callback-port port]\n"
	"       cliproxy [--config file] login codex [--device] [--no-browser] [--callback-port port]\n"
	"       cliproxy [--config file] login claude [--no-browser] [--callback-port port]\n"
	"       cliproxy [--config file] --login [--project_id id|ALL] [--no-browser] [--oauth-callback-port port]\n"
	"       cliproxy [--config file] --codex-login | --codex-device-login | --claude-login [--no-browser] [--oauth-callback-port port]\n"
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
		int lr;
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
		} else if ((lr = login_parse_flag(&arg_login, argc, argv, &i)) != 0) {
			if (lr < 0)
				return lr;
		} else if (strcmp(a, "--force") == 0 || strcmp(a, "-force") == 0) {
			arg_force = true;
		} else if (a[0] == '-') {
			fprintf(stderr, "cliproxy: unknown option %s\n", a);
			return -EINVAL;
		} else if (!arg_command) {
			arg_command = a;
		} else if (!arg_operand && strcmp(arg_command, "listen") == 0) {
			arg_operand = a;
		} else if (!arg_operand && strcmp(arg_command, "auth") == 0) {
			arg_operand = a;
		} else if (strcmp(arg_command, "refresh") == 0 &&
			   arg_nnames < (int)(sizeof(arg_names) / sizeof(arg_names[0]))) {
			arg_names[arg_nnames++] = argv[i];
		} else if (strcmp(arg_command, "login") == 0 && !arg_login.provider) {
			if (login_set_provider(&arg_login, a) < 0)
				return -EINVAL;
		} else {
			fprintf(stderr, "cliproxy: unexpected argument %s\n", a);
			return -EINVAL;
		}
	}
	if (arg_config && !*arg_config) {
		fprintf(stderr, "cliproxy: --config needs a file\n");
		return -EINVAL;
	}
	if (arg_force && (!arg_command || strcmp(arg_command, "refresh") != 0)) {
		fprintf(stderr, "cliproxy: --force needs the refresh command\n");
		return -EINVAL;
	}
	/* The original's -login, -codex-login, ... are the login command. */
	if (arg_login.provider && !arg_command)
		arg_command = "login";
	if (arg_login.any && (!arg_command || strcmp(arg_command, "login") != 0) &&
	    (!arg_command || strcmp(arg_command, "help") != 0)) {
		fprintf(stderr, "cliproxy: login flags need the login command\n");
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

static int cmd_login(void)
{
	struct arena a;
	struct config cfg;
	const char *path;
	int r;

	arena_init(&a, LIMIT_ARENA_BYTES);
	if (load_config(&cfg, &a, &path) < 0) {
		arena_release(&a);
		return EXIT_USAGE;
	}
	r = login_main(&cfg, &arg_login);
	arena_release(&a);
	return r;
}

/* `auth list` / `accounts` and `refresh`: auth/cmd.c. */
static int cmd_auth(bool refresh)
{
	struct arena a;
	struct config cfg;
	const char *path;
	int r;

	if (!refresh && strcmp(arg_command, "auth") == 0 &&
	    (!arg_operand || strcmp(arg_operand, "list") != 0)) {
		fprintf(stderr, "cliproxy: auth: the only subcommand is list\n");
		return usage(stderr, EXIT_USAGE);
	}
	arena_init(&a, LIMIT_ARENA_BYTES);
	if (load_config(&cfg, &a, &path) < 0) {
		arena_release(&a);
		return EXIT_USAGE;
	}
	log_setup(&cfg);
	r = refresh ? auth_cmd_refresh(&cfg, arg_force, arg_names, arg_nnames, stdout)
		    : auth_cmd_list(&cfg, stdout);
	arena_release(&a);
	return r;
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
	if (strcmp(arg_command, "login") == 0)
		return cmd_login();
	if (strcmp(arg_command, "auth") == 0 || strcmp(arg_command, "accounts") == 0)
		return cmd_auth(false);
	if (strcmp(arg_command, "refresh") == 0)
		return cmd_auth(true);
	if (strcmp(arg_command, "serve") == 0) {
		o.config_path = arg_config;
		o.config_explicit = arg_config != NULL;
		return serve_main(&o);
	}
	fprintf(stderr, "cliproxy: unknown command %s\n", arg_command);
	return usage(stderr, EXIT_USAGE);
}
