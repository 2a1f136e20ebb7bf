/*
 * test_vast.c - unit tests for src/vast: the offer query language, the cost
 * model, instance rows and SSH endpoints, key lookup, reply judging, URL
 * encoding, and the HTTP layer against a tiny server forked by the test.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vast/api.h"
#include "vast/cost.h"
#include "vast/http.h"
#include "vast/query.h"
#include "vast/search.h"
#include "vast/values.h"
#include "vast/vworker.h"
#include "vast/watch.h"

/* ---- helpers ---- */

static char *
dump(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Parse q with the CLI's defaults and compare the whole request object. */
static void
query_is(const char *q, const char *want)
{
	struct buf err = BUF_INIT;
	struct strv w = STRV_INIT;
	json_t *j = vast_offer_query(q, NULL, &w, &err);
	char *got = dump(j);
	CHECK_STR(got, want, "query '%s'", q);
	if (!j)
		printf("#   error: %s\n", buf_cstr(&err));
	free(got);
	json_decref(j);
	strv_release(&w);
	buf_release(&err);
}

/* Parse q with no defaults and compare one field's object. */
static void
field_is(const char *q, const char *field, const char *want)
{
	struct buf err = BUF_INIT;
	struct strv w = STRV_INIT;
	json_t *res = json_object();
	char *got = NULL, *shown = xstrdup(q);
	for (char *p = shown; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	if (vast_query_merge(res, q, &w, &err) == 0)
		got = dump(json_object_get(res, field));
	else
		printf("#   error: %s\n", buf_cstr(&err));
	if (!want)
		CHECK(!got && !err.len, "'%s' -> no %s", shown, field);
	else
		CHECK_STR(got, want, "'%s' -> %s", shown, field);
	free(shown);
	free(got);
	json_decref(res);
	strv_release(&w);
	buf_release(&err);
}

/* q must fail with a message containing each of the NULL-terminated parts. */
static void
query_fails(const char *q, const char *part1, const char *part2)
{
	struct buf err = BUF_INIT;
	struct strv w = STRV_INIT;
	json_t *j = vast_offer_query(q, NULL, &w, &err);
	int ok = !j && err.len && (!part1 || strstr(err.s, part1)) && (!part2 || strstr(err.s, part2));
	CHECK(ok, "query '%s' fails mentioning '%s'%s%s", q, part1 ? part1 : "",
	      part2 ? " and " : "", part2 ? part2 : "");
	if (!ok)
		printf("#   got: %s\n", j ? "a query" : buf_cstr(&err));
	json_decref(j);
	strv_release(&w);
	buf_release(&err);
}

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* ---- query language ---- */

static void
test_query(void)
{
	struct buf err = BUF_INIT;
	struct strv w = STRV_INIT;
	json_t *j, *res;
	char *s;

	/* API.md §3.2 worked example, byte for byte */
	query_is("dph<0.1 gpu_ram>=8 verified=true",
		 "{\"verified\":{\"eq\":true},\"external\":{\"eq\":false},\"rentable\":{\"eq\":true},"
		 "\"dph_total\":{\"lt\":\"0.1\"},\"gpu_ram\":{\"gte\":8000.0},\"order\":[[\"score\",\"desc\"]],"
		 "\"type\":\"on-demand\",\"allocated_storage\":5.0}");
	query_is("", "{\"verified\":{\"eq\":true},\"external\":{\"eq\":false},\"rentable\":{\"eq\":true},"
		 "\"order\":[[\"score\",\"desc\"]],\"type\":\"on-demand\",\"allocated_storage\":5.0}");
	query_is(NULL, "{\"verified\":{\"eq\":true},\"external\":{\"eq\":false},\"rentable\":{\"eq\":true},"
		 "\"order\":[[\"score\",\"desc\"]],\"type\":\"on-demand\",\"allocated_storage\":5.0}");
	/* any deletes a default; the field comes back at the end when set again */
	query_is("verified=any", "{\"external\":{\"eq\":false},\"rentable\":{\"eq\":true},"
		 "\"order\":[[\"score\",\"desc\"]],\"type\":\"on-demand\",\"allocated_storage\":5.0}");
	query_is("rentable=* external=? verified=any verified=False",
		 "{\"verified\":{\"eq\":false},\"order\":[[\"score\",\"desc\"]],\"type\":\"on-demand\","
		 "\"allocated_storage\":5.0}");

	field_is("geolocation in [US,CA]", "geolocation", "{\"in\":[\"US\",\"CA\"]}");
	field_is("geolocation in [US, CA ,]", "geolocation", "{\"in\":[\"US\",\"CA\"]}");
	field_is("geolocation notin [CN,VN]", "geolocation", "{\"notin\":[\"CN\",\"VN\"]}");
	field_is("geolocation not in [CN,VN]", "geolocation", "{\"notin\":[\"CN\",\"VN\"]}");
	field_is("geolocation nin [CN]", "geolocation", "{\"notin\":[\"CN\"]}");
	field_is("geolocation in US", "geolocation", "{\"in\":[\"US\"]}");
	field_is("gpu_name in [\"RTX 4090\", \"RTX 3090\"]", "gpu_name", "{\"in\":[\"RTX 4090\",\"RTX 3090\"]}");
	field_is("gpu_name in [RTX_4090,RTX_3090]", "gpu_name", "{\"in\":[\"RTX 4090\",\"RTX 3090\"]}");
	field_is("num_gpus=1", "num_gpus", "{\"eq\":\"1\"}");
	field_is("num_gpus==1", "num_gpus", "{\"eq\":\"1\"}");
	field_is("num_gpus eq 1", "num_gpus", "{\"eq\":\"1\"}");
	field_is("num_gpus gte 2", "num_gpus", "{\"gte\":\"2\"}");
	field_is("num_gpus gt 2", "num_gpus", "{\"gt\":\"2\"}");
	field_is("num_gpus lte 2", "num_gpus", "{\"lte\":\"2\"}");
	field_is("num_gpus lt 2", "num_gpus", "{\"lt\":\"2\"}");
	field_is("reliability>0.98", "reliability", "{\"gt\":\"0.98\"}");
	field_is("reliability > 0.98", "reliability", "{\"gt\":\"0.98\"}");
	field_is("reliability>=0.98", "reliability", "{\"gte\":\"0.98\"}");
	field_is("dph_total<=1.0", "dph_total", "{\"lte\":\"1.0\"}");
	field_is("gpu_name!=RTX_3090", "gpu_name", "{\"neq\":\"RTX 3090\"}");
	field_is("gpu_name neq RTX_3090", "gpu_name", "{\"neq\":\"RTX 3090\"}");
	field_is("gpu_name noteq RTX_3090", "gpu_name", "{\"neq\":\"RTX 3090\"}");
	field_is("gpu_name not eq RTX_3090", "gpu_name", "{\"neq\":\"RTX 3090\"}");
	field_is("gpu_name=\"RTX 4090\"", "gpu_name", "{\"eq\":\"RTX 4090\"}");
	field_is("gpu_name=RTX_4090", "gpu_name", "{\"eq\":\"RTX 4090\"}");
	field_is("rentable=true", "rentable", "{\"eq\":true}");
	field_is("rentable=True", "rentable", "{\"eq\":true}");
	field_is("rented=false", "rented", "{\"eq\":false}");
	field_is("external=None", "external", "{\"eq\":null}");
	field_is("external=null", "external", "{\"eq\":null}");
	field_is("gpu_name=any", "gpu_name", NULL);
	/* aliases, merging, a repeated operator replacing the first */
	field_is("dph>0.1 dph<0.5", "dph_total", "{\"gt\":\"0.1\",\"lt\":\"0.5\"}");
	field_is("dph<0.5 dph<0.2", "dph_total", "{\"lt\":\"0.2\"}");
	field_is("cuda_vers>=12.0 cuda_vers<14.0", "cuda_max_good", "{\"gte\":\"12.0\",\"lt\":\"14.0\"}");
	field_is("dph_total>0.1 dph<0.5", "dph_total", "{\"gt\":\"0.1\",\"lt\":\"0.5\"}");
	field_is("dlperf_usd>100", "dlperf_per_dphtotal", "{\"gt\":\"100\"}");
	field_is("flops_usd>1", "flops_per_dphtotal", "{\"gt\":\"1\"}");
	field_is("display_active=false", "gpu_display_active", "{\"eq\":false}");
	field_is("dph<0.5 dph=any", "dph_total", NULL);
	/* units */
	field_is("gpu_ram>=8", "gpu_ram", "{\"gte\":8000.0}");
	field_is("gpu_total_ram>=48", "gpu_total_ram", "{\"gte\":48000.0}");
	field_is("cpu_ram>=16", "cpu_ram", "{\"gte\":16000.0}");
	field_is("cpu_ram>=\"64.0\"", "cpu_ram", "{\"gte\":64000.0}");
	field_is("duration>=1", "duration", "{\"gte\":86400.0}");
	field_is("duration>2.5", "duration", "{\"gt\":216000.0}");
	field_is("driver_version>=535.129.3", "driver_version", "{\"gte\":535129003}");
	field_is("driver_version >= 535.86.05", "driver_version", "{\"gte\":535086005}");
	field_is("driver_version=550", "driver_version", "{\"eq\":\"550\"}");
	/* tabs and newlines count as spaces; surrounding blanks ignored */
	field_is("  dph<0.2\tnum_gpus=1\n", "num_gpus", "{\"eq\":\"1\"}");
	field_is("reliability > 0.99  num_gpus>=4 verified=False", "verified", "{\"eq\":false}");

	/* unknown fields warn and are still sent */
	res = json_object();
	CHECK(vast_query_merge(res, "foo_bar=1 dph<1", &w, &err) == 0, "unknown field accepted");
	CHECK(w.n == 1 && strstr(w.v[0], "foo_bar"), "one warning names foo_bar");
	s = dump(json_object_get(res, "foo_bar"));
	CHECK_STR(s, "{\"eq\":\"1\"}", "unknown field sent");
	free(s);
	json_decref(res);
	strv_release(&w);

	/* errors name the token and the column */
	query_fails("gpu_ram=>8", "unknown operator '=>'", "column 8");
	query_fails("gpu_ram<>8", "unknown operator '<>'", NULL);
	query_fails("bad query ^^^ stuff", "unconsumed text", "column 11");
	query_fails("dph<0.1 <5", "unconsumed text", "column 9");
	/* as in the CLI, a stray comma sticks to the value and is stripped */
	field_is("dph<0.1, gpu_ram>=8", "dph_total", "{\"lt\":\"0.1\"}");
	query_fails("dph<0.1 ,gpu_ram>=8", "unconsumed text", "column 9");
	query_fails("verified", "missing operator", "column 9");
	query_fails("verified true", "missing operator", NULL);
	query_fails("dph<", "missing value", "column 5");
	query_fails("gpu_ram>=lots", "takes a number", "'lots'");
	query_fails("gpu_ram in [8,16]", "not a list", NULL);
	query_fails("gpu_name!=any", "wildcard", "'='");
	query_fails("driver_version>=1.2", "bad driver version", NULL);
	query_fails("geolocation in [,]", "empty list", "column 16");
	/* found by fuzzing: nothing is dropped or misnamed in silence */
	query_fails("geolocation notin [CN,\xff\xfe]", "not valid UTF-8", "column 19");
	query_fails("gpu_ram>=1e307", "too large", "column 10");
	query_fails("duration<1e305", "too large", NULL);
	j = vast_parse_order("dph+,sc\xd4re-", &err);
	CHECK(!j && strstr(buf_cstr(&err), "bad sort field"), "order: a name that is no field name is refused, not dropped");
	json_decref(j);
	buf_reset(&err);
	j = vast_parse_order("dph+,sc\nore\r", &err);
	CHECK(!j && strstr(buf_cstr(&err), "bad sort field 'sc?ore?' in order 'dph+,sc?ore?'"),
	      "order: the message stays on one line (%s)", buf_cstr(&err));
	json_decref(j);
	buf_reset(&err);
	j = vast_parse_order("dph+,score.x", &err);
	CHECK(!j && strstr(buf_cstr(&err), "bad sort field"), "order: a name with a dot is refused");
	json_decref(j);
	buf_reset(&err);

	CHECK(vast_driver_version("535.86.05") == 535086005, "driver 535.86.05");
	CHECK(vast_driver_version("1.2.3") == 1002003, "driver 1.2.3");
	CHECK(vast_driver_version("12.0.1") == 12000001, "driver 12.0.1");
	CHECK(vast_driver_version("535.86") == -1, "driver with two groups refused");
	CHECK(vast_driver_version("5a.1.2") == -1, "driver with letters refused");

	/* order, type, limit, storage, no defaults */
	j = vast_parse_order("dph+,score-", &err);
	s = dump(j);
	CHECK_STR(s, "[[\"dph_total\",\"asc\"],[\"score\",\"desc\"]]", "order dph+,score-");
	free(s);
	json_decref(j);
	j = vast_parse_order(" -dlperf , num_gpus,,", &err);
	s = dump(j);
	CHECK_STR(s, "[[\"dlperf\",\"desc\"],[\"num_gpus\",\"asc\"]]", "order -dlperf,num_gpus");
	free(s);
	json_decref(j);
	j = vast_parse_order("", &err);
	s = dump(j);
	CHECK_STR(s, "[]", "empty order");
	free(s);
	json_decref(j);
	buf_reset(&err);
	j = vast_parse_order("dph,-", &err);
	CHECK(!j && strstr(buf_cstr(&err), "bad sort field"), "order '-' refused");

	{
		struct vast_offer_query o = VAST_OFFER_QUERY_INIT;
		o.no_default = 1;
		o.order = "dph+";
		o.type = "interruptible";
		o.limit = 50;
		o.storage = 32;
		buf_reset(&err);
		j = vast_offer_query("num_gpus=1", &o, &w, &err);
		s = dump(j);
		CHECK_STR(s, "{\"num_gpus\":{\"eq\":\"1\"},\"order\":[[\"dph_total\",\"asc\"]],\"type\":\"bid\","
			  "\"limit\":50,\"allocated_storage\":32.0}", "query options");
		free(s);
		json_decref(j);
		o.type = "spot";
		j = vast_offer_query("", &o, &w, &err);
		CHECK(!j && strstr(buf_cstr(&err), "unknown offer type"), "bad type refused");
	}
	strv_release(&w);
	buf_release(&err);
}

/* dedup(q) is want, and parses to the same request as q. */
static void
dedup_is(const char *q, const char *want)
{
	struct buf err = BUF_INIT;
	char *got = vast_query_dedup(q, &err), *shown = xstrdup(q);
	for (char *p = shown; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	CHECK_STR(got, want, "each filter once: '%s'", shown);
	if (got) {
		json_t *a = vast_offer_query(q, NULL, NULL, &err), *b = vast_offer_query(got, NULL, NULL, &err);
		CHECK(a && b && json_equal(a, b), "'%s' asks for what '%s' asks for", got, shown);
		json_decref(a);
		json_decref(b);
	} else {
		printf("#   error: %s\n", buf_cstr(&err));
	}
	free(shown);
	free(got);
	buf_release(&err);
}

/* vast_query_clash(a, b): want_a and want_b, or no clash when NULL. */
static void
clash_is(const char *a, const char *b, const char *want_a, const char *want_b)
{
	struct buf err = BUF_INIT;
	char *ta = NULL, *tb = NULL;
	int r = vast_query_clash(a, b, &ta, &tb, &err);
	if (!want_a)
		CHECK(r == 0 && !ta && !tb, "'%s' and '%s' do not clash", a, b);
	else
		CHECK(r == 1 && ta && tb && !strcmp(ta, want_a) && !strcmp(tb, want_b),
		      "'%s' and '%s' clash on '%s' / '%s' (got %d '%s' / '%s')", a, b, want_a, want_b, r,
		      ta ? ta : "", tb ? tb : "");
	free(ta);
	free(tb);
	buf_release(&err);
}

static void
test_dedup(void)
{
	struct buf err = BUF_INIT;
	char *s;

	/* the last of a field and operator wins, in the place of the first */
	dedup_is("cuda_max_good>=12.1 gpu_ram>=8 disk_space>=32 gpu_ram>=8 cuda_max_good>=11.8 disk_space>=20",
		 "cuda_max_good>=11.8 gpu_ram>=8 disk_space>=20");
	dedup_is("disk_space>=32 disk_space>=32", "disk_space>=32");
	/* other operators on the same field are other filters */
	dedup_is("reliability>0.95 reliability>=0.9 dph>0.1 dph<0.5", "reliability>0.95 reliability>=0.9 dph>0.1 dph<0.5");
	/* aliases and the spellings of an operator are resolved */
	dedup_is("dph<1 num_gpus=1 dph_total<0.2 num_gpus eq 2", "dph_total<0.2 num_gpus eq 2");
	dedup_is("dlperf_usd>=100 dlperf_per_dphtotal gte 180", "dlperf_per_dphtotal gte 180");
	dedup_is("geolocation notin [CN] geolocation not in [VN, DE]", "geolocation not in [VN, DE]");
	/* values with spaces and quotes are kept whole */
	dedup_is("gpu_name in [RTX 4090, RTX 3090] gpu_name=\"RTX 3060\" gpu_name in [A100 SXM4]",
		 "gpu_name in [A100 SXM4] gpu_name=\"RTX 3060\"");
	/* a wildcard drops what came before it on that field, and stays */
	dedup_is("gpu_ram>=8 dph<1 gpu_ram<=48 gpu_ram=any", "dph<1 gpu_ram=any");
	dedup_is("verified=any verified=false", "verified=any verified=false");
	dedup_is("  dph<0.2\tnum_gpus=1\n dph<0.1 ", "dph<0.1 num_gpus=1");
	dedup_is("", "");
	s = vast_query_dedup(NULL, &err);
	CHECK_STR(s, "", "no query, no filter");
	free(s);
	s = vast_query_dedup("gpu_ram>=lots dph<1 gpu_ram>=8", &err);
	CHECK(!s && strstr(buf_cstr(&err), "takes a number, not 'lots'"),
	      "a bad term is an error even when a later one replaces it: %s", buf_cstr(&err));
	free(s);
	buf_reset(&err);
	s = vast_query_dedup("dph<1 dph<any", &err);
	CHECK(!s && strstr(buf_cstr(&err), "wildcard"), "and so is a wildcard with another operator");
	free(s);
	buf_reset(&err);
	s = vast_query_dedup("dph<0.1 ^^", &err);
	CHECK(!s && strstr(buf_cstr(&err), "unconsumed text at column 9"), "a query that does not scan: %s", buf_cstr(&err));
	buf_release(&err);

	clash_is("reliability>=0.9 disk_space>=20", "dph<1 reliability>=0.95", "reliability>=0.9", "reliability>=0.95");
	clash_is("dph<=0.1", "dph_total lte 0.5", "dph<=0.1", "dph_total lte 0.5");
	clash_is("gpu_ram>=8", "gpu_ram=any", "gpu_ram>=8", "gpu_ram=any");
	clash_is("reliability>=0.9", "reliability>0.95", NULL, NULL);
	clash_is("id notin [1,2]", "", NULL, NULL);
	clash_is("", "dph<1", NULL, NULL);
	{
		char *ta = NULL, *tb = NULL;
		CHECK(vast_query_clash("dph<1", "<<", &ta, &tb, &err) == -1 && err.len && !ta && !tb,
		      "clash: -1 when a query does not scan");
		buf_release(&err);
	}
}

/* ---- cost model ---- */

static const char *offers_json =
	"[{\"id\":27045511,\"dph_total\":0.3306,\"storage_cost\":0.12,\"dlperf\":78.4},"
	" {\"id\":27046002,\"dph_total\":0.3608,\"storage_cost\":0.1,\"dlperf\":52.9},"
	" {\"id\":27099999,\"dph_total\":0.05,\"storage_cost\":0.1,\"dlperf\":null},"
	" {\"id\":27044890,\"dph_total\":0.1906,\"storage_cost\":0.08,\"dlperf\":31.7},"
	" {\"id\":27099998,\"dph_total\":0.05,\"dlperf\":0},"
	" {\"id\":27047733,\"dph_total\":7.2011,\"storage_cost\":0.15,\"dlperf\":410.3}]";

static void
test_cost(void)
{
	struct vast_cost_params p = { 4.5, 12.4, 20, 0.5 };
	struct vast_cost c;
	json_t *offers = json_loads(offers_json, 0, NULL), *ranked, *o;
	size_t i;
	static const long long order[] = { 27045511, 27044890, 27046002, 27047733, 27099999, 27099998 };

	CHECK(vast_offer_cost(json_array_get(offers, 0), &p, &c) == 0 && c.known, "cost known");
	CHECK(near(c.est_hours, 0.7117346938775511), "est_hours = 4.5*12.4/78.4 (%.10f)", c.est_hours);
	CHECK(near(c.gpu, 0.2352994897959184), "gpu = dph*hours (%.10f)", c.gpu);
	CHECK(near(c.storage, 0.002372448979591837), "storage = $/GB/mo*GB*h/720 (%.10f)", c.storage);
	CHECK(c.bandwidth == 0, "no bandwidth prices: 0");
	CHECK(near(c.total, 0.2376719387755102), "total (%.10f)", c.total);

	o = json_pack("{sfsfsfsfsf}", "dph_total", 1.0, "dlperf", 10.0, "storage_cost", 0.0,
		      "inet_down_cost", 0.01, "inet_up_cost", 0.02);
	p = (struct vast_cost_params){ 2, 10, 0, 0.5 };
	CHECK(vast_offer_cost(o, &p, &c) == 0 && near(c.est_hours, 2) && near(c.bandwidth, 0.015) &&
	      near(c.total, 2.015), "bandwidth = (down+up)*data_gb");
	json_object_set_new(o, "inet_up_cost", json_null());
	CHECK(vast_offer_cost(o, &p, &c) == 0 && near(c.bandwidth, 0.005), "null price counts as 0");
	json_object_set_new(o, "dlperf", json_null());
	CHECK(vast_offer_cost(o, &p, &c) < 0 && !c.known, "null dlperf: unknown");
	json_object_set_new(o, "dlperf", json_real(0));
	CHECK(vast_offer_cost(o, &p, &c) < 0, "zero dlperf: unknown");
	json_object_set_new(o, "dlperf", json_real(5));
	json_object_del(o, "dph_total");
	CHECK(vast_offer_cost(o, &p, &c) < 0, "no dph_total: unknown");
	json_decref(o);

	p = (struct vast_cost_params){ 4.5, 12.4, 20, 0.5 };
	ranked = vast_rank_offers(offers, &p);
	CHECK(json_array_size(ranked) == 6, "rank keeps every offer");
	json_array_foreach(ranked, i, o) {
		long long id = json_integer_value(json_object_get(o, "id"));
		CHECK(id == order[i], "rank %zu is %lld (got %lld)", i, order[i], id);
	}
	CHECK(near(json_real_value(json_object_get(json_object_get(json_array_get(ranked, 0), "cost"), "total")),
		   0.2376719387755102), "ranked row carries its cost");
	CHECK(json_is_null(json_object_get(json_array_get(ranked, 5), "cost")), "unknown cost is null");
	CHECK(!json_object_get(json_array_get(offers, 0), "cost"), "input offers untouched");
	json_decref(ranked);
	json_decref(offers);

	CHECK(vast_profile_query("pytorch") && strstr(vast_profile_query("pytorch"), "gpu_ram>=8"), "pytorch profile");
	CHECK(vast_profile_query("jax") && strstr(vast_profile_query("jax"), "cuda_max_good>=12"), "jax profile");
	CHECK(!vast_profile_query("tensorflow"), "no such profile");
	for (i = 0; vast_profiles[i]; i++) {
		struct buf err = BUF_INIT;
		struct strv w = STRV_INIT;
		json_t *q = vast_offer_query(vast_profile_query(vast_profiles[i]), NULL, &w, &err);
		CHECK(q && w.n == 0, "profile %s parses without warnings", vast_profiles[i]);
		json_decref(q);
		strv_release(&w);
		buf_release(&err);
	}
}

/* ---- instance rows and SSH ---- */

static const char *row_json =
	"{\"id\": 31000101, \"actual_status\": \"running\", \"label\": null,"
	" \"image_runtype\": \"ssh_direc ssh_proxy\", \"extra_env\": [[\"ROS_JOB\", \" train \"]],"
	" \"ssh_host\": \"ssh4.vast.ai\", \"ssh_idx\": \"4\", \"ssh_port\": 30100,"
	" \"public_ipaddr\": \"203.0.113.17\\n\", \"local_ipaddrs\": \"10.0.0.12 172.17.0.2 \\n\","
	" \"ports\": {\"22/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"41022\"}],"
	"           \"8080/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": 41080}]},"
	" \"dlperf\": null, \"gpu_util\": null}";

