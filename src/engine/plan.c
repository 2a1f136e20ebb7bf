/*
 * plan.c - the dispatch plan and its claims (see plan.h).
 */
#include "engine/plan.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>

/* A run's pool "" / "default" / "any" asks for no pool in particular (the
 * Python ros.py's add-run wrote "default", ros's writes "default" too):
 * any enabled worker takes it.  Any other name, the workers of that pool. */
static int
pool_any(const char *run_pool)
{
	return !*run_pool || !strcmp(run_pool, "any") || !strcmp(run_pool, "default");
}

static int
pool_matches(const char *run_pool, const struct worker *w)
{
	return pool_any(run_pool) || (w->pool && !strcmp(run_pool, w->pool));
}

static int
run_slots(const json_t *run)
{
	long long g = 1;
	if (jint(run, "gpus", &g) < 0)
		g = 1;
	return g < 1 ? 1 : g > MAX_SLOTS ? MAX_SLOTS : (int)g;
}

/* Mark the slots an active run holds on its worker. */
static void
hold_slots(struct plan *pl, const json_t *run)
{
	const char *wid = jstr0(run, "worker_id");
	for (size_t i = 0; i < pl->nws; i++) {
		struct wslots *s = &pl->ws[i];
		if (strcmp(s->w->id, wid))
			continue;
		if (s->w->type == WORKER_SLURM) {
			s->nfree--;	/* one job, whatever its GPUs */
			continue;
		}
		long long slot = -1;
		int n = run_slots(run);
		if (jint(run, "slot", &slot) < 0 || slot < 0) {
			/* an old entry without a slot: take the first free ones */
			for (int k = 0; k < s->w->slots && n; k++)
				if (!s->used[k])
					s->used[k] = 1, n--, s->nfree--;
			return;
		}
		for (long long k = slot; k < slot + n && k < MAX_SLOTS; k++)
			if (!s->used[k])
				s->used[k] = 1, s->nfree--;
	}
}

/* n contiguous-or-not free slots on s: the first free indices. */
static int
take_slots(struct wslots *s, int n, int *first, struct buf *gpu_ids)
{
	if (s->w->type == WORKER_SLURM) {
		*first = -1;
		return s->nfree < 1 ? -1 : (s->nfree--, 0);
	}
	if (s->nfree < n)
		return -1;
	int got = 0;
	*first = -1;
	for (int k = 0; k < s->w->slots && got < n; k++) {
		if (s->used[k])
			continue;
		s->used[k] = 1;
		if (*first < 0)
			*first = k;
		if (s->w->gpus > 0)
			buf_addf(gpu_ids, "%s%d", gpu_ids->len ? "," : "", k % s->w->gpus);
		got++;
	}
	s->nfree -= n;
	return 0;
}

struct cand {
	size_t idx;
	long long prio;
	const char *created;
};

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	int c = strcmp(x->created, y->created);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Why run r (needing `need` slots) found no worker (new string). */
static char *
why_waiting(const struct plan *pl, const json_t *r, int need)
{
	const char *pool = jstr0(r, "worker_pool");
	int workers = 0, slots = 0, widest = 0;
	for (size_t i = 0; i < pl->nws; i++) {
		const struct worker *w = pl->ws[i].w;
		if (!pool_matches(pool, w))
			continue;
		workers++;
		/* a Slurm worker takes a run of any size, up to max_jobs */
		int n = w->type == WORKER_SLURM ? (w->max_jobs > 0 ? w->max_jobs : 1) : w->slots;
		slots += n;
		widest = w->type == WORKER_SLURM ? MAX_SLOTS : n > widest ? n : widest;
	}
	char *in = pool_any(pool) ? xstrdup("") : xasprintf(" in pool %s", pool);
	char *of = pool_any(pool) ? xstrdup("") : xasprintf(" of pool %s", pool);
	char *why;
	if (!workers)
		why = xasprintf("no enabled worker%s", in);
	else if (need > widest)
		why = xasprintf("needs %d slots; no worker%s has more than %d", need, in, widest);
	else
		why = xasprintf("all %d slot%s%s busy", slots, slots == 1 ? "" : "s", of);
	free(in);
	free(of);
	return why;
}

