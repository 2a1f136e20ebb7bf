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
		if (b->nstk >= YDOC_MAX_DEPTH)
			return fail(b->err, b->d->path, "%d:%d: more than %d nested collections",
				    (int)e->start_mark.line + 1, (int)e->start_mark.column + 1,
				    YDOC_MAX_DEPTH);
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
			text_pos(text, len, i, &line, &col);
			return fail(err, path, "%d:%d: NUL byte", line, col);
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (!(l = utf8_decode(s + i, len - i, &cp))) {
			text_pos(text, len, i, &line, &col);
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
		text_pos(text, b->d->len, p->problem_offset, &line, &col);
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

/* The end of the line holding pos, before its line break. */
static size_t
line_end(const struct ydoc *d, size_t pos)
{
	while (pos < d->len && d->text[pos] != '\n' && d->text[pos] != '\r')
		pos++;
	return pos;
}

/* The 0-based column, in characters, of byte offset pos. */
static int
col_at(const struct ydoc *d, size_t pos)
{
	size_t i = line_start(d, pos);
	int c = 0;
	if (i == 0 && has_bom(d->text))
		i = 3;
	for (; i < pos; i++)
		c += ((unsigned char)d->text[i] & 0xc0) != 0x80;
	return c;
}

static void
add_spaces(struct buf *o, int n)
{
	for (int i = 0; i < n; i++)
		buf_addc(o, ' ');
}

static int
is_block_scalar(const struct ynode *n)
{
	return n->type == Y_SCALAR && !n->alias_of &&
	       (n->style == YS_LITERAL || n->style == YS_FOLDED);
}

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

/*
 * The offset of the first key, '?' or '-' of block collection n.  It starts
 * there, or at an anchor or tag of its own, after which (on a later line)
 * the first key or '-' is.  An anchor or tag of the first key is part of
 * that key, where the mapping then starts.
 */
static size_t
coll_first(const struct ydoc *d, const struct ynode *n)
{
	const char *t = d->text;
	size_t i = n->start, e = n->end;
	if ((t[i] != '&' && t[i] != '!') || (n->type == Y_MAP && n->items[0]->start == i))
		return i;
	while (i < e && (t[i] == '&' || t[i] == '!')) {
		while (i < e && !strchr(" \t\r\n", t[i]))
			i++;
		while (i < e && (t[i] == ' ' || t[i] == '\t'))
			i++;
	}
	for (;;) {
		while (i < e && strchr(" \t\r\n", t[i]))
			i++;
		if (i >= e || t[i] != '#')
			return i;
		while (i < e && t[i] != '\n')
			i++;
	}
}

/* The indentation of block collection n (the column of its first key,
 * '?' or '-'). */
static int
coll_indent(const struct ydoc *d, const struct ynode *n)
{
	return col_at(d, coll_first(d, n));
}

/* The offset of the ':' between key k and its value v (only blanks,
 * line breaks and comments are around it), or SIZE_MAX when there is none. */
static size_t
value_colon(const struct ydoc *d, const struct ynode *k, const struct ynode *v)
{
	const char *t = d->text;
	for (size_t i = k->end; i < v->start; i++) {
		if (t[i] == ':')
			return i;
		if (t[i] == '#' && (i == 0 || strchr(" \t\r\n", t[i - 1])))
			while (i + 1 < v->start && t[i + 1] != '\n')
				i++;
	}
	return SIZE_MAX;
}

/* Is v, the value of key k, not written at all (`? key` without ':')?
 * libyaml then puts an empty scalar at the next token. */
static int
absent_value(const struct ydoc *d, const struct ynode *k, const struct ynode *v)
{
	return v->type == Y_SCALAR && !v->alias_of && v->style == YS_PLAIN && v->start == v->end &&
	       !*v->value && value_colon(d, k, v) == SIZE_MAX;
}

/*
 * The node written last in n: n itself for a scalar, an alias or a flow
 * collection, else that of its last item or value (its key when the value
 * is absent).  *indent becomes the indentation of the block collection
 * holding that node (left alone when it is n).
 */
static const struct ynode *
last_leaf(const struct ydoc *d, const struct ynode *n, int *indent)
{
	while (!n->alias_of && n->type != Y_SCALAR && n->style == YC_BLOCK && n->n) {
		*indent = coll_indent(d, n);
		if (n->type == Y_SEQ)
			n = n->items[n->n - 1];
		else if (absent_value(d, n->items[2 * n->n - 2], n->items[2 * n->n - 1]))
			n = n->items[2 * n->n - 2];
		else
			n = n->items[2 * n->n - 1];
	}
	return n;
}

/* A block scalar (| or >) as written. */
struct bscalar {
	size_t chomp;		/* its chomping indicator, or just after '|' or '>' if none */
	int keep, strip;	/* chomping '+' or '-' (neither: clip) */
	size_t last;		/* end of its last content line (before the line break),
				 * or of the header's line when it has none */
};

/*
 * Read block scalar n, held by a block collection indented `parent`
 * columns (-1: none).  Its content indentation is what libyaml takes:
 * parent plus the indentation indicator, else the first non-empty line's
 * (at least parent + 1).  A line of only spaces is content when it has more
 * of them than that: trailing blank lines are not content, such lines are.
 */
static void
block_scalar(const struct ydoc *d, const struct ynode *n, int parent, struct bscalar *b)
{
	const char *t = d->text;
	size_t e = n->end, i = skip_props(d, n->start, e) + 1, ls;
	int ind = -1, maxsp = 0, no_eol;

	b->chomp = i;
	b->keep = b->strip = 0;
	for (; i < e; i++) {
		if (t[i] == '+' || t[i] == '-') {
			b->chomp = i;
			b->keep = t[i] == '+';
			b->strip = t[i] == '-';
		} else if (t[i] >= '1' && t[i] <= '9') {
			ind = (parent > 0 ? parent : 0) + (t[i] - '0');
		} else
			break;
	}
	b->last = line_end(d, i);
	/* The lines of the scalar: up to the line of the next token, which
	 * starts at e (or the last line when e is the end of the text). */
	for (ls = next_line(d, i, &no_eol); !no_eol && ls < e; ls = next_line(d, ls, &no_eol)) {
		size_t le = line_end(d, ls);
		int sp = 0, chars = 0;
		if (le > e)
			break;
		for (size_t j = ls; j < le; j++) {
			if (t[j] == ' ' && sp == chars)
				sp++;
			chars += ((unsigned char)t[j] & 0xc0) != 0x80;
		}
		if (ind < 0) {
			if (sp == chars) {
				maxsp = sp > maxsp ? sp : maxsp;
				continue;
			}
			ind = sp > maxsp ? sp : maxsp;
			if (ind < parent + 1)
				ind = parent + 1;
			if (ind < 1)
				ind = 1;
		}
		if (chars > ind)
			b->last = le;
	}
}

/* Where the last content of n ends, n being held by a block collection
 * indented `indent` columns (-1: none): for block collections and block
 * scalars not counting trailing blank and comment lines. */
static size_t
content_end(const struct ydoc *d, const struct ynode *n, int indent)
{
	struct bscalar b;
	n = last_leaf(d, n, &indent);
	if (!is_block_scalar(n))
		return n->end;
	block_scalar(d, n, indent, &b);
	return b.last;
}

/* A change of the text: bytes [start, end) become the len bytes at s. */
struct piece {
	size_t start, end;
	const char *s;
	size_t len;
};

/* Where new lines go after node n (held by a block collection indented
 * `indent` columns). */
struct after {
	size_t pos;		/* the start of the line after n's last content */
	int eol;		/* that line is the last and has no line break:
				 * write one first */
	int keep;		/* pos follows the blank lines of a keep (|+) block
				 * scalar: they are its value; a blank line
				 * written at pos would be too */
	struct piece chomp;	/* with eol, when n ends in a block scalar that
				 * does not strip: its chomping becomes '-', so
				 * that the line break written does not join its
				 * value (len 0: nothing to change) */
};

static void
after_node(const struct ydoc *d, const struct ynode *n, int indent, struct after *a)
{
	struct bscalar b;
	memset(a, 0, sizeof(*a));
	n = last_leaf(d, n, &indent);
	if (!is_block_scalar(n)) {
		a->pos = next_line(d, n->end, &a->eol);
		return;
	}
	block_scalar(d, n, indent, &b);
	a->pos = next_line(d, b.last, &a->eol);
	if (a->eol) {
		if (!b.strip) {
			a->chomp.start = b.chomp;
			a->chomp.end = b.chomp + (b.keep ? 1 : 0);
			a->chomp.s = "-";
			a->chomp.len = 1;
		}
	} else if (b.keep) {
		size_t ls = line_start(d, n->end);
		a->keep = 1;
		if (ls > a->pos)
			a->pos = ls;
	}
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

/*
 * What an edit may change.  The re-parsed document must be the old one,
 * values and structure (positions aside), except at node `at` of the old
 * document, which must have become what `kind` says.
 */
struct expect {
	enum {
		X_SET,		/* at is now the scalar `value` (NULL: a null),
				 * or `{}` with empty_map */
		X_ADD_PAIR,	/* mapping at has one more pair, last: key with the
				 * value as for X_SET, or a list of item when set */
		X_APPEND,	/* sequence at has item appended */
		X_NEW_LIST,	/* at (a null or []) is now a list holding item */
		X_REMOVE,	/* sequence at lost item idx (the last: null or []) */
		X_NEW_ROOT	/* the empty document (at NULL) is now the
				 * mapping key: [item] */
	} kind;
	const struct ynode *at;
	const char *key;
	const char *value;
	const struct ydoc *item;	/* the item, parsed on its own */
	size_t idx;
	int empty_map;
};

struct cmp {
	const struct ydoc *a, *b;	/* old and new document */
	const struct expect *x;		/* NULL: they must be equal */
	const struct piece *p;		/* what made b's text of a's (NULL: */
	size_t np;			/* aliases are compared by name) */
	const struct ynode *bad;	/* the old node where they differ */
};

/* The offset in the old text of what is at off in the new one, or
 * SIZE_MAX for text the pieces wrote. */
static size_t
old_offset(const struct cmp *c, size_t off)
{
	size_t shift = 0;	/* new offset - old offset, modulo size_t */
	for (size_t i = 0; i < c->np; i++) {
		size_t s = c->p[i].start + shift;
		if (off < s)
			break;
		if (off < s + c->p[i].len)
			return SIZE_MAX;
		shift += c->p[i].len - (c->p[i].end - c->p[i].start);
	}
	return off - shift;
}

static int same(struct cmp *c, const struct ynode *a, const struct ynode *b);

static int
value_is(const struct ynode *v, const char *want)
{
	if (!v || v->type != Y_SCALAR || v->alias_of)
		return 0;
	return want ? !v->plain_null && !strcmp(v->value, want) : v->plain_null;
}

/* Is v the new value of an X_SET or X_ADD_PAIR? */
static int
new_value_ok(const struct expect *x, const struct ynode *v)
{
	if (x->empty_map)
		return v->type == Y_MAP && !v->alias_of && v->style == YC_FLOW && !v->n;
	return value_is(v, x->value);
}

/* Is b (of the new document) the item, as parsed on its own? */
static int
is_item(const struct cmp *c, const struct ynode *b)
{
	struct cmp ic = { c->x->item, c->b, NULL, NULL, 0, NULL };
	return c->x->item && c->x->item->root && same(&ic, c->x->item->root, b);
}

/* Is pair i of mapping b the new key with its value? */
static int
new_pair_ok(const struct cmp *c, const struct ynode *b, size_t i)
{
	const struct ynode *k = b->items[2 * i], *v = b->items[2 * i + 1];
	if (k->type != Y_SCALAR || k->alias_of || k->plain_null || strcmp(k->value, c->x->key))
		return 0;
	if (!c->x->item)
		return new_value_ok(c->x, v);
	return v->type == Y_SEQ && !v->alias_of && v->n == 1 && is_item(c, v->items[0]);
}

/* Are the first n items of a and b the same, item skip of a left out? */
static int
same_items(struct cmp *c, const struct ynode *a, const struct ynode *b, size_t n, size_t skip)
{
	for (size_t i = 0; i < n; i++)
		if (!same(c, a->items[i + (i >= skip)], b->items[i]))
			return 0;
	return 1;
}

/* Is b what the edit makes of old node a (c->x->at)? */
static int
changed_ok(struct cmp *c, const struct ynode *a, const struct ynode *b)
{
	const struct expect *x = c->x;
	int coll = b->type == a->type && !b->alias_of && b->style == a->style;
	switch (x->kind) {
	case X_SET:
		return new_value_ok(x, b);
	case X_ADD_PAIR:
		return coll && b->n == a->n + 1 && same_items(c, a, b, 2 * a->n, SIZE_MAX) &&
		       new_pair_ok(c, b, a->n);
	case X_APPEND:
		return coll && b->n == a->n + 1 && same_items(c, a, b, a->n, SIZE_MAX) &&
		       is_item(c, b->items[a->n]);
	case X_NEW_LIST:
		return b->type == Y_SEQ && !b->alias_of && b->n == 1 && is_item(c, b->items[0]);
	case X_REMOVE:
		if (a->n == 1 && !b->alias_of &&
		    ((b->type == Y_SCALAR && b->plain_null) || (b->type == Y_SEQ && !b->n)))
			return 1;
		return coll && b->n + 1 == a->n && same_items(c, a, b, b->n, x->idx);
	case X_NEW_ROOT:
		break;
	}
	return 0;
}

/*
 * Are old node a and new node b the same (but for the edit)?  Two aliases
 * are when they have the same name and refer to the same node (the anchored
 * node is compared where it is: what it holds may be what the edit changed).
 */
static int
same(struct cmp *c, const struct ynode *a, const struct ynode *b)
{
	if (c->x && a == c->x->at) {
		if (changed_ok(c, a, b))
			return 1;
		if (!c->bad)
			c->bad = a;
		return 0;
	}
	if (!a->alias_of != !b->alias_of)
		goto differ;
	if (a->alias_of) {
		if (a->end - a->start != b->end - b->start ||
		    memcmp(c->a->text + a->start, c->b->text + b->start, a->end - a->start) ||
		    (c->p && old_offset(c, b->alias_of->start) != a->alias_of->start))
			goto differ;
		return 1;
	}
	if (a->type != b->type || a->style != b->style || a->plain_null != b->plain_null ||
	    a->n != b->n || (a->type == Y_SCALAR && strcmp(a->value, b->value)))
		goto differ;
	for (size_t i = 0; i < (a->type == Y_MAP ? 2 * a->n : a->n); i++)
		if (!same(c, a->items[i], b->items[i]))
			return 0;
	return 1;
differ:
	if (!c->bad)
		c->bad = a;
	return 0;
}

static int
edit_ok(struct cmp *c)
{
	const struct ynode *a = c->a->root, *b = c->b->root;
	if (!a)
		return c->x->kind == X_NEW_ROOT && b && b->type == Y_MAP && !b->alias_of &&
		       b->n == 1 && new_pair_ok(c, b, 0);
	return b && same(c, a, b);
}

/*
 * Why an edit may have gone wrong, if the text has a line break other than
 * \n and \r\n: a lone \r, NEL, LS or PS, which YAML reads as one and this
 * editor does not.  Appended to why as "; line N ...", N counted as YAML
 * counts lines.
 */
static void
add_break_hint(const struct ydoc *d, struct buf *why)
{
	const unsigned char *t = (const unsigned char *)d->text;
	int line = 1;
	for (size_t i = 0; i < d->len; i++) {
		if (t[i] == '\n')
			line++;
		else if ((t[i] == '\r' && (i + 1 >= d->len || t[i + 1] != '\n')) ||
			 (t[i] == 0xc2 && i + 1 < d->len && t[i + 1] == 0x85) ||
			 (t[i] == 0xe2 && i + 2 < d->len && t[i + 1] == 0x80 &&
			  (t[i + 2] == 0xa8 || t[i + 2] == 0xa9))) {
			buf_addf(why, "; line %d ends with a line break other than \\n or \\r\\n, which the editor does not handle",
				 line);
			return;
		}
	}
}

/*
 * Apply the np pieces (in order, not overlapping) to d->text, re-parse, and
 * check that the result is the old document changed only as x says.  On any
 * failure d is untouched.
 */
static int
splice_pieces(struct ydoc *d, const struct piece *p, size_t np, const struct expect *x,
	      struct buf *err)
{
	static const char *const what[] = {
		[X_SET] = "the value would not read back as the new one",
		[X_ADD_PAIR] = "the mapping would not read as before plus the new key",
		[X_APPEND] = "the list would not read as before plus the new item",
		[X_NEW_LIST] = "the value would not read as a list of the new item",
		[X_REMOVE] = "the list would not read as before less the item",
		[X_NEW_ROOT] = "the file would not read as the new key",
	};
	struct buf t = BUF_INIT, perr = BUF_INIT, why = BUF_INIT;
	struct ydoc nd;
	struct cmp c = { d, &nd, x, p, np, NULL };
	const struct ynode *n;
	size_t at = 0;
	int ret = -1;

	for (size_t i = 0; i < np; i++) {
		buf_add(&t, d->text + at, p[i].start - at);
		buf_add(&t, p[i].s ? p[i].s : "", p[i].len);
		at = p[i].end;
	}
	buf_add(&t, d->text + at, d->len - at);
	if (ydoc_parse(&nd, d->path, t.s ? t.s : "", t.len, &perr) < 0) {
		add_break_hint(d, &why);
		fail(err, d->path, " edit refused: the result would not parse (%s)%s", perr.s,
		     buf_cstr(&why));
		goto out;
	}
	if (edit_ok(&c)) {
		ydoc_release(d);
		*d = nd;
		ret = 0;
		goto out;
	}
	add_break_hint(d, &why);
	n = c.bad ? c.bad : x->at;
	if (n && n != x->at)
		fail(err, d->path,
		     "%d:%d: edit refused: it would change this %s (a layout the editor cannot change safely)%s",
		     n->line, n->col, n->type == Y_SCALAR ? "value" : n->type == Y_MAP ? "mapping" : "list",
		     buf_cstr(&why));
	else if (n)
		fail(err, d->path, "%d:%d: edit refused: %s%s", n->line, n->col, what[x->kind],
		     buf_cstr(&why));
	else
		fail(err, d->path, " edit refused: %s%s", what[x->kind], buf_cstr(&why));
	ydoc_release(&nd);
out:
	buf_release(&t);
	buf_release(&perr);
	buf_release(&why);
	return ret;
}

/* Replace [start, end) of d->text by repl; see splice_pieces(). */
static int
splice(struct ydoc *d, size_t start, size_t end, const struct buf *repl, const struct expect *x,
       struct buf *err)
{
	struct piece p = { start, end, repl->s, repl->len };
	return splice_pieces(d, &p, 1, x, err);
}

/* Insert o at a->pos, with a->chomp before it when there is one. */
static int
splice_after(struct ydoc *d, const struct after *a, const struct buf *o, const struct expect *x,
	     struct buf *err)
{
	struct piece p[2];
	size_t np = 0;
	if (a->chomp.len)
		p[np++] = a->chomp;
	p[np].start = p[np].end = a->pos;
	p[np].s = o->s;
	p[np++].len = o->len;
	return splice_pieces(d, p, np, x, err);
}

/* ---- setting a key ---- */

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
 * expected back (NULL: a null); with empty_map, raw is "{}".
 */
static int
set_scalar(struct ydoc *d, const struct ynode *map, const char *key, const char *value,
	   const char *raw, const char *want, int empty_map, struct buf *err)
{
	int flow = map->style == YC_FLOW;
	long i = pair_index(map, key);
	struct buf o = BUF_INIT;
	struct expect x = { X_SET, NULL, key, want, NULL, 0, empty_map };
	int ret;

	if (i >= 0) {
		const struct ynode *v = map->items[2 * i + 1];
		size_t s = v->start, e = v->end;
		if (v->type != Y_SCALAR)
			return fail(err, d->path, "%d:%d: cannot set %s: its value is a %s",
				    map->items[2 * i]->line, map->items[2 * i]->col, key,
				    v->type == Y_MAP ? "mapping" : "sequence");
		if (absent_value(d, map->items[2 * i], v))
			return fail(err, d->path, "%d:%d: cannot set %s: it has no ':'",
				    map->items[2 * i]->line, map->items[2 * i]->col, key);
		if (!v->alias_of)
			s = skip_props(d, s, e);
		x.at = v;
		if (is_block_scalar(v)) {
			struct bscalar b;
			block_scalar(d, v, flow ? -1 : coll_indent(d, map), &b);
			e = b.last;
		}
		if (s == e) {
			/* `key:` with nothing: write " value" after the colon and
			 * drop blanks that would trail it. */
			size_t j = e;
			while (j < d->len && (d->text[j] == ' ' || d->text[j] == '\t'))
				j++;
			if (j == d->len || d->text[j] == '\n' || d->text[j] == '\r')
				e = j;
			if (s > 0 && !strchr(" \t", d->text[s - 1]))
				buf_addc(&o, ' ');
		}
		if (raw)
			buf_adds(&o, raw);
		else
			add_scalar(&o, value, v->alias_of ? YS_PLAIN : v->style, flow);
		ret = splice(d, s, e, &o, &x, err);
		buf_release(&o);
		return ret;
	}

	/* A new pair: after the last one of a flow mapping, or on a line of
	 * its own after a block mapping. */
	x.kind = X_ADD_PAIR;
	x.at = map;
	size_t pos = 0;
	struct after a;
	if (flow && map->n) {
		pos = content_end(d, map->items[2 * map->n - 1], -1);
		buf_adds(&o, ", ");
	} else if (flow) {
		pos = map->start;
		while (pos < map->end && d->text[pos] != '{')
			pos++;
		pos++;
	} else {
		after_node(d, map, -1, &a);
		if (a.eol)
			buf_adds(&o, doc_eol(d));
		add_spaces(&o, coll_indent(d, map));
	}
	add_scalar(&o, key, YS_PLAIN, flow);
	buf_adds(&o, ": ");
	if (raw)
		buf_adds(&o, raw);
	else
		add_scalar(&o, value, YS_PLAIN, flow);
	if (flow) {
		ret = splice(d, pos, pos, &o, &x, err);
	} else {
		buf_adds(&o, doc_eol(d));
		ret = splice_after(d, &a, &o, &x, err);
	}
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
	return set_scalar(d, map, key, value, NULL, value, 0, err);
}

int
yedit_set_raw(struct ydoc *d, const struct ynode *map, const char *key, const char *yaml_scalar,
	      struct buf *err)
{
	struct ydoc t;
	struct buf probe = BUF_INIT, perr = BUF_INIT;
	char *want = NULL;
	int is_null = 0, empty_map = 0, ret;

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
		} else if (!strcmp(yaml_scalar, "{}")) {
			want = xstrdup("");
			empty_map = 1;
		}
		ydoc_release(&t);
	}
	buf_release(&probe);
	buf_release(&perr);
	if (!want)
		return fail(err, d->path, " cannot set %s: not a single YAML scalar: %s", key,
			    yaml_scalar);
	ret = set_scalar(d, map, key, NULL, yaml_scalar, is_null ? NULL : want, empty_map, err);
	free(want);
	return ret;
}

