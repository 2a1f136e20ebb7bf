/*
 * vworker.c - worker entries from Vast.ai instances (see vworker.h).
 */
#include "vast/vworker.h"
#include "vast/api.h"

#include <stdlib.h>
#include <string.h>

json_t *
vast_worker_fields(long long instance_id, const char *api_key, struct buf *err)
{
	struct vast_client vc;
	json_t *inst = NULL, *out = NULL;
	if (vast_client_init(&vc, api_key, err) < 0)
		return NULL;
	inst = vast_show_instance(&vc, instance_id, err);
	if (!inst)
		goto done;
	if (json_is_null(inst)) {
		buf_addf(err, "Vast.ai instance %lld not found (or no longer exists)", instance_id);
		goto done;
	}
	char *host = NULL;
	int port = 0;
	if (vast_ssh_endpoint(inst, 0, &host, &port) < 0) {
		buf_addf(err, "instance %lld has no SSH endpoint yet (status %s); try again when it is running",
			 instance_id, json_string_value(json_object_get(inst, "actual_status")) ?: "null");
		goto done;
	}
	out = json_object();
	json_t *ssh = json_object();
	json_object_set_new(ssh, "host", json_string(host));
	json_object_set_new(ssh, "port", json_integer(port));
	json_object_set_new(ssh, "user", json_string("root"));
	json_object_set_new(out, "ssh", ssh);
	free(host);
	json_t *res = json_object();
	long long n;
	if (vast_json_int(json_object_get(inst, "num_gpus"), &n) == 0)
		json_object_set_new(res, "gpu", json_integer(n));
	if (vast_json_int(json_object_get(inst, "gpu_ram"), &n) == 0)
		json_object_set_new(res, "vram_gb", json_real((double)(n / 100) / 10.0));
	json_t *disk = json_object_get(inst, "disk_space");
	if (json_is_number(disk))
		json_object_set_new(res, "disk_gb", json_real(json_number_value(disk)));
	json_object_set_new(out, "resources", res);
	json_t *dph = json_object_get(inst, "dph_total");
	if (json_is_number(dph))
		json_object_set_new(out, "dph", json_real(json_number_value(dph)));
	const char *gpu = json_string_value(json_object_get(inst, "gpu_name"));
	const char *geo = json_string_value(json_object_get(inst, "geolocation"));
	char *notes = xasprintf("Vast.ai instance %lld: %s%s%s", instance_id, gpu ? gpu : "GPU",
				geo ? ", " : "", geo ? geo : "");
	json_object_set_new(out, "notes", json_string(notes));
	free(notes);
done:
	json_decref(inst);
	vast_client_release(&vc);
	return out;
}
