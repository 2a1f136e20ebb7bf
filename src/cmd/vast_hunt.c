/*
 * vast_hunt.c - `ros vast-hunt`: the Vast.ai offers that meet a profile's
 * or a project's hardware requirements, ranked by what the job would cost
 * on each (vast/cost.h), the best named; with --rent, the best rented,
 * waited for and registered as a worker.  The settings are vast/hunt.h's
 * (profile, then the project's hardware: section, then the flags, each one
 * term of the query); the search, the filters ros applies itself, the
 * conflicts among flags and with --query (usage errors) and the renting
 * are vast/search.h.  On a terminal each offer is confirmed before it is
 * rented (ask_yes) unless --yes; without one, --rent needs --yes.
 */
#include "ros.h"
#include "util/jx.h"
#include "util/table.h"
#include "vast/api.h"
#include "vast/hunt.h"
#include "vast/search.h"
#include "vast/values.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hunt_flags {
	const char *project, *profile, *gpu, *exclude_geo, *order, *query, *image, *onstart;
	const char *pool, *ssh_mode, *key, *workspace, *api_key;
	double max_dph, ref_hours, ref_dlp, data_gb, disk_gb, storage, min_cuda, min_vram, min_gpu_ram;
	double min_reliability, min_dlperf_usd, min_disk_space, disk;
	long long num_gpus, min_ports, limit, timeout;
	struct strv exclude_offers;	/* each --exclude-offer-id as given */
	int rent, yes, num_gpus_seen, min_ports_seen;
};

/* The flags that are settings, each a term of the query.  Two flags on
 * one setting are the Python tool's name and ros's; the first is named
 * first when they differ. */
#define SETTING(m) offsetof(struct vast_hunt, m)
#define NUM(flag, m, s) { flag, VG_NUM, SETTING(s), f->m, 0, NULL, NULL, 0 }
#define N_GIVEN 17

static void
given_of(const struct hunt_flags *f, struct vast_given g[N_GIVEN])
{
	const struct vast_given all[N_GIVEN] = {
		NUM("max-dph", max_dph, max_dph),
		NUM("ref-hours", ref_hours, ref_hours),
		NUM("ref-dlp", ref_dlp, ref_dlp),
		NUM("data-gb", data_gb, data_gb),
		NUM("storage", storage, disk_gb),
		NUM("disk-gb", disk_gb, disk_gb),
		NUM("min-cuda", min_cuda, min_cuda),
		NUM("min-gpu-ram", min_gpu_ram, min_vram_gb),
		NUM("min-vram-gb", min_vram, min_vram_gb),
		NUM("min-reliability", min_reliability, min_reliability),
		NUM("min-dlperf-usd", min_dlperf_usd, min_dlperf_usd),
		NUM("min-disk-space", min_disk_space, min_disk_space),
		{ "num-gpus", VG_WHOLE, SETTING(num_gpus), NAN, f->num_gpus, NULL, NULL, f->num_gpus_seen && f->num_gpus },
		{ "min-ports", VG_WHOLE, SETTING(min_ports), NAN, f->min_ports, NULL, NULL, f->min_ports_seen },
		{ "gpu", VG_NAMES, SETTING(gpus), NAN, 0, f->gpu, NULL, 0 },
		{ "exclude-geolocation", VG_NAMES, SETTING(exclude_geo), NAN, 0, f->exclude_geo, NULL, 0 },
		{ "exclude-offer-id", VG_IDS, 0, NAN, 0, NULL, &f->exclude_offers, 0 },
	};
	memcpy(g, all, sizeof all);
}

static void
show_progress(void *arg, const char *line)
{
	(void)arg;
	info("%s", line);
}

/* Flags over what the profile and project said. */
static void
apply_flags(struct ctx *ctx, const struct hunt_flags *f, const struct vast_given *g, struct vast_hunt *h)
{
	const char *strs[] = { f->query, f->order, f->image, f->onstart };
	char **dst[] = { &h->query, &h->order, &h->image, &h->onstart };
	struct buf err = BUF_INIT;
	for (size_t k = 0; k < N_GIVEN; k++)
		if (vast_given_apply(&g[k], h, &err) < 0)
			usage_error(ctx, "%s", err.s);
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (strs[i]) {
			free(*dst[i]);
			*dst[i] = xstrdup(strs[i]);
		}
	buf_release(&err);
}

