/*
 * registry.h - workers/workers.yaml: the worker registry.
 *
 * registry_load() parses the file (store/yaml.h) and reads each entry of
 * the top-level `workers:` list into a struct worker.  Duplicate keys in an
 * entry are reported as warnings (the last value wins, as PyYAML did);
 * `ros validate` reports them as errors.  Edits go through the ydoc
 * (yedit_*) and registry_save() writes the file atomically; the caller
 * holds the root's lock for read-modify-write (registry_update()).
 *
 * Worker fields are hostile input: worker_check() refuses values that could
 * be taken as ssh options or break a command line (a host or user starting
 * with '-', spaces, control characters, ...).
 */
#ifndef ROS_REGISTRY_H
#define ROS_REGISTRY_H

#include <jansson.h>
#include "store/yaml.h"
#include "util/util.h"

/* A worker's kind: where its scripts run and what they carry. */
enum worker_kind {
	WORKER_UNKNOWN,		/* a kind ros does not know (worker_check refuses it) */
	WORKER_LOCAL,		/* this machine */
	WORKER_SSH,		/* a machine reached with ssh */
	WORKER_SLURM,		/* a Slurm cluster: its login node (ssh, or this machine) */
};

struct worker {
	char *id;
	char *kind;		/* the kind as written ("ssh" when absent), for messages */
	enum worker_kind type;	/* the kind as read (worker_kind_of): what code decides on */
	char *pool, *workspace, *host, *user, *key, *ssh_mode, *notes;
	char *heartbeat, *busy;
	int port;		/* 0: not set (ssh's default / ~/.ssh/config) */
	int enabled;
	int slots;		/* runs at once */
	int gpus;		/* resources.gpu */
	long long instance_id;	/* 0: none (instance_id or vastai_instance_id) */
	double dph;		/* $/hr, 0 when unknown */
	int unreachable_after;	/* seconds before its runs count as stale */
	int line;		/* where the entry starts in workers.yaml */
	/* slurm */
	int max_jobs;
	char *slurm_partition, *slurm_account, *slurm_time, *slurm_gres, *slurm_qos;
	char *slurm_mem, *slurm_extra;
	int slurm_cpus;
	char *slurm_conf;	/* SLURM_CONF to export on the login node, if set */
};

struct registry {
	char *path;
	struct ydoc doc;
	struct worker *w;
	size_t n;
};
#define REGISTRY_INIT { NULL, YDOC_INIT, NULL, 0 }

#define DEFAULT_UNREACHABLE_AFTER 600

/* Load root/workers/workers.yaml; -1 with "PATH:LINE:COL: ..." in err.
 * Warnings (duplicate keys) go to stderr unless quiet_dups. */
int registry_load(struct registry *r, const char *root, struct buf *err);
void registry_release(struct registry *r);
/* Re-read the workers from r->doc after an edit. */
int registry_reindex(struct registry *r, struct buf *err);
struct worker *registry_find(struct registry *r, const char *id);
/* The mapping node of worker id in r->doc (for yedit_*), or NULL. */
const struct ynode *registry_node(struct registry *r, const char *id);
/* Write r->doc.text atomically. */
int registry_save(struct registry *r, struct buf *err);

/* The kind named by text ("local", "ssh", "slurm"; NULL: "ssh"). */
enum worker_kind worker_kind_of(const char *text);

/* Is w reached with ssh (an ssh worker, or a Slurm login node with an
 * ssh block) rather than on this machine? */
static inline int
worker_by_ssh(const struct worker *w)
{
	return w->type == WORKER_SSH || (w->type == WORKER_SLURM && w->host);
}

/* 0 if the worker can be used; -1 with the reason in err.  The kind is
 * checked as written (w->kind), so a worker built from fields to be
 * written (its type unset) is checked as it will be read back. */
int worker_check(const struct worker *w, struct buf *err);
/* The workspace as the worker sees it: a relative workspace of a local
 * worker is under the root. New string. */
char *worker_workspace(const struct worker *w, const char *root);

#endif

/* Append a worker entry built from fields, an object in the order the
 * entry should be written (nested objects become nested mappings, strings
 * are quoted as needed), to the `workers:` list of r->doc.  Refuses a
 * duplicate worker_id.  The caller then registry_save()s. */
int registry_add_worker(struct registry *r, const json_t *fields, struct buf *err);
/* Set a scalar of worker id (dotted key: "ssh.port") to raw YAML text
 * (e.g. "false", "22608") or, with quote, to a string.  The mappings on the
 * way are the entry's own: one a merge key (<<) brings is refused, since
 * other entries may share it.  A missing or null first-level mapping is
 * created (`ssh: {port: 22608}`). */
int registry_set(struct registry *r, const char *id, const char *dotted, const char *value, int quote,
		 struct buf *err);
