/*
 * check.c - `ros check-runs [--watch SECONDS [--dispatch]]`: the check
 * engine (engine/check.h) once, or round after round, and its report.
 */
#include "ros.h"
#include "engine/check.h"
#include "engine/dispatch.h"
#include "engine/watch.h"
#include "exec/proc.h"
#include "results/metrics.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	const json_t *a = json_object_get(r, "artifacts");
	if (jstr(a, "error"))
		fprintf_term(stdout, "  artifacts not fetched: %s (ros fetch %s)", jstr(a, "error"), jstr0(r, "id"));
	else if (a)
		fprintf_term(stdout, "  artifacts: %lld file%s into %s/%s", jint0(a, "files"), jint0(a, "files") == 1 ? "" : "s",
			     jstr0(a, "dir"), json_array_size(json_object_get(a, "skipped")) ? " (some over the cap)" : "");
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
		{ .name = "watch", .kind = OPT_INT, .dst = &watch, .arg = "SECONDS", .help = "check again every SECONDS until no run is running", .flags = OPT_MIN, .min = 1 },
		{ .name = "dispatch", .kind = OPT_BOOL, .dst = &dispatch, .help = "with --watch: also dispatch pending runs as slots free up, until the queue is empty", .with = "watch" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	c.root = ctx_root(ctx);
	c.reg = (struct registry)REGISTRY_INIT;
	struct watch wt = WATCH_INIT;
	wt.streak = json_object();
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
		if (watch) {
			watch_learn(&wt, c.report);
			for (size_t i = 0; i < wt.news.n; i++)
				fprintf_term(stdout, "%s\n", wt.news.v[i]);
			strv_release(&wt.news);
		}
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
	watch_release(&wt);
	check_release(&c);
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
	"A run that ended with --artifacts has them brought back by the same check\n"
	"(research/<project>/artifacts/<run>/, once; ros help fetch), and a running\n"
	"run whose ROS_CKPT_DIR holds files has what changed there brought back\n"
	"(.ros/ckpt/<run>/): one more session of each worker's connection.\n"
	"\n"
	"Runs on Slurm workers print `job=ID STATE` while queued or running; one squeue\n"
	"per worker.  CANCELLED becomes cancelled, TIMEOUT and OUT_OF_MEMORY failed,\n"
	"NODE_FAIL and PREEMPTED stale; the exit-code file decides the rest.\n"
	"\n"
	"Log lines show control characters as \\xHH (see `ros help logs`), and a\n"
	"line what follows its last carriage return, as a terminal would end up\n"
	"showing it (a progress bar's latest state).",
};
