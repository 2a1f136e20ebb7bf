/*
 * code.c - the code step of a dispatch (see code.h).
 */
#include "engine/code.h"
#include "engine/pull.h"
#include "code/code.h"
#include "store/claim.h"
#include "util/jx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The settings of run r's project (read once per dispatch). */
static struct code_project *
project_of(struct codes *c, const char *root, const json_t *r)
{
	const char *id = jstr0(r, "project_id");
	for (size_t i = 0; i < c->np; i++)
		if (!strcmp(c->p[i].id, id))
			return &c->p[i];
	GROW(c->p, c->ap, c->np + 1);
	struct code_project *p = &c->p[c->np++];
	memset(p, 0, sizeof *p);
	p->id = xstrdup(id);
	p->cs = (struct code_settings)CODE_SETTINGS_INIT;
	struct buf err = BUF_INIT;
	int rc = code_settings_load(root, id, &p->cs, &err);
	if (rc == -1) {
		p->error = xstrdup(err.s);
		char *m = utf8_clean(err.s, err.len);
		fprintf_term(stdout, "cannot dispatch the runs of project %s: %s\n", id, m);
		free(m);
	}
	else if (rc == -2)
		warning("%s (its runs go without code: and setup: settings)", err.s);
	buf_release(&err);
	return p;
}

static struct code_tree *
tree_for(struct codes *c, const char *root, const char *workdir, int data, long long max_mb)
{
	for (size_t i = 0; i < c->nt; i++)
		if (c->t[i]->data == data && !strcmp(c->t[i]->workdir, workdir))
			return c->t[i];
	GROW(c->t, c->at, c->nt + 1);
	struct code_tree *t = c->t[c->nt++] = xcalloc(1, sizeof *t);
	t->workdir = xstrdup(workdir);
	t->data = data;
	t->s = (struct snapshot)SNAPSHOT_INIT;
	struct buf err = BUF_INIT;
	char *abs = code_workdir_abs(root, workdir);
	struct snap_opts so = { .root = root, .workdir = abs, .max_bytes = max_mb * 1000000, .no_git = data };
	if (snapshot_take(&so, &t->s, &err) < 0)
		t->error = xasprintf("%s %s: %s", data ? "data" : "snapshot of", workdir, err.s);
	if (t->error) {
		char *m = utf8_clean(t->error, strlen(t->error));
		fprintf_term(stdout, "cannot dispatch the runs of %s: %s\n", workdir, m);
		free(m);
	}
	free(abs);
	buf_release(&err);
	return t;
}

/* Run r's outcome: not launched, for why (it goes back to pending). */
static void
refuse(json_t *r, const char *why, struct outcome *o)
{
	jset_str(r, "code_error", why);
	json_t *res = json_object();
	jset_str(res, "state", "error");
	jset_str(res, "reason", why);
	jset_str(res, "worker", jstr0(r, "worker_id"));
	jset_str(res, "token", claim_token(r) ? claim_token(r) : "");
	json_object_set_new(o->by_run, jstr0(r, "id"), res);
}

void
code_prepare(struct codes *c, const char *root, json_t *claimed, struct outcome *o)
{
	for (size_t i = 0; i < json_array_size(claimed); i++) {
		json_t *r = json_array_get(claimed, i);
		struct code_project *p = project_of(c, root, r);
		if (p->error) {
			refuse(r, p->error, o);
			continue;
		}
		const char *wd = jstr(r, "workdir");
		if (!wd || !*wd)
			wd = p->cs.workdir;
		if (!wd && !p->cs.setup && !p->cs.ndata)
			continue;
		const struct snapshot *s = NULL;
		if (wd) {
			struct code_tree *t = tree_for(c, root, wd, 0, p->cs.max_mb);
			if (t->error) {
				refuse(r, t->error, o);
				continue;
			}
			s = &t->s;
		}
		json_t *data = json_array();
		const char *derr = NULL;
		for (size_t k = 0; k < p->cs.ndata && !derr; k++) {
			const struct code_data *d = &p->cs.data[k];
			struct code_tree *t = tree_for(c, root, d->src, 1, d->max_mb);
			if (t->error)
				derr = t->error;
			else
				json_array_append_new(data, json_pack("{s:s, s:s, s:s}", "src", d->src, "dest", d->dest,
								      "snapshot", t->s.id));
		}
		if (derr) {
			refuse(r, derr, o);
			json_decref(data);
			continue;
		}
		json_t *code = s ? snapshot_code(s) : json_object();
		if (p->cs.setup) {
			char key[SNAP_HASH_HEX + 1];
			code_setup_key(&p->cs, s, key);
			jset_str(code, "setup", key);
		}
		if (json_array_size(data))
			json_object_set_new(code, "data", data);
		else
			json_decref(data);
		json_object_set_new(r, "code", code);
	}
}

