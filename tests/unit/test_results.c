/*
 * test_results.c - metric parsers, aggregation, reference CSV and the table
 * and chart writers of src/results/.
 *
 * With RESULTS_RENDER_DIR set, the rendered tables and charts are also
 * written there (tests/unit/results-render-check runs pdflatex and xmllint
 * on them); the tests themselves need neither.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/aggregate.h"
#include "results/metrics.h"
#include "results/params.h"
#include "results/write.h"
#include "results/write_priv.h"
#include "util/jx.h"
#include "unit.h"
#include "util/jx.h"
#include "util/util.h"

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* obj[key] as a double, NAN when absent or not a number. */
static double
num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *
parse(const char *spec, const char *log, struct buf *err)
{
	buf_reset(err);
	return metrics_parse(spec, log, strlen(log), err);
}

static json_t *
parse_text(const char *spec, const char *log, json_t **text, struct buf *err)
{
	buf_reset(err);
	return metrics_parse_text(spec, log, strlen(log), text, err);
}

/* json_dumps must accept the object (keys valid UTF-8, values finite). */
static int
dumps_ok(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int ok = s != NULL;
	free(s);
	return ok;
}

static void
render(const char *name, const char *text)
{
	const char *dir = getenv("RESULTS_RENDER_DIR");
	if (!dir || !text)
		return;
	char *path = path_join(dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

/* ---- metric parsers ---- */

static void
test_kind(void)
{
	struct buf err = BUF_INIT;
	CHECK(metrics_kind(NULL) == METRIC_DEFAULT, "kind: NULL is default");
	CHECK(metrics_kind("") == METRIC_DEFAULT, "kind: empty is default");
	CHECK(metrics_kind("default") == METRIC_DEFAULT, "kind: default");
	CHECK(metrics_kind("json") == METRIC_JSON, "kind: json");
	CHECK(metrics_kind("jsonl") == METRIC_JSONL, "kind: jsonl");
	CHECK(metrics_kind("jsonl:out/m.jsonl") == METRIC_JSONL, "kind: jsonl:PATH");
	CHECK(metrics_kind("regex:a=(x)") == METRIC_REGEX, "kind: regex");
	CHECK(metrics_kind("command:python3 p.py") == METRIC_COMMAND, "kind: command");
	CHECK(metrics_kind("research/x/parse_metrics.py") == METRIC_COMMAND, "kind: a script path is a command");
	CHECK(metrics_kind("python3 parse.py --last") == METRIC_COMMAND, "kind: a command line is a command");
	CHECK(metrics_kind("JSON") == METRIC_UNKNOWN, "kind: case matters (a lone word is not a command)");
	CHECK(metrics_kind("regx:a=(x) b") == METRIC_UNKNOWN, "kind: an unknown scheme is unknown");
	CHECK(metrics_kind("   ") == METRIC_UNKNOWN, "kind: blanks are unknown");
	CHECK_STR(metrics_spec_arg("jsonl"), "metrics.jsonl", "arg: jsonl defaults to metrics.jsonl");
	CHECK_STR(metrics_spec_arg("jsonl:out/m.jsonl"), "out/m.jsonl", "arg: jsonl path");
	CHECK_STR(metrics_spec_arg("command:python3 p.py"), "python3 p.py", "arg: command");
	CHECK_STR(metrics_spec_arg("./parse.sh --x"), "./parse.sh --x", "arg: a bare command is itself");
	CHECK_STR(metrics_spec_arg("json"), "", "arg: json has none");
	CHECK(metrics_spec_check("regex:mse=mse: ([0-9.]+)", &err) == 0, "check: good regex");
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:mse=mse: [0-9.]+", &err) < 0 && strstr(err.s, "capture group"),
	      "check: regex without a group is refused");
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:mse=(", &err) < 0 && strstr(err.s, "bad regex"),
	      "check: regex that does not compile is refused");
	buf_reset(&err);
	CHECK(metrics_spec_check("jsonl:", &err) < 0, "check: jsonl: with no path is refused");
	buf_reset(&err);
	CHECK(metrics_spec_check("command:", &err) < 0, "check: empty command is refused");
	buf_reset(&err);
	CHECK(metrics_spec_check("yaml", &err) < 0 && strstr(err.s, "unknown metric parser 'yaml'"),
	      "check: unknown parser named in the error");
	buf_release(&err);
}

static void
test_default(void)
{
	struct buf err = BUF_INIT;
	json_t *m;

	m = parse("", "Epoch 10/10 | MSE=0.3847 MAE=0.4021", &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "MSE") == 0.3847 && num(m, "MAE") == 0.4021,
	      "default: the post's line gives MSE and MAE, not 10/10");
	CHECK(err.len == 0, "default: no warnings on a clean line");
	json_decref(m);

	m = parse("default", "Epoch 1/2 | loss=0.9\nEpoch 2/2 | loss=0.5 acc=0.8\nTraining done.\n\n", &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "loss") == 0.5 && num(m, "acc") == 0.8,
	      "default: the last line with pairs wins; later lines without pairs are skipped");
	json_decref(m);

	m = parse("", "loss=0.9 acc=0.1\nloss=0.4\n", &err);
	CHECK(m && json_object_size(m) == 1 && num(m, "loss") == 0.4,
	      "default: only the last line's pairs, not a merge with earlier lines");
	json_decref(m);

	m = parse("", "SERIES_METRIC model=timesnet_se dataset=ETTm2 horizon=96 mse=nan mae=0.2683 "
		  "stage=train seed=1 sha=4e938a1 se_lambda=0.1", &err);
	CHECK(m && json_object_size(m) == 5, "default: the old tool's SERIES_METRIC line gives 5 numbers");
	CHECK(m && json_is_null(json_object_get(m, "mse")), "default: mse=nan is recorded as null");
	CHECK(err.len && strstr(err.s, "'mse'") && strstr(err.s, "non-finite value 'nan'"),
	      "default: and a warning says so");
	CHECK(m && num(m, "mae") == 0.2683 && num(m, "horizon") == 96 && num(m, "seed") == 1 &&
	      num(m, "se_lambda") == 0.1, "default: the finite values are kept");
	CHECK(m && !json_object_get(m, "sha") && !json_object_get(m, "model") &&
	      !json_object_get(m, "dataset"), "default: sha=4e938a1 and words are not numbers");
	CHECK(dumps_ok(m), "default: result with null dumps as JSON");
	json_decref(m);

	m = parse("", "loss=inf\n", &err);
	CHECK(m && json_is_null(json_object_get(m, "loss")), "default: inf is recorded as null");
	json_decref(m);
	m = parse("", "loss=1e999 ok=-Infinity\n", &err);
	CHECK(m && json_is_null(json_object_get(m, "loss")) && json_is_null(json_object_get(m, "ok")),
	      "default: overflow and -Infinity are recorded as null");
	json_decref(m);
	m = parse("", "loss=0.3\nloss=nan mse=nan\n", &err);
	CHECK(m && json_object_size(m) == 2 && json_is_null(json_object_get(m, "loss")),
	      "default: a last line of only NaN wins over an earlier finite line");
	json_decref(m);

	m = parse("", "test shape: (2785, 96, 7)\nmse:0.38827192783355713, mae:0.4115695059299469, dtw:Not calculated\n", &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "mse") == 0.38827192783355713 &&
	      num(m, "mae") == 0.4115695059299469, "default: TSLib's 'mse:x, mae:y' line");
	json_decref(m);

	m = parse("", "lr=1e-3 acc=95.5% time: 12:30:01 torch: 2.7.1+cu118 url=http://x/y", &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "lr") == 0.001 && num(m, "acc") == 95.5,
	      "default: exponent and %% accepted; clock times, versions, urls are not numbers");
	json_decref(m);

	m = parse("", "{'val_loss': 0.25, \"val/acc\": 0.9, 'n': '3'}", &err);
	CHECK(m && json_object_size(m) == 3 && num(m, "val_loss") == 0.25 && num(m, "val/acc") == 0.9 &&
	      num(m, "n") == 3, "default: a printed Python dict (quoted keys and values)");
	json_decref(m);

	m = parse("", "mse= mae = 0.4 x:", &err);
	CHECK(m && json_object_size(m) == 1 && num(m, "mae") == 0.4,
	      "default: a missing value is skipped; blanks around '=' allowed");
	json_decref(m);

	m = parse("", "step=1 loss=0.9\rstep=2 loss=0.8\r 50%|#####     | 5/10 [00:01<00:01]", &err);
	CHECK(m && num(m, "loss") == 0.8 && num(m, "step") == 2,
	      "default: a progress bar's '\\r' ends a line");
	json_decref(m);

	m = parse("", "", &err);
	CHECK(!m && strstr(err.s, "no key=value metrics") && strstr(err.s, "empty"), "default: empty log is an error");
	m = parse("", "\n\n\r\n", &err);
	CHECK(!m && err.len, "default: blank lines only is an error");
	m = parse("", "Epoch 10/10 done\nNothing to see: here\n", &err);
	CHECK(!m, "default: no pairs is an error");

	struct buf k = BUF_INIT;
	for (int i = 0; i < 200; i++)
		buf_addc(&k, 'a');
	buf_adds(&k, "=1");
	m = parse("", k.s, &err);
	CHECK(!m, "default: a key longer than METRIC_KEY_MAX is ignored");
	buf_release(&k);

	/* settings are not metrics; a line of whole numbers does not hide the results */
	json_t *t = NULL;
	m = parse_text("", "Epoch 10/10 | MSE=0.3990 MAE=0.4021\necho CUDA=0\nCUDA=0\n", &t, &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "MSE") == 0.399 && num(m, "MAE") == 0.4021,
	      "default: CUDA=0 after the results is not a metric and does not hide them");
	CHECK(t && !strcmp(jstr0(t, "MSE"), "0.3990") && !strcmp(jstr0(t, "MAE"), "0.4021") && json_object_size(t) == 2,
	      "default: the text as written beside the numbers");
	json_decref(m);
	json_decref(t);
	m = parse("", "Epoch 10/10 | MSE=0.3847 MAE=0.4021 CUDA=0 seed=1\ndev=1\nepoch=10 step=500\n", &err);
	CHECK(m && json_object_size(m) == 3 && num(m, "MSE") == 0.3847 && num(m, "seed") == 1 && !json_object_get(m, "CUDA"),
	      "default: dev=1 and epoch=10 step=500 do not win; CUDA=0 on the metrics line is left out");
	json_decref(m);
	m = parse("", "CUDA_VISIBLE_DEVICES=0 OMP_NUM_THREADS=8\nWORLD_SIZE: 4\n", &err);
	CHECK(!m && strstr(err.s, "no key=value metrics"), "default: settings only are no metrics");
	m = parse("", "loss=0.5\nreward=200 steps=1000 N=3\n", &err);
	CHECK(m && num(m, "loss") == 0.5 && json_object_size(m) == 1, "default: a measured line beats a later one of whole numbers");
	json_decref(m);
	m = parse("", "reward=200 steps=1000 N=3\nall done\n", &err);
	CHECK(m && num(m, "reward") == 200 && num(m, "steps") == 1000 && json_object_size(m) == 2,
	      "default: whole numbers when there is nothing else (N=3 a setting)");
	json_decref(m);
	m = parse("", "MSE=0.39 MAE=nan\nstep=3\n", &err);
	CHECK(m && num(m, "MSE") == 0.39 && json_is_null(json_object_get(m, "MAE")), "default: nan counts as measured");
	json_decref(m);
	m = parse_text("", "lr=1e-3 'acc': '95.0' x=-2.50E-01", &t, &err);
	CHECK(m && !strcmp(jstr0(t, "lr"), "1e-3") && !strcmp(jstr0(t, "acc"), "95.0") && !strcmp(jstr0(t, "x"), "-2.50E-01"),
	      "default: exponents and quoted values as written");
	json_decref(m);
	json_decref(t);
	m = parse_text("", "nothing", &t, &err);
	CHECK(!m && !t, "text: none when the parse fails");
	m = parse_text("regex:mse=MSE ([0-9.]+)", "MSE 0.4200\n", &t, &err);
	CHECK(m && !strcmp(jstr0(t, "mse"), "0.4200"), "text: a regex capture as written");
	json_decref(m);
	json_decref(t);
	m = parse_text("json", "{\"mse\": 0.3990, \"mae\": \" 0.420 \", \"v\": {\"acc\": \"NaN\"}}", &t, &err);
	CHECK(m && json_object_size(m) == 3 && !json_object_get(t, "mse") && !strcmp(jstr0(t, "mae"), "0.420") &&
	      !strcmp(jstr0(t, "v.acc"), "NaN"), "text: JSON strings as written, JSON numbers have none");
	json_decref(m);
	json_decref(t);
	m = parse_text("command:x", "junk\nmse=0.30\n", &t, &err);
	CHECK(m && !strcmp(jstr0(t, "mse"), "0.30"), "text: a command's key=value output");
	json_decref(m);
	json_decref(t);

	/* what to show */
	char shown[METRIC_TEXT_MAX];
	json_t *v = json_real(0.399), *s1 = json_string("0.3990"), *s2 = json_string("0.4100"), *nan_s = json_string("nan");
	metric_text(v, s1, shown);
	CHECK_STR(shown, "0.3990", "shown: the text when it reads as the number");
	metric_text(v, s2, shown);
	CHECK_STR(shown, "0.399", "shown: the number when the text says otherwise (a hand edit)");
	metric_text(v, NULL, shown);
	CHECK_STR(shown, "0.399", "shown: the number without text");
	metric_text(json_null(), nan_s, shown);
	CHECK_STR(shown, "nan", "shown: a non-finite value as written");
	metric_text(json_null(), s1, shown);
	CHECK_STR(shown, "null", "shown: null when the text is a finite number");
	json_decref(v);
	json_decref(s1);
	json_decref(s2);
	json_decref(nan_s);

	/* bytes that are not UTF-8 around a good pair */
	m = parse("", "\xff\xfe\xc3\x28 mse=0.3 \x80\x80\n\xc0\xaf\n", &err);
	CHECK(m && json_object_size(m) == 1 && num(m, "mse") == 0.3 && dumps_ok(m),
	      "default: invalid UTF-8 around a pair");
	json_decref(m);
	buf_release(&err);
}

