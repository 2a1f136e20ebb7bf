/*
 * vast_watcher.c - `ros vastai-watcher start | stop | status | log | run |
 * blacklist`: the background GPU hunter of a root.  The loop is
 * vast/watch.h; the process (one per root, held by a record lock on
 * .ros/watcher.pid, started detached with a handshake) is util/daemon.h.
 *
 * `start` runs `ros --root ROOT vastai-watcher run` in a new session,
 * stdin /dev/null, stdout and stderr appended to .ros/watcher.log, and
 * waits until it says it holds the lock and its settings are valid (or
 * why not).  The API key reaches it through the environment, never argv.
 * `stop` sends SIGTERM and waits until it is gone: the loop ends after the
 * request in flight (a rental being waited for is left to the next start,
 * which registers it); every file it writes is written atomically.
 */
#include "ros.h"
#include "store/registry.h"
#include "util/daemon.h"
#include "util/jx.h"
#include "util/table.h"
#include "vast/blacklist.h"
#include "vast/watch.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_DEFAULT (4L << 20)	/* rotate .ros/watcher.log past 4 MiB */

/* ---- run ---- */

static volatile sig_atomic_t stop_flag, stop_sig;

static long long
log_max(void)
{
	const char *e = getenv("ROS_WATCHER_LOG_MAX");
	long long max = LOG_MAX_DEFAULT;
	if (e && *e && parse_long(e, &max) < 0)
		max = LOG_MAX_DEFAULT;
	return max;
}

static int
run(struct ctx *ctx, const char *api_key, int once)
{
	const char *root = ctx_root(ctx);
	char *pidfile = path_join(root, WATCH_PID);
	struct watcher w;
	struct buf err = BUF_INIT;
	int rfd = daemon_ready_fd(), lfd, rc = 1;
	pid_t holder;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&w, 0, sizeof w);
	if ((lfd = daemon_lock(pidfile, &holder, &err)) < 0) {
		if (holder) {
			daemon_ready_already(&rfd, holder);
			error("vastai-watcher already runs for this root (pid %ld)", (long)holder);
		} else {
			daemon_ready_error(&rfd, err.s);
			error("%s", err.s);
		}
		goto out;
	}
	if (watcher_init(&w, root, api_key, &err) < 0) {
		daemon_ready_error(&rfd, err.s);
		error("%s", err.s);
		goto out;
	}
	daemon_catch_stop(&stop_flag, &stop_sig);
	w.stop = &stop_flag;
	w.log_max = log_max();
	if (watch_begin(&w, &err) < 0) {
		daemon_ready_error(&rfd, err.s);
		error("%s", err.s);
		goto out;
	}
	daemon_ready_ok(&rfd);
	rc = watch_run(&w, once);
	if (stop_flag)
		watch_log("vastai-watcher stopped (%s)", stop_sig == SIGTERM ? "SIGTERM" : stop_sig == SIGINT ? "SIGINT" : "SIGHUP");
	else
		watch_log("vastai-watcher done (--once)");
out:
	if (rfd >= 0)
		close(rfd);
	watcher_release(&w);
	if (lfd >= 0)
		close(lfd);
	buf_release(&err);
	free(pidfile);
	return rc;
}

/* ---- start / stop ---- */

