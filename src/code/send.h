/*
 * send.h - a snapshot to a worker, once.
 *
 * The root records, per worker, the snapshots it has confirmed it holds
 * (.ros/snap/workers/<worker id>: the worker's identity, then one id per
 * line, most recent last; a worker whose kind, host, port, user or
 * workspace changed has none).  On the worker a snapshot is a tree
 * <workspace>/.ros/snap/trees/<id>/ of read-only use: a run copies it.
 *
 * What goes to a worker that lacks a snapshot is a tar written by ros: the
 * files of the new tree that differ from the tree of a base (the snapshot
 * it holds with most files in common, by path, mode and content) under
 * t/, and in a member `del` the paths of the base that the new tree lacks
 * or changed (NUL-separated).  The worker builds the tree from the base's
 * hard links (cp -al) and those (ros_snap_unpack in lib.sh), so one changed
 * file in a big tree sends that file.
 *
 * The record is a cache of what the worker said: lost or wrong, it costs a
 * send, never a wrong tree (a launch checks the tree is there, and says
 * snapshot-missing when not; the record is then cleared).
 */
#ifndef ROS_SEND_H
#define ROS_SEND_H

#include "code/snapshot.h"
#include "store/registry.h"

struct snap_send {
	char id[SNAP_HASH_HEX + 1];
	char base[SNAP_HASH_HEX + 1];	/* "" when none */
	char nonce[24];			/* names the upload on the worker */
	struct buf tar;
	size_t files;			/* entries in it */
	long long bytes;		/* content bytes in it */
};
#define SNAP_SEND_INIT { "", "", "", BUF_INIT, 0, 0 }

/* Does the root's record say w holds snapshot id? */
int snap_worker_has(const char *root, const struct worker *w, const char *id);
/* What w lacks of s, as a tar into out.  -1 with err (a content the root
 * no longer keeps). */
int snap_send_plan(const char *root, const struct worker *w, const struct snapshot *s, struct snap_send *out,
		   struct buf *err);
void snap_send_release(struct snap_send *ss);
/* Record that w holds id (has) or does not (!has). */
void snap_worker_note(const char *root, const struct worker *w, const char *id, int has);

#endif
