/*
 * project.h - research/<project_id>/ folders.
 */
#ifndef ROS_PROJECT_H
#define ROS_PROJECT_H

#include "util/util.h"

/* 1 if id is a valid project id: [A-Za-z0-9_.-]+, not "." or "..". */
int project_id_valid(const char *id);
/* Known projects: folders under research/ holding project.yaml, sorted. */
void project_list(const char *root, struct strv *out);
int project_exists(const char *root, const char *id);
/* Error "unknown project 'x' (known: a, b)" or "(no projects yet: ros init-project ...)". */
int project_unknown_error(const char *root, const char *id);
/* Derive an id from a title: lowercase, non-alphanumerics -> '_', no doubled or edge '_'. */
char *project_id_from_title(const char *title);

#endif
