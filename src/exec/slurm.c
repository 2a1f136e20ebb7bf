/*
 * slurm.c - workers of `kind: slurm` (see slurm.h).
 */
#include "exec/slurm.h"
#include "embedded.h"
#include "store/runs.h"
#include "util/jx.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int
slurm_free_jobs(const struct worker *w, int active)
{
	if (w->max_jobs <= 0)
		return INT_MAX / 2;
	return w->max_jobs > active ? w->max_jobs - active : 0;
}

static int
has_ctl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

int
slurm_split_args(const char *s, struct strv *out, struct buf *err)
{
	struct buf w = BUF_INIT;
	int in_word = 0, rc = 0;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_word)
				strv_push(out, buf_cstr(&w));
			buf_reset(&w);
			in_word = 0;
			continue;
		}
		in_word = 1;
		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e) {
				buf_addf(err, "unterminated ' in extra_args");
				rc = -1;
				goto out;
			}
			buf_add(&w, p + 1, (size_t)(e - p - 1));
			p = e;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf_addc(&w, *p);
			}
			if (!*p) {
				buf_addf(err, "unterminated \" in extra_args");
				rc = -1;
				goto out;
			}
		} else if (*p == '\\') {
			if (!p[1]) {
				buf_addf(err, "extra_args ends with a backslash");
				rc = -1;
				goto out;
			}
			buf_addc(&w, *++p);
		} else {
			buf_addc(&w, *p);
		}
	}
	if (in_word)
		strv_push(out, buf_cstr(&w));
out:
	buf_release(&w);
	return rc;
}

int
slurm_sbatch_opts(const struct worker *w, struct strv *out, struct buf *err)
{
	const struct {
		const char *opt, *key, *val;
	} f[] = {
		{ "--partition", "partition", w->slurm_partition },
		{ "--account", "account", w->slurm_account },
		{ "--time", "time", w->slurm_time },
		{ "--gres", "gres", w->slurm_gres },
		{ "--mem", "mem", w->slurm_mem },
		{ "--qos", "qos", w->slurm_qos },
	};
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].val || !*f[i].val)
			continue;
		if (has_ctl(f[i].val)) {
			buf_addf(err, "worker %s: slurm.%s has control characters", w->id, f[i].key);
			return -1;
		}
		strv_pushf(out, "%s=%s", f[i].opt, f[i].val);
	}
	if (w->slurm_cpus > 0)
		strv_pushf(out, "--cpus-per-task=%d", w->slurm_cpus);
	if (w->slurm_extra && *w->slurm_extra) {
		struct buf e = BUF_INIT;
		size_t first = out->n;
		if (slurm_split_args(w->slurm_extra, out, &e) < 0) {
			buf_addf(err, "worker %s: %s", w->id, e.s);
			buf_release(&e);
			return -1;
		}
		buf_release(&e);
		for (size_t i = first; i < out->n; i++)
			if (has_ctl(out->v[i])) {
				buf_addf(err, "worker %s: slurm.extra_args has control characters", w->id);
				return -1;
			}
	}
	return 0;
}

int
slurm_check(const struct worker *w, struct buf *err)
{
	struct strv o = STRV_INIT;
	int rc = slurm_sbatch_opts(w, &o, err);
	if (rc == 0 && w->slurm_conf && has_ctl(w->slurm_conf)) {
		buf_addf(err, "worker %s: slurm.conf has control characters", w->id);
		rc = -1;
	}
	strv_release(&o);
	return rc;
}

void
slurm_script_lib(struct script *s, const struct worker *w)
{
	size_t n;
	const char *lib = embedded_get("remote/slurm.sh", &n);
	buf_add(&s->b, lib, n);
	if (w->slurm_conf && *w->slurm_conf && !has_ctl(w->slurm_conf))
		script_call(s, "ros_slurm_conf", NULL, w->slurm_conf, strlen(w->slurm_conf));
}

void
slurm_script_opts(struct script *s, const struct worker *w)
{
	struct strv o = STRV_INIT;
	struct buf err = BUF_INIT, data = BUF_INIT;
	if (slurm_sbatch_opts(w, &o, &err) < 0)
		die("internal error: %s", err.s);	/* callers ran slurm_check() */
	for (size_t i = 0; i < o.n; i++)
		buf_addf(&data, "%s\n", o.v[i]);
	/* an empty here-document is still one (empty) line: no options */
	script_call(s, "ros_slurm_opts", NULL, data.len ? data.s : "", data.len);
	strv_release(&o);
	buf_release(&err);
	buf_release(&data);
}

int
slurm_exit_code(const char *s)
{
	char *end;
	long code = strtol(s, &end, 10);
	if (end == s || code < 0 || code > 255)
		return -1;
	long sig = 0;
	if (*end == ':') {
		const char *q = end + 1;
		sig = strtol(q, &end, 10);
		if (end == q || sig < 0 || sig > 127)
			return -1;
	}
	if (*end)
		return -1;
	return sig ? 128 + (int)sig : (int)code;
}

static int
is_one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