/* o[k] (times scale) in fmt, or "-". */
static char *
cell(const json_t *o, const char *k, const char *fmt, double scale)
{
	double d;
	return jnum(o, k, &d) == 0 ? xasprintf(fmt, d * scale) : xstrdup("-");
}

static void
print_table(const json_t *ranked)
{
	static const char *const costs[] = { "est_hours", "gpu", "storage", "bandwidth", "total" };
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
		c[4] = cell(o, "gpu_ram", "%.0f", 1 / 1024.0);
		c[5] = cell(o, "dph_total", "%.4f", 1);
		c[6] = cell(o, "dlperf", "%.1f", 1);
		c[7] = cell(o, "dlperf_per_dphtotal", "%.1f", 1);
		c[8] = cell(o, jnum(o, "reliability", &d) == 0 ? "reliability" : "reliability2", "%.1f%%", 100);
		c[9] = vast_disp_field(o, "geolocation", 24, "-");
		const json_t *cost = json_object_get(o, "cost");
		for (int k = 0; k < 5 && json_is_object(cost); k++)
			c[10 + k] = cell(cost, costs[k], k ? "%.4f" : "%.2f", 1);
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
	const json_t *cost = json_object_get(o, "cost");
	char *geo = vast_disp_field(o, "geolocation", 40, "location unknown");
	struct buf desc = BUF_INIT;
	long long id = 0;

	vast_json_int(json_object_get(o, "id"), &id);
	vast_offer_desc(&desc, o);
	if (json_is_object(cost))
		printf("Best: offer %lld — %s, est. %.2f h, total $%.4f (%s)\n", id, desc.s,
		       json_number_value(json_object_get(cost, "est_hours")),
		       json_number_value(json_object_get(cost, "total")), geo);
	else
		printf("Best: offer %lld — %s, cost unknown (no DLPerf) (%s)\n", id, desc.s, geo);
	free(geo);
	buf_release(&desc);
}

/* What the search found, as text. */
static void
print_hunt(const json_t *out)
{
	const json_t *cp = json_object_get(out, "cost_params"), *hidden = json_object_get(out, "hidden");
	const json_t *ranked = json_object_get(out, "offers");
	double hours = json_number_value(json_object_get(cp, "ref_hours"));
	double dlp = json_number_value(json_object_get(cp, "ref_dlp"));
	long long nblack = 0, ndear = 0, nexcl = 0;

	printf("Query: %s\n", *jstr0(out, "query_string") ? jstr(out, "query_string") : "(defaults only)");
	if (jstr(out, "cost_note"))
		printf("Cost: for a %.1f h job at the reference speed, DLPerf %g (give --ref-hours H --ref-dlp D "
		       "for yours); ", hours, dlp);
	else
		printf("Cost: a %g h job on DLPerf %g, ", hours, dlp);
	printf("%g GB disk, %g GB data (est. hours = %g × %g / DLPerf)\n\n",
	       json_number_value(json_object_get(cp, "disk_gb")), json_number_value(json_object_get(cp, "data_gb")),
	       hours, dlp);
	if (json_array_size(ranked)) {
		print_table(ranked);
		printf("\n");
		print_best(json_array_get(ranked, 0));
	} else {
		printf("No offers match.\n");
	}
	jint(hidden, "blacklisted", &nblack);
	jint(hidden, "over_max_dph", &ndear);
	jint(hidden, "excluded", &nexcl);
	if (nblack || ndear || nexcl) {
		printf("(hidden: %lld on blacklisted machines, %lld over --max-dph", nblack, ndear);
		if (nexcl)
			printf(", %lld excluded by --exclude-offer-id", nexcl);
		printf(")\n");
	}
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
	struct vast_hunt_rental r = { .pool = f->pool, .ssh_mode = f->ssh_mode, .key = f->key,
				      .workspace = f->workspace, .timeout_s = (int)f->timeout, .disk_gb = disk,
				      .approve = f->yes ? NULL : approve_offer, .progress = show_progress,
				      .got = VAST_RENTAL_INIT };
	struct buf err = BUF_INIT;
	long long inst;
	int rc = vast_hunt_rent(ctx_root(ctx), vc, h, ranked, &r, &err);

	inst = r.got.instance_id;
	if (rc == -1 && r.got.declined)
		fprintf(stderr, "not rented\n");
	else if (rc == -1)
		error("%s", err.s);
	else if (rc == -2)
		error("instance %lld is rented and running but was not registered: %s; fix that and run "
		      "`ros add-worker --vastai-instance-id %lld`, or `ros vastai-destroy %lld`", inst, err.s, inst, inst);
	else if (!ctx->json)
		printf("Rented offer %lld as instance %lld\nRegistered worker %s (ssh %s:%lld, pool %s)\n",
		       r.got.offer_id, inst, r.worker_id, jstr0(r.rental, "ssh_host"),
		       (long long)json_integer_value(json_object_get(r.rental, "ssh_port")), jstr0(r.rental, "worker_pool"));
	if (r.rental)
		json_object_set(out, "rental", r.rental);
	vast_hunt_rental_release(&r);
	buf_release(&err);
	return rc ? 1 : 0;
}

