/*
 * vworker.h - worker entries from Vast.ai instances (add-worker
 * --vastai-instance-id, vast-hunt --rent, the watcher).
 */
#ifndef ROS_VWORKER_H
#define ROS_VWORKER_H

#include <jansson.h>
#include "util/util.h"

/* Fields for a worker entry from the live instance id: {"ssh": {host,
 * port, user}, "resources": {gpu, vram_gb, disk_gb}, "dph": X, "notes": T}.
 * api_key: the --api-key flag or NULL.  New reference, or NULL with err. */
json_t *vast_worker_fields(long long instance_id, const char *api_key, struct buf *err);

#endif
