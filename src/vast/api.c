/*
 * api.c - Vast.ai calls on top of http.c: key and URL lookup, judging
 * replies, paging, normalising rows, SSH endpoints.
 */
#include "vast/api.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/jx.h"
#include "vast/http.h"
#include "vast/values.h"

#define DEFAULT_URL "https://console.vast.ai"
#define MAX_PAGES 2000		/* 50,000 instances: past that, assume a loop */
#define MAX_WARN 20		/* refused rows named per call; the rest are counted */

/* ---- key and URL ---- */

static char *
strip_ws(const char *s, size_t n)
{
	size_t a = 0;
	while (a < n && isspace((unsigned char)s[a]))
		a++;
	while (n > a && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s + a, n - a);
}

static int
key_chars_ok(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k <= ' ' || *k == 0x7f)
			return 0;
	return 1;
}

/* Take candidate value v from where: 1 found (in *key), 0 empty, -1 bad. */
static int
take_key(const char *v, size_t n, const char *where, char **key, struct buf *err)
{
	char *k = strip_ws(v, n);
	if (!*k) {
		free(k);
		return 0;
	}
	if (!key_chars_ok(k)) {
		explicit_bzero(k, strlen(k));
		free(k);
		buf_addf(err, "the Vast.ai API key from %s holds spaces or control characters", where);
		return -1;
	}
	*key = k;
	return 1;
}

char *
vast_api_key_from(const char *flag_key, char **where, struct buf *err)
{
	static const char *const envs[] = { "VAST_API_KEY", "VASTAI_API_KEY" };
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	char *files[2] = { NULL, NULL }, *key = NULL, *src = NULL;
	int r;

	if (where)
		*where = NULL;
	if (flag_key) {
		if ((r = take_key(flag_key, strlen(flag_key), "--api-key", &key, err)) < 0)
			return NULL;
		if (r == 0) {
			buf_adds(err, "--api-key is empty");
			return NULL;
		}
		src = xstrdup("--api-key");
		goto found;
	}
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++) {
		const char *v = getenv(envs[i]);
		if (!v)
			continue;
		if ((r = take_key(v, strlen(v), envs[i], &key, err)) < 0)
			return NULL;
		if (r) {
			src = xstrdup(envs[i]);
			goto found;
		}
	}

	if (xdg && xdg[0] == '/')
		files[0] = xasprintf("%s/vastai/vast_api_key", xdg);
	else if (home && *home)
		files[0] = xasprintf("%s/.config/vastai/vast_api_key", home);
	if (home && *home)
		files[1] = xasprintf("%s/.vast_api_key", home);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t len;
		char *text;
		if (!files[i])
			continue;
		if (!(text = read_file(files[i], &len))) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			buf_addf(err, "cannot read the Vast.ai API key file %s: %s", files[i],
				 strerror(errno));
			goto out;
		}
		r = take_key(text, len, files[i], &key, err);
		explicit_bzero(text, len);
		free(text);
		if (r < 0)
			goto out;
		if (r) {
			src = files[i];
			files[i] = NULL;
			goto found;
		}
	}
	buf_addf(err, "no Vast.ai API key: pass --api-key KEY, set VAST_API_KEY (or VASTAI_API_KEY), "
		 "or write the key to %s (or %s)",
		 files[0] ? files[0] : "~/.config/vastai/vast_api_key",
		 files[1] ? files[1] : "~/.vast_api_key");
	goto out;
found:
	if (where)
		*where = src;
	else
		free(src);
out:
	free(files[0]);
	free(files[1]);
	return key;
}

char *
vast_api_key(const char *flag_key, struct buf *err)
{
	return vast_api_key_from(flag_key, NULL, err);
}

char *
vast_base_url(void)
{
	const char *e = getenv("VAST_URL");
	char *u = xstrdup(e && *e ? e : DEFAULT_URL);
	size_t n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = 0;
	return u;
}

int
vast_client_init(struct vast_client *vc, const char *flag_key, struct buf *err)
{
	if (!(vc->key = vast_api_key(flag_key, err)))
		return -1;
	vc->base = vast_base_url();
	if (!http_url_ok(vc->base)) {
		buf_addf(err, "VAST_URL must be an http:// or https:// URL, not '%s'", vc->base);
		return -1;
	}
	return 0;
}

void
vast_client_release(struct vast_client *vc)
{
	if (vc->key) {
		explicit_bzero(vc->key, strlen(vc->key));
		free(vc->key);
	}
	free(vc->base);
	vc->key = vc->base = NULL;
}

