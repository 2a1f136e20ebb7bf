/*
 * tar.c - tar archives in memory (see tar.h).
 */
#include "code/tar.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

#define BLOCK 512

/* v in octal, n - 1 digits with leading zeros and a NUL (v must fit:
 * a size below 8 GiB, the sizes a snapshot allows) */
static void
octal(char *field, size_t n, unsigned long long v)
{
	field[n - 1] = 0;
	for (size_t i = n - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

static void
pad(struct buf *b)
{
	static const char zero[BLOCK];
	size_t r = b->len % BLOCK;
	if (r)
		buf_add(b, zero, BLOCK - r);
}

static void header(struct buf *b, const char *name, char type, int mode, unsigned long long size,
		   long long mtime, const char *link);

/* GNU's record of a long name ('L') or link target ('K'), before the
 * entry whose header holds the name cut short. */
static void
longname(struct buf *b, char type, const char *s)
{
	size_t n = strlen(s) + 1;
	header(b, "././@LongLink", type, 0644, n, 0, NULL);
	buf_add(b, s, n);
	pad(b);
}

static void
header(struct buf *b, const char *name, char type, int mode, unsigned long long size, long long mtime,
       const char *link)
{
	if (type != 'L' && type != 'K') {
		if (strlen(name) > 100)
			longname(b, 'L', name);
		if (link && strlen(link) > 100)
			longname(b, 'K', link);
	}
	char h[BLOCK];
	memset(h, 0, sizeof h);
	memcpy(h, name, strnlen(name, 100));
	octal(h + 100, 8, (unsigned)mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, mtime > 0 ? (unsigned long long)mtime : 0);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	if (type == 'L' || type == 'K')
		memcpy(h + 257, "ustar  ", 8);	/* GNU's magic and version, as GNU tar writes these */
	else
		memcpy(h + 257, "ustar\0" "00", 8);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);	/* six digits, NUL, and the space kept */
	buf_add(b, h, BLOCK);
}

void
tar_file(struct buf *b, const char *name, int mode, long long mtime, const void *data, size_t len)
{
	header(b, name, '0', mode, len, mtime, NULL);
	buf_add(b, data, len);
	pad(b);
}

void
tar_symlink(struct buf *b, const char *name, const char *target, long long mtime)
{
	header(b, name, '2', 0777, 0, mtime, target);
}

void
tar_end(struct buf *b)
{
	static const char zero[2 * BLOCK];
	buf_add(b, zero, sizeof zero);
}

/* ---- reading ---- */

static int
zero_block(const char *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* An octal field (spaces and NULs around it), or -1. */
static long long
field_octal(const char *f, size_t n)
{
	size_t i = 0;
	long long v = 0;
	while (i < n && (f[i] == ' ' || f[i] == 0))
		i++;
	if (i == n)
		return 0;
	if ((unsigned char)f[0] & 0x80)
		return -1;	/* base-256: sizes ros never makes */
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (LLONG_MAX >> 3))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	return v;
}

long long
tar_each(const char *data, size_t len, int (*cb)(const struct tar_member *m, void *arg), void *arg,
	 struct buf *err)
{
	size_t pos = 0;
	char *longname = NULL;
	long long ret = -1;
	while (pos + BLOCK <= len) {
		const char *h = data + pos;
		if (zero_block(h)) {
			pos += BLOCK;
			if (pos + BLOCK <= len && zero_block(data + pos))
				pos += BLOCK;
			ret = (long long)pos;
			goto out;
		}
		unsigned sum = 0;
		for (size_t i = 0; i < BLOCK; i++)
			sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
		long long want = field_octal(h + 148, 8), size = field_octal(h + 124, 12);
		if (want < 0 || (unsigned)want != sum || size < 0) {
			buf_addf(err, "a tar header at byte %zu does not read (checksum or size)", pos);
			goto out;
		}
		size_t padded = ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
		if ((size_t)size > len - pos - BLOCK) {
			buf_addf(err, "the tar ends inside a member, at byte %zu", pos);
			goto out;
		}
		const char *body = h + BLOCK;
		char type = h[156];
		if (type == 'L') {
			free(longname);
			longname = xstrndup(body, strnlen(body, (size_t)size));
		} else if (type != 'x' && type != 'g' && type != 'K') {
			struct tar_member m = { 0 };
			if (longname) {
				m.name = longname;
				longname = NULL;
			} else {
				char name[256 + 1];
				size_t pn = strnlen(h + 345, 155), nn = strnlen(h, 100);
				if (!memcmp(h + 257, "ustar", 5) && pn)
					snprintf(name, sizeof name, "%.*s/%.*s", (int)pn, h + 345, (int)nn, h);
				else
					snprintf(name, sizeof name, "%.*s", (int)nn, h);
				m.name = xstrdup(name);
			}
			m.type = type ? type : '0';
			m.mode = (int)field_octal(h + 100, 8);
			m.mtime = field_octal(h + 136, 12);
			m.data = body;
			m.len = (size_t)size;
			int rc = cb(&m, arg);
			free(m.name);
			if (rc < 0)
				goto out;
		}
		pos += BLOCK + padded;
		if (pos > len)
			pos = len;
	}
	ret = (long long)pos;	/* the data ended after whole members */
out:
	free(longname);
	return ret;
}

/* ---- writing under a directory ---- */


int
tar_write_under(const char *dir, const struct tar_member *m, struct buf *err)
{
	if (!path_plain(m->name)) {
		buf_addf(err, "a member named '%s' would land outside %s: refused", m->name, dir);
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		buf_addf(err, "cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	char *path = xstrdup(m->name), *c = path, *sl;
	int ok = 1;
	while (ok && (sl = strchr(c, '/'))) {
		*sl = 0;
		int nfd = -1;
		ok = (mkdirat(fd, c, 0755) == 0 || errno == EEXIST) &&
		     (nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0;
		if (ok) {
			close(fd);
			fd = nfd;
			c = sl + 1;
		}
	}
	if (ok) {
		char *tmp = xasprintf(".%s.ros-tmp", c);
		int out = openat(fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
				 (m->mode & 0111) ? 0755 : 0644);
		ok = out >= 0 && write_all(out, m->data, m->len) == 0;
		if (out >= 0 && close(out) < 0)
			ok = 0;
		if (ok && renameat(fd, tmp, fd, c) < 0)
			ok = 0;
		if (!ok) {
			int e = errno;
			unlinkat(fd, tmp, 0);
			errno = e;
		}
		free(tmp);
	}
	if (!ok)
		buf_addf(err, "cannot write %s/%s: %s", dir, m->name, strerror(errno));
	int ret = ok ? 0 : -1;
	close(fd);
	free(path);
	return ret;
}
