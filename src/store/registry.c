/*
 * registry.c - the worker registry (see registry.h).
 */
#include "store/registry.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static char *
dupstr(const struct ynode *map, const char *key)
{
	const char *s = ymap_str(map, key);
	return s ? xstrdup(s) : NULL;
}

static void
worker_free(struct worker *w)
{
	char **fields[] = { &w->id, &w->kind, &w->pool, &w->workspace, &w->host, &w->user, &w->key,
			    &w->ssh_mode, &w->notes, &w->heartbeat, &w->busy, &w->slurm_partition,
			    &w->slurm_account, &w->slurm_time, &w->slurm_gres, &w->slurm_qos,
			    &w->slurm_mem, &w->slurm_extra, &w->slurm_conf };
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		free(*fields[i]);
	memset(w, 0, sizeof *w);
}

static long long
num(const struct ynode *map, const char *path, long long dflt)
{
	long long v;
	return ynode_long(ypath(map, path), &v) == 0 ? v : dflt;
}

static void
read_worker(struct worker *w, const struct ynode *m)
{
	w->line = m->line;
	w->id = dupstr(m, "worker_id");
	w->kind = dupstr(m, "kind");
	if (!w->kind)
		w->kind = xstrdup("ssh");
	w->type = worker_kind_of(w->kind);
	w->pool = dupstr(m, "worker_pool");
	w->workspace = dupstr(m, "workspace");
	w->notes = dupstr(m, "notes");
	const struct ynode *ssh = ymap_get(m, "ssh");
	w->host = dupstr(ssh, "host");
	w->user = dupstr(ssh, "user");
	w->key = dupstr(ssh, "key");
	w->port = (int)num(ssh, "port", 0);
	w->ssh_mode = dupstr(m, "ssh_mode");
	if (!w->ssh_mode)
		w->ssh_mode = dupstr(ssh, "mode");
	int en = 1;
	if (ynode_bool(ymap_get(m, "enabled"), &en) < 0)
		en = ymap_get(m, "enabled") ? 0 : 1;	/* present but not a bool: treat as off */
	w->enabled = en;
	w->gpus = (int)num(m, "resources.gpu", 0);
	w->slots = (int)num(m, "slots", w->gpus > 0 ? w->gpus : 1);
	if (w->slots < 1)
		w->slots = 1;
	w->instance_id = num(m, "instance_id", 0);
	if (!w->instance_id)
		w->instance_id = num(m, "vastai_instance_id", 0);
	double d = 0;
	if (ynode_double(ymap_get(m, "dph"), &d) == 0 || ynode_double(ypath(m, "resources.dph"), &d) == 0)
		w->dph = d;
	w->unreachable_after = (int)num(m, "unreachable_after", DEFAULT_UNREACHABLE_AFTER);
	const struct ynode *h = ymap_get(m, "health");
	w->heartbeat = dupstr(h, "heartbeat_command");
	w->busy = dupstr(h, "busy_command");
	w->max_jobs = (int)num(m, "max_jobs", 0);
	const struct ynode *s = ymap_get(m, "slurm");
	w->slurm_partition = dupstr(s, "partition");
	w->slurm_account = dupstr(s, "account");
	w->slurm_time = dupstr(s, "time");
	w->slurm_gres = dupstr(s, "gres");
	w->slurm_qos = dupstr(s, "qos");
	w->slurm_mem = dupstr(s, "mem");
	w->slurm_extra = dupstr(s, "extra_args");
	w->slurm_conf = dupstr(s, "conf");
	w->slurm_cpus = (int)num(s, "cpus_per_task", 0);
}

int
registry_reindex(struct registry *r, struct buf *err)
{
	for (size_t i = 0; i < r->n; i++)
		worker_free(&r->w[i]);
	free(r->w);
	r->w = NULL;
	r->n = 0;
	const struct ynode *ws = ymap_get(r->doc.root, "workers");
	if (r->doc.root && r->doc.root->type != Y_MAP) {
		buf_addf(err, "%s:%d:%d: expected a mapping with a `workers:` list", r->path,
			 r->doc.root->line, r->doc.root->col);
		return -1;
	}
	if (!ws || (ws->type == Y_SCALAR && ws->plain_null))
		return 0;
	if (ws->type != Y_SEQ) {
		buf_addf(err, "%s:%d:%d: `workers` must be a list", r->path, ws->line, ws->col);
		return -1;
	}
	r->w = xcalloc(ws->n ? ws->n : 1, sizeof *r->w);
	for (size_t i = 0; i < ws->n; i++) {
		const struct ynode *m = ws->items[i];
		if (m->type != Y_MAP) {
			buf_addf(err, "%s:%d:%d: a worker entry must be a mapping", r->path, m->line, m->col);
			return -1;
		}
		read_worker(&r->w[r->n++], m);
	}
	return 0;
}

