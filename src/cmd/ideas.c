/*
 * ideas.c - the idea, benchmark and publication queues: add-idea,
 * list-ideas, add-benchmark-task, add-publication.  Entry fields are those
 * of schemas/queues.md (the Python tool's format).
 */
#include "ros.h"
#include "store/idea.h"
#include "store/project.h"
#include "store/queue.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>

struct append_one {
	json_t *entry;		/* without id; the id is put first */
	const char *prefix;
	char *id;		/* out */
};

static int
append_one(struct queue *q, void *arg, struct buf *err)
{
	struct append_one *a = arg;
	json_t *o = json_object();
	a->id = queue_new_id(q, a->prefix);
	json_object_set_new(o, "id", json_string(a->id));
	json_object_update(o, a->entry);
	queue_append(q, o);
	return 1;
}

/* Append entry (stolen) to the queue rel; print the new id. */
static int
add_entry(struct ctx *ctx, const char *rel, const char *prefix, json_t *entry)
{
	struct append_one a = { entry, prefix, NULL };
	struct buf err = BUF_INIT;
	int rc = 0;
	if (queue_update(ctx_root(ctx), rel, append_one, &a, &err) < 0) {
		error("%s", err.s);
		rc = 1;
	} else if (ctx->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(a.id));
		json_object_update(o, entry);
		json_print(o);
		json_decref(o);
	} else {
		printf("%s\n", a.id);
	}
	json_decref(entry);
	free(a.id);
	buf_release(&err);
	return rc;
}

static void
need_project(struct ctx *ctx, const char *p)
{
	if (!project_id_valid(p))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", p);
	if (!project_exists(ctx_root(ctx), p)) {
		project_unknown_error(ctx_root(ctx), p);
		exit(1);
	}
}

/* ---- add-idea ---- */


static int
cmd_add_idea_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *title = NULL, *hyp = "", *metric = "";
	long long prio = 5;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "project (required)", .flags = OPT_REQUIRED },
		{ .name = "title", .kind = OPT_STR, .dst = &title, .arg = "T", .help = "short title (required)", .flags = OPT_REQUIRED },
		{ .name = "hypothesis", .kind = OPT_STR, .dst = &hyp, .arg = "H", .help = "what you expect and why" },
		{ .name = "metric", .kind = OPT_STR, .dst = &metric, .arg = "M", .help = "metric(s) that decide it, e.g. MSE/MAE" },
		{ .name = "priority", .kind = OPT_INT, .dst = &prio, .arg = "N", .help = "lower first (default 5)", .flags = OPT_MIN, .min = 0 },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	need_project(ctx, project);
	return add_entry(ctx, Q_IDEAS, "i", idea_entry(project, title, hyp, metric, prio, "idea_created"));
}

const struct ros_cmd cmd_add_idea = {
	"add-idea", cmd_add_idea_fn, CMD_JSON, "add an idea to a project's idea queue",
	"--project-id P --title T [--hypothesis H] [--metric M] [--priority N]", NULL,
};

/* ---- list-ideas ---- */

