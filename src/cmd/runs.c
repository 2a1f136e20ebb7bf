/*
 * runs.c - `ros runs`: a table of runs, filtered by status, project and
 * worker (store/runfilter.h; runsel.h for the options).  It selects with the
 * queue's scan index (id, status, project_id, worker_id: no entry is parsed
 * to be filtered) and parses only the entries it prints.  Text and --json
 * come from the same rows (run_row).
 */
#include "ros.h"
#include "runsel.h"
#include "engine/probe.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const known_status[] = {
	"pending", "dispatching", "running", "done", "failed", "cancelled", "stale",
};

/* ---- ros runs ---- */

/* Columns of the terminal: its width when stdout is one, else $COLUMNS,
 * else 80. */
static size_t
term_columns(void)
{
	struct winsize ws;
	long long c = 0;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (getenv("COLUMNS") && parse_long(getenv("COLUMNS"), &c) == 0 && c >= 20 && c <= 10000)
		return (size_t)c;
	return 80;
}

/* The metric a run is known by: its target metric when it has one, else
 * the first it reported.  Borrowed name and value, or NULL. */
static const char *
run_metric(const json_t *r, json_t **value)
{
	json_t *m = json_object_get(r, "metrics");
	const char *t = jstr(r, "target_metric");
	*value = NULL;
	if (!json_is_object(m) || !json_object_size(m))
		return NULL;
	if (t && json_object_get(m, t)) {
		*value = json_object_get(m, t);
		return t;
	}
	void *it = json_object_iter(m);
	*value = json_object_iter_value(it);
	return json_object_iter_key(it);
}

/* The row of run r that `ros runs` shows, as text and as --json. */
static json_t *
run_row(const json_t *r, time_t now)
{
	json_t *row = json_object(), *v = NULL;
	const char *since = jstr(r, "updated_at") ? jstr(r, "updated_at") : jstr(r, "created_at");
	time_t t = since ? parse_iso_time(since) : -1;
	jset_str(row, "id", jstr0(r, "id"));
	jset_str(row, "project_id", jstr0(r, "project_id"));
	jset_str(row, "status", jstr0(r, "status"));
	json_object_set_new(row, "worker_id", *jstr0(r, "worker_id") ? json_string(jstr(r, "worker_id")) : json_null());
	jset_int(row, "attempt", run_attempt(r));
	json_object_set_new(row, "since", since ? json_string(since) : json_null());
	json_object_set_new(row, "age_seconds", t >= 0 ? json_integer(now - t) : json_null());
	jset_str(row, "command", jstr0(r, "command"));
	const char *m = run_metric(r, &v);
	json_object_set_new(row, "metric", m ? json_string(m) : json_null());
	json_object_set(row, "value", json_is_number(v) ? v : json_null());
	return row;
}

/* A table cell of others' text: escaped for the terminal, on one line. */
static char *
cell_text(const char *s)
{
	struct buf b = BUF_INIT;
	buf_add_term(&b, s, strlen(s), 0);
	for (size_t i = 0; i < b.len; i++)
		if (b.s[i] == '\n' || b.s[i] == '\t')
			b.s[i] = ' ';
	return buf_detach(&b);
}

/* s (longer than width characters) cut to width, its last one "…": new string. */
static char *
cut_text(const char *s, size_t width)
{
	size_t n = 0;
	const char *p = s;
	for (; *p; p++)
		if ((*p & 0xc0) != 0x80 && n++ == width - 1)
			break;
	return xasprintf("%.*s…", (int)(p - s), s);
}

