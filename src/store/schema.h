/*
 * schema.h - a small JSON Schema validator (the subset ros's schemas use:
 * type, required, properties, items, enum, pattern, minimum, maximum,
 * minLength), and YAML documents as JSON values for it.
 */
#ifndef ROS_SCHEMA_H
#define ROS_SCHEMA_H

#include <jansson.h>
#include "store/yaml.h"
#include "util/util.h"

/* Called once per problem; path holds the keys/indexes from the root. */
typedef void (*schema_report_fn)(void *arg, const struct strv *path, const char *msg);

/* Number of problems found in value. */
int schema_validate(const json_t *schema, const json_t *value, schema_report_fn report, void *arg);

/* The YAML node as a JSON value (plain scalars typed as PyYAML would:
 * null, bools, ints, floats; quoted ones stay strings). */
json_t *yaml_to_json(const struct ynode *n);
/* The node at path (keys / indexes), or the deepest one that exists. */
const struct ynode *ynode_at(const struct ynode *root, const struct strv *path);

#endif
