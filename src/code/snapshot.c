/*
 * snapshot.c - content-addressed snapshots of a work tree (see snapshot.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "code/snapshot.h"
#include "exec/proc.h"
#include "store/store.h"
#include "util/jx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIT_TIMEOUT_MS 60000
#define GIT_CAPTURE ((size_t)256 << 20)

void
sha256_hex(const void *data, size_t len, char out[SNAP_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256(data, len, d);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[SNAP_HASH_HEX] = 0;
}

/* ---- git ---- */

/* git commands, run at once (they only read) */
struct gitcmd {
	struct proc p;
	const char *sub;	/* for messages */
	int may_fail;		/* a non-zero exit is an answer, not an error */
};

static void
git_init(struct gitcmd *g, const char *dir, const char *gitdir, const char *const *args, int may_fail)
{
	proc_init(&g->p);
	g->sub = args[0];
	g->may_fail = may_fail;
	strv_push(&g->p.argv, "git");
	if (gitdir) {
		strv_pushf(&g->p.argv, "--git-dir=%s", gitdir);
		strv_pushf(&g->p.argv, "--work-tree=%s", dir);
	}
	for (; *args; args++)
		strv_push(&g->p.argv, *args);
	strv_push(&g->p.env, "GIT_OPTIONAL_LOCKS=0");	/* a status must not write the index */
	strv_push(&g->p.env, "LC_ALL=C");
	g->p.dir = dir;
	g->p.timeout_ms = GIT_TIMEOUT_MS;
	g->p.max_capture = GIT_CAPTURE;
}

/* Run the n commands of gs, all at once.  0, or -1 with err: git missing,
 * or one that may not fail failed (its last line of stderr said). */
static int
git_run(struct gitcmd *gs, size_t n, const char *dir, struct buf *err)
{
	struct proc *ps[8];
	for (size_t i = 0; i < n; i++)
		ps[i] = &gs[i].p;
	proc_pool(ps, n, 0);
	for (size_t i = 0; i < n; i++) {
		struct proc *p = &gs[i].p;
		if (p->status == 127 && p->err.s && strstr(p->err.s, "ros: cannot run git")) {
			buf_addf(err, "cannot run git (Debian: git): it is what reads the tree");
			return -1;
		}
		if (p->status && !gs[i].may_fail) {
			const char *line;
			size_t ln = text_last_line(p->err.s ? p->err.s : "", p->err.len, &line);
			buf_addf(err, "git %s in %s failed (exit %d)%s%.*s", gs[i].sub, dir, p->status, ln ? ": " : "",
				 (int)ln, ln ? line : "");
			return -1;
		}
	}
	return 0;
}

static void
git_release(struct gitcmd *gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		proc_release(&gs[i].p);
}

/* Run one git command: its stdout in out (may be NULL), its status in
 * *status when may fail (status not NULL).  0, or -1 with err. */
static int
git(const char *dir, const char *gitdir, const char *const *args, struct buf *out, int *status,
    struct buf *err)
{
	struct gitcmd g;
	git_init(&g, dir, gitdir, args, status != NULL);
	int rc = git_run(&g, 1, dir, err);
	if (rc == 0 && out)
		buf_add(out, g.p.out.s ? g.p.out.s : "", g.p.out.len);
	if (rc == 0 && status)
		*status = g.p.status;
	git_release(&g, 1);
	return rc;
}

