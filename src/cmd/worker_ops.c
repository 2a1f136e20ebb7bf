/*
 * worker_ops.c - worker-status and setup-worker: health and preparation of
 * workers, one process per worker, all workers in parallel.
 */
#include "ros.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "store/queue.h"
#include "store/registry.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The run queue's view of the workers, from one read: how many runs are
 * active on each (*busy: id -> count) and the Slurm job ids among them
 * (*jobs: id -> [job ids]). */
static void
active_from_queue(const char *root, json_t **busy, json_t **jobs)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = path_join(root, Q_RUNS);
	*busy = json_object();
	*jobs = json_object();
	if (queue_load(&q, path, &err) == 0)
		for (size_t i = 0; i < q.n; i++) {
			if (!queue_key_is(&q, i, JK_STATUS, "running") && !queue_key_is(&q, i, JK_STATUS, "dispatching"))
				continue;
			char *w = queue_key(&q, i, JK_WORKER);
			json_t *c = json_object_get(*busy, w);
			json_object_set_new(*busy, w, json_integer(c ? json_integer_value(c) + 1 : 1));
			json_t *r = queue_obj(&q, i, &err);
			if (r && jstr(r, "slurm_job_id")) {
				json_t *a = json_object_get(*jobs, w);
				if (!a) {
					a = json_array();
					json_object_set_new(*jobs, w, a);
				}
				json_array_append_new(a, json_string(jstr(r, "slurm_job_id")));
			}
			free(w);
		}
	queue_release(&q);
	buf_release(&err);
	free(path);
}

/* The Slurm records of a worker-status batch into row; the GPU column. */
static void
slurm_status_row(json_t *row, const struct rec *rec, const char *data, char *col, size_t colsz, int *unhealthy)
{
	json_t *sl = json_object_get(row, "slurm");
	if (!sl) {
		sl = json_object();
		json_object_set_new(row, "slurm", sl);
	}
	size_t l = strlen(col);
	if (!strcmp(rec->op, "slurm")) {
		long long src = rec->nf > 0 ? atoll(rec->f[0]) : -1;
		jset_str(sl, "sinfo", data);
		jset_int(sl, "sinfo_exit", src);
		if (src != 0)
			*unhealthy = 1;
		char *one = xstrdup(data);
		for (char *p = one; *p; p++)
			if (*p == '\n')
				*p = ';';
		snprintf(col + l, colsz - l, "%s%s%s", l ? "; " : "", src ? "sinfo failed: " : "", one);
		free(one);
	} else if (!strcmp(rec->op, "sjobs") && rec->nf >= 2) {
		jset_int(sl, "pending", atoll(rec->f[0]));
		jset_int(sl, "running", atoll(rec->f[1]));
		snprintf(col + l, colsz - l, "%sjobs: %s pending, %s running", l ? "; " : "", rec->f[0], rec->f[1]);
	}
}

