/*
 * validate.c - `ros validate`: every queue entry, workers.yaml and every
 * research/<id>/project.yaml against the JSON Schemas in schemas/ (the
 * root's copies, so a team can tighten them; the built-in ones when a file
 * is missing), plus what a schema cannot say: unique ids, duplicate YAML
 * keys, runs naming workers that do not exist.  One line per problem,
 * "path:line:col: what is wrong" (with --json a list of records: file,
 * line, column, message); exit 1 when there is any.
 */
#include "ros.h"
#include "embedded.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/schema.h"

#include <stdlib.h>
#include <string.h>

struct val {
	const char *root;
	int problems;
	json_t *json;		/* --json: the records, else NULL */
	/* for reports */
	const char *file;	/* relative path */
	const struct ynode *yroot;
	struct queue *q;
	size_t entry;
};

/* One line of the report, "file:line:col: msg" ("file:line: msg" when col
 * < 0, "file: msg" when line <= 0), or with --json one record. */
static void
report(struct val *v, const char *file, int line, int col, const char *msg)
{
	if (v->json) {
		json_t *r = json_object();
		jset_str(r, "file", file);
		json_object_set_new(r, "line", line > 0 ? json_integer(line) : json_null());
		json_object_set_new(r, "column", line > 0 && col >= 0 ? json_integer(col) : json_null());
		jset_str(r, "message", msg);
		json_array_append_new(v->json, r);
	} else if (line <= 0) {
		printf("%s: %s\n", file, msg);
	} else if (col < 0) {
		printf("%s:%d: %s\n", file, line, msg);
	} else {
		printf("%s:%d:%d: %s\n", file, line, col, msg);
	}
}

/* A store error "[PATH:]LINE:COL: msg" (or LINE: or no position) about the
 * file rel (at path) as a line of the report. */
static void
report_error(struct val *v, const char *rel, const char *path, const char *e)
{
	int line, col, n = 0, m = 0;
	if (str_starts(e, path) && e[strlen(path)] == ':')
		e += strlen(path) + 1;
	while (*e == ' ')
		e++;
	if (sscanf(e, "%d:%d: %n", &line, &col, &n) == 2 && n)
		report(v, rel, line, col, e + n);
	else if (sscanf(e, "%d: %n", &line, &m) == 1 && m)
		report(v, rel, line, -1, e + m);
	else
		report(v, rel, 0, -1, e);
}

static void
problem(struct val *v, int line, int col, const char *fmt, ...) PRINTF(4, 5);

static void
problem(struct val *v, int line, int col, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	report(v, v->file, line, col, b.s);
	buf_release(&b);
	v->problems++;
}

static char *
path_str(const struct strv *path)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < path->n; i++)
		buf_addf(&b, "%s%s", i ? "." : "", path->v[i]);
	return buf_detach(&b);
}

static json_t *
load_schema(struct val *v, const char *name)
{
	char *p = xasprintf("%s/schemas/%s", v->root, name);
	json_error_t je;
	json_t *s = json_load_file(p, 0, &je);
	if (!s && file_exists(p)) {
		char *file = xasprintf("schemas/%s", name), *msg = xasprintf("%s (using the built-in schema)", je.text);
		report(v, file, je.line, je.column, msg);
		free(file);
		free(msg);
	}
	free(p);
	if (!s) {
		char *key = xasprintf("data/schemas/%s", name);
		size_t len;
		const char *e = embedded_get(key, &len);
		free(key);
		s = e ? json_loadb(e, len, 0, &je) : json_object();
	}
	return s;
}

/* ---- queues ---- */

static void
report_entry(void *arg, const struct strv *path, const char *msg)
{
	struct val *v = arg;
	struct qentry *e = &v->q->e[v->entry];
	size_t off = e->off;
	if (path->n && v->q->data) {
		/* the key's position inside the entry */
		char *needle = xasprintf("\"%s\"", path->v[0]);
		const char *hit = memmem(v->q->data + e->off, e->len, needle, strlen(needle));
		if (hit)
			off = (size_t)(hit - v->q->data);
		free(needle);
	}
	int line, col;
	text_pos(v->q->data, v->q->len, off, &line, &col);
	char *ps = path_str(path);
	problem(v, line, col, "entry %zu%s%s: %s", v->entry + 1, *ps ? " " : "", ps, msg);
	free(ps);
}

