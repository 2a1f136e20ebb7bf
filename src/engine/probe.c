/*
 * probe.c - a run's probe and its record (see probe.h).
 */
#include "engine/probe.h"
#include "exec/slurm.h"
#include "util/jx.h"
#include "store/runs.h"

#include <stdlib.h>

void
probe_call(struct batch *b, const json_t *r, int lines, const char *revoke)
{
	char att[24], nl[16], pids[24];
	run_attempt_word(r, att);
	run_pid_word(r, pids);
	snprintf(nl, sizeof nl, "%d", lines);
	const char *args[] = { jstr0(r, "project_id"), jstr0(r, "id"), att, nl, pids, revoke, NULL };
	script_call(&b->s, "ros_probe", args, NULL, 0);
}

int
probe_read(const struct batch *b, const struct rec *rec, json_t *pr)
{
	static const char *const fields[] = { "state", "pid", "code", "started", "ended", NULL };
	if (rec->nf < 5)
		return -1;
	rec_fields(rec, pr, fields, NULL);
	char *t = utf8_clean(rec->data ? rec->data : "", rec->len);
	jset_str(pr, "tail", t);
	free(t);
	if (b->w->type == WORKER_SLURM)
		slurm_settle(pr, rec->nf >= 7 ? rec->f[5] : "-", rec->nf >= 7 ? rec->f[6] : "-");
	return 0;
}
