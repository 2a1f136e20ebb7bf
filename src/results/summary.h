/*
 * summary.h - the results of one project, end to end: collect the metrics
 * still missing (one batch per worker), refresh the runs' evidence files,
 * aggregate per phase and all together, compare with the project's target
 * and reference values, and write the summaries.  `results` prints what
 * this returns; `publish` renders it.
 *
 * Files (under research/<project>/evidence/; each written only when its
 * content changed, so a second call with nothing new writes nothing):
 *   runs/<run_id>.json                 one per finished, collected run
 *   summary.json  summary.csv  summary.md
 *   summary_per_seed.csv  summary_per_seed.md   one row per run (per --over value)
 *   phases/<phase>/summary*.{json,csv,md}       the same for each phase
 * summary.json is aggregate_runs()'s summary (aggregate.h) plus:
 *   "project_id", "scope" ("all" or "phase"), "target" (project.yaml's
 *   target, compared with the best mean when target_value is a number),
 *   "protocol" (what the runs share: commands, parser, constant params),
 *   "n_failed", "cost_usd", "params_from_commands" (how the runs without
 *   params were grouped: params.h's info, when there are any),
 *   "grouping_warnings" (when the grouping may not be what the runs ran:
 *   commands read whole, a mix kept apart, one configuration holding runs of
 *   sweeps of different commands; also in "warnings"), and "results": one
 *   flat row per configuration
 *   in the style of the hand-made summaries (config keys, n_seeds,
 *   <m>_mean, <m>_std, <m>_min, <m>_max, <m>_ref, <m>_delta, seeds,
 *   per_seed).  Its generated_at changes only when something else did.
 *
 * Which metrics: --metric when given (the first one is the primary); else
 * every metric the runs reported except their sweep params and the --over
 * key (the default key=value parser also picks up "seed=1 horizon=96"), the
 * runs' target_metric first.  Direction of the primary: --direction, else
 * the target_direction of the runs whose target_metric it is, else
 * project.yaml's target.direction, else by its name as for the others:
 * higher for names made of words like acc, f1, auc, bleu, score, reward,
 * else lower.
 */
#ifndef ROS_RESULTS_SUMMARY_H
#define ROS_RESULTS_SUMMARY_H

#include <jansson.h>

#include "util/util.h"

struct results_opts {
	const char *project;		/* required */
	const char *phase;		/* only this phase (NULL: all, and each phase) */
	const struct strv *metrics;	/* --metric; NULL/empty: see above */
	const char *direction;		/* --direction */
	const char *over;		/* NULL: "seed" */
	const struct strv *group_by;	/* NULL: every param but over */
	int no_collect;			/* do not fetch missing metrics */
	int recollect;			/* fetch again the runs whose parser failed */
	int no_write;			/* compute only (write nothing) */
};

struct results {
	/* [{"scope": "all"|"phase", "phase": NAME, "dir": "research/p/evidence[/phases/X]",
	 *   "summary": {...} or null, "why": "no run has metrics yet"}] */
	json_t *scopes;
	json_t *runs;			/* the project's run entries after collection */
	struct strv written;		/* files written, relative to the root */
	size_t n_files;			/* files looked at (written or not) */
	size_t n_collected;		/* runs whose metrics were fetched now */
	size_t n_parse_failed;		/* of those, done runs whose parser failed */
	size_t n_not_collected;		/* finished runs still without metrics */
	struct strv notes;		/* things worth telling (unreachable worker, ...) */
	/* the runs (of the phase, with o->phase) by what became of them:
	 * {"runs": n, "done_with_metrics": n, "failed": n,
	 *  "failed_exit": {"2": n, "?": n (no exit code)}, "without_metrics": n
	 *  (done, no metrics), "metrics_error": n, "not_collected": n (of
	 *  those), "other": {"pending": n, "cancelled": n, ...}} */
	json_t *counts;
};
#define RESULTS_INIT { NULL, NULL, STRV_INIT, 0, 0, 0, 0, STRV_INIT, NULL }

/* Do it all (see above).  0, or -1 with err set (an unreadable queue, a
 * file that cannot be written).  A project without metrics is not an
 * error: its scopes have a null summary and a "why". */
int results_build(const char *root, const struct results_opts *o, struct results *res, struct buf *err);
void results_release(struct results *res);

/* "9 runs: 0 done with metrics, 9 failed (exit 2: 9), 0 without metrics"
 * (then " (1 with metrics_error, 1 not collected)" and the other statuses:
 * ", 1 pending, 4 cancelled") and a newline, indented by indent. */
void results_counts_line(FILE *f, const json_t *counts, int indent);

/* Print a summary as an aligned table (config keys, n, "mean ± std" per
 * metric with its direction's arrow, the best marked " *", reference and
 * difference columns when there are reference values); a config value
 * longer than 60 columns is cut in the middle (the files hold it whole). */
void summary_print(FILE *f, const json_t *summary, int indent);

/* A scalar of research/<project>/project.yaml ("title", "target.claim"),
 * NULL when absent, empty or unreadable.  New string. */
char *project_yaml_str(const char *root, const char *project, const char *dotted);

/* For project-status: {"done": n, "failed": n, "spend_usd": sum of the
 * runs' cost_usd (when any has one), "best", "target", "results_at" (from
 * the last evidence/summary.json)}.  Parses only the entries that carry a
 * cost.  NULL with err set when the run queue is unreadable. */
json_t *results_brief(const char *root, const char *project, struct buf *err);
/* "9 done, 1 failed, spend $0.12; best mse 0.3422 ± 0.0007 (lam=0.01) vs
 * target <= 0.4000: met" and a newline. */
void results_brief_line(FILE *f, const json_t *brief);

/* The path part for a phase name: [A-Za-z0-9_.-] kept, others '_'. New string. */
char *phase_dirname(const char *phase);

#endif
