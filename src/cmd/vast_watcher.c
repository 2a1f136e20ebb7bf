/*
 * vast_watcher.c - `ros vastai-watcher start | stop | status | log | run |
 * blacklist`: the background GPU hunter of a root (the loop is vast/watch.h).
 *
 * One watcher per root.  `run` takes a POSIX record lock (fcntl F_SETLK,
 * the file opened O_CLOEXEC) on .ros/watcher.pid and writes its pid there;
 * the kernel drops the lock when the process ends, however it ends, so a
 * crashed watcher never blocks a restart, and of two racing starts exactly
 * one gets it.  A record lock rather than flock(): F_GETLK tells status and
 * stop which process holds it without taking it, so they never make a
 * starting watcher believe another one runs.
 *
 * `start` forks and execs this binary as `ros --root ROOT vastai-watcher
 * run` in a new session, stdin /dev/null, stdout and stderr appended to
 * .ros/watcher.log, and waits on a pipe until the child says it holds the
 * lock and its settings are valid (or why not).  The API key reaches it
 * through the environment, never argv.  `stop` sends SIGTERM and waits for
 * the lock to be released: the loop ends after the request in flight (a
 * rental being waited for is left to the next start, which registers it);
 * every file it writes is written atomically.
 */
#include "ros.h"
#include "store/registry.h"
#include "util/jx.h"
#include "util/table.h"
#include "vast/api.h"
#include "vast/reconcile.h"
#include "vast/vworker.h"
#include "vast/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_ENV "ROS_WATCHER_READY_FD"
#define LOG_MAX_DEFAULT (4L << 20)	/* rotate .ros/watcher.log past 4 MiB */

extern const struct ros_cmd cmd_vastai_blacklist;

/* ---- the pid file and its lock ---- */

/* The pid of the process holding the watcher lock of root, 0 when none
 * (or no pid file yet). */
static pid_t
lock_holder(const char *root)
{
	char *path = path_join(root, WATCH_PID);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct flock fl = { 0 };
	pid_t pid = 0;

	free(path);
	if (fd < 0)
		return 0;
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	close(fd);
	return pid;
}

/* Take the lock: the fd (kept open for the life of the process), or -1
 * with *holder set (0 when the failure was something else: err says). */
