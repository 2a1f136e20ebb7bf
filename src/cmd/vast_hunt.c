/*
 * vast_hunt.c - `ros vast-hunt`: search the Vast.ai market for offers that
 * meet a profile's or a project's hardware requirements, rank them by what
 * the job would cost on each (vast/cost.h), name the best, and with --rent
 * rent it, wait until it runs and register it as a worker.
 *
 * The settings and the query come from vast/hunt.h (profile, then the
 * project's hardware: section, then flags, each flag one term of the
 * query, sent with each filter once: vast_query_dedup); a flag and a
 * --query term on the same filter, or two names of one setting with
 * different values, are usage errors.  Blacklisted machines
 * (vastai/blacklist.yaml) are never shown nor rented; an offer dearer than
 * --max-dph or named by --exclude-offer-id is dropped here too, whatever
 * the server returned.  Renting and registering are vast/rent.h and
 * vast_register_rental(), the code path the watcher uses; here each offer
 * is first confirmed on the terminal (ask_yes) unless --yes, and without a
 * terminal --rent needs --yes.
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
#include <unistd.h>

#define DEFAULT_REF_HOURS 1.0
#define DEFAULT_REF_DLP 12.4	/* an RTX 3060 12GB */
#define DEFAULT_DISK_GB 32.0

struct hunt_flags {
	const char *project, *profile, *gpu, *exclude_geo, *order, *query, *image, *onstart;
	const char *pool, *ssh_mode, *key, *workspace, *api_key;
	double max_dph, ref_hours, ref_dlp, data_gb, disk_gb, storage, min_cuda, min_vram, min_gpu_ram;
	double min_reliability, min_dlperf_usd, min_disk_space, disk;
	long long num_gpus, min_ports, limit, timeout;
	struct strv exclude_offers;	/* each --exclude-offer-id as given */
	int rent, yes, min_ports_seen;
};

/* The numeric flags and the setting each gives.  Two flags on one setting
 * are the Python tool's name and ros's; the first is named first when
 * they differ. */
#define FLAG(m) offsetof(struct hunt_flags, m)
#define SETTING(m) offsetof(struct vast_hunt, m)
static const struct {
	const char *name;
	size_t flag, setting;
} num_flags[] = {
	{ "max-dph", FLAG(max_dph), SETTING(max_dph) },
	{ "ref-hours", FLAG(ref_hours), SETTING(ref_hours) },
	{ "ref-dlp", FLAG(ref_dlp), SETTING(ref_dlp) },
	{ "data-gb", FLAG(data_gb), SETTING(data_gb) },
	{ "storage", FLAG(storage), SETTING(disk_gb) },
	{ "disk-gb", FLAG(disk_gb), SETTING(disk_gb) },
	{ "min-cuda", FLAG(min_cuda), SETTING(min_cuda) },
	{ "min-gpu-ram", FLAG(min_gpu_ram), SETTING(min_vram_gb) },
	{ "min-vram-gb", FLAG(min_vram), SETTING(min_vram_gb) },
	{ "min-reliability", FLAG(min_reliability), SETTING(min_reliability) },
	{ "min-dlperf-usd", FLAG(min_dlperf_usd), SETTING(min_dlperf_usd) },
	{ "min-disk-space", FLAG(min_disk_space), SETTING(min_disk_space) },
};
#define NUM_FLAG(f, i) (*(const double *)((const char *)(f) + num_flags[i].flag))

/* The other flags that give settings, numbered after num_flags. */
enum { K_NUM_GPUS = ARRAY_SIZE(num_flags), K_MIN_PORTS, K_GPU, K_GEO, K_EXCLUDE, K_END };

static void
show_progress(void *arg, const char *line)
{
	(void)arg;
	info("%s", line);
}

/* The items of a comma-separated --gpu or --exclude-geolocation. */
static struct strv
name_list(struct ctx *ctx, const char *flag, const char *v)
{
	struct strv items = STRV_INIT;
	split_list(v, ',', &items);
	for (size_t i = 0; i < items.n; i++)
		if (!vast_list_item_ok(items.v[i]))
			usage_error(ctx, "bad name '%s' in --%s", items.v[i], flag);
	return items;
}

