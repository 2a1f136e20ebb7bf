/*
 * batch.h - one process per worker for a batch of runs: the plumbing
 * shared by dispatch-runs, check-runs, cancel and logs.
 */
#ifndef ROS_BATCH_H
#define ROS_BATCH_H

#include <jansson.h>
#include "exec/remote.h"
#include "store/registry.h"

struct batch {
	struct worker *w;
	struct script s;
	struct proc p;
	json_t *runs;		/* array of run objects (new references) */
	int unreachable;
	char *reason;		/* why unreachable */
	char *failure;		/* why the process failed, when it did (unreachable or not) */
	json_t *ids;		/* run ids of runs, for batch_rec_next (built on first use) */
	int foreign;		/* records about other runs seen (and ignored) */
};

struct batches {
	struct batch *b;
	size_t n, alloc;
};
#define BATCHES_INIT { NULL, 0, 0 }

/* Start a script for w: script_open (remote.h), then what w's kind adds:
 * for Slurm, slurm.sh and its SLURM_CONF (slurm_script_lib). */
void script_begin(struct script *s, const struct worker *w, const char *root);

/* The batch of worker w (created with script_begin on first use). */
struct batch *batches_get(struct batches *bs, struct worker *w, const char *root);
/* Run every batch's script, all workers in parallel; sets unreachable/reason.
 * A worker may print REMOTE_CAPTURE_BASE + REMOTE_CAPTURE_PER_RUN per run of
 * its batch: more, and it is cut off, warned about and unreachable. */
void batches_run(struct batches *bs, const char *root, int timeout_ms);
void batches_release(struct batches *bs);

/* The next record of b's output about one of b's own runs, or about the
 * worker itself (run "-"); 1 with r filled, 0 at the end.  A worker speaks
 * only for the runs it was asked about: records about any other run are
 * skipped, with one warning per batch. */
int batch_rec_next(struct batch *b, size_t *pos, struct rec *r);

/* The fields of record r into obj as strings: obj[names[i]] = r->f[i] for
 * each name of the NULL-terminated list; a field the record lacks gets
 * dflt (or is left out when dflt is NULL).  The one way a worker's record
 * becomes JSON. */
void rec_fields(const struct rec *r, json_t *obj, const char *const *names, const char *dflt);

/* The run directory and log path on the worker, as ros records it. */
char *run_log_path(const struct worker *w, const char *root, const char *project, const char *run);

/* Run ids and project ids go to the worker as words: they must be plain. */
int run_ids_ok(const json_t *run);

#endif
