/*
 * check.c - `ros check-runs [--watch SECONDS]`: one process per worker
 * probes all its running and dispatching runs (src/remote/lib.sh
 * ros_probe), then, under the lock, each run still in the state it was
 * probed in moves on:
 *   exit code file        -> done (0) or failed, with exit_code, ended_at
 *   process gone, no code -> stale, re-queued while attempt < max_retries
 *   dispatching, started  -> running (a dispatcher died after the launch)
 *   dispatching, never    -> pending (the probe revoked the claim on the
 *                            worker, so it can never start late)
 * A dispatching run whose claim is in force (store/claim.h: its lease runs
 * and its dispatcher may still be launching it) is left alone, not probed.
 * A worker that does not answer keeps its runs as they are (reported once)
 * until it has been silent for longer than its `unreachable_after`
 * (seconds); a disabled or deleted worker's runs become stale at once —
 * a dispatching run's only once its claim is dead (no launch of it can
 * start any more).  Records a worker prints about runs it was not asked
 * about are ignored (batch_rec_next).
 * A Slurm worker's runs are probed with one ros_slurm_probe for all of
 * them (one squeue); exec/slurm.h maps job states onto these outcomes.
 * A run that finished gets its metrics in the same batch (ros_collect after
 * its probe, results/collect.h), its cost_usd, and its evidence file.
 */
#include "ros.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "results/collect.h"
#include "results/metrics.h"
#include "store/claim.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "cmd/cmds.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAIL_LINES 5

struct check {
	const char *root;
	struct registry reg;
	json_t *probes;		/* run id -> probe result */
	json_t *report;		/* array of {id, status, ...} for printing */
	json_t *finished;	/* copies of runs that finished: evidence to write */
	int collect_ms;		/* what the parser commands may add to a batch */
	char now[32];
	int active;		/* runs still running or dispatching after the check */
	int pending;		/* pending runs, but those of held pools */
	const struct strv *held;	/* pools a watch no longer feeds */
};

/*
 * What a watch learns from the runs that finish: a pool whose runs fail
 * FAIL_STREAK times in a row, each within FAIL_QUICK_S seconds of its start
 * and with one exit code, is broken (a missing file, a bad command): its
 * other runs are not dispatched, rather than fail one after the other.
 */
#define FAIL_STREAK 3
#define FAIL_QUICK_S 120

struct watch {
	json_t *streak;		/* pool -> {"code", "n"} of its last failures */
	struct strv held;	/* pools not fed any more */
	long long failed;	/* runs that failed during the watch */
};

/* Learn from the runs of this round's report that just finished. */
static void
watch_learn(struct watch *wt, const json_t *report)
{
	size_t i;
	json_t *r;
	json_array_foreach(report, i, r) {
		const char *st = jstr0(r, "status"), *pool = jstr0(r, "worker_pool");
		if (strcmp(st, "done") && strcmp(st, "failed"))
			continue;
		json_t *s = json_object_get(wt->streak, pool);
		if (!s)
			json_object_set_new(wt->streak, pool, s = json_object());
		if (!strcmp(st, "done")) {
			jset_int(s, "n", 0);
			continue;
		}
		wt->failed++;
		time_t t0 = parse_iso_time(jstr0(r, "started_at")), t1 = parse_iso_time(jstr0(r, "ended_at"));
		int quick = t0 > 0 && t1 >= t0 && t1 - t0 <= FAIL_QUICK_S;
		long long n = 0;
		jint(s, "n", &n);
		if (!quick || strcmp(jstr0(s, "code"), jstr0(r, "exit_code")))
			n = 0;
		jset_str(s, "code", jstr0(r, "exit_code"));
		jset_int(s, "n", quick ? n + 1 : 0);
		if (n + 1 >= FAIL_STREAK && quick && !strv_has(&wt->held, pool)) {
			strv_push(&wt->held, pool);
			fprintf_term(stdout, "pool %s: %d runs in a row failed within %d s, each with exit %s; no more of "
				     "its runs are dispatched (see ros logs %s)\n", pool, FAIL_STREAK, FAIL_QUICK_S,
				     jstr0(r, "exit_code"), jstr0(r, "id"));
		}
	}
}

