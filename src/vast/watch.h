/*
 * watch.h - the Vast.ai watcher: its settings (vastai/watcher.yaml), one
 * tick of its loop, and the files it keeps under .ros/.  The command
 * (src/cmd/vast_watcher.c) starts and stops the process (util/daemon.h)
 * and shows what watch_status() gathers.
 *
 * Which instances are the watcher's: those whose Vast.ai label is
 * watch_label(root), "ros-watcher:" + 12 hex digits of a hash of the
 * root's absolute path, set when it rents them.  The caps are counted on
 * every tick from the live list (GET /api/v1/instances/) by that label, never
 * from memory, so a restart, a crash or a rental whose registration failed
 * never lets it rent past them.  (Moving the root changes the label: the
 * instances rented before then no longer count, nor are they destroyed when
 * idle.)
 *
 * One tick (watch_tick):
 *   1. re-read watcher.yaml (a broken file keeps the settings in effect) and
 *      the blacklist (unreadable: nothing is rented this tick);
 *   2. list the live instances; count the watcher's and their $/hr (one
 *      without a price counts as max_dph; one whose numbers Vast.ai got
 *      wrong, vast/values.h, makes the spend unknown: nothing is rented
 *      while it is there, it is not registered, and unregistered it is
 *      destroyed after boot_timeout_seconds like one that never came up);
 *   3. a labelled instance that no worker names (its registration was cut
 *      short by a stop, a timeout or a crash) is registered once it runs
 *      with an SSH endpoint, or destroyed when it has not come up within
 *      boot_timeout_seconds of its start;
 *   4. idle destroy: a labelled instance none of whose workers' runs is
 *      active, nor dispatched, started or ended in the last
 *      idle_destroy_minutes (and started before that), has its workers
 *      retired (vast_retire_idle_instance: disabled, checked again under the
 *      lock) and is destroyed;
 *   5. with only_when_pending, the demand is the GPU slots asked by pending
 *      runs of worker_pool minus the free slots of its enabled workers;
 *      while there is demand (or always, without only_when_pending) and the
 *      caps leave room: search offers (the profile's filters, max_dph,
 *      min_dlp_per_dollar; allocated storage = disk_gb so dph_total is the
 *      price of what is rented), drop blacklisted machines, dearer offers and
 *      offers under min_dlp_per_dollar, best DLP/$ first; rent one offer at a
 *      time with the label (an offer gone meanwhile is skipped), wait until
 *      it runs with an SSH endpoint, register it with vast_register_rental
 *      (the path of vast-hunt --rent), optionally run setup-worker, and
 *      re-read the demand.
 * Every decision is one log line (watch_log): what was seen, rented,
 * skipped and why, registered, destroyed.  A tick that could not list the
 * instances (429, 5xx, timeouts, a rejected key) fails: the loop backs off
 * and tries again; it never rents without a fresh count.
 */
#ifndef ROS_VAST_WATCH_H
#define ROS_VAST_WATCH_H

#include <jansson.h>
#include <signal.h>

#include "vast/api.h"
#include "vast/hunt.h"
#include "util/util.h"

#define WATCH_CONFIG "vastai/watcher.yaml"
#define WATCH_PID ".ros/watcher.pid"
#define WATCH_LOG ".ros/watcher.log"
#define WATCH_STATE ".ros/watcher.state.json"

struct watch_config {
	double interval_s;		/* interval_seconds */
	double max_dph;			/* per instance, $/hr */
	double min_dlp;			/* min_dlp_per_dollar */
	char *profile;			/* NULL: none */
	char *query;			/* more terms, NULL: none */
	double min_vram_gb, min_cuda, min_reliability;	/* NAN: unset */
	long long num_gpus;		/* 0: unset */
	struct strv gpus, exclude_geo;
	int gpus_set, geo_set;
	char *image, *onstart;		/* as set in the file; NULL: the profile's */
	double disk_gb;			/* NAN: the profile's, else 32 */
	char *pool;			/* worker_pool */
	int direct;			/* ssh_mode: direct */
	char *ssh_key, *workspace;	/* NULL: unset */
	int setup_worker;
	long long max_instances;
	double max_total_dph;
	int only_when_pending;
	double idle_minutes;		/* idle_destroy_minutes, 0: never */
	long long boot_timeout_s;	/* boot_timeout_seconds */
	/* what the settings add up to */
	char *rent_image, *rent_onstart;	/* image and onstart rented with */
	double rent_disk;			/* disk rented, GB */
	char *query_string;			/* the offer query */
	json_t *query_obj;			/* ... as POST /api/v0/bundles/ takes it */
};

