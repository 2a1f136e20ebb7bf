/*
 * results.c - `ros results`: collect the metrics still missing, summarise
 * each phase and all together (mean ± sample std over seeds), compare with
 * the project's target and reference values, write the evidence summaries
 * and print the table.  The work is in results/pipeline.h, the printing in
 * results/print.h.
 */
#include "ros.h"
#include "results/pipeline.h"
#include "results/print.h"
#include "results/summary.h"
#include "util/jx.h"
#include "store/project.h"
#include "store/queue.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>

/* "a,b, c" -> {"a", "b", "c"}; usage error on an empty item. */
static void
names_of(struct ctx *ctx, const char *flag, const char *s, struct strv *out)
{
	size_t before = out->n;
	if (s && (split_list(s, ',', out) || out->n == before))
		usage_error(ctx, "--%s: empty name in '%s'", flag, s);
}

/* The projects that have runs, in queue order (when --project-id is not given). */
static int
projects_with_runs(const char *root, struct strv *out, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	char *path = path_join(root, Q_RUNS);
	int rc = queue_load(&q, path, err);
	for (size_t i = 0; rc == 0 && i < q.n; i++) {
		char *p = queue_key(&q, i, JK_PROJECT);
		if (*p && !strv_has(out, p) && project_exists(root, p))
			strv_push(out, p);
		free(p);
	}
	queue_release(&q);
	free(path);
	return rc;
}

/* The results of one project, with what is worth telling on stderr: 1
 * when something was summarised, 0 when nothing could be, -1 on an error
 * (said). */
