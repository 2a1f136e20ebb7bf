/*
 * workers.c - the worker registry commands: add-worker, enable-worker,
 * disable-worker, remove-worker.  Every edit of workers.yaml is surgical
 * (store/yaml.h) and made under the root's lock.
 */
#include "ros.h"
#include "results/collect.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/store.h"
#include "util/jx.h"
#include "vast/vworker.h"

#include <stdlib.h>
#include <string.h>

/* Lock, load the registry, apply fn, save when it returns 1. */
static int
registry_txn(struct ctx *ctx, int (*fn)(struct registry *, void *, struct buf *), void *arg)
{
	struct store_lock l = STORE_LOCK_INIT;
	struct registry r = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	const char *root = ctx_root(ctx);
	int rc = -1;

	if (store_lock(root, &l, &err) < 0 || registry_load(&r, root, &err) < 0)
		goto out;
	rc = fn(&r, arg, &err);
	if (rc == 1 && registry_save(&r, &err) < 0)
		rc = -1;
out:
	if (rc < 0 && err.len)
		error("%s", err.s);
	store_unlock(&l);
	registry_release(&r);
	buf_release(&err);
	return rc;
}

static int
add_fn(struct registry *r, void *arg, struct buf *err)
{
	/* check the values as they will be read back */
	if (worker_entry_check(arg, err) < 0)
		return -1;
	return registry_add_worker(r, arg, err) < 0 ? -1 : 1;
}

/* "added worker ID (KIND, pool P): user@host:port, key K" and the next step. */
static void
print_added(const json_t *f)
{
	const json_t *ssh = json_object_get(f, "ssh");
	const char *id = jstr0(f, "worker_id");
	printf("added worker %s (%s, pool %s)", id, jstr0(f, "kind"), jstr0(f, "worker_pool"));
	if (ssh) {
		long long port = 0;
		printf(": %s%s%s", jstr0(ssh, "user"), jstr(ssh, "user") ? "@" : "", jstr0(ssh, "host"));
		if (!jint(ssh, "port", &port))
			printf(":%lld", port);
		if (jstr(ssh, "key"))
			printf(", key %s", jstr(ssh, "key"));
	}
	printf("\nnext: ros setup-worker --worker-id %s\n", id);
}

struct add_flags {
	const char *id, *kind, *host, *user, *key, *pool, *workspace, *notes, *api_key, *ssh_mode;
	long long port, gpus, slots, inst;
	double vram, disk;
	int disabled;
};

/* A resource: the flag's value when given (>= 0), else the instance's. */
static void
resource(json_t *res, const char *k, json_t *given, const json_t *vres)
{
	if (given)
		json_object_set_new(res, k, given);
	else if (json_object_get(vres, k))
		json_object_set(res, k, json_object_get(vres, k));
}

/* The entry the flags ask for, over what the instance says (vast: its
 * fields, or NULL). */
static json_t *
entry_of(const struct add_flags *f, const json_t *vast, const char *id)
{
	const json_t *vssh = json_object_get(vast, "ssh"), *vres = json_object_get(vast, "resources");
	json_t *res = json_object(), *e;
	long long vport = 0;

	resource(res, "gpu", f->gpus >= 0 ? json_integer(f->gpus) : NULL, vres);
	resource(res, "vram_gb", f->vram >= 0 ? json_real(f->vram) : NULL, vres);
	resource(res, "disk_gb", f->disk >= 0 ? json_real(f->disk) : NULL, vres);
	resource(res, "cpu", NULL, vres);
	jint(vssh, "port", &vport);
	struct worker_spec s = {
		.id = id, .instance_id = f->inst, .kind = f->kind, .disabled = f->disabled, .pool = f->pool,
		.ssh_mode = f->ssh_mode, .host = f->host ? f->host : vssh ? jstr0(vssh, "host") : NULL,
		.port = f->port ? f->port : vport, .user = f->user ? f->user : jstr(vssh, "user"),
		/* the key Vast.ai instances are set up with */
		.key = f->key ? f->key : f->inst ? VAST_SSH_KEY : NULL,
		.workspace = f->workspace, .slots = f->slots, .resources = res,
		.dph = json_object_get(vast, "dph"), .notes = f->notes ? f->notes : jstr(vast, "notes"),
	};
	e = worker_entry(&s);
	json_decref(res);
	return e;
}

