/*
 * vworker.h - new worker entries, and those of Vast.ai instances:
 * add-worker (with --vastai-instance-id or not), vast-hunt --rent and the
 * watcher all build their workers.yaml entries with worker_entry(), so
 * every path writes the same fields with the same defaults (instance_id
 * above all: without it reconcile cannot follow the instance).
 *
 * Values from the API are hostile: a row refused for its numbers
 * (vast/values.h: marked VAST_REFUSED, or out of range) gives no entry at
 * all, the SSH endpoint comes from vast_ssh_endpoint() (plain host names
 * only) and the whole entry passes worker_check() before anything is
 * written.  Display strings are cleaned with vast_disp() (values.h).
 */
#ifndef ROS_VWORKER_H
#define ROS_VWORKER_H

#include <jansson.h>
#include "util/util.h"

/* The key Vast.ai instances are reached with unless one is named (the key
 * `vastai set ssh-key` registers, as the research-os post sets it up). */
#define VAST_SSH_KEY "~/.ssh/vastai_id_ed25519"

/* A new worker entry; what is not set gets its default. */
struct worker_spec {
	const char *id;
	long long instance_id;		/* 0: none */
	const char *kind;		/* NULL: ssh with a host or an instance, else local */
	int disabled;			/* enabled: false */
	const char *pool;		/* NULL: vastai for an instance, local for a local
					 * worker, else default */
	const char *ssh_mode;		/* NULL: not written */
	const char *host, *user, *key;	/* ssh: written with a host; user and key when set */
	long long port;			/* 0: not written */
	const char *workspace;		/* NULL: workspace for a local worker,
					 * /root/research-worker for an instance, else research-worker */
	long long slots;		/* 0: not written (the GPUs, at least 1) */
	const json_t *resources;	/* {gpu, vram_gb, disk_gb, cpu}; NULL or {}: not written */
	const json_t *dph;		/* $/hr; NULL: not written */
	const char *notes;		/* NULL: not written */
};

/* The entry as registry_add_worker() takes it: worker_id, instance_id,
 * kind, enabled, worker_pool, ssh_mode, ssh {host, port, user, key},
 * workspace, slots, resources, dph, health (heartbeat_command "echo ok",
 * a busy_command that finds ros's wrappers), notes.  New reference. */
json_t *worker_entry(const struct worker_spec *s);

/* Check an entry (as worker_entry() makes it) as it would be read back:
 * worker_check() on kind, host, user, key, workspace, port. */
int worker_entry_check(const json_t *fields, struct buf *err);

/*
 * Fields for a worker entry from an instance row (normalised, as
 * vast_show_instance returns it): {"ssh": {host, port, user}, "resources":
 * {gpu, vram_gb, disk_gb, cpu}, "dph": X, "notes": T}.  direct: the
 * endpoint is public_ipaddr + the 22/tcp host port, else the proxy.
 * New reference, or NULL with err (no endpoint yet, say).
 */
json_t *vast_instance_fields(const json_t *inst, int direct, struct buf *err);

/* The same from the live instance id (one GET).  api_key: the --api-key
 * flag or NULL.  New reference, or NULL with err. */
json_t *vast_worker_fields(long long instance_id, const char *api_key, int direct, struct buf *err);

struct vast_reg_opts {
	const char *pool;	/* NULL: "vastai" */
	int direct;		/* write ssh_mode: direct and use the direct endpoint */
	const char *ssh_key;	/* ssh.key, may be NULL */
	const char *workspace;	/* NULL: /root/research-worker */
	const char *origin;	/* first word of the notes; NULL: "AUTO-RENTED" */
};

/*
 * Register a rented instance as worker vastai_auto_<YYYYMMDD_HHMMSS> (local
 * time; _2, _3, ... when taken) with instance_id, kind ssh, pool, ssh,
 * workspace, resources, health, dph and a notes line
 * "AUTO-RENTED at 2026-05-31 00:35:14. RTX A4000, $0.0940/hr, DLP/$=230.8. Washington, US."
 * inst is the running instance's row; offer (may be NULL) supplies DLP/$
 * when the row lacks it.  Takes the root's lock, re-reads workers.yaml,
 * appends the entry surgically and saves.  0 with *worker_id (new string),
 * or -1 with err and nothing written.
 */
int vast_register_rental(const char *root, long long instance_id, const json_t *inst,
			 const json_t *offer, const struct vast_reg_opts *o, char **worker_id,
			 struct buf *err);

/* The entry vast_register_rental would append, without writing it: for
 * tests and --dry-run.  New reference or NULL with err. */
json_t *vast_rental_entry(const char *worker_id, long long instance_id, const json_t *inst,
			  const json_t *offer, const struct vast_reg_opts *o, struct buf *err);

/* Why inst has no usable SSH endpoint of that kind: "refusing SSH host
 * '...' from Vast.ai (not a plain host name)" (hostile: *hostile = 1) or
 * "no proxy SSH endpoint yet (status loading)".  New string. */
char *vast_endpoint_problem(const json_t *inst, int direct, int *hostile);

#endif
