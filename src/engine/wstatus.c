/*
 * wstatus.c - the health of the workers (see wstatus.h).
 */
#include "engine/wstatus.h"

#include <stdlib.h>
#include <string.h>

#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/registry.h"

/* The run queue's view of the workers, from one read: how many runs are
 * active on each (*busy: id -> count) and the Slurm job ids among them
 * (*jobs: id -> [job ids]). */
static void
active_from_queue(const char *root, json_t **busy, json_t **jobs)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = path_join(root, Q_RUNS);
	*busy = json_object();
	*jobs = json_object();
	if (queue_load(&q, path, &err) == 0)
		for (size_t i = 0; i < q.n; i++) {
			if (!queue_key_is(&q, i, JK_STATUS, "running") && !queue_key_is(&q, i, JK_STATUS, "dispatching"))
				continue;
			char *w = queue_key(&q, i, JK_WORKER);
			json_t *c = json_object_get(*busy, w);
			json_object_set_new(*busy, w, json_integer(c ? json_integer_value(c) + 1 : 1));
			json_t *r = queue_obj(&q, i, &err);
			if (r && jstr(r, "slurm_job_id")) {
				json_t *a = json_object_get(*jobs, w);
				if (!a) {
					a = json_array();
					json_object_set_new(*jobs, w, a);
				}
				json_array_append_new(a, json_string(jstr(r, "slurm_job_id")));
			}
			free(w);
		}
	queue_release(&q);
	buf_release(&err);
	free(path);
}

/* The script for w: heartbeat, GPUs and live runs (or the Slurm side),
 * busy command. */
static void
ask(struct batches *bs, struct worker *w, const char *root, const json_t *sjobs)
{
	struct batch *b = batches_get(bs, w, root);
	const char *hb = w->heartbeat ? w->heartbeat : "echo ok";
	script_call(&b->s, "ros_run_cmd", (const char *[]){ "heartbeat", NULL }, hb, strlen(hb));
	if (w->type == WORKER_SLURM) {
		slurm_script_status(&b->s, w, json_object_get(sjobs, w->id));
	} else {
		script_call(&b->s, "ros_gpu", NULL, NULL, 0);
		script_call(&b->s, "ros_busy_runs", NULL, NULL, 0);
	}
	if (w->busy)
		script_call(&b->s, "ros_run_cmd", (const char *[]){ "busycmd", NULL }, w->busy, strlen(w->busy));
}

/* nvidia-smi's CSV lines (index, name, utilization, memory used, total):
 * one object per line. */
static json_t *
gpus_of(const char *data)
{
	static const char *const names[] = { "name", "util_pct", "mem_used_mib", "mem_total_mib", NULL };
	struct strv lines = STRV_INIT;
	json_t *gpus = json_array();
	split_list(data, '\n', &lines);
	for (size_t i = 0; i < lines.n; i++) {
		struct strv f = STRV_INIT;
		struct rec r = { .nf = 0 };
		json_t *g = json_object();
		split_list(lines.v[i], ',', &f);
		if (f.n >= 5) {
			for (int k = 0; k < 4; k++)
				r.f[r.nf++] = f.v[k + 1];
			rec_fields(&r, g, names, NULL);
		}
		json_array_append_new(gpus, g);
		strv_release(&f);
	}
	strv_release(&lines);
	return gpus;
}

/* A Slurm record (slurm: sinfo's exit and output; sjobs: pending and
 * running) into row.slurm; 1 when sinfo failed. */
static int
slurm_rec(json_t *row, const struct rec *rec, const char *data)
{
	json_t *sl = json_object_get(row, "slurm");
	if (!sl) {
		sl = json_object();
		json_object_set_new(row, "slurm", sl);
	}
	if (!strcmp(rec->op, "slurm")) {
		long long src = rec->nf > 0 ? atoll(rec->f[0]) : -1;
		jset_str(sl, "sinfo", data);
		jset_int(sl, "sinfo_exit", src);
		return src != 0;
	}
	if (rec->nf >= 2) {
		jset_int(sl, "pending", atoll(rec->f[0]));
		jset_int(sl, "running", atoll(rec->f[1]));
	}
	return 0;
}

