/*
 * json.c - the validating scanner of queue files (see json.h).
 */
#include "store/json.h"
#include "util/jx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A key of an object being scanned (for the duplicate check). */
struct skey {
	uint64_t h;		/* hash of the decoded key */
	size_t off, len;	/* raw contents, between the quotes */
	int esc;		/* has escapes: compare decoded */
};

struct scan {
	const char *s;
	size_t n, i;
	const char *msg;
	size_t err_at;
	int esc;		/* the string just scanned has an escape */
	struct skey *keys;	/* keys of the open objects, innermost last */
	size_t nkeys, kalloc;
	size_t dup_first;	/* a duplicate key: offset of the first one */
};

#define MAX_DEPTH 256


static int
fail(struct scan *sc, size_t at, const char *msg)
{
	if (!sc->msg) {
		sc->msg = msg;
		sc->err_at = at;
	}
	return -1;
}

static void
skip_ws(struct scan *sc)
{
	const char *s = sc->s;
	size_t i = sc->i, n = sc->n;
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	sc->i = i;
}

/* Byte classes inside strings: 0 plain, 1 quote/backslash/control, 2 non-ASCII. */
static unsigned char strclass[256];

static void
init_classes(void)
{
	if (strclass['"'])
		return;
	for (int c = 0; c < 0x20; c++)
		strclass[c] = 1;
	strclass['"'] = 1;
	strclass['\\'] = 1;
	for (int c = 0x80; c < 0x100; c++)
		strclass[c] = 2;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of 4 hex digits at p, or -1. */
static long
hex4(const unsigned char *p)
{
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* At an opening quote; leaves sc->i after the closing quote and sc->esc
 * set when the string has an escape.  As jansson, refuses \u0000 and
 * UTF-16 surrogates that are not a high one followed by a low one. */
static int
scan_string(struct scan *sc)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t i = sc->i + 1, n = sc->n;
	sc->esc = 0;
	for (;;) {
		while (i < n && !strclass[s[i]])
			i++;
		if (i >= n)
			return fail(sc, sc->i, "unterminated string");
		unsigned char c = s[i];
		if (c == '"') {
			sc->i = i + 1;
			return 0;
		}
		if (c == '\\') {
			sc->esc = 1;
			if (i + 1 >= n)
				return fail(sc, i, "unterminated string");
			c = s[i + 1];
			if (c == 'u') {
				long cp = i + 6 <= n ? hex4(s + i + 2) : -1, lo;
				if (cp < 0)
					return fail(sc, i, "bad \\u escape");
				if (cp == 0)
					return fail(sc, i, "\\u0000 in a string (not supported)");
				if (cp >= 0xd800 && cp < 0xe000) {
					if (cp >= 0xdc00 || i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
					    (lo = hex4(s + i + 8)) < 0xdc00 || lo >= 0xe000)
						return fail(sc, i, "invalid \\u escape (an unpaired UTF-16 surrogate)");
					i += 6;
				}
				i += 6;
			} else if (strchr("\"\\/bfnrt", c) && c) {
				i += 2;
			} else {
				return fail(sc, i, "invalid escape in string");
			}
			continue;
		}
		if (c < 0x20)
			return fail(sc, i, "control character in string (write it as \\n, \\t or \\u00XX)");
		/* non-ASCII: validate one UTF-8 sequence */
		int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		if (!len || i + (size_t)len > n || !utf8_valid((const char *)s + i, (size_t)len))
			return fail(sc, i, "invalid UTF-8 in string");
		i += (size_t)len;
	}
}

/* 1 if the number text p[0..n) (with a fraction or an exponent) is beyond
 * the range of a double, which jansson refuses.  mag bounds the number of
 * digits before the decimal point: only a number of 309 digits or more
 * can be that large, and only then is strtod asked. */
static int
real_overflows(const char *p, size_t n, long long mag)
{
	if (mag < 309)
		return 0;
	char *t = xstrndup(p, n);
	int over = isinf(strtod(t, NULL));
	free(t);
	return over;
}

/* As jansson: an integer must fit in 64 bits, a real in a double. */
static int
scan_number(struct scan *sc)
{
	const char *s = sc->s;
	size_t i = sc->i, n = sc->n, start = i;
	int neg = 0, real = 0;
	long long exp = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	size_t istart = i;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return fail(sc, start, "invalid value");
	size_t ilen = i - istart;
	if (i < n && s[i] == '.') {
		real = 1;
		i++;
		if (!(i < n && s[i] >= '0' && s[i] <= '9'))
			return fail(sc, i, "invalid number");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0;
		real = 1;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (!(i < n && s[i] >= '0' && s[i] <= '9'))
			return fail(sc, i, "invalid number");
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (exp < 1000000000)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (eneg)
			exp = -exp;
	}
	if (!real && ilen >= 19 &&
	    (ilen > 19 || memcmp(s + istart, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0))
		return fail(sc, start, "integer too large (more than 64 bits)");
	if (real && real_overflows(s + start, i - start, (long long)ilen + exp))
		return fail(sc, start, "number too large for a double");
	sc->i = i;
	return 0;
}

const char *const jkey_names[JK_NKEYS] = { "id", "status", "project_id", "worker_id", "command", "env", "ended_at" };

/* Which index field key k (decoded, n bytes) names, or -1 (one compare of
 * a constant length: this runs for every key of every entry). */
static int
index_key(const char *k, size_t n)
{
	switch (n) {
	case 2: return memcmp(k, "id", 2) ? -1 : JK_ID;
	case 3: return memcmp(k, "env", 3) ? -1 : JK_ENV;
	case 6: return memcmp(k, "status", 6) ? -1 : JK_STATUS;
	case 7: return memcmp(k, "command", 7) ? -1 : JK_COMMAND;
	case 8: return memcmp(k, "ended_at", 8) ? -1 : JK_ENDED;
	case 9: return memcmp(k, "worker_id", 9) ? -1 : JK_WORKER;
	case 10: return memcmp(k, "project_id", 10) ? -1 : JK_PROJECT;
	}
	return -1;
}

/*
 * The duplicate check.  An object's keys are pushed on sc->keys (hash of
 * the decoded key, raw span) and popped when it closes.  Up to LINEAR_KEYS
 * keys, a 64-bit mask of one hash bit per key says when a key is surely
 * new, and only otherwise are the earlier ones compared one by one (an
 * entry of 20 keys costs a few compares); past that, an open-addressing
 * table of their positions, so that an object of thousands of keys costs
 * no more per key.
 */
#define LINEAR_KEYS 32

static const char dup_key[] = "duplicate key";	/* dup_message() writes the whole message */

struct keyset {
	uint64_t mask;		/* bits of the keys' hashes, while not in a table */
	size_t *slot;		/* position in sc->keys + 1; 0: empty */
	size_t cap, used;
};

static uint64_t
mask_bit(uint64_t h)
{
	return 1ULL << (h >> 58);
}

static size_t
slot_of(uint64_t h)
{
	return (size_t)(h ^ h >> 32);
}

static int
same_key(const struct scan *sc, const struct skey *a, const struct skey *b)
{
	if (a->h != b->h)
		return 0;
	if (!a->esc && !b->esc)
		return a->len == b->len && !memcmp(sc->s + a->off, sc->s + b->off, a->len);
	char *x = jstr_decode(sc->s + a->off, a->len), *y = jstr_decode(sc->s + b->off, b->len);
	int same = !strcmp(x, y);	/* no NUL inside: \u0000 is refused */
	free(x);
	free(y);
	return same;
}

static void
keyset_put(struct keyset *t, const struct skey *keys, size_t pos)
{
	size_t mask = t->cap - 1, j = slot_of(keys[pos].h) & mask;
	while (t->slot[j])
		j = (j + 1) & mask;
	t->slot[j] = pos + 1;
	t->used++;
}

/* Add key k to the object whose keys start at base. */
static void
keyset_add(struct keyset *t, struct scan *sc, size_t base, const struct skey *k)
{
	if (sc->nkeys == sc->kalloc)
		GROW(sc->keys, sc->kalloc, sc->nkeys + 1);
	sc->keys[sc->nkeys++] = *k;
	size_t nk = sc->nkeys - base;
	if (nk < LINEAR_KEYS) {
		t->mask |= mask_bit(k->h);
		return;
	}
	if (nk == LINEAR_KEYS || (t->used + 1) * 2 > t->cap) {
		free(t->slot);
		t->cap = t->cap ? t->cap * 2 : 4 * LINEAR_KEYS;
		t->slot = xcalloc(t->cap, sizeof *t->slot);
		t->used = 0;
		for (size_t p = base; p < sc->nkeys; p++)
			keyset_put(t, sc->keys, p);
		return;
	}
	keyset_put(t, sc->keys, sc->nkeys - 1);
}

/* Position of an earlier key of the object equal to k, or -1. */
static long
find_key(const struct scan *sc, const struct keyset *t, size_t base, const struct skey *k)
{
	if (!t->cap) {
		if (!(t->mask & mask_bit(k->h)))
			return -1;
		for (size_t p = base; p < sc->nkeys; p++)
			if (same_key(sc, &sc->keys[p], k))
				return (long)p;
		return -1;
	}
	size_t mask = t->cap - 1;
	for (size_t j = slot_of(k->h) & mask; t->slot[j]; j = (j + 1) & mask)
		if (same_key(sc, &sc->keys[t->slot[j] - 1], k))
			return (long)(t->slot[j] - 1);
	return -1;
}

static int scan_value(struct scan *sc, int depth, struct jelem *el);

/* The members of an object whose keys go on sc->keys from base. */
static int
scan_members(struct scan *sc, int depth, struct jelem *el, size_t base, struct keyset *t)
{
	for (;;) {
		skip_ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != '"')
			return fail(sc, sc->i, sc->i >= sc->n ? "unexpected end of file in object"
							     : "expected a \"key\" in object");
		size_t kstart = sc->i + 1;
		if (scan_string(sc) < 0)
			return -1;
		struct skey k = { 0, kstart, sc->i - 1 - kstart, sc->esc };
		int jk = -1;
		if (k.esc) {
			char *d = jstr_decode(sc->s + k.off, k.len);
			size_t dlen = strlen(d);
			k.h = hash_words(FNV1A_INIT, d, dlen);
			if (el)
				jk = index_key(d, dlen);
			free(d);
		} else {
			k.h = hash_words(FNV1A_INIT, sc->s + k.off, k.len);
			if (el)
				jk = index_key(sc->s + k.off, k.len);
		}
		long prev = find_key(sc, t, base, &k);
		if (prev >= 0) {
			sc->dup_first = sc->keys[prev].off - 1;
			return fail(sc, kstart - 1, dup_key);
		}
		keyset_add(t, sc, base, &k);
		skip_ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != ':')
			return fail(sc, sc->i, "expected ':' after key");
		sc->i++;
		skip_ws(sc);
		size_t vstart = sc->i;
		if (scan_value(sc, depth + 1, NULL) < 0)
			return -1;
		if (jk >= 0 && sc->s[vstart] == '"') {
			el->key[jk].off = vstart + 1;
			el->key[jk].len = sc->i - vstart - 2;
			if (el->key[jk].len == 0)
				el->key[jk].off = 0;
		}
		skip_ws(sc);
		if (sc->i >= sc->n)
			return fail(sc, sc->i, "unexpected end of file in object (missing '}')");
		if (sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->s[sc->i] == '}') {
			sc->i++;
			return 0;
		}
		return fail(sc, sc->i, "expected ',' or '}' in object");
	}
}

