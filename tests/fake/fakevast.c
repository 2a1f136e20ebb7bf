/*
 * fakevast - a fake Vast.ai REST API (plus GitHub, Hugging Face and W&B key
 * checks) for the ros test suite.  One file, libmicrohttpd + jansson.
 *
 *   fakevast [--state FILE] [--log FILE] [--key KEY] [--port N]
 *
 * Listens on 127.0.0.1 (port 0 = a free one), prints the port on one line of
 * stdout when ready, and stops on SIGTERM/SIGINT.  The state is the JSON
 * scenario object read from FILE; keys it understands:
 *
 *   instances, offers      rows as the real API returns them
 *   user                   reply of /api/v0/users/current/ (default: ros-ci)
 *   api_key                the Vast key; overrides --key (default "testkey")
 *   auth_error_status      status of a bad-key reply (401)
 *   accept_api_key_param   also accept ?api_key=KEY (false)
 *   v0_list_gone           GET /api/v0/instances/ answers 410 (false)
 *   boot_polls             polls a rented instance spends before running (2)
 *   boot_final             status reached at the end of a boot ("running")
 *   ssh_pool               [{ssh_host, ssh_port, public_ipaddr, direct_port}]
 *   reassign_on_start      a start after a stop takes the next ssh_pool entry
 *   offers_regenerate      a rented offer is replaced by a copy with new ids
 *   regen_offer            template of regenerated offers (default: the copy)
 *   regen_machine_ids      machine ids given to regenerated offers, in turn
 *   next_instance_id, next_offer_id, next_machine_id      id counters
 *   tokens                 {"github": T, "hf": T, "wandb": KEY}
 *
 * A rented instance is null on its first poll, loading until boot_polls
 * polls have been served, then running (ports set from the pool entry's
 * direct_port).  A poll is a GET of the instance, a legacy list, or the
 * first page (no after_token) of a v1 list.  Offers marked rented are left
 * out of searches unless the query filters on "rented".
 *
 * Control endpoints (no key needed, not logged):
 *   GET  /__ctl/state   the current scenario
 *   POST /__ctl/state   replace it (boot progress is forgotten)
 *   POST /__ctl/patch   any of {"instance":ID,"set":{..}} {"offer":ID,"set":{..}}
 *                       {"remove_instance":ID} {"add_instance":{..}}
 *                       {"remove_offer":ID} {"add_offer":{..}} {"scenario":{..}};
 *                       setting actual_status stops a boot; "direct_port"
 *                       sets the port a boot will publish
 *   GET  /__ctl/fail    the fault rules not used up yet
 *   POST /__ctl/fail    {"path_prefix":P,"method":M,"status":S,"count":N,
 *                       "body":B,"delay_ms":D,"drop":true} or {"clear":true};
 *                       count defaults to 1, < 0 = forever; status 0 = only
 *                       delay; drop = close the connection without a reply
 *
 * Every other request is appended to the --log file as one JSON line:
 * {"time","method","path","query","headers":{"Authorization","Content-Type"},
 *  "body","status"}; query values are the decoded strings.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define BODY_MAX (8u << 20)
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
#define GET(o, k) json_object_get((o), (k))
#define STR(o, k) json_string_value(json_object_get((o), (k)))
#define IS_TRUE(o, k) json_is_true(json_object_get((o), (k)))
#define QARG(c, k) MHD_lookup_connection_value((c), MHD_GET_ARGUMENT_KIND, (k))
#define HDR(c, k) MHD_lookup_connection_value((c), MHD_HEADER_KIND, (k))

struct req {			/* one request: its body as it arrives */
	char *body;
	size_t len, cap;
	int too_big;
};

struct reply {
	unsigned status;
	char *body;		/* malloc'd */
	const char *ctype;
	int drop;		/* close the connection without replying */
};

struct item {			/* a row being sorted, with its original index */
	json_t *row;
	size_t idx;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;	/* guards all below */
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;	/* wakes delays at exit */
static int g_stopping;
static json_t *g_state;		/* the scenario */
static json_t *g_boot;		/* "id" -> {"p": polls, "dp": direct port, "active": bool} */
static json_t *g_fails;		/* fault rules */
static const char *g_cli_key;
static FILE *g_log;
static long long g_next_inst = 40000001, g_next_offer = 29000001;
static long long g_next_machine = 70000001, g_regen_n;
static size_t g_pool_next;

static const char *or_str(const char *s, const char *def) { return s ? s : def; }
static json_t *or_null(json_t *j) { return j ? j : json_null(); }
static int is_null(json_t *j) { return !j || json_is_null(j); }

/* Integer value of field k of o (a number or a numeric string), or def. */
static long long ival(json_t *o, const char *k, long long def)
{
	json_t *v = GET(o, k);
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	if (!json_is_string(v))
		return def;
	n = strtoll(json_string_value(v), &end, 10);
	return end != json_string_value(v) && !*end ? n : def;
}

/* Field k of o as an array (borrowed), created when missing. */
static json_t *arr(json_t *o, const char *k)
{
	json_t *a = GET(o, k);

	if (!json_is_array(a))
		json_object_set_new(o, k, a = json_array());
	return a;
}

/* Index in a of the row whose "id" is id, or -1. */
static long find_id(json_t *a, long long id)
{
	size_t i;
	json_t *r;

	json_array_foreach(a, i, r)
		if (json_is_object(r) && ival(r, "id", -1) == id)
			return (long)i;
	return -1;
}

/* A number, or a string holding only a number. */
static int num_of(json_t *v, double *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 1;
	}
	if (!s)
		return 0;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return end != s && !*end;
}