void
slurm_settle(json_t *pr, const char *slurm_exit, const char *reason)
{
	static const char *const active[] = {
		"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
		"REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
		"POWER_UP_NODE", "SPECIAL_EXIT", NULL,
	};
	static const char *const lost[] = { "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", NULL };
	static const char *const timed_out[] = { "TIMEOUT", "DEADLINE", NULL };
	char *ss = xstrdup(jstr0(pr, "state"));
	char *job = xstrdup(jstr0(pr, "pid"));
	const char *code = jstr0(pr, "code");
	int has_code = *code && strcmp(code, "-");

	jset_str(pr, "slurm_state", ss);
	if (strcmp(job, "-") && *job)
		jset_str(pr, "slurm_job_id", job);
	if (reason && *reason && strcmp(reason, "-"))
		jset_str(pr, "slurm_reason", reason);
	jset_str(pr, "pid", "0");

	if (!strcmp(ss, "NOTSUBMITTED")) {
		jset_str(pr, "state", "notstarted");
	} else if (!strcmp(ss, "LAUNCHING")) {
		jset_str(pr, "state", "launching");
	} else if (!strcmp(ss, "NOANSWER")) {
		jset_str(pr, "reach", "unreachable");
		jset_str(pr, "state", "running");
	} else if (is_one_of(ss, active)) {
		/* an exit-code file beside a live job is from an execution
		 * Slurm has requeued, or the job is just ending: not yet */
		jset_str(pr, "state", "running");
	} else if (!strcmp(ss, "CANCELLED")) {
		jset_str(pr, "state", "cancelled");
	} else if (is_one_of(ss, lost)) {
		char *why = xasprintf("slurm job %s: %s", job, ss);
		jset_str(pr, "state", "vanished");
		jset_str(pr, "why", why);
		free(why);
	} else if (!strcmp(ss, "UNKNOWN") && !has_code) {
		char *why = xasprintf("slurm job %s unknown to Slurm and no exit code", job);
		jset_str(pr, "state", "vanished");
		jset_str(pr, "why", why);
		free(why);
	} else {
		/* ended: COMPLETED, FAILED, OUT_OF_MEMORY, TIMEOUT, ... or
		 * forgotten by Slurm with an exit-code file */
		jset_str(pr, "state", "exited");
		if (!has_code) {
			int c = slurm_exit ? slurm_exit_code(slurm_exit) : -1;
			if (c < 0)
				c = !strcmp(ss, "COMPLETED") ? 0 : -1;
			char num[16];
			snprintf(num, sizeof num, "%d", c);
			jset_str(pr, "code", num);
		}
		if (is_one_of(ss, timed_out) || !strcmp(ss, "OUT_OF_MEMORY") ||
		    (!strcmp(ss, "FAILED") && !has_code)) {
			json_object_set_new(pr, "must_fail", json_true());
			char *why = xasprintf("slurm job %s: %s", job, ss);
			jset_str(pr, "why", why);
			free(why);
		}
	}
	free(ss);
	free(job);
}

int
slurm_note(json_t *r, const json_t *pr)
{
	int changed = 0;
	const char *keys[] = { "slurm_job_id", "slurm_state" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = jstr(pr, keys[i]);
		if (v && *v && strcmp(jstr0(r, keys[i]), v)) {
			jset_str(r, keys[i], v);
			changed = 1;
		}
	}
	return changed;
}

/* A job id as the entry records it, if it is one (digits only). */
static const char *
job_of(const json_t *r)
{
	const char *j = jstr0(r, "slurm_job_id");
	return *j && strspn(j, "0123456789") == strlen(j) && strlen(j) < 20 ? j : "-";
}

void
slurm_script_probe(struct script *s, const json_t *runs, int lines, const json_t *revoke)
{
	struct buf d = BUF_INIT;
	char n[16];
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *r = json_array_get(runs, i);
		const char *tok = json_string_value(json_object_get(revoke, jstr0(r, "id")));
		buf_addf(&d, "%s %s %lld %s %s\n", jstr0(r, "project_id"), jstr0(r, "id"), run_attempt(r), job_of(r),
			 tok && *tok ? tok : "-");
	}
	snprintf(n, sizeof n, "%d", lines);
	script_call(s, "ros_slurm_probe", (const char *[]){ n, NULL }, d.len ? d.s : "", d.len);
	buf_release(&d);
}

void
slurm_script_cancel(struct script *s, const json_t *r, const char *token)
{
	char att[24];
	snprintf(att, sizeof att, "%lld", run_attempt(r));
	const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, job_of(r), token, NULL };
	script_call(s, "ros_slurm_cancel", args, NULL, 0);
}

void
slurm_script_logs(struct script *s, const json_t *r, const char *lines, int follow)
{
	const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), lines, follow ? "1" : "0", job_of(r), NULL };
	script_call(s, "ros_slurm_logs", args, NULL, 0);
}

void
slurm_script_status(struct script *s, const struct worker *w, const json_t *job_ids)
{
	struct buf d = BUF_INIT;
	const char *part = w->slurm_partition && !has_ctl(w->slurm_partition) ? w->slurm_partition : "";
	buf_addf(&d, "%s\n", part);
	for (size_t i = 0; i < json_array_size(job_ids); i++) {
		const char *j = json_string_value(json_array_get(job_ids, i));
		if (j && *j && strspn(j, "0123456789") == strlen(j))
			buf_addf(&d, "%s\n", j);
	}
	script_call(s, "ros_slurm_status", NULL, d.s, d.len);
	buf_release(&d);
}

void
slurm_script_submit_begin(struct script *s, const struct worker *w, const json_t *claimed)
{
	struct buf d = BUF_INIT;
	for (size_t i = 0; i < json_array_size(claimed); i++) {
		const json_t *r = json_array_get(claimed, i);
		if (!strcmp(jstr0(r, "worker_id"), w->id))
			buf_addf(&d, "%s %s\n", jstr0(r, "project_id"), jstr0(r, "id"));
	}
	script_call(s, "ros_slurm_mkdirs", NULL, d.len ? d.s : "", d.len);
	buf_release(&d);
	slurm_script_opts(s, w);
}
