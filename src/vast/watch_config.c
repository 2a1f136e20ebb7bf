/*
 * watch_config.c - vastai/watcher.yaml: defaults, validation, what the
 * settings add up to (see watch.h).
 */
#include "vast/watch.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/yaml.h"
#include "vast/hunt.h"
#include "vast/query.h"

#define DEFAULT_DISK_GB 32

/* ---- the settings ---- */

enum kind {
	K_NUM,		/* a number >= min (> min with STRICT); NAN: unset */
	K_WHOLE,	/* a whole number from min to max */
	K_BOOL,
	K_STR,		/* a string, or null: unset */
	K_LIST,		/* a list, or a comma-separated string, of plain names */
	K_SSH_MODE,	/* proxy or direct */
};

enum {
	STRICT = 1 << 0,	/* K_NUM: more than min */
	ZERO_NULL = 1 << 1,	/* K_WHOLE: 0 is unset */
	EMPTY_NULL = 1 << 2,	/* K_STR: "" is unset */
	NOT_EMPTY = 1 << 3,	/* K_STR: "" is refused */
	NAME = 1 << 4,		/* K_STR: a plain name, never unset */
};

#define F(m) offsetof(struct watch_config, m)
#define AT(m) .off = F(m), .shown = F(m)

/* Every key of watcher.yaml, in the file's order: how it reads, where it
 * goes, its default, and what the settings in effect show for it (the
 * image, disk and onstart rented with, for those three). */
static const struct key {
	const char *name;
	enum kind kind;
	size_t off, shown, set;	/* set: K_LIST, the flag that it was given */
	double min, max, dflt;
	const char *sdflt;	/* K_STR */
	unsigned flags;
	const char *what;	/* "KEY must be WHAT" */
} keys[] = {
	{ "interval_seconds", K_NUM, AT(interval_s), .min = 1, .dflt = 300, .what = "a number of seconds, at least 1" },
	{ "max_dph", K_NUM, AT(max_dph), .dflt = 0.10, .flags = STRICT, .what = "a positive number ($/hr)" },
	{ "min_dlp_per_dollar", K_NUM, AT(min_dlp), .dflt = 180, .what = "a number, 0 or more" },
	{ "profile", K_STR, AT(profile), .flags = EMPTY_NULL },
	{ "query", K_STR, AT(query) },
	{ "min_vram_gb", K_NUM, AT(min_vram_gb), .dflt = NAN, .what = "a number, 0 or more" },
	{ "min_cuda", K_NUM, AT(min_cuda), .dflt = NAN, .what = "a number, 0 or more" },
	{ "min_reliability", K_NUM, AT(min_reliability), .dflt = NAN, .what = "a number, 0 or more" },
	{ "num_gpus", K_WHOLE, AT(num_gpus), .min = 1, .max = 64, .flags = ZERO_NULL,
	  .what = "a whole number from 1 to 64" },
	{ "gpu", K_LIST, AT(gpus), .set = F(gpus_set) },
	{ "exclude_geolocation", K_LIST, AT(exclude_geo), .set = F(geo_set) },
	{ "image", K_STR, .off = F(image), .shown = F(rent_image), .flags = NOT_EMPTY },
	{ "disk_gb", K_NUM, .off = F(disk_gb), .shown = F(rent_disk), .dflt = NAN, .flags = STRICT,
	  .what = "a positive number (GB)" },
	{ "onstart", K_STR, .off = F(onstart), .shown = F(rent_onstart) },
	{ "worker_pool", K_STR, AT(pool), .sdflt = "vastai", .flags = NAME },
	{ "ssh_mode", K_SSH_MODE, AT(direct) },
	{ "ssh_key", K_STR, AT(ssh_key) },
	{ "workspace", K_STR, AT(workspace) },
	{ "setup_worker", K_BOOL, AT(setup_worker) },
	{ "max_instances", K_WHOLE, AT(max_instances), .max = 1000, .dflt = 2,
	  .what = "a whole number from 0 to 1000" },
	{ "max_total_dph", K_NUM, AT(max_total_dph), .dflt = 0.20, .what = "a number, 0 or more ($/hr)" },
	{ "only_when_pending", K_BOOL, AT(only_when_pending), .dflt = 1 },
	{ "idle_destroy_minutes", K_NUM, AT(idle_minutes), .dflt = 30,
	  .what = "a number of minutes, 0 or more (0: never)" },
	{ "boot_timeout_seconds", K_WHOLE, AT(boot_timeout_s), .min = 1, .max = 86400, .dflt = 900,
	  .what = "a whole number of seconds from 1 to 86400" },
};

