/*
 * show.c - `ros show RUN`: one run's entry, its worker, and what the worker
 * holds of it (engine/inspect.h: one process that changes nothing).  Text
 * and --json come from the same object.
 */
#include "ros.h"
#include "engine/inspect.h"
#include "exec/batch.h"
#include "store/claim.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/registry.h"
#include "store/runs.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>

/* "local", "user@host:port", "slurm via user@host" */
static char *
worker_where(const json_t *wi)
{
	long long port = 0;
	int has_port = jint(wi, "port", &port) == 0;
	if (!jstr(wi, "host"))
		return xstrdup(!strcmp(jstr0(wi, "kind"), "slurm") ? "slurm on this machine" : "this machine");
	char pbuf[24] = "";
	if (has_port)
		snprintf(pbuf, sizeof pbuf, ":%lld", port);
	return xasprintf("%s%s%s%s%s", !strcmp(jstr0(wi, "kind"), "slurm") ? "slurm via " : "",
			 jstr0(wi, "user"), jstr(wi, "user") ? "@" : "", jstr0(wi, "host"), pbuf);
}

/* A time with how long ago it was: "2026-05-26T14:45:12Z (3h ago)". */
static void
print_time(const char *label, const char *s, time_t now)
{
	time_t t = parse_iso_time(s);
	char age[24];
	if (t < 0) {
		fprintf_term(stdout, "  %-17s %s\n", label, s);
		return;
	}
	fmt_age((long long)(now - t), age);
	fprintf_term(stdout, "  %-17s %s (%s ago)\n", label, s, age);
}

/* "k=v k2=v2" of an object of scalars (params, metrics). */
static char *
pairs_text(const json_t *o)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		buf_addf(&b, "%s%s=", b.len ? " " : "", k);
		if (json_is_string(v)) {
			buf_adds(&b, json_string_value(v));
		} else if (json_is_real(v)) {
			char num[32];
			fmt_double(json_real_value(v), num);
			buf_adds(&b, num);
		} else {
			char *c = json_compact(v);
			buf_adds(&b, c);
			free(c);
		}
	}
	return buf_detach(&b);
}