static const struct snapshot *
snapshot_of(const struct codes *c, const char *id)
{
	for (size_t i = 0; i < c->nt; i++)
		if (!c->t[i]->error && !strcmp(c->t[i]->s.id, id))
			return &c->t[i]->s;
	return NULL;
}

/* The set-up's lines for b's worker, once per key. */
static void
setup_add(struct codes *c, const char *root, struct batch *b, const json_t *r)
{
	const char *key = jstr(json_object_get(r, "code"), "setup");
	if (!key)
		return;
	char *tag = xasprintf("%s %s", b->w->id, key);
	if (strv_has(&c->setups, tag)) {
		free(tag);
		return;
	}
	strv_push_nocopy(&c->setups, tag);
	const struct code_project *p = project_of(c, root, r);
	const char *args[] = { key, NULL };
	script_call(&b->s, "ros_put_setup", args, p->cs.setup, strlen(p->cs.setup));
}

/* A re-queued run's last checkpoint, to the worker that runs it next
 * (unless it is the worker that wrote it: its own copy is as new), as
 * ROS_CKPT_DIR before the launch; the copy's "resume" says from where. */
static void
ckpt_add(struct codes *c, const char *root, struct batch *b, json_t *r)
{
	struct buf t = BUF_INIT, err = BUF_INIT;
	json_t *meta = NULL;
	if (pull_ckpt_tar(root, jstr0(r, "id"), &t, &meta, &err) <= 0)
		goto out;
	json_t *from = json_object();
	jset_int(from, "attempt", jint0(meta, "attempt"));
	jset_str(from, "taken_at", jstr0(meta, "taken_at"));
	jset_str(from, "worker_id", jstr0(meta, "worker_id"));
	json_object_set_new(r, "resume", from);
	if (!strcmp(jstr0(meta, "worker_id"), b->w->id))
		goto out;
	GROW(c->u, c->au, c->nu + 1);
	struct code_upload *u = &c->u[c->nu++];
	memset(u, 0, sizeof *u);
	u->b = b;
	u->ss = (struct snap_send)SNAP_SEND_INIT;
	char *nonce = random_id("", 16);
	snprintf(u->ss.nonce, sizeof u->ss.nonce, "%s", nonce);
	free(nonce);
	u->ss.tar = t;
	t = (struct buf)BUF_INIT;
	u->ss.files = (size_t)jint0(meta, "files");
	u->ss.bytes = jint0(meta, "bytes");
	proc_init(&u->p);
	remote_upload_proc(&u->p, b->w, root, u->ss.nonce, u->ss.tar.s, u->ss.tar.len, 0);
	const char *args[] = { u->ss.nonce, jstr0(r, "project_id"), jstr0(r, "id"), NULL };
	script_call(&b->s, "ros_ckpt_put", args, NULL, 0);
out:
	json_decref(meta);
	buf_release(&t);
	buf_release(&err);
}

/* What b's worker lacks of snapshot id (the run's code or a data entry):
 * an upload, and the unpack before the launches. */
static void
tree_send(struct codes *c, const char *root, struct batch *b, const char *id)
{
	const struct snapshot *s = id ? snapshot_of(c, id) : NULL;
	if (!s)
		return;
	for (size_t i = 0; i < c->nu; i++)
		if (c->u[i].b == b && !strcmp(c->u[i].ss.id, id))
			return;
	/* the worker's record is read once per worker and snapshot, not per run */
	char *tag = xasprintf("%s %s", b->w->id, id);
	int known = strv_has(&c->held, tag);
	if (known || snap_worker_has(root, b->w, id)) {
		if (!known)
			strv_push_nocopy(&c->held, tag);
		else
			free(tag);
		return;
	}
	free(tag);
	GROW(c->u, c->au, c->nu + 1);
	struct code_upload *u = &c->u[c->nu];
	memset(u, 0, sizeof *u);
	u->b = b;
	u->ss = (struct snap_send)SNAP_SEND_INIT;
	proc_init(&u->p);
	struct buf err = BUF_INIT;
	if (snap_send_plan(root, b->w, s, &u->ss, &err) < 0) {
		/* the launch will say snapshot-missing: the run goes back to pending,
		 * and the next snapshot of the tree reads every file again */
		warning("worker %s: snapshot %.12s not sent: %s", b->w->id, id, err.s);
		snapshot_forget(root, s->workdir);
		snap_send_release(&u->ss);
		proc_release(&u->p);
		buf_release(&err);
		return;
	}
	buf_release(&err);
	remote_upload_proc(&u->p, b->w, root, u->ss.nonce, u->ss.tar.s, u->ss.tar.len, 0);
	const char *args[] = { u->ss.nonce, id, u->ss.base[0] ? u->ss.base : "-", NULL };
	script_call(&b->s, "ros_snap_unpack", args, NULL, 0);
	c->nu++;
}

