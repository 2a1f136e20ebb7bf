/*
 * aggregate.c - runs -> per-configuration summaries over seeds.  See
 * aggregate.h for the rules and the output format; the values and the
 * statistics are values.c's.
 */
#include "results/aggregate.h"
#include "results/aggregate_priv.h"
#include "results/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WARNINGS 100

/* ---- aggregation ---- */

struct item {
	const json_t *params, *metrics, *seed, *text;
	const char *id;
	size_t order;
	const json_t **key;	/* one per group key, NULL when missing */
};

struct agg {
	const struct agg_opts *o;
	const char *over;
	struct strv metrics, keys, allparams;
	json_t *warnings;
	size_t dropped_warnings;
	size_t not_done, skipped;	/* runs left out, by reason */
};

static void PRINTF(2, 3)
warn(struct agg *a, const char *fmt, ...)
{
	if (json_array_size(a->warnings) >= MAX_WARNINGS) {
		a->dropped_warnings++;
		return;
	}
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_t *s = json_stringn(b.s, b.len);
	if (s)
		json_array_append_new(a->warnings, s);
	buf_release(&b);
}

static int
item_cmp_keys(const struct item *x, const struct item *y, size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		int r = agg_value_cmp(x->key[k], y->key[k]);
		if (r)
			return r;
	}
	return 0;
}

static int
item_cmp(const void *pa, const void *pb, void *arg)
{
	const struct item *x = pa, *y = pb;
	int r = item_cmp_keys(x, y, *(const size_t *)arg);
	if (!r)
		r = agg_value_cmp(x->seed, y->seed);
	return r ? r : (x->order > y->order) - (x->order < y->order);
}

/* "k1=v1, k2=v2" over the keys the group has ("without k1, k2" when it has
 * none of them; "all" when there are no keys). */
static char *
group_label(struct agg *a, const struct item *it)
{
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < a->keys.n; k++) {
		if (!it->key[k])
			continue;
		char *v = agg_value_str(it->key[k]);
		buf_addf(&b, "%s%s=%s", b.len ? ", " : "", a->keys.v[k], v);
		free(v);
	}
	if (!a->keys.n)
		buf_adds(&b, "all");
	else if (!b.len)
		for (size_t k = 0; k < a->keys.n; k++)
			buf_addf(&b, "%s%s", k ? ", " : "without ", a->keys.v[k]);
	return buf_detach(&b);
}

/*
 * How well reference row matches the group of runs kept[0..n): the number
 * of key cells compared, or -1 when some key cell disagrees.
 */
static int
ref_row_match(struct agg *a, const json_t *row, const struct item *const *kept, size_t n)
{
	const char *col;
	const json_t *cell;
	int compared = 0;
	json_object_foreach((json_t *)row, col, cell) {
		if (strv_has(&a->metrics, col) || json_is_null(cell) || !strv_has(&a->allparams, col))
			continue;
		for (size_t i = 0; i < n; i++) {
			const json_t *p = json_object_get(kept[i]->params, col);
			if (!p || !agg_value_match(p, cell))
				return -1;
		}
		compared++;
	}
	return compared;
}