static void
endpoint_is(const json_t *row, int direct, const char *host, int port, const char *what)
{
	char *h = NULL;
	int p = 0, r = vast_ssh_endpoint(row, direct, &h, &p);
	if (!host) {
		CHECK(r == -1 && !h, "%s: no endpoint", what);
	} else {
		CHECK(r == 0 && h && !strcmp(h, host) && p == port, "%s: %s:%d (got %s:%d)", what, host, port,
		      h ? h : "(null)", p);
	}
	free(h);
}

static void
test_rows(void)
{
	json_t *row = json_loads(row_json, 0, NULL), *raw = json_deep_copy(row);
	json_t *r2;
	char *s;

	/* before normalising, the endpoint code copes with junk itself */
	endpoint_is(raw, 1, "203.0.113.17", 41022, "raw row direct");
	vast_normalize_row(row);
	CHECK_STR(json_string_value(json_object_get(row, "public_ipaddr")), "203.0.113.17", "public_ipaddr stripped");
	CHECK_STR(json_string_value(json_object_get(row, "local_ipaddrs")), "10.0.0.12 172.17.0.2",
		  "local_ipaddrs stripped");
	s = dump(json_object_get(row, "extra_env"));
	CHECK_STR(s, "[[\"ROS_JOB\",\"train\"]]", "nested strings stripped");
	free(s);
	s = dump(json_object_get(json_object_get(row, "ports"), "8080/tcp"));
	CHECK_STR(s, "[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"41080\"}]", "integer HostPort made a string");
	free(s);
	CHECK(json_is_null(json_object_get(row, "label")) && json_is_null(json_object_get(row, "dlperf")),
	      "nulls kept");

	endpoint_is(row, 0, "ssh4.vast.ai", 30100, "proxy");
	endpoint_is(row, 1, "203.0.113.17", 41022, "direct");
	json_object_set_new(row, "image_runtype", json_string("jupyter_direc ssh_direc ssh_proxy"));
	endpoint_is(row, 0, "ssh4.vast.ai", 30101, "proxy, jupyter runtype: port+1");
	endpoint_is(row, 1, "203.0.113.17", 41022, "direct, jupyter runtype: no +1");
	json_object_set_new(row, "ssh_port", json_null());
	endpoint_is(row, 0, NULL, 0, "proxy, ssh_port null");
	json_object_set_new(row, "ssh_port", json_string("30100"));
	endpoint_is(row, 0, "ssh4.vast.ai", 30101, "proxy, ssh_port as a string");
	json_object_set_new(row, "ssh_host", json_string("-oProxyCommand=evil"));
	endpoint_is(row, 0, NULL, 0, "proxy, host starting with '-' refused");
	json_object_set_new(row, "ports", json_null());
	endpoint_is(row, 1, NULL, 0, "direct, ports null");
	json_object_del(row, "ports");
	endpoint_is(row, 1, NULL, 0, "direct, ports absent");
	json_object_set_new(row, "ports", json_pack("[ii]", 22, 8080));
	endpoint_is(row, 1, NULL, 0, "direct, ports an array of ints");
	json_object_set_new(row, "ports", json_pack("{s[{si}]}", "22/tcp", "HostPort", 41022));
	endpoint_is(row, 1, "203.0.113.17", 41022, "direct, integer HostPort");
	json_object_set_new(row, "public_ipaddr", json_null());
	endpoint_is(row, 1, NULL, 0, "direct, public_ipaddr null");
	endpoint_is(json_null(), 0, NULL, 0, "not an object");

	/* a loading instance of API.md §6.1: proxy only */
	r2 = json_pack("{sssisssnss}", "ssh_host", "ssh7.vast.ai", "ssh_port", 30215, "image_runtype", "ssh_proxy",
		       "ports", "public_ipaddr", "198.51.100.40");
	vast_normalize_row(r2);
	endpoint_is(r2, 0, "ssh7.vast.ai", 30215, "loading row proxy");
	endpoint_is(r2, 1, NULL, 0, "loading row direct");
	json_decref(r2);

	{
		long long v;
		json_t *t = json_integer(5);
		CHECK(vast_json_int(t, &v) == 0 && v == 5, "json int");
		json_decref(t);
		t = json_real(7.0);
		CHECK(vast_json_int(t, &v) == 0 && v == 7, "json integral real");
		json_decref(t);
		t = json_real(7.5);
		CHECK(vast_json_int(t, &v) < 0, "json fractional real refused");
		json_decref(t);
		t = json_string(" 41022\n");
		CHECK(vast_json_int(t, &v) == 0 && v == 41022, "json numeric string");
		json_decref(t);
		CHECK(vast_json_int(json_null(), &v) < 0, "json null refused");
	}
	json_decref(row);
	json_decref(raw);
}

