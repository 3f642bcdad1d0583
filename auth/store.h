/*
 * store.h - credential files of the auth-dir (SPEC §3.1): read any
 * provider's JSON file, keep what we do not understand, write updates back
 * merged into the original text, atomically, 0600 in a 0700 directory.
 * An auth-dir made by the original CLIProxyAPI works here and the reverse.
 *
 * Reading.  auth_load() reads one file (at most AUTH_FILE_MAX bytes) and
 * auth_parse() turns its text into a struct auth_file.  A file is a
 * credential when it is a JSON object with a non-empty string "type";
 * anything else is refused (-ENOMSG: no type, -EINVAL: not a JSON object).
 * Unknown members are never an error.  auth_scan() lists every credential
 * of a directory: regular files named *.json directly inside it (no
 * dot-files, no subdirectories), sorted by name.
 *
 * Secrets.  Tokens (access, refresh, id), the Gemini client secret and the
 * file text itself go only to the `secrets` arena (wiped at exit).  Passing
 * secrets == NULL loads the file without them: every secret field is NULL,
 * json is NULL, and the text is read into a private wiped scratch arena
 * that is released before returning.  That is how the registry and
 * `cliproxy auth list` read files ("touch secrets last"); the token is read
 * by auth_ensure_fresh() (auth/refresh.h) right before the upstream call.
 *
 * Invariants of a struct auth_file after a successful auth_parse/auth_load:
 *   - path, name, type, label are non-NULL and non-empty; name is the base
 *     name of path; label is the e-mail, else the name: never a secret;
 *   - kind is derived from type (AUTH_UNKNOWN for types we do not serve:
 *     such files are listed but never used);
 *   - every other const char * is NULL when the member is absent or empty;
 *   - times are unix seconds, 0 meaning unknown/absent;
 *   - projects[] holds the Gemini project_id split on ',' (trimmed, empty
 *     items dropped, order kept); nprojects == 0 when there is none;
 *   - headers/excluded_models are empty lists when absent;
 *   - strings are valid UTF-8, NUL-terminated, with no NUL inside (a member
 *     whose value holds \u0000 counts as absent).
 *
 * Writing.  Every change goes through auth_merge() + auth_write() (or
 * auth_save(), which does both and re-parses): the original text is walked
 * member by member, members the update touches get their new value in
 * place, the rest is copied byte for byte (unknown fields and key order
 * kept), new members are appended at the end.  auth_write() creates the
 * directory 0700 if missing and replaces the file through fs_write_atomic
 * (temp 0600, fsync, rename, directory fsync): a reader, or a process
 * killed at any point, sees the old file or the new one, never a mix.
 * Writers hold auth_lock() on the file and re-read it after taking the lock.
 *
 * Locking.  auth_lock(path) takes an exclusive flock on a side file
 * "<dir>/.cliproxy/<name>.lock" (created 0600, dir 0700), never on the
 * credential itself: the credential's inode changes at every rename, the
 * lock file's does not, so two processes can never both believe they own
 * the credential.  The original ignores that directory (not *.json).
 *
 * Errors are negative errno values; nothing here logs.
 */
#ifndef CLIPROXY_AUTH_STORE_H
#define CLIPROXY_AUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

struct arena;

/* Largest credential file read (a Vertex service account is ~2.5 KiB). */
#define AUTH_FILE_MAX (64 * 1024)
/* Most credential files looked at in one auth-dir scan. */
#define AUTH_DIR_MAX 4096
/* How long auth_lock waits for another process by default (a refresh is one
   HTTPS round trip bounded by AUTH_TOKEN_TIMEOUT_MS, auth/refresh.h). */
#define AUTH_LOCK_WAIT_MS (45 * 1000)

/* The "type" values (SPEC §3.1).  Only GEMINI, CODEX and CLAUDE are served
   (and refreshed) today; QWEN is refreshed; the others are listed only. */
