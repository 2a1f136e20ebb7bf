/*
 * add_run.c - `ros add-run`: append pending runs to queues/run_queue.json.
 *
 * With --sweep KEY=V1,V2 (repeatable) one call adds the cartesian product,
 * {KEY} substituted in the command and env, each run keeping its params.
 * The whole sweep is one locked write.  An exact duplicate (same project,
 * command and env) of a pending, dispatching or running run is refused
 * unless --allow-duplicate.
 */
#include "ros.h"
#include "code/code.h"
#include "results/metrics.h"
#include "store/project.h"
#include "store/queue.h"
#include "util/sweep.h"

#include <stdlib.h>
#include <string.h>

struct add_run {
	const char *project, *command, *env, *pool, *idea, *bench, *probe;
	const char *parser, *tmetric, *tdir, *phase;
	char *workdir;		/* as stored: relative to the root when it can be */
	const char *artifacts;	/* comma-separated globs */
	long long artifacts_mb;
	long long priority, max_retries, gpus;
	int gpus_seen, allow_dup, dry_run;
	struct sweep sweep;
	char *sweep_id;		/* shared by the runs of one --sweep call */
	json_t *runs;		/* the entries to append (array) */
	struct strv dups;
};

static int
active(struct queue *q, size_t i)
{
	return queue_key_is(q, i, JK_STATUS, "pending") || queue_key_is(q, i, JK_STATUS, "running") ||
	       queue_key_is(q, i, JK_STATUS, "dispatching");
}

static int
cmp_hk(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Under the lock: refuse duplicates, give ids, append. */
static int
append_runs(struct queue *q, void *arg, struct buf *err)
{
	struct add_run *a = arg;
	size_t nnew = json_array_size(a->runs);

	if (!a->allow_dup) {
		for (size_t i = 0; i < q->n; i++) {
			if (!queue_key_is(q, i, JK_PROJECT, a->project) || !active(q, i))
				continue;
			for (size_t k = 0; k < nnew; k++) {
				json_t *r = json_array_get(a->runs, k);
				const char *cmd = jstr0(r, "command"), *env = jstr0(r, "env");
				if (queue_same_command(q, i, cmd, env)) {
					char *id = queue_key(q, i, JK_ID), *st = queue_key(q, i, JK_STATUS);
					strv_pushf(&a->dups, "%s (%s): %s%s%s", id, st, env, *env ? " " : "", cmd);
					free(id);
					free(st);
				}
			}
		}
		/* duplicates inside the sweep itself: sort by hash, compare neighbours */
		struct hk { uint64_t h; size_t k; } *hs = xmalloc((nnew + 1) * sizeof *hs);
		for (size_t k = 0; k < nnew; k++) {
			json_t *x = json_array_get(a->runs, k);
			hs[k].h = queue_cmd_hash(jstr0(x, "command"), jstr0(x, "env"));
			hs[k].k = k;
		}
		qsort(hs, nnew, sizeof *hs, cmp_hk);
		for (size_t k = 1; k < nnew; k++) {
			json_t *x = json_array_get(a->runs, hs[k].k), *y = json_array_get(a->runs, hs[k - 1].k);
			if (hs[k].h == hs[k - 1].h && !strcmp(jstr0(x, "command"), jstr0(y, "command")) &&
			    !strcmp(jstr0(x, "env"), jstr0(y, "env")))
				strv_pushf(&a->dups, "two runs of this sweep: %s", jstr0(x, "command"));
		}
		free(hs);
		if (a->dups.n) {
			buf_addf(err, "refusing %zu duplicate run%s of pending or running ones "
				 "(use --allow-duplicate to add them anyway):", a->dups.n, a->dups.n > 1 ? "s" : "");
			for (size_t i = 0; i < a->dups.n && i < 10; i++)
				buf_addf(err, "\n  %s", a->dups.v[i]);
			if (a->dups.n > 10)
				buf_addf(err, "\n  ... and %zu more", a->dups.n - 10);
			return -1;
		}
	}
	for (size_t k = 0; k < nnew; k++) {
		json_t *r = json_array_get(a->runs, k);
		char *id = queue_new_id(q, "r");
		/* the id goes first, as the old tool wrote it */
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(id));
		json_object_update(o, r);
		queue_append(q, o);
		json_object_set(r, "id", json_object_get(o, "id"));
		free(id);
	}
	return 1;
}

/* Every run of a sweep gets its sweep_id; the first also keeps the call
 * itself (command and env with their {KEY}s, the values as given), so that
 * `publish` can print the add-run line that reproduces the sweep. */
