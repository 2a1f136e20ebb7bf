/*
 * watch.c - one tick of the Vast.ai watcher, its log and its state file
 * (see watch.h).
 */
#include "vast/watch.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/setup.h"
#include "exec/proc.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/jx.h"
#include "vast/reconcile.h"
#include "vast/rent.h"
#include "vast/search.h"
#include "vast/values.h"
#include "vast/vworker.h"

#define HISTORY_MAX 100		/* entries kept in state.rented / state.destroyed */
#define LIST_IDS_MAX 8		/* instance ids named in the "seen" line */
#define EPS 1e-9

/* ---- log, label, state ---- */

void
watch_log(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char ts[32];
	va_list ap;
	iso_now(ts);
	buf_addf(&b, "%s ", ts);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addc(&b, '\n');
	fwrite(b.s, 1, b.len, stdout);
	fflush(stdout);
	buf_release(&b);
}

char *
watch_label(const char *root)
{
	uint64_t h = fnv1a(FNV1A_INIT, root, strlen(root));
	return xasprintf("ros-watcher:%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

json_t *
watch_state_load(const char *root)
{
	char *path = path_join(root, WATCH_STATE);
	json_t *s = json_load_file(path, 0, NULL);
	free(path);
	if (s && !json_is_object(s)) {
		json_decref(s);
		s = NULL;
	}
	return s;
}

int
watch_state_save(struct watcher *w, struct buf *err)
{
	char *path = path_join(w->root, WATCH_STATE);
	char *text = json_dumps(w->state, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	struct buf b = BUF_INIT;
	buf_adds(&b, text ? text : "{}");
	buf_addc(&b, '\n');
	int r = atomic_write(path, b.s, b.len, 0644, err);
	buf_release(&b);
	free(text);
	free(path);
	return r;
}

/* A warning of the API layer (a row refused for its numbers): logged. */
static void
api_warning(void *arg, const char *msg)
{
	(void)arg;
	watch_log("warning: %s", msg);
}

static json_t *
history(json_t *old, const char *key)
{
	json_t *a = json_object_get(old, key);
	return json_is_array(a) ? json_deep_copy(a) : json_array();
}

static void
history_add(struct watcher *w, const char *key, json_t *entry)
{
	json_t *a = json_object_get(w->state, key);
	json_array_append_new(a, entry);
	while (json_array_size(a) > HISTORY_MAX)
		json_array_remove(a, 0);
}

int
watcher_init(struct watcher *w, const char *root, const char *api_key, struct buf *err)
{
	char now[32];
	json_t *old;

	memset(w, 0, sizeof *w);
	w->root = xstrdup(root);
	w->label = watch_label(root);
	w->vc = (struct vast_client)VAST_CLIENT_INIT;
	w->first_seen = json_object();
	old = watch_state_load(root);
	iso_now(now);
	w->state = json_pack("{s:I,s:s,s:s,s:I,s:n,s:n,s:o,s:o}", "pid", (json_int_t)getpid(),
			     "started_at", now, "label", w->label, "ticks", (json_int_t)0, "last_tick",
			     "next_tick_at", "rented", history(old, "rented"), "destroyed",
			     history(old, "destroyed"));
	json_decref(old);
	if (watch_config_load(root, &w->cfg, NULL, err) < 0)
		return -1;
	if (vast_client_init(&w->vc, api_key, err) < 0)
		return -1;
	w->vc.timeout_ms = 30000;
	w->vc.warn = api_warning;
	return 0;
}

void
watcher_release(struct watcher *w)
{
	watch_config_release(&w->cfg);
	vast_client_release(&w->vc);
	json_decref(w->state);
	json_decref(w->first_seen);
	free(w->root);
	free(w->label);
	free(w->cfg_error);
	memset(w, 0, sizeof *w);
}

double
watch_next_delay(const struct watcher *w)
{
	int k = w->failures < 3 ? w->failures : 3;
	return w->cfg.interval_s * (double)(1 << k);
}

/* ---- small helpers ---- */

static int
stopping(const struct watcher *w)
{
	return w->stop && *w->stop;
}

static long long
row_id(const json_t *r)
{
	long long id = 0;
	vast_json_int(json_object_get(r, "id"), &id);
	return id;
}

static double
row_num(const json_t *r, const char *k, double dflt)
{
	double d;
	return jnum(r, k, &d) == 0 && isfinite(d) ? d : dflt;
}

/* An instance's $/hr; one without a price counts as max_dph, the most an
 * instance of ours can cost. */
static double
row_dph(const struct watcher *w, const json_t *row)
{
	return row_num(row, "dph_total", w->cfg.max_dph);
}

static int
is_mine(const struct watcher *w, const json_t *row)
{
	const char *l = json_string_value(json_object_get(row, "label"));
	return l && !strcmp(l, w->label);
}

void
watch_dur(char out[32], double s)
{
	long long t = s < 0 ? 0 : (long long)s;
	if (t < 60)
		snprintf(out, 32, "%llds", t);
	else if (t < 3600)
		snprintf(out, 32, "%lldm %02llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, 32, "%lldh %02lldm", t / 3600, t % 3600 / 60);
	else
		snprintf(out, 32, "%lldd %02lldh", t / 86400, t % 86400 / 3600);
}

/* When the instance started (epoch seconds): start_date, else when this
 * process first saw it. */
static double
started(struct watcher *w, const json_t *row, double now)
{
	double s = row_num(row, "start_date", NAN);
	if (!isnan(s) && s > 0)
		return s;
	char key[32];
	snprintf(key, sizeof key, "%lld", row_id(row));
	json_t *f = json_object_get(w->first_seen, key);
	if (!f)
		json_object_set_new(w->first_seen, key, f = json_real(now));
	return json_real_value(f);
}

static int
run_slots(const json_t *run)
{
	long long g = 1;
	if (jint(run, "gpus", &g) < 0)
		g = 1;
	return g < 1 ? 1 : g > 256 ? 256 : (int)g;
}

/* ---- what the files say: demand and use ---- */

struct files {
	struct registry reg;
	struct queue q;
	long long pending;	/* GPU slots asked by pending runs of the pool */
	long long free;		/* free slots of the pool's enabled workers */
};

static void
files_release(struct files *f)
{
	registry_release(&f->reg);
	queue_release(&f->q);
	memset(f, 0, sizeof *f);
}

static int
files_load(struct watcher *w, struct files *f, struct buf *err)
{
	char *qpath = path_join(w->root, Q_RUNS);
	int ret = -1;
	memset(f, 0, sizeof *f);
	f->reg = (struct registry)REGISTRY_INIT;
	f->q = (struct queue)QUEUE_INIT;
	if (registry_load(&f->reg, w->root, err) < 0 || queue_load(&f->q, qpath, err) < 0)
		goto fail;
	long long *used = xcalloc(f->reg.n + 1, sizeof *used);
	for (size_t i = 0; i < f->q.n; i++) {
		int pending = queue_key_is(&f->q, i, JK_STATUS, "pending");
		int active = queue_key_is(&f->q, i, JK_STATUS, "running") ||
			     queue_key_is(&f->q, i, JK_STATUS, "dispatching");
		if (!pending && !active)
			continue;
		json_t *run = queue_obj(&f->q, i, err);
		if (!run) {
			free(used);
			goto fail;
		}
		if (pending && !strcmp(jstr0(run, "worker_pool"), w->cfg.pool))
			f->pending += run_slots(run);
		if (active)
			for (size_t k = 0; k < f->reg.n; k++)
				if (f->reg.w[k].id && !strcmp(f->reg.w[k].id, jstr0(run, "worker_id")))
					used[k] += run_slots(run);
	}
	for (size_t k = 0; k < f->reg.n; k++) {
		const struct worker *wk = &f->reg.w[k];
		if (wk->enabled && wk->pool && !strcmp(wk->pool, w->cfg.pool) && wk->slots > used[k])
			f->free += wk->slots - used[k];
	}
	free(used);
	ret = 0;
	goto out;
fail:
	files_release(f);
out:
	free(qpath);
	return ret;
}

/* Workers (enabled or not) naming instance id. */
static void
workers_of(struct files *f, long long id, struct strv *ids)
{
	for (size_t k = 0; k < f->reg.n; k++)
		if (f->reg.w[k].instance_id == id && f->reg.w[k].id)
			strv_push(ids, f->reg.w[k].id);
}

/* Latest dispatch, start or end of a run of those workers (0: none), or
 * -1 when one is active. */
static double
last_use(struct files *f, const struct strv *ids)
{
	static const char *const times[] = { "dispatched_at", "started_at", "ended_at" };
	double last = 0;
	for (size_t i = 0; i < f->q.n; i++) {
		char *wid = queue_key(&f->q, i, JK_WORKER);
		int mine = *wid && strv_has(ids, wid);
		free(wid);
		if (!mine)
			continue;
		struct buf e = BUF_INIT;
		json_t *run = queue_obj(&f->q, i, &e);
		buf_release(&e);
		if (!run)
			return -1;	/* unreadable: count it as in use */
		if (run_is_active(jstr(run, "status")))
			return -1;
		for (size_t k = 0; k < ARRAY_SIZE(times); k++) {
			const char *ts = jstr(run, times[k]);
			time_t t = ts ? parse_iso_time(ts) : (time_t)-1;
			if (t != (time_t)-1 && (double)t > last)
				last = (double)t;
		}
	}
	return last;
}

/* ---- one tick ---- */

struct tick {
	long long n;			/* the watcher's live instances */
	double dph;			/* ... and their $/hr */
	long long refused;		/* ... of which Vast.ai's numbers were refused: no renting */
	int rented, destroyed, registered;
	int failed;			/* an error made the tick fail */
	struct buf error;		/* the first error */
};

/* Count row among the watcher's instances: its price, or, when Vast.ai's
 * numbers for it were refused, as a price too high to rent beside. */
static void
count(const struct watcher *w, struct tick *t, const json_t *row, int sign)
{
	t->n += sign;
	if (vast_row_refused(row))
		t->refused += sign;
	else
		t->dph += sign * row_dph(w, row);
}

static void PRINTF(2, 3)
tick_error(struct tick *t, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	watch_log("error: %s", b.s);
	if (!t->error.len)
		buf_adds(&t->error, b.s);
	t->failed = 1;
	buf_release(&b);
}

static int
destroy(struct watcher *w, struct tick *t, long long id)
{
	struct buf e = BUF_INIT;
	int r = vast_destroy_instance(&w->vc, id, &e);
	if (r != VAST_OK && r != VAST_ERR_NOT_FOUND) {
		tick_error(t, "destroying instance %lld failed (a later tick tries again): %s", id, e.s);
		buf_release(&e);
		return -1;
	}
	buf_release(&e);
	return 0;
}

static void
record_destroyed(struct watcher *w, long long id, const struct strv *workers, const char *why)
{
	char now[32];
	json_t *wk = json_array();
	iso_now(now);
	for (size_t i = 0; i < workers->n; i++)
		json_array_append_new(wk, json_string(workers->v[i]));
	history_add(w, "destroyed", json_pack("{s:I,s:o,s:s,s:s}", "instance_id", (json_int_t)id,
					      "workers", wk, "destroyed_at", now, "why", why));
}

/* setup-worker on a new worker, in this process: its deadline bounds how
 * long it holds up the tick; what it prints is not logged, only the
 * outcome. */
static void
run_setup_worker(struct watcher *w, const char *wid)
{
	struct setup_opts so = SETUP_OPTS_INIT;
	struct buf e = BUF_INIT;

	watch_log("setup-worker %s: started", wid);
	if (worker_setup(w->root, wid, &so, &e) == 0) {
		watch_log("setup-worker %s: ready", wid);
	} else {
		const char *ls;
		size_t ln = text_last_line(e.s ? e.s : "", e.len, &ls);
		char *last = xstrndup(ls, ln), *d = vast_disp(last, 200, "no message");
		watch_log("setup-worker %s failed: %s", wid, d);
		free(d);
		free(last);
	}
	if (proc_interrupted && w->stop)
		*w->stop = 1;
	buf_release(&e);
}

static void
register_opts(const struct watcher *w, struct vast_reg_opts *reg)
{
	memset(reg, 0, sizeof *reg);
	reg->pool = w->cfg.pool;
	reg->direct = w->cfg.direct;
	reg->ssh_key = w->cfg.ssh_key;
	reg->workspace = w->cfg.workspace;
}

/* A labelled instance no worker names: register it once it is up; destroy
 * it when it never came up. */
static void
unregistered(struct watcher *w, struct tick *t, const json_t *row, double now)
{
	long long id = row_id(row);
	char *st = vast_disp_field(row, "actual_status", 20, "null");
	char *host = NULL, age[32];
	int port = 0;
	double start = started(w, row, now);

	watch_dur(age, now - start);
	if (vast_row_refused(row) && now - start < (double)w->cfg.boot_timeout_s) {
		watch_log("instance %lld: not registered while Vast.ai's values for it are refused (%s for %s; "
			  "destroyed after boot_timeout_seconds)", id, st, age);
	} else if (vast_row_refused(row)) {
		watch_log("destroying instance %lld: Vast.ai's values for it are refused and it has not become a "
			  "worker %s after it started (boot_timeout_seconds %lld)", id, age, w->cfg.boot_timeout_s);
		if (destroy(w, t, id) == 0) {
			struct strv none = STRV_INIT;
			watch_log("destroyed instance %lld", id);
			record_destroyed(w, id, &none, "values refused");
			count(w, t, row, -1);
			t->destroyed++;
		}
	} else if (!strcmp(st, "running") && vast_ssh_endpoint(row, w->cfg.direct, &host, &port) == 0) {
		struct vast_reg_opts reg;
		struct buf e = BUF_INIT;
		char *wid = NULL;
		register_opts(w, &reg);
		if (vast_register_rental(w->root, id, row, NULL, &reg, &wid, &e) < 0) {
			tick_error(t, "instance %lld runs but could not be registered: %s", id, e.s);
		} else {
			watch_log("registered instance %lld (rented earlier, not yet a worker) as worker %s "
				  "(ssh %s:%d, pool %s)", id, wid, host, port, w->cfg.pool);
			t->registered++;
			if (w->cfg.setup_worker && !stopping(w))
				run_setup_worker(w, wid);
		}
		free(wid);
		buf_release(&e);
	} else if (now - start >= (double)w->cfg.boot_timeout_s) {
		watch_log("destroying instance %lld: not running with an SSH endpoint %s after it started "
			  "(status %s, boot_timeout_seconds %lld)", id, age, st, w->cfg.boot_timeout_s);
		if (destroy(w, t, id) == 0) {
			struct strv none = STRV_INIT;
			watch_log("destroyed instance %lld", id);
			record_destroyed(w, id, &none, "never came up");
			count(w, t, row, -1);
			t->destroyed++;
		}
	} else {
		watch_log("instance %lld: %s for %s, not a worker yet; registered when it runs", id, st, age);
	}
	free(host);
	free(st);
}

/* Destroy row's instance if it has been idle long enough. */
static void
idle_check(struct watcher *w, struct tick *t, struct files *f, const json_t *row,
	   const struct strv *workers, double now)
{
	long long id = row_id(row);
	double idle_s = w->cfg.idle_minutes * 60.0;
	double start = started(w, row, now), last = last_use(f, workers);
	char idle[32];

	if (last < 0)
		return;		/* a run is on it */
	double since = last > start ? last : start;
	if (now - since < idle_s)
		return;
	watch_dur(idle, now - since);
	time_t cutoff = (time_t)floor(now - idle_s);
	char *why = xasprintf("instance %lld destroyed by vastai-watcher: idle for %s", id, idle);
	struct vast_recon rc = VAST_RECON_INIT;
	struct buf e = BUF_INIT;
	int r = vast_retire_idle_instance(w->root, id, cutoff, why, &rc, &e);
	if (r < 0) {
		tick_error(t, "cannot retire the workers of idle instance %lld: %s", id, e.s);
	} else if (r == 0) {
		watch_log("instance %lld: in use again; kept", id);
	} else {
		struct buf names = BUF_INIT;
		for (size_t i = 0; i < workers->n; i++)
			buf_addf(&names, "%s%s", i ? ", " : "", workers->v[i]);
		for (size_t i = 0; i < rc.n; i++)
			if (rc.w[i].fix_error)
				tick_error(t, "worker %s not disabled: %s", rc.w[i].worker_id, rc.w[i].fix_error);
		if (destroy(w, t, id) == 0) {
			watch_log("destroyed instance %lld (worker %s disabled): idle for %s (idle_destroy_minutes: %g)",
				  id, names.len ? names.s : "none", idle, w->cfg.idle_minutes);
			record_destroyed(w, id, workers, "idle");
			count(w, t, row, -1);
			t->destroyed++;
		}
		buf_release(&names);
	}
	vast_recon_release(&rc);
	buf_release(&e);
	free(why);
}

/* ---- renting ---- */

static int
cmp_offer(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double dx = row_num(x, "dlperf_per_dphtotal", 0), dy = row_num(y, "dlperf_per_dphtotal", 0);
	if (dx != dy)
		return dx > dy ? -1 : 1;
	dx = row_num(x, "dph_total", 0);
	dy = row_num(y, "dph_total", 0);
	if (dx != dy)
		return dx < dy ? -1 : 1;
	long long ix = row_id(x), iy = row_id(y);
	return (ix > iy) - (ix < iy);
}

/* The offers worth renting, best DLP/$ first.  New array. */
static json_t *
candidates(const struct watcher *w, const json_t *offers, const struct vast_blacklist *bl)
{
	size_t nblack, ndear, nlow = 0, n = 0, i;
	json_t *kept = vast_drop_blacklisted(offers, bl, &nblack);
	json_t *cheap = vast_drop_dear(kept, w->cfg.max_dph, &ndear), *o;
	json_t **v = xcalloc(json_array_size(cheap) + 1, sizeof *v);
	json_t *out = json_array();

	json_array_foreach(cheap, i, o) {
		double d;
		if (w->cfg.min_dlp > 0 && (jnum(o, "dlperf_per_dphtotal", &d) < 0 || d + EPS < w->cfg.min_dlp)) {
			nlow++;
			continue;
		}
		if (jnum(o, "dph_total", &d) < 0 || row_id(o) <= 0 || vast_row_check(o, NULL))
			continue;	/* no price, no id, or not believed: not rentable */
		v[n++] = o;
	}
	qsort(v, n, sizeof *v, cmp_offer);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	watch_log("search: %zu offers; %zu on blacklisted machines, %zu over max_dph $%.4f/hr, "
		  "%zu under %g DLP/$; %zu to consider", json_array_size(offers), nblack, ndear,
		  w->cfg.max_dph, nlow, w->cfg.min_dlp, n);
	free(v);
	json_decref(kept);
	json_decref(cheap);
	return out;
}

static void
rent_progress(void *arg, const char *line)
{
	(void)arg;
	/* the watcher says for itself what it rents and what it skips */
	if (str_starts(line, "renting offer") || str_starts(line, "rented offer") || str_starts(line, "offer "))
		return;
	watch_log("  %s", line);
}

enum rent_result { RENT_OK, RENT_GONE, RENT_HELD, RENT_FAIL };

/* Rent one offer, wait for it, register it.  RENT_HELD: an instance exists
 * (and counts) but is not a worker yet; RENT_FAIL: nothing to count. */
static enum rent_result
rent_one(struct watcher *w, struct tick *t, const json_t *offer, double *dph)
{
	struct vast_rent_opts ro = VAST_RENT_OPTS_INIT;
	struct vast_rental got = VAST_RENTAL_INIT;
	struct vast_reg_opts reg;
	struct buf e = BUF_INIT, desc = BUF_INIT;
	json_t *one = json_array();
	char *wid = NULL;
	enum rent_result res = RENT_FAIL;
	long long oid = row_id(offer);

	vast_offer_desc(&desc, offer);
	json_array_append(one, (json_t *)offer);
	ro.image = w->cfg.rent_image;
	ro.onstart = w->cfg.rent_onstart;
	ro.label = w->label;
	ro.disk_gb = w->cfg.rent_disk;
	ro.direct = w->cfg.direct;
	ro.timeout_s = (int)w->cfg.boot_timeout_s;
	ro.max_offers = 1;
	ro.progress = rent_progress;
	ro.cancel = w->stop;
	*dph = row_num(offer, "dph_total", 0);
	watch_log("renting offer %lld (%s)", oid, desc.s);
	int rc = vast_rent(&w->vc, one, &ro, &got, &e);
	if (rc == VAST_ERR_NO_SUCH_ASK && !got.instance_id) {
		watch_log("skipped offer %lld: gone (rented by someone else) before it could be rented", oid);
		res = RENT_GONE;
		goto out;
	}
	if (rc != VAST_OK) {
		if (got.instance_id) {
			/* failed to boot (destroyed) or still booting (counts; a later
			 * tick registers or destroys it) */
			int destroyed = strstr(e.s, "destroyed it so it does not bill") != NULL;
			tick_error(t, "offer %lld: %s", oid, e.s);
			res = destroyed ? RENT_FAIL : RENT_HELD;
		} else {
			tick_error(t, "renting offer %lld failed: %s", oid, e.s);
			if (w->vc.maybe_processed)
				res = RENT_HELD;	/* it may exist: the next tick counts it from the API */
		}
		goto out;
	}
	*dph = row_num(got.inst, "dph_total", *dph);
	register_opts(w, &reg);
	if (vast_register_rental(w->root, got.instance_id, got.inst, got.offer, &reg, &wid, &e) < 0) {
		tick_error(t, "instance %lld (offer %lld) runs but was not registered: %s; a later tick tries again",
			   got.instance_id, oid, e.s);
		res = RENT_HELD;
		goto out;
	}
	char *host = NULL, now[32];
	int port = 0;
	long long m = 0;
	vast_ssh_endpoint(got.inst, w->cfg.direct, &host, &port);
	vast_json_int(json_object_get(offer, "machine_id"), &m);
	watch_log("rented offer %lld (%s) as instance %lld: worker %s, ssh %s:%d, pool %s", oid, desc.s,
		  got.instance_id, wid, host ? host : "?", port, w->cfg.pool);
	iso_now(now);
	char *gpu = vast_disp_field(offer, "gpu_name", 40, "GPU");
	history_add(w, "rented", json_pack("{s:I,s:I,s:I,s:s,s:s,s:f,s:s}", "instance_id",
		    (json_int_t)got.instance_id, "offer_id", (json_int_t)oid, "machine_id", (json_int_t)m,
		    "worker_id", wid, "gpu_name", gpu, "dph", *dph, "rented_at", now));
	free(gpu);
	free(host);
	res = RENT_OK;
	if (w->cfg.setup_worker && !stopping(w))
		run_setup_worker(w, wid);
out:
	free(wid);
	json_decref(one);
	vast_rental_release(&got);
	buf_release(&e);
	buf_release(&desc);
	return res;
}

static void
rent(struct watcher *w, struct tick *t, struct files *f, const struct vast_blacklist *bl)
{
	const struct watch_config *c = &w->cfg;
	long long need = c->only_when_pending ? f->pending - f->free : LLONG_MAX;
	struct buf e = BUF_INIT;
	json_t *offers = NULL, *cands = NULL, *o;
	size_t i, over = 0;
	double cheapest_over = 0;

	if (need <= 0) {
		watch_log("not renting: no run of pool %s waits for a slot (%lld slot%s asked, %lld free; only_when_pending)",
			  c->pool, f->pending, f->pending == 1 ? "" : "s", f->free);
		return;
	}
	if (t->n >= c->max_instances) {
		watch_log("not renting: %lld instance%s, max_instances is %lld", t->n, t->n == 1 ? "" : "s",
			  c->max_instances);
		return;
	}
	if (t->refused) {
		watch_log("not renting: Vast.ai's values for %lld of the watcher's instances are refused, so "
			  "the spend is unknown; each counts as over max_total_dph $%.4f/hr", t->refused,
			  c->max_total_dph);
		return;
	}
	if (t->dph + EPS >= c->max_total_dph) {
		watch_log("not renting: spending $%.4f/hr, max_total_dph is $%.4f/hr", t->dph, c->max_total_dph);
		return;
	}
	if (!(offers = vast_search_offers(&w->vc, c->query_obj, &e))) {
		tick_error(t, "search offers: %s", e.s);
		goto out;
	}
	cands = candidates(w, offers, bl);
	json_array_foreach(cands, i, o) {
		double dph = row_num(o, "dph_total", 0), got_dph = 0;
		if (stopping(w) || need <= 0 || t->n >= c->max_instances)
			break;
		if (t->dph + dph > c->max_total_dph + EPS) {
			if (!over++ || dph < cheapest_over)
				cheapest_over = dph;
			continue;
		}
		enum rent_result r = rent_one(w, t, o, &got_dph);
		if (r == RENT_GONE)
			continue;
		if (r == RENT_OK || r == RENT_HELD) {
			t->n++;
			t->dph += got_dph;
		}
		if (r != RENT_OK)
			break;	/* something is wrong: a fresh count next tick */
		t->rented++;
		if (c->only_when_pending) {
			struct files nf;
			struct buf fe = BUF_INIT;
			if (files_load(w, &nf, &fe) < 0) {
				tick_error(t, "%s", fe.s);
				buf_release(&fe);
				break;
			}
			need = nf.pending - nf.free;
			files_release(&nf);
			buf_release(&fe);
		}
	}
	if (over)
		watch_log("skipped %zu offer%s (from $%.4f/hr): each would bring the spend of $%.4f/hr over "
			  "max_total_dph $%.4f/hr", over, over == 1 ? "" : "s", cheapest_over, t->dph,
			  c->max_total_dph);
	if (!t->rented && !over && !t->failed && !stopping(w) && !json_array_size(cands))
		watch_log("not renting: no offer matches");
out:
	json_decref(offers);
	json_decref(cands);
	buf_release(&e);
}

/* ---- the tick ---- */

static void
reload_settings(struct watcher *w)
{
	struct watch_config nc;
	struct buf e = BUF_INIT;
	if (watch_config_load(w->root, &nc, NULL, &e) == 0) {
		watch_config_release(&w->cfg);
		w->cfg = nc;
		if (w->cfg_error)
			watch_log("settings: %s reads fine again", WATCH_CONFIG);
		free(w->cfg_error);
		w->cfg_error = NULL;
	} else if (!w->cfg_error || strcmp(w->cfg_error, e.s)) {
		watch_log("settings: %s; keeping the settings in effect", e.s);
		free(w->cfg_error);
		w->cfg_error = xstrdup(e.s);
	}
	buf_release(&e);
}

static void
finish(struct watcher *w, struct tick *t, const char *at, int64_t t0, json_t *mine)
{
	struct buf o = BUF_INIT;
	if (t->failed)
		buf_addf(&o, "error: %s", t->error.s);
	else
		buf_adds(&o, "ok");
	json_t *lt = json_pack("{s:s,s:I,s:b,s:s,s:I,s:f,s:i,s:i,s:i,s:I}", "at", at, "tick",
			       (json_int_t)w->ticks, "ok", !t->failed, "outcome", o.s, "instances",
			       (json_int_t)(t->n < 0 ? 0 : t->n), "dph", t->dph < 0 ? 0.0 : t->dph, "rented",
			       t->rented, "destroyed", t->destroyed, "registered", t->registered,
			       "ms", (json_int_t)(mono_ms() - t0));
	json_object_set_new(lt, "refused", json_integer(t->refused));
	json_object_set_new(lt, "live", mine ? json_incref(mine) : json_null());
	json_object_set_new(w->state, "last_tick", lt);
	json_object_set_new(w->state, "ticks", json_integer(w->ticks));
	w->failures = t->failed ? w->failures + 1 : 0;
	json_object_set_new(w->state, "failures", json_integer(w->failures));
	buf_release(&o);
}

int
watch_tick(struct watcher *w)
{
	struct tick t = { 0 };
	struct vast_blacklist bl = VAST_BLACKLIST_INIT;
	struct files f;
	struct buf e = BUF_INIT, ids = BUF_INIT;
	json_t *live = NULL, *mine = json_array(), *brief = json_array(), *row;
	char at[32];
	int64_t t0 = mono_ms();
	size_t i, others = 0;
	int bl_ok = 1, files_ok = 0;
	double now = (double)time_now();

	memset(&f, 0, sizeof f);
	t.error = (struct buf)BUF_INIT;
	iso_now(at);
	w->ticks++;
	reload_settings(w);
	if (vast_blacklist_load(w->root, &bl, &e) < 0) {
		tick_error(&t, "blacklist: %s; renting nothing until it reads", e.s);
		bl_ok = 0;
	}
	buf_reset(&e);
	if (!(live = vast_list_instances(&w->vc, &e))) {
		tick_error(&t, "list instances: %s", e.s);
		json_decref(brief);
		brief = NULL;
		goto out;
	}
	json_array_foreach(live, i, row) {
		if (!is_mine(w, row)) {
			others++;
			continue;
		}
		json_array_append(mine, row);
		count(w, &t, row, 1);
		char *st = vast_disp_field(row, "actual_status", 20, "null");
		const char *refused = vast_row_refused(row);
		if (json_array_size(mine) <= LIST_IDS_MAX)
			buf_addf(&ids, "%s%lld %s%s", ids.len ? ", " : "", row_id(row), st,
				 refused ? " (refused)" : "");
		json_array_append_new(brief, json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)row_id(row), "status", st,
						       "dph", refused ? json_null() : json_real(row_dph(w, row)),
						       "refused", refused ? json_string(refused) : json_null()));
		if (refused)
			watch_log("instance %lld: Vast.ai's values for it are refused (warning above); it counts as "
				  "over max_total_dph", row_id(row));
		free(st);
	}
	if (json_array_size(mine) > LIST_IDS_MAX)
		buf_addf(&ids, ", ...");
	watch_log("tick %lld: %lld watcher instance%s%s%s%s ($%.4f/hr%s; caps %lld, $%.4f/hr), "
		  "%zu other%s on the account",
		  w->ticks, t.n, t.n == 1 ? "" : "s", ids.len ? " [" : "", ids.len ? ids.s : "", ids.len ? "]" : "",
		  t.dph, t.refused ? " and unknown" : "", w->cfg.max_instances, w->cfg.max_total_dph, others,
		  others == 1 ? "" : "s");
	if (files_load(w, &f, &e) < 0) {
		tick_error(&t, "%s", e.s);
		goto out;
	}
	files_ok = 1;
	if (w->cfg.only_when_pending)
		watch_log("pool %s: %lld slot%s asked by pending runs, %lld free", w->cfg.pool, f.pending,
			  f.pending == 1 ? "" : "s", f.free);
	json_array_foreach(mine, i, row) {
		struct strv workers = STRV_INIT;
		if (stopping(w))
			break;
		if (row_id(row) <= 0)
			continue;	/* no id to register or destroy it by; it still counts */
		workers_of(&f, row_id(row), &workers);
		if (!workers.n)
			unregistered(w, &t, row, now);
		else if (w->cfg.idle_minutes > 0)
			idle_check(w, &t, &f, row, &workers, now);
		strv_release(&workers);
	}
	if (t.registered || t.destroyed) {
		files_release(&f);
		files_ok = 0;
		buf_reset(&e);
		if (files_load(w, &f, &e) < 0) {
			tick_error(&t, "%s", e.s);
			goto out;
		}
		files_ok = 1;
	}
	if (bl_ok && !stopping(w))
		rent(w, &t, &f, &bl);
out:
	finish(w, &t, at, t0, brief);
	if (files_ok)
		files_release(&f);
	vast_blacklist_release(&bl);
	json_decref(live);
	json_decref(mine);
	json_decref(brief);
	buf_release(&e);
	buf_release(&ids);
	int failed = t.failed;
	buf_release(&t.error);
	return failed ? -1 : 0;
}
