/*
 * check.c - the check engine (see check.h).
 */
#include "engine/check.h"
#include "engine/pull.h"
#include "engine/probe.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "results/collect.h"
#include "results/metrics.h"
#include "store/claim.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>

static long long
now_epoch(const char *now)
{
	return (long long)parse_iso_time(now);
}

/* Cancelled on the worker's side (a Slurm job killed with scancel). */
static int
apply_cancelled(struct check *c, json_t *r, const json_t *pr)
{
	const char *code = jstr0(pr, "code"), *ended = jstr(pr, "ended");
	run_set_status(r, "cancelled", c->now);
	jset_str(r, "ended_at", ended && strcmp(ended, "-") ? ended : c->now);
	if (*code && strcmp(code, "-"))
		jset_str(r, "exit_code", code);
	if (!jstr(r, "log_path") || !*jstr(r, "log_path"))
		jset_str(r, "log_path", jstr0(pr, "log_path"));
	return 1;
}

/* A run whose set-up failed (the gate's exit 112 and its line in the log):
 * the reason in last_error. */
static void
setup_failure(json_t *r, const json_t *pr, long long code)
{
	const char *tail = jstr(pr, "tail"), *m;
	if (code != 112 || !tail || !(m = strstr(tail, "ros: setup failed: ")))
		return;
	m += strlen("ros: ");
	char *why = xstrndup(m, strcspn(m, "\n"));
	jset_str(r, "last_error", why);
	free(why);
}

/* What a pull brought, into the entry: artifacts_fetched, ckpt. */
static int
apply_pull(json_t *r, const json_t *pr)
{
	const json_t *res = json_object_get(pr, "pull");
	if (!res)
		return 0;
	if (jstr(res, "error")) {
		int ended = !strcmp(jstr0(pr, "state"), "exited");
		char *m = xasprintf("%s: %s", ended ? "artifacts not fetched" : "checkpoint not brought back",
				    jstr(res, "error"));
		jset_str(r, "last_error", m);
		free(m);
		return 1;
	}
	json_object_set(r, !strcmp(jstr0(pr, "state"), "exited") ? "artifacts_fetched" : "ckpt", (json_t *)res);
	return 1;
}

