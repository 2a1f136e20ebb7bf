/*
 * launch.c - launches of claimed runs and their outcome (see launch.h).
 */
#include "engine/launch.h"
#include "exec/slurm.h"
#include "store/claim.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>

static int
hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The run's data entries: a link at each dest (relative to code/, else to
 * the run directory; checked plain by code/code.c, and again here) to the
 * worker's one copy of its tree. */
static void
data_links(struct buf *b, const json_t *r)
{
	size_t k;
	json_t *d;
	json_array_foreach(json_object_get(json_object_get(r, "code"), "data"), k, d) {
		const char *dest = jstr(d, "dest"), *id = jstr(d, "snapshot");
		if (!hex64(id) || !dest || !path_plain(dest) ||
		    strspn(dest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(dest))
			continue;
		const char *sl = strrchr(dest, '/');
		if (sl)
			buf_addf(b, "mkdir -p '%.*s'\n", (int)(sl - dest), dest);
		buf_addf(b, "rm -rf '%s' && ln -s \"$ROS_WORKSPACE/.ros/snap/trees/%s\" '%s' || exit 111\n", dest, id, dest);
	}
}

/* run.sh: ros's variables, the secrets setup-worker synced, the working
 * directory (the run's own copy of its snapshot's tree, else the
 * workspace), the entry's env and its command.  The env is a shell line,
 * as the Python ros.py ran it (`source venv/bin/activate`, `export A=1`),
 * with its assignments exported (`SEED=1 DATASET=x`).  The wrapper runs it
 * in the run directory. */
static char *
run_script(const json_t *r)
{
	struct buf b = BUF_INIT;
	const char *snap = jstr(json_object_get(r, "code"), "snapshot");
	buf_addf(&b, "# ros run %s of project %s, attempt %lld\n", jstr0(r, "id"), jstr0(r, "project_id"),
		 run_attempt(r));
	buf_addf(&b, "export ROS_RUN_ID=%s ROS_PROJECT_ID=%s ROS_ATTEMPT=%lld\n", jstr0(r, "id"),
		 jstr0(r, "project_id"), run_attempt(r));
	buf_adds(&b, "ROS_RUN_DIR=${ROS_RUN_DIR:-$PWD}\n"
		     "export ROS_RUN_DIR ROS_OUT_DIR=\"$ROS_RUN_DIR/out\" ROS_CKPT_DIR=\"$ROS_RUN_DIR/ckpt\"\n"
		     "mkdir -p \"$ROS_OUT_DIR\" \"$ROS_CKPT_DIR\"\n"
		     "# a checkpoint there (an earlier attempt's, here or brought back): resume from it\n"
		     "[ -n \"$(ls -A \"$ROS_CKPT_DIR\")\" ] && export ROS_RESUME=1\n"
		     "# where it runs, for the evidence: the host, its GPUs, driver and CUDA\n"
		     "{ uname -n; if command -v nvidia-smi >/dev/null 2>&1; then\n"
		     "\tnvidia-smi --query-gpu=index,name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'\n"
		     "\tnvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\\([0-9.]*\\).*/cuda: \\1/p' | head -n 1\n"
		     "fi; } > host.txt 2>/dev/null\n");
	const char *g = jstr(r, "gpu_ids");
	if (g && *g && strspn(g, "0123456789,") == strlen(g))
		buf_addf(&b, "export CUDA_VISIBLE_DEVICES=%s\n", g);
	buf_adds(&b, "if [ -f \"$HOME/.env.local\" ]; then set -a; . \"$HOME/.env.local\"; set +a; fi\n");
	int has_snap = hex64(snap);
	const char *setup = jstr(json_object_get(r, "code"), "setup");
	if (hex64(setup)) {
		/* the project's set-up, once per worker and key (ros_put_setup) */
		buf_addf(&b, "export ROS_SETUP=%s ROS_SETUP_DIR=\"$ROS_WORKSPACE/.ros/setup/%s\"\n"
			     "sh \"$ROS_WORKSPACE/.ros/setup/gate.sh\" %s %s || exit 112\n", setup, setup, setup,
			     has_snap ? snap : "-");
	}
	if (has_snap) {
		/* the run's own copy: what it writes, truncates or deletes is its own */
		buf_addf(&b, "export ROS_SNAPSHOT=%s\n"
			     "if [ ! -d code ]; then\n"
			     "\trm -rf code.tmp\n"
			     "\tif ! cp -RPp \"$ROS_WORKSPACE/.ros/snap/trees/$ROS_SNAPSHOT/.\" code.tmp || ! mv code.tmp code; then\n"
			     "\t\techo \"ros: cannot copy the tree of snapshot $ROS_SNAPSHOT into $ROS_RUN_DIR/code\" >&2\n"
			     "\t\texit 111\n"
			     "\tfi\n"
			     "fi\n"
			     "cd code || exit 111\n", snap);
	}
	data_links(&b, r);	/* here: in code/, else in the run directory */
	if (!has_snap)
		buf_adds(&b, !strcmp(jstr0(r, "cwd"), "~") ? "cd \"$HOME\" || exit 111\n"
							    : "cd \"$ROS_WORKSPACE\" || exit 111\n");
	const char *env = jstr0(r, "env");
	if (env[strspn(env, " \t")])
		buf_addf(&b, "set -a\n%s\nset +a\n", env);
	buf_addf(&b, "%s\n", jstr0(r, "command"));
	return buf_detach(&b);
}

int
launch_record(struct queue *q, void *arg, struct buf *err)
{
	struct outcome *o = arg;
	int changed = 0;
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_STATUS, "dispatching"))
			continue;
		char *id = queue_key(q, i, JK_ID);
		json_t *res = json_object_get(o->by_run, id);
		free(id);
		if (!res)
			continue;
		json_t *r = queue_obj(q, i, err);
		if (!r)
			return -1;
		const char *tok = claim_token(r);
		if (!tok || strcmp(tok, jstr0(res, "token")))
			continue;	/* no longer our claim (revoked, cancelled): leave it */
		const char *st = jstr0(res, "state");
		long long pid = 0, code = 0;
		jint(res, "pid", &pid);
		if (!strcmp(st, "submitted") || !strcmp(st, "started") || !strcmp(st, "running") ||
		    !strcmp(st, "finished")) {
			json_t *c = json_object_get(res, "code"), *from = json_object_get(res, "resume");
			if (c)
				json_object_set(r, "code", c);
			else
				json_object_del(r, "code");
			if (from)
				json_object_set(r, "resumed_from", from);
			else
				json_object_del(r, "resumed_from");
		}
		if (!strcmp(st, "submitted")) {
			/* a Slurm job: started_at comes from the wrapper, via check-runs */
			run_set_status(r, "running", o->now);
			jset_str(r, "pid", "");
			jset_str(r, "slurm_job_id", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
		} else if (!strcmp(st, "started") || !strcmp(st, "running")) {
			run_set_status(r, "running", o->now);
			jset_str(r, "started_at", o->now);
			jset_str(r, "pid", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
		} else if (!strcmp(st, "finished")) {
			jint(res, "code", &code);
			run_set_status(r, code == 0 ? "done" : "failed", o->now);
			jset_str(r, "pid", jstr0(res, "pid"));
			jset_str(r, "log_path", jstr0(res, "log_path"));
			jset_str(r, "exit_code", jstr0(res, "code"));
			jset_str(r, "ended_at", o->now);
		} else if (!strcmp(st, "vanished")) {
			jset_str(r, "log_path", jstr0(res, "log_path"));
			run_mark_stale(r, "process vanished", o->now);
		} else if (!strcmp(st, "unknown")) {
			/* it may have started: check-runs asks the worker */
			claim_release(r, parse_iso_time(o->now));
			jset_str(r, "last_error", jstr0(res, "reason"));
		} else {
			/* refused by the worker, or never reached it: nothing started */
			run_unclaim(r, o->now);
			jset_str(r, "last_error", jstr0(res, "reason"));
		}
		queue_touch(q, i);
		changed = 1;
	}
	return changed;
}