int
plan_claim(struct queue *q, void *arg, struct buf *err)
{
	struct plan *pl = arg;
	struct cand *c = xcalloc(q->n + 1, sizeof *c);
	size_t nc = 0;
	int changed = 0;

	for (size_t i = 0; i < q->n; i++) {
		int pending = queue_key_is(q, i, JK_STATUS, "pending");
		int active = queue_key_is(q, i, JK_STATUS, "running") || queue_key_is(q, i, JK_STATUS, "dispatching");
		if (!pending && !active)
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r) {
			free(c);
			return -1;
		}
		if (active) {
			hold_slots(pl, r);
			continue;
		}
		if (pl->pool && strcmp(pl->pool, "any") && strcmp(jstr0(r, "worker_pool"), pl->pool))
			continue;
		if (pl->hold && strv_has(pl->hold, jstr0(r, "worker_pool")))
			continue;
		long long prio = 10;
		jint(r, "priority", &prio);
		c[nc++] = (struct cand){ i, prio, jstr0(r, "created_at") };
	}
	qsort(c, nc, sizeof *c, cmp_cand);
	for (size_t k = 0; k < nc; k++) {
		if (pl->max >= 0 && (long long)json_array_size(pl->claimed) >= pl->max)
			break;
		json_t *r = q->e[c[k].idx].obj;
		if (!run_ids_ok(r)) {
			warning("run '%s': id or project id is not a plain name; skipped", jstr0(r, "id"));
			continue;
		}
		int need = run_slots(r);
		struct wslots *best = NULL;
		for (size_t i = 0; i < pl->nws; i++) {
			struct wslots *s = &pl->ws[i];
			if (pool_matches(jstr0(r, "worker_pool"), s->w) && s->nfree >= (s->w->type == WORKER_SLURM ? 1 : need) &&
			    (!best || s->nfree > best->nfree))
				best = s;
		}
		if (!best) {
			char *why = why_waiting(pl, r, need);
			json_t *ids = json_object_get(pl->waiting, why);
			if (!ids)
				json_object_set_new(pl->waiting, why, ids = json_array());
			json_array_append_new(ids, json_string(jstr0(r, "id")));
			free(why);
			continue;
		}
		struct buf gpu_ids = BUF_INIT;
		int first = 0;
		take_slots(best, need, &first, &gpu_ids);
		if (!pl->dry_run) {
			run_set_status(r, "dispatching", pl->now);
			jset_str(r, "worker_id", best->w->id);
			if (first >= 0)
				jset_int(r, "slot", first);
			else
				json_object_del(r, "slot");
			if (gpu_ids.len)
				jset_str(r, "gpu_ids", gpu_ids.s);
			else
				json_object_del(r, "gpu_ids");
			jset_str(r, "dispatched_at", pl->now);
			if (!json_object_get(r, "attempt")) {
				/* added by the Python ros.py, which ran commands from
				 * the login's home directory: so do its entries */
				jset_int(r, "attempt", 0);
				if (!json_object_get(r, "cwd"))
					jset_str(r, "cwd", "~");
			}
			claim_set(r, parse_iso_time(pl->now));
			queue_touch(q, c[k].idx);
			changed = 1;
		}
		json_t *copy = json_deep_copy(r);
		if (pl->dry_run) {
			jset_str(copy, "worker_id", best->w->id);
			if (gpu_ids.len)
				jset_str(copy, "gpu_ids", gpu_ids.s);
		}
		json_array_append_new(pl->claimed, copy);
		buf_release(&gpu_ids);
	}
	free(c);
	return changed;
}

void
plan_workers(struct plan *pl, struct registry *reg)
{
	struct buf err = BUF_INIT;
	pl->ws = xcalloc(reg->n + 1, sizeof *pl->ws);
	for (size_t i = 0; i < reg->n; i++) {
		struct worker *w = &reg->w[i];
		if (!w->enabled || (pl->skip && strv_has(pl->skip, w->id)))
			continue;
		buf_reset(&err);
		if (worker_check(w, &err) < 0) {
			warning("%s; worker skipped", err.s);
			continue;
		}
		if (w->type == WORKER_SLURM && slurm_check(w, &err) < 0) {
			warning("%s; worker skipped", err.s);
			continue;
		}
		struct wslots *s = &pl->ws[pl->nws++];
		s->w = w;
		if (w->type == WORKER_SLURM)
			s->nfree = slurm_free_jobs(w, 0);
		else
			s->nfree = w->slots > MAX_SLOTS ? MAX_SLOTS : w->slots;
	}
	buf_release(&err);
}
