/*
 * runs.c - `ros runs` (a table of runs, filtered by status, project and
 * worker) and `ros show RUN` (one run: its entry, its worker, its record on
 * the worker), plus the run filters retry and cancel share (cmds.h).
 *
 * `runs` selects with the queue's scan index (id, status, project_id,
 * worker_id: no entry is parsed to be filtered) and parses only the entries
 * it prints.  Text and --json come from the same rows (run_row).
 *
 * `show` asks the worker once (one process): the probe check-runs uses,
 * without a claim token, so it revokes nothing and changes nothing, and
 * ros_show for the run directory's files and run.json.  It writes nothing.
 */
#include "ros.h"
#include "cmds.h"
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

/* ---- filters (cmds.h) ---- */

/* The values of list, each comma list split, empty items dropped. */
static void
split_commas(struct ctx *ctx, struct strv *list, const char *flag)
{
	struct strv out = STRV_INIT;
	for (size_t i = 0; i < list->n; i++) {
		char *save = NULL, *copy = xstrdup(list->v[i]);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (*t && !strv_has(&out, t))
				strv_push(&out, t);
		free(copy);
	}
	if (list->n && !out.n)
		usage_error(ctx, "--%s needs a value", flag);
	strv_release(list);
	*list = out;
}

int
run_filter_ready(struct ctx *ctx, struct run_filter *f)
{
	split_commas(ctx, &f->status, "status");
	split_commas(ctx, &f->project, "project");
	split_commas(ctx, &f->worker, "worker");
	return f->status.n || f->project.n || f->worker.n;
}

static int
key_in(const struct queue *q, size_t i, enum jkey k, const struct strv *vals)
{
	if (!vals->n)
		return 1;
	for (size_t j = 0; j < vals->n; j++)
		if (queue_key_is(q, i, k, vals->v[j]))
			return 1;
	return 0;
}

int
run_filter_match(const struct run_filter *f, const struct queue *q, size_t i)
{
	return key_in(q, i, JK_STATUS, &f->status) && key_in(q, i, JK_PROJECT, &f->project) &&
	       key_in(q, i, JK_WORKER, &f->worker);
}

int
run_filter_status_ok(const struct run_filter *f, const char *const *allowed, size_t n, const char **bad)
{
	for (size_t i = 0; i < f->status.n; i++) {
		size_t k = 0;
		while (k < n && strcmp(allowed[k], f->status.v[i]))
			k++;
		if (k == n) {
			*bad = f->status.v[i];
			return 0;
		}
	}
	return 1;
}

void
run_filter_release(struct run_filter *f)
{
	strv_release(&f->status);
	strv_release(&f->project);
	strv_release(&f->worker);
}

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

/* "45s", "3m", "2h", "4d" */
static void
age_text(long long s, char out[24])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, 24, "%llds", s);
	else if (s < 3600)
		snprintf(out, 24, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(out, 24, "%lldh", s / 3600);
	else
		snprintf(out, 24, "%lldd", s / 86400);
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
			age_text(json_integer_value(json_object_get(row, "age_seconds")), buf);
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
	int wide = 0, rc = 1, last_given = 0;
	const struct opt opts[] = {
		RUN_FILTER_OPTS(&f),
		{ "last", OPT_INT, &last, "N", "only the last N runs that match (the newest)", 'n', &last_given },
		{ "wide", OPT_BOOL, &wide, NULL, "commands in full, not cut to the terminal's width", 'w', NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	run_filter_ready(ctx, &f);
	if (last_given && last < 1)
		usage_error(ctx, "--last must be a positive number");
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
	time_t now = time(NULL);
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

/* ---- ros show ---- */

/* ros_show's listing ("SIZE NAME", "dir NAME", "more N" lines): rem's
 * "files" [{name, size | dir}] and "files_not_listed". */
static void
read_files(const struct rec *rec, json_t *rem)
{
	json_t *files = json_array();
	const char *p = rec->data ? rec->data : "", *end = p + rec->len;
	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p));
		if (sp && sp + 1 < le) {
			char *first = xstrndup(p, (size_t)(sp - p));
			char *rest = utf8_clean(sp + 1, (size_t)(le - sp - 1));
			long long v = 0;
			if (!strcmp(first, "more")) {
				if (parse_long(rest, &v) == 0)
					jset_int(rem, "files_not_listed", v);
			} else {
				json_t *fo = json_object();
				jset_str(fo, "name", rest);
				if (!strcmp(first, "dir"))
					json_object_set_new(fo, "dir", json_true());
				else if (parse_long(first, &v) == 0)
					jset_int(fo, "size", v);
				json_array_append_new(files, fo);
			}
			free(first);
			free(rest);
		}
		p = le;
	}
	json_object_set_new(rem, "files", files);
}

