/*
 * test_collect.c - the local half of metric collection: the worker's
 * answers turned into run fields, costs, evidence, the worker call.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/remote.h"
#include "results/collect.h"
#include "results/pipeline.h"
#include "results/summary.h"
#include "util/jx.h"
#include "unit.h"
#include "util/jx.h"
#include "util/util.h"

static json_t *
run_with(const char *parser)
{
	json_t *r = json_object();
	jset_str(r, "id", "r1234567");
	jset_str(r, "project_id", "p");
	jset_str(r, "status", "done");
	jset_str(r, "metric_parser", parser);
	jset_int(r, "attempt", 0);
	return r;
}

/* A record as rec_next() gives it: op, run, fields, data. */
static json_t *
result(const json_t *run, const char *state, const char *rc, const char *data, size_t len)
{
	struct rec rec;
	memset(&rec, 0, sizeof rec);
	snprintf(rec.op, sizeof rec.op, "collect");
	snprintf(rec.run, sizeof rec.run, "%s", jstr0(run, "id"));
	rec.f[0] = (char *)state;
	rec.f[1] = (char *)rc;
	rec.nf = 2;
	rec.data = data;
	rec.len = len;
	return collect_result(run, &rec);
}

static double
num(const json_t *res, const char *k)
{
	json_t *v = json_object_get(json_object_get(res, "metrics"), k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
test_results(void)
{
	json_t *run = run_with(""), *res;
	res = result(run, "notexited", "0", NULL, 0);
	CHECK(!strcmp(jstr0(res, "state"), "notexited"), "notexited: nothing to store");
	CHECK(collect_apply(run, res) == 0 && !run_collected(run), "notexited: the run is not collected");
	json_decref(res);

	const char log[] = "Epoch 1 | mse=0.9\nEpoch 2 | mse=0.25 mae=nan\n";
	res = result(run, "log", "0", log, sizeof log - 1);
	CHECK(num(res, "mse") == 0.25, "log: the last line's pairs");
	CHECK(json_is_null(json_object_get(json_object_get(res, "metrics"), "mae")), "log: nan is null");
	CHECK(json_array_size(json_object_get(res, "warnings")) == 1, "log: one warning for the nan");
	CHECK(collect_apply(run, res) == 1 && run_collected(run), "log: stored");
	CHECK(json_array_size(json_object_get(run, "metrics_warnings")) == 1, "log: warnings stored");
	CHECK(collect_apply(run, res) == 0, "log: storing the same again changes nothing");
	json_decref(res);

	const char log2[] = "Epoch 10/10 | MSE=0.3990 MAE=0.4021\necho CUDA=0\n";
	res = result(run, "log", "0", log2, sizeof log2 - 1);
	CHECK(num(res, "MSE") == 0.399 && !json_object_get(json_object_get(res, "metrics"), "CUDA"),
	      "log: the metrics, not the CUDA=0 after them");
	CHECK(!strcmp(jstr0(json_object_get(res, "metrics_text"), "MSE"), "0.3990"), "log: the text as written");
	CHECK(collect_apply(run, res) == 1 && !strcmp(jstr0(json_object_get(run, "metrics_text"), "MSE"), "0.3990") &&
	      !json_object_get(run, "metrics_warnings"), "log: metrics_text stored beside metrics");
	json_t *ev = run_evidence(run);
	CHECK(!strcmp(jstr0(json_object_get(ev, "metrics_text"), "MSE"), "0.3990"), "evidence: carries metrics_text");
	json_decref(ev);
	json_decref(res);

	res = result(run, "log", "0", "nothing here\n", 13);
	CHECK(strstr(jstr0(res, "metrics_error"), "no key=value metrics"), "log without pairs: an error");
	CHECK(collect_apply(run, res) == 1 && !json_object_get(run, "metrics") && !json_object_get(run, "metrics_warnings") &&
	      !json_object_get(run, "metrics_text"), "an error replaces metrics, their text and warnings");
	CHECK(run_collected(run), "an error counts as collected");
	json_decref(res);
	json_decref(run);

	run = run_with("jsonl:out/m.jsonl");
	res = result(run, "missing", "0", NULL, 0);
	CHECK(strstr(jstr0(res, "metrics_error"), "metrics file 'out/m.jsonl' not found"), "jsonl missing: names the file");
	json_decref(res);
	const char rec[] = "{\"loss\": 2}\n{\"loss\": 0.5, \"val\": {\"acc\": 0.75}}\n";
	res = result(run, "record", "0", rec, sizeof rec - 1);
	CHECK(num(res, "loss") == 0.5 && num(res, "val.acc") == 0.75, "jsonl: the last record, flattened");
	json_decref(res);
	json_decref(run);

	run = run_with("tools/parse.sh --x");
	const char junk[] = "Traceback\n\xff\xfe\x01" "bad \x1b[31mthing\x1b[0m happened\n";
	res = result(run, "failed", "3", junk, sizeof junk - 1);
	const char *e = jstr0(res, "metrics_error");
	CHECK(strstr(e, "parser command exited with status 3: ") && strstr(e, "thing"), "failed: status and last stderr line");
	CHECK(utf8_valid(e, strlen(e)) && !strchr(e, '\n') && !strchr(e, '\x1b'), "failed: one clean line");
	json_decref(res);
	const char tail[] = "Traceback (most recent call last):\r\n  KeyError: 'mse'  \r\n\n \t\n";
	res = result(run, "failed", "1", tail, sizeof tail - 1);
	CHECK_STR(jstr0(res, "metrics_error"), "parser command exited with status 1:   KeyError: 'mse'",
		  "failed: the last line that is not blank, without its trailing blanks");
	json_decref(res);
	res = result(run, "failed", "1", " \n\r\n", 4);
	CHECK_STR(jstr0(res, "metrics_error"), "parser command exited with status 1", "failed: nothing but blanks: no detail");
	json_decref(res);
	res = result(run, "timeout", "0", "", 0);
	CHECK(strstr(jstr0(res, "metrics_error"), "killed after its deadline"), "timeout: says so");
	json_decref(res);
	res = result(run, "output", "0", "progress 10%\n{\"mse\": 0.125}\n", 29);
	CHECK(num(res, "mse") == 0.125, "output: the JSON line");
	json_decref(res);
	res = result(run, "weird", "0", "", 0);
	CHECK(strstr(jstr0(res, "metrics_error"), "unexpected answer"), "an unknown state is an error, not a crash");
	json_decref(res);
	json_decref(run);
}

/* util's text_last_line(), which collect's messages rest on */
static void
test_last_line(void)
{
	size_t n;
	const char *s = "one\ntwo  \n\n";
	const char *l;
	n = text_last_line(s, strlen(s), &l);
	CHECK(n == 3 && !strncmp(l, "two", 3), "last_line: the last line with text, without its blanks");
	s = "a\rb\r";
	n = text_last_line(s, strlen(s), &l);
	CHECK(n == 1 && *l == 'b', "last_line: CR ends a line");
	s = "only";
	n = text_last_line(s, strlen(s), &l);
	CHECK(n == 4 && l == s, "last_line: a text without a line end is its own last line");
	s = " \t\n\v\f\r\n";
	n = text_last_line(s, strlen(s), &l);
	CHECK(n == 0, "last_line: nothing but blanks: none");
	n = text_last_line("", 0, &l);
	CHECK(n == 0, "last_line: empty: none");
}

static void
test_cost(void)
{
	json_t *run = run_with("");
	CHECK(run_set_cost(run, 0.5) == 0, "cost: no times, no cost");
	jset_str(run, "started_at", "2026-05-26T14:00:00Z");
	jset_str(run, "ended_at", "2026-05-26T15:30:00Z");
	CHECK(run_runtime(run) == 5400, "runtime in seconds");
	CHECK(run_set_cost(run, 0.0) == 0 && !json_object_get(run, "cost_usd"), "cost: an unknown price sets nothing");
	CHECK(run_set_cost(run, 0.094) == 1, "cost: set");
	CHECK(fabs(json_number_value(json_object_get(run, "cost_usd")) - 0.141) < 1e-12, "cost: 1.5 h x $0.094");
	CHECK(run_set_cost(run, 0.094) == 0, "cost: the same again changes nothing");
	jset_str(run, "ended_at", "2026-05-26T13:00:00Z");
	CHECK(run_runtime(run) == -1, "runtime: ended before it started is unknown");
	json_decref(run);
}

static void
test_evidence(void)
{
	json_t *run = run_with("");
	jset_str(run, "exit_code", "0");
	jset_str(run, "worker_id", "w1");
	jset_str(run, "started_at", "2026-05-26T14:00:00Z");
	jset_str(run, "ended_at", "2026-05-26T14:00:10Z");
	jset_str(run, "pid", "4242");
	json_object_set_new(run, "params", json_pack("{s:f,s:i}", "lam", 0.1, "seed", 1));
	json_object_set_new(run, "metrics", json_pack("{s:f}", "mse", 0.3));
	json_t *e = run_evidence(run);
	CHECK(json_integer_value(json_object_get(e, "exit_code")) == 0, "evidence: exit code as a number");
	CHECK(json_integer_value(json_object_get(e, "runtime_s")) == 10, "evidence: runtime");
	CHECK(json_object_get(e, "params") && json_object_get(e, "metrics"), "evidence: params and metrics");
	CHECK(!json_object_get(e, "pid"), "evidence: no pid (not reproducibility data)");
	json_t *e2 = run_evidence(run);
	CHECK(json_equal(e, e2), "evidence: the same entry gives the same evidence");
	json_decref(e);
	json_decref(e2);
	json_decref(run);

	char *d = phase_dirname("B pilot/2");
	CHECK(!strcmp(d, "B_pilot_2"), "phase folder name: %s", d);
	free(d);
	d = phase_dirname("..");
	CHECK(!strcmp(d, "__") || !strcmp(d, "_"), "phase '..' is not a parent folder: %s", d);
	free(d);
}

static void
test_call(void)
{
	struct script s = SCRIPT_INIT;
	json_t *run = run_with("");
	CHECK(collect_call(&s, run) == 0, "log parser: no extra time");
	CHECK(strstr(s.b.s, "ros_collect p r1234567 0 log "), "log parser: the call");
	json_decref(run);
	run = run_with("command:sh parse.sh 'a b'");
	setenv("ROS_PARSER_TIMEOUT", "7", 1);
	CHECK(collect_call(&s, run) == 12000, "command parser: deadline + grace");
	CHECK(strstr(s.b.s, "ros_collect p r1234567 0 cmd 7 <<'") && strstr(s.b.s, "\nsh parse.sh 'a b'\n"),
	      "command parser: the command in a here-document, never a word");
	unsetenv("ROS_PARSER_TIMEOUT");
	CHECK(collect_deadline() == COLLECT_DEADLINE, "default deadline");
	json_decref(run);
	script_release(&s);
}

int
main(void)
{
	test_results();
	test_last_line();
	test_cost();
	test_evidence();
	test_call();
	return UNIT_DONE();
}
