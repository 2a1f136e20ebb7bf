/*
 * collect.h - metrics of finished runs, read on their workers, and the
 * evidence files that record them.
 *
 * This is the I/O side of results: metrics.h parses text, aggregate.h
 * summarises, write.h renders; here the text is fetched (a ros_collect call
 * in the worker's one-process-per-batch script, src/remote/lib.sh, by
 * check-runs for the runs it sees end, by collect_missing() for the rest),
 * parsed, stored in the run entry and written to
 * research/<project>/evidence/runs/<run_id>.json.
 *
 * Fields a collection sets in a run entry (all additive):
 *   metrics           {name: number or null}     the parser succeeded
 *   metrics_text      {name: "0.3990"}           the values as the log wrote
 *                                                them, when the parser knows
 *                                                (metrics.h); for display,
 *                                                the numbers are the values
 *   metrics_warnings  ["..."]                    only when there are any
 *   metrics_error     "..."                      the parser failed (no metrics)
 *   cost_usd          runtime × the worker's dph (when the worker has one)
 * A run with `metrics` or `metrics_error` counts as collected: it is not
 * fetched again (results --recollect fetches the failed ones again).
 */
#ifndef ROS_RESULTS_COLLECT_H
#define ROS_RESULTS_COLLECT_H

#include <jansson.h>

#include "exec/remote.h"
#include "store/registry.h"
#include "util/util.h"

#define COLLECT_DEADLINE 30	/* seconds a parser command may run (ROS_PARSER_TIMEOUT) */

/* The parser command deadline in seconds: ROS_PARSER_TIMEOUT, else 30. */
int collect_deadline(void);

/* 1 if run ran to its end (status done or failed): it may have metrics. */
int run_exited(const json_t *run);

/* 1 if run has been collected (it has metrics or metrics_error). */
int run_collected(const json_t *run);

/*
 * Append the ros_collect call for run to s (a worker's batch script; in
 * check-runs, right after the run's ros_probe: the worker answers only for
 * an attempt that has exited).  Returns the milliseconds the call may take
 * at most beyond a file read (the deadline of a parser command plus its
 * grace, else 0), for the batch's timeout.
 */
int collect_call(struct script *s, const json_t *run);

/*
 * The result of one "collect" record (rec->op is "collect") for run (only
 * its metric_parser is read), a new object: {"state": "notexited"} when the
 * worker had nothing yet (nothing to store), else {"metrics": {...}[,
 * "metrics_text": {...}][, "warnings": [...]]} or {"metrics_error": "..."}.
 */
json_t *collect_result(const json_t *run, const struct rec *rec);

/* Store a result in the run entry (under the lock); 1 if the entry changed. */
int collect_apply(json_t *run, const json_t *result);

struct collect_stats {
	size_t applied;		/* runs whose metrics (or metrics_error) were stored */
	size_t parse_failed;	/* of those, done runs whose parser failed */
};

/*
 * The metrics a project's runs lack: for each of runs (the project's
 * entries, as read) that exited on a worker and is not collected (with
 * recollect, also those whose parser failed), one ros_collect call in its
 * worker's batch (one process per worker); then, under the lock, each
 * result is stored in the entry if it is still in the state it was fetched
 * in, and cost_usd is set where the worker has a dph and the entry has no
 * cost.  no_collect fetches nothing (costs are still set).  What could not
 * be fetched (worker gone, disabled, unreachable, a run id that is not a
 * plain name) is said in notes, one line per reason.  1 if the run queue
 * changed, 0 if not, -1 with err set when it cannot be updated.
 */
int collect_missing(const char *root, const char *project, const json_t *runs, int no_collect, int recollect,
		    struct collect_stats *st, struct strv *notes, struct buf *err);

/* Seconds between started_at and ended_at; -1 when unknown. */
long long run_runtime(const json_t *run);

/* cost_usd = runtime × dph / 3600 (rounded to 1e-6) when dph > 0 and the
 * runtime is known; 1 if the entry changed. */
int run_set_cost(json_t *run, double dph);

/* The evidence of one run (what it ran, where, when, for how much, and what
 * it measured), as research/<p>/evidence/runs/<id>.json holds it: a new
 * object built from the entry alone, so rewriting it is idempotent. */
json_t *run_evidence(const json_t *run);

/* Write the run's evidence file (when its content differs; renamed into
 * place but not fsync'd: it is derived from the entry, and a copy lost in a
 * crash is written again by the next results).  1 written, 0 unchanged, -1
 * with err set. */
int evidence_write_run(const char *root, const json_t *run, struct buf *err);

/* Write data to path atomically unless path already holds exactly that
 * (creating parent folders).  1 written, 0 unchanged, -1 with err set. */
int write_if_changed(const char *path, const char *data, size_t len, struct buf *err);

#endif
