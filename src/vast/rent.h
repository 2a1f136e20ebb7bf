/*
 * rent.h - rent an offer and wait until the instance can be reached: the
 * path vast-hunt --rent and the watcher share.
 *
 *	struct vast_rent_opts o = VAST_RENT_OPTS_INIT;
 *	struct vast_rental got = VAST_RENTAL_INIT;
 *	o.image = "pytorch/pytorch:...";
 *	if (vast_rent(&vc, ranked_offers, &o, &got, &err) == 0)
 *		vast_register_rental(root, got.instance_id, got.inst, got.offer, &reg, &id, &err);
 *	vast_rental_release(&got);
 *
 * Offers are tried in the order given (one without a plausible id, or
 * with a number out of range, vast/values.h, is passed over); one that is
 * gone (404/410 no_such_ask) is skipped for the next, up to max_offers.
 * With an approve hook, each offer is put to it before it is rented, and
 * a no rents nothing more (the user's consent, offer by offer).  Any other
 * failure to rent stops: a rent request is never repeated once it may have
 * reached Vast.ai.  The instance is then polled (GET of the one instance)
 * every poll_ms until actual_status is "running" and it has an SSH endpoint
 * of the wanted kind.  A status that never recovers (exited, unknown,
 * offline, or created with an "OCI runtime create failed" message) ends the
 * wait, and so does a row refused for its host, port or numbers (it could
 * never be registered): the instance is destroyed so it does not bill, and
 * the error says so.  A timeout leaves it alone (it may still come up) and the error
 * says how to register or destroy it.  Transient API errors while polling
 * (429, 5xx, no reply) are tolerated until the timeout.
 */
#ifndef ROS_VAST_RENT_H
#define ROS_VAST_RENT_H

#include <jansson.h>
#include <signal.h>

#include "vast/api.h"
#include "util/util.h"

struct vast_rent_opts {
	const char *image;	/* required */
	const char *onstart;	/* may be NULL */
	const char *label;	/* NULL: "ros" */
	const char *runtype;	/* NULL: "ssh_direc ssh_proxy" */
	double disk_gb;		/* <= 0: 32 */
	int direct;		/* wait for the direct endpoint instead of the proxy */
	int timeout_s;		/* waiting for running; <= 0: 900 */
	long poll_ms;		/* <= 0: $ROS_VAST_POLL_MS, else 5000 */
	size_t max_offers;	/* offers tried when they vanish; 0: 5 */
	/* progress lines ("renting offer ...", "instance N: loading (35 s)"), may be NULL */
	void (*progress)(void *arg, const char *line);
	/* asked before each offer is rented (it has the members of the offers
	 * given, e.g. vast_rank_offers' "cost"): 0 rents nothing more, out->declined
	 * is set and the call fails; NULL: rent without asking */
	int (*approve)(void *arg, const json_t *offer);
	void *arg;		/* of progress and approve */
	/* when set and *cancel becomes non-zero (a signal handler sets it), no
	 * further offer is tried and a wait ends as a timeout does (-2: the
	 * instance is left alone); may be NULL */
	const volatile sig_atomic_t *cancel;
};
#define VAST_RENT_OPTS_INIT { NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

struct vast_rental {
	long long offer_id, instance_id;
	json_t *offer;		/* the offer rented (new reference) */
	json_t *inst;		/* the running instance's row (new reference) */
	int vanished;		/* offers skipped because they were gone */
	long long declined;	/* the offer approve said no to, or 0 */
};
#define VAST_RENTAL_INIT { 0, 0, NULL, NULL, 0, 0 }

void vast_rental_release(struct vast_rental *r);

/*
 * Rent the first available offer of offers and wait for it (see above).
 * 0 with *out filled; else a VAST_ERR_* code with err, and out->instance_id
 * set when an instance was created (it is then destroyed, or left running
 * after a timeout, as err says).  VAST_ERR_NO_SUCH_ASK: every offer tried
 * was gone.
 */
int vast_rent(struct vast_client *vc, const json_t *offers, const struct vast_rent_opts *o,
	      struct vast_rental *out, struct buf *err);

/*
 * Poll instance id until it runs with an endpoint (0, *inst a new
 * reference), fails for good (-1; destroyed when destroy_failed), or the
 * timeout passes (-2).  err says which.
 */
int vast_wait_running(struct vast_client *vc, long long id, const struct vast_rent_opts *o,
		      int destroy_failed, json_t **inst, struct buf *err);

/* The poll interval: $ROS_VAST_POLL_MS (1..600000) or 5000. */
long vast_poll_ms(void);

#endif
