/*
 * hunt.c - profiles, project hardware, blacklist, the hunt's query (see hunt.h).
 */
#include "vast/hunt.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store/project.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/cost.h"

/* Defaults of the built-in profiles, applied before their query. */
static const struct {
	const char *name, *image;
	double disk_gb;
} builtin_defaults[] = {
	{ "pytorch", "pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime", 32 },
	{ "jax", "nvcr.io/nvidia/jax:24.04-py3", 32 },
};

void
vast_hunt_init(struct vast_hunt *h)
{
	memset(h, 0, sizeof *h);
	h->ref_hours = h->ref_dlp = h->data_gb = h->disk_gb = NAN;
	h->max_dph = h->min_vram_gb = h->min_cuda = h->min_reliability = NAN;
	h->min_dlperf_usd = h->min_disk_space = NAN;
	h->min_ports = -1;
}

void
vast_hunt_release(struct vast_hunt *h)
{
	free(h->profile);
	free(h->profile_query);
	free(h->project_query);
	free(h->query);
	free(h->image);
	free(h->onstart);
	free(h->order);
	strv_release(&h->gpus);
	strv_release(&h->exclude_geo);
	free(h->exclude_ids);
	vast_hunt_init(h);
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

/* A list item of gpu / exclude_geolocation: no characters the query
 * language would take apart. */
int
vast_list_item_ok(const char *s)
{
	if (!*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || strchr("[],\"'", *p))
			return 0;
	return 1;
}

/* Replace list with the items of a sequence or a comma-separated scalar. */
static int
set_list(struct strv *list, const struct ynode *n, const char *what, struct buf *err)
{
	struct strv items = STRV_INIT;
	if (n->type == Y_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			if (n->items[i]->type != Y_SCALAR || !n->items[i]->value) {
				buf_addf(err, "%s: items must be plain values", what);
				strv_release(&items);
				return -1;
			}
			strv_push(&items, n->items[i]->value);
		}
	} else if (n->type == Y_SCALAR && n->value && !n->plain_null) {
		split_list(n->value, ',', &items);
	}
	for (size_t i = 0; i < items.n; i++)
		if (!vast_list_item_ok(items.v[i])) {
			buf_addf(err, "%s: bad item '%s'", what, items.v[i]);
			strv_release(&items);
			return -1;
		}
	strv_release(list);
	*list = items;
	return 0;
}

/* Apply the settings of mapping m (a profile entry or a hardware section)
 * to h.  where: "FILE" for messages. */
static int
apply_map(const struct ynode *m, struct vast_hunt *h, const char *where, struct buf *err)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{ "ref_hours", offsetof(struct vast_hunt, ref_hours) },
		{ "ref_dlp", offsetof(struct vast_hunt, ref_dlp) },
		{ "data_gb", offsetof(struct vast_hunt, data_gb) },
		{ "disk_gb", offsetof(struct vast_hunt, disk_gb) },
		{ "max_dph", offsetof(struct vast_hunt, max_dph) },
		{ "min_vram_gb", offsetof(struct vast_hunt, min_vram_gb) },
		{ "min_cuda", offsetof(struct vast_hunt, min_cuda) },
		{ "min_reliability", offsetof(struct vast_hunt, min_reliability) },
	};
	const struct ynode *v;
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		double d;
		if (!(v = ymap_get(m, nums[i].key)) || (v->type == Y_SCALAR && v->plain_null))
			continue;
		if (ynode_double(v, &d) < 0 || d < 0) {
			warning("%s:%d:%d: %s is not a non-negative number; ignored", where, v->line, v->col,
				nums[i].key);
			continue;
		}
		*(double *)((char *)h + nums[i].off) = d;
	}
	if ((v = ymap_get(m, "num_gpus")) && !(v->type == Y_SCALAR && v->plain_null)) {
		long long n;
		if (ynode_long(v, &n) < 0 || n < 1 || n > 64)
			warning("%s:%d:%d: num_gpus is not a number from 1 to 64; ignored", where, v->line, v->col);
		else
			h->num_gpus = n;
	}
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "image", offsetof(struct vast_hunt, image) },
		{ "onstart", offsetof(struct vast_hunt, onstart) },
		{ "order", offsetof(struct vast_hunt, order) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		const char *s = ymap_str(m, strs[i].key);
		if (s && *s)
			set_str((char **)((char *)h + strs[i].off), s);
	}
	const char *lists[] = { "gpu", "exclude_geolocation" };
	struct strv *dst[] = { &h->gpus, &h->exclude_geo };
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (!(v = ymap_get(m, lists[i])))
			continue;
		char *what = xasprintf("%s:%d:%d: %s", where, v->line, v->col, lists[i]);
		int r = set_list(dst[i], v, what, err);
		free(what);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The entry of profile name in root/vastai/profiles.yaml: 1 found (applied),
 * 0 not there, -1 error. */
