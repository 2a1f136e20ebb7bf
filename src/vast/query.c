/*
 * query.c - the offer query language, parsed as the official CLI does.
 *
 * The CLI reads terms with one regular expression, roughly
 *
 *	FIELD ( SPACES* SYMBOLS | SPACES+ WORD SPACE )? SPACES* VALUE? SPACES*
 *
 * applied repeatedly; any character no match covers is "unconsumed text".
 * scan() below walks the string the same way, by hand, and remembers where
 * each piece started so errors can point at it.  Then each term is turned
 * into JSON in the CLI's order: strip ",[]" from the value, look up the
 * operator, apply the alias, convert driver_version, warn on an unknown
 * field, split lists, refuse blanks, handle wildcards, turn underscores into
 * spaces and drop quotes, apply a unit multiplier or map true/false/null.
 */
#include "vast/query.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Offer fields the CLI knows (vastai/api/query.py offers_fields). */
static const char *const known_fields[] = {
	"bw_nvlink", "cluster_id", "compute_cap", "cpu_arch", "cpu_cores",
	"cpu_cores_effective", "cpu_ghz", "cpu_ram", "cuda_max_good", "datacenter",
	"direct_port_count", "disk_bw", "disk_space", "dlperf", "dlperf_per_dphtotal",
	"dph_total", "driver_version", "duration", "external", "flops_per_dphtotal",
	"geolocation", "gpu_arch", "gpu_display_active", "gpu_frac", "gpu_max_power",
	"gpu_max_temp", "gpu_mem_bw", "gpu_name", "gpu_ram", "gpu_total_ram",
	"has_avx", "host_id", "id", "inet_down", "inet_down_cost", "inet_up",
	"inet_up_cost", "machine_id", "min_bid", "mobo_name", "num_gpus", "pci_gen",
	"pcie_bw", "reliability", "rentable", "rented", "static_ip", "storage_cost",
	"total_flops", "ubuntu_version", "verification", "verified", "vms_enabled",
};

static const struct {
	const char *from, *to;
} aliases[] = {
	{ "cuda_vers", "cuda_max_good" },
	{ "display_active", "gpu_display_active" },
	{ "dlperf_usd", "dlperf_per_dphtotal" },
	{ "dph", "dph_total" },
	{ "flops_usd", "flops_per_dphtotal" },
};

static const struct {
	const char *field;
	double mult;
} multipliers[] = {
	{ "cpu_ram", 1000.0 },
	{ "gpu_ram", 1000.0 },
	{ "gpu_total_ram", 1000.0 },
	{ "duration", 86400.0 },
};

static const struct {
	const char *written, *op;
} operators[] = {
	{ "=", "eq" }, { "==", "eq" }, { "eq", "eq" },
	{ "!=", "neq" }, { "neq", "neq" }, { "noteq", "neq" }, { "not eq", "neq" },
	{ ">", "gt" }, { "gt", "gt" }, { ">=", "gte" }, { "gte", "gte" },
	{ "<", "lt" }, { "lt", "lt" }, { "<=", "lte" }, { "lte", "lte" },
	{ "in", "in" },
	{ "notin", "notin" }, { "not in", "notin" }, { "nin", "notin" },
};

/* Word operators, in the order the CLI's expression tries them. */
static const char *const word_ops[] = {
	"lte", "lt", "gte", "gt", "nin", "neq", "eq", "not eq", "noteq", "not in", "notin", "in",
};

const char *
vast_field_alias(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(name, aliases[i].from))
			return aliases[i].to;
	return name;
}

int
vast_known_offer_field(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_fields); i++)
		if (!strcmp(name, known_fields[i]))
			return 1;
	return 0;
}

static const char *
op_name(const char *written)
{
	for (size_t i = 0; i < ARRAY_SIZE(operators); i++)
		if (!strcmp(written, operators[i].written))
			return operators[i].op;
	return NULL;
}

long long
vast_driver_version(const char *s)
{
	struct buf digits = BUF_INIT;
	long long v = -1;
	int groups = 0;
	const char *p = s;

	for (;;) {
		size_t n = strspn(p, "0123456789");
		if (p[n] != '.' && p[n] != 0)
			goto out;
		groups++;
		for (size_t i = n; i < 3; i++)	/* zero-pad each group to 3 digits */
			buf_addc(&digits, '0');
		buf_add(&digits, p, n);
		if (!p[n])
			break;
		p += n + 1;
	}
	if (groups != 3 || digits.len > 18)
		goto out;
	if (parse_long(digits.s, &v) < 0)
		v = -1;
out:
	buf_release(&digits);
	return v;
}

