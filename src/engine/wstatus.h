/*
 * wstatus.h - the health of the workers, for worker-status: one sh -s
 * script per enabled worker, all in parallel (its heartbeat command, its
 * GPUs and live runs, or for a Slurm worker its partition and jobs, and
 * its busy command), read together with the run queue's view of it.
 */
#ifndef ROS_ENGINE_WSTATUS_H
#define ROS_ENGINE_WSTATUS_H

#include <jansson.h>

#include "util/util.h"

/*
 * One row per worker of root's workers.yaml, in its order:
 *
 *	worker_id, kind, worker_pool, enabled, slots, busy_slots (its runs
 *	running or dispatching in the queue), max_jobs (Slurm, when set),
 *	state: "alive", "unhealthy" (its heartbeat, or sinfo, failed),
 *	"DEAD" (no answer within timeout_ms), "disabled" or "invalid"
 *	(its entry does not pass worker_check), error (why DEAD or
 *	invalid), and from an answer: rtt_ms, heartbeat (its output),
 *	slurm {sinfo, sinfo_exit, pending, running}, busy_command_output,
 *	live_runs (the worker's own count), gpus [{name, util_pct,
 *	mem_used_mib, mem_total_mib}] (nvidia-smi's values as text).
 *
 * New array, or NULL with err when workers.yaml does not read.
 */
json_t *worker_status(const char *root, int timeout_ms, struct buf *err);

/* 1 if a row says the worker is in trouble: DEAD or unhealthy. */
int worker_status_bad(const json_t *row);

#endif