/* The NUL-separated words of b as a sorted list (a "T " tag kept when tagged). */
static void
nul_words(const struct buf *b, struct strv *out)
{
	for (size_t i = 0; i < b->len;) {
		size_t n = strnlen(b->s + i, b->len - i);
		if (n)
			strv_push_nocopy(out, xstrndup(b->s + i, n));
		i += n + 1;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
sort_strs(struct strv *sv)
{
	if (sv->n)	/* qsort of no items may still not be given NULL */
		qsort(sv->v, sv->n, sizeof *sv->v, cmp_str);
}

/* An empty repository of the root's own, to list a tree that is not in git
 * with git's rules for .rosignore. */
static char *
nogit_dir(const char *root, struct buf *err)
{
	char *d = xasprintf("%s/.ros/snap/nogit", root);
	if (!file_exists(d)) {
		const char *args[] = { "init", "-q", "--bare", d, NULL };
		char *parent = xasprintf("%s/.ros/snap", root);
		int ok = mkdir_p(parent, 0700) == 0 && git(parent, NULL, args, NULL, NULL, err) == 0;
		free(parent);
		if (!ok) {
			free(d);
			return NULL;
		}
	}
	return d;
}

/* The tree's paths (*paths, sorted) and which of them are untracked, with
 * the git facts into s.  0 or -1 with err. */
static int
list_tree(const char *root, int no_git, struct snapshot *s, struct strv *paths, struct strv *untracked,
	  struct buf *err)
{
	struct strv all = STRV_INIT, ign = STRV_INIT;
	struct gitcmd g[3];
	size_t ng = 0;
	char *gitdir = NULL;
	int st = 0, ret = -1;
	const char *probe[] = { "rev-parse", "--show-prefix", NULL };
	if (!no_git && git(s->workdir, NULL, probe, NULL, &st, err) < 0)
		return -1;
	s->in_git = !no_git && st == 0;
	/* the listing, and in a work tree HEAD and whether the tree differs
	 * from it, all at once */
	if (s->in_git) {
		const char *ls[] = { "ls-files", "-z", "-c", "-o", "--exclude-standard", "-t", NULL };
		/* "SHA\nBRANCH\n--\n" ("HEAD" for a branch when detached; "--": a file named HEAD is no revision) */
		const char *head[] = { "rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--", NULL };
		const char *diff[] = { "diff-index", "--quiet", "HEAD", "--", ".", NULL };
		git_init(&g[ng++], s->workdir, NULL, ls, 0);
		git_init(&g[ng++], s->workdir, NULL, head, 1);
		git_init(&g[ng++], s->workdir, NULL, diff, 1);
	} else {
		if (!(gitdir = nogit_dir(root, err)))
			goto out;
		const char *ls[] = { "ls-files", "-z", "-o", NULL };
		git_init(&g[ng++], s->workdir, gitdir, ls, 0);
	}
	if (git_run(g, ng, s->workdir, err) < 0)
		goto out;
	if (s->in_git) {
		const struct buf *h = &g[1].p.out;
		const char *hs = h->s ? h->s : "";
		size_t l1 = strcspn(hs, "\n");
		if (g[1].p.status == 0 && l1 >= 40 && hs[l1] == '\n') {
			s->commit = xstrndup(hs, l1);
			const char *b = hs + l1 + 1;
			size_t l2 = strcspn(b, "\n");
			if (l2 && !(l2 == 4 && !strncmp(b, "HEAD", 4)))	/* "HEAD": detached */
				s->branch = xstrndup(b, l2);
			s->dirty = g[1].p.status == 0 && g[2].p.status == 1;
		} else {
			s->dirty = 1;	/* no commit yet: everything is a change */
		}
	}
	nul_words(&g[0].p.out, &all);
	/* .rosignore's rules, when the tree has one */
	int any = 0;
	for (size_t i = 0; i < all.n && !any; i++) {
		const char *p = all.v[i] + (s->in_git && strlen(all.v[i]) > 2 ? 2 : 0);
		any = !strcmp(p, ".rosignore") || str_ends(p, "/.rosignore");
	}
	if (any) {
		struct buf out = BUF_INIT;
		const char *ig_git[] = { "ls-files", "-z", "-c", "-o", "-i", "--exclude-per-directory=.rosignore", NULL };
		const char *ig_nogit[] = { "ls-files", "-z", "-o", "-i", "--exclude-per-directory=.rosignore", NULL };
		int rc = git(s->workdir, gitdir, s->in_git ? ig_git : ig_nogit, &out, NULL, err);
		nul_words(&out, &ign);
		buf_release(&out);
		if (rc < 0)
			goto out;
		sort_strs(&ign);
	}
	for (size_t i = 0; i < all.n; i++) {
		const char *p = all.v[i];
		int unt = 0;
		if (s->in_git) {	/* "H path", "? path", ... */
			if (strlen(p) < 3 || p[1] != ' ')
				continue;
			unt = p[0] == '?';
			p += 2;
		}
		if (ign.n && bsearch(&p, ign.v, ign.n, sizeof *ign.v, cmp_str))
			continue;
		strv_push(paths, p);
		if (unt)
			strv_push(untracked, p);
	}
	sort_strs(paths);
	sort_strs(untracked);
	ret = 0;
out:
	git_release(g, ng);
	free(gitdir);
	strv_release(&all);
	strv_release(&ign);
	return ret;
}

/* ---- paths ---- */

/* Does a link at path with this target stay inside the tree? */
static int
link_inside(const char *path, const char *target)
{
	if (!*target || *target == '/')
		return 0;
	long depth = 0;
	for (const char *c = path; (c = strchr(c, '/')); c++)
		depth++;	/* the link's directory, as components below the top */
	for (const char *c = target; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n && !(n == 1 && c[0] == '.')) {
			depth++;
		}
		c += n;
		if (*c)
			c++;
	}
	return 1;
}

char *
snap_shown(const char *p)
{
	struct buf b = BUF_INIT;
	for (; *p; p++) {
		if (*p == '\n')
			buf_adds(&b, "\\n");
		else
			buf_addc(&b, *p);
	}
	char *clean = utf8_clean(b.s, b.len);
	buf_release(&b);
	return clean;
}

static void
skip(struct snapshot *s, const char *path, const char *why)
{
	char *p = snap_shown(path);
	strv_pushf(&s->skipped, "%s: %s", p, why);
	free(p);
}

/* ---- the stat cache ---- */

struct centry {
	char *path;
	char hash[SNAP_HASH_HEX + 1];
	long long size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino;
};

struct cache {
	struct centry *e;
	size_t n, alloc;
	long long written;	/* when it was written (the racy second) */
};

static int
cmp_centry(const void *a, const void *b)
{
	return strcmp(((const struct centry *)a)->path, ((const struct centry *)b)->path);
}

static char *
cache_path(const char *root, const char *workdir)
{
	return xasprintf("%s/.ros/snap/cache/%016llx", root,
			 (unsigned long long)fnv1a(FNV1A_INIT, workdir, strlen(workdir)));
}

/* Records "HASH SIZE MS MNS CS CNS INO PATH\0" after a first line "ros-snap-cache 1 WRITTEN\n".
 * Anything that does not read is no cache: every file is read. */
/* One record "HASH SIZE MS MNS CS CNS INO PATH" (NUL-terminated) into e
 * (e->path a new string).  0, or -1 when it does not read. */
static int
parse_centry(const char *r, struct centry *e)
{
	if (strspn(r, "0123456789abcdef") != SNAP_HASH_HEX || r[SNAP_HASH_HEX] != ' ')
		return -1;
	memcpy(e->hash, r, SNAP_HASH_HEX);
	e->hash[SNAP_HASH_HEX] = 0;
	const char *p = r + SNAP_HASH_HEX + 1;
	long long *v[] = { &e->size, &e->mtime_s, &e->mtime_ns, &e->ctime_s, &e->ctime_ns, &e->ino };
	for (size_t k = 0; k < ARRAY_SIZE(v); k++) {
		char *end;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		*v[k] = strtoll(p, &end, 10);
		if (errno || *end != ' ')
			return -1;
		p = end + 1;
	}
	if (!*p)
		return -1;
	e->path = xstrdup(p);
	return 0;
}

static void
cache_load(struct cache *c, const char *path)
{
	size_t len;
	char *data = read_file(path, &len);
	long long written;
	int n0 = 0;
	if (!data || sscanf(data, "ros-snap-cache 1 %lld\n%n", &written, &n0) != 1 || !n0) {
		free(data);
		return;
	}
	c->written = written;
	for (size_t i = (size_t)n0; i < len;) {
		size_t n = strnlen(data + i, len - i);
		if (i + n >= len)
			break;	/* no NUL: a cut record */
		struct centry e;
		if (parse_centry(data + i, &e) == 0) {
			c->e = xgrow(c->e, &c->alloc, c->n + 1, sizeof *c->e);
			c->e[c->n++] = e;
		}
		i += n + 1;
	}
	free(data);
	if (c->n)
		qsort(c->e, c->n, sizeof *c->e, cmp_centry);
}

static const struct centry *
cache_find(const struct cache *c, const char *path, const struct stat *st)
{
	struct centry key = { .path = (char *)path };
	const struct centry *e = c->n ? bsearch(&key, c->e, c->n, sizeof *c->e, cmp_centry) : NULL;
	if (!e || e->size != (long long)st->st_size || e->mtime_s != (long long)st->st_mtim.tv_sec ||
	    e->mtime_ns != (long long)st->st_mtim.tv_nsec || e->ctime_s != (long long)st->st_ctim.tv_sec ||
	    e->ctime_ns != (long long)st->st_ctim.tv_nsec || e->ino != (long long)st->st_ino)
		return NULL;
	/* changed in the second the cache was written: its mtime may not show it */
	if ((long long)st->st_mtim.tv_sec >= c->written - 1 || (long long)st->st_ctim.tv_sec >= c->written - 1)
		return NULL;
	return e;
}

static void
cache_release(struct cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].path);
	free(c->e);
	memset(c, 0, sizeof *c);
}

