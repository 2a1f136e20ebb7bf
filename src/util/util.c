/*
 * util.c - allocation, buffers, string vectors, errors, time, ids, files.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int opt_quiet;

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void *
xgrow(void *p, size_t *alloc, size_t n, size_t sz)
{
	if (n <= *alloc)
		return p;
	size_t na = *alloc ? *alloc : 8;
	while (na < n)
		na = na * 3 / 2 + 8;
	*alloc = na;
	return xrealloc(p, na * sz);
}

/* ---- buf ---- */

void
buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->alloc) {
		size_t na = b->alloc ? b->alloc : 64;
		while (na < b->len + extra + 1)
			na *= 2;
		b->s = xrealloc(b->s, na);
		b->alloc = na;
	}
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = 0;
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = 0;
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	buf_grow(b, 64);
	int n = vsnprintf(b->s + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		die("vsnprintf failed");
	if ((size_t)n >= b->alloc - b->len) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->s + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

void
buf_release(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->alloc = 0;
}

char *
buf_detach(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	b->s = NULL;
	b->len = b->alloc = 0;
	return s;
}

const char *
buf_cstr(struct buf *b)
{
	return b->s ? b->s : "";
}

/* ---- strv ---- */

void
strv_push_nocopy(struct strv *sv, char *s)
{
	GROW(sv->v, sv->alloc, sv->n + 2);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
	strv_push_nocopy(sv, xstrdup(s));
}

void
strv_pushf(struct strv *sv, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strv_push_nocopy(sv, buf_detach(&b));
}

void
strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

size_t
split_list(const char *s, int sep, struct strv *out)
{
	size_t empty = 0;
	while (s && *s) {
		const char *e = strchr(s, sep);
		size_t len = e ? (size_t)(e - s) : strlen(s);
		const char *a = s, *b = s + len;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a)
			strv_push_nocopy(out, xstrndup(a, (size_t)(b - a)));
		else
			empty++;
		s = e ? e + 1 : NULL;
	}
	return empty;
}

int
strv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

int
list_has(const char *list, int sep, const char *s)
{
	struct strv items = STRV_INIT;
	split_list(list, sep, &items);
	int has = strv_has(&items, s);
	strv_release(&items);
	return has;
}

/* ---- errors ---- */

static void
vreport(const char *prefix, const char *fmt, va_list ap, int err)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "ros: ");
	buf_adds(&b, prefix);
	buf_vaddf(&b, fmt, ap);
	if (err)
		buf_addf(&b, ": %s", strerror(err));
	buf_addc(&b, '\n');
	fflush(stdout);
	write_all(2, b.s, b.len);
	buf_release(&b);
}

void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, e);
	va_end(ap);
	exit(1);
}

int
error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	return -1;
}

int
error_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, e);
	va_end(ap);
	return -1;
}

void
warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
info(const char *fmt, ...)
{
	if (opt_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	struct buf b = BUF_INIT;
	buf_vaddf(&b, fmt, ap);
	buf_addc(&b, '\n');
	va_end(ap);
	fflush(stdout);
	write_all(2, b.s, b.len);
	buf_release(&b);
}

/* ---- time ---- */

void
iso_time(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t
time_now(void)
{
	const char *fake = getenv("ROS_TEST_NOW");	/* tests pin the clock */
	long long v;
	if (!fake || !*fake)
		return time(NULL);
	if (parse_long(fake, &v) < 0)
		die("ROS_TEST_NOW='%s': expected seconds since 1970, or +N or -N seconds from now", fake);
	return *fake == '+' || *fake == '-' ? time(NULL) + (time_t)v : (time_t)v;
}

void
iso_now(char out[32])
{
	iso_time(time_now(), out);
}

time_t
parse_iso_time(const char *s)
{
	struct tm tm = { 0 };
	if (!s)
		return -1;
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p && strcmp(p, "Z") && strcmp(p, "+00:00"))
		return -1;
	return timegm(&tm);
}

long long
iso_age(const char *iso)
{
	time_t t = iso ? parse_iso_time(iso) : (time_t)-1;
	return t == (time_t)-1 ? -1 : (long long)(time_now() - t);
}

void
fmt_age(long long s, char out[24])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, 24, "%llds", s);
	else if (s < 3600)
		snprintf(out, 24, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(out, 24, "%lldh", s / 3600);
	else
		snprintf(out, 24, "%lldd", s / 86400);
}

