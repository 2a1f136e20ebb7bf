/*
 * aggregate_priv.h - what aggregate.c takes from values.c (not an API).
 */
#ifndef ROS_RESULTS_AGGREGATE_PRIV_H
#define ROS_RESULTS_AGGREGATE_PRIV_H

#include <jansson.h>

/* A JSON real, or null when d is not finite (json_real() refuses those). */
json_t *agg_real(double d);

/* 1 and *d when v is a number or a string that is entirely a finite number. */
int agg_value_number(const json_t *v, double *d);

/* A metric value: 1 finite (in *d), -1 present but not finite (null, "nan",
 * "inf"), 0 not a metric at all (text, bool, object, array). */
int agg_metric_value(const json_t *v, double *d);

/* Equal for reference matching: same value, or same text ignoring case. */
int agg_value_match(const json_t *a, const json_t *b);

/* {"n", "mean", "std" (null for one value), "min", "max"[, "nonfinite"]}
 * of x[0..n) (nonfinite: values left out for not being finite); the mean
 * is a compensated sum, the std a corrected two-pass sample std. */
json_t *agg_stats(const double *x, size_t n, size_t nonfinite);

#endif
