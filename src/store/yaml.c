/*
 * yaml.c - a libyaml event reader that keeps byte spans.  See yaml.h.
 *
 * libyaml's marks count characters (mark.index, mark.column), not bytes:
 * for text with non-ASCII bytes a table maps character index to byte
 * offset.  A UTF-8 byte order mark is consumed by libyaml's reader before
 * any character is counted: indexes then start after it.
 */
#include "store/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

_Static_assert((int)YS_PLAIN == (int)YAML_PLAIN_SCALAR_STYLE &&
	       (int)YS_SINGLE == (int)YAML_SINGLE_QUOTED_SCALAR_STYLE &&
	       (int)YS_DOUBLE == (int)YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	       (int)YS_LITERAL == (int)YAML_LITERAL_SCALAR_STYLE &&
	       (int)YS_FOLDED == (int)YAML_FOLDED_SCALAR_STYLE, "scalar styles");
_Static_assert((int)YC_BLOCK == (int)YAML_BLOCK_MAPPING_STYLE &&
	       (int)YC_FLOW == (int)YAML_FLOW_MAPPING_STYLE &&
	       (int)YC_BLOCK == (int)YAML_BLOCK_SEQUENCE_STYLE &&
	       (int)YC_FLOW == (int)YAML_FLOW_SEQUENCE_STYLE, "collection styles");

/* ---- messages ---- */

static int PRINTF(3, 4)
fail(struct buf *err, const char *path, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	if (path)
		buf_addf(&b, "%s:", path);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (err)
		buf_add(err, b.s, b.len);
	else
		error("%s", b.s);
	buf_release(&b);
	return -1;
}

/* ---- UTF-8 ---- */

/* Decode one character at s (n bytes left): its length, or 0 if invalid. */
static size_t
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

static int
has_bom(const char *text)
{
	return text[0] == '\xef' && text[1] == '\xbb' && text[2] == '\xbf';
}

/* 1-based line and character column of byte offset off (lines end at '\n'). */
static void
line_col(const char *text, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = has_bom(text) ? 3 : 0; i < off; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			c++;
	}
	*line = l;
	*col = c;
}

/* ---- building the tree ---- */

struct open_coll {
	struct ynode *node;
	size_t nitems, alloc;
	char *anchor;
};

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	struct ydoc *d;
	struct buf *err;
	size_t *c2b;		/* char index -> byte offset; NULL for ASCII text */
	size_t nchars;
	size_t bom;		/* 3 if the text starts with a byte order mark */
	struct open_coll *stk;
	size_t nstk, astk;
	struct anchor *anch;
	size_t nanch, aanch;
	size_t dalloc;		/* of d->dups */
	int ndocs;
};

static size_t
boff(const struct builder *b, size_t idx)
{
	if (!b->c2b)
		return idx + b->bom < b->d->len ? idx + b->bom : b->d->len;
	return b->c2b[idx < b->nchars ? idx : b->nchars];
}

static void
free_node(struct ynode *n)
{
	if (!n)
		return;
	if (!n->alias_of) {
		for (size_t i = 0; i < (n->type == Y_MAP ? 2 * n->n : n->n); i++)
			free_node(n->items[i]);
		free(n->items);
		free(n->value);
	}
	free(n);
}

static struct ynode *
new_node(struct builder *b, enum ynode_type type, const yaml_event_t *e)
{
	struct ynode *n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->start = boff(b, e->start_mark.index);
	n->end = boff(b, e->end_mark.index);
	n->line = (int)e->start_mark.line + 1;
	n->col = (int)e->start_mark.column + 1;
	return n;
}

static void
add_anchor(struct builder *b, const char *name, struct ynode *node)
{
	if (!name)
		return;
	GROW(b->anch, b->aanch, b->nanch + 1);
	b->anch[b->nanch].name = xstrdup(name);
	b->anch[b->nanch].node = node;
	b->nanch++;
}

/* Attach a finished node to the open collection (or make it the root). */
static void
attach(struct builder *b, struct ynode *n)
{
	if (!b->nstk) {
		b->d->root = n;
		return;
	}
	struct open_coll *oc = &b->stk[b->nstk - 1];
	GROW(oc->node->items, oc->alloc, oc->nitems + 1);
	oc->node->items[oc->nitems++] = n;
	oc->node->n = oc->node->type == Y_MAP ? oc->nitems / 2 : oc->nitems;
}

static int
is_merge_key(const struct ynode *k)
{
	return k->type == Y_SCALAR && k->style == YS_PLAIN && !strcmp(k->value, "<<");
}

