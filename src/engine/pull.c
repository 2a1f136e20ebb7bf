/*
 * pull.c - artifacts and checkpoints back from the workers (see pull.h).
 */
#include "engine/pull.h"
#include "code/tar.h"
#include "exec/batch.h"
#include "store/store.h"
#include "store/json.h"
#include "util/jx.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK "ROS-PULL "
#define BLOCK 512

/* What one run's tar is being read into. */
struct sink {
	const char *root;
	const struct pull_req *q;
	char *dir;		/* where its files go */
	json_t *res;
	size_t files;
	long long bytes;
	char *now_list;		/* 'c': .ros-now */
	struct buf err;
};

static int
take(const struct tar_member *m, void *arg)
{
	struct sink *k = arg;
	if (m->type != '0')
		return 0;	/* files only: no link, device or directory of the worker's */
	if (!strcmp(m->name, ".ros-skipped") && k->q->kind == 'a') {
		json_t *sk = json_array();
		for (const char *p = m->data, *e = m->data + m->len; p < e;) {
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
			if (n) {
				char *l = utf8_clean(p, n);
				json_array_append_new(sk, json_string(l));
				free(l);
			}
			p += n + 1;
		}
		json_object_set_new(k->res, "skipped", sk);
		return 0;
	}
	if (!strcmp(m->name, ".ros-now") && k->q->kind == 'c') {
		free(k->now_list);
		k->now_list = xstrndup(m->data, m->len);
		return 0;
	}
	if (tar_write_under(k->dir, m, &k->err) < 0)
		return -1;
	k->files++;
	k->bytes += (long long)m->len;
	return 0;
}

static char *
art_dir(const char *root, const json_t *r)
{
	return xasprintf("%s/research/%s/artifacts/%s", root, jstr0(r, "project_id"), jstr0(r, "id"));
}

static char *
ckpt_dir(const char *root, const char *id)
{
	return xasprintf("%s/.ros/ckpt/%s", root, id);
}

/* The checkpoint's record after a pull: files not in the worker's list
 * removed, the list and meta.json written. */
static void
ckpt_finish(struct sink *k)
{
	char *top = ckpt_dir(k->root, jstr0(k->q->run, "id")), *lp = xasprintf("%s/list", top);
	size_t olen;
	char *old = read_file(lp, &olen);
	const char *now = k->now_list ? k->now_list : "";
	for (char *p = old, *nl; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		/* "SIZE MTIME PATH": a path the worker no longer has goes */
		const char *sp = strchr(p, ' '), *path = sp ? strchr(sp + 1, ' ') : NULL;
		if (!path)
			continue;
		path++;
		int still = 0;
		for (const char *q = now, *qn; *q && !still; q = qn ? qn + 1 : q + strlen(q)) {
			qn = strchr(q, '\n');
			const char *qs = strchr(q, ' '), *qp = qs ? strchr(qs + 1, ' ') : NULL;
			size_t ql = qn ? (size_t)(qn - qp - 1) : qp ? strlen(qp + 1) : 0;
			still = qp && ql == strlen(path) && !strncmp(qp + 1, path, ql);
		}
		if (!still && path_plain(path)) {	/* the worker's words: never outside files/ */
			char *f = xasprintf("%s/files/%s", top, path);
			unlink(f);
			free(f);
		}
	}
	free(old);
	struct buf ignored = BUF_INIT;
	atomic_write(lp, now, strlen(now), 0600, &ignored);
	size_t files = 0;
	long long bytes = 0;
	for (const char *q = now; *q;) {
		const char *qn = strchr(q, '\n');
		files++;
		bytes += atoll(q);
		q = qn ? qn + 1 : q + strlen(q);
	}
	char at[32];
	iso_now(at);
	json_t *meta = json_object();
	jset_int(meta, "attempt", jint0(k->q->run, "attempt"));
	jset_str(meta, "worker_id", k->q->w->id);
	jset_str(meta, "taken_at", at);
	jset_int(meta, "files", (long long)files);
	jset_int(meta, "bytes", bytes);
	struct buf mb = BUF_INIT;
	json_write(&mb, meta, 0);
	buf_addc(&mb, '\n');
	char *mp = xasprintf("%s/meta.json", top);
	atomic_write(mp, mb.s, mb.len, 0600, &ignored);
	json_object_update(k->res, meta);
	jset_int(k->res, "sent", k->bytes);
	json_decref(meta);
	buf_release(&mb);
	buf_release(&ignored);
	free(mp);
	free(lp);
	free(top);
}

