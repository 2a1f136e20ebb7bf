/*
 * runfilter.c - which runs a command takes (see runfilter.h).
 */
#include "store/runfilter.h"

#include <stdlib.h>
#include <string.h>

/* The values of list, each comma list split (split_list), repeats and
 * empty items dropped; 0, or -1 when values were given and none is left. */
static int
split_values(struct strv *list)
{
	struct strv out = STRV_INIT, items = STRV_INIT;
	for (size_t i = 0; i < list->n; i++)
		split_list(list->v[i], ',', &items);
	for (size_t i = 0; i < items.n; i++)
		if (!strv_has(&out, items.v[i]))
			strv_push(&out, items.v[i]);
	strv_release(&items);
	int empty = list->n && !out.n;
	strv_release(list);
	*list = out;
	return empty ? -1 : 0;
}

const char *
run_filter_split(struct run_filter *f)
{
	if (split_values(&f->status) < 0)
		return "status";
	if (split_values(&f->project) < 0)
		return "project";
	if (split_values(&f->worker) < 0)
		return "worker";
	return NULL;
}

int
run_filter_given(const struct run_filter *f)
{
	return f->status.n || f->project.n || f->worker.n;
}

static int
key_in(const struct queue *q, size_t i, enum jkey k, const struct strv *vals)
{
	if (!vals->n)
		return 1;
	for (size_t j = 0; j < vals->n; j++)
		if (queue_key_is(q, i, k, vals->v[j]))
			return 1;
	return 0;
}

int
run_filter_match(const struct run_filter *f, const struct queue *q, size_t i)
{
	return key_in(q, i, JK_STATUS, &f->status) && key_in(q, i, JK_PROJECT, &f->project) &&
	       key_in(q, i, JK_WORKER, &f->worker);
}

int
run_filter_status_ok(const struct run_filter *f, const char *const *allowed, size_t n, const char **bad)
{
	for (size_t i = 0; i < f->status.n; i++) {
		size_t k = 0;
		while (k < n && strcmp(allowed[k], f->status.v[i]))
			k++;
		if (k == n) {
			*bad = f->status.v[i];
			return 0;
		}
	}
	return 1;
}

void
run_filter_release(struct run_filter *f)
{
	strv_release(&f->status);
	strv_release(&f->project);
	strv_release(&f->worker);
}

void
run_select(struct queue *q, const struct strv *ids, const struct run_filter *f, const char *const *defaults,
	    size_t ndefaults, struct strv *out_ids, size_t **out_idx, size_t *n, int *bad)
{
	*out_idx = xcalloc((ids->n ? ids->n : q->n) + 1, sizeof **out_idx);
	*n = 0;
	if (ids->n) {
		for (size_t k = 0; k < ids->n; k++) {
			if (strv_has(out_ids, ids->v[k]))
				continue;
			long i = queue_find(q, ids->v[k]);
			if (i < 0) {
				error("no run '%s'", ids->v[k]);
				*bad = 1;
				continue;
			}
			strv_push(out_ids, ids->v[k]);
			(*out_idx)[(*n)++] = (size_t)i;
		}
		return;
	}
	for (size_t i = 0; i < q->n; i++) {
		if (!run_filter_match(f, q, i))
			continue;
		int ok = f->status.n > 0;
		for (size_t k = 0; k < ndefaults && !ok; k++)
			ok = queue_key_is(q, i, JK_STATUS, defaults[k]);
		if (!ok)
			continue;
		strv_push_nocopy(out_ids, queue_key(q, i, JK_ID));
		(*out_idx)[(*n)++] = i;
	}
}