/* ---- the root's store ---- */

/* Store data under blobs/HASH unless it is there: a temp file, then
 * link() (a name that exists is never replaced), read-only. */
static int
store_blob(const char *dir, const char *hash, const void *data, size_t len, struct buf *err)
{
	char *path = xasprintf("%s/%s", dir, hash);
	int ret = 0;
	if (access(path, F_OK) == 0)
		goto out;
	char *tmp = xasprintf("%s/.tmp-%s-%ld", dir, hash, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0 ||
	    (link(tmp, path) < 0 && errno != EEXIST)) {
		buf_addf(err, "cannot store %s: %s", path, strerror(errno));
		ret = -1;
	}
	unlink(tmp);
	free(tmp);
out:
	free(path);
	return ret;
}

/* ---- taking it ---- */

static int
cmp_size_desc(const void *a, const void *b)
{
	const struct snap_file *x = a, *y = b;
	return x->size < y->size ? 1 : x->size > y->size ? -1 : strcmp(x->path, y->path);
}

/* Over the limit: the error names the largest paths. */
static void
too_big(const struct snapshot *s, long long max, struct buf *err)
{
	struct snap_file *by = xmalloc((s->n ? s->n : 1) * sizeof *by);
	memcpy(by, s->f, s->n * sizeof *by);
	if (s->n)
		qsort(by, s->n, sizeof *by, cmp_size_desc);
	buf_addf(err, "the snapshot of %s is %.1f MB, over its limit of %.1f MB (code: {max_mb: N} in "
		 "project.yaml, or --max-mb, sets it; .rosignore leaves files out); the largest:",
		 s->workdir, (double)s->bytes / 1e6, (double)max / 1e6);
	for (size_t i = 0; i < s->n && i < 5; i++) {
		char *p = snap_shown(by[i].path);
		buf_addf(err, "\n  %10.1f MB  %s", (double)by[i].size / 1e6, p);
		free(p);
	}
	free(by);
}

