/*
 * fuzz_query.c - libFuzzer target for the offer query language (src/vast/query.c).
 *
 * Input: one byte of options (bit 0: no defaults, bits 1-2: the offer type,
 * bit 3: a limit), the query up to a NUL, then an order spec (-o).
 *
 * Checks, besides memory safety and undefined behaviour:
 *   - a refused query or order leaves a one-line message, a parsed one is
 *     an object that dumps as JSON;
 *   - a query that is valid UTF-8 is never refused as not valid UTF-8;
 *   - an order gives one entry per name it lists;
 *   - round trip: the filters of a parsed query, printed back in the
 *     language (when each value can be written in it), parse to the same
 *     filters, that is to the same JSON sent to the API (reals to 1e-12:
 *     GB and days are multiplied into MB and seconds).
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vast/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *q, const char *detail)
{
	fprintf(stderr, "fuzz_query: %s\n  query: %s\n  %s\n", what, q, detail ? detail : "");
	abort();
}

static double
unit_of(const char *field)
{
	if (!strcmp(field, "gpu_ram") || !strcmp(field, "gpu_total_ram") || !strcmp(field, "cpu_ram"))
		return 1000.0;
	if (!strcmp(field, "duration"))
		return 86400.0;
	return 0;
}

/* s written as a value the language reads back as s, or 0. */
static int
put_string(struct buf *q, const char *s, int in_list)
{
	static const char *const words[] = { "true", "True", "false", "False", "null", "None", "any", NULL };
	if (!*s) {
		if (in_list)
			return 0;	/* empty items are dropped */
		buf_adds(q, "\"\"");
		return 1;
	}
	for (size_t i = 0; words[i]; i++)
		if (!in_list && !strcmp(s, words[i]))
			return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".:+-/ ", *p))
			return 0;
	for (const char *p = s; *p; p++)
		buf_addc(q, *p == ' ' ? '_' : *p);
	return 1;
}