/* Truth of a value compared with a boolean: null is false; "true"/"false"
 * strings and numbers count too. */
static int truth_of(json_t *v, int *out)
{
	const char *s = json_string_value(v);
	double d;

	if (is_null(v) || json_is_boolean(v))
		*out = json_is_true(v);
	else if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false")))
		*out = !strcasecmp(s, "true");
	else if (num_of(v, &d))
		*out = d != 0;
	else
		return 0;
	return 1;
}

/* Compare a row value with a query value: -1, 0, 1, or 2 if incomparable.
 * Numeric strings compare as numbers. */
static int vcmp(json_t *a, json_t *b)
{
	double x, y;
	int p, q, c;

	if (json_is_boolean(a) || json_is_boolean(b)) {
		if (!truth_of(a, &p) || !truth_of(b, &q))
			return 2;
		return (p > q) - (p < q);
	}
	if (is_null(a) || is_null(b))
		return is_null(a) && is_null(b) ? 0 : 2;
	if (num_of(a, &x) && num_of(b, &y))
		return (x > y) - (x < y);
	if (json_is_string(a) && json_is_string(b)) {
		c = strcmp(json_string_value(a), json_string_value(b));
		return (c > 0) - (c < 0);
	}
	return json_equal(a, b) ? 0 : 2;
}

/* Does a geolocation like "Oregon, US" match a code like "US"?  The last
 * comma-separated token is compared, or the whole string. */
static int geo_match(json_t *row_val, json_t *code)
{
	const char *g = json_string_value(row_val), *c = json_string_value(code), *t;
	size_t n;

	if (!g || !c)
		return 0;
	t = strrchr(g, ',');
	for (t = t ? t + 1 : g; isspace((unsigned char)*t); t++)
		;
	for (n = strlen(t); n && isspace((unsigned char)t[n - 1]); n--)
		;
	return (n == strlen(c) && !strncasecmp(t, c, n)) || !strcasecmp(g, c);
}

/* Does row value rv satisfy "op qv"?  Unknown operators are ignored. */
static int op_match(json_t *rv, const char *op, json_t *qv, int geo)
{
	size_t i;
	json_t *e;
	int c, hit = 0;

	if (!strcmp(op, "in") || !strcmp(op, "notin") || !strcmp(op, "nin")) {
		if (!json_is_array(qv))
			hit = vcmp(rv, qv) == 0 || (geo && geo_match(rv, qv));
		json_array_foreach(qv, i, e)
			if (vcmp(rv, e) == 0 || (geo && geo_match(rv, e)))
				hit = 1;
		return op[0] == 'i' ? hit : !hit;
	}
	c = vcmp(rv, qv);
	if (geo && c != 0 && geo_match(rv, qv))
		c = 0;
	if (!strcmp(op, "eq"))
		return c == 0;
	if (!strcmp(op, "neq") || !strcmp(op, "noteq"))
		return c != 0;
	if (!strcmp(op, "gt") || !strcmp(op, "gte"))
		return c == 1 || (op[2] && c == 0);
	if (!strcmp(op, "lt") || !strcmp(op, "lte"))
		return c == -1 || (op[2] && c == 0);
	return 1;
}

/* Does row pass every filter of filt?  For offers, fields the row lacks are
 * ignored, the query-only "verified" and "datacenter" map onto stored
 * columns, and query keys that are not filters are skipped.  For instances
 * a missing field is null. */
