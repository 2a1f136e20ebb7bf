/*
 * vast_instances.c - `ros vastai-instances`: the account's live instances
 * joined with workers.yaml by instance_id (or the old vastai_instance_id).
 *
 *         ID  GPU                     Status        $/hr  SSH                           Worker
 *   ────────────────────────────────────────────────────────────────────────────
 *   37906248  RTX 3060                running     0.0659  ssh8.vast.ai:26248            vastai_worker_2
 *   34824701  RTX 3060                running     0.0566  ssh5.vast.ai:24700            (untracked)
 *
 * The SSH column is the endpoint the worker uses: the proxy, or the direct
 * port when a worker naming the instance has `ssh_mode: direct`.  Tracked
 * instances come first, then untracked ones, each in the API's order.
 * Enabled workers whose instance is not live are listed below the table.
 * Reads only; exit 0 unless the registry or the API fails.
 */
#include "ros.h"
#include "store/registry.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/values.h"

#include <stdlib.h>
#include <string.h>

/* One live instance as shown. */
static json_t *
describe(const json_t *inst, struct registry *r)
{
	json_t *o = json_object(), *workers = json_array();
	long long id = 0, n;
	int direct = 0, port;
	char *host = NULL;

	vast_json_int(json_object_get(inst, "id"), &id);
	for (size_t k = 0; k < r->n; k++)
		if (r->w[k].instance_id == id && id > 0 && r->w[k].id) {
			json_array_append_new(workers, json_string(r->w[k].id));
			if (r->w[k].ssh_mode && !strcmp(r->w[k].ssh_mode, "direct"))
				direct = 1;
		}
	jset_int(o, "id", id);
	char *gpu = vast_disp_field(inst, "gpu_name", 40, "?");
	jset_str(o, "gpu_name", gpu);
	free(gpu);
	json_object_set_new(o, "num_gpus", vast_json_int(json_object_get(inst, "num_gpus"), &n) == 0 ?
					   json_integer(n) : json_null());
	const char *st = json_string_value(json_object_get(inst, "actual_status"));
	char *std = st ? vast_disp(st, 20, "") : NULL;
	json_object_set_new(o, "status", std ? json_string(std) : json_null());
	free(std);
	json_t *dph = json_object_get(inst, "dph_total");
	json_object_set_new(o, "dph_total", json_is_number(dph) ? json_real(json_number_value(dph)) : json_null());
	if (vast_ssh_endpoint(inst, direct, &host, &port) == 0) {
		jset_str(o, "ssh_host", host);
		jset_int(o, "ssh_port", port);
	} else {
		json_object_set_new(o, "ssh_host", json_null());
		json_object_set_new(o, "ssh_port", json_null());
	}
	free(host);
	jset_str(o, "ssh_mode", direct ? "direct" : "proxy");
	json_object_set_new(o, "tracked", json_boolean(json_array_size(workers) > 0));
	json_object_set_new(o, "workers", workers);
	return o;
}

static void
print_row(const json_t *o, struct registry *r)
{
	long long id = 0, n = 1;
	char dph[32] = "-", ssh[300] = "-";
	struct buf gpu = BUF_INIT, who = BUF_INIT;
	const json_t *ws = json_object_get(o, "workers"), *w;
	size_t i;

	jint(o, "id", &id);
	if (jint(o, "num_gpus", &n) == 0 && n > 1)
		buf_addf(&gpu, "%lldx ", n);
	buf_adds(&gpu, jstr0(o, "gpu_name"));
	if (json_is_number(json_object_get(o, "dph_total")))
		snprintf(dph, sizeof dph, "%.4f", json_number_value(json_object_get(o, "dph_total")));
	if (jstr(o, "ssh_host")) {
		long long port = 0;
		jint(o, "ssh_port", &port);
		snprintf(ssh, sizeof ssh, "%s:%lld", jstr(o, "ssh_host"), port);
	}
	json_array_foreach(ws, i, w) {
		const struct worker *wk = registry_find(r, json_string_value(w));
		buf_addf(&who, "%s%s%s", i ? ", " : "", json_string_value(w),
			 wk && !wk->enabled ? " (disabled)" : "");
	}
	if (!who.len)
		buf_adds(&who, "(untracked)");
	printf("%10lld  %-22s  %-10s  %6s  %-28s  %s\n", id, gpu.s,
	       jstr(o, "status") ? jstr(o, "status") : "-", dph, ssh, who.s);
	buf_release(&gpu);
	buf_release(&who);
}

