/*
 * send.c - what a worker lacks of a snapshot (see send.h).
 */
#include "code/send.h"
#include "code/tar.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define KEEP_IDS 16	/* snapshots remembered per worker (bases to choose from) */

static char *
record_path(const char *root, const struct worker *w)
{
	return xasprintf("%s/.ros/snap/workers/%s", root, w->id);
}

/* The worker's identity: a change of any of these is another machine or
 * another workspace. */
static char *
identity(const struct worker *w)
{
	char *s = xasprintf("%d\n%s\n%d\n%s\n%s", (int)w->type, w->host ? w->host : "", w->port,
			    w->user ? w->user : "", w->workspace ? w->workspace : "");
	uint64_t h = fnv1a(FNV1A_INIT, s, strlen(s));
	free(s);
	return xasprintf("ros-snap-worker 1 %016llx", (unsigned long long)h);
}

/* The ids the record holds for w, oldest first. */
static void
record_load(const char *root, const struct worker *w, struct strv *ids)
{
	char *path = record_path(root, w), *id = identity(w);
	size_t len;
	char *data = read_file(path, &len);
	size_t idn = strlen(id);
	if (data && len > idn && !strncmp(data, id, idn) && data[idn] == '\n') {
		for (char *p = data + idn + 1, *nl; (nl = memchr(p, '\n', len - (size_t)(p - data))); p = nl + 1) {
			if (nl - p == SNAP_HASH_HEX)
				strv_push_nocopy(ids, xstrndup(p, SNAP_HASH_HEX));
		}
	}
	free(data);
	free(id);
	free(path);
}

int
snap_worker_has(const char *root, const struct worker *w, const char *id)
{
	struct strv ids = STRV_INIT;
	record_load(root, w, &ids);
	int has = strv_has(&ids, id);
	strv_release(&ids);
	return has;
}

void
snap_worker_note(const char *root, const struct worker *w, const char *id, int has)
{
	struct strv ids = STRV_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;
	record_load(root, w, &ids);
	char *head = identity(w);
	buf_addf(&b, "%s\n", head);
	size_t keep = 0;
	for (size_t i = 0; i < ids.n; i++)
		keep += strcmp(ids.v[i], id) != 0;
	size_t skip = keep + (size_t)has > KEEP_IDS ? keep + (size_t)has - KEEP_IDS : 0;
	for (size_t i = 0; i < ids.n; i++) {
		if (!strcmp(ids.v[i], id))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		buf_addf(&b, "%s\n", ids.v[i]);
	}
	if (has)
		buf_addf(&b, "%s\n", id);
	char *dir = xasprintf("%s/.ros/snap/workers", root), *path = record_path(root, w);
	if (mkdir_p(dir, 0700) == 0)
		atomic_write_nosync(path, b.s, b.len, &err);	/* a cache: lost, it costs a send */
	free(dir);
	free(path);
	free(head);
	buf_release(&b);
	buf_release(&err);
	strv_release(&ids);
}

/* Entries of a and b the same (path, type, hash): both are sorted by path. */
static size_t
common(const struct snapshot *a, const struct snapshot *b)
{
	size_t n = 0;
	for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
		int c = strcmp(a->f[i].path, b->f[j].path);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			n += a->f[i].type == b->f[j].type && !strcmp(a->f[i].hash, b->f[j].hash);
			i++;
			j++;
		}
	}
	return n;
}

static int
add_entry(const char *root, const struct snap_file *f, struct snap_send *out, struct buf *err)
{
	char *bp = xasprintf("%s/.ros/snap/blobs/%s", root, f->hash), *name = xasprintf("t/%s", f->path);
	size_t len;
	char *data = read_file(bp, &len);
	int ret = 0;
	if (!data) {
		buf_addf(err, "the content of %s is no longer kept in the root (%s)", f->path, bp);
		ret = -1;
	} else if (f->type == 'l') {
		char *t = xstrndup(data, len);
		tar_symlink(&out->tar, name, t, f->mtime);
		free(t);
	} else {
		tar_file(&out->tar, name, f->type == 'x' ? 0755 : 0644, f->mtime, data, len);
		out->bytes += (long long)len;
	}
	out->files += ret == 0;
	free(data);
	free(bp);
	free(name);
	return ret;
}

int
snap_send_plan(const char *root, const struct worker *w, const struct snapshot *s, struct snap_send *out,
	       struct buf *err)
{
	struct strv ids = STRV_INIT;
	struct snapshot base = SNAPSHOT_INIT;
	struct buf del = BUF_INIT, ignored = BUF_INIT;
	int ret = -1;
	memcpy(out->id, s->id, sizeof out->id);
	char *nonce = random_id("", 16);
	snprintf(out->nonce, sizeof out->nonce, "%s", nonce);
	free(nonce);
	record_load(root, w, &ids);
	size_t best = 0;
	for (size_t i = ids.n; i-- > 0;) {	/* the most recent first: ties go to it */
		struct snapshot c = SNAPSHOT_INIT;
		buf_reset(&ignored);
		if (snapshot_load(root, ids.v[i], &c, &ignored) == 0) {
			size_t n = common(s, &c);
			if (n > best) {
				best = n;
				snapshot_release(&base);
				base = c;
				continue;
			}
		}
		snapshot_release(&c);
	}
	if (best)
		memcpy(out->base, base.id, sizeof out->base);
	/* del: the base's paths not in s as they are; t/: s's entries not in the base as they are */
	size_t i = 0, j = 0;
	while (i < s->n || j < base.n) {
		int c = i >= s->n ? 1 : j >= base.n ? -1 : strcmp(s->f[i].path, base.f[j].path);
		if (c > 0) {
			buf_add(&del, base.f[j].path, strlen(base.f[j].path) + 1);
			j++;
			continue;
		}
		int same = c == 0 && s->f[i].type == base.f[j].type && !strcmp(s->f[i].hash, base.f[j].hash);
		if (c == 0 && !same)
			buf_add(&del, base.f[j].path, strlen(base.f[j].path) + 1);
		if (!same && add_entry(root, &s->f[i], out, err) < 0)
			goto out;
		i++;
		j += c == 0;
	}
	tar_file(&out->tar, "del", 0644, 0, del.s ? del.s : "", del.len);
	tar_end(&out->tar);
	ret = 0;
out:
	snapshot_release(&base);
	strv_release(&ids);
	buf_release(&del);
	buf_release(&ignored);
	return ret;
}

void
snap_send_release(struct snap_send *ss)
{
	buf_release(&ss->tar);
	memset(ss, 0, sizeof *ss);
}