static void
sweep_record(struct add_run *a, json_t *r, size_t idx)
{
	jset_str(r, "sweep_id", a->sweep_id);
	if (idx)
		return;
	json_t *sw = json_object(), *axes = json_object();
	jset_str(sw, "command", a->command);
	jset_str(sw, "env", a->env);
	for (size_t i = 0; i < a->sweep.n; i++) {
		json_t *vals = json_array();
		for (size_t k = 0; k < a->sweep.axes[i].values.n; k++)
			json_array_append_new(vals, json_string(a->sweep.axes[i].values.v[k]));
		json_object_set_new(axes, a->sweep.axes[i].key, vals);
	}
	json_object_set_new(sw, "axes", axes);
	json_object_set_new(r, "sweep", sw);
}

static json_t *
make_run(struct add_run *a, size_t idx, const char *now)
{
	json_t *r = json_object();
	char *cmd = sweep_subst(&a->sweep, idx, a->command);
	char *env = sweep_subst(&a->sweep, idx, a->env);
	jset_str(r, "project_id", a->project);
	jset_str(r, "idea_id", a->idea);
	jset_str(r, "benchmark_id", a->bench);
	jset_str(r, "probe_id", a->probe);
	jset_str(r, "status", "pending");
	jset_int(r, "priority", a->priority);
	jset_str(r, "worker_pool", a->pool);
	jset_str(r, "command", cmd);
	jset_str(r, "env", env);
	jset_str(r, "metric_parser", a->parser);
	jset_str(r, "target_metric", a->tmetric);
	jset_str(r, "target_direction", a->tdir);
	jset_str(r, "created_at", now);
	jset_str(r, "updated_at", now);
	jset_int(r, "attempt", 0);
	jset_int(r, "max_retries", a->max_retries);
	if (a->gpus_seen)
		jset_int(r, "gpus", a->gpus);
	if (a->phase && *a->phase)
		jset_str(r, "phase", a->phase);
	if (a->workdir)
		jset_str(r, "workdir", a->workdir);
	if (a->artifacts && *a->artifacts) {
		struct strv g = STRV_INIT;
		split_list(a->artifacts, ',', &g);
		json_t *arr = json_array();
		for (size_t k = 0; k < g.n; k++)
			if (*g.v[k])
				json_array_append_new(arr, json_string(g.v[k]));
		json_object_set_new(r, "artifacts", arr);
		strv_release(&g);
		if (a->artifacts_mb)
			jset_int(r, "artifacts_max_mb", a->artifacts_mb);
	}
	if (a->sweep.n) {
		json_object_set_new(r, "params", sweep_params(&a->sweep, idx));
		sweep_record(a, r, idx);
	}
	free(cmd);
	free(env);
	return r;
}

/* A metric parser spec that could never work is refused now, not when the run ends. */
static void
check_parser(struct ctx *ctx, const char *spec)
{
	struct buf err = BUF_INIT;
	if (metrics_spec_check(spec, &err) < 0)
		usage_error(ctx, "--metric-parser: %s", err.s);
	buf_release(&err);
}

