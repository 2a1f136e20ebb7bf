/*
 * vworker.c - worker entries from Vast.ai instances (see vworker.h).
 */
#include "vast/vworker.h"
#include "util/jx.h"
#include "vast/api.h"
#include "vast/values.h"
#include "store/registry.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A number member, or -1 (NAN) when absent or null. */
static int
num(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* A GB amount: an integer when it is one, else one decimal. */
static json_t *
gb_value(double gb)
{
	if (gb == floor(gb) && fabs(gb) < 1e15)
		return json_integer((json_int_t)gb);
	return json_real(round(gb * 10.0) / 10.0);
}

char *
vast_endpoint_problem(const json_t *inst, int direct, int *hostile)
{
	const json_t *h = json_object_get(inst, direct ? "public_ipaddr" : "ssh_host");
	const json_t *p = direct ? json_object_get(json_array_get(json_object_get(json_object_get(inst, "ports"),
				   "22/tcp"), 0), "HostPort") : json_object_get(inst, "ssh_port");
	const char *hs = json_string_value(h);
	long long port;
	char *r;

	*hostile = 0;
	if (hs && *hs) {
		int ok = *hs != '-';
		for (const char *c = hs; *c && ok; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			     strchr(".-_:", *c);
		if (!ok) {
			char *d = vast_disp(hs, 60, "");
			*hostile = 1;
			r = xasprintf("refusing SSH host '%s' from Vast.ai (not a plain host name)", d);
			free(d);
			return r;
		}
	}
	if (p && !json_is_null(p) && (vast_json_int(p, &port) < 0 || port <= 0 || port > 65535)) {
		char *d = json_is_string(p) ? vast_disp(json_string_value(p), 20, "") : xstrdup("?");
		*hostile = 1;
		r = xasprintf("refusing SSH port '%s' from Vast.ai", d);
		free(d);
		return r;
	}
	char *st = vast_disp_field(inst, "actual_status", 40, "null");
	r = xasprintf("no %s SSH endpoint yet (status %s)", direct ? "direct" : "proxy", st);
	free(st);
	return r;
}

json_t *
vast_instance_fields(const json_t *inst, int direct, struct buf *err)
{
	long long id = 0, n;
	char *host = NULL;
	int port = 0;
	double d;
	struct buf bad = BUF_INIT;

	if (vast_json_id(json_object_get(inst, "id"), &id) < 0)
		id = 0;
	if (vast_row_refused(inst) || vast_row_check(inst, &bad)) {
		if (id)
			buf_addf(err, "instance %lld: ", id);
		else
			buf_adds(err, "a Vast.ai instance without a usable id: ");
		buf_addf(err, "refusing Vast.ai's values: %s",
			 vast_row_refused(inst) ? vast_row_refused(inst) : bad.s);
		buf_release(&bad);
		return NULL;
	}
	buf_release(&bad);
	if (vast_ssh_endpoint(inst, direct, &host, &port) < 0) {
		int hostile;
		char *why = vast_endpoint_problem(inst, direct, &hostile);
		buf_addf(err, "instance %lld: %s%s", id, why, hostile ? "" : "; try again when it is running");
		free(why);
		return NULL;
	}
	json_t *out = json_object(), *ssh = json_object(), *res = json_object();
	jset_str(ssh, "host", host);
	jset_int(ssh, "port", port);
	jset_str(ssh, "user", "root");
	json_object_set_new(out, "ssh", ssh);
	free(host);
	if (vast_json_int(json_object_get(inst, "num_gpus"), &n) == 0 && n >= 0)
		jset_int(res, "gpu", n);
	if (num(inst, "gpu_ram", &d) == 0 && d > 0)
		jset_int(res, "vram_gb", (long long)floor(d / 1024.0 + 0.5));
	if (num(inst, "disk_space", &d) == 0 && d > 0)
		json_object_set_new(res, "disk_gb", gb_value(d));
	if (num(inst, "cpu_cores_effective", &d) == 0 && d >= 1)
		jset_int(res, "cpu", (long long)floor(d));
	json_object_set_new(out, "resources", res);
	if (num(inst, "dph_total", &d) == 0 && d >= 0)
		json_object_set_new(out, "dph", json_real(round(d * 10000.0) / 10000.0));
	char *gpu = vast_disp_field(inst, "gpu_name", 60, "GPU");
	char *geo = vast_disp_field(inst, "geolocation", 60, NULL);
	char *notes = xasprintf("Vast.ai instance %lld: %s%s%s", id, gpu, *geo ? ", " : "", geo);
	jset_str(out, "notes", notes);
	free(notes);
	free(gpu);
	free(geo);
	return out;
}

json_t *
vast_worker_fields(long long instance_id, const char *api_key, int direct, struct buf *err)
{
	struct vast_client vc = VAST_CLIENT_INIT;
	json_t *inst = NULL, *out = NULL;

	if (vast_client_init(&vc, api_key, err) < 0)
		goto done;
	inst = vast_show_instance(&vc, instance_id, err);
	if (!inst)
		goto done;
	if (json_is_null(inst)) {
		buf_addf(err, "Vast.ai instance %lld not found (or no longer exists)", instance_id);
		goto done;
	}
	out = vast_instance_fields(inst, direct, err);
done:
	json_decref(inst);
	vast_client_release(&vc);
	return out;
}

json_t *
worker_entry(const struct worker_spec *s)
{
	const char *kind = s->kind ? s->kind : s->host || s->instance_id ? "ssh" : "local";
	int local = !strcmp(kind, "local");
	json_t *e = json_object(), *health = json_object();

	jset_str(e, "worker_id", s->id);
	if (s->instance_id)
		jset_int(e, "instance_id", s->instance_id);
	jset_str(e, "kind", kind);
	json_object_set_new(e, "enabled", json_boolean(!s->disabled));
	jset_str(e, "worker_pool", s->pool ? s->pool : s->instance_id ? "vastai" : local ? "local" : "default");
	if (s->ssh_mode)
		jset_str(e, "ssh_mode", s->ssh_mode);
	if (s->host) {
		json_t *ssh = json_object();
		jset_str(ssh, "host", s->host);
		if (s->port)
			jset_int(ssh, "port", s->port);
		if (s->user)
			jset_str(ssh, "user", s->user);
		if (s->key)
			jset_str(ssh, "key", s->key);
		json_object_set_new(e, "ssh", ssh);
	}
	jset_str(e, "workspace", s->workspace ? s->workspace : local ? "workspace" :
				 s->instance_id ? "/root/research-worker" : "research-worker");
	if (s->slots)
		jset_int(e, "slots", s->slots);
	if (json_object_size(s->resources))
		json_object_set_new(e, "resources", json_deep_copy(s->resources));
	if (s->dph)
		json_object_set_new(e, "dph", json_deep_copy(s->dph));
	jset_str(health, "heartbeat_command", "echo ok");
	jset_str(health, "busy_command", "pgrep -f '[r]uns/logs/.*/wrapper.sh' || true");
	json_object_set_new(e, "health", health);
	if (s->notes)
		jset_str(e, "notes", s->notes);
	return e;
}

int
worker_entry_check(const json_t *fields, struct buf *err)
{
	struct worker probe = { 0 };
	json_t *ssh = json_object_get(fields, "ssh");
	long long port = 0;

	probe.id = (char *)jstr(fields, "worker_id");
	probe.kind = (char *)(jstr(fields, "kind") ? jstr(fields, "kind") : "ssh");
	probe.host = (char *)jstr(ssh, "host");
	probe.user = (char *)jstr(ssh, "user");
	probe.key = (char *)jstr(ssh, "key");
	probe.workspace = (char *)jstr(fields, "workspace");
	jint(ssh, "port", &port);
	probe.port = port < 0 || port > 65535 ? -1 : (int)port;
	return worker_check(&probe, err);
}

/* AUTO-RENTED at 2026-05-31 00:35:14. RTX A4000, $0.0940/hr, DLP/$=230.8. Washington, US. */
static char *
rental_notes(const json_t *inst, const json_t *offer, const struct vast_reg_opts *o)
{
	struct buf notes = BUF_INIT;
	char when[32];
	time_t now = time_now();
	struct tm tm;
	double d;
	long long ngpu = 1;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	char *gpu = vast_disp_field(inst, "gpu_name", 60, "GPU");
	char *geo = vast_disp_field(inst, "geolocation", 60, NULL);
	if (!*geo) {
		free(geo);
		geo = vast_disp_field(offer, "geolocation", 60, "location unknown");
	}
	buf_addf(&notes, "%s at %s. ", o->origin ? o->origin : "AUTO-RENTED", when);
	if (vast_json_int(json_object_get(inst, "num_gpus"), &ngpu) == 0 && ngpu > 1)
		buf_addf(&notes, "%lldx ", ngpu);
	buf_adds(&notes, gpu);
	if (num(inst, "dph_total", &d) == 0 || num(offer, "dph_total", &d) == 0)
		buf_addf(&notes, ", $%.4f/hr", d);
	if (num(inst, "dlperf_per_dphtotal", &d) == 0 || num(offer, "dlperf_per_dphtotal", &d) == 0)
		buf_addf(&notes, ", DLP/$=%.1f", d);
	buf_addf(&notes, ". %s.", geo);
	free(gpu);
	free(geo);
	return buf_detach(&notes);
}

json_t *
vast_rental_entry(const char *worker_id, long long instance_id, const json_t *inst,
		  const json_t *offer, const struct vast_reg_opts *o, struct buf *err)
{
	json_t *f = vast_instance_fields(inst, o->direct, err), *e, *ssh;
	if (!f)
		return NULL;
	if (offer && vast_row_check(offer, NULL))
		offer = NULL;	/* only the notes come from it: better none than wrong */
	ssh = json_object_get(f, "ssh");
	long long port = 0;
	jint(ssh, "port", &port);
	char *notes = rental_notes(inst, offer, o);
	struct worker_spec s = { .id = worker_id, .instance_id = instance_id, .kind = "ssh",
				 .pool = o->pool, .ssh_mode = o->direct ? "direct" : NULL,
				 .host = jstr(ssh, "host"), .port = port, .user = jstr(ssh, "user"),
				 .key = o->ssh_key, .workspace = o->workspace,
				 .resources = json_object_get(f, "resources"), .dph = json_object_get(f, "dph"),
				 .notes = notes };
	e = worker_entry(&s);
	free(notes);
	json_decref(f);
	if (worker_entry_check(e, err) < 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

int
vast_register_rental(const char *root, long long instance_id, const json_t *inst,
		     const json_t *offer, const struct vast_reg_opts *o, char **worker_id,
		     struct buf *err)
{
	struct store_lock l = STORE_LOCK_INIT;
	struct registry r = REGISTRY_INIT;
	json_t *entry = NULL;
	char base[64], *id = NULL;
	time_t now = time_now();
	struct tm tm;
	int ret = -1;

	*worker_id = NULL;
	localtime_r(&now, &tm);
	strftime(base, sizeof base, "vastai_auto_%Y%m%d_%H%M%S", &tm);
	if (store_lock(root, &l, err) < 0 || registry_load(&r, root, err) < 0)
		goto out;
	id = xstrdup(base);
	for (int n = 2; registry_find(&r, id); n++) {
		free(id);
		id = xasprintf("%s_%d", base, n);
	}
	for (size_t i = 0; i < r.n; i++)
		if (r.w[i].instance_id == instance_id && r.w[i].enabled) {
			buf_addf(err, "instance %lld is already registered as worker %s", instance_id,
				 r.w[i].id ? r.w[i].id : "?");
			goto out;
		}
	if (!(entry = vast_rental_entry(id, instance_id, inst, offer, o, err)))
		goto out;
	if (registry_add_worker(&r, entry, err) < 0 || registry_save(&r, err) < 0)
		goto out;
	*worker_id = id;
	id = NULL;
	ret = 0;
out:
	store_unlock(&l);
	registry_release(&r);
	json_decref(entry);
	free(id);
	return ret;
}