/* ---- judging replies ---- */

/* A short, printable excerpt of a non-JSON body. */
static void
add_text_excerpt(struct buf *b, const char *body, size_t len)
{
	size_t i = 0, n = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i < len && body[i] == '<') {
		buf_adds(b, "an HTML page");
		return;
	}
	if (i >= len) {
		buf_adds(b, "an empty body");
		return;
	}
	for (; i < len && n < 160 && body[i] != '\n' && body[i] != '\r'; i++, n++)
		buf_addc(b, (unsigned char)body[i] < ' ' || body[i] == 0x7f ? '?' : body[i]);
	if (i < len && n >= 160)
		buf_adds(b, "...");
}

/* The human part of an error body: msg, message, detail or error. */
static void
add_reason(struct buf *b, const json_t *j, const char *body, size_t len)
{
	static const char *const keys[] = { "msg", "message", "detail", "error" };
	if (j) {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			const char *s = jstr(j, keys[i]);
			if (s && *s) {
				size_t n = strlen(s);
				add_text_excerpt(b, s, n > 300 ? 300 : n);
				return;
			}
		}
		buf_adds(b, "no message");
		return;
	}
	add_text_excerpt(b, body, len);
}

static int
mentions(const json_t *j, const char *word)
{
	static const char *const keys[] = { "error", "msg", "message", "detail" };
	for (size_t i = 0; j && i < ARRAY_SIZE(keys); i++) {
		const char *s = jstr(j, keys[i]);
		if (s && strstr(s, word))
			return 1;
	}
	return 0;
}

int
vast_judge(const char *what, long status, const char *body, size_t len, json_t **out,
	   struct buf *err)
{
	json_error_t jerr;
	json_t *j = len ? json_loadb(body, len, JSON_DECODE_ANY, &jerr) : NULL;
	json_t *obj = json_is_object(j) ? j : NULL;
	const char *code = obj ? jstr(obj, "error") : NULL;
	int ok2xx = status >= 200 && status < 300;
	int rc = VAST_ERR;