/* One field of the entry, readably. */
static void
print_field(const json_t *r, const char *k, const json_t *v, time_t now)
{
	if (json_is_string(v) && str_ends(k, "_at") && *json_string_value(v)) {
		print_time(k, json_string_value(v), now);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strchr(s, '\n')) {	/* a multi-line command: under its label */
			fprintf_term(stdout, "  %s:\n", k);
			for (const char *p = s; *p;) {
				const char *nl = strchr(p, '\n');
				int len = nl ? (int)(nl - p) : (int)strlen(p);
				fprintf_term(stdout, "    %.*s\n", len, p);
				p = nl ? nl + 1 : p + len;
			}
		} else {
			fprintf_term(stdout, "  %-17s %s\n", k, *s ? s : "\"\"");
		}
	} else if (json_is_object(v) && !strcmp(k, "claim")) {
		char *who = claim_owner(r);
		fprintf_term(stdout, "  %-17s %s by %s, lease until %s\n", k, jstr0(v, "token"), who,
			     jstr0(v, "until"));
		free(who);
	} else if (json_is_object(v) && !strcmp(k, "code")) {
		/* snapshot 798ca3c7b5ec  master@dbb43fa65207, dirty, 5 untracked */
		struct buf l = BUF_INIT;
		const char *c = jstr(v, "commit"), *b = jstr(v, "branch");
		json_t *d = json_object_get(v, "dirty");
		if (!jstr(v, "snapshot")) {
			buf_adds(&l, "no snapshot (the workspace)");
		} else {
			buf_addf(&l, "snapshot %.12s", jstr(v, "snapshot"));
			if (c)
				buf_addf(&l, "  %s@%.12s%s", b ? b : "(detached)", c,
					 json_is_true(d) ? ", dirty" : ", clean");
			else
				buf_adds(&l, json_is_boolean(d) ? "  git, no commit yet" : "  not in git");
			if (json_is_boolean(d))
				buf_addf(&l, ", %lld untracked", jint0(v, "untracked"));
		}
		if (jstr(v, "setup"))
			buf_addf(&l, "; setup %.12s", jstr(v, "setup"));
		fprintf_term(stdout, "  %-17s %s\n", k, l.s);
		buf_release(&l);
	} else if (json_is_object(v) && !strcmp(k, "resumed_from")) {
		fprintf_term(stdout, "  %-17s attempt %lld on %s, taken at %s\n", k, jint0(v, "attempt"), jstr0(v, "worker_id"),
			     jstr0(v, "taken_at"));
	} else if (json_is_object(v) && !strcmp(k, "ckpt")) {
		fprintf_term(stdout, "  %-17s %lld file%s, %.1f MB, of attempt %lld on %s, taken at %s (.ros/ckpt/%s/)\n", k,
			     jint0(v, "files"), jint0(v, "files") == 1 ? "" : "s", (double)jint0(v, "bytes") / 1e6,
			     jint0(v, "attempt"), jstr0(v, "worker_id"), jstr0(v, "taken_at"), jstr0(r, "id"));
	} else if (json_is_object(v) && !strcmp(k, "artifacts_fetched")) {
		size_t nsk = json_array_size(json_object_get(v, "skipped"));
		fprintf_term(stdout, "  %-17s %lld file%s, %.1f MB into %s/ at %s", k, jint0(v, "files"),
			     jint0(v, "files") == 1 ? "" : "s", (double)jint0(v, "bytes") / 1e6, jstr0(v, "dir"),
			     jstr0(v, "fetched_at"));
		if (nsk)
			fprintf_term(stdout, "; %zu over the cap, not fetched", nsk);
		fputc('\n', stdout);
	} else if (json_is_object(v) && (!strcmp(k, "params") || !strcmp(k, "metrics") ||
					 !strcmp(k, "sweep") || !strcmp(k, "resources"))) {
		char *t = pairs_text(v);
		fprintf_term(stdout, "  %-17s %s\n", k, t);
		free(t);
	} else if (json_is_array(v) && !strcmp(k, "attempts")) {
		fprintf_term(stdout, "  %s:\n", k);
		size_t i;
		json_t *a;
		json_array_foreach(v, i, a) {
			long long n = 0;
			jint(a, "attempt", &n);
			struct buf l = BUF_INIT;
			buf_addf(&l, "    %lld  %-9s %s", n, jstr0(a, "status"), *jstr0(a, "worker_id") ? jstr(a, "worker_id") : "-");
			if (jstr(a, "started_at"))
				buf_addf(&l, "  %s", jstr(a, "started_at"));
			if (jstr(a, "ended_at"))
				buf_addf(&l, " → %s", jstr(a, "ended_at"));
			if (jstr(a, "exit_code"))
				buf_addf(&l, "  exit %s", jstr(a, "exit_code"));
			if (jstr(a, "stale_reason"))
				buf_addf(&l, "  (%s)", jstr(a, "stale_reason"));
			if (json_is_object(json_object_get(a, "metrics"))) {
				char *t = pairs_text(json_object_get(a, "metrics"));
				buf_addf(&l, "  %s", t);
				free(t);
			}
			fprintf_term(stdout, "%s\n", l.s);
			buf_release(&l);
		}
	} else {
		char *c = json_compact(v);
		fprintf_term(stdout, "  %-17s %s\n", k, c);
		free(c);
	}
}

/* The entry: the fields people look for first, then all the others. */
static void
print_entry(const json_t *r, time_t now)
{
	static const char *const first[] = {
		"status", "attempt", "max_retries", "worker_id", "worker_pool", "priority", "phase", "gpus",
		"slot", "gpu_ids", "created_at", "dispatched_at", "started_at", "ended_at", "updated_at",
		"pid", "slurm_job_id", "slurm_state", "exit_code", "last_error", "stale_reason",
		"unreachable_since", "claim", "command", "env", "params", "log_path", "metric_parser",
		"target_metric", "target_direction", "workdir", "code",
	};
	static const char *const later[] = {
		"metrics", "metrics_warnings", "metrics_error", "cost_usd", "attempts",
	};
	const char *k;
	json_t *v;
	fprintf_term(stdout, "run %s  (project %s)\n", jstr0(r, "id"), jstr0(r, "project_id"));
	for (size_t i = 0; i < ARRAY_SIZE(first); i++)
		if ((v = json_object_get(r, first[i])))
			print_field(r, first[i], v, now);
	json_object_foreach((json_t *)r, k, v) {
		int shown = !strcmp(k, "id") || !strcmp(k, "project_id");
		for (size_t i = 0; i < ARRAY_SIZE(first) && !shown; i++)
			shown = !strcmp(k, first[i]);
		for (size_t i = 0; i < ARRAY_SIZE(later) && !shown; i++)
			shown = !strcmp(k, later[i]);
		if (!shown)
			print_field(r, k, v, now);
	}
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if ((v = json_object_get(r, later[i])))
			print_field(r, later[i], v, now);
}

