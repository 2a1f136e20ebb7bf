/*
 * blacklist.c - vastai/blacklist.yaml: list, add, remove (see blacklist.h).
 */
#include "util/jx.h"
#include "vast/blacklist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/yaml.h"
#include "util/table.h"
#include "vast/values.h"

#define BL_REL "vastai/blacklist.yaml"

static const char new_file[] =
	"# Machines that vast-hunt and vastai-watcher never show nor rent.\n"
	"# Edit by hand or with `ros vastai-blacklist add|remove`; comments stay.\n"
	"blacklist:\n";

/* The list node of d in *list (NULL: none yet), checked item by item.
 * 0, or -1 with err. */
static int
find_list(const struct ydoc *d, const struct ynode **list, struct buf *err)
{
	const struct ynode *l;
	*list = NULL;
	if (!d->root)
		return 0;
	if (d->root->type == Y_MAP)
		l = ymap_get(d->root, "blacklist");
	else
		l = d->root;
	if (!l || (l->type == Y_SCALAR && l->plain_null))
		return 0;
	if (l->type != Y_SEQ) {
		buf_addf(err, "%s:%d:%d: expected `blacklist:` with a list of {machine_id, reason, date}",
			 d->path, l->line, l->col);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct ynode *it = l->items[i];
		const struct ynode *v = it->type == Y_MAP ? ymap_get(it, "machine_id") : it;
		long long id;
		if (!v || ynode_long(v, &id) < 0 || id <= 0) {
			const struct ynode *at = v ? v : it;
			buf_addf(err, "%s:%d:%d: a blacklist entry needs a numeric machine_id", d->path,
				 at->line, at->col);
			return -1;
		}
	}
	*list = l;
	return 0;
}

static long long
item_id(const struct ynode *it)
{
	long long id = 0;
	ynode_long(it->type == Y_MAP ? ymap_get(it, "machine_id") : it, &id);
	return id;
}

static json_t *
item_json(const struct ynode *it)
{
	const char *reason = it->type == Y_MAP ? ymap_str(it, "reason") : NULL;
	const char *date = it->type == Y_MAP ? ymap_str(it, "date") : NULL;
	return json_pack("{s:I,s:o,s:o,s:i}", "machine_id", (json_int_t)item_id(it),
			 "reason", reason ? json_string(reason) : json_null(),
			 "date", date ? json_string(date) : json_null(), "line", it->line);
}

/* Load the file into d; a missing file is the empty new_file (*missing). */
static int
load(const char *path, struct ydoc *d, int *missing, struct buf *err)
{
	*missing = !file_exists(path);
	if (*missing)
		return ydoc_parse(d, path, new_file, strlen(new_file), err);
	return ydoc_load(d, path, err);
}

json_t *
vast_blacklist_entries(const char *root, struct buf *err)
{
	char *path = path_join(root, BL_REL);
	struct ydoc d = YDOC_INIT;
	const struct ynode *list;
	json_t *out = NULL;
	int missing;

	if (load(path, &d, &missing, err) < 0 || find_list(&d, &list, err) < 0)
		goto done;
	out = json_array();
	for (size_t i = 0; list && i < list->n; i++)
		json_array_append_new(out, item_json(list->items[i]));
done:
	ydoc_release(&d);
	free(path);
	return out;
}

static int
save(const char *path, const struct ydoc *d, struct buf *err)
{
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
	else
		r = atomic_write(path, d->text, d->len, 0644, err);
	free(dir);
	return r;
}

int
vast_blacklist_add(const char *root, long long machine_id, const char *reason, json_t **old,
		   struct buf *err)
{
	char *path = path_join(root, BL_REL);
	struct store_lock l = STORE_LOCK_INIT;
	struct ydoc d = YDOC_INIT;
	const struct ynode *list;
	struct buf block = BUF_INIT;
	int missing, ret = -1;

	if (old)
		*old = NULL;
	if (store_lock(root, &l, err) < 0)
		goto out;
	if (load(path, &d, &missing, err) < 0 || find_list(&d, &list, err) < 0)
		goto out;
	for (size_t i = 0; list && i < list->n; i++)
		if (item_id(list->items[i]) == machine_id) {
			if (old)
				*old = item_json(list->items[i]);
			ret = 0;
			goto out;
		}
	char day[32];
	iso_now(day);
	day[10] = 0;
	buf_addf(&block, "machine_id: %lld\n", machine_id);
	if (reason && *reason) {
		char *q = yaml_quote(reason);
		buf_addf(&block, "reason: %s\n", q);
		free(q);
	}
	buf_addf(&block, "date: %s\n", day);
	int r;
	if (d.root && d.root->type == Y_SEQ)
		r = yedit_append_item(&d, d.root, block.s, err);
	else if (!d.root || d.root->type == Y_MAP)
		r = yedit_append_to(&d, NULL, "blacklist", block.s, err);
	else {
		buf_addf(err, "%s:%d:%d: expected `blacklist:` with a list of {machine_id, reason, date}",
			 path, d.root->line, d.root->col);
		goto out;
	}
	if (r < 0 || save(path, &d, err) < 0)
		goto out;
	ret = 1;
out:
	store_unlock(&l);
	ydoc_release(&d);
	buf_release(&block);
	free(path);
	return ret;
}

int
vast_blacklist_remove(const char *root, long long machine_id, struct buf *err)
{
	char *path = path_join(root, BL_REL);
	struct store_lock l = STORE_LOCK_INIT;
	struct ydoc d = YDOC_INIT;
	const struct ynode *list;
	int missing, ret = -1, removed = 0;

	if (store_lock(root, &l, err) < 0)
		goto out;
	if (load(path, &d, &missing, err) < 0 || find_list(&d, &list, err) < 0)
		goto out;
	/* From the last match back: removing one never moves an earlier one.
	 * Each edit re-parses d, so the list is looked up again. */
	for (size_t i = list ? list->n : 0; i-- > 0;) {
		if (item_id(list->items[i]) != machine_id)
			continue;
		if (yedit_remove_item(&d, list, i, err) < 0 || find_list(&d, &list, err) < 0)
			goto out;
		removed++;
		if (!list)
			break;
	}
	if (removed && save(path, &d, err) < 0)
		goto out;
	ret = removed;
out:
	store_unlock(&l);
	ydoc_release(&d);
	free(path);
	return ret;
}

int
vast_blacklist_show(const char *root, int json)
{
	struct buf err = BUF_INIT;
	json_t *rows = vast_blacklist_entries(root, &err), *r;
	size_t i;

	if (!rows) {
		error("%s", err.s);
		buf_release(&err);
		return 1;
	}
	if (json) {
		json_print(rows);
	} else if (!json_array_size(rows)) {
		printf("No machine is blacklisted (vastai/blacklist.yaml).\n");
	} else {
		struct table t;
		table_init(&t, 3, "MACHINE", "SINCE", "REASON");
		json_array_foreach(rows, i, r) {
			char id[32];
			char *date = vast_disp(jstr(r, "date"), 20, "-");
			char *why = vast_disp(jstr(r, "reason"), 80, "-");
			snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(r, "machine_id")));
			table_row(&t, id, date, why);
			free(date);
			free(why);
		}
		table_print(&t, stdout, 1);
		table_release(&t);
	}
	json_decref(rows);
	buf_release(&err);
	return 0;
}
