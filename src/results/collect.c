/*
 * collect.c - fetch, parse and record the metrics of finished runs (see
 * collect.h).
 */
#include "results/collect.h"
#include "exec/batch.h"
#include "results/metrics.h"
#include "store/queue.h"
#include "store/registry.h"
#include "util/jx.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/jx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MAX 400	/* bytes of a metrics_error kept */

int
collect_deadline(void)
{
	const char *e = getenv("ROS_PARSER_TIMEOUT");
	long long n;
	if (e && !parse_long(e, &n) && n > 0 && n <= 86400)
		return (int)n;
	return COLLECT_DEADLINE;
}

int
run_exited(const json_t *run)
{
	const char *st = jstr0(run, "status");
	return !strcmp(st, "done") || !strcmp(st, "failed");
}

int
run_collected(const json_t *run)
{
	return json_object_get(run, "metrics") || json_object_get(run, "metrics_error");
}

int
collect_call(struct script *s, const json_t *run)
{
	const char *spec = jstr0(run, "metric_parser");
	enum metric_kind k = metrics_kind(spec);
	const char *kind = k == METRIC_JSONL ? "jsonl" : k == METRIC_COMMAND ? "cmd" : "log";
	const char *data = k == METRIC_JSONL || k == METRIC_COMMAND ? metrics_spec_arg(spec) : "";
	char att[24], dl[16];
	run_attempt_word(run, att);
	snprintf(dl, sizeof dl, "%d", collect_deadline());
	const char *args[] = { jstr0(run, "project_id"), jstr0(run, "id"), att, kind, dl, NULL };
	/* always a here-document, even empty: ros_collect reads its stdin */
	script_call(s, "ros_collect", args, data, strlen(data));
	return k == METRIC_COMMAND ? (collect_deadline() + 5) * 1000 : 0;
}

/* A one-line, valid UTF-8 copy of text (control characters and invalid
 * bytes become '?'), at most ERR_MAX bytes. */
static void
add_clean_line(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	for (size_t i = 0; i < n && b->len - start < ERR_MAX;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (c >= 0x80 && (i + k > n || !utf8_valid(s + i, k))) {
			buf_addc(b, '?');
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_addc(b, c == '\n' || c == '\t' || c == '\r' ? ' ' : '?');
			i++;
		} else {
			buf_add(b, s + i, k);
			i += k;
		}
	}
	while (b->len > start && b->s[b->len - 1] == ' ')
		b->s[--b->len] = 0;
}

static json_t *
error_result(const char *msg, const char *detail, size_t dlen)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, msg);
	if (detail && dlen) {
		const char *ls;
		size_t ln = text_last_line(detail, dlen, &ls);
		if (ln) {
			buf_adds(&b, ": ");
			add_clean_line(&b, ls, ln);
		}
	}
	json_t *r = json_object();
	json_object_set_new(r, "metrics_error", json_string(b.s));
	buf_release(&b);
	return r;
}