/* Lines of text, each indented, from its last CR on (a progress bar's
 * latest state), escaped. */
static void
print_lines(const char *s, const char *indent)
{
	const char *end = s + strlen(s);
	while (end > s && end[-1] == '\n')
		end--;
	for (const char *p = s; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *ls = p;
		while (le > ls && le[-1] == '\r')
			le--;
		for (const char *q = ls; q < le; q++)
			if (*q == '\r')
				ls = q + 1;
		fprintf_term(stdout, "%s%.*s\n", indent, (int)(le - ls), ls);
		p = nl ? nl + 1 : end;
	}
}

/* run.json, the entry as dispatch-runs gave it to the worker: the fields
 * that the entry no longer has so. */
static void
print_dispatched(const json_t *rj, const json_t *r)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach((json_t *)rj, k, v)
		if (!json_equal(v, json_object_get(r, k)))
			n++;
	if (!n) {
		printf("  %-17s the entry as dispatched, the same as now\n", "run.json");
		return;
	}
	printf("  run.json          the entry as dispatched, where it differs from now:\n");
	json_object_foreach((json_t *)rj, k, v) {
		if (json_equal(v, json_object_get(r, k)))
			continue;
		char *c = json_compact(v);
		fprintf_term(stdout, "    %-15s %s\n", k, c);
		free(c);
	}
}

static void
print_remote(const json_t *out)
{
	const json_t *wi = json_object_get(out, "worker"), *rem = json_object_get(out, "remote");
	const char *wid = jstr0(json_object_get(out, "run"), "worker_id");
	if (!*wid) {
		printf("\nworker: none (the run has not been given to a worker)\n");
		return;
	}
	if (!wi) {
		fprintf_term(stdout, "\nworker %s: %s; not asked\n", wid, jstr0(rem, "note"));
		return;
	}
	char *where = worker_where(wi);
	fprintf_term(stdout, "\nworker %s (%s: %s%s)\n", wid, jstr0(wi, "kind"), where,
		     json_is_false(json_object_get(wi, "enabled")) ? ", disabled" : "");
	free(where);
	if (!json_is_true(json_object_get(rem, "asked"))) {
		fprintf_term(stdout, "  not asked: %s\n", jstr0(rem, "note"));
		return;
	}
	if (!json_is_true(json_object_get(rem, "answered"))) {
		fprintf_term(stdout, "  the worker did not answer: %s\n", jstr0(rem, "note"));
		return;
	}
	fprintf_term(stdout, "  run directory     %s\n", jstr0(rem, "dir"));
	struct buf l = BUF_INIT;
	buf_addf(&l, "  %-17s %s", "state", jstr0(rem, "state"));
	static const char *const facts[] = { "pid", "slurm_job_id", "slurm_state", "exit_code", "started_at", "ended_at", "why" };
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++)
		if (jstr(rem, facts[i]))
			buf_addf(&l, "  %s %s", facts[i], jstr(rem, facts[i]));
	fprintf_term(stdout, "%s\n", l.s);
	buf_release(&l);
	const json_t *files = json_object_get(rem, "files");
	if (json_is_true(json_object_get(rem, "dir_missing")))
		printf("  %-17s (no run directory)\n", "files");
	else if (files) {
		struct buf fl = BUF_INIT;
		size_t i;
		json_t *f;
		json_array_foreach(files, i, f) {
			long long sz = 0;
			buf_addf(&fl, "%s%s", i ? "  " : "", jstr0(f, "name"));
			if (json_is_true(json_object_get(f, "dir")))
				buf_adds(&fl, "/");
			else if (!jint(f, "size", &sz) && sz < 10240)
				buf_addf(&fl, " (%lld B)", sz);
			else if (!jint(f, "size", &sz))
				buf_addf(&fl, " (%.1f %s)", sz < (10LL << 20) ? sz / 1024.0 : sz / 1048576.0,
					 sz < (10LL << 20) ? "KiB" : "MiB");
		}
		long long more = 0;
		if (!jint(rem, "files_not_listed", &more))
			buf_addf(&fl, "  and %lld more", more);
		fprintf_term(stdout, "  %-17s %s\n", "files", fl.len ? fl.s : "(empty)");
		buf_release(&fl);
	}
	const json_t *rj = json_object_get(rem, "run_json");
	if (json_is_string(rj)) {
		printf("  run.json (not a JSON object):\n");
		print_lines(json_string_value(rj), "    ");
	} else if (rj) {
		print_dispatched(rj, json_object_get(out, "run"));
	}
	const char *log = jstr0(rem, "log");
	if (*log) {
		printf("  stdout.log, last lines:\n");
		print_lines(log, "    ");
	} else {
		printf("  stdout.log        (empty or missing)\n");
	}
}

