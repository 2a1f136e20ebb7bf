/*
 * runctl.c - commands on runs: logs (one run), cancel and retry (runs named
 * or chosen by the filters of `ros runs`, cmds.h).
 */
#include "ros.h"
#include "cmds.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Load the run queue and registry; find run id (copy into *run). */
static int
find_run(struct ctx *ctx, const char *id, json_t **run, struct registry *reg, int need_reg)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = ctx_path(ctx, Q_RUNS);
	int rc = -1;
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	long i = queue_find(&q, id);
	if (i < 0) {
		error("no run '%s' in %s", id, Q_RUNS);
		goto out;
	}
	json_t *r = queue_obj(&q, (size_t)i, &err);
	if (!r) {
		error("%s", err.s);
		goto out;
	}
	*run = json_deep_copy(r);
	if (need_reg && registry_load(reg, ctx_root(ctx), &err) < 0) {
		error("%s", err.s);
		json_decref(*run);
		*run = NULL;
		goto out;
	}
	rc = 0;
out:
	queue_release(&q);
	buf_release(&err);
	free(path);
	return rc;
}

struct logs_out {
	int raw;
	struct buf pend;	/* what the last piece left: the start of a character */
	struct buf esc;
	json_t *rec;		/* --json: {run, worker_id, line}, else NULL */
	struct buf line;	/* --json: the line so far */
};

/* --json: each line of what was printed (lo->esc) as a record of its own,
 * the last one too when at_end even without its newline. */
static void
json_lines(struct logs_out *lo, int at_end)
{
	const char *s = buf_cstr(&lo->esc), *nl;
	buf_adds(&lo->line, s);
	s = buf_cstr(&lo->line);
	while ((nl = strchr(s, '\n')) || (at_end && *s)) {
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		json_object_set_new(lo->rec, "line", json_stringn(s, n));
		char *j = json_compact(lo->rec);
		printf("%s\n", j);
		free(j);
		s += n + (nl != NULL);
	}
	memmove(lo->line.s, s, strlen(s) + 1);
	lo->line.len = strlen(lo->line.s);
}

/* The log as it arrives: escaped for the terminal (buf_add_term), or with
 * --raw as it is; with --json a record per line. */
static void
stream_out(struct proc *p, int stream, const char *data, size_t len)
{
	struct logs_out *lo = p->arg;
	if (stream != 1)
		return;
	if (lo->raw) {
		fwrite(data, 1, len, stdout);
	} else {
		buf_add(&lo->pend, data, len);
		buf_reset(&lo->esc);
		size_t used = buf_add_term(&lo->esc, lo->pend.s, lo->pend.len, 1);
		memmove(lo->pend.s, lo->pend.s + used, lo->pend.len - used + 1);	/* and the NUL */
		lo->pend.len -= used;
		if (lo->rec)
			json_lines(lo, 0);
		else
			fwrite(buf_cstr(&lo->esc), 1, lo->esc.len, stdout);
	}
	fflush(stdout);
}

