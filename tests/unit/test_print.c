/*
 * test_print.c - what `ros results` and `ros project-status` print of a
 * project's results: the text of print.h and brief.h, and the --json
 * object.
 */
#include <stdlib.h>
#include <string.h>

#include "results/aggregate.h"
#include "results/brief.h"
#include "results/print.h"
#include "util/jx.h"
#include "unit.h"
#include "util/util.h"

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		printf("# bad test JSON: %s line %d\n", e.text, e.line);
	return j;
}

/* What f() printed, as a new string. */
static char *
printed(void (*f)(FILE *, const void *), const void *arg)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return xstrdup("");
	f(m, arg);
	fclose(m);
	return s;
}

/* Two runs of one configuration whose mean prints as zero from below, a
 * target just above it, one from below. */
static struct results
tiny_results(const char *runs_json, double target, double gap)
{
	struct results res = RESULTS_INIT;
	json_t *runs = load(runs_json);
	struct agg_opts o = { 0 };
	struct buf err = BUF_INIT;
	o.direction = "higher";
	json_t *s = aggregate_runs(runs, &o, &err);
	CHECK(s != NULL, "a summary (%s)", buf_cstr(&err));
	json_t *t = json_object();
	jset_str(t, "metric", "delta");
	jset_str(t, "direction", "higher");
	json_object_set_new(t, "value", json_real(target));
	json_object_set_new(t, "met", json_false());
	json_object_set_new(t, "gap", json_real(gap));
	json_object_set_new(s, "target", t);
	json_t *sc = json_object();
	jset_str(sc, "scope", "all");
	jset_str(sc, "dir", "research/p/evidence");
	json_object_set_new(sc, "n_runs", json_integer(2));
	json_object_set_new(sc, "summary", s);
	res.scopes = json_array();
	json_array_append_new(res.scopes, sc);
	res.runs = runs;
	res.counts = load("{\"runs\": 2, \"done_with_metrics\": 2, \"failed\": 0, \"without_metrics\": 0}");
	strv_push(&res.written, "research/p/evidence/summary.json");
	res.n_files = 3;
	buf_release(&err);
	return res;
}

static void
print_one(FILE *f, const void *res)
{
	results_print(f, "p", res, 0);
}

static void
brief_line(FILE *f, const void *b)
{
	results_brief_line(f, b);
}

static void
test_numbers(void)
{
	struct results res = tiny_results("[{\"id\":\"r1\",\"status\":\"done\",\"params\":{\"seed\":\"1\"},"
					  "\"metrics\":{\"delta\":-0.00001}},"
					  "{\"id\":\"r2\",\"status\":\"done\",\"params\":{\"seed\":\"2\"},"
					  "\"metrics\":{\"delta\":-0.00002}}]",
					  -0.00001, -0.000005);
	char *out = printed(print_one, &res);
	CHECK(strstr(out, "2 runs: 2 done with metrics, 0 failed, 0 without metrics\n") != NULL,
	      "results: the counts line first");
	CHECK(strstr(out, "best delta (higher is better): all  0.0000 \xC2\xB1 0.0000 (n=2)\n") != NULL,
	      "results: the best mean, 4 decimals, prints as 0.0000");
	CHECK(strstr(out, "target delta >= 0.0000: not met (best 0.0000 from it)\n") != NULL,
	      "results: the target and the gap print as 0.0000");
	CHECK(!strstr(out, "-0.0000"), "results: never -0.0000");
	CHECK(strstr(out, "  wrote 1 file under research/p/evidence/ (2 up to date)\n") != NULL,
	      "results: what was written last");
	if (strstr(out, "-0.0000"))
		printf("# %s", out);
	free(out);

	/* a gap that is not zero keeps its sign */
	results_release(&res);
	res = tiny_results("[{\"id\":\"r1\",\"status\":\"done\",\"params\":{\"seed\":\"1\"},\"metrics\":{\"delta\":0.25}}]",
			   0.5, -0.25);
	out = printed(print_one, &res);
	CHECK(strstr(out, "target delta >= 0.5000: not met (best -0.2500 from it)\n") != NULL,
	      "results: a negative gap is signed");
	free(out);
	json_object_set_new(json_object_get(json_object_get(json_array_get(res.scopes, 0), "summary"), "target"),
			    "gap", json_real(0.125));
	out = printed(print_one, &res);
	CHECK(strstr(out, "(best +0.1250 from it)") != NULL, "results: a positive gap is signed");
	free(out);

	json_t *j = results_json("p", &res);
	CHECK_STR(jstr(j, "project_id"), "p", "results --json: the project");
	CHECK(json_array_size(json_object_get(j, "scopes")) == 1 && json_is_array(json_object_get(j, "notes")) &&
	      json_array_size(json_object_get(j, "written")) == 1 && json_is_object(json_object_get(j, "counts")),
	      "results --json: scopes, notes, written and counts");
	json_decref(j);
	results_release(&res);

	json_t *b = load("{\"done\": 2, \"failed\": 1, \"spend_usd\": 0.125,"
			 " \"best\": {\"metric\": \"delta\", \"mean\": -0.00001, \"std\": 0.000004, \"label\": \"lam=0\"},"
			 " \"target\": {\"value\": -0.00002, \"met\": true, \"direction\": \"higher\"}}");
	out = printed(brief_line, b);
	CHECK_STR(out, "2 done, 1 failed, spend $0.12; best delta 0.0000 \xC2\xB1 0.0000 (lam=0) vs target >= 0.0000: met\n",
		  "project-status: the brief line, never -0.0000");
	free(out);
	json_decref(b);
}

int
main(void)
{
	test_numbers();
	return UNIT_DONE();
}