enum auth_kind {
	AUTH_UNKNOWN = 0, /* a "type" not in this list */
	AUTH_GEMINI,      /* "gemini": Gemini CLI / Cloud Code Assist, provider gemini-cli */
	AUTH_CODEX,       /* "codex": ChatGPT OAuth */
	AUTH_CLAUDE,      /* "claude": Claude Code OAuth */
	AUTH_QWEN,        /* "qwen" */
	AUTH_IFLOW,       /* "iflow" */
	AUTH_ANTIGRAVITY, /* "antigravity" */
	AUTH_VERTEX,      /* "vertex" (service account: nothing to refresh) */
	AUTH_KIMI,        /* "kimi" */
	AUTH_KIRO,        /* "kiro" */
};

/* "gemini", "codex", ... (the file's "type"); "unknown" for AUTH_UNKNOWN. */
const char *auth_kind_name(enum auth_kind k);
/* The kind of a "type" value (exact, case-sensitive as the original). */
enum auth_kind auth_kind_from_type(const char *type);

struct auth_file {
	/* Where it is. */
	const char *path;  /* as given to auth_load/auth_parse */
	const char *name;  /* base name, e.g. "codex-a@b.c-plus.json": the credential id */
	unsigned mode;     /* st_mode & 07777 when loaded from disk, 0 for auth_parse */
	int err;           /* auth_scan only: 0, or why this file is unusable
			      (-EINVAL not JSON, -EFBIG, -EPERM group/world-writable,
			      -EACCES unreadable, ...): then only path/name/mode are set */

	/* What it is. */
	const char *type;  /* the "type" member as written */
	enum auth_kind kind;
	const char *email; /* "email" */
	const char *label; /* email, else name */

	/* State.  "disabled" is the original's field; the others are ours and
	   the original keeps them as unknown fields. */
	bool disabled;              /* "disabled": true (never selected, never refreshed) */
	const char *disabled_reason; /* "disabled_reason": why cliproxy disabled it */
	int64_t expiry;             /* access token expiry: token.expiry (Gemini), else the
				       first of expired, expire, expires_at, expiresAt, expiry,
				       expires; RFC 3339 text or a number (seconds, or
				       milliseconds when > 1e11) */
	int64_t last_refresh;       /* "last_refresh" (RFC 3339 or number) */
	int64_t refresh_interval;   /* "refresh_interval_seconds": refresh at least this often */
	int64_t refresh_retry_at;   /* "refresh_retry_at": after a transient refresh failure,
				       no new attempt before this time */
	int refresh_failures;       /* "refresh_failures": consecutive transient failures */
	const char *refresh_error;  /* "refresh_error": the last one, human text, no secret */

	/* Secrets (secrets arena; NULL when loaded without one, or absent).
	   Gemini: token.access_token / token.refresh_token, falling back to
	   the flat members. */
	const char *access_token;
	const char *refresh_token;
	const char *id_token;
	const char *json;   /* the whole file text (NUL-terminated) */
	size_t json_len;

	/* Provider specifics. */
	const char *project_id;          /* Gemini: "project_id" as written (may be "a,b,c") */
	const char *const *projects;     /* Gemini: project_id split, see invariants */
	size_t nprojects;
	bool gemini_auto;                /* Gemini: "auto" */
	bool gemini_checked;             /* Gemini: "checked" */
	const char *client_id;           /* Gemini: token.client_id (public client) */
	const char *client_secret;       /* Gemini: token.client_secret (secrets arena) */
	const char *token_uri;           /* Gemini: token.token_uri (informational: the
					    refresh uses auth_token_url(), auth/refresh.h) */
	const char *account_id;          /* Codex: "account_id" (Chatgpt-Account-Id) */
	const char *resource_url;        /* Qwen: "resource_url" */

