/*
 * schema.c - JSON Schema subset (see schema.h).
 */
#include "store/schema.h"
#include "util/jx.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static int
type_ok(const char *t, const json_t *v)
{
	if (!strcmp(t, "object"))
		return json_is_object(v);
	if (!strcmp(t, "array"))
		return json_is_array(v);
	if (!strcmp(t, "string"))
		return json_is_string(v);
	if (!strcmp(t, "integer"))
		return json_is_integer(v) || (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(t, "null"))
		return json_is_null(v);
	return 1;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int
check(const json_t *s, const json_t *v, struct strv *path, schema_report_fn report, void *arg)
{
	int n = 0;
	char msg[512];
	json_t *t = json_object_get(s, "type");
	if (t) {
		int ok = 0;
		struct buf want = BUF_INIT;
		if (json_is_string(t)) {
			ok = type_ok(json_string_value(t), v);
			buf_adds(&want, json_string_value(t));
		}
		for (size_t i = 0; json_is_array(t) && i < json_array_size(t); i++) {
			ok |= type_ok(json_string_value(json_array_get(t, i)), v);
			buf_addf(&want, "%s%s", i ? " or " : "", json_string_value(json_array_get(t, i)));
		}
		if (!ok) {
			snprintf(msg, sizeof msg, "should be %s, not %s", want.s, type_name(v));
			report(arg, path, msg);
			buf_release(&want);
			return 1;
		}
		buf_release(&want);
	}
	json_t *en = json_object_get(s, "enum");
	if (json_is_array(en)) {
		int ok = 0;
		struct buf list = BUF_INIT;
		for (size_t i = 0; i < json_array_size(en); i++) {
			ok |= json_equal(json_array_get(en, i), v);
			char *c = json_compact(json_array_get(en, i));
			buf_addf(&list, "%s%s", i ? ", " : "", c);
			free(c);
		}
		if (!ok) {
			char *c = json_compact(v);
			snprintf(msg, sizeof msg, "%.80s is not one of %s", c, list.s);
			free(c);
			report(arg, path, msg);
			n++;
		}
		buf_release(&list);
	}
	if (json_is_string(v)) {
		json_t *p = json_object_get(s, "pattern");
		if (json_is_string(p)) {
			regex_t re;
			if (regcomp(&re, json_string_value(p), REG_EXTENDED | REG_NOSUB) == 0) {
				if (regexec(&re, json_string_value(v), 0, NULL, 0)) {
					snprintf(msg, sizeof msg, "'%.80s' does not match %s", json_string_value(v),
						 json_string_value(p));
					report(arg, path, msg);
					n++;
				}
				regfree(&re);
			}
		}
		json_t *ml = json_object_get(s, "minLength");
		if (json_is_integer(ml) && (json_int_t)json_string_length(v) < json_integer_value(ml)) {
			report(arg, path, "should not be empty");
			n++;
		}
	}
	if (json_is_number(v)) {
		json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
		if (json_is_number(mn) && json_number_value(v) < json_number_value(mn)) {
			snprintf(msg, sizeof msg, "should be >= %g", json_number_value(mn));
			report(arg, path, msg);
			n++;
		}
		if (json_is_number(mx) && json_number_value(v) > json_number_value(mx)) {
			snprintf(msg, sizeof msg, "should be <= %g", json_number_value(mx));
			report(arg, path, msg);
			n++;
		}
	}
	if (json_is_object(v)) {
		json_t *req = json_object_get(s, "required");
		for (size_t i = 0; json_is_array(req) && i < json_array_size(req); i++) {
			const char *k = json_string_value(json_array_get(req, i));
			if (k && !json_object_get(v, k)) {
				snprintf(msg, sizeof msg, "required key '%s' is missing", k);
				report(arg, path, msg);
				n++;
			}
		}
		json_t *props = json_object_get(s, "properties");
		const char *k;
		json_t *sub;
		json_object_foreach(props, k, sub) {
			json_t *x = json_object_get(v, k);
			if (!x)
				continue;
			strv_push(path, k);
			n += check(sub, x, path, report, arg);
			free(path->v[--path->n]);
			path->v[path->n] = NULL;
		}
	}
	if (json_is_array(v)) {
		json_t *items = json_object_get(s, "items");
		for (size_t i = 0; json_is_object(items) && i < json_array_size(v); i++) {
			strv_pushf(path, "%zu", i);
			n += check(items, json_array_get(v, i), path, report, arg);
			free(path->v[--path->n]);
			path->v[path->n] = NULL;
		}
	}
	return n;
}

int
schema_validate(const json_t *schema, const json_t *value, schema_report_fn report, void *arg)
{
	struct strv path = STRV_INIT;
	int n = check(schema, value, &path, report, arg);
	strv_release(&path);
	return n;
}

static json_t *
scalar(const struct ynode *n)
{
	if (n->plain_null)
		return json_null();
	if (n->style != YS_PLAIN)
		return json_string(n->value);
	int b;
	long long l;
	double d;
	if (ynode_bool(n, &b) == 0)
		return json_boolean(b);
	if (ynode_long(n, &l) == 0)
		return json_integer(l);
	if (ynode_double(n, &d) == 0 && strpbrk(n->value, ".eE"))
		return json_real(d);
	return json_string(n->value);
}

json_t *
yaml_to_json(const struct ynode *n)
{
	if (!n)
		return json_null();
	switch (n->type) {
	case Y_SCALAR:
		return scalar(n);
	case Y_SEQ: {
		json_t *a = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(a, yaml_to_json(n->items[i]));
		return a;
	}
	case Y_MAP: {
		json_t *o = json_object();
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *k = n->items[2 * i];
			if (k->type == Y_SCALAR && k->value)
				json_object_set_new(o, k->value, yaml_to_json(n->items[2 * i + 1]));
		}
		return o;
	}
	}
	return json_null();
}

const struct ynode *
ynode_at(const struct ynode *root, const struct strv *path)
{
	const struct ynode *n = root;
	for (size_t i = 0; n && i < path->n; i++) {
		const struct ynode *next = NULL;
		if (n->type == Y_MAP)
			next = ymap_get(n, path->v[i]);
		else if (n->type == Y_SEQ) {
			size_t k = (size_t)atol(path->v[i]);
			next = k < n->n ? n->items[k] : NULL;
		}
		if (!next)
			break;
		n = next;
	}
	return n;
}
