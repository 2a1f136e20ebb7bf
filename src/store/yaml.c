/*
 * yaml.c - a libyaml event reader that keeps byte spans, and a surgical
 * editor on top of it.  See yaml.h.
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

/* ---- formatting scalars ---- */

/* Characters that cannot appear unescaped: controls, DEL, C1, line and
 * paragraph separators, BOM and the two non-characters. */
static int
cp_needs_escape(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

/* 1 if every character of s can be written unescaped. */
static int
all_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t l = utf8_decode(p + i, n - i, &cp);
		if (!l || cp_needs_escape(cp))
			return 0;
		i += l;
	}
	return 1;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* Would s, written plain, read as something other than a string (under
 * YAML 1.1 or 1.2)?  Deliberately broad: anything starting like a number
 * (so also dates, times, versions and IPs) counts. */
static int
looks_typed(const char *s)
{
	static const char *const words[] = { "~", "null", "Null", "NULL", "y", "Y", "n", "N",
					     "<<", "=", ".inf", ".Inf", ".INF", ".nan",
					     ".NaN", ".NAN" };
	if (in_list(s, words, ARRAY_SIZE(words)) || in_list(s, bool_true, ARRAY_SIZE(bool_true)) ||
	    in_list(s, bool_false, ARRAY_SIZE(bool_false)))
		return 1;
	if (s[0] >= '0' && s[0] <= '9')
		return 1;
	if ((s[0] == '+' || s[0] == '-' || s[0] == '.') &&
	    ((s[1] >= '0' && s[1] <= '9') || s[1] == '.'))
		return 1;
	return 0;
}

static int
plain_ok(const char *s, int flow)
{
	size_t len = strlen(s);
	if (!len || !all_printable(s) || looks_typed(s))
		return 0;
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]))
		return 0;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	if (strstr(s, ": ") || strstr(s, " #"))
		return 0;
	if (flow && strpbrk(s, ",[]{}:"))
		return 0;
	return 1;
}

static void
add_double_quoted(struct buf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	buf_addc(o, '"');
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t l = utf8_decode(p + i, n - i, &cp);
		if (!l) {
			buf_adds(o, "\\uFFFD");
			i++;
			continue;
		}
		if (cp == '"')
			buf_adds(o, "\\\"");
		else if (cp == '\\')
			buf_adds(o, "\\\\");
		else if (cp == '\n')
			buf_adds(o, "\\n");
		else if (cp == '\t')
			buf_adds(o, "\\t");
		else if (cp == '\r')
			buf_adds(o, "\\r");
		else if (cp_needs_escape(cp) && cp <= 0xff)
			buf_addf(o, "\\x%02X", cp);
		else if (cp_needs_escape(cp))
			buf_addf(o, "\\u%04X", cp);
		else
			buf_add(o, p + i, l);
		i += l;
	}
	buf_addc(o, '"');
}

static void
add_single_quoted(struct buf *o, const char *s)
{
	buf_addc(o, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_addc(o, '\'');
		buf_addc(o, *s);
	}
	buf_addc(o, '\'');
}

/* s as a scalar, keeping style (YS_*) when it can represent s. */
static void
add_scalar(struct buf *o, const char *s, int style, int flow)
{
	if (style == YS_PLAIN && plain_ok(s, flow))
		buf_adds(o, s);
	else if (style == YS_SINGLE && all_printable(s))
		add_single_quoted(o, s);
	else
		add_double_quoted(o, s);
}

char *
yaml_quote(const char *s)
{
	struct buf o = BUF_INIT;
	add_scalar(&o, s, YS_PLAIN, 0);
	return buf_detach(&o);
}

/* ---- positions in the text ---- */