	/* Optional members any file may carry (SPEC §3.1). */
	const char *proxy_url;  /* "proxy_url" */
	const char *prefix;     /* "prefix" (model namespace) */
	const char *base_url;   /* "base_url" */
	const char *note;       /* "note" */
	int priority;           /* "priority", 0 when absent */
	int request_retry;      /* "request_retry", -1 when absent */
	bool disable_cooling;   /* "disable_cooling" */
	bool websockets;        /* "websockets" (Codex) */
	bool tool_prefix_disabled; /* "tool_prefix_disabled" (Claude) */
	struct kvlist headers;          /* "headers" object of string values */
	struct strlist excluded_models; /* "excluded_models" / "excluded-models", lower-cased */
};

/* Parse text (len bytes, need not be NUL-terminated) as the file at path.
   Non-secret strings go to a, secret ones to secrets (NULL: dropped, see
   above).  0, -EINVAL (not a JSON object), -ENOMSG (no non-empty "type"),
   -E2BIG (over AUTH_FILE_MAX or the JSON caps), -ENOMEM.  On error *f is
   zeroed but for path and name. */
int auth_parse(struct auth_file *f, const char *path, const char *text, size_t len,
	       struct arena *a, struct arena *secrets);

/* Read path (a regular file, at most AUTH_FILE_MAX bytes) and parse it.
   auth_parse's errors, plus -errno of open/read (-ENOENT when it is gone),
   -EFBIG, and -EPERM when the file is group- or world-writable (someone
   else could plant tokens; `auth list` says so).  mode is set. */
int auth_load(struct auth_file *f, const char *path, struct arena *a, struct arena *secrets);

/* Every credential file of dir (see the header comment), sorted by name.
   Each entry is loaded without secrets; files that fail to load are kept
   with ->err set, except those without a "type" (-ENOMSG), which are not
   credentials and are left out.  A missing dir is an empty list.  0, or
   -ENOMEM, -E2BIG (more than AUTH_DIR_MAX files), -errno of opendir. */
int auth_scan(const char *dir, struct arena *a, struct auth_file **ret, size_t *ret_n);

/* True when the mode bits give nothing to group or other (0600-like).
   Files loaded by auth_parse (mode 0) count as fine. */
bool auth_mode_private(const struct auth_file *f);

/* ---- Updates ------------------------------------------------------------ */

/* One raw top-level member for auth_update.extra: json is the complete JSON
   text of the value (e.g. "\"x\"", "true", "{...}"), NULL removes key. */
struct auth_member {
	const char *key;
	const char *json;
};

/* What to change.  Zero-initialise, then set what changes; a zeroed update
   changes nothing (except that with .disabled = 0 nothing happens either:
   use AUTH_KEEP/AUTH_SET/AUTH_CLEAR for the tri-states). */
enum auth_tri { AUTH_KEEP = 0, AUTH_SET = 1, AUTH_CLEAR = 2 };

struct auth_update {
	/* Tokens, NULL: keep.  Written where the kind keeps them: Gemini in
	   the "token" object and as flat members (as the original does),
	   everyone else as flat access_token / refresh_token / id_token. */
	const char *access_token;
	const char *refresh_token;
	const char *id_token;
	/* Expiry, 0: keep.  Gemini: token.expiry and "expiry"; others:
	   "expired"; RFC 3339 UTC ("2006-01-02T15:04:05Z").  Any other expiry
	   member already present is updated in its own format. */
	int64_t expiry;
	/* "last_refresh" (RFC 3339 UTC), 0: keep.  Gemini files get it only
	   if they already have it. */
	int64_t last_refresh;
	const char *email;      /* NULL: keep */
	const char *account_id; /* Codex, NULL: keep */
	/* AUTH_SET: "disabled": true + "disabled_reason" (required);
	   AUTH_CLEAR: "disabled": false and disabled_reason removed. */
	enum auth_tri disabled;
	const char *disabled_reason;
	/* AUTH_SET: refresh_retry_at (RFC 3339 UTC), refresh_failures and
	   refresh_error written; AUTH_CLEAR: all three removed. */
	enum auth_tri refresh_state;
	int64_t refresh_retry_at;
	int refresh_failures;
	const char *refresh_error;
	/* Anything else, applied last (login flows: "project_id", "checked"...). */
	const struct auth_member *extra;
	size_t nextra;
};

