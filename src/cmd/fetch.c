/*
 * fetch.c - `ros fetch RUN [GLOB...]`: a run's artifacts from its worker,
 * now, running or ended (engine/pull.h).
 */
#include "ros.h"
#include "runsel.h"
#include "engine/pull.h"
#include "exec/batch.h"
#include "store/queue.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>

/* Under the lock: an ended run's entry records what was fetched. */
struct fetched {
	const char *id;
	json_t *res;
};

static int
record(struct queue *q, void *arg, struct buf *err)
{
	struct fetched *f = arg;
	long i = queue_find(q, f->id);
	if (i < 0)
		return 0;
	json_t *r = queue_obj(q, (size_t)i, err);
	if (!r)
		return -1;
	json_object_set(r, "artifacts_fetched", f->res);
	queue_touch(q, (size_t)i);
	return 1;
}

static int
cmd_fetch_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	json_t *r = NULL, *globs = NULL, *out = json_object();
	long long mb = 0;
	int rc = 1;
	const struct opt opts[] = {
		{ .name = "max-mb", .kind = OPT_INT, .dst = &mb, .arg = "N", .help = "bring at most N MB (default: the run's --artifacts-max-mb, else 100)", .flags = OPT_MIN, .min = 1 },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n < 1)
		usage_error(ctx, "which run?");
	if (run_load(ctx, pos.v[0], &r, &reg) < 0)
		goto out;
	if (pos.n > 1) {
		globs = json_array();
		for (size_t i = 1; i < pos.n; i++)
			json_array_append_new(globs, json_string(pos.v[i]));
	} else {
		globs = json_incref(json_object_get(r, "artifacts"));
	}
	if (!json_array_size(globs)) {
		error("run %s names no artifacts (add-run --artifacts): give globs, e.g. ros fetch %s 'out/*'",
		      jstr0(r, "id"), jstr0(r, "id"));
		goto out;
	}
	struct worker *w = registry_find(&reg, jstr0(r, "worker_id"));
	if (!w) {
		error("run %s has no worker%s%s (status %s)", jstr0(r, "id"),
		      *jstr0(r, "worker_id") ? " in the registry: " : "", jstr0(r, "worker_id"), jstr0(r, "status"));
		goto out;
	}
	if (worker_check(w, &err) < 0 || !run_ids_ok(r)) {
		error("%s", err.len ? err.s : "run id is not a plain name");
		goto out;
	}
	if (!mb && jint(r, "artifacts_max_mb", &mb) < 0)
		mb = ARTIFACTS_MAX_MB_DEFAULT;
	struct pull_req q = { w, r, 'a', globs, mb * 1000000 };
	pull_run(ctx_root(ctx), &q, 1, out, 600000);
	json_t *res = json_object_get(out, jstr0(r, "id"));
	if (!res || jstr(res, "error")) {
		error("run %s: artifacts not fetched: %s", jstr0(r, "id"), res ? jstr(res, "error") : "no answer");
		goto out;
	}
	const char *st = jstr0(r, "status");
	if (pos.n == 1 && (!strcmp(st, "done") || !strcmp(st, "failed") || !strcmp(st, "cancelled"))) {
		struct fetched f = { jstr0(r, "id"), res };
		if (queue_update(ctx_root(ctx), Q_RUNS, record, &f, &err) < 0)
			warning("%s", err.s);
	}
	if (ctx->json) {
		json_print(res);
	} else {
		printf("%lld file%s, %.1f MB into %s/\n", jint0(res, "files"), jint0(res, "files") == 1 ? "" : "s",
		       (double)jint0(res, "bytes") / 1e6, jstr0(res, "dir"));
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(res, "skipped"), i, v) {
			const char *l = json_string_value(v), *sp = strchr(l, ' ');	/* "SIZE NAME" */
			fprintf_term(stdout, "not fetched (over the %lld MB cap): %s (%.1f MB)\n", mb, sp ? sp + 1 : l,
				     atof(l) / 1e6);
		}
	}
	rc = 0;
out:
	json_decref(out);
	json_decref(globs);
	json_decref(r);
	registry_release(&reg);
	strv_release(&pos);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_fetch = {
	"fetch", cmd_fetch_fn, CMD_JSON, "bring a run's artifacts from its worker now (running or ended)",
	"RUN [GLOB...] [--max-mb N] [--json]",
	"The files the run's --artifacts globs (or the GLOBs given) match in its\n"
	"ROS_OUT_DIR (out/), where it ran (code/), then its run directory, into\n"
	"research/<project>/artifacts/<run>/, named relative to the run directory,\n"
	"in one connection.  At most --max-mb (the run's --artifacts-max-mb, else\n"
	"100 MB): what would pass it is named, not fetched.  Files only: links and\n"
	"names that would land outside the folder are refused.  check-runs brings\n"
	"them by itself once when a run ends; this is for a running run, another\n"
	"glob, or one whose fetch failed.",
};
