/*
 * watch_config.c - vastai/watcher.yaml: defaults, validation, what the
 * settings add up to (see watch.h).
 */
#include "vast/watch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/yaml.h"
#include "vast/hunt.h"
#include "vast/query.h"

#define DEFAULT_DISK_GB 32

static const char *const known_keys[] = {
	"interval_seconds", "max_dph", "min_dlp_per_dollar", "profile", "query", "min_vram_gb",
	"min_cuda", "min_reliability", "num_gpus", "gpu", "exclude_geolocation", "image", "disk_gb",
	"onstart", "worker_pool", "ssh_mode", "ssh_key", "workspace", "setup_worker", "max_instances",
	"max_total_dph", "only_when_pending", "idle_destroy_minutes", "boot_timeout_seconds", NULL,
};

void
watch_config_init(struct watch_config *c)
{
	memset(c, 0, sizeof *c);
	c->interval_s = 300;
	c->max_dph = 0.10;
	c->min_dlp = 180;
	c->min_vram_gb = c->min_cuda = c->min_reliability = NAN;
	c->disk_gb = NAN;
	c->pool = xstrdup("vastai");
	c->max_instances = 2;
	c->max_total_dph = 0.20;
	c->only_when_pending = 1;
	c->idle_minutes = 30;
	c->boot_timeout_s = 900;
}

void
watch_config_release(struct watch_config *c)
{
	char **s[] = { &c->profile, &c->query, &c->image, &c->onstart, &c->pool, &c->ssh_key,
		       &c->workspace, &c->rent_image, &c->rent_onstart, &c->query_string };
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		free(*s[i]);
	strv_release(&c->gpus);
	strv_release(&c->exclude_geo);
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
		char *s = xstrdup(v->value), *save = NULL;
		for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			size_t l = strlen(t);
			while (l && t[l - 1] == ' ')
				t[--l] = 0;
			if (!*t)
				continue;
			if (!vast_list_item_ok(t)) {
				free(s);
				strv_release(&items);
				return bad(r, v, "%s: '%s' is not a plain name (no [ ] , or quotes)", key, t);
			}
			strv_push(&items, t);
		}
		free(s);
	} else if (v->type != Y_SCALAR) {
		return bad(r, v, "%s must be a list of names", key);
	}
	strv_release(out);
	*out = items;
	*set = 1;
	return 0;
}