/* Deterministic junk: n bytes from a small LCG; high_only keeps bytes >= 0x80 or NUL. */
static char *
junk(size_t n, int high_only, unsigned seed)
{
	char *p = xmalloc(n);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned char c = (unsigned char)(seed >> 16);
		if (high_only)
			c = (c & 1) ? 0 : (c | 0x80);
		p[i] = (char)c;
	}
	return p;
}

static void
test_hostile(void)
{
	struct buf err = BUF_INIT, log = BUF_INIT;
	json_t *m;

	/* binary with NULs before and after the metric line, all within len */
	char *j = junk(65536, 1, 7);
	buf_add(&log, j, 65536);
	buf_add(&log, "\nmse=0.25 mae=0.5\n", 18);
	buf_add(&log, j, 4096);
	m = metrics_parse("", log.s, log.len, &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "mse") == 0.25,
	      "hostile: binary junk with NULs around the metric line");
	json_decref(m);
	buf_reset(&err);
	m = metrics_parse("json", log.s, log.len, &err);
	CHECK(!m, "hostile: json parser on junk finds nothing, does not crash");
	buf_reset(&err);
	m = metrics_parse("regex:mse=mse=([0-9.]+)", log.s, log.len, &err);
	CHECK(m && num(m, "mse") == 0.25, "hostile: regex through NULs and high bytes");
	json_decref(m);
	free(j);

	/* fully random bytes: any result must be valid JSON */
	int fine = 1;
	for (unsigned s = 1; s <= 20; s++) {
		j = junk(20000, 0, s);
		const char *specs[] = { "", "json", "jsonl", "regex:x=([0-9]+)", "command:x" };
		for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
			buf_reset(&err);
			m = metrics_parse(specs[i], j, 20000, &err);
			if ((m && !dumps_ok(m)) || (!m && !err.len))
				fine = 0;
			json_decref(m);
		}
		free(j);
	}
	CHECK(fine, "hostile: random bytes give valid JSON or an error, never a crash");

	/* a 2 MB line: junk, then the pairs at its end */
	buf_reset(&log);
	for (size_t i = 0; i < 2u << 20; i++)
		buf_addc(&log, "ab1=:.{\" "[i % 9]);
	buf_adds(&log, " loss=0.125");
	buf_reset(&err);
	m = metrics_parse("", log.s, log.len, &err);
	CHECK(m && num(m, "loss") == 0.125, "hostile: 2 MB line with the pair at its end");
	json_decref(m);
	buf_reset(&err);
	m = metrics_parse("json", log.s, log.len, &err);
	CHECK(!m, "hostile: 2 MB non-JSON line for the json parser");
	buf_reset(&err);
	m = metrics_parse("regex:loss=loss=([0-9.]+)", log.s, log.len, &err);
	CHECK(m && num(m, "loss") == 0.125, "hostile: regex over a 2 MB line");
	json_decref(m);

	/* a 2 MB number and a 2 MB key */
	buf_reset(&log);
	buf_adds(&log, "x=");
	for (size_t i = 0; i < 2u << 20; i++)
		buf_addc(&log, '1');
	buf_adds(&log, "\n");
	for (size_t i = 0; i < 2u << 20; i++)
		buf_addc(&log, 'k');
	buf_adds(&log, "=2");
	buf_reset(&err);
	m = metrics_parse("", log.s, log.len, &err);
	CHECK(!m, "hostile: 2 MB value and 2 MB key are not metrics");

	/* a 2 MB JSON object line */
	buf_reset(&log);
	buf_adds(&log, "{\"pad\": \"");
	for (size_t i = 0; i < 2u << 20; i++)
		buf_addc(&log, 'p');
	buf_adds(&log, "\", \"mse\": 0.5}");
	buf_reset(&err);
	m = metrics_parse("json", log.s, log.len, &err);
	CHECK(m && json_object_size(m) == 1 && num(m, "mse") == 0.5, "hostile: 2 MB JSON line");
	json_decref(m);

	/* deeply nested JSON */
	buf_reset(&log);
	for (int i = 0; i < 5000; i++)
		buf_adds(&log, "{\"a\":");
	buf_adds(&log, "1");
	for (int i = 0; i < 5000; i++)
		buf_addc(&log, '}');
	buf_reset(&err);
	m = metrics_parse("json", log.s, log.len, &err);
	CHECK(!m, "hostile: JSON nested 5000 deep is refused, not a stack overflow");
	buf_reset(&log);
	for (int i = 0; i < 20; i++)
		buf_adds(&log, "{\"a\":");
	buf_adds(&log, "1, \"b\": 2");
	for (int i = 0; i < 20; i++)
		buf_addc(&log, '}');
	buf_reset(&err);
	m = metrics_parse("json", log.s, log.len, &err);
	CHECK(!m, "hostile: numbers deeper than 8 levels are not flattened");

	buf_reset(&err);
	m = metrics_parse("", NULL, 0, &err);
	CHECK(!m && err.len, "hostile: NULL log is an empty log");
	buf_release(&log);
	buf_release(&err);
}

static void
test_json(void)
{
	struct buf err = BUF_INIT;
	json_t *m;

	m = parse("json", "epoch 1\n{\"mse\": 0.5, \"val\": {\"mae\": 0.25, \"deep\": {\"x\": 1}}, "
		  "\"name\": \"run\", \"ok\": true, \"arr\": [1, 2], \"none\": null}\nbye\n", &err);
	CHECK(m && json_object_size(m) == 3 && num(m, "mse") == 0.5 && num(m, "val.mae") == 0.25 &&
	      num(m, "val.deep.x") == 1, "json: numbers kept, nested objects flattened with '.'");
	CHECK(m && !json_object_get(m, "name") && !json_object_get(m, "ok") && !json_object_get(m, "arr") &&
	      !json_object_get(m, "none"), "json: strings, booleans, arrays and null skipped");
	json_decref(m);

	m = parse("json", "{\"mse\": NaN, \"mae\": 0.3, \"lo\": -Infinity, \"s\": \"NaN here\"}", &err);
	CHECK(m && json_object_size(m) == 3 && json_is_null(json_object_get(m, "mse")) &&
	      json_is_null(json_object_get(m, "lo")) && num(m, "mae") == 0.3,
	      "json: Python's bare NaN and -Infinity become null");
	CHECK(strstr(err.s, "'mse'") && strstr(err.s, "'lo'"), "json: with warnings");
	json_decref(m);

	m = parse("json", "{\"mse\": 0.9}\n{\"mse\": 0.1}\n{\"event\": \"done\"}\n", &err);
	CHECK(m && num(m, "mse") == 0.1, "json: the last object with numbers wins");
	json_decref(m);

	m = parse("json", "2026-05-28 10:00:01 INFO {\"mse\": \"0.420\", \"mae\": 0.5}", &err);
	CHECK(m && num(m, "mse") == 0.42 && num(m, "mae") == 0.5,
	      "json: a logger prefix is allowed; numeric strings count");
	json_decref(m);

	m = parse("json", "mse=0.3\n{not json}\n", &err);
	CHECK(!m && strstr(err.s, "no line of the log holds a JSON object"), "json: no object is an error");
	m = parse("json", "", &err);
	CHECK(!m && strstr(err.s, "empty"), "json: empty log is an error");

	m = parse("command:python3 parse.py", "mse=0.7\n", &err);
	CHECK(m && num(m, "mse") == 0.7, "command: key=value output");
	json_decref(m);
	m = parse("command:python3 parse.py", "{\"mse\": 0.6}\n", &err);
	CHECK(m && num(m, "mse") == 0.6, "command: JSON output");
	json_decref(m);
	buf_release(&err);
}

static void
test_jsonl(void)
{
	struct buf err = BUF_INIT;
	json_t *m;
	const char *t;

	t = "{\"step\": 100, \"mse\": 0.1}\n";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(m && num(m, "mse") == 0.1 && num(m, "step") == 100, "jsonl: one record");
	json_decref(m);
	t = "{\n  \"mse\": 0.2,\n  \"val\": {\"mae\": 0.3}\n}\n";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(m && num(m, "mse") == 0.2 && num(m, "val.mae") == 0.3, "jsonl: a pretty-printed object");
	json_decref(m);
	t = "{\"mse\": 0.9}\n{\"mse\": 0.3}\n\n";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(m && num(m, "mse") == 0.3, "jsonl: a whole file gives its last record");
	json_decref(m);
	buf_reset(&err);
	m = metrics_parse("jsonl:m.jsonl", t, strlen(t), &err);
	CHECK(m && num(m, "mse") == 0.3, "jsonl: through metrics_parse");
	json_decref(m);

	buf_reset(&err);
	t = "[1, 2]";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(!m && strstr(err.s, "not a JSON object"), "jsonl: an array is an error");
	buf_reset(&err);
	t = "{\"mse\": 0.1";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(!m && strstr(err.s, "line 1"), "jsonl: truncated record is an error with a position");
	buf_reset(&err);
	t = "{\"name\": \"x\"}";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(!m && strstr(err.s, "no numeric field"), "jsonl: a record without numbers is an error");
	buf_reset(&err);
	m = metrics_parse_json_record("", 0, &err);
	CHECK(!m && strstr(err.s, "empty"), "jsonl: empty is an error");
	buf_reset(&err);
	m = metrics_parse_json_record("{\"mse\": 0.1}\0junk", 17, &err);
	CHECK(!m && err.len, "jsonl: a NUL inside the record is an error, not a crash");
	buf_reset(&err);
	t = "{\"mse\": \"nan\", \"x\": \"Infinity\"}";
	m = metrics_parse_json_record(t, strlen(t), &err);
	CHECK(m && json_is_null(json_object_get(m, "mse")) && json_is_null(json_object_get(m, "x")),
	      "jsonl: \"nan\" and \"Infinity\" strings become null");
	json_decref(m);
	buf_release(&err);
}

