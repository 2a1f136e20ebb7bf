/*
 * queue.c - load, edit and save the JSON queues (see queue.h).
 */
#include "store/queue.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOAD_TRIES 20	/* loads of a queue that keeps changing in place */

uint64_t
queue_cmd_hash(const char *cmd, const char *env)
{
	uint64_t h = hash_words(FNV1A_INIT, cmd, strlen(cmd) + 1);
	return hash_words(h, env, strlen(env));
}

/* ---- the index ---- */

/* The index's first word and version.  Version 1 was written by a scanner
 * that let duplicate keys through and missed index keys spelt with escapes;
 * version 2 had no ended_at: a queue whose index is of another version is
 * scanned again. */
#define INDEX_MAGIC "ros-queue-index 3 "

static char *
index_path(const char *qpath)
{
	char *a = xstrdup(qpath), *b = xstrdup(qpath);
	char *dir = dirname(a), *base = basename(b), *res = NULL;
	if (str_ends(dir, "/queues") || !strcmp(dir, "queues"))
		res = xasprintf("%.*s.ros/index/%s.idx", (int)(strlen(dir) - 6), dir, base);
	free(a);
	free(b);
	return res;
}

static void
identity(const struct stat *st, char out[128])
{
	snprintf(out, 128, "%llu %llu %llu %lld.%09ld %lld.%09ld", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* Try to load q's entries from the index; 0 on success, -1 if stale/absent. */
static int
index_load(struct queue *q, const struct stat *st)
{
	char *ip = index_path(q->path), id[128];
	size_t len;
	if (!ip)
		return -1;
	char *t = read_file(ip, &len);
	free(ip);
	if (!t)
		return -1;
	identity(st, id);
	char *p = t, *nl = strchr(p, '\n');
	size_t n = 0;
	size_t ml = strlen(INDEX_MAGIC);
	if (!nl || strncmp(p, INDEX_MAGIC, ml) || (size_t)(nl - p - ml) <= strlen(id) ||
	    memcmp(p + ml, id, strlen(id)) || p[ml + strlen(id)] != ' ' ||
	    sscanf(p + ml + strlen(id), " %zu", &n) != 1 || len < 4 || memcmp(t + len - 4, "end\n", 4))
		goto stale;
	q->e = xcalloc(n ? n : 1, sizeof *q->e);
	q->alloc = n ? n : 1;
	p = nl + 1;
	for (size_t i = 0; i < n; i++) {
		struct qentry *e = &q->e[i];
		char *end;
		e->off = strtoull(p, &end, 10);
		if (*end != '\t')
			goto stale;
		e->len = strtoull(end + 1, &end, 10);
		if (*end != '\t')
			goto stale;
		e->cmdhash = strtoull(end + 1, &end, 16);
		if (*end != '\t')
			goto stale;
		p = end + 1;
		for (int k = 0; k < JK_NKEYS; k++) {
			if (k == JK_COMMAND || k == JK_ENV)
				continue;
			char *f = p + strcspn(p, "\t\n");
			e->key[k].off = (size_t)(p - t);
			e->key[k].len = (size_t)(f - p);
			if (!*f)
				goto stale;
			p = f + 1;
			if (f[0] == '\n')
				break;
		}
		if (p[-1] != '\n' || e->off + e->len > (size_t)st->st_size)
			goto stale;
		q->n++;
	}
	if (strcmp(p, "end\n"))
		goto stale;
	q->idx = t;
	q->keys = t;
	q->len = (size_t)st->st_size;
	q->from_index = 1;
	return 0;
stale:
	free(q->e);
	q->e = NULL;
	q->n = q->alloc = 0;
	free(t);
	return -1;
}

/* Raw JSON string contents of s (escaped, no quotes) into b. */
static void
add_raw_string(struct buf *b, const char *s)
{
	json_t *v = json_string(s);
	struct buf t = BUF_INIT;
	json_write(&t, v, 0);
	buf_add(b, t.s + 1, t.len - 2);
	buf_release(&t);
	json_decref(v);
}

/* Write the index for the current file (best effort: it is a cache).
 * starts[i] is entry i's offset in the file as written. */
static void
index_save(struct queue *q, const size_t *starts, const size_t *lens)
{
	struct stat st;
	char *ip = index_path(q->path), id[128];
	struct buf b = BUF_INIT, err = BUF_INIT;
	if (q->n < 256) {
		/* small queues are scanned faster than an index is written */
		free(ip);
		return;
	}
	if (!ip || stat(q->path, &st) < 0) {
		free(ip);
		return;
	}
	identity(&st, id);
	buf_addf(&b, INDEX_MAGIC "%s %zu\n", id, q->n);
	for (size_t i = 0; i < q->n; i++) {
		struct qentry *e = &q->e[i];
		uint64_t h = e->cmdhash;
		if (e->obj && (e->dirty || !q->from_index))
			h = queue_cmd_hash(jstr0(e->obj, "command"), jstr0(e->obj, "env"));
		else if (!q->from_index) {
			char *c = queue_key(q, i, JK_COMMAND), *v = queue_key(q, i, JK_ENV);
			h = queue_cmd_hash(c, v);
			free(c);
			free(v);
		}
		buf_addf(&b, "%zu\t%zu\t%016llx", starts[i], lens[i], (unsigned long long)h);
		for (int k = 0; k < JK_NKEYS; k++) {
			if (k == JK_COMMAND || k == JK_ENV)
				continue;
			buf_addc(&b, '\t');
			if (e->dirty && e->obj)
				add_raw_string(&b, jstr0(e->obj, jkey_names[k]));
			else
				buf_add(&b, q->keys + e->key[k].off, e->key[k].len);
		}
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "end\n");
	char *dir = xstrdup(ip);
	*strrchr(dir, '/') = 0;
	if (mkdir_p(dir, 0755) == 0)
		atomic_write_nosync(ip, b.s, b.len, &err);
	free(dir);
	free(ip);
	buf_release(&b);
	buf_release(&err);
}

/* ---- load ---- */

static int
scan_data(struct queue *q, struct buf *err)
{
	struct jelem *el = NULL;
	size_t n = 0;
	const char *path = q->path;

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
	q->keys = q->data;
	return 0;
}

/* Read len bytes of fd from offset 0 into a new NUL-terminated buffer;
 * NULL (errno set, EAGAIN: the file is shorter) when they cannot be read. */
static char *
read_exact(int fd, size_t len)
{
	char *d = xmalloc(len + 1);
	size_t n = 0;
	while (n < len) {
		ssize_t r = pread(fd, d + n, len - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EAGAIN;
			free(d);
			errno = e;
			return NULL;
		}
		n += (size_t)r;
	}
	d[len] = 0;
	return d;
}

/* 1 if the open file still has the contents it had when q was loaded (a
 * write in place changes its size or mtime; a rename over it does not). */
static int
unchanged(const struct queue *q, int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (size_t)st.st_size == q->len && st.st_mtim.tv_sec == q->mtim.tv_sec &&
	       st.st_mtim.tv_nsec == q->mtim.tv_nsec;
}

/* One try of queue_load: 0 loaded, -1 error, 1 the file changed in place
 * while being read (try again). */
static int
load_once(struct queue *q, struct buf *err)
{
	struct stat st;
	int fd = open(q->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		q->missing = 1;
		q->data = xstrdup("[]\n");
		q->len = 3;
		q->keys = q->data;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		buf_addf(err, "%s: %s", q->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		buf_addf(err, "%s: %s", q->path, S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		return -1;
	}
	q->len = (size_t)st.st_size;
	q->mtim = st.st_mtim;
	if (index_load(q, &st) == 0) {
		q->fd = fd;	/* queue_need_data reads this version, whatever replaces it */
		return 0;
	}
	q->data = read_exact(fd, q->len);
	int again = (!q->data && errno == EAGAIN) || (q->data && !unchanged(q, fd));
	int e = errno;
	close(fd);
	if (again)
		return 1;
	if (!q->data) {
		buf_addf(err, "%s: %s", q->path, strerror(e));
		return -1;
	}
	return scan_data(q, err);
}

int
queue_load(struct queue *q, const char *path, struct buf *err)
{
	queue_release(q);
	q->path = xstrdup(path);
	for (int tries = 1;; tries++) {
		int r = load_once(q, err);
		if (r <= 0)
			return r;
		if (tries == LOAD_TRIES) {
			buf_addf(err, "%s keeps changing while being read (%d tries): something writes it in place",
				 path, tries);
			return -1;
		}
		char *p = q->path;
		q->path = NULL;
		queue_release(q);
		q->path = p;
	}
}

int
queue_need_data(struct queue *q, struct buf *err)
{
	if (q->data)
		return 0;
	char *d = q->fd >= 0 ? read_exact(q->fd, q->len) : NULL;
	if (!d || !unchanged(q, q->fd)) {
		free(d);
		buf_addf(err, "%s was changed in place while being read (not by ros); run the command again", q->path);
		return -1;
	}
	q->data = d;
	close(q->fd);
	q->fd = -1;
	return 0;
}

void
queue_release(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		json_decref(q->e[i].obj);
	if (q->path && q->fd >= 0)	/* a zeroed struct holds no file */
		close(q->fd);
	free(q->e);
	free(q->data);
	free(q->idx);
	free(q->idset);
	free(q->path);
	memset(q, 0, sizeof *q);
	q->fd = -1;
}

json_t *
queue_obj(struct queue *q, size_t i, struct buf *err)
{
	struct qentry *e = &q->e[i];
	if (e->obj)
		return e->obj;
	if (queue_need_data(q, err) < 0)
		return NULL;
	json_error_t je;
	e->obj = json_loadb(q->data + e->off, e->len, 0, &je);
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
queue_obj_drop(struct queue *q, size_t i)
{
	struct qentry *e = &q->e[i];
	if (e->dirty || !e->len)
		return;
	json_decref(e->obj);
	e->obj = NULL;
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
	if (e->dirty && e->obj)
		return xstrdup(jstr0(e->obj, jkey_names[k]));
	if ((k == JK_COMMAND || k == JK_ENV) && q->from_index && e->obj)
		return xstrdup(jstr0(e->obj, jkey_names[k]));
	if (!e->key[k].len)
		return xstrdup("");
	return jstr_decode(q->keys + e->key[k].off, e->key[k].len);
}

int
queue_key_is(const struct queue *q, size_t i, enum jkey k, const char *s)
{
	const struct qentry *e = &q->e[i];
	if ((e->dirty && e->obj) || ((k == JK_COMMAND || k == JK_ENV) && q->from_index)) {
		char *v = queue_key(q, i, k);
		int same = !strcmp(v, s);
		free(v);
		return same;
	}
	const char *raw = q->keys + e->key[k].off;
	size_t n = strlen(s);
	if (e->key[k].len && memchr(raw, '\\', e->key[k].len)) {
		char *d = jstr_decode(raw, e->key[k].len);
		int same = !strcmp(d, s);
		free(d);
		return same;
	}
	return e->key[k].len == n && (n == 0 || !memcmp(raw, s, n));
}

int
queue_same_command(struct queue *q, size_t i, const char *command, const char *env)
{
	struct qentry *e = &q->e[i];
	if (q->from_index && !e->dirty && !e->obj) {
		if (e->cmdhash != queue_cmd_hash(command, env))
			return 0;
		struct buf err = BUF_INIT;
		json_t *o = queue_obj(q, i, &err);	/* a hash match: compare the real text */
		buf_release(&err);
		return o && !strcmp(jstr0(o, "command"), command) && !strcmp(jstr0(o, "env"), env);
	}
	return queue_key_is(q, i, JK_COMMAND, command) && queue_key_is(q, i, JK_ENV, env);
}

long
queue_find(struct queue *q, const char *id)
{
	for (size_t i = 0; i < q->n; i++)
		if (queue_key_is(q, i, JK_ID, id))
			return (long)i;
	return -1;
}

/* Format entries [from, n) as they follow the file's first part; record
 * each entry's offset (relative to base) in starts/lens. */
static void
format_entries(struct queue *q, size_t from, struct buf *out, size_t base, size_t *starts, size_t *lens)
{
	for (size_t i = from; i < q->n; i++) {
		struct qentry *e = &q->e[i];
		buf_adds(out, i ? ",\n  " : "[\n  ");
		starts[i] = base + out->len;
		if (e->dirty && e->obj)
			json_write(out, e->obj, 2);
		else
			buf_add(out, q->data + e->off, e->len);
		lens[i] = base + out->len - starts[i];
	}
	buf_adds(out, q->n ? "\n]\n" : "[]\n");
}

void
queue_format(struct queue *q, struct buf *out)
{
	size_t *s = xcalloc(q->n + 1, sizeof *s), *l = xcalloc(q->n + 1, sizeof *l);
	struct buf err = BUF_INIT;
	if (!q->data)
		queue_need_data(q, &err);
	buf_grow(out, q->len + 1024);
	format_entries(q, 0, out, 0, s, l);
	free(s);
	free(l);
	buf_release(&err);
}

/* Number of leading entries that are unchanged originals (an append-only
 * change keeps them all). */
static size_t
clean_prefix(const struct queue *q)
{
	size_t i = 0;
	while (i < q->n && !q->e[i].dirty && q->e[i].len)
		i++;
	return i;
}

/* 1 if the bytes after the last entry are just the closing bracket. */
static int
tail_is_close(const char *t, size_t n)
{
	int brackets = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == ']')
			brackets++;
		else if (!strchr(" \t\r\n", t[i]))
			return 0;
	}
	return brackets == 1;
}

int
queue_save(struct queue *q, struct buf *err)
{
	struct buf out = BUF_INIT;
	size_t *starts = xcalloc(q->n + 1, sizeof *starts), *lens = xcalloc(q->n + 1, sizeof *lens);
	size_t keep = clean_prefix(q);
	int r = -1;

	if (keep > 0 && keep < q->n && !q->missing) {
		/* Append only: the kernel copies the old entries, we write the rest. */
		for (size_t i = keep; i < q->n; i++)
			if (!q->e[i].dirty || q->e[i].len) {
				keep = 0;
				break;
			}
	} else {
		keep = 0;
	}
	if (keep) {
		size_t cut = q->e[keep - 1].off + q->e[keep - 1].len;
		int fd = open(q->path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		char tail[64];
		ssize_t tl = fd < 0 ? -1 : pread(fd, tail, sizeof tail, (off_t)cut);
		if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != q->len || tl < 1 ||
		    (size_t)tl != q->len - cut || !tail_is_close(tail, (size_t)tl)) {
			if (fd >= 0)
				close(fd);
			buf_addf(err, "%s changed while being updated; run the command again", q->path);
			goto out;
		}
		for (size_t i = 0; i < keep; i++) {
			starts[i] = q->e[i].off;
			lens[i] = q->e[i].len;
		}
		format_entries(q, keep, &out, cut, starts, lens);
		r = atomic_write_after(q->path, fd, cut, out.s, out.len, 0644, err);
		close(fd);
	} else {
		if (!q->data && queue_need_data(q, err) < 0)
			goto out;
		format_entries(q, 0, &out, 0, starts, lens);
		r = atomic_write(q->path, out.s, out.len, 0644, err);
	}
	if (r == 0)
		index_save(q, starts, lens);
out:
	free(starts);
	free(lens);
	buf_release(&out);
	return r;
}

static uint64_t
id_hash(const char *id)
{
	uint64_t h = hash_words(FNV1A_INIT, id, strlen(id));
	return h ? h : 1;	/* 0 marks an empty slot */
}

/* Insert h; 1 if it was new. */
static int
idset_add(struct queue *q, uint64_t h)
{
	size_t mask = q->idset_cap - 1, i = (size_t)h & mask;
	while (q->idset[i]) {
		if (q->idset[i] == h)
			return 0;
		i = (i + 1) & mask;
	}
	q->idset[i] = h;
	return 1;
}

/* A random id not used in q.  Ids are kept in a hash set built on first
 * use, so a sweep of a thousand runs into a queue of ten thousand does not
 * search the queue a thousand times.  A hash collision only costs a retry. */
char *
queue_new_id(struct queue *q, const char *prefix)
{
	if (!q->idset || (q->n + 1) * 2 > q->idset_cap) {
		free(q->idset);
		q->idset_cap = 1024;
		while (q->idset_cap < (q->n + 1) * 4)
			q->idset_cap *= 2;
		q->idset = xcalloc(q->idset_cap, sizeof *q->idset);
		for (size_t i = 0; i < q->n; i++) {
			char *id = queue_key(q, i, JK_ID);
			idset_add(q, id_hash(id));
			free(id);
		}
	}
	for (;;) {
		char *id = random_id(prefix, 7);
		if (idset_add(q, id_hash(id)))
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