static int
cmd_logs_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	json_t *r = NULL;
	struct logs_out lo = { 0, BUF_INIT, BUF_INIT, NULL, BUF_INIT };
	long long n = 40;
	int follow = 0, rc = 1;
	const struct opt opts[] = {
		{ "lines", OPT_INT, &n, "N", "last N lines (default 40)", 'n', NULL },
		{ "follow", OPT_BOOL, &follow, NULL, "keep printing until the run ends", 'f', NULL },
		{ "raw", OPT_BOOL, &lo.raw, NULL, "the log's bytes as they are, control characters too", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, "which run?");
	if (n < 1 || n > 1000000)
		usage_error(ctx, "-n must be between 1 and 1000000");
	if (ctx->json && lo.raw)
		usage_error(ctx, "--json and --raw do not go together");
	if (find_run(ctx, pos.v[0], &r, &reg, 1) < 0)
		goto out;
	struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
	if (!w) {
		error("run %s has no worker%s%s (status %s)", pos.v[0], *jstr0(r, "worker_id") ? " in the registry: " : "",
		      jstr0(r, "worker_id"), jstr0(r, "status"));
		goto out;
	}
	if (worker_check(w, &err) < 0 || !run_ids_ok(r)) {
		error("%s", err.len ? err.s : "run id is not a plain name");
		goto out;
	}
	struct script s = SCRIPT_INIT;
	struct proc p;
	char lines[24], pid[24];
	snprintf(lines, sizeof lines, "%lld", n);
	run_pid_word(r, pid);
	if (ctx->json) {
		lo.rec = json_object();
		jset_str(lo.rec, "run", jstr0(r, "id"));
		jset_str(lo.rec, "worker_id", w->id);
	}
	script_begin(&s, w, ctx_root(ctx));
	const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), lines, follow ? "1" : "0", pid, NULL };
	if (worker_is_slurm(w))
		slurm_script_logs(&s, r, lines, follow);
	else
		script_call(&s, "ros_logs", args, NULL, 0);
	remote_proc(&p, w, ctx_root(ctx), &s, follow ? 0 : 60000);
	p.on_output = stream_out;
	p.arg = &lo;
	p.stream_only = 1;	/* a log of any size streams through; stderr stays capped */
	proc_run(&p);
	if (lo.pend.len || lo.line.len) {	/* a character the log cut short, a last line */
		buf_reset(&lo.esc);
		buf_add_term(&lo.esc, buf_cstr(&lo.pend), lo.pend.len, 0);
		if (lo.rec)
			json_lines(&lo, 1);
		else
			fwrite(lo.esc.s, 1, lo.esc.len, stdout);
	}
	if (proc_interrupted)
		rc = 130;	/* Ctrl-C: stopped, as asked */
	else if (p.status == 0)
		rc = 0;
	else if (remote_unreachable(&p)) {
		char *why = remote_reason(&p);
		if (p.overflowed)
			error("worker %s: %s; treated as unreachable", w->id, why);
		else
			error("worker %s unreachable: %s", w->id, why);
		free(why);
	} else {
		fprintf_term(stderr, "%s", buf_cstr(&p.err));
	}
	proc_release(&p);
	script_release(&s);
out:
	buf_release(&lo.pend);
	buf_release(&lo.esc);
	buf_release(&lo.line);
	json_decref(lo.rec);
	json_decref(r);
	registry_release(&reg);
	strv_release(&pos);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_logs = {
	"logs", cmd_logs_fn, CMD_JSON, "print a run's log from its worker", "RUN [-n N] [-f] [--raw | --json]",
	"-f follows the log until the run ends (Ctrl-C: exit 130; the run goes on).\n"
	"\n"
	"A log is others' text: what could drive the terminal is shown as \\xHH\n"
	"(lowercase hex, one per byte): control characters but newline and tab\n"
	"(a carriage return too, as it can hide what a line says), DEL, C1 controls\n"
	"(U+0080..U+009F) and bytes that are not UTF-8; other UTF-8 text is printed\n"
	"as it is.  --raw prints the log's bytes unchanged (for a pipe or a file).\n"
	"--json prints each line as it would be shown as a record of its own, one\n"
	"JSON object a line: {\"run\": ID, \"worker_id\": W, \"line\": TEXT} (JSON\n"
	"Lines; with -f as they arrive).",
};

/* ---- which runs: ids, or filters ---- */

/* The entries named by ids (each once, in the order given; unknown ids are
 * reported and set *bad), or with filters those that pass f and have one of
 * the statuses wanted (when f has none: the defaults).  Indexes into q. */
