/*
 * json.h - a fast validating scanner for queue files, and a writer that
 * formats values the way Python's json.dump(indent=2) does.
 *
 * The scanner checks a whole file against the JSON grammar (and UTF-8) at
 * memory speed without building values, and returns the byte span of each
 * element of the top-level array plus the raw spans of a few top-level keys
 * of each element object ("id", "status", "project_id", ...; a key is found
 * however it is spelt, "st\u0061tus" too).  jansson then parses only the
 * entries a command actually reads or changes.
 *
 * So that the scanner's view and jansson's never differ, the scanner
 * refuses whatever jansson would refuse or read another way: an object
 * with a key twice (at any depth, also when the two only match once
 * escapes are decoded), \u0000, an unpaired UTF-16 surrogate escape, an
 * integer beyond 64 bits, a real beyond a double.
 */
#ifndef ROS_JSON_H
#define ROS_JSON_H

#include <jansson.h>
#include <stdint.h>
#include "util/util.h"

enum jkey { JK_ID, JK_STATUS, JK_PROJECT, JK_WORKER, JK_COMMAND, JK_ENV, JK_ENDED, JK_NKEYS };

extern const char *const jkey_names[JK_NKEYS];	/* "id", "status", ... */

struct jspan {
	size_t off, len;	/* len 0: absent (or not a string) */
};

struct jelem {
	size_t off, len;		/* the element's bytes */
	struct jspan key[JK_NKEYS];	/* raw string contents (between the quotes) */
	int is_object;
};

/* Scan text as a JSON array.  On success *elems (caller frees) holds *n
 * elements and 0 is returned.  On error returns -1 and writes
 * "LINE:COL: what is wrong" into err, for a duplicate key
 * "LINE:COL: duplicate key "KEY" (also at line L)" (the second one's place). */
int jscan_array(const char *text, size_t len, struct jelem **elems, size_t *n, struct buf *err);

/* Decode the raw contents of a JSON string (no quotes) into a new C string. */
char *jstr_decode(const char *raw, size_t len);

/* Append v to out formatted as Python's json.dumps(v, indent=2) would,
 * with every line after the first indented by `indent` extra spaces
 * (ensure_ascii: non-ASCII as \uXXXX). */
void json_write(struct buf *out, const json_t *v, int indent);
/* One value on one line (for logs and --json rows): compact, UTF-8 kept
 * (but DEL and C1 controls, U+0080..U+009F, as \uXXXX: it may meet a terminal). */
char *json_compact(const json_t *v);
/* Print v pretty (indent 2, UTF-8 kept as json_compact does) and a newline to stdout. */
void json_print(const json_t *v);

/* Small jansson helpers: borrowed string of a key or "" / NULL. */
const char *jstr(const json_t *obj, const char *key);	/* NULL when absent or not a string */
const char *jstr0(const json_t *obj, const char *key);	/* "" when absent */
/* Integer from a number or a numeric string (the old tool wrote pid and
 * exit_code as strings). 0 found, -1 absent/invalid. */
int jint(const json_t *obj, const char *key, long long *out);
int jnum(const json_t *obj, const char *key, double *out);
void jset_str(json_t *obj, const char *key, const char *val);
void jset_int(json_t *obj, const char *key, long long val);

#endif
