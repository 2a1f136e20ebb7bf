/*
 * slurm.h - workers of `kind: slurm`: a Slurm cluster reached through its
 * login node (the worker's `ssh:` block; without one, Slurm's commands run
 * on this machine).  The worker-side half is src/remote/slurm.sh.
 *
 * Registry entry:
 *   kind: slurm
 *   workspace: /shared/me/ros        (on a filesystem the compute nodes share)
 *   max_jobs: 50                      (runs of this worker in Slurm at once; unset: no limit)
 *   slurm: {partition, account, time, gres, cpus_per_task, mem, qos,
 *           extra_args, conf}
 * Every value goes to sbatch as exactly one argument (`--partition=VALUE`);
 * extra_args is split into words like a shell would (quotes, backslashes)
 * but nothing is expanded or evaluated.  `conf` is exported as SLURM_CONF
 * on the login node.
 *
 * How a run's Slurm job maps onto ros (slurm_settle):
 *   PENDING, RUNNING, ... (not ended)     -> running (slurm_state noted)
 *   CANCELLED                             -> cancelled
 *   COMPLETED, FAILED, OUT_OF_MEMORY, ... -> done / failed with the exit code:
 *                                            the exit-code file when present, else Slurm's
 *   TIMEOUT, DEADLINE                     -> failed
 *   NODE_FAIL, PREEMPTED, BOOT_FAIL       -> stale (re-queued per max_retries)
 *   unknown to Slurm                      -> done / failed from the exit-code file, else stale
 *   no job for this attempt               -> not started (a dispatching run goes back to pending)
 *   a claim being submitted               -> launching (left alone until its lease is over)
 *   squeue failed                         -> unreachable (the runs are left as they are)
 */
#ifndef ROS_SLURM_H
#define ROS_SLURM_H

#include <jansson.h>
#include "exec/remote.h"
#include "store/registry.h"

/* How many more runs w may have in Slurm, given `active` already there. */
int slurm_free_jobs(const struct worker *w, int active);

/* Split s into words: blanks separate, '...' and "..." quote, a backslash
 * escapes the next character (inside "..." only before " and \).  No
 * expansion of any kind.  0, or -1 with the reason in err. */
int slurm_split_args(const char *s, struct strv *out, struct buf *err);

/* The sbatch options of w, one argument each (for ros_slurm_opts).
 * 0, or -1 with the reason in err (a bad value: control characters, an
 * unterminated quote in extra_args). */
int slurm_sbatch_opts(const struct worker *w, struct strv *out, struct buf *err);

/* Check w's Slurm fields (the same rules as slurm_sbatch_opts). */
int slurm_check(const struct worker *w, struct buf *err);

/* Add the Slurm library to a script opened for w (script_begin, batch.h,
 * does this). */
void slurm_script_lib(struct script *s, const struct worker *w);
/* Add ros_slurm_opts with w's sbatch options; w passed slurm_check(). */
void slurm_script_opts(struct script *s, const struct worker *w);
/* Before w's ros_sbatch calls: its sbatch options, and the run
 * directories of the runs in claimed that go to w, made at once. */
void slurm_script_submit_begin(struct script *s, const struct worker *w, const json_t *claimed);

/* Calls for runs (entries of this worker; ids passed run_ids_ok()):
 * one ros_slurm_probe for all of them (lines: log lines per run; revoke:
 * run id -> claim token of dispatching runs whose claim is to be revoked
 * unless submitted, or NULL), and
 * ros_slurm_cancel / ros_slurm_logs for one. */
void slurm_script_probe(struct script *s, const json_t *runs, int lines, const json_t *revoke);
void slurm_script_cancel(struct script *s, const json_t *r, const char *token);
void slurm_script_logs(struct script *s, const json_t *r, const char *lines, int follow);

/* ros_slurm_status: the partition's state (sinfo) and how many of
 * job_ids (strings) are pending and running. */
void slurm_script_status(struct script *s, const struct worker *w, const json_t *job_ids);

/* Slurm's "CODE:SIGNAL" as a shell would report it (128 + signal when
 * killed); -1 if it does not parse. */
int slurm_exit_code(const char *s);

/* A probe record of ros_slurm_probe, already read into pr by the generic
 * parser ("state" = Slurm's state, "pid" = job id, "code", "started",
 * "ended"), plus Slurm's exit code and reason: rewrite pr into what
 * check-runs applies: "state" running | exited | vanished | cancelled |
 * notstarted, "reach", "code", "why", "must_fail", "slurm_state",
 * "slurm_job_id", "slurm_reason"; "pid" becomes "0". */
void slurm_settle(json_t *pr, const char *slurm_exit, const char *reason);

/* On a run entry r: note the Slurm facts of probe pr (slurm_state,
 * slurm_job_id).  1 if r changed. */
int slurm_note(json_t *r, const json_t *pr);

#endif