int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- ids ---- */

uint32_t
posix_cksum(const void *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i << 24;
			for (int k = 0; k < 8; k++)
				c = c & 0x80000000u ? (c << 1) ^ 0x04C11DB7u : c << 1;
			table[i] = c;
		}
	}
	const unsigned char *s = p;
	uint32_t crc = 0;
	for (size_t i = 0; i < n; i++)
		crc = (crc << 8) ^ table[(crc >> 24) ^ s[i]];
	for (size_t len = n; len; len >>= 8)
		crc = (crc << 8) ^ table[(crc >> 24) ^ (len & 0xff)];
	return ~crc;
}

char *
random_id(const char *prefix, int ndigits)
{
	unsigned char r[32];
	if (ndigits > 64)
		ndigits = 64;
	size_t need = (size_t)(ndigits + 1) / 2;
	if (getrandom(r, need, 0) != (ssize_t)need)
		die_errno("getrandom");
	struct buf b = BUF_INIT;
	buf_adds(&b, prefix);
	for (int i = 0; i < ndigits; i++)
		buf_addc(&b, "0123456789abcdef"[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15]);
	return buf_detach(&b);
}

/* ---- hashes ---- */

uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *s = p; n--; s++)
		h = (h ^ *s) * FNV1A_PRIME;
	return h;
}

uint64_t
hash_words(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * FNV1A_PRIME;
		h ^= h >> 29;
	}
	return fnv1a(h, s, n);
}

/* ---- files ---- */

char *
read_fd(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return NULL;
	}
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
	char *p = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			p = xrealloc(p, cap + 1);
		}
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(p);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = 0;
	if (len)
		*len = n;
	return p;
}

char *
read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *p = read_fd(fd, len);
	int e = errno;
	close(fd);
	errno = e;
	return p;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, mode);
	free(p);
	if (r < 0 && errno == EEXIST && dir_exists(path))
		return 0;
	return r;
}

int
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int
dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
path_join(const char *a, const char *b)
{
	if (!a || !*a || *b == '/')
		return xstrdup(b);
	size_t la = strlen(a);
	return xasprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

char *
expand_home(const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == 0)) {
		const char *h = getenv("HOME");
		return xasprintf("%s%s", h ? h : "", path + 1);
	}
	return xstrdup(path);
}

/* ---- numbers ---- */

int
parse_long(const char *s, long long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int
parse_double(const char *s, double *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

void
fmt_double(double d, char out[32])
{
	if (!isfinite(d)) {
		snprintf(out, 32, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* Python writes 1.0, not 1: keep reals recognisable as reals. */
	if (!strpbrk(out, ".eEn"))
		strcat(out, ".0");
}

/* ---- text: places, lines, names ---- */

void
text_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	size_t i = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
	if (off > len)
		off = len;
	for (; i < off; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

size_t
text_last_line(const char *s, size_t n, const char **line)
{
	while (n && s[n - 1] && strchr(" \t\r\n\v\f", s[n - 1]))
		n--;
	size_t i = n;
	while (i && s[i - 1] != '\n' && s[i - 1] != '\r')
		i--;
	*line = s + i;
	return n - i;
}

char *
slugify(const char *s, char sep, size_t max)
{
	struct buf b = BUF_INIT;
	int pending = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c && (!max || b.len < max); c++) {
		if (*c < 0x80 && isalnum(*c)) {
			if (pending && b.len)
				buf_addc(&b, sep);
			pending = 0;
			buf_addc(&b, (char)tolower(*c));
		} else {
			pending = 1;
		}
	}
	return buf_detach(&b);
}

/* ---- UTF-8 ---- */

size_t
utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		min = 0x80;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		min = 0x800;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		min = 0x10000;
		c &= 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned cp;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

size_t
utf8_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}

char *
utf8_clean(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	struct buf b = BUF_INIT;
	unsigned cp;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_decode(s + i, n - i, &cp);
		if (!l)
			buf_adds(&b, "\xef\xbf\xbd");
		else if (cp)
			buf_add(&b, s + i, l);
		i += l ? l : 1;
	}
	return buf_detach(&b);
}

/* ---- text for a terminal ---- */

/* The first n bytes at s could begin a UTF-8 character (more to come). */
static int
utf8_incomplete(const unsigned char *s, size_t n)
{
	size_t want = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		      s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (n >= want)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return 1;
}

static int
term_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

size_t
buf_add_term(struct buf *b, const char *str, size_t n, int partial)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		size_t k = 1;
		unsigned cp = 0;
		if (term_plain(s[i])) {
			while (i + k < n && term_plain(s[i + k]))
				k++;
			buf_add(b, s + i, k);
			i += k;
			continue;
		}
		if (s[i] >= 0x80) {
			size_t l = utf8_decode(s + i, n - i, &cp);
			if (l && cp > 0x9f) {
				buf_add(b, s + i, l);
				i += l;
				continue;
			}
			if (!l && partial && utf8_incomplete(s + i, n - i))
				break;
			if (l)
				k = l;	/* a C1 control: all its bytes */
		}
		for (size_t j = 0; j < k; j++)
			buf_addf(b, "\\x%02x", s[i + j]);
		i += k;
	}
	return i;
}

