/*
 * summary.c - a project's results end to end (see summary.h).
 */
#include "results/summary.h"
#include "exec/batch.h"
#include "results/aggregate.h"
#include "results/collect.h"
#include "results/params.h"
#include "results/write.h"
#include "results/write_priv.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "store/store.h"
#include "store/yaml.h"
#include "util/jx.h"
#include "util/table.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char *
phase_dirname(const char *phase)
{
	char *s = xstrdup(phase && *phase ? phase : "_");
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			*p = '_';
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		free(s);
		s = xstrdup("_");
	}
	return s;
}

static int
is_finished(const json_t *run)
{
	const char *st = jstr0(run, "status");
	return !strcmp(st, "done") || !strcmp(st, "failed");
}

/* The project's entries of the run queue, parsed (a new array). */
static json_t *
load_runs(const char *root, const char *project, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	char *path = path_join(root, Q_RUNS);
	json_t *runs = NULL;
	if (queue_load(&q, path, err) == 0) {
		runs = json_array();
		for (size_t i = 0; i < q.n; i++) {
			if (!queue_key_is(&q, i, JK_PROJECT, project))
				continue;
			json_t *r = queue_obj(&q, i, err);
			if (!r) {
				json_decref(runs);
				runs = NULL;
				break;
			}
			json_array_append(runs, r);
		}
	}
	queue_release(&q);
	free(path);
	return runs;
}

/* ---- collection of what is missing ---- */

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
	if (!is_finished(run) || !*jstr0(run, "worker_id"))
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
		if (dph && is_finished(r) && !json_object_get(r, "cost_usd"))
			ch |= run_set_cost(r, json_number_value(dph));
		if (ch) {
			queue_touch(q, i);
			changed = 1;
		}
	}
	return changed;
}

/*
 * Fetch the metrics of finished runs that have none (one process per
 * worker), set missing costs.  1 if the queue changed, 0 if not, -1 on a
 * store error.
 */
static int
gather(const char *root, const struct results_opts *o, json_t *runs, struct results *res, struct buf *err)
{
	size_t nwant = 0, ncost = 0, i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		if (wants_collect(r, o->recollect))
			nwant++;
		else if (is_finished(r) && !json_object_get(r, "cost_usd") && *jstr0(r, "worker_id"))
			ncost++;
	}
	if (o->no_collect)
		nwant = 0;
	if (!nwant && !ncost)
		return 0;

	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct gather g = { o->project, o->recollect, json_object(), json_object(), json_object(), 0, 0 };
	struct buf rerr = BUF_INIT;
	int rc = 0;
	if (registry_load(&reg, root, &rerr) < 0) {
		if (nwant)
			strv_pushf(&res->notes, "cannot read the worker registry (%s): %zu finished run%s not collected",
				   rerr.s, nwant, nwant == 1 ? "" : "s");
		goto out;
	}
	json_t *skipped = json_object();	/* reason -> count */
	int extra_ms = 0;
	json_array_foreach(runs, i, r) {
		struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
		if (w && w->dph > 0 && is_finished(r) && !json_object_get(r, "cost_usd"))
			json_object_set_new(g.dph, jstr0(r, "id"), json_real(w->dph));
		if (!nwant || !wants_collect(r, o->recollect))
			continue;
		buf_reset(&rerr);
		char *why = NULL;
		if (!w)
			why = xasprintf("worker %s is no longer in the registry", jstr0(r, "worker_id"));
		else if (!w->enabled)
			why = xasprintf("worker %s is disabled", w->id);
		else if (worker_check(w, &rerr) < 0)
			why = xasprintf("worker %s: %s", w->id, rerr.s);
		else if (!run_ids_ok(r))
			why = xstrdup("run or project id is not a plain name");
		if (why) {
			json_t *c = json_object_get(skipped, why);
			json_object_set_new(skipped, why, json_integer(c ? json_integer_value(c) + 1 : 1));
			free(why);
			continue;
		}
		struct batch *b = batches_get(&bs, w, root);
		extra_ms += collect_call(&b->s, r);
		json_array_append(b->runs, r);
		json_t *ex = json_object();
		jset_str(ex, "status", jstr0(r, "status"));
		jset_int(ex, "attempt", run_attempt(r));
		jset_str(ex, "worker", w->id);
		jset_str(ex, "metric_parser", jstr0(r, "metric_parser"));	/* for collect_result */
		json_object_set_new(g.expect, jstr0(r, "id"), ex);
	}
	const char *why;
	json_t *cnt;
	json_object_foreach(skipped, why, cnt) {
		long long n = json_integer_value(cnt);
		strv_pushf(&res->notes, "%lld finished run%s not collected: %s", n, n == 1 ? "" : "s", why);
	}
	json_decref(skipped);
	batches_run(&bs, root, 60000 + extra_ms);
	for (size_t k = 0; k < bs.n; k++) {
		struct batch *b = &bs.b[k];
		if (b->unreachable) {
			size_t n = json_array_size(b->runs);
			strv_pushf(&res->notes, "worker %s did not answer (%s): %zu run%s not collected", b->w->id,
				   b->reason, n, n == 1 ? "" : "s");
			continue;
		}
		size_t pos = 0;
		struct rec rec;
		while (batch_rec_next(b, &pos, &rec)) {
			json_t *ex = json_object_get(g.expect, rec.run);
			if (!strcmp(rec.op, "collect") && ex) {
				json_t *cr = collect_result(ex, &rec);
				if (jstr(cr, "state"))
					json_decref(cr);	/* no exit code there: nothing to store */
				else
					json_object_set_new(g.results, rec.run, cr);
			}
			rec_release(&rec);
		}
	}
	if (json_object_size(g.results) || json_object_size(g.dph)) {
		rc = queue_update(root, Q_RUNS, store_gathered, &g, err);
		if (rc > 0)
			rc = 1;
	}
	res->n_collected += g.applied;
	res->n_parse_failed += g.failed;
