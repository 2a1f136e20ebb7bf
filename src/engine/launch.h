/*
 * launch.h - steps 2 and 3 of a dispatch (engine/dispatch.h): the launch
 * calls of claimed runs in their workers' batches, what the workers said,
 * and the runs' entries changed accordingly under the lock.
 *
 * The worker side is ros_launch (src/remote/lib.sh) or ros_sbatch
 * (slurm.sh), which starts a claim at most once, and never after its lease
 * or its revocation.  Each claimed run that still holds our claim becomes
 * `running` (pid, log path), or goes back to `pending` when nothing can
 * have started: the worker refused, or the connection failed before the
 * script reached it.  When the outcome is unknown (the link dropped, a
 * deadline), the run stays `dispatching` with its claim released, and
 * check-runs settles it from the worker.
 */
#ifndef ROS_LAUNCH_H
#define ROS_LAUNCH_H

#include <jansson.h>
#include "exec/batch.h"
#include "store/queue.h"

struct outcome {
	json_t *by_run;		/* run id -> {"state", "pid", "code", "worker", "token", ...} */
	char now[32];
};

/* Add the launch of claimed run r to its worker's batch b: its run.json,
 * its run.sh and ros_launch (ros_sbatch for Slurm; claimed: every run
 * claimed, for the Slurm batch's set-up). */
void launch_add(struct batch *b, json_t *r, const json_t *claimed);
/* What b's worker said of each of its runs, into o->by_run: its launch
 * record, or "unreachable" when the script surely never reached the worker,
 * or "unknown" (it may have started). */
void launch_gather(struct batch *b, const char *root, struct outcome *o);
/* A queue_fn (queue_update) applying o to the runs that still hold the
 * claim they were launched with. */
int launch_record(struct queue *q, void *arg, struct buf *err);

#endif
