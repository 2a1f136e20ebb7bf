/*
 * project_status.c - `ros project-status`: the dashboard.  Per project:
 * id, status, title, venue, runs by status, ideas, the current state
 * summary, next action and blockers from project.yaml.  Run and idea
 * counts come from the queues' scan index (no entry is parsed).
 */
#include "ros.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/yaml.h"

#include <stdlib.h>
#include <string.h>

#define WIDTH 80

/* Count entries per project and status: {project: {status: n}}. */
static json_t *
count_by_project(const char *root, const char *rel, struct buf *err)
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
			free(p);
			free(s);
		}
	}
	queue_release(&q);
	free(path);
	return by;
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

static const char *
ystr(const struct ynode *root, const char *path)
{
	const struct ynode *n = ypath(root, path);
	return n && n->type == Y_SCALAR && !n->plain_null ? n->value : NULL;
}

static int
cmd_project_status_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *only = NULL;
	struct strv projects = STRV_INIT;
	struct buf err = BUF_INIT;
	int rc = 0;
	const struct opt opts[] = {
		{ "project-id", OPT_STR, &only, "P", "only this project", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	const char *root = ctx_root(ctx);
	json_t *runs = count_by_project(root, Q_RUNS, &err);
	if (!runs) {
		error("%s", err.s);
		rc = 1;
		runs = json_object();
	}
	buf_reset(&err);
	json_t *ideas = count_by_project(root, Q_IDEAS, &err);
	if (!ideas) {
		error("%s", err.s);
		rc = 1;
		ideas = json_object();
	}
	project_list(root, &projects);
	/* projects that only exist in the queues are shown too */
	const char *k;
	json_t *v;
	json_object_foreach(runs, k, v)
		if (*k && !strv_has(&projects, k))
			strv_push(&projects, k);
	json_t *out = json_array();
	for (size_t i = 0; i < projects.n; i++) {
		const char *id = projects.v[i];
		if (only && strcmp(only, id))
			continue;
		char *path = xasprintf("%s/research/%s/project.yaml", root, id);
		struct ydoc d = YDOC_INIT;
		json_t *o = json_object();
		jset_str(o, "project_id", id);
		buf_reset(&err);
		if (!file_exists(path)) {
			jset_str(o, "error", "no research/<id>/project.yaml");
		} else if (ydoc_load(&d, path, &err) < 0) {
			jset_str(o, "error", err.s);
			rc = 1;
		} else {
			const char *fields[][2] = {
				{ "status", "status" }, { "title", "title" }, { "venue", "publication.target_venue" },
				{ "target", "target.claim" }, { "summary", "current_state.summary" },
				{ "next_action", "current_state.next_action" },
			};
			for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
				const char *s = ystr(d.root, fields[f][1]);
				if (s)
					jset_str(o, fields[f][0], s);
			}
			json_t *bl = json_array();
			const struct ynode *b = ypath(d.root, "current_state.blockers");
			for (size_t j = 0; b && b->type == Y_SEQ && j < b->n; j++)
				if (b->items[j]->type == Y_SCALAR && b->items[j]->value)
					json_array_append_new(bl, json_string(b->items[j]->value));
			json_object_set_new(o, "blockers", bl);
		}
		json_t *rc_ = json_object_get(runs, id), *ic = json_object_get(ideas, id);
		json_object_set_new(o, "runs", rc_ ? json_deep_copy(rc_) : json_object());
		json_object_set_new(o, "ideas", ic ? json_deep_copy(ic) : json_object());
		json_array_append_new(out, o);
		ydoc_release(&d);
		free(path);
	}
	if (ctx->json) {
		json_print(out);
	} else if (json_array_size(out) == 0) {
		info(only ? "no project '%s'" : "no projects yet: make one with ros init-project", only);
		if (only)
			rc = 1;
	}
	for (size_t i = 0; !ctx->json && i < json_array_size(out); i++) {
		json_t *o = json_array_get(out, i);
		const char *st = jstr(o, "status");
		if (i)
			putchar('\n');
		printf("%s%s%s%s\n", jstr0(o, "project_id"), st ? "  [" : "", st ? st : "", st ? "]" : "");
		if (jstr(o, "error"))
			printf("  %-9s %s\n", "error:", jstr0(o, "error"));
		if (jstr(o, "title"))
			wrapped("title:", jstr0(o, "title"));
		if (jstr(o, "venue") && *jstr(o, "venue"))
			wrapped("venue:", jstr0(o, "venue"));
		struct buf line = BUF_INIT;
		json_t *rs = json_object_get(o, "runs");
		buf_addf(&line, "%lld", total(rs));
		json_object_foreach(rs, k, v)
			buf_addf(&line, "%s%s %lld", line.len && strchr(line.s, ' ') ? ", " : "  ", k,
				 (long long)json_integer_value(v));
		printf("  %-9s %s\n", "runs:", line.s);
		buf_reset(&line);
		json_t *is = json_object_get(o, "ideas");
		buf_addf(&line, "%lld", total(is));
		json_object_foreach(is, k, v)
			buf_addf(&line, "%s%s %lld", strchr(line.s, ' ') ? ", " : "  ", k, (long long)json_integer_value(v));
		printf("  %-9s %s\n", "ideas:", line.s);
		buf_release(&line);
		if (jstr(o, "summary") && *jstr(o, "summary"))
			wrapped("state:", jstr0(o, "summary"));
		if (jstr(o, "next_action") && *jstr(o, "next_action"))
			wrapped("next:", jstr0(o, "next_action"));
		json_t *bl = json_object_get(o, "blockers");
		for (size_t j = 0; j < json_array_size(bl); j++) {
			char *item = xasprintf("- %s", json_string_value(json_array_get(bl, j)));
			wrapped(j ? "" : "blockers:", item);
			free(item);
		}
	}
	json_decref(out);
	json_decref(runs);
	json_decref(ideas);
	strv_release(&projects);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_project_status = {
	"project-status", cmd_project_status_fn, CMD_JSON,
	"dashboard: per project state, runs, ideas, next action, blockers",
	"[--project-id P] [--json]", NULL,
};
