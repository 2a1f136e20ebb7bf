/*
 * write_priv.h - helpers shared by the writers in src/results/ (not an API;
 * in write_common.c).
 */
#ifndef ROS_RESULTS_WRITE_PRIV_H
#define ROS_RESULTS_WRITE_PRIV_H

#include <jansson.h>

#include "util/util.h"

#define WR_NUM 64

enum wr_style { WR_MD, WR_LATEX };

/* The strings of summary[field] (an array) appended to out. */
void wr_strv(const json_t *summary, const char *field, struct strv *out);

/* d with dec decimals ("%.*f"; exponent form from 1e15 on); never "-0.00".
 * The one way results prints a number for people (tables, summaries,
 * posts, the terminal). */
void wr_fixed(double d, int dec, char out[WR_NUM]);
/* The same with a sign: "+0.0012", "-0.0012", and "0.0000" for what prints
 * as zero. */
void wr_signed(double d, int dec, char out[WR_NUM]);
/* Append wr_fixed() of v, or "n/a" when v is not a number. */
void wr_num(struct buf *b, const json_t *v, int dec);
/* Append a summary's best (aggregate.h) as "0.3883 ± 0.0012 (n=3)", 4
 * decimals; the mean alone when it has no std. */
void wr_best_mean(struct buf *b, const json_t *best);

/*
 * Append "mean ± std" of group's metric in style (LaTeX: $\pm$, $-$ for a
 * minus sign), the mean alone when std is null or !show_std, and " (n=k)"
 * when fewer values than runs.  0 (nothing appended) when there is no mean.
 */
int wr_cell(struct buf *b, const json_t *group, const char *metric, int dec, int show_std,
	    enum wr_style st);

/*
 * The printed best mean of metric over groups[idx[0..n)] (every group when
 * idx is NULL): 1 and out, or 0 when none has a mean.
 */
int wr_best(const json_t *groups, const size_t *idx, size_t n, const char *metric, int higher,
	    int dec, char out[WR_NUM]);

/* s cut to at most max display columns, ending in an ellipsis when cut.
 * New string. */
char *wr_shorten(const char *s, size_t max);
/* The same, cut in the middle: its start and its end are kept. */
char *wr_shorten_mid(const char *s, size_t max);

/* 1 when group's printed mean of metric equals best (from wr_best). */
int wr_is_best(const json_t *group, const char *metric, int dec, const char *best);

#endif
