/*
 * queue.c - load, edit and save the JSON queues (see queue.h).
 */
#include "store/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
queue_load(struct queue *q, const char *path, struct buf *err)
{
	struct jelem *el = NULL;
	size_t n = 0;

	queue_release(q);
	q->path = xstrdup(path);
	q->data = read_file(path, &q->len);
	if (!q->data) {
		if (errno == ENOENT) {
			q->missing = 1;
			q->data = xstrdup("[]\n");
			q->len = 3;
			return 0;
		}
		buf_addf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (memchr(q->data, 0, q->len)) {
		int line, col;
		size_t off = (size_t)((char *)memchr(q->data, 0, q->len) - q->data);
		text_pos(q->data, q->len, off, &line, &col);
		buf_addf(err, "%s:%d:%d: NUL byte in file", path, line, col);
		return -1;
	}
	struct buf e = BUF_INIT;
	if (jscan_array(q->data, q->len, &el, &n, &e) < 0) {
		buf_addf(err, "%s:%s", path, e.s);
		buf_release(&e);
		return -1;
	}
	q->e = xcalloc(n ? n : 1, sizeof *q->e);
	q->alloc = n ? n : 1;
	q->n = n;
	for (size_t i = 0; i < n; i++) {
		q->e[i].off = el[i].off;
		q->e[i].len = el[i].len;
		memcpy(q->e[i].key, el[i].key, sizeof el[i].key);
	}
	free(el);
	return 0;
}

void
queue_release(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		json_decref(q->e[i].obj);
	free(q->e);
	free(q->data);
	free(q->path);
	memset(q, 0, sizeof *q);
}

json_t *
queue_obj(struct queue *q, size_t i, struct buf *err)
{
	struct qentry *e = &q->e[i];
	if (e->obj)
		return e->obj;
	json_error_t je;
	e->obj = json_loadb(q->data + e->off, e->len, JSON_DECODE_INT_AS_REAL * 0, &je);
	if (!e->obj) {
		int line, col;
		text_pos(q->data, q->len, e->off, &line, &col);
		buf_addf(err, "%s:%d:%d: entry %zu: %s", q->path, line + je.line - 1,
			 je.line == 1 ? col + je.column - 1 : je.column, i + 1, je.text);
		return NULL;
	}
	if (!json_is_object(e->obj)) {
		json_decref(e->obj);
		e->obj = NULL;
		buf_addf(err, "%s: entry %zu is not an object", q->path, i + 1);
		return NULL;
	}
	return e->obj;
}

void
queue_touch(struct queue *q, size_t i)
{
	q->e[i].dirty = 1;
}

void
queue_append(struct queue *q, json_t *obj)
{
	GROW(q->e, q->alloc, q->n + 1);
	memset(&q->e[q->n], 0, sizeof q->e[q->n]);
	q->e[q->n].obj = obj;
	q->e[q->n].dirty = 1;
	q->n++;
}

char *
queue_key(const struct queue *q, size_t i, enum jkey k)
{
	const struct qentry *e = &q->e[i];
	if (e->dirty && e->obj) {
		return xstrdup(jstr0(e->obj, jkey_names[k]));
	}
	if (!e->key[k].len)
		return xstrdup("");
	return jstr_decode(q->data + e->key[k].off, e->key[k].len);
}

int
queue_key_is(const struct queue *q, size_t i, enum jkey k, const char *s)
{
	const struct qentry *e = &q->e[i];
	if (e->dirty && e->obj) {
		return !strcmp(jstr0(e->obj, jkey_names[k]), s);
	}
	const char *raw = q->data + e->key[k].off;
	size_t n = strlen(s);
	if (e->key[k].len && memchr(raw, '\\', e->key[k].len)) {
		char *d = jstr_decode(raw, e->key[k].len);
		int same = !strcmp(d, s);
		free(d);
		return same;
	}
	return e->key[k].len == n && (n == 0 || !memcmp(raw, s, n));
}

long
queue_find(struct queue *q, const char *id)
{
	for (size_t i = 0; i < q->n; i++)
		if (queue_key_is(q, i, JK_ID, id))
			return (long)i;
	return -1;
}

void
queue_format(struct queue *q, struct buf *out)
{
	if (q->n == 0) {
		buf_adds(out, "[]\n");
		return;
	}
	buf_grow(out, q->len + 1024);
	buf_adds(out, "[\n");
	for (size_t i = 0; i < q->n; i++) {
		struct qentry *e = &q->e[i];
		buf_adds(out, "  ");
		if (e->dirty && e->obj)
			json_write(out, e->obj, 2);
		else
			buf_add(out, q->data + e->off, e->len);
		buf_adds(out, i + 1 < q->n ? ",\n" : "\n");
	}
	buf_adds(out, "]\n");
}

int
queue_save(struct queue *q, struct buf *err)
{
	struct buf out = BUF_INIT;
	queue_format(q, &out);
	int r = atomic_write(q->path, out.s, out.len, 0644, err);
	buf_release(&out);
	return r;
}

char *
queue_new_id(struct queue *q, const char *prefix)
{
	for (;;) {
		char *id = random_id(prefix, 7);
		if (queue_find(q, id) < 0)
			return id;
		free(id);
	}
}

int
queue_update(const char *root, const char *rel, queue_fn fn, void *arg, struct buf *err)
{
	struct store_lock l = STORE_LOCK_INIT;
	struct queue q = QUEUE_INIT;
	char *path = path_join(root, rel);
	int r = -1;

	if (store_lock(root, &l, err) < 0)
		goto out;
	if (queue_load(&q, path, err) < 0)
		goto out;
	r = fn(&q, arg, err);
	if (r == 1 && queue_save(&q, err) < 0)
		r = -1;
out:
	store_unlock(&l);
	queue_release(&q);
	free(path);
	return r;
}