#define MEMBER(c, type, off) ((type *)((char *)(c) + (off)))
#define CMEMBER(c, type, off) ((const type *)((const char *)(c) + (off)))

void
watch_config_init(struct watch_config *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		if (k->kind == K_NUM)
			*MEMBER(c, double, k->off) = k->dflt;
		else if (k->kind == K_WHOLE)
			*MEMBER(c, long long, k->off) = (long long)k->dflt;
		else if (k->kind == K_BOOL)
			*MEMBER(c, int, k->off) = (int)k->dflt;
		else if (k->kind == K_STR && k->sdflt)
			*MEMBER(c, char *, k->off) = xstrdup(k->sdflt);
	}
}

void
watch_config_release(struct watch_config *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].kind == K_STR)
			free(*MEMBER(c, char *, keys[i].off));
		else if (keys[i].kind == K_LIST)
			strv_release(MEMBER(c, struct strv, keys[i].off));
	free(c->rent_image);
	free(c->rent_onstart);
	free(c->query_string);
	json_decref(c->query_obj);
	memset(c, 0, sizeof *c);
}

/* ---- reading one key ---- */

struct rd {
	const char *path;	/* for messages */
	struct buf *err;
};

static int PRINTF(3, 4)
bad(struct rd *r, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	if (at)
		buf_addf(r->err, "%s:%d:%d: ", r->path, at->line, at->col);
	else
		buf_addf(r->err, "%s: ", r->path);
	va_start(ap, fmt);
	buf_vaddf(r->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A number >= min (> min when strict). */
static int
num(struct rd *r, const struct ynode *v, const char *key, double min, int strict, double *out,
    const char *what)
{
	double d;
	if (v->type != Y_SCALAR || v->plain_null || ynode_double(v, &d) < 0 || d < min ||
	    (strict && d <= min))
		return bad(r, v, "%s must be %s", key, what);
	*out = d;
	return 0;
}

static int
whole(struct rd *r, const struct ynode *v, const char *key, long long min, long long max,
      long long *out, const char *what)
{
	long long n;
	if (v->type != Y_SCALAR || v->plain_null || ynode_long(v, &n) < 0 || n < min || n > max)
		return bad(r, v, "%s must be %s", key, what);
	*out = n;
	return 0;
}

static int
boolean(struct rd *r, const struct ynode *v, const char *key, int *out)
{
	if (v->type != Y_SCALAR || ynode_bool(v, out) < 0)
		return bad(r, v, "%s must be true or false", key);
	return 0;
}

/* A string, or NULL for a null value (unset). */
static int
str(struct rd *r, const struct ynode *v, const char *key, char **out)
{
	if (v->type != Y_SCALAR)
		return bad(r, v, "%s must be a single value, not a %s", key,
			   v->type == Y_MAP ? "mapping" : "list");
	free(*out);
	*out = v->plain_null ? NULL : xstrdup(v->value);
	return 0;
}

/* A list, or a comma-separated string, of names. */
static int
list(struct rd *r, const struct ynode *v, const char *key, struct strv *out, int *set)
{
	struct strv items = STRV_INIT;
	if (v->type == Y_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			const struct ynode *it = v->items[i];
			if (it->type != Y_SCALAR || it->plain_null || !vast_list_item_ok(it->value)) {
				strv_release(&items);
				return bad(r, it, "%s: items must be plain names (no [ ] , or quotes)", key);
			}
			strv_push(&items, it->value);
		}
	} else if (v->type == Y_SCALAR && !v->plain_null) {
		split_list(v->value, ',', &items);
		for (size_t i = 0; i < items.n; i++)
			if (!vast_list_item_ok(items.v[i])) {
				bad(r, v, "%s: '%s' is not a plain name (no [ ] , or quotes)", key, items.v[i]);
				strv_release(&items);
				return -1;
			}
	} else if (v->type != Y_SCALAR) {
		return bad(r, v, "%s must be a list of names", key);
	}
	strv_release(out);
	*out = items;
	*set = 1;
	return 0;
}

/* ---- the whole file ---- */

/* A string key: the value, then what its flags ask of it. */
static int
str_key(struct rd *r, const struct key *k, const struct ynode *v, char **dst)
{
	if (str(r, v, k->name, dst) < 0)
		return -1;
	if ((k->flags & NAME) && (!*dst || !safe_name(*dst)))
		return bad(r, v, "%s must be a plain name (letters, digits, _ . -)", k->name);
	if ((k->flags & NOT_EMPTY) && *dst && !**dst)
		return bad(r, v, "%s must not be empty", k->name);
	if ((k->flags & EMPTY_NULL) && *dst && !**dst) {
		free(*dst);
		*dst = NULL;
	}
	return 0;
}

static int
read_key(struct rd *r, const struct key *k, const struct ynode *v, struct watch_config *c)
{
	void *dst = (char *)c + k->off;
	switch (k->kind) {
	case K_NUM:
		return num(r, v, k->name, k->min, k->flags & STRICT, dst, k->what);
	case K_WHOLE:
		return whole(r, v, k->name, (long long)k->min, (long long)k->max, dst, k->what);
	case K_BOOL:
		return boolean(r, v, k->name, dst);
	case K_STR:
		return str_key(r, k, v, dst);
	case K_LIST:
		return list(r, v, k->name, dst, MEMBER(c, int, k->set));
	case K_SSH_MODE:
		if (v->type != Y_SCALAR || !v->value || (strcmp(v->value, "proxy") && strcmp(v->value, "direct")))
			return bad(r, v, "ssh_mode must be proxy or direct");
		c->direct = !strcmp(v->value, "direct");
		return 0;
	}
	return -1;
}

static int
read_keys(struct rd *r, const struct ydoc *d, struct watch_config *c)
{
	const struct ynode *m = d->root;
	if (!m || (m->type == Y_SCALAR && m->plain_null))
		return 0;	/* an empty file: every default */
	if (m->type != Y_MAP)
		return bad(r, m, "expected a mapping of settings (key: value)");
	if (d->ndups) {
		const struct ydup *u = &d->dups[0];
		return bad(r, NULL, "%s is set twice (lines %d and %d)", u->key, u->line1, u->line2);
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *kn = m->items[2 * i], *v = m->items[2 * i + 1];
		const char *key = kn->value;
		size_t n;
		for (n = 0; n < ARRAY_SIZE(keys); n++)
			if (key && !strcmp(keys[n].name, key))
				break;
		if (n == ARRAY_SIZE(keys)) {
			struct buf known = BUF_INIT;
			for (size_t j = 0; j < ARRAY_SIZE(keys); j++)
				buf_addf(&known, "%s%s", j ? ", " : "", keys[j].name);
			bad(r, kn, "unknown key '%s' (known: %s)", key ? key : "?", known.s);
			buf_release(&known);
			return -1;
		}
		if (read_key(r, &keys[n], v, c) < 0)
			return -1;
	}
	return 0;
}

/* ssh_key and workspace as worker_check() will see them. */
static int
check_worker_fields(struct rd *r, const struct ydoc *d, const struct watch_config *c)
{
	struct worker probe = { 0 };
	struct buf why = BUF_INIT;
	probe.id = (char *)"vastai_auto_check";
	probe.kind = (char *)"ssh";
	probe.host = (char *)"ssh.vast.ai";
	probe.user = (char *)"root";
	probe.key = c->ssh_key;
	probe.workspace = c->workspace;
	if (worker_check(&probe, &why) == 0) {
		buf_release(&why);
		return 0;
	}
	const char *key = strstr(why.s, "workspace") ? "workspace" : "ssh_key";
	bad(r, ymap_get(d->root, key), "%s is not usable: %s", key,
	    strstr(why.s, ": ") ? strstr(why.s, ": ") + 2 : why.s);
	buf_release(&why);
	return -1;
}

/* Profile + keys: the query, the image, the disk. */
static int
resolve(struct rd *r, const char *root, const struct ydoc *d, struct watch_config *c)
{
	struct vast_hunt h;
	struct buf e = BUF_INIT;
	struct strv warnings = STRV_INIT;
	struct vast_offer_query qo = VAST_OFFER_QUERY_INIT;
	int ret = -1;

	vast_hunt_init(&h);
	if (c->profile && vast_hunt_load(root, c->profile, NULL, &h, &e) < 0) {
		bad(r, ymap_get(d->root, "profile"), "profile: %s", e.s);
		goto out;
	}
	h.max_dph = c->max_dph;
	if (!isnan(c->min_vram_gb))
		h.min_vram_gb = c->min_vram_gb;
	if (!isnan(c->min_cuda))
		h.min_cuda = c->min_cuda;
	if (!isnan(c->min_reliability))
		h.min_reliability = c->min_reliability;
	if (c->num_gpus)
		h.num_gpus = c->num_gpus;
	if (c->gpus_set) {
		strv_release(&h.gpus);
		for (size_t i = 0; i < c->gpus.n; i++)
			strv_push(&h.gpus, c->gpus.v[i]);
	}
	if (c->geo_set) {
		strv_release(&h.exclude_geo);
		for (size_t i = 0; i < c->exclude_geo.n; i++)
			strv_push(&h.exclude_geo, c->exclude_geo.v[i]);
	}
	if (!isnan(c->disk_gb))
		h.disk_gb = c->disk_gb;
	if (c->query)
		h.query = xstrdup(c->query);
	c->rent_image = c->image ? xstrdup(c->image) : h.image ? xstrdup(h.image) : NULL;
	c->rent_onstart = ymap_get(d->root, "onstart") ? (c->onstart ? xstrdup(c->onstart) : NULL) :
			  h.onstart ? xstrdup(h.onstart) : NULL;
	c->rent_disk = !isnan(h.disk_gb) ? h.disk_gb : DEFAULT_DISK_GB;
	if (!c->rent_image) {
		bad(r, NULL, "no image to rent with: set image, or a profile that has one");
		goto out;
	}
	struct buf q = BUF_INIT;
	char *base = vast_hunt_query_string(&h);
	buf_adds(&q, base);
	free(base);
	if (c->min_dlp > 0)
		buf_addf(&q, "%sdlperf_usd>=%.10g", q.len ? " " : "", c->min_dlp);
	c->query_string = buf_detach(&q);
	qo.order = "dlperf_usd-";
	qo.storage = c->rent_disk;
	c->query_obj = vast_offer_query(c->query_string, &qo, &warnings, &e);
	if (!c->query_obj) {
		const struct ynode *at = ymap_get(d->root, "query");
		bad(r, at ? at : ymap_get(d->root, "profile"), "query: %s", e.s);
		goto out;
	}
	ret = 0;
out:
	vast_hunt_release(&h);
	strv_release(&warnings);
	buf_release(&e);
	return ret;
}

int
watch_config_load(const char *root, struct watch_config *c, int *created, struct buf *err)
{
	char *path = path_join(root, WATCH_CONFIG);
	struct ydoc d = YDOC_INIT;
	struct rd r = { WATCH_CONFIG, err };
	char *text = NULL;
	size_t len = 0;
	int ret = -1;

	watch_config_init(c);
	if (created)
		*created = 0;
	if (!file_exists(path)) {
		size_t dlen;
		const char *dflt = embedded_get("data/watcher.yaml", &dlen);
		char *dir = path_join(root, "vastai");
		int w = mkdir_p(dir, 0755) < 0 ? -1 : write_new_file(path, dflt, dlen, 0644, err);
		if (w < 0 && !err->len)
			buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		free(dir);
		if (w < 0)
			goto out;
		if (created)
			*created = w > 0;
	}
	if (!(text = read_file(path, &len))) {
		buf_addf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (ydoc_parse(&d, WATCH_CONFIG, text, len, err) < 0)
		goto out;
	if (read_keys(&r, &d, c) < 0 || check_worker_fields(&r, &d, c) < 0 || resolve(&r, root, &d, c) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		watch_config_release(c);
	ydoc_release(&d);
	free(text);
	free(path);
	return ret;
}

static json_t *
strv_json(const struct strv *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

json_t *
watch_config_json(const struct watch_config *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		json_t *v = NULL;
		double d;
		long long n;
		const char *s;
		switch (k->kind) {
		case K_NUM:
			d = *CMEMBER(c, double, k->shown);
			v = isnan(d) ? json_null() : json_real(d);
			break;
		case K_WHOLE:
			n = *CMEMBER(c, long long, k->shown);
			v = !n && (k->flags & ZERO_NULL) ? json_null() : json_integer(n);
			break;
		case K_BOOL:
			v = json_boolean(*CMEMBER(c, int, k->shown));
			break;
		case K_STR:
			s = *CMEMBER(c, char *, k->shown);
			v = s ? json_string(s) : json_null();
			break;
		case K_LIST:
			v = *CMEMBER(c, int, k->set) ? strv_json(CMEMBER(c, struct strv, k->shown)) : json_null();
			break;
		case K_SSH_MODE:
			v = json_string(c->direct ? "direct" : "proxy");
			break;
		}
		json_object_set_new(o, k->name, v);
	}
	json_object_set_new(o, "query_string", json_string(c->query_string ? c->query_string : ""));
	return o;
}