static int row_matches(json_t *row, json_t *filt, int offers)
{
	const char *k, *op;
	json_t *cond, *qv, *rv, *tmp;
	int ok;

	json_object_foreach(filt, k, cond) {
		if (offers && (!strcmp(k, "order") || !strcmp(k, "type") || !strcmp(k, "limit") ||
		    !strcmp(k, "allocated_storage") || !strcmp(k, "select_cols")))
			continue;
		rv = GET(row, k);
		tmp = NULL;
		if (offers && !rv && !strcmp(k, "verified"))
			rv = tmp = json_boolean(!strcmp(or_str(STR(row, "verification"), ""), "verified"));
		else if (offers && !rv && !strcmp(k, "datacenter"))
			rv = tmp = json_boolean(ival(row, "hosting_type", 0) >= 1);
		else if (offers && !rv)
			continue;
		ok = 1;
		if (json_is_object(cond)) {
			json_object_foreach(cond, op, qv)
				ok = ok && op_match(rv, op, qv, !strcmp(k, "geolocation"));
		} else
			ok = vcmp(rv, cond) == 0;
		json_decref(tmp);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Compare two rows under [[field, "asc"|"desc"], ...]; nulls sort last in
 * either direction; 0 on a tie. */
static int order_rows(json_t *order, json_t *ra, json_t *rb)
{
	size_t i;
	json_t *o, *a, *b;
	const char *f;
	int c;

	json_array_foreach(order, i, o) {
		if (!(f = json_string_value(json_array_get(o, 0))))
			continue;
		a = GET(ra, f);
		b = GET(rb, f);
		if (is_null(a) != is_null(b))
			return is_null(a) ? 1 : -1;
		if ((c = vcmp(a, b)) == 2)
			c = 0;
		if (!strcasecmp(or_str(json_string_value(json_array_get(o, 1)), ""), "desc"))
			c = -c;
		if (c)
			return c;
	}
	return 0;
}

static int item_cmp(const void *pa, const void *pb, void *order)
{
	const struct item *a = pa, *b = pb;
	int c = order_rows(order, a->row, b->row);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* The rows of a that pass filt, sorted by order (stable); *n gets their
 * count.  The caller frees the result. */
static struct item *select_rows(json_t *a, json_t *filt, json_t *order, int offers,
    int skip_rented, size_t *n)
{
	struct item *v = calloc(json_array_size(a) + 1, sizeof *v);
	size_t i;
	json_t *r;

	*n = 0;
	json_array_foreach(a, i, r) {
		if (!v || !json_is_object(r) || !row_matches(r, filt, offers) ||
		    (skip_rented && IS_TRUE(r, "rented")))
			continue;
		v[*n].row = r;
		v[(*n)++].idx = i;
	}
	if (v)
		qsort_r(v, *n, sizeof *v, item_cmp, order);
	return v;
}

/* Reply with JSON j (stolen). */
static int set_json(struct reply *r, unsigned status, json_t *j)
{
	free(r->body);
	r->status = status;
	r->body = json_dumps(j, DUMP_FLAGS);
	r->ctype = "application/json";
	json_decref(j);
	return 0;
}

static int set_err(struct reply *r, unsigned status, const char *err, const char *msg)
{
	return set_json(r, status, json_pack("{s:b,s:s,s:s}", "success", 0, "error", err, "msg", msg));
}

static int set_ok(struct reply *r)
{
	return set_json(r, 200, json_pack("{s:b}", "success", 1));
}

/* Reply with a raw body: application/json when it parses, else text/plain. */
static void set_text(struct reply *r, unsigned status, const char *s)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);

	free(r->body);
	r->status = status;
	r->body = strdup(s);
	r->ctype = j ? "application/json" : "text/plain";
	json_decref(j);
}

/* Set the status of a booting row that has been polled p times. */
static void boot_set(json_t *row, json_t *t, long long p)
{
	const char *fin = or_str(STR(g_state, "boot_final"), "running");
	char msg[1100], port[32];

	if (p < ival(g_state, "boot_polls", 2)) {
		json_object_set_new(row, "actual_status", p ? json_string("loading") : json_null());
		json_object_set_new(row, "status_msg", p ? json_string("Pulling image layers") : json_null());
		json_object_set_new(row, "ports", json_null());
		return;
	}
	json_object_set_new(row, "actual_status", json_string(fin));
	json_object_set_new(t, "active", json_false());
	if (strcmp(fin, "running"))
		return;
	snprintf(msg, sizeof msg, "success, running %s/ssh", or_str(STR(row, "image_uuid"), "image"));
	json_object_set_new(row, "status_msg", json_string(msg));
	json_object_set_new(row, "uptime_mins", json_real(0.0));
	if (ival(t, "dp", -1) >= 0) {
		snprintf(port, sizeof port, "%lld", ival(t, "dp", 0));
		json_object_set_new(row, "ports", json_pack("{s:[{s:s,s:s}]}", "22/tcp",
		    "HostIp", "0.0.0.0", "HostPort", port));
	}
}

/* The boot tracker of instance id (borrowed); created when make is set. */
static json_t *tracker(long long id, int make)
{
	char key[32];
	json_t *t;

	snprintf(key, sizeof key, "%lld", id);
	if (!(t = GET(g_boot, key)) && make)
		json_object_set_new(g_boot, key, t = json_pack("{s:i,s:n,s:b}", "p", 0, "dp", "active", 0));
	return t;
}

/* One poll of an instance row: advance its boot, if it is booting. */
static void boot_poll(json_t *row)
{
	json_t *t = tracker(ival(row, "id", -1), 0);
	long long p = ival(t, "p", 0);

	if (!IS_TRUE(t, "active"))
		return;
	boot_set(row, t, p);
	json_object_set_new(t, "p", json_integer(p + 1));
}

/* Start booting row as if polled p times; fresh: take the next pool entry. */
static void boot_start(json_t *row, long long p, int fresh)
{
	json_t *pool = GET(g_state, "ssh_pool"), *t = tracker(ival(row, "id", -1), 1), *e;
	const char *k[] = { "ssh_host", "ssh_port", "public_ipaddr" };
	int i;

	if (fresh && json_array_size(pool)) {
		e = json_array_get(pool, g_pool_next++ % json_array_size(pool));
		for (i = 0; i < 3; i++)
			if (GET(e, k[i]))
				json_object_set(row, k[i], GET(e, k[i]));
		json_object_set(t, "dp", or_null(GET(e, "direct_port")));
	} else if (fresh) {
		json_object_update_new(row, json_pack("{s:s,s:i,s:s}", "ssh_host", "127.0.0.1",
		    "ssh_port", 22, "public_ipaddr", "127.0.0.1"));
		json_object_set_new(t, "dp", json_integer(22));
	}
	json_object_set_new(t, "p", json_integer(p));
	json_object_set_new(t, "active", json_true());
	boot_set(row, t, p);
}

static const char *vast_key(void)
{
	return or_str(STR(g_state, "api_key"), g_cli_key ? g_cli_key : "testkey");
}

/* PUT /api/v0/asks/{oid}/: rent an offer. */
static void h_rent(struct reply *r, long long oid, json_t *body)
{
	static const char *const from_offer[] = { "machine_id", "host_id", "gpu_name",
		"num_gpus", "gpu_ram", "gpu_totalram", "cpu_cores", "cpu_cores_effective", "cpu_ram",
		"dph_base", "dph_total", "dlperf", "dlperf_per_dphtotal", "reliability2", "inet_up",
		"inet_down", "direct_port_count", "geolocation", "verification", NULL };
	json_t *offers = arr(g_state, "offers"), *o, *row, *v, *pairs = json_array(), *n, *m;
	json_t *tpl = GET(g_state, "regen_offer"), *mids = GET(g_state, "regen_machine_ids");
	long i = find_id(offers, oid);
	long long id, noid;
	const char *k;
	char msg[160], key[40];
	double now = (double)time(NULL);

	o = i < 0 ? NULL : json_array_get(offers, (size_t)i);
	if (!o || IS_TRUE(o, "rented")) {
		json_decref(pairs);
		snprintf(msg, sizeof msg, "error 404/3603: no_such_ask Instance type by id %lld is not available.", oid);
		set_json(r, 404, json_pack("{s:b,s:s,s:s,s:I}", "success", 0, "error", "invalid_args",
		    "msg", msg, "ask_id", (json_int_t)oid));
		return;
	}
	if (!json_is_string(GET(body, "image")) && !json_is_string(GET(body, "template_hash_id"))) {
		json_decref(pairs);
		set_err(r, 400, "invalid_args", "image is required");
		return;
	}
	json_object_foreach(GET(body, "env"), k, v)
		json_array_append_new(pairs, json_pack("[sO]", k, v));
	id = g_next_inst++;
	row = json_pack("{s:I,s:n,s:s,s:s,s:s,s:n,s:O,s:O,s:O,s:[],s:o,s:O,s:O,s:s,s:s,s:n,"
	    "s:f,s:f,s:n,s:n,s:[]}", "id", (json_int_t)id, "actual_status",
	    "intended_status", "running", "cur_state", "running", "next_state", "running", "status_msg",
	    "label", or_null(GET(body, "label")), "image_uuid", or_null(GET(body, "image")),
	    "image_runtype", GET(body, "runtype") ? GET(body, "runtype") : json_string("ssh"),
	    "image_args", "extra_env", pairs, "onstart", or_null(GET(body, "onstart")),
	    "disk_space", GET(body, "disk") ? GET(body, "disk") : json_real(10.0),
	    "ssh_idx", "", "local_ipaddrs", "127.0.0.1 \n", "ports",
	    "start_date", now, "end_date", now + (double)ival(o, "duration", 2592000),
	    "uptime_mins", "template_id", "volume_info");
	if (!GET(body, "runtype"))	/* "O" took a reference to the fresh default */
		json_decref(GET(row, "image_runtype"));
	if (!GET(body, "disk"))
		json_decref(GET(row, "disk_space"));
	for (i = 0; from_offer[i]; i++)
		if (GET(o, from_offer[i]))
			json_object_set(row, from_offer[i], GET(o, from_offer[i]));
	json_array_append_new(arr(g_state, "instances"), row);
	boot_start(row, 0, 1);

	if (IS_TRUE(g_state, "offers_regenerate")) {
		noid = g_next_offer++;
		m = json_array_size(mids) ? json_array_get(mids, g_regen_n++ % json_array_size(mids)) : NULL;
		n = json_deep_copy(json_is_object(tpl) ? tpl : o);
		json_object_update_new(n, json_pack("{s:I,s:I,s:I,s:I,s:b,s:b}", "id", (json_int_t)noid,
		    "ask_contract_id", (json_int_t)noid, "bundle_id", (json_int_t)(noid + 700000000),
		    "machine_id", (json_int_t)(json_is_integer(m) ? json_integer_value(m) : g_next_machine++),
		    "rented", 0, "rentable", 1));
		json_array_set_new(offers, (size_t)find_id(offers, oid), n);
	} else
		json_object_set_new(o, "rented", json_true());
	snprintf(key, sizeof key, "fa%014llx%016llx", id, (unsigned long long)id * 2654435761u);
	set_json(r, 200, json_pack("{s:b,s:I,s:s}", "success", 1, "new_contract", (json_int_t)id,
	    "instance_api_key", key));
}

/* Search offers: the query object POSTed to /api/v0/bundles/. */
static void h_offers(struct reply *r, json_t *q)
{
	json_t *norm = json_array(), *out = json_array(), *o;
	struct item *v;
	size_t n, i;
	long long limit = ival(q, "limit", -1);

	if (!json_is_object(q)) {
		json_decref(norm);
		json_decref(out);
		set_err(r, 400, "invalid_args", "query must be a JSON object");
		return;
	}
	json_array_foreach(GET(q, "order"), i, o)
		if (json_is_array(o) || json_is_string(o))
			json_array_append_new(norm, json_is_array(o) ? json_incref(o) : json_pack("[Os]", o, "asc"));
	v = select_rows(arr(g_state, "offers"), q, norm, 1, !GET(q, "rented"), &n);
	for (i = 0; v && i < n && (limit < 0 || (long long)i < limit); i++)
		json_array_append(out, v[i].row);
	free(v);
	json_decref(norm);
	set_json(r, 200, json_pack("{s:o}", "offers", out));
}

/* GET /api/v1/instances/: select_filters, order_by, limit, after_token.  A
 * page token is "<index>.<id>" of the row after the page and the id of the
 * page's last row: the next page starts after that row, or at the index if
 * the row has gone. */
static int h_list_v1(struct reply *r, struct MHD_Connection *c)
{
	static const char *const computed[] = { "dph_total", "dph_base", "num_gpus", "dlperf",
		"dlperf_per_dphtotal", "score", "uptime_mins", "duration", NULL };
	const char *ls = QARG(c, "limit"), *tok = QARG(c, "after_token"), *ob = QARG(c, "order_by");
	const char *sf = QARG(c, "select_filters"), *key;
	json_t *filt = sf ? json_loads(sf, 0, NULL) : json_object();
	json_t *obj = ob ? json_loads(ob, 0, NULL) : json_array(), *lim = NULL, *e;
	json_t *order = json_array(), *page = json_array(), *counts = json_object();
	json_t *insts = arr(g_state, "instances");
	struct item *v = NULL;
	size_t n = 0, i, start = 0;
	long long limit = 25, last = -1;
	int used = 0;
	char msg[200], next[64];

	lim = ls ? json_loads(ls, JSON_DECODE_ANY, NULL) : NULL;	/* json_is_* evaluate twice */
	if (ls && !json_is_integer(lim)) {
		set_err(r, 400, "invalid_args", "limit must be an integer");
		goto out;
	}
	if (lim && (limit = json_integer_value(lim)) > 25)
		limit = 25;
	else if (limit <= 0)
		limit = 5;
	if (tok && (sscanf(tok, "%zu.%lld%n", &start, &last, &used) != 2 || tok[used])) {
		set_err(r, 400, "invalid_token", "Invalid after_token");
		goto out;
	}
	if (!json_is_object(filt) || !json_is_array(obj)) {
		set_err(r, 400, "invalid_args", "select_filters must be an object, order_by an array");
		goto out;
	}
	for (i = 0; computed[i]; i++)
		if (GET(filt, computed[i])) {
			snprintf(msg, sizeof msg, "%s is not a valid search key", computed[i]);
			set_err(r, 400, "invalid_args", msg);
			goto out;
		}
	json_array_foreach(obj, i, e) {
		if (json_is_string(GET(e, "col")))
			json_array_append_new(order, json_pack("[Os]", GET(e, "col"), or_str(STR(e, "dir"), "asc")));
		else if (json_is_string(json_array_get(e, 0)))
			json_array_append(order, e);
	}
	json_array_append_new(order, json_pack("[ss]", "id", "asc"));
	if (!tok)
		json_array_foreach(insts, i, e)
			boot_poll(e);
	v = select_rows(insts, filt, order, 0, 0, &n);
	for (i = 0; v && i < n; i++) {
		key = or_str(STR(v[i].row, "label"), "");
		json_object_set_new(counts, key, json_integer(ival(counts, key, 0) + 1));
		if (tok && ival(v[i].row, "id", -1) == last)
			start = i + 1;
	}
	for (i = start; v && i < n && (long long)(i - start) < limit; i++)
		json_array_append(page, v[i].row);
	if (v && i < n)
		snprintf(next, sizeof next, "%zu.%lld", i, ival(v[i - 1].row, "id", -1));
	set_json(r, 200, json_pack("{s:b,s:I,s:I,s:O,s:s?,s:O}", "success", 1,
	    "instances_found", (json_int_t)json_array_size(page), "total_instances", (json_int_t)n,
	    "label_counts", counts, "next_token", v && i < n ? next : NULL, "instances", page));
out:
	free(v);
	json_decref(filt);
	json_decref(obj);
	json_decref(lim);
	json_decref(order);
	json_decref(page);
	json_decref(counts);
	return 0;
}

/* PUT /api/v0/instances/{id}/: start, stop, label. */
static int h_manage(struct reply *r, json_t *row, json_t *body)
{
	const char *st = STR(body, "state"), *cur = STR(row, "actual_status");
	json_t *lab = GET(body, "label"), *t, *p22 = GET(GET(row, "ports"), "22/tcp");

	if (!(json_is_string(lab) || json_is_null(lab)) && !st)
		return set_err(r, 400, "invalid_args", "expected state or label");
	if (json_is_string(lab) || json_is_null(lab))
		json_object_set(row, "label", lab);
	if (st && !strcmp(st, "stopped")) {
		t = tracker(ival(row, "id", -1), 1);
		if (json_array_size(p22))
			json_object_set_new(t, "dp", json_integer(ival(json_array_get(p22, 0), "HostPort", 22)));
		json_object_set_new(t, "active", json_false());
		json_object_update_new(row, json_pack("{s:s,s:s,s:s,s:n}", "actual_status", "stopped",
		    "intended_status", "stopped", "cur_state", "stopped", "ports"));
	} else if (st && !strcmp(st, "running")) {
		json_object_update_new(row, json_pack("{s:s,s:s}", "intended_status", "running",
		    "cur_state", "running"));
		if (!cur || strcmp(cur, "running"))
			boot_start(row, 1, IS_TRUE(g_state, "reassign_on_start"));
	} else if (st)
		return set_err(r, 400, "invalid_args", "state must be running or stopped");
	return set_ok(r);
}

/* Is the Authorization header "Bearer WANT" (or "token WANT")? */
static int bearer_is(struct MHD_Connection *c, const char *want, int allow_token)
{
	const char *a = HDR(c, "Authorization");

	if (!a || !want || !*want)
		return 0;
	if (!strncasecmp(a, "Bearer ", 7))
		return !strcmp(a + 7, want);
	return allow_token && !strncasecmp(a, "token ", 6) && !strcmp(a + 6, want);
}

/* Is the Authorization header HTTP basic auth for "api:WANT"? */
static int basic_is(struct MHD_Connection *c, const char *want)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *a = HDR(c, "Authorization"), *s, *p;
	char out[512];
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	if (!a || !want || !*want || strncasecmp(a, "Basic ", 6))
		return 0;
	for (s = a + 6; *s && *s != '='; s++) {
		if (!(p = strchr(tab, *s)) || n + 1 >= sizeof out)
			return 0;
		acc = (acc << 6) | (unsigned)(p - tab);
		if ((bits += 6) >= 8)
			out[n++] = (char)((acc >> (bits -= 8)) & 0xff);
	}
	out[n] = '\0';
	return !strncmp(out, "api:", 4) && !strcmp(out + 4, want);
}

