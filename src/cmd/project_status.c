/*
 * project_status.c - `ros project-status`: the dashboard.  Per project:
 * id, its stage and the next action (derived, see stage_of), title, venue,
 * runs by status, ideas, the current state summary, the plan and blockers
 * from project.yaml.  Run and idea counts come from the queues' scan index
 * (no entry is parsed).
 */
#include "ros.h"
#include "results/brief.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/runs.h"
#include "store/yaml.h"

#include <stdlib.h>
#include <string.h>

#define WIDTH 80

/* Count entries per project and status: {project: {status: n}}.  With
 * facts != NULL (the run queue), also {project: {"last_end": the latest
 * ended_at, "failed_id": a failed run}}, from the index too. */
static json_t *
count_by_project(const char *root, const char *rel, json_t *facts, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	char *path = path_join(root, rel);
	json_t *by = NULL;
	if (queue_load(&q, path, err) == 0) {
		by = json_object();
		for (size_t i = 0; i < q.n; i++) {
			char *p = queue_key(&q, i, JK_PROJECT), *s = queue_key(&q, i, JK_STATUS);
			json_t *o = json_object_get(by, p);
			if (!o) {
				o = json_object();
				json_object_set_new(by, p, o);
			}
			json_t *c = json_object_get(o, *s ? s : "(none)");
			json_object_set_new(o, *s ? s : "(none)", json_integer(c ? json_integer_value(c) + 1 : 1));
			if (facts && run_is_finished(s)) {
				json_t *f = json_object_get(facts, p);
				if (!f)
					json_object_set_new(facts, p, f = json_object());
				char *end = queue_key(&q, i, JK_ENDED);
				if (strcmp(end, jstr0(f, "last_end")) > 0)
					jset_str(f, "last_end", end);
				free(end);
				if (!strcmp(s, "failed")) {
					char *id = queue_key(&q, i, JK_ID);
					jset_str(f, "failed_id", id);
					free(id);
				}
			}
			free(p);
			free(s);
		}
	}
	queue_release(&q);
	free(path);
	return by;
}

static long long
count_of(const json_t *counts, const char *status)
{
	long long n = 0;
	jint(counts, status, &n);
	return n;
}

/*
 * A project's stage, from what its runs and files say, and the next action:
 *   idea       no runs yet                          add runs
 *   queued     runs pending, none running           dispatch them
 *   running    runs dispatched or running           watch them
 *   finished   runs over since the last summary     summarise (retry failures)
 *   results    the summary covers every run         publish
 *   published  published after the last summary    the next idea
 */
static void
stage_of(json_t *o, const char *id, const json_t *runs, const json_t *facts, long long pubs)
{
	long long pending = count_of(runs, "pending"), failed = count_of(runs, "failed");
	long long active = count_of(runs, "running") + count_of(runs, "dispatching");
	const json_t *res = json_object_get(o, "results");
	const char *summarised = jstr0(res, "results_at"), *last_end = jstr0(facts, "last_end");
	const char *stage;
	char *next;
	if (active) {
		stage = "running";
		next = xasprintf("ros check-runs --watch 60%s", pending ? " --dispatch" : "");
	} else if (pending) {
		stage = "queued";
		next = xstrdup("ros dispatch-runs");
	} else if (!json_object_size((json_t *)runs)) {
		stage = "idea";
		next = xasprintf("ros add-run --project-id %s --command CMD [--sweep KEY=V1,V2]", id);
	} else if (!*summarised || strcmp(last_end, summarised) > 0) {
		stage = "finished";
		if (failed)
			next = xasprintf("%lld run%s failed (ros logs %s); then ros results --project-id %s", failed,
					 failed == 1 ? "" : "s", jstr0(facts, "failed_id"), id);
		else
			next = xasprintf("ros results --project-id %s", id);
	} else if (!pubs) {
		stage = "results";
		next = xasprintf("ros publish --project-id %s", id);
	} else {
		stage = "published";
		next = xasprintf("ros add-idea --project-id %s --title T (the next question)", id);
	}
	jset_str(o, "stage", stage);
	jset_str(o, "next_action", next);
	free(next);
}

