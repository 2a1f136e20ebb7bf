/*
 * project_yaml.c - what results reads of project.yaml (see project_yaml.h).
 */
#include "results/project_yaml.h"
#include "results/aggregate.h"
#include "util/jx.h"
#include "store/yaml.h"

#include <stdlib.h>
#include <string.h>

/* Load the project's project.yaml: 1 loaded, 0 absent, -1 with err set. */
static int
load(const char *root, const char *project, struct ydoc *y, struct buf *err)
{
	char *path = xasprintf("%s/research/%s/project.yaml", root, project);
	int rc = 0;
	if (file_exists(path))
		rc = ydoc_load(y, path, err) == 0 ? 1 : -1;
	free(path);
	return rc;
}

static int
text_scalar(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && !n->plain_null && n->value && *n->value &&
	       utf8_valid(n->value, strlen(n->value));
}

char *
project_yaml_str(const char *root, const char *project, const char *dotted)
{
	struct ydoc y = YDOC_INIT;
	struct buf err = BUF_INIT;
	char *out = NULL;
	if (load(root, project, &y, &err) > 0) {
		struct ynode *n = ypath(y.root, dotted);
		if (text_scalar(n))
			out = xstrdup(n->value);
	}
	ydoc_release(&y);
	buf_release(&err);
	return out;
}

json_t *
project_yaml_target(const char *root, const char *project, struct buf *err)
{
	struct ydoc y = YDOC_INIT;
	json_t *o = NULL;
	if (load(root, project, &y, err) <= 0 || !y.root)
		goto out;
	struct ynode *t = ymap_get(y.root, "target");
	struct ynode *v = ymap_get(t, "target_value");
	double d;
	o = json_object();
	if (v && v->type == Y_SCALAR && !v->plain_null) {
		if (ynode_double(v, &d) == 0)
			json_object_set_new(o, "value", json_real(d));
		else if (text_scalar(v))
			jset_str(o, "text", v->value);
	}
	const char *dir = agg_direction_norm(ymap_str(t, "direction"));
	if (dir)
		jset_str(o, "direction", dir);
	if (!json_object_size(o)) {
		json_decref(o);
		o = NULL;
	}
out:
	ydoc_release(&y);
	return o;
}
