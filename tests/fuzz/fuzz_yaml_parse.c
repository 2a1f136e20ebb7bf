/*
 * fuzz_yaml_parse.c - the input is a YAML file: parse it (ydoc_parse), look
 * things up in it and read it as the worker registry.  No input may crash,
 * leak or hit undefined behaviour, and:
 *
 * - a refused file has a message "PATH:LINE:COL: ..." (LINE, COL >= 1);
 * - every node's span lies within the text, in order, with a position;
 *   a duplicate key's lines are in order;
 * - a registry error names the file and a line and column;
 * - each scalar value, formatted by yaml_quote() (as new entries are
 *   written), reads back as that same string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/registry.h"

#define PATH "workers.yaml"
#define MAX_QUOTED 64		/* scalars whose quoting is checked per input */

static void
bad(const char *what, const char *s)
{
	fprintf(stderr, "property violated: %s\n--- %s\n---\n", what, s);
	abort();
}

static int
has_position(const char *msg)
{
	int line = 0, col = 0, n = 0;
	return !strncmp(msg, PATH ":", strlen(PATH ":")) &&
	       sscanf(msg + strlen(PATH ":"), "%d:%d: %n", &line, &col, &n) == 2 && n > 0 &&
	       line >= 1 && col >= 1;
}

/* yaml_quote(s) as a value reads back as s. */
static void
check_quote(const char *s)
{
	char *q = yaml_quote(s);
	char *text = xasprintf("k: %s\n", q);
	struct ydoc d;
	struct buf err = BUF_INIT;
	if (ydoc_parse(&d, "quoted", text, strlen(text), &err) < 0)
		bad("a quoted value does not parse", text);
	const struct ynode *v = ymap_get(d.root, "k");
	if (!v || v->type != Y_SCALAR || v->plain_null || strcmp(v->value, s) ||
	    !d.root || d.root->n != 1)
		bad("a quoted value does not read back as itself", text);
	ydoc_release(&d);
	buf_release(&err);
	free(text);
	free(q);
}

struct walk {
	const struct ydoc *d;
	int quoted;
};

static void
walk(struct walk *w, const struct ynode *n, int depth)
{
	const struct ydoc *d = w->d;
	long long l;
	double x;
	int b;

	if (!n || n->start > n->end || n->end > d->len || n->line < 1 || n->col < 1)
		bad("a node outside the text or without a position", d->text);
	if (n->alias_of) {
		if (n->alias_of->alias_of || n->alias_of->type != n->type)
			bad("an alias of an alias, or of another kind", d->text);
		return;	/* its node is walked where it is */
	}
	if (n->type == Y_SCALAR) {
		if (!n->value || n->n || n->items)
			bad("a scalar without a value, or with items", d->text);
		(void)ynode_bool(n, &b);
		(void)ynode_long(n, &l);
		(void)ynode_double(n, &x);
		if (w->quoted < MAX_QUOTED) {
			w->quoted++;
			check_quote(n->value);
		}
		return;
	}
	if (n->value || (n->n && !n->items))
		bad("a collection with a value, or without items", d->text);
	size_t cnt = n->type == Y_MAP ? 2 * n->n : n->n;
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *c = n->items[i];
		walk(w, c, depth + 1);
		if (c->start < n->start || c->end > n->end)
			bad("an item outside its collection", d->text);
	}
	if (n->type == Y_MAP)
		for (size_t i = 0; i < n->n; i++)
			if (n->items[2 * i]->type == Y_SCALAR) {
				const char *k = n->items[2 * i]->value;
				if (ymap_key(n, k) == NULL || ymap_get(n, k) == NULL)
					bad("a key that ymap_key or ymap_get does not find", d->text);
			}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry r = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	struct walk w = { &r.doc, 0 };

	r.path = xstrdup(PATH);
	if (ydoc_parse(&r.doc, r.path, (const char *)data, size, &err) < 0) {
		if (!has_position(buf_cstr(&err)))
			bad("a parse error without PATH:LINE:COL", buf_cstr(&err));
		if (r.doc.text || r.doc.root || r.doc.ndups)
			bad("a failed parse left a document", buf_cstr(&err));
		goto out;
	}
	if (r.doc.len != size || memcmp(r.doc.text, data, size) || r.doc.text[size])
		bad("the document's text is not the input", "");
	if (r.doc.root)
		walk(&w, r.doc.root, 0);
	for (size_t i = 0; i < r.doc.ndups; i++)
		if (!r.doc.dups[i].key || r.doc.dups[i].line1 > r.doc.dups[i].line2 ||
		    r.doc.dups[i].line1 < 1 || !r.doc.dups[i].map)
			bad("a duplicate key record out of order", r.doc.text);

	const struct ynode *ws = ymap_get(r.doc.root, "workers");
	(void)ypath(r.doc.root, "workers.0.ssh.port");
	(void)ypath(r.doc.root, "workers.18446744073709551616.x");
	(void)yseq_find(ws, "worker_id", "a");
	(void)ymap_str(r.doc.root, "workers");

	if (registry_reindex(&r, &err) < 0) {
		if (!has_position(buf_cstr(&err)))
			bad("a registry error without PATH:LINE:COL", buf_cstr(&err));
		goto out;
	}
	for (size_t i = 0; i < r.n; i++) {
		struct buf why = BUF_INIT;
		char *wsp;
		(void)worker_check(&r.w[i], &why);
		wsp = worker_workspace(&r.w[i], "root");
		free(wsp);
		buf_release(&why);
		if (r.w[i].id && registry_find(&r, r.w[i].id) == NULL)
			bad("registry_find misses a worker", r.w[i].id);
		if (r.w[i].id && registry_node(&r, r.w[i].id) == NULL)
			bad("registry_node misses a worker", r.w[i].id);
	}
out:
	registry_release(&r);
	buf_release(&err);
	return 0;
}
