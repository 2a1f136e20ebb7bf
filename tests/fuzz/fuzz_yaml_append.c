/*
 * fuzz_yaml_append.c - the input is a workers.yaml; append a fixed worker
 * to it as `ros add-worker` does (registry_add_worker) and check that an
 * append changes no other value:
 *
 * - accepted: the new text parses; its `workers:` list has exactly one
 *   item more, the last, which holds the appended values; every other node
 *   of the old document reads as it did (values and structure, compared
 *   here independently of the editor's own check);
 * - refused: an error message is set and the text is as it was.
 *
 * A file the registry does not load (a syntax error, `workers` not a list,
 * ...) is not appended to, as by ros; its error must carry the file's name
 * and, for a parse error, a line and column.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/registry.h"

#define PATH "workers.yaml"

static void
bad(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "property violated: %s\n--- text (%zu bytes):\n%.*s\n---\n", what, len,
		(int)len, text);
	abort();
}

/* "PATH:LINE:COL: ..." with LINE and COL at least 1. */
static int
has_position(const char *msg)
{
	int line = 0, col = 0, n = 0;
	return !strncmp(msg, PATH ":", strlen(PATH ":")) &&
	       sscanf(msg + strlen(PATH ":"), "%d:%d: %n", &line, &col, &n) == 2 && n > 0 &&
	       line >= 1 && col >= 1;
}

static const char *fields_json =
	"{\"worker_id\": \"fuzz_added\", \"kind\": \"ssh\", \"enabled\": true,"
	" \"worker_pool\": \"default\","
	" \"ssh\": {\"host\": \"127.0.0.5\", \"port\": 2222, \"user\": \"root\"},"
	" \"resources\": {\"gpu\": 1, \"dph\": 0.25},"
	" \"notes\": \"added: by - the fuzzer # not a comment\\n'quoted' \\\"x\\\" \\u2014 yes\"}";

/* Does node n hold what JSON value j says (as registry_add_worker writes it)? */
static int
holds(const struct ynode *n, json_t *j)
{
	long long l;
	double d;
	int b;
	if (!n || n->alias_of)
		return 0;
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		size_t i = 0;
		if (n->type != Y_MAP || n->style != YC_BLOCK || n->n != json_object_size(j))
			return 0;
		json_object_foreach(j, k, v) {
			const struct ynode *key = n->items[2 * i];
			if (key->type != Y_SCALAR || strcmp(key->value, k) || !holds(n->items[2 * i + 1], v))
				return 0;
			i++;
		}
		return 1;
	}
	if (n->type != Y_SCALAR || n->plain_null)
		return 0;
	switch (json_typeof(j)) {
	case JSON_STRING:
		return !strcmp(n->value, json_string_value(j));
	case JSON_INTEGER:
		return n->style == YS_PLAIN && ynode_long(n, &l) == 0 && l == json_integer_value(j);
	case JSON_REAL:
		return n->style == YS_PLAIN && ynode_double(n, &d) == 0 && d == json_real_value(j);
	case JSON_TRUE:
	case JSON_FALSE:
		return n->style == YS_PLAIN && ynode_bool(n, &b) == 0 && b == json_is_true(j);
	default:
		return 0;
	}
}

struct cmp {
	const struct ydoc *a, *b;
	const struct ynode *aw;		/* the old `workers` value, or NULL */
	json_t *item;
};

/*
 * Is old node a the same as new node b, but for the append?  Aliases are
 * compared by name and kind only (an anchored list appended to shows its
 * new length through them).
 */
