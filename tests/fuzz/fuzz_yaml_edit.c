/*
 * fuzz_yaml_edit.c - the input is a workers.yaml; make the other edits ros
 * makes to it, each on a fresh load, and check that an edit changes no
 * other value:
 *
 * - registry_set() of the last worker's enabled (raw false), ssh.port (raw
 *   2222) and ssh.host (a string that needs quoting), as enable-worker,
 *   disable-worker, the watcher and reconcile --fix do;
 * - yedit_remove_item() of the first worker (what the blacklist does to
 *   its list).
 *
 * Accepted: the new text parses; every other worker reads as before, field
 * by field, and the edited one too but for the field set (a mapping shared
 * through a merge key would show here); the tree is the old one except the
 * value of the key set (or the pair added) or the item removed.  Refused:
 * a message, and the text as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/registry.h"

#define PATH "workers.yaml"

static const char *text;	/* the input, for messages */
static size_t text_len;

static void
bad(const char *what, const char *op, const struct ydoc *d)
{
	fprintf(stderr, "property violated (%s): %s\n--- input:\n%.*s\n", op, what, (int)text_len,
		text);
	if (d && d->text)
		fprintf(stderr, "--- after:\n%.*s\n", (int)d->len, d->text);
	abort();
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Do two workers read the same (line aside)?  skip names a field not to
 * compare. */
static int
worker_eq(const struct worker *a, const struct worker *b, const char *skip)
{
	const char *sa[] = { a->id, a->kind, a->pool, a->workspace, a->host, a->user, a->key,
			     a->ssh_mode, a->notes, a->heartbeat, a->busy, a->slurm_partition,
			     a->slurm_account, a->slurm_time, a->slurm_gres, a->slurm_qos,
			     a->slurm_mem, a->slurm_extra, a->slurm_conf };
	const char *sb[] = { b->id, b->kind, b->pool, b->workspace, b->host, b->user, b->key,
			     b->ssh_mode, b->notes, b->heartbeat, b->busy, b->slurm_partition,
			     b->slurm_account, b->slurm_time, b->slurm_gres, b->slurm_qos,
			     b->slurm_mem, b->slurm_extra, b->slurm_conf };
	for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++)
		if ((i != 4 || strcmp(skip, "host")) && !str_eq(sa[i], sb[i]))
			return 0;
	return (!strcmp(skip, "port") || a->port == b->port) &&
	       (!strcmp(skip, "enabled") || a->enabled == b->enabled) && a->slots == b->slots &&
	       a->gpus == b->gpus && a->instance_id == b->instance_id && a->dph == b->dph &&
	       a->unreachable_after == b->unreachable_after && a->max_jobs == b->max_jobs &&
	       a->slurm_cpus == b->slurm_cpus;
}

struct cmp {
	const struct ydoc *a, *b;
	const struct ynode *at;		/* the old node the edit is in */
	const char *const *keys;	/* set: the dotted key, split; NULL: remove item 0 of at */
	size_t nkeys;
	const char *want;		/* the value set */
};

static int same(const struct cmp *c, const struct ynode *a, const struct ynode *b);

/* Below mapping a (keys[k..] still to follow), b must be a with keys set. */
static int
set_ok(const struct cmp *c, const struct ynode *a, const struct ynode *b, size_t k)
{
	const char *key;
	long last = -1;
	size_t i;

	if (k == c->nkeys) {
		/* the scalar set */
		return b->type == Y_SCALAR && !b->alias_of && !b->plain_null &&
		       !strcmp(b->value, c->want);
	}
	key = c->keys[k];
	if (!a || (a->type == Y_SCALAR && a->plain_null)) {
		/* created: a mapping of the one key (the last) */
		return b->type == Y_MAP && k + 1 == c->nkeys && b->n == 1 &&
		       b->items[0]->type == Y_SCALAR && !strcmp(b->items[0]->value, key) &&
		       set_ok(c, NULL, b->items[1], k + 1);
	}
	if (a->type != Y_MAP || b->type != Y_MAP || a->alias_of || b->alias_of ||
	    (b->n != a->n && b->n != a->n + 1))
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->items[2 * i]->type == Y_SCALAR && !strcmp(a->items[2 * i]->value, key))
			last = (long)i;
	for (i = 0; i < a->n; i++) {
		if (!same(c, a->items[2 * i], b->items[2 * i]))
			return 0;
		if ((long)i == last && b->n == a->n) {
			if (!set_ok(c, a->items[2 * i + 1], b->items[2 * i + 1], k + 1))
				return 0;
		} else if (!same(c, a->items[2 * i + 1], b->items[2 * i + 1]))
			return 0;
	}
	if (b->n == a->n + 1) {
		const struct ynode *nk = b->items[2 * a->n];
		return nk->type == Y_SCALAR && !strcmp(nk->value, key) &&
		       set_ok(c, NULL, b->items[2 * a->n + 1], k + 1);
	}
	return last >= 0;
}

