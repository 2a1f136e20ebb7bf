/*
 * status.c - `ros status`: per queue, the number of entries and counts by
 * status.  Reads the queues with the scanner only (no full parse), so it
 * stays fast on large queues.
 */
#include "ros.h"
#include "store/queue.h"
#include "util/table.h"

#include <stdlib.h>
#include <string.h>

static const char *const queues[][2] = {
	{ "idea_queue", Q_IDEAS }, { "benchmark_queue", Q_BENCH },
	{ "run_queue", Q_RUNS }, { "publication_queue", Q_PUBS },
};

/* Count entries by status into an object status -> n, in first-seen order. */
static json_t *
count_status(struct queue *q)
{
	json_t *by = json_object();
	for (size_t i = 0; i < q->n; i++) {
		char *st = queue_key(q, i, JK_STATUS);
		const char *k = *st ? st : "(none)";
		json_t *c = json_object_get(by, k);
		json_object_set_new(by, k, json_integer(c ? json_integer_value(c) + 1 : 1));
		free(st);
	}
	return by;
}

static int
cmd_status_fn(int argc, char **argv, struct ctx *ctx)
{
	struct buf err = BUF_INIT;
	json_t *out = json_object();
	int rc = 0;

	opt_parse(ctx, (const struct opt[]){ OPT_END }, argc, argv, NULL);
	const char *root = ctx_root(ctx);
	for (size_t i = 0; i < ARRAY_SIZE(queues); i++) {
		struct queue q = QUEUE_INIT;
		char *path = path_join(root, queues[i][1]);
		json_t *o = json_object();
		if (queue_load(&q, path, &err) < 0) {
			error("%s", err.s);
			buf_reset(&err);
			json_object_set_new(o, "error", json_string("unreadable"));
			rc = 1;
		} else {
			json_object_set_new(o, "total", json_integer((json_int_t)q.n));
			json_object_set_new(o, "by_status", count_status(&q));
		}
		json_object_set_new(out, queues[i][0], o);
		queue_release(&q);
		free(path);
	}
	if (ctx->json) {
		json_print(out);
	} else {
		printf("root: %s\n", root);
		for (size_t i = 0; i < ARRAY_SIZE(queues); i++) {
			json_t *o = json_object_get(out, queues[i][0]);
			if (json_object_get(o, "error")) {
				printf("%-18s (unreadable)\n", queues[i][0]);
				continue;
			}
			struct buf line = BUF_INIT;
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(o, "by_status"), k, v)
				buf_addf(&line, "  %s=%lld", k, (long long)json_integer_value(v));
			printf("%-18s %5lld%s\n", queues[i][0],
			       (long long)json_integer_value(json_object_get(o, "total")), buf_cstr(&line));
			buf_release(&line);
		}
	}
	json_decref(out);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_status = {
	"status", cmd_status_fn, CMD_JSON,
	"per queue: entries in all and counts by status",
	"[--json]", NULL,
};