/* ---- the whole file ---- */

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
		const struct ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		const char *key = k->value;
		size_t n;
		for (n = 0; known_keys[n]; n++)
			if (key && !strcmp(known_keys[n], key))
				break;
		if (!key || !known_keys[n]) {
			struct buf kn = BUF_INIT;
			for (size_t j = 0; known_keys[j]; j++)
				buf_addf(&kn, "%s%s", j ? ", " : "", known_keys[j]);
			bad(r, k, "unknown key '%s' (known: %s)", key ? key : "?", kn.s);
			buf_release(&kn);
			return -1;
		}
		int rc = 0;
		if (!strcmp(key, "interval_seconds"))
			rc = num(r, v, key, 1, 0, &c->interval_s, "a number of seconds, at least 1");
		else if (!strcmp(key, "max_dph"))
			rc = num(r, v, key, 0, 1, &c->max_dph, "a positive number ($/hr)");
		else if (!strcmp(key, "min_dlp_per_dollar"))
			rc = num(r, v, key, 0, 0, &c->min_dlp, "a number, 0 or more");
		else if (!strcmp(key, "min_vram_gb"))
			rc = num(r, v, key, 0, 0, &c->min_vram_gb, "a number, 0 or more");
		else if (!strcmp(key, "min_cuda"))
			rc = num(r, v, key, 0, 0, &c->min_cuda, "a number, 0 or more");
		else if (!strcmp(key, "min_reliability"))
			rc = num(r, v, key, 0, 0, &c->min_reliability, "a number, 0 or more");
		else if (!strcmp(key, "num_gpus"))
			rc = whole(r, v, key, 1, 64, &c->num_gpus, "a whole number from 1 to 64");
		else if (!strcmp(key, "disk_gb"))
			rc = num(r, v, key, 0, 1, &c->disk_gb, "a positive number (GB)");
		else if (!strcmp(key, "max_instances"))
			rc = whole(r, v, key, 0, 1000, &c->max_instances, "a whole number from 0 to 1000");
		else if (!strcmp(key, "max_total_dph"))
			rc = num(r, v, key, 0, 0, &c->max_total_dph, "a number, 0 or more ($/hr)");
		else if (!strcmp(key, "idle_destroy_minutes"))
			rc = num(r, v, key, 0, 0, &c->idle_minutes, "a number of minutes, 0 or more (0: never)");
		else if (!strcmp(key, "boot_timeout_seconds"))
			rc = whole(r, v, key, 1, 86400, &c->boot_timeout_s, "a whole number of seconds from 1 to 86400");
		else if (!strcmp(key, "only_when_pending"))
			rc = boolean(r, v, key, &c->only_when_pending);
		else if (!strcmp(key, "setup_worker"))
			rc = boolean(r, v, key, &c->setup_worker);
		else if (!strcmp(key, "gpu"))
			rc = list(r, v, key, &c->gpus, &c->gpus_set);
		else if (!strcmp(key, "exclude_geolocation"))
			rc = list(r, v, key, &c->exclude_geo, &c->geo_set);
		else if (!strcmp(key, "ssh_mode")) {
			if (v->type != Y_SCALAR || !v->value ||
			    (strcmp(v->value, "proxy") && strcmp(v->value, "direct")))
				rc = bad(r, v, "ssh_mode must be proxy or direct");
			else
				c->direct = !strcmp(v->value, "direct");
		} else {
			char **dst = !strcmp(key, "profile") ? &c->profile : !strcmp(key, "query") ? &c->query :
				     !strcmp(key, "image") ? &c->image : !strcmp(key, "onstart") ? &c->onstart :
				     !strcmp(key, "worker_pool") ? &c->pool : !strcmp(key, "ssh_key") ? &c->ssh_key :
				     &c->workspace;
			rc = str(r, v, key, dst);
			if (rc == 0 && !strcmp(key, "worker_pool") && (!c->pool || !safe_name(c->pool)))
				rc = bad(r, v, "worker_pool must be a plain name (letters, digits, _ . -)");
			else if (rc == 0 && !strcmp(key, "image") && c->image && !*c->image)
				rc = bad(r, v, "image must not be empty");
			else if (rc == 0 && !strcmp(key, "profile") && c->profile && !*c->profile) {
				free(c->profile);
				c->profile = NULL;
			}
		}
		if (rc < 0)
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

static json_t *
opt_num(double d)
{
	return isnan(d) ? json_null() : json_real(d);
}

static json_t *
opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
watch_config_json(const struct watch_config *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "interval_seconds", json_real(c->interval_s));
	json_object_set_new(o, "max_dph", json_real(c->max_dph));
	json_object_set_new(o, "min_dlp_per_dollar", json_real(c->min_dlp));
	json_object_set_new(o, "profile", opt_str(c->profile));
	json_object_set_new(o, "query", opt_str(c->query));
	json_object_set_new(o, "min_vram_gb", opt_num(c->min_vram_gb));
	json_object_set_new(o, "min_cuda", opt_num(c->min_cuda));
	json_object_set_new(o, "min_reliability", opt_num(c->min_reliability));
	json_object_set_new(o, "num_gpus", c->num_gpus ? json_integer(c->num_gpus) : json_null());
	json_object_set_new(o, "gpu", c->gpus_set ? strv_json(&c->gpus) : json_null());
	json_object_set_new(o, "exclude_geolocation", c->geo_set ? strv_json(&c->exclude_geo) : json_null());
	json_object_set_new(o, "image", opt_str(c->rent_image));
	json_object_set_new(o, "disk_gb", json_real(c->rent_disk));
	json_object_set_new(o, "onstart", opt_str(c->rent_onstart));
	json_object_set_new(o, "worker_pool", json_string(c->pool));
	json_object_set_new(o, "ssh_mode", json_string(c->direct ? "direct" : "proxy"));
	json_object_set_new(o, "ssh_key", opt_str(c->ssh_key));
	json_object_set_new(o, "workspace", opt_str(c->workspace));
	json_object_set_new(o, "setup_worker", json_boolean(c->setup_worker));
	json_object_set_new(o, "max_instances", json_integer(c->max_instances));
	json_object_set_new(o, "max_total_dph", json_real(c->max_total_dph));
	json_object_set_new(o, "only_when_pending", json_boolean(c->only_when_pending));
	json_object_set_new(o, "idle_destroy_minutes", json_real(c->idle_minutes));
	json_object_set_new(o, "boot_timeout_seconds", json_integer(c->boot_timeout_s));
	json_object_set_new(o, "query_string", json_string(c->query_string ? c->query_string : ""));
	return o;
}
