/*
 * json.h - a fast validating scanner for queue files.  The values it
 * leads to are read and written with util/jx.h (jstr & co, json_write).
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

#endif
