/*
 * runctl.c - cancel and retry: runs named, or chosen by the filters of
 * `ros runs` (store/runfilter.h).  The cancel engine is engine/cancel.h.
 */
#include "ros.h"
#include "runsel.h"
#include "engine/cancel.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- cancel ---- */

static const char *const cancellable[] = { "pending", "dispatching", "running" };

/* Print what happened to each run; how many were cancelled (and *failed,
 * those that were not). */
static size_t
print_cancelled(const struct cancel *c, const struct strv *ids, size_t *failed)
{
	size_t cancelled = 0;
	for (size_t k = 0; k < ids->n; k++) {
		const char *id = ids->v[k];
		json_t *v = json_object_get(c->result, id);
		const char *res = jstr0(v, "result");
		if (!v)
			continue;
		if (!strcmp(res, "unreachable")) {
			fprintf_term(stdout, "%s: not cancelled (worker unreachable: %s)\n", id, jstr0(v, "reason"));
			(*failed)++;
		} else if (!strcmp(res, "error")) {
			printf("%s: not cancelled (scancel failed)\n", id);
			(*failed)++;
		} else {
			printf("%s: cancelled%s%s%s%s%s\n", id, !strcmp(res, "pending") ? " (was pending)" : "",
			       !strcmp(res, "killed") ? " (SIGKILL after the grace period)" : "",
			       !strcmp(res, "notrunning") ? " (the process had already ended)" : "",
			       !strcmp(res, "dequeued") ? " (its Slurm job was still queued)" : "",
			       !strcmp(res, "notsubmitted") ? " (it had no Slurm job yet)" : "");
			cancelled++;
		}
	}
	return cancelled;
}

static int
cmd_cancel_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv args = STRV_INIT, ids = STRV_INIT;
	struct run_filter f = RUN_FILTER_INIT;
	struct registry reg = REGISTRY_INIT;
	struct queue q = QUEUE_INIT;
	struct cancel c;
	struct buf err = BUF_INIT;
	size_t *idx = NULL, n = 0, finished = 0, failed = 0, would = 0;
	long long grace = 10;
	int rc = 0, dry = 0;
	const struct opt opts[] = {
		{ .name = "grace", .kind = OPT_INT, .dst = &grace, .arg = "SECONDS", .help = "wait this long after SIGTERM before SIGKILL (default 10)", .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 3600 },
		RUN_FILTER_OPTS(&f),
		{ .name = "dry-run", .kind = OPT_BOOL, .dst = &dry, .help = "say which runs would be cancelled; change nothing" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &args);
	int filtered = ids_or_filters(ctx, &args, &f, cancellable, ARRAY_SIZE(cancellable),
				      "pending, dispatching or running");
	const char *root = ctx_root(ctx);
	char *path = ctx_path(ctx, Q_RUNS);
	cancel_init(&c, root, grace);
	if (queue_load(&q, path, &err) < 0 || registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		rc = 1;
		goto out;
	}
	/* gather: the runs, and what each one needs */
	run_select(&q, &args, &f, cancellable, ARRAY_SIZE(cancellable), &ids, &idx, &n, &rc);
	for (size_t k = 0; k < n; k++) {
		json_t *r = queue_obj(&q, idx[k], &err);
		if (!r) {
			error("%s", err.s);
			buf_reset(&err);
			rc = 1;
			continue;
		}
		const char *st = jstr0(r, "status"), *id = ids.v[k];
		if (run_is_finished(st)) {
			printf("%s: already %s, nothing to cancel\n", id, st);
			finished++;
		} else if (strcmp(st, "pending") && !run_is_active(st)) {
			error("run %s is %s: nothing to cancel", id, st);
			rc = 1;
		} else if (dry) {
			would++;
			if (*jstr0(r, "worker_id"))
				fprintf_term(stdout, "would cancel %s (%s on %s)\n", id, st, jstr(r, "worker_id"));
			else
				printf("would cancel %s (%s)\n", id, st);
		} else {
			cancel_add(&c, &reg, r);
		}
	}
	if (dry) {
		printf("%zu run%s would be cancelled (dry run)\n", would, would == 1 ? "" : "s");
		goto out;
	}
	/* act, then render */
	if (cancel_run(&c, &err) < 0) {
		error("%s", err.s);
		rc = 1;
	}
	size_t cancelled = print_cancelled(&c, &ids, &failed);
	if (filtered || ids.n > 1) {
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
	cancel_release(&c);
	free(idx);
	queue_release(&q);
	registry_release(&reg);
	run_filter_release(&f);
	strv_release(&args);
	strv_release(&ids);
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
	run_select(q, &rt->ids, rt->f, retriable, 2, &ids, &idx, &n, &rt->bad);
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
		{ .name = "dry-run", .kind = OPT_BOOL, .dst = &rt.dry, .help = "say which runs would be retried; change nothing" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &rt.ids);
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