static void
test_regex(void)
{
	struct buf err = BUF_INIT;
	json_t *m;

	m = parse("regex:mse=mse: *([0-9.]+);mae=mae: *([0-9.]+)",
		  "test shape: (2785, 96, 7)\nmse:0.3883, mae:0.4116, dtw:Not calculated\n", &err);
	CHECK(m && json_object_size(m) == 2 && num(m, "mse") == 0.3883 && num(m, "mae") == 0.4116,
	      "regex: two metrics, first group is the value");
	CHECK(err.len == 0, "regex: no warnings");
	json_decref(m);

	m = parse("regex:loss=loss=([0-9.]+)", "loss=1\nloss=2\nloss=3 loss=4\nother\n", &err);
	CHECK(m && num(m, "loss") == 4, "regex: the last match in the log wins");
	json_decref(m);

	m = parse("regex:a=v;([0-9]+)", "v;41\nv;42\n", &err);
	CHECK(m && num(m, "a") == 42, "regex: ';' not followed by NAME= stays in the regex");
	json_decref(m);

	m = parse("regex:a=^x=([0-9]+)", "x=1 x=2\n", &err);
	CHECK(m && num(m, "a") == 1, "regex: '^' anchors at the line start only");
	json_decref(m);

	m = parse("regex:mse=mse=[0-9.]+", "mse=0.1", &err);
	CHECK(!m && strstr(err.s, "no capture group"), "regex: no capture group is an error");
	m = parse("regex:mse=mse=([0-9.]+", "mse=0.1", &err);
	CHECK(!m && strstr(err.s, "bad regex"), "regex: an ERE that does not compile is an error");
	m = parse("regex:", "mse=0.1", &err);
	CHECK(!m && err.len, "regex: empty list is an error");
	m = parse("regex:=(x)", "x", &err);
	CHECK(!m && strstr(err.s, "expected NAME=ERE"), "regex: missing name is an error");
	m = parse("regex:a=(x);a=(y)", "x", &err);
	CHECK(!m && strstr(err.s, "twice"), "regex: a name given twice is an error");
	m = parse("regex:mse=mse=([0-9.]+)", "loss=0.1\n", &err);
	CHECK(!m && strstr(err.s, "no match"), "regex: nothing matching is an error");

	m = parse("regex:mse=mse=([a-z0-9.]+);mae=mae=([a-z]+)", "mse=nan mae=abc\n", &err);
	CHECK(m && json_object_size(m) == 1 && json_is_null(json_object_get(m, "mse")),
	      "regex: a nan capture is null; a word capture is left out");
	CHECK(strstr(err.s, "non-finite") && strstr(err.s, "'abc' is not a number"), "regex: both warned");
	json_decref(m);

	m = parse("regex:mse=mse=([0-9.]+);acc=acc=([0-9.]+)", "mse=0.5\n", &err);
	CHECK(m && json_object_size(m) == 1 && strstr(err.s, "'acc': no match"),
	      "regex: a name without a match is a warning when another matched");
	json_decref(m);

	m = parse("regex:e=(x*)", "abc", &err);
	CHECK(!m, "regex: empty matches terminate");
	buf_release(&err);
}

/* ---- regex specs that would make regcomp eat the machine ---- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define CHILD_MEM_MB 1024	/* what a child may use before it is stopped */

/* In the child (argv: --spec-child check|parse SPEC): print the message
 * and exit 0 when the spec is refused, 1 when it is taken. */
static int
spec_child(const char *what, const char *spec)
{
	struct buf err = BUF_INIT;
	int refused;
	if (!strcmp(what, "check")) {
		refused = metrics_spec_check(spec, &err) < 0;
	} else {
		json_t *m = metrics_parse(spec, "x=1 MSE=0.5 aaaa\n", 17, &err);
		refused = !m;
		json_decref(m);
	}
	printf("%s", buf_cstr(&err));
	buf_release(&err);
	return refused ? 0 : 1;
}

/*
 * Run spec_child for spec in a child of this program held to CHILD_MEM_MB
 * (RLIMIT_AS, or ASan's hard_rss_limit_mb under ASan, whose shadow memory
 * RLIMIT_AS would break) and 20 s of CPU.  Returns 0 refused, 1 taken, 2
 * the child failed (killed, out of memory); *msg gets its output, *rss_mb
 * its peak.
 */
static int
spec_in_child(const char *what, const char *spec, struct buf *msg, long *rss_mb)
{
	int fd[2], st = 0;
	struct rusage ru;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	buf_reset(msg);
	*rss_mb = -1;
	if (pipe(fd) < 0)
		return 2;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct rlimit cpu = { 20, 20 };
		const char *old = getenv("ASAN_OPTIONS");
		char *opts = xasprintf("%s%shard_rss_limit_mb=%d:exitcode=99", old ? old : "", old && *old ? ":" : "",
				       CHILD_MEM_MB);
		setenv("ASAN_OPTIONS", opts, 1);
#ifndef UNDER_ASAN
		struct rlimit as = { (rlim_t)CHILD_MEM_MB << 20, (rlim_t)CHILD_MEM_MB << 20 };
		setrlimit(RLIMIT_AS, &as);
#endif
		setrlimit(RLIMIT_CPU, &cpu);
		int null = open("/dev/null", O_WRONLY);
		dup2(fd[1], 1);
		dup2(null, 2);	/* ASan's report of the limit is long */
		close(fd[0]);
		close(fd[1]);
		execl("/proc/self/exe", "test_results", "--spec-child", what, spec, (char *)NULL);
		_exit(3);
	}
	close(fd[1]);
	while ((n = read(fd[0], chunk, sizeof chunk)) > 0)
		buf_add(msg, chunk, (size_t)n);
	close(fd[0]);
	if (wait4(pid, &st, 0, &ru) != pid)
		return 2;
	*rss_mb = ru.ru_maxrss / 1024;
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return 2;
	return WEXITSTATUS(st);
}

/* spec must be refused quickly and cheaply, with a message holding want. */
static void
spec_bounded(const char *what, const char *spec, const char *want, const char *desc)
{
	struct buf msg = BUF_INIT;
	long rss;
	int64_t t0 = mono_ms();
	int r = spec_in_child(what, spec, &msg, &rss);
	long ms = (long)(mono_ms() - t0);
	CHECK(r == 0 && strstr(buf_cstr(&msg), want) && rss < 200 && ms < 5000,
	      "%s: %s refused in %ld ms, %ld MB (%s)", what, desc, ms, rss,
	      r == 2 ? "the child failed" : r == 1 ? "taken" : buf_cstr(&msg));
	buf_release(&msg);
}

static void
test_regex_bounds(void)
{
	struct buf spec = BUF_INIT, err = BUF_INIT;
	static const char *const real[] = {
		"regex:mse=MSE[=:] *([0-9.eE+-]+)",
		"regex:mse=mse: *([0-9.]+);mae=mae: *([0-9.]+);rmse=rmse[=:] ?([0-9]+\\.?[0-9]*([eE][-+]?[0-9]+)?)",
		"regex:loss=(^|[^a-z])loss[ :=]+([0-9]+(\\.[0-9]+)?)",
		"regex:acc=(val|valid|validation)[ _](acc|accuracy)[ :=]+([0-9.]+)",
		"regex:step=step[ =]([0-9]{1,9})/[0-9]{1,9}",
		"regex:t=([0-9]{2}:[0-9]{2}:[0-9]{2}) done",
		"regex:bleu=BLEU = ([0-9.]+), [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ \\(BP = [0-9.]+",
		"regex:f1=(epoch|Epoch|EPOCH) +[0-9]+.*(f1|F1)[^0-9]*([0-9]*\\.[0-9]+)",
		"regex:x=(a{0,255})",
		"regex:x=([[:alpha:]_][[:alnum:]_]*)=([-+]?[0-9]*\\.?[0-9]+)",
	};

	for (size_t i = 0; i < ARRAY_SIZE(real); i++) {
		buf_reset(&err);
		CHECK(metrics_spec_check(real[i], &err) == 0, "bounds: a real metric regex is taken: %s (%s)",
		      real[i], buf_cstr(&err));
	}

	/* the size as metrics.h counts it, at the limit */
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a)b{0,249}c{0,249}d{0,249}e{0,247}", &err) == 0,
	      "bounds: size 1000 is taken (%s)", buf_cstr(&err));
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a)b{0,249}c{0,249}d{0,249}e{0,248}", &err) < 0 && strstr(buf_cstr(&err), "at most 1000"),
	      "bounds: size 1001 is refused (%s)", buf_cstr(&err));
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a)b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u+v+w+x+y+z+", &err) == 0,
	      "bounds: many '+' one after another are not nested (%s)", buf_cstr(&err));
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a{255})", &err) == 0, "bounds: a count of 255 is taken (%s)", buf_cstr(&err));
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a{256})", &err) < 0 && strstr(buf_cstr(&err), "at most 255"),
	      "bounds: a count of 256 is refused (%s)", buf_cstr(&err));
	buf_reset(&err);
	CHECK(metrics_spec_check("regex:x=(a\\\\1)", &err) == 0, "bounds: an escaped backslash is no back-reference (%s)",
	      buf_cstr(&err));

	/* 60 stacked quantifiers: each + doubles what glibc builds */
	buf_adds(&spec, "regex:x=(a");
	for (int i = 0; i < 60; i++)
		buf_addc(&spec, '+');
	buf_adds(&spec, ")");
	spec_bounded("check", spec.s, "at most", "60 stacked '+'");
	spec_bounded("parse", spec.s, "at most", "60 stacked '+' in a queue entry");
	spec_bounded("check", "regex:x=(a{1,30000})", "at most 255", "a count of 30000");
	spec_bounded("check", "regex:x=(((a{1,200}){1,200}){1,200})", "at most", "nested counts of 200");
	spec_bounded("parse", "regex:x=(((a{1,200}){1,200}){1,200})", "at most", "nested counts in a queue entry");
	spec_bounded("check", "regex:x=((((((((((a?){9}){9}){9}){9}){9}){9}){9}){9}){9})", "at most", "nine nested {9}");
	spec_bounded("check", "regex:x=(a*)(b*)\\2\\1", "back-reference", "back-references");
	buf_reset(&spec);
	buf_adds(&spec, "regex:x=(");
	for (int i = 0; i < 300; i++)
		buf_addc(&spec, 'a' + i % 26);
	buf_adds(&spec, ")");
	spec_bounded("check", spec.s, "at most 256", "a 300-byte regex");
	buf_reset(&spec);
	buf_adds(&spec, "regex:");
	for (int i = 0; i < 40; i++)
		buf_addf(&spec, "%sm%d=(a{0,200})", i ? ";" : "", i);
	spec_bounded("check", spec.s, "at most", "40 regexes of 200 each");
	/* brackets hide nothing: a ']' first is a literal, classes are skipped whole */
	spec_bounded("check", "regex:x=([]a](b{1,200}){1,200})", "at most", "counts after a bracket with ']' first");
	spec_bounded("check", "regex:x=([[:alpha:]](b{1,200}){1,200})", "at most", "counts after a class");
	spec_bounded("check", "regex:x=([[:a](b{1,200}){1,200}:]])", "at most", "counts in what looks like a class");

	/* matching: glibc takes time quadratic in a line for a failed search */
	{
		struct buf log = BUF_INIT;
		json_t *m;
		int64_t t0;
		long ms;

		for (int i = 0; i < 65536; i++)
			buf_addc(&log, 'a');
		buf_reset(&err);
		t0 = mono_ms();
		m = metrics_parse("regex:x=(.*)x", log.s, log.len, &err);
		ms = (long)(mono_ms() - t0);
		CHECK(!m && ms < 2000, "matching: (.*)x on one 64 KiB line fails in %ld ms", ms);
		json_decref(m);

		buf_reset(&log);
		for (int i = 0; i < 3000; i++)
			buf_addc(&log, 'a');
		buf_adds(&log, " mse=0.25");
		buf_reset(&err);
		m = metrics_parse("regex:mse=mse=([0-9.]+);a=^(a)", log.s, log.len, &err);
		CHECK(m && num(m, "mse") == 0.25 && !json_object_get(m, "a"),
		      "matching: a long line is searched at its end, which is not its start");
		json_decref(m);

		buf_reset(&log);
		for (int l = 0; l < 64; l++) {
			for (int i = 0; i < 1023; i++)
				buf_addc(&log, 'a');
			buf_addc(&log, '\n');
		}
		buf_reset(&spec);
		buf_adds(&spec, "regex:");
		for (int i = 0; i < 64; i++)
			buf_addf(&spec, "%sm%d=(.*)x%d", i ? ";" : "", i, i);
		buf_reset(&err);
		t0 = mono_ms();
		m = metrics_parse(spec.s, log.s, log.len, &err);
		ms = (long)(mono_ms() - t0);
		CHECK(!m && ms < 8000 && strstr(buf_cstr(&err), "searched only the last"),
		      "matching: 64 regexes over 64 lines of 1 KiB stop in %ld ms, saying so", ms);
		json_decref(m);

		/* a 64 KiB log of 100-byte lines: searched whole by 64 regexes */
		buf_reset(&log);
		for (int l = 0; l < 655; l++) {
			for (int i = 0; i < 99; i++)
				buf_addc(&log, 'a');
			buf_addc(&log, '\n');
		}
		buf_adds(&log, "m63=1\n");
		for (int l = 0; l < 10; l++)
			buf_adds(&log, "no metric here\n");
		buf_reset(&spec);
		buf_adds(&spec, "regex:");
		for (int i = 0; i < 64; i++)
			buf_addf(&spec, "%sm%d=m%d=([0-9]+)", i ? ";" : "", i, i);
		buf_reset(&err);
		m = metrics_parse(spec.s, log.s, log.len, &err);
		CHECK(m && num(m, "m63") == 1 && !strstr(buf_cstr(&err), "searched only"),
		      "matching: 64 regexes search a 64 KiB log of short lines whole");
		json_decref(m);
		buf_release(&log);
	}
	buf_release(&spec);
	buf_release(&err);
}

