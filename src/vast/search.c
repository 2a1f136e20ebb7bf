/*
 * search.c - settings given one at a time, the request, the ranked offers
 * (see search.h).
 */
#include "vast/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/jx.h"
#include "vast/query.h"
#include "vast/values.h"
#include "vast/vworker.h"

/* ---- settings given one at a time ---- */

#define AT(h, type, off) ((type *)((char *)(h) + (off)))

int
vast_given_set(const struct vast_given *g)
{
	switch (g->kind) {
	case VG_NUM:
		return !isnan(g->num);
	case VG_WHOLE:
		return g->given;
	case VG_NAMES:
		return g->text != NULL;
	case VG_IDS:
		return g->ids && g->ids->n;
	}
	return 0;
}

/* The offer ids of every comma list of g, into h. */
static int
apply_ids(const struct vast_given *g, struct vast_hunt *h, struct buf *err)
{
	for (size_t i = 0; i < g->ids->n; i++) {
		struct strv items = STRV_INIT;
		long long id;
		int ok;
		split_list(g->ids->v[i], ',', &items);
		ok = items.n > 0;
		for (size_t k = 0; ok && k < items.n; k++) {
			if (parse_long(items.v[k], &id) < 0 || id <= 0) {
				ok = 0;
				break;
			}
			GROW(h->exclude_ids, h->alloc_exclude, h->n_exclude + 1);
			h->exclude_ids[h->n_exclude++] = id;
		}
		strv_release(&items);
		if (!ok) {
			buf_addf(err, "--%s needs offer ids (positive numbers, comma-separated), not '%s'", g->name,
				 g->ids->v[i]);
			return -1;
		}
	}
	return 0;
}

int
vast_given_apply(const struct vast_given *g, struct vast_hunt *h, struct buf *err)
{
	struct strv items = STRV_INIT;
	if (!vast_given_set(g))
		return 0;
	switch (g->kind) {
	case VG_NUM:
		*AT(h, double, g->setting) = g->num;
		return 0;
	case VG_WHOLE:
		*AT(h, long long, g->setting) = g->whole;
		return 0;
	case VG_NAMES:
		split_list(g->text, ',', &items);
		for (size_t i = 0; i < items.n; i++)
			if (!vast_list_item_ok(items.v[i])) {
				buf_addf(err, "bad name '%s' in --%s", items.v[i], g->name);
				strv_release(&items);
				return -1;
			}
		strv_release(AT(h, struct strv, g->setting));
		*AT(h, struct strv, g->setting) = items;
		return 0;
	case VG_IDS:
		return apply_ids(g, h, err);
	}
	return 0;
}

/* "--NAME VALUE" as the user gave it. */
static char *
given_text(const struct vast_given *g)
{
	struct buf b = BUF_INIT;
	switch (g->kind) {
	case VG_NUM:
		buf_addf(&b, "--%s %g", g->name, g->num);
		break;
	case VG_WHOLE:
		buf_addf(&b, "--%s %lld", g->name, g->whole);
		break;
	case VG_NAMES:
		buf_addf(&b, "--%s '%s'", g->name, g->text);
		break;
	case VG_IDS:
		buf_addf(&b, "--%s ", g->name);
		for (size_t i = 0; i < g->ids->n; i++)
			buf_addf(&b, "%s%s", i ? "," : "", g->ids->v[i]);
		break;
	}
	return buf_detach(&b);
}

/* g alone against query: 1 with msg when it is a bad value or sets a
 * filter a term of query sets. */
static int
clash(const struct vast_given *g, const char *query, struct buf *msg)
{
	struct vast_hunt one;
	struct buf err = BUF_INIT;
	char *terms = NULL, *mine = NULL, *theirs = NULL;
	int r = 0;

	vast_hunt_init(&one);
	if (vast_given_apply(g, &one, &err) < 0) {
		buf_adds(msg, err.s);
		r = 1;
	} else if (vast_given_set(g) && query) {
		terms = vast_hunt_query_string(&one);
		if (vast_query_clash(terms, query, &mine, &theirs, &err) > 0) {
			char *text = given_text(g);
			buf_addf(msg, "%s and --query's '%s' set the same filter: give one", text, theirs);
			free(text);
			r = 1;
		}
	}
	free(terms);
	free(mine);
	free(theirs);
	buf_release(&err);
	vast_hunt_release(&one);
	return r;
}

int
vast_given_conflict(const struct vast_given *gs, size_t n, const char *query, struct buf *msg)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (gs[i].kind == VG_NUM && gs[j].kind == VG_NUM && gs[i].setting == gs[j].setting &&
			    !isnan(gs[i].num) && !isnan(gs[j].num) && gs[i].num != gs[j].num) {
				buf_addf(msg, "--%s %g and --%s %g are the same setting: give one", gs[i].name,
					 gs[i].num, gs[j].name, gs[j].num);
				return 1;
			}
	for (size_t i = 0; i < n; i++)
		if (clash(&gs[i], query, msg))
			return 1;
	return 0;
}

int
vast_query_check(const char *q, struct buf *err)
{
	struct strv w = STRV_INIT;
	json_t *res = json_object();
	int r = vast_query_merge(res, q, &w, err);
	json_decref(res);
	strv_release(&w);
	return r;
}

/* ---- the request and the answer ---- */

json_t *
vast_hunt_request(const struct vast_hunt *h, long long limit, char **qs, struct strv *warnings,
		  struct buf *err)
{
	struct vast_offer_query qo = VAST_OFFER_QUERY_INIT;
	char *raw = vast_hunt_query_string(h);
	json_t *q = NULL;

