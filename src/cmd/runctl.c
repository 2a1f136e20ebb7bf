/*
 * runctl.c - commands on single runs: logs, cancel, retry.
 */
#include "ros.h"
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

/* ---- cancel ---- */

struct cancel {
	struct strv ids;
	json_t *result;		/* id -> "terminated" | "killed" | "notrunning" | "pending" */
	json_t *snap;		/* id -> {status, attempt, token} seen before signalling */
	char now[32];
};

static int
mark_cancelled(struct queue *q, void *arg, struct buf *err)
{
	struct cancel *c = arg;
	int changed = 0;
	for (size_t k = 0; k < c->ids.n; k++) {
		long i = queue_find(q, c->ids.v[k]);
		if (i < 0)
			continue;
		json_t *r = queue_obj(q, (size_t)i, err);
		if (!r)
			return -1;
		json_t *snap = json_object_get(c->snap, c->ids.v[k]);
		long long att = -1;
		jint(snap, "attempt", &att);
		if (!snap || att != run_attempt(r) || strcmp(jstr0(snap, "status"), jstr0(r, "status")) ||
		    strcmp(jstr0(snap, "token"), claim_token(r) ? claim_token(r) : ""))
			continue;	/* it moved on meanwhile */
		const char *res = jstr0(json_object_get(c->result, c->ids.v[k]), "result");
		if (!strcmp(res, "unreachable") || !strcmp(res, "error"))
			continue;
		run_set_status(r, "cancelled", c->now);
		if (!jstr(r, "ended_at") && !!strcmp(res, "pending"))
			jset_str(r, "ended_at", c->now);
		queue_touch(q, (size_t)i);
		changed = 1;
	}
	return changed;
}

