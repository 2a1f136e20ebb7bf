/*
 * runfilter.h - which runs a command takes: run ids, or filters on status,
 * project and worker read from the queue's scan index (no entry parsed).
 * Used by runs, retry and cancel.
 */
#ifndef ROS_RUNFILTER_H
#define ROS_RUNFILTER_H

#include "store/queue.h"
#include "util/util.h"

/* Each a list of values (an empty one matches every run). */
struct run_filter {
	struct strv status, project, worker;
};
#define RUN_FILTER_INIT { STRV_INIT, STRV_INIT, STRV_INIT }

/* Split the comma lists given (repeats dropped): NULL, or the name of the
 * filter that was given but holds no value. */
const char *run_filter_split(struct run_filter *f);
/* 1 if any filter has a value. */
int run_filter_given(const struct run_filter *f);
/* 1 if entry i of q passes every filter. */
int run_filter_match(const struct run_filter *f, const struct queue *q, size_t i);
/* 1 if every status value is one of allowed[0..n); else 0 with *bad set. */
int run_filter_status_ok(const struct run_filter *f, const char *const *allowed, size_t n, const char **bad);
void run_filter_release(struct run_filter *f);

/* The entries named by ids (each once, in the order given; unknown ids are
 * reported and set *bad), or with filters those that pass f and have one of
 * the statuses wanted (when f has none: the defaults).  *out_idx (caller
 * frees) gets *n indexes into q, out_ids their ids. */
void run_select(struct queue *q, const struct strv *ids, const struct run_filter *f, const char *const *defaults,
		size_t ndefaults, struct strv *out_ids, size_t **out_idx, size_t *n, int *bad);

#endif
