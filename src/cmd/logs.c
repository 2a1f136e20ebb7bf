/*
 * logs.c - `ros logs RUN [-n N] [-f] [--raw | --json]`: a run's log from its
 * worker, streamed, escaped for the terminal unless --raw.
 */
#include "ros.h"
#include "runsel.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	int follow = 0, setup = 0, rc = 1;
	const struct opt opts[] = {
		{ .name = "lines", .kind = OPT_INT, .dst = &n, .arg = "N", .help = "last N lines (default 40)", .shrt = 'n', .flags = OPT_MIN | OPT_MAX, .min = 1, .max = 1000000 },
		{ .name = "follow", .kind = OPT_BOOL, .dst = &follow, .help = "keep printing until the run ends", .shrt = 'f' },
		{ .name = "setup", .kind = OPT_BOOL, .dst = &setup, .help = "the log of the run's set-up on its worker (project.yaml setup:) instead" },
		{ .name = "raw", .kind = OPT_BOOL, .dst = &lo.raw, .help = "the log's bytes as they are, control characters too" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, "which run?");
	if (ctx->json && lo.raw)
		usage_error(ctx, "--json and --raw do not go together");
	if (run_load(ctx, pos.v[0], &r, &reg) < 0)
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
	const char *key = jstr(json_object_get(r, "code"), "setup");
	if (setup && (!key || strlen(key) != 64 || strspn(key, "0123456789abcdef") != 64)) {
		error("run %s has no set-up (project.yaml setup:)", jstr0(r, "id"));
		script_release(&s);
		goto out;
	}
	const char *sargs[] = { key, lines, follow ? "1" : "0", NULL };
	if (setup)
		script_call(&s, "ros_setup_log", sargs, NULL, 0);
	else if (w->type == WORKER_SLURM)
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
	"logs", cmd_logs_fn, CMD_JSON, "print a run's log from its worker", "RUN [-n N] [-f] [--setup] [--raw | --json]",
	"-f follows the log until the run ends (Ctrl-C: exit 130; the run goes on).\n"
	"--setup prints the log of the run's set-up (project.yaml setup:, run once\n"
	"per worker and key) instead: with -f until the set-up ends.\n"
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

