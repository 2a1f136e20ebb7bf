/*
 * hunt.h - what vast-hunt (and the watcher) look for: search profiles, a
 * project's hardware requirements, the machine blacklist, and the offer
 * query they add up to.
 *
 * Settings come, in increasing precedence, from the profile (built-in
 * `pytorch` / `jax`, or a user profile in vastai/profiles.yaml, which wins
 * over a built-in of the same name), the project's `hardware:` section
 * (research/<id>/project.yaml), then the command line.  The query string
 * is the profile's query, the project's `query`, one term per setting
 * (min_vram_gb -> gpu_ram>=V, min_cuda -> cuda_max_good>=V,
 * min_reliability -> reliability>=V, min_dlperf_usd -> dlperf_usd>=V,
 * disk_gb and min_disk_space -> disk_space>=G (the larger of the two),
 * min_ports -> direct_port_count>=N, max_dph -> dph<=V, num_gpus ->
 * num_gpus=N, gpu -> gpu_name in [...], exclude_geolocation -> geolocation
 * notin [...], exclude_ids -> id notin [...]), then --query; a later term
 * on the same field and operator replaces an earlier one (query.h;
 * vast_query_dedup() writes the string with each filter once).
 *
 * vastai/profiles.yaml: a mapping from profile name to either a query
 * string or a mapping with any of
 *
 *	query, ref_hours, ref_dlp, data_gb, disk_gb, min_vram_gb, min_cuda,
 *	min_reliability, max_dph, num_gpus, gpu, exclude_geolocation, image,
 *	onstart, order
 *
 * (gpu and exclude_geolocation: a list or a comma-separated string).
 * The built-in profiles also set image and disk_gb (32), before their
 * query and before a user profile of the same name.
 * A project's `hardware:` takes the same keys plus `profile`.
 *
 * vastai/blacklist.yaml: machines never shown nor rented.
 *
 *	blacklist:
 *	  - machine_id: 48211
 *	    reason: "rented twice, never booted"
 *	    date: 2026-05-30
 *
 * A bare list at the top is read too, and an item may be a bare id.
 * A missing file is an empty blacklist; a malformed one is an error (an
 * unreadable ban list must not let a banned machine through).
 */
#ifndef ROS_VAST_HUNT_H
#define ROS_VAST_HUNT_H

#include <jansson.h>

#include "store/yaml.h"
#include "util/util.h"

struct vast_hunt {
	char *profile;		/* profile applied, or NULL */
	char *profile_query, *project_query, *query;	/* NULL: none */
	/* NAN: unset */
	double ref_hours, ref_dlp, data_gb, disk_gb;
	double max_dph, min_vram_gb, min_cuda, min_reliability;
	double min_dlperf_usd, min_disk_space;	/* flags only */
	long long num_gpus;	/* 0: unset */
	long long min_ports;	/* -1: unset; flags only */
	struct strv gpus, exclude_geo;
	/* offers never ranked nor rented (also left to vast_drop_offer_ids:
	 * the server may not honour the filter); flags only */
	long long *exclude_ids;
	size_t n_exclude, alloc_exclude;
	char *image, *onstart, *order;
};

void vast_hunt_init(struct vast_hunt *h);
void vast_hunt_release(struct vast_hunt *h);

/*
 * Fill h from the profile and the project: profile is the --profile flag
 * (NULL: the project's hardware.profile, else none), project the
 * --project-id (NULL: none).  -1 with err for an unknown profile or
 * project, or a file that does not parse.  Values of the wrong type in
 * project.yaml are skipped with a warning (hand-written files hold free
 * text where numbers belong).
 */
int vast_hunt_load(const char *root, const char *profile, const char *project, struct vast_hunt *h,
		   struct buf *err);

/* The query string h adds up to (see above).  New string. */
char *vast_hunt_query_string(const struct vast_hunt *h);

/* Names of the profiles: built-in and vastai/profiles.yaml ("pytorch, jax, mine"). */
char *vast_profile_names(const char *root);

struct vast_blacklist {
	long long *ids;
	size_t n, alloc;
};
#define VAST_BLACKLIST_INIT { NULL, 0, 0 }

/* Read root/vastai/blacklist.yaml (see above).  0, or -1 with err. */
int vast_blacklist_load(const char *root, struct vast_blacklist *bl, struct buf *err);
int vast_blacklisted(const struct vast_blacklist *bl, long long machine_id);
void vast_blacklist_release(struct vast_blacklist *bl);

/* offers at most max_dph $/hr (NAN: all): new array; *dropped gets the
 * number left out.  The server may not honour every filter of a query. */
json_t *vast_drop_dear(const json_t *offers, double max_dph, size_t *dropped);

/* offers but those whose id is one of ids[0..n): new array; *dropped gets
 * the number left out. */
json_t *vast_drop_offer_ids(const json_t *offers, const long long *ids, size_t n, size_t *dropped);

/* offers without the blacklisted machines: new array; *hidden gets the
 * number left out. */
json_t *vast_drop_blacklisted(const json_t *offers, const struct vast_blacklist *bl, size_t *hidden);

/* 1 if s can be an item of a name list (gpu, exclude_geolocation): not
 * empty, no control characters, none of [ ] , " ' */
int vast_list_item_ok(const char *s);

#endif