/* What the worker said about the run: into rem. */
static void
read_answer(struct batch *b, json_t *rem)
{
	size_t pos = 0;
	struct rec rec;
	while (batch_rec_next(b, &pos, &rec)) {
		if (!strcmp(rec.op, "probe") && rec.nf >= 5) {
			json_t *pr = json_object();
			jset_str(pr, "state", rec.f[0]);
			jset_str(pr, "pid", rec.f[1]);
			jset_str(pr, "code", rec.f[2]);
			jset_str(pr, "started", rec.f[3]);
			jset_str(pr, "ended", rec.f[4]);
			if (worker_is_slurm(b->w))
				slurm_settle(pr, rec.nf >= 7 ? rec.f[5] : "-", rec.nf >= 7 ? rec.f[6] : "-");
			static const char *const keys[][2] = {
				{ "state", "state" }, { "pid", "pid" }, { "code", "exit_code" },
				{ "started", "started_at" }, { "ended", "ended_at" }, { "slurm_state", "slurm_state" },
				{ "slurm_job_id", "slurm_job_id" }, { "why", "why" },
			};
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				const char *v = jstr(pr, keys[k][0]);
				if (v && *v && strcmp(v, "-") && (strcmp(keys[k][0], "pid") || strcmp(v, "0"))) {
					char *c = utf8_clean(v, strlen(v));
					jset_str(rem, keys[k][1], c);
					free(c);
				}
			}
			json_decref(pr);
			char *t = utf8_clean(rec.data ? rec.data : "", rec.len);
			jset_str(rem, "log", t);
			free(t);
		} else if (!strcmp(rec.op, "files") && rec.nf >= 1) {
			if (!strcmp(rec.f[0], "missing"))
				json_object_set_new(rem, "dir_missing", json_true());
			else
				read_files(&rec, rem);
		} else if (!strcmp(rec.op, "runjson") && rec.data) {
			json_t *j = json_loadb(rec.data, rec.len, 0, NULL);
			if (json_is_object(j)) {
				json_object_set_new(rem, "run_json", j);
			} else {
				json_decref(j);
				char *t = utf8_clean(rec.data, rec.len);
				jset_str(rem, "run_json", t);
				free(t);
			}
		}
		rec_release(&rec);
	}
}

/* Ask the run's worker: the probe and ros_show in one process.  Fills rem;
 * 0, or -1 when the worker did not answer. */
static int
ask_worker(struct worker *w, const char *root, json_t *r, long long lines, json_t *rem)
{
	struct batches bs = BATCHES_INIT;
	struct batch *b = batches_get(&bs, w, root);
	char att[24], nl[24], pid[24];
	int rc = 0;
	run_attempt_word(r, att);
	run_pid_word(r, pid);
	snprintf(nl, sizeof nl, "%lld", lines);
	json_array_append(b->runs, r);
	if (worker_is_slurm(w)) {
		slurm_script_probe(&b->s, b->runs, (int)lines, NULL);
	} else {
		const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, nl, pid, NULL };
		script_call(&b->s, "ros_probe", args, NULL, 0);
	}
	const char *sargs[] = { jstr0(r, "project_id"), jstr0(r, "id"), NULL };
	script_call(&b->s, "ros_show", sargs, NULL, 0);
	batches_run(&bs, root, 30000);
	if (b->unreachable) {
		json_object_set_new(rem, "answered", json_false());
		jset_str(rem, "note", b->reason ? b->reason : "no answer");
		rc = -1;
	} else {
		json_object_set_new(rem, "answered", json_true());
		read_answer(b, rem);
		if (!json_object_get(rem, "state")) {
			json_object_set_new(rem, "answered", json_false());
			jset_str(rem, "note", b->failure ? b->failure : "the worker's answer was cut short");
			rc = -1;
		}
	}
	batches_release(&bs);
	return rc;
}