static void
find_dups(struct builder *b, const struct ynode *map)
{
	struct ydoc *d = b->d;
	for (size_t i = 1; i < map->n; i++) {
		const struct ynode *k = map->items[2 * i];
		if (k->type != Y_SCALAR || is_merge_key(k))
			continue;
		for (size_t j = i; j-- > 0;) {
			const struct ynode *o = map->items[2 * j];
			if (o->type != Y_SCALAR || strcmp(o->value, k->value))
				continue;
			GROW(d->dups, b->dalloc, d->ndups + 1);
			d->dups[d->ndups].key = xstrdup(k->value);
			d->dups[d->ndups].line1 = o->line;
			d->dups[d->ndups].line2 = k->line;
			d->dups[d->ndups].map = map;
			d->ndups++;
			break;
		}
	}
}

static int
is_null_word(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* One event.  Returns 1 at the end of the stream, 0 to go on, -1 on error. */
static int
handle_event(struct builder *b, yaml_event_t *e)
{
	struct ynode *n;
	const char *anchor = NULL;
	switch (e->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1)
			return fail(b->err, b->d->path,
				    "%d:%d: a second YAML document; only one is supported",
				    (int)e->start_mark.line + 1, (int)e->start_mark.column + 1);
		return 0;
	case YAML_SCALAR_EVENT: {
		const yaml_char_t *v = e->data.scalar.value;
		size_t len = e->data.scalar.length;
		if (memchr(v, 0, len))
			return fail(b->err, b->d->path,
				    "%d:%d: a NUL character (\\0) in a scalar is not supported",
				    (int)e->start_mark.line + 1, (int)e->start_mark.column + 1);
		n = new_node(b, Y_SCALAR, e);
		n->value = xstrndup((const char *)v, len);
		n->style = e->data.scalar.style;
		const char *tag = (const char *)e->data.scalar.tag;
		if (n->style == YS_PLAIN && is_null_word(n->value) &&
		    (!tag || !strcmp(tag, YAML_NULL_TAG)))
			n->plain_null = 1;
		add_anchor(b, (const char *)e->data.scalar.anchor, n);
		attach(b, n);
		return 0;
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)e->data.alias.anchor;
		struct ynode *target = NULL;
		for (size_t i = b->nanch; i-- > 0;)
			if (!strcmp(b->anch[i].name, name)) {
				target = b->anch[i].node;
				break;
			}
		if (!target) {
			int open = 0;
			for (size_t i = 0; i < b->nstk; i++)
				if (b->stk[i].anchor && !strcmp(b->stk[i].anchor, name))
					open = 1;
			return fail(b->err, b->d->path, "%d:%d: alias *%s %s",
				    (int)e->start_mark.line + 1, (int)e->start_mark.column + 1,
				    name,
				    open ? "refers to a collection that contains it"
					 : "refers to an anchor not defined before it");
		}
		n = new_node(b, target->type, e);
		n->alias_of = target->alias_of ? target->alias_of : target;
		n->value = n->alias_of->value;
		n->style = n->alias_of->style;
		n->plain_null = n->alias_of->plain_null;
		n->n = n->alias_of->n;
		n->items = n->alias_of->items;
		attach(b, n);
		return 0;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (e->type == YAML_SEQUENCE_START_EVENT) {
			n = new_node(b, Y_SEQ, e);
			n->style = e->data.sequence_start.style;
			anchor = (const char *)e->data.sequence_start.anchor;
		} else {
			n = new_node(b, Y_MAP, e);
			n->style = e->data.mapping_start.style;
			anchor = (const char *)e->data.mapping_start.anchor;
		}
		GROW(b->stk, b->astk, b->nstk + 1);
		b->stk[b->nstk].node = n;
		b->stk[b->nstk].nitems = 0;
		b->stk[b->nstk].alloc = 0;
		b->stk[b->nstk].anchor = anchor ? xstrdup(anchor) : NULL;
		b->nstk++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct open_coll oc = b->stk[--b->nstk];
		n = oc.node;
		n->end = boff(b, e->end_mark.index);
		if (n->type == Y_MAP)
			find_dups(b, n);
		add_anchor(b, oc.anchor, n);
		free(oc.anchor);
		attach(b, n);
		return 0;
	}
	default:
		return 0;
	}
}

static int
check_bytes(const char *path, const char *text, size_t len, struct buf *err)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t l;
		int line, col;
		if (!s[i]) {
			line_col(text, i, &line, &col);
			return fail(err, path, "%d:%d: NUL byte", line, col);
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (!(l = utf8_decode(s + i, len - i, &cp))) {
			line_col(text, i, &line, &col);
			return fail(err, path, "%d:%d: invalid UTF-8 (byte 0x%02x)", line, col, s[i]);
		}
		i += l;
	}
	return 0;
}

