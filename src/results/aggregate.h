/*
 * aggregate.h - group runs by configuration and summarise their metrics
 * over seeds; load reference (paper) values from CSV.
 *
 * Pure functions over jansson values: no files, no clock (the caller passes
 * the time to stamp).  Returned json_t * are new references (the caller
 * decrefs); const json_t * arguments are borrowed and left untouched.
 *
 * Input: a JSON array of run records, e.g. entries of run_queue.json:
 *
 *   {"id": "r1a2b3c4", "status": "done", "phase": "B",
 *    "params": {"dataset": "ETTh1", "lambda_se": 0.01, "seed": 1},
 *    "metrics": {"mse": 0.3883, "mae": 0.4116},
 *    "metrics_text": {"mse": "0.3883", "mae": "0.41160"}}   (optional)
 *
 * Which runs count:
 *   - with opts->phase set, only runs whose "phase" equals it;
 *   - only runs whose "status" is "done" (or that have no status), unless
 *     opts->any_status;
 *   - only runs having at least one selected metric (a number, a numeric
 *     string such as "0.420", or null = not finite).
 * Runs left out for the last two reasons are counted in n_skipped and named
 * in warnings.
 *
 * Grouping.  A run's configuration is its params minus the `over` key
 * ("seed" by default), restricted to opts->group_by when given (else every
 * param key seen, in order of first appearance).  Values compare by value
 * when both are numbers or numeric strings (1, 1.0 and "1" are the same;
 * "0.10" equals 0.1), otherwise by their text in natural order (strverscmp:
 * ETTh2 < ETTh10); a missing key sorts first.  Groups are sorted in that
 * order, key by key, and so are the runs of a group by their `over` value.
 * A group's label names the keys it has ("dataset=ETTh1, lambda_se=0.01";
 * a key it lacks is left out, "without dataset" when it has none; "all"
 * when there are no keys); its config holds null for a key it lacks.
 * Two runs of one group with the same `over` value (a rerun of one seed):
 * the later one in the input wins, the other is named in warnings.  Runs
 * without the `over` key are all kept and keyed by run id.
 *
 * Statistics per group and metric over the finite values: n, mean, sample
 * standard deviation (n - 1 in the denominator; computed in two passes with
 * a compensated sum, and exactly 0 when all values are equal), min, max.
 * For n = 1 the std is null, not 0: one run says nothing about spread, and a
 * 0 would read as "deterministic" (which identical values over 3 seeds do
 * show, as 0).  n = 0 gives nulls.  Values that were null (non-finite) are
 * counted in "nonfinite" (present only when > 0) and left out of the stats.
 *
 * Output (a summary):
 *   {"metric": "mse", "direction": "lower",
 *    "directions": {"mse": "lower", "mae": "lower"},
 *    "metrics": ["mse", "mae"], "over": "seed", "group_by": ["dataset", ...],
 *    "phase": "B",                         (only when filtered)
 *    "n_runs": 9, "n_skipped": 0, "n_groups": 3, "generated_at": "...",
 *    "groups": [{"config": {"dataset": "ETTh1", ...},
 *                "label": "dataset=ETTh1, lambda_se=0.01",
 *                "n": 3, "seeds": [1, 2, 3], "run_ids": ["r..", ..],
 *                "per_seed": {"1": {"mse": 0.38, "mae": 0.41}, ...},
 *                "per_seed_text": {"1": {"mae": "0.4100"}, ...},   (when known)
 *                "stats": {"mse": {"n": 3, "mean": .., "std": .., "min": ..,
 *                                  "max": ..}, ...},
 *                "reference": {"mse": 0.386}, "delta": {"mse": 0.002},
 *                "beats": {"mse": false}}, ...],
 *    "best": {"metric": "mse", "direction": "lower", "group": 2, "label": ..,
 *             "config": {..}, "mean": .., "std": .., "n": 3},  (or null)
 *    "best_per_metric": {"mse": 2, "mae": 0},
 *    "warnings": ["..."]}
 * "best" is the group with the lowest (or highest) mean of the primary
 * metric; on a tie the first in group order.  per_seed is keyed by the
 * `over` value as text (by run id for runs without it); per_seed_text, by
 * the same keys, holds the values as the log wrote them: the run's
 * metrics_text where it reads as the value (metric_text(), metrics.h).
 *
 * References: rows as returned by reference_load_csv().  Columns named like
 * a selected metric hold reference values; every other column is a key.  A
 * row applies to a group when each of its non-empty key cells equals the
 * value that all the group's runs share for that param (strings compared
 * without regard to case); a key column that no aggregated run has as a
 * param is a note and is ignored; an empty cell matches anything.  Per
 * metric, the matching row with the most compared keys wins (ties: the first,
 * with a warning if they disagree).  Then reference = that value, delta =
 * mean - reference, beats = mean < reference for "lower" (> for "higher").
 */
