/*
 * code.h - what a project says of its code (project.yaml `code:`), and
 * where a run's tree is.
 *
 *   code:
 *     workdir: ../my-model     # the tree, relative to the root (or absolute)
 *     max_mb: 200              # the size guard (MB)
 *   setup:                     # shell lines, run once per worker per key
 *     - pip install -r requirements.txt
 *   setup_inputs: [requirements.txt]   # files of the tree the set-up reads
 *   data:                      # sent once per content, shared read-only by runs
 *     - {src: ../datasets/ett, dest: data/ett, max_mb: 2000}
 *
 * A data entry's src is a directory (relative to the root, or absolute),
 * taken whole (every file, git's ignore rules or not; .rosignore's rules
 * apply); dest is where the run sees it (a symbolic link to the worker's
 * one copy): relative to the run's copy of its code, else to its run
 * directory; plain components of [A-Za-z0-9._-].  max_mb: the size guard
 * (default 2000).
 *
 * The set-up's key is the SHA-256 of its lines and of the path and content
 * hash of each of its inputs found in the run's snapshot: setup_inputs when
 * given, else the files its lines name (a word that is a path of the tree)
 * and the usual dependency files at the top of the tree (requirements*.txt,
 * pyproject.toml, setup.py, setup.cfg, environment.yml, Pipfile.lock,
 * poetry.lock, uv.lock).  A change of any of them is another set-up.
 *
 * A run's own `workdir` (add-run --workdir) overrides the project's; a run
 * with neither has no snapshot and runs in its worker's workspace, as
 * before.
 */
#ifndef ROS_CODE_H
#define ROS_CODE_H

#include <jansson.h>

#include "util/util.h"

#define DATA_MAX_MB_DEFAULT 2000

struct code_data {
	char *src, *dest;
	long long max_mb;
};

struct code_settings {
	char *workdir;		/* as written, NULL when none */
	long long max_mb;	/* 0: the default */
	char *setup;		/* the set-up's lines, NULL when none */
	struct strv inputs;	/* setup_inputs (empty: the default rule) */
	struct code_data *data;
	size_t ndata;
};
#define CODE_SETTINGS_INIT { NULL, 0, NULL, STRV_INIT, NULL, 0 }

/* Read research/<project>/project.yaml's code:, setup: and setup_inputs:
 * (absent file or key: none).  -1 with err ("path:line:col: what") when a
 * value is not what it must be; -2 with err when the file does not read at
 * all (a Python ros.py root may hold such a file: its runs go on as they
 * did, without these settings). */
int code_settings_load(const char *root, const char *project, struct code_settings *cs, struct buf *err);
void code_settings_release(struct code_settings *cs);

struct snapshot;
/* The set-up's key for a run of snapshot s (NULL: the run has none, and
 * the set-up runs in the workspace) into out.  cs->setup must be set. */
void code_setup_key(const struct code_settings *cs, const struct snapshot *s, char out[65]);

/* A workdir as stored (relative to the root, or absolute, or ~/...) as a
 * path to open.  New string. */
char *code_workdir_abs(const char *root, const char *workdir);
/* A directory given on the command line (relative to the current
 * directory) as it is stored: relative to the root when it can be (the
 * folder stays movable), else absolute.  NULL with err when it is not a
 * directory.  New string. */
char *code_workdir_rel(const char *root, const char *dir, struct buf *err);

#endif
