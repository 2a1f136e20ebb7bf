/*
 * table.c - aligned text tables.
 */
#include "util/table.h"

#include <stdlib.h>
#include <string.h>

/* A row of t->ncols strings from ap (NULL = ""). */
static void
add_row(struct table *t, va_list ap)
{
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		strv_push(&t->cells, s ? s : "");
	}
}

void
table_init(struct table *t, int ncols, ...)
{
	va_list ap;
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	va_start(ap, ncols);
	add_row(t, ap);
	va_end(ap);
}

void
table_row(struct table *t, ...)
{
	va_list ap;
	va_start(ap, t);
	add_row(t, ap);
	va_end(ap);
}

void
table_rowv(struct table *t, char **cells)
{
	for (int i = 0; i < t->ncols; i++)
		strv_push(&t->cells, cells[i] ? cells[i] : "");
}

size_t
table_nrows(const struct table *t)
{
	return t->cells.n / (size_t)t->ncols - 1;
}

void
table_print(struct table *t, FILE *f, int with_header)
{
	size_t rows = t->cells.n / (size_t)t->ncols;
	size_t *w = xcalloc((size_t)t->ncols, sizeof *w);
	for (size_t r = with_header ? 0 : 1; r < rows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t cw = utf8_width(t->cells.v[r * (size_t)t->ncols + (size_t)c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = with_header ? 0 : 1; r < rows; r++) {
		struct buf line = BUF_INIT;
		for (int i = 0; i < t->indent; i++)
			buf_addc(&line, ' ');
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells.v[r * (size_t)t->ncols + (size_t)c];
			size_t pad = w[c] - utf8_width(s);
			int last = c == t->ncols - 1;
			if (t->right & (1u << c))
				for (size_t i = 0; i < pad; i++)
					buf_addc(&line, ' ');
			buf_adds(&line, s);
			if (!(t->right & (1u << c)) && !last)
				for (size_t i = 0; i < pad; i++)
					buf_addc(&line, ' ');
			if (!last)
				buf_adds(&line, "  ");
		}
		while (line.len && line.s[line.len - 1] == ' ')
			line.s[--line.len] = 0;
		fprintf(f, "%s\n", line.s);
		buf_release(&line);
	}
	free(w);
}

void
table_release(struct table *t)
{
	strv_release(&t->cells);
}