/* GitHub GET /user, Hugging Face GET /api/whoami-v2, W&B POST /graphql. */
static int h_tokens(struct reply *r, struct MHD_Connection *c, const char *method,
    const char *path, json_t *body)
{
	json_t *toks = GET(g_state, "tokens");
	const char *q = STR(body, "query");

	if (!strcmp(path, "/user") && !strcmp(method, "GET")) {
		if (bearer_is(c, STR(toks, "github"), 1))
			set_json(r, 200, json_pack("{s:s,s:i}", "login", "ros-ci", "id", 4188));
		else
			set_json(r, 401, json_pack("{s:s,s:s}", "message", "Bad credentials",
			    "documentation_url", "https://docs.github.com/rest"));
	} else if (!strcmp(path, "/api/whoami-v2") && !strcmp(method, "GET")) {
		if (bearer_is(c, STR(toks, "hf"), 0))
			set_json(r, 200, json_pack("{s:s,s:s}", "type", "user", "name", "ros-ci"));
		else
			set_json(r, 401, json_pack("{s:s}", "error", "Invalid credentials in Authorization header"));
	} else if (!strcmp(path, "/graphql") && !strcmp(method, "POST")) {
		if (!basic_is(c, STR(toks, "wandb")))
			set_json(r, 401, json_pack("{s:[{s:s}]}", "errors", "message", "user is not logged in"));
		else if (!q || !strstr(q, "viewer"))
			set_json(r, 400, json_pack("{s:[{s:s}]}", "errors", "message", "unsupported query"));
		else
			set_json(r, 200, json_pack("{s:{s:{s:s}}}", "data", "viewer", "username", "ros-ci"));
	} else
		return 0;
	return 1;
}

