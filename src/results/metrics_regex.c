/*
 * metrics_regex.c - the regex metric parser (see metrics.h): each NAME's
 * last match in the log, with its size and the work of a search bounded.
 */
#include "results/metrics.h"
#include "results/metrics_priv.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RE 64		/* metrics in one regex spec */

/* ---- regex:NAME=ERE;NAME2=ERE2 ---- */

/* Length of a NAME= at s[0..n) (name only), or 0. */
static size_t
name_eq(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || !mp_is_key_start((unsigned char)s[0]))
		return 0;
	while (i < n && mp_is_key_char((unsigned char)s[i]))
		i++;
	return i < n && s[i] == '=' ? i : 0;
}

void
mp_free_res(struct re_metric *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		regfree(&res[i].re);
	free(res);
}

/*
 * Bounding an ERE before regcomp sees it.  glibc builds one copy of a
 * repeated subexpression per count ({1,200} makes 200, + makes 2), during
 * parsing, and needs memory quadratic in what it built: 60 stacked '+' ask
 * for 2^60 nodes.  So the ERE is measured first, by its own grammar:
 * every character, bracket expression, anchor or escape is 1, a group adds
 * 1 to its alternation, each '|' 1, and a quantifier multiplies the size of
 * what it applies to by its largest count ('*' and '?' 1, '+' 2, {m} m,
 * {m,} m+1, {m,n} n) and adds 1.  A bracket expression ends at the first
 * ']' past its start that no [:class:], [.sym.] or [=eq=] holds (one whose
 * name has a ']' does not count): never later than glibc ends it, so no
 * quantifier of the ERE goes unseen.  Back-references are refused outright
 * (matching them takes exponential time).
 */
struct re_scan {
	const char *s;
	size_t n, i;
	const char *why;	/* set when the ERE is refused */
	char whybuf[96];
};

static double re_alt(struct re_scan *p, int depth);

/* A bracket expression at s[i] == '[': skip it. */
static void
re_bracket(struct re_scan *p)
{
	size_t i = p->i + 1;
	if (i < p->n && p->s[i] == '^')
		i++;
	if (i < p->n && p->s[i] == ']')
		i++;
	while (i < p->n && p->s[i] != ']') {
		char d = i + 1 < p->n ? p->s[i + 1] : 0;
		if (p->s[i] == '[' && (d == ':' || d == '.' || d == '=')) {
			size_t j = i + 2;
			while (j + 1 < p->n && !(p->s[j] == d && p->s[j + 1] == ']') && p->s[j] != ']')
				j++;
			if (j + 1 < p->n && p->s[j] == d && p->s[j + 1] == ']') {
				i = j + 2;
				continue;
			}
		}
		i++;
	}
	p->i = i < p->n ? i + 1 : p->n;
}

/* A count of {m,n} at s[i]: the number, or -1 (none, or too big). */
static long
re_count(struct re_scan *p)
{
	long v = 0;
	size_t i0 = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		v = v * 10 + (p->s[p->i++] - '0');
		if (v > METRIC_RE_DUP_MAX) {
			snprintf(p->whybuf, sizeof p->whybuf, "a repetition count over %d (at most %d)",
				 METRIC_RE_DUP_MAX, METRIC_RE_DUP_MAX);
			p->why = p->whybuf;
			return -1;
		}
	}
	return p->i > i0 ? v : -1;
}

/* The quantifiers after an atom of size a: the size of the piece. */
static double
re_quantified(struct re_scan *p, double a)
{
	while (p->i < p->n && !p->why) {
		char c = p->s[p->i];
		double f;
		if (c == '*' || c == '?') {
			f = 1;
			p->i++;
		} else if (c == '+') {
			f = 2;
			p->i++;
		} else if (c == '{') {
			long m, x;
			p->i++;
			m = p->i < p->n && p->s[p->i] == ',' ? 0 : re_count(p);
			x = m;
			if (p->why)
				break;
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i++;
				if (p->i < p->n && p->s[p->i] == '}')
					x = m + 1;
				else if ((x = re_count(p)) < 0 && !p->why)
					p->why = "a malformed {m,n}";
			}
			if (p->why)
				break;
			if (m < 0 || p->i >= p->n || p->s[p->i] != '}') {
				p->why = "a malformed {m,n}";
				break;
			}
			p->i++;
			f = x > m ? x : m;
			if (f < 1)
				f = 1;
		} else {
			break;
		}
		a = a * f + 1;
		if (a > METRIC_RE_SIZE_MAX)
			a = METRIC_RE_SIZE_MAX + 1;	/* saturate: no overflow, still too big */
	}
	return a;
}