/* Apply one run's probe; return 1 if the entry changed. */
static int
apply(struct check *c, json_t *r, json_t *pr)
{
	const char *status = jstr0(r, "status");
	const char *st = jstr0(pr, "state");
	const char *reach = jstr0(pr, "reach");
	int dispatching = !strcmp(status, "dispatching");
	if (!strcmp(reach, "claimed"))
		return 0;	/* its dispatcher is at work */
	if (dispatching && strcmp(reach, "ok") && !claim_dead(r, now_epoch(c->now)))
		return 0;	/* not asked, so not revoked: a late launch could still start */
	if (!strcmp(reach, "gone")) {
		run_mark_stale(r, jstr0(pr, "reason"), c->now);
		return 1;
	}
	if (!strcmp(reach, "unreachable")) {
		if (!jstr(r, "unreachable_since")) {
			jset_str(r, "unreachable_since", c->now);
			return 1;
		}
		long long since = (long long)parse_iso_time(jstr(r, "unreachable_since"));
		long long grace = DEFAULT_UNREACHABLE_AFTER;
		jint(pr, "grace", &grace);
		if (since > 0 && now_epoch(c->now) - since >= grace) {
			char *why = xasprintf("worker unreachable for %lld s", now_epoch(c->now) - since);
			run_mark_stale(r, why, c->now);
			free(why);
			return 1;
		}
		return 0;
	}
	int changed = slurm_note(r, pr);
	if (json_object_get(r, "unreachable_since")) {
		json_object_del(r, "unreachable_since");
		changed = 1;
	}
	const char *started = jstr(pr, "started");
	if (started && strcmp(started, "-") && strcmp(jstr0(r, "started_at"), started)) {
		jset_str(r, "started_at", started);
		changed = 1;
	}
	if (!strcmp(st, "running")) {
		if (strcmp(status, "running")) {
			run_set_status(r, "running", c->now);
			jset_str(r, "log_path", jstr0(pr, "log_path"));
			changed = 1;
		}
		if (strcmp(jstr0(pr, "pid"), "0") && strcmp(jstr0(r, "pid"), jstr0(pr, "pid"))) {
			jset_str(r, "pid", jstr0(pr, "pid"));
			changed = 1;
		}
		return changed;
	}
	if (!strcmp(st, "exited")) {
		const char *code = jstr0(pr, "code");
		long long n = 0;
		int ok = parse_long(code, &n) == 0;
		run_set_status(r, ok && n == 0 && !json_is_true(json_object_get(pr, "must_fail")) ? "done" : "failed",
			       c->now);
		jset_str(r, "exit_code", ok ? code : "-1");
		const char *ended = jstr(pr, "ended");
		jset_str(r, "ended_at", ended && strcmp(ended, "-") ? ended : c->now);
		if (!jstr(r, "log_path") || !*jstr(r, "log_path"))
			jset_str(r, "log_path", jstr0(pr, "log_path"));
		if (strcmp(jstr0(pr, "pid"), "0"))
			jset_str(r, "pid", jstr0(pr, "pid"));
		setup_failure(r, pr, ok ? n : -1);
		return 1;
	}
	if (!strcmp(st, "vanished")) {
		run_mark_stale(r, jstr(pr, "why") ? jstr(pr, "why") : "process vanished without an exit code", c->now);
		return 1;
	}
	if (!strcmp(st, "cancelled"))
		return apply_cancelled(c, r, pr);
	if (!strcmp(st, "launching")) {
		/* the worker has the claim, but no process yet: a launch in its
		 * last instant, or one that died there */
		if (!claim_dead(r, now_epoch(c->now)))
			return changed;
		run_mark_stale(r, "the launch on the worker never completed", c->now);
		return 1;
	}
	/* notstarted */
	if (dispatching) {
		run_unclaim(r, c->now);
		return 1;
	}
	run_mark_stale(r, "run directory lost on the worker", c->now);
	return 1;
}

/* What run.sh wrote of the machine (host.txt: its name, then "gpu: INDEX,
 * NAME, DRIVER" lines and "cuda: VERSION" where nvidia-smi is) as {name,
 * gpus: [{index, name, driver}], cuda}, the GPUs those of the run's
 * slots when it had some. */
static json_t *
host_info(const char *text, const char *gpu_ids)
{
	json_t *h = json_object(), *gpus = json_array();
	struct strv ids = STRV_INIT;
	if (gpu_ids && *gpu_ids)
		split_list(gpu_ids, ',', &ids);
	int first = 1;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char *l = xstrndup(p, n);
		p += n + (p[n] == '\n');
		if (first) {
			jset_str(h, "name", l);
			first = 0;
		} else if (str_starts(l, "cuda: ")) {
			jset_str(h, "cuda", l + 6);
		} else if (str_starts(l, "gpu: ")) {
			struct strv f = STRV_INIT;
			split_list(l + 5, ',', &f);
			for (size_t i = 0; i < f.n; i++) {	/* "0, NVIDIA A100, 550.54": trim */
				char *v = f.v[i];
				while (*v == ' ')
					memmove(v, v + 1, strlen(v));
			}
			if (f.n >= 3 && (!ids.n || strv_has(&ids, f.v[0])))
				json_array_append_new(gpus, json_pack("{s:s, s:s, s:s}", "index", f.v[0], "name", f.v[1],
								      "driver", f.v[2]));
			strv_release(&f);
		}
		free(l);
	}
	json_object_set_new(h, "gpus", gpus);
	strv_release(&ids);
	return h;
}

/* A run that has just finished: its metrics (collected in the same batch),
 * its cost; its evidence is written once the lock is released.  1 if the
 * entry changed. */
