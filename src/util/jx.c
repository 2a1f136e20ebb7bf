/*
 * jx.c - jansson helpers and the Python-compatible writer (see jx.h).
 */
#include "util/jx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
write_string(struct buf *out, const char *s, size_t n, int ascii)
{
	buf_addc(out, '"');
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		const unsigned char *q = p;
		/* !ascii (the terminal): DEL and C1 controls (U+0080..U+009F) escaped too */
		while (q < e && *q >= 0x20 && *q != '"' && *q != '\\' && (*q < 0x80 || !ascii) &&
		       (ascii || (*q != 0x7f && !(*q == 0xc2 && q + 1 < e && q[1] < 0xa0))))
			q++;
		if (q > p)
			buf_add(out, p, (size_t)(q - p));
		if (q >= e)
			break;
		p = q;
		unsigned c = *p;
		switch (c) {
		case '"': buf_adds(out, "\\\""); p++; continue;
		case '\\': buf_adds(out, "\\\\"); p++; continue;
		case '\n': buf_adds(out, "\\n"); p++; continue;
		case '\r': buf_adds(out, "\\r"); p++; continue;
		case '\t': buf_adds(out, "\\t"); p++; continue;
		case '\b': buf_adds(out, "\\b"); p++; continue;
		case '\f': buf_adds(out, "\\f"); p++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			buf_addf(out, "\\u%04x", c);
			p++;
			continue;
		}
		/* non-ASCII (valid UTF-8: jansson checked it) */
		int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		unsigned cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
		for (int k = 1; k < len && p + k < e; k++)
			cp = (cp << 6) | (p[k] & 0x3f);
		p += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_addf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			buf_addf(out, "\\u%04x", cp);
		}
	}
	buf_addc(out, '"');
}

static void
newline(struct buf *out, int indent)
{
	buf_addc(out, '\n');
	for (int i = 0; i < indent; i++)
		buf_addc(out, ' ');
}

static void
write_value(struct buf *out, const json_t *v, int indent, int ascii, int pretty)
{
	char num[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (json_object_size(v) == 0) {
			buf_adds(out, "{}");
			break;
		}
		buf_addc(out, '{');
		const char *k;
		json_t *x;
		int first = 1;
		json_object_foreach((json_t *)v, k, x) {
			if (!first)
				buf_adds(out, pretty ? "," : ", ");
			first = 0;
			if (pretty)
				newline(out, indent + 2);
			write_string(out, k, strlen(k), ascii);
			buf_adds(out, ": ");
			write_value(out, x, indent + 2, ascii, pretty);
		}
		if (pretty)
			newline(out, indent);
		buf_addc(out, '}');
		break;
	}
	case JSON_ARRAY: {
		if (json_array_size(v) == 0) {
			buf_adds(out, "[]");
			break;
		}
		buf_addc(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_adds(out, pretty ? "," : ", ");
			if (pretty)
				newline(out, indent + 2);
			write_value(out, json_array_get(v, i), indent + 2, ascii, pretty);
		}
		if (pretty)
			newline(out, indent);
		buf_addc(out, ']');
		break;
	}
	case JSON_STRING:
		write_string(out, json_string_value(v), json_string_length(v), ascii);
		break;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fmt_double(json_real_value(v), num);
		buf_adds(out, num);
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	case JSON_NULL:
		buf_adds(out, "null");
		break;
	}
}

void
json_quote(struct buf *out, const char *s, size_t n)
{
	write_string(out, s, n, 0);
}

void
json_write(struct buf *out, const json_t *v, int indent)
{
	write_value(out, v, indent, 1, 1);
}

void
json_print(const json_t *v)
{
	struct buf b = BUF_INIT;
	write_value(&b, v, 0, 0, 1);
	buf_addc(&b, '\n');
	fwrite(b.s, 1, b.len, stdout);
	buf_release(&b);
}

char *
json_compact(const json_t *v)
{
	struct buf b = BUF_INIT;
	write_value(&b, v, 0, 0, 0);
	return buf_detach(&b);
}

/* ---- jansson helpers ---- */

const char *
jstr(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
jstr0(const json_t *obj, const char *key)
{
	const char *s = jstr(obj, key);
	return s ? s : "";
}

int
jint(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))) {
		*out = (long long)json_real_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_long(json_string_value(v), out);
	return -1;
}

long long
jint0(const json_t *obj, const char *key)
{
	long long v = 0;
	return jint(obj, key, &v) == 0 ? v : 0;
}

int
jnum(const json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_double(json_string_value(v), out);
	return -1;
}

void
jset_str(json_t *obj, const char *key, const char *val)
{
	json_object_set_new(obj, key, json_string(val ? val : ""));
}

void
jset_int(json_t *obj, const char *key, long long val)
{
	json_object_set_new(obj, key, json_integer(val));
}