static int
cmd_add_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	struct add_flags f = { .gpus = -1, .vram = -1, .disk = -1 };
	const struct opt opts[] = {
		{ .name = "worker-id", .kind = OPT_STR, .dst = &f.id, .arg = "ID", .help = "name of the worker (required unless --vastai-instance-id)" },
		{ .name = "kind", .kind = OPT_STR, .dst = &f.kind, .help = "how ros reaches it (default ssh, or local without --host)", .choices = "local|ssh|slurm" },
		{ .name = "host", .kind = OPT_STR, .dst = &f.host, .arg = "H", .help = "ssh host name or address" },
		{ .name = "port", .kind = OPT_INT, .dst = &f.port, .arg = "N", .help = "ssh port (default: ssh's, or ~/.ssh/config)", .flags = OPT_MIN | OPT_MAX, .min = 1, .max = 65535 },
		{ .name = "user", .kind = OPT_STR, .dst = &f.user, .arg = "U", .help = "ssh user" },
		{ .name = "key", .kind = OPT_STR, .dst = &f.key, .arg = "PATH", .help = "ssh private key (~ expands)" },
		{ .name = "pool", .kind = OPT_STR, .dst = &f.pool, .arg = "P", .help = "worker pool runs ask for (default: default, or vastai)" },
		{ .name = "workspace", .kind = OPT_STR, .dst = &f.workspace, .arg = "DIR", .help = "folder on the worker for runs (default ~/research-worker)" },
		{ .name = "gpus", .kind = OPT_INT, .dst = &f.gpus, .arg = "N", .help = "GPUs on the worker", .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 1024 },
		{ .name = "slots", .kind = OPT_INT, .dst = &f.slots, .arg = "N", .help = "runs at once (default: GPUs, at least 1)", .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 1024 },
		{ .name = "vram-gb", .kind = OPT_DOUBLE, .dst = &f.vram, .arg = "X", .help = "VRAM per GPU", .flags = OPT_MIN, .min = 0 },
		{ .name = "disk-gb", .kind = OPT_DOUBLE, .dst = &f.disk, .arg = "X", .help = "disk", .flags = OPT_MIN, .min = 0 },
		{ .name = "notes", .kind = OPT_STR, .dst = &f.notes, .arg = "TEXT", .help = "free text" },
		{ .name = "disabled", .kind = OPT_BOOL, .dst = &f.disabled, .help = "add it with enabled: false" },
		{ .name = "vastai-instance-id", .kind = OPT_INT, .dst = &f.inst, .arg = "N", .help = "fill host, port, GPUs, VRAM, disk and price from a Vast.ai instance", .flags = OPT_MIN, .min = 1 },
		{ .name = "ssh-mode", .kind = OPT_STR, .dst = &f.ssh_mode, .help = "with --vastai-instance-id: Vast.ai's ssh proxy (default) or the direct port", .choices = "proxy|direct", .with = "vastai-instance-id" },
		{ .name = "api-key", .kind = OPT_STR, .dst = &f.api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	if (!f.id && !f.inst)
		usage_error(ctx, "--worker-id is required");
	if (f.id && !safe_name(f.id))
		usage_error(ctx, "invalid --worker-id '%s' (letters, digits, _ . - only)", f.id);
	if (f.pool && !safe_name(f.pool))
		usage_error(ctx, "invalid --pool '%s'", f.pool);

	ctx_root(ctx);
	struct buf err = BUF_INIT;
	json_t *vast = NULL, *entry;
	char *id = f.id ? xstrdup(f.id) : xasprintf("vastai_%lld", f.inst);
	int rc = 1;
	/* host, port, resources and price from the live instance */
	if (f.inst && !(vast = vast_worker_fields(f.inst, f.api_key, f.ssh_mode && !strcmp(f.ssh_mode, "direct"), &err))) {
		error("%s", err.s);
		goto out;
	}
	entry = entry_of(&f, vast, id);
	if (registry_txn(ctx, add_fn, entry) == 1) {
		if (ctx->json)
			json_print(entry);
		else
			print_added(entry);
		rc = 0;
	}
	json_decref(entry);
out:
	free(id);
	json_decref(vast);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_add_worker = {
	"add-worker", cmd_add_worker_fn, CMD_JSON, "register a worker in workers/workers.yaml",
	"--worker-id ID [--kind local|ssh|slurm] [--host H --port N --user U --key PATH] [--pool P] "
	"[--workspace DIR] [--gpus N] [--slots N] [--vastai-instance-id N [--ssh-mode proxy|direct]]",
	"The entry is appended to workers.yaml; comments and layout of the file stay.\n"
	"A duplicate worker id is refused.  With --vastai-instance-id the host, port,\n"
	"GPUs, VRAM, disk and price come from the live instance and instance_id is\n"
	"written, so vastai-reconcile can follow the instance; the key is --key, else\n"
	"~/.ssh/vastai_id_ed25519.  It prints where the worker is reached and the next\n"
	"step (setup-worker).",
};

struct toggle {
	const char *id;
	int on;
};

static int
toggle_fn(struct registry *r, void *arg, struct buf *err)
{
	struct toggle *t = arg;
	struct worker *w = registry_find(r, t->id);
	if (!w) {
		buf_addf(err, "no worker '%s' in %s", t->id, r->path);
		return -1;
	}
	if (w->enabled == t->on && ymap_get(registry_node(r, t->id), "enabled"))
		return 0;
	return registry_set(r, t->id, "enabled", t->on ? "true" : "false", 0, err) < 0 ? -1 : 1;
}

static int
toggle_cmd(int argc, char **argv, struct ctx *ctx, int on)
{
	struct strv pos = STRV_INIT;
	static const struct opt opts[] = { OPT_END };
	int rc = 0;
	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n == 0)
		usage_error(ctx, "which worker?");
	for (size_t i = 0; i < pos.n; i++) {
		struct toggle t = { pos.v[i], on };
		int r = registry_txn(ctx, toggle_fn, &t);
		if (r < 0)
			rc = 1;
		else
			printf("%s %s%s\n", pos.v[i], on ? "enabled" : "disabled", r == 0 ? " (already)" : "");
	}
	strv_release(&pos);
	return rc;
}

static int
cmd_enable_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	return toggle_cmd(argc, argv, ctx, 1);
}