static int
cmd_show_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	struct queue q = QUEUE_INIT;
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	long long lines = 10;
	int rc = 1;
	const struct opt opts[] = {
		{ .name = "lines", .kind = OPT_INT, .dst = &lines, .arg = "N", .help = "last N lines of the log (default 10)", .shrt = 'n', .flags = OPT_MIN | OPT_MAX, .min = 1, .max = 1000 },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n != 1)
		usage_error(ctx, "which run?");
	const char *root = ctx_root(ctx);
	char *path = ctx_path(ctx, Q_RUNS);
	json_t *out = json_object(), *r;
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	long i = queue_find(&q, pos.v[0]);
	if (i < 0) {
		error("no run '%s' in %s", pos.v[0], Q_RUNS);
		goto out;
	}
	if (!(r = queue_obj(&q, (size_t)i, &err))) {
		error("%s", err.s);
		goto out;
	}
	json_object_set_new(out, "run", json_deep_copy(r));
	r = json_object_get(out, "run");
	queue_release(&q);
	rc = 0;
	json_t *rem = json_object();
	json_object_set_new(out, "remote", rem);
	json_object_set_new(rem, "asked", json_false());
	const char *wid = jstr0(r, "worker_id");
	if (!*wid) {
		jset_str(rem, "note", "the run has no worker");
	} else if (registry_load(&reg, root, &err) < 0) {
		jset_str(rem, "note", "workers.yaml cannot be read");
		error("%s", err.s);
		rc = 1;
	} else {
		struct worker *w = registry_find(&reg, wid);
		struct buf why = BUF_INIT;
		if (w)
			json_object_set_new(out, "worker", inspect_worker(w, root));
		if (!w) {
			jset_str(rem, "note", "the worker is not in workers.yaml");
		} else if (!w->enabled) {
			jset_str(rem, "note", "the worker is disabled");
		} else if (worker_check(w, &why) < 0 || !run_ids_ok(r)) {
			jset_str(rem, "note", why.len ? why.s : "the run's id or project id is not a plain name");
		} else {
			char *lp = run_log_path(w, root, jstr0(r, "project_id"), jstr0(r, "id"));
			lp[strlen(lp) - strlen("/stdout.log")] = 0;
			jset_str(rem, "dir", lp);
			free(lp);
			json_object_set_new(rem, "asked", json_true());
			if (inspect_run(w, root, r, lines, rem) < 0)
				rc = 1;
		}
		buf_release(&why);
	}
	if (ctx->json) {
		json_print(out);
	} else {
		print_entry(r, time_now());
		print_remote(out);
	}
out:
	json_decref(out);
	queue_release(&q);
	registry_release(&reg);
	strv_release(&pos);
	buf_release(&err);
	free(path);
	return rc;
}

const struct ros_cmd cmd_show = {
	"show", cmd_show_fn, CMD_JSON, "one run: its entry, its worker, its record on the worker",
	"RUN [-n N] [--json]",
	"The entry's fields (status, attempt and earlier attempts, times, command,\n"
	"env, params, metrics, claim, last_error, stale_reason and any other field),\n"
	"then its worker (kind, user@host:port or local) and what the worker holds\n"
	"for the run, asked in one connection that changes nothing: the state the\n"
	"check-runs probe sees, the run directory's files, the run.json ros wrote\n"
	"when it dispatched the run, and the log's last N lines.  What a worker or a\n"
	"log sent is shown escaped for the terminal (as `ros logs` does).\n"
	"A disabled or removed worker is not asked.  --json: {run, worker, remote}.\n"
	"\n"
	"Exit status: 1 when there is no such run, workers.yaml cannot be read or\n"
	"the worker did not answer (the entry is still printed, with a note); 0\n"
	"otherwise, also when there is no worker to ask.\n"
	"\n"
	"Examples:\n"
	"  ros show r1a2b3c4\n"
	"  ros show r1a2b3c4 -n 50\n"
	"  ros show r1a2b3c4 --json | jq .remote.state",
};
