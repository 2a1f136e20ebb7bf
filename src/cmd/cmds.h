/*
 * cmds.h - the few pieces of one command that another command uses.
 */
#ifndef ROS_CMDS_H
#define ROS_CMDS_H

#include <jansson.h>
#include <stddef.h>

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

#endif
