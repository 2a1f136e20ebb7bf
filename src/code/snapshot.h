/*
 * snapshot.h - the code of an experiment as the user sees it: a
 * content-addressed snapshot of a work tree.
 *
 * What is in it.  In a git work tree: every tracked file at its
 * working-tree content, plus the untracked files git does not ignore (git
 * ls-files -c -o --exclude-standard, run in the tree: a tree that is a
 * subdirectory of a repository gives its own files).  Outside git: every
 * file.  Either way, files matched by a `.rosignore` (gitignore syntax, in
 * any directory of the tree) are left out, tracked ones too.  A tracked
 * file deleted from the working tree is not in it.
 *
 * Each entry is a regular file (mode 0644, or 0755 when any execute bit is
 * set) or a symbolic link (its target as written).  Nothing outside the
 * tree is followed: a link whose target is absolute or climbs out of the
 * tree, a directory where git lists a file (a submodule), a device or a
 * FIFO is left out and said in `skipped`, with why.
 *
 * Identity.  A file's content has the SHA-256 of its bytes (a link's: of
 * its target); the manifest is one record "T HASH PATH\0" per entry, T
 * being f (file), x (executable) or l (link), sorted by the path's bytes;
 * the snapshot's id is the SHA-256 of the manifest.  The same tree gives
 * the same id on any machine; any change of a path, a mode or a byte gives
 * another.
 *
 * The root keeps its own copy (.ros/snap/): contents under blobs/HASH
 * (read-only, each written once with link(): never a partial file under a
 * hash's name), manifests under trees/ID, and a stat cache per work tree
 * under cache/ (size, mtime, ctime and inode of each file with its hash, as
 * git's index), so an unchanged file is not read again.  A file changed in
 * the second its cache entry was written is read again (the racy case).
 */
#ifndef ROS_SNAPSHOT_H
#define ROS_SNAPSHOT_H

#include <jansson.h>

#include "util/util.h"

#define SNAP_HASH_HEX 64
#define SNAP_MAX_MB_DEFAULT 200

struct snap_file {
	char *path;			/* relative to the tree, '/'-separated */
	char type;			/* 'f', 'x' or 'l' */
	char hash[SNAP_HASH_HEX + 1];
	long long size;			/* bytes (a link: its target's length) */
	long long mtime;		/* seconds, as lstat saw it (not in the id) */
};

struct snapshot {
	char id[SNAP_HASH_HEX + 1];
	char *workdir;			/* the tree, resolved (realpath) */
	struct snap_file *f;		/* sorted by path */
	size_t n, alloc;
	long long bytes;		/* of every entry */
	size_t executables, links;
	size_t read;			/* files read (not known from the cache) */
	int in_git;
	char *commit, *branch;		/* NULL when not in git, or no commit yet
					 * (branch NULL: a detached HEAD) */
	int dirty;			/* tracked files differ from HEAD */
	size_t untracked;		/* untracked files in the snapshot */
	struct strv skipped;		/* "PATH: why" */
};
#define SNAPSHOT_INIT { .skipped = STRV_INIT }

struct snap_opts {
	const char *root;		/* the ros root: .ros/snap/ is kept there */
	const char *workdir;		/* the tree */
	long long max_bytes;		/* refuse a larger snapshot (0: the default, 200 MB) */
	int no_git;			/* every file, as outside git (data: often ignored by git) */
};

/*
 * Take the snapshot of o->workdir into s, storing what the root lacks.
 * -1 with err (not a directory, git missing or failing, a file unreadable,
 * over max_bytes: the largest paths are named) and nothing changed but
 * contents already stored.
 */
int snapshot_take(const struct snap_opts *o, struct snapshot *s, struct buf *err);
void snapshot_release(struct snapshot *s);
/* Forget the stat cache of a tree (s->workdir): its next snapshot reads
 * every file.  For a content found missing from blobs/. */
void snapshot_forget(const char *root, const char *workdir);

/* {id, workdir, files, bytes, executables, links, code: {snapshot, commit,
 * branch, dirty, untracked}, skipped: [...]}, with files: [{path, type,
 * size, hash}] when with_files.  New reference. */
json_t *snapshot_json(const struct snapshot *s, int with_files);

/* What a run entry records: {snapshot, commit, branch, dirty, untracked}.
 * New reference. */
json_t *snapshot_code(const struct snapshot *s);

/* The full id of the snapshot the root keeps whose id starts with prefix
 * (at least 6 hex digits); NULL with err when none or several.  New string. */
char *snapshot_resolve(const char *root, const char *prefix, struct buf *err);
/* Rebuild snapshot id's tree into dir (created; it must not exist or be
 * empty) from the root's copy: files with their modes, links.  -1 with err. */
int snapshot_export(const char *root, const char *id, const char *dir, struct buf *err);
/* Read the manifest of snapshot id the root keeps into s (id, f, n,
 * executables, links; sizes 0, no git facts: the manifest holds neither),
 * checked against its id.  -1 with err. */
int snapshot_load(const char *root, const char *id, struct snapshot *s, struct buf *err);

/* A path for messages and listings: valid UTF-8, a newline shown as \n
 * (fprintf_term escapes the rest).  New string. */
char *snap_shown(const char *path);

/* The SHA-256 of data, as 64 lowercase hex digits. */
void sha256_hex(const void *data, size_t len, char out[SNAP_HASH_HEX + 1]);

#endif