/* One value of field under op: 1 written, 0 not writable. */
static int
put_value(struct buf *q, const char *field, const json_t *v, int in_list)
{
	double u = unit_of(field);
	if (json_is_true(v) || json_is_false(v) || json_is_null(v)) {
		buf_adds(q, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
		return !in_list;
	}
	if (json_is_integer(v)) {
		long long d = json_integer_value(v);
		if (strcmp(field, "driver_version") || d < 0)
			return 0;
		buf_addf(q, "%lld.%03lld.%03lld", d / 1000000, d / 1000 % 1000, d % 1000);
		return 1;
	}
	if (json_is_real(v)) {
		if (!u)
			return 0;
		buf_addf(q, "%.17g", json_real_value(v) / u);
		return 1;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (u || (!strcmp(field, "driver_version") && strchr(s, '.')))
			return 0;
		return put_string(q, s, in_list);
	}
	return 0;
}

/* The filters of f as a query string: 1, or 0 when a value cannot be written. */
static int
print_filters(const json_t *f, struct buf *q)
{
	static const struct {
		const char *op, *written;
	} ops[] = {
		{ "eq", "=" }, { "neq", "!=" }, { "gt", ">" }, { "gte", ">=" },
		{ "lt", "<" }, { "lte", "<=" }, { "in", " in " }, { "notin", " notin " },
	};
	const char *field, *op;
	json_t *cond, *v;

	json_object_foreach((json_t *)f, field, cond) {
		if (!json_is_object(cond))
			return 0;
		json_object_foreach(cond, op, v) {
			size_t k;
			for (k = 0; k < ARRAY_SIZE(ops) && strcmp(op, ops[k].op); k++)
				;
			if (k == ARRAY_SIZE(ops))
				return 0;
			buf_addf(q, "%s%s%s", q->len ? " " : "", field, ops[k].written);
			if (json_is_array(v)) {
				size_t i;
				json_t *item;
				buf_addc(q, '[');
				json_array_foreach(v, i, item) {
					if (i)
						buf_addc(q, ',');
					if (!put_value(q, field, item, 1))
						return 0;
				}
				buf_addc(q, ']');
			} else if (!put_value(q, field, v, 0)) {
				return 0;
			}
		}
	}
	return 1;
}

/* a and b equal, reals to a relative 1e-12. */
static int
same(const json_t *a, const json_t *b)
{
	if (json_is_real(a) && json_is_real(b)) {
		double x = json_real_value(a), y = json_real_value(b);
		return fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y));
	}
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
			if (!same(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static void
check_error(const char *what, const char *q, const struct buf *err)
{
	if (!err->len)
		fail(what, q, "refused without a message");
	if (strchr(err->s, '\n'))
		fail(what, q, err->s);
}

/* Names an order spec lists: its comma-separated items, blanks trimmed, not empty. */
static size_t
order_names(const char *spec)
{
	size_t n = 0;
	while (*spec) {
		size_t k = strcspn(spec, ","), a = 0, b = k;
		while (a < b && (spec[a] == ' ' || spec[a] == '\t'))
			a++;
		while (b > a && (spec[b - 1] == ' ' || spec[b - 1] == '\t'))
			b--;
		n += b > a;
		spec += k;
		if (*spec == ',')
			spec++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, "bid", "reserved", "interruptible" };
	struct vast_offer_query o = VAST_OFFER_QUERY_INIT;
	struct strv warnings = STRV_INIT;
	struct buf err = BUF_INIT, printed = BUF_INIT;
	char *q, *order = NULL;
	const uint8_t *nul;
	json_t *j, *f, *g;
	char *s;

	if (!size)
		return 0;
	o.no_default = data[0] & 1;
	o.type = types[(data[0] >> 1) & 3];
	o.limit = data[0] & 8 ? 25 : 0;
	data++, size--;
	nul = memchr(data, 0, size);
	q = xstrndup((const char *)data, nul ? (size_t)(nul - data) : size);
	if (nul)
		order = xstrndup((const char *)nul + 1, size - (size_t)(nul - data) - 1);
	o.order = order;

	/* the whole request */
	j = vast_offer_query(q, &o, &warnings, &err);
	if (!j) {
		check_error("vast_offer_query", q, &err);
	} else if (!(s = json_dumps(j, JSON_COMPACT))) {
		fail("the request does not dump as JSON", q, NULL);
	} else {
		free(s);
	}
	json_decref(j);
	buf_reset(&err);

	/* the order alone */
	if (order) {
		json_t *ord = vast_parse_order(order, &err);
		if (!ord)
			check_error("vast_parse_order", order, &err);
		else if (json_array_size(ord) != order_names(order))
			fail("an order that lost names", order, NULL);
		json_decref(ord);
		buf_reset(&err);
	}

	/* round trip of the filters */
	f = json_object();
	if (vast_query_merge(f, q, &warnings, &err) < 0) {
		check_error("vast_query_merge", q, &err);
		if (utf8_valid(q, strlen(q)) && !strstr(q, "UTF-8") && strstr(err.s, "not valid UTF-8"))
			fail("valid UTF-8 refused as invalid", q, err.s);
	} else if (print_filters(f, &printed)) {
		struct buf e2 = BUF_INIT;
		g = json_object();
		if (vast_query_merge(g, printed.s ? printed.s : "", &warnings, &e2) < 0)
			fail("the printed filters do not parse", q, e2.s);
		if (!same(f, g)) {
			char *a = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS), *b = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
			fprintf(stderr, "  printed: %s\n  first:  %s\n  second: %s\n", printed.s, a, b);
			fail("the printed filters parse to other filters", q, NULL);
		}
		json_decref(g);
		buf_release(&e2);
	}
	json_decref(f);

	strv_release(&warnings);
	buf_release(&err);
	buf_release(&printed);
	free(q);
	free(order);
	return 0;
}