void
code_add(struct codes *c, const char *root, struct batch *b, json_t *r)
{
	const json_t *code = json_object_get(r, "code");
	setup_add(c, root, b, r);
	ckpt_add(c, root, b, r);
	tree_send(c, root, b, jstr(code, "snapshot"));
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(code, "data"), i, d)
		tree_send(c, root, b, jstr(d, "snapshot"));
}

void
code_send(struct codes *c, int timeout_ms)
{
	if (!c->nu)
		return;
	struct proc **ps = xcalloc(c->nu, sizeof *ps);
	for (size_t i = 0; i < c->nu; i++) {
		c->u[i].p.timeout_ms = timeout_ms;
		ps[i] = &c->u[i].p;
	}
	proc_pool(ps, c->nu, 32);
	for (size_t i = 0; i < c->nu; i++) {
		struct code_upload *u = &c->u[i];
		if (u->p.status != 0 || u->p.timed_out) {
			char *why = remote_reason(&u->p);
			printf("worker %s: snapshot %.12s not sent: %s\n", u->b->w->id, u->ss.id, why);
			free(why);
		} else if (!u->ss.id[0]) {
			info("worker %s: a checkpoint sent: %zu file%s, %.1f MB", u->b->w->id, u->ss.files,
			     u->ss.files == 1 ? "" : "s", (double)u->ss.bytes / 1e6);
		} else {
			info("worker %s: snapshot %.12s sent: %zu file%s, %.1f MB%s%.12s", u->b->w->id, u->ss.id,
			     u->ss.files, u->ss.files == 1 ? "" : "s", (double)u->ss.bytes / 1e6,
			     u->ss.base[0] ? " (the rest from snapshot " : "", u->ss.base);
		}
	}
	free(ps);
}

void
code_gather(struct codes *c, struct batches *bs, const char *root, struct outcome *o)
{
	for (size_t i = 0; i < bs->n; i++) {
		struct batch *b = &bs->b[i];
		size_t pos = 0;
		struct rec rec;
		while (batch_rec_next(b, &pos, &rec)) {
			if (!strcmp(rec.op, "ckptput") && rec.nf >= 1 && strcmp(rec.f[0], "ok"))
				printf("worker %s: the checkpoint of %s not restored: %s\n", b->w->id, rec.run,
				       rec.nf > 1 ? rec.f[1] : "no reason given");
			if (!strcmp(rec.op, "snap") && !strcmp(rec.run, "-") && rec.nf >= 2 &&
			    strlen(rec.f[0]) == SNAP_HASH_HEX) {
				int ok = !strcmp(rec.f[1], "ok");
				snap_worker_note(root, b->w, rec.f[0], ok);
				if (!ok)
					printf("worker %s: snapshot %.12s not unpacked: %s\n", b->w->id, rec.f[0],
					       rec.nf > 2 ? rec.f[2] : "no reason given");
			}
			rec_release(&rec);
		}
		for (size_t k = 0; k < json_array_size(b->runs); k++) {
			json_t *r = json_array_get(b->runs, k);
			json_t *res = json_object_get(o->by_run, jstr0(r, "id"));
			const char *why = jstr0(res, "reason");
			if (!res)
				continue;
			if (str_starts(why, "snapshot-missing")) {
				/* "snapshot-missing ID": the tree the worker lacks */
				const char *id = why[16] == ' ' ? why + 17 : jstr0(json_object_get(r, "code"), "snapshot");
				if (strlen(id) == SNAP_HASH_HEX)
					snap_worker_note(root, b->w, id, 0);
				char *m = xasprintf("the worker lacks the tree of snapshot %.12s (it is sent again at the "
						    "next dispatch)", id);
				jset_str(res, "reason", m);
				free(m);
			} else if (json_object_get(r, "code")) {
				json_object_set(res, "code", json_object_get(r, "code"));
			}
			if (json_object_get(r, "resume"))
				json_object_set(res, "resume", json_object_get(r, "resume"));
		}
	}
}

void
codes_release(struct codes *c)
{
	for (size_t i = 0; i < c->nt; i++) {
		free(c->t[i]->workdir);
		free(c->t[i]->error);
		snapshot_release(&c->t[i]->s);
		free(c->t[i]);
	}
	for (size_t i = 0; i < c->nu; i++) {
		snap_send_release(&c->u[i].ss);
		proc_release(&c->u[i].p);
	}
	for (size_t i = 0; i < c->np; i++) {
		free(c->p[i].id);
		free(c->p[i].error);
		code_settings_release(&c->p[i].cs);
	}
	free(c->t);
	free(c->u);
	free(c->p);
	strv_release(&c->setups);
	strv_release(&c->held);
	memset(c, 0, sizeof *c);
}
