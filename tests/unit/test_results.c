/*
 * test_results.c - metric parsers of src/results/.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/metrics.h"
#include "unit.h"
#include "util/util.h"

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

/* json_dumps must accept the object (keys valid UTF-8, values finite). */
static int
dumps_ok(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int ok = s != NULL;
	free(s);
	return ok;
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
	CHECK(metrics_kind("research/x/parse_metrics.py") == METRIC_UNKNOWN, "kind: a bare path is unknown");
	CHECK(metrics_kind("JSON") == METRIC_UNKNOWN, "kind: case matters");
	CHECK_STR(metrics_spec_arg("jsonl"), "metrics.jsonl", "arg: jsonl defaults to metrics.jsonl");
	CHECK_STR(metrics_spec_arg("jsonl:out/m.jsonl"), "out/m.jsonl", "arg: jsonl path");
	CHECK_STR(metrics_spec_arg("command:python3 p.py"), "python3 p.py", "arg: command");
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

int
main(void)
{
	test_kind();
	test_default();
	test_hostile();
	test_json();
	test_jsonl();
	test_regex();
	return UNIT_DONE();
}