static const char *
doc_eol(const struct ydoc *d)
{
	const char *nl = d->text ? memchr(d->text, '\n', d->len) : NULL;
	return nl && nl > d->text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Just after the last non-blank character of a block scalar spanning
 * [s, e), extended to the end of that line (before its line break). */
static size_t
block_scalar_end(const struct ydoc *d, size_t s, size_t e)
{
	size_t i = e;
	while (i > s && strchr(" \t\r\n", d->text[i - 1]))
		i--;
	while (i < e && d->text[i] != '\n' && d->text[i] != '\r')
		i++;
	return i;
}

/* Where the last character written for node n ends (for block collections
 * and block scalars, not counting trailing blank and comment lines). */
static size_t
content_end(const struct ydoc *d, const struct ynode *n)
{
	if (n->alias_of)
		return n->end;
	if (n->type == Y_SCALAR)
		return n->style == YS_LITERAL || n->style == YS_FOLDED
			       ? block_scalar_end(d, n->start, n->end)
			       : n->end;
	if (n->style == YC_FLOW || !n->n)
		return n->end;
	return content_end(d, n->items[n->type == Y_MAP ? 2 * n->n - 1 : n->n - 1]);
}

/* The start of the line after the one holding offset pos; d->len if that
 * line is the last and has no line break (then *no_eol is set). */
static size_t
next_line(const struct ydoc *d, size_t pos, int *no_eol)
{
	const char *nl = memchr(d->text + pos, '\n', d->len - pos);
	*no_eol = !nl;
	return nl ? (size_t)(nl - d->text) + 1 : d->len;
}

static size_t
line_start(const struct ydoc *d, size_t pos)
{
	while (pos > 0 && d->text[pos - 1] != '\n')
		pos--;
	return pos;
}

static void
add_spaces(struct buf *o, int n)
{
	for (int i = 0; i < n; i++)
		buf_addc(o, ' ');
}

/* The node of type t starting at byte off (aliases not entered), with the
 * collection holding it and its index in items[]. */
static const struct ynode *
find_at(const struct ynode *n, size_t off, enum ynode_type t, const struct ynode **parent,
	size_t *idx)
{
	if (!n || n->alias_of || n->type == Y_SCALAR)
		return NULL;
	size_t cnt = n->type == Y_MAP ? 2 * n->n : n->n;
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *c = n->items[i], *r;
		if (c->start == off && c->type == t && !c->alias_of) {
			*parent = n;
			*idx = i;
			return c;
		}
		if ((r = find_at(c, off, t, parent, idx)))
			return r;
	}
	return NULL;
}

static const struct ynode *
find_parent(const struct ynode *n, const struct ynode *child, size_t *idx)
{
	if (!n || n->alias_of || n->type == Y_SCALAR)
		return NULL;
	size_t cnt = n->type == Y_MAP ? 2 * n->n : n->n;
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *r;
		if (n->items[i] == child) {
			*idx = i;
			return n;
		}
		if ((r = find_parent(n->items[i], child, idx)))
			return r;
	}
	return NULL;
}

/* ---- applying an edit ---- */

/* What the re-parsed document must show for an edit to be accepted. */
struct expect {
	enum { X_SCALAR, X_PAIR, X_KEYSEQ, X_SEQ } kind;
	size_t off;		/* scalar, key or sequence start */
	const char *value;	/* X_SCALAR, X_PAIR: decoded value, or NULL for a null */
	size_t map_start;	/* X_PAIR: the mapping it must be in */
	size_t n;		/* X_KEYSEQ, X_SEQ: number of items */
	const char *key;	/* X_PAIR, X_KEYSEQ: the key found at off */
};

static int
value_is(const struct ynode *v, const char *want)
{
	if (!v || v->type != Y_SCALAR)
		return 0;
	return want ? !v->plain_null && !strcmp(v->value, want) : v->plain_null;
}

