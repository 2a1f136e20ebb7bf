/*
 * metrics_json.c - the json and jsonl metric parsers (see metrics.h): the
 * last line of a log holding a JSON object, one JSON record, flattened.
 */
#include "results/metrics.h"
#include "results/metrics_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FLATTEN_DEPTH 8		/* nesting levels flattened by the JSON parsers */

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
		while (n && mp_is_blank((unsigned char)*s))
			s++, n--;
		while (n && mp_is_blank((unsigned char)s[n - 1]))
			n--;
		return mp_parse_number(s, n, v);
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
			while (tn && mp_is_blank((unsigned char)*tok))
				tok++, tn--;
			while (tn && mp_is_blank((unsigned char)tok[tn - 1]))
				tn--;
		}
		mp_record(out, json_is_string(v) ? text : NULL, path->s, st, d, tok, tn, err);
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
json_t *
mp_last_json_line(const char *log, size_t len, json_t *text, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	json_error_t jerr;
	json_t *out = NULL;
	size_t end = len;
	for (;;) {
		size_t start = end;
		while (start > 0 && !mp_is_eol((unsigned char)log[start - 1], 0))
			start--;
		const char *s = log + start, *open = memchr(s, '{', end - start);
		size_t n = end - start;
		while (n && (mp_is_blank((unsigned char)s[n - 1]) || s[n - 1] == 0))
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

json_t *
mp_json_record(const char *text, size_t len, json_t *written, struct buf *err)
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
		buf_adds(mp_msg_line(err), "empty metrics record");
		goto out;
	}
	out = object_metrics(s, n, &tmp, &jerr, written, err);
	if (out || !jerr.text[0])
		goto out;
	/* not one object: try the last non-blank line */
	const char *ls;
	size_t ln = text_last_line(s, n, &ls);
	if (ls > s) {
		out = object_metrics(ls, ln, &tmp, &jerr, written, err);
		if (out || !jerr.text[0])
			goto out;
	}
	buf_adds(mp_msg_line(err), "metrics record is not a JSON object: ");
	mp_add_clean(err, jerr.text, strlen(jerr.text), 120);
	if (jerr.line > 0)
		buf_addf(err, " (line %d, column %d)", jerr.line, jerr.column);
	buf_release(&tmp);
	return NULL;
out:
	if (!out && n)
		buf_adds(mp_msg_line(err), "metrics record has no numeric field");
	buf_release(&tmp);
	return out;
}

