/*
 * cmds.h - the few pieces of one command that another command uses.
 */
#ifndef ROS_CMDS_H
#define ROS_CMDS_H

#include <jansson.h>
#include <stddef.h>
#include "util/util.h"

#include "util/util.h"

struct dispatch_opts {
	const char *pool;		/* only runs of this pool (NULL, "any": every pool) */
	long long max;			/* at most this many runs (< 0: no limit) */
	int dry_run;			/* 1: print the plan, change nothing; 2: as JSON */
	int quiet;			/* for a watch: nothing printed when nothing starts,
					 * waiting runs only counted */
	const struct strv *hold_pools;	/* runs of these pools stay pending (NULL: none) */
};
#define DISPATCH_OPTS_INIT { NULL, -1, 0, 0, NULL }

/* dispatch-runs' work: pending runs to free worker slots; prints what it
 * did.  0 when every claimed run started; *started (may be NULL) counts
 * them. */
int dispatch_pending(const char *root, const struct dispatch_opts *o, size_t *started);

/* A new idea entry (without its id) for the idea queue. */
json_t *idea_entry(const char *project, const char *title, const char *hypothesis,
		   const char *metric, long long priority, const char *event);

/* Filters of `ros runs`, `retry` and `cancel`, read from the queue's scan
 * index: each a list of values (an empty one matches every run). */
struct run_filter {
	struct strv status, project, worker;
};
#define RUN_FILTER_INIT { STRV_INIT, STRV_INIT, STRV_INIT }
#define RUN_FILTER_OPTS(f) \
	{ "status", OPT_LIST, &(f)->status, "S[,S...]", "only runs with one of these statuses", 0, NULL }, \
	{ "project", OPT_LIST, &(f)->project, "P[,P...]", "only runs of these projects", 0, NULL }, \
	{ "project-id", OPT_LIST, &(f)->project, "P[,P...]", "the same as --project", 0, NULL }, \
	{ "worker", OPT_LIST, &(f)->worker, "W[,W...]", "only runs given to these workers", 0, NULL }, \
	{ "worker-id", OPT_LIST, &(f)->worker, "W[,W...]", "the same as --worker", 0, NULL }
struct ctx;
struct queue;
/* After opt_parse: split the comma lists (an empty one is a usage error).
 * 1 if any filter was given. */
int run_filter_ready(struct ctx *ctx, struct run_filter *f);
/* 1 if entry i of q passes every filter. */
int run_filter_match(const struct run_filter *f, const struct queue *q, size_t i);
/* 1 if every --status value is one of allowed[0..n); else 0 with *bad set. */
int run_filter_status_ok(const struct run_filter *f, const char *const *allowed, size_t n, const char **bad);
void run_filter_release(struct run_filter *f);

#endif