	*out = NULL;
	if (status == 401 || status == 403 || (code && !strcmp(code, "auth_error"))) {
		buf_addf(err, "Vast.ai rejected the API key (HTTP %ld: ", status);
		if (obj || len)
			add_reason(err, obj, body, len);
		else
			buf_adds(err, "no message");
		buf_adds(err, ")");
		if (status == 403)
			buf_addf(err, "; a scoped key may lack the permission to %s", what);
		rc = VAST_ERR_AUTH;
	} else if (status == 429) {
		buf_addf(err, "cannot %s: Vast.ai is rate-limiting this key (HTTP 429: ", what);
		add_reason(err, obj, body, len);
		buf_adds(err, ") and kept doing so while ros backed off; try again in a minute");
		rc = VAST_ERR_RATE;
	} else if ((status == 404 || status == 410) && mentions(obj, "no_such_ask")) {
		buf_addf(err, "cannot %s: the offer is no longer available (HTTP %ld: ", what, status);
		add_reason(err, obj, body, len);
		buf_adds(err, ")");
		rc = VAST_ERR_NO_SUCH_ASK;
	} else if (status == 410) {
		buf_addf(err, "cannot %s: Vast.ai has retired this endpoint (HTTP 410: ", what);
		add_reason(err, obj, body, len);
		buf_adds(err, "); the instance list moved to /api/v1/instances/ in 2026, so this "
			 "server (VAST_URL) or this ros is out of date");
	} else if (status == 404 && code && (!strcmp(code, "not_found") || !strcmp(code, "no_such_instance"))) {
		buf_addf(err, "cannot %s: not found (HTTP 404: ", what);
		add_reason(err, obj, body, len);
		buf_adds(err, ")");
		rc = VAST_ERR_NOT_FOUND;
	} else if (status >= 300 && status < 400) {
		buf_addf(err, "cannot %s: Vast.ai answered HTTP %ld, a redirect, which ros does not "
			 "follow; check VAST_URL", what, status);
	} else if (!ok2xx) {
		buf_addf(err, "cannot %s: Vast.ai answered HTTP %ld: ", what, status);
		add_reason(err, obj, body, len);
	} else if (!j) {
		size_t k = 0;
		buf_addf(err, "cannot %s: Vast.ai's reply (HTTP %ld) is not JSON: ", what, status);
		while (k < len && isspace((unsigned char)body[k]))
			k++;
		if (k < len && (body[k] == '{' || body[k] == '[')) {	/* nearly: say what is wrong */
			for (const char *c = jerr.text; *c; c++)
				buf_addc(err, (unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f ? '?' : *c);
			buf_addf(err, " at byte %d: ", jerr.position);
		}
		add_text_excerpt(err, body, len);
	} else if (obj && json_is_false(json_object_get(obj, "success"))) {
		buf_addf(err, "cannot %s: Vast.ai refused (HTTP %ld, success=false: ", what, status);
		add_reason(err, obj, body, len);
		buf_adds(err, ")");
		if (mentions(obj, "no_such_ask"))
			rc = VAST_ERR_NO_SUCH_ASK;
	} else {
		*out = j;
		return VAST_OK;
	}
	json_decref(j);
	return rc;
}

/* ---- the request ---- */

/* Replace every occurrence of the key in err from offset `from` on. */
static void
scrub(struct buf *err, size_t from, const char *key)
{
	size_t kl = key ? strlen(key) : 0;
	struct buf tmp = BUF_INIT;
	const char *p, *hit;

	if (!kl || err->len <= from || !strstr(err->s + from, key))
		return;
	buf_add(&tmp, err->s, from);
	for (p = err->s + from; (hit = strstr(p, key)); p = hit + kl) {
		buf_add(&tmp, p, (size_t)(hit - p));
		buf_adds(&tmp, "<redacted>");
	}
	buf_adds(&tmp, p);
	buf_release(err);
	*err = tmp;
}

/*
 * One call: method path (relative to the base, may hold a query string),
 * optional JSON body.  Returns VAST_OK with *out, or a VAST_ERR_* code with
 * *err.  *rs_flags gets maybe_repeated (1) and maybe_processed (2).
 */
static int
call(struct vast_client *vc, const char *what, const char *method, const char *url,
     const json_t *body, int unsafe, json_t **out, int *rs_flags, struct buf *err)
{
	struct http_req rq = HTTP_REQ_INIT;
	struct http_resp rs = HTTP_RESP_INIT;
	size_t from = err->len;
	char *text = NULL;
	int rc;

	*out = NULL;
	if (rs_flags)
		*rs_flags = 0;
	rq.method = method;
	rq.url = url;
	rq.bearer = vc->key;
	rq.timeout_ms = vc->timeout_ms;
	rq.connect_timeout_ms = vc->connect_timeout_ms;
	rq.max_attempts = vc->max_attempts;
	rq.unsafe = unsafe;
	strv_push(&rq.headers, "Accept: application/json");
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			die("out of memory");
		rq.body = text;
		rq.body_len = strlen(text);
		strv_push(&rq.headers, "Content-Type: application/json");
	}

	vc->maybe_processed = 0;
	if (http_do(&rq, &rs) < 0) {
		buf_addf(err, "cannot %s: no reply from Vast.ai at %s after %d attempt%s: %s",
			 what, vc->base, rs.attempts, rs.attempts == 1 ? "" : "s", rs.errbuf);
		rc = rs.transport_error == HTTP_ERR_USAGE || rs.transport_error == HTTP_ERR_NOLIB ?
			VAST_ERR : VAST_ERR_NET;
		vc->maybe_processed = rs.maybe_processed;
	} else {
		rc = vast_judge(what, rs.status, rs.body.s ? rs.body.s : "", rs.body.len, out, err);
		if (rc != VAST_OK && unsafe && rs.status >= 500)
			vc->maybe_processed = 1;
	}
	if (rs_flags)
		*rs_flags = (rs.maybe_repeated ? 1 : 0) | (rs.maybe_processed ? 2 : 0);
	vc->last_status = rs.status;
	vc->last_err = rc;
	scrub(err, from, vc->key);
	http_resp_release(&rs);
	strv_release(&rq.headers);
	free(text);
	return rc;
}

static int
no_client(struct vast_client *vc, struct buf *err)
{
	if (vc->key && vc->base)
		return 0;
	buf_adds(err, "Vast.ai client not initialised");
	vc->last_err = VAST_ERR;
	return -1;
}

static json_t *
fail(struct vast_client *vc, int code, json_t *j)
{
	vc->last_err = code;
	json_decref(j);
	return NULL;
}

/* ---- URL of the list ---- */

void
vast_list_url(struct buf *url, const char *base, const char *after_token)
{
	buf_adds(url, base);
	buf_adds(url, "/api/v1/instances/?select_filters=");
	http_urlencode(url, "{}");
	buf_adds(url, "&order_by=");
	/* json.dumps puts a space after ':' and ',' */
	http_urlencode(url, "[{\"col\": \"id\", \"dir\": \"asc\"}]");
	buf_adds(url, "&limit=25");
	if (after_token) {
		buf_adds(url, "&after_token=");
		http_urlencode(url, after_token);
	}
}