static int
cmd_add_run_fn(int argc, char **argv, struct ctx *ctx)
{
	struct add_run a = { 0 };
	struct strv sweeps = STRV_INIT;
	struct buf err = BUF_INIT;
	int rc = 1;
	char now[32];
	char *workdir = NULL;

	a.env = a.idea = a.bench = a.probe = a.parser = a.tmetric = a.phase = "";
	a.pool = "default";
	a.tdir = "lower";
	a.priority = 10;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &a.project, .arg = "P", .help = "project the run belongs to (required)", .flags = OPT_REQUIRED },
		{ .name = "command", .kind = OPT_STR, .dst = &a.command, .arg = "CMD", .help = "shell command to run on the worker (required)", .flags = OPT_REQUIRED },
		{ .name = "env", .kind = OPT_STR, .dst = &a.env, .arg = "'K=V ...'", .help = "environment assignments for the command" },
		{ .name = "worker-pool", .kind = OPT_STR, .dst = &a.pool, .arg = "POOL", .help = "pool of workers that may run it (default: default, any enabled worker)" },
		{ .name = "priority", .kind = OPT_INT, .dst = &a.priority, .arg = "N", .help = "lower runs first (default 10)", .flags = OPT_MIN, .min = 0 },
		{ .name = "idea-id", .kind = OPT_STR, .dst = &a.idea, .arg = "ID", .help = "idea this run tests" },
		{ .name = "benchmark-id", .kind = OPT_STR, .dst = &a.bench, .arg = "ID", .help = "benchmark task it belongs to" },
		{ .name = "probe-id", .kind = OPT_STR, .dst = &a.probe, .arg = "ID", .help = "probe it belongs to" },
		{ .name = "metric-parser", .kind = OPT_STR, .dst = &a.parser, .arg = "SPEC", .help = "how metrics are read: '' (key=value), json, jsonl:PATH, regex:NAME=ERE, or a command" },
		{ .name = "target-metric", .kind = OPT_STR, .dst = &a.tmetric, .arg = "NAME", .help = "metric that decides the best config" },
		{ .name = "target-direction", .kind = OPT_STR, .dst = &a.tdir, .arg = "higher|lower", .help = "whether the target metric should go up or down (default lower)", .choices = "higher|lower" },
		{ .name = "max-retries", .kind = OPT_INT, .dst = &a.max_retries, .arg = "N", .help = "re-queue a stale run up to N times (default 0)", .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 100 },
		{ .name = "gpus", .kind = OPT_INT, .dst = &a.gpus, .arg = "N", .help = "GPUs (slots) the run needs (default 1)", .seen = &a.gpus_seen, .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 64 },
		{ .name = "workdir", .kind = OPT_STR, .dst = &workdir, .arg = "DIR", .help = "the run's code: a snapshot of DIR travels with it (default: the project's code.workdir)", .flags = OPT_NONEMPTY },
		{ .name = "artifacts", .kind = OPT_STR, .dst = &a.artifacts, .arg = "GLOBS", .help = "files brought back when the run ends, e.g. 'out/*.csv,model.pt'", .flags = OPT_NONEMPTY },
		{ .name = "artifacts-max-mb", .kind = OPT_INT, .dst = &a.artifacts_mb, .arg = "N", .help = "bring back at most N MB of them (default 100)", .flags = OPT_MIN, .min = 1, .with = "artifacts" },
		{ .name = "phase", .kind = OPT_STR, .dst = &a.phase, .arg = "NAME", .help = "tag the run with an experiment phase" },
		{ .name = "sweep", .kind = OPT_LIST, .dst = &sweeps, .arg = "KEY=V1,V2", .help = "one run per value; repeat for the cartesian product; {KEY} is substituted" },
		{ .name = "dry-run", .kind = OPT_BOOL, .dst = &a.dry_run, .help = "print the runs without adding them" },
		{ .name = "allow-duplicate", .kind = OPT_BOOL, .dst = &a.allow_dup, .help = "add even if the same command and env is already pending or running" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);

	if (!project_id_valid(a.project))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", a.project);
	if (!a.command || !a.command[strspn(a.command, " \t\n")])
		usage_error(ctx, "--command must not be empty");
	if (!*a.pool || !safe_name(a.pool))
		usage_error(ctx, "invalid --worker-pool '%s'", a.pool);
	check_parser(ctx, a.parser);
	for (size_t i = 0; i < sweeps.n; i++) {
		if (sweep_add(&a.sweep, sweeps.v[i], &err) < 0)
			usage_error(ctx, "%s", err.s);
	}
	for (size_t i = 0; i < a.sweep.n; i++)
		if (!sweep_mentions(a.sweep.axes[i].key, a.command) && !sweep_mentions(a.sweep.axes[i].key, a.env))
			usage_error(ctx, "--sweep %s: {%s} appears in neither --command nor --env",
				    a.sweep.axes[i].key, a.sweep.axes[i].key);
	size_t count = sweep_count(&a.sweep);
	if (count > 100000)
		usage_error(ctx, "the sweep expands to %zu runs (limit 100000)", count);

	const char *root = ctx_root(ctx);
	if (!project_exists(root, a.project)) {
		project_unknown_error(root, a.project);
		goto out;
	}
	if (workdir && !(a.workdir = code_workdir_rel(root, workdir, &err))) {
		error("%s", err.s);
		goto out;
	}
	iso_now(now);
	a.sweep_id = random_id("s", 7);
	a.runs = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(a.runs, make_run(&a, i, now));

	if (a.dry_run) {
		if (ctx->json) {
			json_print(a.runs);
		} else {
			for (size_t i = 0; i < count; i++) {
				json_t *r = json_array_get(a.runs, i);
				char *p = json_object_get(r, "params") ? json_compact(json_object_get(r, "params")) : xstrdup("");
				printf("%s%s%s%s%s\n", p, *p ? "  " : "", jstr0(r, "env"), *jstr0(r, "env") ? " " : "",
				       jstr0(r, "command"));
				free(p);
			}
			info("%zu run%s (dry run: nothing written)", count, count == 1 ? "" : "s");
		}
		rc = 0;
		goto out;
	}
	int r = queue_update(root, Q_RUNS, append_runs, &a, &err);
	if (r < 0) {
		error("%s", err.s);
		goto out;
	}
	if (ctx->json) {
		json_print(a.runs);
	} else {
		for (size_t i = 0; i < count; i++)
			printf("%s\n", jstr0(json_array_get(a.runs, i), "id"));
		if (count > 1)
			info("added %zu runs to %s", count, Q_RUNS);
	}
	rc = 0;
