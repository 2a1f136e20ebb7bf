/*
 * svg.c - a bar chart of one metric over the groups of a summary, with
 * ± std error bars (see write.h).  Plain SVG 1.1, no scripts, no CSS files.
 */
#include "results/write.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/aggregate.h"
#include "results/write_priv.h"

#define PLOT_H 300.0
#define LEFT_MIN 90.0
#define RIGHT 30.0
#define TOP 70.0
#define LABEL_MAX 32		/* display characters of an x label */

void
xml_escape(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned char c = *s;
		if (c < 0x80) {
			switch (c) {
			case '&': buf_adds(b, "&amp;"); break;
			case '<': buf_adds(b, "&lt;"); break;
			case '>': buf_adds(b, "&gt;"); break;
			case '"': buf_adds(b, "&quot;"); break;
			case '\'': buf_adds(b, "&#39;"); break;
			default:
				buf_addc(b, (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F
						? '?' : (char)c);
			}
			s++;
			continue;
		}
		size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (!n || !utf8_valid((const char *)s, n)) {
			buf_addc(b, '?');
			s++;
			continue;
		}
		if (n == 3 && c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) {
			buf_addc(b, '?');	/* U+FFFE, U+FFFF: not XML characters */
			s += n;
			continue;
		}
		buf_add(b, s, n);
		s += n;
	}
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for span / 5. */
static double
nice_step(double span)
{
	double raw = span / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void
text(struct buf *b, double x, double y, const char *attrs, const char *s)
{
	buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "", attrs);
	xml_escape(b, s);
	buf_adds(b, "</text>\n");
}

char *
write_svg(const json_t *summary, const char *metric, const char *title, struct buf *err)
{
	const json_t *groups = json_object_get(summary, "groups");
	struct strv keys = STRV_INIT, vary = STRV_INIT, metrics = STRV_INIT, labels = STRV_INIT;
	size_t ng = json_array_size(groups), i, k, nbars = 0, maxlab = 0;
	const char *over = json_string_value(json_object_get(summary, "over"));
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	char *out = NULL, best[WR_NUM];
	double lo = 0, hi = 0, mean, sd;
	json_t *g;

	if (!metric)
		metric = json_string_value(json_object_get(summary, "metric"));
	wr_strv(summary, "metrics", &metrics);
	if (!metric || !strv_has(&metrics, metric)) {
		buf_addf(err, "svg: no metric '%s' in the summary", metric ? metric : "");
		goto out;
	}
	int higher = !strcmp(agg_direction(summary, metric), "higher");
	int hasbest = wr_best(groups, NULL, 0, metric, higher, 4, best);

	/* the config keys that vary name the bars; if none varies, all do */
	wr_strv(summary, "group_by", &keys);
	const json_t *config0 = json_object_get(json_array_get(groups, 0), "config");
	for (k = 0; k < keys.n; k++)
		for (i = 1; i < ng; i++) {
			const json_t *config = json_object_get(json_array_get(groups, i), "config");
			if (agg_value_cmp(json_object_get(config0, keys.v[k]),
					  json_object_get(config, keys.v[k]))) {
				strv_push(&vary, keys.v[k]);
				break;
			}
		}
	if (!vary.n)
		for (k = 0; k < keys.n; k++)
			strv_push(&vary, keys.v[k]);
	json_array_foreach(groups, i, g) {
		buf_reset(&tmp);
		for (k = 0; k < vary.n; k++) {
			const json_t *v = json_object_get(json_object_get(g, "config"), vary.v[k]);
			char *s = v && !json_is_null(v) ? agg_value_str(v) : xstrdup("-");
			buf_addf(&tmp, "%s%s", k ? ", " : "", s);
			free(s);
		}
		char *l = wr_shorten(vary.n ? buf_cstr(&tmp) : "all", LABEL_MAX);
		maxlab = utf8_width(l) > maxlab ? utf8_width(l) : maxlab;
		strv_push_nocopy(&labels, l);
		if (!agg_stat(g, metric, "mean", &mean))
			continue;
		if (!agg_stat(g, metric, "std", &sd))
			sd = 0;
		nbars++;
		lo = fmin(lo, mean - sd);
		hi = fmax(hi, mean + sd);
	}
	if (!nbars) {
		buf_addf(err, "svg: no group has a mean for '%s'", metric);
		goto out;
	}
	if (!isfinite(lo) || !isfinite(hi)) {
		buf_addf(err, "svg: values of '%s' are too large to plot", metric);
		goto out;
	}
	if (hi == lo)
		hi = lo + 1;
	double step = nice_step(hi - lo), y0 = floor(lo / step) * step, y1 = ceil(hi / step) * step;
	int tdec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	double slot = ng > 12 ? 40 : 64, pw = slot * (double)ng;
	/* room on the left for the first rotated label (cos 40 deg = 0.77) */
	double left = fmax(LEFT_MIN, (double)maxlab * 6.5 * 0.77 - slot / 2 + 10);
	double width = fmax(520, left + pw + RIGHT);
	double labh = (double)maxlab * 6.5 * 0.64 + 16, height = TOP + PLOT_H + labh + 40;
	double bw = slot * 0.6;
	double x0 = left + (width - left - RIGHT - pw) / 2;	/* centre the bars */
#define YPOS(v) (TOP + PLOT_H - ((v) - y0) / (y1 - y0) * PLOT_H)

	buf_addf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		 "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\" "
		 "font-size=\"12\" style=\"background:#ffffff\">\n", width, height, width, height);
	buf_reset(&tmp);
	if (title) {
		buf_adds(&tmp, title);
	} else {
		buf_addf(&tmp, "%s: mean \xC2\xB1 std over %s", metric, over ? over : "seed");
	}
	buf_adds(&b, "<title>");
	xml_escape(&b, tmp.s);
	buf_adds(&b, "</title>\n");
	text(&b, width / 2, 24, "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"", tmp.s);
	buf_reset(&tmp);
	buf_addf(&tmp, "%s is better%s; error bars: \xC2\xB1 1 sample std", higher ? "higher" : "lower",
		 hasbest ? "; darker bar: best" : "");
	text(&b, width / 2, 44, "text-anchor=\"middle\" fill=\"#555555\"", tmp.s);

	/* y axis, grid and ticks */
	int nt = (int)floor((y1 - y0) / step + 0.5);
	for (int t = 0; t <= nt && t <= 50; t++) {
		double v = y0 + step * t, y = YPOS(v);
		char num[WR_NUM];
		wr_fixed(v, tdec, num);
		buf_addf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
			 left, y, width - RIGHT, y);
		text(&b, left - 6, y + 4, "text-anchor=\"end\"", num);
	}
	buf_addf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
		 left, TOP, left, TOP + PLOT_H);
	buf_addf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
		 left, YPOS(0), width - RIGHT, YPOS(0));
	buf_reset(&tmp);
	buf_addf(&tmp, "%s (%s is better)", metric, higher ? "higher" : "lower");
	buf_addf(&b, "<text transform=\"translate(22,%.1f) rotate(-90)\" text-anchor=\"middle\">",
		 TOP + PLOT_H / 2);
	xml_escape(&b, tmp.s);
	buf_adds(&b, "</text>\n");

	/* bars */
	json_array_foreach(groups, i, g) {
		double cx = x0 + slot * ((double)i + 0.5), lx = cx, ly = TOP + PLOT_H + 14;
		if (agg_stat(g, metric, "mean", &mean)) {
			int isbest = hasbest && wr_is_best(g, metric, 4, best);
			int hassd = agg_stat(g, metric, "std", &sd);
			double ym = YPOS(mean), yz = YPOS(0);
			buf_addf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				 "fill=\"%s\" stroke=\"#2b4f73\">",
				 cx - bw / 2, fmin(ym, yz), bw, fabs(yz - ym), isbest ? "#2b6cb0" : "#9dbfe0");
			buf_reset(&tmp);
			buf_adds(&tmp, labels.v[i]);
			buf_adds(&tmp, ": ");
			wr_cell(&tmp, g, metric, 4, 1, WR_MD);
			buf_addf(&tmp, " (n=%" JSON_INTEGER_FORMAT ")",
				 json_integer_value(json_object_get(g, "n")));
			buf_adds(&b, "<title>");
			xml_escape(&b, tmp.s);
			buf_adds(&b, "</title></rect>\n");
			double ytop = ym;
			if (hassd && sd > 0) {
				double ya = YPOS(mean - sd), yb = YPOS(mean + sd);
				buf_addf(&b, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
					 "stroke=\"#222222\" fill=\"none\"/>\n",
					 cx, ya, yb, cx - 6, ya, cx + 6, cx - 6, yb, cx + 6);
				ytop = fmin(ya, yb);
			}
			if (ng <= 24) {
				char num[WR_NUM];
				wr_fixed(mean, 4, num);
				text(&b, cx, fmin(ytop, yz) - 5, "text-anchor=\"middle\" font-size=\"10\"", num);
			}
		} else {
			text(&b, cx, YPOS(0) - 5, "text-anchor=\"middle\" font-size=\"10\" fill=\"#888888\"", "n/a");
		}
		char attrs[128];
		snprintf(attrs, sizeof(attrs), "text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\"", lx, ly);
		text(&b, lx, ly, attrs, labels.v[i]);
	}
	buf_reset(&tmp);
	for (k = 0; k < vary.n; k++)
		buf_addf(&tmp, "%s%s", k ? ", " : "", vary.v[k]);
	text(&b, left + (width - left - RIGHT) / 2, height - 10, "text-anchor=\"middle\"",
	     vary.n ? tmp.s : "configuration");
	buf_adds(&b, "</svg>\n");
	out = buf_detach(&b);
#undef YPOS
out:
	buf_release(&b);
	buf_release(&tmp);
	strv_release(&keys);
	strv_release(&vary);
	strv_release(&metrics);
	strv_release(&labels);
	return out;
}