static void
add_reference(struct agg *a, json_t *g, const char *label, const struct item *const *kept,
	      size_t n, json_t *dirs)
{
	json_t *ref = json_object(), *delta = json_object(), *beats = json_object();
	size_t nrows = json_array_size(a->o->reference);
	int *score = xcalloc(nrows ? nrows : 1, sizeof(*score));
	for (size_t r = 0; r < nrows; r++)
		score[r] = ref_row_match(a, json_array_get(a->o->reference, r), kept, n);
	for (size_t m = 0; m < a->metrics.n; m++) {
		const char *name = a->metrics.v[m];
		int best = -1, ambiguous = 0;
		double bv = 0, v;
		for (size_t r = 0; r < nrows; r++) {
			const json_t *cell = json_object_get(json_array_get(a->o->reference, r), name);
			if (score[r] < 0 || !agg_value_number(cell, &v) || !isfinite(v))
				continue;
			if (score[r] > best) {
				best = score[r];
				bv = v;
				ambiguous = 0;
			} else if (score[r] == best && v != bv) {
				ambiguous = 1;
			}
		}
		if (best < 0)
			continue;
		if (ambiguous)
			warn(a, "%s: several reference rows give %s; took the first", label, name);
		json_object_set_new(ref, name, json_real(bv));
		double mean;
		if (agg_stat(g, name, "mean", &mean)) {
			int lower = !strcmp(json_string_value(json_object_get(dirs, name)), "lower");
			json_object_set_new(delta, name, agg_real(mean - bv));
			json_object_set_new(beats, name, json_boolean(lower ? mean < bv : mean > bv));
		}
	}
	free(score);
	if (json_object_size(ref)) {
		json_object_set_new(g, "reference", ref);
		json_object_set_new(g, "delta", delta);
		json_object_set_new(g, "beats", beats);
	} else {
		json_decref(ref);
		json_decref(delta);
		json_decref(beats);
	}
}

/* Build the group of items[0..n) (equal keys, sorted by seed). */
static json_t *
make_group(struct agg *a, struct item *items, size_t n, json_t *dirs)
{
	json_t *g = json_object(), *config = json_object(), *seeds = json_array(),
	       *ids = json_array(), *per_seed = json_object(), *stats = json_object(),
	       *per_text = json_object();
	const struct item **kept = xcalloc(n, sizeof(*kept));
	double *vals = xcalloc(n, sizeof(*vals));
	size_t nk = 0;
	char *label = group_label(a, &items[0]);

	/* one run per seed: the last in the input (sorted last among equals) */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (items[i].seed && j + 1 < n && !agg_value_cmp(items[i].seed, items[j + 1].seed))
			j++;
		if (j > i) {
			struct buf ids_b = BUF_INIT;
			char *s = agg_value_str(items[i].seed);
			for (size_t k = i; k <= j; k++)
				buf_addf(&ids_b, "%s%s", k > i ? ", " : "", items[k].id);
			warn(a, "%s: %s %s is in %zu runs (%s); kept %s", label, a->over, s, j - i + 1,
			     ids_b.s, items[j].id);
			free(s);
			buf_release(&ids_b);
		}
		kept[nk++] = &items[j];
		i = j;
	}
	for (size_t k = 0; k < a->keys.n; k++)
		json_object_set_new(config, a->keys.v[k],
				    items[0].key[k] ? json_deep_copy(items[0].key[k]) : json_null());
	for (size_t i = 0; i < nk; i++) {
		const struct item *it = kept[i];
		json_t *row = json_object(), *trow = json_object();
		json_array_append_new(seeds, it->seed ? json_deep_copy(it->seed) : json_null());
		json_array_append_new(ids, json_string(it->id));
		for (size_t m = 0; m < a->metrics.n; m++) {
			double d;
			int st = agg_metric_value(json_object_get(it->metrics, a->metrics.v[m]), &d);
			if (!st)
				continue;
			json_t *v = st > 0 ? json_real(d) : json_null();
			json_object_set_new(row, a->metrics.v[m], v);
			/* the text as the log wrote it, when it still reads as the value */
			const json_t *t = json_object_get(it->text, a->metrics.v[m]);
			char shown[METRIC_TEXT_MAX];
			metric_text(v, t, shown);
			if (json_is_string(t) && !strcmp(shown, json_string_value(t)))
				json_object_set(trow, a->metrics.v[m], (json_t *)t);
		}
		char *key = it->seed ? agg_value_str(it->seed) : xstrdup(it->id);
		json_object_set_new(per_seed, key, row);
		if (json_object_size(trow))
			json_object_set(per_text, key, trow);
		json_decref(trow);
		free(key);
	}
	for (size_t m = 0; m < a->metrics.n; m++) {
		size_t nv = 0, nonfinite = 0;
		for (size_t i = 0; i < nk; i++) {
			double d;
			int st = agg_metric_value(json_object_get(kept[i]->metrics, a->metrics.v[m]), &d);
			if (st > 0)
				vals[nv++] = d;
			else if (st < 0)
				nonfinite++;
		}
		json_object_set_new(stats, a->metrics.v[m], agg_stats(vals, nv, nonfinite));
		if (nonfinite)
			warn(a, "%s: %zu non-finite %s value%s left out of the mean", label, nonfinite,
			     a->metrics.v[m], nonfinite > 1 ? "s" : "");
	}
	json_object_set_new(g, "config", config);
	json_object_set_new(g, "label", json_string(label));
	json_object_set_new(g, "n", json_integer((json_int_t)nk));
	json_object_set_new(g, "seeds", seeds);
	json_object_set_new(g, "run_ids", ids);
	json_object_set_new(g, "per_seed", per_seed);
	if (json_object_size(per_text))
		json_object_set(g, "per_seed_text", per_text);
	json_decref(per_text);
	json_object_set_new(g, "stats", stats);
	if (a->o->reference)
		add_reference(a, g, label, kept, nk, dirs);
	free(label);
	free(vals);
	free(kept);
	return g;
}