/* ---- appending to a sequence ---- */

/* Check that block parses on its own and has content; item is then the
 * parsed block (the caller releases it). */
static int
check_block(const struct ydoc *d, const char *block, struct ydoc *item, struct buf *err)
{
	struct buf perr = BUF_INIT;
	int ret = 0;
	memset(item, 0, sizeof(*item));
	if (!d->text)
		return fail(err, NULL, "cannot edit: no document was parsed");
	if (!block)
		return fail(err, d->path, " cannot append: no item");
	if (ydoc_parse(item, "item", block, strlen(block), &perr) < 0)
		ret = fail(err, d->path, " cannot append: the item is not valid YAML (%s)", perr.s);
	else if (!item->root)
		ret = fail(err, d->path, " cannot append: the item is empty");
	if (ret < 0)
		ydoc_release(item);
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
append_block_seq(struct ydoc *d, const struct ynode *seq, const struct ydoc *item,
		 const char *block, struct buf *err)
{
	const struct ynode *first = seq->items[0], *last = seq->items[seq->n - 1];
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_APPEND, seq, NULL, NULL, item, 0, 0 };
	struct after a;
	size_t dash = coll_first(d, seq);
	int dash_col, content_col, ret;

	if (dash >= d->len || d->text[dash] != '-' || first->start < dash)
		return fail(err, d->path, "%d:%d: cannot append: cannot find the '-' of the first item",
			    seq->line, seq->col);
	/* Indentation from the first item: "  - worker_id" has the dash at
	 * column 2 and the content at 4; an item on the line after its dash
	 * gets the content 2 more than the dash. */
	dash_col = col_at(d, dash);
	if (memchr(d->text + dash, '\n', first->start - dash))
		content_col = dash_col + 2;
	else
		content_col = first->col - 1;
	if (content_col < dash_col + 2)
		content_col = dash_col + 2;

	after_node(d, last, dash_col, &a);
	if (a.eol)
		buf_adds(&o, eol);
	if (seq->n >= 2 && !a.keep) {
		int ne;
		size_t p = next_line(d, content_end(d, seq->items[seq->n - 2], dash_col), &ne);
		if (!ne && has_blank_line(d, p, line_start(d, last->start)))
			buf_adds(&o, eol);
	}
	add_item(&o, block, dash_col, content_col, eol);
	ret = splice_after(d, &a, &o, &x, err);
	buf_release(&o);
	return ret;
}

