/*
 * values.c - range checks of the numbers from the Vast.ai API (see values.h).
 */
#include "vast/values.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


enum vkind { V_NUM, V_INT, V_PORT };	/* a port may be a decimal string too */

static const struct field {
	const char *name;
	enum vkind kind;
	double min, max;
	const char *what;	/* "not <what> from <min> to <max>" */
} fields[] = {
	{ "id", V_INT, 1, (double)VAST_ID_MAX, "an id" },
	{ "machine_id", V_INT, 1, (double)VAST_ID_MAX, "an id" },
	{ "dph_total", V_NUM, 0, VAST_PRICE_MAX, "a price ($/h)" },
	{ "dph_base", V_NUM, 0, VAST_PRICE_MAX, "a price ($/h)" },
	{ "min_bid", V_NUM, 0, VAST_PRICE_MAX, "a price ($/h)" },
	{ "storage_cost", V_NUM, 0, VAST_PRICE_MAX, "a price ($/GB/month)" },
	{ "inet_up_cost", V_NUM, 0, VAST_PRICE_MAX, "a price ($/GB)" },
	{ "inet_down_cost", V_NUM, 0, VAST_PRICE_MAX, "a price ($/GB)" },
	{ "num_gpus", V_INT, 0, 64, "a GPU count" },
	{ "gpu_ram", V_NUM, 0, 1048576, "a size (MB)" },
	{ "disk_space", V_NUM, 0, 1e6, "a size (GB)" },
	{ "cpu_cores", V_NUM, 0, 4096, "a core count" },
	{ "cpu_cores_effective", V_NUM, 0, 4096, "a core count" },
	{ "dlperf", V_NUM, 0, 1e6, "a DLPerf score" },
	{ "dlperf_per_dphtotal", V_NUM, 0, 1e9, "a DLPerf per $/h" },
	{ "reliability", V_NUM, 0, 1, "a fraction" },
	{ "reliability2", V_NUM, 0, 1, "a fraction" },
	{ "ssh_port", V_PORT, 1, 65535, "a port" },
	{ "duration", V_NUM, 0, 1e10, "a duration (s)" },
	{ "start_date", V_NUM, 0, 1e11, "a time (epoch s)" },
};

static const struct field host_port = { "HostPort", V_PORT, 1, 65535, "a port" };

/* v as a number in range for f: 1, else 0. */
static int
in_range(const struct field *f, const json_t *v)
{
	double d;

	if (json_is_integer(v))
		d = (double)json_integer_value(v);
	else if (json_is_real(v))
		d = json_real_value(v);
	else if (f->kind == V_PORT && json_is_string(v)) {
		long long n;
		if (parse_long(json_string_value(v), &n) < 0)
			return 0;
		d = (double)n;
	} else
		return 0;
	if (!isfinite(d) || d < f->min || d > f->max)
		return 0;
	return f->kind == V_NUM || d == floor(d);
}

/* "dph_total is 1e+300, not a price ($/h) from 0 to 1000" */
static void
add_why(struct buf *why, const char *path, const struct field *f, const json_t *v)
{
	if (!why)
		return;
	if (why->len)
		buf_adds(why, "; ");
	buf_addf(why, "%s is ", path);
	if (json_is_integer(v)) {
		buf_addf(why, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		buf_addf(why, "%.6g", json_real_value(v));
	} else if (json_is_string(v)) {
		char *d = vast_disp(json_string_value(v), 24, "");
		buf_addf(why, "the string \"%s\"", d);
		free(d);
	} else {
		buf_adds(why, json_is_object(v) ? "an object" : json_is_array(v) ? "a list" :
			 json_is_true(v) ? "true" : "false");
	}
	buf_addf(why, ", not %s from %.16g to %.16g", f->what, f->min, f->max);
}

/* The 22/tcp host ports of row: bad ones counted (and removed when fix). */
static int
check_ports(json_t *row, struct buf *why, int fix)
{
	json_t *maps = json_object_get(json_object_get(row, "ports"), "22/tcp"), *m;
	size_t i;
	int bad = 0;

	if (!json_is_array(maps))
		return 0;
	json_array_foreach(maps, i, m) {
		json_t *hp = json_object_get(m, "HostPort");
		if (!hp || json_is_null(hp) || in_range(&host_port, hp))
			continue;
		add_why(why, "ports[\"22/tcp\"].HostPort", &host_port, hp);
		if (fix)
			json_object_del(m, "HostPort");
		bad++;
	}
	return bad;
}

/* Check row; with fix, remove what is bad.  The number of bad fields. */
static int
check(json_t *row, struct buf *why, int fix)
{
	int bad = 0;

	if (!json_is_object(row)) {
		if (why)
			buf_addf(why, "%sthe row is not an object", why->len ? "; " : "");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = json_object_get(row, fields[i].name);
		if (!v || json_is_null(v) || in_range(&fields[i], v))
			continue;
		add_why(why, fields[i].name, &fields[i], v);
		if (fix)
			json_object_del(row, fields[i].name);
		bad++;
	}
	return bad + check_ports(row, why, fix);
}

int
vast_row_check(const json_t *row, struct buf *why)
{
	return check((json_t *)row, why, 0);
}

int
vast_row_screen(json_t *row)
{
	struct buf why = BUF_INIT;
	int bad;

	if (!json_is_object(row))
		return 1;
	bad = check(row, &why, 1);
	if (bad && !vast_row_refused(row))
		json_object_set_new(row, VAST_REFUSED, json_string(why.s));
	buf_release(&why);
	return bad;
}

const char *
vast_row_refused(const json_t *row)
{
	return json_string_value(json_object_get(row, VAST_REFUSED));
}

int
vast_json_id(const json_t *v, long long *out)
{
	if (!in_range(&fields[0], v))
		return -1;
	*out = json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_real_value(v);
	return 0;
}

/* ---- showing what the API sent ---- */

/* Length of the UTF-8 character at p, or 0 if it is not a valid one. */
static size_t
u8len(const unsigned char *p)
{
	size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
	if (!n || strnlen((const char *)p, n) < n || !utf8_valid((const char *)p, n))
		return 0;
	return n;
}

char *
vast_disp(const char *s, size_t max, const char *dflt)
{
	struct buf b = BUF_INIT;
	size_t total = 0, limit;
	const unsigned char *p;

	if (!s || !*s)
		return xstrdup(dflt ? dflt : "");
	for (p = (const unsigned char *)s; *p; total++) {
		size_t n = u8len(p);
		p += n ? n : 1;
	}
	limit = max && total > max ? (max > 3 ? max - 3 : 0) : total;
	p = (const unsigned char *)s;
	for (size_t i = 0; i < limit; i++) {
		size_t n = u8len(p);
		if (!n || *p < 0x20 || *p == 0x7f) {
			buf_addc(&b, '?');
			p++;
		} else {
			buf_add(&b, p, n);
			p += n;
		}
	}
	if (limit < total)
		buf_adds(&b, "...");
	return buf_detach(&b);
}

char *
vast_disp_field(const json_t *row, const char *k, size_t max, const char *dflt)
{
	return vast_disp(json_string_value(json_object_get(row, k)), max, dflt);
}