/* The result of a collect record whose fields say st (and rc). */
static json_t *
result_of(const json_t *run, const struct rec *rec, const char *st, const char *rc)
{
	const char *spec = jstr0(run, "metric_parser");
	json_t *r;
	char *msg;

	if (!strcmp(st, "notexited") || !*st) {
		r = json_object();
		jset_str(r, "state", "notexited");
		return r;
	}
	if (!strcmp(st, "missing")) {
		if (metrics_kind(spec) == METRIC_JSONL) {
			struct buf b = BUF_INIT;
			buf_adds(&b, "metrics file '");
			const char *p = metrics_spec_arg(spec);
			add_clean_line(&b, p, strlen(p));
			buf_adds(&b, "' not found on the worker (in the run directory or the workspace)");
			r = error_result(b.s, NULL, 0);
			buf_release(&b);
			return r;
		}
		return error_result("no log (stdout.log) on the worker", NULL, 0);
	}
	if (!strcmp(st, "timeout")) {
		msg = xasprintf("parser command killed after its deadline of %d s", collect_deadline());
		r = error_result(msg, rec->data, rec->len);
		free(msg);
		return r;
	}
	if (!strcmp(st, "failed")) {
		msg = xasprintf("parser command exited with status %s", rc);
		r = error_result(msg, rec->data, rec->len);
		free(msg);
		return r;
	}
	if (strcmp(st, "log") && strcmp(st, "record") && strcmp(st, "output")) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "unexpected answer from the worker: ");
		add_clean_line(&b, st, strlen(st));
		r = error_result(b.s, NULL, 0);
		buf_release(&b);
		return r;
	}
	struct buf err = BUF_INIT;
	json_t *text = NULL, *m = metrics_parse_text(spec, rec->data, rec->len, &text, &err);
	if (!m) {
		/* the parser's messages, one per line, joined on one line */
		struct buf b = BUF_INIT;
		add_clean_line(&b, err.s ? err.s : "", err.len);
		r = error_result(b.len ? b.s : "no metrics found", NULL, 0);
		buf_release(&b);
		buf_release(&err);
		return r;
	}
	r = json_object();
	json_object_set_new(r, "metrics", m);
	if (json_object_size(text))
		json_object_set(r, "metrics_text", text);
	json_decref(text);
	if (err.len) {
		json_t *w = json_array();
		for (const char *p = err.s; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			struct buf b = BUF_INIT;
			add_clean_line(&b, p, n);
			if (b.len)
				json_array_append_new(w, json_string(b.s));
			buf_release(&b);
			p += n + (nl ? 1 : 0);
		}
		json_object_set_new(r, "warnings", w);
	}
	buf_release(&err);
	return r;
}

json_t *
collect_result(const json_t *run, const struct rec *rec)
{
	static const char *const fields[] = { "state", "rc", NULL };
	json_t *f = json_object();
	rec_fields(rec, f, fields, NULL);
	json_t *r = result_of(run, rec, jstr0(f, "state"), jstr(f, "rc") ? jstr(f, "rc") : "?");
	json_decref(f);
	return r;
}

/* Set key to v (stolen) unless the entry already holds an equal value. */
static int
set_if_changed(json_t *run, const char *key, json_t *v)
{
	json_t *old = json_object_get(run, key);
	if (old && json_equal(old, v)) {
		json_decref(v);
		return 0;
	}
	json_object_set_new(run, key, v);
	return 1;
}

static int
del_key(json_t *run, const char *key)
{
	return json_object_del(run, key) == 0;
}

int
collect_apply(json_t *run, const json_t *res)
{
	if (!res || jstr(res, "state"))
		return 0;
	int changed = 0;
	json_t *m = json_object_get(res, "metrics");
	if (m) {
		changed |= set_if_changed(run, "metrics", json_deep_copy(m));
		json_t *t = json_object_get(res, "metrics_text");
		if (json_object_size(t))
			changed |= set_if_changed(run, "metrics_text", json_deep_copy(t));
		else
			changed |= del_key(run, "metrics_text");
		json_t *w = json_object_get(res, "warnings");
		if (w && json_array_size(w))
			changed |= set_if_changed(run, "metrics_warnings", json_deep_copy(w));
		else
			changed |= del_key(run, "metrics_warnings");
		changed |= del_key(run, "metrics_error");
	} else {
		changed |= set_if_changed(run, "metrics_error", json_string(jstr0(res, "metrics_error")));
		changed |= del_key(run, "metrics");
		changed |= del_key(run, "metrics_text");
		changed |= del_key(run, "metrics_warnings");
	}
	return changed;
}

long long
run_runtime(const json_t *run)
{
	const char *s = jstr(run, "started_at"), *e = jstr(run, "ended_at");
	if (!s || !e)
		return -1;
	time_t a = parse_iso_time(s), b = parse_iso_time(e);
	if (a == (time_t)-1 || b == (time_t)-1 || b < a)
		return -1;
	return (long long)(b - a);
}

