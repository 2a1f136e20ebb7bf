/*
 * plan.h - step 1 of a dispatch (engine/dispatch.h): which pending runs go
 * to which worker slots, and their claims, decided under the root's lock.
 *
 * Pending runs go in priority order (lower first, then oldest) to a worker
 * of their pool with enough free slots (the one with most free slots
 * first), with the GPU indices of those slots; a claimed run becomes
 * `dispatching` with worker_id, slot, gpu_ids and a claim (store/claim.h).
 * Runs that find no worker are listed with the reason.  Slurm workers
 * have no slots: each takes up to `max_jobs` runs at once.
 */
#ifndef ROS_PLAN_H
#define ROS_PLAN_H

#include <jansson.h>
#include "store/queue.h"
#include "store/registry.h"

#define MAX_SLOTS 256

struct wslots {
	struct worker *w;
	unsigned char used[MAX_SLOTS];
	int nfree;
};

struct plan {
	const char *pool;	/* --worker-pool or NULL */
	long long max;
	int dry_run;
	const struct strv *hold;	/* pools whose runs stay pending */
	const struct strv *skip;	/* workers not to use (unreachable this dispatch) */
	struct registry *reg;
	const char *root;
	struct wslots *ws;
	size_t nws;
	json_t *claimed;	/* array of {run copy} claimed */
	json_t *waiting;	/* why -> array of run ids left pending */
	char now[32];
};

/* The workers runs may go to: the enabled ones whose fields pass
 * worker_check (and slurm_check); a warning names each one left out. */
void plan_workers(struct plan *pl, struct registry *reg);
/* A queue_fn (queue_update) claiming runs as the plan says; with dry_run,
 * only choosing them.  Fills pl->claimed and pl->waiting. */
int plan_claim(struct queue *q, void *arg, struct buf *err);

#endif