static int
parser_error(struct builder *b, yaml_parser_t *p)
{
	const char *path = b->d->path, *text = b->d->text;
	int line, col;
	if (p->error == YAML_MEMORY_ERROR)
		die("out of memory parsing %s", path);
	if (p->error == YAML_READER_ERROR) {
		line_col(text, p->problem_offset < b->d->len ? p->problem_offset : b->d->len, &line,
			 &col);
		if (p->problem_value >= 0)
			return fail(b->err, path, "%d:%d: %s (U+%04X)", line, col,
				    p->problem ? p->problem : "cannot read", (unsigned)p->problem_value);
		return fail(b->err, path, "%d:%d: %s", line, col,
			    p->problem ? p->problem : "cannot read");
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	struct buf what = BUF_INIT;
	buf_adds(&what, p->problem ? p->problem : "syntax error");
	size_t off = boff(b, p->problem_mark.index);
	if (p->problem && !strcmp(p->problem, "found unknown escape character") &&
	    text[off] == '\\' && off + 1 < b->d->len) {
		/* libyaml points at the backslash; say which character is unknown
		 * and where it is, as PyYAML does. */
		unsigned cp;
		size_t l = utf8_decode((const unsigned char *)text + off + 1, b->d->len - off - 1,
				       &cp);
		if (l && cp >= 0x20) {
			buf_addf(&what, " '%.*s'", (int)l, text + off + 1);
			col++;
		}
	}
	if (p->context)
		buf_addf(&what, " (%s at line %d, column %d)", p->context,
			 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	fail(b->err, path, "%d:%d: %s", line, col, what.s);
	buf_release(&what);
	return -1;
}

int
ydoc_parse(struct ydoc *d, const char *path, const char *text, size_t len, struct buf *err)
{
	struct builder b;
	yaml_parser_t p;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path ? path : "<yaml>");
	d->text = xstrndup(len ? text : "", len);
	d->len = len;
	if (check_bytes(d->path, d->text, len, err) < 0) {
		ydoc_release(d);
		return -1;
	}

	memset(&b, 0, sizeof(b));
	b.d = d;
	b.err = err;
	b.bom = has_bom(d->text) ? 3 : 0;
	for (size_t i = b.bom; i < len; i++)
		if ((unsigned char)text[i] >= 0x80) {
			size_t nc = 0;
			for (size_t j = b.bom; j < len; j++)
				nc += ((unsigned char)text[j] & 0xc0) != 0x80;
			b.c2b = xmalloc((nc + 1) * sizeof(*b.c2b));
			b.nchars = nc;
			nc = 0;
			for (size_t j = b.bom; j < len; j++)
				if (((unsigned char)text[j] & 0xc0) != 0x80)
					b.c2b[nc++] = j;
			b.c2b[nc] = len;
			break;
		}

	if (!yaml_parser_initialize(&p))
		die("out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)d->text, len);
	for (;;) {
		yaml_event_t e;
		if (!yaml_parser_parse(&p, &e)) {
			ret = parser_error(&b, &p);
			break;
		}
		int r = handle_event(&b, &e);
		yaml_event_delete(&e);
		if (r) {
			ret = r < 0 ? -1 : 0;
			break;
		}
	}
	yaml_parser_delete(&p);

	/* On error, collections still open are attached nowhere: each owns
	 * the items attached to it so far. */
	for (size_t i = 0; i < b.nstk; i++) {
		struct open_coll *oc = &b.stk[i];
		for (size_t j = 0; j < oc->nitems; j++)
			free_node(oc->node->items[j]);
		free(oc->node->items);
		free(oc->node);
		free(oc->anchor);
	}
	free(b.stk);
	for (size_t i = 0; i < b.nanch; i++)
		free(b.anch[i].name);
	free(b.anch);
	free(b.c2b);
	if (ret < 0)
		ydoc_release(d);
	return ret;
}

int
ydoc_load(struct ydoc *d, const char *path, struct buf *err)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		memset(d, 0, sizeof(*d));
		return fail(err, path, " cannot read: %s", strerror(errno));
	}
	int r = ydoc_parse(d, path, text, len, err);
	free(text);
	return r;
}

