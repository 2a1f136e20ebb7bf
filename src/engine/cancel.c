/*
 * cancel.c - the cancel engine (see cancel.h).
 */
#include "engine/cancel.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>

void
cancel_init(struct cancel *c, const char *root, long long grace)
{
	*c = (struct cancel)CANCEL_INIT;
	c->root = root;
	c->grace = grace;
	c->result = json_object();
	c->snap = json_object();
}

/* The ros_cancel_many lines of batch b. */
static struct buf *
lines_of(struct cancel *c, const struct batch *b)
{
	size_t bi = (size_t)(b - c->bs.b);
	if (bi >= c->alloc) {
		size_t old = c->alloc;
		GROW(c->lines, c->alloc, bi + 1);
		c->nlines = xrealloc(c->nlines, c->alloc * sizeof *c->nlines);
		for (size_t j = old; j < c->alloc; j++) {
			c->lines[j] = (struct buf)BUF_INIT;
			c->nlines[j] = 0;
		}
	}
	if (++c->nlines[bi] > c->most)
		c->most = c->nlines[bi];
	return &c->lines[bi];
}

void
cancel_add(struct cancel *c, struct registry *reg, json_t *r)
{
	const char *id = jstr0(r, "id"), *st = jstr0(r, "status");
	json_t *snap = json_object();
	jset_str(snap, "status", st);
	jset_int(snap, "attempt", run_attempt(r));
	jset_str(snap, "token", claim_token(r) ? claim_token(r) : "");
	json_object_set_new(c->snap, id, snap);
	json_t *res = json_object();
	json_object_set_new(c->result, id, res);
	if (!strcmp(st, "pending")) {
		jset_str(res, "result", "pending");
		return;
	}
	struct worker *w = registry_find(reg, jstr0(r, "worker_id"));
	struct buf err = BUF_INIT;
	int ok = w && worker_check(w, &err) == 0 && run_ids_ok(r);
	buf_release(&err);
	if (!ok) {
		jset_str(res, "result", "noworker");
		return;
	}
	struct batch *b = batches_get(&c->bs, w, c->root);
	const char *tok = !strcmp(st, "dispatching") ? claim_token(r) : NULL;
	if (w->type == WORKER_SLURM) {
		slurm_script_cancel(&b->s, r, tok);	/* scancel; Slurm does the grace period */
	} else {
		char pid[24];
		run_pid_word(r, pid);
		buf_addf(lines_of(c, b), "%s %s %s %s\n", jstr0(r, "project_id"), id, pid, tok ? tok : "-");
	}
	json_array_append(b->runs, r);
}

/* Under the lock: each run still as it was seen becomes cancelled. */
static int
mark_cancelled(struct queue *q, void *arg, struct buf *err)
{
	struct cancel *c = arg;
	int changed = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_STATUS, "pending") && !queue_key_is(q, i, JK_STATUS, "dispatching") &&
		    !queue_key_is(q, i, JK_STATUS, "running"))
			continue;
		char *id = queue_key(q, i, JK_ID);
		json_t *snap = json_object_get(c->snap, id);
		const char *res = jstr0(json_object_get(c->result, id), "result");
		free(id);
		if (!snap || !strcmp(res, "unreachable") || !strcmp(res, "error"))
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r)
			return -1;
		long long att = -1;
		jint(snap, "attempt", &att);
		if (att != run_attempt(r) || strcmp(jstr0(snap, "status"), jstr0(r, "status")) ||
		    strcmp(jstr0(snap, "token"), claim_token(r) ? claim_token(r) : ""))
			continue;	/* it moved on meanwhile */
		run_set_status(r, "cancelled", c->now);
		if (!jstr(r, "ended_at") && !!strcmp(res, "pending"))
			jset_str(r, "ended_at", c->now);
		queue_touch(q, i);
		changed = 1;
	}
	return changed;
}

int
cancel_run(struct cancel *c, struct buf *err)
{
	char gs[24];
	snprintf(gs, sizeof gs, "%lld", c->grace);
	for (size_t i = 0; i < c->bs.n && i < c->alloc; i++)
		if (c->nlines[i]) {
			const char *a[] = { gs, NULL };
			script_call(&c->bs.b[i].s, "ros_cancel_many", a, c->lines[i].s, c->lines[i].len);
		}
	/* up to 32 at a time: a wave of grace periods per 32 runs */
	long long waves = (long long)(c->most + 31) / 32;
	long long ms = ((waves ? waves : 1) * (c->grace + 5) + 60) * 1000;
	batches_run(&c->bs, c->root, ms > 2000000000 ? 2000000000 : (int)ms);
	for (size_t i = 0; i < c->bs.n; i++) {
		struct batch *b = &c->bs.b[i];
		size_t pos = 0;
		struct rec rec;
		for (size_t k = 0; k < json_array_size(b->runs); k++) {
			json_t *res = json_object_get(c->result, jstr0(json_array_get(b->runs, k), "id"));
			jset_str(res, "result", "unreachable");
			jset_str(res, "reason", b->reason ? b->reason : "no answer");
		}
		while (!b->unreachable && batch_rec_next(b, &pos, &rec)) {
			json_t *res = json_object_get(c->result, rec.run);
			if (res && !strcmp(rec.op, "cancel"))
				rec_fields(&rec, res, (const char *const[]){ "result", NULL }, NULL);
			rec_release(&rec);
		}
	}
	iso_now(c->now);
	if (json_object_size(c->snap) && queue_update(c->root, Q_RUNS, mark_cancelled, c, err) < 0)
		return -1;
	return 0;
}

void
cancel_release(struct cancel *c)
{
	for (size_t i = 0; i < c->alloc; i++)
		buf_release(&c->lines[i]);
	free(c->lines);
	free(c->nlines);
	batches_release(&c->bs);
	json_decref(c->result);
	json_decref(c->snap);
}