/* Has the run any of the selected metrics? */
static int
has_metric(struct agg *a, const json_t *metrics)
{
	double d;
	for (size_t m = 0; m < a->metrics.n; m++)
		if (agg_metric_value(json_object_get(metrics, a->metrics.v[m]), &d))
			return 1;
	return 0;
}

/*
 * First pass: keep the runs of the phase that are done and have some metric
 * (in cand, *ncand of them); learn the metric names unless they were given.
 */
static void
select_runs(struct agg *a, const json_t *runs, const json_t **cand, size_t *ncand)
{
	const struct agg_opts *o = a->o;
	const char *key;
	json_t *v;
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *run = json_array_get(runs, i), *status = json_object_get(run, "status");
		const char *id = json_string_value(json_object_get(run, "id"));
		if (!json_is_object(run))
			continue;
		if (o->phase) {
			const json_t *ph = json_object_get(run, "phase");
			char *s = ph ? agg_value_str(ph) : NULL;
			int keep = s && !strcmp(s, o->phase);
			free(s);
			if (!keep)
				continue;
		}
		if (!o->any_status && json_is_string(status) && strcmp(json_string_value(status), "done")) {
			a->not_done++;
			continue;
		}
		int any = 0;
		double d;
		json_object_foreach(json_object_get(run, "metrics"), key, v) {
			if (!agg_metric_value(v, &d))
				continue;
			any = 1;
			if ((!o->metrics || !o->metrics->n) && !strv_has(&a->metrics, key))
				strv_push(&a->metrics, key);
		}
		if (!any) {
			a->skipped++;
			warn(a, "run %s: no metrics", id ? id : "(no id)");
			continue;
		}
		cand[(*ncand)++] = run;
	}
}

/*
 * Settle the metric list, the primary metric (*metric) and each metric's
 * direction (into dirs).  -1 with *err set on a bad option.
 */
static int
choose_metrics(struct agg *a, const char **metric, json_t *dirs, struct buf *err)
{
	const struct agg_opts *o = a->o;
	const char *dir = o->direction ? agg_direction_norm(o->direction) : "lower";
	size_t i;

	if (!dir) {
		buf_addf(err, "direction '%s' is neither lower nor higher", o->direction);
		return -1;
	}
	if (o->metrics && o->metrics->n)
		for (i = 0; i < o->metrics->n; i++)
			if (!strv_has(&a->metrics, o->metrics->v[i]))
				strv_push(&a->metrics, o->metrics->v[i]);
	*metric = o->metric && *o->metric ? o->metric : a->metrics.n ? a->metrics.v[0] : NULL;
	if (*metric && !strv_has(&a->metrics, *metric)) {
		if (!o->metrics || !o->metrics->n) {
			buf_addf(err, "metric '%s' is in no run (metrics seen: ", *metric);
			for (i = 0; i < a->metrics.n; i++)
				buf_addf(err, "%s%s", i ? ", " : "", a->metrics.v[i]);
			buf_adds(err, a->metrics.n ? ")" : "none)");
			return -1;
		}
		strv_push(&a->metrics, *metric);
	}
	for (i = 0; i < a->metrics.n; i++) {
		const char *d = json_string_value(json_object_get(o->directions, a->metrics.v[i]));
		const char *nd = d ? agg_direction_norm(d) : dir;
		if (!nd) {
			buf_addf(err, "direction '%s' of metric '%s' is neither lower nor higher", d,
				 a->metrics.v[i]);
			return -1;
		}
		json_object_set_new(dirs, a->metrics.v[i], json_string(nd));
	}
	return 0;
}

