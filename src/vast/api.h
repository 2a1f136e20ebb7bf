/*
 * api.h - typed calls to the Vast.ai REST API (spec: shared/vastai/API.md).
 *
 * Calling sequence:
 *
 *	struct vast_client vc = VAST_CLIENT_INIT;
 *	struct buf err = BUF_INIT;
 *	if (vast_client_init(&vc, opt_api_key, &err) < 0)
 *		die("%s", err.s);
 *	json_t *rows = vast_list_instances(&vc, &err);
 *	if (!rows)
 *		... error("%s", err.s); vc.last_err says what kind ...
 *	json_decref(rows);
 *	vast_client_release(&vc);
 *
 * Every call that returns json_t * returns a new reference (the caller
 * decrefs) or NULL on error, with a one-line message appended to *err and
 * vc->last_err set to one of enum vast_err.  Nothing here exits, and the
 * only thing printed is the warning about a row refused for its numbers
 * (vast/values.h), through vc->warn (default: warning() on stderr).
 *
 * Errors: every non-2xx reply and every reply whose body has
 * "success": false is an error, never an empty result.  401, 403 and any
 * reply with "error": "auth_error" (Vast.ai sometimes sends it with 404)
 * are VAST_ERR_AUTH.  429 is retried with backoff by the HTTP layer; if it
 * persists the call fails with VAST_ERR_RATE.
 *
 * The key: read by vast_api_key(), kept in vc->key, sent only in the
 * Authorization header, and scrubbed from every message (and from the
 * current-user reply, which echoes it).
 *
 * The base URL comes from VAST_URL (default https://console.vast.ai); tests
 * point it at the fake server.
 */
#ifndef ROS_VAST_API_H
#define ROS_VAST_API_H

#include <jansson.h>

#include "util/util.h"

enum vast_err {
	VAST_OK = 0,
	VAST_ERR = -1,			/* anything not below */
	VAST_ERR_NO_SUCH_ASK = -2,	/* rent: the offer is gone; try the next one */
	VAST_ERR_AUTH = -3,		/* the key was rejected */
	VAST_ERR_RATE = -4,		/* still rate-limited after the retries */
	VAST_ERR_NET = -5,		/* no reply at all (see maybe_processed) */
	VAST_ERR_NOT_FOUND = -6,	/* destroy: no such instance */
};

struct vast_client {
	char *key;		/* secret */
	char *base;		/* base URL, no trailing slash */
	long timeout_ms;	/* per attempt; 0: 60 s */
	long connect_timeout_ms;	/* 0: 10 s */
	int max_attempts;	/* 0: 4 */
	/* set by every call */
	int last_err;		/* enum vast_err */
	long last_status;	/* HTTP status of the last reply, 0 if none */
	int maybe_processed;	/* the failed request may still have taken effect */
	/* told about each row refused for its numbers ("offer 27045511 ...
	 * skipped: dph_total is -1, ..."); NULL: warning() */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};
#define VAST_CLIENT_INIT { NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL }

/* Find the key (vast_api_key) and the base URL.  -1 with *err. */
int vast_client_init(struct vast_client *vc, const char *flag_key, struct buf *err);
void vast_client_release(struct vast_client *vc);

/*
 * The API key, whitespace stripped, from the first of: flag_key
 * (--api-key), $VAST_API_KEY, $VASTAI_API_KEY,
 * $XDG_CONFIG_HOME/vastai/vast_api_key (default
 * ~/.config/vastai/vast_api_key), ~/.vast_api_key.  An empty variable or
 * file counts as absent.  NULL with a message naming those places if none
 * has one, or if the one found is unusable (unreadable, holds spaces).
 * vast_api_key_from() also returns where it came from (a new string such
 * as "VAST_API_KEY" or a path) when where is not NULL.
 */
char *vast_api_key(const char *flag_key, struct buf *err);
char *vast_api_key_from(const char *flag_key, char **where, struct buf *err);

/* $VAST_URL or https://console.vast.ai, without trailing slashes. */
char *vast_base_url(void);

