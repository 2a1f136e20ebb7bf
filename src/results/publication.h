/*
 * publication.h - what `ros publish` makes of a scope's summary
 * (pipeline.h): a paper table (LaTeX booktabs) and one SVG figure per
 * metric, and a blog post (blog.h); each written unless its file was
 * edited since ros wrote it (published.h), and each recorded in
 * queues/publication_queue.json.
 *
 * Outputs, relative to the root (SUFFIX: "_" and phase_dirname() of the
 * phase, for one phase):
 *   research/P/paper/tables/resultsSUFFIX.tex    label tab:results[-PHASE]
 *   research/P/paper/figures/METRICSUFFIX.svg    METRIC with [A-Za-z0-9_.-] kept
 *   research/P/blog/DATE-SLUG-results[-phase-SLUG].md   see blog.h
 *
 * A publication queue entry per output path: {"id": "pub...",
 * "project_id", "status": "written", "priority": 10, "kind": "paper" or
 * "blog", "trigger": "results", "source_evidence": [the summary.json],
 * "output_path", "phase" (for one phase), "created_at", "updated_at"};
 * updated_at moves when the output was written again or its entry changed.
 */
#ifndef ROS_RESULTS_PUBLICATION_H
#define ROS_RESULTS_PUBLICATION_H

#include <jansson.h>

#include "util/util.h"

struct pub_output {
	char *rel;		/* relative to the root */
	char *data;
	const char *kind;	/* paper, blog */
	const char *what;	/* table, figure, post */
	const char *result;	/* after publication_write(): see published_put() */
};

struct publication {
	const char *root, *project, *phase;
	const json_t *summary;	/* the scope's (borrowed) */
	char *source;		/* the summary.json the outputs rest on (relative) */
	json_t *published;	/* published_load() */
	struct pub_output *out;
	size_t n, alloc;
	size_t refused;		/* after publication_write() */
	char now[32];
};

/* Start a publication of scope (results_scope(); phase NULL: all the
 * runs).  0, or -1 with err set when the scope has no summary ("nothing to
 * publish for P: why"). */
int publication_init(struct publication *p, const char *root, const char *project, const char *phase,
		     const json_t *scope, struct buf *err);
void publication_release(struct publication *p);

/* Add an output (rel and data are taken). */
void publication_add(struct publication *p, const char *kind, const char *what, char *rel, char *data);

/* Add the table (rows and cols: write_latex()'s pivot; rows NULL or empty
 * and cols NULL: flat) and a figure per metric that has a mean (the others
 * are said with info()).  0, or -1 with err set (the table cannot be made). */
int publication_paper(struct publication *p, const struct strv *rows, const char *cols, struct buf *err);

/* The file name of the figure of metric ("mse.svg", "mse_B.svg"). New string. */
char *publication_figure_name(const struct publication *p, const char *metric);

/* Write every output (published_put(), force as there), save
 * published.json, record what was written in the publication queue.
 * p->refused counts the outputs left as edited.  0, or -1 with err set. */
int publication_write(struct publication *p, int force, struct buf *err);

/* The outputs: [{"output_path", "kind", "what", "result", "source_evidence"}].
 * New array. */
json_t *publication_json(const struct publication *p);

#endif