/* The outcome of each run of batch b into o->by_run: its launch record,
 * or "unreachable" when the script surely never reached the worker (the
 * run goes back to pending), or "unknown" (it may have started). */
void
launch_gather(struct batch *b, const char *root, struct outcome *o)
{
	size_t pos = 0;
	struct rec rec;
	while (batch_rec_next(b, &pos, &rec)) {
		/* what a worker reported before it went away is still true */
		if (strcmp(rec.op, "launch")) {
			rec_release(&rec);
			continue;
		}
		json_t *res = json_object();
		const char *st = rec.nf > 0 ? rec.f[0] : "error";
		jset_str(res, "state", st);
		jset_str(res, "pid", rec.nf > 1 ? rec.f[1] : "0");
		jset_str(res, "code", rec.nf > 2 ? rec.f[2] : "");
		if (!strcmp(st, "expired")) {
			long long wnow = 0;
			parse_long(rec.nf > 2 ? rec.f[2] : "", &wnow);
			json_object_set_new(res, "worker_now", json_integer(wnow));
		} else if (!strcmp(st, "revoked")) {
			jset_str(res, "reason", "its claim was revoked meanwhile (check-runs found the lease over)");
		} else {
			struct buf why = BUF_INIT;
			for (int f = 2; f < rec.nf; f++)
				buf_addf(&why, "%s%s", f > 2 ? " " : "", rec.f[f]);
			jset_str(res, "reason", why.len ? why.s : "launch failed");
			buf_release(&why);
		}
		json_object_set_new(o->by_run, rec.run, res);
		rec_release(&rec);
	}
	int never = remote_never_connected(&b->p);
	const char *why = b->failure ? b->failure : "no answer from the worker";
	for (size_t k = 0; k < json_array_size(b->runs); k++) {
		json_t *r = json_array_get(b->runs, k);
		json_t *res = json_object_get(o->by_run, jstr0(r, "id"));
		if (!res) {
			res = json_object();
			jset_str(res, "state", never ? "unreachable" : "unknown");
			jset_str(res, "reason", never ? why : "no answer about the launch");
			json_object_set_new(o->by_run, jstr0(r, "id"), res);
		}
		if (json_object_get(res, "worker_now")) {
			long long wnow = json_integer_value(json_object_get(res, "worker_now"));
			time_t until = claim_until(r), now = time_now();
			char *m = now < until
				  ? xasprintf("the worker's clock is %lld s ahead of this machine's: it took the claim's "
					      "lease as over; set its clock right (NTP)", wnow - (long long)now)
				  : xasprintf("the claim's lease (%d s) ran out before the launch reached the worker",
					      claim_lease_seconds());
			jset_str(res, "reason", m);
			free(m);
		}
		jset_str(res, "worker", b->w->id);
		jset_str(res, "token", claim_token(r) ? claim_token(r) : "");
		char *lp = run_log_path(b->w, root, jstr0(r, "project_id"), jstr0(r, "id"));
		jset_str(res, "log_path", lp);
		free(lp);
	}
}