/* ---- hostile numbers from the API ---- */

static const char *good_inst_json =
	"{\"id\": 31000101, \"machine_id\": 48211, \"actual_status\": \"running\", \"label\": null,"
	" \"image_runtype\": \"ssh_proxy\", \"ssh_host\": \"ssh4.vast.ai\", \"ssh_port\": 30100,"
	" \"gpu_name\": \"RTX 4090\", \"num_gpus\": 1, \"gpu_ram\": 24564, \"cpu_cores_effective\": 8.0,"
	" \"disk_space\": 40.0, \"dph_base\": 0.33, \"dph_total\": 0.3412, \"dlperf\": 78.4,"
	" \"dlperf_per_dphtotal\": 229.8, \"reliability2\": 0.9951, \"start_date\": 1764500000.5,"
	" \"geolocation\": \"Oregon, US\"}";

/* vast_instance_fields on the good row with field k set to the JSON text v
 * must refuse it, naming the instance and the field. */
static void
fields_refused(const char *k, const char *v)
{
	json_t *row = json_loads(good_inst_json, 0, NULL);
	json_t *val = json_loads(v, JSON_DECODE_ANY, NULL);
	struct buf err = BUF_INIT;
	json_t *f;

	json_object_set_new(row, k, val);
	f = vast_instance_fields(row, 0, &err);
	CHECK(!f && strstr(buf_cstr(&err), "31000101") && strstr(buf_cstr(&err), k),
	      "instance with %s %s: refused, naming the id and the field (%s)", k, v, buf_cstr(&err));
	json_decref(f);
	json_decref(row);
	buf_release(&err);
}