static void
add_file(struct snapshot *s, const char *path, char type, long long size)
{
	s->f = xgrow(s->f, &s->alloc, s->n + 1, sizeof *s->f);
	struct snap_file *f = &s->f[s->n++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->type = type;
	f->size = size;
	s->bytes += size;
}

/* Each path's type and size, from lstat; links' targets into targets
 * (parallel to s->f, NULL for files). */
static void
classify(struct snapshot *s, int dfd, const struct strv *paths, struct strv *targets, struct stat **sts)
{
	*sts = xmalloc((paths->n ? paths->n : 1) * sizeof **sts);
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		struct stat st;
		if (!path_plain(p)) {
			skip(s, p, "not a path inside the tree");
		} else if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				skip(s, p, strerror(errno));
			/* else deleted in the working tree: not in it, as the user sees it */
		} else if (S_ISREG(st.st_mode)) {
			(*sts)[s->n] = st;
			add_file(s, p, st.st_mode & 0111 ? 'x' : 'f', (long long)st.st_size);
			s->f[s->n - 1].mtime = (long long)st.st_mtim.tv_sec;
			strv_push_nocopy(targets, NULL);
		} else if (S_ISLNK(st.st_mode)) {
			char t[PATH_MAX + 1];
			ssize_t n = readlinkat(dfd, p, t, PATH_MAX);
			if (n < 0) {
				skip(s, p, strerror(errno));
			} else {
				t[n] = 0;
				if (!link_inside(p, t)) {
					char *why = snap_shown(t);
					char *msg = xasprintf("a link out of the tree (to %s)", why);
					skip(s, p, msg);
					free(msg);
					free(why);
				} else {
					(*sts)[s->n] = st;
					add_file(s, p, 'l', (long long)n);
					s->f[s->n - 1].mtime = (long long)st.st_mtim.tv_sec;
					strv_push(targets, t);
				}
			}
		} else {
			skip(s, p, S_ISDIR(st.st_mode) ? "a directory (a submodule?), not followed"
						       : "not a regular file nor a link");
		}
	}
}

