/*
 * tar.c - tar archives in memory (see tar.h).
 */
#include "code/tar.h"

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
