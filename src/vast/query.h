/*
 * query.h - the offer search language of `vastai search offers`.
 *
 * A query is space-separated `field op value` terms, e.g.
 *
 *	dph<0.1 gpu_ram>=8 verified=true geolocation in [US,CA]
 *
 * parsed exactly as the official CLI parses it (see API.md §3.1/§3.2), into
 * the JSON object that POST /api/v0/bundles/ takes:
 *
 *	{"verified":{"eq":true},"external":{"eq":false},"rentable":{"eq":true},
 *	 "dph_total":{"lt":"0.1"},"gpu_ram":{"gte":8000.0},
 *	 "order":[["score","desc"]],"type":"on-demand","allocated_storage":5.0}
 *
 * Operators: = == eq; != neq noteq "not eq"; > gt; >= gte; < lt; <= lte;
 * in; notin "not in" nin.  Word forms need spaces around them.
 * Values: a bare token, a "double quoted string" or a [a,b,c] list.
 * `any`, `*` or `?` with `=` deletes the field (defaults included).
 * Underscores in values become spaces (RTX_3090).  gpu_ram, gpu_total_ram
 * and cpu_ram are GB and become MB (x1000, a number); duration is days and
 * becomes seconds (x86400); driver_version 535.86.05 becomes 535086005;
 * true/True, false/False, null/None become JSON literals; anything else,
 * numbers included, stays a string.  Aliases: dph, cuda_vers, dlperf_usd,
 * flops_usd, display_active.  Terms on one field merge; a repeated operator
 * replaces the earlier value.  Unknown fields give a warning and are sent.
 *
 * One deviation: tabs and newlines count as spaces (the CLI only ever sees
 * argv words joined by spaces, so a query read from a file would otherwise
 * parse differently from the same query typed on a command line).
 *
 * Ownership: returned json_t * are new references.  Errors go into *err
 * (one line, naming the column and the token); warnings are appended to
 * *warnings when it is not NULL, else printed with warning().
 */
#ifndef ROS_VAST_QUERY_H
#define ROS_VAST_QUERY_H

#include <jansson.h>

#include "util/util.h"

struct vast_offer_query {
	int no_default;		/* leave out verified/external/rentable (-n) */
	const char *order;	/* -o spec such as "dph+,score-"; NULL: "score-" */
	const char *type;	/* on-demand (NULL), bid, reserved; interruptible = bid */
	long long limit;	/* > 0: add "limit" */
	double storage;		/* "allocated_storage" in GiB */
};
#define VAST_OFFER_QUERY_INIT { 0, NULL, NULL, 0, 5.0 }

/*
 * The whole request object for query string q (may be NULL or empty) with
 * the options in o (NULL: the CLI's defaults).  NULL on error.
 */
json_t *vast_offer_query(const char *q, const struct vast_offer_query *o,
			 struct strv *warnings, struct buf *err);

/* vast_offer_query(q, NULL, NULL, err): the CLI's defaults. */
json_t *vast_parse_query(const char *q, struct buf *err);

/*
 * Parse the terms of q into the object res (the CLI's parse_query): existing
 * fields are merged into or deleted.  0, or -1 with *err (res may then hold
 * part of the terms).
 */
int vast_query_merge(json_t *res, const char *q, struct strv *warnings, struct buf *err);

/*
 * q with each filter once: of the terms on one field (aliases resolved) and
 * operator (its spellings resolved), the last is kept, in the place of the
 * first; a wildcard term (`f=any`) drops the terms on f before it and is
 * kept.  Terms keep their own writing; they are joined by one space.  The
 * result asks for what q asks for (vast_offer_query gives an equal object).
 * NULL q: "".  NULL with *err when q does not parse, even in a term a later
 * one replaces (the error vast_query_merge gives).
 */
char *vast_query_dedup(const char *q, struct buf *err);

/*
 * The first term of b on a field and operator that a term of a also sets
 * (a wildcard on a field clashes with any term on it): 1 with *ta and *tb
 * the two terms as written (new strings), 0 if there is none, -1 with *err
 * when a or b does not scan.  Either may be NULL (no terms).
 */
int vast_query_clash(const char *a, const char *b, char **ta, char **tb, struct buf *err);

/* Parse an order spec ("score-", "dph+,num_gpus-", "-dlperf") into
 * [["field","asc"|"desc"],...].  NULL on error (a name that is not a field
 * name: letters, digits, '_'). */
json_t *vast_parse_order(const char *spec, struct buf *err);

/* The canonical name of an offer field (dph -> dph_total); name itself if
 * it has no alias.  Borrowed. */
const char *vast_field_alias(const char *name);

/* 1 if the CLI knows name as an offer search field. */
int vast_known_offer_field(const char *name);

/* driver version "535.86.05" -> 535086005; -1 if not three dot-separated
 * groups of digits. */
long long vast_driver_version(const char *s);

#endif