static int
scan_object(struct scan *sc, int depth, struct jelem *el)
{
	sc->i++;	/* { */
	skip_ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == '}') {
		sc->i++;
		return 0;
	}
	size_t base = sc->nkeys;
	struct keyset t = { 0, NULL, 0, 0 };
	int r = scan_members(sc, depth, el, base, &t);
	free(t.slot);
	sc->nkeys = base;
	return r;
}

static int
scan_array(struct scan *sc, int depth)
{
	sc->i++;	/* [ */
	skip_ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == ']') {
		sc->i++;
		return 0;
	}
	for (;;) {
		skip_ws(sc);
		if (scan_value(sc, depth + 1, NULL) < 0)
			return -1;
		skip_ws(sc);
		if (sc->i >= sc->n)
			return fail(sc, sc->i, "unexpected end of file in array (missing ']')");
		if (sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->s[sc->i] == ']') {
			sc->i++;
			return 0;
		}
		return fail(sc, sc->i, "expected ',' or ']' in array");
	}
}

static int
scan_value(struct scan *sc, int depth, struct jelem *el)
{
	if (depth > MAX_DEPTH)
		return fail(sc, sc->i, "nested too deeply");
	if (sc->i >= sc->n)
		return fail(sc, sc->i, "unexpected end of file");
	switch (sc->s[sc->i]) {
	case '{':
		if (el)
			el->is_object = 1;
		return scan_object(sc, depth, el);
	case '[':
		return scan_array(sc, depth);
	case '"':
		return scan_string(sc);
	case 't':
		if (sc->n - sc->i >= 4 && !memcmp(sc->s + sc->i, "true", 4)) {
			sc->i += 4;
			return 0;
		}
		break;
	case 'f':
		if (sc->n - sc->i >= 5 && !memcmp(sc->s + sc->i, "false", 5)) {
			sc->i += 5;
			return 0;
		}
		break;
	case 'n':
		if (sc->n - sc->i >= 4 && !memcmp(sc->s + sc->i, "null", 4)) {
			sc->i += 4;
			return 0;
		}
		break;
	default:
		return scan_number(sc);
	}
	return fail(sc, sc->i, "invalid value");
}