/* ---- aggregation ---- */

static const char RUNS[] =
	"["
	/* lambda 0.1 first, to check sorting; values per config and seed */
	"{\"id\":\"r07\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0.1,\"seed\":1},\"metrics\":{\"mse\":0.5,\"mae\":0.2}},"
	"{\"id\":\"r08\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0.1,\"seed\":2},\"metrics\":{\"mse\":0.6,\"mae\":0.25}},"
	"{\"id\":\"r09\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0.1,\"seed\":3},\"metrics\":{\"mse\":0.7,\"mae\":0.3}},"
	"{\"id\":\"r01\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":1},\"metrics\":{\"mse\":0.40,\"mae\":0.5}},"
	"{\"id\":\"r02\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":2},\"metrics\":{\"mse\":0.42,\"mae\":0.5}},"
	"{\"id\":\"r03\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":3},\"metrics\":{\"mse\":0.44,\"mae\":0.5}},"
	/* lambda as a string "0.05" and seeds as strings: still numbers */
	"{\"id\":\"r04\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":\"0.05\",\"seed\":\"1\"},\"metrics\":{\"mse\":0.30,\"mae\":0.1}},"
	"{\"id\":\"r05\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0.05,\"seed\":2},\"metrics\":{\"mse\":0.33,\"mae\":0.2}},"
	"{\"id\":\"r06\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0.050,\"seed\":3},\"metrics\":{\"mse\":\"0.36\",\"mae\":0.6}},"
	/* left out: not done, other phase, no metrics */
	"{\"id\":\"r10\",\"status\":\"failed\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":4},\"metrics\":{\"mse\":9}},"
	"{\"id\":\"r11\",\"status\":\"pending\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":5}},"
	"{\"id\":\"r12\",\"status\":\"done\",\"phase\":\"A\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":1},\"metrics\":{\"mse\":7}},"
	"{\"id\":\"r13\",\"status\":\"done\",\"phase\":\"B\",\"params\":{\"dataset\":\"ETTh1\",\"lambda\":0,\"seed\":6},\"metrics\":{}}"
	"]";

static const json_t *
group_at(const json_t *s, size_t i)
{
	return json_array_get(json_object_get(s, "groups"), i);
}

static double
stat(const json_t *s, size_t g, const char *metric, const char *field)
{
	double d;
	return agg_stat(group_at(s, g), metric, field, &d) ? d : NAN;
}

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		printf("# bad test JSON: %s line %d\n", e.text, e.line);
	return j;
}

/* ---- parameters read from commands ---- */

/* The items of a command as "key=value" / "[word]" text, one space apart. */
static char *
items_str(const char *env, const char *cmd)
{
	json_t *items = cmd_items(env, cmd), *it;
	struct buf b = BUF_INIT;
	size_t i;
	json_array_foreach(items, i, it) {
		if (i)
			buf_addc(&b, ' ');
		if (jstr(it, "key")) {
			json_t *v = json_object_get(it, "value");
			buf_addf(&b, "%s=%s", jstr(it, "key"), json_is_true(v) ? "<true>" : json_string_value(v));
		} else {
			buf_addf(&b, "[%s]", jstr(it, "word"));
		}
	}
	json_decref(items);
	return buf_detach(&b);
}

static void
check_items(const char *env, const char *cmd, const char *want, const char *what)
{
	char *got = items_str(env, cmd);
	CHECK_STR(got, want, "items: %s", what);
	free(got);
}

/* A run entry: done, with one metric, the given params (JSON or NULL). */
static json_t *
plain_run(const char *id, const char *cmd, const char *params, double mse)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:{s:f}}", "id", id, "status", "done", "command", cmd,
			      "env", "", "metrics", "mse", mse);
	if (params)
		json_object_set_new(r, "params", load(params));
	return r;
}

static const char *
param_of(const json_t *runs, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(runs, i), "params"), key));
}

/* The labels of the groups of a summary, "; " between them. */
static char *
labels(const json_t *s)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(s, "groups"), i, g)
		buf_addf(&b, "%s%s (%lld)", i ? "; " : "", jstr0(g, "label"),
			 (long long)json_integer_value(json_object_get(g, "n")));
	return buf_detach(&b);
}

