/*
 * inspect.c - one run as its worker holds it (see inspect.h).
 */
#include "engine/inspect.h"
#include "engine/probe.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "util/jx.h"
#include "store/runs.h"

#include <stdlib.h>
#include <string.h>

/* ros_show's listing ("SIZE NAME", "dir NAME", "more N" lines): rem's
 * "files" [{name, size | dir}] and "files_not_listed". */
static void
read_files(const struct rec *rec, json_t *rem)
{
	json_t *files = json_array();
	const char *p = rec->data ? rec->data : "", *end = p + rec->len;
	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(le - p));
		if (sp && sp + 1 < le) {
			char *first = xstrndup(p, (size_t)(sp - p));
			char *rest = utf8_clean(sp + 1, (size_t)(le - sp - 1));
			long long v = 0;
			if (!strcmp(first, "more")) {
				if (parse_long(rest, &v) == 0)
					jset_int(rem, "files_not_listed", v);
			} else {
				json_t *fo = json_object();
				jset_str(fo, "name", rest);
				if (!strcmp(first, "dir"))
					json_object_set_new(fo, "dir", json_true());
				else if (parse_long(first, &v) == 0)
					jset_int(fo, "size", v);
				json_array_append_new(files, fo);
			}
			free(first);
			free(rest);
		}
		p = le;
	}
	json_object_set_new(rem, "files", files);
}

/* What the worker said about the run: into rem. */
static void
read_answer(struct batch *b, json_t *rem)
{
	size_t pos = 0;
	struct rec rec;
	while (batch_rec_next(b, &pos, &rec)) {
		json_t *pr = json_object();
		if (!strcmp(rec.op, "probe") && probe_read(b, &rec, pr) == 0) {
			static const char *const keys[][2] = {
				{ "state", "state" }, { "pid", "pid" }, { "code", "exit_code" },
				{ "started", "started_at" }, { "ended", "ended_at" }, { "slurm_state", "slurm_state" },
				{ "slurm_job_id", "slurm_job_id" }, { "why", "why" },
			};
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				const char *v = jstr(pr, keys[k][0]);
				if (v && *v && strcmp(v, "-") && (strcmp(keys[k][0], "pid") || strcmp(v, "0"))) {
					char *c = utf8_clean(v, strlen(v));
					jset_str(rem, keys[k][1], c);
					free(c);
				}
			}
			jset_str(rem, "log", jstr0(pr, "tail"));
		} else if (!strcmp(rec.op, "files") && rec.nf >= 1) {
			if (!strcmp(rec.f[0], "missing"))
				json_object_set_new(rem, "dir_missing", json_true());
			else
				read_files(&rec, rem);
		} else if (!strcmp(rec.op, "runjson") && rec.data) {
			json_t *j = json_loadb(rec.data, rec.len, 0, NULL);
			if (json_is_object(j)) {
				json_object_set_new(rem, "run_json", j);
			} else {
				json_decref(j);
				char *t = utf8_clean(rec.data, rec.len);
				jset_str(rem, "run_json", t);
				free(t);
			}
		}
		json_decref(pr);
		rec_release(&rec);
	}
}

int
inspect_run(struct worker *w, const char *root, json_t *r, long long lines, json_t *rem)
{
	struct batches bs = BATCHES_INIT;
	struct batch *b = batches_get(&bs, w, root);
	int rc = 0;
	json_array_append(b->runs, r);
	if (w->type == WORKER_SLURM)
		slurm_script_probe(&b->s, b->runs, (int)lines, NULL);
	else
		probe_call(b, r, (int)lines, NULL);
	const char *sargs[] = { jstr0(r, "project_id"), jstr0(r, "id"), NULL };
	script_call(&b->s, "ros_show", sargs, NULL, 0);
	batches_run(&bs, root, 30000);
	if (b->unreachable) {
		json_object_set_new(rem, "answered", json_false());
		jset_str(rem, "note", b->reason ? b->reason : "no answer");
		rc = -1;
	} else {
		json_object_set_new(rem, "answered", json_true());
		read_answer(b, rem);
		if (!json_object_get(rem, "state")) {
			json_object_set_new(rem, "answered", json_false());
			jset_str(rem, "note", b->failure ? b->failure : "the worker's answer was cut short");
			rc = -1;
		}
	}
	batches_release(&bs);
	return rc;
}

json_t *
inspect_worker(const struct worker *w, const char *root)
{
	json_t *o = json_object();
	jset_str(o, "id", w->id);
	jset_str(o, "kind", w->kind ? w->kind : "ssh");
	json_object_set_new(o, "enabled", json_boolean(w->enabled));
	if (w->pool)
		jset_str(o, "worker_pool", w->pool);
	if (w->host) {
		jset_str(o, "host", w->host);
		if (w->port)
			jset_int(o, "port", w->port);
		if (w->user)
			jset_str(o, "user", w->user);
	}
	char *ws = worker_workspace(w, root);
	jset_str(o, "workspace", ws);
	free(ws);
	return o;
}
