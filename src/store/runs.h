/*
 * runs.h - state transitions of run entries (ARCHITECTURE §5).
 *
 *   pending -> dispatching -> running -> done | failed
 *   stale (worker gone, or process vanished without an exit code): back to
 *   pending with attempt + 1 while attempt < max_retries
 *   cancelled (by `ros cancel`)
 *
 * These functions change one entry (a json object from queue_obj) and the
 * caller queue_touch()es it; they never do I/O.
 */
#ifndef ROS_RUNS_H
#define ROS_RUNS_H

#include <jansson.h>

/* Statuses in which a run occupies a worker slot. */
int run_is_active(const char *status);		/* dispatching, running */
int run_is_finished(const char *status);	/* done, failed, cancelled, stale */

/* Mark run stale (why: "worker gone", "process vanished", ...) at time now;
 * then, if attempt < max_retries, put it back to pending with attempt + 1
 * (the previous attempt is kept in "attempts").  Returns 1 if re-queued. */
int run_mark_stale(json_t *run, const char *why, const char *now);
/* Keep a record of the current attempt in run["attempts"] and clear the
 * per-attempt fields (worker_id, pid, log_path, started_at, ...). */
void run_archive_attempt(json_t *run, const char *final_status);
/* Back to pending from dispatching, nothing having started: the claim,
 * worker, slot and GPUs are dropped; the attempt stays. */
void run_unclaim(json_t *run, const char *now);
/* Set status and updated_at. */
void run_set_status(json_t *run, const char *status, const char *now);
long long run_attempt(const json_t *run);
/* A run the Python ros.py dispatched: it has a pid but no attempt (ros
 * always sets one when it claims a run).  Its worker side has no attempt
 * file of ros's: src/remote/lib.sh takes the attempt word "py" for it. */
int run_from_old_tool(const json_t *run);
/* The attempt as worker functions take it: its number, or "py". */
void run_attempt_word(const json_t *run, char out[24]);
/* The pid the entry records, as a plain number ("0" when none). */
void run_pid_word(const json_t *run, char out[24]);
long long run_max_retries(const json_t *run);

#endif