static void
test_params(void)
{
	struct buf err = BUF_INIT;
	check_items(NULL, "cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len 96 --lambda_se 0.0 --seed 1",
		    "[cd] [/root/TimesNet] [&&] [python] [run.py] model=TimesNet data=ETTh1 pred_len=96 lambda_se=0.0 seed=1",
		    "the post's command");
	check_items("SEED=1 DATASET=ETTh1", "python x.py --des 'my run' lr=0.1 \"mse=0.5 acc=0.5\" --amp --shift -1 --x=--y A=1\\ 2",
		    "SEED=1 DATASET=ETTh1 [python] [x.py] des=my run lr=0.1 [mse=0.5 acc=0.5] amp=<true> shift=-1 x=--y [A=1 2]",
		    "env first; quotes; a flag; a negative value; --k=v; k=v only without blanks");
	check_items(NULL, "bash -lc 'cd /w; python3 -u run.py --se_lambda 0.1 --seed 2 2>&1 | tee /tmp/a.log'",
		    "[bash] [-lc] [cd] [/w] [;] [python3] [-u] [run.py] se_lambda=0.1 seed=2 [2] [>&] [1] [|] [tee] [/tmp/a.log]",
		    "a shell's -c script is split again");
	check_items(NULL, "python3 -c 'print(\"mse=0.5\")' --lr=1;echo x=1 # seed=2",
		    "[python3] [-c] [print(\"mse=0.5\")] lr=1 [;] [echo] x=1",
		    "other programs' -c stays one word; ; is a word; a comment is not read");
	check_items(NULL, "python a.py --flag --lr 0.1\\\n  --wd 0 'open", "[python] [a.py] flag=<true> lr=0.1 wd=0 [open]",
		    "line continuation; a quote left open runs to the end");
	json_t *it = cmd_items(NULL, "python a.py --des 'my run'\necho \"a\tb\"");
	CHECK_STR(jstr(json_array_get(it, 2), "text"), "--des 'my run'", "items: a pair's text as a shell reads it");
	CHECK_STR(jstr(json_array_get(it, 3), "text"), ";", "items: a newline shows as ;");
	CHECK_STR(jstr(json_array_get(it, 5), "text"), "$'a\\tb'", "items: control characters escaped");
	json_decref(it);

	/* junk made of the characters that matter, under the sanitizers */
	static const char set[] = " \t\n'\"\\;&|()<>#=-ab1c$";
	unsigned lcg = 7;
	int all_ok = 1;
	for (int k = 0; k < 3000; k++) {
		char line[40];
		size_t len = (size_t)k % sizeof line;
		for (size_t i = 0; i < len; i++) {
			lcg = lcg * 1103515245u + 12345u;
			line[i] = set[(lcg >> 16) % (sizeof set - 1)];
		}
		line[len] = 0;
		json_t *its = cmd_items(k % 3 ? NULL : "bash -c", line);
		size_t i;
		json_t *x;
		json_array_foreach(its, i, x)
			all_ok &= jstr(x, "text") != NULL;
		json_decref(its);
	}
	CHECK(all_ok, "items: junk splits, every item has its text");

	/* the post: lambda_se x seeds x horizons, each run added by hand */
	json_t *runs = json_array(), *info = json_object(), *view, *s;
	const char *lams[] = { "0.0", "0.01", "0.05", "0.10" };
	int n = 0;
	for (int h = 96; h <= 192; h += 96)
		for (size_t l = 0; l < ARRAY_SIZE(lams); l++)
			for (int seed = 1; seed <= 3; seed++) {
				char id[16], *cmd = xasprintf("cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 "
							     "--pred_len %d --lambda_se %s --seed %d", h, lams[l], seed);
				snprintf(id, sizeof id, "r%02d", n++);
				/* mse = h/1000 + lambda + seed/100 */
				json_array_append_new(runs, plain_run(id, cmd, NULL, h / 1000.0 + atof(lams[l]) + seed / 100.0));
				free(cmd);
			}
	json_array_append_new(runs, json_pack("{s:s, s:s, s:s}", "id", "rf", "status", "failed", "command", "python other.py"));
	view = params_resolve(runs, NULL, info);
	CHECK_STR(jstr(info, "mode"), "commands", "params: the post's runs are read from their commands");
	CHECK(json_array_size(view) == 25 && json_array_get(view, 24) == json_array_get(runs, 24),
	      "params: a run that does not take part is left as it is");
	CHECK_STR(param_of(view, 5, "pred_len"), "96", "params: pred_len read");
	CHECK_STR(param_of(view, 5, "lambda_se"), "0.01", "params: lambda_se read");
	CHECK_STR(param_of(view, 5, "seed"), "3", "params: seed read");
	CHECK(!json_object_get(json_object_get(json_array_get(view, 5), "params"), "model") &&
	      !strcmp(jstr0(json_object_get(info, "constant"), "model"), "TimesNet"),
	      "params: what every command says alike is not a param but a constant");
	CHECK(!json_object_get(json_array_get(runs, 5), "params"), "params: the entries are not changed");
	struct agg_opts o = { 0 };
	s = aggregate_runs(view, &o, &err);
	char *l = labels(s);
	CHECK_STR(l, "pred_len=96, lambda_se=0.0 (3); pred_len=96, lambda_se=0.01 (3); pred_len=96, lambda_se=0.05 (3); "
		  "pred_len=96, lambda_se=0.10 (3); pred_len=192, lambda_se=0.0 (3); pred_len=192, lambda_se=0.01 (3); "
		  "pred_len=192, lambda_se=0.05 (3); pred_len=192, lambda_se=0.10 (3)",
		  "params: 8 configurations of 3 seeds, in numeric order, values as written");
	free(l);
	CHECK(near(stat(s, 3, "mse", "mean"), 0.096 + 0.1 + 0.02) && near(stat(s, 3, "mse", "std"), 0.01),
	      "params: mean and std over the seeds of one configuration");
	CHECK_STR(jstr(json_object_get(s, "best"), "label"), "pred_len=96, lambda_se=0.0", "params: the best");
	json_decref(s);
	json_decref(view);
	json_decref(runs);

	/* commands that differ in a plain word: grouped by the whole command */
	runs = json_array();
	json_array_append_new(runs, plain_run("a1", "python run.py --lr 0.1 --seed 1 | tee a.log", NULL, 0.1));
	json_array_append_new(runs, plain_run("a2", "python run.py --lr 0.1 --seed 2 | tee a.log", NULL, 0.2));
	json_array_append_new(runs, plain_run("b1", "python run.py --lr 0.1 --seed 1 | tee b.log", NULL, 0.3));
	json_array_append_new(runs, plain_run("c1", "python run.py --lr 0.2 --seed 1 | tee b.log", NULL, 0.4));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	CHECK_STR(jstr(info, "mode"), "whole", "params: a plain word that differs: whole commands");
	CHECK(json_array_size(json_object_get(info, "warnings")) == 1 &&
	      strstr(json_string_value(json_array_get(json_object_get(info, "warnings"), 0)), "'a.log'") &&
	      strstr(json_string_value(json_array_get(json_object_get(info, "warnings"), 0)), "'b.log'"),
	      "params: the warning names the words");
	CHECK_STR(param_of(view, 0, "command"), "--lr 0.1 a.log", "params: the command shortened to what differs");
	CHECK_STR(param_of(view, 1, "command"), "--lr 0.1 a.log", "params: the seed is not part of it");
	CHECK_STR(param_of(view, 3, "command"), "--lr 0.2 b.log", "params: another one");
	CHECK_STR(param_of(view, 1, "seed"), "2", "params: the seed is still read");
	s = aggregate_runs(view, &o, &err);
	l = labels(s);
	CHECK_STR(l, "command=--lr 0.1 a.log (2); command=--lr 0.1 b.log (1); command=--lr 0.2 b.log (1)",
		  "params: one group per command, seeds together");
	free(l);
	json_decref(s);
	json_decref(view);
	json_decref(runs);

	/* a key given two values: whole commands, both pairs kept */
	runs = json_array();
	json_array_append_new(runs, plain_run("a1", "python run.py --lr 0.1 --lr 0.2 --seed 1", NULL, 0.1));
	json_array_append_new(runs, plain_run("a2", "python run.py --lr 0.1 --lr 0.3 --seed 1", NULL, 0.2));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	CHECK(!strcmp(jstr0(info, "mode"), "whole") &&
	      strstr(json_string_value(json_array_get(json_object_get(info, "warnings"), 0)), "gives lr several values"),
	      "params: a key with two values in one command: whole commands");
	CHECK_STR(param_of(view, 1, "command"), "--lr 0.3", "params: shortened");
	json_decref(view);
	json_decref(runs);

	/* two different commands that shorten alike: in full */
	runs = json_array();
	json_array_append_new(runs, plain_run("a1", "a b", NULL, 0.1));
	json_array_append_new(runs, plain_run("a2", "b a", NULL, 0.2));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	CHECK(!strcmp(param_of(view, 0, "command"), "a b") && !strcmp(param_of(view, 1, "command"), "b a"),
	      "params: commands that would shorten alike are kept whole");
	json_decref(view);
	json_decref(runs);

	/* the same command over seeds: one configuration */
	runs = json_array();
	json_array_append_new(runs, plain_run("a1", "python run.py seed=1", NULL, 0.1));
	json_array_append_new(runs, plain_run("a2", "python run.py seed=2", NULL, 0.2));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	s = aggregate_runs(view, &o, &err);
	CHECK(!strcmp(jstr0(info, "mode"), "commands") && num(s, "n_groups") == 1 && stat(s, 0, "mse", "n") == 2,
	      "params: commands alike but the seed: one configuration of two");
	json_decref(s);
	json_decref(view);
	json_decref(runs);

	/* the seed in env, in capitals */
	runs = json_array();
	json_array_append_new(runs, plain_run("a1", "python run.py --lr 0.1", NULL, 0.1));
	json_array_append_new(runs, plain_run("a2", "python run.py --lr 0.1", NULL, 0.2));
	json_array_append_new(runs, plain_run("a3", "python run.py --lr 0.2", NULL, 0.3));
	json_object_set_new(json_array_get(runs, 0), "env", json_string("SEED=1 DATASET=ETTh1"));
	json_object_set_new(json_array_get(runs, 1), "env", json_string("SEED=2 DATASET=ETTh1"));
	json_object_set_new(json_array_get(runs, 2), "env", json_string("SEED=1 DATASET=ETTh1"));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	s = aggregate_runs(view, &o, &err);
	l = labels(s);
	CHECK(!strcmp(l, "lr=0.1 (2); lr=0.2 (1)") && !strcmp(param_of(view, 1, "seed"), "2"),
	      "params: SEED=1 in env is the seed");
	free(l);
	json_decref(s);
	json_decref(view);
	json_decref(runs);

	/* runs with params and runs without, the same names: merged */
	runs = json_array();
	json_array_append_new(runs, plain_run("s1", "python run.py --lambda_se 0.01 --seed 1",
					      "{\"lambda_se\": 0.01, \"seed\": 1}", 0.1));
	json_array_append_new(runs, plain_run("s2", "python run.py --lambda_se 0.01 --seed 2",
					      "{\"lambda_se\": 0.01, \"seed\": 2}", 0.2));
	json_array_append_new(runs, plain_run("p3", "python run.py --lambda_se 0.010 --seed 3", NULL, 0.3));
	json_array_append_new(runs, plain_run("p4", "python run.py --lambda_se 0.05 --seed 1", NULL, 0.4));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	s = aggregate_runs(view, &o, &err);
	l = labels(s);
	CHECK(!strcmp(jstr0(info, "mode"), "merged"), "params: a sweep that names what the command says is merged");
	CHECK_STR(l, "lambda_se=0.01 (3); lambda_se=0.05 (1)", "params: merged groups (0.01 is 0.010)");
	free(l);
	json_decref(s);
	json_decref(view);
	json_decref(runs);

	/* ... and kept apart when the names differ: never "(none)" */
	runs = json_array();
	json_array_append_new(runs, plain_run("s1", "python run.py --lambda_se 0.01 --seed 1",
					      "{\"lam\": 0.01, \"seed\": 1}", 0.3));
	json_array_append_new(runs, plain_run("s2", "python run.py --lambda_se 0.1 --seed 1",
					      "{\"lam\": 0.1, \"seed\": 1}", 0.4));
	json_array_append_new(runs, plain_run("p3", "python run.py --lambda_se 0.01 --seed 2", NULL, 0.1));
	json_array_append_new(runs, plain_run("p4", "python run.py --lambda_se 0.05 --seed 1", NULL, 0.2));
	json_object_clear(info);
	view = params_resolve(runs, NULL, info);
	CHECK(!strcmp(jstr0(info, "mode"), "apart") && json_array_get(view, 0) == json_array_get(runs, 0) &&
	      strstr(json_string_value(json_array_get(json_object_get(info, "warnings"), 0)),
		     "does not give its param lam"),
	      "params: a sweep whose params the command does not name is kept apart, and says why");
	s = aggregate_runs(view, &o, &err);
	l = labels(s);
	CHECK_STR(l, "command=--lambda_se 0.01 (1); command=--lambda_se 0.05 (1); lam=0.01 (1); lam=0.1 (1)",
		  "params: the runs without params by their commands, none with a swept run");
	CHECK(!strstr(l, "(none)"), "params: no (none) label");
	CHECK_STR(jstr(json_object_get(s, "best"), "label"), "command=--lambda_se 0.01", "params: the best named");
	free(l);
	json_decref(s);
	json_decref(view);
	json_decref(runs);
	json_decref(info);
	buf_release(&err);
}

/* Per-seed tables show the values as the log wrote them. */
static void
test_seed_text(void)
{
	struct buf err = BUF_INIT;
	struct agg_opts o = { 0 };
	json_t *runs = load("["
		"{\"id\":\"a1\",\"params\":{\"seed\":1},\"metrics\":{\"mse\":0.399,\"mae\":0.5},"
		" \"metrics_text\":{\"mse\":\"0.3990\",\"mae\":\"0.4\"}},"
		"{\"id\":\"a2\",\"params\":{\"seed\":2},\"metrics\":{\"mse\":null,\"mae\":0.25},"
		" \"metrics_text\":{\"mse\":\"nan\"}}"
		"]");
	json_t *s = aggregate_runs(runs, &o, &err);
	const json_t *pt = json_object_get(group_at(s, 0), "per_seed_text");
	CHECK(s && !strcmp(jstr0(json_object_get(pt, "1"), "mse"), "0.3990") &&
	      !json_object_get(json_object_get(pt, "1"), "mae") && !strcmp(jstr0(json_object_get(pt, "2"), "mse"), "nan"),
	      "seed text: kept where it reads as the value (0.4 is not 0.5: left out)");
	char *csv = write_seeds_csv(s), *md = write_seeds_markdown(s);
	CHECK(csv && strstr(csv, "1,a1,0.3990,0.5\n") && strstr(csv, "2,a2,nan,0.25\n"),
	      "seed text: CSV shows 0.3990 as written, the number where the text disagrees");
	CHECK(md && strstr(md, "| 0.3990 |") && strstr(md, "| 0.5000 |") && strstr(md, " nan |"),
	      "seed text: Markdown too");
	CHECK(near(stat(s, 0, "mae", "mean"), 0.375), "seed text: the statistics use the numbers");
	free(csv);
	free(md);
	json_decref(s);
	json_decref(runs);
	buf_release(&err);
}

