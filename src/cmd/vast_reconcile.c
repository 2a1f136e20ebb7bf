/*
 * vast_reconcile.c - `ros vastai-reconcile [--fix]`: workers.yaml against
 * the live Vast.ai instances, as the post shows it:
 *
 *   === Worker Reconciliation at 2026-05-31 06:49:22 ===
 *   Live instances: 10  |  Tracked workers: 6
 *
 *     [✓] vastai_worker_2   inst=37906248  running   ssh8.vast.ai:26248  [RTX 3060  $0.0659/hr]
 *         ⚠ PORT CHANGED: yaml=26249  live=26248
 *         ✓ Updated port 26249 → 26248
 *     [GONE]    vastai_auto_20260530_175359 — instance 38614511 not found
 *               ✓ Marked vastai_auto_20260530_175359 enabled: false
 *
 *   All tracked workers are consistent with live state.
 *
 * The list is fetched first, without the lock; the comparison and the
 * repairs happen under the lock on a fresh read (vast/reconcile.h).
 * Exit 1 without --fix when there is drift, with --fix when a repair failed.
 */
#include "ros.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/reconcile.h"
#include "vast/values.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
print_forgotten(const struct vast_wrec *t, const char *indent)
{
	for (size_t i = 0; i < t->forgotten.n; i++)
		printf("%s✓ Removed %s from .ros/known_hosts\n", indent, t->forgotten.v[i]);
}

static void
print_worker(const struct vast_wrec *t, int fix)
{
	if (t->gone) {
		printf("  [GONE]    %s — instance %lld not found\n", t->worker_id, t->instance_id);
		if (!fix)
			return;
		if (t->disabled)
			printf("            ✓ Marked %s enabled: false\n", t->worker_id);
		if (t->nstale)
			printf("            ✓ %d run%s made stale (%d requeued)\n", t->nstale,
			       t->nstale == 1 ? "" : "s", t->nrequeued);
		print_forgotten(t, "            ");
		if (t->fix_error)
			printf("            ✗ Not disabled: %s\n", t->fix_error);
		return;
	}
	char *st = vast_disp_field(t->inst, "actual_status", 20, "-");
	char *gpu = vast_disp_field(t->inst, "gpu_name", 40, "?");
	json_t *dph = json_object_get(t->inst, "dph_total");
	struct buf ep = BUF_INIT;
	if (t->live_host)
		buf_addf(&ep, "%s:%d", t->live_host, t->live_port);
	else
		buf_adds(&ep, "(no SSH endpoint)");
	printf("  [%s] %-16s  inst=%lld  %-8s  %s  [%s  ", t->live_host && !strcmp(st, "running") ? "✓" : "!",
	       t->worker_id, t->instance_id, st, ep.s, gpu);
	if (json_is_number(dph))
		printf("$%.4f/hr]\n", json_number_value(dph));
	else
		printf("$?/hr]\n");
	if (t->port_changed)
		printf("      ⚠ PORT CHANGED: yaml=%d  live=%d\n", t->yaml_port, t->live_port);
	if (t->problem)
		printf("      ⚠ %s\n", t->problem);
	if (t->host_changed)
		printf("      ⚠ HOST CHANGED: yaml=%s  live=%s\n", t->yaml_host ? t->yaml_host : "(none)",
		       t->live_host);
	if (fix && t->fixed_port)
		printf("      ✓ Updated port %d → %d\n", t->yaml_port, t->live_port);
	if (fix && t->fixed_host)
		printf("      ✓ Updated host %s → %s\n", t->yaml_host ? t->yaml_host : "(none)", t->live_host);
	if (fix && t->fix_error)
		printf("      ✗ Not updated: %s\n", t->fix_error);
	if (fix && t->hostile)
		printf("      ✗ Not updated: nothing usable to write\n");
	if (fix)
		print_forgotten(t, "      ");
	buf_release(&ep);
	free(st);
	free(gpu);
}

static void
print_untracked(const json_t *inst)
{
	long long id = 0;
	char *host = NULL, *st = vast_disp_field(inst, "actual_status", 20, "-");
	char *gpu = vast_disp_field(inst, "gpu_name", 40, "?");
	int port = 0;
	json_t *dph = json_object_get(inst, "dph_total");
	vast_json_int(json_object_get(inst, "id"), &id);
	printf("  [untracked] inst=%lld  %-8s  ", id, st);
	if (vast_ssh_endpoint(inst, 0, &host, &port) == 0)
		printf("%s:%d", host, port);
	else
		printf("(no SSH endpoint yet)");
	if (json_is_number(dph))
		printf("  [%s  $%.4f/hr]\n", gpu, json_number_value(dph));
	else
		printf("  [%s  $?/hr]\n", gpu);
	free(host);
	free(st);
	free(gpu);
}

static json_t *
endpoint_json(const char *host, int port)
{
	if (!host)
		return json_null();
	return json_pack("{s:s,s:i}", "host", host, "port", port);
}

