/*
 * vast_hunt.c - `ros vast-hunt`: search the Vast.ai market for offers that
 * meet a profile's or a project's hardware requirements, rank them by what
 * the job would cost on each (vast/cost.h), name the best, and with --rent
 * rent it, wait until it runs and register it as a worker.
 *
 * The settings and the query come from vast/hunt.h (profile, then the
 * project's hardware: section, then flags); blacklisted machines
 * (vastai/blacklist.yaml) are never shown nor rented; an offer dearer than
 * --max-dph is dropped here too, whatever the server returned.  Renting
 * and registering are vast/rent.h and vast_register_rental(), the code path
 * the watcher uses.
 */
#include "ros.h"
#include "store/json.h"
#include "util/table.h"
#include "vast/api.h"
#include "vast/cost.h"
#include "vast/hunt.h"
#include "vast/query.h"
#include "vast/rent.h"
#include "vast/vworker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REF_HOURS 1.0
#define DEFAULT_REF_DLP 12.4	/* an RTX 3060 12GB */
#define DEFAULT_DISK_GB 32.0

struct hunt_flags {
	const char *project, *profile, *gpu, *exclude_geo, *order, *query, *image, *onstart;
	const char *pool, *ssh_mode, *key, *workspace, *api_key;
	double max_dph, ref_hours, ref_dlp, data_gb, disk_gb, min_cuda, min_vram, disk;
	long long num_gpus, limit, timeout;
	int rent;
};

static void
show_progress(void *arg, const char *line)
{
	(void)arg;
	info("%s", line);
}

/* Flags over what the profile and project said. */
static void
apply_flags(struct ctx *ctx, const struct hunt_flags *f, struct vast_hunt *h)
{
	double *dst[] = { &h->max_dph, &h->ref_hours, &h->ref_dlp, &h->data_gb, &h->disk_gb,
			  &h->min_cuda, &h->min_vram_gb };
	const double src[] = { f->max_dph, f->ref_hours, f->ref_dlp, f->data_gb, f->disk_gb,
			       f->min_cuda, f->min_vram };
	for (size_t i = 0; i < ARRAY_SIZE(dst); i++)
		if (!isnan(src[i]))
			*dst[i] = src[i];
	if (f->num_gpus)
		h->num_gpus = f->num_gpus;
	const char *lists[] = { f->gpu, f->exclude_geo };
	struct strv *ldst[] = { &h->gpus, &h->exclude_geo };
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (!lists[i])
			continue;
		struct strv items = STRV_INIT;
		char *s = xstrdup(lists[i]), *save = NULL;
		for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			size_t n = strlen(t);
			while (n && t[n - 1] == ' ')
				t[--n] = 0;
			if (!*t)
				continue;
			if (strpbrk(t, "[]\"'") || strchr(t, '\t') || strchr(t, '\n'))
				usage_error(ctx, "bad name '%s' in --%s", t, i ? "exclude-geolocation" : "gpu");
			strv_push(&items, t);
		}
		free(s);
		strv_release(ldst[i]);
		*ldst[i] = items;
	}
	if (f->query) {
		free(h->query);
		h->query = xstrdup(f->query);
	}
	const char *strs[] = { f->order, f->image, f->onstart };
	char **sdst[] = { &h->order, &h->image, &h->onstart };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (strs[i]) {
			free(*sdst[i]);
			*sdst[i] = xstrdup(strs[i]);
		}
}

static char *
money(double d)
{
	return xasprintf("%.4f", d);
}

