/*
 * runsel.h - run selection for commands: the options of store/runfilter.h
 * and their usage checks (runs, retry, cancel).
 */
#ifndef ROS_RUNSEL_H
#define ROS_RUNSEL_H

#include "ros.h"
#include "store/runfilter.h"
#include "store/registry.h"
#include <jansson.h>

#define RUN_FILTER_OPTS(f) \
	{ .name = "status", .kind = OPT_LIST, .dst = &(f)->status, .arg = "S[,S...]", \
	  .help = "only runs with one of these statuses" }, \
	{ .name = "project", .kind = OPT_LIST, .dst = &(f)->project, .arg = "P[,P...]", \
	  .help = "only runs of these projects" }, \
	{ .name = "project-id", .kind = OPT_LIST, .dst = &(f)->project, .arg = "P[,P...]", \
	  .help = "the same as --project" }, \
	{ .name = "worker", .kind = OPT_LIST, .dst = &(f)->worker, .arg = "W[,W...]", \
	  .help = "only runs given to these workers" }, \
	{ .name = "worker-id", .kind = OPT_LIST, .dst = &(f)->worker, .arg = "W[,W...]", \
	  .help = "the same as --worker" }

/* After opt_parse: split the comma lists (a filter without a value is a
 * usage error).  1 if any filter was given. */
int run_filter_ready(struct ctx *ctx, struct run_filter *f);
/* Usage checks shared by retry and cancel (ids or filters, not both; the
 * statuses allowed); 1 when filters select the runs. */
int ids_or_filters(struct ctx *ctx, const struct strv *ids, struct run_filter *f, const char *const *allowed,
		   size_t nallowed, const char *what);

/* Run id's entry (a copy into *run) and, when reg is not NULL, the
 * registry.  -1 with the error printed (no such run, a file that does not
 * read). */
int run_load(struct ctx *ctx, const char *id, json_t **run, struct registry *reg);

#endif
