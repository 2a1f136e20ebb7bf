/*
 * jx.h - jansson helpers: reading and setting values of objects, and a
 * writer that formats values the way Python's json.dump(indent=2) does,
 * for files (json_write) and for --json output and messages
 * (json_print, json_compact).
 */
#ifndef ROS_JX_H
#define ROS_JX_H

#include <jansson.h>
#include "util/util.h"

/* Append v to out formatted as Python's json.dumps(v, indent=2) would,
 * with every line after the first indented by `indent` extra spaces
 * (ensure_ascii: non-ASCII as \uXXXX). */
void json_write(struct buf *out, const json_t *v, int indent);
/* One value on one line (for logs and --json rows): compact, UTF-8 kept
 * (but DEL and C1 controls, U+0080..U+009F, as \uXXXX: it may meet a terminal). */
char *json_compact(const json_t *v);
/* Print v pretty (indent 2, UTF-8 kept as json_compact does) and a newline to stdout. */
void json_print(const json_t *v);
/* Append s[0..n) (valid UTF-8) as a JSON string, quotes included, the way
 * json_compact writes one. */
void json_quote(struct buf *out, const char *s, size_t n);

/* Borrowed string of a key or "" / NULL. */
const char *jstr(const json_t *obj, const char *key);	/* NULL when absent or not a string */
const char *jstr0(const json_t *obj, const char *key);	/* "" when absent */
/* Integer from a number or a numeric string (the old tool wrote pid and
 * exit_code as strings). 0 found, -1 absent/invalid. */
int jint(const json_t *obj, const char *key, long long *out);
long long jint0(const json_t *obj, const char *key);	/* jint's value, 0 when absent/invalid */
int jnum(const json_t *obj, const char *key, double *out);
void jset_str(json_t *obj, const char *key, const char *val);
void jset_int(json_t *obj, const char *key, long long val);

#endif