/* The worker as show describes it. */
static json_t *
worker_info(const struct worker *w, const char *root)
{
	json_t *o = json_object();
	jset_str(o, "id", w->id);
	jset_str(o, "kind", w->kind ? w->kind : "ssh");
	json_object_set_new(o, "enabled", json_boolean(w->enabled));
	if (w->pool)
		jset_str(o, "worker_pool", w->pool);
	if (w->host) {
		jset_str(o, "host", w->host);
		if (w->port)
			jset_int(o, "port", w->port);
		if (w->user)
			jset_str(o, "user", w->user);
	}
	char *ws = worker_workspace(w, root);
	jset_str(o, "workspace", ws);
	free(ws);
	return o;
}

/* "local", "user@host:port", "slurm via user@host" */
static char *
worker_where(const json_t *wi)
{
	long long port = 0;
	int has_port = jint(wi, "port", &port) == 0;
	if (!jstr(wi, "host"))
		return xstrdup(!strcmp(jstr0(wi, "kind"), "slurm") ? "slurm on this machine" : "this machine");
	char pbuf[24] = "";
	if (has_port)
		snprintf(pbuf, sizeof pbuf, ":%lld", port);
	return xasprintf("%s%s%s%s%s", !strcmp(jstr0(wi, "kind"), "slurm") ? "slurm via " : "",
			 jstr0(wi, "user"), jstr(wi, "user") ? "@" : "", jstr0(wi, "host"), pbuf);
}

/* A time with how long ago it was: "2026-05-26T14:45:12Z (3h ago)". */
static void
print_time(const char *label, const char *s, time_t now)
{
	time_t t = parse_iso_time(s);
	char age[24];
	if (t < 0) {
		fprintf_term(stdout, "  %-17s %s\n", label, s);
		return;
	}
	age_text((long long)(now - t), age);
	fprintf_term(stdout, "  %-17s %s (%s ago)\n", label, s, age);
}

/* "k=v k2=v2" of an object of scalars (params, metrics). */
static char *
pairs_text(const json_t *o)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		buf_addf(&b, "%s%s=", b.len ? " " : "", k);
		if (json_is_string(v)) {
			buf_adds(&b, json_string_value(v));
		} else if (json_is_real(v)) {
			char num[32];
			fmt_double(json_real_value(v), num);
			buf_adds(&b, num);
		} else {
			char *c = json_compact(v);
			buf_adds(&b, c);
			free(c);
		}
	}
	return buf_detach(&b);
}