out:
	batches_release(&bs);
	registry_release(&reg);
	json_decref(g.expect);
	json_decref(g.results);
	json_decref(g.dph);
	buf_release(&rerr);
	return rc;
}

/* ---- what to summarise ---- */

/* The most common non-empty value of field over runs (NULL: none); borrowed. */
static const char *
most_common(const json_t *runs, const char *field, const char *where_key, const char *where_val)
{
	json_t *count = json_object();
	const char *best = NULL;
	long long bestn = 0;
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		const char *v = jstr(r, field);
		if (!v || !*v)
			continue;
		if (where_key && strcasecmp(jstr0(r, where_key), where_val))
			continue;
		json_t *c = json_object_get(count, v);
		long long n = c ? json_integer_value(c) + 1 : 1;
		json_object_set_new(count, v, json_integer(n));
		if (n > bestn) {
			bestn = n;
			best = v;
		}
	}
	json_decref(count);
	return best;
}

/* Metric names that go up when things get better, by their words. */
static int
higher_is_better(const char *name)
{
	static const char *const up[] = {
		"acc", "accuracy", "top1", "top5", "f1", "auc", "auroc", "bleu", "precision", "recall",
		"score", "reward", "return", "r2", "map", "ndcg", "iou", "miou", "dice", "psnr", "ssim",
		"rouge", "rouge1", "rouge2", "rougel", "exact_match", "em", "win_rate", "pass",
	};
	char *s = xstrdup(name);
	int hit = 0;
	for (char *tok = s, *end; *tok && !hit; tok = end) {
		end = tok;
		while (*end && (isalnum((unsigned char)*end)))
			end++;
		char save = *end;
		*end = 0;
		for (size_t i = 0; i < ARRAY_SIZE(up) && !hit; i++)
			hit = !strcasecmp(tok, up[i]);
		*end = save;
		while (*end && !isalnum((unsigned char)*end))
			end++;
	}
	free(s);
	return hit;
}

struct scope_ctx {
	const char *root;
	const struct results_opts *o;
	json_t *all_runs;	/* the project's runs (for sweep templates) */
	json_t *runs;		/* this scope's runs */
	const char *phase;	/* NULL: all */
	struct ydoc *pyaml;	/* project.yaml, or NULL */
	json_t *reference;	/* rows of reference.csv, or NULL */
	const char *now;
};

/* Metrics to summarise and the primary one (first in out). */
static void
pick_metrics(struct scope_ctx *s, struct strv *out)
{
	const struct results_opts *o = s->o;
	if (o->metrics && o->metrics->n) {
		for (size_t i = 0; i < o->metrics->n; i++)
			strv_push(out, o->metrics->v[i]);
		return;
	}
	const char *over = o->over ? o->over : "seed";
	json_t *params = json_object(), *seen = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(s->runs, i, r) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(r, "params"), k, v)
			json_object_set(params, k, json_true());
		if (strcmp(jstr0(r, "status"), "done"))
			continue;
		json_object_foreach(json_object_get(r, "metrics"), k, v) {
			int dup = 0;
			for (size_t j = 0; j < json_array_size(seen) && !dup; j++)
				dup = !strcmp(json_string_value(json_array_get(seen, j)), k);
			if (!dup)
				json_array_append_new(seen, json_string(k));
		}
	}
	/* the runs' target metric first, matched without regard to case */
	const char *target = most_common(s->runs, "target_metric", NULL, NULL);
	const char *first = NULL;
	for (i = 0; target && i < json_array_size(seen) && !first; i++)
		if (!strcmp(json_string_value(json_array_get(seen, i)), target))
			first = json_string_value(json_array_get(seen, i));
	for (i = 0; target && i < json_array_size(seen) && !first; i++)
		if (!strcasecmp(json_string_value(json_array_get(seen, i)), target))
			first = json_string_value(json_array_get(seen, i));
	if (first)
		strv_push(out, first);
	for (i = 0; i < json_array_size(seen); i++) {
		const char *m = json_string_value(json_array_get(seen, i));
		if (m == first || json_object_get(params, m) || !strcmp(m, over))
			continue;
		if (o->group_by && strv_has(o->group_by, m))
			continue;
		strv_push(out, m);
	}
	json_decref(params);
	json_decref(seen);
}

static const char *
norm_direction(const char *d)
{
	if (!d)
		return NULL;
	if (!strcasecmp(d, "lower") || !strcasecmp(d, "min") || !strcasecmp(d, "minimize"))
		return "lower";
	if (!strcasecmp(d, "higher") || !strcasecmp(d, "max") || !strcasecmp(d, "maximize"))
		return "higher";
	return NULL;
}

/* project.yaml's target: {"value": x} (number) or {"text": "..."}, plus its
 * direction; NULL when there is none. */
