/*
 * write.h - render a summary (from aggregate_runs()) as Markdown, CSV,
 * LaTeX and SVG.
 *
 * Every writer returns a new NUL-terminated string (the caller frees it) or,
 * where it can fail, NULL with a one-line reason in *err.  Writers only read
 * the summary and tolerate missing fields (a summary read back from an
 * evidence file may be older or hand-edited): a missing value prints as
 * "n/a" (Markdown), "--" (LaTeX) or an empty field (CSV).
 *
 * Numbers: tables show means and standard deviations with 4 decimals
 * ("0.3891 ± 0.0012"); a group with one run shows the mean alone (its std
 * is null, see aggregate.h); a metric with fewer finite values than the
 * group has runs adds " (n=2)".  CSV holds full precision (shortest text
 * that reads back as the same double).  "Best" is the group whose mean
 * prints best for the metric's direction; groups whose printed mean ties
 * with it are bold too.
 */
#ifndef ROS_RESULTS_WRITE_H
#define ROS_RESULTS_WRITE_H

#include <jansson.h>

#include "util/util.h"

/*
 * Markdown table, one row per group: config keys, n, one "mean ± std"
 * column per metric (best in **bold**), plus "<m> ref" and "Δ <m>" columns
 * for metrics with reference values.  Pipes are aligned (cells padded to the
 * display width of the widest); numeric columns are right-aligned; '|' in
 * values is escaped.
 */
char *write_markdown(const json_t *summary);

/*
 * CSV (RFC 4180, LF line ends), one row per group: config keys, n, then per
 * metric <m>_mean, <m>_std, <m>_min, <m>_max, <m>_n and, for metrics with
 * any reference value, <m>_ref and <m>_delta.
 */
char *write_csv(const json_t *summary);

/*
 * Per-seed breakdown, one row per run: config keys, the `over` key, run_id,
 * one column per metric.  A non-finite value prints as "nan" in CSV (what
 * pandas and numpy read) and "non-finite" in Markdown.
 */
char *write_seeds_csv(const json_t *summary);
char *write_seeds_markdown(const json_t *summary);

enum latex_bold {
	LATEX_BOLD_AUTO,	/* pivot: per row; flat: per column */
	LATEX_BOLD_ROW,		/* pivot only: best across the columns of a line */
	LATEX_BOLD_COL,		/* best down a column */
	LATEX_BOLD_NONE,
};

struct latex_opts {
	const char *caption;		/* text (escaped); NULL: says what the numbers are */
	const char *label;		/* NULL: "tab:results"; other than [A-Za-z0-9:._-] -> '-' */
	const struct strv *metrics;	/* NULL: every metric of the summary */
	const struct strv *rows;	/* pivot: config keys down the side */
	const char *cols;		/* pivot: key whose values are the columns; NULL: flat */
	const char *col_label;		/* pivot: RAW LaTeX naming cols in headers ("$\\lambda$") */
	enum latex_bold bold;
	int decimals;			/* 0: 4 */
	int no_std;			/* means only */
};

/*
 * A complete booktabs table environment (table, \centering, \caption,
 * \label, tabular with \toprule, \midrule, \bottomrule) that compiles when
 * \input into a document loading booktabs (o NULL: the defaults).  Every
 * text from the summary is escaped (see latex_escape()).
 *
 * Flat layout (cols NULL): one line per group, config keys then one column
 * per metric, headed by the metric name and an arrow for its direction.
 *
 * Pivot layout (cols set), as in a paper's sweep table: for each combination
 * of the `rows` keys, one line per metric; one column per value of `cols`:
 *
 *   dataset & Metric & lambda=0 & lambda=0.01 \\
 *   ETTh1   & mse    & 0.3891   & 0.3883      \\
 *           & mae    & 0.4120   & 0.4116      \\
 *
 * Every other config key must be constant over the groups: NULL and an error
 * naming the key when two groups would land in one cell, or when rows or
 * cols name a key that is not in the summary's group_by.
 */
char *write_latex(const json_t *summary, const struct latex_opts *o, struct buf *err);

/*
 * Append s to b escaped for LaTeX text: & % $ # _ { } get a backslash;
 * ~ ^ \ < > | become \textasciitilde{} \textasciicircum{} \textbackslash{}
 * \textless{} \textgreater{} \textbar{}; control characters become spaces;
 * Greek letters and ± × µ ° – — … become their LaTeX commands; other
 * Latin-1 letters pass through (pdflatex reads them as UTF-8); any other
 * character, which pdflatex could not typeset without extra packages,
 * becomes '?'.
 */
void latex_escape(struct buf *b, const char *s);

/*
 * SVG bar chart of metric (NULL: the summary's primary metric): one <rect>
 * per group that has a mean, error bars of ± std, the best group in a darker
 * colour, a y axis with ticks labelled with the metric and its direction, x
 * labels (the config keys that vary) rotated, and a title (NULL: the metric,
 * over what, and the direction).  Text is XML-escaped.  NULL with *err when
 * the summary has no such metric or no group has a mean for it.
 */
char *write_svg(const json_t *summary, const char *metric, const char *title, struct buf *err);

/* Append s to b escaped for XML text and attributes (& < > " '); bytes not
 * allowed in XML 1.0 (control characters, U+FFFE, U+FFFF) become '?'. */
void xml_escape(struct buf *b, const char *s);

#endif