static void
print_rows(const json_t *rows, int wide)
{
	enum { NCOL = 7 };
	struct table t;
	table_init(&t, NCOL, "ID", "STATUS", "WORKER", "ATT", "AGE", "METRIC", "COMMAND");
	t.right = 1u << 3 | 1u << 4;
	size_t w[NCOL] = { 0 };
	for (int c = 0; c < NCOL; c++)
		w[c] = utf8_width(t.cells.v[c]);
	size_t n = json_array_size(rows);
	char **cells = xcalloc(n * NCOL + 1, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_array_get(rows, i), *v = json_object_get(row, "value");
		char **c = cells + i * NCOL, buf[64];
		c[0] = cell_text(jstr0(row, "id"));
		c[1] = cell_text(jstr0(row, "status"));
		c[2] = cell_text(jstr(row, "worker_id") ? jstr(row, "worker_id") : "-");
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(json_object_get(row, "attempt")));
		c[3] = xstrdup(buf);
		if (json_is_integer(json_object_get(row, "age_seconds")))
			fmt_age(json_integer_value(json_object_get(row, "age_seconds")), buf);
		else
			snprintf(buf, sizeof buf, "-");
		c[4] = xstrdup(buf);
		if (!jstr(row, "metric"))
			c[5] = xstrdup("");
		else if (json_is_number(v)) {
			char *name = cell_text(jstr(row, "metric"));
			c[5] = xasprintf("%s=%.4g", name, json_number_value(v));
			free(name);
		} else {
			char *name = cell_text(jstr(row, "metric"));
			c[5] = xasprintf("%s=null", name);
			free(name);
		}
		c[6] = cell_text(jstr0(row, "command"));
		for (int k = 0; k < NCOL - 1; k++)
			if (utf8_width(c[k]) > w[k])
				w[k] = utf8_width(c[k]);
	}
	if (!wide) {
		size_t used = 0;
		for (int k = 0; k < NCOL - 1; k++)
			used += w[k] + 2;
		size_t cols = term_columns(), room = cols > used + 12 ? cols - used : 12;
		for (size_t i = 0; i < n; i++) {
			char **c = &cells[i * NCOL + 6];
			if (utf8_width(*c) > room) {
				char *cut = cut_text(*c, room);
				free(*c);
				*c = cut;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		table_rowv(&t, cells + i * NCOL);
	table_print(&t, stdout, 1);
	for (size_t i = 0; i < n * NCOL; i++)
		free(cells[i]);
	free(cells);
	table_release(&t);
}

static int
cmd_runs_fn(int argc, char **argv, struct ctx *ctx)
{
	struct run_filter f = RUN_FILTER_INIT;
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	long long last = 0;
	int wide = 0, rc = 1;
	const struct opt opts[] = {
		RUN_FILTER_OPTS(&f),
		{ .name = "last", .kind = OPT_INT, .dst = &last, .arg = "N", .help = "only the last N runs that match (the newest)", .shrt = 'n', .flags = OPT_MIN, .min = 1 },
		{ .name = "wide", .kind = OPT_BOOL, .dst = &wide, .help = "commands in full, not cut to the terminal's width", .shrt = 'w' },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	run_filter_ready(ctx, &f);
	char *path = ctx_path(ctx, Q_RUNS);
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	/* a status ros does not know is a typo, unless the queue has it */
	for (size_t k = 0; k < f.status.n; k++) {
		const char *s = f.status.v[k];
		int known = 0;
		for (size_t j = 0; j < ARRAY_SIZE(known_status) && !known; j++)
			known = !strcmp(s, known_status[j]);
		for (size_t i = 0; i < q.n && !known; i++)
			known = queue_key_is(&q, i, JK_STATUS, s);
		if (!known)
			usage_error(ctx, "no run is '%s' (statuses: pending, dispatching, running, done, failed, "
				    "cancelled, stale)", s);
	}
	size_t *sel = xcalloc(q.n + 1, sizeof *sel), nsel = 0;
	for (size_t i = 0; i < q.n; i++)
		if (run_filter_match(&f, &q, i))
			sel[nsel++] = i;
	size_t from = last && (size_t)last < nsel ? nsel - (size_t)last : 0;
	json_t *rows = json_array();
	time_t now = time_now();
	rc = 0;
	for (size_t k = from; k < nsel; k++) {
		json_t *r = queue_obj(&q, sel[k], &err);
		if (!r) {
			error("%s", err.s);
			rc = 1;
			break;
		}
		json_array_append_new(rows, run_row(r, now));
		queue_obj_drop(&q, sel[k]);
	}
	free(sel);
	if (ctx->json)
		json_print(rows);
	else if (json_array_size(rows))
		print_rows(rows, wide);
	else
		info("no runs%s", f.status.n || f.project.n || f.worker.n ? " match" : "");
	json_decref(rows);
out:
	queue_release(&q);
	run_filter_release(&f);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_runs = {
	"runs", cmd_runs_fn, CMD_JSON, "a table of runs: status, worker, attempt, age, metric, command",
	"[--status S[,S...]] [--project P] [--worker W] [-n N] [-w] [--json]",
	"One line per run, in the order they were added: id, status, worker,\n"
	"attempt, age (since the entry last changed: 45s, 3m, 2h, 4d), the run's\n"
	"metric (its target metric when it has one, else the first it reported) and\n"
	"its command, cut to fit the terminal (80 columns when the output is not a\n"
	"terminal and $COLUMNS is not set; -w: in full).  Filters combine; each\n"
	"takes a comma list and may be repeated.  --json: an array of objects with\n"
	"the same fields (id, project_id, status, worker_id, attempt, since,\n"
	"age_seconds, command, metric, value), commands in full.\n"
	"\n"
	"Examples:\n"
	"  ros runs --status running,dispatching\n"
	"  ros runs --status failed --project spectral_entropy -n 20\n"
	"  ros runs --worker gpu-box --json | jq -r '.[].id'",
};
