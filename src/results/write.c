/*
 * write.c - the Markdown and CSV writers (see write.h).
 */
#include "results/write.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "results/aggregate.h"
#include "results/metrics.h"
#include "results/write_priv.h"

/* Does any group have a reference value for metric? */
static int
has_reference(const json_t *groups, const char *metric)
{
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g)
		if (json_object_get(json_object_get(g, "reference"), metric))
			return 1;
	return 0;
}

/* Is v a number or a string holding one? */
static int
numeric(const json_t *v)
{
	double d;
	return json_is_number(v) || (json_is_string(v) && parse_double(json_string_value(v), &d) == 0);
}

/* Is every present value of config key k over the groups numeric? */
static int
numeric_key(const json_t *groups, const char *k)
{
	size_t i;
	json_t *g;
	int any = 0;
	json_array_foreach(groups, i, g) {
		const json_t *v = json_object_get(json_object_get(g, "config"), k);
		if (!v || json_is_null(v))
			continue;
		if (!numeric(v))
			return 0;
		any = 1;
	}
	return any;
}

/* ---- Markdown ---- */

/*
 * Display columns of s: 2 for East Asian wide and fullwidth characters and
 * emoji, 0 for combining marks, 1 for the rest (a terminal's view; util's
 * utf8_width() counts every character as 1).
 */