int
registry_load(struct registry *r, const char *root, struct buf *err)
{
	registry_release(r);
	r->path = path_join(root, "workers/workers.yaml");
	if (ydoc_load(&r->doc, r->path, err) < 0)
		return -1;
	if (registry_reindex(r, err) < 0)
		return -1;
	for (size_t i = 0; i < r->doc.ndups; i++)
		warning("%s:%d: duplicate key '%s' (first at line %d); using the last value", r->path,
			r->doc.dups[i].line2, r->doc.dups[i].key, r->doc.dups[i].line1);
	return 0;
}

void
registry_release(struct registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		worker_free(&r->w[i]);
	free(r->w);
	ydoc_release(&r->doc);
	free(r->path);
	memset(r, 0, sizeof *r);
}

struct worker *
registry_find(struct registry *r, const char *id)
{
	struct worker *found = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->w[i].id && !strcmp(r->w[i].id, id))
			found = &r->w[i];	/* the last one wins, like the keys */
	return found;
}

const struct ynode *
registry_node(struct registry *r, const char *id)
{
	const struct ynode *ws = ymap_get(r->doc.root, "workers"), *found = NULL;
	for (size_t i = 0; ws && ws->type == Y_SEQ && i < ws->n; i++) {
		const char *s = ymap_str(ws->items[i], "worker_id");
		if (s && !strcmp(s, id))
			found = ws->items[i];
	}
	return found;
}

int
registry_save(struct registry *r, struct buf *err)
{
	return atomic_write(r->path, r->doc.text, r->doc.len, 0644, err);
}

/* A value that must not reach a command line as an option or break one. */
static int
hostile(const char *s, int allow_space)
{
	if (!s)
		return 0;
	if (s[0] == '-')
		return 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (!allow_space && *p == ' '))
			return 1;
	return 0;
}

enum worker_kind
worker_kind_of(const char *text)
{
	static const char *const names[] = {
		[WORKER_LOCAL] = "local", [WORKER_SSH] = "ssh", [WORKER_SLURM] = "slurm",
	};
	if (!text)
		return WORKER_SSH;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && !strcmp(text, names[i]))
			return (enum worker_kind)i;
	return WORKER_UNKNOWN;
}

int
worker_check(const struct worker *w, struct buf *err)
{
	const char *id = w->id ? w->id : "(no worker_id)";
	struct worker as_read = *w;
	if (!w->id || !safe_name(w->id)) {
		buf_addf(err, "worker at line %d: worker_id '%s' must be letters, digits, _ . -", w->line, id);
		return -1;
	}
	as_read.type = worker_kind_of(w->kind);
	if (as_read.type == WORKER_UNKNOWN) {
		buf_addf(err, "worker %s: unknown kind '%s' (local, ssh or slurm)", id, w->kind);
		return -1;
	}
	if (worker_by_ssh(&as_read)) {
		if (!w->host || !*w->host) {
			buf_addf(err, "worker %s: ssh.host is missing", id);
			return -1;
		}
		if (hostile(w->host, 0) || strpbrk(w->host, "@/\\'\"`$;&|<>(){}*?!")) {
			buf_addf(err, "worker %s: refusing ssh.host '%s' (it would not be a plain host name)", id, w->host);
			return -1;
		}
		if (w->user && (!*w->user || hostile(w->user, 0) || strpbrk(w->user, "@:/\\'\"`$;&|<>(){}*?!"))) {
			buf_addf(err, "worker %s: refusing ssh.user '%s'", id, w->user);
			return -1;
		}
		if (w->port < 0 || w->port > 65535) {
			buf_addf(err, "worker %s: ssh.port %d out of range", id, w->port);
			return -1;
		}
		if (w->key && (hostile(w->key, 1) || !*w->key)) {
			buf_addf(err, "worker %s: refusing ssh.key '%s'", id, w->key);
			return -1;
		}
	}
	if (w->workspace && hostile(w->workspace, 1)) {
		buf_addf(err, "worker %s: refusing workspace '%s'", id, w->workspace);
		return -1;
	}
	return 0;
}

char *
worker_workspace(const struct worker *w, const char *root)
{
	const char *ws = w->workspace && *w->workspace ? w->workspace : NULL;
	if (w->type == WORKER_LOCAL) {
		if (!ws)
			return path_join(root, "workspace");
		if (ws[0] == '~')
			return expand_home(ws);
		return path_join(root, ws);
	}
	return xstrdup(ws ? ws : "research-worker");
}