static int
cmd_worker_status_fn(int argc, char **argv, struct ctx *ctx)
{
	struct registry reg = REGISTRY_INIT;
	struct batches bs = BATCHES_INIT;
	struct buf err = BUF_INIT;
	long long timeout = 20;
	int rc = 0;
	const struct opt opts[] = {
		{ "timeout", OPT_INT, &timeout, "SECONDS", "give up on a worker after this long (default 20)", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (timeout < 1)
		usage_error(ctx, "--timeout must be positive");
	const char *root = ctx_root(ctx);
	if (registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		buf_release(&err);
		return 1;
	}
	json_t *busyq, *sjobs, *rows = json_array();
	active_from_queue(root, &busyq, &sjobs);
	for (size_t i = 0; i < reg.n; i++) {
		struct worker *w = &reg.w[i];
		buf_reset(&err);
		if (!w->enabled || worker_check(w, &err) < 0)
			continue;
		struct batch *b = batches_get(&bs, w, root);
		const char *hb = w->heartbeat ? w->heartbeat : "echo ok";
		script_call(&b->s, "ros_run_cmd", (const char *[]){ "heartbeat", NULL }, hb, strlen(hb));
		if (worker_is_slurm(w)) {
			slurm_script_status(&b->s, w, json_object_get(sjobs, w->id));
		} else {
			script_call(&b->s, "ros_gpu", NULL, NULL, 0);
			script_call(&b->s, "ros_busy_runs", NULL, NULL, 0);
		}
		if (w->busy)
			script_call(&b->s, "ros_run_cmd", (const char *[]){ "busycmd", NULL }, w->busy, strlen(w->busy));
	}
	batches_run(&bs, root, (int)timeout * 1000);

	struct table t;
	table_init(&t, 7, "WORKER", "KIND", "POOL", "STATE", "RTT", "SLOTS", "GPU");
	for (size_t i = 0; i < reg.n; i++) {
		struct worker *w = &reg.w[i];
		json_t *row = json_object();
		jset_str(row, "worker_id", w->id ? w->id : "");
		jset_str(row, "kind", w->kind);
		jset_str(row, "worker_pool", w->pool ? w->pool : "");
		json_object_set_new(row, "enabled", json_boolean(w->enabled));
		json_t *c = json_object_get(busyq, w->id ? w->id : "");
		long long used = c ? json_integer_value(c) : 0;
		jset_int(row, "slots", w->slots);
		jset_int(row, "busy_slots", used);
		struct batch *b = NULL;
		for (size_t k = 0; k < bs.n; k++)
			if (bs.b[k].w == w)
				b = &bs.b[k];
		char rtt[32] = "-", slots[32], gpu[256] = "";
		const char *state;
		buf_reset(&err);
		if (!w->enabled) {
			state = "disabled";
		} else if (!b) {
			state = "invalid";
			worker_check(w, &err);
			jset_str(row, "error", err.s);
		} else if (b->unreachable) {
			state = "DEAD";
			jset_str(row, "error", b->reason);
			rc = 1;
		} else {
			state = "alive";
			snprintf(rtt, sizeof rtt, "%.0f ms", (double)b->p.elapsed_ms);
			jset_int(row, "rtt_ms", b->p.elapsed_ms);
			size_t pos = 0;
			struct rec rec;
			json_t *gpus = json_array();
			while (batch_rec_next(b, &pos, &rec)) {
				char *data = xstrndup(rec.data ? rec.data : "", rec.len);
				if (!strcmp(rec.op, "heartbeat")) {
					jset_str(row, "heartbeat", data);
					if (rec.nf > 0 && strcmp(rec.f[0], "0")) {
						state = "unhealthy";
						rc = 1;
					}
				} else if (!strcmp(rec.op, "slurm") || !strcmp(rec.op, "sjobs")) {
					int bad = 0;
					slurm_status_row(row, &rec, data, gpu, sizeof gpu, &bad);
					if (bad && !strcmp(state, "alive")) {
						state = "unhealthy";
						rc = 1;
					}
				} else if (!strcmp(rec.op, "busycmd")) {
					jset_str(row, "busy_command_output", data);
				} else if (!strcmp(rec.op, "gpu")) {
					for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
						json_t *g = json_object();
						char *f[5] = { 0 };
						int nf = 0;
						for (char *p = line; nf < 5; nf++) {
							f[nf] = p;
							char *comma = strchr(p, ',');
							if (!comma) {
								nf++;
								break;
							}
							*comma = 0;
							p = comma + 1;
							while (*p == ' ')
								p++;
						}
						if (nf >= 5) {
							jset_str(g, "name", f[1]);
							jset_str(g, "util_pct", f[2]);
							jset_str(g, "mem_used_mib", f[3]);
							jset_str(g, "mem_total_mib", f[4]);
							size_t gl = strlen(gpu);
							snprintf(gpu + gl, sizeof gpu - gl, "%s%s %s%% %s/%s MiB", gl ? "; " : "", f[1], f[2], f[3], f[4]);
						}
						json_array_append_new(gpus, g);
					}
				} else if (!strcmp(rec.op, "busy") && rec.nf > 0) {
					(void)0;
				}
				free(data);
				rec_release(&rec);
			}
			/* the live count on the worker (busy records carry no data) */
			pos = 0;
			while (batch_rec_next(b, &pos, &rec)) {
				if (!strcmp(rec.op, "busy") && rec.nf > 0)
					jset_int(row, "live_runs", atoll(rec.f[0]));
				rec_release(&rec);
			}
			json_object_set_new(row, "gpus", gpus);
		}
		if (worker_is_slurm(w) && w->max_jobs > 0)
			snprintf(slots, sizeof slots, "%lld/%d", used, w->max_jobs);
		else if (worker_is_slurm(w))
			snprintf(slots, sizeof slots, "%lld/-", used);
		else
			snprintf(slots, sizeof slots, "%lld/%d", used, w->slots);
		jset_str(row, "state", state);
		table_row(&t, w->id ? w->id : "?", w->kind, w->pool ? w->pool : "", state, rtt, slots,
			  *gpu ? gpu : w->enabled && b && !b->unreachable ? "none" : "");
		json_array_append_new(rows, row);
	}
	if (ctx->json) {
		json_print(rows);
	} else {
		table_print(&t, stdout, 1);
		for (size_t i = 0; i < json_array_size(rows); i++) {
			json_t *row = json_array_get(rows, i);
			if (jstr(row, "error"))
				printf("  %s: %s\n", jstr0(row, "worker_id"), jstr0(row, "error"));
			const char *bo = jstr(row, "busy_command_output");
			if (bo && *bo) {
				printf("  %s busy: ", jstr0(row, "worker_id"));
				for (const char *p = bo; *p; p++)
					putchar(*p == '\n' ? ' ' : *p);
				putchar('\n');
			}
		}
	}
	table_release(&t);
	json_decref(rows);
	json_decref(busyq);
	json_decref(sjobs);
	batches_release(&bs);
	registry_release(&reg);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_worker_status = {
	"worker-status", cmd_worker_status_fn, CMD_JSON,
	"heartbeat, round-trip time, GPUs and busy slots of every enabled worker, in parallel",
	"[--timeout SECONDS] [--json]",
	"Exits 1 when an enabled worker is dead (does not answer) or its heartbeat fails.\n"
	"For a Slurm worker the GPU column shows its partition (sinfo: availability,\n"
	"nodes, state) and how many of its runs' jobs are pending and running; SLOTS\n"
	"is active runs / max_jobs.",
};

/* ---- setup-worker ---- */

static void
stream_lines(struct proc *p, int stream, const char *data, size_t len)
{
	/* setup output streams as it comes; ROS records are kept for parsing */
	struct buf *pending = p->arg;
	buf_add(pending, data, len);
	char *nl;
	while ((nl = memchr(pending->s, '\n', pending->len))) {
		size_t n = (size_t)(nl - pending->s) + 1;
		if (!(n >= 4 && !memcmp(pending->s, "ROS ", 4)))
			fwrite(pending->s, 1, n, stream == 1 ? stdout : stderr);
		fflush(stdout);
		memmove(pending->s, pending->s + n, pending->len - n);
		pending->len -= n;
		pending->s[pending->len] = 0;
	}
}

static int
cmd_setup_worker_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *id = NULL, *env_file = NULL;
	int no_install = 0, no_env = 0, rc = 1;
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT, pending = BUF_INIT;
	const struct opt opts[] = {
		{ "worker-id", OPT_STR, &id, "ID", "the worker to prepare (required)", 0, NULL },
		{ "env-file", OPT_STR, &env_file, "PATH", "secrets to sync (default ~/.env.local)", 0, NULL },
		{ "no-env", OPT_BOOL, &no_env, NULL, "do not sync the env file", 0, NULL },
		{ "no-install", OPT_BOOL, &no_install, NULL, "never install packages", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (!id)
		usage_error(ctx, "--worker-id is required");
	const char *root = ctx_root(ctx);
	if (registry_load(&reg, root, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	struct worker *w = registry_find(&reg, id);
	if (!w) {
		error("no worker '%s' in %s", id, reg.path);
		goto out;
	}
	if (worker_check(w, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	int allow = !no_install;
	const struct ynode *m = registry_node(&reg, id);
	int b;
	if (ynode_bool(ymap_get(m, "allow_install"), &b) == 0 && !b)
		allow = 0;
	struct script s = SCRIPT_INIT;
	script_begin(&s, w, root);
	script_call(&s, "ros_setup", (const char *[]){ allow ? "1" : "0", NULL }, NULL, 0);
	char *envpath = NULL, *envdata = NULL;
	size_t envlen = 0;
	if (!no_env && w->type == WORKER_LOCAL) {
		printf("setup: local worker: its runs load this machine's ~/.env.local; nothing to sync\n");
	} else if (!no_env) {
		envpath = env_file ? xstrdup(env_file) : expand_home("~/.env.local");
		envdata = read_file(envpath, &envlen);
		if (envdata)
			script_call(&s, "ros_put_env", NULL, envdata, envlen);
		else if (env_file)
			warning("cannot read %s; no secrets synced", envpath);
		else
			printf("setup: no ~/.env.local here; nothing to sync\n");
	}
	struct proc p;
	remote_proc(&p, w, root, &s, 600000);
	p.on_output = stream_lines;
	p.arg = &pending;
	printf("setup-worker %s (%s%s%s)\n", w->id, w->kind, w->host ? " " : "", w->host ? w->host : "");
	fflush(stdout);
	proc_run(&p);
	if (pending.len && !(pending.len >= 4 && !memcmp(pending.s, "ROS ", 4)))
		fwrite(pending.s, 1, pending.len, stdout);
	if (remote_unreachable(&p)) {
		char *why = remote_reason(&p);
		error("worker %s unreachable: %s", w->id, why);
		free(why);
	} else if (envdata && !strstr(buf_cstr(&p.out), "ROS env - ok")) {
		error("setup of %s: the env file could not be written", w->id);
	} else if (strstr(buf_cstr(&p.out), "ROS setup - ok")) {
		printf("setup-worker %s: ready\n", w->id);
		rc = 0;
	} else {
		error("setup of %s failed (exit %d)%s%s", w->id, p.status, p.err.len ? ": " : "", buf_cstr(&p.err));
	}
	if (envdata) {
		memset(envdata, 0, envlen);	/* secrets do not linger */
		free(envdata);
	}
	free(envpath);
	if (s.b.s)
		memset(s.b.s, 0, s.b.len);
	proc_release(&p);
	script_release(&s);
out:
	registry_release(&reg);
	buf_release(&err);
	buf_release(&pending);
	return rc;
}

const struct ros_cmd cmd_setup_worker = {
	"setup-worker", cmd_setup_worker_fn, 0,
	"prepare a worker: workspace folders, git and python3, ~/.env.local (mode 0600)",
	"--worker-id ID [--env-file PATH] [--no-env] [--no-install]",
	"Creates <workspace>/runs/{logs,metrics,checkpoints}, installs git and python3\n"
	"when missing (with apt-get, as root or with sudo -n, unless the worker sets\n"
	"allow_install: false or --no-install), copies ~/.env.local to the worker's\n"
	"home with mode 0600 (through stdin, never on a command line) and reports\n"
	"the GPUs.  Safe to run again.",
};