static size_t
display_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t w = 0;
	while (*s) {
		uint32_t cp;
		size_t n = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3
			 : (*s & 0xF8) == 0xF0 ? 4 : 1;
		if (n > 1 && !utf8_valid((const char *)s, n))
			n = 1;
		cp = n == 1 ? *s : (uint32_t)(*s & (0x7F >> n));
		for (size_t i = 1; i < n; i++)
			cp = (cp << 6) | (s[i] & 0x3F);
		s += n;
		if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFE0F)
			continue;
		w += (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
		     (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
		     (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
		     (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
		     (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD) ? 2 : 1;
	}
	return w;
}

struct mdtab {
	size_t ncols;
	struct strv cells;	/* row-major; row 0 is the header */
	struct buf align;	/* 'l' or 'r' per column */
};

/* Add a cell, escaping '|' and turning control characters into spaces. */
static void
md_cell(struct mdtab *t, const char *s)
{
	struct buf b = BUF_INIT;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '|')
			buf_adds(&b, "\\|");
		else
			buf_addc(&b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	strv_push_nocopy(&t->cells, buf_detach(&b));
}

static void
md_pad(struct buf *b, size_t n)
{
	while (n--)
		buf_addc(b, ' ');
}

static char *
md_render(struct mdtab *t)
{
	struct buf b = BUF_INIT;
	if (!t->ncols)
		return xstrdup("");
	size_t *w = xcalloc(t->ncols, sizeof(*w)), nrows = t->cells.n / t->ncols;
	for (size_t i = 0; i < t->cells.n; i++) {
		size_t cw = display_width(t->cells.v[i]);
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t c = 0; c < t->ncols; c++)
		if (w[c] < 3)
			w[c] = 3;
	for (size_t r = 0; r < nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells.v[r * t->ncols + c];
			size_t pad = w[c] - display_width(s);
			buf_adds(&b, "| ");
			if (t->align.s[c] == 'r' && r > 0)
				md_pad(&b, pad);
			buf_adds(&b, s);
			if (t->align.s[c] != 'r' || r == 0)
				md_pad(&b, pad);
			buf_addc(&b, ' ');
		}
		buf_adds(&b, "|\n");
		if (r == 0) {
			for (size_t c = 0; c < t->ncols; c++) {
				int right = t->align.s[c] == 'r';
				buf_adds(&b, right ? "|" : "|:");
				for (size_t k = 0; k < w[c] + 1; k++)
					buf_addc(&b, '-');
				buf_adds(&b, right ? ":" : "");
			}
			buf_adds(&b, "|\n");
		}
	}
	free(w);
	return buf_detach(&b);
}

static void
md_release(struct mdtab *t)
{
	strv_release(&t->cells);
	buf_release(&t->align);
}

char *
write_markdown(const json_t *summary)
{
	struct strv keys = STRV_INIT, metrics = STRV_INIT;
	struct mdtab t = { 0, STRV_INIT, BUF_INIT };
	const json_t *groups = json_object_get(summary, "groups");
	size_t i, m;
	json_t *g;

	wr_strv(summary, "group_by", &keys);
	wr_strv(summary, "metrics", &metrics);
	char (*best)[WR_NUM] = xcalloc(metrics.n ? metrics.n : 1, sizeof(*best));
	char *hasbest = xcalloc(metrics.n + 1, 1), *hasref = xcalloc(metrics.n + 1, 1);

	for (i = 0; i < keys.n; i++) {
		md_cell(&t, keys.v[i]);
		buf_addc(&t.align, numeric_key(groups, keys.v[i]) ? 'r' : 'l');
	}
	md_cell(&t, "n");
	buf_addc(&t.align, 'r');
	for (m = 0; m < metrics.n; m++) {
		int higher = !strcmp(agg_direction(summary, metrics.v[m]), "higher");
		hasbest[m] = (char)wr_best(groups, NULL, 0, metrics.v[m], higher, 4, best[m]);
		hasref[m] = (char)has_reference(groups, metrics.v[m]);
		md_cell(&t, metrics.v[m]);
		buf_addc(&t.align, 'r');
		if (hasref[m]) {
			char *h = xasprintf("%s ref", metrics.v[m]);
			md_cell(&t, h);
			free(h);
			h = xasprintf("\xCE\x94 %s", metrics.v[m]);
			md_cell(&t, h);
			free(h);
			buf_adds(&t.align, "rr");
		}
	}
	t.ncols = t.align.len;

	json_array_foreach(groups, i, g) {
		const json_t *config = json_object_get(g, "config");
		for (size_t k = 0; k < keys.n; k++) {
			const json_t *v = json_object_get(config, keys.v[k]);
			char *s = v && !json_is_null(v) ? agg_value_str(v) : xstrdup("");
			md_cell(&t, s);
			free(s);
		}
		const json_t *n = json_object_get(g, "n");
		char *ns = json_is_integer(n) ? agg_value_str(n) : xstrdup("");
		md_cell(&t, ns);
		free(ns);
		for (m = 0; m < metrics.n; m++) {
			struct buf c = BUF_INIT;
			int bold = hasbest[m] && wr_is_best(g, metrics.v[m], 4, best[m]);
			if (bold)
				buf_adds(&c, "**");
			if (!wr_cell(&c, g, metrics.v[m], 4, 1, WR_MD))
				buf_adds(&c, "n/a");
			if (bold)
				buf_adds(&c, "**");
			md_cell(&t, buf_cstr(&c));
			buf_release(&c);
			if (hasref[m]) {
				char num[WR_NUM];
				const json_t *r = json_object_get(json_object_get(g, "reference"), metrics.v[m]);
				const json_t *dl = json_object_get(json_object_get(g, "delta"), metrics.v[m]);
				if (json_is_number(r))
					wr_fixed(json_number_value(r), 4, num);
				md_cell(&t, json_is_number(r) ? num : "");
				if (json_is_number(dl))
					wr_signed(json_number_value(dl), 4, num);
				md_cell(&t, json_is_number(dl) ? num : "");
			}
		}
	}
	char *out = md_render(&t);
	md_release(&t);
	strv_release(&keys);
	strv_release(&metrics);
	free(best);
	free(hasbest);
	free(hasref);
	return out;
}

/* ---- CSV ---- */

static void
csv_field(struct buf *b, const char *s, int first)
{
	if (!first)
		buf_addc(b, ',');
	if (!strpbrk(s, ",\"\r\n") && !(*s == ' ' || (*s && s[strlen(s) - 1] == ' '))) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* A number in full precision, "" for anything else. */
static void
csv_num(struct buf *b, const json_t *v)
{
	char num[32];
	if (json_is_integer(v)) {
		buf_addf(b, ",%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		fmt_double(json_real_value(v), num);
		buf_addf(b, ",%s", num);
	} else {
		buf_addc(b, ',');
	}
}

char *
write_csv(const json_t *summary)
{
	static const char *const fields[] = { "mean", "std", "min", "max", "n" };
	struct strv keys = STRV_INIT, metrics = STRV_INIT;
	struct buf b = BUF_INIT;
	const json_t *groups = json_object_get(summary, "groups");
	size_t i, m, k;
	json_t *g;

	wr_strv(summary, "group_by", &keys);
	wr_strv(summary, "metrics", &metrics);
	char *hasref = xcalloc(metrics.n ? metrics.n : 1, 1);
	for (k = 0; k < keys.n; k++)
		csv_field(&b, keys.v[k], k == 0);
	csv_field(&b, "n", keys.n == 0);
	for (m = 0; m < metrics.n; m++) {
		hasref[m] = (char)has_reference(groups, metrics.v[m]);
		for (k = 0; k < ARRAY_SIZE(fields) + (hasref[m] ? 2 : 0); k++) {
			char *h = xasprintf("%s_%s", metrics.v[m],
					    k < ARRAY_SIZE(fields) ? fields[k] : k == ARRAY_SIZE(fields) ? "ref" : "delta");
			csv_field(&b, h, 0);
			free(h);
		}
	}
	buf_addc(&b, '\n');
	json_array_foreach(groups, i, g) {
		const json_t *config = json_object_get(g, "config");
		for (k = 0; k < keys.n; k++) {
			const json_t *v = json_object_get(config, keys.v[k]);
			char *s = v && !json_is_null(v) ? agg_value_str(v) : xstrdup("");
			csv_field(&b, s, k == 0);
			free(s);
		}
		if (keys.n)
			buf_addc(&b, ',');
		if (json_is_integer(json_object_get(g, "n")))
			buf_addf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(g, "n")));
		for (m = 0; m < metrics.n; m++) {
			const json_t *st = json_object_get(json_object_get(g, "stats"), metrics.v[m]);
			for (k = 0; k < ARRAY_SIZE(fields); k++)
				csv_num(&b, json_object_get(st, fields[k]));
			if (hasref[m]) {
				csv_num(&b, json_object_get(json_object_get(g, "reference"), metrics.v[m]));
				csv_num(&b, json_object_get(json_object_get(g, "delta"), metrics.v[m]));
			}
		}
		buf_addc(&b, '\n');
	}
	strv_release(&keys);
	strv_release(&metrics);
	free(hasref);
	return buf_detach(&b);
}

/* ---- per seed ---- */

/* The entry of the i-th run of group g in its field ("per_seed" or
 * "per_seed_text"), found by the run's seed, else its run id; NULL when
 * there is none. */
static const json_t *
seed_entry(const json_t *g, const char *field, size_t i)
{
	const json_t *per = json_object_get(g, field);
	const json_t *seed = json_array_get(json_object_get(g, "seeds"), i);
	const json_t *row = NULL;
	if (!per)
		return NULL;
	if (seed && !json_is_null(seed)) {
		char *s = agg_value_str(seed);
		row = json_object_get(per, s);
		free(s);
	}
	if (!row) {
		const char *id = json_string_value(json_array_get(json_object_get(g, "run_ids"), i));
		row = json_object_get(per, id ? id : "");
	}
	return row;
}

/* Rows of the per-seed table as strings: calls emit() once per cell. */
static void
seed_table(const json_t *summary, int md, void (*emit)(void *, const char *, size_t), void *arg)
{
	struct strv keys = STRV_INIT, metrics = STRV_INIT;
	const char *over = json_string_value(json_object_get(summary, "over"));
	size_t i, j, k, col;
	json_t *g;

	wr_strv(summary, "group_by", &keys);
	wr_strv(summary, "metrics", &metrics);
	col = 0;
	for (k = 0; k < keys.n; k++)
		emit(arg, keys.v[k], col++);
	emit(arg, over ? over : "seed", col++);
	emit(arg, "run_id", col++);
	for (k = 0; k < metrics.n; k++)
		emit(arg, metrics.v[k], col++);
	json_array_foreach(json_object_get(summary, "groups"), i, g) {
		const json_t *config = json_object_get(g, "config");
		size_t nseeds = json_array_size(json_object_get(g, "seeds"));
		for (j = 0; j < nseeds; j++) {
			const json_t *row = seed_entry(g, "per_seed", j), *trow = seed_entry(g, "per_seed_text", j);
			const json_t *seed = json_array_get(json_object_get(g, "seeds"), j);
			col = 0;
			for (k = 0; k < keys.n; k++) {
				const json_t *v = json_object_get(config, keys.v[k]);
				char *s = v && !json_is_null(v) ? agg_value_str(v) : xstrdup("");
				emit(arg, s, col++);
				free(s);
			}
			char *s = seed && !json_is_null(seed) ? agg_value_str(seed) : xstrdup("");
			emit(arg, s, col++);
			free(s);
			const char *id = json_string_value(json_array_get(json_object_get(g, "run_ids"), j));
			emit(arg, id ? id : "", col++);
			for (k = 0; k < metrics.n; k++) {
				const json_t *v = json_object_get(row, metrics.v[k]);
				const json_t *t = json_object_get(trow, metrics.v[k]);
				char num[METRIC_TEXT_MAX > WR_NUM ? METRIC_TEXT_MAX : WR_NUM];
				if (json_is_string(t) && v)	/* as the log wrote it */
					metric_text(v, t, num);
				else if (json_is_number(v) && md)
					wr_fixed(json_number_value(v), 4, num);
				else if (json_is_number(v))
					fmt_double(json_number_value(v), num);
				else
					snprintf(num, sizeof(num), "%s", !v ? "" : md ? "non-finite" : "nan");
				emit(arg, num, col++);
			}
		}
	}
	strv_release(&keys);
	strv_release(&metrics);
}

struct seed_csv {
	struct buf b;
	size_t ncols;
};

static void
emit_csv(void *arg, const char *s, size_t col)
{
	struct seed_csv *c = arg;
	if (col == 0 && c->b.len)
		buf_addc(&c->b, '\n');
	csv_field(&c->b, s, col == 0);
}

char *
write_seeds_csv(const json_t *summary)
{
	struct seed_csv c = { BUF_INIT, 0 };
	seed_table(summary, 0, emit_csv, &c);
	buf_addc(&c.b, '\n');
	return buf_detach(&c.b);
}

static void
emit_md(void *arg, const char *s, size_t col)
{
	md_cell(arg, s);
}

/* Are all the seeds of all groups numbers? */
static int
numeric_seeds(const json_t *groups)
{
	size_t i, j;
	json_t *g, *v;
	json_array_foreach(groups, i, g)
		json_array_foreach(json_object_get(g, "seeds"), j, v)
			if (!numeric(v))
				return 0;
	return 1;
}

char *
write_seeds_markdown(const json_t *summary)
{
	struct mdtab t = { 0, STRV_INIT, BUF_INIT };
	struct strv keys = STRV_INIT, metrics = STRV_INIT;
	const json_t *groups = json_object_get(summary, "groups");

	wr_strv(summary, "group_by", &keys);
	wr_strv(summary, "metrics", &metrics);
	for (size_t k = 0; k < keys.n; k++)
		buf_addc(&t.align, numeric_key(groups, keys.v[k]) ? 'r' : 'l');
	buf_adds(&t.align, numeric_seeds(groups) ? "rl" : "ll");
	for (size_t k = 0; k < metrics.n; k++)
		buf_addc(&t.align, 'r');
	t.ncols = t.align.len;
	seed_table(summary, 1, emit_md, &t);
	char *out = md_render(&t);
	md_release(&t);
	strv_release(&keys);
	strv_release(&metrics);
	return out;
}
