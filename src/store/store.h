/*
 * store.h - the only code that touches state files.
 *
 * Protocol (ARCHITECTURE §4):
 *   - one writer at a time per root: flock(LOCK_EX) on <root>/.ros/lock,
 *     opened O_CLOEXEC so no child (ssh, sh) inherits it;
 *   - readers never lock: every write is temp file in the same directory,
 *     write all, fsync, checked close, rename, fsync of the directory, so a
 *     reader sees the whole old or the whole new file;
 *   - never hold the lock across ssh or HTTP: claim under the lock, work
 *     without it, re-lock, re-read, apply only if the entry is unchanged;
 *   - a file that does not parse is never written.
 */
#ifndef ROS_STORE_H
#define ROS_STORE_H

#include "util/util.h"

struct store_lock {
	int fd;
};
#define STORE_LOCK_INIT { -1 }

/* Take the root's write lock, waiting up to ROS_LOCK_TIMEOUT seconds
 * (default 60).  Creates .ros/ when missing.  0 or -1 with err set. */
int store_lock(const char *root, struct store_lock *l, struct buf *err);
void store_unlock(struct store_lock *l);	/* no-op when not held */

/* Write data to path atomically (temp + fsync + rename + dir fsync).
 * mode applies to a new file; an existing file keeps its mode.  The temp
 * file is ".<name>.XXXXXX" next to path; such files of path more than a
 * minute old (left by a writer that was killed) are removed first.
 * ROS_TEST_FSYNC=0 skips the fsyncs (tests only). */
int atomic_write(const char *path, const void *data, size_t len, int mode, struct buf *err);
/* The same, the new content being the first src_len bytes of the open file
 * src_fd (copied in the kernel) followed by data. */
int atomic_write_after(const char *path, int src_fd, size_t src_len, const void *data, size_t len,
		       int mode, struct buf *err);
/* atomic_write without fsync: for caches that may be lost. */
int atomic_write_nosync(const char *path, const void *data, size_t len, struct buf *err);
/* Create path with data only if it does not exist yet: the same sequence,
 * but the temp file goes into place with link(), which fails on a path
 * that exists, also one created while this writes: never a replacement.
 * 1 created, 0 existed, -1 error. */
int write_new_file(const char *path, const void *data, size_t len, int mode, struct buf *err);

#endif
