/*
 * print.c - a project's results as text and as JSON (see print.h).
 */
#include "results/print.h"
#include "results/aggregate.h"
#include "results/write_priv.h"
#include "util/jx.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>


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
				if (json_is_number(d))
					wr_signed(json_number_value(d), 4, dn);
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

/* ---- what `results` prints ---- */

/* "  best mse (lower is better): lam=0.01  0.3883 ± 0.0012 (n=3)" */
static void
print_best(FILE *f, const json_t *best)
{
	struct buf b = BUF_INIT;
	wr_best_mean(&b, best);
	fprintf(f, "  best %s (%s is better): %s  %s\n", jstr0(best, "metric"), jstr0(best, "direction"),
		jstr0(best, "label"), b.s);
	buf_release(&b);
}

/* "  target mse <= 0.4000: met (best -0.0117 from it)" */
static void
print_target(FILE *f, const json_t *t)
{
	char v[WR_NUM], gap[WR_NUM];
	wr_fixed(json_number_value(json_object_get(t, "value")), 4, v);
	fprintf(f, "  target %s %s %s: ", jstr0(t, "metric"), !strcmp(jstr0(t, "direction"), "lower") ? "<=" : ">=", v);
	if (json_is_boolean(json_object_get(t, "met"))) {
		wr_signed(json_number_value(json_object_get(t, "gap")), 4, gap);
		fprintf(f, "%s (best %s from it)\n", json_is_true(json_object_get(t, "met")) ? "met" : "not met", gap);
	} else {
		fprintf(f, "no mean to compare\n");
	}
}

static void
print_scope(FILE *f, const json_t *sc, int heading)
{
	const json_t *s = json_object_get(sc, "summary");
	const char *phase = jstr(sc, "phase");
	if (heading)
		fprintf(f, "%s\n", phase ? phase : "all phases");
	if (!json_is_object(s)) {
		fprintf(f, "  %s\n", jstr0(sc, "why"));
		return;
	}
	long long nr = 0, ng = 0, nf = 0;
	jint(s, "n_runs", &nr);
	jint(s, "n_groups", &ng);
	jint(s, "n_failed", &nf);
	fprintf(f, "  %lld run%s, %lld configuration%s, mean \xC2\xB1 std over %s", nr, nr == 1 ? "" : "s", ng,
		ng == 1 ? "" : "s", jstr0(s, "over"));
	if (nf)
		fprintf(f, "; %lld failed", nf);
	if (json_is_number(json_object_get(s, "cost_usd"))) {
		char c[WR_NUM];
		wr_fixed(json_number_value(json_object_get(s, "cost_usd")), 2, c);
		fprintf(f, "; spend $%s", c);
	}
	fprintf(f, "\n");
	/* runs without params: where their configurations come from */
	size_t k;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(s, "params_from_commands"), "notes"), k, x)
		fprintf(f, "  %s\n", json_string_value(x));
	json_array_foreach(json_object_get(s, "grouping_warnings"), k, x)
		fprintf(f, "  warning: %s\n", json_string_value(x));
	summary_print(f, s, 2);
	if (json_is_object(json_object_get(s, "best")))
		print_best(f, json_object_get(s, "best"));
	if (json_is_number(json_object_get(json_object_get(s, "target"), "value")))
		print_target(f, json_object_get(s, "target"));
}

void
results_print(FILE *f, const char *project, const struct results *res, int multi)
{
	if (multi)
		fprintf(f, "== %s ==\n", project);
	results_counts_line(f, res->counts, 2);
	size_t n = json_array_size(res->scopes);
	/* one phase holding every run: its table is the same as all phases' */
	long long nall = -1, nph = -1;
	if (n == 2 && !strcmp(jstr0(json_array_get(res->scopes, 0), "scope"), "all")) {
		jint(json_array_get(res->scopes, 0), "n_runs", &nall);
		jint(json_array_get(res->scopes, 1), "n_runs", &nph);
	}
	int same = nall >= 0 && nall == nph;
	for (size_t i = 0; i < n; i++) {
		if (same && i > 0)
			continue;
		print_scope(f, json_array_get(res->scopes, i), n > 1 && !same);
	}
	if (res->written.n)
		fprintf(f, "  wrote %zu file%s under research/%s/evidence/ (%zu up to date)\n", res->written.n,
			res->written.n == 1 ? "" : "s", project, res->n_files - res->written.n);
	else
		fprintf(f, "  evidence up to date (%zu files)\n", res->n_files);
}

json_t *
results_json(const char *project, const struct results *res)
{
	json_t *o = json_object();
	jset_str(o, "project_id", project);
	json_object_set(o, "scopes", res->scopes);
	json_object_set_new(o, "written", agg_strv_json(&res->written));
	json_object_set_new(o, "notes", agg_strv_json(&res->notes));
	json_object_set_new(o, "collected", json_integer((json_int_t)res->n_collected));
	json_object_set(o, "counts", res->counts);
	return o;
}
