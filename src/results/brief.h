/*
 * brief.h - a project's results in a few numbers, for project-status: how
 * many runs are done and failed, what they cost, and the best result and
 * the target as the last `ros results` wrote them.
 *
 * Cheap on a large queue: the counts come from the queue index, the spend
 * from the entries that mention cost_usd, and both are cached in
 * .ros/cache/brief-<project>.json, keyed by the run queue file's identity
 * (device, inode, size, mtime, ctime), so a queue that did not change is
 * not read again.  The cache is derived: a lost or stale one is rebuilt.
 */
#ifndef ROS_RESULTS_BRIEF_H
#define ROS_RESULTS_BRIEF_H

#include <jansson.h>
#include <stdio.h>

#include "util/util.h"

/* {"done": n, "failed": n, "spend_usd": sum of the runs' cost_usd (when
 * any has one), "best", "target", "results_at" (from the last
 * evidence/summary.json)}.  NULL with err set when the run queue is
 * unreadable. */
json_t *results_brief(const char *root, const char *project, struct buf *err);

/* "9 done, 1 failed, spend $0.12; best mse 0.3422 ± 0.0007 (lam=0.01) vs
 * target <= 0.4000: met" and a newline. */
void results_brief_line(FILE *f, const json_t *brief);

#endif