/* Old node a and new node b read the same, but for the edit. */
static int
same(const struct cmp *c, const struct ynode *a, const struct ynode *b)
{
	if (a == c->at) {
		if (c->keys)
			return set_ok(c, a, b, 0);
		if (a->n == 1)
			return !b->alias_of && ((b->type == Y_SCALAR && b->plain_null) ||
						(b->type == Y_SEQ && !b->n));
		if (b->type != Y_SEQ || b->alias_of || b->n + 1 != a->n || b->style != a->style)
			return 0;
		for (size_t i = 0; i < b->n; i++)
			if (!same(c, a->items[i + 1], b->items[i]))
				return 0;
		return 1;
	}
	/* An alias is compared by name, and by kind unless it names the node
	 * edited (an alias of a list whose last item goes reads null too). */
	if (!a->alias_of != !b->alias_of || (a->type != b->type && a->alias_of != c->at))
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

static int
load(struct registry *r, const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	int ret;
	r->path = xstrdup(PATH);
	ret = ydoc_parse(&r->doc, r->path, (const char *)data, size, &err) == 0 &&
	      registry_reindex(r, &err) == 0;
	buf_release(&err);
	return ret;
}

/* Set dotted (split in keys) of worker t (of the registry in data) to value. */
static void
try_set(const uint8_t *data, size_t size, size_t t, const char *dotted, const char *const *keys,
	size_t nkeys, const char *value, int quote, const char *field)
{
	struct registry old = REGISTRY_INIT, r = REGISTRY_INIT, nr = REGISTRY_INIT;
	struct buf err = BUF_INIT;

	if (!load(&old, data, size) || !load(&r, data, size))
		bad("a registry that loaded once and not twice", dotted, NULL);
	const char *id = old.w[t].id;
	if (registry_set(&r, id, dotted, value, quote, &err) < 0) {
		if (!err.len)
			bad("a refused edit without a message", dotted, NULL);
		if (r.doc.len != size || memcmp(r.doc.text, data, size))
			bad("a refused edit changed the text", dotted, &r.doc);
		goto out;
	}
	if (!load(&nr, (const uint8_t *)r.doc.text, r.doc.len))
		bad("an accepted edit does not load", dotted, &r.doc);
	if (nr.n != old.n)
		bad("the number of workers changed", dotted, &r.doc);
	for (size_t i = 0; i < old.n; i++)
		if (!worker_eq(&old.w[i], &nr.w[i], i == t ? field : ""))
			bad("a worker reads differently", dotted, &r.doc);
	const struct worker *w = &nr.w[t];
	if (!strcmp(field, "enabled") ? w->enabled != 0
	    : !strcmp(field, "port") ? w->port != 2222 : !str_eq(w->host, value))
		bad("the field set does not read back", dotted, &r.doc);
	struct cmp c = { &old.doc, &nr.doc, registry_node(&old, id), keys, nkeys, NULL };
	c.want = !strcmp(field, "enabled") ? "false" : value;
	if (!same(&c, old.doc.root, nr.doc.root))
		bad("another value changed", dotted, &r.doc);
out:
	registry_release(&old);
	registry_release(&r);
	registry_release(&nr);
	buf_release(&err);
}

static void
try_remove(const uint8_t *data, size_t size)
{
	struct registry old = REGISTRY_INIT, r = REGISTRY_INIT, nr = REGISTRY_INIT;
	struct buf err = BUF_INIT;

	if (!load(&old, data, size) || !load(&r, data, size))
		bad("a registry that loaded once and not twice", "remove", NULL);
	const struct ynode *ws = ymap_get(r.doc.root, "workers");
	if (yedit_remove_item(&r.doc, ws, 0, &err) < 0) {
		if (!err.len)
			bad("a refused removal without a message", "remove", NULL);
		if (r.doc.len != size || memcmp(r.doc.text, data, size))
			bad("a refused removal changed the text", "remove", &r.doc);
		goto out;
	}
	if (!load(&nr, (const uint8_t *)r.doc.text, r.doc.len))
		bad("an accepted removal does not load", "remove", &r.doc);
	if (nr.n + 1 != old.n)
		bad("not one worker less", "remove", &r.doc);
	for (size_t i = 0; i < nr.n; i++)
		if (!worker_eq(&old.w[i + 1], &nr.w[i], ""))
			bad("a worker reads differently", "remove", &r.doc);
	struct cmp c = { &old.doc, &nr.doc, ymap_get(old.doc.root, "workers"), NULL, 0, NULL };
	if (!same(&c, old.doc.root, nr.doc.root))
		bad("another value changed", "remove", &r.doc);
out:
	registry_release(&old);
	registry_release(&r);
	registry_release(&nr);
	buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const k_enabled[] = { "enabled" };
	static const char *const k_port[] = { "ssh", "port" };
	static const char *const k_host[] = { "ssh", "host" };
	struct registry r = REGISTRY_INIT;
	size_t t = SIZE_MAX;

	text = (const char *)data;
	text_len = size;
	if (!load(&r, data, size))
		goto out;
	/* the last worker with an id (registry_set edits the last entry
	 * of that id, which is the one registry_find reads) */
	for (size_t i = 0; i < r.n; i++)
		if (r.w[i].id && registry_find(&r, r.w[i].id) == &r.w[i])
			t = i;
	if (t != SIZE_MAX) {
		try_set(data, size, t, "enabled", k_enabled, 1, "false", 0, "enabled");
		try_set(data, size, t, "ssh.port", k_port, 2, "2222", 0, "port");
		try_set(data, size, t, "ssh.host", k_host, 2, "new host: x # y", 1, "host");
	}
	if (r.n)
		try_remove(data, size);
out:
	registry_release(&r);
	return 0;
}