int
run_set_cost(json_t *run, double dph)
{
	long long t = run_runtime(run);
	if (!(dph > 0) || !isfinite(dph) || t < 0)
		return 0;
	double c = round((double)t / 3600.0 * dph * 1e6) / 1e6;
	return set_if_changed(run, "cost_usd", json_real(c));
}

json_t *
run_evidence(const json_t *run)
{
	json_t *e = json_object();
	long long n;
	jset_str(e, "run_id", jstr0(run, "id"));
	jset_str(e, "project_id", jstr0(run, "project_id"));
	if (jstr(run, "phase") && *jstr(run, "phase"))
		jset_str(e, "phase", jstr(run, "phase"));
	jset_str(e, "status", jstr0(run, "status"));
	if (jint(run, "exit_code", &n) == 0)
		jset_int(e, "exit_code", n);
	else
		json_object_set_new(e, "exit_code", json_null());
	jset_int(e, "attempt", run_attempt(run));
	jset_str(e, "worker_id", jstr0(run, "worker_id"));
	static const char *const copy[] = { "params", "metrics", "metrics_text", "metrics_warnings",
					    "metrics_error" };
	for (size_t i = 0; i < ARRAY_SIZE(copy); i++) {
		json_t *v = json_object_get(run, copy[i]);
		if (v)
			json_object_set(e, copy[i], v);
	}
	jset_str(e, "metric_parser", jstr0(run, "metric_parser"));
	jset_str(e, "target_metric", jstr0(run, "target_metric"));
	jset_str(e, "target_direction", jstr0(run, "target_direction"));
	jset_str(e, "command", jstr0(run, "command"));
	jset_str(e, "env", jstr0(run, "env"));
	if (jstr(run, "gpu_ids"))
		jset_str(e, "gpu_ids", jstr(run, "gpu_ids"));
	/* provenance: the snapshot, its commit, the set-up; the machine, its
	 * GPUs, driver and CUDA; where it resumed from */
	static const char *const prov[] = { "code", "host", "resumed_from" };
	for (size_t i = 0; i < ARRAY_SIZE(prov); i++) {
		json_t *v = json_object_get(run, prov[i]);
		if (json_is_object(v))
			json_object_set(e, prov[i], v);
	}
	jset_str(e, "created_at", jstr0(run, "created_at"));
	jset_str(e, "started_at", jstr0(run, "started_at"));
	jset_str(e, "ended_at", jstr0(run, "ended_at"));
	long long t = run_runtime(run);
	if (t >= 0)
		jset_int(e, "runtime_s", t);
	json_t *c = json_object_get(run, "cost_usd");
	if (json_is_number(c))
		json_object_set(e, "cost_usd", c);
	jset_str(e, "log_path", jstr0(run, "log_path"));
	if (jstr(run, "sweep_id"))
		jset_str(e, "sweep_id", jstr(run, "sweep_id"));
	return e;
}

static int
write_changed(const char *path, const char *data, size_t len, int sync, struct buf *err)
{
	size_t olen;
	char *old = read_file(path, &olen);
	int same = old && olen == len && !memcmp(old, data, len);
	free(old);
	if (same)
		return 0;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir_p(dir, 0755) < 0) {
			buf_addf(err, "%s: cannot create the folder", dir);
			free(dir);
			return -1;
		}
	}
	free(dir);
	if (sync)
		return atomic_write(path, data, len, 0644, err) < 0 ? -1 : 1;
	return atomic_write_nosync(path, data, len, err) < 0 ? -1 : 1;
}

int
write_if_changed(const char *path, const char *data, size_t len, struct buf *err)
{
	return write_changed(path, data, len, 1, err);
}

