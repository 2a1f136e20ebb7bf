/*
 * sweep.h - expand `--sweep KEY=V1,V2,...` options into the cartesian
 * product of their values, substituting {KEY} in a command and env.
 */
#ifndef ROS_SWEEP_H
#define ROS_SWEEP_H

#include <jansson.h>
#include "util/util.h"

struct sweep_axis {
	char *key;
	struct strv values;
};

struct sweep {
	struct sweep_axis *axes;
	size_t n, alloc;
};
#define SWEEP_INIT { NULL, 0, 0 }

/* Parse "KEY=V1,V2"; -1 with a message in err ("--sweep needs KEY=V1,V2,..."). */
int sweep_add(struct sweep *s, const char *spec, struct buf *err);
size_t sweep_count(const struct sweep *s);	/* product of the sizes; 1 when empty */
/* The idx-th combination (last axis varies fastest): a new object KEY -> value
 * (numbers for numeric values, strings otherwise). */
json_t *sweep_params(const struct sweep *s, size_t idx);
/* Replace {KEY} (not ${KEY}) by its value in text. New string. */
char *sweep_subst(const struct sweep *s, size_t idx, const char *text);
/* 1 if {KEY} appears (not as ${KEY}) in text. */
int sweep_mentions(const char *key, const char *text);
void sweep_release(struct sweep *s);

#endif