/* One field of the entry, readably. */
static void
print_field(const json_t *r, const char *k, const json_t *v, time_t now)
{
	if (json_is_string(v) && str_ends(k, "_at") && *json_string_value(v)) {
		print_time(k, json_string_value(v), now);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strchr(s, '\n')) {	/* a multi-line command: under its label */
			fprintf_term(stdout, "  %s:\n", k);
			for (const char *p = s; *p;) {
				const char *nl = strchr(p, '\n');
				int len = nl ? (int)(nl - p) : (int)strlen(p);
				fprintf_term(stdout, "    %.*s\n", len, p);
				p = nl ? nl + 1 : p + len;
			}
		} else {
			fprintf_term(stdout, "  %-17s %s\n", k, *s ? s : "\"\"");
		}
	} else if (json_is_object(v) && !strcmp(k, "claim")) {
		char *who = claim_owner(r);
		fprintf_term(stdout, "  %-17s %s by %s, lease until %s\n", k, jstr0(v, "token"), who,
			     jstr0(v, "until"));
		free(who);
	} else if (json_is_object(v) && (!strcmp(k, "params") || !strcmp(k, "metrics") ||
					 !strcmp(k, "sweep") || !strcmp(k, "resources"))) {
		char *t = pairs_text(v);
		fprintf_term(stdout, "  %-17s %s\n", k, t);
		free(t);
	} else if (json_is_array(v) && !strcmp(k, "attempts")) {
		fprintf_term(stdout, "  %s:\n", k);
		size_t i;
		json_t *a;
		json_array_foreach(v, i, a) {
			long long n = 0;
			jint(a, "attempt", &n);
			struct buf l = BUF_INIT;
			buf_addf(&l, "    %lld  %-9s %s", n, jstr0(a, "status"), *jstr0(a, "worker_id") ? jstr(a, "worker_id") : "-");
			if (jstr(a, "started_at"))
				buf_addf(&l, "  %s", jstr(a, "started_at"));
			if (jstr(a, "ended_at"))
				buf_addf(&l, " → %s", jstr(a, "ended_at"));
			if (jstr(a, "exit_code"))
				buf_addf(&l, "  exit %s", jstr(a, "exit_code"));
			if (jstr(a, "stale_reason"))
				buf_addf(&l, "  (%s)", jstr(a, "stale_reason"));
			if (json_is_object(json_object_get(a, "metrics"))) {
				char *t = pairs_text(json_object_get(a, "metrics"));
				buf_addf(&l, "  %s", t);
				free(t);
			}
			fprintf_term(stdout, "%s\n", l.s);
			buf_release(&l);
		}
	} else {
		char *c = json_compact(v);
		fprintf_term(stdout, "  %-17s %s\n", k, c);
		free(c);
	}
}

/* The entry: the fields people look for first, then all the others. */
static void
print_entry(const json_t *r, time_t now)
{
	static const char *const first[] = {
		"status", "attempt", "max_retries", "worker_id", "worker_pool", "priority", "phase", "gpus",
		"slot", "gpu_ids", "created_at", "dispatched_at", "started_at", "ended_at", "updated_at",
		"pid", "slurm_job_id", "slurm_state", "exit_code", "last_error", "stale_reason",
		"unreachable_since", "claim", "command", "env", "params", "log_path", "metric_parser",
		"target_metric", "target_direction",
	};
	static const char *const later[] = {
		"metrics", "metrics_warnings", "metrics_error", "cost_usd", "attempts",
	};
	const char *k;
	json_t *v;
	fprintf_term(stdout, "run %s  (project %s)\n", jstr0(r, "id"), jstr0(r, "project_id"));
	for (size_t i = 0; i < ARRAY_SIZE(first); i++)
		if ((v = json_object_get(r, first[i])))
			print_field(r, first[i], v, now);
	json_object_foreach((json_t *)r, k, v) {
		int shown = !strcmp(k, "id") || !strcmp(k, "project_id");
		for (size_t i = 0; i < ARRAY_SIZE(first) && !shown; i++)
			shown = !strcmp(k, first[i]);
		for (size_t i = 0; i < ARRAY_SIZE(later) && !shown; i++)
			shown = !strcmp(k, later[i]);
		if (!shown)
			print_field(r, k, v, now);
	}
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if ((v = json_object_get(r, later[i])))
			print_field(r, later[i], v, now);
}

/* Lines of text, each indented, from its last CR on (a progress bar's
 * latest state), escaped. */
static void
print_lines(const char *s, const char *indent)
{
	const char *end = s + strlen(s);
	while (end > s && end[-1] == '\n')
		end--;
	for (const char *p = s; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *ls = p;
		while (le > ls && le[-1] == '\r')
			le--;
		for (const char *q = ls; q < le; q++)
			if (*q == '\r')
				ls = q + 1;
		fprintf_term(stdout, "%s%.*s\n", indent, (int)(le - ls), ls);
		p = nl ? nl + 1 : end;
	}
}

