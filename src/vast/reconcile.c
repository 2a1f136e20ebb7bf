/*
 * reconcile.c - workers.yaml against the live instances (see reconcile.h).
 */
#include "vast/reconcile.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec/proc.h"
#include "store/queue.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/values.h"
#include "vast/vworker.h"

static void
wrec_release(struct vast_wrec *w)
{
	free(w->worker_id);
	free(w->yaml_host);
	free(w->live_host);
	free(w->fix_error);
	free(w->problem);
	strv_release(&w->forgotten);
}

void
vast_recon_release(struct vast_recon *rc)
{
	for (size_t i = 0; i < rc->n; i++)
		wrec_release(&rc->w[i]);
	free(rc->w);
	json_decref(rc->untracked);
	memset(rc, 0, sizeof *rc);
}

static const json_t *
find_live(const json_t *live, long long id)
{
	size_t i;
	json_t *row;
	json_array_foreach(live, i, row) {
		long long rid;
		if (vast_json_int(json_object_get(row, "id"), &rid) == 0 && rid == id)
			return row;
	}
	return NULL;
}

/* Rows of live without a usable id (refused for it: values.h). */
static size_t
nameless(const json_t *live)
{
	size_t i, n = 0;
	json_t *row;
	json_array_foreach(live, i, row) {
		long long id;
		n += vast_json_id(json_object_get(row, "id"), &id) < 0;
	}
	return n;
}

static int
is_direct(const struct worker *w)
{
	return w->ssh_mode && !strcmp(w->ssh_mode, "direct");
}

static void
fill_wrec(struct vast_wrec *t, const struct worker *w, const json_t *live)
{
	memset(t, 0, sizeof *t);
	t->worker_id = xstrdup(w->id ? w->id : "");
	t->instance_id = w->instance_id;
	t->direct = is_direct(w);
	t->yaml_host = w->host ? xstrdup(w->host) : NULL;
	t->yaml_port = w->port > 0 ? w->port : 22;
	t->inst = find_live(live, w->instance_id);
	if (!t->inst && nameless(live)) {
		/* it may be the row whose id was refused: not known to be gone */
		size_t n = nameless(live);
		t->problem = xasprintf("instance %lld is not in the list, but Vast.ai sent %zu instance%s without "
				       "a usable id: not taken for gone", w->instance_id, n, n == 1 ? "" : "s");
		t->hostile = 1;
		return;
	}
	if (!t->inst) {
		t->gone = 1;
		return;
	}
	if (vast_row_refused(t->inst)) {
		t->problem = xasprintf("refusing Vast.ai's values for instance %lld: %s", w->instance_id,
				       vast_row_refused(t->inst));
		t->hostile = 1;
		return;
	}
	if (vast_ssh_endpoint(t->inst, t->direct, &t->live_host, &t->live_port) < 0) {
		t->problem = vast_endpoint_problem(t->inst, t->direct, &t->hostile);
		return;
	}
	t->port_changed = t->live_port != t->yaml_port;
	t->host_changed = !t->yaml_host || strcmp(t->live_host, t->yaml_host) != 0;
}

void
vast_recon_compute(struct registry *r, const json_t *live, struct vast_recon *rc)
{
	size_t i;
	json_t *row;

	vast_recon_release(rc);
	rc->nlive = json_array_size(live);
	rc->w = xcalloc(r->n ? r->n : 1, sizeof *rc->w);
	for (size_t k = 0; k < r->n; k++) {
		const struct worker *w = &r->w[k];
		if (!w->enabled || w->instance_id <= 0 || !w->id)
			continue;
		struct vast_wrec *t = &rc->w[rc->n++];
		fill_wrec(t, w, live);
		if (t->gone || t->port_changed || t->host_changed || t->hostile)
			rc->ndrift++;
	}
	rc->untracked = json_array();
	json_array_foreach(live, i, row) {
		long long id = 0;
		int named = 0;
		vast_json_int(json_object_get(row, "id"), &id);
		for (size_t k = 0; k < r->n && !named; k++)
			named = r->w[k].instance_id == id && id > 0;
		if (!named)
			json_array_append(rc->untracked, row);
	}
}

char *
vast_workers_of(struct registry *r, long long id, int enabled_only)
{
	struct buf b = BUF_INIT;
	for (size_t k = 0; k < r->n; k++) {
		const struct worker *w = &r->w[k];
		if (w->instance_id != id || id <= 0 || !w->id || (enabled_only && !w->enabled))
			continue;
		if (b.len)
			buf_adds(&b, ", ");
		buf_adds(&b, w->id);
	}
	return buf_detach(&b);
}

/* ---- known_hosts ---- */

static int
plain_host(const char *h)
{
	if (!h || !*h || *h == '-')
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-_:", *h))
			return 0;
	return 1;
}

