/*
 * code.h - what a project says of its code (project.yaml `code:`), and
 * where a run's tree is.
 *
 *   code:
 *     workdir: ../my-model     # the tree, relative to the root (or absolute)
 *     max_mb: 200              # the size guard (MB)
 *
 * A run's own `workdir` (add-run --workdir) overrides the project's; a run
 * with neither has no snapshot and runs in its worker's workspace, as
 * before.
 */
#ifndef ROS_CODE_H
#define ROS_CODE_H

#include <jansson.h>

#include "util/util.h"

struct code_settings {
	char *workdir;		/* as written, NULL when none */
	long long max_mb;	/* 0: the default */
};
#define CODE_SETTINGS_INIT { NULL, 0 }

/* Read research/<project>/project.yaml's code: (absent file or key: none).
 * -1 with err ("path:line:col: what") when it cannot be read or a value is
 * not what it must be. */
int code_settings_load(const char *root, const char *project, struct code_settings *cs, struct buf *err);
void code_settings_release(struct code_settings *cs);

/* A workdir as stored (relative to the root, or absolute, or ~/...) as a
 * path to open.  New string. */
char *code_workdir_abs(const char *root, const char *workdir);
/* A directory given on the command line (relative to the current
 * directory) as it is stored: relative to the root when it can be (the
 * folder stays movable), else absolute.  NULL with err when it is not a
 * directory.  New string. */
char *code_workdir_rel(const char *root, const char *dir, struct buf *err);

#endif