static void
print_table(const json_t *ranked)
{
	struct table t;
	json_t *o;
	size_t i;
	table_init(&t, 15, "#", "OFFER", "MACHINE", "GPU", "VRAM", "$/HR", "DLP", "DLP/$", "REL",
		   "LOCATION", "EST H", "GPU $", "STORAGE $", "BW $", "TOTAL $");
	t.right = 0x7fff & ~(1u << 3 | 1u << 9);	/* all but GPU and LOCATION */
	json_array_foreach(ranked, i, o) {
		char *c[15] = { 0 };
		long long n = 1, v;
		double d;
		c[0] = xasprintf("%zu", i + 1);
		c[1] = vast_json_int(json_object_get(o, "id"), &v) == 0 ? xasprintf("%lld", v) : xstrdup("?");
		c[2] = vast_json_int(json_object_get(o, "machine_id"), &v) == 0 ? xasprintf("%lld", v) : xstrdup("?");
		char *gpu = vast_disp_field(o, "gpu_name", 24, "?");
		vast_json_int(json_object_get(o, "num_gpus"), &n);
		c[3] = n > 1 ? xasprintf("%lldx %s", n, gpu) : xstrdup(gpu);
		free(gpu);
		c[4] = jnum(o, "gpu_ram", &d) == 0 ? xasprintf("%.0f", d / 1024.0) : xstrdup("-");
		c[5] = jnum(o, "dph_total", &d) == 0 ? money(d) : xstrdup("-");
		c[6] = jnum(o, "dlperf", &d) == 0 ? xasprintf("%.1f", d) : xstrdup("-");
		c[7] = jnum(o, "dlperf_per_dphtotal", &d) == 0 ? xasprintf("%.1f", d) : xstrdup("-");
		c[8] = jnum(o, "reliability", &d) == 0 || jnum(o, "reliability2", &d) == 0 ?
			xasprintf("%.1f%%", d * 100.0) : xstrdup("-");
		c[9] = vast_disp_field(o, "geolocation", 24, "-");
		const json_t *cost = json_object_get(o, "cost");
		if (json_is_object(cost)) {
			jnum(cost, "est_hours", &d);
			c[10] = xasprintf("%.2f", d);
			jnum(cost, "gpu", &d);
			c[11] = money(d);
			jnum(cost, "storage", &d);
			c[12] = money(d);
			jnum(cost, "bandwidth", &d);
			c[13] = money(d);
			jnum(cost, "total", &d);
			c[14] = money(d);
		}
		table_rowv(&t, c);
		for (int k = 0; k < 15; k++)
			free(c[k]);
	}
	table_print(&t, stdout, 1);
	table_release(&t);
}

static void
print_best(const json_t *o)
{
	long long id = 0, m = 0, n = 1;
	double d;
	char *gpu = vast_disp_field(o, "gpu_name", 40, "?");
	char *geo = vast_disp_field(o, "geolocation", 40, "location unknown");
	const json_t *cost = json_object_get(o, "cost");
	vast_json_int(json_object_get(o, "id"), &id);
	vast_json_int(json_object_get(o, "machine_id"), &m);
	vast_json_int(json_object_get(o, "num_gpus"), &n);
	printf("Best: offer %lld — ", id);
	if (n > 1)
		printf("%lldx ", n);
	printf("%s on machine %lld", gpu, m);
	if (jnum(o, "dph_total", &d) == 0)
		printf(", $%.4f/hr", d);
	if (jnum(o, "dlperf_per_dphtotal", &d) == 0)
		printf(", DLP/$ %.1f", d);
	if (json_is_object(cost)) {
		jnum(cost, "est_hours", &d);
		printf(", est. %.2f h", d);
		jnum(cost, "total", &d);
		printf(", total $%.4f", d);
	} else {
		printf(", cost unknown (no DLPerf)");
	}
	printf(" (%s)\n", geo);
	free(gpu);
	free(geo);
}

