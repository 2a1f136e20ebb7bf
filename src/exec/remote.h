/*
 * remote.h - the one way ros does anything on a worker: a POSIX sh script
 * (src/remote/lib.sh plus calls) fed on stdin to `sh -s`, locally or
 * through `ssh [options] [user@]host sh -s`, one process per worker per
 * batch.  Values travel as quoted here-documents, never as shell words.
 *
 * A script that does not arrive whole executes nothing: it is one brace
 * group, `{` on its first line and `}` on its last, and a shell parses a
 * compound command to its end before it runs any of it, so a stream cut
 * anywhere before the last line is a syntax error and nothing else.  Every
 * here-document's POSIX cksum and size are set in $ros_ck just before the
 * call that reads it: a worker function that writes a file from its stdin
 * uses the file only when the two agree (ros_ck_ok in lib.sh), which also
 * catches a full disk.
 */
#ifndef ROS_REMOTE_H
#define ROS_REMOTE_H

#include "exec/proc.h"
#include "store/registry.h"

struct script {
	struct buf b;
	char end[40];		/* the line that ends framed data ($ros_end) */
	int sealed;		/* the closing line is in b (remote_proc adds it) */
};
#define SCRIPT_INIT { BUF_INIT, "", 0 }

/* Start a script: the function library, then the workspace of w: what
 * the script of every kind of worker starts with.  script_begin (batch.h)
 * adds what w's kind needs besides (Slurm's library, exec/slurm.h): this
 * transport knows no kind built on it. */
void script_open(struct script *s, const struct worker *w, const char *root);
/* Append "fn arg..." (args must be plain words: [A-Za-z0-9_.,:=+-]); with
 * data != NULL, data is its stdin as a quoted here-document. */
void script_call(struct script *s, const char *fn, const char *const *args, const char *data, size_t len);
void script_release(struct script *s);

/* The ssh command line for w, up to and including the destination
 * (options, -p, -i, -l, "--", host).  Worker fields must have passed
 * worker_check().  ROS_SSH overrides the binary.  Connections are shared
 * (ControlMaster) only through sockets in a directory of ours alone (see
 * remote.c); without one, not at all (a warning says why). */
void ssh_argv(struct strv *argv, const struct worker *w, const char *root);
/* What one worker may print in answer to one script (stdout and stderr
 * together): REMOTE_CAPTURE_BASE, plus REMOTE_CAPTURE_PER_RUN for each run
 * of a batch (batches_run).  An honest answer is far smaller (a probe sends
 * at most 16 KiB of log, a collect 66 KiB); a worker that prints more is
 * cut off and taken for unreachable. */
#define REMOTE_CAPTURE_BASE ((size_t)16 << 20)
#define REMOTE_CAPTURE_PER_RUN ((size_t)256 << 10)

/* Fill p to run the script on w (sh -s locally, or ssh ... sh -s), with
 * max_capture REMOTE_CAPTURE_BASE.  Closes the script: no call may be
 * added to s afterwards. */
void remote_proc(struct proc *p, const struct worker *w, const char *root, struct script *s,
		 int timeout_ms);
/* Fill p to send len bytes of data, a tar archive, to w over the same
 * connection machinery (ssh's ControlMaster: no new handshake when one is
 * up), extracted on the worker into $HOME/.ros-in/NONCE/ by a fixed
 * command, which writes $HOME/.ros-in/NONCE.ok only when tar read the
 * whole archive and exited 0.  nonce: [a-z0-9], as ros makes it. */
void remote_upload_proc(struct proc *p, const struct worker *w, const char *root, const char *nonce,
			const char *data, size_t len, int timeout_ms);
/* Did the remote side fail to connect (ssh's 255, a timeout, a failed
 * start), or print more than its max_capture? */
int remote_unreachable(const struct proc *p);
/* Is it certain that the script never reached a shell on the worker: sh
 * could not be started, or ssh failed before a session (no connection,
 * name not resolved, authentication or host key refused) and nothing came
 * back?  A timeout or a link lost later is not certain: the script may
 * have run. */
int remote_never_connected(const struct proc *p);
/* A one-line reason for messages (new string): the deadline, the cap, or the
 * last line of stderr, escaped for the terminal and cut to 200 bytes. */
char *remote_reason(const struct proc *p);

/* Output records: "ROS op run f1 f2 ...\n"; when the last field is "+",
 * data follows up to a line holding only the script's end word. */
struct rec {
	char op[16], run[64];
	char *f[16];		/* fields after op and run */
	int nf;
	const char *data;	/* the framed bytes, when the record has them */
	size_t len;
};
/* Iterate records of out (the output of script s) starting at *pos; 1 with
 * rec filled, 0 at the end. */
int rec_next(const struct script *s, const struct buf *out, size_t *pos, struct rec *r);
void rec_release(struct rec *r);

#endif
