/*
 * rent.c - rent an offer and wait for it (see rent.h).
 */
#include "vast/rent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vast/values.h"
#include "vast/vworker.h"

#define DEFAULT_TIMEOUT_S 900
#define DEFAULT_POLL_MS 5000
#define DEFAULT_DISK_GB 32
#define REPORT_EVERY_MS 30000

void
vast_rental_release(struct vast_rental *r)
{
	json_decref(r->offer);
	json_decref(r->inst);
	memset(r, 0, sizeof *r);
}

long
vast_poll_ms(void)
{
	const char *e = getenv("ROS_VAST_POLL_MS");
	long long v;
	if (e && *e && parse_long(e, &v) == 0 && v >= 1 && v <= 600000)
		return (long)v;
	return DEFAULT_POLL_MS;
}

static void PRINTF(2, 3)
progress(const struct vast_rent_opts *o, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	if (!o->progress)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	o->progress(o->arg, b.s);
	buf_release(&b);
}

static int
cancelled(const struct vast_rent_opts *o)
{
	return o->cancel && *o->cancel;
}

/* Sleep ms, less when o is cancelled meanwhile. */
static void
sleep_ms(const struct vast_rent_opts *o, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !cancelled(o))
		;
}

/* A status that will never become running. */
static int
hopeless(const json_t *inst)
{
	const char *st = json_string_value(json_object_get(inst, "actual_status"));
	const char *msg = json_string_value(json_object_get(inst, "status_msg"));
	if (!st)
		return 0;
	if (!strcmp(st, "exited") || !strcmp(st, "unknown") || !strcmp(st, "offline"))
		return 1;
	return !strcmp(st, "created") && msg && strstr(msg, "OCI runtime create failed");
}

int
vast_wait_running(struct vast_client *vc, long long id, const struct vast_rent_opts *o,
		  int destroy_failed, json_t **inst, struct buf *err)
{
	long poll = o->poll_ms > 0 ? o->poll_ms : vast_poll_ms();
	int64_t start = mono_ms(), limit = (int64_t)(o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S) * 1000;
	int64_t last_report = start;
	char *last = NULL;
	int misses = 0;

	*inst = NULL;
	for (;;) {
		struct buf e = BUF_INIT;
		int64_t now;
		json_t *row = vast_show_instance(vc, id, &e);
		now = mono_ms();
		if (!row) {
			if (vc->last_err == VAST_ERR_AUTH) {
				buf_addf(err, "while waiting for instance %lld: %s", id, e.s);
				buf_release(&e);
				free(last);
				return -1;
			}
			/* transient: keep polling until the deadline */
			if (misses++ == 0 || now - last_report >= REPORT_EVERY_MS) {
				progress(o, "instance %lld: %s (still waiting)", id, e.s);
				last_report = now;
			}
		} else if (json_is_null(row)) {
			buf_addf(err, "instance %lld disappeared while starting (Vast.ai no longer knows it)", id);
			json_decref(row);
			buf_release(&e);
			free(last);
			return -1;
		} else {
			char *st = vast_disp_field(row, "actual_status", 40, "null"), *host = NULL;
			const char *refused = vast_row_refused(row);
			int port = 0;
			int up = !refused && !strcmp(st, "running") &&
				 vast_ssh_endpoint(row, o->direct, &host, &port) == 0;
			if (up) {
				progress(o, "instance %lld: running, ssh %s:%d (%lld s)", id, host, port,
					 (long long)((now - start) / 1000));
				free(host);
				free(st);
				free(last);
				buf_release(&e);
				*inst = row;
				return 0;
			}
			int hostile = 0;
			char *why = NULL;
			if (refused) {
				why = xasprintf("refusing Vast.ai's values: %s", refused);
				hostile = 1;
			} else if (!strcmp(st, "running")) {
				why = vast_endpoint_problem(row, o->direct, &hostile);
			}
			if (hopeless(row) || hostile) {
				char *msg = vast_disp_field(row, "status_msg", 200, "no message");
				if (hostile)
					buf_addf(err, "instance %lld cannot be used: %s", id, why);
				else
					buf_addf(err, "instance %lld failed to start: status %s (%s)", id, st, msg);
				free(msg);
				free(why);
				if (destroy_failed) {
					struct buf de = BUF_INIT;
					if (vast_destroy_instance(vc, id, &de) == VAST_OK)
						buf_addf(err, "; destroyed it so it does not bill");
					else
						buf_addf(err, "; destroying it failed too (%s): destroy it with "
							 "`ros vastai-destroy %lld`", de.s, id);
					buf_release(&de);
				}
				json_decref(row);
				free(st);
				free(last);
				buf_release(&e);
				return -1;
			}
			free(why);
			if (!last || strcmp(last, st) || now - last_report >= REPORT_EVERY_MS) {
				progress(o, "instance %lld: %s%s (%lld s)", id, st,
					 !strcmp(st, "running") ? ", no SSH endpoint yet" : "",
					 (long long)((now - start) / 1000));
				last_report = now;
			}
			free(last);
			last = st;
			json_decref(row);
		}
		buf_release(&e);
		if (now - start >= limit) {
			buf_addf(err, "instance %lld is not running with an SSH endpoint after %d s (last status %s); "
				 "it is still rented: register it later with `ros add-worker --vastai-instance-id %lld` "
				 "or destroy it with `ros vastai-destroy %lld`", id,
				 o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S, last ? last : "unknown", id, id);
			free(last);
			return -2;
		}
		long left = (long)(limit - (now - start));
		sleep_ms(o, poll < left ? poll : left);
		if (cancelled(o)) {
			buf_addf(err, "stopped waiting for instance %lld (last status %s); it is still rented",
				 id, last ? last : "unknown");
			free(last);
			return -2;
		}
	}
}