/* What an answering worker said, into row; its state. */
static const char *
read_answer(struct batch *b, json_t *row)
{
	const char *state = "alive";
	long long live = -1;
	size_t pos = 0;
	struct rec rec;
	json_t *gpus = NULL;

	jset_int(row, "rtt_ms", b->p.elapsed_ms);
	while (batch_rec_next(b, &pos, &rec)) {
		char *data = xstrndup(rec.data ? rec.data : "", rec.len);
		if (!strcmp(rec.op, "heartbeat")) {
			jset_str(row, "heartbeat", data);
			if (rec.nf > 0 && strcmp(rec.f[0], "0"))
				state = "unhealthy";
		} else if (!strcmp(rec.op, "slurm") || !strcmp(rec.op, "sjobs")) {
			if (slurm_rec(row, &rec, data))
				state = "unhealthy";
		} else if (!strcmp(rec.op, "busycmd")) {
			jset_str(row, "busy_command_output", data);
		} else if (!strcmp(rec.op, "gpu") && !gpus) {
			gpus = gpus_of(data);
		} else if (!strcmp(rec.op, "busy") && rec.nf > 0) {
			live = atoll(rec.f[0]);
		}
		free(data);
		rec_release(&rec);
	}
	if (live >= 0)
		jset_int(row, "live_runs", live);
	json_object_set_new(row, "gpus", gpus ? gpus : json_array());
	return state;
}

static json_t *
row_of(struct worker *w, struct batches *bs, const json_t *busyq)
{
	json_t *row = json_object(), *c = json_object_get(busyq, w->id ? w->id : "");
	struct batch *b = NULL;
	struct buf err = BUF_INIT;
	const char *state;

	jset_str(row, "worker_id", w->id ? w->id : "");
	jset_str(row, "kind", w->kind);
	jset_str(row, "worker_pool", w->pool ? w->pool : "");
	json_object_set_new(row, "enabled", json_boolean(w->enabled));
	jset_int(row, "slots", w->slots);
	jset_int(row, "busy_slots", c ? json_integer_value(c) : 0);
	if (w->type == WORKER_SLURM && w->max_jobs > 0)
		jset_int(row, "max_jobs", w->max_jobs);
	for (size_t k = 0; k < bs->n; k++)
		if (bs->b[k].w == w)
			b = &bs->b[k];
	if (!w->enabled) {
		state = "disabled";
	} else if (!b) {
		state = "invalid";
		worker_check(w, &err);
		jset_str(row, "error", err.s);
	} else if (b->unreachable) {
		state = "DEAD";
		jset_str(row, "error", b->reason);
	} else {
		state = read_answer(b, row);
	}
	jset_str(row, "state", state);
	buf_release(&err);
	return row;
}

json_t *
worker_status(const char *root, int timeout_ms, struct buf *err)
{
	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct buf why = BUF_INIT;
	json_t *busyq, *sjobs, *rows;

	if (registry_load(&reg, root, err) < 0) {
		registry_release(&reg);
		return NULL;
	}
	active_from_queue(root, &busyq, &sjobs);
	for (size_t i = 0; i < reg.n; i++) {
		buf_reset(&why);
		if (reg.w[i].enabled && worker_check(&reg.w[i], &why) == 0)
			ask(&bs, &reg.w[i], root, sjobs);
	}
	batches_run(&bs, root, timeout_ms);
	rows = json_array();
	for (size_t i = 0; i < reg.n; i++)
		json_array_append_new(rows, row_of(&reg.w[i], &bs, busyq));
	json_decref(busyq);
	json_decref(sjobs);
	batches_release(&bs);
	registry_release(&reg);
	buf_release(&why);
	return rows;
}

int
worker_status_bad(const json_t *row)
{
	const char *st = jstr0(row, "state");
	return !strcmp(st, "DEAD") || !strcmp(st, "unhealthy");
}