/* ---- scanning ---- */

struct term {
	char *field, *op, *value;	/* op and value may be "" */
	size_t at, op_at, value_at;	/* 0-based offsets into the original string */
};

struct terms {
	struct term *v;
	size_t n, alloc;
};

static void
terms_release(struct terms *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].field);
		free(t->v[i].op);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

static int
field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int
symbol_char(char c)
{
	return c == '=' || c == '>' || c == '<' || c == '!';
}

/* Append at most 40 characters of s, for messages: control characters
 * become '?', so that a message stays one line. */
static void
add_excerpt(struct buf *b, const char *s)
{
	size_t n = strlen(s), show = n > 40 ? 37 : n;
	for (size_t i = 0; i < show; i++)
		buf_addc(b, (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i]);
	if (show < n)
		buf_adds(b, "...");
}

/*
 * Split s (spaces only, already trimmed; off = where s starts in the text
 * the user wrote) into terms.  -1 with *err on unconsumed text.
 */
static int
scan(const char *s, size_t off, struct terms *out, struct buf *err)
{
	size_t i = 0, n = strlen(s);

	while (i < n) {
		struct term t = { NULL, NULL, NULL, 0, 0, 0 };
		size_t f0 = i, j, k;

		if (!field_char(s[i])) {
			buf_addf(err, "unconsumed text at column %zu: '", off + i + 1);
			add_excerpt(err, s + i);
			buf_adds(err, "' (a term is FIELD OP VALUE; did you forget to quote your query?)");
			return -1;
		}
		while (field_char(s[i]))
			i++;
		t.at = off + f0;
		t.field = xstrndup(s + f0, i - f0);

		/* operator: spaces then a run of symbols, or spaces, a word, a space */
		for (j = i; s[j] == ' '; j++)
			;
		t.op_at = off + j;
		if (symbol_char(s[j])) {
			for (k = j; symbol_char(s[k]); k++)
				;
			t.op = xstrndup(s + j, k - j);
			i = k;
		} else if (j > i) {
			for (size_t w = 0; w < ARRAY_SIZE(word_ops); w++) {
				size_t len = strlen(word_ops[w]);
				if (!strncmp(s + j, word_ops[w], len) && s[j + len] == ' ') {
					t.op = xstrdup(word_ops[w]);
					i = j + len + 1;
					break;
				}
			}
		}
		if (!t.op) {
			t.op = xstrdup("");
			t.op_at = off + i;
		}

		while (s[i] == ' ')
			i++;
		/* value: [list], "quoted", or a run of non-spaces */
		t.value_at = off + i;
		k = i;
		if (s[i] == '[' || s[i] == '"') {
			const char *close = strchr(s + i + 1, s[i] == '[' ? ']' : '"');
			if (close && close > s + i + 1)
				k = (size_t)(close - s) + 1;
		}
		if (k == i)
			while (s[k] && s[k] != ' ')
				k++;
		t.value = xstrndup(s + i, k - i);
		i = k;
		while (s[i] == ' ')
			i++;

		GROW(out->v, out->alloc, out->n + 1);
		out->v[out->n++] = t;
	}
	return 0;
}

/* ---- turning terms into JSON ---- */

static char *
strip_chars(const char *s, const char *set)
{
	size_t a = 0, b = strlen(s);
	while (a < b && strchr(set, s[a]))
		a++;
	while (b > a && strchr(set, s[b - 1]))
		b--;
	return xstrndup(s + a, b - a);
}

/* The CLI's value clean-up: underscores to spaces, then quotes off the ends. */
static char *
clean_value(const char *s)
{
	char *t = xstrdup(s), *r;
	for (char *p = t; *p; p++)
		if (*p == '_')
			*p = ' ';
	r = strip_chars(t, "\"");
	free(t);
	return r;
}

static double
multiplier(const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(multipliers); i++)
		if (!strcmp(field, multipliers[i].field))
			return multipliers[i].mult;
	return 0;
}

static void
term_where(struct buf *err, const struct term *t)
{
	buf_addf(err, " in term '%s%s%s%s%s'", t->field, *t->op && isalpha((unsigned char)*t->op) ? " " : "",
		 t->op, *t->op && isalpha((unsigned char)*t->op) ? " " : "", t->value);
}