/* value (a null or `[]`) of the pair at map->items[2i+1] becomes a block
 * list holding one item. */
static int
append_new_list(struct ydoc *d, const struct ynode *map, size_t i, const struct ydoc *item,
		const char *block, struct buf *err)
{
	const struct ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_NEW_LIST, v, NULL, NULL, item, 0, 0 };
	int kc, no_eol, ret;
	size_t s, e = v->end, le;

	if (map->style != YC_BLOCK)
		return fail(err, d->path, "%d:%d: cannot append: %s is in a flow mapping", v->line,
			    v->col, k->value);
	kc = coll_indent(d, map);
	if (absent_value(d, k, v)) {
		/* `? key` alone: its ':' and the list go on the lines after it */
		struct after a;
		after_node(d, k, kc, &a);
		if (a.eol)
			buf_adds(&o, eol);
		add_spaces(&o, kc);
		buf_addc(&o, ':');
		buf_adds(&o, eol);
		add_item(&o, block, kc + 2, kc + 4, eol);
		ret = splice_after(d, &a, &o, &x, err);
		buf_release(&o);
		return ret;
	}
	/* The value is replaced from just after the key's ':'. */
	if ((s = value_colon(d, k, v)) == SIZE_MAX)
		return fail(err, d->path, "%d:%d: cannot append: no ':' before the value",
			    v->line, v->col);
	s++;
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

