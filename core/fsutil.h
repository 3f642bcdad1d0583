/*
 * fsutil.h - the one way state reaches disk: write a temp file (O_EXCL,
 * 0600, same directory), fsync, rename over the target, fsync the
 * directory, unlink the temp on failure.  Callers hold the file's flock
 * (fs_lock) and re-read after taking it.  Also bounded whole-file reads and
 * the 0700/0600 mode rules for the auth-dir.
 */
#ifndef CLIPROXY_FSUTIL_H
#define CLIPROXY_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

struct arena;

/* Atomically replace path with data (mode 0600).  0 or -errno. */
int fs_write_atomic(const char *path, const void *data, size_t n);
/* Read a whole file of at most max bytes into the arena (NUL-terminated).
   -EFBIG when larger, -errno otherwise. */
int fs_read_file(struct arena *a, const char *path, size_t max, char **ret, size_t *ret_len);
/* Open (creating, 0600) path and take a flock (LOCK_EX or LOCK_SH); returns
   the fd to close (which unlocks), or -errno. */
int fs_lock(const char *path, int op);
/* Make sure dir exists with mode 0700 (created, or tightened if ours). */
int fs_ensure_private_dir(const char *dir);

#endif