int
vast_rent(struct vast_client *vc, const json_t *offers, const struct vast_rent_opts *o,
	  struct vast_rental *out, struct buf *err)
{
	size_t max = o->max_offers ? o->max_offers : 5, tried = 0, i;
	struct vast_create_opts co = { 0 };
	json_t *offer, *body;
	int rc = VAST_ERR_NO_SUCH_ASK;

	memset(out, 0, sizeof *out);
	if (!o->image || !*o->image) {
		buf_adds(err, "no image to rent with (--image)");
		return VAST_ERR;
	}
	co.image = o->image;
	co.disk_gb = o->disk_gb > 0 ? o->disk_gb : DEFAULT_DISK_GB;
	co.label = o->label ? o->label : "ros";
	co.onstart = o->onstart;
	co.runtype = o->runtype;
	body = vast_create_body(&co);
	json_array_foreach(offers, i, offer) {
		long long oid, id = 0;
		struct buf e = BUF_INIT;
		if (tried >= max || cancelled(o))
			break;
		if (vast_json_id(json_object_get(offer, "id"), &oid) < 0 || vast_row_refused(offer) ||
		    vast_row_check(offer, NULL))
			continue;	/* never rent what is not believed */
		if (o->approve && !o->approve(o->arg, offer)) {
			out->declined = oid;
			buf_addf(err, "offer %lld not rented: declined", oid);
			rc = VAST_ERR;
			break;
		}
		tried++;
		char *gpu = vast_disp_field(offer, "gpu_name", 40, "GPU");
		json_t *dph = json_object_get(offer, "dph_total");
		progress(o, "renting offer %lld (%s, $%.4f/hr)", oid, gpu, json_is_number(dph) ? json_number_value(dph) : 0.0);
		free(gpu);
		rc = vast_create_instance(vc, oid, body, &id, &e);
		if (rc == VAST_ERR_NO_SUCH_ASK) {
			progress(o, "offer %lld is gone (rented by someone else); trying the next", oid);
			out->vanished++;
			buf_release(&e);
			continue;
		}
		if (rc != VAST_OK) {
			buf_add(err, e.s, e.len);
			buf_release(&e);
			break;
		}
		buf_release(&e);
		out->offer_id = oid;
		out->instance_id = id;
		out->offer = json_incref(offer);
		progress(o, "rented offer %lld as instance %lld; waiting for it to run", oid, id);
		json_t *inst = NULL;
		int w = vast_wait_running(vc, id, o, 1, &inst, err);
		if (w < 0) {
			rc = VAST_ERR;
			break;
		}
		out->inst = inst;
		rc = VAST_OK;
		break;
	}
	if (rc == VAST_ERR_NO_SUCH_ASK && tried)
		buf_addf(err, "every offer tried (%zu) was gone by the time it was rented; search again", tried);
	else if (rc == VAST_ERR_NO_SUCH_ASK)
		buf_adds(err, "no offer to rent");
	json_decref(body);
	return rc;
}
