/*
 * probe.h - asking a worker how a run is: the ros_probe call (ros_probe in
 * src/remote/lib.sh; Slurm workers answer for all their runs with one
 * ros_slurm_probe, exec/slurm.h) and its record read into JSON.  Used by
 * check-runs and show.
 */
#ifndef ROS_PROBE_H
#define ROS_PROBE_H

#include <jansson.h>
#include "exec/batch.h"

/* Add the probe of run r (an entry of b's worker, not a Slurm one) to b:
 * `lines` log lines; revoke: the claim token to revoke unless it was
 * launched (a dispatching run whose claim is no longer in force), or NULL. */
void probe_call(struct batch *b, const json_t *r, int lines, const char *revoke);
/* A `ROS probe` record into pr: "state", "pid", "code", "started",
 * "ended" and "tail" (valid UTF-8), as ros_probe gives them; a Slurm
 * worker's record is settled into the same terms (slurm_settle).  0, or -1
 * when the record is not a whole probe record. */
int probe_read(const struct batch *b, const struct rec *rec, json_t *pr);

#endif
