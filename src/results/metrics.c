/*
 * metrics.c - metric parsers over text already fetched (see metrics.h).
 *
 * All scanning is linear in the length of the log: lines are walked from the
 * end, each byte is looked at a bounded number of times per parser, and
 * nothing assumes NUL termination inside [log, log + len).
 */
#include "results/metrics.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define NUM_MAX 64		/* longest value token looked at */
#define FLATTEN_DEPTH 8		/* nesting levels flattened by the JSON parsers */
#define MAX_RE 64		/* metrics in one regex spec */

/* ---- small helpers ---- */

static int
is_key_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_key_char(unsigned char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Characters that end a value token (besides blanks and the end of line). */
static int
is_delim(unsigned char c)
{
	return c == 0 || is_blank(c) || c == ',' || c == ';' || c == '|' || c == ')' ||
	       c == ']' || c == '}' || c == '%' || c == '"' || c == '\'';
}

static int
is_eol(unsigned char c, int nul_too)
{
	return c == '\n' || c == '\r' || (nul_too && c == 0);
}

/* Append at most max bytes of s[0..n) to b, printable ASCII only ('?' for the rest). */
static void
add_clean(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t i;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_addc(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (n > max)
		buf_adds(b, "...");
}

/* Start a new message line in err (warnings accumulate one per line). */
static struct buf *
msg_line(struct buf *err)
{
	if (err->len)
		buf_addc(err, '\n');
	return err;
}

/*
 * Parse a whole token as a number.  1: finite value in *v; -1: a number but
 * not finite (nan, inf, overflow); 0: not a number at all.
 */
static int
parse_number(const char *s, size_t n, double *v)
{
	char tok[NUM_MAX + 1], *end;
	if (n == 0 || n > NUM_MAX)
		return 0;
	memcpy(tok, s, n);
	tok[n] = 0;
	if (isspace((unsigned char)tok[0]))
		return 0;
	*v = strtod(tok, &end);
	if (end != tok + n)
		return 0;
	return isfinite(*v) ? 1 : -1;
}

/* Record name -> v (or null when not finite, with a warning naming the
 * token), and in text (when not NULL) the token as written: tok NULL when
 * there is none (a JSON number), or too long to keep. */
static void
record(json_t *out, json_t *text, const char *name, int st, double v, const char *tok, size_t toklen,
       struct buf *err)
{
	if (text && tok && toklen && toklen <= NUM_MAX)
		json_object_set_new(text, name, json_stringn(tok, toklen));
	else if (text)
		json_object_del(text, name);
	if (st > 0) {
		json_object_set_new(out, name, json_real(v));
		return;
	}
	json_object_set_new(out, name, json_null());
	buf_addf(msg_line(err), "metric '%s': non-finite value '", name);
	add_clean(err, tok, toklen, 40);
	buf_adds(err, "' recorded as null");
}

/* ---- spec kinds ---- */

/*
 * A spec without a known prefix is a parser command, as in the Python tool's
 * manifests ("research/p/analysis/parse_metrics.py", "python3 parse.py"),
 * when it holds a '/' or a blank and does not start like a scheme ("word:"):
 * a lone word ("yaml", "JSON") or "regx:..." is far more likely a typo.
 */
static int
bare_command(const char *spec)
{
	const char *p = spec;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	if (p > spec && *p == ':')
		return 0;
	if (!spec[strspn(spec, " \t")])
		return 0;
	return strchr(spec, '/') || strpbrk(spec, " \t");
}

enum metric_kind
metrics_kind(const char *spec)
{
	if (!spec || !*spec || !strcmp(spec, "default"))
		return METRIC_DEFAULT;
	if (!strcmp(spec, "json"))
		return METRIC_JSON;
	if (!strcmp(spec, "jsonl") || str_starts(spec, "jsonl:"))
		return METRIC_JSONL;
	if (str_starts(spec, "regex:"))
		return METRIC_REGEX;
	if (str_starts(spec, "command:"))
		return METRIC_COMMAND;
	return bare_command(spec) ? METRIC_COMMAND : METRIC_UNKNOWN;
}

const char *
metrics_spec_arg(const char *spec)
{
	switch (metrics_kind(spec)) {
	case METRIC_JSONL:
		return spec[5] == ':' ? spec + 6 : "metrics.jsonl";
	case METRIC_REGEX:
		return spec + 6;
	case METRIC_COMMAND:
		return str_starts(spec, "command:") ? spec + 8 : spec;
	default:
		return "";
	}
}

/* ---- default: key=value pairs ---- */

/* A whole number as written: an optional sign and digits. */
static int
is_integer_token(const char *s, size_t n)
{
	size_t i = n && (s[0] == '-' || s[0] == '+');
	if (i >= n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A key written like an environment variable: no lower-case letter. */
static int
is_env_key(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			return 0;
	return 1;
}

/*
 * The pairs of one line (settings left out: see metrics.h): returns how
 * many, and in *measured how many of them hold a value that is not a whole
 * number.  With out NULL they are only counted; else recorded in out (and
 * text).
 */
static int
kv_line(const char *s, size_t n, json_t *out, json_t *text, int *measured, struct buf *err)
{
	int count = 0;
	*measured = 0;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (!is_key_start(c) || (i > 0 && is_key_char((unsigned char)s[i - 1]))) {
			i++;
			continue;
		}
		char q = i > 0 && (s[i - 1] == '"' || s[i - 1] == '\'') ? s[i - 1] : 0;
		size_t j = i;
		while (j < n && is_key_char((unsigned char)s[j]))
			j++;
		size_t keylen = j - i, k = j;
		if (q && k < n && s[k] == q)
			k++;
		while (k < n && is_blank((unsigned char)s[k]))
			k++;
		if (keylen > METRIC_KEY_MAX || k >= n || (s[k] != '=' && s[k] != ':')) {
			i = j;
			continue;
		}
		k++;
		while (k < n && is_blank((unsigned char)s[k]))
			k++;
		/* the value token, optionally quoted */
		size_t t0 = k, t1;
		if (k < n && (s[k] == '"' || s[k] == '\'')) {
			char vq = s[k];
			t0 = t1 = k + 1;
			while (t1 < n && s[t1] != vq && t1 - t0 <= NUM_MAX)
				t1++;
			if (t1 >= n || s[t1] != vq) {
				i = j;
				continue;
			}
			k = t1 + 1;
		} else {
			t1 = k;
			while (t1 < n && !is_delim((unsigned char)s[t1]) && t1 - t0 <= NUM_MAX)
				t1++;
			k = t1;
		}
		double v;
		int st = parse_number(s + t0, t1 - t0, &v);
		if (st == 0 || (k < n && !is_delim((unsigned char)s[k]))) {
			i = j;
			continue;
		}
		int whole = is_integer_token(s + t0, t1 - t0);
		if (whole && is_env_key(s + i, keylen)) {	/* CUDA=0, OMP_NUM_THREADS=8 */
			i = k;
			continue;
		}
		char key[METRIC_KEY_MAX + 1];
		memcpy(key, s + i, keylen);
		key[keylen] = 0;
		if (out)
			record(out, text, key, st, v, s + t0, t1 - t0, err);
		count++;
		*measured += !whole;
		i = k;
	}
	return count;
}

static json_t *
parse_default(const char *log, size_t len, json_t *text, struct buf *err)
{
	size_t end = len, w0 = 0, w1 = 0;
	int found = 0, measured;
	/* the last line with a measured value, else the last with any pair */
	for (;;) {
		size_t start = end;
		while (start > 0 && !is_eol((unsigned char)log[start - 1], 0))
			start--;
		if (kv_line(log + start, end - start, NULL, NULL, &measured, err) > 0 && (measured || !found)) {
			w0 = start;
			w1 = end;
			found = 1;
			if (measured)
				break;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	if (found) {
		json_t *out = json_object();
		kv_line(log + w0, w1 - w0, out, text, &measured, err);
		return out;
	}
	buf_addf(msg_line(err), "no key=value metrics in the log%s", len ? "" : " (empty)");
	return NULL;
}

/* ---- JSON objects ---- */

/*
 * Copy s[0..n) to out, quoting Python's bare NaN, Infinity and -Infinity
 * (outside strings) so that a strict JSON parser accepts them as strings.
 */
static void
quote_python_nonfinite(const char *s, size_t n, struct buf *out)
{
	static const char *const words[] = { "-Infinity", "Infinity", "NaN" };
	int in_str = 0;
	buf_reset(out);
	buf_grow(out, n + 16);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			buf_addc(out, c);
			if (c == '\\' && i + 1 < n)
				buf_addc(out, s[++i]);
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			buf_addc(out, c);
			continue;
		}
		size_t w;
		for (w = 0; w < ARRAY_SIZE(words); w++) {
			size_t wl = strlen(words[w]);
			if (n - i >= wl && !memcmp(s + i, words[w], wl) &&
			    (i + wl == n || !isalnum((unsigned char)s[i + wl])) &&
			    (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
				buf_addc(out, '"');
				buf_add(out, words[w], wl);
				buf_addc(out, '"');
				i += wl - 1;
				break;
			}
		}
		if (w == ARRAY_SIZE(words))
			buf_addc(out, c);
	}
}

/* 1: finite number in *v; -1: numeric but not finite; 0: not a metric. */
static int
json_metric_value(const json_t *j, double *v)
{
	if (json_is_integer(j)) {
		*v = (double)json_integer_value(j);
		return 1;
	}
	if (json_is_real(j)) {
		*v = json_real_value(j);
		return isfinite(*v) ? 1 : -1;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		while (n && is_blank((unsigned char)*s))
			s++, n--;
		while (n && is_blank((unsigned char)s[n - 1]))
			n--;
		return parse_number(s, n, v);
	}
	return 0;
}

/* Add the metrics of obj under the prefix in path to out; returns how many. */
static int
flatten(json_t *out, json_t *text, json_t *obj, struct buf *path, int depth, struct buf *err)
{
	size_t base = path->len;
	const char *key;
	json_t *v;
	int count = 0;
	json_object_foreach(obj, key, v) {
		if (!*key)
			continue;
		path->len = base;
		if (base)
			buf_addc(path, '.');
		buf_adds(path, key);
		if (json_is_object(v)) {
			if (depth + 1 < FLATTEN_DEPTH)
				count += flatten(out, text, v, path, depth + 1, err);
			continue;
		}
		double d;
		int st = json_metric_value(v, &d);
		if (st == 0 || path->len > METRIC_KEY_MAX)
			continue;
		/* a string holds the number as written ("0.420"); a JSON number
		 * does not (Python's json.dumps writes 0.399 for 0.3990) */
		const char *tok = json_is_string(v) ? json_string_value(v) : "?";
		size_t tn = strlen(tok);
		if (json_is_string(v)) {
			while (tn && is_blank((unsigned char)*tok))
				tok++, tn--;
			while (tn && is_blank((unsigned char)tok[tn - 1]))
				tn--;
		}
		record(out, json_is_string(v) ? text : NULL, path->s, st, d, tok, tn, err);
		if (!json_is_string(v) && text)
			json_object_del(text, path->s);
		count++;
	}
	path->len = base;
	if (path->s)
		path->s[base] = 0;
	return count;
}

/*
 * Parse s[0..n) as one JSON object and return its metrics, or NULL: with
 * *jerr set when it is not an object, with an empty jerr->text when it is an
 * object without metrics.  tmp is scratch space.
 */
static json_t *
object_metrics(const char *s, size_t n, struct buf *tmp, json_error_t *jerr, json_t *text, struct buf *err)
{
	jerr->text[0] = 0;
	quote_python_nonfinite(s, n, tmp);
	json_t *j = json_loadb(tmp->s, tmp->len, 0, jerr);
	if (!j)
		return NULL;
	if (!json_is_object(j)) {
		snprintf(jerr->text, sizeof(jerr->text), "not a JSON object");
		json_decref(j);
		return NULL;
	}
	json_t *out = json_object();
	struct buf path = BUF_INIT;
	if (text)
		json_object_clear(text);
	int count = flatten(out, text, j, &path, 0, err);
	buf_release(&path);
	json_decref(j);
	if (count > 0)
		return out;
	json_decref(out);
	return NULL;
}

/* The metrics of the last line holding a JSON object with any, or NULL. */
static json_t *
last_json_line(const char *log, size_t len, json_t *text, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	json_error_t jerr;
	json_t *out = NULL;
	size_t end = len;
	for (;;) {
		size_t start = end;
		while (start > 0 && !is_eol((unsigned char)log[start - 1], 0))
			start--;
		const char *s = log + start, *open = memchr(s, '{', end - start);
		size_t n = end - start;
		while (n && (is_blank((unsigned char)s[n - 1]) || s[n - 1] == 0))
			n--;
		if (open && n && s[n - 1] == '}') {
			out = object_metrics(open, (size_t)(s + n - open), &tmp, &jerr, text, err);
			if (out)
				break;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	buf_release(&tmp);
	return out;
}

static json_t *
json_record(const char *text, size_t len, json_t *written, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	json_error_t jerr;
	json_t *out = NULL;
	const char *s = text;
	size_t n = len;

	while (n && (isspace((unsigned char)*s) || *s == 0))
		s++, n--;
	while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == 0))
		n--;
	if (!n) {
		buf_adds(msg_line(err), "empty metrics record");
		goto out;
	}
	out = object_metrics(s, n, &tmp, &jerr, written, err);
	if (out || !jerr.text[0])
		goto out;
	/* not one object: try the last non-blank line */
	size_t ln;
	const char *ls = last_line(s, n, &ln);
	if (ls > s) {
		out = object_metrics(ls, ln, &tmp, &jerr, written, err);
		if (out || !jerr.text[0])
			goto out;
	}
	buf_adds(msg_line(err), "metrics record is not a JSON object: ");
	add_clean(err, jerr.text, strlen(jerr.text), 120);
	if (jerr.line > 0)
		buf_addf(err, " (line %d, column %d)", jerr.line, jerr.column);
	buf_release(&tmp);
	return NULL;
out:
	if (!out && n)
		buf_adds(msg_line(err), "metrics record has no numeric field");
	buf_release(&tmp);
	return out;
}

/* ---- regex:NAME=ERE;NAME2=ERE2 ---- */

struct re_metric {
	char name[METRIC_KEY_MAX + 1];
	regex_t re;
};

/* Length of a NAME= at s[0..n) (name only), or 0. */
static size_t
name_eq(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || !is_key_start((unsigned char)s[0]))
		return 0;
	while (i < n && is_key_char((unsigned char)s[i]))
		i++;
	return i < n && s[i] == '=' ? i : 0;
}

static void
free_res(struct re_metric *res, size_t n)
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
static int
compile_res(const char *list, struct re_metric **out, struct buf *err)
{
	size_t len = strlen(list), pos = 0;
	struct re_metric *res = xcalloc(MAX_RE, sizeof(*res));
	size_t nres = 0;
	double total = 0;

	if (!len) {
		buf_adds(msg_line(err), "regex parser: no NAME=ERE given");
		goto fail;
	}
	while (pos < len) {
		size_t nl = name_eq(list + pos, len - pos);
		if (!nl || nl > METRIC_KEY_MAX) {
			buf_adds(msg_line(err), "regex parser: expected NAME=ERE at '");
			add_clean(err, list + pos, len - pos, 40);
			buf_adds(err, "'");
			goto fail;
		}
		if (nres == MAX_RE) {
			buf_addf(msg_line(err), "regex parser: more than %d metrics", MAX_RE);
			goto fail;
		}
		struct re_metric *m = &res[nres];
		memcpy(m->name, list + pos, nl);
		m->name[nl] = 0;
		for (size_t i = 0; i < nres; i++)
			if (!strcmp(res[i].name, m->name)) {
				buf_addf(msg_line(err), "regex parser: metric '%s' given twice", m->name);
				goto fail;
			}
		size_t e0 = pos + nl + 1, e1 = e0;
		while (e1 < len && !(list[e1] == ';' && name_eq(list + e1 + 1, len - e1 - 1)))
			e1++;
		if (e1 == e0) {
			buf_addf(msg_line(err), "regex parser: empty regex for '%s'", m->name);
			goto fail;
		}
		char whybuf[128];
		const char *why = NULL;
		double size = re_size(list + e0, e1 - e0, &why, whybuf, sizeof whybuf);
		if (size < 0 || size > METRIC_RE_SIZE_MAX) {
			buf_addf(msg_line(err), "regex parser: the regex for '%s' is refused: ", m->name);
			if (size < 0)
				buf_adds(err, why);
			else
				buf_addf(err, "its repetitions expand it past the limit (a size of at most %d)",
					 METRIC_RE_SIZE_MAX);
			goto fail;
		}
		total += size;
		if (total > METRIC_RE_TOTAL_MAX) {
			buf_addf(msg_line(err), "regex parser: the regexes up to '%s' add up past the limit "
				 "(a size of at most %d for all of them)", m->name, METRIC_RE_TOTAL_MAX);
			goto fail;
		}
		char *ere = xstrndup(list + e0, e1 - e0);
		int rc = regcomp(&m->re, ere, REG_EXTENDED);
		free(ere);
		if (rc) {
			char msg[256];
			regerror(rc, &m->re, msg, sizeof(msg));
			buf_addf(msg_line(err), "regex parser: bad regex for '%s': %s", m->name, msg);
			goto fail;
		}
		nres++;
		if (m->re.re_nsub < 1) {
			buf_addf(msg_line(err),
				 "regex parser: the regex for '%s' has no capture group "
				 "(put the value in parentheses)", m->name);
			goto fail;
		}
		pos = e1 < len ? e1 + 1 : len;
	}
	*out = res;
	return (int)nres;
fail:
	free_res(res, nres);
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
		while (start > 0 && !is_eol((unsigned char)log[start - 1], 1))
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

static json_t *
parse_regex(const char *list, const char *log, size_t len, json_t *text, struct buf *err)
{
	struct re_metric *res;
	int nres = compile_res(list, &res, err);
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
			buf_addf(msg_line(err), "metric '%s': no match; searched only the last %zu bytes of the log "
				 "(the work limit of a regex on long lines)", res[i].name, len - from);
			continue;
		}
		if (!r) {
			buf_addf(msg_line(err), "metric '%s': no match in the log", res[i].name);
			continue;
		}
		matched++;
		while (so < eo && isspace((unsigned char)log[so]))
			so++;
		while (eo > so && isspace((unsigned char)log[eo - 1]))
			eo--;
		double v;
		int st = parse_number(log + so, eo - so, &v);
		if (st == 0) {
			buf_addf(msg_line(err), "metric '%s': captured '", res[i].name);
			add_clean(err, log + so, eo - so, 40);
			buf_adds(err, "' is not a number");
			continue;
		}
		record(out, text, res[i].name, st, v, log + so, eo - so, err);
	}
	buf_release(&line);
	free_res(res, (size_t)nres);
	if (!matched) {
		json_decref(out);
		buf_adds(msg_line(err), "regex parser: nothing matched");
		return NULL;
	}
	if (!json_object_size(out)) {
		json_decref(out);
		buf_adds(msg_line(err), "regex parser: no numeric capture");
		return NULL;
	}
	return out;
}

/* ---- entry points ---- */

static void
unknown_spec(const char *spec, struct buf *err)
{
	buf_adds(msg_line(err), "unknown metric parser '");
	add_clean(err, spec, strlen(spec), 60);
	buf_adds(err, "' (expected default, json, jsonl:PATH, regex:NAME=ERE;..., command:CMD, "
		    "or a script path)");
}

int
metrics_spec_check(const char *spec, struct buf *err)
{
	struct re_metric *res;
	int n;
	switch (metrics_kind(spec)) {
	case METRIC_DEFAULT:
	case METRIC_JSON:
		return 0;
	case METRIC_JSONL:
		if (!*metrics_spec_arg(spec)) {
			buf_adds(msg_line(err), "jsonl parser: empty path (use jsonl or jsonl:PATH)");
			return -1;
		}
		return 0;
	case METRIC_COMMAND:
		if (!*metrics_spec_arg(spec)) {
			buf_adds(msg_line(err), "command parser: empty command");
			return -1;
		}
		return 0;
	case METRIC_REGEX:
		n = compile_res(metrics_spec_arg(spec), &res, err);
		if (n < 0)
			return -1;
		free_res(res, (size_t)n);
		return 0;
	case METRIC_UNKNOWN:
		break;
	}
	unknown_spec(spec, err);
	return -1;
}

json_t *
metrics_parse_json_record(const char *text, size_t len, struct buf *err)
{
	return json_record(text, len, NULL, err);
}

/* The parse itself; text, when not NULL, gets the values as written. */
static json_t *
parse_spec(const char *spec, const char *log, size_t len, json_t *text, struct buf *err)
{
	json_t *out;
	if (!log) {
		log = "";
		len = 0;
	}
	switch (metrics_kind(spec)) {
	case METRIC_DEFAULT:
		return parse_default(log, len, text, err);
	case METRIC_JSON:
		out = last_json_line(log, len, text, err);
		if (!out)
			buf_addf(msg_line(err), "no line of the log holds a JSON object with numbers%s",
				 len ? "" : " (empty)");
		return out;
	case METRIC_JSONL:
		return json_record(log, len, text, err);
	case METRIC_REGEX:
		return parse_regex(metrics_spec_arg(spec), log, len, text, err);
	case METRIC_COMMAND:
		out = last_json_line(log, len, text, err);
		if (!out && text)
			json_object_clear(text);
		return out ? out : parse_default(log, len, text, err);
	case METRIC_UNKNOWN:
		break;
	}
	unknown_spec(spec, err);
	return NULL;
}

json_t *
metrics_parse(const char *spec, const char *log, size_t len, struct buf *err)
{
	return parse_spec(spec, log, len, NULL, err);
}

json_t *
metrics_parse_text(const char *spec, const char *log, size_t len, json_t **text, struct buf *err)
{
	json_t *t = json_object(), *out = parse_spec(spec, log, len, t, err);
	if (!out) {
		json_decref(t);
		t = NULL;
	}
	*text = t;
	return out;
}

void
metric_text(const json_t *v, const json_t *t, char out[METRIC_TEXT_MAX])
{
	const char *s = json_string_value(t);
	double d;
	int st = s ? parse_number(s, strlen(s), &d) : 0;
	if (st && ((st > 0 && json_is_number(v) && d == json_number_value(v)) || (st < 0 && json_is_null(v)))) {
		snprintf(out, METRIC_TEXT_MAX, "%s", s);
		return;
	}
	if (json_is_number(v)) {
		char num[32];
		fmt_double(json_number_value(v), num);
		snprintf(out, METRIC_TEXT_MAX, "%s", num);
		return;
	}
	snprintf(out, METRIC_TEXT_MAX, "null");
}
