/*
 * shwords.c - a line split into words as a shell splits it, and a word
 * quoted for a shell (see shwords.h).
 */
#include "results/shwords.h"

#include <stdlib.h>
#include <string.h>

#define NEST_MAX 3	/* levels of `sh -c SCRIPT` split again */

static void
words_push(struct words *w, char *s, int op)
{
	GROW(w->v, w->alloc, w->n + 1);
	w->v[w->n].s = s;
	w->v[w->n].op = op;
	w->n++;
}

void
words_release(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].s);
	free(w->v);
	memset(w, 0, sizeof *w);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_op(char c)
{
	return c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>';
}

static void split_into(const char *p, int depth, struct words *out);

/* The word at *pp (not a blank, not an operator); *pp moves past it. */
static char *
one_word(const char **pp)
{
	const char *p = *pp;
	struct buf b = BUF_INIT;
	buf_adds(&b, "");
	while (*p && !is_blank(*p) && !is_op(*p)) {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				buf_addc(&b, *p);
			if (*p)
				p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '$' || p[1] == '`' || p[1] == '"' || p[1] == '\\'))
					p++;
				else if (*p == '\\' && p[1] == '\n') {
					p++;
					continue;
				}
				buf_addc(&b, *p);
			}
			if (*p)
				p++;
		} else if (*p == '\\') {
			if (p[1] == '\n') {
				p += 2;
				continue;
			}
			if (p[1])
				p++;
			buf_addc(&b, *p++);
		} else {
			buf_addc(&b, *p++);
		}
	}
	*pp = p;
	return buf_detach(&b);
}

/* The last path component of s. */
static const char *
base_name(const char *s)
{
	const char *slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

static int
is_shell(const char *s)
{
	static const char *const sh[] = { "sh", "bash", "dash", "ksh", "zsh" };
	for (size_t i = 0; i < ARRAY_SIZE(sh); i++)
		if (!strcmp(base_name(s), sh[i]))
			return 1;
	return 0;
}

/* "-lc", "-c", "-ec": a single-dash cluster of letters holding c. */
static int
is_c_option(const char *s)
{
	if (s[0] != '-' || !s[1] || s[1] == '-')
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return 0;
	return strchr(s + 1, 'c') != NULL;
}

/* Append the words of p to out, a shell's script split again in its place. */
static void
split_into(const char *p, int depth, struct words *out)
{
	struct words w = { 0 };
	while (*p) {
		if (is_blank(*p)) {
			p++;
		} else if (*p == '\\' && p[1] == '\n') {
			p += 2;
		} else if (*p == '#') {	/* a comment, as a word starts */
			while (*p && *p != '\n')
				p++;
		} else if (is_op(*p)) {
			const char *q = p;
			while (is_op(*q) && !(q > p && (*q == '\n') != (*p == '\n')))
				q++;
			words_push(&w, xstrndup(p, (size_t)(q - p)), 1);
			p = q;
		} else {
			words_push(&w, one_word(&p), 0);
		}
	}
	for (size_t i = 0; i < w.n; i++) {
		words_push(out, w.v[i].s, w.v[i].op);
		w.v[i].s = NULL;
		if (w.v[i].op || depth >= NEST_MAX || !is_shell(out->v[out->n - 1].s))
			continue;
		size_t j = i + 1;
		while (j < w.n && !w.v[j].op && w.v[j].s[0] == '-' && !is_c_option(w.v[j].s))
			j++;
		if (j + 1 >= w.n || w.v[j].op || !is_c_option(w.v[j].s) || w.v[j + 1].op)
			continue;
		for (size_t k = i + 1; k <= j; k++) {
			words_push(out, w.v[k].s, 0);
			w.v[k].s = NULL;
		}
		split_into(w.v[j + 1].s, depth + 1, out);
		i = j + 1;
	}
	words_release(&w);
}

void
words_split(const char *line, struct words *out)
{
	split_into(line, 0, out);
}

void
sh_quote(struct buf *b, const char *s, int flags)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-";
	if (!(flags & SH_ALWAYS) && *s && strspn(s, plain) == strlen(s)) {
		buf_adds(b, s);
		return;
	}
	for (const char *c = s; (flags & SH_ONE_LINE) && *c; c++) {
		if ((unsigned char)*c >= 0x20 && *c != 0x7f)
			continue;
		buf_adds(b, "$'");
		for (c = s; *c; c++) {
			unsigned char u = (unsigned char)*c;
			if (u == '\n')
				buf_adds(b, "\\n");
			else if (u == '\t')
				buf_adds(b, "\\t");
			else if (u == '\\' || u == '\'')
				buf_addf(b, "\\%c", u);
			else if (u < 0x20 || u == 0x7f)
				buf_addf(b, "\\x%02x", u);
			else
				buf_addc(b, (char)u);
		}
		buf_addc(b, '\'');
		return;
	}
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}
