/*
 * watch.c - a watch's lessons (see watch.h).
 */
#include "engine/watch.h"
#include "util/jx.h"

#include <string.h>

void
watch_learn(struct watch *wt, const json_t *report)
{
	size_t i;
	json_t *r;
	json_array_foreach(report, i, r) {
		const char *st = jstr0(r, "status"), *pool = jstr0(r, "worker_pool");
		if (strcmp(st, "done") && strcmp(st, "failed"))
			continue;
		json_t *s = json_object_get(wt->streak, pool);
		if (!s)
			json_object_set_new(wt->streak, pool, s = json_object());
		if (!strcmp(st, "done")) {
			jset_int(s, "n", 0);
			continue;
		}
		wt->failed++;
		time_t t0 = parse_iso_time(jstr0(r, "started_at")), t1 = parse_iso_time(jstr0(r, "ended_at"));
		int quick = t0 > 0 && t1 >= t0 && t1 - t0 <= FAIL_QUICK_S;
		long long n = 0;
		jint(s, "n", &n);
		if (!quick || strcmp(jstr0(s, "code"), jstr0(r, "exit_code")))
			n = 0;
		jset_str(s, "code", jstr0(r, "exit_code"));
		jset_int(s, "n", quick ? n + 1 : 0);
		if (n + 1 >= FAIL_STREAK && quick && !strv_has(&wt->held, pool)) {
			strv_push(&wt->held, pool);
			strv_pushf(&wt->news, "pool %s: %d runs in a row failed within %d s, each with exit %s; no more "
				   "of its runs are dispatched (see ros logs %s)", pool, FAIL_STREAK, FAIL_QUICK_S,
				   jstr0(r, "exit_code"), jstr0(r, "id"));
		}
	}
}

void
watch_release(struct watch *wt)
{
	json_decref(wt->streak);
	strv_release(&wt->held);
	strv_release(&wt->news);
}