/* "L:C: duplicate key "k" (also at line L0)", the key (the one at
 * sc->err_at) decoded, escaped again and cut when long. */
static void
dup_message(struct buf *err, const char *text, size_t len, const struct scan *sc, int line, int col)
{
	size_t roff = sc->err_at + 1, rlen = 0;
	int fline, fcol;
	while (text[roff + rlen] != '"')
		rlen += text[roff + rlen] == '\\' ? 2 : 1;
	char *k = jstr_decode(text + roff, rlen);
	size_t klen = strlen(k), show = klen;
	if (show > 60) {
		show = 60;
		while (show && ((unsigned char)k[show] & 0xc0) == 0x80)
			show--;	/* not in the middle of a character */
	}
	struct buf q = BUF_INIT;
	json_quote(&q, k, show);
	text_pos(text, len, sc->dup_first, &fline, &fcol);
	buf_addf(err, "%d:%d: duplicate key %.*s%s\" (also at line %d)", line, col, (int)q.len - 1, q.s,
		 show < klen ? "..." : "", fline);
	buf_release(&q);
	free(k);
}

int
jscan_array(const char *text, size_t len, struct jelem **elems, size_t *count, struct buf *err)
{
	struct scan sc = { text, len, 0, NULL, 0, 0, NULL, 0, 0, 0 };
	struct jelem *v = NULL;
	size_t n = 0, alloc = 0;

	init_classes();
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		sc.i = 3;	/* tolerate a UTF-8 byte order mark */
	skip_ws(&sc);
	if (sc.i >= len) {
		fail(&sc, sc.i, "empty file (a queue is a JSON array: write [] for an empty one)");
		goto bad;
	}
	if (text[sc.i] != '[') {
		fail(&sc, sc.i, text[sc.i] == '{' ? "expected a JSON array of entries, found an object"
						  : "expected a JSON array of entries");
		goto bad;
	}
	sc.i++;
	skip_ws(&sc);
	if (sc.i < len && text[sc.i] == ']') {
		sc.i++;
	} else {
		for (;;) {
			skip_ws(&sc);
			GROW(v, alloc, n + 1);
			struct jelem *el = &v[n];
			memset(el, 0, sizeof *el);
			el->off = sc.i;
			if (scan_value(&sc, 1, el) < 0)
				goto bad;
			el->len = sc.i - el->off;
			if (!el->is_object) {
				fail(&sc, el->off, "entry is not a JSON object");
				goto bad;
			}
			n++;
			skip_ws(&sc);
			if (sc.i >= len) {
				fail(&sc, sc.i, "unexpected end of file (missing ']')");
				goto bad;
			}
			if (text[sc.i] == ',') {
				sc.i++;
				continue;
			}
			if (text[sc.i] == ']') {
				sc.i++;
				break;
			}
			fail(&sc, sc.i, "expected ',' or ']' after an entry");
			goto bad;
		}
	}
	skip_ws(&sc);
	if (sc.i < len) {
		fail(&sc, sc.i, "extra data after the array");
		goto bad;
	}
	free(sc.keys);
	*elems = v;
	*count = n;
	return 0;
bad:
	free(v);
	free(sc.keys);
	int line, col;
	text_pos(text, len, sc.err_at, &line, &col);
	if (sc.msg == dup_key)
		dup_message(err, text, len, &sc, line, col);
	else
		buf_addf(err, "%d:%d: %s", line, col, sc.msg);
	return -1;
}

static void
add_utf8(struct buf *b, unsigned cp)
{
	char t[4];
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, t, 4);
	}
}

char *
jstr_decode(const char *raw, size_t len)
{
	if (!memchr(raw, '\\', len))
		return xstrndup(raw, len);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] != '\\') {
			buf_addc(&b, raw[i]);
			continue;
		}
		char c = raw[++i];
		switch (c) {
		case 'n': buf_addc(&b, '\n'); break;
		case 't': buf_addc(&b, '\t'); break;
		case 'r': buf_addc(&b, '\r'); break;
		case 'b': buf_addc(&b, '\b'); break;
		case 'f': buf_addc(&b, '\f'); break;
		case 'u': {
			unsigned cp = 0;
			for (int k = 1; k <= 4 && i + k < len; k++)
				cp = cp * 16 + (unsigned)hexval(raw[i + k]);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len + 1 && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
				unsigned lo = 0;
				for (int k = 3; k <= 6; k++)
					lo = lo * 16 + (unsigned)hexval(raw[i + k]);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			add_utf8(&b, cp ? cp : 0xfffd);
			break;
		}
		default: buf_addc(&b, c); break;
		}
	}
	return buf_detach(&b);
}