static int
same(const struct cmp *c, const struct ynode *a, const struct ynode *b)
{
	if (a == c->aw) {
		size_t n = a->type == Y_SEQ ? a->n : 0;
		if (b->type != Y_SEQ || b->alias_of || b->n != n + 1 || !holds(b->items[n], c->item))
			return 0;
		if (a->type == Y_SEQ && b->style != a->style)
			return a->style == YC_FLOW && !a->n && b->style == YC_BLOCK;
		for (size_t i = 0; i < n; i++)
			if (!same(c, a->items[i], b->items[i]))
				return 0;
		return 1;
	}
	if (!a->alias_of != !b->alias_of || a->type != b->type)
		return 0;
	if (a->alias_of)
		return a->end - a->start == b->end - b->start &&
		       !memcmp(c->a->text + a->start, c->b->text + b->start, a->end - a->start);
	if (a->style != b->style || a->n != b->n || a->plain_null != b->plain_null)
		return 0;
	if (a->type == Y_SCALAR)
		return !strcmp(a->value, b->value);
	for (size_t i = 0; i < (a->type == Y_MAP ? 2 * a->n : a->n); i++)
		if (!same(c, a->items[i], b->items[i]))
			return 0;
	return 1;
}

/* The new root: the old one with the append, workers: being new when the
 * old root had no such key. */
static int
same_root(const struct cmp *c)
{
	const struct ynode *a = c->a->root, *b = c->b->root, *k, *v;
	if (!b || b->alias_of)
		return 0;
	if (c->aw)
		return a && same(c, a, b);
	/* no workers: key: the root gets it as its last pair */
	if (b->type != Y_MAP || b->n != (a ? a->n : 0) + 1)
		return 0;
	if (a && (a->type != Y_MAP || a->style != b->style))
		return 0;
	for (size_t i = 0; a && i < 2 * a->n; i++)
		if (!same(c, a->items[i], b->items[i]))
			return 0;
	k = b->items[2 * b->n - 2];
	v = b->items[2 * b->n - 1];
	return k->type == Y_SCALAR && !strcmp(k->value, "workers") && v->type == Y_SEQ &&
	       !v->alias_of && v->n == 1 && holds(v->items[0], c->item);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct registry r = REGISTRY_INIT;
	struct ydoc old = YDOC_INIT, nd = YDOC_INIT;
	struct buf err = BUF_INIT;
	json_t *fields = json_loads(fields_json, 0, NULL);

	if (!fields)
		abort();
	r.path = xstrdup(PATH);
	if (ydoc_parse(&r.doc, r.path, text, size, &err) < 0) {
		if (!has_position(buf_cstr(&err)))
			bad("a parse error without PATH:LINE:COL", buf_cstr(&err), err.len);
		goto out;
	}
	if (registry_reindex(&r, &err) < 0) {
		if (!has_position(buf_cstr(&err)))
			bad("a registry error without PATH:LINE:COL", buf_cstr(&err), err.len);
		goto out;
	}
	if (ydoc_parse(&old, PATH, text, size, &err) < 0)
		bad("the text parsed once and not twice", text, size);
	size_t n0 = r.n;

	if (registry_add_worker(&r, fields, &err) < 0) {
		if (!err.len)
			bad("an append refused without a message", text, size);
		if (r.doc.len != size || memcmp(r.doc.text, text, size))
			bad("a refused append changed the text", r.doc.text, r.doc.len);
		goto out;
	}
	if (ydoc_parse(&nd, PATH, r.doc.text, r.doc.len, &err) < 0)
		bad("an accepted append does not parse", r.doc.text, r.doc.len);
	struct cmp c = { &old, &nd, ymap_key(old.root, "workers") ? ymap_get(old.root, "workers") : NULL,
			 fields };
	if (!same_root(&c)) {
		fprintf(stderr, "--- old text:\n%.*s\n", (int)size, text);
		bad("an accepted append changed another value, or the new item is not the last of workers:",
		    r.doc.text, r.doc.len);
	}
	if (r.n != n0 + 1 || !r.w[n0].id || strcmp(r.w[n0].id, "fuzz_added"))
		bad("the registry does not read one more worker, the one appended", r.doc.text,
		    r.doc.len);
out:
	registry_release(&r);
	ydoc_release(&old);
	ydoc_release(&nd);
	buf_release(&err);
	json_decref(fields);
	return 0;
}
