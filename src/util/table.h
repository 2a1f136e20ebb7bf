/*
 * table.h - aligned text tables for human output.  Commands build rows of
 * strings and print them; --json output is built separately from the same
 * data (see jx.h's json_print).
 */
#ifndef ROS_TABLE_H
#define ROS_TABLE_H

#include "util/util.h"

struct table {
	int ncols;
	struct strv cells;	/* row-major, ncols per row; first row = headers */
	unsigned right;		/* bit i: right-align column i */
	int indent;
};

void table_init(struct table *t, int ncols, ...);	/* ncols header strings */
void table_row(struct table *t, ...);			/* ncols strings (NULL = "") */
void table_rowv(struct table *t, char **cells);		/* ncols strings */
void table_print(struct table *t, FILE *f, int with_header);
void table_release(struct table *t);
size_t table_nrows(const struct table *t);		/* rows, not counting the header */

#endif