static json_t *
yaml_target(struct ydoc *y)
{
	if (!y || !y->root)
		return NULL;
	struct ynode *t = ymap_get(y->root, "target");
	struct ynode *v = ymap_get(t, "target_value");
	json_t *o = json_object();
	double d;
	if (v && v->type == Y_SCALAR && !v->plain_null) {
		if (ynode_double(v, &d) == 0)
			json_object_set_new(o, "value", json_real(d));
		else if (v->value && *v->value && utf8_valid(v->value, strlen(v->value)))
			jset_str(o, "text", v->value);
	}
	const char *dir = norm_direction(ymap_str(t, "direction"));
	if (dir)
		jset_str(o, "direction", dir);
	if (!json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The sweep templates of the scope's runs (the "sweep" record of each
 * sweep_id, found among all the project's runs). */
static json_t *
sweep_templates(const json_t *all, const json_t *runs)
{
	json_t *ids = json_object(), *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r)
		if (jstr(r, "sweep_id"))
			json_object_set(ids, jstr(r, "sweep_id"), json_true());
	json_array_foreach(all, i, r) {
		json_t *sw = json_object_get(r, "sweep");
		if (sw && jstr(r, "sweep_id") && json_object_get(ids, jstr(r, "sweep_id"))) {
			json_t *t = json_object();
			jset_str(t, "sweep_id", jstr(r, "sweep_id"));
			json_object_update(t, sw);
			json_array_append_new(out, t);
			json_object_del(ids, jstr(r, "sweep_id"));
		}
	}
	json_decref(ids);
	return out;
}

static json_t *
protocol(struct scope_ctx *s, const json_t *summary)
{
	json_t *p = json_object();
	jset_str(p, "over", s->o->over ? s->o->over : "seed");
	const char *parser = most_common(s->runs, "metric_parser", NULL, NULL);
	jset_str(p, "metric_parser", parser ? parser : "");
	json_t *tpl = sweep_templates(s->all_runs, s->runs);
	if (json_array_size(tpl))
		json_object_set(p, "sweeps", tpl);
	json_decref(tpl);
	/* params every aggregated run has with one same value */
	json_t *constant = NULL;
	size_t i, n = 0;
	json_t *r;
	json_array_foreach(s->runs, i, r) {
		if (strcmp(jstr0(r, "status"), "done") || !json_object_get(r, "metrics"))
			continue;
		json_t *pr = json_object_get(r, "params");
		if (!n++) {
			constant = json_is_object(pr) ? json_deep_copy(pr) : json_object();
			continue;
		}
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(constant, tmp, k, v) {
			json_t *w = json_object_get(pr, k);
			if (!w || agg_value_cmp(v, w))
				json_object_del(constant, k);
		}
	}
	/* and what every command says alike, for runs that have no params */
	json_t *cc = json_object_get(json_object_get(summary, "params_from_commands"), "constant");
	if (n > 1 && json_object_size(cc)) {
		if (!constant)
			constant = json_object();
		json_object_update_missing(constant, cc);
	}
	if (constant && n > 1 && json_object_size(constant))
		json_object_set(p, "constant_params", constant);
	json_decref(constant);
	return p;
}

/*
 * Sweeps give params, not what a run ran: two sweeps of different commands
 * with the same params land in one configuration.  Say so for each group
 * whose runs come from sweeps whose command or env templates differ.
 */
static void
warn_mixed_sweeps(json_t *summary, const json_t *all, const json_t *runs)
{
	json_t *tpl = sweep_templates(all, runs), *by_sweep = json_object(), *sweep_of = json_object();
	size_t i, j;
	json_t *x, *g;
	json_array_foreach(tpl, i, x) {
		char *t = xasprintf("%s\x1f%s", jstr0(x, "command"), jstr0(x, "env"));
		json_object_set_new(by_sweep, jstr0(x, "sweep_id"), json_string(t));
		free(t);
	}
	json_array_foreach(runs, i, x)
		if (jstr(x, "sweep_id") && jstr(x, "id"))
			jset_str(sweep_of, jstr(x, "id"), jstr(x, "sweep_id"));
	json_t *w = json_object_get(summary, "grouping_warnings");
	json_array_foreach(json_object_get(summary, "groups"), i, g) {
		const char *first = NULL, *first_sw = NULL;
		json_array_foreach(json_object_get(g, "run_ids"), j, x) {
			const char *sw = jstr(sweep_of, json_string_value(x));
			const char *t = sw ? jstr(by_sweep, sw) : NULL;
			if (!t)
				continue;
			if (!first) {
				first = t;
				first_sw = sw;
			} else if (strcmp(first, t) && json_is_array(w)) {
				char *m = xasprintf("%s: its runs come from sweeps of different commands (%s and %s): "
						    "their params are the same, what they ran is not", jstr0(g, "label"),
						    first_sw, sw);
				json_array_append_new(w, json_string(m));
				free(m);
				break;
			}
		}
	}
	json_decref(sweep_of);
	json_decref(by_sweep);
	json_decref(tpl);
}

/* Hand-made-summary style rows: config keys, n_seeds, <m>_mean, ... */
static json_t *
flat_rows(const json_t *summary)
{
	json_t *rows = json_array();
	json_t *metrics = json_object_get(summary, "metrics");
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(summary, "groups"), i, g) {
		json_t *row = json_object();
		json_object_update(row, json_object_get(g, "config"));
		json_object_set(row, "n_seeds", json_object_get(g, "n"));
		size_t j;
		json_t *m;
		json_array_foreach(metrics, j, m) {
			const char *name = json_string_value(m);
			json_t *st = json_object_get(json_object_get(g, "stats"), name);
			static const char *const f[] = { "mean", "std", "min", "max" };
			for (size_t k = 0; k < ARRAY_SIZE(f); k++) {
				char *key = xasprintf("%s_%s", name, f[k]);
				json_t *v = json_object_get(st, f[k]);
				json_object_set(row, key, v ? v : json_null());
				free(key);
			}
			json_t *ref = json_object_get(json_object_get(g, "reference"), name);
			if (ref) {
				char *key = xasprintf("%s_ref", name);
				json_object_set(row, key, ref);
				free(key);
				key = xasprintf("%s_delta", name);
				json_t *d = json_object_get(json_object_get(g, "delta"), name);
				json_object_set(row, key, d ? d : json_null());
				free(key);
			}
		}
		json_object_set(row, "seeds", json_object_get(g, "seeds"));
		json_object_set(row, "per_seed", json_object_get(g, "per_seed"));
		json_object_set(row, "run_ids", json_object_get(g, "run_ids"));
		json_array_append_new(rows, row);
	}
	return rows;
}