static int
cmd_disable_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	return toggle_cmd(argc, argv, ctx, 0);
}

const struct ros_cmd cmd_enable_worker = {
	"enable-worker", cmd_enable_worker_fn, 0, "set enabled: true on workers", "ID...", NULL,
};

const struct ros_cmd cmd_disable_worker = {
	"disable-worker", cmd_disable_worker_fn, 0,
	"set enabled: false on workers (their runs turn stale at the next check)", "ID...", NULL,
};

/* ---- remove-worker ---- */

struct removal {
	struct strv ids;
	int force, bad;
	const char *root;
	struct strv said;	/* printed once the file is written */
};

/* Worker id's runs in flight (dispatching, running) into busy, "r1 (running),
 * ..."; how many.  *uncollected: its finished runs without metrics yet. */
static size_t
runs_of(struct queue *q, const char *id, struct buf *busy, size_t *uncollected, struct buf *err)
{
	size_t n = 0;
	*uncollected = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_WORKER, id))
			continue;
		if (queue_key_is(q, i, JK_STATUS, "done") || queue_key_is(q, i, JK_STATUS, "failed")) {
			json_t *r = queue_obj(q, i, err);
			if (r && !run_collected(r))
				(*uncollected)++;
			buf_reset(err);
			continue;
		}
		const char *st = queue_key_is(q, i, JK_STATUS, "running") ? "running"
				 : queue_key_is(q, i, JK_STATUS, "dispatching") ? "dispatching" : NULL;
		if (!st)
			continue;
		char *rid = queue_key(q, i, JK_ID);
		buf_addf(busy, "%s%s (%s)", n++ ? ", " : "", rid, st);
		free(rid);
	}
	return n;
}