int
evidence_write_run(const char *root, const json_t *run, struct buf *err)
{
	if (!run_ids_ok(run)) {
		buf_addf(err, "run '%s': id or project id is not a plain name; no evidence written", jstr0(run, "id"));
		return -1;
	}
	char *path = xasprintf("%s/research/%s/evidence/runs/%s.json", root, jstr0(run, "project_id"),
			       jstr0(run, "id"));
	json_t *e = run_evidence(run);
	struct buf b = BUF_INIT;
	json_write(&b, e, 0);
	buf_addc(&b, '\n');
	/* derived from the entry and rewritten whenever it differs from it:
	 * a file lost in a crash comes back at the next results, so no fsync
	 * (300 of them cost a second on a first collection) */
	int rc = write_changed(path, b.s, b.len, 0, err);
	buf_release(&b);
	json_decref(e);
	free(path);
	return rc;
}

/* ---- a project's missing metrics ---- */

struct gather {
	const char *project;
	int recollect;
	json_t *expect;		/* id -> {"status", "attempt", "worker"}: the state collected in */
	json_t *results;	/* id -> collect_result() */
	json_t *dph;		/* id -> the worker's $/hr, for runs without cost_usd */
	size_t applied, failed;
};

static int
wants_collect(const json_t *run, int recollect)
{
	if (!run_exited(run) || !*jstr0(run, "worker_id"))
		return 0;
	if (!run_collected(run))
		return 1;
	return recollect && !json_object_get(run, "metrics") && jstr(run, "metrics_error");
}

/* Under the lock: store what was fetched in entries still in the state they
 * were fetched in, and costs. */
static int
store_gathered(struct queue *q, void *arg, struct buf *err)
{
	struct gather *g = arg;
	int changed = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_PROJECT, g->project))
			continue;
		char *id = queue_key(q, i, JK_ID);
		json_t *res = json_object_get(g->results, id), *ex = json_object_get(g->expect, id);
		json_t *dph = json_object_get(g->dph, id);
		free(id);
		if (!res && !dph)
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r)
			return -1;
		int ch = 0;
		long long att = -1;
		jint(ex, "attempt", &att);
		if (res && ex && wants_collect(r, g->recollect) && att == run_attempt(r) &&
		    !strcmp(jstr0(ex, "status"), jstr0(r, "status")) &&
		    !strcmp(jstr0(ex, "worker"), jstr0(r, "worker_id")) && collect_apply(r, res)) {
			ch = 1;
			g->applied++;
			/* a failed run without metrics is no news: counted apart */
			if (jstr(r, "metrics_error") && !strcmp(jstr0(r, "status"), "done"))
				g->failed++;
		}
		if (dph && run_exited(r) && !json_object_get(r, "cost_usd"))
			ch |= run_set_cost(r, json_number_value(dph));
		if (ch) {
			queue_touch(q, i);
			changed = 1;
		}
	}
	return changed;
}

/* Why run cannot be fetched from w now (a new string), or NULL. */
static char *
cannot_fetch(const json_t *run, struct worker *w)
{
	struct buf e = BUF_INIT;
	char *why = NULL;
	if (!w)
		why = xasprintf("worker %s is no longer in the registry", jstr0(run, "worker_id"));
	else if (!w->enabled)
		why = xasprintf("worker %s is disabled", w->id);
	else if (worker_check(w, &e) < 0)
		why = xasprintf("worker %s: %s", w->id, e.s);
	else if (!run_ids_ok(run))
		why = xstrdup("run or project id is not a plain name");
	buf_release(&e);
	return why;
}

/* Put each run to fetch in its worker's batch (and in g->expect), note the
 * costs to set (g->dph) and, in notes, why runs cannot be fetched.  The
 * milliseconds the calls may take beyond file reads. */
