/*
 * tar.h - a tar archive written into memory: POSIX ustar headers, with
 * GNU's long-name records ('L', 'K') for names and link targets over 100
 * bytes, as GNU tar, busybox and bsdtar read them.  Regular files and
 * symbolic links only; owner 0, no user or group names.  Any byte but NUL
 * may be in a name (a newline too).
 */
#ifndef ROS_TAR_H
#define ROS_TAR_H

#include "util/util.h"

/* A regular file name (mode 0644 or 0755) with len bytes of data. */
void tar_file(struct buf *b, const char *name, int mode, long long mtime, const void *data, size_t len);
/* A symbolic link name -> target. */
void tar_symlink(struct buf *b, const char *name, const char *target, long long mtime);
/* The end of the archive: two zero blocks. */
void tar_end(struct buf *b);

#endif
