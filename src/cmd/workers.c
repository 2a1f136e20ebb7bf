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
	json_t *fields = arg;
	struct worker probe = { 0 };
	/* check the values as they will be read back */
	json_t *ssh = json_object_get(fields, "ssh");
	probe.id = (char *)jstr(fields, "worker_id");
	probe.kind = (char *)jstr(fields, "kind");
	probe.host = (char *)jstr(ssh, "host");
	probe.user = (char *)jstr(ssh, "user");
	probe.key = (char *)jstr(ssh, "key");
	probe.workspace = (char *)jstr(fields, "workspace");
	long long port = 0;
	jint(ssh, "port", &port);
	probe.port = (int)port;
	if (worker_check(&probe, err) < 0)
		return -1;
	return registry_add_worker(r, fields, err) < 0 ? -1 : 1;
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

static int
cmd_add_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *id = NULL, *kind = NULL, *host = NULL, *user = NULL, *key = NULL, *pool = NULL;
	const char *workspace = NULL, *notes = NULL, *api_key = NULL, *ssh_mode = NULL;
	long long port = 0, gpus = -1, slots = 0, inst = 0;
	double vram = -1, disk = -1;
	int disabled = 0, rc = 1;
	const struct opt opts[] = {
		{ "worker-id", OPT_STR, &id, "ID", "name of the worker (required unless --vastai-instance-id)", 0, NULL },
		{ "kind", OPT_STR, &kind, "local|ssh|slurm", "how ros reaches it (default ssh, or local without --host)", 0, NULL },
		{ "host", OPT_STR, &host, "H", "ssh host name or address", 0, NULL },
		{ "port", OPT_INT, &port, "N", "ssh port (default: ssh's, or ~/.ssh/config)", 0, NULL },
		{ "user", OPT_STR, &user, "U", "ssh user", 0, NULL },
		{ "key", OPT_STR, &key, "PATH", "ssh private key (~ expands)", 0, NULL },
		{ "pool", OPT_STR, &pool, "P", "worker pool runs ask for (default: default, or vastai)", 0, NULL },
		{ "workspace", OPT_STR, &workspace, "DIR", "folder on the worker for runs (default ~/research-worker)", 0, NULL },
		{ "gpus", OPT_INT, &gpus, "N", "GPUs on the worker", 0, NULL },
		{ "slots", OPT_INT, &slots, "N", "runs at once (default: GPUs, at least 1)", 0, NULL },
		{ "vram-gb", OPT_DOUBLE, &vram, "X", "VRAM per GPU", 0, NULL },
		{ "disk-gb", OPT_DOUBLE, &disk, "X", "disk", 0, NULL },
		{ "notes", OPT_STR, &notes, "TEXT", "free text", 0, NULL },
		{ "disabled", OPT_BOOL, &disabled, NULL, "add it with enabled: false", 0, NULL },
		{ "vastai-instance-id", OPT_INT, &inst, "N", "fill host, port, GPUs, VRAM, disk and price from a Vast.ai instance", 0, NULL },
		{ "ssh-mode", OPT_STR, &ssh_mode, "proxy|direct", "with --vastai-instance-id: Vast.ai's ssh proxy (default) or the direct port", 0, NULL },
		{ "api-key", OPT_STR, &api_key, "KEY", "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (port < 0 || port > 65535)
		usage_error(ctx, "--port must be between 1 and 65535");
	if (gpus < -1 || gpus > 1024 || slots < 0 || slots > 1024)
		usage_error(ctx, "--gpus and --slots must be small non-negative numbers");
	if (kind && strcmp(kind, "local") && strcmp(kind, "ssh") && strcmp(kind, "slurm"))
		usage_error(ctx, "--kind must be local, ssh or slurm");
	if (inst < 0)
		usage_error(ctx, "--vastai-instance-id must be positive");
	if (!id && !inst)
		usage_error(ctx, "--worker-id is required");
	if (ssh_mode && strcmp(ssh_mode, "proxy") && strcmp(ssh_mode, "direct"))
		usage_error(ctx, "--ssh-mode must be proxy or direct");
	int direct = ssh_mode && !strcmp(ssh_mode, "direct");
	if (id && !safe_name(id))
		usage_error(ctx, "invalid --worker-id '%s' (letters, digits, _ . - only)", id);
	if (pool && !safe_name(pool))
		usage_error(ctx, "invalid --pool '%s'", pool);

	ctx_root(ctx);
	json_t *fields = json_object(), *vast = NULL;
	struct buf err = BUF_INIT;
	if (inst) {
		/* host, port, resources and price from the live instance */
		vast = vast_worker_fields(inst, api_key, direct, &err);
		if (!vast) {
			error("%s", err.s);
			buf_release(&err);
			json_decref(fields);
			return 1;
		}
	}
	char *auto_id = NULL;
	if (!id)
		id = auto_id = xasprintf("vastai_%lld", inst);
	if (!kind)
		kind = host || inst ? "ssh" : "local";
	if (!pool)
		pool = inst ? "vastai" : !strcmp(kind, "local") ? "local" : "default";
	jset_str(fields, "worker_id", id);
	if (inst)
		jset_int(fields, "instance_id", inst);
	jset_str(fields, "kind", kind);
	json_object_set_new(fields, "enabled", json_boolean(!disabled));
	jset_str(fields, "worker_pool", pool);
	if (ssh_mode)
		jset_str(fields, "ssh_mode", ssh_mode);
	json_t *vssh = json_object_get(vast, "ssh");
	if (host || vssh) {
		json_t *ssh = json_object();
		jset_str(ssh, "host", host ? host : jstr0(vssh, "host"));
		long long vport = 0;
		if (port || !jint(vssh, "port", &vport))
			jset_int(ssh, "port", port ? port : vport);
		if (user || jstr(vssh, "user"))
			jset_str(ssh, "user", user ? user : jstr(vssh, "user"));
		if (key || inst)	/* the key Vast.ai instances are set up with */
			jset_str(ssh, "key", key ? key : VAST_SSH_KEY);
		json_object_set_new(fields, "ssh", ssh);
	}
	jset_str(fields, "workspace", workspace ? workspace : !strcmp(kind, "local") ? "workspace"
							 : inst ? "/root/research-worker" : "research-worker");
	if (slots)
		jset_int(fields, "slots", slots);
	json_t *res = json_object(), *vres = json_object_get(vast, "resources");
	if (gpus >= 0)
		jset_int(res, "gpu", gpus);
	else if (json_object_get(vres, "gpu"))
		json_object_set(res, "gpu", json_object_get(vres, "gpu"));
	if (vram >= 0)
		json_object_set_new(res, "vram_gb", json_real(vram));
	else if (json_object_get(vres, "vram_gb"))
		json_object_set(res, "vram_gb", json_object_get(vres, "vram_gb"));
	if (disk >= 0)
		json_object_set_new(res, "disk_gb", json_real(disk));
	else if (json_object_get(vres, "disk_gb"))
		json_object_set(res, "disk_gb", json_object_get(vres, "disk_gb"));
	if (json_object_get(vres, "cpu"))
		json_object_set(res, "cpu", json_object_get(vres, "cpu"));
	if (json_object_size(res))
		json_object_set(fields, "resources", res);
	json_decref(res);
	if (json_object_get(vast, "dph"))
		json_object_set(fields, "dph", json_object_get(vast, "dph"));
	json_t *health = json_object();
	jset_str(health, "heartbeat_command", "echo ok");
	jset_str(health, "busy_command", "pgrep -f '[r]uns/logs/.*/wrapper.sh' || true");
	json_object_set_new(fields, "health", health);
	if (notes || jstr(vast, "notes"))
		jset_str(fields, "notes", notes ? notes : jstr(vast, "notes"));

	if (registry_txn(ctx, add_fn, fields) == 1) {
		if (ctx->json)
			json_print(fields);
		else
			print_added(fields);
		rc = 0;
	}
	free(auto_id);
	json_decref(fields);
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
	opt_parse(ctx, current_cmd, opts, argc, argv, &pos);
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
		{ "force", OPT_BOOL, &rm.force, NULL, "also a worker with runs in flight (they become stale)", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, &rm.ids);
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