int
vast_forget_host(const char *root, const char *host, int port, struct buf *err)
{
	char *file = path_join(root, ".ros/known_hosts"), *name;
	const char *bin = getenv("ROS_SSH_KEYGEN");
	struct proc p;
	int ret = 0;

	if (!plain_host(host) || port <= 0 || port > 65535 || !file_exists(file)) {
		free(file);
		return 0;
	}
	name = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
	proc_init(&p);
	strv_push(&p.argv, bin && *bin ? bin : "ssh-keygen");
	strv_push(&p.argv, "-R");
	strv_push(&p.argv, name);
	strv_push(&p.argv, "-f");
	strv_push(&p.argv, file);
	p.timeout_ms = 20000;
	if (proc_run(&p) != 0) {
		const char *e = buf_cstr(&p.err);
		size_t n = strcspn(e, "\n");
		buf_addf(err, "cannot remove %s from %s: %s exited %d%s%.*s", name, file, p.argv.v[0],
			 p.status, n ? ": " : "", (int)(n > 200 ? 200 : n), e);
		ret = -1;
	} else if (strstr(buf_cstr(&p.out), "found: line")) {
		ret = 1;
	}
	proc_release(&p);
	free(name);
	free(file);
	return ret;
}

static void
forget(const char *root, struct vast_wrec *t, const char *host, int port)
{
	struct buf err = BUF_INIT;
	int r = vast_forget_host(root, host, port, &err);
	if (r > 0)
		strv_push_nocopy(&t->forgotten, port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port));
	else if (r < 0)
		warning("%s", err.s);
	buf_release(&err);
}

/* ---- repairs ---- */

static void
set_fix_error(struct vast_wrec *t, struct buf *why)
{
	free(t->fix_error);
	t->fix_error = buf_detach(why);
}

/* Patch port and host of t in r (already loaded, lock held). 1 changed, 0 not, -1 refused. */
static int
patch_endpoint(struct registry *r, struct vast_wrec *t)
{
	struct buf why = BUF_INIT;
	struct worker *w = registry_find(r, t->worker_id);
	struct worker probe;
	char port[16];
	int changed = 0;

	if (!w || !t->live_host)
		return 0;
	probe = *w;
	probe.host = t->live_host;
	probe.port = t->live_port;
	if (worker_check(&probe, &why) < 0) {
		set_fix_error(t, &why);
		return -1;
	}
	if (t->port_changed) {
		snprintf(port, sizeof port, "%d", t->live_port);
		if (registry_set(r, t->worker_id, "ssh.port", port, 0, &why) < 0) {
			set_fix_error(t, &why);
			return -1;
		}
		t->fixed_port = changed = 1;
	}
	if (t->host_changed) {
		if (registry_set(r, t->worker_id, "ssh.host", t->live_host, 1, &why) < 0) {
			set_fix_error(t, &why);
			return -1;
		}
		t->fixed_host = changed = 1;
	}
	buf_release(&why);
	return changed;
}

static int
disable(struct registry *r, struct vast_wrec *t)
{
	struct buf why = BUF_INIT;
	if (registry_set(r, t->worker_id, "enabled", "false", 0, &why) < 0) {
		set_fix_error(t, &why);
		return -1;
	}
	t->disabled = 1;
	buf_release(&why);
	return 1;
}

/* Make the active runs of worker t stale in q.  Returns the number changed. */
static int
stale_runs(struct queue *q, struct vast_wrec *t, const char *why, const char *now, struct buf *err)
{
	int changed = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_WORKER, t->worker_id))
			continue;
		char *st = queue_key(q, i, JK_STATUS);
		int active = run_is_active(st);
		free(st);
		if (!active)
			continue;
		json_t *run = queue_obj(q, i, err);
		if (!run)
			return -1;
		if (run_mark_stale(run, why, now))
			t->nrequeued++;
		t->nstale++;
		queue_touch(q, i);
		changed++;
	}
	return changed;
}

/* Under the lock: save the registry, then the run queue with the active
 * runs of every disabled worker in rc made stale (why: the reason recorded,
 * NULL: "instance N gone"). */
static int
commit(const char *root, struct registry *r, int reg_changed, struct vast_recon *rc,
       const char *why, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	char now[32], *qpath = NULL;
	int qchanged = 0, ret = -1;

	if (reg_changed && registry_save(r, err) < 0)
		goto out;
	iso_now(now);
	qpath = path_join(root, Q_RUNS);
	for (size_t i = 0; i < rc->n; i++) {
		struct vast_wrec *t = &rc->w[i];
		if (!t->disabled)
			continue;
		if (!q.path && queue_load(&q, qpath, err) < 0) {
			buf_adds(err, " (workers.yaml was updated; its runs will become stale at the next check-runs)");
			goto out;
		}
		char *reason = why ? xstrdup(why) : xasprintf("instance %lld gone", t->instance_id);
		int c = stale_runs(&q, t, reason, now, err);
		free(reason);
		if (c < 0)
			goto out;
		qchanged += c;
	}
	if (qchanged && queue_save(&q, err) < 0)
		goto out;
	ret = 0;
out:
	queue_release(&q);
	free(qpath);
	return ret;
}