/* The offer ids of every --exclude-offer-id (comma lists), into h. */
static void
exclude_ids(struct ctx *ctx, const struct strv *given, struct vast_hunt *h)
{
	for (size_t i = 0; i < given->n; i++) {
		struct strv items = STRV_INIT;
		long long id;
		int ok;
		split_list(given->v[i], ',', &items);
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
		if (!ok)
			usage_error(ctx, "--exclude-offer-id needs offer ids (positive numbers, comma-separated), "
				    "not '%s'", given->v[i]);
	}
}

/* Apply flag k (num_flags, then K_*) to h if it was given: 1 if so. */
static int
apply_flag(struct ctx *ctx, const struct hunt_flags *f, int k, struct vast_hunt *h)
{
	struct strv items;
	switch (k) {
	case K_NUM_GPUS:
		if (!f->num_gpus)
			return 0;
		h->num_gpus = f->num_gpus;
		return 1;
	case K_MIN_PORTS:
		if (!f->min_ports_seen)
			return 0;
		h->min_ports = f->min_ports;
		return 1;
	case K_GPU:
	case K_GEO:
		if (!(k == K_GPU ? f->gpu : f->exclude_geo))
			return 0;
		items = name_list(ctx, k == K_GPU ? "gpu" : "exclude-geolocation", k == K_GPU ? f->gpu : f->exclude_geo);
		strv_release(k == K_GPU ? &h->gpus : &h->exclude_geo);
		*(k == K_GPU ? &h->gpus : &h->exclude_geo) = items;
		return 1;
	case K_EXCLUDE:
		if (!f->exclude_offers.n)
			return 0;
		exclude_ids(ctx, &f->exclude_offers, h);
		return 1;
	default:
		if (isnan(NUM_FLAG(f, k)))
			return 0;
		*(double *)((char *)h + num_flags[k].setting) = NUM_FLAG(f, k);
		return 1;
	}
}

/* "--NAME VALUE" of flag k, as the user gave it. */
static char *
flag_text(const struct hunt_flags *f, int k)
{
	struct buf b = BUF_INIT;
	switch (k) {
	case K_NUM_GPUS:
		buf_addf(&b, "--num-gpus %lld", f->num_gpus);
		break;
	case K_MIN_PORTS:
		buf_addf(&b, "--min-ports %lld", f->min_ports);
		break;
	case K_GPU:
		buf_addf(&b, "--gpu '%s'", f->gpu);
		break;
	case K_GEO:
		buf_addf(&b, "--exclude-geolocation '%s'", f->exclude_geo);
		break;
	case K_EXCLUDE:
		buf_adds(&b, "--exclude-offer-id ");
		for (size_t i = 0; i < f->exclude_offers.n; i++)
			buf_addf(&b, "%s%s", i ? "," : "", f->exclude_offers.v[i]);
		break;
	default:
		buf_addf(&b, "--%s %g", num_flags[k].name, NUM_FLAG(f, k));
	}
	return buf_detach(&b);
}

/*
 * Flags that are wrong or cannot go together: a bad list (apply_flag), two
 * names of one setting with different values, or a flag and a --query term
 * on the same filter (which one was meant?).  Usage errors, before
 * anything is read or sent.
 */