static void
check_queue(struct val *v, const char *rel, const char *schema_name, const char *kind, json_t *ids,
	    struct registry *reg)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = path_join(v->root, rel);
	json_t *schema = load_schema(v, schema_name);
	v->file = rel;
	if (queue_load(&q, path, &err) < 0 || queue_need_data(&q, &err) < 0) {
		/* err is "PATH:LINE:COL: ..." with the absolute path: show it relative */
		report_error(v, rel, path, err.s);
		v->problems++;
		goto out;
	}
	v->q = &q;
	json_t *seen = json_object();
	for (size_t i = 0; i < q.n; i++) {
		buf_reset(&err);
		json_t *o = queue_obj(&q, i, &err);
		int line, col;
		text_pos(q.data, q.len, q.e[i].off, &line, &col);
		if (!o) {
			problem(v, line, col, "%s", err.s);
			continue;
		}
		v->entry = i;
		schema_validate(schema, o, report_entry, v);
		const char *id = jstr(o, "id");
		if (id) {
			json_t *prev = json_object_get(seen, id);
			if (prev)
				problem(v, line, col, "entry %zu: id '%s' is also entry %lld", i + 1, id,
					(long long)json_integer_value(prev));
			else
				json_object_set_new(seen, id, json_integer((json_int_t)i + 1));
			if (ids)
				json_object_set_new(ids, id, json_true());
		}
		const char *wid = jstr(o, "worker_id");
		if (!strcmp(kind, "run") && reg && wid && *wid && !registry_find(reg, wid))
			problem(v, line, col, "entry %zu: worker '%s' is not in workers/workers.yaml", i + 1, wid);
	}
	json_decref(seen);
out:
	v->q = NULL;
	json_decref(schema);
	queue_release(&q);
	buf_release(&err);
	free(path);
}

/* ---- YAML files ---- */

static void
report_yaml(void *arg, const struct strv *path, const char *msg)
{
	struct val *v = arg;
	const struct ynode *n = ynode_at(v->yroot, path);
	char *ps = path_str(path);
	problem(v, n ? n->line : 0, n ? n->col : 0, "%s%s%s", ps, *ps ? ": " : "", msg);
	free(ps);
}

/* Parse and check one YAML file; the document is returned for more checks. */
static int
check_yaml(struct val *v, const char *rel, const char *schema_name, struct ydoc *d)
{
	struct buf err = BUF_INIT;
	char *path = path_join(v->root, rel);
	v->file = rel;
	int ok = ydoc_load(d, path, &err) == 0;
	if (!ok) {
		const char *e = err.s;
		if (str_starts(e, path))
			e += strlen(path) + 1;
		report_error(v, rel, path, err.s);
		v->problems++;
		/* Report what can still be seen: duplicate keys before the error
		 * (the document up to the error's line, block structures closed). */
		int line = atoi(e);
		size_t len;
		char *text = line > 1 ? read_file(path, &len) : NULL;
		if (text) {
			char *cut = text;
			for (int l = 1; l < line && cut; l++) {
				cut = strchr(cut, '\n');
				if (cut)
					cut++;
			}
			struct ydoc part = YDOC_INIT;
			struct buf perr = BUF_INIT;
			if (cut && ydoc_parse(&part, path, text, (size_t)(cut - text), &perr) == 0)
				for (size_t i = 0; i < part.ndups; i++)
					problem(v, part.dups[i].line2, 1, "duplicate key '%s' (also at line %d)",
						part.dups[i].key, part.dups[i].line1);
			ydoc_release(&part);
			buf_release(&perr);
			free(text);
		}
	} else {
		for (size_t i = 0; i < d->ndups; i++)
			problem(v, d->dups[i].line2, 1, "duplicate key '%s' (also at line %d)", d->dups[i].key,
				d->dups[i].line1);
		json_t *schema = load_schema(v, schema_name), *val = yaml_to_json(d->root);
		v->yroot = d->root;
		schema_validate(schema, val, report_yaml, v);
		json_decref(schema);
		json_decref(val);
	}
	buf_release(&err);
	free(path);
	return ok;
}