static json_t *
wrec_json(const struct vast_wrec *t, int fix)
{
	json_t *o = json_object(), *drift = json_array();
	jset_str(o, "worker_id", t->worker_id);
	jset_int(o, "instance_id", t->instance_id);
	jset_str(o, "ssh_mode", t->direct ? "direct" : "proxy");
	if (t->inst) {
		char *st = vast_disp_field(t->inst, "actual_status", 20, NULL);
		char *gpu = vast_disp_field(t->inst, "gpu_name", 40, NULL);
		json_t *dph = json_object_get(t->inst, "dph_total");
		json_object_set_new(o, "status", *st ? json_string(st) : json_null());
		json_object_set_new(o, "gpu_name", *gpu ? json_string(gpu) : json_null());
		json_object_set_new(o, "dph_total", json_is_number(dph) ? json_real(json_number_value(dph)) : json_null());
		free(st);
		free(gpu);
	}
	json_object_set_new(o, "yaml", endpoint_json(t->yaml_host ? t->yaml_host : "", t->yaml_port));
	json_object_set_new(o, "live", endpoint_json(t->live_host, t->live_port));
	if (t->port_changed)
		json_array_append_new(drift, json_string("port"));
	if (t->host_changed)
		json_array_append_new(drift, json_string("host"));
	if (t->gone)
		json_array_append_new(drift, json_string("gone"));
	if (t->hostile)
		json_array_append_new(drift, json_string("refused"));
	json_object_set_new(o, "problem", t->problem ? json_string(t->problem) : json_null());
	json_object_set_new(o, "drift", drift);
	if (fix) {
		json_t *fixed = json_array(), *kh = json_array();
		if (t->fixed_port)
			json_array_append_new(fixed, json_string("port"));
		if (t->fixed_host)
			json_array_append_new(fixed, json_string("host"));
		if (t->disabled)
			json_array_append_new(fixed, json_string("disabled"));
		json_object_set_new(o, "fixed", fixed);
		jset_int(o, "runs_stale", t->nstale);
		jset_int(o, "runs_requeued", t->nrequeued);
		for (size_t i = 0; i < t->forgotten.n; i++)
			json_array_append_new(kh, json_string(t->forgotten.v[i]));
		json_object_set_new(o, "known_hosts_removed", kh);
		json_object_set_new(o, "error", t->fix_error ? json_string(t->fix_error) : json_null());
	}
	return o;
}

static int
cmd_vastai_reconcile_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *api_key = NULL;
	int fix = 0;
	const struct opt opts[] = {
		{ .name = "fix", .kind = OPT_BOOL, .dst = &fix, .help = "apply the fixes to workers.yaml (and stale the runs of gone workers)" },
		{ .name = "api-key", .kind = OPT_STR, .dst = &api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};
	struct vast_client vc = VAST_CLIENT_INIT;
	struct vast_recon rc = VAST_RECON_INIT;
	struct buf err = BUF_INIT;
	json_t *live = NULL;
	char when[32];
	int ret = 1;

	opt_parse(ctx, opts, argc, argv, NULL);
	const char *root = ctx_root(ctx);
	if (vast_client_init(&vc, api_key, &err) < 0 || !(live = vast_list_instances(&vc, &err)) ||
	    vast_reconcile(root, live, fix, &rc, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	time_t now = time_now();
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	int consistent = rc.ndrift == 0 || (fix && rc.nfailed == 0);
	if (ctx->json) {
		json_t *o = json_object(), *ws = json_array(), *un = json_array(), *row;
		size_t i;
		jset_str(o, "time", when);
		jset_int(o, "live_instances", (long long)rc.nlive);
		jset_int(o, "tracked_workers", (long long)rc.n);
		for (size_t k = 0; k < rc.n; k++)
			json_array_append_new(ws, wrec_json(&rc.w[k], fix));
		json_object_set_new(o, "workers", ws);
		json_array_foreach(rc.untracked, i, row) {
			long long id = 0;
			vast_json_int(json_object_get(row, "id"), &id);
			json_array_append_new(un, json_integer(id));
		}
		json_object_set_new(o, "untracked", un);
		jset_int(o, "drifted", (long long)rc.ndrift);
		json_object_set_new(o, "fixed", json_boolean(fix));
		jset_int(o, "failed", (long long)rc.nfailed);
		json_object_set_new(o, "consistent", json_boolean(consistent));
		json_print(o);
		json_decref(o);
	} else {
		printf("=== Worker Reconciliation at %s ===\n", when);
		printf("Live instances: %zu  |  Tracked workers: %zu\n\n", rc.nlive, rc.n);
		for (size_t k = 0; k < rc.n; k++)
			print_worker(&rc.w[k], fix);
		for (size_t i = 0; i < json_array_size(rc.untracked); i++)
			print_untracked(json_array_get(rc.untracked, i));
		if (rc.n || json_array_size(rc.untracked))
			printf("\n");
		if (consistent)
			printf("All tracked workers are consistent with live state.\n");
		else if (fix)
			printf("%zu repair%s failed (see ✗ above); workers.yaml has the others.\n", rc.nfailed,
			       rc.nfailed == 1 ? "" : "s");
		else
			printf("%zu tracked worker%s drifted from live state: run `ros vastai-reconcile --fix`.\n",
			       rc.ndrift, rc.ndrift == 1 ? "" : "s");
	}
	ret = consistent ? 0 : 1;
out:
	json_decref(live);
	vast_recon_release(&rc);
	vast_client_release(&vc);
	buf_release(&err);
	return ret;
}

const struct ros_cmd cmd_vastai_reconcile = {
	"vastai-reconcile", cmd_vastai_reconcile_fn, CMD_JSON,
	"workers.yaml vs live instances: port/host drift, gone instances; --fix repairs",
	"[--fix] [--api-key KEY] [--json]",
	"Compares every enabled worker that names an instance (instance_id) with the\n"
	"live instance: its SSH port and host (Vast.ai's proxy, or with `ssh_mode: direct`\n"
	"the public address and 22/tcp port), or that it is gone.  --fix patches ssh.port\n"
	"and ssh.host in place (comments and layout stay), sets `enabled: false` on\n"
	"workers whose instance is gone, makes their running runs stale (requeued per\n"
	"max_retries) and removes the old endpoints from .ros/known_hosts.\n"
	"Exit 1 without --fix when there is drift, with --fix when a repair failed.",
};
