/*
 * runsel.h - run selection for commands: the options of store/runfilter.h
 * and their usage checks (runs, retry, cancel).
 */
#ifndef ROS_RUNSEL_H
#define ROS_RUNSEL_H

#include "ros.h"
#include "store/runfilter.h"

#define RUN_FILTER_OPTS(f) \
	{ "status", OPT_LIST, &(f)->status, "S[,S...]", "only runs with one of these statuses", 0, NULL }, \
	{ "project", OPT_LIST, &(f)->project, "P[,P...]", "only runs of these projects", 0, NULL }, \
	{ "project-id", OPT_LIST, &(f)->project, "P[,P...]", "the same as --project", 0, NULL }, \
	{ "worker", OPT_LIST, &(f)->worker, "W[,W...]", "only runs given to these workers", 0, NULL }, \
	{ "worker-id", OPT_LIST, &(f)->worker, "W[,W...]", "the same as --worker", 0, NULL }

/* After opt_parse: split the comma lists (a filter without a value is a
 * usage error).  1 if any filter was given. */
int run_filter_ready(struct ctx *ctx, struct run_filter *f);
/* Usage checks shared by retry and cancel (ids or filters, not both; the
 * statuses allowed); 1 when filters select the runs. */
int ids_or_filters(struct ctx *ctx, const struct strv *ids, struct run_filter *f, const char *const *allowed,
		   size_t nallowed, const char *what);

#endif
