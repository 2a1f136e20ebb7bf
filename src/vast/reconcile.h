/*
 * reconcile.h - workers.yaml against the live Vast.ai instances: the join
 * (vastai-instances), the drift (vastai-reconcile) and its repair, and the
 * retirement of a worker whose instance is gone (reconcile --fix,
 * vastai-destroy, the watcher).
 *
 * A worker is *tracked* when it is enabled and names an instance
 * (instance_id, or the old vastai_instance_id).  Its endpoint in the
 * registry is ssh.host and ssh.port (22 when unset); the live endpoint is
 * Vast.ai's proxy (ssh_host, ssh_port) or, for a worker with
 * `ssh_mode: direct`, public_ipaddr and the 22/tcp host port.  Drift:
 *   port   the ports differ
 *   host   the hosts differ
 *   gone   the instance is not in the live list
 * A live instance without an endpoint of the worker's kind yet (loading,
 * stopped) is reported but is no drift: there is nothing to patch.  One
 * whose host or port from the API is refused (not a plain host name), or
 * whose row was refused for its numbers (vast/values.h), is drift that
 * --fix cannot repair: reported, never written.  While the list holds a
 * row whose id was refused, an instance missing from it is not known to be
 * gone: that too is reported and left alone.
 *
 * Repairs (fix): ssh.port / ssh.host patched surgically with registry_set
 * (after worker_check() on the new values: a hostile host from the API is
 * refused and reported, nothing written for that worker); a gone worker
 * gets `enabled: false`, its dispatching and running runs are made stale
 * with run_mark_stale() (requeued per max_retries), and the known_hosts
 * entries of its endpoint are removed.  A moved worker loses the
 * known_hosts entries of its old and its new endpoint (the new one may
 * hold the key of an instance that used that port before).
 *
 * Locking: the caller fetches the live list first, without the lock;
 * vast_reconcile() takes the lock, re-reads workers.yaml and the run queue,
 * computes the drift from what it read and applies it, in that order:
 * workers.yaml, then run_queue.json, then known_hosts.
 */
#ifndef ROS_VAST_RECONCILE_H
#define ROS_VAST_RECONCILE_H

#include <jansson.h>
#include <time.h>

#include "store/registry.h"
#include "util/util.h"

struct vast_wrec {
	char *worker_id;
	long long instance_id;
	int direct;		/* ssh_mode: direct */
	char *yaml_host;	/* may be NULL */
	int yaml_port;		/* 22 when unset */
	const json_t *inst;	/* the live row (borrowed from live), NULL: gone */
	char *live_host;	/* NULL: no endpoint yet */
	int live_port;
	int port_changed, host_changed, gone;
	char *problem;		/* live but no usable endpoint: why (vast_endpoint_problem) */
	int hostile;		/* ... because Vast.ai's host or port was refused: counts as drift */
	/* outcome of fix */
	int fixed_port, fixed_host, disabled;
	int nstale, nrequeued;
	struct strv forgotten;	/* known_hosts names removed */
	char *fix_error;	/* why a repair was refused, or NULL */
};

struct vast_recon {
	size_t nlive;
	struct vast_wrec *w;	/* tracked workers, in registry order */
	size_t n;
	json_t *untracked;	/* live rows no worker names (borrowed refs, own array) */
	size_t ndrift;		/* workers with drift */
	size_t nfailed;		/* repairs that failed */
};
#define VAST_RECON_INIT { 0, NULL, 0, NULL, 0, 0 }

void vast_recon_release(struct vast_recon *rc);

/* The join and drift of r against live (an array of normalised rows),
 * without changing anything.  Rows stay borrowed from live. */
void vast_recon_compute(struct registry *r, const json_t *live, struct vast_recon *rc);

/* Lock the root, re-load workers.yaml, compute the drift against live,
 * and with fix apply it (see above).  0, or -1 with err (a store error:
 * nothing or only the registry was written; err says which). */
int vast_reconcile(const char *root, const json_t *live, int fix, struct vast_recon *rc,
		   struct buf *err);

/*
 * Retire the enabled workers naming instance id (after vastai-destroy):
 * under the lock, `enabled: false`, their active runs stale (why: e.g.
 * "instance 38614511 destroyed"), their endpoints' known_hosts entries
 * removed.  rc->w lists them with their outcome.  0 or -1 with err.
 */
int vast_retire_instance(const char *root, long long id, const char *why, struct vast_recon *rc,
			 struct buf *err);

/*
 * vast_retire_instance, but only while the instance is idle (the watcher's
 * idle destroy): checked under the lock on a fresh read of the run queue,
 * no run of any worker naming id (enabled or not) is dispatching or
 * running, and none was dispatched, started or ended after cutoff.
 * 1 retired (rc as above), 0 in use (nothing changed), -1 with err.
 */
int vast_retire_idle_instance(const char *root, long long id, time_t cutoff, const char *why,
			      struct vast_recon *rc, struct buf *err);

/* Workers (enabled or not) naming instance id, as "a, b" (new string, "" if none). */
char *vast_workers_of(struct registry *r, long long id, int enabled_only);

/*
 * Remove host:port from root/.ros/known_hosts with `ssh-keygen -R`
 * ($ROS_SSH_KEYGEN overrides the binary), which handles hashed entries.
 * The name is "[host]:port", or "host" for port 22.  1 removed, 0 not
 * there (or no file), -1 error (message in err).
 */
int vast_forget_host(const char *root, const char *host, int port, struct buf *err);

#endif