static int
expect_ok(const struct ydoc *d, const struct expect *x)
{
	const struct ynode *p = NULL, *n, *v;
	size_t i = 0;
	if (!d->root)
		return 0;
	if (x->kind == X_SEQ) {
		n = d->root->start == x->off && d->root->type == Y_SEQ
			    ? d->root
			    : find_at(d->root, x->off, Y_SEQ, &p, &i);
		return n && n->n == x->n;
	}
	if (x->kind == X_SCALAR) {
		n = find_at(d->root, x->off, Y_SCALAR, &p, &i);
		return n && value_is(n, x->value);
	}
	n = find_at(d->root, x->off, Y_SCALAR, &p, &i);
	if (!n || p->type != Y_MAP || i % 2 || strcmp(n->value, x->key))
		return 0;
	v = p->items[i + 1];
	if (x->kind == X_PAIR)
		return p->start == x->map_start && value_is(v, x->value);
	return v->type == Y_SEQ && v->n == x->n;
}

/*
 * Replace [start, end) of d->text by repl, re-parse, and check the result
 * shows x.  On any failure d is untouched.
 */
static int
splice(struct ydoc *d, size_t start, size_t end, const struct buf *repl, const struct expect *x,
       struct buf *err)
{
	struct buf t = BUF_INIT, perr = BUF_INIT;
	struct ydoc nd;
	int ret = 0;

	buf_add(&t, d->text, start);
	buf_add(&t, repl->s ? repl->s : "", repl->len);
	buf_add(&t, d->text + end, d->len - end);
	if (ydoc_parse(&nd, d->path, t.s, t.len, &perr) < 0) {
		ret = fail(err, d->path, " edit refused: the result would not parse (%s)", perr.s);
	} else if (!expect_ok(&nd, x)) {
		ydoc_release(&nd);
		ret = fail(err, d->path, " edit refused: the result would not read back as intended");
	} else {
		ydoc_release(d);
		*d = nd;
	}
	buf_release(&t);
	buf_release(&perr);
	return ret;
}

/* ---- setting a key ---- */

/* Start of a scalar's own text, after any anchor or tag in front of it. */
static size_t
skip_props(const struct ydoc *d, size_t s, size_t e)
{
	while (s < e && (d->text[s] == '&' || d->text[s] == '!')) {
		while (s < e && !strchr(" \t\r\n", d->text[s]))
			s++;
		while (s < e && strchr(" \t\r\n", d->text[s]))
			s++;
	}
	return s;
}

static int
check_editable(const struct ydoc *d, const struct ynode *map, const char *key, struct buf *err)
{
	if (!d->text)
		return fail(err, NULL, "cannot edit: no document was parsed");
	if (!key)
		return fail(err, d->path, " cannot edit: no key given");
	if (!map || map->type != Y_MAP || (map->style == YC_BLOCK && !map->n))
		return fail(err, d->path, " cannot set a key: not a mapping");
	if (map->alias_of)
		return fail(err, d->path, "%d:%d: cannot edit a mapping reached through an alias",
			    map->line, map->col);
	return 0;
}

/*
 * Set key in map to a scalar: raw is the YAML text to write, or NULL to
 * format value in the style of the old one.  want is the decoded value
 * expected back (NULL: a null).
 */
