/*
 * dispatch.c - the dispatch engine (see dispatch.h).
 */
#include "engine/dispatch.h"
#include "engine/code.h"
#include "engine/launch.h"
#include "engine/plan.h"
#include "exec/batch.h"
#include "util/jx.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Print what happened to the runs of b; the number dispatched. */
static size_t
report(const struct batch *b, const struct outcome *o)
{
	size_t ok = 0, unreach = 0, unknown = 0;
	for (size_t k = 0; k < json_array_size(b->runs); k++) {
		const char *st = jstr0(json_object_get(o->by_run, jstr0(json_array_get(b->runs, k), "id")), "state");
		unreach += !strcmp(st, "unreachable");
		unknown += !strcmp(st, "unknown");
	}
	if (unreach)
		printf("worker %s unreachable: %s (its %zu run%s stay pending)\n", b->w->id, b->failure, unreach,
		       unreach == 1 ? "" : "s");
	if (unknown)
		printf("worker %s: no answer about %zu launch%s (%s); %s dispatching until check-runs asks the "
		       "worker\n", b->w->id, unknown, unknown == 1 ? "" : "es", b->failure ? b->failure : "no record", unknown == 1 ? "it stays" : "they stay");
	for (size_t k = 0; k < json_array_size(b->runs); k++) {
		const char *id = jstr0(json_array_get(b->runs, k), "id");
		json_t *res = json_object_get(o->by_run, id);
		const char *st = jstr0(res, "state");
		if (!strcmp(st, "submitted")) {
			printf("dispatched %s → %s  slurm job %s\n", id, b->w->id, jstr0(res, "pid"));
			ok++;
		} else if (!strcmp(st, "started") || !strcmp(st, "running")) {
			printf("dispatched %s → %s  pid=%s\n", id, b->w->id, jstr0(res, "pid"));
			ok++;
		} else if (!strcmp(st, "finished")) {
			printf("dispatched %s → %s  (already finished, exit=%s)\n", id, b->w->id, jstr0(res, "code"));
			ok++;
		} else if (strcmp(st, "unreachable") && strcmp(st, "unknown")) {
			printf("not dispatched %s → %s: %s\n", id, b->w->id,
			       !strcmp(st, "vanished") ? "an earlier launch vanished (stale)" : jstr0(res, "reason"));
		}
	}
	return ok;
}

/* The number of runs left pending; with say, a line per reason: "waiting:
 * r1, r2 (all 2 slots of pool gpu busy)" (at most 5 ids named). */
static size_t
waiting_runs(const json_t *waiting, int say)
{
	size_t total = 0;
	const char *why;
	json_t *ids;
	json_object_foreach((json_t *)waiting, why, ids) {
		size_t n = json_array_size(ids);
		total += n;
		if (!say)
			continue;
		printf("waiting: ");
		for (size_t i = 0; i < n && i < 5; i++)
			printf("%s%s", i ? ", " : "", json_string_value(json_array_get(ids, i)));
		if (n > 5)
			printf(" and %zu more", n - 5);
		printf(" (%s)\n", why);
	}
	return total;
}

/* The dry run's plan as JSON: {"dispatch": [{id, worker_id, gpu_ids}],
 * "waiting": [{reason, runs: [ids]}]}, gpu_ids null when none. */
static void
print_plan_json(const json_t *claimed, const json_t *waiting)
{
	json_t *plan = json_object(), *d = json_array(), *wl = json_array(), *ids;
	const char *why;
	for (size_t i = 0; i < json_array_size(claimed); i++) {
		json_t *r = json_array_get(claimed, i);
		json_array_append_new(d, json_pack("{s:s, s:s, s:o}", "id", jstr0(r, "id"), "worker_id",
						   jstr0(r, "worker_id"), "gpu_ids",
						   jstr(r, "gpu_ids") ? json_string(jstr(r, "gpu_ids")) : json_null()));
	}
	json_object_foreach((json_t *)waiting, why, ids)
		json_array_append_new(wl, json_pack("{s:s, s:O}", "reason", why, "runs", ids));
	json_object_set_new(plan, "dispatch", d);
	json_object_set_new(plan, "waiting", wl);
	json_print(plan);
	json_decref(plan);
}

/* Test hook: ROS_TEST_CRASH=after-claim|after-launch kills this process
 * there, as a crash or kill -9 would, so tests can check the recovery. */
static void
test_crash(const char *where)
{
	const char *c = getenv("ROS_TEST_CRASH");
	if (c && !strcmp(c, where)) {
		fflush(stdout);
		raise(SIGKILL);
	}
}

/* One round: plan and claim, the code step, the launches, the outcomes
 * recorded and printed.  *claimed and *ok count the runs; the workers that
 * never answered (their runs went back to pending) are added to
 * unreachable.  0, or -1 with the error printed. */
