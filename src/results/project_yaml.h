/*
 * project_yaml.h - what results reads of research/<project>/project.yaml:
 * the target a summary is compared with, and the scalars a blog post
 * quotes (title, target.claim, current_state.next_action).  Read only:
 * the file is the user's.
 */
#ifndef ROS_RESULTS_PROJECT_YAML_H
#define ROS_RESULTS_PROJECT_YAML_H

#include <jansson.h>

#include "util/util.h"

/* A scalar ("title", "target.claim"): NULL when absent, null, empty, not
 * UTF-8, or when the file is missing or unreadable.  New string. */
char *project_yaml_str(const char *root, const char *project, const char *dotted);

/*
 * The target: {"value": x} when target.target_value is a number, else
 * {"text": "..."} when it is other text, plus "direction" ("lower" or
 * "higher", from target.direction as agg_direction_norm() reads it).  NULL
 * with err empty when there is no project.yaml or no target in it; NULL
 * with err set ("path:line:col: what") when the file cannot be read.
 */
json_t *project_yaml_target(const char *root, const char *project, struct buf *err);

#endif