static int
cmd_validate_fn(int argc, char **argv, struct ctx *ctx)
{
	struct val v = { 0 };
	struct registry reg = REGISTRY_INIT;
	struct strv projects = STRV_INIT;
	struct ydoc d = YDOC_INIT;
	static const struct opt opts[] = { OPT_END };
	opt_parse(ctx, opts, argc, argv, NULL);
	v.root = ctx_root(ctx);
	if (ctx->json)
		v.json = json_array();

	int reg_ok = check_yaml(&v, "workers/workers.yaml", "workers.schema.json", &d);
	if (reg_ok) {
		struct buf err = BUF_INIT;
		/* worker ids unique, fields usable */
		reg.path = path_join(v.root, "workers/workers.yaml");
		reg.doc = d;
		d = (struct ydoc)YDOC_INIT;
		if (registry_reindex(&reg, &err) < 0) {
			report_error(&v, "workers/workers.yaml", reg.path, err.s);
			v.problems++;
		}
		v.file = "workers/workers.yaml";
		for (size_t i = 0; i < reg.n; i++) {
			buf_reset(&err);
			for (size_t j = 0; j < i; j++)
				if (reg.w[i].id && reg.w[j].id && !strcmp(reg.w[i].id, reg.w[j].id))
					problem(&v, reg.w[i].line, 5, "worker_id '%s' also at line %d", reg.w[i].id,
						reg.w[j].line);
			if (worker_check(&reg.w[i], &err) < 0)
				problem(&v, reg.w[i].line, 5, "%s", err.s);
		}
		buf_release(&err);
	}
	ydoc_release(&d);
	check_queue(&v, Q_RUNS, "run.schema.json", "run", NULL, reg_ok ? &reg : NULL);
	check_queue(&v, Q_IDEAS, "idea.schema.json", "idea", NULL, NULL);
	check_queue(&v, Q_BENCH, "benchmark.schema.json", "benchmark", NULL, NULL);
	check_queue(&v, Q_PUBS, "publication.schema.json", "publication", NULL, NULL);
	project_list(v.root, &projects);
	for (size_t i = 0; i < projects.n; i++) {
		char *rel = xasprintf("research/%s/project.yaml", projects.v[i]);
		struct ydoc pd = YDOC_INIT;
		if (check_yaml(&v, rel, "project.schema.json", &pd)) {
			const char *pid = ymap_str(pd.root, "project_id");
			if (pid && strcmp(pid, projects.v[i]))
				problem(&v, ymap_get(pd.root, "project_id")->line, ymap_get(pd.root, "project_id")->col,
					"project_id '%s' differs from its folder '%s'", pid, projects.v[i]);
		}
		ydoc_release(&pd);
		free(rel);
	}
	if (v.json) {
		json_print(v.json);
		json_decref(v.json);
	}
	if (v.problems)
		fprintf(stderr, "ros: %d problem%s found\n", v.problems, v.problems == 1 ? "" : "s");
	else
		info("all files valid");
	registry_release(&reg);
	strv_release(&projects);
	return v.problems ? 1 : 0;
}

const struct ros_cmd cmd_validate = {
	"validate", cmd_validate_fn, CMD_JSON,
	"check queues, workers.yaml and project.yaml files against schemas/",
	"[--json]",
	"One line per problem, `path:line:col: what is wrong`; exit 1 when any is\n"
	"found (--json: a list of {file, line, column, message}, line and column\n"
	"null when the problem has no place).  Checks statuses, required fields, types, unique ids, duplicate YAML\n"
	"keys, hostile worker fields and runs that name unknown workers.",
};
