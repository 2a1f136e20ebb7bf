/*
 * cost.h - what an offer would cost for one job, and the built-in search
 * profiles of vast-hunt.
 *
 * The model (the Python vast-hunt's):
 *
 *	est_hours      = ref_hours * ref_dlp / dlperf
 *	gpu_cost       = dph_total * est_hours
 *	storage_cost   = storage_cost ($/GB/month) * disk_gb * est_hours / 720
 *	bandwidth_cost = (inet_down_cost + inet_up_cost) * data_gb
 *	total          = gpu_cost + storage_cost + bandwidth_cost
 *
 * ref_hours is how long the job takes on a reference GPU whose DLPerf is
 * ref_dlp (an RTX 3060 12GB scores about 12.4).  An offer without dlperf
 * (null or 0) or dph_total has an unknown cost, and so has one with any
 * number out of its range (vast/values.h: a negative or huge price is
 * never cheap); a missing storage_cost, inet_down_cost or inet_up_cost
 * counts as 0.  720 is the hours in the
 * 30-day month Vast.ai prices storage by.
 *
 * Note that dph_total already includes storage for the query's
 * allocated_storage (5 GiB by default), so the storage term counts that
 * part twice; the Python tool did the same and the amounts are cents.
 */
#ifndef ROS_VAST_COST_H
#define ROS_VAST_COST_H

#include <jansson.h>

struct vast_cost_params {
	double ref_hours;	/* > 0 */
	double ref_dlp;		/* > 0 */
	double disk_gb;		/* >= 0 */
	double data_gb;		/* >= 0 */
};

struct vast_cost {
	int known;		/* 0: the fields below are 0 and mean nothing */
	double est_hours, gpu, storage, bandwidth, total;
};

/* Cost of offer under p.  Returns 0, or -1 (c->known = 0) when unknown:
 * no dlperf, no dph_total, a value out of range, or ref_hours/ref_dlp not
 * positive. */
int vast_offer_cost(const json_t *offer, const struct vast_cost_params *p, struct vast_cost *c);

/*
 * A new array of copies of offers, each with a "cost" member added:
 * {"est_hours":h,"gpu":g,"storage":s,"bandwidth":b,"total":t}, or null when
 * unknown.  Sorted by total ascending (ties: dph_total, then id), offers
 * of unknown cost last in their original order.
 */
json_t *vast_rank_offers(const json_t *offers, const struct vast_cost_params *p);

/*
 * The query string of a built-in profile ("pytorch", "jax"), NULL if there
 * is none by that name.  Terms given after it on the same field merge with
 * it (a repeated operator replaces the profile's value).
 *
 *   pytorch  cuda_max_good>=12.1 gpu_ram>=8 reliability>0.95
 *            direct_port_count>=1 inet_down>100 disk_space>=32
 *   jax      cuda_max_good>=12.0 gpu_ram>=8 reliability>0.95
 *            direct_port_count>=1 inet_down>100 disk_space>=32
 *
 * Why: cuda_max_good>=12.1 lets the driver run the CUDA 12.1+ builds of
 * current PyTorch wheels and images (jax[cuda12] needs a CUDA 12 driver);
 * 8 GB of VRAM fits the small models this tool is used for; reliability
 * above 95% keeps hosts that rarely drop; a direct port gives direct SSH,
 * faster than Vast.ai's proxy; 100 Mb/s down pulls a multi-GB image in
 * minutes; 32 GB of disk holds the image, the data and checkpoints.
 */
const char *vast_profile_query(const char *name);

/* The profile names, NULL-terminated. */
extern const char *const vast_profiles[];

#endif