/* The summary of one scope, or NULL with *why. */
static json_t *
summarise(struct scope_ctx *s, char **why)
{
	const struct results_opts *o = s->o;
	struct strv metrics = STRV_INIT;
	struct buf err = BUF_INIT;
	json_t *summary = NULL, *pinfo = json_object();
	/* the runs as grouped: those without params get them from their commands */
	json_t *entries = s->runs, *view = params_resolve(entries, o->over, pinfo);
	s->runs = view;

	pick_metrics(s, &metrics);
	if (!metrics.n) {
		*why = xstrdup("no finished run has metrics yet");
		goto out;
	}
	const char *primary = metrics.v[0];
	json_t *ytarget = yaml_target(s->pyaml);
	const char *dir = norm_direction(o->direction);
	if (!dir)
		dir = norm_direction(most_common(s->runs, "target_direction", "target_metric", primary));
	if (!dir)
		dir = jstr(ytarget, "direction");
	if (!dir)
		dir = higher_is_better(primary) ? "higher" : "lower";
	json_t *dirs = json_object();
	for (size_t i = 0; i < metrics.n; i++)
		jset_str(dirs, metrics.v[i], i == 0 ? dir : higher_is_better(metrics.v[i]) ? "higher" : "lower");

	struct agg_opts ao = { 0 };
	ao.metrics = &metrics;
	ao.metric = primary;
	ao.direction = dir;
	ao.directions = dirs;
	ao.over = o->over;
	ao.group_by = o->group_by && o->group_by->n ? o->group_by : NULL;
	ao.phase = s->phase;
	ao.reference = s->reference;
	ao.generated_at = s->now;
	summary = aggregate_runs(s->runs, &ao, &err);
	if (!summary) {
		*why = xstrdup(err.len ? err.s : "nothing to summarise");
		json_decref(dirs);
		json_decref(ytarget);
		goto out;
	}
	json_decref(dirs);

	/* what the library does not know: the project, its target, the spend */
	json_t *head = json_object();
	jset_str(head, "project_id", o->project);
	jset_str(head, "scope", s->phase ? "phase" : "all");
	if (s->phase)
		jset_str(head, "phase", s->phase);
	json_object_update(head, summary);
	json_decref(summary);
	summary = head;

	if (ytarget) {
		json_t *t = json_object();
		jset_str(t, "metric", primary);
		jset_str(t, "direction", dir);
		json_t *v = json_object_get(ytarget, "value");
		json_t *best = json_object_get(summary, "best");
		if (v) {
			json_object_set(t, "value", v);
			json_t *bm = json_object_get(best, "mean");
			if (json_is_number(bm)) {
				double b = json_number_value(bm), tv = json_number_value(v);
				json_object_set(t, "best", bm);
				json_object_set_new(t, "met", json_boolean(!strcmp(dir, "lower") ? b <= tv : b >= tv));
				json_object_set_new(t, "gap", json_real(b - tv));
			}
		} else if (jstr(ytarget, "text")) {
			jset_str(t, "text", jstr(ytarget, "text"));
		}
		json_object_set_new(summary, "target", t);
	}
	json_decref(ytarget);
	/* how the runs were grouped, where it may not be what they ran: runs
	 * without params (added one by one, or by the old tool) read from
	 * their commands, sweeps of different commands */
	json_t *gw = json_array();
	json_object_set_new(summary, "grouping_warnings", gw);
	if (strcmp(jstr0(pinfo, "mode"), "params")) {
		json_array_extend(gw, json_object_get(pinfo, "warnings"));
		json_object_set(summary, "params_from_commands", pinfo);
	}
	warn_mixed_sweeps(summary, s->all_runs, s->runs);
	json_t *w = json_object_get(summary, "warnings");
	if (!json_is_array(w)) {
		w = json_array();
		json_object_set_new(summary, "warnings", w);
	}
	json_array_extend(w, gw);
	if (!json_array_size(gw))
		json_object_del(summary, "grouping_warnings");
	json_object_set_new(summary, "protocol", protocol(s, summary));
	size_t nfailed = 0, ncost = 0, i;
	double cost = 0;
	json_t *r;
	json_array_foreach(s->runs, i, r) {
		if (!strcmp(jstr0(r, "status"), "failed"))
			nfailed++;
		json_t *c = json_object_get(r, "cost_usd");
		if (json_is_number(c)) {
			cost += json_number_value(c);
			ncost++;
		}
	}
	json_object_set_new(summary, "n_failed", json_integer((json_int_t)nfailed));
	if (ncost)
		json_object_set_new(summary, "cost_usd", json_real(round(cost * 1e6) / 1e6));
	json_object_set_new(summary, "results", flat_rows(summary));
out:
	s->runs = entries;
	json_decref(view);
	json_decref(pinfo);
	strv_release(&metrics);
	buf_release(&err);
	return summary;
}

/* ---- files ---- */

static void
md_number(struct buf *b, const json_t *v)
{
	char num[WR_NUM];
	if (json_is_number(v)) {
		wr_fixed(json_number_value(v), 4, num);
		buf_adds(b, num);
	} else {
		buf_adds(b, "n/a");
	}
}