static int
append_item(struct ydoc *d, const struct ynode *seq, const struct ydoc *item, const char *block,
	    struct buf *err)
{
	const struct ynode *p;
	size_t i;

	if (!seq)
		return fail(err, d->path, " cannot append: no sequence");
	if (seq->alias_of)
		return fail(err, d->path, "%d:%d: cannot append to a sequence reached through an alias",
			    seq->line, seq->col);
	if (seq->type == Y_SEQ && seq->style == YC_BLOCK && seq->n)
		return append_block_seq(d, seq, item, block, err);
	if ((seq->type == Y_SEQ && seq->style == YC_FLOW && !seq->n) ||
	    (seq->type == Y_SCALAR && seq->plain_null)) {
		p = find_parent(d->root, seq, &i);
		if (p && p->type == Y_MAP && i % 2)
			return append_new_list(d, p, i / 2, item, block, err);
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
yedit_append_item(struct ydoc *d, const struct ynode *seq, const char *block, struct buf *err)
{
	struct ydoc item;
	if (check_block(d, block, &item, err) < 0)
		return -1;
	int ret = append_item(d, seq, &item, block, err);
	ydoc_release(&item);
	return ret;
}

int
yedit_append_to(struct ydoc *d, const struct ynode *map, const char *key, const char *block,
		struct buf *err)
{
	const char *eol = doc_eol(d);
	struct buf o = BUF_INIT;
	struct expect x = { X_NEW_ROOT, NULL, key, NULL, NULL, 0, 0 };
	struct after a;
	struct ydoc item;
	long i;
	int kc = 0, ret;

	if (!key)
		return fail(err, d->path, " cannot edit: no key given");
	if (check_block(d, block, &item, err) < 0)
		return -1;
	x.item = &item;
	if (!map)
		map = d->root;
	if (!map) {
		/* An empty document (comments at most): add the key at the end. */
		memset(&a, 0, sizeof(a));
		a.pos = d->len;
		a.eol = d->len && d->text[d->len - 1] != '\n';
	} else {
		if (check_editable(d, map, key, err) < 0) {
			ret = -1;
			goto out;
		}
		if ((i = pair_index(map, key)) >= 0) {
			ret = append_item(d, map->items[2 * i + 1], &item, block, err);
			goto out;
		}
		if (ymap_get(map, key)) {
			/* The list comes from a merge key: a key of its own
			 * would hide it. */
			const struct ynode *mk = map->items[0];
			for (size_t j = 0; j < map->n; j++)
				if (is_merge_key(map->items[2 * j])) {
					mk = map->items[2 * j];
					break;
				}
			ret = fail(err, d->path,
				   "%d:%d: cannot append to %s: it comes from this merge key (<<), and a %s: of its own would hide it",
				   mk->line, mk->col, key, key);
			goto out;
		}
		if (map->style == YC_FLOW) {
			ret = fail(err, d->path, "%d:%d: cannot add a list under %s: flow mapping",
				   map->line, map->col, key);
			goto out;
		}
		x.kind = X_ADD_PAIR;
		x.at = map;
		kc = coll_indent(d, map);
		after_node(d, map, -1, &a);
	}
	if (a.eol)
		buf_adds(&o, eol);
	add_spaces(&o, kc);
	add_scalar(&o, key, YS_PLAIN, 0);
	buf_addc(&o, ':');
	buf_adds(&o, eol);
	add_item(&o, block, kc + 2, kc + 4, eol);
	ret = splice_after(d, &a, &o, &x, err);
out:
	buf_release(&o);
	ydoc_release(&item);
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
	struct expect x = { X_REMOVE, seq, NULL, NULL, NULL, idx, 0 };
	struct buf o = BUF_INIT;
	struct after it, prev;
	const struct ynode *p = NULL;
	size_t pi = 0, a, b;
	long dash;
	int indent, ret;

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
	if (seq != d->root) {
		p = find_parent(d->root, seq, &pi);
		if (!p || p->type != Y_MAP || pi % 2 == 0)
			return fail(err, d->path, "%d:%d: cannot remove: this list is not the value of a key",
				    seq->line, seq->col);
	}
	/* From the start of the dash's line to the end of the line holding the
	 * item's last content (after the blank lines its keep (|+) block
	 * scalar holds): comment lines before and after it stay. */
	indent = coll_indent(d, seq);
	a = line_start(d, (size_t)dash);
	after_node(d, seq->items[idx], indent, &it);
	b = it.pos;
	memset(&prev, 0, sizeof(prev));
	if (idx > 0)
		after_node(d, seq->items[idx - 1], indent, &prev);
	/* A blank line that set the item apart goes with it: the one before,
	 * else the one after.  After an item ending in a keep block scalar,
	 * the blank lines before are its value, and blank lines after would
	 * become so: those go, all of them. */
	if (prev.keep) {
		while (b < d->len && is_blank_line(d, b))
			b = next_line(d, b, &it.eol);
	} else if (a > 0 && is_blank_line(d, line_start(d, a - 1)))
		a = line_start(d, a - 1);
	else if (!it.eol && b < d->len && is_blank_line(d, b))
		b = next_line(d, b, &it.eol);
	if (!p && seq->n == 1) {
		/* the whole document was this one item: keep an empty list */
		buf_adds(&o, "[]");
		buf_adds(&o, doc_eol(d));
	}
	if (p && seq->n == 1 && coll_first(d, seq) != seq->start) {
		/* key: with nothing after it reads as null, an empty list; with
		 * an anchor or tag (on its own line) it would be an empty
		 * scalar: [] goes after them */
		size_t e = skip_props(d, seq->start, a);
		while (e > seq->start && strchr(" \t\r\n", d->text[e - 1]))
			e--;
		struct piece pc[2] = { { e, e, " []", 3 }, { a, b, o.s, o.len } };
		ret = splice_pieces(d, pc, 2, &x, err);
		buf_release(&o);
		return ret;
	}
	ret = splice(d, a, b, &o, &x, err);
	buf_release(&o);
	return ret;
}
