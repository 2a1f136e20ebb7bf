/*
 * worker_ops.c - worker-status and setup-worker: health and preparation of
 * workers (engine/wstatus.h, engine/setup.h).
 */
#include "ros.h"
#include "engine/setup.h"
#include "engine/wstatus.h"
#include "util/jx.h"
#include "util/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The GPU column of a row: its GPUs, or a Slurm worker's partition and
 * jobs (at most colsz - 1 bytes). */
static void
gpu_column(const json_t *row, char *col, size_t colsz)
{
	const json_t *sl = json_object_get(row, "slurm"), *g;
	size_t i, l;

	*col = 0;
	if (jstr(sl, "sinfo")) {
		long long src = -1;
		char *one = xstrdup(jstr(sl, "sinfo"));
		jint(sl, "sinfo_exit", &src);
		for (char *p = one; *p; p++)
			if (*p == '\n')
				*p = ';';
		snprintf(col, colsz, "%s%s", src ? "sinfo failed: " : "", one);
		free(one);
	}
	if (json_object_get(sl, "pending")) {
		long long pend = 0, run = 0;
		jint(sl, "pending", &pend);
		jint(sl, "running", &run);
		l = strlen(col);
		snprintf(col + l, colsz - l, "%sjobs: %lld pending, %lld running", l ? "; " : "", pend, run);
	}
	json_array_foreach(json_object_get(row, "gpus"), i, g) {
		if (!jstr(g, "name"))
			continue;
		l = strlen(col);
		snprintf(col + l, colsz - l, "%s%s %s%% %s/%s MiB", l ? "; " : "", jstr0(g, "name"),
			 jstr0(g, "util_pct"), jstr0(g, "mem_used_mib"), jstr0(g, "mem_total_mib"));
	}
}

static void
print_status(const json_t *rows)
{
	struct table t;
	const json_t *row;
	size_t i;

	table_init(&t, 7, "WORKER", "KIND", "POOL", "STATE", "RTT", "SLOTS", "GPU");
	json_array_foreach(rows, i, row) {
		char rtt[32] = "-", slots[48] = "", gpu[256];
		long long used = 0, n = 0, ms;
		int answered = jint(row, "rtt_ms", &ms) == 0;
		jint(row, "busy_slots", &used);
		if (answered)
			snprintf(rtt, sizeof rtt, "%.0f ms", (double)ms);
		if (!strcmp(jstr0(row, "kind"), "slurm") && jint(row, "max_jobs", &n) == 0)
			snprintf(slots, sizeof slots, "%lld/%lld", used, n);
		else if (!strcmp(jstr0(row, "kind"), "slurm"))
			snprintf(slots, sizeof slots, "%lld/-", used);
		else if (jint(row, "slots", &n) == 0)
			snprintf(slots, sizeof slots, "%lld/%lld", used, n);
		gpu_column(row, gpu, sizeof gpu);
		table_row(&t, *jstr0(row, "worker_id") ? jstr0(row, "worker_id") : "?", jstr0(row, "kind"),
			  jstr0(row, "worker_pool"), jstr0(row, "state"), rtt, slots,
			  *gpu ? gpu : answered ? "none" : "");
	}
	table_print(&t, stdout, 1);
	table_release(&t);
	json_array_foreach(rows, i, row) {
		if (jstr(row, "error"))
			printf("  %s: %s\n", jstr0(row, "worker_id"), jstr0(row, "error"));
		const char *bo = jstr(row, "busy_command_output");
		if (bo && *bo) {
			printf("  %s busy: ", jstr0(row, "worker_id"));
			for (const char *p = bo; *p; p++)
				putchar(*p == '\n' ? ' ' : *p);
			putchar('\n');
		}
	}
}

static int
cmd_worker_status_fn(int argc, char **argv, struct ctx *ctx)
{
	struct buf err = BUF_INIT;
	long long timeout = 20;
	const struct opt opts[] = {
		{ .name = "timeout", .kind = OPT_INT, .dst = &timeout, .arg = "SECONDS", .help = "give up on a worker after this long (default 20)", .flags = OPT_MIN | OPT_MAX, .min = 1, .max = 86400 },
		OPT_END
	};
	json_t *rows, *row;
	size_t i;
	int rc = 0;

	opt_parse(ctx, opts, argc, argv, NULL);
	if (!(rows = worker_status(ctx_root(ctx), (int)timeout * 1000, &err))) {
		error("%s", err.s);
		buf_release(&err);
		return 1;
	}
	json_array_foreach(rows, i, row)
		if (worker_status_bad(row))
			rc = 1;
	if (ctx->json)
		json_print(rows);
	else
		print_status(rows);
	json_decref(rows);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_worker_status = {
	"worker-status", cmd_worker_status_fn, CMD_JSON,
	"heartbeat, round-trip time, GPUs and busy slots of every enabled worker, in parallel",
	"[--timeout SECONDS] [--json]",
	"Exits 1 when an enabled worker is dead (does not answer) or its heartbeat fails.\n"
	"For a Slurm worker the GPU column shows its partition (sinfo: availability,\n"
	"nodes, state) and how many of its runs' jobs are pending and running; SLOTS\n"
	"is active runs / max_jobs.",
};

/* ---- setup-worker ---- */

/* The set-up's output, as it comes. */
static void
show_line(void *arg, int stream, const char *line, size_t len)
{
	(void)arg;
	fwrite(line, 1, len, stream == 2 ? stderr : stdout);
	fflush(stdout);
}

static int
cmd_setup_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	struct setup_opts so = SETUP_OPTS_INIT;
	struct buf err = BUF_INIT;
	const char *id = NULL;
	const struct opt opts[] = {
		{ .name = "worker-id", .kind = OPT_STR, .dst = &id, .arg = "ID", .help = "the worker to prepare (required)", .flags = OPT_REQUIRED },
		{ .name = "env-file", .kind = OPT_STR, .dst = &so.env_file, .arg = "PATH", .help = "secrets to sync (default ~/.env.local)" },
		{ .name = "no-env", .kind = OPT_BOOL, .dst = &so.no_env, .help = "do not sync the env file" },
		{ .name = "no-install", .kind = OPT_BOOL, .dst = &so.no_install, .help = "never install packages" },
		OPT_END
	};
	int rc = 0;

	opt_parse(ctx, opts, argc, argv, NULL);
	so.say = show_line;
	if (worker_setup(ctx_root(ctx), id, &so, &err) < 0) {
		error("%s", err.s);
		rc = 1;
	} else {
		printf("setup-worker %s: ready\n", id);
	}
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_setup_worker = {
	"setup-worker", cmd_setup_worker_fn, 0,
	"prepare a worker: workspace folders, git and python3, ~/.env.local (mode 0600)",
	"--worker-id ID [--env-file PATH] [--no-env] [--no-install]",
	"Creates <workspace>/runs/{logs,metrics,checkpoints}, installs git and python3\n"
	"when missing (with apt-get, as root or with sudo -n, unless the worker sets\n"
	"allow_install: false or --no-install), copies ~/.env.local to the worker's\n"
	"home with mode 0600 (through stdin, never on a command line) and reports\n"
	"the GPUs.  Safe to run again.",
};