	if ((*qs = vast_query_dedup(raw, err))) {
		qo.order = h->order;
		qo.limit = limit;
		q = vast_offer_query(*qs, &qo, warnings, err);
	}
	free(raw);
	return q;
}

json_t *
vast_hunt_search(const char *root, struct vast_client *vc, const struct vast_hunt *h,
		 const char *qs, const json_t *request, double disk_gb, struct buf *err)
{
	struct vast_blacklist bl = VAST_BLACKLIST_INIT;
	json_t *offers = NULL, *kept, *cheap, *wanted, *ranked, *out = NULL;
	size_t nblack = 0, ndear = 0, nexcl = 0;

	if (vast_blacklist_load(root, &bl, err) < 0 || !(offers = vast_search_offers(vc, request, err)))
		goto out;
	struct vast_cost_params cp = { isnan(h->ref_hours) ? VAST_REF_HOURS : h->ref_hours,
				       isnan(h->ref_dlp) ? VAST_REF_DLP : h->ref_dlp,
				       !isnan(disk_gb) ? disk_gb : !isnan(h->disk_gb) ? h->disk_gb : VAST_DISK_GB,
				       isnan(h->data_gb) ? 0 : h->data_gb };
	int dflt = isnan(h->ref_hours);
	kept = vast_drop_blacklisted(offers, &bl, &nblack);
	cheap = vast_drop_dear(kept, h->max_dph, &ndear);
	wanted = vast_drop_offer_ids(cheap, h->exclude_ids, h->n_exclude, &nexcl);
	ranked = vast_rank_offers(wanted, &cp);
	out = json_object();
	jset_str(out, "query_string", qs);
	json_object_set(out, "query", (json_t *)request);
	json_object_set_new(out, "profile", h->profile ? json_string(h->profile) : json_null());
	json_object_set_new(out, "cost_params", json_pack("{s:f,s:f,s:f,s:f,s:b}", "ref_hours", cp.ref_hours,
		"ref_dlp", cp.ref_dlp, "disk_gb", cp.disk_gb, "data_gb", cp.data_gb, "ref_hours_default", dflt));
	json_object_set_new(out, "cost_note", dflt ? json_sprintf("cost for a %.1f h job at the reference speed, "
		"DLPerf %g (give --ref-hours H --ref-dlp D for yours)", cp.ref_hours, cp.ref_dlp) : json_null());
	json_t *best = json_array_get(ranked, 0);
	json_object_set_new(out, "offers", ranked);
	json_object_set_new(out, "hidden", json_pack("{s:I,s:I,s:I}", "blacklisted", (json_int_t)nblack,
		"over_max_dph", (json_int_t)ndear, "excluded", (json_int_t)nexcl));
	json_object_set_new(out, "best", best ? json_incref(json_object_get(best, "id")) : json_null());
	json_decref(kept);
	json_decref(cheap);
	json_decref(wanted);
out:
	json_decref(offers);
	vast_blacklist_release(&bl);
	return out;
}

void
vast_hunt_rental_release(struct vast_hunt_rental *r)
{
	vast_rental_release(&r->got);
	free(r->worker_id);
	json_decref(r->rental);
	r->worker_id = NULL;
	r->rental = NULL;
}

int
vast_hunt_rent(const char *root, struct vast_client *vc, const struct vast_hunt *h, const json_t *ranked,
	       struct vast_hunt_rental *r, struct buf *err)
{
	struct vast_rent_opts ro = VAST_RENT_OPTS_INIT;
	struct vast_reg_opts reg = { 0 };
	struct vast_rental *got = &r->got;
	char *host = NULL;
	int port = 0;

	ro.image = h->image;
	ro.onstart = h->onstart;
	ro.disk_gb = r->disk_gb;
	ro.direct = r->ssh_mode && !strcmp(r->ssh_mode, "direct");
	ro.timeout_s = r->timeout_s;
	ro.progress = r->progress;
	ro.approve = r->approve;
	ro.arg = r->arg;
	if (vast_rent(vc, ranked, &ro, got, err) != VAST_OK) {
		if (got->instance_id)
			r->rental = json_pack("{s:I,s:I,s:s}", "offer_id", (json_int_t)got->offer_id,
					      "instance_id", (json_int_t)got->instance_id, "error", buf_cstr(err));
		return -1;
	}
	reg.pool = r->pool;
	reg.direct = ro.direct;
	reg.ssh_key = r->key;
	reg.workspace = r->workspace;
	if (vast_register_rental(root, got->instance_id, got->inst, got->offer, &reg, &r->worker_id, err) < 0)
		return -2;
	vast_ssh_endpoint(got->inst, ro.direct, &host, &port);
	r->rental = json_pack("{s:I,s:I,s:s,s:s,s:i,s:s}", "offer_id", (json_int_t)got->offer_id,
			      "instance_id", (json_int_t)got->instance_id, "worker_id", r->worker_id, "ssh_host",
			      host ? host : "", "ssh_port", port, "worker_pool", r->pool ? r->pool : "vastai");
	free(host);
	return 0;
}

void
vast_offer_desc(struct buf *b, const json_t *o)
{
	long long m = 0, n = 1;
	double d;
	char *gpu = vast_disp_field(o, "gpu_name", 40, "GPU");
	vast_json_int(json_object_get(o, "machine_id"), &m);
	vast_json_int(json_object_get(o, "num_gpus"), &n);
	if (n > 1)
		buf_addf(b, "%lldx ", n);
	buf_addf(b, "%s on machine %lld", gpu, m);
	if (jnum(o, "dph_total", &d) == 0)
		buf_addf(b, ", $%.4f/hr", d);
	if (jnum(o, "dlperf_per_dphtotal", &d) == 0)
		buf_addf(b, ", DLP/$ %.1f", d);
	free(gpu);
}
