/*
 * summary.c - the summary of one scope (see summary.h).
 */
#include "results/summary.h"
#include "results/aggregate.h"
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

/* Metrics to summarise and the primary one (first in out). */
static void
pick_metrics(const struct summary_opts *o, const json_t *runs, struct strv *out)
{
	if (o->metrics && o->metrics->n) {
		for (size_t i = 0; i < o->metrics->n; i++)
			strv_push(out, o->metrics->v[i]);
		return;
	}
	const char *over = o->over ? o->over : "seed";
	json_t *params = json_object(), *seen = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r) {
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
	const char *target = most_common(runs, "target_metric", NULL, NULL);
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
protocol(const struct summary_opts *o, const json_t *all, const json_t *runs, const json_t *summary)
{
	json_t *p = json_object();
	jset_str(p, "over", o->over ? o->over : "seed");
	const char *parser = most_common(runs, "metric_parser", NULL, NULL);
	jset_str(p, "metric_parser", parser ? parser : "");
	json_t *tpl = sweep_templates(all, runs);
	if (json_array_size(tpl))
		json_object_set(p, "sweeps", tpl);
	json_decref(tpl);
	/* params every aggregated run has with one same value */
	json_t *constant = NULL;
	size_t i, n = 0;
	json_t *r;
	json_array_foreach(runs, i, r) {
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

/* A configuration whose runs ran different code (code.snapshot of their
 * entries): its mean mixes versions of the code.  Say which. */
static void
warn_mixed_snapshots(json_t *summary, const json_t *runs)
{
	json_t *snap_of = json_object(), *g, *x;
	size_t i, j;
	json_array_foreach(runs, i, x) {
		const char *sn = jstr(json_object_get(x, "code"), "snapshot");
		if (sn && jstr(x, "id"))
			jset_str(snap_of, jstr(x, "id"), sn);
	}
	json_t *w = json_object_get(summary, "grouping_warnings");
	json_array_foreach(json_object_get(summary, "groups"), i, g) {
		struct strv seen = STRV_INIT;
		size_t without = 0;
		json_array_foreach(json_object_get(g, "run_ids"), j, x) {
			const char *sn = jstr(snap_of, json_string_value(x));
			if (!sn)
				without++;
			else if (!strv_has(&seen, sn))
				strv_push(&seen, sn);
		}
		if (seen.n + (without && seen.n) > 1 && json_is_array(w)) {
			struct buf m = BUF_INIT;
			buf_addf(&m, "%s: its runs ran different code (", jstr0(g, "label"));
			for (size_t k = 0; k < seen.n && k < 4; k++)
				buf_addf(&m, "%ssnapshot %.12s", k ? ", " : "", seen.v[k]);
			if (seen.n > 4)
				buf_addf(&m, " and %zu more", seen.n - 4);
			if (without)
				buf_addf(&m, ", %zu run%s without one", without, without == 1 ? "" : "s");
			buf_adds(&m, "): the mean mixes them (ros snapshot --export ID DIR gives each back)");
			json_array_append_new(w, json_string(m.s));
			buf_release(&m);
		}
		strv_release(&seen);
	}
	json_decref(snap_of);
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

/* The direction of the primary metric (see summary.h), and of the others
 * by their names, into dirs. */
static const char *
directions(const struct summary_opts *o, const struct scope *s, const json_t *runs, const struct strv *metrics,
	   json_t *dirs)
{
	const char *primary = metrics->v[0];
	const char *dir = agg_direction_norm(o->direction);
	if (!dir)
		dir = agg_direction_norm(most_common(runs, "target_direction", "target_metric", primary));
	if (!dir)
		dir = jstr(s->target, "direction");
	if (!dir)
		dir = higher_is_better(primary) ? "higher" : "lower";
	for (size_t i = 0; i < metrics->n; i++)
		jset_str(dirs, metrics->v[i], i == 0 ? dir : higher_is_better(metrics->v[i]) ? "higher" : "lower");
	return dir;
}

/* project.yaml's target, compared with the best mean when it is a number. */
static json_t *
target(const json_t *summary, const json_t *ytarget, const char *metric, const char *dir)
{
	json_t *t = json_object();
	jset_str(t, "metric", metric);
	jset_str(t, "direction", dir);
	json_t *v = json_object_get(ytarget, "value");
	json_t *bm = json_object_get(json_object_get(summary, "best"), "mean");
	if (v) {
		json_object_set(t, "value", v);
		if (json_is_number(bm)) {
			double b = json_number_value(bm), tv = json_number_value(v);
			json_object_set(t, "best", bm);
			json_object_set_new(t, "met", json_boolean(!strcmp(dir, "lower") ? b <= tv : b >= tv));
			json_object_set_new(t, "gap", json_real(b - tv));
		}
	} else if (jstr(ytarget, "text")) {
		jset_str(t, "text", jstr(ytarget, "text"));
	}
	return t;
}

/* How the runs were grouped, where it may not be what they ran: runs
 * without params (added one by one, or by the old tool) read from their
 * commands (pinfo), sweeps of different commands. */
static void
grouping_warnings(json_t *summary, json_t *pinfo, const json_t *all, const json_t *runs)
{
	json_t *gw = json_array();
	json_object_set_new(summary, "grouping_warnings", gw);
	if (strcmp(jstr0(pinfo, "mode"), "params")) {
		json_array_extend(gw, json_object_get(pinfo, "warnings"));
		json_object_set(summary, "params_from_commands", pinfo);
	}
	warn_mixed_sweeps(summary, all, runs);
	warn_mixed_snapshots(summary, runs);
	json_t *w = json_object_get(summary, "warnings");
	if (!json_is_array(w)) {
		w = json_array();
		json_object_set_new(summary, "warnings", w);
	}
	json_array_extend(w, gw);
	if (!json_array_size(gw))
		json_object_del(summary, "grouping_warnings");
}

/* n_failed and cost_usd of the runs. */
static void
failures_and_spend(json_t *summary, const json_t *runs)
{
	size_t nfailed = 0, ncost = 0, i;
	double cost = 0;
	json_t *r;
	json_array_foreach(runs, i, r) {
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
}

json_t *
summary_build(const struct summary_opts *o, const struct scope *s, char **why)
{
	struct strv metrics = STRV_INIT;
	struct buf err = BUF_INIT;
	json_t *summary = NULL, *agg, *pinfo = json_object(), *dirs = json_object();
	/* the runs as grouped: those without params get them from their commands */
	json_t *runs = params_resolve(s->runs, o->over, pinfo);

	pick_metrics(o, runs, &metrics);
	if (!metrics.n) {
		*why = xstrdup("no finished run has metrics yet");
		goto out;
	}
	const char *dir = directions(o, s, runs, &metrics, dirs);
	struct agg_opts ao = { 0 };
	ao.metrics = &metrics;
	ao.metric = metrics.v[0];
	ao.direction = dir;
	ao.directions = dirs;
	ao.over = o->over;
	ao.group_by = o->group_by && o->group_by->n ? o->group_by : NULL;
	ao.phase = s->phase;
	ao.reference = s->reference;
	ao.generated_at = s->now;
	if (!(agg = aggregate_runs(runs, &ao, &err))) {
		*why = xstrdup(err.len ? err.s : "nothing to summarise");
		goto out;
	}
	/* what the library does not know: the project, its target, the spend */
	summary = json_object();
	jset_str(summary, "project_id", o->project);
	jset_str(summary, "scope", s->phase ? "phase" : "all");
	if (s->phase)
		jset_str(summary, "phase", s->phase);
	json_object_update(summary, agg);
	json_decref(agg);
	if (s->target)
		json_object_set_new(summary, "target", target(summary, s->target, metrics.v[0], dir));
	grouping_warnings(summary, pinfo, s->all_runs, runs);
	json_object_set_new(summary, "protocol", protocol(o, s->all_runs, runs, summary));
	failures_and_spend(summary, runs);
	json_object_set_new(summary, "results", flat_rows(summary));
out:
	json_decref(runs);
	json_decref(pinfo);
	json_decref(dirs);
	strv_release(&metrics);
	buf_release(&err);
	return summary;
}

/* ---- summary.md ---- */

/* summary.md: a few lines about the scope, the table, the warnings. */
char *
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
		wr_best_mean(&b, best);
		buf_addc(&b, '.');
	}
	buf_adds(&b, "\n");
	const json_t *t = json_object_get(s, "target");
	if (json_object_get(t, "value")) {
		buf_adds(&b, "Target (project.yaml): ");
		wr_num(&b, json_object_get(t, "value"), 4);
		if (json_is_boolean(json_object_get(t, "met"))) {
			buf_adds(&b, json_is_true(json_object_get(t, "met")) ? ": **met**" : ": not met");
			buf_adds(&b, " (best minus target: ");
			wr_num(&b, json_object_get(t, "gap"), 4);
			buf_adds(&b, ")");
		}
		buf_adds(&b, ".\n");
	} else if (jstr(t, "text")) {
		buf_addf(&b, "Target (project.yaml): %s\n", jstr(t, "text"));
	}
	if (nf)
		buf_addf(&b, "Failed runs (not in the table): %lld.\n", nf);
	if (json_is_number(json_object_get(s, "cost_usd"))) {
		buf_adds(&b, "Spend: $");
		wr_num(&b, json_object_get(s, "cost_usd"), 2);
		buf_adds(&b, ".\n");
	}
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