static long long
total(const json_t *counts)
{
	long long n = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)counts, k, v)
		n += json_integer_value(v);
	return n;
}

/* Print text wrapped at WIDTH, first line after `label`, others indented. */
static void
wrapped(const char *label, const char *text)
{
	size_t indent = 12, col = indent;
	printf("  %-9s ", label);
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			break;
		size_t wl = strcspn(p, " \n");
		size_t ww = 0;
		for (size_t i = 0; i < wl; i++)
			if (((unsigned char)p[i] & 0xc0) != 0x80)
				ww++;
		if (col > indent && col + 1 + ww > WIDTH) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, wl, stdout);
		col += ww;
		p += wl;
	}
	putchar('\n');
}

/* Runs done and failed, spend, the best result against the target. */
static void
add_results(const char *root, const char *id, json_t *o)
{
	struct buf err = BUF_INIT;
	json_t *b = results_brief(root, id, &err);
	if (b)
		json_object_set_new(o, "results", b);
	buf_release(&err);
}

static void
print_results(const json_t *o)
{
	const json_t *b = json_object_get(o, "results");
	long long done = 0, failed = 0;
	jint(b, "done", &done);
	jint(b, "failed", &failed);
	if (!b || (!done && !failed && !json_object_get(b, "best")))
		return;
	printf("  %-9s ", "results:");
	results_brief_line(stdout, b);
}

static const char *
ystr(const struct ynode *root, const char *path)
{
	const struct ynode *n = ypath(root, path);
	return n && n->type == Y_SCALAR && !n->plain_null ? n->value : NULL;
}

/* What project.yaml says: status, title, venue, target, summary, plan and
 * blockers into o, or its "error". -1 when it does not read. */
static int
read_project_yaml(const char *root, const char *id, json_t *o)
{
	static const char *const fields[][2] = {
		{ "status", "status" }, { "title", "title" }, { "venue", "publication.target_venue" },
		{ "target", "target.claim" }, { "summary", "current_state.summary" },
		{ "plan", "current_state.next_action" },
	};
	char *path = xasprintf("%s/research/%s/project.yaml", root, id);
	struct ydoc d = YDOC_INIT;
	struct buf err = BUF_INIT;
	int rc = 0;
	if (!file_exists(path)) {
		jset_str(o, "error", "no research/<id>/project.yaml");
	} else if (ydoc_load(&d, path, &err) < 0) {
		jset_str(o, "error", err.s);
		rc = -1;
	} else {
		for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
			const char *v = ystr(d.root, fields[f][1]);
			if (v)
				jset_str(o, fields[f][0], v);
		}
		json_t *bl = json_array();
		const struct ynode *b = ypath(d.root, "current_state.blockers");
		for (size_t j = 0; b && b->type == Y_SEQ && j < b->n; j++)
			if (b->items[j]->type == Y_SCALAR && b->items[j]->value)
				json_array_append_new(bl, json_string(b->items[j]->value));
		json_object_set_new(o, "blockers", bl);
	}
	ydoc_release(&d);
	buf_release(&err);
	free(path);
	return rc;
}

/* The counts of one queue by project, or {} with the error said and *rc 1. */
static json_t *
counts_or_none(const char *root, const char *rel, json_t *facts, int *rc)
{
	struct buf err = BUF_INIT;
	json_t *by = count_by_project(root, rel, facts, &err);
	if (!by) {
		error("%s", err.s);
		*rc = 1;
		by = json_object();
	}
	buf_release(&err);
	return by;
}

/* Gather: one object per project (those of research/ and those only the
 * run queue names), what --json prints and the text is rendered from. */