static int
set_scalar(struct ydoc *d, const struct ynode *map, const char *key, const char *value,
	   const char *raw, const char *want, struct buf *err)
{
	int flow = map->style == YC_FLOW;
	long i = pair_index(map, key);
	struct buf o = BUF_INIT;
	struct expect x = { X_SCALAR, 0, want, 0, 0, key };
	int ret;

	if (i >= 0) {
		const struct ynode *v = map->items[2 * i + 1];
		size_t s = v->start, e = v->end;
		if (v->type != Y_SCALAR)
			return fail(err, d->path, "%d:%d: cannot set %s: its value is a %s",
				    map->items[2 * i]->line, map->items[2 * i]->col, key,
				    v->type == Y_MAP ? "mapping" : "sequence");
		if (!v->alias_of)
			s = skip_props(d, s, e);
		/* The new scalar starts where the old one did (at its anchor or
		 * tag if it has one). */
		x.off = v->start;
		if (v->style == YS_LITERAL || v->style == YS_FOLDED)
			e = block_scalar_end(d, s, e);
		if (s == e) {
			/* `key:` with nothing: write " value" after the colon and
			 * drop blanks that would trail it. */
			size_t j = e;
			while (j < d->len && (d->text[j] == ' ' || d->text[j] == '\t'))
				j++;
			if (j == d->len || d->text[j] == '\n' || d->text[j] == '\r')
				e = j;
			if (s > 0 && !strchr(" \t", d->text[s - 1])) {
				buf_addc(&o, ' ');
				if (x.off == s)
					x.off++;
			}
		}
		if (raw)
			buf_adds(&o, raw);
		else
			add_scalar(&o, value, v->alias_of ? YS_PLAIN : v->style, flow);
		ret = splice(d, s, e, &o, &x, err);
		buf_release(&o);
		return ret;
	}

	/* A new pair. */
	size_t pos;
	x.kind = X_PAIR;
	x.map_start = map->start;
	if (flow) {
		if (map->n) {
			pos = content_end(d, map->items[2 * map->n - 1]);
			buf_adds(&o, ", ");
		} else {
			pos = map->start;
			while (pos < map->end && d->text[pos] != '{')
				pos++;
			pos++;
		}
		x.off = pos + o.len;
	} else {
		int no_eol, indent = map->items[0]->col - 1;
		pos = next_line(d, content_end(d, map->items[2 * map->n - 1]), &no_eol);
		if (no_eol)
			buf_adds(&o, doc_eol(d));
		add_spaces(&o, indent);
		x.off = pos + o.len;
	}
	x.value = want;
	add_scalar(&o, key, YS_PLAIN, flow);
	buf_adds(&o, ": ");
	if (raw)
		buf_adds(&o, raw);
	else
		add_scalar(&o, value, YS_PLAIN, flow);
	if (!flow)
		buf_adds(&o, doc_eol(d));
	/* The key must read back as itself, too. */
	ret = splice(d, pos, pos, &o, &x, err);
	buf_release(&o);
	return ret;
}

int
yedit_set(struct ydoc *d, const struct ynode *map, const char *key, const char *value,
	  struct buf *err)
{
	if (!value)
		return yedit_set_raw(d, map, key, "null", err);
	if (check_editable(d, map, key, err) < 0)
		return -1;
	return set_scalar(d, map, key, value, NULL, value, err);
}

int
yedit_set_raw(struct ydoc *d, const struct ynode *map, const char *key, const char *yaml_scalar,
	      struct buf *err)
{
	struct ydoc t;
	struct buf probe = BUF_INIT, perr = BUF_INIT;
	char *want = NULL;
	int is_null = 0, ret;

	if (check_editable(d, map, key, err) < 0)
		return -1;
	if (!yaml_scalar || !*yaml_scalar || strpbrk(yaml_scalar, "\r\n"))
		return fail(err, d->path, " cannot set %s: the value must be one line of YAML", key);
	/* Parse the value where it will go: it must be one scalar. */
	if (map->style == YC_FLOW)
		buf_addf(&probe, "{k: %s}", yaml_scalar);
	else
		buf_addf(&probe, "k: %s\n", yaml_scalar);
	if (ydoc_parse(&t, "value", probe.s, probe.len, &perr) == 0) {
		const struct ynode *v = ymap_get(t.root, "k");
		if (t.root && t.root->type == Y_MAP && t.root->n == 1 && v &&
		    v->type == Y_SCALAR && !v->alias_of && v->style != YS_LITERAL &&
		    v->style != YS_FOLDED) {
			want = xstrdup(v->value);
			is_null = v->plain_null;
		}
		ydoc_release(&t);
	}
	buf_release(&probe);
	buf_release(&perr);
	if (!want)
		return fail(err, d->path, " cannot set %s: not a single YAML scalar: %s", key,
			    yaml_scalar);
	ret = set_scalar(d, map, key, NULL, yaml_scalar, is_null ? NULL : want, err);
	free(want);
	return ret;
}

/* ---- appending to a sequence ---- */