/* run.json, the entry as dispatch-runs gave it to the worker: the fields
 * that the entry no longer has so. */
static void
print_dispatched(const json_t *rj, const json_t *r)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach((json_t *)rj, k, v)
		if (!json_equal(v, json_object_get(r, k)))
			n++;
	if (!n) {
		printf("  %-17s the entry as dispatched, the same as now\n", "run.json");
		return;
	}
	printf("  run.json          the entry as dispatched, where it differs from now:\n");
	json_object_foreach((json_t *)rj, k, v) {
		if (json_equal(v, json_object_get(r, k)))
			continue;
		char *c = json_compact(v);
		fprintf_term(stdout, "    %-15s %s\n", k, c);
		free(c);
	}
}

static void
print_remote(const json_t *out)
{
	const json_t *wi = json_object_get(out, "worker"), *rem = json_object_get(out, "remote");
	const char *wid = jstr0(json_object_get(out, "run"), "worker_id");
	if (!*wid) {
		printf("\nworker: none (the run has not been given to a worker)\n");
		return;
	}
	if (!wi) {
		fprintf_term(stdout, "\nworker %s: %s; not asked\n", wid, jstr0(rem, "note"));
		return;
	}
	char *where = worker_where(wi);
	fprintf_term(stdout, "\nworker %s (%s: %s%s)\n", wid, jstr0(wi, "kind"), where,
		     json_is_false(json_object_get(wi, "enabled")) ? ", disabled" : "");
	free(where);
	if (!json_is_true(json_object_get(rem, "asked"))) {
		fprintf_term(stdout, "  not asked: %s\n", jstr0(rem, "note"));
		return;
	}
	if (!json_is_true(json_object_get(rem, "answered"))) {
		fprintf_term(stdout, "  the worker did not answer: %s\n", jstr0(rem, "note"));
		return;
	}
	fprintf_term(stdout, "  run directory     %s\n", jstr0(rem, "dir"));
	struct buf l = BUF_INIT;
	buf_addf(&l, "  %-17s %s", "state", jstr0(rem, "state"));
	static const char *const facts[] = { "pid", "slurm_job_id", "slurm_state", "exit_code", "started_at", "ended_at", "why" };
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++)
		if (jstr(rem, facts[i]))
			buf_addf(&l, "  %s %s", facts[i], jstr(rem, facts[i]));
	fprintf_term(stdout, "%s\n", l.s);
	buf_release(&l);
	const json_t *files = json_object_get(rem, "files");
	if (json_is_true(json_object_get(rem, "dir_missing")))
		printf("  %-17s (no run directory)\n", "files");
	else if (files) {
		struct buf fl = BUF_INIT;
		size_t i;
		json_t *f;
		json_array_foreach(files, i, f) {
			long long sz = 0;
			buf_addf(&fl, "%s%s", i ? "  " : "", jstr0(f, "name"));
			if (json_is_true(json_object_get(f, "dir")))
				buf_adds(&fl, "/");
			else if (!jint(f, "size", &sz) && sz < 10240)
				buf_addf(&fl, " (%lld B)", sz);
			else if (!jint(f, "size", &sz))
				buf_addf(&fl, " (%.1f %s)", sz < (10LL << 20) ? sz / 1024.0 : sz / 1048576.0,
					 sz < (10LL << 20) ? "KiB" : "MiB");
		}
		long long more = 0;
		if (!jint(rem, "files_not_listed", &more))
			buf_addf(&fl, "  and %lld more", more);
		fprintf_term(stdout, "  %-17s %s\n", "files", fl.len ? fl.s : "(empty)");
		buf_release(&fl);
	}
	const json_t *rj = json_object_get(rem, "run_json");
	if (json_is_string(rj)) {
		printf("  run.json (not a JSON object):\n");
		print_lines(json_string_value(rj), "    ");
	} else if (rj) {
		print_dispatched(rj, json_object_get(out, "run"));
	}
	const char *log = jstr0(rem, "log");
	if (*log) {
		printf("  stdout.log, last lines:\n");
		print_lines(log, "    ");
	} else {
		printf("  stdout.log        (empty or missing)\n");
	}
}

