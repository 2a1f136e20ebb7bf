/*
 * metrics.c - metric parsers over text already fetched (see metrics.h):
 * the spec kinds, the default key=value parser, the entry points and the
 * helpers every parser shares (metrics_priv.h).
 *
 * All scanning is linear in the length of the log: lines are walked from the
 * end, each byte is looked at a bounded number of times per parser, and
 * nothing assumes NUL termination inside [log, log + len).
 */
#include "results/metrics.h"
#include "results/metrics_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

/* Characters that end a value token (besides blanks and the end of line). */
static int
is_delim(unsigned char c)
{
	return c == 0 || mp_is_blank(c) || c == ',' || c == ';' || c == '|' || c == ')' ||
	       c == ']' || c == '}' || c == '%' || c == '"' || c == '\'';
}

/* Append at most max bytes of s[0..n) to b, printable ASCII only ('?' for the rest). */
void
mp_add_clean(struct buf *b, const char *s, size_t n, size_t max)
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
struct buf *
mp_msg_line(struct buf *err)
{
	if (err->len)
		buf_addc(err, '\n');
	return err;
}

/*
 * Parse a whole token as a number.  1: finite value in *v; -1: a number but
 * not finite (nan, inf, overflow); 0: not a number at all.
 */
int
mp_parse_number(const char *s, size_t n, double *v)
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
void
mp_record(json_t *out, json_t *text, const char *name, int st, double v, const char *tok, size_t toklen,
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
	buf_addf(mp_msg_line(err), "metric '%s': non-finite value '", name);
	mp_add_clean(err, tok, toklen, 40);
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
		if (!mp_is_key_start(c) || (i > 0 && mp_is_key_char((unsigned char)s[i - 1]))) {
			i++;
			continue;
		}
		char q = i > 0 && (s[i - 1] == '"' || s[i - 1] == '\'') ? s[i - 1] : 0;
		size_t j = i;
		while (j < n && mp_is_key_char((unsigned char)s[j]))
			j++;
		size_t keylen = j - i, k = j;
		if (q && k < n && s[k] == q)
			k++;
		while (k < n && mp_is_blank((unsigned char)s[k]))
			k++;
		if (keylen > METRIC_KEY_MAX || k >= n || (s[k] != '=' && s[k] != ':')) {
			i = j;
			continue;
		}
		k++;
		while (k < n && mp_is_blank((unsigned char)s[k]))
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
		int st = mp_parse_number(s + t0, t1 - t0, &v);
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
			mp_record(out, text, key, st, v, s + t0, t1 - t0, err);
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
		while (start > 0 && !mp_is_eol((unsigned char)log[start - 1], 0))
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
	buf_addf(mp_msg_line(err), "no key=value metrics in the log%s", len ? "" : " (empty)");
	return NULL;
}

/* ---- entry points ---- */

static void
unknown_spec(const char *spec, struct buf *err)
{
	buf_adds(mp_msg_line(err), "unknown metric parser '");
	mp_add_clean(err, spec, strlen(spec), 60);
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
			buf_adds(mp_msg_line(err), "jsonl parser: empty path (use jsonl or jsonl:PATH)");
			return -1;
		}
		return 0;
	case METRIC_COMMAND:
		if (!*metrics_spec_arg(spec)) {
			buf_adds(mp_msg_line(err), "command parser: empty command");
			return -1;
		}
		return 0;
	case METRIC_REGEX:
		n = mp_compile_res(metrics_spec_arg(spec), &res, err);
		if (n < 0)
			return -1;
		mp_free_res(res, (size_t)n);
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
	return mp_json_record(text, len, NULL, err);
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
		out = mp_last_json_line(log, len, text, err);
		if (!out)
			buf_addf(mp_msg_line(err), "no line of the log holds a JSON object with numbers%s",
				 len ? "" : " (empty)");
		return out;
	case METRIC_JSONL:
		return mp_json_record(log, len, text, err);
	case METRIC_REGEX:
		return mp_parse_regex(metrics_spec_arg(spec), log, len, text, err);
	case METRIC_COMMAND:
		out = mp_last_json_line(log, len, text, err);
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
	int st = s ? mp_parse_number(s, strlen(s), &d) : 0;
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