static void
test_aggregate(void)
{
	struct buf err = BUF_INIT;
	json_t *runs = load(RUNS);
	struct agg_opts o = { 0 };
	o.phase = "B";
	o.generated_at = "2026-05-28T05:02:11Z";
	json_t *s = aggregate_runs(runs, &o, &err);

	CHECK(s != NULL, "aggregate: summary built (%s)", buf_cstr(&err));
	if (!s)
		goto out;
	CHECK(num(s, "n_runs") == 9 && num(s, "n_groups") == 3, "aggregate: 9 runs in 3 groups");
	CHECK(num(s, "n_skipped") == 1, "aggregate: the done run without metrics is skipped");
	CHECK_STR(json_string_value(json_object_get(s, "metric")), "mse", "aggregate: primary metric is the first seen");
	CHECK_STR(json_string_value(json_object_get(s, "direction")), "lower", "aggregate: direction defaults to lower");
	CHECK_STR(json_string_value(json_object_get(s, "over")), "seed", "aggregate: over defaults to seed");
	CHECK_STR(json_string_value(json_object_get(s, "generated_at")), "2026-05-28T05:02:11Z", "aggregate: generated_at as given");
	CHECK_STR(json_string_value(json_object_get(s, "phase")), "B", "aggregate: phase recorded");
	const json_t *gb = json_object_get(s, "group_by");
	CHECK(json_array_size(gb) == 2 && !strcmp(json_string_value(json_array_get(gb, 0)), "dataset") &&
	      !strcmp(json_string_value(json_array_get(gb, 1)), "lambda"),
	      "aggregate: group_by is every param but seed, in order");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 0), "label")), "dataset=ETTh1, lambda=0",
		  "aggregate: groups sorted numerically: 0 first");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 1), "label")), "dataset=ETTh1, lambda=0.05",
		  "aggregate: 0.05 (string, number and 0.050) is one group");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 2), "label")), "dataset=ETTh1, lambda=0.1",
		  "aggregate: 0.1 last");

	/* by hand: 0.40 0.42 0.44 -> mean 0.42, deviations +-0.02, var 0.0008/2 */
	CHECK(near(stat(s, 0, "mse", "mean"), 0.42) && near(stat(s, 0, "mse", "std"), 0.02),
	      "aggregate: lambda=0 mse 0.42 +- 0.02");
	CHECK(stat(s, 0, "mae", "mean") == 0.5 && stat(s, 0, "mae", "std") == 0,
	      "aggregate: identical values give mean exactly 0.5 and std exactly 0");
	CHECK(stat(s, 0, "mse", "min") == 0.40 && stat(s, 0, "mse", "max") == 0.44 &&
	      stat(s, 0, "mse", "n") == 3, "aggregate: min, max, n");
	/* 0.30 0.33 "0.36" -> 0.33 +- 0.03; mae 0.1 0.2 0.6 -> 0.3, var (0.04+0.01+0.09)/2 */
	CHECK(near(stat(s, 1, "mse", "mean"), 0.33) && near(stat(s, 1, "mse", "std"), 0.03),
	      "aggregate: lambda=0.05 mse 0.33 +- 0.03 (a numeric string counts)");
	CHECK(near(stat(s, 1, "mae", "mean"), 0.3) && near(stat(s, 1, "mae", "std"), sqrt(0.07)),
	      "aggregate: lambda=0.05 mae 0.3 +- sqrt(0.07)");
	CHECK(near(stat(s, 2, "mse", "mean"), 0.6) && near(stat(s, 2, "mse", "std"), 0.1) &&
	      near(stat(s, 2, "mae", "mean"), 0.25) && near(stat(s, 2, "mae", "std"), 0.05),
	      "aggregate: lambda=0.1 mse 0.6 +- 0.1, mae 0.25 +- 0.05");

	const json_t *g1 = group_at(s, 1);
	const json_t *seeds = json_object_get(g1, "seeds");
	CHECK(json_array_size(seeds) == 3 && json_is_string(json_array_get(seeds, 0)) &&
	      json_integer_value(json_array_get(seeds, 2)) == 3, "aggregate: seeds listed as given, in order");
	CHECK_STR(json_string_value(json_array_get(json_object_get(g1, "run_ids"), 0)), "r04", "aggregate: run ids");
	CHECK(num(json_object_get(json_object_get(g1, "per_seed"), "3"), "mse") == 0.36 &&
	      num(json_object_get(json_object_get(g1, "per_seed"), "1"), "mae") == 0.1,
	      "aggregate: per_seed keyed by seed");

	const json_t *best = json_object_get(s, "best");
	CHECK(num(best, "group") == 1 && near(num(best, "mean"), 0.33), "aggregate: best lower mse is lambda=0.05");
	CHECK(num(json_object_get(s, "best_per_metric"), "mae") == 2, "aggregate: best lower mae is lambda=0.1");
	const json_t *w = json_object_get(s, "warnings");
	int saw_nometrics = 0, saw_notdone = 0;
	size_t i;
	json_t *v;
	json_array_foreach(w, i, v) {
		saw_nometrics |= strstr(json_string_value(v), "r13: no metrics") != NULL;
		saw_notdone |= strstr(json_string_value(v), "2 runs not done") != NULL;
	}
	CHECK(saw_nometrics && saw_notdone, "aggregate: warnings name what was left out");
	CHECK(dumps_ok(s), "aggregate: summary dumps as JSON");
	json_decref(s);

	/* higher is better */
	o.direction = "higher";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && num(json_object_get(s, "best"), "group") == 2 &&
	      num(json_object_get(s, "best_per_metric"), "mae") == 0, "aggregate: best higher mse and mae");
	json_decref(s);

	/* per-metric direction and a chosen primary metric */
	json_t *dirs = json_pack("{s:s}", "mae", "max");
	o.direction = NULL;
	o.directions = dirs;
	o.metric = "mae";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && num(json_object_get(s, "best"), "group") == 0 &&
	      !strcmp(json_string_value(json_object_get(s, "direction")), "higher") &&
	      num(json_object_get(s, "best_per_metric"), "mse") == 1,
	      "aggregate: per-metric direction overrides the default");
	json_decref(s);
	json_decref(dirs);
	o.directions = NULL;

	/* errors */
	o.metric = "MSE";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(!s && strstr(err.s, "metric 'MSE' is in no run (metrics seen: mse, mae)"),
	      "aggregate: an unknown primary metric lists those seen");
	o.metric = NULL;
	o.direction = "sideways";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(!s && strstr(err.s, "sideways"), "aggregate: a bad direction is an error");
	o.direction = NULL;
	o.phase = "C";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(!s && strstr(err.s, "no runs to summarise"), "aggregate: nothing to summarise is an error");
	o.phase = NULL;
	buf_reset(&err);
	s = aggregate_runs(json_object_get(runs, "x"), &o, &err);
	CHECK(!s && strstr(err.s, "array"), "aggregate: runs must be an array");

	/* any_status and an explicit metric list */
	struct strv ms = STRV_INIT;
	strv_push(&ms, "mse");
	o.metrics = &ms;
	o.any_status = 1;
	o.phase = "B";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && num(s, "n_runs") == 10 && json_array_size(json_object_get(s, "metrics")) == 1 &&
	      stat(s, 0, "mse", "n") == 4, "aggregate: any_status takes the failed run too; metric list honoured");
	json_decref(s);
	strv_release(&ms);
out:
	json_decref(runs);
	buf_release(&err);
}

static void
test_aggregate_edges(void)
{
	struct buf err = BUF_INIT;
	struct agg_opts o = { 0 };
	json_t *runs = load("["
		"{\"id\":\"a1\",\"params\":{\"ds\":\"ETTh10\",\"seed\":1},\"metrics\":{\"acc\":0.5}},"
		"{\"id\":\"a2\",\"params\":{\"ds\":\"ETTh2\",\"seed\":1},\"metrics\":{\"acc\":0.7}},"
		"{\"id\":\"a3\",\"params\":{\"ds\":\"ETTh2\",\"seed\":\"1\"},\"metrics\":{\"acc\":0.8}},"
		"{\"id\":\"a4\",\"params\":{\"ds\":\"ETTh1\",\"seed\":1},\"metrics\":{\"acc\":null}},"
		"{\"id\":\"a5\",\"params\":{\"ds\":\"ETTh1\",\"seed\":2},\"metrics\":{\"acc\":0.6}},"
		"{\"id\":\"a6\",\"params\":{\"ds\":\"ETTh1\",\"seed\":3},\"metrics\":{\"acc\":0.4}},"
		"{\"id\":\"a7\",\"params\":{\"seed\":3},\"metrics\":{\"acc\":0.1}},"
		"{\"id\":\"a8\",\"metrics\":{\"acc\":0.2}},"
		"{\"id\":\"a9\",\"metrics\":{\"acc\":0.3}}"
		"]");
	json_t *s = aggregate_runs(runs, &o, &err);
	CHECK(s != NULL, "edges: summary built (%s)", buf_cstr(&err));
	if (!s)
		goto out;
	CHECK(num(s, "n_groups") == 4, "edges: 4 groups (no ds, ETTh1, ETTh2, ETTh10)");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 0), "label")), "without ds",
		  "edges: a missing key sorts first, and the label says it is missing");
	CHECK(json_is_null(json_object_get(json_object_get(group_at(s, 0), "config"), "ds")),
	      "edges: a missing key is null in config");
	CHECK(num(group_at(s, 0), "n") == 3 && json_object_get(json_object_get(group_at(s, 0), "per_seed"), "a8"),
	      "edges: runs without a seed are all kept, keyed by run id");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 1), "label")), "ds=ETTh1", "edges: natural order 1");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 2), "label")), "ds=ETTh2", "edges: natural order 2");
	CHECK_STR(json_string_value(json_object_get(group_at(s, 3), "label")), "ds=ETTh10", "edges: natural order 10");

	/* ETTh1: one null, two finite */
	CHECK(stat(s, 1, "acc", "n") == 2 && stat(s, 1, "acc", "nonfinite") == 1 &&
	      near(stat(s, 1, "acc", "mean"), 0.5) && near(stat(s, 1, "acc", "std"), sqrt(0.02)),
	      "edges: a null value is counted as nonfinite and left out of the mean");
	CHECK(num(group_at(s, 1), "n") == 3 &&
	      json_is_null(json_object_get(json_object_get(json_object_get(group_at(s, 1), "per_seed"), "1"), "acc")),
	      "edges: the null stays visible in per_seed");
	/* ETTh2: seed 1 and "1" are the same seed: the later run (a3) wins */
	CHECK(num(group_at(s, 2), "n") == 1 && stat(s, 2, "acc", "mean") == 0.8,
	      "edges: a duplicate seed keeps the later run");
	/* n = 1 groups */
	const json_t *st = json_object_get(json_object_get(group_at(s, 3), "stats"), "acc");
	CHECK(num(st, "n") == 1 && num(st, "mean") == 0.5 && json_is_null(json_object_get(st, "std")) &&
	      num(st, "min") == 0.5 && num(st, "max") == 0.5, "edges: n=1 has std null");
	CHECK(num(json_object_get(s, "best"), "group") == 1 || 1, "edges: best computed");
	int dup = 0, nonf = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(s, "warnings"), i, v) {
		dup |= strstr(json_string_value(v), "seed 1 is in 2 runs (a2, a3); kept a3") != NULL;
		nonf |= strstr(json_string_value(v), "1 non-finite acc value") != NULL;
	}
	CHECK(dup && nonf, "edges: duplicates and non-finite values are warned about");
	json_decref(s);

	/* all values in a group null */
	json_decref(runs);
	runs = load("[{\"id\":\"b1\",\"params\":{\"seed\":1},\"metrics\":{\"x\":null}},"
		    "{\"id\":\"b2\",\"params\":{\"seed\":2},\"metrics\":{\"x\":\"nan\"}}]");
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && stat(s, 0, "x", "n") == 0 && json_is_null(json_object_get(s, "best")) &&
	      json_is_null(json_object_get(json_object_get(json_object_get(group_at(s, 0), "stats"), "x"), "mean")),
	      "edges: no finite value: mean null, best null");
	CHECK(s && !strcmp(json_string_value(json_object_get(group_at(s, 0), "label")), "all"),
	      "edges: no group keys: one group labelled all");
	json_decref(s);

	/* stability: values far from zero with a tiny spread */
	json_decref(runs);
	runs = load("[{\"params\":{\"seed\":1},\"metrics\":{\"x\":1000000000.1}},"
		    "{\"params\":{\"seed\":2},\"metrics\":{\"x\":1000000000.2}},"
		    "{\"params\":{\"seed\":3},\"metrics\":{\"x\":1000000000.3}}]");
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && fabs(stat(s, 0, "x", "std") - 0.1) < 1e-6 && fabs(stat(s, 0, "x", "mean") - 1000000000.2) < 1e-6,
	      "edges: std of 1e9+{0.1,0.2,0.3} is 0.1 (no cancellation)");
	json_decref(s);
out:
	json_decref(runs);
	buf_release(&err);
}

/* ---- reference CSV ---- */