void watch_config_init(struct watch_config *c);
void watch_config_release(struct watch_config *c);

/*
 * Read root/vastai/watcher.yaml (written with the defaults first when it
 * is missing; *created set when not NULL) into c.  A wrong value is an
 * error naming the key: "vastai/watcher.yaml:4:10: max_dph must be a
 * positive number"; unknown and repeated keys are errors too.  0, or -1
 * with err (c is then released).
 */
int watch_config_load(const char *root, struct watch_config *c, int *created, struct buf *err);

/* The settings in effect, one "key: value" per element ({"key": value}, in
 * the file's order, plus "query_string").  New reference. */
json_t *watch_config_json(const struct watch_config *c);

/* "ros-watcher:<12 hex>" for root (an absolute path).  New string. */
char *watch_label(const char *root);

/* One log line: "YYYY-MM-DDTHH:MM:SSZ msg" on stdout, flushed. */
void watch_log(const char *fmt, ...) PRINTF(1, 2);

/* A duration for people: "45s", "3m 05s", "2h 10m", "3d 04h". */
void watch_dur(char out[32], double seconds);

struct watcher {
	char *root;
	char *label;
	struct watch_config cfg;	/* settings in effect */
	struct vast_client vc;
	volatile sig_atomic_t *stop;	/* set by SIGTERM: finish or abandon the tick */
	json_t *state;			/* what .ros/watcher.state.json holds */
	json_t *first_seen;		/* "id" -> time first seen, for rows without start_date */
	char *cfg_error;		/* why watcher.yaml was last refused, NULL: it reads */
	long long ticks;
	int failures;			/* ticks failed in a row */
	long long log_max;		/* rotate .ros/watcher.log (stdout) past this; 0: never */
};

/* Settings, API client, label and the state file's history.  0 or -1 with
 * err (bad settings, no API key). */
int watcher_init(struct watcher *w, const char *root, const char *api_key, struct buf *err);
void watcher_release(struct watcher *w);

/* One tick (see above).  0, or -1 when it failed (transient: try again
 * later).  The outcome is recorded in w->state (last_tick). */
int watch_tick(struct watcher *w);

/* Write w->state to .ros/watcher.state.json (atomically).  0 or -1 with err. */
int watch_state_save(struct watcher *w, struct buf *err);

/* The state file of root, or NULL when there is none (or it is unreadable). */
json_t *watch_state_load(const char *root);

/* Seconds until the next tick after a tick: interval_seconds, doubled for
 * each failure in a row, up to 8 times. */
double watch_next_delay(const struct watcher *w);

/* The loop (watch_loop.c).  watch_begin: log that it started and the
 * settings, write the state file (0, or -1 with err).  watch_run: tick,
 * record the outcome and the next tick's time, sleep (backing off), until
 * *w->stop or after one tick with once; then record stopped_at.  1 when
 * once and the tick failed, else 0. */
int watch_begin(struct watcher *w, struct buf *err);
int watch_run(struct watcher *w, int once);

/*
 * What `vastai-watcher status` shows, from the files and one request
 * (api_key: NULL, the usual places): {running, pid, started_at, uptime_s,
 * label, last_tick, next_tick_at, instances: [{id, status, gpu_name, dph,
 * ssh, worker}] (the live ones with the label), dph (their sum), api_error,
 * rented, destroyed (the history), settings (watch_config_json),
 * settings_error, stopped: {pid, at} (when not running)}; instances and
 * dph are null when the API did not answer, settings when watcher.yaml
 * does not read.  New reference.
 */
json_t *watch_status(const char *root, const char *api_key);

#endif