/* summary.md: a few lines about the scope, the table, the warnings. */
static char *
summary_markdown(const json_t *s, int per_seed)
{
	struct buf b = BUF_INIT;
	const char *phase = jstr(s, "phase");
	buf_addf(&b, "# Results: %s%s%s%s%s\n\n", jstr0(s, "project_id"), phase ? " (phase " : "",
		 phase ? phase : "", phase ? ")" : "", per_seed ? ", per run" : "");
	long long nr = 0, ng = 0, nf = 0;
	jint(s, "n_runs", &nr);
	jint(s, "n_groups", &ng);
	jint(s, "n_failed", &nf);
	buf_addf(&b, "%lld run%s in %lld configuration%s; mean \xC2\xB1 sample std over `%s`. "
		 "Generated %s by `ros results`.\n\n", nr, nr == 1 ? "" : "s", ng, ng == 1 ? "" : "s",
		 jstr0(s, "over"), jstr0(s, "generated_at"));
	size_t k;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(s, "params_from_commands"), "notes"), k, x)
		buf_addf(&b, "Runs without params: %s.\n\n", json_string_value(x));
	const char *m = jstr0(s, "metric");
	const json_t *best = json_object_get(s, "best");
	buf_addf(&b, "Primary metric: **%s** (%s is better).", m, jstr0(s, "direction"));
	if (json_is_object(best)) {
		buf_addf(&b, " Best: **%s**: ", jstr0(best, "label"));
		md_number(&b, json_object_get(best, "mean"));
		if (json_is_number(json_object_get(best, "std"))) {
			buf_adds(&b, " \xC2\xB1 ");
			md_number(&b, json_object_get(best, "std"));
		}
		long long n = 0;
		jint(best, "n", &n);
		buf_addf(&b, " (n=%lld).", n);
	}
	buf_adds(&b, "\n");
	const json_t *t = json_object_get(s, "target");
	if (json_object_get(t, "value")) {
		buf_adds(&b, "Target (project.yaml): ");
		md_number(&b, json_object_get(t, "value"));
		if (json_is_boolean(json_object_get(t, "met"))) {
			buf_adds(&b, json_is_true(json_object_get(t, "met")) ? ": **met**" : ": not met");
			buf_adds(&b, " (best minus target: ");
			md_number(&b, json_object_get(t, "gap"));
			buf_adds(&b, ")");
		}
		buf_adds(&b, ".\n");
	} else if (jstr(t, "text")) {
		buf_addf(&b, "Target (project.yaml): %s\n", jstr(t, "text"));
	}
	if (nf)
		buf_addf(&b, "Failed runs (not in the table): %lld.\n", nf);
	if (json_is_number(json_object_get(s, "cost_usd")))
		buf_addf(&b, "Spend: $%.2f.\n", json_number_value(json_object_get(s, "cost_usd")));
	buf_adds(&b, "\n");
	char *tab = per_seed ? write_seeds_markdown(s) : write_markdown(s);
	buf_adds(&b, tab);
	free(tab);
	json_t *w = json_object_get(s, "warnings");
	if (json_array_size(w)) {
		buf_adds(&b, "\n## Warnings\n\n");
		json_array_foreach(w, k, x)
			buf_addf(&b, "- %s\n", json_string_value(x));
	}
	return buf_detach(&b);
}

static int
put_file(const char *root, const char *rel, const char *data, struct results *res, struct buf *err)
{
	char *path = path_join(root, rel);
	int rc = write_if_changed(path, data, strlen(data), err);
	free(path);
	res->n_files++;
	if (rc > 0)
		strv_push(&res->written, rel);
	return rc < 0 ? -1 : 0;
}

/* Keep the old generated_at when nothing else changed. */
static void
keep_generated_at(const char *root, const char *dir, json_t *summary)
{
	char *path = xasprintf("%s/%s/summary.json", root, dir);
	json_t *old = json_load_file(path, 0, NULL);
	free(path);
	if (!json_is_object(old) || !json_is_string(json_object_get(old, "generated_at"))) {
		json_decref(old);
		return;
	}
	json_t *now = json_incref(json_object_get(summary, "generated_at"));
	json_object_set(summary, "generated_at", json_object_get(old, "generated_at"));
	if (!json_equal(old, summary))
		json_object_set(summary, "generated_at", now);
	json_decref(now);
	json_decref(old);
}

static int
write_scope(const char *root, const char *dir, json_t *summary, struct results *res, struct buf *err)
{
	keep_generated_at(root, dir, summary);
	struct buf js = BUF_INIT;
	json_write(&js, summary, 0);
	buf_addc(&js, '\n');
	char *files[5][2] = {
		{ xasprintf("%s/summary.json", dir), buf_detach(&js) },
		{ xasprintf("%s/summary.csv", dir), write_csv(summary) },
		{ xasprintf("%s/summary.md", dir), summary_markdown(summary, 0) },
		{ xasprintf("%s/summary_per_seed.csv", dir), write_seeds_csv(summary) },
		{ xasprintf("%s/summary_per_seed.md", dir), summary_markdown(summary, 1) },
	};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (rc == 0 && put_file(root, files[i][0], files[i][1], res, err) < 0)
			rc = -1;
		free(files[i][0]);
		free(files[i][1]);
	}
	return rc;
}

/* ---- the whole thing ---- */

static int
add_scope(struct scope_ctx *s, const char *dir, struct results *res, struct buf *err)
{
	char *why = NULL;
	json_t *summary = summarise(s, &why);
	json_t *sc = json_object();
	jset_str(sc, "scope", s->phase ? "phase" : "all");
	if (s->phase)
		jset_str(sc, "phase", s->phase);
	jset_str(sc, "dir", dir);
	json_object_set_new(sc, "n_runs", json_integer((json_int_t)json_array_size(s->runs)));
	int rc = 0;
	if (summary) {
		if (!s->o->no_write)
			rc = write_scope(s->root, dir, summary, res, err);
		json_object_set_new(sc, "summary", summary);
	} else {
		json_object_set_new(sc, "summary", json_null());
		jset_str(sc, "why", why);
	}
	free(why);
	json_array_append_new(res->scopes, sc);
	return rc;
}

static json_t *
load_reference(const char *root, const char *project, struct results *res)
{
	char *path = xasprintf("%s/research/%s/benchmark/reference.csv", root, project);
	char *text = read_file(path, NULL);
	json_t *rows = NULL;
	if (text) {
		struct buf err = BUF_INIT;
		rows = reference_load_csv(text, &err);
		if (!rows)
			strv_pushf(&res->notes, "research/%s/benchmark/reference.csv: %s (reference values ignored)",
				   project, err.s);
		buf_release(&err);
	}
	free(text);
	free(path);
	return rows;
}