static int
finish_run(struct check *c, json_t *r, json_t *pr)
{
	const char *st = jstr0(r, "status");
	if (strcmp(st, "done") && strcmp(st, "failed"))
		return 0;
	int changed = 0;
	if (jstr(pr, "host") && !json_object_get(r, "host")) {
		json_object_set_new(r, "host", host_info(jstr(pr, "host"), jstr(r, "gpu_ids")));
		changed = 1;
	}
	if (!run_collected(r))
		changed |= collect_apply(r, json_object_get(pr, "collect"));
	struct worker *w = registry_find(&c->reg, jstr0(r, "worker_id"));
	if (w && !json_object_get(r, "cost_usd"))
		changed |= run_set_cost(r, w->dph);
	if (run_collected(r))
		json_array_append_new(c->finished, json_deep_copy(r));
	return changed;
}

static void
write_evidence(struct check *c)
{
	struct buf err = BUF_INIT;
	for (size_t i = 0; i < json_array_size(c->finished); i++) {
		if (evidence_write_run(c->root, json_array_get(c->finished, i), &err) < 0) {
			warning("%s", err.s);
			buf_reset(&err);
		}
	}
	buf_release(&err);
	json_array_clear(c->finished);
}

static int
update(struct queue *q, void *arg, struct buf *err)
{
	struct check *c = arg;
	int changed = 0;
	c->active = c->pending = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (queue_key_is(q, i, JK_STATUS, "pending")) {
			if (c->held && c->held->n) {
				json_t *r = queue_obj(q, i, err);
				if (!r)
					return -1;
				if (strv_has(c->held, jstr0(r, "worker_pool")))
					continue;
			}
			c->pending++;
			continue;
		}
		int running = queue_key_is(q, i, JK_STATUS, "running");
		if (!running && !queue_key_is(q, i, JK_STATUS, "dispatching"))
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r)
			return -1;
		json_t *pr = json_object_get(c->probes, jstr0(r, "id"));
		long long att = -1;
		jint(pr, "attempt", &att);
		/* the entry as it was probed: same status, attempt, worker and
		 * claim (a run revoked and claimed again is another launch) */
		if (pr && att == run_attempt(r) && !strcmp(jstr0(pr, "status"), jstr0(r, "status")) &&
		    !strcmp(jstr0(pr, "token"), claim_token(r) ? claim_token(r) : "") &&
		    !strcmp(jstr0(pr, "worker"), jstr0(r, "worker_id"))) {
			if (apply(c, r, pr) | finish_run(c, r, pr) | apply_pull(r, pr)) {
				queue_touch(q, i);
				changed = 1;
			}
			json_t *rep = json_object();
			jset_str(rep, "id", jstr0(r, "id"));
			jset_str(rep, "status", jstr0(r, "status"));
			jset_str(rep, "worker_id", jstr0(pr, "worker"));
			jset_str(rep, "pid", jstr0(r, "pid"));
			jset_str(rep, "exit_code", jstr0(r, "exit_code"));
			jset_str(rep, "worker_pool", jstr0(r, "worker_pool"));
			jset_str(rep, "started_at", jstr0(r, "started_at"));
			jset_str(rep, "ended_at", jstr0(r, "ended_at"));
			jset_int(rep, "attempt", run_attempt(r));
			json_object_set(rep, "tail", json_object_get(pr, "tail"));
			if (json_object_get(r, "metrics"))
				json_object_set(rep, "metrics", json_object_get(r, "metrics"));
			if (json_object_get(r, "metrics_text"))
				json_object_set(rep, "metrics_text", json_object_get(r, "metrics_text"));
			if (jstr(r, "metrics_error"))
				jset_str(rep, "metrics_error", jstr(r, "metrics_error"));
			jset_str(rep, "reach", jstr0(pr, "reach"));
			if (json_object_get(pr, "pull"))	/* artifacts or a checkpoint brought back */
				json_object_set(rep, !strcmp(jstr0(pr, "state"), "exited") ? "artifacts" : "ckpt",
						json_object_get(pr, "pull"));
			if (jstr(pr, "claimed_by"))
				jset_str(rep, "claimed_by", jstr(pr, "claimed_by"));
			if (jstr(r, "stale_reason"))
				jset_str(rep, "stale_reason", jstr(r, "stale_reason"));
			if (run_attempt(r) > att) {
				/* went stale and was re-queued: why, from the attempt kept */
				json_t *h = json_object_get(r, "attempts");
				json_t *last = json_array_get(h, json_array_size(h) - 1);
				jset_str(rep, "stale_reason", jstr0(last, "stale_reason"));
				json_object_set_new(rep, "requeued", json_true());
			}
			jset_int(rep, "max_retries", run_max_retries(r));
			if (jstr(r, "slurm_job_id")) {
				jset_str(rep, "slurm_job_id", jstr(r, "slurm_job_id"));
				jset_str(rep, "slurm_state", jstr0(r, "slurm_state"));
			}
			json_array_append_new(c->report, rep);
		}
		const char *now_st = jstr0(r, "status");
		if (run_is_active(now_st))
			c->active++;
		else if (!strcmp(now_st, "pending"))
			c->pending++;
	}
	return changed;
}

