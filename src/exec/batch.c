/*
 * batch.c - per-worker batches (see batch.h).
 */
#include "exec/batch.h"
#include "exec/slurm.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>

void
script_begin(struct script *s, const struct worker *w, const char *root)
{
	script_open(s, w, root);
	if (w->type == WORKER_SLURM)
		slurm_script_lib(s, w);
}

struct batch *
batches_get(struct batches *bs, struct worker *w, const char *root)
{
	for (size_t i = 0; i < bs->n; i++)
		if (bs->b[i].w == w)
			return &bs->b[i];
	GROW(bs->b, bs->alloc, bs->n + 1);
	struct batch *b = &bs->b[bs->n++];
	memset(b, 0, sizeof *b);
	b->w = w;
	b->runs = json_array();
	script_begin(&b->s, w, root);
	proc_init(&b->p);
	return b;
}

void
batches_run(struct batches *bs, const char *root, int timeout_ms)
{
	struct proc **ps = xcalloc(bs->n + 1, sizeof *ps);
	for (size_t i = 0; i < bs->n; i++) {
		struct batch *b = &bs->b[i];
		remote_proc(&b->p, b->w, root, &b->s, timeout_ms);
		b->p.max_capture = REMOTE_CAPTURE_BASE + REMOTE_CAPTURE_PER_RUN * json_array_size(b->runs);
		ps[i] = &b->p;
	}
	proc_pool(ps, bs->n, 32);
	for (size_t i = 0; i < bs->n; i++) {
		struct batch *b = &bs->b[i];
		if (remote_unreachable(&b->p)) {
			b->unreachable = 1;
			b->reason = remote_reason(&b->p);
			if (b->p.overflowed)
				warning("worker %s: %s; treated as unreachable", b->w->id, b->reason);
		}
		if (b->p.status != 0 || b->p.timed_out)
			b->failure = remote_reason(&b->p);
	}
	free(ps);
}

void
batches_release(struct batches *bs)
{
	for (size_t i = 0; i < bs->n; i++) {
		script_release(&bs->b[i].s);
		proc_release(&bs->b[i].p);
		json_decref(bs->b[i].runs);
		json_decref(bs->b[i].ids);
		free(bs->b[i].reason);
		free(bs->b[i].failure);
	}
	free(bs->b);
	memset(bs, 0, sizeof *bs);
}

int
batch_rec_next(struct batch *b, size_t *pos, struct rec *r)
{
	if (!b->ids) {
		b->ids = json_object();
		for (size_t i = 0; i < json_array_size(b->runs); i++)
			json_object_set_new(b->ids, jstr0(json_array_get(b->runs, i), "id"), json_true());
	}
	while (rec_next(&b->s, &b->p.out, pos, r)) {
		if (!strcmp(r->run, "-") || (*r->run && json_object_get(b->ids, r->run)))
			return 1;
		if (!b->foreign++)
			warning("worker %s answered about run '%s', which it was not asked about; "
				"its records about other runs are ignored", b->w->id, r->run);
		rec_release(r);
	}
	return 0;
}

void
rec_fields(const struct rec *r, json_t *obj, const char *const *names, const char *dflt)
{
	for (int i = 0; names[i]; i++) {
		if (i < r->nf)
			jset_str(obj, names[i], r->f[i]);
		else if (dflt)
			jset_str(obj, names[i], dflt);
	}
}

char *
run_log_path(const struct worker *w, const char *root, const char *project, const char *run)
{
	char *ws = worker_workspace(w, root);
	char *p;
	if (ws[0] == '/' || ws[0] == '~')
		p = xasprintf("%s/runs/logs/%s/%s/stdout.log", ws, project, run);
	else
		p = xasprintf("~/%s/runs/logs/%s/%s/stdout.log", ws, project, run);
	free(ws);
	return p;
}

int
run_ids_ok(const json_t *run)
{
	return safe_name(jstr0(run, "id")) && safe_name(jstr0(run, "project_id"));
}
