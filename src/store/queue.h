/*
 * queue.h - the four JSON queues (idea, benchmark, run, publication).
 *
 * On disk a queue is a JSON array of objects, 2-space indent, trailing
 * newline, as the Python tool wrote it.  queue_load() reads and validates
 * the file with the fast scanner (json.h); entries are parsed with jansson
 * only when asked for (queue_obj).  queue_save() writes unchanged entries
 * back byte for byte and re-formats only the entries that were touched or
 * appended.  Key order and unknown keys survive.
 *
 * Writers use queue_update() (lock, re-read, apply, atomic write) or, when
 * several files change together, store_lock() + queue_load() + queue_save().
 */
#ifndef ROS_QUEUE_H
#define ROS_QUEUE_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>
#include "store/json.h"
#include "store/store.h"
#include "util/jx.h"	/* entries are json_t objects, read and set with jstr & co */

struct qentry {
	size_t off, len;	/* original bytes in the file (len 0: appended) */
	struct jspan key[JK_NKEYS];	/* raw key values, relative to q->keys */
	uint64_t cmdhash;	/* hash of command NUL env (from the index) */
	json_t *obj;		/* parsed on demand; owned */
	int dirty;
};

/*
 * The index (.ros/index/<queue>.idx, a cache): for the file identity it was
 * built from (device, inode, size, mtime, ctime), each entry's span, id,
 * status, project_id, worker_id and a hash of command and env.  When the
 * identity still matches, queue_load() reads the index instead of the
 * queue file (status on 10,000 runs reads ~0.5 MB instead of 8), and an
 * append copies the old bytes in the kernel instead of re-writing them.
 * Any mismatch (a hand edit, another tool) means a full scan and a new index.
 */
struct queue {
	char *path;
	char *data;		/* file contents; NULL while only the index is loaded */
	size_t len;		/* file size */
	const char *keys;	/* base of the key spans: data or idx */
	char *idx;		/* index text, when loaded from the index */
	struct qentry *e;
	size_t n, alloc;
	int missing;		/* the file did not exist (empty queue) */
	int from_index;
	uint64_t *idset;	/* open-addressing set of id hashes (queue_new_id) */
	size_t idset_cap;
	int fd;			/* the file loaded, while only its index is read; else -1 */
	struct timespec mtim;	/* its mtime when loaded */
};
#define QUEUE_INIT { NULL, NULL, 0, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, -1, { 0, 0 } }

/* Queue file names, relative to the root. */
#define Q_IDEAS "queues/idea_queue.json"
#define Q_BENCH "queues/benchmark_queue.json"
#define Q_RUNS "queues/run_queue.json"
#define Q_PUBS "queues/publication_queue.json"

/* Load; a missing file is an empty queue.  -1 with "PATH:LINE:COL: ..." in err.
 * Readers need no lock: a load sees one version of the file.  When only the
 * index is read, the file stays open until queue_release(), so that the
 * entries parsed later come from that same version, however often writers
 * have replaced the file since.  A file written in place (not by ros) while
 * being read, as its size or mtime show, is read again, up to 20 times. */
int queue_load(struct queue *q, const char *path, struct buf *err);
void queue_release(struct queue *q);

/* The entry's object (borrowed; parsed on first use).  NULL + err on a parse error. */
json_t *queue_obj(struct queue *q, size_t i, struct buf *err);
/* Free entry i's parsed object unless it was changed: a reader going once
 * through many entries keeps its memory flat.  queue_obj parses it again. */
void queue_obj_drop(struct queue *q, size_t i);
/* Mark entry i changed (after editing queue_obj's object). */
void queue_touch(struct queue *q, size_t i);
/* Append obj (stolen). */
void queue_append(struct queue *q, json_t *obj);
/* Index fields from the scan, decoded into a new string ("" when absent),
 * without parsing the entry. */
char *queue_key(const struct queue *q, size_t i, enum jkey k);
/* Compare index field k of entry i with s without allocating. */
int queue_key_is(const struct queue *q, size_t i, enum jkey k, const char *s);
/* Hash of a command and its env (the duplicate check's key). */
uint64_t queue_cmd_hash(const char *command, const char *env);
/* 1 if entry i has exactly this command and env. */
int queue_same_command(struct queue *q, size_t i, const char *command, const char *env);
/* Read the file's bytes when only the index was loaded: those of the
 * version loaded.  -1 only if that file was changed in place since. */
int queue_need_data(struct queue *q, struct buf *err);
/* Index of the entry with id, or -1. */
long queue_find(struct queue *q, const char *id);

/* Serialize (unchanged entries verbatim) into out. */
void queue_format(struct queue *q, struct buf *out);
int queue_save(struct queue *q, struct buf *err);

/* Fresh id "<prefix><7 hex>" not yet used in q. */
char *queue_new_id(struct queue *q, const char *prefix);

/* Transaction on one queue: lock the root, load, call fn, save when fn
 * returns 1 (0: nothing to write, <0: error, nothing written), unlock.
 * Returns fn's result, or -1 on a store error (message in err). */
typedef int (*queue_fn)(struct queue *q, void *arg, struct buf *err);
int queue_update(const char *root, const char *rel, queue_fn fn, void *arg, struct buf *err);

#endif