static void
check_flags(struct ctx *ctx, const struct hunt_flags *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(num_flags); i++)
		for (size_t j = i + 1; j < ARRAY_SIZE(num_flags); j++)
			if (num_flags[i].setting == num_flags[j].setting && !isnan(NUM_FLAG(f, i)) &&
			    !isnan(NUM_FLAG(f, j)) && NUM_FLAG(f, i) != NUM_FLAG(f, j))
				usage_error(ctx, "--%s %g and --%s %g are the same setting: give one", num_flags[i].name,
					    NUM_FLAG(f, i), num_flags[j].name, NUM_FLAG(f, j));
	for (int k = 0; k < K_END; k++) {
		struct vast_hunt one;
		struct buf err = BUF_INIT;
		char *terms = NULL, *mine = NULL, *theirs = NULL, *flag = NULL, msg[1024] = "";
		vast_hunt_init(&one);
		if (apply_flag(ctx, f, k, &one) && f->query) {
			terms = vast_hunt_query_string(&one);
			if (vast_query_clash(terms, f->query, &mine, &theirs, &err) > 0) {
				flag = flag_text(f, k);
				snprintf(msg, sizeof msg, "%s and --query's '%s' set the same filter: give one", flag, theirs);
			}
		}
		free(terms);
		free(mine);
		free(theirs);
		free(flag);
		buf_release(&err);
		vast_hunt_release(&one);
		if (*msg)
			usage_error(ctx, "%s", msg);
	}
}

