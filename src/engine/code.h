/*
 * code.h - a dispatch's code step (between the claim and the launches,
 * engine/dispatch.h): each claimed run's tree snapshotted (code/snapshot.h,
 * once per tree), what each worker lacks of it sent (code/send.h) in one
 * upload per worker and snapshot over the worker's connection, and the
 * tree made on the worker by the first call of its batch, before the
 * launches, which refuse to start a run whose tree is not there.
 *
 * A run's tree is its own `workdir` (add-run --workdir), else its
 * project's code.workdir; a run with neither has no snapshot.  The run's
 * copy gets `code: {snapshot, commit, branch, dirty, untracked}`, which the
 * entry records when the run starts.
 *
 * A project's `setup:` lines (code/code.h) go to each worker once per key,
 * with the run's launch: the run's script passes the set-up's gate on the
 * worker (ros_put_setup in lib.sh) before it starts, which runs the lines
 * once, serialised, and fails every run of a set-up that failed, with its
 * reason.  The key is in the copy's code.setup.
 */
#ifndef ROS_ENGINE_CODE_H
#define ROS_ENGINE_CODE_H

#include <jansson.h>

#include "code/code.h"
#include "code/send.h"
#include "engine/launch.h"
#include "exec/batch.h"

struct code_tree {
	char *workdir;		/* as the run names it */
	int data;		/* a data entry's tree (no git) */
	struct snapshot s;
	char *error;		/* why there is no snapshot, or NULL */
};

struct code_project {
	char *id;
	struct code_settings cs;
	char *error;		/* project.yaml does not read */
};

struct code_upload {
	struct batch *b;
	struct snap_send ss;
	struct proc p;
};

struct codes {
	struct code_tree **t;	/* pointers: a tree stays where it is as more come */
	size_t nt, at;
	struct code_upload *u;
	size_t nu, au;
	struct code_project *p;
	size_t np, ap;
	struct strv setups;	/* "WORKER KEY" of set-ups put in a batch already */
	struct strv held;	/* "WORKER ID": snapshots the root's record says a worker holds */
};
#define CODES_INIT { NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, STRV_INIT, STRV_INIT }

/* Snapshot the tree of every claimed run that has one; set its "code".  A
 * run whose tree cannot be snapshotted gets its outcome in o ("error",
 * why: it goes back to pending with the reason) and "code_error" in its
 * copy, and is not to be launched.  Prints one line per failed tree. */
void code_prepare(struct codes *c, const char *root, json_t *claimed, struct outcome *o);
/* For run r (launched by batch b): what b's worker lacks of r's snapshot,
 * planned once per worker and snapshot, its unpack the next call of b;
 * its set-up's lines, once per worker and key; and, for a run the root
 * holds a checkpoint of (engine/pull.h), that checkpoint (its copy gets
 * "resume": {attempt, taken_at, worker_id}). */
void code_add(struct codes *c, const char *root, struct batch *b, json_t *r);
/* Send every planned upload, all workers at once. */
void code_send(struct codes *c, int timeout_ms);
/* After the batches ran: the root's record of what each worker holds, and
 * a launch refused for a missing tree said in words. */
void code_gather(struct codes *c, struct batches *bs, const char *root, struct outcome *o);
void codes_release(struct codes *c);

#endif