/* ---- rows ---- */

static void
strip_strings(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (n && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))) {
			char *t = strip_ws(s, n);
			json_string_set(v, t);
			free(t);
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			strip_strings(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			strip_strings(x);
	}
}

void
vast_normalize_row(json_t *row)
{
	json_t *ports = json_object_get(row, "ports"), *maps, *m;
	const char *k;
	size_t i;

	strip_strings(row);
	if (!json_is_object(ports))
		return;
	json_object_foreach(ports, k, maps) {
		if (!json_is_array(maps))
			continue;
		json_array_foreach(maps, i, m) {
			json_t *hp = json_object_get(m, "HostPort");
			if (json_is_integer(hp)) {
				char num[32];
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(hp));
				json_object_set_new(m, "HostPort", json_string(num));
			}
		}
	}
}

int
vast_json_int(const json_t *v, long long *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d > -9e18 && d < 9e18) || d != (double)(long long)d)
			return -1;
		*out = (long long)d;
		return 0;
	}
	if (json_is_string(v)) {
		char *s = strip_ws(json_string_value(v), json_string_length(v));
		int r = parse_long(s, out);
		free(s);
		return r;
	}
	return -1;
}

/* ---- screening the numbers of rows (values.h) ---- */

struct screen {
	struct vast_client *vc;
	const char *kind;	/* "instance", "offer" */
	size_t named, more;	/* warnings given, and left out */
};

static void
screen_warn(struct screen *sc, const char *msg)
{
	if (sc->named >= MAX_WARN) {
		sc->more++;
		return;
	}
	sc->named++;
	if (sc->vc->warn)
		sc->vc->warn(sc->vc->warn_arg, msg);
	else
		warning("%s", msg);
}

static void
screen_done(struct screen *sc)
{
	char *m;
	if (!sc->more)
		return;
	m = xasprintf("and %zu more Vast.ai %s%s refused for their numbers", sc->more, sc->kind,
		      sc->more == 1 ? "" : "s");
	sc->named = 0;
	screen_warn(sc, m);
	free(m);
}

/*
 * Screen row (values.h).  An instance keeps its place, marked; an offer
 * and anything that is not an object are to be left out.  1 keep, 0 leave
 * out.
 */
static int
screen_row(struct screen *sc, json_t *row)
{
	struct buf why = BUF_INIT, msg = BUF_INIT;
	int offer = !strcmp(sc->kind, "offer"), keep;
	long long id = 0;

	if (!json_is_object(row)) {
		buf_addf(&msg, "Vast.ai sent an %s that is not an object (%s); left out", sc->kind,
			 json_is_array(row) ? "a list" : json_is_string(row) ? "a string" :
			 json_is_number(row) ? "a number" : "null or a boolean");
		screen_warn(sc, msg.s);
		buf_release(&msg);
		return 0;
	}
	if (!vast_row_check(row, &why))
		return 1;
	if (vast_json_id(json_object_get(row, "id"), &id) == 0)
		buf_addf(&msg, "Vast.ai %s %lld", sc->kind, id);
	else
		buf_addf(&msg, "a Vast.ai %s without a usable id", sc->kind);
	buf_addf(&msg, " %s: %s", offer ? "left out" : "refused (not registered, rented on nor counted as cheap)",
		 why.s);
	screen_warn(sc, msg.s);
	keep = !offer;
	if (keep)
		vast_row_screen(row);
	buf_release(&why);
	buf_release(&msg);
	return keep;
}

static int
host_ok(const char *h)
{
	if (!h || !*h || *h == '-')
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != ':' && *h != '_')
			return 0;
	return 1;
}

int
vast_ssh_endpoint(const json_t *inst, int direct, char **host, int *port)
{
	const char *h;
	long long p;
	char *hs;

	*host = NULL;
	*port = 0;
	if (!json_is_object(inst))
		return -1;
	if (direct) {
		const json_t *m = json_object_get(json_object_get(inst, "ports"), "22/tcp");
		h = json_string_value(json_object_get(inst, "public_ipaddr"));
		if (!json_is_array(m) || vast_json_int(json_object_get(json_array_get(m, 0), "HostPort"), &p) < 0)
			return -1;
	} else {
		const char *rt = json_string_value(json_object_get(inst, "image_runtype"));
		h = json_string_value(json_object_get(inst, "ssh_host"));
		if (vast_json_int(json_object_get(inst, "ssh_port"), &p) < 0)
			return -1;
		if (p > 0 && rt && strstr(rt, "jupyter"))
			p++;
	}
	if (!h || p <= 0 || p > 65535)
		return -1;
	hs = strip_ws(h, strlen(h));
	if (!host_ok(hs)) {
		free(hs);
		return -1;
	}
	*host = hs;
	*port = (int)p;
	return 0;
}