int
vast_reconcile(const char *root, const json_t *live, int fix, struct vast_recon *rc,
	       struct buf *err)
{
	struct store_lock l = STORE_LOCK_INIT;
	struct registry r = REGISTRY_INIT;
	int changed = 0, ret = -1;

	if (fix && store_lock(root, &l, err) < 0)
		return -1;
	if (registry_load(&r, root, err) < 0)
		goto out;
	vast_recon_compute(&r, live, rc);
	if (!fix) {
		ret = 0;
		goto out;
	}
	for (size_t i = 0; i < rc->n; i++) {
		struct vast_wrec *t = &rc->w[i];
		int c = t->gone ? disable(&r, t) : (t->port_changed || t->host_changed) ? patch_endpoint(&r, t) : 0;
		if (c < 0 || t->hostile)
			rc->nfailed++;
		else if (c > 0)
			changed = 1;
	}
	if (commit(root, &r, changed, rc, NULL, err) < 0)
		goto out;
	for (size_t i = 0; i < rc->n; i++) {
		struct vast_wrec *t = &rc->w[i];
		if (t->disabled && t->yaml_host)
			forget(root, t, t->yaml_host, t->yaml_port);
		if (t->fixed_port || t->fixed_host) {
			forget(root, t, t->yaml_host, t->yaml_port);
			forget(root, t, t->live_host, t->live_port);
		}
	}
	ret = 0;
out:
	store_unlock(&l);
	registry_release(&r);
	return ret;
}

/* 1 if a run of any worker in ids is active, or was dispatched, started or
 * ended after cutoff. */
static int
in_use(const char *root, const struct strv *ids, time_t cutoff, struct buf *err)
{
	static const char *const times[] = { "dispatched_at", "started_at", "ended_at" };
	struct queue q = QUEUE_INIT;
	char *qpath = path_join(root, Q_RUNS);
	int ret = 0;

	if (queue_load(&q, qpath, err) < 0) {
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < q.n && !ret; i++) {
		char *wid = queue_key(&q, i, JK_WORKER);
		int mine = *wid && strv_has(ids, wid);
		free(wid);
		if (!mine)
			continue;
		json_t *run = queue_obj(&q, i, err);
		if (!run) {
			ret = -1;
			break;
		}
		if (run_is_active(jstr(run, "status"))) {
			ret = 1;
			break;
		}
		for (size_t k = 0; k < ARRAY_SIZE(times); k++) {
			const char *ts = jstr(run, times[k]);
			time_t t = ts ? parse_iso_time(ts) : (time_t)-1;
			if (t != (time_t)-1 && t > cutoff)
				ret = 1;
		}
	}
out:
	queue_release(&q);
	free(qpath);
	return ret;
}

/* vast_retire_instance; with check_idle, only when in_use() says no for
 * the runs of every worker naming id (enabled or not). */
static int
retire(const char *root, long long id, const char *why, int check_idle, time_t cutoff,
       struct vast_recon *rc, struct buf *err)
{
	struct store_lock l = STORE_LOCK_INIT;
	struct registry r = REGISTRY_INIT;
	struct strv ids = STRV_INIT;
	int changed = 0, ret = -1;
	json_t *none = json_array();

	vast_recon_release(rc);
	if (store_lock(root, &l, err) < 0 || registry_load(&r, root, err) < 0)
		goto out;
	if (check_idle) {
		for (size_t k = 0; k < r.n; k++)
			if (r.w[k].instance_id == id && r.w[k].id)
				strv_push(&ids, r.w[k].id);
		int u = in_use(root, &ids, cutoff, err);
		if (u != 0) {
			ret = u < 0 ? -1 : 0;
			goto out;
		}
	}
	rc->w = xcalloc(r.n ? r.n : 1, sizeof *rc->w);
	for (size_t k = 0; k < r.n; k++) {
		const struct worker *w = &r.w[k];
		if (!w->enabled || w->instance_id != id || !w->id)
			continue;
		fill_wrec(&rc->w[rc->n++], w, none);
	}
	for (size_t i = 0; i < rc->n; i++) {
		if (disable(&r, &rc->w[i]) < 0)
			rc->nfailed++;
		else
			changed = 1;
	}
	if (commit(root, &r, changed, rc, why, err) < 0)
		goto out;
	for (size_t i = 0; i < rc->n; i++)
		if (rc->w[i].disabled && rc->w[i].yaml_host)
			forget(root, &rc->w[i], rc->w[i].yaml_host, rc->w[i].yaml_port);
	ret = check_idle ? 1 : 0;
out:
	store_unlock(&l);
	registry_release(&r);
	strv_release(&ids);
	json_decref(none);
	return ret;
}

int
vast_retire_instance(const char *root, long long id, const char *why, struct vast_recon *rc,
		     struct buf *err)
{
	return retire(root, id, why, 0, 0, rc, err);
}

int
vast_retire_idle_instance(const char *root, long long id, time_t cutoff, const char *why,
			  struct vast_recon *rc, struct buf *err)
{
	return retire(root, id, why, 1, cutoff, rc, err);
}