static void
select_runs(struct queue *q, const struct strv *ids, const struct run_filter *f, const char *const *defaults,
	    size_t ndefaults, struct strv *out_ids, size_t **out_idx, size_t *n, int *bad)
{
	*out_idx = xcalloc((ids->n ? ids->n : q->n) + 1, sizeof **out_idx);
	*n = 0;
	if (ids->n) {
		for (size_t k = 0; k < ids->n; k++) {
			if (strv_has(out_ids, ids->v[k]))
				continue;
			long i = queue_find(q, ids->v[k]);
			if (i < 0) {
				error("no run '%s'", ids->v[k]);
				*bad = 1;
				continue;
			}
			strv_push(out_ids, ids->v[k]);
			(*out_idx)[(*n)++] = (size_t)i;
		}
		return;
	}
	for (size_t i = 0; i < q->n; i++) {
		if (!run_filter_match(f, q, i))
			continue;
		int ok = f->status.n > 0;
		for (size_t k = 0; k < ndefaults && !ok; k++)
			ok = queue_key_is(q, i, JK_STATUS, defaults[k]);
		if (!ok)
			continue;
		strv_push_nocopy(out_ids, queue_key(q, i, JK_ID));
		(*out_idx)[(*n)++] = i;
	}
}

/* Usage checks shared by retry and cancel; 1 when filters select the runs. */
static int
ids_or_filters(struct ctx *ctx, const struct strv *ids, struct run_filter *f, const char *const *allowed,
	       size_t nallowed, const char *what)
{
	int filtered = run_filter_ready(ctx, f);
	const char *bad = NULL;
	if (!ids->n && !filtered)
		usage_error(ctx, "which runs? give run ids, or filters (--status, --project, --worker)");
	if (ids->n && filtered)
		usage_error(ctx, "give run ids or filters, not both");
	if (!run_filter_status_ok(f, allowed, nallowed, &bad))
		usage_error(ctx, "--status %s: only %s runs can be %s", bad, what,
			    !strcmp(current_cmd->name, "cancel") ? "cancelled" : "retried");
	return filtered;
}

/* ---- cancel ---- */

static const char *const cancellable[] = { "pending", "dispatching", "running" };

struct cancel {
	struct strv ids;	/* the runs to cancel */
	json_t *result;		/* id -> {result: terminated | killed | notrunning | pending | ..., reason} */
	json_t *snap;		/* id -> {status, attempt, token} seen before signalling */
	char now[32];
};

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

/* Batch b's ros_cancel_many lines (project run pid token), by batch index. */
struct cancel_lines {
	struct buf *l;
	size_t *n;
	size_t alloc;
};