/* Check that block parses on its own and has content. */
static int
check_block(const struct ydoc *d, const char *block, struct buf *err)
{
	struct ydoc t;
	struct buf perr = BUF_INIT;
	int ret = 0;
	if (!d->text)
		return fail(err, NULL, "cannot edit: no document was parsed");
	if (!block)
		return fail(err, d->path, " cannot append: no item");
	if (ydoc_parse(&t, "item", block, strlen(block), &perr) < 0)
		ret = fail(err, d->path, " cannot append: the item is not valid YAML (%s)", perr.s);
	else if (!t.root)
		ret = fail(err, d->path, " cannot append: the item is empty");
	ydoc_release(&t);
	buf_release(&perr);
	return ret;
}

/* block (written at column 0) as a sequence item: "- " at dash_col, the
 * content at content_col, lines ending with eol. */
static void
add_item(struct buf *o, const char *block, int dash_col, int content_col, const char *eol)
{
	const char *p = block;
	int first = 1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *next = nl ? nl + 1 : p + len;
		if (len && p[len - 1] == '\r')
			len--;
		if (strspn(p, " \t") >= len) {
			if (!first)
				buf_adds(o, eol);	/* a blank line: no indentation */
			p = next;
			continue;
		}
		if (first) {
			add_spaces(o, dash_col);
			buf_addc(o, '-');
			add_spaces(o, content_col - dash_col - 1);
			first = 0;
		} else
			add_spaces(o, content_col);
		buf_add(o, p, len);
		buf_adds(o, eol);
		p = next;
	}
}

/* Is there a blank line between the lines of [a, b)? */
static int
has_blank_line(const struct ydoc *d, size_t a, size_t b)
{
	while (a < b) {
		size_t i = a;
		while (i < b && strchr(" \t\r", d->text[i]))
			i++;
		if (i < b && d->text[i] == '\n')
			return 1;
		const char *nl = memchr(d->text + i, '\n', b - i);
		if (!nl)
			break;
		a = (size_t)(nl - d->text) + 1;
	}
	return 0;
}

static int
append_block_seq(struct ydoc *d, const struct ynode *seq, const char *block, struct buf *err)
{
	const struct ynode *first = seq->items[0], *last = seq->items[seq->n - 1];
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_SEQ, seq->start, NULL, 0, seq->n + 1, NULL };
	int dash_col, content_col, no_eol, ret;
	size_t pos, j;

	/* Indentation from the first item: "  - worker_id" has the dash at
	 * column 2 and the content at 4. */
	j = first->start;
	while (j > 0 && d->text[j - 1] == ' ')
		j--;
	if (j > 0 && d->text[j - 1] == '-') {
		content_col = first->col - 1;
		dash_col = content_col - (int)(first->start - (j - 1));
	} else {
		/* The item starts on the line after its dash. */
		dash_col = seq->col - 1;
		content_col = dash_col + 2;
	}
	if (content_col < dash_col + 2)
		content_col = dash_col + 2;

	pos = next_line(d, content_end(d, last), &no_eol);
	if (no_eol)
		buf_adds(&o, eol);
	if (seq->n >= 2) {
		int ne;
		size_t a = next_line(d, content_end(d, seq->items[seq->n - 2]), &ne);
		if (!ne && has_blank_line(d, a, line_start(d, last->start)))
			buf_adds(&o, eol);
	}
	add_item(&o, block, dash_col, content_col, eol);
	ret = splice(d, pos, pos, &o, &x, err);
	buf_release(&o);
	return ret;
}

/* value (a null or `[]`) of the pair at map->items[2i+1] becomes a block
 * list holding one item. */
