/*
 * pipeline.h - the results of one project, end to end: collect the metrics
 * still missing (collect_missing(), one batch per worker), refresh the
 * runs' evidence files, summarise each phase and all together
 * (summary_build(), compared with project.yaml's target and the reference
 * values) and write the summaries.  `results` prints what this returns
 * (print.h); `publish` renders it (publication.h).
 *
 * Files (under research/<project>/evidence/; each written only when its
 * content changed, so a second call with nothing new writes nothing):
 *   runs/<run_id>.json                 one per finished, collected run
 *   summary.json  summary.csv  summary.md
 *   summary_per_seed.csv  summary_per_seed.md   one row per run (per --over value)
 *   phases/<phase>/summary*.{json,csv,md}       the same for each phase
 * summary.json is summary_build()'s summary (summary.h); its generated_at
 * changes only when something else did.
 */
#ifndef ROS_RESULTS_PIPELINE_H
#define ROS_RESULTS_PIPELINE_H

#include <jansson.h>

#include "util/util.h"

struct results_opts {
	const char *project;		/* required */
	const char *phase;		/* only this phase (NULL: all, and each phase) */
	const struct strv *metrics;	/* --metric; NULL/empty: see summary.h */
	const char *direction;		/* --direction */
	const char *over;		/* NULL: "seed" */
	const struct strv *group_by;	/* NULL: every param but over */
	int no_collect;			/* do not fetch missing metrics */
	int recollect;			/* fetch again the runs whose parser failed */
	int no_write;			/* compute only (write nothing) */
};

struct results {
	/* [{"scope": "all"|"phase", "phase": NAME, "dir": "research/p/evidence[/phases/X]",
	 *   "n_runs": n, "summary": {...} or null, "why": "no run has metrics yet"}] */
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

/* The scope of res a publication rests on: the phase's, or with phase
 * NULL all the runs' (borrowed; NULL when there is none). */
const json_t *results_scope(const struct results *res, const char *phase);

/* The path part for a phase name: [A-Za-z0-9_.-] kept, others '_'. New string. */
char *phase_dirname(const char *phase);

#endif