static int
cmd_cancel_fn(int argc, char **argv, struct ctx *ctx)
{
	struct cancel c = { STRV_INIT, json_object(), json_object(), "" };
	struct registry reg = REGISTRY_INIT;
	struct queue q = QUEUE_INIT;
	struct batches bs = BATCHES_INIT;
	struct buf err = BUF_INIT;
	long long grace = 10;
	int rc = 0;
	const struct opt opts[] = {
		{ "grace", OPT_INT, &grace, "SECONDS", "wait this long after SIGTERM before SIGKILL (default 10)", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &c.ids);
	if (c.ids.n == 0)
		usage_error(ctx, "which runs?");
	if (grace < 0 || grace > 3600)
		usage_error(ctx, "--grace must be between 0 and 3600");
	const char *root = ctx_root(ctx);
	char *path = ctx_path(ctx, Q_RUNS);
	if (queue_load(&q, path, &err) < 0 || registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		rc = 1;
		goto out;
	}
	char gs[24];
	snprintf(gs, sizeof gs, "%lld", grace);
	for (size_t k = 0; k < c.ids.n; k++) {
		long i = queue_find(&q, c.ids.v[k]);
		if (i < 0) {
			error("no run '%s'", c.ids.v[k]);
			rc = 1;
			continue;
		}
		json_t *r = queue_obj(&q, (size_t)i, &err);
		if (!r)
			continue;
		const char *st = jstr0(r, "status");
		json_t *snap = json_object();
		jset_str(snap, "status", st);
		jset_int(snap, "attempt", run_attempt(r));
		jset_str(snap, "token", claim_token(r) ? claim_token(r) : "");
		json_object_set_new(c.snap, c.ids.v[k], snap);
		json_t *res = json_object();
		json_object_set_new(c.result, c.ids.v[k], res);
		if (!strcmp(st, "pending")) {
			jset_str(res, "result", "pending");
			continue;
		}
		if (!run_is_active(st)) {
			error("run %s is %s: nothing to cancel", c.ids.v[k], st);
			json_object_del(c.snap, c.ids.v[k]);
			rc = 1;
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
		char pid[24];
		run_pid_word(r, pid);
		const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), gs, pid, tok, NULL };
		if (worker_is_slurm(w))
			slurm_script_cancel(&b->s, r, tok);	/* scancel; Slurm does the grace period */
		else
			script_call(&b->s, "ros_cancel", args, NULL, 0);
		json_array_append(b->runs, r);
	}
	batches_run(&bs, root, (int)(grace + 60) * 1000);
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
	if (queue_update(root, Q_RUNS, mark_cancelled, &c, &err) < 0) {
		error("%s", err.s);
		rc = 1;
	}
	const char *k;
	json_t *v;
	json_object_foreach(c.result, k, v) {
		const char *res = jstr0(v, "result");
		if (!strcmp(res, "unreachable")) {
			printf("%s: not cancelled (worker unreachable: %s)\n", k, jstr0(v, "reason"));
			rc = 1;
		} else if (!strcmp(res, "error")) {
			printf("%s: not cancelled (scancel failed)\n", k);
			rc = 1;
		} else {
			printf("%s: cancelled%s%s%s%s%s\n", k, !strcmp(res, "pending") ? " (was pending)" : "",
			       !strcmp(res, "killed") ? " (SIGKILL after the grace period)" : "",
			       !strcmp(res, "notrunning") ? " (the process had already ended)" : "",
			       !strcmp(res, "dequeued") ? " (its Slurm job was still queued)" : "",
			       !strcmp(res, "notsubmitted") ? " (it had no Slurm job yet)" : "");
		}
	}
out:
	batches_release(&bs);
	queue_release(&q);
	registry_release(&reg);
	strv_release(&c.ids);
	json_decref(c.result);
	json_decref(c.snap);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_cancel = {
	"cancel", cmd_cancel_fn, 0, "stop runs (SIGTERM to the process group, then SIGKILL)",
	"RUN... [--grace SECONDS]",
	"A run on a Slurm worker is cancelled with scancel (a queued job leaves the\n"
	"queue; Slurm's KillWait takes the place of --grace).",
};

/* ---- retry ---- */

struct retry {
	struct strv ids;
	int bad;
	char now[32];
};

static int
requeue(struct queue *q, void *arg, struct buf *err)
{
	struct retry *rt = arg;
	int changed = 0;
	for (size_t k = 0; k < rt->ids.n; k++) {
		long i = queue_find(q, rt->ids.v[k]);
		if (i < 0) {
			error("no run '%s'", rt->ids.v[k]);
			rt->bad = 1;
			continue;
		}
		json_t *r = queue_obj(q, (size_t)i, err);
		if (!r)
			return -1;
		const char *st = jstr0(r, "status");
		if (strcmp(st, "failed") && strcmp(st, "stale") && strcmp(st, "cancelled")) {
			error("run %s is %s: only failed, stale or cancelled runs can be retried", rt->ids.v[k], st);
			rt->bad = 1;
			continue;
		}
		long long next = run_attempt(r) + 1;
		run_archive_attempt(r, st);
		jset_int(r, "attempt", next);
		run_set_status(r, "pending", rt->now);
		json_object_del(r, "stale_reason");
		json_object_del(r, "last_error");
		queue_touch(q, (size_t)i);
		printf("%s: pending (attempt %lld)\n", rt->ids.v[k], next);
		changed = 1;
	}
	return changed;
}

static int
cmd_retry_fn(int argc, char **argv, struct ctx *ctx)
{
	struct retry rt = { STRV_INIT, 0, "" };
	struct buf err = BUF_INIT;
	static const struct opt opts[] = { OPT_END };
	opt_parse(ctx, current_cmd, opts, argc, argv, &rt.ids);
	if (rt.ids.n == 0)
		usage_error(ctx, "which runs?");
	iso_now(rt.now);
	int r = queue_update(ctx_root(ctx), Q_RUNS, requeue, &rt, &err);
	if (r < 0)
		error("%s", err.s);
	strv_release(&rt.ids);
	buf_release(&err);
	return r < 0 || rt.bad ? 1 : 0;
}

const struct ros_cmd cmd_retry = {
	"retry", cmd_retry_fn, 0, "put failed, stale or cancelled runs back to pending (next attempt)", "RUN...",
	NULL,
};
