/*
 * lock.c - the root's write lock and atomic file replacement.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
store_lock(const char *root, struct store_lock *l, struct buf *err)
{
	char *dir = path_join(root, ".ros");
	char *path = path_join(dir, "lock");
	int ret = -1;

	if (mkdir_p(dir, 0755) < 0) {
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->fd < 0) {
		buf_addf(err, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
		ret = 0;
		goto out;
	}
	const char *t = getenv("ROS_LOCK_TIMEOUT");
	double timeout = t && *t ? atof(t) : 60;
	int64_t end = mono_ms() + (int64_t)(timeout * 1000);
	int delay_us = 200;
	while (mono_ms() < end) {
		usleep(delay_us);
		if (delay_us < 20000)
			delay_us *= 2;
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
			ret = 0;
			goto out;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
	}
	buf_addf(err, "another ros command holds %s (waited %.0f s); "
		 "if none is running, the lock is free again when it exits", path, timeout);
	close(l->fd);
	l->fd = -1;
out:
	free(dir);
	free(path);
	return ret;
}

void
store_unlock(struct store_lock *l)
{
	if (l->fd >= 0) {
		close(l->fd);	/* releases the flock */
		l->fd = -1;
	}
}

/* The temp file being written, removed if a signal ends us mid-write. */
static char *pending_tmp;

static void
remove_pending(int sig)
{
	if (pending_tmp)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int no_sync;	/* set around atomic_write_nosync */

static int
want_fsync(void)
{
	if (no_sync)
		return 0;
	const char *e = getenv("ROS_TEST_FSYNC");
	return !(e && !strcmp(e, "0"));
}

static int
fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* write_all, but with ROS_TEST_WRITE_DELAY_US set (tests only) the data
 * goes out in 64 KiB pieces with a pause between them, so a test can kill
 * a writer in the middle of a write. */
static int
write_slowly(int fd, const char *data, size_t len)
{
	const char *d = getenv("ROS_TEST_WRITE_DELAY_US");
	if (!d || !*d)
		return write_all(fd, data, len);
	while (len) {
		size_t n = len < 65536 ? len : 65536;
		if (write_all(fd, data, n) < 0)
			return -1;
		data += n;
		len -= n;
		usleep((useconds_t)atoi(d));
	}
	return 0;
}

/* Copy n bytes of src_fd (from offset 0) to fd. */
static int
copy_prefix(int src_fd, int fd, size_t n)
{
	off_t in = 0;
	const char *d = getenv("ROS_TEST_WRITE_DELAY_US");	/* see write_slowly */
	size_t chunk = d && *d ? 65536 : n;
	while (n) {
		if (d && *d && in)
			usleep((useconds_t)atoi(d));
		ssize_t r = copy_file_range(src_fd, &in, fd, NULL, n < chunk ? n : chunk, 0);
		if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char b[65536];
			ssize_t k = pread(src_fd, b, n < sizeof b ? n : sizeof b, in);
			if (k <= 0 || write_all(fd, b, (size_t)k) < 0)
				return -1;
			in += k;
			n -= (size_t)k;
			continue;
		}
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		n -= (size_t)r;
	}
	return 0;
}

/* Temp files of a writer that died (kill -9, a crash, power loss) older than
 * this are removed by the next write of the same file. */
#define STALE_TEMP_SECONDS 60

/* Remove the stale temp files of base in dir ("" for the current one): the
 * names mkostemp gives (".<base>.XXXXXX", X a letter or digit) of regular
 * files not written to for STALE_TEMP_SECONDS.  A live writer of a state file
 * holds the root's lock and writes in well under a minute; one stopped that
 * long whose temp file goes only fails its rename. */
static void
remove_stale_temps(const char *dir, const char *base)
{
	static const char xs[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	DIR *d = opendir(*dir ? dir : ".");
	size_t bl = strlen(base);
	time_t now = time(NULL);	/* the kernel's clock, as the mtimes: not time_now() */
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] != '.' || strncmp(n + 1, base, bl) || n[1 + bl] != '.' || strlen(n + 2 + bl) != 6 ||
		    strspn(n + 2 + bl, xs) != 6)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > STALE_TEMP_SECONDS)
			unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
}

/*
 * The one write sequence: temp file next to path, write, fsync, checked
 * close, then into place, then fsync of the directory.  Into place is
 * rename(), which replaces path, or with create link(), which fails when
 * path exists however it came to be there (a check before would leave a
 * window between it and the rename); the temp name then goes.
 * 1 written, 0 (create only) path existed, -1 with err set.
 */
static int
put_file(const char *path, int src_fd, size_t src_len, const void *data, size_t len, int mode, int create,
	 struct buf *err)
{
	char *copy = xstrdup(path);
	char *base = basename(copy);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = 0;
	else
		dir[0] = 0;
	char *tmp = xasprintf("%s.%s.XXXXXX", dir, base);
	int fd = -1, ret = -1;
	struct sigaction sa = { 0 }, old_int, old_term, old_hup;

	sa.sa_handler = remove_pending;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	remove_stale_temps(dir, base);	/* first: they may be what fills the disk */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		buf_addf(err, "cannot create a temporary file next to %s: %s", path, strerror(errno));
		goto out;
	}
	pending_tmp = tmp;
	struct stat st;
	if (!create && stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if (fchmod(fd, (mode_t)mode) < 0 || (src_fd >= 0 && copy_prefix(src_fd, fd, src_len) < 0) ||
	    write_slowly(fd, data, len) < 0 ||
	    (want_fsync() && fsync(fd) < 0)) {
		buf_addf(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	int r = close(fd);
	fd = -1;
	if (r < 0) {
		buf_addf(err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (create) {
		if (link(tmp, path) < 0) {
			if (errno == EEXIST)
				ret = 0;
			else
				buf_addf(err, "cannot create %s: %s", path, strerror(errno));
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		buf_addf(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	pending_tmp = NULL;
	if (want_fsync() && fsync_dir(path) < 0) {
		buf_addf(err, "cannot sync the directory of %s: %s", path, strerror(errno));
		goto out_restore;
	}
	ret = 1;
	goto out_restore;
out:
	if (fd >= 0)
		close(fd);
	if (pending_tmp)
		unlink(pending_tmp);
	pending_tmp = NULL;
out_restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	free(tmp);
	free(dir);
	free(copy);
	return ret;
}

int
atomic_write(const char *path, const void *data, size_t len, int mode, struct buf *err)
{
	return put_file(path, -1, 0, data, len, mode, 0, err) < 0 ? -1 : 0;
}

int
atomic_write_nosync(const char *path, const void *data, size_t len, struct buf *err)
{
	no_sync = 1;
	int r = put_file(path, -1, 0, data, len, 0644, 0, err);
	no_sync = 0;
	return r < 0 ? -1 : 0;
}

int
atomic_write_after(const char *path, int src_fd, size_t src_len, const void *data, size_t len,
		   int mode, struct buf *err)
{
	return put_file(path, src_fd, src_len, data, len, mode, 0, err) < 0 ? -1 : 0;
}

int
write_new_file(const char *path, const void *data, size_t len, int mode, struct buf *err)
{
	if (file_exists(path))
		return 0;	/* the usual case, without a temp file */
	return put_file(path, -1, 0, data, len, mode, 1, err);
}