static int
rent_best(struct ctx *ctx, struct vast_client *vc, const json_t *ranked, const struct hunt_flags *f,
	  const struct vast_hunt *h, double disk, json_t *out)
{
	struct vast_rent_opts ro = VAST_RENT_OPTS_INIT;
	struct vast_rental got = VAST_RENTAL_INIT;
	struct vast_reg_opts reg = { 0 };
	struct buf err = BUF_INIT;
	char *wid = NULL;
	int rc = 1;

	ro.image = h->image;
	ro.onstart = h->onstart;
	ro.disk_gb = disk;
	ro.direct = f->ssh_mode && !strcmp(f->ssh_mode, "direct");
	ro.timeout_s = (int)f->timeout;
	ro.progress = show_progress;
	if (vast_rent(vc, ranked, &ro, &got, &err) != VAST_OK) {
		error("%s", err.s);
		if (got.instance_id)
			json_object_set_new(out, "rental", json_pack("{s:I,s:I,s:s}", "offer_id", (json_int_t)got.offer_id,
				"instance_id", (json_int_t)got.instance_id, "error", err.s));
		goto done;
	}
	reg.pool = f->pool;
	reg.direct = ro.direct;
	reg.ssh_key = f->key;
	reg.workspace = f->workspace;
	if (vast_register_rental(ctx_root(ctx), got.instance_id, got.inst, got.offer, &reg, &wid, &err) < 0) {
		error("instance %lld is rented and running but was not registered: %s; fix that and run "
		      "`ros add-worker --vastai-instance-id %lld`, or `ros vastai-destroy %lld`",
		      got.instance_id, err.s, got.instance_id, got.instance_id);
		goto done;
	}
	char *host = NULL;
	int port = 0;
	vast_ssh_endpoint(got.inst, ro.direct, &host, &port);
	json_object_set_new(out, "rental", json_pack("{s:I,s:I,s:s,s:s,s:i,s:s}", "offer_id",
		(json_int_t)got.offer_id, "instance_id", (json_int_t)got.instance_id, "worker_id", wid,
		"ssh_host", host ? host : "", "ssh_port", port, "worker_pool", f->pool ? f->pool : "vastai"));
	if (!ctx->json) {
		printf("Rented offer %lld as instance %lld\n", got.offer_id, got.instance_id);
		printf("Registered worker %s (ssh %s:%d, pool %s)\n", wid, host ? host : "?", port,
		       f->pool ? f->pool : "vastai");
	}
	free(host);
	rc = 0;
done:
	free(wid);
	vast_rental_release(&got);
	buf_release(&err);
	return rc;
}

