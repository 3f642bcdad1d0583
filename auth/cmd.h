/*
 * cmd.h - the credential subcommands: `cliproxy auth list` (alias
 * `cliproxy accounts`), one line per credential of the config and the
 * auth-dir, never a secret; and `cliproxy refresh`, which refreshes what is
 * due (auth/refresh.h, same locking as requests) for accounts nobody used
 * lately - run by units/cliproxy-refresh.timer.
 */
#ifndef CLIPROXY_AUTH_CMD_H
#define CLIPROXY_AUTH_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct config;

/* Print the table to out.  Returns an exit status: 0, or 100 when the
   auth-dir cannot be read. */
int auth_cmd_list(const struct config *cfg, FILE *out);

/* Refresh the due credentials of the auth-dir (all of them with force),
   or only those named (file names in the auth-dir, or paths).  One line
   per credential looked at on out.  Returns 0 when nothing failed, 111
   when a refresh failed transiently or was refused (the file is then
   disabled), 100 for a name that is not a credential file. */
int auth_cmd_refresh(const struct config *cfg, bool force, char *const *names, int nnames,
		     FILE *out);

#endif