void
launch_add(struct batch *b, json_t *r, const json_t *claimed)
{
	const struct worker *w = b->w;
	if (w->type == WORKER_SLURM && json_array_size(b->runs) == 0)
		slurm_script_submit_begin(&b->s, w, claimed);
	char att[24], until[24];
	snprintf(att, sizeof att, "%lld", run_attempt(r));
	snprintf(until, sizeof until, "%lld", (long long)claim_until(r));
	/* the trees the launch needs on the worker: its code's, its data's */
	const json_t *code = json_object_get(r, "code");
	struct buf trees = BUF_INIT;
	if (jstr(code, "snapshot"))
		buf_adds(&trees, jstr(code, "snapshot"));
	size_t k;
	json_t *d;
	json_array_foreach(json_object_get(code, "data"), k, d)
		if (hex64(jstr(d, "snapshot")))
			buf_addf(&trees, "%s%s", trees.len ? "," : "", jstr(d, "snapshot"));
	const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, claim_token(r), until,
			       trees.len ? trees.s : "-", NULL };
	const char *put[] = { jstr0(r, "project_id"), jstr0(r, "id"), "run.json", NULL };
	struct buf meta = BUF_INIT;
	json_write(&meta, r, 0);	/* the entry as dispatched, for reproducibility */
	buf_addc(&meta, '\n');
	script_call(&b->s, "ros_put", put, meta.s, meta.len);
	buf_release(&meta);
	char *sh = run_script(r);
	script_call(&b->s, w->type == WORKER_SLURM ? "ros_sbatch" : "ros_launch", args, sh, strlen(sh));
	free(sh);
	buf_release(&trees);
	json_array_append(b->runs, r);
}
