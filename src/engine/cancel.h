/*
 * cancel.h - the cancel engine (cancel): signal runs on their workers, all
 * of a worker's runs in one connection (ros_cancel_many in
 * src/remote/lib.sh, up to 32 at a time so that their grace periods
 * overlap; scancel for Slurm workers), then, under the lock, each run still
 * as it was seen becomes cancelled.  A dispatching run's claim is revoked
 * on the worker unless it was launched: it can never start after this.
 */
#ifndef ROS_CANCEL_H
#define ROS_CANCEL_H

#include <jansson.h>
#include "exec/batch.h"
#include "store/registry.h"

struct cancel {
	const char *root;
	long long grace;	/* seconds between SIGTERM and SIGKILL */
	json_t *result;		/* id -> {result: terminated | killed | notrunning | pending |
				 * dequeued | notsubmitted | noworker | unreachable | error, reason} */
	json_t *snap;		/* id -> {status, attempt, token} seen before signalling */
	struct batches bs;
	struct buf *lines;	/* per batch: its ros_cancel_many lines */
	size_t *nlines, alloc, most;
	char now[32];
};
#define CANCEL_INIT { NULL, 10, NULL, NULL, BATCHES_INIT, NULL, NULL, 0, 0, "" }

void cancel_init(struct cancel *c, const char *root, long long grace);
/* Cancel run r (pending, dispatching or running; reg: its worker's). */
void cancel_add(struct cancel *c, struct registry *reg, json_t *r);
/* Signal, collect what the workers said, mark the runs cancelled.  0, or
 * -1 with err (the queue could not be written). */
int cancel_run(struct cancel *c, struct buf *err);
void cancel_release(struct cancel *c);

#endif