#ifndef ROS_RESULTS_AGGREGATE_H
#define ROS_RESULTS_AGGREGATE_H

#include <jansson.h>

#include "util/util.h"

struct agg_opts {
	const struct strv *metrics;	/* metrics to summarise; NULL/empty: all seen */
	const char *metric;		/* primary metric (for best); NULL: the first */
	const char *direction;		/* "lower" (default) or "higher" (agg_direction_norm()) */
	const json_t *directions;	/* optional {"acc": "higher", ...} per metric */
	const char *over;		/* replicate key; NULL: "seed" */
	const struct strv *group_by;	/* NULL: every param key but `over` */
	const char *phase;		/* keep runs whose "phase" equals this; NULL: all */
	int any_status;			/* also runs whose status is not "done" */
	const json_t *reference;	/* rows from reference_load_csv(), or NULL */
	const char *generated_at;	/* stored as given; NULL: null */
};

/*
 * Summarise runs (a JSON array) as described above (opts NULL: all the
 * defaults).  NULL with *err set when
 * runs is not an array, an option is invalid, the primary metric is found in
 * no run, or no run has any metric at all.
 */
json_t *aggregate_runs(const json_t *runs, const struct agg_opts *opts, struct buf *err);

/*
 * Parse CSV text (RFC 4180: fields separated by ',', optionally in double
 * quotes, "" for a quote inside quotes, line breaks allowed inside quotes,
 * LF or CRLF) into a JSON array of objects keyed by the header row.  Blank
 * lines and lines starting with '#' (outside quotes) are skipped; a leading
 * UTF-8 byte-order mark is skipped; blanks around unquoted fields are
 * trimmed.  An unquoted field that is a finite number becomes a number, an
 * empty field null, anything else a string.  A row with fewer fields than
 * the header gets nulls; one with more is an error.  NULL with
 * "line N: what" in *err on error (unterminated quote, junk after a closing
 * quote, empty or duplicate header name, invalid UTF-8, no header).
 */
json_t *reference_load_csv(const char *text, struct buf *err);

/* ---- helpers shared with the writers ---- */

/* A value as text: strings as they are, 0.1 -> "0.1", 2.0 -> "2", 96 -> "96",
 * true, false, null; objects and arrays as compact JSON.  New string. */
char *agg_value_str(const json_t *v);

/* The natural order of values described above (NULL = missing, first). */
int agg_value_cmp(const json_t *a, const json_t *b);

/* "lower" or "higher": the direction of metric in a summary. */
const char *agg_direction(const json_t *summary, const char *metric);

/* The strings of sv as a new JSON array. */
json_t *agg_strv_json(const struct strv *sv);

/* A direction as users write it: "lower" for lower, min, minimize or
 * minimise, "higher" for higher, max, maximize or maximise (in any case);
 * NULL for anything else and for NULL. */
const char *agg_direction_norm(const char *d);

/* 1 and *out when group's stats for metric has a numeric field (mean, std,
 * min, max, n), else 0. */
int agg_stat(const json_t *group, const char *metric, const char *field, double *out);

#endif