/* Valid UTF-8 copy of bytes (invalid ones become U+FFFD). */
static char *
clean_text(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n;) {
		size_t k = 1;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (i + k > n || !utf8_valid(s + i, k)) {
				buf_adds(&b, "\xef\xbf\xbd");
				i++;
				continue;
			}
		} else if (c == 0) {
			i++;
			continue;
		}
		buf_add(&b, s + i, k);
		i += k;
	}
	return buf_detach(&b);
}

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
			if (apply(c, r, pr) | finish_run(c, r, pr)) {
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

/* Probe all active runs (snapshot without the lock), then apply. */
static int
check_once(struct check *c, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	struct batches bs = BATCHES_INIT;
	char *path = path_join(c->root, Q_RUNS);
	int rc = -1;

	json_t *slurm_revoke = json_object();
	time_t now = time(NULL);
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
		if (worker_is_slurm(w)) {
			json_array_append(b->runs, r);	/* one ros_slurm_probe for all, below */
			if (revoke)
				json_object_set_new(slurm_revoke, jstr0(r, "id"), json_string(revoke));
			continue;
		}
		char att[24], lines[16], pids[24];
		run_attempt_word(r, att);
		run_pid_word(r, pids);
		snprintf(lines, sizeof lines, "%d", TAIL_LINES);
		const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, lines, pids, revoke, NULL };
		script_call(&b->s, "ros_probe", args, NULL, 0);
		c->collect_ms += collect_call(&b->s, r);
		json_array_append(b->runs, r);
	}
	for (size_t i = 0; i < bs.n; i++)
		if (worker_is_slurm(bs.b[i].w)) {
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
			if (!strcmp(rec.op, "probe") && pr && rec.nf >= 5) {
				jset_str(pr, "reach", "ok");
				jset_str(pr, "state", rec.f[0]);
				jset_str(pr, "pid", rec.f[1]);
				jset_str(pr, "code", rec.f[2]);
				jset_str(pr, "started", rec.f[3]);
				jset_str(pr, "ended", rec.f[4]);
				char *t = clean_text(rec.data, rec.len);
				jset_str(pr, "tail", t);
				free(t);
				if (worker_is_slurm(b->w))
					slurm_settle(pr, rec.nf >= 7 ? rec.f[5] : "-", rec.nf >= 7 ? rec.f[6] : "-");
			} else if (!strcmp(rec.op, "collect") && pr) {
				json_object_set_new(pr, "collect", collect_result(pr, &rec));
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

/* The tail's lines after indent, or with last_only its last line alone,
 * escaped for the terminal (fprintf_term).  A line shows what follows its
 * last CR (once CRs at its end are dropped): a progress bar's latest state,
 * as a terminal would end up showing it, and never a way back over ours. */
static void
print_tail(const char *tail, const char *indent, int last_only)
{
	const char *end = tail + strlen(tail), *p = tail;
	while (end > tail && end[-1] == '\n')
		end--;
	if (last_only)
		for (p = end; p > tail && p[-1] != '\n'; p--)
			;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *ls = p;
		while (le > ls && le[-1] == '\r')
			le--;
		for (const char *q = ls; q < le; q++)
			if (*q == '\r')
				ls = q + 1;
		if (last_only)
			fprintf_term(stdout, "%.*s", (int)(le - ls), ls);
		else
			fprintf_term(stdout, "%s%.*s\n", indent, (int)(le - ls), ls);
		p = nl ? nl + 1 : end;
	}
}

/* "  mse=0.3891 mae=0.412" or "  metrics: <error>", and the newline. */
static void
print_metrics(const json_t *r)
{
	const char *k;
	json_t *v;
	int n = 0;
	/* a failed run's missing metrics are not news (results counts them) */
	if (jstr(r, "metrics_error") && strcmp(jstr0(r, "status"), "failed"))
		fprintf_term(stdout, "  metrics: %s", jstr(r, "metrics_error"));
	json_object_foreach(json_object_get(r, "metrics"), k, v) {
		char num[METRIC_TEXT_MAX];	/* as the log wrote it: 0.3990, not 0.399 */
		metric_text(v, json_object_get(json_object_get(r, "metrics_text"), k), num);
		fprintf_term(stdout, "%s%s=%s", n++ ? " " : "  ", k, num);
	}
	printf("\n");
}

/* What workers sent (pids, states, reasons, log lines) goes out escaped. */
static void
print_report(struct check *c, struct ctx *ctx)
{
	if (ctx->json) {
		json_print(c->report);
		return;
	}
	for (size_t i = 0; i < json_array_size(c->report); i++) {
		json_t *r = json_array_get(c->report, i);
		const char *st = jstr0(r, "status"), *id = jstr0(r, "id");
		if (!strcmp(jstr0(r, "reach"), "unreachable")) {
			fprintf_term(stdout, "%s: %-8s (worker %s not answering)\n", id, st, jstr0(r, "worker_id"));
		} else if (!strcmp(jstr0(r, "reach"), "claimed")) {
			fprintf_term(stdout, "%s: %-8s %s → %s\n", id, st, jstr0(r, "claimed_by"), jstr0(r, "worker_id"));
		} else if ((!strcmp(st, "running") || !strcmp(st, "dispatching")) && jstr(r, "slurm_job_id")) {
			fprintf_term(stdout, "%s: %-8s job=%s %s  | ", id, st, jstr0(r, "slurm_job_id"),
				     jstr0(r, "slurm_state"));
			print_tail(jstr0(r, "tail"), "", 1);
			printf("\n");
		} else if (!strcmp(st, "running") || !strcmp(st, "dispatching")) {
			fprintf_term(stdout, "%s: %-8s pid=%s  | ", id, st, jstr0(r, "pid"));
			print_tail(jstr0(r, "tail"), "", 1);
			printf("\n");
		} else if (!strcmp(st, "done") || !strcmp(st, "failed")) {
			fprintf_term(stdout, "%s: %-8s exit=%s", id, st, jstr0(r, "exit_code"));
			print_metrics(r);
			print_tail(jstr0(r, "tail"), "    ", 0);
		} else if (jstr(r, "stale_reason")) {
			long long att = 0, max = 0;
			jint(r, "attempt", &att);
			jint(r, "max_retries", &max);
			fprintf_term(stdout, "%s: %-8s %s", id, "stale", jstr(r, "stale_reason"));
			if (json_is_true(json_object_get(r, "requeued")))
				printf("; re-queued for attempt %lld of %lld\n", att + 1, max + 1);
			else if (!strcmp(st, "stale"))
				fprintf_term(stdout, "; no retries left (ros retry %s)\n", id);
			else
				printf("\n");
		} else {
			fprintf_term(stdout, "%s: %s\n", id, st);
		}
	}
}

static int
cmd_check_fn(int argc, char **argv, struct ctx *ctx)
{
	struct check c = { 0 };
	struct buf err = BUF_INIT;
	long long watch = 0;
	int rc = 0, dispatch = 0, idle_rounds = 0;
	const struct opt opts[] = {
		{ "watch", OPT_INT, &watch, "SECONDS", "check again every SECONDS until no run is running", 0, NULL },
		{ "dispatch", OPT_BOOL, &dispatch, NULL, "with --watch: also dispatch pending runs as slots free up, until the queue is empty", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (watch < 0)
		usage_error(ctx, "--watch must be positive");
	c.root = ctx_root(ctx);
	c.reg = (struct registry)REGISTRY_INIT;
	if (dispatch && !watch)
		usage_error(ctx, "--dispatch goes with --watch");
	struct watch wt = { json_object(), STRV_INIT, 0 };
	c.held = &wt.held;
	for (;;) {
		size_t started = 0;
		if (dispatch) {
			struct dispatch_opts o = DISPATCH_OPTS_INIT;
			o.quiet = 1;
			o.hold_pools = &wt.held;
			fflush(stdout);
			dispatch_pending(c.root, &o, &started);
		}
		buf_reset(&err);
		if (check_once(&c, &err) < 0) {
			error("%s", err.s);
			rc = 1;
			break;
		}
		if (proc_interrupted) {
			rc = 130;
			break;
		}
		print_report(&c, ctx);
		if (watch)
			watch_learn(&wt, c.report);
		if (!watch || proc_interrupted)
			break;
		if (c.active == 0 && (!dispatch || c.pending == 0))
			break;
		if (c.active == 0) {
			/* slots just came free: dispatch again at once; if nothing
			 * could start twice in a row, waiting would not help */
			if (idle_rounds++ && !started) {
				info("%d run%s pending with no free worker of their pool", c.pending,
				     c.pending == 1 ? "" : "s");
				rc = 1;
				break;
			}
			continue;
		}
		idle_rounds = 0;
		if (!ctx->json)
			printf("-- %d running, %d pending; next check in %lld s --\n", c.active, c.pending, watch);
		fflush(stdout);
		for (long long s = 0; s < watch * 10 && !proc_interrupted; s++)
			usleep(100000);
	}
	if (!ctx->json && json_array_size(c.report) == 0 && !proc_interrupted)
		info("no running runs");
	if (wt.failed) {
		info("%lld run%s failed during the watch", wt.failed, wt.failed == 1 ? "" : "s");
		rc = 1;
	}
	if (wt.held.n)
		rc = 1;
	json_decref(wt.streak);
	strv_release(&wt.held);
	json_decref(c.probes);
	json_decref(c.report);
	json_decref(c.finished);
	registry_release(&c.reg);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_check_runs = {
	"check-runs", cmd_check_fn, CMD_JSON, "poll running runs (one connection per worker), record outcomes",
	"[--watch SECONDS [--dispatch]] [--json]",
	"Prints per run `rXXXXXXX: running  pid=N  | <last log line>`, or\n"
	"`rXXXXXXX: done  exit=0` and the last log lines.  A run whose process\n"
	"vanished without an exit code becomes stale and goes back to pending while\n"
	"attempt < max_retries.  Ctrl-C stops it at once (exit 130); the check it\n"
	"cuts short writes nothing.\n"
	"\n"
	"A dispatching run is left alone while its claim is in force (its lease runs\n"
	"and the dispatch-runs that claimed it may still be launching it: `being\n"
	"launched by HOST pid N`).  After that, its worker is asked: a launch that\n"
	"never happened is revoked there, so that it can never start late, and the\n"
	"run goes back to pending.  Records a worker prints about runs it was not\n"
	"asked about are ignored, with a warning.\n"
	"\n"
	"With --watch --dispatch, a pool whose runs fail 3 times in a row within\n"
	"120 s of their start, with one exit code, is not fed any more (said once);\n"
	"a watch in which runs failed exits 1.\n"
	"\n"
	"Runs on Slurm workers print `job=ID STATE` while queued or running; one squeue\n"
	"per worker.  CANCELLED becomes cancelled, TIMEOUT and OUT_OF_MEMORY failed,\n"
	"NODE_FAIL and PREEMPTED stale; the exit-code file decides the rest.\n"
	"\n"
	"Log lines show control characters as \\xHH (see `ros help logs`), and a\n"
	"line what follows its last carriage return, as a terminal would end up\n"
	"showing it (a progress bar's latest state).",
};