static int
cmd_vast_hunt_fn(int argc, char **argv, struct ctx *ctx)
{
	struct hunt_flags f = { .max_dph = NAN, .ref_hours = NAN, .ref_dlp = NAN, .data_gb = NAN,
				.disk_gb = NAN, .min_cuda = NAN, .min_vram = NAN, .disk = NAN };
	const struct opt opts[] = {
		{ "project-id", OPT_STR, &f.project, "P", "use the project's hardware: section", 0, NULL },
		{ "profile", OPT_STR, &f.profile, "NAME", "pytorch, jax, or one of vastai/profiles.yaml", 0, NULL },
		{ "max-dph", OPT_DOUBLE, &f.max_dph, "X", "at most X $/hr", 0, NULL },
		{ "ref-hours", OPT_DOUBLE, &f.ref_hours, "H", "hours the job takes on the reference GPU (default 1)", 0, NULL },
		{ "ref-dlp", OPT_DOUBLE, &f.ref_dlp, "D", "DLPerf of the reference GPU (default 12.4, an RTX 3060)", 0, NULL },
		{ "data-gb", OPT_DOUBLE, &f.data_gb, "G", "GB moved in and out (bandwidth cost)", 0, NULL },
		{ "disk-gb", OPT_DOUBLE, &f.disk_gb, "G", "disk the job needs (filter and storage cost)", 0, NULL },
		{ "min-cuda", OPT_DOUBLE, &f.min_cuda, "V", "highest CUDA the driver runs, at least V", 0, NULL },
		{ "min-vram-gb", OPT_DOUBLE, &f.min_vram, "G", "VRAM per GPU, at least G", 0, NULL },
		{ "gpu", OPT_STR, &f.gpu, "NAMES", "only these GPUs, e.g. 'RTX 3060,RTX 3070'", 0, NULL },
		{ "num-gpus", OPT_INT, &f.num_gpus, "N", "exactly N GPUs", 0, NULL },
		{ "exclude-geolocation", OPT_STR, &f.exclude_geo, "CODES", "not in these countries, e.g. CN,VN", 0, NULL },
		{ "limit", OPT_INT, &f.limit, "N", "ask Vast.ai for at most N offers", 0, NULL },
		{ "order", OPT_STR, &f.order, "F", "Vast.ai's order of the search, e.g. dph+ (default score-)", 0, NULL },
		{ "query", OPT_STR, &f.query, "Q", "more terms in the CLI's language: 'dph<0.1 gpu_ram>=8'", 0, NULL },
		{ "rent", OPT_BOOL, &f.rent, NULL, "rent the best offer, wait for it, register it as a worker", 0, NULL },
		{ "image", OPT_STR, &f.image, "I", "docker image to rent with", 0, NULL },
		{ "onstart", OPT_STR, &f.onstart, "CMD", "script run when the instance starts", 0, NULL },
		{ "disk", OPT_DOUBLE, &f.disk, "G", "disk to rent (default --disk-gb, else 32)", 0, NULL },
		{ "pool", OPT_STR, &f.pool, "P", "worker pool of the new worker (default vastai)", 0, NULL },
		{ "ssh-mode", OPT_STR, &f.ssh_mode, "proxy|direct", "how the new worker is reached (default proxy)", 0, NULL },
		{ "key", OPT_STR, &f.key, "PATH", "ssh.key of the new worker", 0, NULL },
		{ "workspace", OPT_STR, &f.workspace, "DIR", "workspace of the new worker (default /root/research-worker)", 0, NULL },
		{ "timeout", OPT_INT, &f.timeout, "S", "seconds to wait for the instance to run (default 900)", 0, NULL },
		{ "api-key", OPT_STR, &f.api_key, "KEY", "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)", 0, NULL },
		OPT_END
	};
	struct vast_hunt h;
	struct vast_blacklist bl = VAST_BLACKLIST_INIT;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct vast_offer_query qo = VAST_OFFER_QUERY_INIT;
	struct strv warnings = STRV_INIT;
	struct buf err = BUF_INIT;
	json_t *query = NULL, *offers = NULL, *kept = NULL, *cheap = NULL, *ranked = NULL, *out = NULL;
	char *raw = NULL, *qs = NULL;
	size_t nblack = 0, ndear = 0;
	int rc = 1;

	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	const double nonneg[] = { f.max_dph, f.ref_hours, f.ref_dlp, f.data_gb, f.disk_gb, f.min_cuda, f.min_vram, f.disk };
	for (size_t i = 0; i < ARRAY_SIZE(nonneg); i++)
		if (!isnan(nonneg[i]) && nonneg[i] < 0)
			usage_error(ctx, "numbers must not be negative");
	if ((!isnan(f.ref_hours) && f.ref_hours <= 0) || (!isnan(f.ref_dlp) && f.ref_dlp <= 0))
		usage_error(ctx, "--ref-hours and --ref-dlp must be positive");
	if (f.num_gpus < 0 || f.num_gpus > 64 || f.limit < 0 || f.timeout < 0)
		usage_error(ctx, "--num-gpus, --limit and --timeout must be small non-negative numbers");
	if (f.project && !safe_name(f.project))
		usage_error(ctx, "invalid --project-id '%s'", f.project);
	if (f.pool && !safe_name(f.pool))
		usage_error(ctx, "invalid --pool '%s'", f.pool);
	if (f.ssh_mode && strcmp(f.ssh_mode, "proxy") && strcmp(f.ssh_mode, "direct"))
		usage_error(ctx, "--ssh-mode must be proxy or direct");
	if (!f.rent && (f.image || f.onstart || !isnan(f.disk) || f.pool || f.ssh_mode || f.key || f.workspace || f.timeout))
		usage_error(ctx, "--image, --onstart, --disk, --pool, --ssh-mode, --key, --workspace and --timeout go with --rent");

	const char *root = ctx_root(ctx);
	vast_hunt_init(&h);
	if (vast_hunt_load(root, f.profile, f.project, &h, &err) < 0)
		goto fail;
	apply_flags(ctx, &f, &h);
	if (vast_blacklist_load(root, &bl, &err) < 0)
		goto fail;
	raw = vast_hunt_query_string(&h);
	if (!(qs = vast_query_dedup(raw, &err)))
		goto fail;
	qo.order = h.order;
	qo.limit = f.limit;
	if (!(query = vast_offer_query(qs, &qo, &warnings, &err)))
		goto fail;
	for (size_t i = 0; i < warnings.n; i++)
		warning("%s", warnings.v[i]);
	if (f.rent && !h.image) {
		buf_adds(&err, "--rent needs an image: pass --image, use a profile that sets one, or set "
			 "environment.docker_image in the project");
		goto fail;
	}
	if (vast_client_init(&vc, f.api_key, &err) < 0 || !(offers = vast_search_offers(&vc, query, &err)))
		goto fail;

	double disk = !isnan(f.disk) ? f.disk : !isnan(h.disk_gb) ? h.disk_gb : DEFAULT_DISK_GB;
	struct vast_cost_params cp = { isnan(h.ref_hours) ? DEFAULT_REF_HOURS : h.ref_hours,
				       isnan(h.ref_dlp) ? DEFAULT_REF_DLP : h.ref_dlp, disk,
				       isnan(h.data_gb) ? 0 : h.data_gb };
	kept = vast_drop_blacklisted(offers, &bl, &nblack);
	cheap = vast_drop_dear(kept, h.max_dph, &ndear);
	ranked = vast_rank_offers(cheap, &cp);
	out = json_object();
	jset_str(out, "query_string", qs);
	json_object_set(out, "query", query);
	json_object_set_new(out, "profile", h.profile ? json_string(h.profile) : json_null());
	json_object_set_new(out, "cost_params", json_pack("{s:f,s:f,s:f,s:f}", "ref_hours", cp.ref_hours,
		"ref_dlp", cp.ref_dlp, "disk_gb", cp.disk_gb, "data_gb", cp.data_gb));
	json_object_set(out, "offers", ranked);
	json_object_set_new(out, "hidden", json_pack("{s:I,s:I}", "blacklisted", (json_int_t)nblack,
		"over_max_dph", (json_int_t)ndear));
	json_t *best = json_array_get(ranked, 0);
	json_object_set_new(out, "best", best ? json_incref(json_object_get(best, "id")) : json_null());
	if (!ctx->json) {
		printf("Query: %s\n", *qs ? qs : "(defaults only)");
		printf("Cost: a %g h job on DLPerf %g, %g GB disk, %g GB data (est. hours = %g × %g / DLPerf)\n\n",
		       cp.ref_hours, cp.ref_dlp, cp.disk_gb, cp.data_gb, cp.ref_hours, cp.ref_dlp);
		if (best) {
			print_table(ranked);
			printf("\n");
			print_best(best);
		} else {
			printf("No offers match.\n");
		}
		if (nblack || ndear)
			printf("(hidden: %zu on blacklisted machines, %zu over --max-dph)\n", nblack, ndear);
	}
	if (!best) {
		rc = 1;
		if (f.rent)
			error("nothing to rent: no offer matches");
	} else {
		rc = f.rent ? rent_best(ctx, &vc, ranked, &f, &h, disk, out) : 0;
	}
	if (ctx->json)
		json_print(out);
	goto out;
fail:
	error("%s", err.s);
out:
	vast_hunt_release(&h);
	vast_blacklist_release(&bl);
	vast_client_release(&vc);
	strv_release(&warnings);
	buf_release(&err);
	json_decref(query);
	json_decref(offers);
	json_decref(kept);
	json_decref(cheap);
	json_decref(ranked);
	json_decref(out);
	free(raw);
	free(qs);
	return rc;
}

