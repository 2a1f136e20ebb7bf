/*
 * brief.c - a project's results in brief (see brief.h).
 */
#include "results/brief.h"
#include "results/write_priv.h"
#include "store/json.h"
#include "util/jx.h"
#include "store/queue.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The run queue's identity, for the brief's cache. */
static char *
queue_identity(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return xstrdup("missing");
	return xasprintf("%llu:%llu:%lld:%lld.%09ld:%lld.%09ld", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/* Runs done and failed and the sum of their cost_usd, from the queue:
 * parses only the entries that hold a cost. */
static json_t *
count_runs(const char *path, const char *project, struct buf *err)
{
	struct queue q = QUEUE_INIT;
	json_t *o = NULL;
	long long done = 0, failed = 0, priced = 0;
	double spend = 0;
	if (queue_load(&q, path, err) < 0)
		goto out;
	for (size_t i = 0; i < q.n; i++) {
		if (!queue_key_is(&q, i, JK_PROJECT, project))
			continue;
		int d = queue_key_is(&q, i, JK_STATUS, "done"), f = !d && queue_key_is(&q, i, JK_STATUS, "failed");
		done += d;
		failed += f;
		if (!d && !f)
			continue;
		if (queue_need_data(&q, err) < 0)
			goto out;
		if (!memmem(q.data + q.e[i].off, q.e[i].len, "\"cost_usd\"", 10))
			continue;
		json_t *r = queue_obj(&q, i, err);
		double c;
		if (!r)
			goto out;
		if (jnum(r, "cost_usd", &c) == 0) {
			spend += c;
			priced++;
		}
	}
	o = json_object();
	json_object_set_new(o, "done", json_integer(done));
	json_object_set_new(o, "failed", json_integer(failed));
	if (priced)
		json_object_set_new(o, "spend_usd", json_real(round(spend * 1e6) / 1e6));
out:
	queue_release(&q);
	return o;
}

json_t *
results_brief(const char *root, const char *project, struct buf *err)
{
	char *path = path_join(root, Q_RUNS);
	char *cache = xasprintf("%s/.ros/cache/brief-%s.json", root, project);
	char *id = queue_identity(path);
	/* a cache keyed by the queue file's identity: reading 10,000 entries
	 * for their costs once per version of the queue, not on every call */
	int safe = safe_name(project);
	json_t *c = safe ? json_load_file(cache, 0, NULL) : NULL, *o = NULL;
	if (json_is_object(c) && !strcmp(jstr0(c, "queue"), id)) {
		o = json_incref(json_object_get(c, "runs"));
	} else if ((o = count_runs(path, project, err))) {
		char *id2 = queue_identity(path);
		if (safe && !strcmp(id, id2)) {
			json_t *nc = json_object();
			jset_str(nc, "queue", id);
			json_object_set(nc, "runs", o);
			char *text = json_compact(nc);
			char *dir = xasprintf("%s/.ros/cache", root);
			struct buf e = BUF_INIT;
			mkdir_p(dir, 0755);
			atomic_write_nosync(cache, text, strlen(text), &e);
			buf_release(&e);
			free(dir);
			free(text);
			json_decref(nc);
		}
		free(id2);
	}
	json_decref(c);
	free(id);
	free(cache);
	free(path);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	json_t *out = json_deep_copy(o);
	json_decref(o);
	/* the best result and the target, as the last `ros results` found them */
	char *sp = xasprintf("%s/research/%s/evidence/summary.json", root, project);
	json_t *s = safe && file_exists(sp) ? json_load_file(sp, 0, NULL) : NULL;
	free(sp);
	if (json_is_object(s)) {
		if (json_is_object(json_object_get(s, "best")))
			json_object_set(out, "best", json_object_get(s, "best"));
		if (json_is_object(json_object_get(s, "target")))
			json_object_set(out, "target", json_object_get(s, "target"));
		json_object_set(out, "results_at", json_object_get(s, "generated_at"));
	}
	json_decref(s);
	return out;
}

void
results_brief_line(FILE *f, const json_t *b)
{
	struct buf l = BUF_INIT;
	long long done = 0, failed = 0;
	jint(b, "done", &done);
	jint(b, "failed", &failed);
	buf_addf(&l, "%lld done, %lld failed", done, failed);
	if (json_is_number(json_object_get(b, "spend_usd"))) {
		buf_adds(&l, ", spend $");
		wr_num(&l, json_object_get(b, "spend_usd"), 2);
	}
	const json_t *best = json_object_get(b, "best"), *t = json_object_get(b, "target");
	if (json_is_object(best) && json_is_number(json_object_get(best, "mean"))) {
		buf_addf(&l, "; best %s ", jstr0(best, "metric"));
		wr_num(&l, json_object_get(best, "mean"), 4);
		if (json_is_number(json_object_get(best, "std"))) {
			buf_adds(&l, " \xC2\xB1 ");
			wr_num(&l, json_object_get(best, "std"), 4);
		}
		buf_addf(&l, " (%s)", jstr0(best, "label"));
		if (json_is_number(json_object_get(t, "value")) && json_is_boolean(json_object_get(t, "met"))) {
			buf_addf(&l, " vs target %s ", !strcmp(jstr0(t, "direction"), "lower") ? "<=" : ">=");
			wr_num(&l, json_object_get(t, "value"), 4);
			buf_addf(&l, ": %s", json_is_true(json_object_get(t, "met")) ? "met" : "not met");
		}
	}
	fprintf(f, "%s\n", buf_cstr(&l));
	buf_release(&l);
}
