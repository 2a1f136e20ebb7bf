/*
 * write_common.c - what every writer of src/results shares: numbers,
 * "mean ± std" cells, the best of a column, text cut to a width (see
 * write_priv.h).
 */
#include "results/write.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/aggregate.h"
#include "results/write_priv.h"

void
wr_strv(const json_t *summary, const char *field, struct strv *out)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(summary, field), i, v)
		if (json_is_string(v))
			strv_push(out, json_string_value(v));
}

void
wr_fixed(double d, int dec, char out[WR_NUM])
{
	if (!isfinite(d)) {
		snprintf(out, WR_NUM, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
		return;
	}
	snprintf(out, WR_NUM, fabs(d) >= 1e15 ? "%.*e" : "%.*f", dec, d);
	if (out[0] == '-' && !strpbrk(out, "123456789"))
		memmove(out, out + 1, strlen(out));
}

void
wr_signed(double d, int dec, char out[WR_NUM])
{
	wr_fixed(d, dec, out);
	if (d > 0 && (isinf(d) || strpbrk(out, "123456789")) && strlen(out) + 1 < WR_NUM) {
		memmove(out + 1, out, strlen(out) + 1);
		out[0] = '+';
	}
}

void
wr_num(struct buf *b, const json_t *v, int dec)
{
	char num[WR_NUM];
	if (json_is_number(v)) {
		wr_fixed(json_number_value(v), dec, num);
		buf_adds(b, num);
	} else {
		buf_adds(b, "n/a");
	}
}

void
wr_best_mean(struct buf *b, const json_t *best)
{
	wr_num(b, json_object_get(best, "mean"), 4);
	if (json_is_number(json_object_get(best, "std"))) {
		buf_adds(b, " \xC2\xB1 ");
		wr_num(b, json_object_get(best, "std"), 4);
	}
	buf_addf(b, " (n=%lld)", (long long)json_number_value(json_object_get(best, "n")));
}

static void
add_num(struct buf *b, double d, int dec, enum wr_style st)
{
	char num[WR_NUM];
	wr_fixed(d, dec, num);
	if (st == WR_LATEX && num[0] == '-') {
		buf_adds(b, "$-$");
		buf_adds(b, num + 1);
	} else {
		buf_adds(b, num);
	}
}

int
wr_cell(struct buf *b, const json_t *group, const char *metric, int dec, int show_std,
	enum wr_style st)
{
	double mean, sd, n;
	if (!agg_stat(group, metric, "mean", &mean))
		return 0;
	add_num(b, mean, dec, st);
	if (show_std && agg_stat(group, metric, "std", &sd)) {
		buf_adds(b, st == WR_LATEX ? " $\\pm$ " : " \xC2\xB1 ");
		add_num(b, sd, dec, st);
	}
	const json_t *gn = json_object_get(group, "n");
	if (agg_stat(group, metric, "n", &n) && json_is_integer(gn) &&
	    (json_int_t)n < json_integer_value(gn))
		buf_addf(b, " (n=%.0f)", n);
	return 1;
}

int
wr_best(const json_t *groups, const size_t *idx, size_t n, const char *metric, int higher,
	int dec, char out[WR_NUM])
{
	int found = 0;
	double best = 0, mean;
	if (!idx)
		n = json_array_size(groups);
	for (size_t i = 0; i < n; i++) {
		const json_t *g = json_array_get(groups, idx ? idx[i] : i);
		if (!agg_stat(g, metric, "mean", &mean))
			continue;
		if (!found || (higher ? mean > best : mean < best)) {
			best = mean;
			found = 1;
		}
	}
	if (found)
		wr_fixed(best, dec, out);
	return found;
}

int
wr_is_best(const json_t *group, const char *metric, int dec, const char *best)
{
	double mean;
	char num[WR_NUM];
	if (!best || !agg_stat(group, metric, "mean", &mean))
		return 0;
	wr_fixed(mean, dec, num);
	return !strcmp(num, best);
}

char *
wr_shorten(const char *s, size_t max)
{
	if (utf8_width(s) <= max)
		return xstrdup(s);
	size_t w = 0;
	const char *p = s;
	for (; *p; p++) {
		if ((*p & 0xC0) != 0x80 && ++w > max - 1)
			break;
	}
	return xasprintf("%.*s\xE2\x80\xA6", (int)(p - s), s);
}

char *
wr_shorten_mid(const char *s, size_t max)
{
	size_t w = utf8_width(s), head = max * 2 / 5, tail = max - head - 1, i = 0;
	if (w <= max)
		return xstrdup(s);
	const char *p = s, *t = NULL;
	for (; *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;
		if (i == head)
			break;
		i++;
	}
	i = 0;
	for (const char *q = s; *q; q++) {
		if ((*q & 0xC0) == 0x80)
			continue;
		if (i++ == w - tail) {
			t = q;
			break;
		}
	}
	return xasprintf("%.*s\xE2\x80\xA6%s", (int)(p - s), s, t ? t : "");
}