/*
 * Second pass: the candidates having a selected metric become items (returns
 * how many); learn the group keys unless they were given, and every param.
 */
static size_t
make_items(struct agg *a, const json_t **cand, size_t ncand, struct item *items)
{
	const char *key;
	json_t *v;
	size_t n = 0, i;
	for (i = 0; i < ncand; i++) {
		const json_t *run = cand[i], *params = json_object_get(run, "params");
		const char *id = json_string_value(json_object_get(run, "id"));
		if (!has_metric(a, json_object_get(run, "metrics"))) {
			a->skipped++;
			warn(a, "run %s: none of the selected metrics", id ? id : "(no id)");
			continue;
		}
		struct item *it = &items[n++];
		it->params = json_is_object(params) ? params : NULL;
		it->metrics = json_object_get(run, "metrics");
		it->text = json_object_get(run, "metrics_text");
		it->seed = json_object_get(it->params, a->over);
		it->id = id ? id : "";
		it->order = i;
		json_object_foreach((json_t *)it->params, key, v) {
			if (!strv_has(&a->allparams, key))
				strv_push(&a->allparams, key);
			if (!a->o->group_by && strcmp(key, a->over) && !strv_has(&a->keys, key))
				strv_push(&a->keys, key);
		}
	}
	if (a->o->group_by)
		for (i = 0; i < a->o->group_by->n; i++)
			if (!strv_has(&a->keys, a->o->group_by->v[i]))
				strv_push(&a->keys, a->o->group_by->v[i]);
	for (i = 0; i < n; i++) {
		items[i].key = xcalloc(a->keys.n + 1, sizeof(*items[i].key));
		for (size_t k = 0; k < a->keys.n; k++)
			items[i].key[k] = json_object_get(items[i].params, a->keys.v[k]);
	}
	return n;
}

/* Set "best" (the primary metric's) and "best_per_metric" in summary. */
static void
add_best(struct agg *a, json_t *summary, const json_t *groups, const json_t *dirs,
	 const char *metric)
{
	json_t *best_per = json_object(), *best = json_null();
	for (size_t m = 0; m < a->metrics.n; m++) {
		const char *name = a->metrics.v[m];
		int higher = !strcmp(json_string_value(json_object_get(dirs, name)), "higher");
		size_t bi = 0;
		double bv = 0, mean;
		int found = 0;
		for (size_t g = 0; g < json_array_size(groups); g++) {
			if (!agg_stat(json_array_get(groups, g), name, "mean", &mean))
				continue;
			if (!found || (higher ? mean > bv : mean < bv)) {
				bi = g;
				bv = mean;
				found = 1;
			}
		}
		if (!found) {
			warn(a, "metric '%s' has no finite value in any run", name);
			continue;
		}
		json_object_set_new(best_per, name, json_integer((json_int_t)bi));
		if (strcmp(name, metric))
			continue;
		const json_t *g = json_array_get(groups, bi);
		const json_t *st = json_object_get(json_object_get(g, "stats"), metric);
		json_decref(best);
		best = json_object();
		json_object_set_new(best, "metric", json_string(metric));
		json_object_set_new(best, "direction", json_string(higher ? "higher" : "lower"));
		json_object_set_new(best, "group", json_integer((json_int_t)bi));
		json_object_set(best, "label", json_object_get(g, "label"));
		json_object_set(best, "config", json_object_get(g, "config"));
		json_object_set(best, "mean", json_object_get(st, "mean"));
		json_object_set(best, "std", json_object_get(st, "std"));
		json_object_set(best, "n", json_object_get(st, "n"));
	}
	json_object_set_new(summary, "best", best);
	json_object_set_new(summary, "best_per_metric", best_per);
}

