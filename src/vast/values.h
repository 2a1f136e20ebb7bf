/*
 * values.h - the numbers ros takes from the Vast.ai API, and the range each
 * must fall in to be believed.
 *
 * Every instance and offer row the API layer returns has been screened
 * against this table (vast_row_screen, called by vast_list_instances,
 * vast_show_instance and vast_search_offers).  A field that is absent or
 * null is unknown and passes; a field that is present must be a JSON number
 * in its range (a port may also be a decimal string: the API sends HostPort
 * as one).  Strings, booleans, arrays and objects where a number belongs are
 * as wrong as 1e300.
 *
 *	field                              unit         range            kind
 *	id, machine_id                     -            1 .. 2^53-1      integer
 *	dph_total, dph_base, min_bid       $/h          0 .. 1000        number
 *	storage_cost                       $/GB/month   0 .. 1000        number
 *	inet_up_cost, inet_down_cost       $/GB         0 .. 1000        number
 *	num_gpus                           -            0 .. 64          integer
 *	gpu_ram                            MB           0 .. 1048576     number
 *	disk_space                         GB           0 .. 1000000     number
 *	cpu_cores, cpu_cores_effective     -            0 .. 4096        number
 *	dlperf                             -            0 .. 1000000     number
 *	dlperf_per_dphtotal                -            0 .. 1e9         number
 *	reliability, reliability2          fraction     0 .. 1           number
 *	ssh_port                           -            1 .. 65535       port
 *	ports["22/tcp"][i].HostPort        -            1 .. 65535       port
 *	duration                           s            0 .. 1e10        number
 *	start_date                         epoch s      0 .. 1e11        number
 *
 * The bounds are far beyond any real machine (a price of 1000 $/h is ten
 * times an 8x H100 box) and keep every value a small, finite number that
 * converts to an integer without overflow.  Fields ros never reads are not
 * checked.  (The id of a new rental, create's new_contract, is an id of
 * the same range: vast_json_id.)
 *
 * A row out of range is refused, never clamped:
 *   - an offer is dropped from the search result: never shown, ranked or
 *     rented;
 *   - an instance row stays in the list, so that it still counts (the
 *     watcher's caps) and is not taken for gone (reconcile), but its bad
 *     fields are removed and VAST_REFUSED is set to why; whoever would
 *     write, rent or count from it (vworker.h, reconcile.h, rent.h, the
 *     watcher) refuses it by that mark.  An instance whose id is refused
 *     has no id.
 * Each refusal is reported with the id and the field (vast_client.warn).
 */
#ifndef ROS_VAST_VALUES_H
#define ROS_VAST_VALUES_H

#include <jansson.h>

#include "util/util.h"

#define VAST_PRICE_MAX 1000.0		/* $/h, and every other price */
#define VAST_ID_MAX 9007199254740991LL	/* 2^53 - 1 */

/* The member a refused instance row carries: a string, why. */
#define VAST_REFUSED "ros_refused"

/*
 * Check the numbers of row (an instance or an offer) against the table.
 * 0 if every one present is in range; else the number of bad fields, with
 * one clause per field appended to why (when not NULL), "; " between them:
 * "dph_total is 1e+300, not a price from 0 to 1000".  A row that is not an
 * object is one bad field.
 */
int vast_row_check(const json_t *row, struct buf *why);

/*
 * vast_row_check, and when it fails: remove the bad fields from row (an
 * object) and set VAST_REFUSED to the reason.  Returns the number of bad
 * fields (0: row untouched).  A row already marked keeps its mark.
 */
int vast_row_screen(json_t *row);

/* Why row was refused (its VAST_REFUSED string), or NULL.  Borrowed. */
const char *vast_row_refused(const json_t *row);

/* An id (instance, offer, machine): an integral JSON number from 1 to
 * VAST_ID_MAX.  0 with *out, or -1. */
int vast_json_id(const json_t *v, long long *out);

/* s made safe to print: control characters and invalid UTF-8 become '?',
 * at most max display columns (0: no limit, else cut with "..."); NULL
 * or "" gives dflt.  New string. */
char *vast_disp(const char *s, size_t max, const char *dflt);

/* String member k of a row shown with vast_disp (NULL -> dflt). */
char *vast_disp_field(const json_t *row, const char *k, size_t max, const char *dflt);

#endif