static void
count_in(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer(c ? json_integer_value(c) + 1 : 1));
}

/* What became of the runs (of phase, when given): see summary.h. */
static json_t *
run_counts(const json_t *runs, const char *phase)
{
	json_t *c = json_object(), *fexit = json_object(), *other = json_object();
	long long n = 0, good = 0, failed = 0, nometrics = 0, errors = 0, notcoll = 0;
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		if (phase && strcmp(jstr0(r, "phase"), phase))
			continue;
		const char *st = jstr0(r, "status");
		n++;
		if (!strcmp(st, "failed")) {
			long long code;
			char key[24] = "?";
			if (jint(r, "exit_code", &code) == 0)
				snprintf(key, sizeof key, "%lld", code);
			failed++;
			count_in(fexit, key);
		} else if (!strcmp(st, "done")) {
			if (json_object_size(json_object_get(r, "metrics"))) {
				good++;
				continue;
			}
			nometrics++;
			if (jstr(r, "metrics_error"))
				errors++;
			else
				notcoll++;
		} else {
			count_in(other, *st ? st : "(no status)");
		}
	}
	json_object_set_new(c, "runs", json_integer(n));
	json_object_set_new(c, "done_with_metrics", json_integer(good));
	json_object_set_new(c, "failed", json_integer(failed));
	json_object_set_new(c, "failed_exit", fexit);
	json_object_set_new(c, "without_metrics", json_integer(nometrics));
	json_object_set_new(c, "metrics_error", json_integer(errors));
	json_object_set_new(c, "not_collected", json_integer(notcoll));
	json_object_set_new(c, "other", other);
	return c;
}

/* Exit codes in numeric order, "?" last. */
static int
exit_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	long long i, j;
	int nx = parse_long(x, &i) == 0, ny = parse_long(y, &j) == 0;
	if (nx && ny)
		return (i > j) - (i < j);
	return nx != ny ? (nx ? -1 : 1) : strcmp(x, y);
}

void
results_counts_line(FILE *f, const json_t *c, int indent)
{
	long long n = 0, good = 0, failed = 0, nometrics = 0, errors = 0, notcoll = 0;
	jint(c, "runs", &n);
	jint(c, "done_with_metrics", &good);
	jint(c, "failed", &failed);
	jint(c, "without_metrics", &nometrics);
	jint(c, "metrics_error", &errors);
	jint(c, "not_collected", &notcoll);
	fprintf(f, "%*s%lld run%s: %lld done with metrics, %lld failed", indent, "", n, n == 1 ? "" : "s", good,
		failed);
	const json_t *fexit = json_object_get(c, "failed_exit");
	const char *k;
	json_t *v;
	const char **codes = xcalloc(json_object_size(fexit) + 1, sizeof(*codes));
	size_t nc = 0;
	json_object_foreach((json_t *)fexit, k, v)
		codes[nc++] = k;
	qsort(codes, nc, sizeof(*codes), exit_cmp);
	for (size_t i = 0; i < nc; i++)
		fprintf(f, "%sexit %s: %lld", i ? ", " : " (", codes[i],
			(long long)json_integer_value(json_object_get(fexit, codes[i])));
	if (nc)
		fputc(')', f);
	free(codes);
	fprintf(f, ", %lld without metrics", nometrics);
	if (errors && notcoll)
		fprintf(f, " (%lld with metrics_error, %lld not collected)", errors, notcoll);
	else if (errors)
		fprintf(f, " (%lld with metrics_error)", errors);
	else if (notcoll)
		fprintf(f, " (%lld not collected)", notcoll);
	/* the other statuses in the order runs go through them */
	static const char *const order[] = { "pending", "dispatching", "running", "stale", "cancelled" };
	const json_t *other = json_object_get(c, "other");
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if ((v = json_object_get(other, order[i])))
			fprintf(f, ", %lld %s", (long long)json_integer_value(v), order[i]);
	json_object_foreach((json_t *)other, k, v) {
		int known = 0;
		for (size_t i = 0; i < ARRAY_SIZE(order) && !known; i++)
			known = !strcmp(k, order[i]);
		if (!known)
			fprintf(f, ", %lld %s", (long long)json_integer_value(v), k);
	}
	fputc('\n', f);
}

