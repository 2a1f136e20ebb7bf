/*
 * metrics_priv.h - what the metric parsers share (not an API).  metrics.c
 * holds the spec kinds, the default key=value parser and metrics.h's entry
 * points; metrics_json.c the json and jsonl parsers; metrics_regex.c the
 * regex parser.  Every parser adds its messages to err one per line
 * (mp_msg_line()) and scans linearly (see metrics.c).
 */
#ifndef ROS_RESULTS_METRICS_PRIV_H
#define ROS_RESULTS_METRICS_PRIV_H

#include <jansson.h>
#include <regex.h>

#include "results/metrics.h"
#include "util/util.h"

#define NUM_MAX 64		/* longest value token looked at */

static inline int
mp_is_key_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static inline int
mp_is_key_char(unsigned char c)
{
	return mp_is_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

static inline int
mp_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static inline int
mp_is_eol(unsigned char c, int nul_too)
{
	return c == '\n' || c == '\r' || (nul_too && c == 0);
}

/* Append at most max bytes of s[0..n) to b, printable ASCII only ('?' for the rest). */
void mp_add_clean(struct buf *b, const char *s, size_t n, size_t max);
/* Start a new message line in err (warnings accumulate one per line). */
struct buf *mp_msg_line(struct buf *err);
/* Parse a whole token as a number.  1: finite value in *v; -1: a number but
 * not finite (nan, inf, overflow); 0: not a number at all. */
int mp_parse_number(const char *s, size_t n, double *v);
/* Record name -> v (or null when not finite, with a warning naming the
 * token), and in text (when not NULL) the token as written: tok NULL when
 * there is none (a JSON number), or too long to keep. */
void mp_record(json_t *out, json_t *text, const char *name, int st, double v, const char *tok, size_t toklen,
	       struct buf *err);

/* ---- metrics_json.c ---- */

/* The metrics of the last line holding a JSON object with any, or NULL. */
json_t *mp_last_json_line(const char *log, size_t len, json_t *text, struct buf *err);
/* One JSON record (metrics_parse_json_record()); written as text there. */
json_t *mp_json_record(const char *text, size_t len, json_t *written, struct buf *err);

/* ---- metrics_regex.c ---- */

struct re_metric {
	char name[METRIC_KEY_MAX + 1];
	regex_t re;
};

/* Compile regex:NAME=ERE;... (list is what follows "regex:"): how many, and
 * *out (free with mp_free_res()), or -1 with err set. */
int mp_compile_res(const char *list, struct re_metric **out, struct buf *err);
void mp_free_res(struct re_metric *res, size_t n);
/* The regex parser: each NAME's last match in the log. */
json_t *mp_parse_regex(const char *list, const char *log, size_t len, json_t *text, struct buf *err);

#endif