static void user_reply(struct reply *r)
{
	json_t *u = json_deep_copy(GET(g_state, "user"));

	if (!json_is_object(u)) {
		json_decref(u);
		u = json_pack("{s:i,s:i,s:s,s:s,s:f,s:f,s:s,s:s}", "id", 418822, "key_id", 99120,
		    "username", "ros-ci", "email", "ci@example.com", "balance", 0.0, "credit", 24.75,
		    "ssh_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFake ci@example", "sid", "a1b2c3");
	}
	if (!GET(u, "api_key"))
		json_object_set_new(u, "api_key", json_string(vast_key()));
	set_json(r, 200, u);
}

/* Does path match pat, where '#' stands for a decimal id (put in *id)? */
static int match(const char *path, const char *pat, long long *id)
{
	char *end;

	for (; *pat; pat++) {
		if (*pat == '#') {
			if (!isdigit((unsigned char)*path))
				return 0;
			errno = 0;
			*id = strtoll(path, &end, 10);
			if (errno)
				return 0;
			path = end;
		} else if (*path++ != *pat)
			return 0;
	}
	return !*path;
}

/* Route one request (path without trailing slashes).  g_mu is held. */
static int route(struct reply *r, struct MHD_Connection *c, const char *method,
    const char *path, json_t *body)
{
	int get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST");
	const char *qk = QARG(c, "api_key");
	json_t *insts = arr(g_state, "instances"), *row, *e;
	long long id = -1;
	long i;
	size_t k;

	if (h_tokens(r, c, method, path, body))
		return 0;
	if (strncmp(path, "/api/", 5))
		return set_err(r, 404, "not_found", "no such route");
	if (!bearer_is(c, vast_key(), 0) && !(qk && !strcmp(qk, vast_key()) &&
	    IS_TRUE(g_state, "accept_api_key_param")))
		return set_err(r, (unsigned)ival(g_state, "auth_error_status", 401), "auth_error",
		    "Invalid user key");
	if (match(path, "/api/v1/instances", NULL) && get)
		return h_list_v1(r, c);
	if (match(path, "/api/v0/instances", NULL) && get) {
		if (IS_TRUE(g_state, "v0_list_gone"))
			return set_err(r, 410, "deprecated_endpoint",
			    "/api/v0/instances/ is deprecated. Use /api/v1/instances/ instead.");
		json_array_foreach(insts, k, e)
			boot_poll(e);
		return set_json(r, 200, json_pack("{s:I,s:O}", "instances_found",
		    (json_int_t)json_array_size(insts), "instances", insts));
	}
	if (match(path, "/api/v0/instances/reboot/#", &id) && put) {
		if ((i = find_id(insts, id)) < 0)
			return set_err(r, 404, "no_such_instance", "Instance not found");
		boot_start(json_array_get(insts, (size_t)i), 1, 0);
		return set_ok(r);
	}
	if (match(path, "/api/v0/instances/#/ssh", &id) && post) {
		if (find_id(insts, id) < 0)
			return set_err(r, 404, "no_such_instance", "Instance not found");
		return set_json(r, 200, json_pack("{s:b,s:s}", "success", 1, "msg", "ssh key attached"));
	}
	if (match(path, "/api/v0/instances/#", &id)) {
		i = find_id(insts, id);
		row = i < 0 ? NULL : json_array_get(insts, (size_t)i);
		if (get && row)
			boot_poll(row);
		if (get)
			return set_json(r, 200, json_pack("{s:O}", "instances", or_null(row)));
		if (!row)
			return set_err(r, 404, put ? "no_such_instance" : "not_found", "Instance not found");
		if (!strcmp(method, "DELETE")) {
			json_array_remove(insts, (size_t)i);
			return set_ok(r);
		}
		if (put)
			return h_manage(r, row, body);
		return set_err(r, 405, "method_not_allowed", "method not allowed");
	}
	if (match(path, "/api/v0/bundles", NULL) && post)
		h_offers(r, body);
	else if (match(path, "/api/v0/asks/#", &id) && put)
		h_rent(r, id, body);
	else if (match(path, "/api/v0/users/current", NULL) && get)
		user_reply(r);
	else
		set_err(r, 404, "not_found", "no such route");
	return 0;
}