/* Remove every entry of worker id from r->doc. */
static int
remove_entries(struct registry *r, const char *id, struct buf *err)
{
	for (;;) {
		const struct ynode *ws = ymap_get(r->doc.root, "workers");
		long at = -1;
		for (size_t i = 0; ws && ws->type == Y_SEQ && i < ws->n; i++) {
			const char *s = ymap_str(ws->items[i], "worker_id");
			if (s && !strcmp(s, id))
				at = (long)i;
		}
		if (at < 0)
			return registry_reindex(r, err);
		if (yedit_remove_item(&r->doc, ws, (size_t)at, err) < 0)
			return -1;
	}
}

static int
remove_fn(struct registry *r, void *arg, struct buf *err)
{
	struct removal *rm = arg;
	struct queue q = QUEUE_INIT;
	char *path = path_join(rm->root, Q_RUNS);
	int changed = 0;
	if (queue_load(&q, path, err) < 0) {
		free(path);
		return -1;
	}
	for (size_t k = 0; k < rm->ids.n && changed >= 0; k++) {
		const char *id = rm->ids.v[k];
		struct buf busy = BUF_INIT;
		size_t unc = 0, n;
		if (!registry_find(r, id)) {
			error("no worker '%s' in %s", id, r->path);
			rm->bad = 1;
			continue;
		}
		n = runs_of(&q, id, &busy, &unc, err);
		if (n && !rm->force) {
			error("worker %s has %zu run%s in flight: %s; cancel %s (ros cancel --worker %s), let %s "
			      "finish, or remove the worker with --force (%s then become%s stale at the next check-runs)",
			      id, n, n == 1 ? "" : "s", busy.s, n == 1 ? "it" : "them", id, n == 1 ? "it" : "them",
			      n == 1 ? "it" : "they", n == 1 ? "s" : "");
			rm->bad = 1;
		} else if (remove_entries(r, id, err) < 0) {
			changed = -1;
		} else {
			if (n)
				strv_pushf(&rm->said, "removed worker %s; its %zu run%s in flight become%s stale at the "
					   "next check-runs: %s", id, n, n == 1 ? "" : "s", n == 1 ? "s" : "", busy.s);
			else
				strv_pushf(&rm->said, "removed worker %s", id);
			if (unc)
				warning("%zu finished run%s of %s %s no metrics yet: ros results fetches them only "
					"from a worker in workers.yaml", unc, unc == 1 ? "" : "s", id,
					unc == 1 ? "has" : "have");
			changed = 1;
		}
		buf_release(&busy);
	}
	queue_release(&q);
	free(path);
	return changed;
}

static int
cmd_remove_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	struct removal rm = { STRV_INIT, 0, 0, NULL, STRV_INIT };
	const struct opt opts[] = {
		{ .name = "force", .kind = OPT_BOOL, .dst = &rm.force, .help = "also a worker with runs in flight (they become stale)" },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &rm.ids);
	if (rm.ids.n == 0)
		usage_error(ctx, "which worker?");
	rm.root = ctx_root(ctx);
	int r = registry_txn(ctx, remove_fn, &rm);
	if (r == 1)
		for (size_t i = 0; i < rm.said.n; i++)
			printf("%s\n", rm.said.v[i]);
	strv_release(&rm.ids);
	strv_release(&rm.said);
	return r < 0 || rm.bad ? 1 : 0;
}

const struct ros_cmd cmd_remove_worker = {
	"remove-worker", cmd_remove_worker_fn, 0, "remove workers from workers/workers.yaml", "ID... [--force]",
	"Each worker's entry goes: its lines, from its `- ` to its last line, and a\n"
	"blank line that set it apart; every other byte of the file stays (comments\n"
	"around it too).  A worker that still has dispatching or running runs is\n"
	"refused, naming them: cancel them (ros cancel --worker ID) or let them\n"
	"finish first.  With --force it is removed anyway and, as with\n"
	"disable-worker, its runs become stale at the next check-runs (re-queued\n"
	"per max_retries); their processes on the worker are not stopped.  Finished\n"
	"runs keep their worker_id; ros results can no longer fetch the metrics of\n"
	"those that have none (a warning counts them).\n"
	"\n"
	"Examples:\n"
	"  ros remove-worker vastai_37906248\n"
	"  ros cancel --worker old-box && ros remove-worker old-box",
};