/* After the probes: the artifacts of runs that ended, the checkpoints of
 * running runs that changed them (engine/pull.h), each run's result in
 * its probe's "pull". */
static void
pull_files(struct check *c, struct batches *bs)
{
	struct pull_req *reqs = NULL;
	size_t n = 0, alloc = 0;
	for (size_t i = 0; i < bs->n; i++) {
		struct batch *b = &bs->b[i];
		if (b->unreachable)
			continue;
		for (size_t k = 0; k < json_array_size(b->runs); k++) {
			const json_t *r = json_array_get(b->runs, k);
			json_t *pr = json_object_get(c->probes, jstr0(r, "id"));
			const json_t *globs = json_object_get(r, "artifacts");
			char kind = 0;
			if (!strcmp(jstr0(pr, "state"), "exited") && json_array_size(globs) &&
			    !json_object_get(r, "artifacts_fetched"))
				kind = 'a';
			else if (!strcmp(jstr0(pr, "state"), "running") && jstr(pr, "ckpt"))
				kind = 'c';
			if (!kind)
				continue;
			GROW(reqs, alloc, n + 1);
			long long mb = ARTIFACTS_MAX_MB_DEFAULT;
			jint(r, "artifacts_max_mb", &mb);
			reqs[n++] = (struct pull_req){ b->w, r, kind, globs, mb * 1000000 };
		}
	}
	if (n) {
		json_t *out = json_object();
		pull_run(c->root, reqs, n, out, 600000);
		const char *id;
		json_t *res;
		json_object_foreach(out, id, res)
			json_object_set(json_object_get(c->probes, id), "pull", res);
		json_decref(out);
	}
	free(reqs);
}