static int
round_once(const char *root, const struct dispatch_opts *o, const struct strv *skip, size_t *claimed, size_t *ok,
	   size_t *waiting, struct strv *unreachable, size_t *back)
{
	struct plan pl = { 0 };
	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct buf err = BUF_INIT;
	struct outcome oc = { 0 };
	struct codes codes = CODES_INIT;
	int rc = -1;
	pl.pool = o->pool;
	pl.max = o->max;
	pl.dry_run = o->dry_run;
	pl.hold = o->hold_pools;
	pl.skip = skip;
	pl.root = root;
	pl.claimed = json_array();
	pl.waiting = json_object();
	oc.by_run = json_object();
	iso_now(pl.now);
	*claimed = *ok = *waiting = *back = 0;

	if (registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	plan_workers(&pl, &reg);
	buf_reset(&err);
	if (queue_update(root, Q_RUNS, plan_claim, &pl, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	size_t n = json_array_size(pl.claimed);
	*claimed = n;
	test_crash("after-claim");
	if (pl.dry_run == 2) {
		print_plan_json(pl.claimed, pl.waiting);
		rc = 0;
		goto out;
	}
	if (pl.dry_run) {
		for (size_t i = 0; i < n; i++) {
			json_t *r = json_array_get(pl.claimed, i);
			printf("would dispatch %s → %s%s%s\n", jstr0(r, "id"), jstr0(r, "worker_id"),
			       jstr(r, "gpu_ids") ? "  CUDA_VISIBLE_DEVICES=" : "", jstr0(r, "gpu_ids"));
		}
		size_t w = waiting_runs(pl.waiting, 1);
		printf("%zu run%s would be dispatched (dry run)", n, n == 1 ? "" : "s");
		if (w)
			printf(", %zu waiting", w);
		printf("\n");
		rc = 0;
		goto out;
	}
	code_prepare(&codes, root, pl.claimed, &oc);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(pl.claimed, i);
		if (json_object_get(r, "code_error"))
			continue;
		struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
		struct batch *b = batches_get(&bs, w, root);
		code_add(&codes, root, b, r);
		launch_add(b, r, pl.claimed);
	}
	code_send(&codes, 600000);
	batches_run(&bs, root, 120000);
	test_crash("after-launch");

	iso_now(oc.now);
	for (size_t i = 0; i < bs.n; i++)
		launch_gather(&bs.b[i], root, &oc);
	code_gather(&codes, &bs, root, &oc);
	buf_reset(&err);
	if (queue_update(root, Q_RUNS, launch_record, &oc, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	for (size_t i = 0; i < bs.n; i++) {
		struct batch *b = &bs.b[i];
		*ok += report(b, &oc);
		size_t unreached = 0;
		for (size_t k = 0; k < json_array_size(b->runs); k++)
			unreached += !strcmp(jstr0(json_object_get(oc.by_run, jstr0(json_array_get(b->runs, k), "id")),
						   "state"), "unreachable");
		if (unreached) {
			strv_push(unreachable, b->w->id);
			*back += unreached;
		}
	}
	*waiting = waiting_runs(pl.waiting, !o->quiet && !unreachable->n);
	rc = 0;
out:
	codes_release(&codes);
	batches_release(&bs);
	json_decref(pl.claimed);
	json_decref(pl.waiting);
	json_decref(oc.by_run);
	free(pl.ws);
	registry_release(&reg);
	buf_release(&err);
	return rc;
}

int
dispatch_pending(const char *root, const struct dispatch_opts *o, size_t *started)
{
	struct strv skip = STRV_INIT, unreachable = STRV_INIT;
	size_t n = 0, ok = 0, waiting = 0, back0 = 0;
	int rc = 1;
	/* a worker that never answered keeps no run from the others: its runs,
	 * back to pending, go round once more without it */
	for (int round = 0; round < 2; round++) {
		size_t c, k, w, back;
		strv_release(&unreachable);
		if (round_once(root, o, skip.n ? &skip : NULL, &c, &k, &w, &unreachable, &back) < 0)
			goto out;
		n += c;
		ok += k;
		if (round == 0 && unreachable.n) {
			n -= back;	/* counted again if they go out in the next round */
			back0 = back;
		} else if (round == 1 && c < back0) {
			n += back0 - c;	/* those no other worker took: not dispatched */
		}
		waiting = w;
		if (o->dry_run || !unreachable.n || (o->max >= 0 && (long long)ok >= o->max)) {
			if (round == 0)
				n += back;	/* no next round: they stay pending, not dispatched */
			break;
		}
		for (size_t i = 0; i < unreachable.n; i++)
			strv_push(&skip, unreachable.v[i]);
	}
	if (o->dry_run) {
		rc = 0;
		goto out;
	}
	if (n || !o->quiet) {
		printf("%zu/%zu dispatched", ok, n);
		if (waiting)
			printf(", %zu waiting", waiting);
		printf("\n");
	}
	if (started)
		*started = ok;
	rc = ok == n ? 0 : 1;
out:
	strv_release(&skip);
	strv_release(&unreachable);
	return rc;
}