void
fprintf_term(FILE *f, const char *fmt, ...)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&in, fmt, ap);
	va_end(ap);
	buf_add_term(&out, buf_cstr(&in), in.len, 0);
	fwrite(buf_cstr(&out), 1, out.len, f);
	buf_release(&in);
	buf_release(&out);
}

int
ask_yes(const char *fmt, ...)
{
	char line[64];
	size_t a = 0, b;
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	if (!fgets(line, sizeof line, stdin))
		return 0;
	b = strlen(line);
	if (b && line[b - 1] != '\n') {	/* too long for an answer: no, and not the next one */
		int c;
		while ((c = getchar()) != EOF && c != '\n')
			;
		return 0;
	}
	while (b && strchr(" \t\r\n", line[b - 1]))
		b--;
	while (a < b && strchr(" \t", line[a]))
		a++;
	line[b] = 0;
	return !strcasecmp(line + a, "y") || !strcasecmp(line + a, "yes");
}

int
str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !memcmp(s + a - b, suffix, b);
}

/* Edit distance of a and b, adjacent letters swapped counting as one
 * (optimal string alignment); stops counting past max. */
static size_t
edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	size_t *d = xcalloc((la + 1) * (lb + 1), sizeof *d);
#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t v = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
			if (D(i - 1, j) + 1 < v)
				v = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	size_t r = D(la, lb);
#undef D
	free(d);
	return r;
}

int
did_you_mean(struct buf *out, const char *word, const struct strv *cands, const char *prefix)
{
	size_t max = strlen(word) <= 4 ? 1 : 2, best = max + 1;
	struct strv hits = STRV_INIT;
	for (size_t i = 0; i < cands->n; i++) {
		size_t dist = edit_distance(word, cands->v[i], max);
		if (dist > best || dist > max)
			continue;
		if (dist < best) {
			strv_release(&hits);
			best = dist;
		}
		if (!strv_has(&hits, cands->v[i]))
			strv_push(&hits, cands->v[i]);
	}
	if (!hits.n && strlen(word) >= 3) {
		for (size_t i = 0; i < cands->n; i++)
			if (str_starts(cands->v[i], word) && !strv_has(&hits, cands->v[i]))
				strv_push(&hits, cands->v[i]);
		if (hits.n > 1)
			strv_release(&hits);
	}
	if (hits.n > 3)
		strv_release(&hits);	/* too many to be a typo of one */
	for (size_t i = 0; i < hits.n; i++)
		buf_addf(out, "%s%s%s", !i ? "; did you mean " : i + 1 < hits.n ? ", " : " or ", prefix,
			 hits.v[i]);
	if (hits.n)
		buf_adds(out, "?");
	int n = (int)hits.n;
	strv_release(&hits);
	return n;
}

int
safe_name(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

int
path_plain(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/' && !*++c)
			return 0;
	}
	return 1;
}