static void
warn(struct strv *warnings, const char *msg)
{
	if (warnings)
		strv_push(warnings, msg);
	else
		warning("%s", msg);
}

/* Apply one term to res.  0, or -1 with *err. */
static int
apply(json_t *res, const struct term *t, struct strv *warnings, struct buf *err)
{
	char *value = strip_chars(t->value, ",[]");
	const char *field = vast_field_alias(t->field);
	const char *op = op_name(t->op);
	json_t *jv = NULL, *obj;
	long long dv = 0;
	int have_dv = 0, ret = -1;

	if (!strcmp(field, "driver_version") && strchr(value, '.')) {
		dv = vast_driver_version(value);
		if (dv < 0) {
			buf_addf(err, "bad driver version '%s' at column %zu (want X.Y.Z, e.g. 535.86.05)",
				 value, t->value_at + 1);
			goto out;
		}
		have_dv = 1;
	}
	if (!vast_known_offer_field(field)) {
		char *m = xasprintf("unrecognized offer field '%s' (sent anyway)", field);
		warn(warnings, m);
		free(m);
	}
	if (!op) {
		if (*t->op)
			buf_addf(err, "unknown operator '%s' at column %zu", t->op, t->op_at + 1);
		else
			buf_addf(err, "missing operator after '%s' at column %zu", t->field, t->op_at + 1);
		term_where(err, t);
		buf_adds(err, " (use = != < <= > >= in notin)");
		goto out;
	}

	if (have_dv) {
		if (!strcmp(op, "in") || !strcmp(op, "notin")) {
			buf_addf(err, "driver_version takes one version with '%s'", t->op);
			goto out;
		}
		jv = json_integer(dv);
	} else if (!strcmp(op, "in") || !strcmp(op, "notin")) {
		jv = json_array();
		for (char *p = value; *p;) {
			size_t n = strcspn(p, ",");
			char *item = xstrndup(p, n), *trimmed = strip_chars(item, " \t");
			if (*trimmed) {
				char *c = clean_value(trimmed);
				json_t *js = json_string(c);
				free(c);
				if (!js) {
					buf_addf(err, "value at column %zu is not valid UTF-8", t->value_at + 1);
					free(item);
					free(trimmed);
					goto out;
				}
				json_array_append_new(jv, js);
			}
			free(item);
			free(trimmed);
			p += n;
			if (*p == ',')
				p++;
		}
		if (!json_array_size(jv)) {
			buf_addf(err, "empty list at column %zu", t->value_at + 1);
			term_where(err, t);
			goto out;
		}
		if (multiplier(field)) {
			buf_addf(err, "'%s' takes a number, not a list, at column %zu", field, t->value_at + 1);
			goto out;
		}
	} else {
		if (!*value) {
			buf_addf(err, "missing value at column %zu", t->value_at + 1);
			term_where(err, t);
			goto out;
		}
		if (!strcmp(value, "any") || !strcmp(value, "*") || !strcmp(value, "?")) {
			if (strcmp(op, "eq")) {
				buf_addf(err, "wildcard '%s' only makes sense with '=' (column %zu)",
					 value, t->value_at + 1);
				goto out;
			}
			json_object_del(res, field);
			ret = 0;
			goto out;
		}
		char *c = clean_value(value);
		double m = multiplier(field), d;
		if (m) {
			char *num = strip_chars(c, " \t");
			if (parse_double(num, &d) < 0) {
				buf_addf(err, "'%s' takes a number, not '%s' (column %zu)",
					 field, value, t->value_at + 1);
				free(num);
				free(c);
				goto out;
			}
			free(num);
			if (!isfinite(d * m)) {
				buf_addf(err, "'%s' value '%s' is too large (column %zu)", field, value,
					 t->value_at + 1);
				free(c);
				goto out;
			}
			jv = json_real(d * m);
		} else if (!strcmp(c, "true") || !strcmp(c, "True")) {
			jv = json_true();
		} else if (!strcmp(c, "false") || !strcmp(c, "False")) {
			jv = json_false();
		} else if (!strcmp(c, "null") || !strcmp(c, "None")) {
			jv = json_null();
		} else {
			jv = json_string(c);
		}
		free(c);
		if (!jv) {
			buf_addf(err, "value at column %zu is not valid UTF-8", t->value_at + 1);
			goto out;
		}
	}

	obj = json_object_get(res, field);
	if (!json_is_object(obj)) {
		obj = json_object();
		json_object_set_new(res, field, obj);
	}
	json_object_set(obj, op, jv);
	ret = 0;
out:
	json_decref(jv);
	free(value);
	return ret;
}

