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