static int
lock_take(const char *root, pid_t *holder, struct buf *err)
{
	char *dir = path_join(root, ".ros"), *path = path_join(root, WATCH_PID);
	struct flock fl = { 0 };
	int fd = -1;

	*holder = 0;
	if (mkdir_p(dir, 0755) < 0) {
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		buf_addf(err, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;
		struct flock q = { 0 };
		q.l_type = F_WRLCK;
		q.l_whence = SEEK_SET;
		if ((e == EAGAIN || e == EACCES) && fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
			*holder = q.l_pid;
		else
			buf_addf(err, "cannot lock %s: %s", path, strerror(e));
		close(fd);
		fd = -1;
		goto out;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	free(dir);
	free(path);
	return fd;
}

/* ---- run ---- */

static volatile sig_atomic_t stop_flag, stop_sig;

static void
on_stop(int sig)
{
	stop_flag = 1;
	stop_sig = sig;
}

/* The pipe `start` waits on, from the environment (then removed from it). */
static int
ready_fd(void)
{
	const char *e = getenv(READY_ENV);
	long long fd;
	int r = -1;
	if (e && parse_long(e, &fd) == 0 && fd > 2 && fd < 1024 && fcntl((int)fd, F_GETFD) >= 0) {
		r = (int)fd;
		fcntl(r, F_SETFD, FD_CLOEXEC);
	}
	unsetenv(READY_ENV);
	return r;
}

static void
ready_say(int *fd, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	if (*fd < 0)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (write_all(*fd, b.s, b.len) < 0) {
		/* start gave up waiting; nothing to tell */
	}
	close(*fd);
	*fd = -1;
	buf_release(&b);
}

/* stdout is the log (started by `start`): rename it past the size limit
 * and go on in a new file. */
static void
rotate_log(const char *root)
{
	const char *e = getenv("ROS_WATCHER_LOG_MAX");
	long long max = LOG_MAX_DEFAULT;
	struct stat a, b;
	char *path = path_join(root, WATCH_LOG), *old = xasprintf("%s.1", path);

	if (e && *e && parse_long(e, &max) < 0)
		max = LOG_MAX_DEFAULT;
	if (fstat(STDOUT_FILENO, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev && a.st_size > max && rename(path, old) == 0) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			fflush(stdout);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
			watch_log("log continued from %s.1", WATCH_LOG);
		}
	}
	free(path);
	free(old);
}

static void
sleep_until_stop(double seconds)
{
	int64_t end = mono_ms() + (int64_t)(seconds * 1000);
	while (!stop_flag) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void
settings_line(const struct watch_config *c, const char *label)
{
	char idle[32];
	if (c->idle_minutes > 0)
		snprintf(idle, sizeof idle, "%g min", c->idle_minutes);
	else
		snprintf(idle, sizeof idle, "never");
	watch_log("settings: every %g s; max_dph $%.4f/hr, min %g DLP/$; caps %lld instances, $%.4f/hr; "
		  "pool %s%s; idle destroy %s; label %s; query: %s", c->interval_s, c->max_dph, c->min_dlp,
		  c->max_instances, c->max_total_dph, c->pool, c->only_when_pending ? " (only when runs wait)" : "",
		  idle, label, c->query_string);
}

static int
run(struct ctx *ctx, const char *api_key, int once)
{
	const char *root = ctx_root(ctx);
	struct watcher w;
	struct buf err = BUF_INIT;
	struct sigaction sa = { 0 };
	int rfd = ready_fd(), lfd, rc = 1, failed = 0;
	pid_t holder;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&w, 0, sizeof w);
	if ((lfd = lock_take(root, &holder, &err)) < 0) {
		if (holder) {
			ready_say(&rfd, "already %ld\n", (long)holder);
			error("vastai-watcher already runs for this root (pid %ld)", (long)holder);
		} else {
			ready_say(&rfd, "error %s\n", err.s);
			error("%s", err.s);
		}
		goto out;
	}
	if (watcher_init(&w, root, api_key, &err) < 0) {
		ready_say(&rfd, "error %s\n", err.s);
		error("%s", err.s);
		goto out;
	}
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	w.stop = &stop_flag;
	watch_log("vastai-watcher started: pid %ld, root %s", (long)getpid(), root);
	settings_line(&w.cfg, w.label);
	if (watch_state_save(&w, &err) < 0) {
		ready_say(&rfd, "error %s\n", err.s);
		error("%s", err.s);
		goto out;
	}
	ready_say(&rfd, "ok %ld\n", (long)getpid());
	for (;;) {
		rotate_log(root);
		failed = watch_tick(&w) < 0;
		double delay = watch_next_delay(&w);
		char next[32];
		iso_time(time(NULL) + (time_t)ceil(delay), next);
		json_object_set_new(w.state, "next_tick_at", once || stop_flag ? json_null() : json_string(next));
		buf_reset(&err);
		if (watch_state_save(&w, &err) < 0)
			watch_log("error: %s", err.s);
		if (once || stop_flag)
			break;
		if (w.failures)
			watch_log("backing off: next tick in %g s (%d failed in a row)", delay, w.failures);
		sleep_until_stop(delay);
		if (stop_flag)
			break;
	}
	char now[32];
	iso_now(now);
	json_object_set_new(w.state, "stopped_at", json_string(now));
	json_object_set_new(w.state, "next_tick_at", json_null());
	buf_reset(&err);
	if (watch_state_save(&w, &err) < 0)
		watch_log("error: %s", err.s);
	if (stop_flag)
		watch_log("vastai-watcher stopped (%s)", stop_sig == SIGTERM ? "SIGTERM" : stop_sig == SIGINT ? "SIGINT" : "SIGHUP");
	else
		watch_log("vastai-watcher done (--once)");
	rc = once && failed ? 1 : 0;
out:
	if (rfd >= 0)
		close(rfd);
	watcher_release(&w);
	if (lfd >= 0)
		close(lfd);
	buf_release(&err);
	return rc;
}

/* ---- start / stop ---- */

static int
start(struct ctx *ctx, const char *api_key, long long timeout)
{
	const char *root = ctx_root(ctx);
	char exe[PATH_MAX], *logp = path_join(root, WATCH_LOG), *dir = path_join(root, ".ros");
	int pfd[2] = { -1, -1 }, logfd = -1, nullfd = -1, rc = 1;
	struct buf msg = BUF_INIT;
	pid_t holder = lock_holder(root), pid;

	if (holder) {
		printf("vastai-watcher already runs (pid %ld)\n", (long)holder);
		rc = 0;
		goto out;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		error("cannot find the ros binary: %s", strerror(errno));
		goto out;
	}
	exe[n] = 0;
	if (mkdir_p(dir, 0755) < 0 ||
	    (logfd = open(logp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    (nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		error("cannot prepare the watcher (%s): %s", logp, strerror(errno));
		goto out;
	}
	if (api_key)
		setenv("VAST_API_KEY", api_key, 1);	/* the child's key: environment, not argv */
	char fdnum[16];
	snprintf(fdnum, sizeof fdnum, "%d", pfd[1]);
	setenv(READY_ENV, fdnum, 1);
	char *argv[] = { exe, (char *)"--root", (char *)root, (char *)"vastai-watcher", (char *)"run", NULL };
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		error("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		setsid();
		dup2(nullfd, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		fcntl(pfd[1], F_SETFD, 0);
		execv(exe, argv);
		_exit(127);
	}
	unsetenv(READY_ENV);
	close(pfd[1]);
	pfd[1] = -1;
	/* Wait for its word, or its end. */
	int64_t end = mono_ms() + timeout * 1000;
	for (;;) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		struct pollfd p = { pfd[0], POLLIN, 0 };
		int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		char b[512];
		ssize_t k = read(pfd[0], b, sizeof b);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		buf_add(&msg, b, (size_t)k);
	}
	while (msg.len && msg.s[msg.len - 1] == '\n')
		msg.s[--msg.len] = 0;
	if (str_starts(buf_cstr(&msg), "ok ")) {
		printf("vastai-watcher started (pid %s); log: %s\n", msg.s + 3, WATCH_LOG);
		rc = 0;
	} else if (str_starts(buf_cstr(&msg), "already ")) {
		printf("vastai-watcher already runs (pid %s)\n", msg.s + 8);
		rc = 0;
	} else if (str_starts(buf_cstr(&msg), "error ")) {
		error("the watcher did not start: %s", msg.s + 6);
		waitpid(pid, NULL, 0);
	} else {
		int st = 0;
		if (waitpid(pid, &st, WNOHANG) == pid)
			error("the watcher exited at once (%s %d); see %s", WIFSIGNALED(st) ? "signal" : "exit",
			      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), WATCH_LOG);
		else
			error("the watcher (pid %ld) did not say it was up within %lld s; see %s", (long)pid,
			      timeout, WATCH_LOG);
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	free(logp);
	free(dir);
	buf_release(&msg);
	return rc;
}

/* Wait up to ms for the lock of root to be free. */
static int
wait_free(const char *root, int64_t ms)
{
	int64_t end = mono_ms() + ms;
	while (lock_holder(root)) {
		if (mono_ms() >= end)
			return -1;
		usleep(20000);
	}
	return 0;
}

static int
stop(struct ctx *ctx, long long timeout)
{
	const char *root = ctx_root(ctx);
	pid_t pid = lock_holder(root);

	if (!pid) {
		printf("vastai-watcher is not running\n");
		return 0;
	}
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		error("cannot signal the watcher (pid %ld): %s", (long)pid, strerror(errno));
		return 1;
	}
	if (wait_free(root, timeout * 1000) == 0) {
		printf("vastai-watcher stopped (pid %ld)\n", (long)pid);
		return 0;
	}
	kill(pid, SIGKILL);
	if (wait_free(root, 5000) == 0) {
		error("the watcher (pid %ld) did not stop within %lld s of SIGTERM; killed it (its files are "
		      "whole: every write is atomic)", (long)pid, timeout);
		return 1;
	}
	error("the watcher (pid %ld) does not stop, even after SIGKILL", (long)pid);
	return 1;
}

/* ---- status ---- */

static void
fmt_dur(char out[32], long long t)
{
	if (t < 0)
		t = 0;
	if (t < 60)
		snprintf(out, 32, "%llds", t);
	else if (t < 3600)
		snprintf(out, 32, "%lldm %02llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, 32, "%lldh %02lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(out, 32, "%lldd %02lldh", t / 86400, t % 86400 / 3600);
}

static long long
ago(const char *iso)
{
	time_t t = iso ? parse_iso_time(iso) : (time_t)-1;
	return t == (time_t)-1 ? -1 : (long long)(time(NULL) - t);
}

/* The live instances with the watcher's label, each with the worker that
 * names it: new array of {id, status, gpu_name, dph, ssh, worker}. */
static json_t *
live_mine(const char *root, const char *label, const json_t *live)
{
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	json_t *out = json_array(), *row;
	size_t i;
	int have_reg = registry_load(&reg, root, &err) == 0;

	json_array_foreach(live, i, row) {
		const char *l = json_string_value(json_object_get(row, "label"));
		long long id = 0;
		char *host = NULL, *ep = NULL;
		int port = 0;
		if (!l || strcmp(l, label))
			continue;
		vast_json_int(json_object_get(row, "id"), &id);
		char *st = vast_disp_field(row, "actual_status", 20, "null");
		char *gpu = vast_disp_field(row, "gpu_name", 30, "?");
		if (vast_ssh_endpoint(row, 0, &host, &port) == 0)
			ep = xasprintf("%s:%d", host, port);
		char *wk = have_reg ? vast_workers_of(&reg, id, 0) : xstrdup("");
		json_t *dph = json_object_get(row, "dph_total");
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:o,s:o,s:o}", "id", (json_int_t)id,
			"status", st, "gpu_name", gpu, "dph", json_is_number(dph) ? json_real(json_number_value(dph)) : json_null(),
			"ssh", ep ? json_string(ep) : json_null(), "worker", *wk ? json_string(wk) : json_null()));
		free(st);
		free(gpu);
		free(host);
		free(ep);
		free(wk);
	}
	registry_release(&reg);
	buf_release(&err);
	return out;
}

static void
print_setting(const char *k, const json_t *v)
{
	if (json_is_null(v))
		printf("  %-22s (not set)\n", k);
	else if (json_is_string(v))
		printf("  %-22s %s\n", k, json_string_value(v));
	else if (json_is_real(v))
		printf("  %-22s %.10g\n", k, json_real_value(v));
	else {
		char *s = json_compact(v);
		printf("  %-22s %s\n", k, s);
		free(s);
	}
}

static int
status(struct ctx *ctx, const char *api_key)
{
	const char *root = ctx_root(ctx);
	pid_t pid = lock_holder(root);
	json_t *state = watch_state_load(root), *settings = NULL, *mine = NULL, *live = NULL;
	struct watch_config cfg;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct buf cerr = BUF_INIT, aerr = BUF_INIT;
	char *label = watch_label(root);
	int cfg_ok = watch_config_load(root, &cfg, NULL, &cerr) == 0;
	double spend = 0;
	size_t i;
	json_t *r;

	if (cfg_ok)
		settings = watch_config_json(&cfg);
	if (vast_client_init(&vc, api_key, &aerr) == 0)
		live = vast_list_instances(&vc, &aerr);
	if (live) {
		mine = live_mine(root, label, live);
		json_array_foreach(mine, i, r)
			spend += json_is_number(json_object_get(r, "dph")) ? json_number_value(json_object_get(r, "dph")) : 0;
	}
	/* the state file is this run's only while the pid matches */
	long long spid = 0;
	jint(state, "pid", &spid);
	const char *started = pid && spid == pid ? jstr(state, "started_at") : NULL;
	json_t *lt = json_object_get(state, "last_tick");
	json_t *rented = json_object_get(state, "rented"), *destroyed = json_object_get(state, "destroyed");

	if (ctx->json) {
		json_t *o = json_object();
		json_object_set_new(o, "running", json_boolean(pid != 0));
		json_object_set_new(o, "pid", pid ? json_integer(pid) : json_null());
		json_object_set_new(o, "started_at", started ? json_string(started) : json_null());
		json_object_set_new(o, "uptime_s", started ? json_integer(ago(started)) : json_null());
		json_object_set_new(o, "label", json_string(label));
		json_object_set_new(o, "last_tick", json_is_object(lt) ? json_incref(lt) : json_null());
		json_object_set_new(o, "next_tick_at", pid && json_is_string(json_object_get(state, "next_tick_at")) ?
				    json_incref(json_object_get(state, "next_tick_at")) : json_null());
		json_object_set_new(o, "instances", mine ? json_incref(mine) : json_null());
		json_object_set_new(o, "dph", mine ? json_real(spend) : json_null());
		json_object_set_new(o, "api_error", live ? json_null() : json_string(aerr.s));
		json_object_set_new(o, "rented", json_is_array(rented) ? json_incref(rented) : json_array());
		json_object_set_new(o, "destroyed", json_is_array(destroyed) ? json_incref(destroyed) : json_array());
		json_object_set_new(o, "settings", settings ? json_incref(settings) : json_null());
		json_object_set_new(o, "settings_error", cfg_ok ? json_null() : json_string(cerr.s));
		json_print(o);
		json_decref(o);
		goto done;
	}
	char d[32];
	if (pid && started) {
		fmt_dur(d, ago(started));
		printf("vastai-watcher: running (pid %ld), up %s since %s\n", (long)pid, d, started);
	} else if (pid) {
		printf("vastai-watcher: running (pid %ld)\n", (long)pid);
	} else {
		const char *stopped = jstr(state, "stopped_at");
		printf("vastai-watcher: not running");
		if (stopped)
			printf(" (pid %lld stopped at %s)", spid, stopped);
		printf("\n");
	}
	if (json_is_object(lt)) {
		fmt_dur(d, ago(jstr(lt, "at")));
		printf("last tick: #%lld at %s (%s ago): %s; %lld instance%s, $%.4f/hr; rented %lld, destroyed %lld\n",
		       (long long)json_integer_value(json_object_get(lt, "tick")), jstr0(lt, "at"), d,
		       jstr0(lt, "outcome"), (long long)json_integer_value(json_object_get(lt, "instances")),
		       json_integer_value(json_object_get(lt, "instances")) == 1 ? "" : "s",
		       json_number_value(json_object_get(lt, "dph")),
		       (long long)json_integer_value(json_object_get(lt, "rented")),
		       (long long)json_integer_value(json_object_get(lt, "destroyed")));
		const char *next = jstr(state, "next_tick_at");
		if (pid && next) {
			fmt_dur(d, -ago(next));
			printf("next tick: in %s\n", d);
		}
	} else {
		printf("last tick: none yet\n");
	}
	printf("rented so far: %zu instance%s (%zu destroyed since)\n", json_array_size(rented),
	       json_array_size(rented) == 1 ? "" : "s", json_array_size(destroyed));
	if (!mine) {
		printf("instances it rented: unknown (%s)\n", aerr.s);
	} else {
		printf("instances it rented, live (label %s): %zu, $%.4f/hr now", label, json_array_size(mine), spend);
		if (cfg_ok)
			printf(" (caps: %lld instances, $%.4f/hr)", cfg.max_instances, cfg.max_total_dph);
		printf("\n");
		if (json_array_size(mine)) {
			struct table t;
			table_init(&t, 6, "INSTANCE", "STATUS", "GPU", "$/HR", "SSH", "WORKER");
			t.indent = 2;
			t.right = 1u << 0 | 1u << 3;
			json_array_foreach(mine, i, r) {
				char *c[6];
				c[0] = xasprintf("%lld", (long long)json_integer_value(json_object_get(r, "id")));
				c[1] = xstrdup(jstr0(r, "status"));
				c[2] = xstrdup(jstr0(r, "gpu_name"));
				c[3] = json_is_number(json_object_get(r, "dph")) ?
					xasprintf("%.4f", json_number_value(json_object_get(r, "dph"))) : xstrdup("-");
				c[4] = xstrdup(jstr(r, "ssh") ? jstr(r, "ssh") : "-");
				c[5] = xstrdup(jstr(r, "worker") ? jstr(r, "worker") : "(not registered yet)");
				table_rowv(&t, c);
				for (int k = 0; k < 6; k++)
					free(c[k]);
			}
			table_print(&t, stdout, 1);
			table_release(&t);
		}
	}
	if (!cfg_ok) {
		printf("settings: %s\n", cerr.s);
	} else {
		const char *k;
		json_t *v;
		printf("settings in effect (%s):\n", WATCH_CONFIG);
		json_object_foreach(settings, k, v)
			print_setting(k, v);
	}
done:;
	int rc = cfg_ok && live ? 0 : 1;
	if (cfg_ok)
		watch_config_release(&cfg);
	json_decref(settings);
	json_decref(state);
	json_decref(mine);
	json_decref(live);
	vast_client_release(&vc);
	buf_release(&cerr);
	buf_release(&aerr);
	free(label);
	return rc;
}

/* ---- log ---- */

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

static int
show_log(struct ctx *ctx, long long n, int follow)
{
	char *path = path_join(ctx_root(ctx), WATCH_LOG);
	size_t len;
	char *data = read_file(path, &len);
	int rc = 1;

	if (!data && !follow) {
		error("no watcher log (%s): start the watcher with `ros vastai-watcher start`", WATCH_LOG);
		goto out;
	}
	if (data)
		print_tail(data, len, n);
	else
		len = 0;
	if (follow) {
		struct stat st;
		ino_t ino = stat(path, &st) == 0 ? st.st_ino : 0;
		off_t pos = (off_t)len;
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
	rc = 0;
out:
	free(data);
	free(path);
	return rc;
}

/* ---- the command ---- */

static int
cmd_vastai_watcher_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *api_key = NULL;
	long long lines = 40, timeout = 30;
	int follow = 0, once = 0, seen_lines = 0, seen_timeout = 0;
	const struct opt opts[] = {
		{ "lines", OPT_INT, &lines, "N", "log: the last N lines (default 40)", 'n', &seen_lines },
		{ "follow", OPT_BOOL, &follow, NULL, "log: then print lines as they come", 'f', NULL },
		{ "once", OPT_BOOL, &once, NULL, "run: one tick, then exit", 0, NULL },
		{ "timeout", OPT_INT, &timeout, "S", "start, stop: wait at most S seconds (default 30)", 0, &seen_timeout },
		{ "api-key", OPT_STR, &api_key, "KEY", "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)", 0, NULL },
		OPT_END
	};
	struct strv pos = STRV_INIT;
	int rc = 1;

	opt_parse(ctx, current_cmd, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, pos.n ? "one subcommand at a time" : "start, stop, status, log, run or blacklist?");
	const char *sub = pos.v[0];
	int is_log = !strcmp(sub, "log");
	if ((seen_lines || follow) && !is_log)
		usage_error(ctx, "-n and -f go with log");
	if (once && strcmp(sub, "run"))
		usage_error(ctx, "--once goes with run");
	if (seen_timeout && strcmp(sub, "start") && strcmp(sub, "stop"))
		usage_error(ctx, "--timeout goes with start and stop");
	if (api_key && strcmp(sub, "start") && strcmp(sub, "run") && strcmp(sub, "status"))
		usage_error(ctx, "--api-key goes with start, run and status");
	if (ctx->json && strcmp(sub, "status") && strcmp(sub, "blacklist"))
		usage_error(ctx, "--json goes with status and blacklist");
	if (lines < 0 || timeout < 1)
		usage_error(ctx, "-n must be 0 or more, --timeout at least 1");
	if (!strcmp(sub, "run"))
		rc = run(ctx, api_key, once);
	else if (!strcmp(sub, "start"))
		rc = start(ctx, api_key, timeout);
	else if (!strcmp(sub, "stop"))
		rc = stop(ctx, timeout);
	else if (!strcmp(sub, "status"))
		rc = status(ctx, api_key);
	else if (is_log)
		rc = show_log(ctx, lines, follow);
	else if (!strcmp(sub, "blacklist")) {
		char *av[] = { (char *)"vastai-blacklist", (char *)"list", NULL };
		rc = cmd_vastai_blacklist.fn(2, av, ctx);
	} else
		usage_error(ctx, "unknown subcommand '%s' (start, stop, status, log, run or blacklist)", sub);
	strv_release(&pos);
	return rc;
}

const struct ros_cmd cmd_vastai_watcher = {
	"vastai-watcher", cmd_vastai_watcher_fn, CMD_JSON,
	"background GPU hunter: start | stop | status | log [-n N] [-f] | run [--once] | blacklist",
	"start|stop|status|log|run|blacklist [-n N] [-f] [--once] [--timeout S] [--api-key KEY] [--json]",
	"Rents cheap Vast.ai offers within caps and registers each as a worker; destroys\n"
	"the ones it rented once they are idle.  Settings: vastai/watcher.yaml (written\n"
	"with commented defaults by `ros init` or on first use; re-read every tick).\n"
	"  start      run the loop in the background (one per root; pid and log in .ros/)\n"
	"  stop       SIGTERM, then wait until it is gone (files stay whole)\n"
	"  status     running or not, pid, uptime, last tick and its outcome, the live\n"
	"             instances it rented and their $/hr (from the API), the settings\n"
	"  log        the last 40 lines of .ros/watcher.log (-n N), -f to follow\n"
	"  run        the loop in the foreground, logging to stdout; --once: one tick\n"
	"             (exit 1 when it failed), e.g. from cron\n"
	"  blacklist  the banned machines (change them with vastai-blacklist)\n"
	"Each tick counts the instances labelled ros-watcher:<id of this root> on the\n"
	"account (never from memory), searches offers (profile filters, max_dph,\n"
	"min_dlp_per_dollar), drops blacklisted machines, rents the best DLP/$ first while\n"
	"max_instances and max_total_dph allow (with only_when_pending: only while runs of\n"
	"its pool wait without a free slot), waits until each runs with an SSH endpoint and\n"
	"registers it as worker vastai_auto_<date>_<time> with its instance_id.  API errors\n"
	"back off (interval doubled, up to 8x) and never end the loop.",
};