/*
 * Scan q (not NULL) into terms: blanks become spaces, the ends are trimmed.
 * *text gets the string the offsets of the terms point into (the caller
 * frees it, also on error).  0, or -1 with *err.
 */
static int
scan_query(const char *q, char **text, struct terms *terms, struct buf *err)
{
	char *s = xstrdup(q);
	size_t a = 0, b;

	for (char *p = s; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
			*p = ' ';
	b = strlen(s);
	while (a < b && s[a] == ' ')
		a++;
	while (b > a && s[b - 1] == ' ')
		b--;
	s[b] = 0;
	*text = s;
	return scan(s + a, a, terms, err);
}

int
vast_query_merge(json_t *res, const char *q, struct strv *warnings, struct buf *err)
{
	struct terms terms = { NULL, 0, 0 };
	char *s = NULL;
	int ret = -1;

	if (!q)
		return 0;
	if (scan_query(q, &s, &terms, err) < 0)
		goto out;
	for (size_t i = 0; i < terms.n; i++)
		if (apply(res, &terms.v[i], warnings, err) < 0)
			goto out;
	ret = 0;
out:
	terms_release(&terms);
	free(s);
	return ret;
}

/* ---- terms as filters: one per field and operator ---- */

/* A term seen as the filter it sets: the canonical field and operator
 * (wild: a wildcard, which deletes the field), and its text as written. */
struct filter {
	const char *field, *op;	/* borrowed from the terms and tables */
	int wild;
	char *text;
};

struct filters {
	struct filter *v;
	size_t n, alloc;
	char *s;		/* the scanned text */
	struct terms terms;
};

static void
filters_release(struct filters *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
	free(f->s);
	terms_release(&f->terms);
	memset(f, 0, sizeof *f);
}

/* The filters of q in order (NULL: none).  0, or -1 with *err. */
static int
filters_of(const char *q, struct filters *f, struct buf *err)
{
	memset(f, 0, sizeof *f);
	if (!q)
		return 0;
	if (scan_query(q, &f->s, &f->terms, err) < 0)
		return -1;
	for (size_t i = 0; i < f->terms.n; i++) {
		const struct term *t = &f->terms.v[i];
		const char *op = op_name(t->op);
		char *value = strip_chars(t->value, ",[]");
		GROW(f->v, f->alloc, f->n + 1);
		struct filter *x = &f->v[f->n++];
		x->field = vast_field_alias(t->field);
		x->op = op ? op : t->op;
		x->wild = op && !strcmp(op, "eq") &&
			  (!strcmp(value, "any") || !strcmp(value, "*") || !strcmp(value, "?"));
		x->text = xstrndup(f->s + t->at, t->value_at + strlen(t->value) - t->at);
		free(value);
	}
	return 0;
}

static int
same_filter(const struct filter *a, const struct filter *b)
{
	if (strcmp(a->field, b->field))
		return 0;
	return a->wild || b->wild || !strcmp(a->op, b->op);
}

char *
vast_query_dedup(const char *q, struct buf *err)
{
	struct filters f;
	struct buf out = BUF_INIT;
	struct strv w = STRV_INIT;
	json_t *scratch = json_object();
	char **kept;
	size_t nkept = 0;
	int bad;

	/* a term that does not parse is an error even when a later one replaces it */
	bad = vast_query_merge(scratch, q, &w, err) < 0;
	json_decref(scratch);
	strv_release(&w);
	if (bad || filters_of(q, &f, err) < 0) {
		if (!bad)
			filters_release(&f);
		return NULL;
	}
	/* kept[i]: the text in the place of filter i, NULL once dropped */
	kept = xcalloc(f.n + 1, sizeof *kept);
	for (size_t i = 0; i < f.n; i++) {
		size_t j;
		if (f.v[i].wild) {
			for (j = 0; j < i; j++)
				if (kept[j] && !strcmp(f.v[j].field, f.v[i].field))
					kept[j] = NULL;
			kept[i] = f.v[i].text;
			continue;
		}
		for (j = 0; j < i; j++)
			if (kept[j] && !f.v[j].wild && same_filter(&f.v[j], &f.v[i]))
				break;
		if (j < i)
			kept[j] = f.v[i].text;
		else
			kept[i] = f.v[i].text;
	}
	buf_adds(&out, "");
	for (size_t i = 0; i < f.n; i++)
		if (kept[i])
			buf_addf(&out, "%s%s", nkept++ ? " " : "", kept[i]);
	free(kept);
	filters_release(&f);
	return buf_detach(&out);
}

int
vast_query_clash(const char *a, const char *b, char **ta, char **tb, struct buf *err)
{
	struct filters fa, fb;
	int ret = -1;

	*ta = *tb = NULL;
	if (filters_of(a, &fa, err) < 0) {
		filters_release(&fa);
		return -1;
	}
	if (filters_of(b, &fb, err) < 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i < fb.n && !ret; i++)
		for (size_t j = 0; j < fa.n; j++)
			if (same_filter(&fa.v[j], &fb.v[i])) {
				*ta = xstrdup(fa.v[j].text);
				*tb = xstrdup(fb.v[i].text);
				ret = 1;
				break;
			}
out:
	filters_release(&fa);
	filters_release(&fb);
	return ret;
}

json_t *
vast_parse_order(const char *spec, struct buf *err)
{
	json_t *order = json_array();
	const char *p = spec ? spec : "score-";

	while (*p) {
		size_t n = strcspn(p, ",");
		char *raw = xstrndup(p, n), *name = strip_chars(raw, " \t"), *field;
		const char *dir = "asc";

		free(raw);
		p += n;
		if (*p == ',')
			p++;
		if (!*name) {
			free(name);
			continue;
		}
		/* the CLI: a '-' at either end means desc, a '+' asc (checked last) */
		field = xstrdup(name);
		{
			char *t = strip_chars(name, "-");
			if (strcmp(t, name)) {
				dir = "desc";
				free(field);
				field = t;
			} else {
				free(t);
			}
		}
		{
			char *t = strip_chars(name, "+");
			if (strcmp(t, name)) {
				dir = "asc";
				free(field);
				field = t;
			} else {
				free(t);
			}
		}
		if (!*field || field[strspn(field, "abcdefghijklmnopqrstuvwxyz"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")]) {
			buf_adds(err, "bad sort field '");
			add_excerpt(err, name);
			buf_adds(err, "' in order '");
			add_excerpt(err, spec ? spec : "");
			buf_adds(err, "' (want e.g. 'dph+,score-')");
			free(field);
			free(name);
			json_decref(order);
			return NULL;
		}
		json_array_append_new(order, json_pack("[ss]", vast_field_alias(field), dir));
		free(field);
		free(name);
	}
	return order;
}

json_t *
vast_offer_query(const char *q, const struct vast_offer_query *o, struct strv *warnings,
		 struct buf *err)
{
	static const struct vast_offer_query defaults = VAST_OFFER_QUERY_INIT;
	json_t *res = json_object(), *order;
	const char *type;

	if (!o)
		o = &defaults;
	type = o->type ? o->type : "on-demand";
	if (!strcmp(type, "interruptible"))
		type = "bid";
	if (strcmp(type, "on-demand") && strcmp(type, "ondemand") && strcmp(type, "bid") &&
	    strcmp(type, "reserved")) {
		buf_addf(err, "unknown offer type '%s' (want on-demand, bid or reserved)", type);
		goto fail;
	}
	if (!o->no_default) {
		json_object_set_new(res, "verified", json_pack("{sb}", "eq", 1));
		json_object_set_new(res, "external", json_pack("{sb}", "eq", 0));
		json_object_set_new(res, "rentable", json_pack("{sb}", "eq", 1));
	}
	if (vast_query_merge(res, q, warnings, err) < 0)
		goto fail;
	if (!(order = vast_parse_order(o->order, err)))
		goto fail;
	json_object_set_new(res, "order", order);
	json_object_set_new(res, "type", json_string(type));
	if (o->limit > 0)
		json_object_set_new(res, "limit", json_integer(o->limit));
	json_object_set_new(res, "allocated_storage", json_real(o->storage));
	return res;
fail:
	json_decref(res);
	return NULL;
}

json_t *
vast_parse_query(const char *q, struct buf *err)
{
	return vast_offer_query(q, NULL, NULL, err);
}
