/*
 * proc.c - spawning and supervising children (see proc.h).
 */
#include "exec/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILL_GRACE_MS 2000

volatile sig_atomic_t proc_interrupted;

void
proc_init(struct proc *p)
{
	memset(p, 0, sizeof *p);
	p->fd_in = p->fd_out = p->fd_err = -1;
	p->pid = -1;
}

void
proc_release(struct proc *p)
{
	strv_release(&p->argv);
	strv_release(&p->env);
	buf_release(&p->out);
	buf_release(&p->err);
	if (p->fd_in >= 0)
		close(p->fd_in);
	if (p->fd_out >= 0)
		close(p->fd_out);
	if (p->fd_err >= 0)
		close(p->fd_err);
	p->fd_in = p->fd_out = p->fd_err = -1;
}

static void
close_other_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int dfd = dirfd(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			if (fd > 2 && fd != dfd)
				close(fd);
		}
		closedir(d);
		return;
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

/* Close the descriptors of fds[0..n) that are open (>= 0), keeping errno. */
static void
close_fds(const int *fds, size_t n)
{
	int e = errno;
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = e;
}

static int
start(struct proc *p)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	if ((p->in && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		close_fds((const int[]){ in[0], in[1], out[0], out[1], err[0], err[1] }, 6);
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		setpgid(0, 0);
		if (p->in)
			dup2(in[0], 0);
		else {
			int nul = open("/dev/null", O_RDONLY);
			dup2(nul, 0);
		}
		dup2(out[1], 1);
		dup2(err[1], 2);
		close_other_fds();
		if (p->dir && chdir(p->dir) < 0) {
			dprintf(2, "ros: cannot enter %s: %s\n", p->dir, strerror(errno));
			_exit(127);
		}
		for (size_t i = 0; i < p->env.n; i++)
			putenv(p->env.v[i]);
		execvp(p->argv.v[0], p->argv.v);
		dprintf(2, "ros: cannot run %s: %s\n", p->argv.v[0], strerror(errno));
		_exit(127);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close_fds((const int[]){ in[0], out[1], err[1] }, 3);
	if (pid < 0) {
		close_fds((const int[]){ in[1], out[0], err[0] }, 3);
		errno = e;
		return -1;
	}
	setpgid(pid, pid);	/* also from the parent: no race with killpg */
	p->pid = pid;
	p->fd_in = p->in ? in[1] : -1;
	p->fd_out = out[0];
	p->fd_err = err[0];
	fcntl(p->fd_out, F_SETFL, O_NONBLOCK);
	fcntl(p->fd_err, F_SETFL, O_NONBLOCK);
	if (p->fd_in >= 0) {
		fcntl(p->fd_in, F_SETFL, O_NONBLOCK);
		if (p->in_len == 0) {
			close(p->fd_in);
			p->fd_in = -1;
		}
	}
	p->start_ms = mono_ms();
	p->deadline_ms = p->timeout_ms > 0 ? p->start_ms + p->timeout_ms : 0;
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	proc_interrupted = 1;
}

static int
running(const struct proc *p)
{
	return p->pid > 0 && (!p->exited || p->fd_out >= 0 || p->fd_err >= 0);
}

static void
kill_group(struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

/* More output than max_capture: kill it as on a deadline, read no more. */
static void
overflow(struct proc *p)
{
	p->overflowed = 1;
	if (!p->kill_at_ms) {
		kill_group(p, SIGTERM);
		p->kill_at_ms = mono_ms() + KILL_GRACE_MS;
	}
	if (p->fd_out >= 0)
		close(p->fd_out), p->fd_out = -1;
	if (p->fd_err >= 0)
		close(p->fd_err), p->fd_err = -1;
}

static void
drain(struct proc *p, int *fdp, struct buf *b, int stream)
{
	char tmp[65536];
	int keep = !(stream == 1 && p->stream_only);
	for (;;) {
		ssize_t r = read(*fdp, tmp, sizeof tmp);
		if (r > 0) {
			size_t n = (size_t)r, used = p->out.len + p->err.len;
			size_t room = used < p->max_capture ? p->max_capture - used : 0;
			int over = keep && p->max_capture && n > room;
			if (over)
				n = room;
			if (keep)
				buf_add(b, tmp, n);
			if (p->on_output && n)
				p->on_output(p, stream, tmp, n);
			if (over) {
				overflow(p);
				return;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		close(*fdp);	/* EOF or error */
		*fdp = -1;
		return;
	}
}

static void
feed(struct proc *p)
{
	while (p->in_off < p->in_len) {
		ssize_t w = write(p->fd_in, p->in + p->in_off, p->in_len - p->in_off);
		if (w > 0) {
			p->in_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		break;	/* EPIPE: the child does not want more */
	}
	close(p->fd_in);
	p->fd_in = -1;
}

static void
reap(struct proc *p)
{
	if (p->exited || p->pid <= 0)
		return;
	int st;
	pid_t r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid) {
		p->exited = 1;
		p->raw_status = st;
		p->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
		/* the group may live on (a daemonised helper keeps our pipes) */
	} else if (r < 0 && errno == ECHILD) {
		p->exited = 1;	/* reaped elsewhere: we cannot know how it ended */
		p->status = 255;
	}
}

int
proc_pool(struct proc **ps, size_t n, int max_parallel)
{
	struct sigaction sa = { 0 }, old_int, old_term;
	size_t next = 0, live = 0;
	struct pollfd *pfd = xcalloc(n * 3 + 1, sizeof *pfd);
	int ret = 0;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (max_parallel <= 0)
		max_parallel = (int)n;

	for (;;) {
		while (next < n && live < (size_t)max_parallel && !proc_interrupted) {
			struct proc *p = ps[next++];
			if (start(p) < 0) {
				buf_addf(&p->err, "ros: cannot start %s: %s\n", p->argv.v[0], strerror(errno));
				p->status = 127;
				p->exited = 1;
				continue;
			}
			live++;
		}
		if (live == 0 && (next >= n || proc_interrupted))
			break;

		int64_t now = mono_ms(), wait_ms = 200;
		size_t np = 0;
		for (size_t i = 0; i < next; i++) {
			struct proc *p = ps[i];
			if (!running(p))
				continue;
			if (proc_interrupted && !p->kill_at_ms) {
				kill_group(p, SIGTERM);
				p->kill_at_ms = now + KILL_GRACE_MS;
			}
			if (p->deadline_ms && now >= p->deadline_ms && !p->kill_at_ms) {
				p->timed_out = 1;
				kill_group(p, SIGTERM);
				p->kill_at_ms = now + KILL_GRACE_MS;
			}
			if (p->kill_at_ms && now >= p->kill_at_ms) {
				kill_group(p, SIGKILL);
				/* close our ends: a grandchild that escaped the group must not hang us */
				if (p->exited) {
					if (p->fd_out >= 0)
						close(p->fd_out), p->fd_out = -1;
					if (p->fd_err >= 0)
						close(p->fd_err), p->fd_err = -1;
				}
			}
			int64_t t = p->kill_at_ms ? p->kill_at_ms : p->deadline_ms;
			if (t && t - now < wait_ms)
				wait_ms = t - now < 1 ? 1 : t - now;
			if (p->exited && !p->kill_at_ms) {
				/* exited but a descendant holds the pipes: give it the grace period */
				p->kill_at_ms = now + KILL_GRACE_MS;
			}
			if (p->fd_in >= 0)
				pfd[np++] = (struct pollfd){ p->fd_in, POLLOUT, 0 };
			if (p->fd_out >= 0)
				pfd[np++] = (struct pollfd){ p->fd_out, POLLIN, 0 };
			if (p->fd_err >= 0)
				pfd[np++] = (struct pollfd){ p->fd_err, POLLIN, 0 };
			if (!p->exited && wait_ms > 20)
				wait_ms = 20;	/* poll for the exit; no SIGCHLD handler */
		}
		if (np)
			poll(pfd, np, (int)wait_ms);
		else
			usleep((useconds_t)(wait_ms * 1000));
		for (size_t i = 0; i < next; i++) {
			struct proc *p = ps[i];
			if (p->finished || p->pid <= 0)
				continue;
			if (running(p)) {
				if (p->fd_in >= 0)
					feed(p);
				if (p->fd_out >= 0)
					drain(p, &p->fd_out, &p->out, 1);
				if (p->fd_err >= 0)
					drain(p, &p->fd_err, &p->err, 2);
				reap(p);
			}
			/* one place counts a child out, whichever way it ended */
			if (!running(p)) {
				p->finished = 1;
				if (p->fd_in >= 0)
					close(p->fd_in), p->fd_in = -1;
				p->elapsed_ms = mono_ms() - p->start_ms;
				if ((p->timed_out || p->overflowed) && p->status < 128)
					p->status = 128 + SIGTERM;
				live--;
			}
		}
	}
	if (proc_interrupted)
		ret = -1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(pfd);
	return ret;
}

int
proc_run(struct proc *p)
{
	struct proc *ps[1] = { p };
	proc_pool(ps, 1, 1);
	return p->status;
}