const struct ros_cmd cmd_vast_hunt = {
	"vast-hunt", cmd_vast_hunt_fn, CMD_JSON,
	"Vast.ai offers ranked by what the job would cost; --rent rents the best as a worker",
	"[--project-id P] [--profile NAME] [--max-dph X] [--ref-hours H --ref-dlp D] [--data-gb G] "
	"[--disk-gb G] [--min-cuda V] [--gpu NAMES] [--num-gpus N] [--exclude-geolocation CODES] "
	"[--limit N] [--order F] [--query Q] [--rent [--image I] [--onstart CMD] [--disk G] [--pool P] "
	"[--ssh-mode proxy|direct] [--key PATH] [--workspace DIR] [--timeout S]]",
	"Settings come from the profile (built-in pytorch, jax, or vastai/profiles.yaml),\n"
	"then the project's hardware: section, then the flags.  Cost of the job on each\n"
	"offer: est. hours = ref_hours × ref_dlp / DLPerf; GPU = $/hr × hours; storage =\n"
	"storage $/GB/month × disk × hours / 720; bandwidth = $/GB × data; total = the sum.\n"
	"Machines in vastai/blacklist.yaml are never shown.  --rent rents the best offer\n"
	"(the next one if it is gone), waits until it runs with an SSH endpoint, and\n"
	"registers it as worker vastai_auto_<date>_<time> with its instance_id.",
};