static int
append_new_list(struct ydoc *d, const struct ynode *map, size_t i, const char *block,
		struct buf *err)
{
	const struct ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_KEYSEQ, k->start, NULL, 0, 1, k->value };
	int kc = k->col - 1, no_eol, ret;
	size_t s = k->end, e = v->end, le;

	if (map->style != YC_BLOCK)
		return fail(err, d->path, "%d:%d: cannot append: %s is in a flow mapping", v->line,
			    v->col, k->value);
	/* The value is replaced from just after the key's ':'. */
	while (s < v->start && d->text[s] != ':')
		s++;
	if (s++ >= v->start)
		return fail(err, d->path, "%d:%d: cannot append: no ':' before the value",
			    v->line, v->col);
	/* Keep what follows the value on its line (a comment) on the key's line. */
	le = next_line(d, e, &no_eol);
	size_t rest_end = le - (no_eol ? 0 : 1);
	if (rest_end > e && d->text[rest_end - 1] == '\r')
		rest_end--;
	if (strspn(d->text + e, " \t") < rest_end - e)
		buf_add(&o, d->text + e, rest_end - e);
	buf_adds(&o, eol);
	add_item(&o, block, kc + 2, kc + 4, eol);
	ret = splice(d, s, le, &o, &x, err);
	buf_release(&o);
	return ret;
}

int
yedit_append_item(struct ydoc *d, const struct ynode *seq, const char *block, struct buf *err)
{
	const struct ynode *p;
	size_t i;

	if (check_block(d, block, err) < 0)
		return -1;
	if (!seq)
		return fail(err, d->path, " cannot append: no sequence");
	if (seq->alias_of)
		return fail(err, d->path, "%d:%d: cannot append to a sequence reached through an alias",
			    seq->line, seq->col);
	if (seq->type == Y_SEQ && seq->style == YC_BLOCK && seq->n)
		return append_block_seq(d, seq, block, err);
	if ((seq->type == Y_SEQ && seq->style == YC_FLOW && !seq->n) ||
	    (seq->type == Y_SCALAR && seq->plain_null)) {
		p = find_parent(d->root, seq, &i);
		if (p && p->type == Y_MAP && i % 2)
			return append_new_list(d, p, i / 2, block, err);
		return fail(err, d->path, "%d:%d: cannot append: this empty list is not the value of a key",
			    seq->line, seq->col);
	}
	if (seq->type == Y_SEQ && seq->style == YC_FLOW)
		return fail(err, d->path,
			    "%d:%d: cannot append to a flow sequence [..] holding items; write it as a block list",
			    seq->line, seq->col);
	return fail(err, d->path, "%d:%d: cannot append: not a sequence", seq->line, seq->col);
}

int
yedit_append_to(struct ydoc *d, const struct ynode *map, const char *key, const char *block,
		struct buf *err)
{
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_KEYSEQ, 0, NULL, 0, 1, key };
	long i;
	int no_eol, ret;
	size_t pos;

	if (!key)
		return fail(err, d->path, " cannot edit: no key given");
	if (check_block(d, block, err) < 0)
		return -1;
	if (!map)
		map = d->root;
	if (!map) {
		/* An empty document (comments at most): add the key at the end. */
		pos = d->len;
		if (d->len && d->text[d->len - 1] != '\n')
			buf_adds(&o, eol);
	} else {
		if (check_editable(d, map, key, err) < 0)
			return -1;
		if ((i = pair_index(map, key)) >= 0)
			return yedit_append_item(d, map->items[2 * i + 1], block, err);
		if (map->style == YC_FLOW)
			return fail(err, d->path, "%d:%d: cannot add a list under %s: flow mapping",
				    map->line, map->col, key);
		pos = next_line(d, content_end(d, map->items[2 * map->n - 1]), &no_eol);
		if (no_eol)
			buf_adds(&o, eol);
		add_spaces(&o, map->items[0]->col - 1);
	}
	x.off = pos + o.len;
	int kc = map ? map->items[0]->col - 1 : 0;
	add_scalar(&o, key, YS_PLAIN, 0);
	buf_addc(&o, ':');
	buf_adds(&o, eol);
	add_item(&o, block, kc + 2, kc + 4, eol);
	ret = splice(d, pos, pos, &o, &x, err);
	buf_release(&o);
	return ret;
}

/* ---- removing an item from a sequence ---- */

