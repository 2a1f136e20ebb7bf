/*
 * fuzz_metrics.c - libFuzzer target for the metric parsers (src/results/metrics.c).
 *
 * Input: one byte choosing the parser, then the spec up to a NUL (for the
 * kinds that take one), then the log (any bytes, NULs included):
 *
 *	byte % 6:  0 default   1 json   2 jsonl   3 "regex:" + spec
 *	           4 "command:" + spec   5 the spec as given
 *
 * Checks, besides memory safety and undefined behaviour: metrics_spec_check
 * and metrics_parse agree on whether a regex (or unknown) spec is usable
 * (for jsonl and command specs the check is about fetching); a failure always
 * leaves a message, on one line per message, without NULs; a result is an
 * object whose values are finite reals or null (a null with a warning),
 * that dumps as JSON; and no input makes the parsers hold more than
 * HEAP_MAX bytes at once (the regex bounds keep regcomp small), which the
 * allocator hooks measure.
 */
#include <jansson.h>
#include <math.h>
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/metrics.h"
#include "util/util.h"

#define HEAP_MAX ((size_t)256 << 20)

/* bytes allocated since the input began, less those freed (blocks from
 * before may be freed too: it can go below 0) */
static long long heap_now;
static int counting;

static void
on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (!__atomic_load_n(&counting, __ATOMIC_RELAXED))
		return;
	long long now = __atomic_add_fetch(&heap_now, (long long)n, __ATOMIC_RELAXED);
	if (now > (long long)HEAP_MAX) {
		fprintf(stderr, "fuzz_metrics: the parsers hold %lld MB at once\n", now >> 20);
		abort();
	}
}

static void
on_free(const volatile void *p)
{
	if (p && __atomic_load_n(&counting, __ATOMIC_RELAXED))
		__atomic_sub_fetch(&heap_now, (long long)__sanitizer_get_allocated_size(p), __ATOMIC_RELAXED);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	return 0;
}

static void
fail(const char *what, const struct buf *err)
{
	fprintf(stderr, "fuzz_metrics: %s (err: %s)\n", what, err->s ? err->s : "");
	abort();
}

/* The messages in err: NUL-free, lines not empty. */
static void
check_messages(const struct buf *err)
{
	if (err->len && strlen(err->s) != err->len)
		fail("a NUL in the messages", err);
	if (err->len && (err->s[0] == '\n' || err->s[err->len - 1] == '\n' || strstr(err->s, "\n\n")))
		fail("an empty message line", err);
}

/* A result: an object of finite reals and nulls; a null comes with a warning. */
static void
check_result(const json_t *m, const struct buf *err)
{
	const char *k;
	json_t *v;
	int nulls = 0;
	char *s;

	if (!json_is_object(m))
		fail("the result is not an object", err);
	if (!json_object_size(m))
		fail("an empty result (no metric is an error)", err);
	json_object_foreach((json_t *)m, k, v) {
		if (!*k || strlen(k) > METRIC_KEY_MAX)
			fail("a key that is empty or too long", err);
		if (json_is_null(v))
			nulls++;
		else if (!json_is_real(v) || !isfinite(json_real_value(v)))
			fail("a value that is not a finite real", err);
	}
	if (nulls && !err->len)
		fail("a null without a warning", err);
	if (!(s = json_dumps(m, JSON_COMPACT)))
		fail("the result does not dump as JSON", err);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "", "json", "jsonl" };
	struct buf err = BUF_INIT, spec = BUF_INIT;
	const char *log;
	size_t len, n;
	int kind;
	json_t *m;

	if (!size)
		return 0;
	kind = data[0] % 6;
	data++, size--;
	if (kind < 3) {
		buf_adds(&spec, fixed[kind]);
		n = 0;
	} else {
		const uint8_t *nul = memchr(data, 0, size);
		n = nul ? (size_t)(nul - data) : size;
		buf_adds(&spec, kind == 3 ? "regex:" : kind == 4 ? "command:" : "");
		buf_add(&spec, data, n);
		n = nul ? n + 1 : n;
	}
	log = (const char *)data + n;
	len = size - n;

	__atomic_store_n(&heap_now, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&counting, 1, __ATOMIC_RELAXED);

	int usable = metrics_spec_check(spec.s, &err) == 0;
	check_messages(&err);
	if (!usable && !err.len)
		fail("a spec refused without a reason", &err);
	buf_reset(&err);

	m = metrics_parse(spec.s, log, len, &err);
	check_messages(&err);
	if (m)
		check_result(m, &err);
	else if (!err.len)
		fail("no metrics and no reason", &err);
	if (m && !usable && (metrics_kind(spec.s) == METRIC_REGEX || metrics_kind(spec.s) == METRIC_UNKNOWN))
		fail("metrics from a spec that metrics_spec_check refuses", &err);
	json_decref(m);
	buf_reset(&err);

	m = metrics_parse_json_record(log, len, &err);
	check_messages(&err);
	if (m)
		check_result(m, &err);
	else if (!err.len)
		fail("no record metrics and no reason", &err);
	json_decref(m);

	__atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
	buf_release(&err);
	buf_release(&spec);
	return 0;
}
