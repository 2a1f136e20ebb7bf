/*
 * proc.h - child processes: run argv (never through a shell), feed stdin,
 * capture stdout and stderr, under a deadline; many at once in a pool.
 *
 * Every child gets its own process group (so a deadline or Ctrl-C reaches
 * whatever it started), default signal dispositions, and no file
 * descriptors but 0, 1, 2.  On its deadline a child gets SIGTERM, then
 * SIGKILL after a grace period.  Every child is reaped.  SIGINT or SIGTERM
 * to ros during proc_pool() kills all running children and then returns
 * with `interrupted` set.
 *
 * Status: the exit code, or 128 + signal number if it was killed (as a
 * shell reports it); 127 if it could not be started.
 *
 * Output is kept in out and err, at most max_capture bytes of the two
 * together when that is set: a child that prints more is killed like one
 * past its deadline (SIGTERM, SIGKILL after the grace period), our ends of
 * its pipes are closed (it gets EPIPE), out and err keep what came first
 * and overflowed is set.  With stream_only, stdout goes to on_output alone:
 * it is neither kept nor counted (a log of any size streams through).
 */
#ifndef ROS_PROC_H
#define ROS_PROC_H

#include <signal.h>
#include <sys/types.h>
#include "util/util.h"

struct proc;
/* Called with each piece of output as it arrives (stream 1 or 2), when set. */
typedef void (*proc_output_fn)(struct proc *p, int stream, const char *data, size_t len);

struct proc {
	struct strv argv;
	struct strv env;	/* extra "K=V" for the child */
	const char *dir;	/* chdir before exec, or NULL */
	const char *in;		/* stdin bytes (NULL: /dev/null) */
	size_t in_len;
	int timeout_ms;		/* 0: none */
	size_t max_capture;	/* most bytes kept in out and err (0: no limit) */
	proc_output_fn on_output;
	int stream_only;	/* stdout to on_output only, not into out */
	void *arg;		/* for the caller */

	/* results */
	struct buf out, err;
	int status;
	int timed_out;
	int overflowed;		/* printed more than max_capture: killed */
	int64_t elapsed_ms;

	/* internal */
	pid_t pid;
	int fd_in, fd_out, fd_err;
	size_t in_off;
	int64_t start_ms, deadline_ms, kill_at_ms;
	int exited, raw_status;
	int finished;		/* reaped and both pipes closed: counted out of the pool */
};

void proc_init(struct proc *p);
void proc_release(struct proc *p);
/* Run one and wait; returns p->status. */
int proc_run(struct proc *p);
/* Run n processes, at most max_parallel at once (0: all). 0, or -1 if
 * interrupted by SIGINT/SIGTERM (the children were killed). */
int proc_pool(struct proc **ps, size_t n, int max_parallel);

/* Set by SIGINT or SIGTERM during proc_pool() (the handler's only act). */
extern volatile sig_atomic_t proc_interrupted;

#endif
