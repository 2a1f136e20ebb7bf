/*
 * dispatch.h - the dispatch engine: pending runs to free worker slots, in
 * three steps (engine/plan.h, engine/launch.h):
 * 1. under the lock, the plan: runs chosen and claimed;
 * 2. without the lock, one process per worker launches all its runs
 *    (exec/batch.h);
 * 3. under the lock again, the outcomes recorded.
 * A dispatcher killed between 1 and 3 leaves `dispatching` runs whose
 * claimer is gone, which check-runs settles from the workers.
 * Used by dispatch-runs and by check-runs --watch --dispatch.
 */
#ifndef ROS_DISPATCH_H
#define ROS_DISPATCH_H

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

/* Dispatch; prints what it did, a line per run (`dispatched R → W  pid=N`,
 * `not dispatched R → W: why`), the runs that wait and why, and `N/M
 * dispatched[, K waiting]`.  0 when every claimed run started; *started
 * (may be NULL) counts them. */
int dispatch_pending(const char *root, const struct dispatch_opts *o, size_t *started);

#endif
