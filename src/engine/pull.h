/*
 * pull.h - files back from the workers: a finished run's artifacts
 * (add-run --artifacts, ros fetch) into research/<project>/artifacts/<run>/,
 * and a running run's checkpoint (what it wrote to ROS_CKPT_DIR) into the
 * root's .ros/ckpt/<run>/, new and changed files only.
 *
 * One process per worker for all its runs (over its connection: one more
 * session of the ControlMaster), whose stdout is, per run asked about, a
 * 512-byte block "ROS-PULL RUN KIND" and a tar written by the worker's tar
 * (ros_pull_art, ros_pull_ckpt in lib.sh).  The tar is read by ros
 * (code/tar.h): regular files only, each written under its run's folder
 * and never outside it (no absolute name, no "..", no link followed).
 * A worker speaks only for the runs it was asked about.
 *
 * The checkpoint's record (.ros/ckpt/<run>/list: "SIZE MTIME PATH" of each
 * file as the worker had it; meta.json: {attempt, worker_id, taken_at,
 * files, bytes}) is what the next pull sends, so only what changed comes
 * back, and what a re-queued run gets at its next launch (pull_ckpt_tar).
 */
#ifndef ROS_PULL_H
#define ROS_PULL_H

#include <jansson.h>
#include "store/registry.h"

#define ARTIFACTS_MAX_MB_DEFAULT 100
/* A checkpoint's allowance in one pull, and what one worker may send in
 * all: the answer is held in memory.  A worker that sends more is cut off
 * (its pulls fail, and are tried again at the next check). */
#define PULL_CKPT_MAX_BYTES ((size_t)1 << 30)
#define PULL_MAX_BYTES ((size_t)4 << 30)

struct pull_req {
	struct worker *w;
	const json_t *run;
	char kind;		/* 'a': artifacts, 'c': the checkpoint */
	const json_t *globs;	/* 'a': an array of globs */
	long long cap;		/* 'a': bytes at most */
};

/* Do the pulls (all workers at once).  out[run id] = for 'a': {files,
 * bytes, skipped: ["SIZE NAME"...], dir, fetched_at}; for 'c': {files,
 * bytes, sent, taken_at, attempt, worker_id}; or {error}. */
void pull_run(const char *root, const struct pull_req *reqs, size_t n, json_t *out, int timeout_ms);

/* The checkpoint the root holds for run id, as a tar (files as they came,
 * modes kept) into t, with its meta.json into *meta (new reference).
 * 0 when there is none (t empty), 1 with t filled, -1 with err. */
int pull_ckpt_tar(const char *root, const char *id, struct buf *t, json_t **meta, struct buf *err);

#endif