/* The flags, checked: usage errors before anything is read or sent. */
static void
parse_flags(struct ctx *ctx, int argc, char **argv, struct hunt_flags *f, struct vast_given *g)
{
	const struct opt opts[] = {
		{ .name = "project-id", .kind = OPT_STR, .dst = &f->project, .arg = "P", .help = "use the project's hardware: section" },
		{ .name = "profile", .kind = OPT_STR, .dst = &f->profile, .arg = "NAME", .help = "pytorch, jax, or one of vastai/profiles.yaml" },
		{ .name = "max-dph", .kind = OPT_DOUBLE, .dst = &f->max_dph, .arg = "X", .help = "at most X $/hr: dph<=X (checked here too)", .flags = OPT_MIN, .min = 0 },
		{ .name = "ref-hours", .kind = OPT_DOUBLE, .dst = &f->ref_hours, .arg = "H", .help = "hours the job takes on the reference GPU (default 1)" },
		{ .name = "ref-dlp", .kind = OPT_DOUBLE, .dst = &f->ref_dlp, .arg = "D", .help = "DLPerf of the reference GPU (default 12.4, an RTX 3060)" },
		{ .name = "data-gb", .kind = OPT_DOUBLE, .dst = &f->data_gb, .arg = "G", .help = "GB moved in and out (bandwidth cost)", .flags = OPT_MIN, .min = 0 },
		{ .name = "storage", .kind = OPT_DOUBLE, .dst = &f->storage, .arg = "GB", .help = "disk the job needs: disk_space>=GB, and the storage cost", .flags = OPT_MIN, .min = 0 },
		{ .name = "disk-gb", .kind = OPT_DOUBLE, .dst = &f->disk_gb, .arg = "G", .help = "the same as --storage", .flags = OPT_MIN, .min = 0 },
		{ .name = "min-disk-space", .kind = OPT_DOUBLE, .dst = &f->min_disk_space, .arg = "GB", .help = "disk_space>=GB, a filter only (with --storage: the larger)", .flags = OPT_MIN, .min = 0 },
		{ .name = "min-dlperf-usd", .kind = OPT_DOUBLE, .dst = &f->min_dlperf_usd, .arg = "X", .help = "DLPerf per $/hr: dlperf_usd>=X (dlperf_per_dphtotal)", .flags = OPT_MIN, .min = 0 },
		{ .name = "min-reliability", .kind = OPT_DOUBLE, .dst = &f->min_reliability, .arg = "X", .help = "reliability>=X, a fraction (0.95 for 95%)" },
		{ .name = "min-gpu-ram", .kind = OPT_DOUBLE, .dst = &f->min_gpu_ram, .arg = "GB", .help = "VRAM per GPU: gpu_ram>=GB (sent in MB: GB × 1000)", .flags = OPT_MIN, .min = 0 },
		{ .name = "min-vram-gb", .kind = OPT_DOUBLE, .dst = &f->min_vram, .arg = "G", .help = "the same as --min-gpu-ram", .flags = OPT_MIN, .min = 0 },
		{ .name = "min-ports", .kind = OPT_INT, .dst = &f->min_ports, .arg = "N", .help = "open direct ports: direct_port_count>=N", .seen = &f->min_ports_seen, .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 65535 },
		{ .name = "min-cuda", .kind = OPT_DOUBLE, .dst = &f->min_cuda, .arg = "V", .help = "highest CUDA the driver runs: cuda_max_good>=V", .flags = OPT_MIN, .min = 0 },
		{ .name = "gpu", .kind = OPT_STR, .dst = &f->gpu, .arg = "NAMES", .help = "only these GPUs: gpu_name in [...], e.g. 'RTX 3060,RTX 3070'" },
		{ .name = "num-gpus", .kind = OPT_INT, .dst = &f->num_gpus, .arg = "N", .help = "exactly N GPUs: num_gpus=N", .seen = &f->num_gpus_seen, .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 64 },
		{ .name = "exclude-geolocation", .kind = OPT_STR, .dst = &f->exclude_geo, .arg = "CODES", .help = "not in these countries: geolocation notin [...], e.g. CN,VN" },
		{ .name = "exclude-offer-id", .kind = OPT_LIST, .dst = &f->exclude_offers, .arg = "IDS", .help = "never rank nor rent these: id notin [...] (repeatable, comma list; checked here too)" },
		{ .name = "limit", .kind = OPT_INT, .dst = &f->limit, .arg = "N", .help = "ask Vast.ai for at most N offers", .flags = OPT_MIN, .min = 0 },
		{ .name = "order", .kind = OPT_STR, .dst = &f->order, .arg = "F", .help = "Vast.ai's order of the search, e.g. dph+ (default score-)" },
		{ .name = "query", .kind = OPT_STR, .dst = &f->query, .arg = "Q", .help = "more terms in the CLI's language: 'dph<0.1 gpu_ram>=8'" },
		{ .name = "rent", .kind = OPT_BOOL, .dst = &f->rent, .help = "rent the best offer, wait for it, register it as a worker" },
		{ .name = "yes", .kind = OPT_BOOL, .dst = &f->yes, .help = "rent without asking (needed without a terminal)", .shrt = 'y', .with = "rent" },
		{ .name = "image", .kind = OPT_STR, .dst = &f->image, .arg = "I", .help = "docker image to rent with", .with = "rent" },
		{ .name = "onstart", .kind = OPT_STR, .dst = &f->onstart, .arg = "CMD", .help = "script run when the instance starts", .with = "rent" },
		{ .name = "disk", .kind = OPT_DOUBLE, .dst = &f->disk, .arg = "G", .help = "disk to rent (default --storage, else 32)", .flags = OPT_MIN, .min = 0, .with = "rent" },
		{ .name = "pool", .kind = OPT_STR, .dst = &f->pool, .arg = "P", .help = "worker pool of the new worker (default vastai)", .with = "rent" },
		{ .name = "ssh-mode", .kind = OPT_STR, .dst = &f->ssh_mode, .help = "how the new worker is reached (default proxy)", .choices = "proxy|direct", .with = "rent" },
		{ .name = "key", .kind = OPT_STR, .dst = &f->key, .arg = "PATH", .help = "ssh.key of the new worker", .with = "rent" },
		{ .name = "workspace", .kind = OPT_STR, .dst = &f->workspace, .arg = "DIR", .help = "workspace of the new worker (default /root/research-worker)", .with = "rent" },
		{ .name = "timeout", .kind = OPT_INT, .dst = &f->timeout, .arg = "S", .help = "seconds to wait for the instance to run (default 900)", .flags = OPT_MIN, .min = 0, .with = "rent" },
		{ .name = "api-key", .kind = OPT_STR, .dst = &f->api_key, .arg = "KEY", .help = "Vast.ai API key (else VAST_API_KEY, ~/.config/vastai/vast_api_key)" },
		OPT_END
	};

	opt_parse(ctx, opts, argc, argv, NULL);
	given_of(f, g);
	if ((!isnan(f->ref_hours) && f->ref_hours <= 0) || (!isnan(f->ref_dlp) && f->ref_dlp <= 0))
		usage_error(ctx, "--ref-hours and --ref-dlp must be positive");
	if (!isnan(f->min_reliability) && (f->min_reliability < 0 || f->min_reliability > 1))
		usage_error(ctx, "--min-reliability is a fraction from 0 to 1 (0.95 for 95%%), not %g", f->min_reliability);
	if (f->project && !safe_name(f->project))
		usage_error(ctx, "invalid --project-id '%s'", f->project);
	if (f->pool && !safe_name(f->pool))
		usage_error(ctx, "invalid --pool '%s'", f->pool);
	if (f->rent && !f->yes && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		usage_error(ctx, "--rent spends money and there is no terminal to ask on: add --yes to rent "
			    "without asking");
}

static int
cmd_vast_hunt_fn(int argc, char **argv, struct ctx *ctx)
{
	struct hunt_flags f = { .max_dph = NAN, .ref_hours = NAN, .ref_dlp = NAN, .data_gb = NAN,
				.disk_gb = NAN, .storage = NAN, .min_cuda = NAN, .min_vram = NAN,
				.min_gpu_ram = NAN, .min_reliability = NAN, .min_dlperf_usd = NAN,
				.min_disk_space = NAN, .disk = NAN, .exclude_offers = STRV_INIT };
	struct vast_given g[N_GIVEN];
	struct vast_hunt h;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct strv warnings = STRV_INIT;
	struct buf err = BUF_INIT;
	json_t *request = NULL, *out = NULL;
	char *qs = NULL;
	int rc = 1;

	vast_hunt_init(&h);
	parse_flags(ctx, argc, argv, &f, g);
	if (f.query && vast_query_check(f.query, &err) < 0) {
		error("--query: %s", err.s);
		goto out;
	}
	if (vast_given_conflict(g, N_GIVEN, f.query, &err))
		usage_error(ctx, "%s", err.s);
	if (vast_hunt_load(ctx_root(ctx), f.profile, f.project, &h, &err) < 0)
		goto fail;
	apply_flags(ctx, &f, g, &h);
	if (!(request = vast_hunt_request(&h, f.limit, &qs, &warnings, &err)))
		goto fail;
	for (size_t i = 0; i < warnings.n; i++)
		warning("%s", warnings.v[i]);
	if (f.rent && !h.image) {
		buf_adds(&err, "--rent needs an image: pass --image, use a profile that sets one, or set "
			 "environment.docker_image in the project");
		goto fail;
	}
	if (vast_client_init(&vc, f.api_key, &err) < 0 ||
	    !(out = vast_hunt_search(ctx_root(ctx), &vc, &h, qs, request, f.disk, &err)))
		goto fail;
	if (!ctx->json)
		print_hunt(out);
	json_t *ranked = json_object_get(out, "offers");
	if (!json_array_size(ranked)) {
		if (f.rent)
			error("nothing to rent: no offer matches");
	} else {
		double disk = json_number_value(json_object_get(json_object_get(out, "cost_params"), "disk_gb"));
		rc = f.rent ? rent_best(ctx, &vc, ranked, &f, &h, disk, out) : 0;
	}
	if (ctx->json)
		json_print(out);
	goto out;
fail:
	error("%s", err.s);
out:
	vast_hunt_release(&h);
	vast_client_release(&vc);
	strv_release(&warnings);
	strv_release(&f.exclude_offers);
	buf_release(&err);
	json_decref(request);
	json_decref(out);
	free(qs);
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