int
results_build(const char *root, const struct results_opts *o, struct results *res, struct buf *err)
{
	int rc = -1;
	char now[32];
	struct ydoc y = YDOC_INIT;
	json_t *reference = NULL, *phases = NULL;

	res->scopes = json_array();
	res->runs = load_runs(root, o->project, err);
	if (!res->runs)
		return -1;
	int g = gather(root, o, res->runs, res, err);
	if (g < 0)
		return -1;
	if (g > 0) {
		json_decref(res->runs);
		if (!(res->runs = load_runs(root, o->project, err)))
			return -1;
	}
	size_t i;
	json_t *r;
	json_array_foreach(res->runs, i, r) {
		if (is_finished(r) && !run_collected(r))
			res->n_not_collected++;
		if (!o->no_write && is_finished(r) && run_collected(r)) {
			struct buf e = BUF_INIT;
			int w = evidence_write_run(root, r, &e);
			if (w < 0) {
				buf_addf(err, "%s", e.s);
				buf_release(&e);
				return -1;
			}
			res->n_files++;
			if (w > 0)
				strv_pushf(&res->written, "research/%s/evidence/runs/%s.json", o->project, jstr0(r, "id"));
			buf_release(&e);
		}
	}

	res->counts = run_counts(res->runs, o->phase);

	char *ypath_ = xasprintf("%s/research/%s/project.yaml", root, o->project);
	struct buf yerr = BUF_INIT;
	int have_yaml = file_exists(ypath_) && ydoc_load(&y, ypath_, &yerr) == 0;
	if (file_exists(ypath_) && !have_yaml)
		strv_pushf(&res->notes, "%s (target not compared)", yerr.s);
	buf_release(&yerr);
	free(ypath_);
	reference = load_reference(root, o->project, res);
	iso_now(now);

	/* phases, in order of first appearance */
	phases = json_array();
	json_array_foreach(res->runs, i, r) {
		const char *p = jstr(r, "phase");
		if (!p || !*p)
			continue;
		int dup = 0;
		for (size_t k = 0; k < json_array_size(phases) && !dup; k++)
			dup = !strcmp(json_string_value(json_array_get(phases, k)), p);
		if (!dup)
			json_array_append_new(phases, json_string(p));
	}
	struct scope_ctx s = { root, o, res->runs, NULL, NULL, have_yaml ? &y : NULL, reference, now };
	char *evdir = xasprintf("research/%s/evidence", o->project);
	if (!o->phase) {
		s.runs = json_incref(res->runs);
		if (add_scope(&s, evdir, res, err) < 0) {
			json_decref(s.runs);
			goto out;
		}
		json_decref(s.runs);
	}
	for (size_t k = 0; k < json_array_size(phases) || (o->phase && k == 0); k++) {
		const char *p = o->phase ? o->phase : json_string_value(json_array_get(phases, k));
		s.phase = p;
		s.runs = json_array();
		json_array_foreach(res->runs, i, r)
			if (!strcmp(jstr0(r, "phase"), p))
				json_array_append(s.runs, r);
		char *pd = phase_dirname(p);
		char *dir = xasprintf("%s/phases/%s", evdir, pd);
		int arc = add_scope(&s, dir, res, err);
		free(dir);
		free(pd);
		json_decref(s.runs);
		if (arc < 0)
			goto out;
		if (o->phase)
			break;
	}
	rc = 0;
out:
	free(evdir);
	json_decref(phases);
	json_decref(reference);
	ydoc_release(&y);
	return rc;
}

void
results_release(struct results *res)
{
	json_decref(res->scopes);
	json_decref(res->runs);
	json_decref(res->counts);
	strv_release(&res->written);
	strv_release(&res->notes);
	memset(res, 0, sizeof *res);
}

/* ---- the table `results` prints ---- */

static void
right_align(struct table *t, size_t col)
{
	if (col < 32)
		t->right |= 1u << col;
}

#define CELL_MAX 60	/* display columns of a config value on the terminal */

void
summary_print(FILE *f, const json_t *s, int indent)
{
	struct strv keys = STRV_INIT, metrics = STRV_INIT;
	wr_strv(s, "group_by", &keys);
	wr_strv(s, "metrics", &metrics);
	const json_t *groups = json_object_get(s, "groups");
	/* reference columns only for metrics that have a reference somewhere */
	unsigned char *hasref = xcalloc(metrics.n + 1, 1);
	size_t i, j;
	json_t *g;
	json_array_foreach(groups, i, g)
		for (j = 0; j < metrics.n; j++)
			if (json_object_get(json_object_get(g, "reference"), metrics.v[j]))
				hasref[j] = 1;
	size_t ncols = keys.n + 1;
	for (j = 0; j < metrics.n; j++)
		ncols += 1 + 2 * hasref[j];
	struct table t = { (int)ncols, STRV_INIT, 0, indent };
	for (j = 0; j < keys.n; j++)
		strv_push(&t.cells, keys.v[j]);
	strv_push(&t.cells, "n");
	right_align(&t, keys.n);
	size_t c = keys.n + 1;
	for (j = 0; j < metrics.n; j++) {
		int higher = !strcmp(agg_direction(s, metrics.v[j]), "higher");
		strv_pushf(&t.cells, "%s %s", metrics.v[j], higher ? "\xE2\x86\x91" : "\xE2\x86\x93");
		c++;
		if (hasref[j]) {
			strv_pushf(&t.cells, "%s ref", metrics.v[j]);
			strv_pushf(&t.cells, "\xCE\x94 %s", metrics.v[j]);
			right_align(&t, c);
			right_align(&t, c + 1);
			c += 2;
		}
	}
	json_array_foreach(groups, i, g) {
		const json_t *cfg = json_object_get(g, "config");
		for (j = 0; j < keys.n; j++) {
			json_t *v = json_object_get(cfg, keys.v[j]);
			char *cell = v && !json_is_null(v) ? agg_value_str(v) : xstrdup("-");
			strv_push_nocopy(&t.cells, wr_shorten_mid(cell, CELL_MAX));
			free(cell);
		}
		long long n = 0;
		jint(g, "n", &n);
		strv_pushf(&t.cells, "%lld", n);
		for (j = 0; j < metrics.n; j++) {
			struct buf b = BUF_INIT;
			char best[WR_NUM];
			int higher = !strcmp(agg_direction(s, metrics.v[j]), "higher");
			if (!wr_cell(&b, g, metrics.v[j], 4, 1, WR_MD))
				buf_adds(&b, "n/a");
			else if (wr_best(groups, NULL, 0, metrics.v[j], higher, 4, best) &&
				 wr_is_best(g, metrics.v[j], 4, best))
				buf_adds(&b, " *");
			strv_push_nocopy(&t.cells, buf_detach(&b));
			if (hasref[j]) {
				json_t *ref = json_object_get(json_object_get(g, "reference"), metrics.v[j]);
				json_t *d = json_object_get(json_object_get(g, "delta"), metrics.v[j]);
				char num[WR_NUM] = "-", dn[WR_NUM] = "-";
				if (json_is_number(ref))
					wr_fixed(json_number_value(ref), 4, num);
				if (json_is_number(d)) {
					wr_fixed(json_number_value(d), 4, dn);
					if (json_number_value(d) > 0 && strcmp(dn, "0.0000"))
						memmove(dn + 1, dn, strlen(dn) + 1), dn[0] = '+';
				}
				strv_push(&t.cells, num);
				strv_push(&t.cells, dn);
			}
		}
	}
	table_print(&t, f, 1);
	table_release(&t);
	free(hasref);
	strv_release(&keys);
	strv_release(&metrics);
}