static void
yaml_block(struct buf *b, const json_t *o, int indent)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		for (int i = 0; i < indent; i++)
			buf_addc(b, ' ');
		buf_addf(b, "%s:", k);
		if (json_is_object(v)) {
			buf_addc(b, '\n');
			yaml_block(b, v, indent + 2);
			continue;
		}
		char num[32];
		char *q = NULL;
		switch (json_typeof(v)) {
		case JSON_STRING:
			q = yaml_quote(json_string_value(v));
			break;
		case JSON_INTEGER:
			q = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
			break;
		case JSON_REAL:
			fmt_double(json_real_value(v), num);
			q = xstrdup(num);
			break;
		case JSON_TRUE:
			q = xstrdup("true");
			break;
		case JSON_FALSE:
			q = xstrdup("false");
			break;
		default:
			q = xstrdup("null");
		}
		buf_addf(b, " %s\n", q);
		free(q);
	}
}

int
registry_add_worker(struct registry *r, const json_t *fields, struct buf *err)
{
	const char *id = json_string_value(json_object_get(fields, "worker_id"));
	if (!id || !safe_name(id)) {
		buf_addf(err, "invalid worker_id '%s'", id ? id : "");
		return -1;
	}
	if (registry_find(r, id)) {
		buf_addf(err, "%s:%d: worker '%s' already exists", r->path, registry_find(r, id)->line, id);
		return -1;
	}
	struct buf b = BUF_INIT;
	yaml_block(&b, fields, 0);
	int ret = yedit_append_to(&r->doc, r->doc.root, "workers", b.s, err);
	buf_release(&b);
	if (ret == 0)
		ret = registry_reindex(r, err);
	return ret;
}

static int
set_key(struct registry *r, const struct ynode *map, const char *key, const char *value, int quote,
	struct buf *err)
{
	return quote ? yedit_set(&r->doc, map, key, value, err)
		     : yedit_set_raw(&r->doc, map, key, value, err);
}

/*
 * The mapping that path (dotted keys) names in worker entry m, through keys
 * m has itself, never a merge key (<<): the mapping it brings is shared.
 * *out is NULL when path is one key that is missing or null.  -1 with err
 * set when a key comes from a merge key, is missing deeper, or is not a
 * mapping.
 */
static int
own_mapping(const struct registry *r, const struct ynode *m, const char *id, const char *dotted,
	    const char *path, const struct ynode **out, struct buf *err)
{
	char *p = xstrdup(path), *save = NULL;
	const struct ynode *n = m;
	int ret = 0;

	for (char *c = strtok_r(p, ".", &save); c && ret == 0; c = strtok_r(NULL, ".", &save)) {
		const struct ynode *v = ymap_get(n, c), *mk;
		if (v && !ymap_key(n, c)) {
			mk = ymap_key(n, "<<") ? ymap_key(n, "<<") : n;
			buf_addf(err, "%s:%d:%d: cannot set %s of worker %s: its %s comes from this merge key (<<), which other entries may share",
				 r->path, mk->line, mk->col, dotted, id, c);
			ret = -1;
		} else if (!v || (v->type == Y_SCALAR && v->plain_null)) {
			if (n != m || strchr(path, '.')) {
				buf_addf(err, "%s:%d:%d: cannot set %s of worker %s: %s is missing",
					 r->path, m->line, m->col, dotted, id, path);
				ret = -1;
			}
			n = NULL;
			break;
		} else if (v->type != Y_MAP) {
			buf_addf(err, "%s:%d:%d: cannot set %s of worker %s: its %s is not a mapping",
				 r->path, v->line, v->col, dotted, id, c);
			ret = -1;
		} else
			n = v;
	}
	free(p);
	*out = n;
	return ret;
}

int
registry_set(struct registry *r, const char *id, const char *dotted, const char *value, int quote,
	     struct buf *err)
{
	const struct ynode *m = registry_node(r, id), *parent;
	char *path, *last;
	int ret;

	if (!m) {
		buf_addf(err, "%s: no worker '%s'", r->path, id);
		return -1;
	}
	path = xstrdup(dotted);
	if (!(last = strrchr(path, '.'))) {
		ret = set_key(r, m, path, value, quote, err);
		goto out;
	}
	*last++ = 0;
	if ((ret = own_mapping(r, m, id, dotted, path, &parent, err)) < 0)
		goto out;
	if (!parent) {
		/* path is one key, missing or null: it becomes `{}`, then the
		 * key is set in it */
		if ((ret = yedit_set_raw(&r->doc, m, path, "{}", err)) < 0)
			goto out;
		m = registry_node(r, id);
		parent = ymap_get(m, path);
	}
	ret = set_key(r, parent, last, value, quote, err);
out:
	free(path);
	if (ret == 0)
		ret = registry_reindex(r, err);
	return ret;
}
