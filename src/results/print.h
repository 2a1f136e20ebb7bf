/*
 * print.h - a project's results (pipeline.h) for people and for programs:
 * what `ros results` prints, as text on a terminal or as the --json object,
 * both from the same struct results.
 *
 * Numbers on the terminal, as in the tables of write.h: 4 decimals, never
 * "-0.0000" (wr_fixed()).
 */
#ifndef ROS_RESULTS_PRINT_H
#define ROS_RESULTS_PRINT_H

#include <jansson.h>
#include <stdio.h>

#include "results/pipeline.h"

/* "9 runs: 0 done with metrics, 9 failed (exit 2: 9), 0 without metrics"
 * (then " (1 with metrics_error, 1 not collected)" and the other statuses:
 * ", 1 pending, 4 cancelled") and a newline, indented by indent. */
void results_counts_line(FILE *f, const json_t *counts, int indent);

/* Print a summary as an aligned table (config keys, n, "mean ± std" per
 * metric with its direction's arrow, the best marked " *", reference and
 * difference columns when there are reference values); a config value
 * longer than 60 columns is cut in the middle (the files hold it whole). */
void summary_print(FILE *f, const json_t *summary, int indent);

/* The project's results as text: with multi a "== project ==" heading,
 * the counts line, each scope (a phase holding every run is shown once:
 * its table is all phases'), its table, best and target, then what was
 * written. */
void results_print(FILE *f, const char *project, const struct results *res, int multi);

/* The same as one object: {"project_id", "scopes", "written", "notes",
 * "collected", "counts"}.  New object. */
json_t *results_json(const char *project, const struct results *res);

#endif
