/*
 * pipeline.c - a project's results end to end (see pipeline.h).
 */
#include "results/pipeline.h"
#include "results/aggregate.h"
#include "results/collect.h"
#include "results/project_yaml.h"
#include "results/summary.h"
#include "results/write.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- files ---- */

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

/* What became of the runs (of phase, when given): see pipeline.h. */
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

/* ---- scopes ---- */

/* What every scope shares. */
struct scopes {
	const char *root;
	const struct results_opts *o;
	struct summary_opts so;
	struct scope s;
	struct results *res;
};

/* Summarise one scope (ss->s, its runs in runs) and write its files in dir. */
static int
add_scope(struct scopes *ss, const json_t *runs, const char *dir, struct buf *err)
{
	char *why = NULL;
	ss->s.runs = runs;
	json_t *summary = summary_build(&ss->so, &ss->s, &why);
	json_t *sc = json_object();
	jset_str(sc, "scope", ss->s.phase ? "phase" : "all");
	if (ss->s.phase)
		jset_str(sc, "phase", ss->s.phase);
	jset_str(sc, "dir", dir);
	json_object_set_new(sc, "n_runs", json_integer((json_int_t)json_array_size(runs)));
	int rc = 0;
	if (summary) {
		if (!ss->o->no_write)
			rc = write_scope(ss->root, dir, summary, ss->res, err);
		json_object_set_new(sc, "summary", summary);
	} else {
		json_object_set_new(sc, "summary", json_null());
		jset_str(sc, "why", why);
	}
	free(why);
	json_array_append_new(ss->res->scopes, sc);
	return rc;
}

/* The phases of runs, in order of first appearance (a new array). */
static json_t *
phases_of(const json_t *runs)
{
	json_t *phases = json_array(), *r;
	size_t i;
	json_array_foreach(runs, i, r) {
		const char *p = jstr(r, "phase");
		if (!p || !*p)
			continue;
		int dup = 0;
		for (size_t k = 0; k < json_array_size(phases) && !dup; k++)
			dup = !strcmp(json_string_value(json_array_get(phases, k)), p);
		if (!dup)
			json_array_append_new(phases, json_string(p));
	}
	return phases;
}

/* All the runs together (unless o->phase), then each phase (or o->phase). */
static int
add_scopes(struct scopes *ss, struct buf *err)
{
	const struct results_opts *o = ss->o;
	const json_t *all = ss->res->runs;
	char *evdir = xasprintf("research/%s/evidence", o->project);
	json_t *phases = phases_of(all);
	int rc = 0;
	if (!o->phase)
		rc = add_scope(ss, all, evdir, err);
	for (size_t k = 0; rc == 0 && (k < json_array_size(phases) || (o->phase && k == 0)); k++) {
		const char *p = o->phase ? o->phase : json_string_value(json_array_get(phases, k));
		json_t *runs = json_array(), *r;
		size_t i;
		json_array_foreach(all, i, r)
			if (!strcmp(jstr0(r, "phase"), p))
				json_array_append(runs, r);
		char *pd = phase_dirname(p);
		char *dir = xasprintf("%s/phases/%s", evdir, pd);
		ss->s.phase = p;
		rc = add_scope(ss, runs, dir, err);
		free(dir);
		free(pd);
		json_decref(runs);
		if (o->phase)
			break;
	}
	json_decref(phases);
	free(evdir);
	return rc;
}

/* ---- the whole thing ---- */

/* Write the evidence file of each collected run; count those not collected. */
static int
evidence(const char *root, const struct results_opts *o, struct results *res, struct buf *err)
{
	size_t i;
	json_t *r;
	json_array_foreach(res->runs, i, r) {
		if (!run_exited(r))
			continue;
		if (!run_collected(r)) {
			res->n_not_collected++;
			continue;
		}
		if (o->no_write)
			continue;
		int w = evidence_write_run(root, r, err);
		if (w < 0)
			return -1;
		res->n_files++;
		if (w > 0)
			strv_pushf(&res->written, "research/%s/evidence/runs/%s.json", o->project, jstr0(r, "id"));
	}
	return 0;
}

int
results_build(const char *root, const struct results_opts *o, struct results *res, struct buf *err)
{
	struct collect_stats cs = { 0 };
	res->scopes = json_array();
	if (!(res->runs = load_runs(root, o->project, err)))
		return -1;
	int g = collect_missing(root, o->project, res->runs, o->no_collect, o->recollect, &cs, &res->notes, err);
	if (g < 0)
		return -1;
	res->n_collected += cs.applied;
	res->n_parse_failed += cs.parse_failed;
	if (g > 0) {
		json_decref(res->runs);
		if (!(res->runs = load_runs(root, o->project, err)))
			return -1;
	}
	if (evidence(root, o, res, err) < 0)
		return -1;
	res->counts = run_counts(res->runs, o->phase);

	struct buf yerr = BUF_INIT;
	char now[32];
	iso_now(now);
	struct scopes ss = { root, o, { o->project, o->metrics, o->direction, o->over, o->group_by },
			     { NULL, NULL, res->runs, NULL, NULL, now }, res };
	ss.s.target = project_yaml_target(root, o->project, &yerr);
	if (yerr.len)
		strv_pushf(&res->notes, "%s (target not compared)", yerr.s);
	buf_release(&yerr);
	ss.s.reference = load_reference(root, o->project, res);
	int rc = add_scopes(&ss, err);
	json_decref((json_t *)ss.s.target);
	json_decref((json_t *)ss.s.reference);
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

const json_t *
results_scope(const struct results *res, const char *phase)
{
	for (size_t i = 0; i < json_array_size(res->scopes); i++) {
		const json_t *x = json_array_get(res->scopes, i);
		if (phase ? !strcmp(jstr0(x, "phase"), phase) : !strcmp(jstr0(x, "scope"), "all"))
			return x;
	}
	return NULL;
}
