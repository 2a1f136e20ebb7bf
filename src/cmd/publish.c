/*
 * publish.c - `ros publish`: a project's results as a paper table
 * (LaTeX booktabs), one SVG figure per metric and a blog post from
 * templates/blog/milestone.md, each recorded in publication_queue.json.
 *
 * The numbers come from the same pipeline as `ros results` (it runs first,
 * so the evidence summaries the outputs cite exist and are current); the
 * outputs are made and written by results/publication.h and blog.h.
 *
 * A file ros wrote is remembered with a checksum of what it wrote, in
 * research/<p>/evidence/published.json (results/published.h): a file that
 * is there with other bytes was edited by its user, or was never ros's: it
 * is left alone unless --force.
 */
#include "ros.h"
#include "embedded.h"
#include "results/aggregate.h"
#include "results/blog.h"
#include "results/collect.h"
#include "results/pipeline.h"
#include "results/publication.h"
#include "results/summary.h"
#include "results/write.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>

/* The scope's runs: the phase's, or all. New array. */
static json_t *
scope_runs(const json_t *all, const char *phase)
{
	json_t *runs = json_array(), *r;
	size_t i;
	json_array_foreach(all, i, r)
		if (!phase || !strcmp(jstr0(r, "phase"), phase))
			json_array_append(runs, r);
	return runs;
}

/* One line per output: what became of it and its path. */
static void
print_outputs(const json_t *outs)
{
	size_t i;
	json_t *o;
	json_array_foreach(outs, i, o) {
		const char *res = jstr0(o, "result");
		printf("%-9s %s%s\n", res, jstr0(o, "output_path"),
		       !strcmp(res, "refused") ? "  (edited since ros wrote it; --force overwrites it)" : "");
	}
}

static int
cmd_publish_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *phase = NULL;
	const char *kind = "all", *rows_s = NULL, *cols = NULL, *metric = NULL;
	int force = 0, rc = 1;
	struct strv rows = STRV_INIT, metrics = STRV_INIT;
	struct buf err = BUF_INIT;
	struct results res = RESULTS_INIT;
	struct publication p = { 0 };
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "project (required)", .flags = OPT_REQUIRED },
		{ .name = "kind", .kind = OPT_STR, .dst = &kind, .arg = "paper|blog|all", .help = "what to write (default all)", .choices = "paper|blog|all" },
		{ .name = "phase", .kind = OPT_STR, .dst = &phase, .arg = "NAME", .help = "publish one phase (default: all runs together)", .flags = OPT_NONEMPTY },
		{ .name = "rows", .kind = OPT_STR, .dst = &rows_s, .arg = "K1,K2", .help = "LaTeX pivot: config keys down the side (one line per metric)", .with = "cols" },
		{ .name = "cols", .kind = OPT_STR, .dst = &cols, .arg = "K", .help = "LaTeX pivot: one column per value of this key" },
		{ .name = "metric", .kind = OPT_STR, .dst = &metric, .arg = "M[,M2]", .help = "metrics to show (default as in results)" },
		{ .name = "force", .kind = OPT_BOOL, .dst = &force, .help = "overwrite outputs even if they were edited since ros wrote them" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	if (!project_id_valid(project))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", project);
	if (rows_s && split_list(rows_s, ',', &rows))
		usage_error(ctx, "--rows: empty key in '%s'", rows_s);
	if (metric && split_list(metric, ',', &metrics))
		usage_error(ctx, "--metric: empty name in '%s'", metric);
	const char *root = ctx_root(ctx);
	if (!project_exists(root, project)) {
		project_unknown_error(root, project);
		goto out;
	}

	/* gather: the results, as `ros results` makes them */
	struct results_opts ro = { 0 };
	ro.project = project;
	ro.phase = phase;
	ro.metrics = &metrics;
	if (results_build(root, &ro, &res, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	for (size_t i = 0; i < res.notes.n; i++)
		warning("%s", res.notes.v[i]);
	if (publication_init(&p, root, project, phase, results_scope(&res, phase), &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	/* decide: the outputs, then which of them may be written */
	if (strcmp(kind, "blog") && publication_paper(&p, &rows, cols, &err) < 0) {
		error("LaTeX table: %s", err.s);
		goto out;
	}
	if (strcmp(kind, "paper")) {
		json_t *runs = scope_runs(res.runs, phase);
		blog_add(&p, runs, res.runs);
		json_decref(runs);
	}
	if (publication_write(&p, force, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	/* render */
	json_t *outs = publication_json(&p);
	if (ctx->json)
		json_print(outs);
	else
		print_outputs(outs);
	json_decref(outs);
	if (p.refused)
		error("%zu file%s left as edited", p.refused, p.refused == 1 ? "" : "s");
	rc = p.refused ? 1 : 0;
out:
	publication_release(&p);
	results_release(&res);
	strv_release(&rows);
	strv_release(&metrics);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_publish = {
	"publish", cmd_publish_fn, CMD_JSON,
	"a project's results as a LaTeX table, SVG figures and a blog post",
	"--project-id P [--kind paper|blog|all] [--phase NAME] [--rows K1,K2 --cols K3] [--force]",
	"Runs the results pipeline, then writes research/P/paper/tables/results.tex\n"
	"(booktabs, mean \xC2\xB1 std, the best in bold; --rows/--cols pivot it: one line\n"
	"per row-key combination and metric, one column per value of --cols),\n"
	"research/P/paper/figures/METRIC.svg (a bar per configuration, error bars)\n"
	"and research/P/blog/YYYY-MM-DD-SLUG.md from templates/blog/milestone.md\n"
	"(summary, table, the add-run commands that reproduce the runs).  Each\n"
	"output is recorded in queues/publication_queue.json.  Prints one line per\n"
	"file: wrote, unchanged, overwrote (--force) or refused: a file edited since\n"
	"ros wrote it is never overwritten without --force (exit 1).",
};
