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

/* A member as tar_each reads it. */
struct tar_member {
	char *name;		/* GNU's long name when there is one */
	char type;		/* '0' a regular file, '5' a directory, '2' a link, ... */
	int mode;
	long long mtime;
	const char *data;	/* a regular file's bytes */
	size_t len;
};

/*
 * Read the archive at data[0..len): cb for each member (regular files and
 * others alike: the callback picks), until the end-of-archive blocks or the
 * end of data after a whole member.  Returns the bytes read (the end
 * blocks included), or -1 with err when a header does not read (its
 * checksum, its size) or the data ends inside a member.  A callback that
 * returns -1 stops the reading with -1 (err is its to set).
 */
long long tar_each(const char *data, size_t len, int (*cb)(const struct tar_member *m, void *arg), void *arg,
		   struct buf *err);

/* Write regular file m under dir (which exists) at m->name, made of plain
 * components (no "", ".", ".." nor a leading '/'), creating the
 * directories on the way, never through a symbolic link (each component
 * opened O_NOFOLLOW), replacing a file there (temp + rename).  0, or -1
 * with err. */
int tar_write_under(const char *dir, const struct tar_member *m, struct buf *err);

#endif
