/*
 * idea.c - idea queue entries (see idea.h).
 */
#include "store/idea.h"
#include "util/jx.h"

json_t *
idea_entry(const char *project, const char *title, const char *hypothesis,
	   const char *metric, long long priority, const char *event)
{
	char now[32];
	iso_now(now);
	json_t *e = json_object();
	jset_str(e, "project_id", project);
	jset_str(e, "status", "new");
	jset_int(e, "priority", priority);
	jset_str(e, "title", title);
	jset_str(e, "hypothesis", hypothesis);
	jset_str(e, "metric", metric);
	jset_str(e, "created_at", now);
	jset_str(e, "updated_at", now);
	jset_str(e, "claimed_by", "");
	json_object_set_new(e, "probe_specs", json_array());
	json_object_set_new(e, "evidence", json_array());
	json_t *ev = json_object();
	jset_str(ev, "at", now);
	jset_str(ev, "event", event);
	json_object_set_new(e, "events", json_pack("[o]", ev));
	return e;
}
