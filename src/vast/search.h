/*
 * search.h - what vast-hunt asks Vast.ai for and what it makes of the
 * answer: settings given one at a time (its flags) over a profile and a
 * project (hunt.h), the request, and the offers ranked by what the job
 * would cost on each (cost.h).
 *
 * A setting given on its own is one term of the query (hunt.h lists
 * which).  Two names of one setting with different values are a conflict,
 * and so is a setting on the same filter (field and operator) as a term of
 * the query given with it: which one was meant?
 */
#ifndef ROS_VAST_SEARCH_H
#define ROS_VAST_SEARCH_H

#include <jansson.h>
#include <stddef.h>

#include "vast/api.h"
#include "vast/cost.h"
#include "vast/hunt.h"
#include "vast/rent.h"
#include "util/util.h"

enum vast_given_kind {
	VG_NUM,		/* num, into the double at setting; NAN: not given */
	VG_WHOLE,	/* whole, into the long long at setting; given says */
	VG_NAMES,	/* text, a comma list of plain names, into the strv at setting */
	VG_IDS,		/* ids, each a comma list of offer ids, into exclude_ids */
};

struct vast_given {
	const char *name;	/* how the user named it: "max-dph" (said as --max-dph) */
	enum vast_given_kind kind;
	size_t setting;		/* offsetof(struct vast_hunt, ...) */
	double num;
	long long whole;
	const char *text;	/* NULL: not given */
	const struct strv *ids;	/* NULL or empty: not given */
	int given;		/* VG_WHOLE */
};

/* 1 when g was given. */
int vast_given_set(const struct vast_given *g);

/* Apply g over h (when given).  -1 with err for a name that is not a
 * plain name or an id that is not a positive number. */
int vast_given_apply(const struct vast_given *g, struct vast_hunt *h, struct buf *err);

/* The first conflict of gs[0..n) among themselves or with query (may be
 * NULL), or a bad value: 1 with msg ("--storage 10 and --disk-gb 20 are
 * the same setting: give one", "--gpu 'X' and --query's 'gpu_name in
 * [Y]' set the same filter: give one"), else 0. */
int vast_given_conflict(const struct vast_given *gs, size_t n, const char *query, struct buf *msg);

/* 0 if q parses on its own; else -1 with err (the column is q's). */
int vast_query_check(const char *q, struct buf *err);

/* The request h adds up to: *qs gets its query string, each filter once
 * (new string); the body for POST /api/v0/bundles/ (order from h, at most
 * limit offers when > 0), or NULL with err.  What the query language
 * warns about goes to warnings. */
json_t *vast_hunt_request(const struct vast_hunt *h, long long limit, char **qs, struct strv *warnings,
			  struct buf *err);

#define VAST_REF_HOURS 1.0
#define VAST_REF_DLP 12.4	/* an RTX 3060 12GB */
#define VAST_DISK_GB 32.0	/* disk when nothing says */

/*
 * Search with request (from vast_hunt_request; qs its string), leave out
 * blacklisted machines, offers dearer than h's max_dph and those h
 * excludes (whatever the server returned), and rank the rest by cost for
 * a job of h's ref_hours on disk_gb (NAN: h's disk_gb, else VAST_DISK_GB).
 * The result, new, or NULL with err:
 *
 *	{query_string, query, profile, cost_params: {ref_hours, ref_dlp,
 *	 disk_gb, data_gb, ref_hours_default}, cost_note (when ref_hours
 *	 was not given: the cost is for a 1 h job at the reference speed),
 *	 offers (ranked, each with its cost), hidden: {blacklisted,
 *	 over_max_dph, excluded}, best (the first offer's id, or null)}
 */
json_t *vast_hunt_search(const char *root, struct vast_client *vc, const struct vast_hunt *h,
			 const char *qs, const json_t *request, double disk_gb, struct buf *err);

/* Renting the best offer of a hunt (vast-hunt --rent). */
struct vast_hunt_rental {
	const char *pool, *ssh_mode, *key, *workspace;	/* of the new worker; NULL: the defaults */
	int timeout_s;			/* waiting for it to run; 0: 900 */
	double disk_gb;			/* disk rented */
	int (*approve)(void *arg, const json_t *offer);	/* asked before each offer; NULL: not asked */
	void (*progress)(void *arg, const char *line);
	void *arg;
	/* what happened */
	struct vast_rental got;		/* got.declined: approve said no */
	char *worker_id;		/* registered as */
	json_t *rental;			/* {offer_id, instance_id, worker_id, ssh_host, ssh_port,
					 * worker_pool}, or {offer_id, instance_id, error} for an
					 * instance that did not come up; NULL: none rented */
};
void vast_hunt_rental_release(struct vast_hunt_rental *r);

/* Rent the best offer of ranked that can be rented (the next when one is
 * gone: vast_rent), with h's image and onstart, wait until it runs and
 * register it as a worker (vast_register_rental).  0; -1 with err when
 * nothing was rented (or it did not come up); -2 with err when it runs
 * but was not registered (r->got.instance_id says which). */
int vast_hunt_rent(const char *root, struct vast_client *vc, const struct vast_hunt *h, const json_t *ranked,
		   struct vast_hunt_rental *r, struct buf *err);

/* "[Nx ]GPU on machine M, $X/hr, DLP/$ D": what an offer is, in one line. */
void vast_offer_desc(struct buf *b, const json_t *offer);

#endif
