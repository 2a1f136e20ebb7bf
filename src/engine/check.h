/*
 * check.h - the check engine (check-runs): one process per worker
 * probes all its running and dispatching runs (src/remote/lib.sh
 * ros_probe), then, under the lock, each run still in the state it was
 * probed in moves on:
 *   exit code file        -> done (0) or failed, with exit_code, ended_at
 *   process gone, no code -> stale, re-queued while attempt < max_retries
 *   dispatching, started  -> running (a dispatcher died after the launch)
 *   dispatching, never    -> pending (the probe revoked the claim on the
 *                            worker, so it can never start late)
 * A dispatching run whose claim is in force (store/claim.h: its lease runs
 * and its dispatcher may still be launching it) is left alone, not probed.
 * A worker that does not answer keeps its runs as they are (reported once)
 * until it has been silent for longer than its `unreachable_after`
 * (seconds); a disabled or deleted worker's runs become stale at once —
 * a dispatching run's only once its claim is dead (no launch of it can
 * start any more).  Records a worker prints about runs it was not asked
 * about are ignored (batch_rec_next).
 * A Slurm worker's runs are probed with one ros_slurm_probe for all of
 * them (one squeue); exec/slurm.h maps job states onto these outcomes.
 * A run that finished gets its metrics in the same batch (ros_collect after
 * its probe, results/collect.h), its cost_usd, and its evidence file.
 */
#ifndef ROS_CHECK_H
#define ROS_CHECK_H

#include <jansson.h>
#include "store/registry.h"

#define TAIL_LINES 5	/* log lines a probe brings back */

struct check {
	const char *root;
	struct registry reg;
	json_t *probes;		/* run id -> probe result */
	json_t *report;		/* array of {id, status, ...} for printing */
	json_t *finished;	/* copies of runs that finished: evidence to write */
	int collect_ms;		/* what the parser commands may add to a batch */
	char now[32];
	int active;		/* runs still running or dispatching after the check */
	int pending;		/* pending runs, but those of held pools */
	const struct strv *held;	/* pools a watch no longer feeds */
};

/* Probe every running and dispatching run (a snapshot of the queue read
 * without the lock), then apply what the workers said under the lock, and
 * write the evidence of the runs that finished.  c->report has a row per
 * run probed ({id, status, worker_id, pid, exit_code, tail, metrics, reach,
 * stale_reason, requeued, ...}), c->active and c->pending the counts after.
 * A Ctrl-C (proc_interrupted) leaves the queue as it was.  0, or -1 with
 * err. */
int check_once(struct check *c, struct buf *err);
void check_release(struct check *c);

#endif