static int
user_profile(const char *root, const char *name, struct vast_hunt *h, struct buf *err)
{
	char *path = path_join(root, "vastai/profiles.yaml");
	struct ydoc d = YDOC_INIT;
	int ret = 0;
	if (!file_exists(path))
		goto out;
	if (ydoc_load(&d, path, err) < 0) {
		ret = -1;
		goto out;
	}
	if (d.root && d.root->type != Y_MAP) {
		buf_addf(err, "%s:%d:%d: expected a mapping from profile name to its settings", path,
			 d.root->line, d.root->col);
		ret = -1;
		goto out;
	}
	const struct ynode *p = ymap_get(d.root, name);
	if (!p)
		goto out;
	if (p->type == Y_SCALAR) {
		set_str(&h->profile_query, p->value);
	} else if (p->type == Y_MAP) {
		set_str(&h->profile_query, ymap_str(p, "query"));
		if (apply_map(p, h, path, err) < 0) {
			ret = -1;
			goto out;
		}
	} else {
		buf_addf(err, "%s:%d:%d: profile '%s' must be a query string or a mapping", path, p->line,
			 p->col, name);
		ret = -1;
		goto out;
	}
	ret = 1;
out:
	ydoc_release(&d);
	free(path);
	return ret;
}

char *
vast_profile_names(const char *root)
{
	struct buf b = BUF_INIT;
	struct ydoc d = YDOC_INIT;
	struct buf err = BUF_INIT;
	char *path = path_join(root, "vastai/profiles.yaml");
	for (size_t i = 0; vast_profiles[i]; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", vast_profiles[i]);
	if (file_exists(path) && ydoc_load(&d, path, &err) == 0 && d.root && d.root->type == Y_MAP)
		for (size_t i = 0; i < d.root->n; i++) {
			const char *k = d.root->items[2 * i]->value;
			if (k && !vast_profile_query(k))
				buf_addf(&b, ", %s", k);
		}
	ydoc_release(&d);
	buf_release(&err);
	free(path);
	return buf_detach(&b);
}

static int
apply_profile(const char *root, const char *name, struct vast_hunt *h, struct buf *err)
{
	const char *q = vast_profile_query(name);
	set_str(&h->profile, name);
	for (size_t i = 0; q && i < ARRAY_SIZE(builtin_defaults); i++)
		if (!strcmp(builtin_defaults[i].name, name)) {
			set_str(&h->image, builtin_defaults[i].image);
			h->disk_gb = builtin_defaults[i].disk_gb;
		}
	set_str(&h->profile_query, q);
	int r = user_profile(root, name, h, err);
	if (r < 0)
		return -1;
	if (r == 0 && !q) {
		char *names = vast_profile_names(root);
		buf_addf(err, "unknown profile '%s' (known: %s; add your own in vastai/profiles.yaml)", name, names);
		free(names);
		return -1;
	}
	return 0;
}

int
vast_hunt_load(const char *root, const char *profile, const char *project, struct vast_hunt *h,
	       struct buf *err)
{
	struct ydoc d = YDOC_INIT;
	char *path = NULL;
	const struct ynode *hw = NULL;
	int ret = -1;

	if (project) {
		if (!project_exists(root, project)) {
			buf_addf(err, "unknown project '%s' (no folder research/%s)", project, project);
			goto out;
		}
		path = xasprintf("%s/research/%s/project.yaml", root, project);
		if (ydoc_load(&d, path, err) < 0)
			goto out;
		hw = ymap_get(d.root, "hardware");
		if (hw && hw->type != Y_MAP && !(hw->type == Y_SCALAR && hw->plain_null)) {
			buf_addf(err, "%s:%d:%d: `hardware` must be a mapping", path, hw->line, hw->col);
			goto out;
		}
		if (hw && hw->type != Y_MAP)
			hw = NULL;
		if (!profile)
			profile = ymap_str(hw, "profile");
	}
	if (profile && apply_profile(root, profile, h, err) < 0)
		goto out;
	if (hw) {
		set_str(&h->project_query, ymap_str(hw, "query"));
		if (apply_map(hw, h, path, err) < 0)
			goto out;
		if (!ymap_str(hw, "image"))
			if (ymap_str(ymap_get(d.root, "environment"), "docker_image"))
				set_str(&h->image, ymap_str(ymap_get(d.root, "environment"), "docker_image"));
	}
	ret = 0;
out:
	ydoc_release(&d);
	free(path);
	return ret;
}

static void
add_num(struct buf *q, const char *term, double v)
{
	buf_addf(q, "%s%s%.10g", q->len ? " " : "", term, v);
}

static void
add_list(struct buf *q, const char *term, const struct strv *l)
{
	buf_addf(q, "%s%s [", q->len ? " " : "", term);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_addc(q, ',');
		for (const char *p = l->v[i]; *p; p++)
			buf_addc(q, *p == ' ' ? '_' : *p);
	}
	buf_addc(q, ']');
}

