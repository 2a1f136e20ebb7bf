/*
 * reference.c - reference values (a paper's numbers) from CSV: the reader
 * behind reference_load_csv() (see aggregate.h).
 */
#include "results/aggregate.h"

#include <string.h>

struct csv {
	const char *p;
	int line;
};

/* Skip blank lines and '#' comment lines; 0 at end of input. */
static int
csv_next_record(struct csv *c)
{
	for (;;) {
		const char *q = c->p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!*q)
			return 0;
		if (*q == '#') {
			while (*q && *q != '\n')
				q++;
			if (!*q) {
				c->p = q;
				return 0;
			}
		}
		if (*q == '\r' && q[1] == '\n')
			q++;
		if (*q != '\n')
			return 1;
		c->p = q + 1;
		c->line++;
	}
}

/*
 * Parse one record into fields (quoted[i] tells whether field i was quoted).
 * 0 ok, -1 with *err set.
 */
static int
csv_record(struct csv *c, struct strv *fields, struct buf *quoted, struct buf *err)
{
	struct buf f = BUF_INIT;
	int start_line = c->line;
	for (;;) {
		const char *p = c->p;
		int q = 0;
		buf_reset(&f);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			q = 1;
			for (p++;; p++) {
				if (!*p) {
					buf_addf(err, "line %d: unterminated quoted field", start_line);
					goto fail;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				} else if (*p == '\n') {
					c->line++;
				}
				buf_addc(&f, *p);
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',' && *p != '\n' && !(*p == '\r' && p[1] == '\n')) {
				buf_addf(err, "line %d: unexpected '%c' after a closing quote", c->line,
					 (*p > 0x20 && *p < 0x7f) ? *p : '?');
				goto fail;
			}
		} else {
			while (*p && *p != ',' && *p != '\n' && !(*p == '\r' && p[1] == '\n'))
				buf_addc(&f, *p++);
			while (f.len && (f.s[f.len - 1] == ' ' || f.s[f.len - 1] == '\t' ||
					 f.s[f.len - 1] == '\r'))
				f.s[--f.len] = 0;
		}
		if (!utf8_valid(f.s ? f.s : "", f.len)) {
			buf_addf(err, "line %d: invalid UTF-8", c->line);
			goto fail;
		}
		strv_push(fields, buf_cstr(&f));
		buf_addc(quoted, (char)q);
		if (*p == ',') {
			c->p = p + 1;
			continue;
		}
		if (*p == '\r')
			p++;
		if (*p == '\n') {
			p++;
			c->line++;
		}
		c->p = p;
		break;
	}
	buf_release(&f);
	return 0;
fail:
	buf_release(&f);
	return -1;
}

json_t *
reference_load_csv(const char *text, struct buf *err)
{
	struct csv c = { text, 1 };
	struct strv head = STRV_INIT, fields = STRV_INIT;
	struct buf hq = BUF_INIT, fq = BUF_INIT;
	json_t *rows = NULL;

	if (!strncmp(c.p, "\xEF\xBB\xBF", 3))
		c.p += 3;
	if (!csv_next_record(&c)) {
		buf_adds(err, "line 1: no header row");
		goto out;
	}
	int hline = c.line;
	if (csv_record(&c, &head, &hq, err) < 0)
		goto out;
	for (size_t i = 0; i < head.n; i++) {
		if (!*head.v[i]) {
			buf_addf(err, "line %d: column %zu has an empty name", hline, i + 1);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(head.v[i], head.v[j])) {
				buf_addf(err, "line %d: column '%s' given twice", hline, head.v[i]);
				goto out;
			}
	}
	rows = json_array();
	while (csv_next_record(&c)) {
		int line = c.line;
		strv_release(&fields);
		buf_reset(&fq);
		if (csv_record(&c, &fields, &fq, err) < 0) {
			json_decref(rows);
			rows = NULL;
			goto out;
		}
		if (fields.n > head.n) {
			buf_addf(err, "line %d: %zu fields, the header has %zu", line, fields.n, head.n);
			json_decref(rows);
			rows = NULL;
			goto out;
		}
		json_t *row = json_object();
		int empty = 1;
		for (size_t i = 0; i < head.n; i++) {
			const char *s = i < fields.n ? fields.v[i] : "";
			double d;
			json_t *val;
			if (!*s)
				val = json_null();
			else if (!fq.s[i] && parse_double(s, &d) == 0)
				val = json_real(d);
			else
				val = json_string(s);
			empty &= !*s;
			json_object_set_new(row, head.v[i], val);
		}
		if (empty)
			json_decref(row);
		else
			json_array_append_new(rows, row);
	}
out:
	strv_release(&head);
	strv_release(&fields);
	buf_release(&hq);
	buf_release(&fq);
	return rows;
}
