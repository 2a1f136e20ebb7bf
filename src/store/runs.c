/*
 * runs.c - run state transitions (see runs.h).
 */
#include "store/runs.h"
#include "util/jx.h"

#include <stdio.h>
#include <string.h>

int
run_is_active(const char *s)
{
	return s && (!strcmp(s, "dispatching") || !strcmp(s, "running"));
}

int
run_is_finished(const char *s)
{
	return s && (!strcmp(s, "done") || !strcmp(s, "failed") || !strcmp(s, "cancelled") ||
		     !strcmp(s, "stale"));
}

long long
run_attempt(const json_t *run)
{
	return jint0(run, "attempt");
}

int
run_from_old_tool(const json_t *run)
{
	long long pid = 0;
	return !json_object_get(run, "attempt") && jint(run, "pid", &pid) == 0 && pid > 0;
}

void
run_attempt_word(const json_t *run, char out[24])
{
	if (run_from_old_tool(run))
		snprintf(out, 24, "py");
	else
		snprintf(out, 24, "%lld", run_attempt(run));
}

void
run_pid_word(const json_t *run, char out[24])
{
	long long pid = jint0(run, "pid");
	snprintf(out, 24, "%lld", pid > 0 ? pid : 0);
}

long long
run_max_retries(const json_t *run)
{
	return jint0(run, "max_retries");
}

void
run_set_status(json_t *run, const char *status, const char *now)
{
	jset_str(run, "status", status);
	jset_str(run, "updated_at", now);
}

void
run_unclaim(json_t *run, const char *now)
{
	static const char *const drop[] = { "worker_id", "slot", "gpu_ids", "dispatched_at", "claim" };
	run_set_status(run, "pending", now);
	for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
		json_object_del(run, drop[i]);
}

void
run_archive_attempt(json_t *run, const char *final_status)
{
	static const char *const per_attempt[] = {
		"worker_id", "pid", "log_path", "started_at", "ended_at", "exit_code", "gpu_ids",
		"dispatched_at", "slurm_job_id", "slurm_state", "unreachable_since", "stale_reason",
		"metrics", "metrics_text", "metrics_warnings", "metrics_error", "cost_usd", "claim",
	};
	json_t *rec = json_object();
	jset_int(rec, "attempt", run_attempt(run));
	jset_str(rec, "status", final_status);
	for (size_t i = 0; i < sizeof per_attempt / sizeof *per_attempt; i++) {
		json_t *v = json_object_get(run, per_attempt[i]);
		if (v && !json_is_null(v))
			json_object_set(rec, per_attempt[i], v);
		json_object_del(run, per_attempt[i]);
	}
	json_t *hist = json_object_get(run, "attempts");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(run, "attempts", hist);
	}
	json_array_append_new(hist, rec);
}

int
run_mark_stale(json_t *run, const char *why, const char *now)
{
	run_set_status(run, "stale", now);
	jset_str(run, "stale_reason", why);
	if (!json_object_get(run, "ended_at") || json_is_null(json_object_get(run, "ended_at")))
		jset_str(run, "ended_at", now);
	if (run_attempt(run) < run_max_retries(run)) {
		long long next = run_attempt(run) + 1;
		run_archive_attempt(run, "stale");
		jset_int(run, "attempt", next);
		run_set_status(run, "pending", now);
		return 1;
	}
	return 0;
}