char *
project_yaml_str(const char *root, const char *project, const char *dotted)
{
	struct ydoc y = YDOC_INIT;
	char *path = xasprintf("%s/research/%s/project.yaml", root, project), *out = NULL;
	struct buf err = BUF_INIT;
	if (file_exists(path) && ydoc_load(&y, path, &err) == 0) {
		struct ynode *n = ypath(y.root, dotted);
		if (n && n->type == Y_SCALAR && !n->plain_null && n->value && *n->value &&
		    utf8_valid(n->value, strlen(n->value)))
			out = xstrdup(n->value);
	}
	ydoc_release(&y);
	buf_release(&err);
	free(path);
	return out;
}

/* ---- a project's results in brief (project-status) ---- */

/* The run queue's identity, for the brief's cache. */
static char *
queue_identity(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return xstrdup("missing");
	return xasprintf("%llu:%llu:%lld:%lld.%09ld:%lld.%09ld", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* Runs done and failed and the sum of their cost_usd, from the queue:
 * parses only the entries that hold a cost. */
static json_t *
count_runs(const char *path, const char *project, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	json_t *o = NULL;
	long long done = 0, failed = 0, priced = 0;
	double spend = 0;
	if (queue_load(&q, path, err) < 0)
		goto out;
	for (size_t i = 0; i < q.n; i++) {
		if (!queue_key_is(&q, i, JK_PROJECT, project))
			continue;
		int d = queue_key_is(&q, i, JK_STATUS, "done"), f = !d && queue_key_is(&q, i, JK_STATUS, "failed");
		done += d;
		failed += f;
		if (!d && !f)
			continue;
		if (queue_need_data(&q, err) < 0)
			goto out;
		if (!memmem(q.data + q.e[i].off, q.e[i].len, "\"cost_usd\"", 10))
			continue;
		json_t *r = queue_obj(&q, i, err);
		double c;
		if (!r)
			goto out;
		if (jnum(r, "cost_usd", &c) == 0) {
			spend += c;
			priced++;
		}
	}
	o = json_object();
	json_object_set_new(o, "done", json_integer(done));
	json_object_set_new(o, "failed", json_integer(failed));
	if (priced)
		json_object_set_new(o, "spend_usd", json_real(round(spend * 1e6) / 1e6));
out:
	queue_release(&q);
	return o;
}

json_t *
results_brief(const char *root, const char *project, struct buf *err)
{
	char *path = path_join(root, Q_RUNS);
	char *cache = xasprintf("%s/.ros/cache/brief-%s.json", root, project);
	char *id = queue_identity(path);
	/* a cache keyed by the queue file's identity: reading 10,000 entries
	 * for their costs once per version of the queue, not on every call */
	int safe = safe_name(project);
	json_t *c = safe ? json_load_file(cache, 0, NULL) : NULL, *o = NULL;
	if (json_is_object(c) && !strcmp(jstr0(c, "queue"), id)) {
		o = json_incref(json_object_get(c, "runs"));
	} else if ((o = count_runs(path, project, err))) {
		char *id2 = queue_identity(path);
		if (safe && !strcmp(id, id2)) {
			json_t *nc = json_object();
			jset_str(nc, "queue", id);
			json_object_set(nc, "runs", o);
			char *text = json_compact(nc);
			char *dir = xasprintf("%s/.ros/cache", root);
			struct buf e = BUF_INIT;
			mkdir_p(dir, 0755);
			atomic_write_nosync(cache, text, strlen(text), &e);
			buf_release(&e);
			free(dir);
			free(text);
			json_decref(nc);
		}
		free(id2);
	}
	json_decref(c);
	free(id);
	free(cache);
	free(path);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	json_t *out = json_deep_copy(o);
	json_decref(o);
	/* the best result and the target, as the last `ros results` found them */
	char *sp = xasprintf("%s/research/%s/evidence/summary.json", root, project);
	json_t *s = safe && file_exists(sp) ? json_load_file(sp, 0, NULL) : NULL;
	free(sp);
	if (json_is_object(s)) {
		if (json_is_object(json_object_get(s, "best")))
			json_object_set(out, "best", json_object_get(s, "best"));
		if (json_is_object(json_object_get(s, "target")))
			json_object_set(out, "target", json_object_get(s, "target"));
		json_object_set(out, "results_at", json_object_get(s, "generated_at"));
	}
	json_decref(s);
	return out;
}

void
results_brief_line(FILE *f, const json_t *b)
{
	long long done = 0, failed = 0;
	jint(b, "done", &done);
	jint(b, "failed", &failed);
	fprintf(f, "%lld done, %lld failed", done, failed);
	if (json_is_number(json_object_get(b, "spend_usd")))
		fprintf(f, ", spend $%.2f", json_number_value(json_object_get(b, "spend_usd")));
	const json_t *best = json_object_get(b, "best"), *t = json_object_get(b, "target");
	if (json_is_object(best) && json_is_number(json_object_get(best, "mean"))) {
		fprintf(f, "; best %s %.4f", jstr0(best, "metric"), json_number_value(json_object_get(best, "mean")));
		if (json_is_number(json_object_get(best, "std")))
			fprintf(f, " \xC2\xB1 %.4f", json_number_value(json_object_get(best, "std")));
		fprintf(f, " (%s)", jstr0(best, "label"));
		if (json_is_number(json_object_get(t, "value")) && json_is_boolean(json_object_get(t, "met")))
			fprintf(f, " vs target %s %.4f: %s", !strcmp(jstr0(t, "direction"), "lower") ? "<=" : ">=",
				json_number_value(json_object_get(t, "value")),
				json_is_true(json_object_get(t, "met")) ? "met" : "not met");
	}
	fputc('\n', f);
}
