/*
 * daemon.h - a background process that runs at most once: started
 * detached with a handshake, found and stopped through its pid file.
 *
 * One at a time.  The process holds a POSIX record lock (fcntl F_SETLK,
 * the file opened O_CLOEXEC) on its pid file and writes its pid there;
 * the kernel drops the lock when the process ends, however it ends, so a
 * crashed one never blocks a restart, and of two racing starts exactly one
 * gets it.  A record lock rather than flock(): F_GETLK tells who holds it
 * without taking it, so asking (daemon_holder) never makes a starting
 * process believe another one runs.
 *
 * Start (daemon_start) forks and execs this binary with the arguments
 * given, in a new session, stdin /dev/null, stdout and stderr appended to
 * a log file, and waits on a pipe (its fd in DAEMON_READY_ENV) until the
 * child says "ok PID" (it holds the lock and is ready), "already PID" or
 * "error MESSAGE" (daemon_ready_*), or ends.  Anything the child needs
 * beyond its arguments travels in the environment, never in argv.
 *
 * Stop (daemon_stop): SIGTERM, then wait until the lock is free and the
 * process is gone (a zombie counts as gone); SIGKILL past the deadline.
 */
#ifndef ROS_DAEMON_H
#define ROS_DAEMON_H

#include <signal.h>
#include <sys/types.h>

#include "util/util.h"

/* ros's one daemon is vastai-watcher: the name says so */
#define DAEMON_READY_ENV "ROS_WATCHER_READY_FD"

/* The pid of the process holding the lock of pidfile, 0 when none (or no
 * pid file yet): is it running. */
pid_t daemon_holder(const char *pidfile);

/* In the daemon: take the lock of pidfile (its directory created) and
 * write our pid.  The fd, to keep open for the life of the process, or -1
 * with *holder set to the pid that has it (0 when the failure was
 * something else: err says). */
int daemon_lock(const char *pidfile, pid_t *holder, struct buf *err);

/* In the daemon: the handshake pipe from the environment (then removed
 * from it), or -1 when it was not started by daemon_start. */
int daemon_ready_fd(void);
/* Say "ok <our pid>", "already PID" or "error MSG" on the handshake pipe
 * and close it (*fd becomes -1; nothing happens when it is -1). */
void daemon_ready_ok(int *fd);
void daemon_ready_already(int *fd, pid_t holder);
void daemon_ready_error(int *fd, const char *msg);

/* SIGTERM, SIGINT and SIGHUP set *flag to 1 and *sig to the signal. */
void daemon_catch_stop(volatile sig_atomic_t *flag, volatile sig_atomic_t *sig);
/* Sleep for seconds, or until *stop is set. */
void daemon_sleep(double seconds, volatile sig_atomic_t *stop);

/* In the daemon, when stdout is the log at path: past max bytes, rename it
 * to path.1 and go on (stdout and stderr) in a new file.  1 when it did. */
int daemon_log_rotate(const char *path, long long max);

/* Print the last n lines of the log at path on stdout; with follow, then
 * what is appended as it comes (from the start of a new file when it was
 * rotated or truncated), until stdout fails.  -1 with errno when the file
 * cannot be read and follow is not set. */
int daemon_log_tail(const char *path, long long n, int follow);

enum daemon_outcome {
	DAEMON_UP,		/* it said ok: pid */
	DAEMON_ALREADY,		/* another one runs: pid (said by the child, or seen before) */
	DAEMON_REFUSED,		/* it said why it would not run: msg */
	DAEMON_EXITED,		/* it ended without a word: status (as from waitpid) */
	DAEMON_SILENT,		/* no word within the timeout: pid, still running */
	DAEMON_FAILED,		/* it could not be started: msg */
};

struct daemon_start {
	enum daemon_outcome outcome;
	pid_t pid;
	int status;
	struct buf msg;
};
#define DAEMON_START_INIT { DAEMON_FAILED, 0, 0, BUF_INIT }
void daemon_start_release(struct daemon_start *r);

/* Start this binary (/proc/self/exe) with args (NULL-terminated, without
 * argv[0]) detached, its output appended to log; wait at most timeout_s
 * for its word.  Nothing is started when pidfile's lock is held. */
void daemon_start(const char *pidfile, const char *log, char *const args[], long long timeout_s,
		  struct daemon_start *r);

enum daemon_stopped {
	DAEMON_NOT_RUNNING,	/* nothing held the lock */
	DAEMON_STOPPED,		/* gone after SIGTERM */
	DAEMON_KILLED,		/* not within timeout_s of SIGTERM: gone after SIGKILL */
	DAEMON_STUCK,		/* not gone, even after SIGKILL */
	DAEMON_NO_SIGNAL,	/* kill(2) failed: errno says */
};

/* Stop the process holding pidfile's lock; *pid gets its pid. */
enum daemon_stopped daemon_stop(const char *pidfile, long long timeout_s, pid_t *pid);

#endif