int
check_once(struct check *c, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	struct batches bs = BATCHES_INIT;
	char *path = path_join(c->root, Q_RUNS);
	int rc = -1;

	json_t *slurm_revoke = json_object();
	time_t now = time_now();
	json_decref(c->probes);
	json_decref(c->report);
	c->collect_ms = 0;
	if (!c->finished)
		c->finished = json_array();
	c->probes = json_object();
	c->report = json_array();
	registry_release(&c->reg);
	if (registry_load(&c->reg, c->root, err) < 0 || queue_load(&q, path, err) < 0)
		goto out;
	for (size_t i = 0; i < q.n; i++) {
		if (!queue_key_is(&q, i, JK_STATUS, "running") && !queue_key_is(&q, i, JK_STATUS, "dispatching"))
			continue;
		json_t *r = queue_obj(&q, i, err);
		if (!r)
			goto out;
		json_t *pr = json_object();
		jset_str(pr, "status", jstr0(r, "status"));
		jset_str(pr, "worker", jstr0(r, "worker_id"));
		jset_int(pr, "attempt", run_attempt(r));
		jset_str(pr, "token", claim_token(r) ? claim_token(r) : "");
		jset_str(pr, "metric_parser", jstr0(r, "metric_parser"));
		json_object_set_new(c->probes, jstr0(r, "id"), pr);
		struct worker *w = registry_find(&c->reg, jstr0(r, "worker_id"));
		struct buf why = BUF_INIT;
		if (!w || !w->enabled || worker_check(w, &why) < 0 || !run_ids_ok(r)) {
			jset_str(pr, "reach", "gone");
			jset_str(pr, "reason", !w ? "worker no longer in the registry"
					       : !w->enabled ? "worker disabled" : why.len ? why.s : "bad run id");
			buf_release(&why);
			continue;
		}
		buf_release(&why);
		jset_int(pr, "grace", w->unreachable_after);
		char *lp = run_log_path(w, c->root, jstr0(r, "project_id"), jstr0(r, "id"));
		jset_str(pr, "log_path", lp);
		free(lp);
		/* a dispatching run: its dispatcher's, or the worker's to say */
		const char *revoke = NULL;
		if (!strcmp(jstr0(r, "status"), "dispatching")) {
			if (claim_in_force(r, now)) {
				jset_str(pr, "reach", "claimed");
				char *who = claim_owner(r), until[32];
				iso_time(claim_until(r), until);
				char *m = xasprintf("being launched by %s (lease until %s)", who, until);
				jset_str(pr, "claimed_by", m);
				free(m);
				free(who);
				continue;
			}
			revoke = claim_token(r);
		}
		struct batch *b = batches_get(&bs, w, c->root);
		if (w->type == WORKER_SLURM) {
			json_array_append(b->runs, r);	/* one ros_slurm_probe for all, below */
			if (revoke)
				json_object_set_new(slurm_revoke, jstr0(r, "id"), json_string(revoke));
			continue;
		}
		probe_call(b, r, TAIL_LINES, revoke);
		c->collect_ms += collect_call(&b->s, r);
		json_array_append(b->runs, r);
	}
	for (size_t i = 0; i < bs.n; i++)
		if (bs.b[i].w->type == WORKER_SLURM) {
			slurm_script_probe(&bs.b[i].s, bs.b[i].runs, TAIL_LINES, slurm_revoke);
			for (size_t k = 0; k < json_array_size(bs.b[i].runs); k++)
				c->collect_ms += collect_call(&bs.b[i].s, json_array_get(bs.b[i].runs, k));
		}
	batches_run(&bs, c->root, 60000 + c->collect_ms);
	if (proc_interrupted) {
		rc = 0;	/* Ctrl-C: the answers were cut short, not the workers */
		goto out;
	}
	for (size_t i = 0; i < bs.n; i++) {
		struct batch *b = &bs.b[i];
		if (b->unreachable) {
			warning("worker %s did not answer: %s", b->w->id, b->reason);
			for (size_t k = 0; k < json_array_size(b->runs); k++) {
				json_t *pr = json_object_get(c->probes, jstr0(json_array_get(b->runs, k), "id"));
				jset_str(pr, "reach", "unreachable");
			}
			continue;
		}
		size_t pos = 0;
		struct rec rec;
		while (batch_rec_next(b, &pos, &rec)) {
			json_t *pr = json_object_get(c->probes, rec.run);
			if (!strcmp(rec.op, "probe") && pr && probe_read(b, &rec, pr) == 0) {
				jset_str(pr, "reach", "ok");
			} else if (!strcmp(rec.op, "collect") && pr) {
				json_object_set_new(pr, "collect", collect_result(pr, &rec));
			} else if (!strcmp(rec.op, "ckpt") && pr) {
				jset_str(pr, "ckpt", "yes");
			} else if (!strcmp(rec.op, "host") && pr && rec.data) {
				char *h = utf8_clean(rec.data, rec.len);
				jset_str(pr, "host", h);
				free(h);
			}
			rec_release(&rec);
		}
		/* a run the worker said nothing about: the script died early */
		for (size_t k = 0; k < json_array_size(b->runs); k++) {
			json_t *pr = json_object_get(c->probes, jstr0(json_array_get(b->runs, k), "id"));
			if (!jstr(pr, "reach"))
				jset_str(pr, "reach", "unreachable");
		}
	}
	pull_files(c, &bs);
	iso_now(c->now);
	rc = queue_update(c->root, Q_RUNS, update, c, err) < 0 ? -1 : 0;
	write_evidence(c);
out:
	batches_release(&bs);
	queue_release(&q);
	json_decref(slurm_revoke);
	free(path);
	return rc;
}

void
check_release(struct check *c)
{
	json_decref(c->probes);
	json_decref(c->report);
	json_decref(c->finished);
	registry_release(&c->reg);
}
