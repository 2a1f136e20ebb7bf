/*
 * blog.h - the blog post of a publication (publication.h): the root's
 * templates/blog/milestone.md (else the one built into ros) filled in from
 * the scope's summary.
 *
 * Path: research/P/blog/DATE-SLUG-results[-phase-PSLUG].md; DATE is the
 * day the post is first written, SLUG the words of project.yaml's title
 * (else the project id) in lowercase joined by '-', about 60 characters at
 * most.  The path is kept in published.json's "posts" (key "all" or
 * "phase:NAME"), so the next post of the same scope rewrites the same file,
 * with the date it had.
 *
 * Template: each MILESTONE_TITLE becomes "TITLE: results[ (phase X)]", the
 * first YYYY-MM-DD the date, and each "## Heading" it knows gets its text
 * after it: Summary (runs, configurations, the best, the target, spend),
 * Benchmark (project.yaml's target.claim, what the configurations vary,
 * reference values), Result (the Markdown table, the primary metric's
 * figure when it is written now or was before, the source), What Worked,
 * What Failed (failed runs, runs whose metrics could not be read),
 * Reproducibility (the add-run lines that queue the runs again, one per
 * sweep, one per distinct single command up to 20; then the dispatch,
 * check and results lines; in the template's code block when it has a
 * "# commands" line there) and Next (project.yaml's
 * current_state.next_action).  A template without a Result or a
 * Reproducibility heading gets them at its end.
 */
#ifndef ROS_RESULTS_BLOG_H
#define ROS_RESULTS_BLOG_H

#include <jansson.h>

#include "results/publication.h"

/* Add the post to p's outputs; runs are the scope's, all the project's
 * (where the sweeps were recorded).  Records a new post's path in
 * p->published. */
void blog_add(struct publication *p, const json_t *runs, const json_t *all);

#endif