/* ---- the calls ---- */

json_t *
vast_list_instances(struct vast_client *vc, struct buf *err)
{
	json_t *all, *page = NULL;
	char *token = NULL;

	if (no_client(vc, err))
		return NULL;
	struct screen sc = { vc, "instance", 0, 0 };
	all = json_array();
	for (int n = 0;; n++) {
		struct buf url = BUF_INIT;
		json_t *rows, *row, *next;
		const char *nt;
		size_t i;
		int rc;

		if (n >= MAX_PAGES) {
			buf_addf(err, "cannot list instances: more than %d pages; the server's next_token "
				 "seems to loop", MAX_PAGES);
			free(token);
			return fail(vc, VAST_ERR, all);
		}
		vast_list_url(&url, vc->base, token);
		rc = call(vc, "list instances", "GET", url.s, NULL, 0, &page, NULL, err);
		buf_release(&url);
		if (rc != VAST_OK) {
			free(token);
			return fail(vc, rc, all);
		}
		rows = json_object_get(page, "instances");
		if (!json_is_array(rows) && !(json_is_null(rows) && json_is_object(page))) {
			buf_adds(err, "cannot list instances: Vast.ai's reply has no \"instances\" list");
			json_decref(page);
			free(token);
			return fail(vc, VAST_ERR, all);
		}
		json_array_foreach(rows, i, row) {
			json_t *c = json_deep_copy(row);
			if (json_is_object(c))
				vast_normalize_row(c);
			if (screen_row(&sc, c))
				json_array_append_new(all, c);
			else
				json_decref(c);
		}
		next = json_object_get(page, "next_token");
		nt = json_string_value(next);
		if (!nt || !*nt) {
			json_decref(page);
			break;
		}
		if (token && !strcmp(token, nt)) {
			buf_adds(err, "cannot list instances: the server sent the same next_token twice");
			json_decref(page);
			free(token);
			return fail(vc, VAST_ERR, all);
		}
		free(token);
		token = xstrdup(nt);
		json_decref(page);
	}
	free(token);
	screen_done(&sc);
	return all;
}

json_t *
vast_show_instance(struct vast_client *vc, long long id, struct buf *err)
{
	char *url, *what;
	json_t *j = NULL, *inst;
	int rc;

	if (no_client(vc, err))
		return NULL;
	if (id <= 0) {
		buf_addf(err, "bad instance id %lld", id);
		vc->last_err = VAST_ERR;
		return NULL;
	}
	url = xasprintf("%s/api/v0/instances/%lld/?owner=me", vc->base, id);
	what = xasprintf("show instance %lld", id);
	rc = call(vc, what, "GET", url, NULL, 0, &j, NULL, err);
	free(url);
	if (rc != VAST_OK) {
		free(what);
		return fail(vc, rc, NULL);
	}
	inst = json_object_get(j, "instances");
	if (json_is_null(inst) && json_is_object(j)) {
		free(what);
		json_decref(j);
		return json_null();
	}
	if (!json_is_object(inst)) {
		buf_addf(err, "cannot %s: Vast.ai's reply has no \"instances\" object", what);
		free(what);
		return fail(vc, VAST_ERR, j);
	}
	free(what);
	inst = json_deep_copy(inst);
	json_decref(j);
	vast_normalize_row(inst);
	{
		struct screen sc = { vc, "instance", 0, 0 };
		screen_row(&sc, inst);
	}
	return inst;
}