static int
cmd_show_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	struct queue q = QUEUE_INIT;
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	long long lines = 10;
	int rc = 1;
	const struct opt opts[] = {
		{ "lines", OPT_INT, &lines, "N", "last N lines of the log (default 10)", 'n', NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, "which run?");
	if (lines < 1 || lines > 1000)
		usage_error(ctx, "-n must be between 1 and 1000");
	const char *root = ctx_root(ctx);
	char *path = ctx_path(ctx, Q_RUNS);
	json_t *out = json_object(), *r;
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	long i = queue_find(&q, pos.v[0]);
	if (i < 0) {
		error("no run '%s' in %s", pos.v[0], Q_RUNS);
		goto out;
	}
	if (!(r = queue_obj(&q, (size_t)i, &err))) {
		error("%s", err.s);
		goto out;
	}
	json_object_set_new(out, "run", json_deep_copy(r));
	r = json_object_get(out, "run");
	queue_release(&q);
	rc = 0;
	json_t *rem = json_object();
	json_object_set_new(out, "remote", rem);
	json_object_set_new(rem, "asked", json_false());
	const char *wid = jstr0(r, "worker_id");
	if (!*wid) {
		jset_str(rem, "note", "the run has no worker");
	} else if (registry_load(&reg, root, &err) < 0) {
		jset_str(rem, "note", "workers.yaml cannot be read");
		error("%s", err.s);
		rc = 1;
	} else {
		struct worker *w = registry_find(&reg, wid);
		struct buf why = BUF_INIT;
		if (w)
			json_object_set_new(out, "worker", worker_info(w, root));
		if (!w) {
			jset_str(rem, "note", "the worker is not in workers.yaml");
		} else if (!w->enabled) {
			jset_str(rem, "note", "the worker is disabled");
		} else if (worker_check(w, &why) < 0 || !run_ids_ok(r)) {
			jset_str(rem, "note", why.len ? why.s : "the run's id or project id is not a plain name");
		} else {
			char *lp = run_log_path(w, root, jstr0(r, "project_id"), jstr0(r, "id"));
			lp[strlen(lp) - strlen("/stdout.log")] = 0;
			jset_str(rem, "dir", lp);
			free(lp);
			json_object_set_new(rem, "asked", json_true());
			if (ask_worker(w, root, r, lines, rem) < 0)
				rc = 1;
		}
		buf_release(&why);
	}
	if (ctx->json) {
		json_print(out);
	} else {
		print_entry(r, time(NULL));
		print_remote(out);
	}
out:
	json_decref(out);
	queue_release(&q);
	registry_release(&reg);
	strv_release(&pos);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_show = {
	"show", cmd_show_fn, CMD_JSON, "one run: its entry, its worker, its record on the worker",
	"RUN [-n N] [--json]",
	"The entry's fields (status, attempt and earlier attempts, times, command,\n"
	"env, params, metrics, claim, last_error, stale_reason and any other field),\n"
	"then its worker (kind, user@host:port or local) and what the worker holds\n"
	"for the run, asked in one connection that changes nothing: the state the\n"
	"check-runs probe sees, the run directory's files, the run.json ros wrote\n"
	"when it dispatched the run, and the log's last N lines.  What a worker or a\n"
	"log sent is shown escaped for the terminal (as `ros logs` does).\n"
	"A disabled or removed worker is not asked.  --json: {run, worker, remote}.\n"
	"\n"
	"Exit status: 1 when there is no such run, workers.yaml cannot be read or\n"
	"the worker did not answer (the entry is still printed, with a note); 0\n"
	"otherwise, also when there is no worker to ask.\n"
	"\n"
	"Examples:\n"
	"  ros show r1a2b3c4\n"
	"  ros show r1a2b3c4 -n 50\n"
	"  ros show r1a2b3c4 --json | jq .remote.state",
};