/* Flags over what the profile and project said. */
static void
apply_flags(struct ctx *ctx, const struct hunt_flags *f, struct vast_hunt *h)
{
	for (int k = 0; k < K_END; k++)
		apply_flag(ctx, f, k, h);
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

/* Ask on the terminal before renting offer o (one of the ranked). */
static int
approve_offer(void *arg, const json_t *o)
{
	struct buf q = BUF_INIT;
	long long id = 0, n = 1;
	double d;
	char *gpu = vast_disp_field(o, "gpu_name", 40, "?");
	const json_t *cost = json_object_get(o, "cost");
	(void)arg;
	vast_json_int(json_object_get(o, "id"), &id);
	vast_json_int(json_object_get(o, "num_gpus"), &n);
	buf_addf(&q, "Rent offer %lld (", id);
	if (n > 1)
		buf_addf(&q, "%lldx ", n);
	buf_adds(&q, gpu);
	if (jnum(o, "dph_total", &d) == 0)
		buf_addf(&q, ", $%.4f/h", d);
	if (json_is_object(cost) && jnum(cost, "total", &d) == 0)
		buf_addf(&q, ", est. $%.4f total", d);
	else
		buf_adds(&q, ", est. total unknown");
	int yes = ask_yes("%s)? [y/N] ", q.s);
	buf_release(&q);
	free(gpu);
	return yes;
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
	if (!f->yes)
		ro.approve = approve_offer;
	if (vast_rent(vc, ranked, &ro, &got, &err) != VAST_OK) {
		if (got.declined)
			fprintf(stderr, "not rented\n");
		else
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

/* The cost note of an assumed job length (ref_hours defaulted), or NULL. */
static char *
cost_note(const struct vast_hunt *h, const struct vast_cost_params *cp)
{
	if (!isnan(h->ref_hours))
		return NULL;
	return xasprintf("cost for a %.1f h job at the reference speed, DLPerf %g (give --ref-hours H "
			 "--ref-dlp D for yours)", cp->ref_hours, cp->ref_dlp);
}

/* 0 if q parses on its own; else -1 with err, which names --query and
 * the column in it (not in the query it is added to). */
static int
check_query(const char *q, struct buf *err)
{
	struct strv w = STRV_INIT;
	struct buf e = BUF_INIT;
	json_t *res = json_object();
	int r = vast_query_merge(res, q, &w, &e);
	if (r < 0)
		buf_addf(err, "--query: %s", e.s);
	json_decref(res);
	strv_release(&w);
	buf_release(&e);
	return r;
}

static int
cmd_vast_hunt_fn(int argc, char **argv, struct ctx *ctx)
{
	struct hunt_flags f = { .max_dph = NAN, .ref_hours = NAN, .ref_dlp = NAN, .data_gb = NAN,
				.disk_gb = NAN, .storage = NAN, .min_cuda = NAN, .min_vram = NAN,
				.min_gpu_ram = NAN, .min_reliability = NAN, .min_dlperf_usd = NAN,
				.min_disk_space = NAN, .disk = NAN, .exclude_offers = STRV_INIT };
	const struct opt opts[] = {
		{ "project-id", OPT_STR, &f.project, "P", "use the project's hardware: section", 0, NULL },
		{ "profile", OPT_STR, &f.profile, "NAME", "pytorch, jax, or one of vastai/profiles.yaml", 0, NULL },
		{ "max-dph", OPT_DOUBLE, &f.max_dph, "X", "at most X $/hr: dph<=X (checked here too)", 0, NULL },
		{ "ref-hours", OPT_DOUBLE, &f.ref_hours, "H", "hours the job takes on the reference GPU (default 1)", 0, NULL },
		{ "ref-dlp", OPT_DOUBLE, &f.ref_dlp, "D", "DLPerf of the reference GPU (default 12.4, an RTX 3060)", 0, NULL },
		{ "data-gb", OPT_DOUBLE, &f.data_gb, "G", "GB moved in and out (bandwidth cost)", 0, NULL },
		{ "storage", OPT_DOUBLE, &f.storage, "GB", "disk the job needs: disk_space>=GB, and the storage cost", 0, NULL },
		{ "disk-gb", OPT_DOUBLE, &f.disk_gb, "G", "the same as --storage", 0, NULL },
		{ "min-disk-space", OPT_DOUBLE, &f.min_disk_space, "GB", "disk_space>=GB, a filter only (with --storage: the larger)", 0, NULL },
		{ "min-dlperf-usd", OPT_DOUBLE, &f.min_dlperf_usd, "X", "DLPerf per $/hr: dlperf_usd>=X (dlperf_per_dphtotal)", 0, NULL },
		{ "min-reliability", OPT_DOUBLE, &f.min_reliability, "X", "reliability>=X, a fraction (0.95 for 95%)", 0, NULL },
		{ "min-gpu-ram", OPT_DOUBLE, &f.min_gpu_ram, "GB", "VRAM per GPU: gpu_ram>=GB (sent in MB: GB × 1000)", 0, NULL },
		{ "min-vram-gb", OPT_DOUBLE, &f.min_vram, "G", "the same as --min-gpu-ram", 0, NULL },
		{ "min-ports", OPT_INT, &f.min_ports, "N", "open direct ports: direct_port_count>=N", 0, &f.min_ports_seen },
		{ "min-cuda", OPT_DOUBLE, &f.min_cuda, "V", "highest CUDA the driver runs: cuda_max_good>=V", 0, NULL },
		{ "gpu", OPT_STR, &f.gpu, "NAMES", "only these GPUs: gpu_name in [...], e.g. 'RTX 3060,RTX 3070'", 0, NULL },
		{ "num-gpus", OPT_INT, &f.num_gpus, "N", "exactly N GPUs: num_gpus=N", 0, NULL },
		{ "exclude-geolocation", OPT_STR, &f.exclude_geo, "CODES", "not in these countries: geolocation notin [...], e.g. CN,VN", 0, NULL },
		{ "exclude-offer-id", OPT_LIST, &f.exclude_offers, "IDS", "never rank nor rent these: id notin [...] (repeatable, comma list; checked here too)", 0, NULL },
		{ "limit", OPT_INT, &f.limit, "N", "ask Vast.ai for at most N offers", 0, NULL },
		{ "order", OPT_STR, &f.order, "F", "Vast.ai's order of the search, e.g. dph+ (default score-)", 0, NULL },
		{ "query", OPT_STR, &f.query, "Q", "more terms in the CLI's language: 'dph<0.1 gpu_ram>=8'", 0, NULL },
		{ "rent", OPT_BOOL, &f.rent, NULL, "rent the best offer, wait for it, register it as a worker", 0, NULL },
		{ "yes", OPT_BOOL, &f.yes, NULL, "rent without asking (needed without a terminal)", 'y', NULL },
		{ "image", OPT_STR, &f.image, "I", "docker image to rent with", 0, NULL },
		{ "onstart", OPT_STR, &f.onstart, "CMD", "script run when the instance starts", 0, NULL },
		{ "disk", OPT_DOUBLE, &f.disk, "G", "disk to rent (default --storage, else 32)", 0, NULL },
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
	json_t *query = NULL, *offers = NULL, *kept = NULL, *cheap = NULL, *wanted = NULL, *ranked = NULL;
	json_t *out = NULL;
	char *raw = NULL, *qs = NULL, *note = NULL;
	size_t nblack = 0, ndear = 0, nexcl = 0;
	int rc = 1;

	vast_hunt_init(&h);
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(num_flags); i++)
		if (!isnan(NUM_FLAG(&f, i)) && NUM_FLAG(&f, i) < 0)
			usage_error(ctx, "numbers must not be negative (--%s)", num_flags[i].name);
	if (!isnan(f.disk) && f.disk < 0)
		usage_error(ctx, "numbers must not be negative (--disk)");
	if ((!isnan(f.ref_hours) && f.ref_hours <= 0) || (!isnan(f.ref_dlp) && f.ref_dlp <= 0))
		usage_error(ctx, "--ref-hours and --ref-dlp must be positive");
	if (!isnan(f.min_reliability) && f.min_reliability > 1)
		usage_error(ctx, "--min-reliability is a fraction from 0 to 1 (0.95 for 95%%), not %g", f.min_reliability);
	if (f.num_gpus < 0 || f.num_gpus > 64 || f.limit < 0 || f.timeout < 0)
		usage_error(ctx, "--num-gpus, --limit and --timeout must be small non-negative numbers");
	if (f.min_ports_seen && (f.min_ports < 0 || f.min_ports > 65535))
		usage_error(ctx, "--min-ports must be a number of ports from 0 to 65535");
	if (f.project && !safe_name(f.project))
		usage_error(ctx, "invalid --project-id '%s'", f.project);
	if (f.pool && !safe_name(f.pool))
		usage_error(ctx, "invalid --pool '%s'", f.pool);
	if (f.ssh_mode && strcmp(f.ssh_mode, "proxy") && strcmp(f.ssh_mode, "direct"))
		usage_error(ctx, "--ssh-mode must be proxy or direct");
	if (!f.rent && (f.yes || f.image || f.onstart || !isnan(f.disk) || f.pool || f.ssh_mode || f.key ||
			f.workspace || f.timeout))
		usage_error(ctx, "--yes, --image, --onstart, --disk, --pool, --ssh-mode, --key, --workspace and "
			    "--timeout go with --rent");
	if (f.rent && !f.yes && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		usage_error(ctx, "--rent spends money and there is no terminal to ask on: add --yes to rent "
			    "without asking");
	if (f.query && check_query(f.query, &err) < 0)
		goto fail;
	check_flags(ctx, &f);

	const char *root = ctx_root(ctx);
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
	note = cost_note(&h, &cp);
	kept = vast_drop_blacklisted(offers, &bl, &nblack);
	cheap = vast_drop_dear(kept, h.max_dph, &ndear);
	wanted = vast_drop_offer_ids(cheap, h.exclude_ids, h.n_exclude, &nexcl);
	ranked = vast_rank_offers(wanted, &cp);
	out = json_object();
	jset_str(out, "query_string", qs);
	json_object_set(out, "query", query);
	json_object_set_new(out, "profile", h.profile ? json_string(h.profile) : json_null());
	json_object_set_new(out, "cost_params", json_pack("{s:f,s:f,s:f,s:f,s:b}", "ref_hours", cp.ref_hours,
		"ref_dlp", cp.ref_dlp, "disk_gb", cp.disk_gb, "data_gb", cp.data_gb, "ref_hours_default", !!note));
	json_object_set_new(out, "cost_note", note ? json_string(note) : json_null());
	json_object_set(out, "offers", ranked);
	json_object_set_new(out, "hidden", json_pack("{s:I,s:I,s:I}", "blacklisted", (json_int_t)nblack,
		"over_max_dph", (json_int_t)ndear, "excluded", (json_int_t)nexcl));
	json_t *best = json_array_get(ranked, 0);
	json_object_set_new(out, "best", best ? json_incref(json_object_get(best, "id")) : json_null());
	if (!ctx->json) {
		printf("Query: %s\n", *qs ? qs : "(defaults only)");
		if (note)
			printf("Cost: for a %.1f h job at the reference speed, DLPerf %g (give --ref-hours H --ref-dlp D "
			       "for yours); ", cp.ref_hours, cp.ref_dlp);
		else
			printf("Cost: a %g h job on DLPerf %g, ", cp.ref_hours, cp.ref_dlp);
		printf("%g GB disk, %g GB data (est. hours = %g × %g / DLPerf)\n\n", cp.disk_gb, cp.data_gb,
		       cp.ref_hours, cp.ref_dlp);
		if (best) {
			print_table(ranked);
			printf("\n");
			print_best(best);
		} else {
			printf("No offers match.\n");
		}
		if (nblack || ndear || nexcl) {
			printf("(hidden: %zu on blacklisted machines, %zu over --max-dph", nblack, ndear);
			if (nexcl)
				printf(", %zu excluded by --exclude-offer-id", nexcl);
			printf(")\n");
		}
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
	strv_release(&f.exclude_offers);
	buf_release(&err);
	json_decref(query);
	json_decref(offers);
	json_decref(kept);
	json_decref(cheap);
	json_decref(wanted);
	json_decref(ranked);
	json_decref(out);
	free(raw);
	free(qs);
	free(note);
	return rc;
}

const struct ros_cmd cmd_vast_hunt = {
	"vast-hunt", cmd_vast_hunt_fn, CMD_JSON,
	"Vast.ai offers ranked by what the job would cost; --rent rents the best as a worker",
	"[--project-id P] [--profile NAME] [--max-dph X] [--ref-hours H --ref-dlp D] [--data-gb G] "
	"[--storage GB] [--min-disk-space GB] [--min-dlperf-usd X] [--min-reliability X] "
	"[--min-gpu-ram GB] [--min-ports N] [--min-cuda V] [--gpu NAMES] [--num-gpus N] "
	"[--exclude-geolocation CODES] [--exclude-offer-id IDS]... [--limit N] [--order F] [--query Q] "
	"[--rent [--yes] [--image I] [--onstart CMD] [--disk G] [--pool P] [--ssh-mode proxy|direct] "
	"[--key PATH] [--workspace DIR] [--timeout S]]",
	"Settings come from the profile (built-in pytorch, jax, or vastai/profiles.yaml),\n"
	"then the project's hardware: section, then the flags: each flag is a term of the\n"
	"query sent to Vast.ai, in the CLI's language (its option says which), and it\n"
	"replaces the profile's or the project's term on the same filter.  The query line\n"
	"shows each filter once.  Checked here as well as by Vast.ai: --max-dph and\n"
	"--exclude-offer-id (a server may not honour every filter).  A flag on the same\n"
	"filter (field and operator) as a term of --query is a usage error naming both.\n"
	"--storage and --disk-gb are one setting, and so are --min-gpu-ram and\n"
	"--min-vram-gb: different values are a usage error.\n"
	"\n"
	"Cost of the job on each offer: est. hours = ref_hours × ref_dlp / DLPerf; GPU =\n"
	"$/hr × hours; storage = storage $/GB/month × disk × hours / 720; bandwidth =\n"
	"$/GB × data; total = the sum.  Without a ref_hours (flag, profile or project)\n"
	"the cost is for a 1.0 h job at the reference speed, and the header (--json:\n"
	"cost_note) says so.  Machines in vastai/blacklist.yaml are never shown.\n"
	"\n"
	"--rent rents the best offer (the next one if it is gone), waits until it runs\n"
	"with an SSH endpoint, and registers it as worker vastai_auto_<date>_<time> with\n"
	"its instance_id.\n"
	"\n"
	"Renting spends money.  On a terminal --rent asks before renting each offer\n"
	"(\"Rent offer N (GPU, $X/h, est. $Y total)? [y/N]\") and rents only on y or yes;\n"
	"without a terminal (stdin and stdout) it refuses unless --yes is given, as\n"
	"vastai-destroy does.  The watcher's settings are its consent: it never asks.",
};
