/*
 * daemon.c - a background process that runs at most once (see daemon.h).
 */
#include "util/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the pid file and its lock ---- */

static int
get_lock(int fd, struct flock *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = F_WRLCK;
	fl->l_whence = SEEK_SET;
	return fcntl(fd, F_GETLK, fl);
}

pid_t
daemon_holder(const char *pidfile)
{
	int fd = open(pidfile, O_RDWR | O_CLOEXEC);
	struct flock fl;
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (get_lock(fd, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	close(fd);
	return pid;
}

int
daemon_lock(const char *pidfile, pid_t *holder, struct buf *err)
{
	char *dir = xstrdup(pidfile), *slash = strrchr(dir, '/');
	struct flock fl = { 0 };
	int fd = -1;

	*holder = 0;
	if (slash && slash != dir)
		*slash = 0;
	if (slash && mkdir_p(dir, 0755) < 0) {
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		buf_addf(err, "cannot open %s: %s", pidfile, strerror(errno));
		goto out;
	}
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;
		struct flock q;
		if ((e == EAGAIN || e == EACCES) && get_lock(fd, &q) == 0 && q.l_type != F_UNLCK)
			*holder = q.l_pid;
		else
			buf_addf(err, "cannot lock %s: %s", pidfile, strerror(e));
		close(fd);
		fd = -1;
		goto out;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		buf_addf(err, "cannot write %s: %s", pidfile, strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	free(dir);
	return fd;
}

/* ---- the handshake, in the daemon ---- */

int
daemon_ready_fd(void)
{
	const char *e = getenv(DAEMON_READY_ENV);
	long long fd;
	int r = -1;
	if (e && parse_long(e, &fd) == 0 && fd > 2 && fd < 1024 && fcntl((int)fd, F_GETFD) >= 0) {
		r = (int)fd;
		fcntl(r, F_SETFD, FD_CLOEXEC);
	}
	unsetenv(DAEMON_READY_ENV);
	return r;
}

static void PRINTF(2, 3)
say(int *fd, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	if (*fd < 0)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (write_all(*fd, b.s, b.len) < 0) {
		/* the starter gave up waiting; nothing to tell */
	}
	close(*fd);
	*fd = -1;
	buf_release(&b);
}

void
daemon_ready_ok(int *fd)
{
	say(fd, "ok %ld\n", (long)getpid());
}

void
daemon_ready_already(int *fd, pid_t holder)
{
	say(fd, "already %ld\n", (long)holder);
}

void
daemon_ready_error(int *fd, const char *msg)
{
	say(fd, "error %s\n", msg);
}

/* ---- signals, sleep, log ---- */

static volatile sig_atomic_t *stop_flag, *stop_sig;

static void
on_stop(int sig)
{
	*stop_flag = 1;
	*stop_sig = sig;
}

void
daemon_catch_stop(volatile sig_atomic_t *flag, volatile sig_atomic_t *sig)
{
	struct sigaction sa = { 0 };
	stop_flag = flag;
	stop_sig = sig;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void
daemon_sleep(double seconds, volatile sig_atomic_t *stop)
{
	int64_t end = mono_ms() + (int64_t)(seconds * 1000);
	while (!*stop) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int
daemon_log_rotate(const char *path, long long max)
{
	struct stat a, b;
	char *old = xasprintf("%s.1", path);
	int done = 0;

	if (fstat(STDOUT_FILENO, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev && a.st_size > max && rename(path, old) == 0) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			fflush(stdout);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
			done = 1;
		}
	}
	free(old);
	return done;
}

static void
print_tail(const char *data, size_t len, long long n)
{
	size_t s = len;
	if (s && data[s - 1] == '\n')
		s--;
	while (s > 0 && n > 0) {
		if (data[s - 1] == '\n' && --n == 0)
			break;
		s--;
	}
	fwrite(data + s, 1, len - s, stdout);
	fflush(stdout);
}

/* Print what is appended to path from pos on, as it comes. */
static void
follow_log(const char *path, off_t pos)
{
	struct stat st;
	ino_t ino = stat(path, &st) == 0 ? st.st_ino : 0;
	for (;;) {
		usleep(200000);
		if (stat(path, &st) < 0)
			continue;
		if (st.st_ino != ino || st.st_size < pos) {
			ino = st.st_ino;	/* rotated or truncated: from the start */
			pos = 0;
		}
		if (st.st_size == pos)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		char b[65536];
		ssize_t k;
		while ((k = pread(fd, b, sizeof b, pos)) > 0) {
			fwrite(b, 1, (size_t)k, stdout);
			pos += k;
		}
		close(fd);
		if (fflush(stdout) == EOF)
			break;
	}
}

int
daemon_log_tail(const char *path, long long n, int follow)
{
	size_t len = 0;
	char *data = read_file(path, &len);
	if (!data && !follow)
		return -1;
	if (data)
		print_tail(data, len, n);
	free(data);
	if (follow)
		follow_log(path, (off_t)len);
	return 0;
}

/* ---- start ---- */

void
daemon_start_release(struct daemon_start *r)
{
	buf_release(&r->msg);
}

/* Read the child's word from fd until it closes or timeout_s passes. */
static void
read_word(int fd, long long timeout_s, struct buf *word)
{
	int64_t end = mono_ms() + timeout_s * 1000;
	for (;;) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (r <= 0)
			continue;
		char b[512];
		ssize_t k = read(fd, b, sizeof b);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		buf_add(word, b, (size_t)k);
	}
	while (word->len && word->s[word->len - 1] == '\n')
		word->s[--word->len] = 0;
}

/* What the word says, into r. */
static void
take_word(struct daemon_start *r, pid_t child, struct buf *word)
{
	const char *w = buf_cstr(word);
	long long pid = 0;
	if (str_starts(w, "ok ") && parse_long(w + 3, &pid) == 0) {
		r->outcome = DAEMON_UP;
		r->pid = (pid_t)pid;
	} else if (str_starts(w, "already ") && parse_long(w + 8, &pid) == 0) {
		r->outcome = DAEMON_ALREADY;
		r->pid = (pid_t)pid;
	} else if (str_starts(w, "error ")) {
		r->outcome = DAEMON_REFUSED;
		buf_adds(&r->msg, w + 6);
		waitpid(child, NULL, 0);
	} else if (waitpid(child, &r->status, WNOHANG) == child) {
		r->outcome = DAEMON_EXITED;
	} else {
		r->outcome = DAEMON_SILENT;
		r->pid = child;
	}
}

void
daemon_start(const char *pidfile, const char *log, char *const args[], long long timeout_s,
	     struct daemon_start *r)
{
	char exe[PATH_MAX], *dir = xstrdup(log), *slash = strrchr(dir, '/');
	int pfd[2] = { -1, -1 }, logfd = -1, nullfd = -1;
	struct buf word = BUF_INIT;
	struct strv argv = STRV_INIT;
	pid_t pid;

	r->outcome = DAEMON_FAILED;
	if ((r->pid = daemon_holder(pidfile))) {
		r->outcome = DAEMON_ALREADY;
		goto out;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		buf_addf(&r->msg, "cannot find the ros binary: %s", strerror(errno));
		goto out;
	}
	exe[n] = 0;
	if (slash && slash != dir)
		*slash = 0;
	if ((slash && mkdir_p(dir, 0755) < 0) ||
	    (logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    (nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		buf_addf(&r->msg, "cannot open %s: %s", log, strerror(errno));
		goto out;
	}
	strv_push(&argv, exe);
	for (size_t i = 0; args[i]; i++)
		strv_push(&argv, args[i]);
	char fdnum[16];
	snprintf(fdnum, sizeof fdnum, "%d", pfd[1]);
	setenv(DAEMON_READY_ENV, fdnum, 1);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		buf_addf(&r->msg, "fork: %s", strerror(errno));
		unsetenv(DAEMON_READY_ENV);
		goto out;
	}
	if (pid == 0) {
		setsid();
		dup2(nullfd, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		fcntl(pfd[1], F_SETFD, 0);
		execv(exe, argv.v);
		_exit(127);
	}
	unsetenv(DAEMON_READY_ENV);
	close(pfd[1]);
	pfd[1] = -1;
	read_word(pfd[0], timeout_s, &word);
	take_word(r, pid, &word);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	strv_release(&argv);
	buf_release(&word);
	free(dir);
}

/* ---- stop ---- */

/* pid no longer runs: no such process, or a zombie waiting to be reaped. */
static int
gone(pid_t pid)
{
	char path[64], b[512];
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	const char *p = strrchr(b, ')');	/* the name may hold anything */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Wait up to ms for the lock of pidfile to be free and pid gone. */
static int
wait_gone(const char *pidfile, pid_t pid, int64_t ms)
{
	int64_t end = mono_ms() + ms;
	for (;;) {
		pid_t h = daemon_holder(pidfile);
		if (h != pid && gone(pid))
			break;
		if (mono_ms() >= end)
			return -1;
		usleep(20000);
	}
	return 0;
}

enum daemon_stopped
daemon_stop(const char *pidfile, long long timeout_s, pid_t *pid)
{
	if (!(*pid = daemon_holder(pidfile)))
		return DAEMON_NOT_RUNNING;
	if (kill(*pid, SIGTERM) < 0 && errno != ESRCH)
		return DAEMON_NO_SIGNAL;
	if (wait_gone(pidfile, *pid, timeout_s * 1000) == 0)
		return DAEMON_STOPPED;
	kill(*pid, SIGKILL);
	if (wait_gone(pidfile, *pid, 5000) == 0)
		return DAEMON_KILLED;
	return DAEMON_STUCK;
}