static int
cmd_cancel_fn(int argc, char **argv, struct ctx *ctx)
{
	struct cancel c = { STRV_INIT, json_object(), json_object(), "" };
	struct strv args = STRV_INIT;
	struct run_filter f = RUN_FILTER_INIT;
	struct registry reg = REGISTRY_INIT;
	struct queue q = QUEUE_INIT;
	struct batches bs = BATCHES_INIT;
	struct cancel_lines cl = { NULL, NULL, 0 };
	struct buf err = BUF_INIT;
	size_t *idx = NULL, n = 0, finished = 0, cancelled = 0, failed = 0, would = 0;
	long long grace = 10;
	int rc = 0, dry = 0;
	const struct opt opts[] = {
		{ "grace", OPT_INT, &grace, "SECONDS", "wait this long after SIGTERM before SIGKILL (default 10)", 0, NULL },
		RUN_FILTER_OPTS(&f),
		{ "dry-run", OPT_BOOL, &dry, NULL, "say which runs would be cancelled; change nothing", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &args);
	int filtered = ids_or_filters(ctx, &args, &f, cancellable, ARRAY_SIZE(cancellable),
				      "pending, dispatching or running");
	if (grace < 0 || grace > 3600)
		usage_error(ctx, "--grace must be between 0 and 3600");
	const char *root = ctx_root(ctx);
	char *path = ctx_path(ctx, Q_RUNS);
	if (queue_load(&q, path, &err) < 0 || registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		rc = 1;
		goto out;
	}
	select_runs(&q, &args, &f, cancellable, ARRAY_SIZE(cancellable), &c.ids, &idx, &n, &rc);
	char gs[24];
	snprintf(gs, sizeof gs, "%lld", grace);
	size_t most = 0;	/* runs of the busiest worker's ros_cancel_many */
	for (size_t k = 0; k < n; k++) {
		const char *id = c.ids.v[k];
		json_t *r = queue_obj(&q, idx[k], &err);
		if (!r) {
			error("%s", err.s);
			buf_reset(&err);
			rc = 1;
			continue;
		}
		const char *st = jstr0(r, "status");
		if (run_is_finished(st)) {
			printf("%s: already %s, nothing to cancel\n", id, st);
			finished++;
			continue;
		}
		if (strcmp(st, "pending") && !run_is_active(st)) {
			error("run %s is %s: nothing to cancel", id, st);
			rc = 1;
			continue;
		}
		if (dry) {
			would++;
			if (*jstr0(r, "worker_id"))
				printf("would cancel %s (%s on %s)\n", id, st, jstr(r, "worker_id"));
			else
				printf("would cancel %s (%s)\n", id, st);
			continue;
		}
		json_t *snap = json_object();
		jset_str(snap, "status", st);
		jset_int(snap, "attempt", run_attempt(r));
		jset_str(snap, "token", claim_token(r) ? claim_token(r) : "");
		json_object_set_new(c.snap, id, snap);
		json_t *res = json_object();
		json_object_set_new(c.result, id, res);
		if (!strcmp(st, "pending")) {
			jset_str(res, "result", "pending");
			continue;
		}
		struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
		buf_reset(&err);
		if (!w || worker_check(w, &err) < 0 || !run_ids_ok(r)) {
			jset_str(res, "result", "noworker");
			continue;
		}
		struct batch *b = batches_get(&bs, w, root);
		/* a dispatching run's claim is revoked on the worker unless
		 * launched: it can never start after this */
		const char *tok = !strcmp(st, "dispatching") ? claim_token(r) : NULL;
		if (worker_is_slurm(w)) {
			slurm_script_cancel(&b->s, r, tok);	/* scancel; Slurm does the grace period */
		} else {
			size_t bi = (size_t)(b - bs.b);
			if (bi >= cl.alloc) {
				size_t old = cl.alloc;
				GROW(cl.l, cl.alloc, bi + 1);
				cl.n = xrealloc(cl.n, cl.alloc * sizeof *cl.n);
				for (size_t j = old; j < cl.alloc; j++) {
					cl.l[j] = (struct buf)BUF_INIT;
					cl.n[j] = 0;
				}
			}
			char pid[24];
			run_pid_word(r, pid);
			buf_addf(&cl.l[bi], "%s %s %s %s\n", jstr0(r, "project_id"), id, pid, tok ? tok : "-");
			if (++cl.n[bi] > most)
				most = cl.n[bi];
		}
		json_array_append(b->runs, r);
	}
	if (dry) {
		printf("%zu run%s would be cancelled (dry run)\n", would, would == 1 ? "" : "s");
		goto out;
	}
	/* all of a worker's runs in one ros_cancel_many: up to 32 at a time */
	for (size_t i = 0; i < bs.n && i < cl.alloc; i++)
		if (cl.n[i]) {
			const char *a[] = { gs, NULL };
			script_call(&bs.b[i].s, "ros_cancel_many", a, cl.l[i].s, cl.l[i].len);
		}
	long long waves = (long long)(most + 31) / 32;
	long long ms = ((waves ? waves : 1) * (grace + 5) + 60) * 1000;
	batches_run(&bs, root, ms > 2000000000 ? 2000000000 : (int)ms);
	for (size_t i = 0; i < bs.n; i++) {
		struct batch *b = &bs.b[i];
		size_t pos = 0;
		struct rec rec;
		for (size_t k = 0; k < json_array_size(b->runs); k++) {
			json_t *res = json_object_get(c.result, jstr0(json_array_get(b->runs, k), "id"));
			jset_str(res, "result", "unreachable");
			jset_str(res, "reason", b->reason ? b->reason : "no answer");
		}
		while (!b->unreachable && batch_rec_next(b, &pos, &rec)) {
			json_t *res = json_object_get(c.result, rec.run);
			if (res && !strcmp(rec.op, "cancel") && rec.nf > 0)
				jset_str(res, "result", rec.f[0]);
			rec_release(&rec);
		}
	}
	iso_now(c.now);
	buf_reset(&err);
	if (json_object_size(c.snap) && queue_update(root, Q_RUNS, mark_cancelled, &c, &err) < 0) {
		error("%s", err.s);
		rc = 1;
	}
	for (size_t k = 0; k < c.ids.n; k++) {
		const char *id = c.ids.v[k];
		json_t *v = json_object_get(c.result, id);
		const char *res = jstr0(v, "result");
		if (!v)
			continue;
		if (!strcmp(res, "unreachable")) {
			printf("%s: not cancelled (worker unreachable: %s)\n", id, jstr0(v, "reason"));
			failed++;
		} else if (!strcmp(res, "error")) {
			printf("%s: not cancelled (scancel failed)\n", id);
			failed++;
		} else {
			printf("%s: cancelled%s%s%s%s%s\n", id, !strcmp(res, "pending") ? " (was pending)" : "",
			       !strcmp(res, "killed") ? " (SIGKILL after the grace period)" : "",
			       !strcmp(res, "notrunning") ? " (the process had already ended)" : "",
			       !strcmp(res, "dequeued") ? " (its Slurm job was still queued)" : "",
			       !strcmp(res, "notsubmitted") ? " (it had no Slurm job yet)" : "");
			cancelled++;
		}
	}
	if (filtered || c.ids.n > 1) {
		printf("%zu cancelled", cancelled);
		if (finished)
			printf(", %zu already finished", finished);
		if (failed)
			printf(", %zu not cancelled", failed);
		printf("\n");
	}
	/* a run that had finished is no failure, unless nothing was cancelled */
	if (failed || (finished && !cancelled))
		rc = 1;
out:
	for (size_t i = 0; i < cl.alloc; i++)
		buf_release(&cl.l[i]);
	free(cl.l);
	free(cl.n);
	free(idx);
	batches_release(&bs);
	queue_release(&q);
	registry_release(&reg);
	run_filter_release(&f);
	strv_release(&args);
	strv_release(&c.ids);
	json_decref(c.result);
	json_decref(c.snap);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_cancel = {
	"cancel", cmd_cancel_fn, 0, "stop runs (SIGTERM to the process group, then SIGKILL)",
	"RUN... | [--status S] [--project P] [--worker W] [--grace SECONDS] [--dry-run]",
	"The runs are named, or chosen by filters (each a comma list; without\n"
	"--status: every pending, dispatching and running run that passes the\n"
	"others).  A pending run just becomes cancelled; a running one gets SIGTERM\n"
	"to its process group, and SIGKILL if it is still there after the grace\n"
	"period.  All the runs of one worker go through one connection, up to 32\n"
	"of them at a time, so their grace periods overlap.  A run on a Slurm\n"
	"worker is cancelled with scancel (a queued job leaves the queue; Slurm's\n"
	"KillWait takes the place of --grace).  A run that had already finished is\n"
	"left as it is (\"already done, nothing to cancel\").\n"
	"\n"
	"Exit status: 1 when a run is unknown, its worker did not answer, or every\n"
	"run named had already finished; else 0.\n"
	"\n"
	"Examples:\n"
	"  ros cancel r1a2b3c4 r5d6e7f8\n"
	"  ros cancel --status running --project spectral_entropy --dry-run\n"
	"  ros cancel --worker gpu-box --grace 30",
};

/* ---- retry ---- */

static const char *const retriable[] = { "failed", "stale", "cancelled" };

struct retry {
	struct strv ids;	/* named runs, or none */
	struct run_filter *f;
	int bad, dry;
	size_t n;		/* runs retried (or that would be) */
	struct strv out;	/* what to print once the queue is written */
	char now[32];
};

static int
requeue(struct queue *q, void *arg, struct buf *err)
{
	struct retry *rt = arg;
	struct strv ids = STRV_INIT;
	size_t *idx = NULL, n = 0;
	int changed = 0;
	/* without --status: failed and stale runs; cancelled ones only when asked */
	select_runs(q, &rt->ids, rt->f, retriable, 2, &ids, &idx, &n, &rt->bad);
	for (size_t k = 0; k < n; k++) {
		json_t *r = queue_obj(q, idx[k], err);
		if (!r) {
			changed = -1;
			break;
		}
		const char *st = jstr0(r, "status");
		if (strcmp(st, "failed") && strcmp(st, "stale") && strcmp(st, "cancelled")) {
			error("run %s is %s: only failed, stale or cancelled runs can be retried", ids.v[k], st);
			rt->bad = 1;
			continue;
		}
		long long next = run_attempt(r) + 1;
		rt->n++;
		if (rt->dry) {
			strv_pushf(&rt->out, "would retry %s (%s, attempt %lld → %lld)", ids.v[k], st, next - 1, next);
			continue;
		}
		run_archive_attempt(r, st);
		jset_int(r, "attempt", next);
		run_set_status(r, "pending", rt->now);
		json_object_del(r, "stale_reason");
		json_object_del(r, "last_error");
		queue_touch(q, idx[k]);
		strv_pushf(&rt->out, "%s: pending (attempt %lld)", ids.v[k], next);
		changed = 1;
	}
	free(idx);
	strv_release(&ids);
	return changed;
}

static int
cmd_retry_fn(int argc, char **argv, struct ctx *ctx)
{
	struct run_filter f = RUN_FILTER_INIT;
	struct retry rt = { STRV_INIT, &f, 0, 0, 0, STRV_INIT, "" };
	struct buf err = BUF_INIT;
	const struct opt opts[] = {
		RUN_FILTER_OPTS(&f),
		{ "dry-run", OPT_BOOL, &rt.dry, NULL, "say which runs would be retried; change nothing", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &rt.ids);
	int filtered = ids_or_filters(ctx, &rt.ids, &f, retriable, ARRAY_SIZE(retriable), "failed, stale or cancelled");
	iso_now(rt.now);
	int r = queue_update(ctx_root(ctx), Q_RUNS, requeue, &rt, &err);
	if (r < 0) {
		error("%s", err.s);
	} else {
		for (size_t i = 0; i < rt.out.n; i++)
			printf("%s\n", rt.out.v[i]);
		if (rt.dry)
			printf("%zu run%s would be retried (dry run)\n", rt.n, rt.n == 1 ? "" : "s");
		else if (filtered || rt.ids.n > 1)
			printf("%zu run%s retried\n", rt.n, rt.n == 1 ? "" : "s");
	}
	strv_release(&rt.ids);
	strv_release(&rt.out);
	run_filter_release(&f);
	buf_release(&err);
	return r < 0 || rt.bad ? 1 : 0;
}

const struct ros_cmd cmd_retry = {
	"retry", cmd_retry_fn, 0, "put failed, stale or cancelled runs back to pending (next attempt)",
	"RUN... | [--status S] [--project P] [--worker W] [--dry-run]",
	"The runs are named, or chosen by filters (each a comma list).  Without\n"
	"--status the filters choose failed and stale runs; a cancelled run is\n"
	"retried only when named or with --status cancelled.  Each run keeps the\n"
	"attempt it ends in `attempts` and goes back to pending with the next one.\n"
	"Exit status: 1 when a named run is unknown or cannot be retried; else 0\n"
	"(also when the filters find nothing to retry).\n"
	"\n"
	"Examples:\n"
	"  ros retry r1a2b3c4\n"
	"  ros retry --status failed --project spectral_entropy --dry-run\n"
	"  ros retry --status failed,stale --worker gpu-box",
};