out:
	json_decref(a.runs);
	free(a.workdir);
	free(a.sweep_id);
	sweep_release(&a.sweep);
	strv_release(&a.dups);
	strv_release(&sweeps);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_add_run = {
	"add-run", cmd_add_run_fn, CMD_JSON,
	"append pending runs (one, or a sweep) to the run queue",
	"--project-id P --command CMD [--env E] [--workdir DIR] [--artifacts GLOBS] [--worker-pool P] [--priority N] [--sweep KEY=V1,V2]... [--dry-run]",
	"Prints the id of each run added.  With --sweep the runs are the cartesian\n"
	"product of the values, {KEY} replaced in --command and --env, and each run\n"
	"records params: {KEY: value}.  Example (the post's 24 runs):\n"
	"  ros add-run --project-id p --worker-pool vastai \\\n"
	"    --command 'python run.py --lambda_se {lam} --seed {seed} --pred_len {h}' \\\n"
	"    --sweep lam=0.01,0.05,0.10,0.0 --sweep seed=1,2,3 --sweep h=96,192\n\n"
	"--workdir DIR (else project.yaml's code: {workdir: DIR}): the run's code.  At\n"
	"dispatch ros takes a snapshot of DIR as you see it (see ros help snapshot),\n"
	"sends the worker what it lacks of it, and the run starts in its own copy of\n"
	"the tree (<run directory>/code); the entry records code: {snapshot, commit,\n"
	"branch, dirty, untracked}.  Without one the run starts in the workspace.\n"
	"Every run has ROS_RUN_ID, ROS_PROJECT_ID, ROS_ATTEMPT, ROS_RUN_DIR,\n"
	"ROS_OUT_DIR (<run directory>/out) and ROS_CKPT_DIR (<run directory>/ckpt)\n"
	"set, and ROS_SNAPSHOT with a snapshot; ~/.env.local is read first.\n\n"
	"--artifacts 'out/*.csv,model.pt': globs matched when the run ends in\n"
	"ROS_OUT_DIR (out/), where it ran (code/), then its run directory; the next\n"
	"check-runs brings what they match into research/<project>/artifacts/<run>/\n"
	"(names relative to the run directory), once, at most --artifacts-max-mb\n"
	"(default 100 MB; what would pass it is named, not fetched).  ros fetch RUN\n"
	"[GLOB] brings them on demand, of a running run too.  A run that writes to\n"
	"ROS_CKPT_DIR has what changed there brought back at each check-runs; run\n"
	"again after its worker was lost, it starts with that checkpoint restored\n"
	"and ROS_RESUME=1.\n\n"
	"--metric-parser '' (the default): KEY=VALUE or KEY: VALUE pairs whose value is\n"
	"a number, of the last log line that holds one that is not a whole number\n"
	"(\"Epoch 10/10 | MSE=0.3847 MAE=0.4021\"), else of the last line with any; so\n"
	"\"dev=1\" or \"epoch=10 step=500\" printed after the results does not hide them.\n"
	"A KEY without lower-case letters holding a whole number is a setting, never a\n"
	"metric: CUDA=0, CUDA_VISIBLE_DEVICES=0, OMP_NUM_THREADS=8.  Values are kept\n"
	"as numbers and, for display, as written (MSE=0.3990 shows as 0.3990).\n"
	"json: the last line holding a JSON object; jsonl:PATH: the last record of\n"
	"PATH (in the run directory, else the workspace); a command (command:CMD, or\n"
	"a path or command line): run on the worker with the log on stdin, it prints\n"
	"a JSON object or KEY=VALUE pairs.\n\n"
	"--metric-parser regex:NAME=ERE[;NAME2=ERE2...]: POSIX extended regexes, the\n"
	"first group of the last match is the value, e.g. 'regex:mse=MSE[=:] *([0-9.eE+-]+)'.\n"
	"So that compiling them stays cheap, each ERE is at most 256 bytes, a count\n"
	"{m,n} at most 255, back-references are refused, and its size with the\n"
	"repetitions expanded (each character, bracket, group and | counts 1; a\n"
	"quantifier multiplies by its largest count, + by 2) is at most 1000, 2000\n"
	"for all the EREs of the spec.  A line longer than 1024 bytes is searched on\n"
	"its last 1024.",
};