/*
 * All instances, as one array of normalised rows (vast_normalize_row),
 * paging through GET /api/v1/instances/ with next_token/after_token.
 * Each row is screened (vast_row_screen): one with a number out of range
 * stays, without those fields and marked VAST_REFUSED, with a warning;
 * an item that is not an object is left out, with a warning.
 */
json_t *vast_list_instances(struct vast_client *vc, struct buf *err);

/* One instance (GET /api/v0/instances/ID/?owner=me), normalised and
 * screened as above; a JSON null (json_is_null) when Vast.ai says there is
 * no such instance. */
json_t *vast_show_instance(struct vast_client *vc, long long id, struct buf *err);

/* The "offers" array of POST /api/v0/bundles/ for query (a
 * vast_offer_query() object), rows normalised; an offer with a number out
 * of range (vast/values.h), or that is not an object, is left out with a
 * warning. */
json_t *vast_search_offers(struct vast_client *vc, const json_t *query, struct buf *err);

/*
 * Rent offer_id (PUT /api/v0/asks/ID/) with body (vast_create_body()).
 * Returns 0 and the new instance id in *new_id (vast_json_id: a reply
 * without a plausible new_contract is an error, maybe processed), or a
 * VAST_ERR_* code:
 * VAST_ERR_NO_SUCH_ASK when the offer is gone (try the next offer).  The
 * request is never repeated after it may have reached the server; when a
 * failure leaves that open, vc->maybe_processed is 1 and the message says
 * to look for an untracked instance.
 */
int vast_create_instance(struct vast_client *vc, long long offer_id, const json_t *body,
			 long long *new_id, struct buf *err);

struct vast_create_opts {
	const char *image;	/* required */
	double disk_gb;		/* <= 0: 10 (the CLI's default) */
	const char *label;	/* may be NULL */
	const char *onstart;	/* script text, may be NULL */
	const char *runtype;	/* NULL: "ssh_direc ssh_proxy" */
	const json_t *env;	/* object {"KEY":"VAL","-p 8080:8080":"1"}, may be NULL */
	double price;		/* > 0: interruptible bid in $/h; else on-demand */
};

/* The body the CLI sends to rent: client_id, image, disk, label, onstart,
 * runtype, env, price.  New reference. */
json_t *vast_create_body(const struct vast_create_opts *o);

/* DELETE /api/v0/instances/ID/ with {}.  0, VAST_ERR_NOT_FOUND, or another
 * VAST_ERR_* code.  A 404 after a retried attempt counts as success. */
int vast_destroy_instance(struct vast_client *vc, long long id, struct buf *err);

/* GET /api/v0/users/current/ (checks the key), with "api_key" and "sid"
 * removed. */
json_t *vast_current_user(struct vast_client *vc, struct buf *err);

/* ---- pure helpers (exposed for tests and callers) ---- */

/* Append to url the v1 list URL: base + "/api/v1/instances/?" +
 * select_filters, order_by, limit [, after_token], JSON- then URL-encoded
 * exactly as the official client does. */
void vast_list_url(struct buf *url, const char *base, const char *after_token);

/*
 * Judge a reply.  On success sets *out to the parsed body (new reference)
 * and returns 0; else appends a message to *err ("what" says what was being
 * done, e.g. "list instances") and returns a VAST_ERR_* code.
 */
int vast_judge(const char *what, long status, const char *body, size_t len, json_t **out,
	       struct buf *err);

/*
 * Normalise an instance or offer row in place: strip whitespace from every
 * string (recursively), make every ports[...][i].HostPort a string, leave
 * nulls and odd shapes (ports as an array of ints, say) alone.
 */
void vast_normalize_row(json_t *row);

/*
 * The SSH endpoint of an instance row.  Proxy (direct == 0): ssh_host and
 * ssh_port, plus 1 if image_runtype mentions jupyter.  Direct: public_ipaddr
 * and ports["22/tcp"][0].HostPort.  Returns 0 with *host (new string) and
 * *port, or -1 when the row has no usable endpoint of that kind yet.
 */
int vast_ssh_endpoint(const json_t *inst, int direct, char **host, int *port);

/* An integer from a JSON integer, an integral real or a decimal string.
 * 0, or -1 if v is none of those. */
int vast_json_int(const json_t *v, long long *out);

#endif
