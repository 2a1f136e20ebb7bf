/*
 * cmds.h - the few pieces of one command that another command uses.
 */
#ifndef ROS_CMDS_H
#define ROS_CMDS_H

#include <jansson.h>
#include <stddef.h>

/* dispatch-runs' work: pending runs (of pool, or all when NULL; at most max
 * when max >= 0) to free worker slots; prints what it did (nothing at all
 * with quiet_if_none when there was nothing to dispatch).  dry_run 1 prints
 * the plan instead and changes nothing; 2 prints it as JSON.  0 when every
 * claimed run started; *started (may be NULL) counts them. */
int dispatch_pending(const char *root, const char *pool, long long max, int dry_run, int quiet_if_none,
		     size_t *started);

/* A new idea entry (without its id) for the idea queue. */
json_t *idea_entry(const char *project, const char *title, const char *hypothesis,
		   const char *metric, long long priority, const char *event);

#endif