/* The new text of f's file with u applied to f->json (so f must have been
   loaded with a secrets arena).  The result lives in secrets (it holds
   tokens), ends with "\n", and parses back with every untouched member
   byte-identical.  0, -EINVAL (f->json missing or no longer a JSON
   object), -E2BIG (over AUTH_FILE_MAX), -ENOMEM. */
int auth_merge(const struct auth_file *f, const struct auth_update *u, struct arena *secrets,
	       char **ret, size_t *ret_len);

/* Replace path with text: directory made 0700 if missing, file 0600,
   through fs_write_atomic.  The caller holds auth_lock(path).  0 or -errno. */
int auth_write(const char *path, const char *text, size_t len);

/* auth_merge + auth_write + re-parse into f (from the written text).  The
   caller holds auth_lock(f->path) and loaded f after taking it.  0 or
   -errno; on error f is unchanged. */
int auth_save(struct auth_file *f, const struct auth_update *u, struct arena *a,
	      struct arena *secrets);

/* Create or replace <dir>/<name> with a complete new credential text (a
   login): dir made 0700, lock taken, written 0600 atomically, lock
   released.  name must be a plain file name ending in ".json" (no '/', not
   starting with '.'), text a JSON object with a "type".  *ret_path (may be
   NULL) gets the full path.  0, -EINVAL, or -errno. */
int auth_store_new(const char *dir, const char *name, const char *text, size_t len,
		   struct arena *a, const char **ret_path);

/* ---- Names, times, locks ------------------------------------------------ */

/* The original's file name for a new credential (SPEC §3.1 table):
     gemini: "gemini-<email>-<project>.json", all_projects: "gemini-<email>-all.json"
     codex:  "codex-<email>-<plan>.json", plan "team":
	     "codex-<8 hex of sha256(account_id)>-<email>-team.json",
	     no plan: "codex-<email>.json"
     claude: "claude-<email>.json"
     qwen:   "qwen-<email>.json"
   '/', '\\', control bytes and a leading '.' in the parts become '_'.
   NULL on ENOMEM or a missing e-mail. */
struct auth_name {
	enum auth_kind kind;
	const char *email;
	const char *project;    /* gemini */
	bool all_projects;      /* gemini: more than one project / ALL */
	const char *plan;       /* codex: "plus", "pro", "team", ... or NULL */
	const char *account_id; /* codex team */
};
char *auth_file_name(struct arena *a, const struct auth_name *n);

/* The top-level members read as an expiry, in the original's order
   (SPEC §3.10): "expired", "expire", "expires_at", "expiresAt", "expiry",
   "expires"; NULL-terminated. */
extern const char *const auth_expiry_keys[];

/* RFC 3339 date-time ("2025-01-02T03:04:05Z", fraction and "+hh:mm"
   offsets allowed, 'T' or ' ' between date and time) -> unix seconds.
   0 or -EINVAL. */
int auth_time_parse(const char *s, size_t n, int64_t *ret);
/* unix seconds -> "2006-01-02T15:04:05Z" (UTC) in a; NULL on ENOMEM. */
char *auth_time_format(struct arena *a, int64_t t);

/* A copy of untrusted text (an endpoint's error, a label) fit for one line
   of a terminal or a file: control bytes become '?', invalid UTF-8 is
   replaced by '?', cut at max bytes (at a character boundary, "..."
   appended).  NULL s gives "-".  NULL on ENOMEM. */
char *auth_printable(struct arena *a, const char *s, size_t max);

/* Take the exclusive lock of the credential at path (see the header
   comment), waiting at most wait_ms (<= 0: AUTH_LOCK_WAIT_MS).  Returns the
   fd to pass to auth_unlock, or -ETIMEDOUT / -errno. */
int auth_lock(const char *path, int wait_ms);
/* Release it (closes fd; fd < 0 is ignored).  Always returns -1. */
int auth_unlock(int fd);

#endif