static int
plan(struct gather *g, struct registry *reg, struct batches *bs, const char *root, const json_t *runs,
     int fetch, struct strv *notes)
{
	json_t *skipped = json_object(), *r, *cnt;	/* reason -> count */
	int extra_ms = 0;
	size_t i;
	json_array_foreach(runs, i, r) {
		struct worker *w = registry_find(reg, jstr0(r, "worker_id"));
		if (w && w->dph > 0 && run_exited(r) && !json_object_get(r, "cost_usd"))
			json_object_set_new(g->dph, jstr0(r, "id"), json_real(w->dph));
		if (!fetch || !wants_collect(r, g->recollect))
			continue;
		char *why = cannot_fetch(r, w);
		if (why) {
			json_t *c = json_object_get(skipped, why);
			json_object_set_new(skipped, why, json_integer(c ? json_integer_value(c) + 1 : 1));
			free(why);
			continue;
		}
		struct batch *b = batches_get(bs, w, root);
		extra_ms += collect_call(&b->s, r);
		json_array_append(b->runs, r);
		json_t *ex = json_object();
		jset_str(ex, "status", jstr0(r, "status"));
		jset_int(ex, "attempt", run_attempt(r));
		jset_str(ex, "worker", w->id);
		jset_str(ex, "metric_parser", jstr0(r, "metric_parser"));	/* for collect_result */
		json_object_set_new(g->expect, jstr0(r, "id"), ex);
	}
	const char *why;
	json_object_foreach(skipped, why, cnt) {
		long long n = json_integer_value(cnt);
		strv_pushf(notes, "%lld finished run%s not collected: %s", n, n == 1 ? "" : "s", why);
	}
	json_decref(skipped);
	return extra_ms;
}

/* The workers' answers into g->results; the workers that did not answer
 * into notes. */
static void
read_answers(struct gather *g, struct batches *bs, struct strv *notes)
{
	for (size_t k = 0; k < bs->n; k++) {
		struct batch *b = &bs->b[k];
		if (b->unreachable) {
			size_t n = json_array_size(b->runs);
			strv_pushf(notes, "worker %s did not answer (%s): %zu run%s not collected", b->w->id,
				   b->reason, n, n == 1 ? "" : "s");
			continue;
		}
		size_t pos = 0;
		struct rec rec;
		while (batch_rec_next(b, &pos, &rec)) {
			json_t *ex = json_object_get(g->expect, rec.run);
			if (!strcmp(rec.op, "collect") && ex) {
				json_t *cr = collect_result(ex, &rec);
				if (jstr(cr, "state"))
					json_decref(cr);	/* no exit code there: nothing to store */
				else
					json_object_set_new(g->results, rec.run, cr);
			}
			rec_release(&rec);
		}
	}
}

int
collect_missing(const char *root, const char *project, const json_t *runs, int no_collect, int recollect,
		struct collect_stats *st, struct strv *notes, struct buf *err)
{
	size_t nwant = 0, ncost = 0, i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		if (wants_collect(r, recollect))
			nwant++;
		else if (run_exited(r) && !json_object_get(r, "cost_usd") && *jstr0(r, "worker_id"))
			ncost++;
	}
	if (no_collect)
		nwant = 0;
	if (!nwant && !ncost)
		return 0;

	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct gather g = { project, recollect, json_object(), json_object(), json_object(), 0, 0 };
	struct buf rerr = BUF_INIT;
	int rc = 0;
	if (registry_load(&reg, root, &rerr) < 0) {
		if (nwant)
			strv_pushf(notes, "cannot read the worker registry (%s): %zu finished run%s not collected",
				   rerr.s, nwant, nwant == 1 ? "" : "s");
		goto out;
	}
	int extra_ms = plan(&g, &reg, &bs, root, runs, nwant > 0, notes);
	batches_run(&bs, root, 60000 + extra_ms);
	read_answers(&g, &bs, notes);
	if (json_object_size(g.results) || json_object_size(g.dph)) {
		rc = queue_update(root, Q_RUNS, store_gathered, &g, err);
		if (rc > 0)
			rc = 1;
	}
	st->applied += g.applied;
	st->parse_failed += g.failed;
out:
	batches_release(&bs);
	registry_release(&reg);
	json_decref(g.expect);
	json_decref(g.results);
	json_decref(g.dph);
	buf_release(&rerr);
	return rc;
}
