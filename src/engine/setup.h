/*
 * setup.h - preparing a worker, for setup-worker and for the watcher (the
 * workers it rents): <workspace>/runs/{logs,metrics,checkpoints}, git and
 * python3 installed when missing (apt-get, as root or with sudo -n,
 * unless the worker sets allow_install: false or no_install), the env
 * file copied to the worker's home as ~/.env.local with mode 0600 (on
 * stdin, never on a command line), and the GPUs reported.  One sh -s
 * script on the worker (ros_setup and ros_put_env of lib.sh); safe to run
 * again.
 */
#ifndef ROS_ENGINE_SETUP_H
#define ROS_ENGINE_SETUP_H

#include <stddef.h>

#include "util/util.h"

/* The deadline of a set-up when none is given: it may install packages. */
#define SETUP_TIMEOUT_MS (10 * 60 * 1000)

struct setup_opts {
	const char *env_file;	/* the secrets to sync; NULL: ~/.env.local, if there is one */
	int no_env;		/* sync no env file */
	int no_install;		/* never install packages */
	int timeout_ms;		/* the deadline of the whole set-up; 0: SETUP_TIMEOUT_MS */
	/* Each line of output as it comes (stream 1 or 2; the newline
	 * included): what the set-up says ("setup-worker W (ssh host)",
	 * "setup: ...") and what the worker prints, without ros's records.
	 * NULL: none is shown.  The secrets never pass through it. */
	void (*say)(void *arg, int stream, const char *line, size_t len);
	void *arg;
};
#define SETUP_OPTS_INIT { NULL, 0, 0, 0, NULL, NULL }

/* Set up worker id of root's workers.yaml.  0 when it is ready, else -1
 * with err: the worker is unknown or invalid, unreachable, the env file
 * was not written, or the set-up failed (its exit status and stderr). */
int worker_setup(const char *root, const char *id, const struct setup_opts *o, struct buf *err);

#endif