/* Make sure the scenario has the arrays and counters we rely on. */
static void normalize_state(void)
{
	arr(g_state, "instances");
	arr(g_state, "offers");
	g_next_inst = ival(g_state, "next_instance_id", g_next_inst);
	g_next_offer = ival(g_state, "next_offer_id", g_next_offer);
	g_next_machine = ival(g_state, "next_machine_id", g_next_machine);
}

/* POST /__ctl/patch. */
static int ctl_patch(struct reply *r, json_t *body)
{
	json_t *v, *a, *t;
	long i;
	int inst = GET(body, "instance") != NULL;

	set_ok(r);
	if (json_is_object(v = GET(body, "scenario")))
		json_object_update(g_state, v);
	if (json_is_object(v = GET(body, "add_instance")))
		json_array_append_new(arr(g_state, "instances"), json_deep_copy(v));
	if (json_is_object(v = GET(body, "add_offer")))
		json_array_append_new(arr(g_state, "offers"), json_deep_copy(v));
	if (GET(body, "remove_instance")) {
		a = arr(g_state, "instances");
		if ((i = find_id(a, ival(body, "remove_instance", -1))) < 0)
			return set_err(r, 404, "not_found", "no such instance");
		json_array_remove(a, (size_t)i);
	}
	if (GET(body, "remove_offer")) {
		a = arr(g_state, "offers");
		if ((i = find_id(a, ival(body, "remove_offer", -1))) < 0)
			return set_err(r, 404, "not_found", "no such offer");
		json_array_remove(a, (size_t)i);
	}
	if (!inst && !GET(body, "offer"))
		return 0;
	a = arr(g_state, inst ? "instances" : "offers");
	i = find_id(a, ival(body, inst ? "instance" : "offer", -1));
	if (i < 0 || !json_is_object(v = GET(body, "set")))
		return set_err(r, 404, "not_found", "no such row, or no \"set\" object");
	json_object_update(json_array_get(a, (size_t)i), v);
	if (inst && GET(v, "actual_status") && (t = tracker(ival(body, "instance", -1), 0)))
		json_object_set_new(t, "active", json_false());
	if (inst && GET(v, "direct_port")) {
		json_object_set(tracker(ival(body, "instance", -1), 1), "dp", GET(v, "direct_port"));
		json_object_del(json_array_get(a, (size_t)i), "direct_port");
	}
	return 0;
}