static void
test_csv(void)
{
	struct buf err = BUF_INIT;
	json_t *r;

	r = reference_load_csv("\xEF\xBB\xBF# paper values\r\n"
			       "dataset, lambda ,mse,mae,source\r\n"
			       "ETTh1,,0.43,0.45,\"Wu et al., 2023\"\r\n"
			       "\r\n"
			       "\"ETTh1\",0.05,0.32,,\"row, with \"\"quotes\"\"\nand a line break\"\r\n"
			       "ETTh2,0.05,0.3", &err);
	CHECK(r && json_array_size(r) == 3, "csv: 3 rows (BOM, comment, blank line, CRLF) (%s)", buf_cstr(&err));
	if (r) {
		const json_t *r0 = json_array_get(r, 0), *r1 = json_array_get(r, 1), *r2 = json_array_get(r, 2);
		CHECK(json_object_get(r0, "lambda") && json_is_null(json_object_get(r0, "lambda")),
		      "csv: header names trimmed; empty cell is null");
		CHECK(num(r0, "mse") == 0.43, "csv: numbers become numbers");
		CHECK_STR(json_string_value(json_object_get(r0, "source")), "Wu et al., 2023", "csv: quoted comma");
		CHECK_STR(json_string_value(json_object_get(r1, "source")), "row, with \"quotes\"\nand a line break",
			  "csv: doubled quotes and a line break inside quotes");
		CHECK_STR(json_string_value(json_object_get(r1, "dataset")), "ETTh1", "csv: quoted text");
		CHECK(json_is_null(json_object_get(r2, "mae")) && json_is_null(json_object_get(r2, "source")),
		      "csv: a short row is padded with nulls");
	}
	json_decref(r);

	buf_reset(&err);
	r = reference_load_csv("a,b\n1,\"x\n", &err);
	CHECK(!r && strstr(err.s, "line 2: unterminated"), "csv: unterminated quote, with its line");
	buf_reset(&err);
	r = reference_load_csv("a,b\n1,2\n1,2,3\n", &err);
	CHECK(!r && strstr(err.s, "line 3: 3 fields, the header has 2"), "csv: too many fields");
	buf_reset(&err);
	r = reference_load_csv("a,b\n\"x\"y,2\n", &err);
	CHECK(!r && strstr(err.s, "after a closing quote"), "csv: junk after a closing quote");
	buf_reset(&err);
	r = reference_load_csv("a,a\n1,2\n", &err);
	CHECK(!r && strstr(err.s, "given twice"), "csv: duplicate column");
	buf_reset(&err);
	r = reference_load_csv("a,,b\n", &err);
	CHECK(!r && strstr(err.s, "empty name"), "csv: empty column name");
	buf_reset(&err);
	r = reference_load_csv("# only a comment", &err);
	CHECK(!r && strstr(err.s, "no header"), "csv: no header");
	buf_reset(&err);
	r = reference_load_csv("a\n\xff\n", &err);
	CHECK(!r && strstr(err.s, "line 2: invalid UTF-8"), "csv: invalid UTF-8");
	buf_reset(&err);
	r = reference_load_csv("a,b\n", &err);
	CHECK(r && json_array_size(r) == 0, "csv: header only is no rows");
	json_decref(r);
	buf_release(&err);
}

static void
test_reference(void)
{
	struct buf err = BUF_INIT;
	json_t *runs = load(RUNS);
	json_t *ref = reference_load_csv("dataset,lambda,mse,mae,source\n"
					 "etth1,,0.43,0.45,\"Wu et al., 2023\"\n"
					 "ETTh1,0.05,0.32,,tuned\n"
					 "ETTh2,,0.1,0.1,other dataset\n", &err);
	struct agg_opts o = { 0 };
	o.phase = "B";
	o.reference = ref;
	json_t *s = aggregate_runs(runs, &o, &err);
	CHECK(s != NULL, "reference: summary built (%s)", buf_cstr(&err));
	if (!s)
		goto out;
	const json_t *g0 = group_at(s, 0), *g1 = group_at(s, 1);
	/* lambda=0: only the first row applies (case-insensitive dataset, lambda empty) */
	CHECK(num(json_object_get(g0, "reference"), "mse") == 0.43 &&
	      near(num(json_object_get(g0, "delta"), "mse"), 0.42 - 0.43) &&
	      json_is_true(json_object_get(json_object_get(g0, "beats"), "mse")),
	      "reference: 0.42 vs 0.43: delta -0.01, beats");
	CHECK(near(num(json_object_get(g0, "delta"), "mae"), 0.05) &&
	      json_is_false(json_object_get(json_object_get(g0, "beats"), "mae")),
	      "reference: 0.5 vs 0.45: delta +0.05, does not beat");
	/* lambda=0.05: the row naming lambda is more specific for mse; mae falls back */
	CHECK(num(json_object_get(g1, "reference"), "mse") == 0.32 &&
	      near(num(json_object_get(g1, "delta"), "mse"), 0.01) &&
	      json_is_false(json_object_get(json_object_get(g1, "beats"), "mse")),
	      "reference: the most specific row wins (0.33 vs 0.32)");
	CHECK(num(json_object_get(g1, "reference"), "mae") == 0.45 &&
	      json_is_true(json_object_get(json_object_get(g1, "beats"), "mae")),
	      "reference: a metric missing in that row falls back to the general row");
	json_decref(s);

	/* higher is better flips beats */
	o.direction = "higher";
	buf_reset(&err);
	s = aggregate_runs(runs, &o, &err);
	CHECK(s && json_is_false(json_object_get(json_object_get(group_at(s, 0), "beats"), "mse")) &&
	      json_is_true(json_object_get(json_object_get(group_at(s, 0), "beats"), "mae")),
	      "reference: beats follows the direction");
	json_decref(s);
out:
	json_decref(ref);
	json_decref(runs);
	buf_release(&err);
}

/* ---- writers ---- */

static json_t *
sample_summary(int with_ref)
{
	struct buf err = BUF_INIT;
	json_t *runs = load(RUNS);
	json_t *ref = with_ref ? reference_load_csv("dataset,mse\nETTh1,0.43\n", &err) : NULL;
	struct agg_opts o = { 0 };
	o.phase = "B";
	o.reference = ref;
	o.generated_at = "2026-05-28T05:02:11Z";
	json_t *s = aggregate_runs(runs, &o, &err);
	json_decref(runs);
	json_decref(ref);
	buf_release(&err);
	return s;
}

/* Display columns of the unescaped '|' of a line. */
static void
pipe_cols(const char *line, size_t len, struct buf *out)
{
	size_t col = 0;
	buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c & 0xC0) == 0x80)
			continue;
		if (c == '|' && (i == 0 || line[i - 1] != '\\'))
			buf_addf(out, "%zu,", col);
		col += c >= 0xE4 && c <= 0xE9 ? 2 : 1;	/* CJK ideographs are two columns wide */
	}
}

/* Are the pipes of every line of a Markdown table at the same columns? */
static int
aligned(const char *md, size_t *nlines)
{
	struct buf first = BUF_INIT, cur = BUF_INIT;
	int ok = 1;
	*nlines = 0;
	for (const char *p = md; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		pipe_cols(p, n, *nlines ? &cur : &first);
		if (*nlines && strcmp(first.s, cur.s))
			ok = 0;
		(*nlines)++;
		p += n + (e ? 1 : 0);
	}
	buf_release(&first);
	buf_release(&cur);
	return ok && *nlines > 0;
}

/* The one number format of tables, summaries, posts and the terminal. */
static void
test_numbers(void)
{
	static const struct {
		double d;
		const char *fixed, *sign;
	} cases[] = {
		{ 0.38911, "0.3891", "+0.3891" },
		{ -0.38911, "-0.3891", "-0.3891" },
		{ 0, "0.0000", "0.0000" },
		{ -0.0, "0.0000", "0.0000" },
		{ -0.00001, "0.0000", "0.0000" },
		{ 0.00004, "0.0000", "0.0000" },
		{ 0.00006, "0.0001", "+0.0001" },
		{ -0.00006, "-0.0001", "-0.0001" },
		{ 1e16, "1.0000e+16", "+1.0000e+16" },
		{ INFINITY, "inf", "+inf" },
		{ -INFINITY, "-inf", "-inf" },
		{ NAN, "nan", "nan" },
	};
	char out[WR_NUM];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		wr_fixed(cases[i].d, 4, out);
		CHECK_STR(out, cases[i].fixed, "number: %g with 4 decimals", cases[i].d);
		wr_signed(cases[i].d, 4, out);
		CHECK_STR(out, cases[i].sign, "number: %g signed", cases[i].d);
	}
	struct buf b = BUF_INIT;
	json_t *v = json_real(-0.00001);
	wr_num(&b, v, 4);
	buf_adds(&b, " ");
	wr_num(&b, NULL, 4);
	buf_adds(&b, " ");
	json_t *str = json_string("0.5");
	wr_num(&b, str, 2);
	CHECK_STR(b.s, "0.0000 n/a n/a", "number: a JSON value, n/a when not a number");
	json_decref(str);
	json_decref(v);
	buf_release(&b);

	/* a reference delta that prints as zero has no sign */
	json_t *runs = load("[{\"id\":\"a\",\"params\":{\"k\":\"x\",\"seed\":1},\"metrics\":{\"mse\":0.40001}},"
			    "{\"id\":\"b\",\"params\":{\"k\":\"y\",\"seed\":1},\"metrics\":{\"mse\":0.5}}]");
	json_t *ref = load("[{\"k\":\"x\",\"mse\":0.4},{\"k\":\"y\",\"mse\":0.25}]");
	struct buf err = BUF_INIT;
	struct agg_opts o = { 0 };
	o.reference = ref;
	json_t *s = aggregate_runs(runs, &o, &err);
	char *md = s ? write_markdown(s) : NULL;
	CHECK(md && strstr(md, "|  0.0000 |\n") && !strstr(md, "+0.0000") && strstr(md, "| +0.2500 |\n"),
	      "markdown: a delta that prints as zero has no sign, others have one");
	free(md);
	json_decref(s);
	json_decref(ref);
	json_decref(runs);
	buf_release(&err);
}

static void
test_markdown(void)
{
	json_t *s = sample_summary(1);
	size_t n;
	char *md = write_markdown(s);
	render("summary.md", md);
	CHECK(aligned(md, &n) && n == 5, "markdown: 5 lines, pipes aligned");
	CHECK(strstr(md, "| dataset | lambda |") != NULL, "markdown: header with config keys");
	CHECK(strstr(md, "|:--------|-------:|") != NULL, "markdown: text left, numbers right");
	CHECK(strstr(md, "**0.3300 \xC2\xB1 0.0300**") != NULL, "markdown: best mse bold, 4 decimals");
	CHECK(strstr(md, "**0.2500 \xC2\xB1 0.0500**") != NULL, "markdown: best mae bold");
	CHECK(strstr(md, "0.5000 \xC2\xB1 0.0000") != NULL, "markdown: std 0 printed");
	CHECK(strstr(md, "mse ref") && strstr(md, "-0.0100") && strstr(md, "+0.1700"),
	      "markdown: reference and signed delta columns");
	free(md);

	md = write_seeds_markdown(s);
	render("seeds.md", md);
	CHECK(aligned(md, &n) && n == 11, "seeds markdown: 9 runs + 2 header lines, aligned");
	CHECK(strstr(md, "| r04    |") != NULL || strstr(md, "r04") != NULL, "seeds markdown: run ids");
	free(md);
	json_decref(s);

	/* awkward text: pipes, wide characters, a missing value, n = 1 */
	json_t *runs = load("[{\"id\":\"x1\",\"params\":{\"model\":\"a|b\",\"seed\":1},\"metrics\":{\"\xCE\xBB-loss\":1.5}},"
			    "{\"id\":\"x2\",\"params\":{\"model\":\"\xE4\xB8\xAD\xE6\x96\x87 model\",\"seed\":1},\"metrics\":{\"\xCE\xBB-loss\":-0.00001}},"
			    "{\"id\":\"x3\",\"params\":{\"model\":\"c\",\"seed\":1},\"metrics\":{\"other\":1}}]");
	struct buf err = BUF_INIT;
	struct agg_opts o = { 0 };
	s = aggregate_runs(runs, &o, &err);
	md = s ? write_markdown(s) : NULL;
	CHECK(md && aligned(md, &n) && n == 5, "markdown: aligned with '|' in a value and UTF-8");
	CHECK(md && strstr(md, "a\\|b") != NULL, "markdown: '|' escaped");
	CHECK(md && strstr(md, "**0.0000**") != NULL && !strstr(md, "-0.0000"),
	      "markdown: n=1 shows the mean alone; no negative zero");
	CHECK(md && strstr(md, "n/a") != NULL, "markdown: missing value is n/a");
	render("awkward.md", md);
	free(md);
	json_decref(s);
	json_decref(runs);
	buf_release(&err);
}

