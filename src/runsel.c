/*
 * runsel.c - run selection options (see runsel.h).
 */
#include "runsel.h"

#include <string.h>

int
run_filter_ready(struct ctx *ctx, struct run_filter *f)
{
	const char *empty = run_filter_split(f);
	if (empty)
		usage_error(ctx, "--%s needs a value", empty);
	return run_filter_given(f);
}

int
ids_or_filters(struct ctx *ctx, const struct strv *ids, struct run_filter *f, const char *const *allowed,
	       size_t nallowed, const char *what)
{
	int filtered = run_filter_ready(ctx, f);
	const char *bad = NULL;
	if (!ids->n && !filtered)
		usage_error(ctx, "which runs? give run ids, or filters (--status, --project, --worker)");
	if (ids->n && filtered)
		usage_error(ctx, "give run ids or filters, not both");
	if (!run_filter_status_ok(f, allowed, nallowed, &bad))
		usage_error(ctx, "--status %s: only %s runs can be %s", bad, what,
			    !strcmp(ctx->cmd->name, "cancel") ? "cancelled" : "retried");
	return filtered;
}

int
run_load(struct ctx *ctx, const char *id, json_t **run, struct registry *reg)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = ctx_path(ctx, Q_RUNS);
	int rc = -1;
	if (queue_load(&q, path, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	long i = queue_find(&q, id);
	if (i < 0) {
		error("no run '%s' in %s", id, Q_RUNS);
		goto out;
	}
	json_t *r = queue_obj(&q, (size_t)i, &err);
	if (!r) {
		error("%s", err.s);
		goto out;
	}
	*run = json_deep_copy(r);
	if (reg && registry_load(reg, ctx_root(ctx), &err) < 0) {
		error("%s", err.s);
		json_decref(*run);
		*run = NULL;
		goto out;
	}
	rc = 0;
out:
	queue_release(&q);
	buf_release(&err);
	free(path);
	return rc;
}