static void
test_hostile(void)
{
	json_t *row = json_loads(good_inst_json, 0, NULL), *f, *o, *ranked;
	struct buf err = BUF_INIT;
	struct vast_cost_params p = { 1, 12.4, 20, 10 };
	struct vast_cost c;
	char *s;

	f = vast_instance_fields(row, 0, &err);
	s = dump(f);
	CHECK_STR(s, "{\"ssh\":{\"host\":\"ssh4.vast.ai\",\"port\":30100,\"user\":\"root\"},"
		  "\"resources\":{\"gpu\":1,\"vram_gb\":24,\"disk_gb\":40,\"cpu\":8},\"dph\":0.3412,"
		  "\"notes\":\"Vast.ai instance 31000101: RTX 4090, Oregon, US\"}", "a plausible instance: its fields");
	free(s);
	json_decref(f);

	fields_refused("gpu_ram", "1e300");
	fields_refused("gpu_ram", "-9223372036854775808");
	fields_refused("gpu_ram", "\"24564\"");
	fields_refused("dph_total", "1e300");
	fields_refused("dph_total", "-1");
	fields_refused("dph_total", "-0.0001");
	fields_refused("dph_total", "{\"$lt\": 1}");
	fields_refused("dph_total", "\"0.34\"");
	fields_refused("dph_base", "1e19");
	fields_refused("num_gpus", "9223372036854775807");
	fields_refused("num_gpus", "1e19");
	fields_refused("num_gpus", "-1");
	fields_refused("num_gpus", "1.5");
	fields_refused("num_gpus", "[1]");
	fields_refused("disk_space", "1e300");
	fields_refused("disk_space", "-5");
	fields_refused("cpu_cores_effective", "1e300");
	fields_refused("cpu_cores_effective", "true");
	fields_refused("machine_id", "-1");
	fields_refused("machine_id", "9007199254740993");
	fields_refused("reliability2", "1.5");
	fields_refused("dlperf", "-3");
	fields_refused("start_date", "1e300");

	/* the bounds themselves */
	{
		static const struct {
			const char *row;
			int bad;
		} cases[] = {
			{ "{}", 0 },
			{ "{\"dph_total\": null, \"id\": null}", 0 },
			{ "{\"dph_total\": 0}", 0 },
			{ "{\"dph_total\": 1000}", 0 },
			{ "{\"dph_total\": 1000.01}", 1 },
			{ "{\"dph_total\": -0.0}", 0 },
			{ "{\"num_gpus\": 64}", 0 },
			{ "{\"num_gpus\": 65}", 1 },
			{ "{\"num_gpus\": 8.0}", 0 },
			{ "{\"id\": 9007199254740991}", 0 },
			{ "{\"id\": 9007199254740992}", 1 },
			{ "{\"id\": 0}", 1 },
			{ "{\"id\": \"31000101\"}", 1 },
			{ "{\"ssh_port\": 65535, \"ports\": {\"22/tcp\": [{\"HostPort\": \"41022\"}]}}", 0 },
			{ "{\"ssh_port\": \"30100\"}", 0 },
			{ "{\"ssh_port\": 0}", 1 },
			{ "{\"ports\": {\"22/tcp\": [{\"HostPort\": \"0\"}, {\"HostPort\": 70000}]}}", 2 },
			{ "{\"ports\": {\"8080/tcp\": [{\"HostPort\": \"x\"}]}, \"disk_usage\": -1}", 0 },
			{ "{\"reliability\": 1, \"reliability2\": 0}", 0 },
			{ "{\"gpu_ram\": 1048577, \"disk_space\": 1e7, \"start_date\": -1}", 3 },
			{ "[1]", 1 },
		};
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			json_t *r = json_loads(cases[i].row, JSON_DECODE_ANY, NULL);
			int got = vast_row_check(r, NULL);
			CHECK(got == cases[i].bad, "row check %s: %d bad (got %d)", cases[i].row, cases[i].bad, got);
			json_decref(r);
		}
	}
	{
		json_t *r = json_loads("{\"id\": 7, \"dph_total\": -1, \"gpu_ram\": 24564, "
				       "\"ports\": {\"22/tcp\": [{\"HostPort\": \"0\"}]}}", 0, NULL);
		long long id = 0;
		CHECK(vast_row_screen(r) == 2 && !json_object_get(r, "dph_total") && json_object_get(r, "gpu_ram") &&
		      !json_object_get(json_array_get(json_object_get(json_object_get(r, "ports"), "22/tcp"), 0), "HostPort"),
		      "screen: the bad fields removed, the rest kept");
		CHECK_STR(vast_row_refused(r), "dph_total is -1, not a price ($/h) from 0 to 1000; "
			  "ports[\"22/tcp\"].HostPort is the string \"0\", not a port from 1 to 65535", "screen: why");
		CHECK(vast_row_screen(r) == 0 && vast_row_refused(r), "screened again: still refused");
		CHECK(vast_json_id(json_object_get(r, "id"), &id) == 0 && id == 7, "id 7");
		json_decref(r);
	}

	/* an id that is not one: refused too (nothing to name it by but the field) */
	json_object_set_new(row, "id", json_real(1e19));
	f = vast_instance_fields(row, 0, &err);
	CHECK(!f && strstr(buf_cstr(&err), "id"), "instance with id 1e19: refused (%s)", buf_cstr(&err));
	json_decref(f);
	buf_reset(&err);
	json_decref(row);

	/* offers: a hostile number makes the cost unknown, never cheap */
	o = json_pack("{sIsfsfsfsfsf}", "id", (json_int_t)27045511, "dph_total", 0.33, "dlperf", 78.4,
		      "storage_cost", 0.12, "inet_down_cost", 0.01, "inet_up_cost", 0.01);
	CHECK(vast_offer_cost(o, &p, &c) == 0 && c.known, "plausible offer: cost known");
	json_object_set_new(o, "storage_cost", json_real(-50));
	CHECK(vast_offer_cost(o, &p, &c) < 0 && !c.known, "negative storage_cost: cost unknown");
	json_object_set_new(o, "storage_cost", json_real(0.12));
	json_object_set_new(o, "inet_down_cost", json_real(-1e300));
	CHECK(vast_offer_cost(o, &p, &c) < 0 && !c.known, "inet_down_cost -1e300: cost unknown");
	json_object_set_new(o, "inet_down_cost", json_real(0.01));
	json_object_set_new(o, "dlperf", json_real(1e300));
	CHECK(vast_offer_cost(o, &p, &c) < 0 && !c.known, "dlperf 1e300: cost unknown");
	json_object_set_new(o, "dlperf", json_real(78.4));
	json_object_set_new(o, "dph_total", json_real(1e300));
	CHECK(vast_offer_cost(o, &p, &c) < 0 && !c.known, "dph_total 1e300: cost unknown");
	json_decref(o);

	/* ranking: a negative price never comes first */
	{
		json_t *offers = json_array();
		json_array_append_new(offers, json_pack("{sIsfsf}", "id", (json_int_t)1, "dph_total", 0.3, "dlperf", 20.0));
		json_array_append_new(offers, json_pack("{sIsfsf}", "id", (json_int_t)2, "dph_total", -0.3, "dlperf", 20.0));
		json_array_append_new(offers, json_pack("{sIsfsfsf}", "id", (json_int_t)3, "dph_total", 0.3, "dlperf", 20.0,
							"inet_up_cost", -9.0));
		ranked = vast_rank_offers(offers, &p);
		CHECK(json_integer_value(json_object_get(json_array_get(ranked, 0), "id")) == 1 &&
		      json_is_null(json_object_get(json_array_get(ranked, 1), "cost")) &&
		      json_is_null(json_object_get(json_array_get(ranked, 2), "cost")),
		      "rank: negative prices have no cost and come last");
		json_decref(ranked);
		json_decref(offers);
	}
	buf_release(&err);
}