/* Is the line starting at pos empty or only blanks? */
static int
is_blank_line(const struct ydoc *d, size_t pos)
{
	while (pos < d->len && (d->text[pos] == ' ' || d->text[pos] == '\t' || d->text[pos] == '\r'))
		pos++;
	return pos >= d->len || d->text[pos] == '\n';
}

/* Offset of the '-' introducing block sequence item it (it may start on the
 * line after its dash), or -1 when there is none or it is not first on its
 * line. */
static long
item_dash(const struct ydoc *d, const struct ynode *it)
{
	size_t j = it->start;
	while (j > 0 && strchr(" \t\r\n", d->text[j - 1]))
		j--;
	if (j == 0 || d->text[j - 1] != '-')
		return -1;
	j--;
	for (size_t k = line_start(d, j); k < j; k++)
		if (d->text[k] != ' ')
			return -1;
	return (long)j;
}

int
yedit_remove_item(struct ydoc *d, const struct ynode *seq, size_t idx, struct buf *err)
{
	struct expect x = { X_SEQ, 0, NULL, 0, 0, NULL };
	struct buf o = BUF_INIT;
	const struct ynode *p = NULL;
	size_t pi = 0, a, b;
	long dash;
	int no_eol, ret;

	if (!d->text)
		return fail(err, NULL, "cannot edit: no document was parsed");
	if (!seq || seq->type != Y_SEQ)
		return fail(err, d->path, " cannot remove an item: not a sequence");
	if (seq->alias_of)
		return fail(err, d->path, "%d:%d: cannot remove from a sequence reached through an alias",
			    seq->line, seq->col);
	if (seq->style != YC_BLOCK)
		return fail(err, d->path, "%d:%d: cannot remove from a flow sequence [..]; write it as a block list",
			    seq->line, seq->col);
	if (idx >= seq->n)
		return fail(err, d->path, "%d:%d: cannot remove item %zu: the list has %zu", seq->line,
			    seq->col, idx + 1, seq->n);
	if ((dash = item_dash(d, seq->items[idx])) < 0)
		return fail(err, d->path, "%d:%d: cannot remove this item: its '-' is not first on its line",
			    seq->items[idx]->line, seq->items[idx]->col);
	/* From the start of the dash's line to the end of the line holding the
	 * item's last content: comment lines before and after it stay. */
	a = line_start(d, (size_t)dash);
	b = next_line(d, content_end(d, seq->items[idx]), &no_eol);
	/* A blank line that set the item apart goes with it: the one before,
	 * else the one after. */
	if (a > 0 && is_blank_line(d, line_start(d, a - 1)))
		a = line_start(d, a - 1);
	else if (!no_eol && b < d->len && is_blank_line(d, b))
		b = next_line(d, b, &no_eol);
	if (seq != d->root) {
		p = find_parent(d->root, seq, &pi);
		if (!p || p->type != Y_MAP || pi % 2 == 0)
			return fail(err, d->path, "%d:%d: cannot remove: this list is not the value of a key",
				    seq->line, seq->col);
	}
	if (p && seq->n == 1) {
		/* key: with nothing after it reads as null, an empty list */
		x.kind = X_PAIR;
		x.off = p->items[pi - 1]->start;
		x.key = p->items[pi - 1]->value;
		x.map_start = p->start;
	} else if (p) {
		x.kind = X_KEYSEQ;
		x.off = p->items[pi - 1]->start;
		x.key = p->items[pi - 1]->value;
		x.n = seq->n - 1;
	} else if (seq->n == 1) {
		/* the whole document was this one item: keep an empty list */
		x.off = a;
		buf_adds(&o, "[]");
		buf_adds(&o, doc_eol(d));
	} else {
		long next = item_dash(d, seq->items[idx ? 0 : 1]);
		if (next < 0)
			return fail(err, d->path, "%d:%d: cannot remove: odd layout of the list", seq->line,
				    seq->col);
		x.off = idx ? seq->start : (size_t)next - (b - a);
		x.n = seq->n - 1;
	}
	ret = splice(d, a, b, &o, &x, err);
	buf_release(&o);
	return ret;
}
