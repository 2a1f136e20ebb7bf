/*
 * inspect.h - what a worker holds of one run, asked in one process that
 * changes nothing (show): the probe check-runs uses, without a claim token,
 * so it revokes nothing, and ros_show (src/remote/lib.sh) for the run
 * directory's files and the run.json ros wrote there.
 */
#ifndef ROS_INSPECT_H
#define ROS_INSPECT_H

#include <jansson.h>
#include "store/registry.h"

/* Ask w about run r (an entry of w): rem gets "answered", the probe's
 * "state", "pid", "exit_code", "started_at", "ended_at", "slurm_state",
 * "slurm_job_id", "why" and "log" (lines log lines), "files" [{name, size |
 * dir}], "files_not_listed", "dir_missing", "run_json"; text from the
 * worker is valid UTF-8.  0, or -1 when the worker did not answer (rem's
 * "note" says why). */
int inspect_run(struct worker *w, const char *root, json_t *r, long long lines, json_t *rem);
/* The worker as show describes it: id, kind, enabled, worker_pool, host,
 * port, user, workspace. */
json_t *inspect_worker(const struct worker *w, const char *root);

#endif