static int
start(struct ctx *ctx, const char *api_key, long long timeout)
{
	const char *root = ctx_root(ctx);
	char *pidfile = path_join(root, WATCH_PID), *log = path_join(root, WATCH_LOG);
	char *args[] = { (char *)"--root", (char *)root, (char *)"vastai-watcher", (char *)"run", NULL };
	struct daemon_start r = DAEMON_START_INIT;
	int rc = 1;

	if (api_key)
		setenv("VAST_API_KEY", api_key, 1);	/* the child's key: environment, not argv */
	daemon_start(pidfile, log, args, timeout, &r);
	switch (r.outcome) {
	case DAEMON_UP:
		printf("vastai-watcher started (pid %ld); log: %s\n", (long)r.pid, WATCH_LOG);
		rc = 0;
		break;
	case DAEMON_ALREADY:
		printf("vastai-watcher already runs (pid %ld)\n", (long)r.pid);
		rc = 0;
		break;
	case DAEMON_REFUSED:
		error("the watcher did not start: %s", r.msg.s);
		break;
	case DAEMON_EXITED:
		error("the watcher exited at once (%s %d); see %s", WIFSIGNALED(r.status) ? "signal" : "exit",
		      WIFSIGNALED(r.status) ? WTERMSIG(r.status) : WEXITSTATUS(r.status), WATCH_LOG);
		break;
	case DAEMON_SILENT:
		error("the watcher (pid %ld) did not say it was up within %lld s; see %s", (long)r.pid, timeout,
		      WATCH_LOG);
		break;
	case DAEMON_FAILED:
		error("cannot start the watcher: %s", r.msg.s);
		break;
	}
	daemon_start_release(&r);
	free(pidfile);
	free(log);
	return rc;
}

static int
stop(struct ctx *ctx, long long timeout)
{
	char *pidfile = path_join(ctx_root(ctx), WATCH_PID);
	pid_t pid = 0;
	int rc = 1;

	switch (daemon_stop(pidfile, timeout, &pid)) {
	case DAEMON_NOT_RUNNING:
		printf("vastai-watcher is not running\n");
		rc = 0;
		break;
	case DAEMON_STOPPED:
		printf("vastai-watcher stopped (pid %ld)\n", (long)pid);
		rc = 0;
		break;
	case DAEMON_NO_SIGNAL:
		error("cannot signal the watcher (pid %ld): %s", (long)pid, strerror(errno));
		break;
	case DAEMON_KILLED:
		error("the watcher (pid %ld) did not stop within %lld s of SIGTERM; killed it (its files are "
		      "whole: every write is atomic)", (long)pid, timeout);
		break;
	case DAEMON_STUCK:
		error("the watcher (pid %ld) does not stop, even after SIGKILL", (long)pid);
		break;
	}
	free(pidfile);
	return rc;
}

/* ---- status ---- */

static long long
num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
print_state(const json_t *st)
{
	const json_t *stopped = json_object_get(st, "stopped"), *lt = json_object_get(st, "last_tick");
	char d[32];

	if (json_is_true(json_object_get(st, "running"))) {
		printf("vastai-watcher: running (pid %lld)", num(st, "pid"));
		if (jstr(st, "started_at")) {
			watch_dur(d, (double)num(st, "uptime_s"));
			printf(", up %s since %s", d, jstr(st, "started_at"));
		}
	} else {
		printf("vastai-watcher: not running");
		if (stopped && !json_is_null(stopped))
			printf(" (pid %lld stopped at %s)", num(stopped, "pid"), jstr0(stopped, "at"));
	}
	printf("\n");
	if (!json_is_object(lt)) {
		printf("last tick: none yet\n");
		return;
	}
	watch_dur(d, (double)iso_age(jstr(lt, "at")));
	printf("last tick: #%lld at %s (%s ago): %s; %lld instance%s, $%.4f/hr; rented %lld, destroyed %lld\n",
	       num(lt, "tick"), jstr0(lt, "at"), d, jstr0(lt, "outcome"), num(lt, "instances"),
	       num(lt, "instances") == 1 ? "" : "s", json_number_value(json_object_get(lt, "dph")),
	       num(lt, "rented"), num(lt, "destroyed"));
	if (jstr(st, "next_tick_at")) {
		watch_dur(d, (double)-iso_age(jstr(st, "next_tick_at")));
		printf("next tick: in %s\n", d);
	}
}