/* ---- key lookup ---- */

static char tmpdir[] = "/tmp/ros-test-vast-XXXXXX";

static void
put_file(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, rel), *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	mkdir_p(dir, 0700);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write_all(fd, text, strlen(text));
	close(fd);
	free(dir);
	free(path);
}

static void
key_is(const char *flag, const char *want_key, const char *want_where, const char *what)
{
	struct buf err = BUF_INIT;
	char *where = NULL, *k = vast_api_key_from(flag, &where, &err);
	CHECK_STR(k, want_key, "key: %s", what);
	if (want_where && where && want_where[0] == '/')
		CHECK(str_ends(where, want_where + 1), "key: %s: from %s (got %s)", what, want_where + 1, where);
	else if (want_where)
		CHECK_STR(where, want_where, "key: %s: source", what);
	if (!k)
		printf("#   error: %s\n", buf_cstr(&err));
	free(k);
	free(where);
	buf_release(&err);
}

static void
test_keys(void)
{
	struct buf err = BUF_INIT;
	char *k, *xdg;

	if (!mkdtemp(tmpdir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	setenv("HOME", tmpdir, 1);
	unsetenv("VAST_API_KEY");
	unsetenv("VASTAI_API_KEY");
	unsetenv("XDG_CONFIG_HOME");

	k = vast_api_key(NULL, &err);
	CHECK(!k, "no key anywhere: NULL");
	CHECK(strstr(buf_cstr(&err), "--api-key") && strstr(buf_cstr(&err), "VAST_API_KEY") &&
	      strstr(buf_cstr(&err), "/.config/vastai/vast_api_key") && strstr(buf_cstr(&err), "/.vast_api_key"),
	      "message names every place: %s", buf_cstr(&err));
	buf_reset(&err);

	put_file(".vast_api_key", "  legacy-key \n");
	key_is(NULL, "legacy-key", "/.vast_api_key", "legacy file, whitespace stripped");
	put_file(".config/vastai/vast_api_key", "config-key");
	key_is(NULL, "config-key", "/.config/vastai/vast_api_key", "~/.config beats legacy");
	xdg = xasprintf("%s/xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	key_is(NULL, "legacy-key", "/.vast_api_key", "XDG_CONFIG_HOME without the file: legacy");
	put_file("xdg/vastai/vast_api_key", "\nxdg-key\n");
	key_is(NULL, "xdg-key", "/xdg/vastai/vast_api_key", "XDG_CONFIG_HOME file");
	put_file("xdg/vastai/vast_api_key", "  \n");
	key_is(NULL, "legacy-key", "/.vast_api_key", "empty file counts as absent");
	setenv("VASTAI_API_KEY", "env2-key", 1);
	key_is(NULL, "env2-key", "VASTAI_API_KEY", "VASTAI_API_KEY beats files");
	setenv("VAST_API_KEY", " env1-key ", 1);
	key_is(NULL, "env1-key", "VAST_API_KEY", "VAST_API_KEY beats VASTAI_API_KEY");
	key_is("flag-key", "flag-key", "--api-key", "--api-key beats everything");
	setenv("VAST_API_KEY", "", 1);
	key_is(NULL, "env2-key", "VASTAI_API_KEY", "empty VAST_API_KEY counts as absent");

	setenv("VAST_API_KEY", "sec ret", 1);
	k = vast_api_key(NULL, &err);
	CHECK(!k && strstr(buf_cstr(&err), "VAST_API_KEY") && !strstr(buf_cstr(&err), "sec"),
	      "key with a space refused without showing it: %s", buf_cstr(&err));
	buf_reset(&err);
	k = vast_api_key("", &err);
	CHECK(!k && strstr(buf_cstr(&err), "--api-key is empty"), "empty --api-key refused");
	buf_reset(&err);
	unsetenv("VAST_API_KEY");
	unsetenv("VASTAI_API_KEY");
	put_file("xdg/vastai/vast_api_key", "x");
	chmod(xdg, 0);
	if (geteuid() != 0) {	/* root reads anything */
		k = vast_api_key(NULL, &err);
		CHECK(!k && strstr(buf_cstr(&err), "cannot read"), "unreadable key file is an error");
		free(k);
		buf_reset(&err);
	}
	chmod(xdg, 0700);
	free(xdg);
	unsetenv("XDG_CONFIG_HOME");

	setenv("VAST_URL", "http://127.0.0.1:8080//", 1);
	k = vast_base_url();
	CHECK_STR(k, "http://127.0.0.1:8080", "VAST_URL trailing slashes dropped");
	free(k);
	unsetenv("VAST_URL");
	k = vast_base_url();
	CHECK_STR(k, "https://console.vast.ai", "default base URL");
	free(k);
	buf_release(&err);
}

/* ---- URLs, judging replies ---- */

static void
test_urls(void)
{
	struct buf b = BUF_INIT;

	vast_list_url(&b, "https://console.vast.ai", NULL);
	CHECK_STR(b.s, "https://console.vast.ai/api/v1/instances/?select_filters=%7B%7D"
		  "&order_by=%5B%7B%22col%22%3A+%22id%22%2C+%22dir%22%3A+%22asc%22%7D%5D&limit=25",
		  "v1 list URL as the official client builds it");
	buf_reset(&b);
	vast_list_url(&b, "http://h", "tok en/=+~_.-");
	CHECK(str_ends(b.s, "&limit=25&after_token=tok+en%2F%3D%2B~_.-"), "after_token quote_plus'd: %s", b.s);
	buf_reset(&b);
	http_urlencode(&b, "a b\xc3\xa9");
	CHECK_STR(b.s, "a+b%C3%A9", "UTF-8 bytes percent-encoded");
	buf_release(&b);

	CHECK(http_url_ok("https://console.vast.ai"), "https ok");
	CHECK(http_url_ok("HTTP://127.0.0.1:1/x"), "http ok, any case");
	CHECK(!http_url_ok("ftp://x/"), "ftp refused");
	CHECK(!http_url_ok("file:///etc/passwd"), "file refused");
	CHECK(!http_url_ok("https://"), "no host refused");
	CHECK(!http_url_ok("https://a b"), "space refused");
	CHECK(!http_url_ok(NULL), "NULL refused");

	CHECK(http_backoff_ms(1, 1000) == 1000 && http_backoff_ms(2, 1000) == 2000 &&
	      http_backoff_ms(3, 1000) == 4000 && http_backoff_ms(4, 1000) == 8000 &&
	      http_backoff_ms(9, 1000) == 8000, "backoff 1,2,4,8,8 s");
	CHECK(http_backoff_ms(3, 10) == 40, "backoff base 10 ms");
}

static void
judged(long status, const char *body, int want_rc, const char *want_part, const char *what)
{
	struct buf err = BUF_INIT;
	json_t *out = NULL;
	int rc = vast_judge("list instances", status, body, strlen(body), &out, &err);
	CHECK(rc == want_rc && (!want_part || strstr(buf_cstr(&err), want_part)) && (rc ? !out : !!out),
	      "judge %s: rc %d (got %d)", what, want_rc, rc);
	if (want_part && !strstr(buf_cstr(&err), want_part))
		printf("#   message: %s\n", buf_cstr(&err));
	json_decref(out);
	buf_release(&err);
}

static void
test_judge(void)
{
	const char *auth = "{\"success\": false, \"error\": \"auth_error\", \"msg\": \"Invalid user key\"}";
	judged(401, auth, VAST_ERR_AUTH, "Vast.ai rejected the API key (HTTP 401: Invalid user key)", "401");
	judged(404, auth, VAST_ERR_AUTH, "(HTTP 404: Invalid user key)", "404 auth_error");
	judged(403, "{\"detail\":\"forbidden\"}", VAST_ERR_AUTH, "permission to list instances", "403");
	judged(401, "Please log in", VAST_ERR_AUTH, "(HTTP 401: Please log in)", "401 text");
	judged(429, "API requests too frequent", VAST_ERR_RATE, "rate-limiting", "429 text");
	judged(429, "{\"detail\": \"API requests too frequent endpoint threshold=2.0\"}", VAST_ERR_RATE,
	       "threshold=2.0", "429 JSON");
	judged(410, "{\"success\":false,\"error\":\"deprecated_endpoint\",\"msg\":\"/api/v0/instances/ is "
	       "deprecated. Use /api/v1/instances/ instead.\"}", VAST_ERR, "retired", "410");
	judged(404, "{\"success\": false, \"error\": \"invalid_args\", \"msg\": \"error 404/3603: no_such_ask "
	       "Instance type by id 27045511 is not available.\", \"ask_id\": 27045511}", VAST_ERR_NO_SUCH_ASK,
	       "no longer available", "404 no_such_ask");
	judged(404, "{\"success\": false, \"error\": \"not_found\", \"msg\": \"Instance not found\"}",
	       VAST_ERR_NOT_FOUND, "Instance not found", "404 not_found");
	judged(200, "{\"success\": false, \"msg\": \"cannot stop\"}", VAST_ERR, "success=false: cannot stop",
	       "200 success false");
	judged(200, "<html>oops</html>", VAST_ERR, "not JSON: an HTML page", "200 HTML");
	judged(200, "", VAST_ERR, "an empty body", "200 empty");
	judged(502, "<html><body>Bad gateway</body></html>", VAST_ERR, "HTTP 502: an HTML page", "502");
	judged(301, "", VAST_ERR, "redirect", "301");
	judged(200, "{\"success\": true, \"instances\": []}", VAST_OK, NULL, "200 ok");
	judged(200, "[1,2]", VAST_OK, NULL, "200 array");
}

/* ---- the HTTP layer against a tiny forked server ---- */

static void
collect_warning(void *arg, const char *msg)
{
	strv_push(arg, msg);
}

/*
 * Serve n connections on fd, answering the i-th with replies[i], and append
 * each request (head and body) to the file log.
 */
static void
serve(int fd, const char *const *replies, int n, const char *log)
{
	for (int i = 0; i < n; i++) {
		int c = accept(fd, NULL, NULL), out;
		char req[8192];
		size_t len = 0;
		ssize_t r;
		char *end;

		if (c < 0)
			_exit(1);
		while (len < sizeof(req) - 1 && (r = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
			len += (size_t)r;
			req[len] = 0;
			if ((end = strstr(req, "\r\n\r\n"))) {
				char *cl = strcasestr(req, "Content-Length:");
				size_t want = cl ? (size_t)atol(cl + 15) : 0;
				if (len >= (size_t)(end + 4 - req) + want)
					break;
			}
		}
		out = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
		write_all(out, req, len);
		write_all(out, "\n----\n", 6);
		close(out);
		write_all(c, replies[i], strlen(replies[i]));
		close(c);
	}
	_exit(0);
}

static pid_t
start_server(const char *const *replies, int n, const char *log, int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	unlink(log);
	if ((pid = fork()) == 0)
		serve(fd, replies, n, log);
	close(fd);
	return pid;
}

static int
stop_server(pid_t pid)
{
	int st = 0;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return st;
}

static void
set_url(int port)
{
	char *u = xasprintf("http://127.0.0.1:%d/", port);
	setenv("VAST_URL", u, 1);
	free(u);
}

#define R429 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n" \
	     "Connection: close\r\n\r\nAPI requests too frequent"
#define R500 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

static void
test_http(void)
{
	char *log = xasprintf("%s/requests.log", tmpdir), *url, *text;
	struct http_req rq = HTTP_REQ_INIT;
	struct http_resp rs = HTTP_RESP_INIT;
	struct vast_client vc = VAST_CLIENT_INIT;
	struct buf err = BUF_INIT;
	int port, rc;
	pid_t pid;
	json_t *j;

	setenv("ROS_HTTP_BACKOFF_MS", "1", 1);

	/* refused before anything is loaded or sent */
	rq.url = "file:///etc/passwd";
	CHECK(http_do(&rq, &rs) == -1 && rs.transport_error == HTTP_ERR_USAGE && strstr(rs.errbuf, "refusing"),
	      "file:// URL refused");

	/* libcurl missing: a clear message (in a child: loading happens once) */
	if ((pid = fork()) == 0) {
		struct http_resp r2 = HTTP_RESP_INIT;
		setenv("ROS_LIBCURL", "/nonexistent/libcurl.so.4", 1);
		rq.url = "http://127.0.0.1:1/";
		int ok = http_do(&rq, &r2) == -1 && r2.transport_error == HTTP_ERR_NOLIB &&
			strstr(r2.errbuf, "cannot load libcurl");
		_exit(ok ? 0 : 1);
	}
	{
		int st;
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "libcurl missing: clear error");
	}

	/* 429, 500, then 200: retried, headers right, key never in the URL */
	{
		static const char *const replies[] = {
			R429, R500,
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			"Connection: close\r\n\r\n{\"success\": true, \"instances\": [], \"next_token\": null}",
		};
		pid = start_server(replies, 3, log, &port);
		CHECK(pid > 0, "server started");
		set_url(port);
		setenv("VAST_API_KEY", "s3cr3t-key-abc", 1);
		CHECK(vast_client_init(&vc, NULL, &err) == 0, "client init");
		j = vast_list_instances(&vc, &err);
		CHECK(json_is_array(j) && json_array_size(j) == 0, "empty list after 429 and 500 retries: %s",
		      buf_cstr(&err));
		json_decref(j);
		stop_server(pid);
		text = read_file(log, NULL);
		CHECK(text && strstr(text, "GET /api/v1/instances/?select_filters=%7B%7D&order_by="), "GET v1 list");
		CHECK(text && strstr(text, "Authorization: Bearer s3cr3t-key-abc\r\n"), "bearer header sent");
		CHECK(text && !strstr(text, "api_key="), "no api_key in the URL");
		{
			int n = 0;
			for (char *p = text; p && (p = strstr(p, "GET /api/v1/")); p++)
				n++;
			CHECK(n == 3, "three attempts (got %d)", n);
		}
		free(text);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* 401: no retry, plain message, the key is not in it */
	{
		static const char *const replies[] = {
			"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
			"Connection: close\r\n\r\n{\"success\": false, \"error\": \"auth_error\", \"msg\": \"Invalid user key\"}",
		};
		pid = start_server(replies, 1, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		j = vast_current_user(&vc, &err);
		CHECK(!j && vc.last_err == VAST_ERR_AUTH && vc.last_status == 401, "401 is an auth error");
		CHECK_STR(buf_cstr(&err), "Vast.ai rejected the API key (HTTP 401: Invalid user key)", "401 message");
		stop_server(pid);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* paging: next_token handed back as after_token; rows normalised */
	{
		static const char *const replies[] = {
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"instances\": [{\"id\": 1, \"public_ipaddr\": \"192.0.2.1\\n\"}], \"next_token\": \"p 2\"}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"instances\": [{\"id\": 2, \"ports\": null}], \"next_token\": null}",
		};
		pid = start_server(replies, 2, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		j = vast_list_instances(&vc, &err);
		CHECK(json_array_size(j) == 2, "two pages joined: %s", buf_cstr(&err));
		CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "public_ipaddr")), "192.0.2.1",
			  "listed rows normalised");
		json_decref(j);
		stop_server(pid);
		text = read_file(log, NULL);
		CHECK(text && strstr(text, "&limit=25&after_token=p+2 HTTP/1.1"), "after_token sent");
		free(text);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* 410 on a list is an error, never an empty list */
	{
		static const char *const replies[] = {
			"HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\":false,\"error\":\"deprecated_endpoint\",\"msg\":\"gone\"}",
		};
		pid = start_server(replies, 1, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		j = vast_list_instances(&vc, &err);
		CHECK(!j && strstr(buf_cstr(&err), "HTTP 410"), "410 list is an error");
		stop_server(pid);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* rent: PUT with the body; a 500 is not retried; 404 no_such_ask is distinct */
	{
		static const char *const replies[] = {
			R500,
			"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": false, \"error\": \"invalid_args\", \"msg\": \"error 404/3603: no_such_ask x\"}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"new_contract\": 31000222, \"instance_api_key\": \"c0ffee\"}",
		};
		struct vast_create_opts co = { "pytorch/pytorch:2.4.0", 40, "ros-train", "touch x", NULL, NULL, 0 };
		json_t *body = vast_create_body(&co);
		long long id = 0;
		char *bs = dump(body);
		CHECK_STR(bs, "{\"client_id\":\"me\",\"image\":\"pytorch/pytorch:2.4.0\",\"disk\":40.0,\"label\":\"ros-train\","
			  "\"onstart\":\"touch x\",\"runtype\":\"ssh_direc ssh_proxy\",\"env\":{},\"price\":null}", "create body");
		pid = start_server(replies, 3, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		rc = vast_create_instance(&vc, 27045511, body, &id, &err);
		CHECK(rc == VAST_ERR && vc.maybe_processed && strstr(buf_cstr(&err), "untracked"),
		      "rent 500: not retried, warns of a possible instance: %s", buf_cstr(&err));
		buf_reset(&err);
		rc = vast_create_instance(&vc, 27045511, body, &id, &err);
		CHECK(rc == VAST_ERR_NO_SUCH_ASK && !vc.maybe_processed, "rent 404 no_such_ask: distinct code");
		buf_reset(&err);
		rc = vast_create_instance(&vc, 27045511, body, &id, &err);
		CHECK(rc == 0 && id == 31000222, "rent ok: new_contract %lld", id);
		stop_server(pid);
		text = read_file(log, NULL);
		CHECK(text && strstr(text, "PUT /api/v0/asks/27045511/ HTTP/1.1"), "PUT /asks/ID/");
		CHECK(text && strstr(text, "Content-Type: application/json") && strstr(text, bs), "JSON body sent");
		free(text);
		free(bs);
		json_decref(body);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* destroy: DELETE with {}; a 404 after a retried 502 counts as done */
	{
		static const char *const replies[] = {
			"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": false, \"error\": \"not_found\", \"msg\": \"Instance not found\"}",
			"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": false, \"error\": \"not_found\", \"msg\": \"Instance not found\"}",
		};
		pid = start_server(replies, 3, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		rc = vast_destroy_instance(&vc, 31000101, &err);
		CHECK(rc == 0 && !err.len, "destroy: 502 then 404 is success");
		rc = vast_destroy_instance(&vc, 31000101, &err);
		CHECK(rc == VAST_ERR_NOT_FOUND, "destroy unknown id: not found");
		stop_server(pid);
		text = read_file(log, NULL);
		CHECK(text && strstr(text, "DELETE /api/v0/instances/31000101/ HTTP/1.1") && strstr(text, "\r\n\r\n{}"),
		      "DELETE with {} body");
		free(text);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* hostile numbers: listed instances lose them and say why; offers with them are dropped */
	{
		static const char *const replies[] = {
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"next_token\": null, \"instances\": ["
			"{\"id\": 1, \"label\": \"a\", \"dph_total\": 0.5, \"gpu_ram\": 24564, \"actual_status\": \"running\"},"
			"{\"id\": 2, \"label\": \"b\", \"dph_total\": 1e300, \"gpu_ram\": 24564, \"actual_status\": \"running\"},"
			"{\"id\": 3, \"dph_total\": -1, \"num_gpus\": -9223372036854775808},"
			"{\"id\": 1e19, \"label\": \"d\", \"dph_total\": 0.2},"
			"{\"id\": 5, \"ssh_port\": \"22; x\", \"cpu_cores_effective\": {\"n\": 8}},"
			"42]}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"offers\": [{\"id\": 11, \"dph_total\": 0.2, \"dlperf\": 10},"
			"{\"id\": 12, \"dph_total\": -0.2, \"dlperf\": 10},"
			"{\"id\": 13, \"dph_total\": 0.2, \"min_bid\": 1e300},"
			"{\"id\": 14, \"dph_total\": 0.2, \"machine_id\": 1e19},"
			"{\"id\": -15, \"dph_total\": 0.2},"
			"{\"id\": 16, \"dph_total\": 0.2, \"storage_cost\": \"0.1\"},"
			"{\"id\": 17, \"dph_total\": 0.2, \"inet_up_cost\": -1},"
			"{\"id\": 18, \"dph_total\": 0.2, \"reliability\": 2},"
			"{\"id\": 19, \"dph_total\": 0.2, \"duration\": -1},"
			"[]]}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"new_contract\": 1e19}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"new_contract\": -7}",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			"{\"success\": true, \"next_token\": null, \"instances\": [{\"id\": 9223372036854775808}]}",
		};
		json_t *q = json_object(), *body = json_object(), *r;
		struct strv warned = STRV_INIT;
		long long id = 0;
		pid = start_server(replies, 5, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		vc.warn = collect_warning;
		vc.warn_arg = &warned;
		j = vast_list_instances(&vc, &err);
		CHECK(json_array_size(j) == 5, "list: the five objects kept, the non-object dropped (%zu)",
		      json_array_size(j));
		r = json_array_get(j, 0);
		CHECK(json_real_value(json_object_get(r, "dph_total")) == 0.5 && !json_object_get(r, "ros_refused"),
		      "list: a plausible row untouched");
		r = json_array_get(j, 1);
		CHECK(!json_object_get(r, "dph_total") && json_object_get(r, "gpu_ram") &&
		      strstr(json_string_value(json_object_get(r, "ros_refused")) ?: "", "dph_total") &&
		      !strcmp(json_string_value(json_object_get(r, "label")) ?: "", "b"),
		      "list: dph_total 1e300 removed, the row marked refused, the rest kept");
		r = json_array_get(j, 2);
		CHECK(!json_object_get(r, "dph_total") && !json_object_get(r, "num_gpus") &&
		      strstr(json_string_value(json_object_get(r, "ros_refused")) ?: "", "num_gpus"),
		      "list: negative price and count removed");
		r = json_array_get(j, 3);
		CHECK(!json_object_get(r, "id") && json_object_get(r, "ros_refused") &&
		      !strcmp(json_string_value(json_object_get(r, "label")) ?: "", "d"),
		      "list: an id of 1e19 removed, the label kept");
		r = json_array_get(j, 4);
		CHECK(!json_object_get(r, "ssh_port") && !json_object_get(r, "cpu_cores_effective") &&
		      json_object_get(r, "ros_refused"), "list: a port that is no number and an object count removed");
		CHECK(warned.n == 5, "list: one warning per refused row (%zu)", warned.n);
		CHECK(warned.n == 5 && strstr(warned.v[0], "instance 2 ") && strstr(warned.v[0], "dph_total is 1e+300") &&
		      strstr(warned.v[2], "without a usable id") && strstr(warned.v[2], "id is 1e+19") &&
		      strstr(warned.v[4], "not an object"), "list: each names the id and the field (%s)",
		      warned.n ? warned.v[0] : "");
		strv_release(&warned);
		json_decref(j);
		buf_reset(&err);
		j = vast_search_offers(&vc, q, &err);
		CHECK(json_array_size(j) == 1 &&
		      json_integer_value(json_object_get(json_array_get(j, 0), "id")) == 11,
		      "search: only the plausible offer kept (%zu)", json_array_size(j));
		CHECK(warned.n == 9 && strstr(warned.v[0], "offer 12 left out: dph_total is -0.2"),
		      "search: one warning per offer left out (%zu)", warned.n);
		strv_release(&warned);
		json_decref(j);
		buf_reset(&err);
		rc = vast_create_instance(&vc, 27045511, body, &id, &err);
		CHECK(rc != VAST_OK && vc.maybe_processed && id == 0, "rent: new_contract 1e19 refused (%s)", buf_cstr(&err));
		buf_reset(&err);
		rc = vast_create_instance(&vc, 27045511, body, &id, &err);
		CHECK(rc != VAST_OK && vc.maybe_processed && id == 0, "rent: new_contract -7 refused (%s)", buf_cstr(&err));
		buf_reset(&err);
		j = vast_list_instances(&vc, &err);
		CHECK(!j && strstr(buf_cstr(&err), "too big integer"),
		      "list: an integer past 2^63 fails the call, saying why (%s)", buf_cstr(&err));
		stop_server(pid);
		json_decref(q);
		json_decref(body);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* many refused rows: the first ones named, the rest counted in one line */
	{
		struct buf reply = BUF_INIT;
		struct strv warned = STRV_INIT;
		const char *replies[1];
		buf_adds(&reply, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
			 "{\"offers\": [");
		for (int i = 0; i < 30; i++)
			buf_addf(&reply, "%s{\"id\": %d, \"dph_total\": -1}", i ? "," : "", 100 + i);
		buf_adds(&reply, "]}");
		replies[0] = reply.s;
		pid = start_server(replies, 1, log, &port);
		set_url(port);
		vast_client_init(&vc, NULL, &err);
		vc.warn = collect_warning;
		vc.warn_arg = &warned;
		json_t *q = json_object();
		j = vast_search_offers(&vc, q, &err);
		CHECK(j && json_array_size(j) == 0 && warned.n == 21 && strstr(warned.v[19], "offer 119 ") &&
		      !strcmp(warned.v[20], "and 10 more Vast.ai offers refused for their numbers"),
		      "30 refused offers: 20 named, then one line for the rest (%zu: %s)", warned.n,
		      warned.n ? warned.v[warned.n - 1] : "");
		json_decref(j);
		json_decref(q);
		stop_server(pid);
		strv_release(&warned);
		buf_release(&reply);
		vast_client_release(&vc);
		buf_reset(&err);
	}

	/* Retry-After is honoured, scaled like the base delay (3 s x 100/1000) */
	{
		static const char *const replies[] = {
			"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 0\r\n"
			"Connection: close\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{}",
		};
		int64_t t0;
		long ms;
		setenv("ROS_HTTP_BACKOFF_MS", "100", 1);
		pid = start_server(replies, 2, log, &port);
		url = xasprintf("http://127.0.0.1:%d/x", port);
		rq.url = url;
		t0 = mono_ms();
		rc = http_do(&rq, &rs);
		ms = (long)(mono_ms() - t0);
		CHECK(rc == 0 && rs.status == 200 && rs.attempts == 2 && ms >= 280 && ms < 3000,
		      "Retry-After: 3 waited %ld ms (base 100 ms: want about 300)", ms);
		CHECK(rs.content_type && !strcmp(rs.content_type, "application/json"), "content type kept");
		stop_server(pid);
		free(url);
		setenv("ROS_HTTP_BACKOFF_MS", "1", 1);
	}

	/* nobody listening: transport error after the attempts */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(fd, (struct sockaddr *)&a, sizeof(a));
		getsockname(fd, (struct sockaddr *)&a, &al);
		close(fd);	/* a port that was free a moment ago */
		url = xasprintf("http://127.0.0.1:%d/", ntohs(a.sin_port));
		rq.url = url;
		rq.max_attempts = 3;
		rq.bearer = "s3cr3t-key-abc";
		CHECK(http_do(&rq, &rs) == -1 && rs.attempts == 3 && rs.transport_error > 0 &&
		      !rs.maybe_processed && !strstr(rs.errbuf, "s3cr3t"),
		      "connection refused: 3 attempts, then an error (%s)", rs.errbuf);
		/* unsafe, but it never reached a server: retried all the same */
		rq.unsafe = 1;
		CHECK(http_do(&rq, &rs) == -1 && rs.attempts == 3 && !rs.maybe_processed,
		      "unsafe request retried when the connection was refused");
		free(url);
	}

	http_resp_release(&rs);
	buf_release(&err);
	unsetenv("VAST_URL");
	unsetenv("VAST_API_KEY");
	free(log);
}

/* ---- settings given one at a time ---- */

static void
test_given(void)
{
	struct strv ids = STRV_INIT;
	struct vast_given g[] = {
		{ "storage", VG_NUM, offsetof(struct vast_hunt, disk_gb), 10, 0, NULL, NULL, 0 },
		{ "disk-gb", VG_NUM, offsetof(struct vast_hunt, disk_gb), NAN, 0, NULL, NULL, 0 },
		{ "gpu", VG_NAMES, offsetof(struct vast_hunt, gpus), NAN, 0, "RTX 3060, RTX 3070", NULL, 0 },
		{ "num-gpus", VG_WHOLE, offsetof(struct vast_hunt, num_gpus), NAN, 2, NULL, NULL, 1 },
		{ "exclude-offer-id", VG_IDS, 0, NAN, 0, NULL, &ids, 0 },
	};
	struct vast_hunt h;
	struct buf msg = BUF_INIT;
	char *q;

	strv_push(&ids, "7,8");
	CHECK(!vast_given_conflict(g, 5, NULL, &msg), "no conflict (%s)", buf_cstr(&msg));
	CHECK(!vast_given_conflict(g, 5, "dph<0.5", &msg), "none with a query on another filter (%s)", buf_cstr(&msg));
	CHECK(vast_given_conflict(g, 5, "gpu_name in [A100]", &msg) &&
	      strstr(buf_cstr(&msg), "--gpu 'RTX 3060, RTX 3070' and --query's"), "one with a query on its filter: %s",
	      buf_cstr(&msg));
	buf_reset(&msg);
	g[1].num = 20;
	CHECK(vast_given_conflict(g, 5, NULL, &msg) &&
	      !strcmp(buf_cstr(&msg), "--storage 10 and --disk-gb 20 are the same setting: give one"),
	      "two names of one setting, two values: %s", buf_cstr(&msg));
	buf_reset(&msg);
	g[1].num = NAN;
	vast_hunt_init(&h);
	for (size_t i = 0; i < 5; i++)
		CHECK(vast_given_apply(&g[i], &h, &msg) == 0, "apply --%s", g[i].name);
	q = vast_hunt_query_string(&h);
	CHECK_STR(q, "disk_space>=10 num_gpus=2 gpu_name in [RTX_3060,RTX_3070] id notin [7,8]", "the query they add up to");
	free(q);
	vast_hunt_release(&h);
	g[2].text = "RTX [3060]";
	vast_hunt_init(&h);
	CHECK(vast_given_apply(&g[2], &h, &msg) < 0 && !strcmp(buf_cstr(&msg), "bad name 'RTX [3060]' in --gpu"),
	      "a name that is not plain: %s", buf_cstr(&msg));
	vast_hunt_release(&h);
	strv_release(&ids);
	buf_release(&msg);
}

/* ---- new worker entries ---- */

/* The keys of entry e, in order, and the defaults worth checking. */
static char *
entry_brief(const json_t *e)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)e, k, v)
		buf_addf(&b, "%s%s", b.len ? " " : "", k);
	buf_addf(&b, " | %s %s %s", json_string_value(json_object_get(e, "kind")),
		 json_string_value(json_object_get(e, "worker_pool")), json_string_value(json_object_get(e, "workspace")));
	return buf_detach(&b);
}

static void
test_entries(void)
{
	struct worker_spec local = { .id = "box" }, ssh = { .id = "gpu1", .host = "10.0.0.5", .user = "me" };
	json_t *row = json_loads(good_inst_json, 0, NULL), *e;
	struct vast_reg_opts ro = { 0 };
	struct buf err = BUF_INIT;
	char *s;

	e = worker_entry(&local);
	s = entry_brief(e);
	CHECK_STR(s, "worker_id kind enabled worker_pool workspace health | local local workspace", "a local worker's defaults");
	CHECK(json_is_true(json_object_get(e, "enabled")), "enabled");
	CHECK_STR(json_string_value(json_object_get(json_object_get(e, "health"), "heartbeat_command")), "echo ok",
		  "the heartbeat");
	free(s);
	json_decref(e);
	e = worker_entry(&ssh);
	s = entry_brief(e);
	CHECK_STR(s, "worker_id kind enabled worker_pool ssh workspace health | ssh default research-worker",
		  "an ssh worker's defaults");
	CHECK(worker_entry_check(e, &err) == 0, "it reads back (%s)", buf_cstr(&err));
	free(s);
	json_decref(e);

	/* a rental and add-worker --vastai-instance-id: the same defaults */
	e = vast_rental_entry("vastai_auto_1", 31000101, row, NULL, &ro, &err);
	s = e ? entry_brief(e) : NULL;
	CHECK_STR(s, "worker_id instance_id kind enabled worker_pool ssh workspace resources dph health notes "
		  "| ssh vastai /root/research-worker", "a rental's entry");
	free(s);
	json_decref(e);
	struct worker_spec inst = { .id = "vastai_31000101", .instance_id = 31000101, .host = "ssh4.vast.ai" };
	e = worker_entry(&inst);
	s = entry_brief(e);
	CHECK_STR(s, "worker_id instance_id kind enabled worker_pool ssh workspace health | ssh vastai /root/research-worker",
		  "an instance's entry from add-worker");
	free(s);
	json_decref(e);
	json_decref(row);
	buf_release(&err);
}

/* ---- the watcher's label ---- */

/* The label as the first watcher wrote it: rentals made then carry it. */
static char *
old_label(const char *root)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)root; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return xasprintf("ros-watcher:%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

static void
test_label(void)
{
	static const char *const roots[] = { "/", "/home/u/research-os", "/srv/r\xc3\xa9sum\xc3\xa9/root",
					     "/var/lib/ros roots/with space", "/\xff\x80 odd" };
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
		char *now = watch_label(roots[i]), *then = old_label(roots[i]);
		CHECK_STR(now, then, "label of root %zu: what earlier rentals carry", i);
		free(now);
		free(then);
	}
	/* pinned: FNV-1a 64 of the path, low 48 bits */
	char *l = watch_label("/home/u/research-os");
	CHECK_STR(l, "ros-watcher:1551dd553974", "label pinned");
	free(l);
	l = watch_label("/srv/r\xc3\xa9sum\xc3\xa9/root");
	CHECK_STR(l, "ros-watcher:7bbf8c23393a", "label pinned (UTF-8 path)");
	free(l);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_query();
	test_dedup();
	test_cost();
	test_rows();
	test_hostile();
	test_keys();
	test_urls();
	test_judge();
	test_http();
	test_label();
	test_entries();
	test_given();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_DONE();
}
