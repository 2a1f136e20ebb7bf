/*
 * dispatch.c - `ros dispatch-runs`: pending runs to free worker slots.
 *
 * 1. Under the lock: pick pending runs in priority order (lower first,
 *    then oldest), give each a worker of its pool with free slots (the one
 *    with most free slots first) and GPU indices, and claim it:
 *    status `dispatching`, worker_id, slot, gpu_ids and a claim with a
 *    token and a lease (store/claim.h).  Write, unlock.
 * 2. Without the lock: one process per worker launches all its runs
 *    (exec/batch.h; the worker side is ros_launch in src/remote/lib.sh,
 *    which starts a claim at most once, and never after its lease or its
 *    revocation).
 * 3. Under the lock again: each claimed run that still holds our claim
 *    becomes `running` (pid, log path), or goes back to `pending` when
 *    nothing can have started: the worker refused, or the connection
 *    failed before the script reached it.  When the outcome is unknown
 *    (the link dropped, a deadline), the run stays `dispatching` with its
 *    claim released, and check-runs settles it from the worker.
 * A dispatcher killed between 1 and 3 leaves `dispatching` runs whose
 * claimer is gone, which check-runs settles the same way.
 *
 * Slurm workers (exec/slurm.h) have no slots: each takes up to `max_jobs`
 * runs at once, and its batch submits them with sbatch (ros_sbatch in
 * src/remote/slurm.sh) in the same single connection; the run entry gets
 * `slurm_job_id` and an empty `pid`.
 */