/* The lines the root holds of run id's checkpoint (what the worker need not send). */
static char *
ckpt_have(const char *root, const char *id)
{
	char *top = ckpt_dir(root, id), *lp = xasprintf("%s/list", top);
	char *s = read_file(lp, NULL);
	free(lp);
	free(top);
	return s ? s : xstrdup("");
}

/* One worker's answer: markers and tars. */
static void
read_answer(const char *root, const struct pull_req *reqs, size_t n, const struct worker *w, const struct buf *o,
	    json_t *out)
{
	size_t pos = 0;
	const char *d = o->s ? o->s : "";
	while (pos + BLOCK <= o->len) {
		const char *b = d + pos;
		if (!b[0]) {
			pos += BLOCK;	/* the padding of a tar record */
			continue;
		}
		if (strncmp(b, MARK, strlen(MARK)))
			break;	/* not ours: the rest cannot be read */
		char run[64] = "", kind[8] = "";
		sscanf(b + strlen(MARK), "%63s %7s", run, kind);
		pos += BLOCK;
		const struct pull_req *q = NULL;
		for (size_t i = 0; i < n && !q; i++)
			if (reqs[i].w == w && !strcmp(jstr0(reqs[i].run, "id"), run) && reqs[i].kind == kind[0])
				q = &reqs[i];
		struct sink k = { root, q, NULL, json_object(), 0, 0, NULL, BUF_INIT };
		if (q) {
			if (q->kind == 'a') {
				k.dir = art_dir(root, q->run);
			} else {
				char *top = ckpt_dir(root, run);
				k.dir = xasprintf("%s/files", top);
				free(top);
			}
			if (mkdir_p(k.dir, 0755) < 0)
				buf_addf(&k.err, "cannot create %s: %s", k.dir, strerror(errno));
		}
		long long used = -1;
		if (q && !k.err.len)
			used = tar_each(d + pos, o->len - pos, take, &k, &k.err);
		if (q && used >= 0) {
			if (q->kind == 'c') {
				ckpt_finish(&k);	/* files, bytes: what the root holds; sent: this time */
				jset_int(k.res, "sent_files", (long long)k.files);
			} else {
				jset_int(k.res, "files", (long long)k.files);
				jset_int(k.res, "bytes", k.bytes);
			}
			if (q->kind == 'a') {
				char at[32];
				iso_now(at);
				jset_str(k.res, "fetched_at", at);
				char *rel = xasprintf("research/%s/artifacts/%s", jstr0(q->run, "project_id"), run);
				jset_str(k.res, "dir", rel);
				free(rel);
			}
			json_object_set(out, run, k.res);
		} else if (q) {
			json_t *e = json_object();
			jset_str(e, "error", k.err.len ? k.err.s : "the worker's answer does not read");
			json_object_set_new(out, run, e);
		}
		json_decref(k.res);
		free(k.dir);
		free(k.now_list);
		buf_release(&k.err);
		if (used < 0)
			break;
		pos += (size_t)used;
		pos = (pos + BLOCK - 1) / BLOCK * BLOCK;
	}
}