/* A sequence of pieces up to '|', a closing ')' (depth > 0) or the end. */
static double
re_branch(struct re_scan *p, int depth)
{
	double size = 0;
	while (p->i < p->n && !p->why) {
		char c = p->s[p->i];
		double a = 1;
		if (c == '|' || (c == ')' && depth > 0))
			break;
		if (c == '(') {
			p->i++;
			a = re_alt(p, depth + 1) + 1;
			if (p->i < p->n && p->s[p->i] == ')')
				p->i++;
		} else if (c == '[') {
			re_bracket(p);
		} else if (c == '\\') {
			if (p->i + 1 < p->n && p->s[p->i + 1] >= '1' && p->s[p->i + 1] <= '9') {
				p->why = "back-references (\\1 ... \\9) are not supported";
				break;
			}
			p->i += p->i + 1 < p->n ? 2 : 1;
		} else {
			p->i++;	/* a character, '.', '^', '$', or a quantifier with nothing before it */
		}
		size += re_quantified(p, a);
		if (size > METRIC_RE_SIZE_MAX)
			size = METRIC_RE_SIZE_MAX + 1;
	}
	return size;
}

static double
re_alt(struct re_scan *p, int depth)
{
	double size = re_branch(p, depth);
	while (p->i < p->n && p->s[p->i] == '|' && !p->why) {
		p->i++;
		size += 1 + re_branch(p, depth);
		if (size > METRIC_RE_SIZE_MAX)
			size = METRIC_RE_SIZE_MAX + 1;
	}
	return size;
}

/*
 * The size of ere[0..n) as above, or -1 with *why when it is refused
 * (too long, a count over METRIC_RE_DUP_MAX, a back-reference).
 */
static double
re_size(const char *ere, size_t n, const char **why, char *whybuf, size_t whylen)
{
	struct re_scan p;
	double size;

	memset(&p, 0, sizeof p);
	if (n > METRIC_RE_LEN_MAX) {
		snprintf(whybuf, whylen, "it is %zu bytes long (at most %d)", n, METRIC_RE_LEN_MAX);
		*why = whybuf;
		return -1;
	}
	p.s = ere;
	p.n = n;
	size = 0;
	while (p.i < p.n && !p.why) {
		size += re_alt(&p, 0);
		if (p.i < p.n && p.s[p.i] == ')')	/* unmatched: an ordinary character */
			p.i++, size++;
	}
	if (p.why) {
		snprintf(whybuf, whylen, "%s", p.why);
		*why = whybuf;
		return -1;
	}
	return size;
}

/* Compile a regex spec list; returns the count, or -1 with *err set. */
int
mp_compile_res(const char *list, struct re_metric **out, struct buf *err)
{
	size_t len = strlen(list), pos = 0;
	struct re_metric *res = xcalloc(MAX_RE, sizeof(*res));
	size_t nres = 0;
	double total = 0;

	if (!len) {
		buf_adds(mp_msg_line(err), "regex parser: no NAME=ERE given");
		goto fail;
	}
	while (pos < len) {
		size_t nl = name_eq(list + pos, len - pos);
		if (!nl || nl > METRIC_KEY_MAX) {
			buf_adds(mp_msg_line(err), "regex parser: expected NAME=ERE at '");
			mp_add_clean(err, list + pos, len - pos, 40);
			buf_adds(err, "'");
			goto fail;
		}
		if (nres == MAX_RE) {
			buf_addf(mp_msg_line(err), "regex parser: more than %d metrics", MAX_RE);
			goto fail;
		}
		struct re_metric *m = &res[nres];
		memcpy(m->name, list + pos, nl);
		m->name[nl] = 0;
		for (size_t i = 0; i < nres; i++)
			if (!strcmp(res[i].name, m->name)) {
				buf_addf(mp_msg_line(err), "regex parser: metric '%s' given twice", m->name);
				goto fail;
			}
		size_t e0 = pos + nl + 1, e1 = e0;
		while (e1 < len && !(list[e1] == ';' && name_eq(list + e1 + 1, len - e1 - 1)))
			e1++;
		if (e1 == e0) {
			buf_addf(mp_msg_line(err), "regex parser: empty regex for '%s'", m->name);
			goto fail;
		}
		char whybuf[128];
		const char *why = NULL;
		double size = re_size(list + e0, e1 - e0, &why, whybuf, sizeof whybuf);
		if (size < 0 || size > METRIC_RE_SIZE_MAX) {
			buf_addf(mp_msg_line(err), "regex parser: the regex for '%s' is refused: ", m->name);
			if (size < 0)
				buf_adds(err, why);
			else
				buf_addf(err, "its repetitions expand it past the limit (a size of at most %d)",
					 METRIC_RE_SIZE_MAX);
			goto fail;
		}
		total += size;
		if (total > METRIC_RE_TOTAL_MAX) {
			buf_addf(mp_msg_line(err), "regex parser: the regexes up to '%s' add up past the limit "
				 "(a size of at most %d for all of them)", m->name, METRIC_RE_TOTAL_MAX);
			goto fail;
		}
		char *ere = xstrndup(list + e0, e1 - e0);
		int rc = regcomp(&m->re, ere, REG_EXTENDED);
		free(ere);
		if (rc) {
			char msg[256];
			regerror(rc, &m->re, msg, sizeof(msg));
			buf_addf(mp_msg_line(err), "regex parser: bad regex for '%s': %s", m->name, msg);
			goto fail;
		}
		nres++;
		if (m->re.re_nsub < 1) {
			buf_addf(mp_msg_line(err),
				 "regex parser: the regex for '%s' has no capture group "
				 "(put the value in parentheses)", m->name);
			goto fail;
		}
		pos = e1 < len ? e1 + 1 : len;
	}
	*out = res;
	return (int)nres;
fail:
	mp_free_res(res, nres);
	return -1;
}

