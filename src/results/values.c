/*
 * values.c - the values of params and metrics (as text, in order, as
 * numbers), directions, and the statistics of a list of numbers, for
 * aggregate.c (see aggregate.h and aggregate_priv.h).
 */
#include "results/aggregate.h"
#include "results/aggregate_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- values ---- */

/* A JSON real, or null when d is not finite (json_real() refuses those). */
json_t *
agg_real(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

/* 1 and *d when v is a number or a string that is entirely a finite number. */
int
agg_value_number(const json_t *v, double *d)
{
	if (json_is_integer(v)) {
		*d = (double)json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		*d = json_real_value(v);
		return 1;
	}
	return json_is_string(v) && parse_double(json_string_value(v), d) == 0;
}

/*
 * A metric value: 1 finite (in *d), -1 present but not finite (null, "nan",
 * "inf"), 0 not a metric at all (text, bool, object, array).
 */
int
agg_metric_value(const json_t *v, double *d)
{
	if (!v)
		return 0;
	if (json_is_null(v))
		return -1;
	if (agg_value_number(v, d))
		return 1;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		double x = *s ? strtod(s, &end) : 0;
		if (*s && !*end && !isfinite(x))
			return -1;
	}
	return 0;
}

char *
agg_value_str(const json_t *v)
{
	char num[32];
	if (!v)
		return xstrdup("");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrndup(json_string_value(v), strlen(json_string_value(v)));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: {
		double d = json_real_value(v);
		if (d == 0)
			return xstrdup("0");
		if (d == floor(d) && fabs(d) < 1e15)
			return xasprintf("%.0f", d);
		fmt_double(d, num);
		return xstrdup(num);
	}
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("null");
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *r = xstrdup(s ? s : "");
		free(s);
		return r;
	}
	}
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

int
agg_value_cmp(const json_t *a, const json_t *b)
{
	double x, y;
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);
		return (i > j) - (i < j);
	}
	int na = agg_value_number(a, &x), nb = agg_value_number(b, &y);
	if (na && nb)
		return (x > y) - (x < y);
	if (na != nb)
		return na ? -1 : 1;
	if (json_is_string(a) && json_is_string(b))
		return sign(strverscmp(json_string_value(a), json_string_value(b)));
	char *sa = agg_value_str(a), *sb = agg_value_str(b);
	int r = sign(strverscmp(sa, sb));
	free(sa);
	free(sb);
	return r;
}

/* Equal for reference matching: same value, or same text ignoring case. */
int
agg_value_match(const json_t *a, const json_t *b)
{
	if (!agg_value_cmp(a, b))
		return 1;
	char *sa = agg_value_str(a), *sb = agg_value_str(b);
	int r = !strcasecmp(sa, sb);
	free(sa);
	free(sb);
	return r;
}

const char *
agg_direction(const json_t *summary, const char *metric)
{
	const char *d = json_string_value(json_object_get(json_object_get(summary, "directions"), metric));
	if (!d)
		d = json_string_value(json_object_get(summary, "direction"));
	return d && !strcmp(d, "higher") ? "higher" : "lower";
}

int
agg_stat(const json_t *group, const char *metric, const char *field, double *out)
{
	const json_t *v = json_object_get(json_object_get(json_object_get(group, "stats"), metric), field);
	if (json_is_integer(v) || json_is_real(v)) {
		*out = json_number_value(v);
		return 1;
	}
	return 0;
}

const char *
agg_direction_norm(const char *d)
{
	static const char *const lower[] = { "lower", "min", "minimize", "minimise" };
	static const char *const higher[] = { "higher", "max", "maximize", "maximise" };
	for (size_t i = 0; d && i < ARRAY_SIZE(lower); i++) {
		if (!strcasecmp(d, lower[i]))
			return "lower";
		if (!strcasecmp(d, higher[i]))
			return "higher";
	}
	return NULL;
}

/* ---- statistics ---- */

/* Neumaier's compensated sum of x[0..n). */
static double
sum_compensated(const double *x, size_t n, double scale)
{
	double s = 0, c = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i] * scale, t = s + v;
		c += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
		s = t;
	}
	return s + c;
}

json_t *
agg_stats(const double *x, size_t n, size_t nonfinite)
{
	json_t *s = json_object();
	json_object_set_new(s, "n", json_integer((json_int_t)n));
	if (n == 0) {
		json_object_set_new(s, "mean", json_null());
		json_object_set_new(s, "std", json_null());
		json_object_set_new(s, "min", json_null());
		json_object_set_new(s, "max", json_null());
	} else {
		double lo = x[0], hi = x[0], mean, sd = 0;
		for (size_t i = 1; i < n; i++) {
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
		mean = sum_compensated(x, n, 1.0) / (double)n;
		if (!isfinite(mean))	/* the sum overflowed: sum x/n instead */
			mean = sum_compensated(x, n, 1.0 / (double)n);
		mean = mean < lo ? lo : mean > hi ? hi : mean;
		if (lo == hi) {
			mean = lo;
		} else if (n > 1) {
			/* corrected two-pass: (sum d^2 - (sum d)^2 / n) / (n - 1) */
			double ss = 0, sd1 = 0;
			for (size_t i = 0; i < n; i++) {
				double d = x[i] - mean;
				ss += d * d;
				sd1 += d;
			}
			double var = (ss - sd1 * sd1 / (double)n) / (double)(n - 1);
			sd = var > 0 ? sqrt(var) : 0;
		}
		json_object_set_new(s, "mean", agg_real(mean));
		json_object_set_new(s, "std", n > 1 ? agg_real(sd) : json_null());
		json_object_set_new(s, "min", json_real(lo));
		json_object_set_new(s, "max", json_real(hi));
	}
	if (nonfinite)
		json_object_set_new(s, "nonfinite", json_integer((json_int_t)nonfinite));
	return s;
}