static int
cmd_vastai_instances_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *api_key = NULL;
	const struct opt opts[] = {
		{ .name = "api-key", .kind = OPT_STR, .dst = &api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};
	struct registry r = REGISTRY_INIT;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct buf err = BUF_INIT;
	json_t *live = NULL, *rows = json_array(), *missing = json_array(), *row;
	size_t i;
	int rc = 1;

	opt_parse(ctx, opts, argc, argv, NULL);
	const char *root = ctx_root(ctx);
	if (registry_load(&r, root, &err) < 0 || vast_client_init(&vc, api_key, &err) < 0 ||
	    !(live = vast_list_instances(&vc, &err))) {
		error("%s", err.s);
		goto out;
	}
	for (int pass = 0; pass < 2; pass++)
		json_array_foreach(live, i, row) {
			json_t *o = describe(row, &r);
			if (json_is_true(json_object_get(o, "tracked")) == !pass)
				json_array_append(rows, o);
			json_decref(o);
		}
	for (size_t k = 0; k < r.n; k++) {
		const struct worker *w = &r.w[k];
		int live_one = 0;
		if (!w->enabled || w->instance_id <= 0 || !w->id)
			continue;
		json_array_foreach(rows, i, row) {
			long long id = 0;
			jint(row, "id", &id);
			live_one |= id == w->instance_id;
		}
		if (!live_one)
			json_array_append_new(missing, json_pack("{s:s,s:I}", "worker_id", w->id,
								  "instance_id", (json_int_t)w->instance_id));
	}
	if (ctx->json) {
		json_t *out = json_pack("{s:O,s:O}", "instances", rows, "missing", missing);
		json_print(out);
		json_decref(out);
	} else {
		size_t untracked = 0;
		printf("%10s  %-22s  %-10s  %6s  %-28s  %s\n", "ID", "GPU", "Status", "$/hr", "SSH", "Worker");
		for (int k = 0; k < 104; k++)
			fputs("─", stdout);
		putchar('\n');
		json_array_foreach(rows, i, row) {
			print_row(row, &r);
			untracked += !json_is_true(json_object_get(row, "tracked"));
		}
		if (!json_array_size(rows))
			printf("  (no instances on this account)\n");
		if (untracked)
			printf("\n%zu untracked: register with `ros add-worker --vastai-instance-id ID`, or "
			       "`ros vastai-destroy ID`\n", untracked);
		json_array_foreach(missing, i, row)
			printf("%sworker %s: instance %lld is not live (`ros vastai-reconcile --fix` disables it)\n",
			       i || untracked ? "" : "\n", jstr0(row, "worker_id"),
			       (long long)json_integer_value(json_object_get(row, "instance_id")));
	}
	rc = 0;
out:
	json_decref(live);
	json_decref(rows);
	json_decref(missing);
	registry_release(&r);
	vast_client_release(&vc);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_vastai_instances = {
	"vastai-instances", cmd_vastai_instances_fn, CMD_JSON,
	"live Vast.ai instances with the workers naming them; untracked ones flagged",
	"[--api-key KEY] [--json]",
	"Lists the account's instances (GET /api/v1/instances/, every page) with GPU,\n"
	"status, $/hr, SSH endpoint and the worker naming it by instance_id, or\n"
	"(untracked).  Enabled workers whose instance is gone are listed after the table.",
};
