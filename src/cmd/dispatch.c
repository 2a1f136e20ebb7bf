/*
 * dispatch.c - `ros dispatch-runs`: pending runs to free worker slots (the
 * engine is engine/dispatch.h).
 */
#include "ros.h"
#include "engine/dispatch.h"

#include <string.h>

static int
cmd_dispatch_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *pool = NULL;
	long long max = -1;
	int dry_run = 0;
	const struct opt opts[] = {
		{ .name = "worker-pool", .kind = OPT_STR, .dst = &pool, .arg = "P", .help = "only runs of this pool (any: every pool, the default)" },
		{ .name = "max", .kind = OPT_INT, .dst = &max, .arg = "N", .help = "dispatch at most N runs", .flags = OPT_MIN, .min = 0 },
		{ .name = "dry-run", .kind = OPT_BOOL, .dst = &dry_run, .help = "show what would go where; change nothing" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
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
	"A worker that cannot be reached gets its runs back as pending, and the same\n"
	"dispatch gives them to the other workers once more, without it.\n"
	"\n"
	"A run with code (add-run --workdir, project.yaml code:) gets a snapshot of\n"
	"it, taken once per tree (ros help snapshot): what a worker lacks of it goes\n"
	"in one upload over the worker's connection, the tree is made there before\n"
	"the launches, and the run starts in its own copy.  So do project.yaml's\n"
	"data: entries (linked at their dest), its setup: lines (run once per worker\n"
	"and key before the first run that needs them) and, for a run the root holds\n"
	"a checkpoint of (it ran before on a worker now lost), that checkpoint.\n"
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