void
ydoc_release(struct ydoc *d)
{
	free_node(d->root);
	for (size_t i = 0; i < d->ndups; i++)
		free(d->dups[i].key);
	free(d->dups);
	free(d->path);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* ---- lookups ---- */

/* Index of the last pair whose key is key, or -1. */
static long
pair_index(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP || !key)
		return -1;
	for (size_t i = map->n; i-- > 0;) {
		const struct ynode *k = map->items[2 * i];
		if (k->type == Y_SCALAR && !strcmp(k->value, key))
			return (long)i;
	}
	return -1;
}

static struct ynode *
map_get_depth(const struct ynode *map, const char *key, int depth)
{
	long i = pair_index(map, key);
	if (i >= 0)
		return map->items[2 * i + 1];
	if (!map || map->type != Y_MAP || depth > 32)
		return NULL;
	/* Merge keys: explicit keys win, then the merged maps in order. */
	for (size_t j = 0; j < map->n; j++) {
		const struct ynode *v = map->items[2 * j + 1];
		struct ynode *r = NULL;
		if (!is_merge_key(map->items[2 * j]))
			continue;
		if (v->type == Y_MAP)
			r = map_get_depth(v, key, depth + 1);
		else if (v->type == Y_SEQ)
			for (size_t k = 0; k < v->n && !r; k++)
				r = map_get_depth(v->items[k], key, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	return map_get_depth(map, key, 0);
}

struct ynode *
ymap_key(const struct ynode *map, const char *key)
{
	long i = pair_index(map, key);
	return i < 0 ? NULL : map->items[2 * i];
}

const char *
ymap_str(const struct ynode *map, const char *key)
{
	const struct ynode *v = ymap_get(map, key);
	if (!v || v->type != Y_SCALAR || v->plain_null)
		return NULL;
	return v->value;
}

struct ynode *
ypath(const struct ynode *node, const char *dotted)
{
	const struct ynode *n = node;
	const char *p = dotted;
	if (!n || !dotted)
		return NULL;
	while (n) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char *comp = xstrndup(p, len);
		if (n->type == Y_SEQ && len && strspn(comp, "0123456789") == len) {
			unsigned long long i = strtoull(comp, NULL, 10);
			n = i < n->n ? n->items[i] : NULL;
		} else
			n = ymap_get(n, comp);
		free(comp);
		if (!dot)
			break;
		p = dot + 1;
	}
	return (struct ynode *)n;
}

struct ynode *
yseq_find(const struct ynode *seq, const char *key, const char *value)
{
	if (!seq || seq->type != Y_SEQ)
		return NULL;
	for (size_t i = 0; i < seq->n; i++) {
		const char *v = ymap_str(seq->items[i], key);
		if (v && !strcmp(v, value))
			return seq->items[i];
	}
	return NULL;
}

static const char *const bool_true[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					 "on", "On", "ON" };
static const char *const bool_false[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off", "Off", "OFF" };

int
ynode_bool(const struct ynode *n, int *out)
{
	if (!n || n->type != Y_SCALAR)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(bool_true); i++) {
		if (!strcmp(n->value, bool_true[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(n->value, bool_false[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* n's value without '_' separators (which may not lead or trail), or NULL. */
static char *
number_text(const struct ynode *n)
{
	if (!n || n->type != Y_SCALAR || n->plain_null || !*n->value)
		return NULL;
	const char *v = n->value;
	size_t len = strlen(v);
	if (v[0] == '_' || v[len - 1] == '_')
		return NULL;
	char *s = xmalloc(len + 1), *o = s;
	for (; *v; v++)
		if (*v != '_')
			*o++ = *v;
	*o = 0;
	return s;
}

int
ynode_long(const struct ynode *n, long long *out)
{
	char *s = number_text(n), *p, *end;
	int neg = 0, base = 10, r = -1;
	if (!s)
		return -1;
	p = s;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2;
	if (base != 10)
		p += 2;
	if (*p && strchr("0123456789abcdefABCDEF", *p)) {
		errno = 0;
		unsigned long long u = strtoull(p, &end, base);
		if (!errno && !*end &&
		    (neg ? u <= (unsigned long long)LLONG_MAX + 1 : u <= (unsigned long long)LLONG_MAX)) {
			*out = neg ? (long long)(0 - u) : (long long)u;
			r = 0;
		}
	}
	free(s);
	return r;
}

int
ynode_double(const struct ynode *n, double *out)
{
	char *s = number_text(n);
	int r = -1;
	if (!s)
		return -1;
	/* strtod would also take "inf", "nan" and hex floats: digits only. */
	if (!strpbrk(s, "xXnNiI"))
		r = parse_double(s, out);
	free(s);
	return r;
}
