/*
 * vast_destroy.c - `ros vastai-destroy INSTANCE [--yes]`: destroy a Vast.ai
 * instance (all its data is lost; it is the only way to stop the storage
 * bill), then retire the workers naming it: `enabled: false`, their
 * running runs stale (requeued per max_retries), their endpoints removed
 * from .ros/known_hosts (vast_retire_instance, as reconcile --fix does for
 * a gone instance).
 *
 * INSTANCE is an instance id or the id of a worker that names one.
 * Without --yes it asks on the terminal, and refuses when there is none.
 * An instance that is already gone is not an error: its workers are
 * retired all the same.
 */
#include "ros.h"
#include "store/registry.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/reconcile.h"
#include "vast/values.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The instance id that arg names: a number, or a worker's instance_id. */
static long long
resolve(struct ctx *ctx, const char *arg)
{
	long long id;
	if (parse_long(arg, &id) == 0) {
		if (id <= 0)
			usage_error(ctx, "bad instance id '%s'", arg);
		return id;
	}
	if (!safe_name(arg))
		usage_error(ctx, "'%s' is neither an instance id nor a worker id", arg);
	struct registry r = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	if (registry_load(&r, ctx_root(ctx), &err) < 0)
		die("%s", err.s);
	struct worker *w = registry_find(&r, arg);
	if (!w)
		die("no worker '%s' in %s (and it is not an instance id)", arg, r.path);
	if (w->instance_id <= 0)
		die("worker %s names no Vast.ai instance (no instance_id)", arg);
	id = w->instance_id;
	registry_release(&r);
	buf_release(&err);
	return id;
}

static int
cmd_vastai_destroy_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *api_key = NULL;
	int yes = 0, rc = 1, gone = 0;
	const struct opt opts[] = {
		{ .name = "yes", .kind = OPT_BOOL, .dst = &yes, .help = "do not ask", .shrt = 'y' },
		{ .name = "api-key", .kind = OPT_STR, .dst = &api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};
	struct strv pos = STRV_INIT;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct vast_recon rc_ = VAST_RECON_INIT;
	struct buf err = BUF_INIT, what = BUF_INIT;
	json_t *inst = NULL;

	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, pos.n ? "one instance at a time" : "which instance?");
	const char *root = ctx_root(ctx);
	long long id = resolve(ctx, pos.v[0]);
	if (vast_client_init(&vc, api_key, &err) < 0 || !(inst = vast_show_instance(&vc, id, &err))) {
		error("%s", err.s);
		goto out;
	}
	buf_addf(&what, "instance %lld", id);
	if (json_is_null(inst)) {
		gone = 1;
	} else {
		char *gpu = vast_disp_field(inst, "gpu_name", 40, "?");
		json_t *dph = json_object_get(inst, "dph_total");
		buf_addf(&what, " (%s", gpu);
		if (json_is_number(dph))
			buf_addf(&what, ", $%.4f/hr", json_number_value(dph));
		buf_adds(&what, ")");
		free(gpu);
		if (!yes) {
			if (!isatty(STDIN_FILENO))
				usage_error(ctx, "refusing to destroy %s without --yes (no terminal to ask on)", what.s);
			if (!ask_yes("Destroy %s? All its data is lost. [y/N] ", what.s)) {
				fprintf(stderr, "not destroyed\n");
				goto out;
			}
		}
		int r = vast_destroy_instance(&vc, id, &err);
		if (r == VAST_ERR_NOT_FOUND)
			gone = 1;
		else if (r != VAST_OK) {
			error("%s", err.s);
			goto out;
		}
	}
	char *why = xasprintf("instance %lld destroyed", id);
	buf_reset(&err);
	int rr = vast_retire_instance(root, id, why, &rc_, &err);
	free(why);
	if (ctx->json) {
		json_t *o = json_object(), *ws = json_array();
		jset_int(o, "instance_id", id);
		json_object_set_new(o, "destroyed", json_boolean(!gone));
		json_object_set_new(o, "already_gone", json_boolean(gone));
		for (size_t i = 0; i < rc_.n; i++) {
			const struct vast_wrec *t = &rc_.w[i];
			json_t *kh = json_array();
			for (size_t k = 0; k < t->forgotten.n; k++)
				json_array_append_new(kh, json_string(t->forgotten.v[k]));
			json_array_append_new(ws, json_pack("{s:s,s:b,s:i,s:i,s:o}", "worker_id", t->worker_id,
				"disabled", t->disabled, "runs_stale", t->nstale, "runs_requeued", t->nrequeued,
				"known_hosts_removed", kh));
		}
		json_object_set_new(o, "workers", ws);
		json_print(o);
		json_decref(o);
	} else {
		if (gone)
			printf("Instance %lld not found: already destroyed\n", id);
		else
			printf("Destroyed %s\n", what.s);
		for (size_t i = 0; i < rc_.n; i++) {
			const struct vast_wrec *t = &rc_.w[i];
			if (t->disabled)
				printf("  ✓ Marked %s enabled: false\n", t->worker_id);
			else if (t->fix_error)
				printf("  ✗ %s not disabled: %s\n", t->worker_id, t->fix_error);
			if (t->nstale)
				printf("  ✓ %d run%s of %s made stale (%d requeued)\n", t->nstale,
				       t->nstale == 1 ? "" : "s", t->worker_id, t->nrequeued);
			for (size_t k = 0; k < t->forgotten.n; k++)
				printf("  ✓ Removed %s from .ros/known_hosts\n", t->forgotten.v[k]);
		}
		if (!rc_.n && rr == 0)
			printf("  (no enabled worker named it)\n");
	}
	if (rr < 0) {
		error("%s", err.s);
		goto out;
	}
	rc = rc_.nfailed ? 1 : 0;
out:
	json_decref(inst);
	vast_recon_release(&rc_);
	vast_client_release(&vc);
	strv_release(&pos);
	buf_release(&err);
	buf_release(&what);
	return rc;
}

const struct ros_cmd cmd_vastai_destroy = {
	"vastai-destroy", cmd_vastai_destroy_fn, CMD_JSON,
	"destroy a Vast.ai instance, disable its worker, requeue its runs",
	"INSTANCE|WORKER [--yes] [--api-key KEY] [--json]",
	"Destroying deletes the instance's data and stops its billing.  Its workers\n"
	"get `enabled: false`, their running runs become stale (requeued per\n"
	"max_retries) and their endpoints leave .ros/known_hosts.  Without --yes,\n"
	"asks on the terminal (and refuses without one).",
};