char *
vast_hunt_query_string(const struct vast_hunt *h)
{
	struct buf q = BUF_INIT;
	if (h->profile_query && *h->profile_query)
		buf_adds(&q, h->profile_query);
	if (h->project_query && *h->project_query)
		buf_addf(&q, "%s%s", q.len ? " " : "", h->project_query);
	if (!isnan(h->min_vram_gb))
		add_num(&q, "gpu_ram>=", h->min_vram_gb);
	if (!isnan(h->min_cuda))
		add_num(&q, "cuda_max_good>=", h->min_cuda);
	if (!isnan(h->min_reliability))
		add_num(&q, "reliability>=", h->min_reliability);
	if (!isnan(h->min_dlperf_usd))
		add_num(&q, "dlperf_usd>=", h->min_dlperf_usd);
	if (!isnan(h->disk_gb) || !isnan(h->min_disk_space))
		add_num(&q, "disk_space>=", isnan(h->disk_gb) ? h->min_disk_space :
			isnan(h->min_disk_space) ? h->disk_gb : fmax(h->disk_gb, h->min_disk_space));
	if (h->min_ports >= 0)
		add_num(&q, "direct_port_count>=", (double)h->min_ports);
	if (!isnan(h->max_dph))
		add_num(&q, "dph<=", h->max_dph);
	if (h->num_gpus > 0)
		add_num(&q, "num_gpus=", (double)h->num_gpus);
	if (h->gpus.n)
		add_list(&q, "gpu_name in", &h->gpus);
	if (h->exclude_geo.n)
		add_list(&q, "geolocation notin", &h->exclude_geo);
	if (h->n_exclude) {
		buf_addf(&q, "%sid notin [", q.len ? " " : "");
		for (size_t i = 0; i < h->n_exclude; i++)
			buf_addf(&q, "%s%lld", i ? "," : "", h->exclude_ids[i]);
		buf_addc(&q, ']');
	}
	if (h->query && *h->query)
		buf_addf(&q, "%s%s", q.len ? " " : "", h->query);
	return buf_detach(&q);
}