static int
summarise(const char *root, const struct results_opts *o, struct results *res)
{
	struct buf err = BUF_INIT;
	if (results_build(root, o, res, &err) < 0) {
		error("%s: %s", o->project, err.s);
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	for (size_t k = 0; k < res->notes.n; k++)
		warning("%s", res->notes.v[k]);
	if (res->n_collected)
		info("%s: collected the metrics of %zu run%s%s", o->project, res->n_collected,
		     res->n_collected == 1 ? "" : "s",
		     res->n_parse_failed ? " (some parsers failed: see metrics_error)" : "");
	int any = 0;
	for (size_t k = 0; k < json_array_size(res->scopes); k++)
		any |= json_is_object(json_object_get(json_array_get(res->scopes, k), "summary"));
	return any;
}

static int
cmd_results_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *phase = NULL, *metric = NULL, *group_by = NULL, *over = "seed";
	const char *direction = NULL;
	int no_collect = 0, recollect = 0, rc = 0;
	struct strv metrics = STRV_INIT, groups = STRV_INIT, projects = STRV_INIT;
	struct buf err = BUF_INIT;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "project (default: every project that has runs)" },
		{ .name = "phase", .kind = OPT_STR, .dst = &phase, .arg = "NAME", .help = "only the runs of this phase (default: each phase and all together)", .flags = OPT_NONEMPTY },
		{ .name = "metric", .kind = OPT_STR, .dst = &metric, .arg = "M[,M2]", .help = "metrics to summarise, the first decides the best (default: the runs' target_metric, then every other metric reported)" },
		{ .name = "direction", .kind = OPT_STR, .dst = &direction, .arg = "lower|higher", .help = "whether the first metric should go down or up (default: the runs' target_direction)", .choices = "lower|higher" },
		{ .name = "over", .kind = OPT_STR, .dst = &over, .arg = "KEY", .help = "param the statistics run over (default seed)", .flags = OPT_NONEMPTY },
		{ .name = "group-by", .kind = OPT_STR, .dst = &group_by, .arg = "K1,K2", .help = "params that make a configuration (default: all but --over)" },
		{ .name = "no-collect", .kind = OPT_BOOL, .dst = &no_collect, .help = "do not fetch missing metrics from the workers" },
		{ .name = "recollect", .kind = OPT_BOOL, .dst = &recollect, .help = "fetch again the metrics of runs whose parser failed" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	names_of(ctx, "metric", metric, &metrics);
	names_of(ctx, "group-by", group_by, &groups);
	if (project && !project_id_valid(project))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", project);
	const char *root = ctx_root(ctx);
	if (project) {
		if (!project_exists(root, project)) {
			project_unknown_error(root, project);
			return 1;
		}
		strv_push(&projects, project);
	} else if (projects_with_runs(root, &projects, &err) < 0) {
		error("%s", err.s);
		rc = 1;
		goto out;
	}
	if (!projects.n) {
		info("no runs yet (add some with ros add-run)");
		rc = 1;
		goto out;
	}
	int summarised = 0;	/* projects with something summarised */
	json_t *all = json_array();
	for (size_t i = 0; i < projects.n; i++) {
		struct results_opts o = { projects.v[i], phase, &metrics, direction, over, &groups, no_collect,
					  recollect, 0 };
		struct results res = RESULTS_INIT;
		int any = summarise(root, &o, &res);
		/* nothing to summarise (every run failed, none finished, no
		 * metrics) fails for a project asked for by name, with --metric or
		 * --phase, and when no project has anything */
		if (any < 0 || (!any && (project || metrics.n || phase)))
			rc = 1;
		if (any >= 0) {
			summarised += any;
			if (ctx->json)
				json_array_append_new(all, results_json(projects.v[i], &res));
			else
				results_print(stdout, projects.v[i], &res, projects.n > 1);
		}
		results_release(&res);
	}
	if (!summarised)
		rc = 1;
	/* one project asked for by name: its object, or nothing when it failed */
	if (ctx->json && !project)
		json_print(all);
	else if (ctx->json && json_array_size(all))
		json_print(json_array_get(all, 0));
	json_decref(all);
out:
	strv_release(&metrics);
	strv_release(&groups);
	strv_release(&projects);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_results = {
	"results", cmd_results_fn, CMD_JSON,
	"metrics -> evidence summaries: mean ± std per config, best, target",
	"[--project-id P] [--phase NAME] [--metric M] [--over seed] [--group-by K1,K2] [--json]",
	"Fetches the metrics of finished runs that have none yet (one connection per\n"
	"worker), then groups the done runs by their sweep params minus --over and\n"
	"prints n and mean \xC2\xB1 sample std per metric, the best configuration (*), and\n"
	"the comparison with project.yaml's target.target_value and with\n"
	"research/P/benchmark/reference.csv.\n"
	"\n"
	"Runs added without --sweep (one by one, or by the Python tool) carry no\n"
	"params: theirs are read from their env and command, split into words as a\n"
	"shell splits them (nothing expanded; the script of sh -c or bash -lc is split\n"
	"too).  --key value, --key=value and key=value words (no blank in the value)\n"
	"are pairs; the keys whose values differ between the runs make the\n"
	"configuration, and the --over key's pair is the seed (SEED=1 in env too:\n"
	"\"parameters read from the commands: pred_len, lambda_se, seed\").  When the\n"
	"commands also differ in other words (tee a.log, tee b.log) or one gives a key\n"
	"two values, each run is grouped by its whole command without the --over pair\n"
	"(a column `command` shows what differs), with a warning.  Runs with and\n"
	"without params are merged when the sweep's params are what its commands say\n"
	"(--sweep lambda_se=... --command '... --lambda_se {lambda_se}'); otherwise the\n"
	"runs without params are kept apart, grouped by their commands.  A warning also\n"
	"says when one configuration holds runs of sweeps of different commands.\n"
	"\n"
	"Writes research/P/evidence/summary.json, summary.csv, summary.md,\n"
	"summary_per_seed.{csv,md} (and the same under evidence/phases/NAME/ for each\n"
	"phase) and evidence/runs/RUN.json, each only when its content changed: a\n"
	"second run with nothing new writes nothing.\n"
	"Parser commands get ROS_PARSER_TIMEOUT seconds (default 30).\n"
	"\n"
	"Each project's output starts with what became of its runs: \"9 runs: 0 done\n"
	"with metrics, 9 failed (exit 2: 9), 0 without metrics\" (without metrics: done,\n"
	"but no metrics were read; then the runs pending, running, cancelled...).\n"
	"Exit status: 0 when something was summarised; 1 when nothing could be (no\n"
	"run done with metrics: all failed, none finished yet, the parser read\n"
	"nothing) for a project named with --project-id, --phase or --metric, or for\n"
	"every project, or on an error; 2 on a usage error.",
};