static int
cmd_list_ideas_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *status = NULL;
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	struct table t;
	json_t *out = json_array();
	int rc = 1;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "only this project" },
		{ .name = "status", .kind = OPT_STR, .dst = &status, .arg = "S", .help = "only ideas with this status" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	char *path = ctx_path(ctx, Q_IDEAS);
	table_init(&t, 5, "ID", "PROJECT", "STATUS", "PRI", "TITLE");
	t.right = 1u << 3;
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	for (size_t i = 0; i < q.n; i++) {
		json_t *o = queue_obj(&q, i, &err);
		if (!o) {
			error("%s", err.s);
			goto out;
		}
		if ((project && strcmp(jstr0(o, "project_id"), project)) ||
		    (status && strcmp(jstr0(o, "status"), status)))
			continue;
		json_array_append(out, o);
		long long pr = 0;
		char prio[24] = "";
		if (!jint(o, "priority", &pr))
			snprintf(prio, sizeof prio, "%lld", pr);
		char *title = xstrdup(jstr0(o, "title"));
		if (utf8_width(title) > 60) {
			/* cut on a character boundary */
			size_t w = 0, k = 0;
			while (title[k] && w < 57) {
				if (((unsigned char)title[k] & 0xc0) != 0x80)
					w++;
				k++;
			}
			while (((unsigned char)title[k] & 0xc0) == 0x80)
				k++;
			strcpy(title + k, "...");
		}
		table_row(&t, jstr0(o, "id"), jstr0(o, "project_id"), jstr0(o, "status"), prio, title);
		free(title);
	}
	if (ctx->json)
		json_print(out);
	else if (table_nrows(&t))
		table_print(&t, stdout, 1);
	else
		info("no ideas%s%s", project ? " for " : "", project ? project : "");
	rc = 0;
out:
	table_release(&t);
	json_decref(out);
	queue_release(&q);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_list_ideas = {
	"list-ideas", cmd_list_ideas_fn, CMD_JSON, "list the idea queue",
	"[--project-id P] [--status S] [--json]", NULL,
};

/* ---- add-benchmark-task ---- */

static int
cmd_add_benchmark_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *title = NULL, *repo = "", *command = "", *metric = "";
	const char *rule = "", *output = NULL;
	long long prio = 5;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "project (required)", .flags = OPT_REQUIRED },
		{ .name = "title", .kind = OPT_STR, .dst = &title, .arg = "T", .help = "what to build or reproduce (required)", .flags = OPT_REQUIRED },
		{ .name = "repo-url", .kind = OPT_STR, .dst = &repo, .arg = "URL", .help = "official repository" },
		{ .name = "command", .kind = OPT_STR, .dst = &command, .arg = "CMD", .help = "command that runs the benchmark" },
		{ .name = "metric", .kind = OPT_STR, .dst = &metric, .arg = "M", .help = "metric(s) it reports" },
		{ .name = "pass-rule", .kind = OPT_STR, .dst = &rule, .arg = "RULE", .help = "when the task counts as done" },
		{ .name = "output-path", .kind = OPT_STR, .dst = &output, .arg = "PATH", .help = "where the result goes (default research/P/benchmark/reproduction.md)" },
		{ .name = "priority", .kind = OPT_INT, .dst = &prio, .arg = "N", .help = "lower first (default 5)", .flags = OPT_MIN, .min = 0 },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	need_project(ctx, project);
	char now[32];
	iso_now(now);
	char *out = output ? xstrdup(output) : xasprintf("research/%s/benchmark/reproduction.md", project);
	json_t *e = json_object();
	jset_str(e, "project_id", project);
	jset_str(e, "status", "pending");
	jset_int(e, "priority", prio);
	jset_str(e, "title", title);
	jset_str(e, "repo_url", repo);
	jset_str(e, "command", command);
	jset_str(e, "metric", metric);
	jset_str(e, "pass_rule", rule);
	jset_str(e, "output_path", out);
	jset_str(e, "created_at", now);
	jset_str(e, "updated_at", now);
	free(out);
	return add_entry(ctx, Q_BENCH, "b", e);
}

const struct ros_cmd cmd_add_benchmark_task = {
	"add-benchmark-task", cmd_add_benchmark_fn, CMD_JSON, "add a benchmark task (baseline to build or reproduce)",
	"--project-id P --title T [--repo-url URL] [--command CMD] [--metric M] [--pass-rule R] [--output-path PATH]", NULL,
};

/* ---- add-publication ---- */

static int
cmd_add_publication_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *project = NULL, *kind = "blog", *trigger = "", *output = NULL, *status = "pending";
	struct strv evidence = STRV_INIT;
	long long prio = 10;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "project (required)", .flags = OPT_REQUIRED },
		{ .name = "kind", .kind = OPT_STR, .dst = &kind, .arg = "blog|paper|release", .help = "what to publish (default blog)", .choices = "blog|paper|release" },
		{ .name = "trigger", .kind = OPT_STR, .dst = &trigger, .arg = "T", .help = "benchmark_built | sota_beaten | confirmation_done | ..." },
		{ .name = "source-evidence", .kind = OPT_LIST, .dst = &evidence, .arg = "PATH", .help = "evidence file it rests on (repeatable)" },
		{ .name = "output-path", .kind = OPT_STR, .dst = &output, .arg = "PATH", .help = "file to write (default research/P/blog/ or paper/)" },
		{ .name = "status", .kind = OPT_STR, .dst = &status, .arg = "S", .help = "initial status (default pending)" },
		{ .name = "priority", .kind = OPT_INT, .dst = &prio, .arg = "N", .help = "lower first (default 10)", .flags = OPT_MIN, .min = 0 },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	need_project(ctx, project);
	char now[32];
	iso_now(now);
	char *out = output ? xstrdup(output)
			   : !strcmp(kind, "paper") ? xasprintf("research/%s/paper/main.tex", project)
						    : xasprintf("research/%s/blog/%.10s-%s.md", project, now,
								*trigger ? trigger : "milestone");
	json_t *e = json_object();
	jset_str(e, "project_id", project);
	jset_str(e, "status", status);
	jset_int(e, "priority", prio);
	jset_str(e, "kind", kind);
	jset_str(e, "trigger", trigger);
	json_t *ev = json_array();
	for (size_t i = 0; i < evidence.n; i++)
		json_array_append_new(ev, json_string(evidence.v[i]));
	json_object_set_new(e, "source_evidence", ev);
	jset_str(e, "output_path", out);
	jset_str(e, "created_at", now);
	jset_str(e, "updated_at", now);
	free(out);
	strv_release(&evidence);
	return add_entry(ctx, Q_PUBS, "pub", e);
}

const struct ros_cmd cmd_add_publication = {
	"add-publication", cmd_add_publication_fn, CMD_JSON, "add a publication (blog post, paper, release) to its queue",
	"--project-id P [--kind blog|paper|release] [--trigger T] [--source-evidence PATH]... [--output-path PATH]", NULL,
};