json_t *
vast_search_offers(struct vast_client *vc, const json_t *query, struct buf *err)
{
	char *url;
	json_t *j = NULL, *offers, *o;
	size_t i;
	int rc;

	if (no_client(vc, err))
		return NULL;
	url = xasprintf("%s/api/v0/bundles/", vc->base);
	rc = call(vc, "search offers", "POST", url, query, 0, &j, NULL, err);
	free(url);
	if (rc != VAST_OK)
		return fail(vc, rc, NULL);
	offers = json_object_get(j, "offers");
	if (!json_is_array(offers)) {
		buf_adds(err, "cannot search offers: Vast.ai's reply has no \"offers\" list");
		return fail(vc, VAST_ERR, j);
	}
	{
		struct screen sc = { vc, "offer", 0, 0 };
		json_t *kept = json_array();
		json_array_foreach(offers, i, o) {
			json_t *c = json_deep_copy(o);
			if (json_is_object(c))
				vast_normalize_row(c);
			if (screen_row(&sc, c))
				json_array_append_new(kept, c);
			else
				json_decref(c);
		}
		screen_done(&sc);
		json_decref(j);
		return kept;
	}
}

json_t *
vast_create_body(const struct vast_create_opts *o)
{
	json_t *b = json_object();
	json_object_set_new(b, "client_id", json_string("me"));
	json_object_set_new(b, "image", o->image ? json_string(o->image) : json_null());
	json_object_set_new(b, "disk", json_real(o->disk_gb > 0 ? o->disk_gb : 10.0));
	json_object_set_new(b, "label", o->label ? json_string(o->label) : json_null());
	json_object_set_new(b, "onstart", o->onstart ? json_string(o->onstart) : json_null());
	json_object_set_new(b, "runtype", json_string(o->runtype ? o->runtype : "ssh_direc ssh_proxy"));
	json_object_set_new(b, "env", o->env ? json_deep_copy(o->env) : json_object());
	json_object_set_new(b, "price", o->price > 0 ? json_real(o->price) : json_null());
	return b;
}

int
vast_create_instance(struct vast_client *vc, long long offer_id, const json_t *body,
		     long long *new_id, struct buf *err)
{
	char *url, *what;
	json_t *j = NULL;
	int rc;

	*new_id = 0;
	if (no_client(vc, err))
		return VAST_ERR;
	if (offer_id <= 0) {
		buf_addf(err, "bad offer id %lld", offer_id);
		return vc->last_err = VAST_ERR;
	}
	url = xasprintf("%s/api/v0/asks/%lld/", vc->base, offer_id);
	what = xasprintf("rent offer %lld", offer_id);
	rc = call(vc, what, "PUT", url, body, 1, &j, NULL, err);
	free(url);
	if (rc == VAST_OK && vast_json_id(json_object_get(j, "new_contract"), new_id) < 0) {
		*new_id = 0;
		buf_addf(err, "cannot %s: Vast.ai's reply has no usable new_contract id", what);
		vc->maybe_processed = 1;
		rc = vc->last_err = VAST_ERR;
	}
	if (rc != VAST_OK && vc->maybe_processed)
		buf_adds(err, "; the request may have reached Vast.ai, so an instance may exist "
			 "and be billed: look for an untracked one with `ros vastai-instances`");
	json_decref(j);
	free(what);
	return rc;
}

int
vast_destroy_instance(struct vast_client *vc, long long id, struct buf *err)
{
	char *url, *what;
	json_t *j = NULL, *empty;
	size_t from = err->len;
	int rc, flags = 0;

	if (no_client(vc, err))
		return VAST_ERR;
	if (id <= 0) {
		buf_addf(err, "bad instance id %lld", id);
		return vc->last_err = VAST_ERR;
	}
	url = xasprintf("%s/api/v0/instances/%lld/", vc->base, id);
	what = xasprintf("destroy instance %lld", id);
	empty = json_object();
	rc = call(vc, what, "DELETE", url, empty, 0, &j, &flags, err);
	if (rc == VAST_ERR_NOT_FOUND && (flags & 1)) {
		/* an earlier attempt that got no answer did the work */
		err->len = from;
		if (err->s)
			err->s[from] = 0;
		rc = vc->last_err = VAST_OK;
	}
	json_decref(empty);
	json_decref(j);
	free(url);
	free(what);
	return rc;
}

json_t *
vast_current_user(struct vast_client *vc, struct buf *err)
{
	char *url;
	json_t *j = NULL;
	int rc;

	if (no_client(vc, err))
		return NULL;
	url = xasprintf("%s/api/v0/users/current/", vc->base);
	rc = call(vc, "check the API key", "GET", url, NULL, 0, &j, NULL, err);
	free(url);
	if (rc != VAST_OK)
		return fail(vc, rc, NULL);
	if (!json_is_object(j)) {
		buf_adds(err, "cannot check the API key: Vast.ai's reply is not a user object");
		return fail(vc, VAST_ERR, j);
	}
	json_object_del(j, "api_key");
	json_object_del(j, "sid");
	return j;
}