static void
print_instances(const json_t *st)
{
	const json_t *mine = json_object_get(st, "instances"), *settings = json_object_get(st, "settings"), *r;
	size_t i;

	if (json_is_null(mine)) {
		printf("instances it rented: unknown (%s)\n", jstr0(st, "api_error"));
		return;
	}
	printf("instances it rented, live (label %s): %zu, $%.4f/hr now", jstr0(st, "label"), json_array_size(mine),
	       json_number_value(json_object_get(st, "dph")));
	if (!json_is_null(settings))
		printf(" (caps: %lld instances, $%.4f/hr)", num(settings, "max_instances"),
		       json_number_value(json_object_get(settings, "max_total_dph")));
	printf("\n");
	if (!json_array_size(mine))
		return;
	struct table t;
	table_init(&t, 6, "INSTANCE", "STATUS", "GPU", "$/HR", "SSH", "WORKER");
	t.indent = 2;
	t.right = 1u << 0 | 1u << 3;
	json_array_foreach(mine, i, r) {
		char *c[6];
		c[0] = xasprintf("%lld", num(r, "id"));
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

static void
print_settings(const json_t *st)
{
	const json_t *settings = json_object_get(st, "settings"), *v;
	const char *k;

	if (json_is_null(settings)) {
		printf("settings: %s\n", jstr0(st, "settings_error"));
		return;
	}
	printf("settings in effect (%s):\n", WATCH_CONFIG);
	json_object_foreach((json_t *)settings, k, v) {
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
}

static int
status(struct ctx *ctx, const char *api_key)
{
	json_t *st = watch_status(ctx_root(ctx), api_key);
	const json_t *rented = json_object_get(st, "rented");
	int rc = json_is_null(json_object_get(st, "settings")) || json_is_null(json_object_get(st, "instances"));

	if (ctx->json) {
		json_print(st);
	} else {
		print_state(st);
		printf("rented so far: %zu instance%s (%zu destroyed since)\n", json_array_size(rented),
		       json_array_size(rented) == 1 ? "" : "s", json_array_size(json_object_get(st, "destroyed")));
		print_instances(st);
		print_settings(st);
	}
	json_decref(st);
	return rc;
}

/* ---- log ---- */

static int
show_log(struct ctx *ctx, long long n, int follow)
{
	char *path = path_join(ctx_root(ctx), WATCH_LOG);
	int r = daemon_log_tail(path, n, follow);
	free(path);
	if (r < 0)
		error("no watcher log (%s): start the watcher with `ros vastai-watcher start`", WATCH_LOG);
	return r < 0;
}

/* ---- the command ---- */

static int
cmd_vastai_watcher_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *api_key = NULL;
	long long lines = 40, timeout = 30;
	int follow = 0, once = 0, seen_lines = 0, seen_timeout = 0;
	const struct opt opts[] = {
		{ .name = "lines", .kind = OPT_INT, .dst = &lines, .arg = "N", .help = "log: the last N lines (default 40)", .shrt = 'n', .seen = &seen_lines, .flags = OPT_MIN, .min = 0 },
		{ .name = "follow", .kind = OPT_BOOL, .dst = &follow, .help = "log: then print lines as they come", .shrt = 'f' },
		{ .name = "once", .kind = OPT_BOOL, .dst = &once, .help = "run: one tick, then exit" },
		{ .name = "timeout", .kind = OPT_INT, .dst = &timeout, .arg = "S", .help = "start, stop: wait at most S seconds (default 30)", .seen = &seen_timeout, .flags = OPT_MIN, .min = 1 },
		{ .name = "api-key", .kind = OPT_STR, .dst = &api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};
	struct strv pos = STRV_INIT;
	int rc = 1;

	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, pos.n ? "one subcommand at a time" : "start, stop, status, log, run or blacklist?");
	const char *sub = pos.v[0];
	int is_log = !strcmp(sub, "log");
	/* the options each subcommand takes */
	const struct {
		int given;
		const char *subs, *says;
	} only[] = {
		{ seen_lines || follow, "log", "-n and -f go with log" },
		{ once, "run", "--once goes with run" },
		{ seen_timeout, "start stop", "--timeout goes with start and stop" },
		{ api_key != NULL, "start run status", "--api-key goes with start, run and status" },
		{ ctx->json, "status blacklist", "--json goes with status and blacklist" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(only); i++)
		if (only[i].given && !list_has(only[i].subs, ' ', sub))
			usage_error(ctx, "%s", only[i].says);
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
	else if (!strcmp(sub, "blacklist"))
		rc = vast_blacklist_show(ctx_root(ctx), ctx->json);
	else
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