/* The control endpoints under /__ctl/.  g_mu is held. */
static int control(struct reply *r, const char *method, const char *path, json_t *body)
{
	if (!strcmp(path, "/__ctl/state") && !strcmp(method, "GET"))
		return set_json(r, 200, json_incref(g_state));
	if (!strcmp(path, "/__ctl/fail") && !strcmp(method, "GET"))
		return set_json(r, 200, json_incref(g_fails));
	if (!json_is_object(body) || strcmp(method, "POST"))
		return set_err(r, 400, "invalid_args", "expected a POST of a JSON object");
	if (!strcmp(path, "/__ctl/state")) {
		json_decref(g_state);
		g_state = json_deep_copy(body);
		json_object_clear(g_boot);
		g_pool_next = 0;
		normalize_state();
		set_ok(r);
	} else if (!strcmp(path, "/__ctl/fail")) {
		if (IS_TRUE(body, "clear"))
			json_array_clear(g_fails);
		else
			json_array_append_new(g_fails, json_deep_copy(body));
		set_ok(r);
	} else if (!strcmp(path, "/__ctl/patch"))
		ctl_patch(r, body);
	else
		set_err(r, 404, "not_found", "no such control endpoint");
	return 0;
}

/* The first fault rule matching a request, used up once (new reference). */
static json_t *take_fault(const char *method, const char *url)
{
	size_t i;
	json_t *f;
	const char *pre, *m;
	long long cnt;

	json_array_foreach(g_fails, i, f) {
		pre = or_str(STR(f, "path_prefix"), "");
		m = STR(f, "method");
		if (strncmp(url, pre, strlen(pre)) || (m && strcasecmp(m, method)))
			continue;
		json_incref(f);
		if ((cnt = ival(f, "count", 1)) > 1)
			json_object_set_new(f, "count", json_integer(cnt - 1));
		else if (cnt >= 0)
			json_array_remove(g_fails, i);
		return f;
	}
	return NULL;
}

