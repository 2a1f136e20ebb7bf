/*
 * claim.h - who is launching a dispatching run, and until when.
 *
 * dispatch-runs claims a run under the lock (status `dispatching`) and
 * records in the entry
 *   "claim": {"token": "<16 hex>", "host": "<hostname>", "pid": N,
 *             "pid_start": "<boot id>:<start ticks>", "until": "<ISO time>"}
 * then launches it without the lock, giving the worker the token and
 * `until`.  On the worker the first of two events wins, in the run
 * directory (claim.<token>, created with O_EXCL): the launch, or a
 * revocation by check-runs; a launch after `until` by the worker's clock is
 * refused (src/remote/lib.sh ros_launch, ros_probe).  So one claim is
 * launched at most once, anywhere, and a run is never started twice by
 * one attempt.
 *
 * Other commands leave a claim alone while it is in force: its lease runs,
 * it was not released, and its claimer may still be alive (another host,
 * or the same process still running).  After that, check-runs asks the
 * worker with the token, which revokes the claim unless it was launched.
 * Where the worker cannot be asked (unreachable, disabled, removed), the
 * run is given up only after `until` + CLAIM_SKEW seconds, when no launch
 * of that claim can start any more.
 */
#ifndef ROS_CLAIM_H
#define ROS_CLAIM_H

#include <jansson.h>
#include <time.h>

#define CLAIM_LEASE_DEFAULT 300	/* seconds; ROS_CLAIM_LEASE overrides */
#define CLAIM_SKEW 60		/* clock difference allowed between ros and a worker */

/* The lease of a new claim, in seconds. */
int claim_lease_seconds(void);
/* Claim run for this process, from now for the lease. */
void claim_set(json_t *run, time_t now);
/* The dispatcher is done with its launch (its outcome is unknown): the
 * claim is no longer in force, though the worker's lease still runs. */
void claim_release(json_t *run, time_t now);
/* The claim's token (borrowed), or NULL for an entry claimed without one. */
const char *claim_token(const json_t *run);
/* When the claim's lease ends (an entry without a claim: dispatched_at +
 * the default lease). */
time_t claim_until(const json_t *run);
/* 1 while another command must leave the claim alone (see above). */
int claim_in_force(const json_t *run, time_t now);
/* 1 once no launch of the claim can start anywhere, even where the worker
 * cannot be asked: after until + CLAIM_SKEW. */
int claim_dead(const json_t *run, time_t now);
/* "host pid N" of the claimer, for messages (new string). */
char *claim_owner(const json_t *run);

#endif