void
pull_run(const char *root, const struct pull_req *reqs, size_t n, json_t *out, int timeout_ms)
{
	struct worker **ws = xcalloc(n + 1, sizeof *ws);
	struct script *ss = xcalloc(n + 1, sizeof *ss);
	struct proc *ps = xcalloc(n + 1, sizeof *ps), **pp = xcalloc(n + 1, sizeof *pp);
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nw && ws[k] != reqs[i].w)
			k++;
		if (k == nw) {
			ws[nw] = reqs[i].w;
			ss[nw] = (struct script)SCRIPT_INIT;
			script_begin(&ss[nw], reqs[i].w, root);
			nw++;
		}
		const json_t *r = reqs[i].run;
		if (reqs[i].kind == 'a') {
			char cap[24];
			snprintf(cap, sizeof cap, "%lld", reqs[i].cap);
			struct buf g = BUF_INIT;
			size_t j;
			json_t *v;
			json_array_foreach((json_t *)reqs[i].globs, j, v)
				if (json_is_string(v) && !strchr(json_string_value(v), '\n'))
					buf_addf(&g, "%s\n", json_string_value(v));
			const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), cap, NULL };
			script_call(&ss[k], "ros_pull_art", args, g.s ? g.s : "", g.len);
			buf_release(&g);
		} else {
			char *have = ckpt_have(root, jstr0(r, "id"));
			const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), NULL };
			script_call(&ss[k], "ros_pull_ckpt", args, have, strlen(have));
			free(have);
		}
	}
	for (size_t k = 0; k < nw; k++) {
		/* what one worker may send: the artifacts' caps, a checkpoint's
		 * allowance per run, never more than PULL_MAX_BYTES in all (it is
		 * held in memory); more, and the worker is cut off */
		size_t cap = (size_t)16 << 20;
		for (size_t i = 0; i < n; i++)
			if (reqs[i].w == ws[k])
				cap += reqs[i].kind == 'a' ? (size_t)reqs[i].cap : PULL_CKPT_MAX_BYTES;
		remote_proc(&ps[k], ws[k], root, &ss[k], timeout_ms);
		ps[k].max_capture = cap < PULL_MAX_BYTES ? cap : PULL_MAX_BYTES;
		pp[k] = &ps[k];
	}
	proc_pool(pp, nw, 32);
	for (size_t k = 0; k < nw; k++) {
		if (remote_unreachable(&ps[k]) && !ps[k].out.len) {
			char *why = remote_reason(&ps[k]);
			for (size_t i = 0; i < n; i++)
				if (reqs[i].w == ws[k]) {
					json_t *e = json_object();
					jset_str(e, "error", why);
					json_object_set_new(out, jstr0(reqs[i].run, "id"), e);
				}
			free(why);
			continue;
		}
		read_answer(root, reqs, n, ws[k], &ps[k].out, out);
	}
	for (size_t k = 0; k < nw; k++) {
		proc_release(&ps[k]);
		script_release(&ss[k]);
	}
	free(ws);
	free(ss);
	free(ps);
	free(pp);
}

int
pull_ckpt_tar(const char *root, const char *id, struct buf *t, json_t **meta, struct buf *err)
{
	char *top = ckpt_dir(root, id), *lp = xasprintf("%s/list", top), *mp = xasprintf("%s/meta.json", top);
	char *list = read_file(lp, NULL);
	int ret = 0;
	*meta = NULL;
	if (!list || !*list)
		goto out;
	size_t n = 0;
	for (char *p = list, *nl; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		const char *sp = strchr(p, ' '), *path = sp ? strchr(sp + 1, ' ') : NULL;
		if (!path || !path_plain(path + 1))
			continue;
		path++;
		char *f = xasprintf("%s/files/%s", top, path);
		size_t len;
		struct stat st;
		char *data = stat(f, &st) == 0 ? read_file(f, &len) : NULL;
		if (data) {
			tar_file(t, path, (st.st_mode & 0111) ? 0755 : 0644, (long long)st.st_mtim.tv_sec, data, len);
			n++;
		}
		free(data);
		free(f);
	}
	if (!n)
		goto out;
	tar_end(t);
	size_t ml;
	char *m = read_file(mp, &ml);
	json_error_t je;
	*meta = m ? json_loadb(m, ml, 0, &je) : NULL;
	if (!*meta)
		*meta = json_object();
	free(m);
	ret = 1;
out:
	(void)err;
	free(list);
	free(lp);
	free(mp);
	free(top);
	return ret;
}
