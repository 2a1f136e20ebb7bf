/*
 * watch.h - what check-runs --watch --dispatch learns from the runs that
 * finish, round after round.
 */
#ifndef ROS_WATCH_H
#define ROS_WATCH_H

#include <jansson.h>
#include "util/util.h"

/*
 * What a watch learns from the runs that finish: a pool whose runs fail
 * FAIL_STREAK times in a row, each within FAIL_QUICK_S seconds of its start
 * and with one exit code, is broken (a missing file, a bad command): its
 * other runs are not dispatched, rather than fail one after the other.
 */
#define FAIL_STREAK 3
#define FAIL_QUICK_S 120

struct watch {
	json_t *streak;		/* pool -> {"code", "n"} of its last failures */
	struct strv held;	/* pools not fed any more */
	struct strv news;	/* what the last watch_learn found, to be said */
	long long failed;	/* runs that failed during the watch */
};
#define WATCH_INIT { NULL, STRV_INIT, STRV_INIT, 0 }

/* Learn from this round's report (engine/check.h: check->report) the runs
 * that just finished; a pool found broken joins held, and news says so. */
void watch_learn(struct watch *wt, const json_t *report);
void watch_release(struct watch *wt);

#endif