static json_t *
gather(const char *root, const char *only, int *rc)
{
	struct strv projects = STRV_INIT;
	json_t *facts = json_object();
	json_t *runs = counts_or_none(root, Q_RUNS, facts, rc);
	json_t *ideas = counts_or_none(root, Q_IDEAS, NULL, rc);
	json_t *pubs = counts_or_none(root, Q_PUBS, NULL, rc);
	const char *k;
	json_t *v;
	project_list(root, &projects);
	json_object_foreach(runs, k, v)
		if (*k && !strv_has(&projects, k))
			strv_push(&projects, k);
	json_t *out = json_array();
	for (size_t i = 0; i < projects.n; i++) {
		const char *id = projects.v[i];
		if (only && strcmp(only, id))
			continue;
		json_t *o = json_object();
		jset_str(o, "project_id", id);
		if (read_project_yaml(root, id, o) < 0)
			*rc = 1;
		json_t *rs = json_object_get(runs, id), *is = json_object_get(ideas, id);
		json_object_set_new(o, "runs", rs ? json_deep_copy(rs) : json_object());
		json_object_set_new(o, "ideas", is ? json_deep_copy(is) : json_object());
		add_results(root, id, o);
		stage_of(o, id, json_object_get(o, "runs"), json_object_get(facts, id),
			 total(json_object_get(pubs, id)));
		json_array_append_new(out, o);
	}
	json_decref(runs);
	json_decref(ideas);
	json_decref(pubs);
	json_decref(facts);
	strv_release(&projects);
	return out;
}

/* "  12, done 10, failed 2": a total and its counts by status. */
static void
counts_line(const char *label, const json_t *counts)
{
	struct buf line = BUF_INIT;
	const char *k;
	json_t *v;
	buf_addf(&line, "%lld", total(counts));
	json_object_foreach((json_t *)counts, k, v)
		buf_addf(&line, "%s%s %lld", strchr(line.s, ' ') ? ", " : "  ", k, (long long)json_integer_value(v));
	printf("  %-9s %s\n", label, line.s);
	buf_release(&line);
}

/* Render one project as text. */
static void
render(const json_t *o)
{
	printf("%s  [%s]\n", jstr0(o, "project_id"), jstr0(o, "stage"));
	if (jstr(o, "error"))
		printf("  %-9s %s\n", "error:", jstr0(o, "error"));
	if (jstr(o, "title"))
		wrapped("title:", jstr0(o, "title"));
	if (jstr(o, "venue") && *jstr(o, "venue"))
		wrapped("venue:", jstr0(o, "venue"));
	counts_line("runs:", json_object_get(o, "runs"));
	print_results(o);
	counts_line("ideas:", json_object_get(o, "ideas"));
	if (jstr(o, "summary") && *jstr(o, "summary"))
		wrapped("state:", jstr0(o, "summary"));
	wrapped("next:", jstr0(o, "next_action"));
	if (jstr(o, "plan") && *jstr(o, "plan"))
		wrapped("plan:", jstr0(o, "plan"));
	json_t *bl = json_object_get(o, "blockers");
	for (size_t j = 0; j < json_array_size(bl); j++) {
		char *item = xasprintf("- %s", json_string_value(json_array_get(bl, j)));
		wrapped(j ? "" : "blockers:", item);
		free(item);
	}
}

static int
cmd_project_status_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *only = NULL;
	int rc = 0;
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &only, .arg = "P", .help = "only this project" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	json_t *out = gather(ctx_root(ctx), only, &rc);
	if (ctx->json) {
		json_print(out);
	} else if (json_array_size(out) == 0) {
		info(only ? "no project '%s'" : "no projects yet: make one with ros init-project", only);
		if (only)
			rc = 1;
	}
	for (size_t i = 0; !ctx->json && i < json_array_size(out); i++) {
		if (i)
			putchar('\n');
		render(json_array_get(out, i));
	}
	json_decref(out);
	return rc;
}

const struct ros_cmd cmd_project_status = {
	"project-status", cmd_project_status_fn, CMD_JSON,
	"dashboard: per project state, runs, ideas, next action, blockers",
	"[--project-id P] [--json]",
	"The stage of a project is derived from its runs and files: idea (no runs),\n"
	"queued, running, finished (runs over since the last `ros results`), results\n"
	"(summarised), published (`ros publish` since); `next:` is the command that\n"
	"moves it on.  project.yaml's own status, summary (`state:`), next_action\n"
	"(`plan:`) and blockers are shown as written.",
};