/* Reply as fault rule f says (its delay is already over). */
static void fault_reply(struct reply *r, json_t *f)
{
	unsigned st = (unsigned)ival(f, "status", 0);
	json_t *b = GET(f, "body");

	if (IS_TRUE(f, "drop"))
		r->drop = 1;
	else if (json_is_string(b))
		set_text(r, st, json_string_value(b));
	else if (b)
		set_json(r, st, json_incref(b));
	else if (st == 429)
		set_json(r, st, json_pack("{s:s}", "detail", "API requests too frequent endpoint threshold=2.0"));
	else if (st >= 500)
		set_text(r, st, st == 502 ? "502 Bad Gateway" : st == 503 ? "503 Service Unavailable" :
		    "Internal Server Error");
	else
		set_err(r, st, "injected", "injected failure");
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	json_object_set_new(cls, key, value ? json_string(value) : json_null());
	return MHD_YES;
}

/* Append one request to the log as a JSON line.  g_mu is held. */
static void log_request(struct MHD_Connection *c, const char *method, const char *url,
    json_t *body, const char *raw, unsigned status)
{
	json_t *q = json_object(), *line;
	struct timespec ts;
	char *s;

	if (!g_log) {
		json_decref(q);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, q);
	line = json_pack("{s:f,s:s,s:s,s:o,s:{s:s?,s:s?},s:o,s:i}", "time",
	    (double)ts.tv_sec + ts.tv_nsec / 1e9, "method", method, "path", url, "query", q,
	    "headers", "Authorization", HDR(c, "Authorization"), "Content-Type", HDR(c, "Content-Type"),
	    "body", body ? json_incref(body) : raw ? json_string(raw) : json_null(), "status", (int)status);
	if ((s = json_dumps(line, DUMP_FLAGS))) {
		fprintf(g_log, "%s\n", s);
		fflush(g_log);
		free(s);
	}
	json_decref(line);
}

/* Collect the body, then answer: faults, control, or the API. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;
	struct reply r = { 500, NULL, "application/json", 0 };
	struct MHD_Response *resp;
	struct timespec until;
	json_t *body = NULL, *fault = NULL;
	char path[1024], *nb;
	size_t n;
	long long delay;
	enum MHD_Result ret;
	int ctl;

	(void)cls;
	(void)version;
	if (!rq)
		return (*con_cls = calloc(1, sizeof *rq)) ? MHD_YES : MHD_NO;
	if (*upload_size) {
		n = rq->len + *upload_size;
		if (n > BODY_MAX)
			rq->too_big = 1;
		else {
			if (n + 1 > rq->cap) {
				if (!(nb = realloc(rq->body, 2 * n + 1)))
					return MHD_NO;
				rq->body = nb;
				rq->cap = 2 * n + 1;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->body[rq->len = n] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	snprintf(path, sizeof path, "%s", url);
	for (n = strlen(path); n > 1 && path[n - 1] == '/'; )
		path[--n] = '\0';
	if (rq->len)
		body = json_loadb(rq->body, rq->len, JSON_DECODE_ANY, NULL);
	ctl = !strncmp(path, "/__ctl/", 7);

	pthread_mutex_lock(&g_mu);
	if (!ctl && (fault = take_fault(method, url)) && (delay = ival(fault, "delay_ms", 0)) > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += delay / 1000 + (until.tv_nsec + delay % 1000 * 1000000L) / 1000000000L;
		until.tv_nsec = (until.tv_nsec + delay % 1000 * 1000000L) % 1000000000L;
		while (!g_stopping && pthread_cond_timedwait(&g_cv, &g_mu, &until) != ETIMEDOUT)
			;
	}
	if (rq->too_big)
		set_err(&r, 413, "invalid_args", "request body too large");
	else if (ctl)
		control(&r, method, path, body);
	else if (fault && (IS_TRUE(fault, "drop") || ival(fault, "status", 0) > 0))
		fault_reply(&r, fault);
	else
		route(&r, c, method, path, body);
	if (!ctl)
		log_request(c, method, url, body, rq->len ? rq->body : NULL, r.drop ? 0 : r.status);
	pthread_mutex_unlock(&g_mu);
	json_decref(body);
	json_decref(fault);

	if (r.drop || !r.body ||
	    !(resp = MHD_create_response_from_buffer(strlen(r.body), r.body, MHD_RESPMEM_MUST_FREE))) {
		free(r.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r.ctype);
	ret = MHD_queue_response(c, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: fakevast [--state FILE] [--log FILE] [--key KEY] [--port N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const char *state_file = NULL, *log_file = NULL;
	json_error_t jerr;
	sigset_t set;
	long port = 0;
	char *end;
	int i, sig;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--state"))
			state_file = argv[i + 1];
		else if (!strcmp(argv[i], "--log"))
			log_file = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			g_cli_key = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) {
			port = strtol(argv[i + 1], &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
		} else
			usage();
	}
	g_state = state_file ? json_load_file(state_file, 0, &jerr) : json_object();
	if (!json_is_object(g_state)) {
		fprintf(stderr, "fakevast: %s: %s\n", state_file, g_state ? "not a JSON object" : jerr.text);
		return 2;
	}
	normalize_state();
	g_boot = json_object();
	g_fails = json_array();
	if (log_file && !(g_log = fopen(log_file, "a"))) {
		perror(log_file);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* the server's threads inherit this */

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
	    0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "fakevast: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	printf("%u\n", (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;

	pthread_mutex_lock(&g_mu);
	g_stopping = 1;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
	MHD_stop_daemon(d);
	json_decref(g_state);
	json_decref(g_boot);
	json_decref(g_fails);
	if (g_log)
		fclose(g_log);
	return 0;
}