/* The cache's record of f, as its file is now (st). */
static void
cache_record(struct buf *nc, const struct snap_file *f, const struct stat *st)
{
	buf_addf(nc, "%s %lld %lld %lld %lld %lld %lld %s", f->hash, (long long)st->st_size,
		 (long long)st->st_mtim.tv_sec, (long long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		 (long long)st->st_ctim.tv_nsec, (long long)st->st_ino, f->path);
	buf_addc(nc, 0);
}

/* Hash every entry (the cache first), storing contents the root lacks.
 * The cache is written again only when it did not know every file as it
 * is: an entry it knows stays known. */
static int
hash_all(const char *root, struct snapshot *s, int dfd, const struct strv *targets, const struct stat *sts,
	 struct buf *err)
{
	struct cache c = { 0 };
	char *cpath = cache_path(root, s->workdir), *blobs = xasprintf("%s/.ros/snap/blobs", root);
	char *cdir = xasprintf("%s/.ros/snap/cache", root);
	int ret = -1;
	size_t known = 0, files = 0;
	if (mkdir_p(blobs, 0700) < 0 || mkdir_p(cdir, 0700) < 0) {
		buf_addf(err, "cannot create %s: %s", blobs, strerror(errno));
		goto out;
	}
	cache_load(&c, cpath);
	long long now = (long long)time(NULL);	/* compared with mtimes: the kernel's clock */
	for (size_t i = 0; i < s->n; i++) {
		struct snap_file *f = &s->f[i];
		if (f->type == 'l') {
			sha256_hex(targets->v[i], strlen(targets->v[i]), f->hash);
			if (store_blob(blobs, f->hash, targets->v[i], strlen(targets->v[i]), err) < 0)
				goto out;
			continue;
		}
		files++;
		/* a content the cache knows is in blobs/ (nothing but a user removes
		 * one; a send that misses one forgets the cache: snapshot_forget) */
		const struct centry *e = cache_find(&c, f->path, &sts[i]);
		if (e) {
			memcpy(f->hash, e->hash, sizeof f->hash);
			known++;
			continue;
		}
		int fd = openat(dfd, f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		size_t len = 0;
		char *data = NULL;
		if (fd >= 0) {
			data = read_fd(fd, &len);
			int saved = errno;
			close(fd);
			errno = saved;
		}
		if (!data) {
			buf_addf(err, "cannot read %s/%s: %s", s->workdir, f->path, strerror(errno));
			goto out;
		}
		s->read++;
		f->size = (long long)len;	/* as read: it may have changed since lstat */
		sha256_hex(data, len, f->hash);
		int rc = store_blob(blobs, f->hash, data, len, err);
		free(data);
		if (rc < 0)
			goto out;
	}
	if (known != files || c.n != files) {
		struct buf nc = BUF_INIT, ignored = BUF_INIT;
		buf_addf(&nc, "ros-snap-cache 1 %lld\n", now);
		for (size_t i = 0; i < s->n; i++)
			if (s->f[i].type != 'l')
				cache_record(&nc, &s->f[i], &sts[i]);
		atomic_write_nosync(cpath, nc.s, nc.len, &ignored);	/* a cache: lost, it is rebuilt */
		buf_release(&nc);
		buf_release(&ignored);
	}
	ret = 0;
out:
	cache_release(&c);
	free(cpath);
	free(cdir);
	free(blobs);
	return ret;
}

int
snapshot_take(const struct snap_opts *o, struct snapshot *s, struct buf *err)
{
	struct strv paths = STRV_INIT, untracked = STRV_INIT, targets = STRV_INIT;
	struct stat *sts = NULL;
	struct buf man = BUF_INIT;
	char real[PATH_MAX];
	long long max = o->max_bytes > 0 ? o->max_bytes : (long long)SNAP_MAX_MB_DEFAULT * 1000000;
	int ret = -1;
	struct stat st;

	if (!realpath(o->workdir, real) || stat(real, &st) < 0) {
		buf_addf(err, "%s: %s", o->workdir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_addf(err, "%s: %s", o->workdir, strerror(ENOTDIR));
		return -1;
	}
	s->workdir = xstrdup(real);
	if (list_tree(o->root, o->no_git, s, &paths, &untracked, err) < 0)
		goto out;
	int dfd = open(s->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		buf_addf(err, "%s: %s", s->workdir, strerror(errno));
		goto out;
	}
	classify(s, dfd, &paths, &targets, &sts);
	for (size_t i = 0; i < s->n; i++) {
		if (s->f[i].type == 'x')
			s->executables++;
		if (s->f[i].type == 'l')
			s->links++;
		if (untracked.n && bsearch(&s->f[i].path, untracked.v, untracked.n, sizeof *untracked.v, cmp_str))
			s->untracked++;
	}
	if (s->bytes > max) {
		too_big(s, max, err);
		close(dfd);
		goto out;
	}
	int hrc = hash_all(o->root, s, dfd, &targets, sts, err);
	close(dfd);
	if (hrc < 0)
		goto out;
	s->bytes = 0;
	for (size_t i = 0; i < s->n; i++) {
		buf_addf(&man, "%c %s %s", s->f[i].type, s->f[i].hash, s->f[i].path);
		buf_addc(&man, 0);
		s->bytes += s->f[i].size;
	}
	sha256_hex(man.s ? man.s : "", man.len, s->id);
	char *tdir = xasprintf("%s/.ros/snap/trees", o->root), *tpath = xasprintf("%s/%s", tdir, s->id);
	if (mkdir_p(tdir, 0700) < 0 || store_blob(tdir, s->id, man.s ? man.s : "", man.len, err) < 0) {
		if (!err->len)
			buf_addf(err, "cannot create %s: %s", tdir, strerror(errno));
		free(tdir);
		free(tpath);
		goto out;
	}
	free(tdir);
	free(tpath);
	ret = 0;
out:
	free(sts);
	strv_release(&paths);
	strv_release(&untracked);
	strv_release(&targets);
	buf_release(&man);
	return ret;
}

void
snapshot_forget(const char *root, const char *workdir)
{
	char *p = cache_path(root, workdir);
	unlink(p);
	free(p);
}

void
snapshot_release(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->f[i].path);
	free(s->f);
	free(s->workdir);
	free(s->commit);
	free(s->branch);
	strv_release(&s->skipped);
	memset(s, 0, sizeof *s);
}

json_t *
snapshot_code(const struct snapshot *s)
{
	json_t *c = json_object();
	jset_str(c, "snapshot", s->id);
	json_object_set_new(c, "commit", s->commit ? json_string(s->commit) : json_null());
	json_object_set_new(c, "branch", s->branch ? json_string(s->branch) : json_null());
	json_object_set_new(c, "dirty", s->in_git ? json_boolean(s->dirty) : json_null());
	json_object_set_new(c, "untracked", json_integer((json_int_t)s->untracked));
	return c;
}

json_t *
snapshot_json(const struct snapshot *s, int with_files)
{
	json_t *o = json_object();
	jset_str(o, "id", s->id);
	jset_str(o, "workdir", s->workdir);
	jset_int(o, "files", (long long)s->n);
	jset_int(o, "bytes", s->bytes);
	jset_int(o, "executables", (long long)s->executables);
	jset_int(o, "links", (long long)s->links);
	jset_int(o, "read", (long long)s->read);
	json_object_set_new(o, "git", json_boolean(s->in_git));
	json_object_set_new(o, "code", snapshot_code(s));
	json_t *sk = json_array();
	for (size_t i = 0; i < s->skipped.n; i++)
		json_array_append_new(sk, json_string(s->skipped.v[i]));
	json_object_set_new(o, "skipped", sk);
	if (with_files) {
		json_t *fs = json_array();
		for (size_t i = 0; i < s->n; i++) {
			json_t *f = json_object();
			char *p = utf8_clean(s->f[i].path, strlen(s->f[i].path));
			jset_str(f, "path", p);
			free(p);
			char t[2] = { s->f[i].type, 0 };
			jset_str(f, "type", t);
			jset_int(f, "size", s->f[i].size);
			jset_str(f, "hash", s->f[i].hash);
			json_array_append_new(fs, f);
		}
		json_object_set_new(o, "list", fs);
	}
	return o;
}

/* ---- what the root keeps ---- */

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

char *
snapshot_resolve(const char *root, const char *prefix, struct buf *err)
{
	size_t n = strlen(prefix);
	if (n < 6 || n > SNAP_HASH_HEX || !is_hex(prefix, n)) {
		buf_addf(err, "'%s' is not a snapshot id (6 to 64 lowercase hex digits)", prefix);
		return NULL;
	}
	char *dir = xasprintf("%s/.ros/snap/trees", root), *found = NULL;
	DIR *d = opendir(dir);
	int many = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != SNAP_HASH_HEX || strncmp(de->d_name, prefix, n))
			continue;
		if (found)
			many = 1;
		else
			found = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (!found || many) {
		buf_addf(err, many ? "snapshot id '%s' is ambiguous: give more digits"
				   : "no snapshot '%s' in this root (%s)", prefix, dir);
		free(found);
		found = NULL;
	}
	free(dir);
	return found;
}

int
snapshot_load(const char *root, const char *id, struct snapshot *s, struct buf *err)
{
	char *path = xasprintf("%s/.ros/snap/trees/%s", root, id);
	size_t len;
	char *m = read_file(path, &len);
	int ret = -1;
	if (!m) {
		buf_addf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	char check[SNAP_HASH_HEX + 1];
	sha256_hex(m, len, check);
	if (strcmp(check, id)) {
		buf_addf(err, "%s: its content is not snapshot %s (damaged)", path, id);
		goto out;
	}
	memcpy(s->id, id, SNAP_HASH_HEX + 1);
	for (size_t i = 0; i < len;) {
		size_t n = strnlen(m + i, len - i);
		const char *r = m + i;
		if (i + n >= len || n < SNAP_HASH_HEX + 5 || !strchr("fxl", r[0]) || r[1] != ' ' ||
		    !is_hex(r + 2, SNAP_HASH_HEX) || r[SNAP_HASH_HEX + 2] != ' ' || !path_plain(r + SNAP_HASH_HEX + 3)) {
			buf_addf(err, "%s: a record at byte %zu does not read", path, i);
			goto out;
		}
		/* sizes unknown (0): the manifest has none, and a base or an
		 * export needs none (a content read and missing says so) */
		add_file(s, r + SNAP_HASH_HEX + 3, r[0], 0);
		memcpy(s->f[s->n - 1].hash, r + 2, SNAP_HASH_HEX);
		s->f[s->n - 1].hash[SNAP_HASH_HEX] = 0;
		s->executables += r[0] == 'x';
		s->links += r[0] == 'l';
		i += n + 1;
	}
	ret = 0;
out:
	free(m);
	free(path);
	return ret;
}

/* mkdir -p of path's parent directories below top (path relative to it). */
static int
parents(const char *top, const char *path)
{
	const char *sl = strrchr(path, '/');
	if (!sl)
		return 0;
	char *d = xasprintf("%s/%.*s", top, (int)(sl - path), path);
	int rc = mkdir_p(d, 0755);
	free(d);
	return rc;
}

int
snapshot_export(const char *root, const char *id, const char *dir, struct buf *err)
{
	struct snapshot s = SNAPSHOT_INIT;
	int ret = -1;
	if (snapshot_load(root, id, &s, err) < 0)
		goto out;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = d != NULL;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	if (d)
		closedir(d);
	if (!empty) {
		buf_addf(err, "%s is not an empty directory: the tree goes into a new one", dir);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct snap_file *f = &s.f[i];
		char *bp = xasprintf("%s/.ros/snap/blobs/%s", root, f->hash), *to = xasprintf("%s/%s", dir, f->path);
		size_t len;
		char *data = read_file(bp, &len);
		if (!data) {
			buf_addf(err, "the content of %s is no longer kept in the root (%s)", f->path, bp);
			free(bp);
			free(to);
			goto out;
		}
		int ok = parents(dir, f->path) == 0;
		if (ok && f->type == 'l') {
			char *t = xstrndup(data, len);
			ok = symlink(t, to) == 0;
			free(t);
		} else if (ok) {
			int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->type == 'x' ? 0755 : 0644);
			ok = fd >= 0 && write_all(fd, data, len) == 0;
			if (fd >= 0 && close(fd) < 0)
				ok = 0;
		}
		if (!ok)
			buf_addf(err, "cannot write %s: %s", to, strerror(errno));
		free(data);
		free(bp);
		free(to);
		if (!ok)
			goto out;
	}
	ret = 0;
out:
	snapshot_release(&s);
	return ret;
}
