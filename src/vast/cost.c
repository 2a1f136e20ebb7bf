/*
 * cost.c - offer cost model and ranking, built-in profiles.
 */
#include "vast/cost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vast/values.h"

#define HOURS_PER_MONTH 720.0

const char *const vast_profiles[] = { "pytorch", "jax", NULL };

static const char *const profile_queries[] = {
	"cuda_max_good>=12.1 gpu_ram>=8 reliability>0.95 direct_port_count>=1 inet_down>100 disk_space>=32",
	"cuda_max_good>=12.0 gpu_ram>=8 reliability>0.95 direct_port_count>=1 inet_down>100 disk_space>=32",
};

const char *
vast_profile_query(const char *name)
{
	for (size_t i = 0; vast_profiles[i]; i++)
		if (!strcmp(name, vast_profiles[i]))
			return profile_queries[i];
	return NULL;
}

/* A finite number from a JSON number; 0 if absent or null, -1 otherwise. */
static int
num(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) ? 0 : -1;
}

static double
num_or_zero(const json_t *o, const char *k)
{
	double d;
	return num(o, k, &d) == 0 ? d : 0.0;
}

int
vast_offer_cost(const json_t *offer, const struct vast_cost_params *p, struct vast_cost *c)
{
	double dlperf, dph;

	memset(c, 0, sizeof(*c));
	if (!(p->ref_hours > 0) || !(p->ref_dlp > 0))
		return -1;
	if (vast_row_refused(offer) || vast_row_check(offer, NULL))
		return -1;	/* a number out of range: nothing about it is known */
	if (num(offer, "dlperf", &dlperf) < 0 || !(dlperf > 0))
		return -1;
	if (num(offer, "dph_total", &dph) < 0 || dph < 0)
		return -1;
	c->est_hours = p->ref_hours * p->ref_dlp / dlperf;
	c->gpu = dph * c->est_hours;
	c->storage = num_or_zero(offer, "storage_cost") * p->disk_gb * c->est_hours / HOURS_PER_MONTH;
	c->bandwidth = (num_or_zero(offer, "inet_down_cost") + num_or_zero(offer, "inet_up_cost")) * p->data_gb;
	c->total = c->gpu + c->storage + c->bandwidth;
	c->known = 1;
	return 0;
}

struct ranked {
	size_t index;
	json_t *offer;
	struct vast_cost cost;
	double dph;
	long long id;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->cost.known != y->cost.known)
		return x->cost.known ? -1 : 1;
	if (x->cost.known) {
		if (x->cost.total != y->cost.total)
			return x->cost.total < y->cost.total ? -1 : 1;
		if (x->dph != y->dph)
			return x->dph < y->dph ? -1 : 1;
		if (x->id != y->id)
			return x->id < y->id ? -1 : 1;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

json_t *
vast_rank_offers(const json_t *offers, const struct vast_cost_params *p)
{
	size_t n = json_array_size(offers);
	struct ranked *r = xcalloc(n ? n : 1, sizeof(*r));
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(offers, i);
		r[i].index = i;
		r[i].offer = o;
		vast_offer_cost(o, p, &r[i].cost);
		r[i].dph = num_or_zero(o, "dph_total");
		r[i].id = json_is_integer(json_object_get(o, "id")) ?
			json_integer_value(json_object_get(o, "id")) : 0;
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_is_object(r[i].offer) ? json_copy(r[i].offer) : json_object();
		if (r[i].cost.known)
			json_object_set_new(c, "cost", json_pack("{sfsfsfsfsf}",
				"est_hours", r[i].cost.est_hours, "gpu", r[i].cost.gpu,
				"storage", r[i].cost.storage, "bandwidth", r[i].cost.bandwidth,
				"total", r[i].cost.total));
		else
			json_object_set_new(c, "cost", json_null());
		json_array_append_new(out, c);
	}
	free(r);
	return out;
}