/* ---- blacklist ---- */

static int
bl_item(struct vast_blacklist *bl, const struct ynode *it, const char *path, struct buf *err)
{
	const struct ynode *v = it->type == Y_MAP ? ymap_get(it, "machine_id") : it;
	long long id;
	if (!v || ynode_long(v, &id) < 0 || id <= 0) {
		const struct ynode *at = v ? v : it;
		buf_addf(err, "%s:%d:%d: a blacklist entry needs a numeric machine_id", path, at->line, at->col);
		return -1;
	}
	GROW(bl->ids, bl->alloc, bl->n + 1);
	bl->ids[bl->n++] = id;
	return 0;
}

int
vast_blacklist_load(const char *root, struct vast_blacklist *bl, struct buf *err)
{
	char *path = path_join(root, "vastai/blacklist.yaml");
	struct ydoc d = YDOC_INIT;
	const struct ynode *list;
	int ret = -1;

	if (!file_exists(path)) {
		ret = 0;
		goto out;
	}
	if (ydoc_load(&d, path, err) < 0)
		goto out;
	list = d.root && d.root->type == Y_MAP ? ymap_get(d.root, "blacklist") : d.root;
	if (!list || (list->type == Y_SCALAR && list->plain_null)) {
		ret = 0;
		goto out;
	}
	if (list->type != Y_SEQ) {
		buf_addf(err, "%s:%d:%d: expected `blacklist:` with a list of {machine_id, reason, date}",
			 path, list->line, list->col);
		goto out;
	}
	for (size_t i = 0; i < list->n; i++)
		if (bl_item(bl, list->items[i], path, err) < 0)
			goto out;
	ret = 0;
out:
	ydoc_release(&d);
	free(path);
	return ret;
}

int
vast_blacklisted(const struct vast_blacklist *bl, long long machine_id)
{
	for (size_t i = 0; i < bl->n; i++)
		if (bl->ids[i] == machine_id)
			return 1;
	return 0;
}

void
vast_blacklist_release(struct vast_blacklist *bl)
{
	free(bl->ids);
	memset(bl, 0, sizeof *bl);
}

json_t *
vast_drop_blacklisted(const json_t *offers, const struct vast_blacklist *bl, size_t *hidden)
{
	json_t *out = json_array(), *o;
	size_t i;
	*hidden = 0;
	json_array_foreach(offers, i, o) {
		long long m;
		if (vast_json_int(json_object_get(o, "machine_id"), &m) == 0 && vast_blacklisted(bl, m)) {
			(*hidden)++;
			continue;
		}
		json_array_append(out, o);
	}
	return out;
}

json_t *
vast_drop_offer_ids(const json_t *offers, const long long *ids, size_t n, size_t *dropped)
{
	json_t *out = json_array(), *o;
	size_t i, k;
	*dropped = 0;
	json_array_foreach(offers, i, o) {
		long long id;
		if (vast_json_int(json_object_get(o, "id"), &id) == 0) {
			for (k = 0; k < n && ids[k] != id; k++)
				;
			if (k < n) {
				(*dropped)++;
				continue;
			}
		}
		json_array_append(out, o);
	}
	return out;
}

json_t *
vast_drop_dear(const json_t *offers, double max_dph, size_t *dropped)
{
	json_t *out = json_array(), *o;
	size_t i;
	*dropped = 0;
	json_array_foreach(offers, i, o) {
		double d;
		if (!isnan(max_dph) && jnum(o, "dph_total", &d) == 0 && d > max_dph + 1e-12) {
			(*dropped)++;
			continue;
		}
		json_array_append(out, o);
	}
	return out;
}