json_t *
agg_strv_json(const struct strv *sv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(arr, json_string(sv->v[i]));
	return arr;
}

json_t *
aggregate_runs(const json_t *runs, const struct agg_opts *opts, struct buf *err)
{
	static const struct agg_opts defaults;
	const struct agg_opts *o = opts ? opts : &defaults;
	struct agg a = { o, o->over && *o->over ? o->over : "seed", STRV_INIT, STRV_INIT,
			 STRV_INIT, json_array(), 0, 0, 0 };
	size_t nruns = json_array_size(runs), ncand = 0, nitems = 0, i;
	const json_t **cand = xcalloc(nruns + 1, sizeof(*cand));
	struct item *items = xcalloc(nruns + 1, sizeof(*items));
	json_t *summary = NULL, *dirs = json_object(), *groups = json_array();
	const char *metric = NULL;

	if (!json_is_array(runs)) {
		buf_adds(err, "runs must be a JSON array");
		goto out;
	}
	if (o->reference && !json_is_array(o->reference)) {
		buf_adds(err, "reference must be a JSON array of rows");
		goto out;
	}
	select_runs(&a, runs, cand, &ncand);
	if (choose_metrics(&a, &metric, dirs, err) < 0)
		goto out;
	nitems = make_items(&a, cand, ncand, items);
	if (!nitems) {
		buf_addf(err, "no runs to summarise: %zu in the input", nruns);
		if (a.not_done)
			buf_addf(err, ", %zu not done", a.not_done);
		if (a.skipped)
			buf_addf(err, ", %zu without metrics", a.skipped);
		goto out;
	}

	qsort_r(items, nitems, sizeof(*items), item_cmp, &a.keys.n);
	for (i = 0; i < nitems;) {
		size_t j = i + 1;
		while (j < nitems && !item_cmp_keys(&items[i], &items[j], a.keys.n))
			j++;
		json_array_append_new(groups, make_group(&a, items + i, j - i, dirs));
		i = j;
	}
	if (a.not_done)
		warn(&a, "%zu run%s not done left out", a.not_done, a.not_done > 1 ? "s" : "");

	summary = json_object();
	json_object_set_new(summary, "metric", json_string(metric));
	json_object_set(summary, "direction", json_object_get(dirs, metric));
	json_object_set(summary, "directions", dirs);
	json_object_set_new(summary, "metrics", agg_strv_json(&a.metrics));
	json_object_set_new(summary, "over", json_string(a.over));
	json_object_set_new(summary, "group_by", agg_strv_json(&a.keys));
	if (o->phase)
		json_object_set_new(summary, "phase", json_string(o->phase));
	json_object_set_new(summary, "n_runs", json_integer((json_int_t)nitems));
	json_object_set_new(summary, "n_skipped", json_integer((json_int_t)a.skipped));
	json_object_set_new(summary, "n_groups", json_integer((json_int_t)json_array_size(groups)));
	json_object_set_new(summary, "generated_at",
			    o->generated_at ? json_string(o->generated_at) : json_null());
	json_object_set(summary, "groups", groups);
	add_best(&a, summary, groups, dirs, metric);
	if (a.dropped_warnings)
		json_array_append_new(a.warnings,
				      json_string("... and more warnings (list truncated)"));
	json_object_set(summary, "warnings", a.warnings);
out:
	for (i = 0; i < nitems; i++)
		free(items[i].key);
	free(items);
	free(cand);
	json_decref(groups);
	json_decref(dirs);
	json_decref(a.warnings);
	strv_release(&a.metrics);
	strv_release(&a.keys);
	strv_release(&a.allparams);
	return summary;
}
