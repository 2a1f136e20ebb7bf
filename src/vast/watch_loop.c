/*
 * watch_loop.c - the watcher's loop, and what its status shows (see
 * watch.h).
 */
#include "vast/watch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/jx.h"
#include "store/registry.h"
#include "util/daemon.h"
#include "vast/reconcile.h"
#include "vast/values.h"

/* ---- the loop ---- */

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

int
watch_begin(struct watcher *w, struct buf *err)
{
	watch_log("vastai-watcher started: pid %ld, root %s", (long)getpid(), w->root);
	settings_line(&w->cfg, w->label);
	return watch_state_save(w, err);
}

static int
stopping(const struct watcher *w)
{
	return w->stop && *w->stop;
}

static void
save(struct watcher *w)
{
	struct buf err = BUF_INIT;
	if (watch_state_save(w, &err) < 0)
		watch_log("error: %s", err.s);
	buf_release(&err);
}

int
watch_run(struct watcher *w, int once)
{
	char *log = path_join(w->root, WATCH_LOG), now[32];
	int failed = 0;

	for (;;) {
		if (w->log_max > 0 && daemon_log_rotate(log, w->log_max))
			watch_log("log continued from %s.1", WATCH_LOG);
		failed = watch_tick(w) < 0;
		double delay = watch_next_delay(w);
		char next[32];
		iso_time(time_now() + (time_t)ceil(delay), next);
		json_object_set_new(w->state, "next_tick_at", once || stopping(w) ? json_null() : json_string(next));
		save(w);
		if (once || stopping(w))
			break;
		if (w->failures)
			watch_log("backing off: next tick in %g s (%d failed in a row)", delay, w->failures);
		daemon_sleep(delay, w->stop);
		if (stopping(w))
			break;
	}
	iso_now(now);
	json_object_set_new(w->state, "stopped_at", json_string(now));
	json_object_set_new(w->state, "next_tick_at", json_null());
	save(w);
	free(log);
	return once && failed ? 1 : 0;
}

/* ---- status ---- */

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

/* The live instances of the label and their $/hr, or api_error. */
static void
status_live(json_t *o, const char *root, const char *label, const char *api_key)
{
	struct vast_client vc = VAST_CLIENT_INIT;
	struct buf err = BUF_INIT;
	json_t *live = NULL, *mine, *r;
	double spend = 0;
	size_t i;

	if (vast_client_init(&vc, api_key, &err) == 0)
		live = vast_list_instances(&vc, &err);
	if (!live) {
		json_object_set_new(o, "instances", json_null());
		json_object_set_new(o, "dph", json_null());
		json_object_set_new(o, "api_error", json_string(err.s));
	} else {
		mine = live_mine(root, label, live);
		json_array_foreach(mine, i, r)
			spend += json_is_number(json_object_get(r, "dph")) ? json_number_value(json_object_get(r, "dph")) : 0;
		json_object_set_new(o, "instances", mine);
		json_object_set_new(o, "dph", json_real(spend));
		json_object_set_new(o, "api_error", json_null());
	}
	json_decref(live);
	vast_client_release(&vc);
	buf_release(&err);
}

/* v (a new reference) when ok, else dflt. */
static json_t *
copy_or(json_t *v, int ok, json_t *dflt)
{
	if (!ok)
		return dflt;
	json_decref(dflt);
	return json_incref(v);
}

json_t *
watch_status(const char *root, const char *api_key)
{
	char *pidfile = path_join(root, WATCH_PID), *label = watch_label(root);
	pid_t pid = daemon_holder(pidfile);
	json_t *state = watch_state_load(root), *o = json_object();
	json_t *lt = json_object_get(state, "last_tick"), *next = json_object_get(state, "next_tick_at");
	json_t *rented = json_object_get(state, "rented"), *destroyed = json_object_get(state, "destroyed");
	struct watch_config cfg;
	struct buf cerr = BUF_INIT;
	long long spid = 0;

	/* the state file is this run's only while the pid matches */
	jint(state, "pid", &spid);
	const char *started = pid && spid == pid ? jstr(state, "started_at") : NULL;
	json_object_set_new(o, "running", json_boolean(pid != 0));
	json_object_set_new(o, "pid", pid ? json_integer(pid) : json_null());
	json_object_set_new(o, "started_at", started ? json_string(started) : json_null());
	json_object_set_new(o, "uptime_s", started ? json_integer(iso_age(started)) : json_null());
	json_object_set_new(o, "label", json_string(label));
	json_object_set_new(o, "last_tick", copy_or(lt, json_is_object(lt), json_null()));
	json_object_set_new(o, "next_tick_at", copy_or(next, pid && json_is_string(next), json_null()));
	status_live(o, root, label, api_key);
	json_object_set_new(o, "rented", copy_or(rented, json_is_array(rented), json_array()));
	json_object_set_new(o, "destroyed", copy_or(destroyed, json_is_array(destroyed), json_array()));
	if (watch_config_load(root, &cfg, NULL, &cerr) == 0) {
		json_object_set_new(o, "settings", watch_config_json(&cfg));
		json_object_set_new(o, "settings_error", json_null());
		watch_config_release(&cfg);
	} else {
		json_object_set_new(o, "settings", json_null());
		json_object_set_new(o, "settings_error", json_string(cerr.s));
	}
	if (!pid && jstr(state, "stopped_at"))
		json_object_set_new(o, "stopped", json_pack("{s:I,s:s}", "pid", (json_int_t)spid, "at",
							    jstr(state, "stopped_at")));
	else
		json_object_set_new(o, "stopped", json_null());
	json_decref(state);
	buf_release(&cerr);
	free(label);
	free(pidfile);
	return o;
}