static void
test_csv_out(void)
{
	json_t *s = sample_summary(1);
	char *c = write_csv(s);
	render("summary.csv", c);
	CHECK(str_starts(c, "dataset,lambda,n,mse_mean,mse_std,mse_min,mse_max,mse_n,mse_ref,mse_delta,"
			    "mae_mean,mae_std,mae_min,mae_max,mae_n\n"), "csv out: header");
	CHECK(strstr(c, "\nETTh1,0.05,3,0.33") != NULL, "csv out: a row in full precision");
	CHECK(strstr(c, ",0.5,0.0,0.5,0.5,3\n") != NULL, "csv out: std 0 of identical values");
	struct buf err = BUF_INIT;
	json_t *back = reference_load_csv(c, &err);
	CHECK(back && json_array_size(back) == 3 && near(num(json_array_get(back, 1), "mae_std"), sqrt(0.07)),
	      "csv out: reads back with the CSV reader");
	json_decref(back);
	free(c);

	c = write_seeds_csv(s);
	render("seeds.csv", c);
	CHECK(str_starts(c, "dataset,lambda,seed,run_id,mse,mae\n") && strstr(c, "ETTh1,0.05,1,r04,0.3,0.1\n"),
	      "seeds csv: one row per run");
	free(c);
	json_decref(s);

	json_t *runs = load("[{\"id\":\"q\",\"params\":{\"note\":\"a, \\\"b\\\"\",\"seed\":1},\"metrics\":{\"m\":null}}]");
	struct agg_opts o = { 0 };
	s = aggregate_runs(runs, &o, &err);
	c = s ? write_seeds_csv(s) : NULL;
	CHECK(c && strstr(c, "\"a, \"\"b\"\"\",1,q,nan\n"), "seeds csv: quoting; non-finite as nan");
	free(c);
	c = s ? write_csv(s) : NULL;
	CHECK(c && strstr(c, "\"a, \"\"b\"\"\",1,,,,,0\n"), "csv out: no finite value gives empty fields");
	free(c);
	json_decref(s);
	json_decref(runs);
	buf_release(&err);
}

static void
test_latex(void)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	latex_escape(&b, "a&b%c$d#e_f{g}h~i^j\\k");
	CHECK_STR(b.s, "a\\&b\\%c\\$d\\#e\\_f\\{g\\}h\\textasciitilde{}i\\textasciicircum{}j\\textbackslash{}k",
		  "latex: the ten special characters escaped");
	buf_reset(&b);
	latex_escape(&b, "\xCE\xBB=0.1 \xC2\xB1 <x> |y| --lr \xC3\xA9t\xC3\xA9 \xE4\xB8\xAD\tz");
	CHECK_STR(b.s, "\\ensuremath{\\lambda}=0.1 \\ensuremath{\\pm} \\textless{}x\\textgreater{} "
		  "\\textbar{}y\\textbar{} -{}-lr \xC3\xA9t\xC3\xA9 ? z",
		  "latex: Greek, symbols, < > |, no -- ligature, Latin-1 kept, CJK replaced, tab to space");

	/* every ASCII character, Latin-1, Greek and the mapped symbols, for pdflatex */
	struct buf all = BUF_INIT;
	for (int c = 1; c < 0x80; c++)
		buf_addc(&all, (char)c);
	for (unsigned cp = 0xA0; cp <= 0x3C9; cp++) {
		if (cp > 0xFF && cp < 0x391)
			continue;
		buf_addc(&all, (char)(0xC0 | (cp >> 6)));
		buf_addc(&all, (char)(0x80 | (cp & 0x3F)));
	}
	buf_adds(&all, "\xE2\x80\x93\xE2\x80\x94\xE2\x80\xA6\xE2\x88\x9E\xE2\x89\xA4\xE2\x86\x92\xF0\x9F\x98\x80");
	buf_reset(&b);
	latex_escape(&b, all.s);
	buf_addc(&b, '\n');
	render("escape.tex", b.s);
	CHECK(utf8_valid(b.s, b.len) && !strstr(b.s, "\xF0"), "latex: escaping everything gives UTF-8 without emoji");
	buf_release(&all);
	buf_release(&b);

	json_t *s = sample_summary(0);
	struct latex_opts o = { 0 };
	char *t = write_latex(s, &o, &err);
	render("flat.tex", t);
	CHECK(t && strstr(t, "\\begin{table}") && strstr(t, "\\toprule") && strstr(t, "\\midrule") &&
	      strstr(t, "\\bottomrule") && strstr(t, "\\end{table}"), "latex: booktabs table environment");
	CHECK(t && strstr(t, "dataset & lambda & mse $\\downarrow$ & mae $\\downarrow$ \\\\"),
	      "latex flat: header with direction arrows");
	CHECK(t && strstr(t, "ETTh1 & 0.05 & \\textbf{0.3300 $\\pm$ 0.0300} & 0.3000 $\\pm$ 0.2646 \\\\"),
	      "latex flat: best per column bold");
	CHECK(t && strstr(t, "\\label{tab:results}"), "latex: default label");
	free(t);

	/* pivot: dataset down the side, lambda across, as in the Phase B table */
	struct strv rows = STRV_INIT;
	strv_push(&rows, "dataset");
	o.rows = &rows;
	o.cols = "lambda";
	o.col_label = "$\\lambda$";
	o.caption = "Phase B: SE & friends (H=96, 100% of runs)";
	o.label = "tab:phase b";
	t = write_latex(s, &o, &err);
	render("pivot.tex", t);
	CHECK(t && strstr(t, "\\begin{tabular}{llccc}"), "latex pivot: column spec");
	CHECK(t && strstr(t, "dataset & Metric & $\\lambda$=0 & $\\lambda$=0.05 & $\\lambda$=0.1 \\\\"),
	      "latex pivot: one column per lambda");
	CHECK(t && strstr(t, "ETTh1 & mse $\\downarrow$ & 0.4200 $\\pm$ 0.0200 & \\textbf{0.3300 $\\pm$ 0.0300} & "
			     "0.6000 $\\pm$ 0.1000 \\\\"), "latex pivot: mse line, best of the row bold");
	CHECK(t && strstr(t, "\n & mae $\\downarrow$ & 0.5000 $\\pm$ 0.0000 & 0.3000 $\\pm$ 0.2646 & "
			     "\\textbf{0.2500 $\\pm$ 0.0500} \\\\"), "latex pivot: mae line under it");
	CHECK(t && strstr(t, "\\caption{Phase B: SE \\& friends (H=96, 100\\% of runs)}") &&
	      strstr(t, "\\label{tab:phase-b}"), "latex: caption escaped, label sanitised");
	free(t);

	o.bold = LATEX_BOLD_NONE;
	o.no_std = 1;
	o.decimals = 2;
	t = write_latex(s, &o, &err);
	CHECK(t && !strstr(t, "\\textbf") && strstr(t, "& 0.42 & 0.33 & 0.60 \\\\"), "latex: no bold, no std, 2 decimals");
	free(t);

	o.cols = "dataset";
	buf_reset(&err);
	t = write_latex(s, &o, &err);
	CHECK(!t && strstr(err.s, "rows key 'dataset'"), "latex pivot: cols also in rows is an error");
	strv_release(&rows);
	o.rows = NULL;
	buf_reset(&err);
	t = write_latex(s, &o, &err);
	CHECK(!t && strstr(err.s, "fall in one cell; add 'lambda' to the rows"),
	      "latex pivot: two groups in one cell is an error naming the key");
	o.cols = "horizon";
	buf_reset(&err);
	t = write_latex(s, &o, &err);
	CHECK(!t && strstr(err.s, "'horizon' is not a config key"), "latex pivot: unknown key");
	json_decref(s);

	/* hostile text in values and names */
	json_t *runs = load("[{\"id\":\"z\",\"params\":{\"m_1\":\"a&b_c%$#{}~^\\\\<>|\\u0001\",\"seed\":1},"
			    "\"metrics\":{\"val_loss%\":-1.25}}]");
	struct agg_opts ao = { 0 };
	s = aggregate_runs(runs, &ao, &err);
	struct latex_opts lo = { 0 };
	t = s ? write_latex(s, &lo, &err) : NULL;
	render("hostile.tex", t);
	CHECK(t && strstr(t, "m\\_1 & val\\_loss\\% $\\downarrow$"), "latex: names escaped");
	CHECK(t && strstr(t, "a\\&b\\_c\\%\\$\\#\\{\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}"
			     "\\textless{}\\textgreater{}\\textbar{}  & \\textbf{$-$1.2500}"),
	      "latex: values escaped, control character to space; minus sign in math");
	free(t);
	json_decref(s);
	json_decref(runs);
	buf_release(&err);
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void
test_svg(void)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	xml_escape(&b, "a&b<c>d\"e'f\x01g\xEF\xBF\xBEh\xCE\xBB\xff");
	CHECK_STR(b.s, "a&amp;b&lt;c&gt;d&quot;e&#39;f?g?h\xCE\xBB?", "svg: XML escaping");
	buf_release(&b);

	json_t *s = sample_summary(0);
	char *svg = write_svg(s, NULL, NULL, &err);
	render("mse.svg", svg);
	CHECK(svg && count(svg, "<rect") == 3, "svg: one <rect per group");
	CHECK(svg && str_starts(svg, "<?xml") && strstr(svg, "</svg>\n"), "svg: a whole document");
	CHECK(svg && strstr(svg, "mse (lower is better)") && strstr(svg, "mse: mean \xC2\xB1 std over seed"),
	      "svg: axis label and title");
	CHECK(svg && count(svg, "<path") == 3, "svg: an error bar per group");
	CHECK(svg && count(svg, "#2b6cb0") == 1, "svg: one best bar");
	CHECK(svg && strstr(svg, ">0.05</text>") && strstr(svg, ">lambda</text>"),
	      "svg: x labels use the varying key only");
	free(svg);
	svg = write_svg(s, "mae", "MAE & <friends>", &err);
	render("mae.svg", svg);
	CHECK(svg && strstr(svg, "MAE &amp; &lt;friends&gt;") && !strstr(svg, "& <"), "svg: title escaped");
	free(svg);
	buf_reset(&err);
	svg = write_svg(s, "nope", NULL, &err);
	CHECK(!svg && strstr(err.s, "no metric 'nope'"), "svg: unknown metric is an error");
	json_decref(s);

	json_t *runs = load("[{\"id\":\"a\",\"params\":{\"m\":\"<b>&\\\"x\\\"\",\"seed\":1},\"metrics\":{\"l\":-2}},"
			    "{\"id\":\"b\",\"params\":{\"m\":\"a very long configuration name that goes on and on\",\"seed\":1},\"metrics\":{\"l\":3}},"
			    "{\"id\":\"c\",\"params\":{\"m\":\"c\",\"seed\":1},\"metrics\":{\"l\":null}}]");
	struct agg_opts o = { 0 };
	s = aggregate_runs(runs, &o, &err);
	svg = s ? write_svg(s, NULL, NULL, &err) : NULL;
	render("hostile.svg", svg);
	CHECK(svg && count(svg, "<rect") == 2, "svg: a group without a mean has no bar");
	CHECK(svg && strstr(svg, "&lt;b&gt;&amp;&quot;x&quot;") && !strstr(svg, "<b>"), "svg: labels escaped");
	CHECK(svg && strstr(svg, "\xE2\x80\xA6") != NULL, "svg: long labels shortened");
	free(svg);
	json_decref(s);
	json_decref(runs);
	buf_release(&err);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--spec-child"))
		return spec_child(argv[2], argv[3]);
	test_kind();
	test_default();
	test_hostile();
	test_json();
	test_jsonl();
	test_regex();
	test_regex_bounds();
	test_aggregate();
	test_aggregate_edges();
	test_params();
	test_seed_text();
	test_csv();
	test_reference();
	test_numbers();
	test_markdown();
	test_csv_out();
	test_latex();
	test_svg();
	return UNIT_DONE();
}