/*
 * Find the last match of re in log whose group 1 took part; 1 with the group's
 * bounds in *so, *eo (offsets into log), else 0, or -1 when *work ran out
 * first (a line of n bytes, at most METRIC_RE_LINE_MAX of its end searched,
 * costs n * n: what a failed search costs glibc).  *from gets the offset of
 * the oldest line searched.
 */
static int
last_match(const regex_t *re, const char *log, size_t len, struct buf *line, size_t *so,
	   size_t *eo, long long *work, size_t *from)
{
	size_t end = len;
	for (;;) {
		size_t start = end, cut;
		while (start > 0 && !mp_is_eol((unsigned char)log[start - 1], 1))
			start--;
		cut = end - start > METRIC_RE_LINE_MAX ? end - METRIC_RE_LINE_MAX : start;
		size_t n = end - cut, off = 0;
		long long cost = (long long)n * (long long)n + 1;
		int found = 0;
		if (*work < cost)
			return -1;
		*work -= cost;
		*from = start;
		buf_reset(line);
		buf_add(line, log + cut, n);
		while (off <= n) {
			regmatch_t m[2];
			if (regexec(re, line->s + off, 2, m, off || cut > start ? REG_NOTBOL : 0))
				break;
			if (m[1].rm_so >= 0) {
				*so = cut + off + (size_t)m[1].rm_so;
				*eo = cut + off + (size_t)m[1].rm_eo;
				found = 1;
			}
			off += (size_t)m[0].rm_eo + (m[0].rm_eo == m[0].rm_so);
		}
		if (found)
			return 1;
		if (start == 0)
			return 0;
		end = start - 1;
	}
}

json_t *
mp_parse_regex(const char *list, const char *log, size_t len, json_t *text, struct buf *err)
{
	struct re_metric *res;
	int nres = mp_compile_res(list, &res, err);
	if (nres < 0)
		return NULL;
	json_t *out = json_object();
	struct buf line = BUF_INIT;
	int matched = 0;
	for (int i = 0; i < nres; i++) {
		size_t so = 0, eo = 0, from = len;
		long long work = METRIC_RE_WORK / nres;
		int r = last_match(&res[i].re, log, len, &line, &so, &eo, &work, &from);
		if (r < 0) {
			buf_addf(mp_msg_line(err), "metric '%s': no match; searched only the last %zu bytes of the log "
				 "(the work limit of a regex on long lines)", res[i].name, len - from);
			continue;
		}
		if (!r) {
			buf_addf(mp_msg_line(err), "metric '%s': no match in the log", res[i].name);
			continue;
		}
		matched++;
		while (so < eo && isspace((unsigned char)log[so]))
			so++;
		while (eo > so && isspace((unsigned char)log[eo - 1]))
			eo--;
		double v;
		int st = mp_parse_number(log + so, eo - so, &v);
		if (st == 0) {
			buf_addf(mp_msg_line(err), "metric '%s': captured '", res[i].name);
			mp_add_clean(err, log + so, eo - so, 40);
			buf_adds(err, "' is not a number");
			continue;
		}
		mp_record(out, text, res[i].name, st, v, log + so, eo - so, err);
	}
	buf_release(&line);
	mp_free_res(res, (size_t)nres);
	if (!matched) {
		json_decref(out);
		buf_adds(mp_msg_line(err), "regex parser: nothing matched");
		return NULL;
	}
	if (!json_object_size(out)) {
		json_decref(out);
		buf_adds(mp_msg_line(err), "regex parser: no numeric capture");
		return NULL;
	}
	return out;
}

