/*
 * summary.h - the summary of one scope of a project's runs (all of them,
 * or one phase): which metrics, which direction, the configurations as
 * aggregate_runs() groups them, and what the aggregation library does not
 * know (the project, its target, the protocol, failures, spend).
 * pipeline.h calls it for each scope and writes what it returns.
 *
 * The summary is aggregate_runs()'s (aggregate.h) plus:
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
 *   per_seed).
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

struct summary_opts {
	const char *project;
	const struct strv *metrics;	/* --metric; NULL/empty: see above */
	const char *direction;		/* --direction (NULL: see above) */
	const char *over;		/* NULL: "seed" */
	const struct strv *group_by;	/* NULL/empty: every param but over */
};

struct scope {
	const char *phase;		/* NULL: all the project's runs */
	const json_t *runs;		/* the scope's run entries */
	const json_t *all_runs;		/* the project's (where sweep templates are) */
	const json_t *target;		/* project_yaml_target(), or NULL */
	const json_t *reference;	/* reference_load_csv() rows, or NULL */
	const char *now;		/* generated_at */
};

/* The summary of the scope (a new object), or NULL and *why (a new string:
 * "no finished run has metrics yet", or what aggregate_runs() said). */
json_t *summary_build(const struct summary_opts *o, const struct scope *s, char **why);

/* summary.md (per_seed: summary_per_seed.md): a heading, a few lines on the
 * runs, the primary metric, the best, the target, failures and spend, the
 * table (write_markdown() or write_seeds_markdown()) and the warnings. */
char *summary_markdown(const json_t *summary, int per_seed);

#endif