#include "ros.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "cmd/cmds.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

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
	struct registry *reg;
	const char *root;
	struct wslots *ws;
	size_t nws;
	json_t *claimed;	/* array of {run copy} claimed */
	json_t *waiting;	/* why -> array of run ids left pending */
	char now[32];
};

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
		if (worker_is_slurm(s->w)) {
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
	if (worker_is_slurm(s->w)) {
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
		int n = worker_is_slurm(w) ? (w->max_jobs > 0 ? w->max_jobs : 1) : w->slots;
		slots += n;
		widest = worker_is_slurm(w) ? MAX_SLOTS : n > widest ? n : widest;
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

static int
claim(struct queue *q, void *arg, struct buf *err)
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
			if (pool_matches(jstr0(r, "worker_pool"), s->w) && s->nfree >= (worker_is_slurm(s->w) ? 1 : need) &&
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

/* run.sh: ros's variables, the secrets setup-worker synced, the working
 * directory, the entry's env and its command.  The env is a shell line, as
 * the Python ros.py ran it (`source venv/bin/activate`, `export A=1`), with
 * its assignments exported (`SEED=1 DATASET=x`). */
static char *
run_script(const json_t *r)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "# ros run %s of project %s, attempt %lld\n", jstr0(r, "id"), jstr0(r, "project_id"),
		 run_attempt(r));
	buf_addf(&b, "export ROS_RUN_ID=%s ROS_PROJECT_ID=%s ROS_ATTEMPT=%lld\n", jstr0(r, "id"),
		 jstr0(r, "project_id"), run_attempt(r));
	const char *g = jstr(r, "gpu_ids");
	if (g && *g && strspn(g, "0123456789,") == strlen(g))
		buf_addf(&b, "export CUDA_VISIBLE_DEVICES=%s\n", g);
	buf_adds(&b, "if [ -f \"$HOME/.env.local\" ]; then set -a; . \"$HOME/.env.local\"; set +a; fi\n");
	if (!strcmp(jstr0(r, "cwd"), "~"))
		buf_adds(&b, "cd \"$HOME\" || exit 111\n");
	else
		buf_adds(&b, "cd \"$ROS_WORKSPACE\" || exit 111\n");
	const char *env = jstr0(r, "env");
	if (env[strspn(env, " \t")])
		buf_addf(&b, "set -a\n%s\nset +a\n", env);
	buf_addf(&b, "%s\n", jstr0(r, "command"));
	return buf_detach(&b);
}

struct outcome {
	json_t *by_run;		/* run id -> {"state", "pid", "code", "worker", "token", ...} */
	char now[32];
};

static int
record(struct queue *q, void *arg, struct buf *err)
{
	struct outcome *o = arg;
	int changed = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_STATUS, "dispatching"))
			continue;
		char *id = queue_key(q, i, JK_ID);
		json_t *res = json_object_get(o->by_run, id);
		free(id);
		if (!res)
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r)
			return -1;
		const char *tok = claim_token(r);
		if (!tok || strcmp(tok, jstr0(res, "token")))
			continue;	/* no longer our claim (revoked, cancelled): leave it */
		const char *st = jstr0(res, "state");
		long long pid = 0, code = 0;
		jint(res, "pid", &pid);
		if (!strcmp(st, "submitted")) {
			/* a Slurm job: started_at comes from the wrapper, via check-runs */
			run_set_status(r, "running", o->now);
			jset_str(r, "pid", "");
			jset_str(r, "slurm_job_id", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
		} else if (!strcmp(st, "started") || !strcmp(st, "running")) {
			run_set_status(r, "running", o->now);
			jset_str(r, "started_at", o->now);
			jset_str(r, "pid", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
		} else if (!strcmp(st, "finished")) {
			jint(res, "code", &code);
			run_set_status(r, code == 0 ? "done" : "failed", o->now);
			jset_str(r, "pid", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
			jset_str(r, "exit_code", jstr0(res, "code"));
			jset_str(r, "ended_at", o->now);
		} else if (!strcmp(st, "vanished")) {
			jset_str(r, "log_path", jstr0(res, "log_path"));
			run_mark_stale(r, "process vanished", o->now);
		} else if (!strcmp(st, "unknown")) {
			/* it may have started: check-runs asks the worker */
			claim_release(r, parse_iso_time(o->now));
			jset_str(r, "last_error", jstr0(res, "reason"));
		} else {
			/* refused by the worker, or never reached it: nothing started */
			run_unclaim(r, o->now);
			jset_str(r, "last_error", jstr0(res, "reason"));
		}
		queue_touch(q, i);
		changed = 1;
	}
	return changed;
}

/* The outcome of each run of batch b into o->by_run: its launch record,
 * or "unreachable" when the script surely never reached the worker (the
 * run goes back to pending), or "unknown" (it may have started). */
static void
gather(struct batch *b, const char *root, struct outcome *o)
{
	size_t pos = 0;
	struct rec rec;
	while (batch_rec_next(b, &pos, &rec)) {
		/* what a worker reported before it went away is still true */
		if (strcmp(rec.op, "launch")) {
			rec_release(&rec);
			continue;
		}
		json_t *res = json_object();
		const char *st = rec.nf > 0 ? rec.f[0] : "error";
		jset_str(res, "state", st);
		jset_str(res, "pid", rec.nf > 1 ? rec.f[1] : "0");
		jset_str(res, "code", rec.nf > 2 ? rec.f[2] : "");
		if (!strcmp(st, "expired")) {
			long long wnow = 0;
			parse_long(rec.nf > 2 ? rec.f[2] : "", &wnow);
			json_object_set_new(res, "worker_now", json_integer(wnow));
		} else if (!strcmp(st, "revoked")) {
			jset_str(res, "reason", "its claim was revoked meanwhile (check-runs found the lease over)");
		} else {
			struct buf why = BUF_INIT;
			for (int f = 2; f < rec.nf; f++)
				buf_addf(&why, "%s%s", f > 2 ? " " : "", rec.f[f]);
			jset_str(res, "reason", why.len ? why.s : "launch failed");
			buf_release(&why);
		}
		json_object_set_new(o->by_run, rec.run, res);
		rec_release(&rec);
	}
	int never = remote_never_connected(&b->p);
	const char *why = b->failure ? b->failure : "no answer from the worker";
	for (size_t k = 0; k < json_array_size(b->runs); k++) {
		json_t *r = json_array_get(b->runs, k);
		json_t *res = json_object_get(o->by_run, jstr0(r, "id"));
		if (!res) {
			res = json_object();
			jset_str(res, "state", never ? "unreachable" : "unknown");
			jset_str(res, "reason", never ? why : "no answer about the launch");
			json_object_set_new(o->by_run, jstr0(r, "id"), res);
		}
		if (json_object_get(res, "worker_now")) {
			long long wnow = json_integer_value(json_object_get(res, "worker_now"));
			time_t until = claim_until(r), now = time(NULL);
			char *m = now < until
				  ? xasprintf("the worker's clock is %lld s ahead of this machine's: it took the claim's "
					      "lease as over; set its clock right (NTP)", wnow - (long long)now)
				  : xasprintf("the claim's lease (%d s) ran out before the launch reached the worker",
					      claim_lease_seconds());
			jset_str(res, "reason", m);
			free(m);
		}
		jset_str(res, "worker", b->w->id);
		jset_str(res, "token", claim_token(r) ? claim_token(r) : "");
		char *lp = run_log_path(b->w, root, jstr0(r, "project_id"), jstr0(r, "id"));
		jset_str(res, "log_path", lp);
		free(lp);
	}
}

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

int
dispatch_pending(const char *root, const struct dispatch_opts *o, size_t *started)
{
	struct plan pl = { 0 };
	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct buf err = BUF_INIT;
	struct outcome oc = { 0 };
	int rc = 1;
	pl.pool = o->pool;
	pl.max = o->max;
	pl.dry_run = o->dry_run;
	pl.hold = o->hold_pools;
	pl.root = root;
	pl.claimed = json_array();
	pl.waiting = json_object();
	oc.by_run = json_object();
	iso_now(pl.now);

	if (registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	pl.ws = xcalloc(reg.n + 1, sizeof *pl.ws);
	for (size_t i = 0; i < reg.n; i++) {
		struct worker *w = &reg.w[i];
		if (!w->enabled)
			continue;
		buf_reset(&err);
		if (worker_check(w, &err) < 0) {
			warning("%s; worker skipped", err.s);
			continue;
		}
		if (worker_is_slurm(w) && slurm_check(w, &err) < 0) {
			warning("%s; worker skipped", err.s);
			continue;
		}
		struct wslots *s = &pl.ws[pl.nws++];
		s->w = w;
		if (worker_is_slurm(w))
			s->nfree = slurm_free_jobs(w, 0);
		else
			s->nfree = w->slots > MAX_SLOTS ? MAX_SLOTS : w->slots;
	}
	buf_reset(&err);
	if (queue_update(root, Q_RUNS, claim, &pl, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	size_t n = json_array_size(pl.claimed);
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
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(pl.claimed, i);
		struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
		struct batch *b = batches_get(&bs, w, root);
		if (worker_is_slurm(w) && json_array_size(b->runs) == 0)
			slurm_script_submit_begin(&b->s, w, pl.claimed);
		char att[24], until[24];
		snprintf(att, sizeof att, "%lld", run_attempt(r));
		snprintf(until, sizeof until, "%lld", (long long)claim_until(r));
		const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, claim_token(r), until, NULL };
		const char *put[] = { jstr0(r, "project_id"), jstr0(r, "id"), "run.json", NULL };
		struct buf meta = BUF_INIT;
		json_write(&meta, r, 0);	/* the entry as dispatched, for reproducibility */
		buf_addc(&meta, '\n');
		script_call(&b->s, "ros_put", put, meta.s, meta.len);
		buf_release(&meta);
		char *sh = run_script(r);
		script_call(&b->s, worker_is_slurm(w) ? "ros_sbatch" : "ros_launch", args, sh, strlen(sh));
		free(sh);
		json_array_append(b->runs, r);
	}
	batches_run(&bs, root, 120000);
	test_crash("after-launch");

	iso_now(oc.now);
	for (size_t i = 0; i < bs.n; i++)
		gather(&bs.b[i], root, &oc);
	buf_reset(&err);
	if (queue_update(root, Q_RUNS, record, &oc, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	size_t ok = 0;
	for (size_t i = 0; i < bs.n; i++)
		ok += report(&bs.b[i], &oc);
	if (n || !o->quiet) {
		size_t w = waiting_runs(pl.waiting, !o->quiet);
		printf("%zu/%zu dispatched", ok, n);
		if (w)
			printf(", %zu waiting", w);
		printf("\n");
	}
	if (started)
		*started = ok;
	rc = ok == n ? 0 : 1;
out:
	batches_release(&bs);
	json_decref(pl.claimed);
	json_decref(pl.waiting);
	json_decref(oc.by_run);
	free(pl.ws);
	registry_release(&reg);
	buf_release(&err);
	return rc;
}

static int
cmd_dispatch_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *pool = NULL;
	long long max = -1;
	int dry_run = 0;
	const struct opt opts[] = {
		{ "worker-pool", OPT_STR, &pool, "P", "only runs of this pool (any: every pool, the default)", 0, NULL },
		{ "max", OPT_INT, &max, "N", "dispatch at most N runs", 0, NULL },
		{ "dry-run", OPT_BOOL, &dry_run, NULL, "show what would go where; change nothing", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (max < -1)
		usage_error(ctx, "--max must be >= 0");
	if (ctx->json && !dry_run)
		usage_error(ctx, "--json goes with --dry-run (the plan)");
	struct dispatch_opts o = DISPATCH_OPTS_INIT;
	o.pool = pool;
	o.max = max;
	o.dry_run = dry_run ? 1 + ctx->json : 0;
	return dispatch_pending(ctx_root(ctx), &o, NULL);
}

const struct ros_cmd cmd_dispatch_runs = {
	"dispatch-runs", cmd_dispatch_fn, CMD_JSON, "launch pending runs on free worker slots (one connection per worker)",
	"[--worker-pool P] [--max N] [--dry-run [--json]]",
	"Pending runs go in priority order (lower first, then oldest) to enabled\n"
	"workers of their pool with free slots; a run of pool `default` (add-run's\n"
	"default, and the Python ros.py's) or `any` goes to any enabled worker.  Each\n"
	"run gets CUDA_VISIBLE_DEVICES for its slot(s).  Runs start detached (setsid)\n"
	"and keep running when ros exits.  Runs that must wait are named with the\n"
	"reason (no enabled worker in the pool, all its slots busy); the last line\n"
	"counts `N/M dispatched, K waiting`.  --worker-pool any: runs of every pool.\n"
	"A worker that cannot be reached gets its runs back as pending.\n"
	"\n"
	"Each run is claimed first (status dispatching, a `claim` with a token, this\n"
	"host and process, and a lease: ROS_CLAIM_LEASE seconds, default 300).  A\n"
	"claim is launched at most once: the worker refuses it after its lease, or\n"
	"when check-runs revoked it first.  When the worker's answer is lost (the link\n"
	"dropped, a deadline), the run stays dispatching and the next check-runs asks\n"
	"the worker what happened; a script that did not arrive whole runs nothing.\n"
	"\n"
	"A `kind: slurm` worker takes up to `max_jobs` runs at once (no limit when\n"
	"unset) and submits them all with `sbatch --parsable` in one connection to\n"
	"its login node: job name ros-<run>, output <run dir>/stdout.log, options\n"
	"from its `slurm:` block (partition, account, time, gres, cpus_per_task,\n"
	"mem, qos, extra_args).  The run records `slurm_job_id`; check-runs follows\n"
	"the job with squeue, cancel uses scancel.\n"
	"\n"
	"--dry-run --json prints the plan as JSON: {\"dispatch\": [{\"id\", \"worker_id\",\n"
	"\"gpu_ids\"}], \"waiting\": [{\"reason\", \"runs\": [ids]}]} (every run named).",
};
