/*
 * key_smoke.c - `ros key-smoke [--env-file F]`: are the API keys there,
 * and does each service accept its key?
 *
 *   Vast.ai       GET  $VAST_URL/api/v0/users/current/     Bearer    -> username
 *   GitHub        GET  $GITHUB_API_URL/user                Bearer    -> login
 *   Hugging Face  GET  $HF_ENDPOINT/api/whoami-v2          Bearer    -> name
 *   W&B           POST $WANDB_BASE_URL/graphql viewer      basic api:KEY -> username
 *
 * Keys come from the environment, else from ~/.env.local (or --env-file):
 * KEY=VALUE lines, `export` allowed, values optionally quoted, # comments.
 * The file never overrides a variable that is set, and nothing is put
 * into the environment.  Keys are never printed, not even in part, and go
 * only into request headers (never a URL, argv or a message: replies are
 * scrubbed of them).  RESULT: PASS when at least one key is present and
 * every present key is accepted; exit 0 on PASS, 1 on FAIL.
 */
#include "ros.h"
#include "util/jx.h"
#include "util/table.h"
#include "vast/api.h"
#include "vast/http.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct envfile {
	struct strv kv;		/* "NAME=value", secrets */
};

static void
envfile_release(struct envfile *e)
{
	for (size_t i = 0; i < e->kv.n; i++)
		explicit_bzero(e->kv.v[i], strlen(e->kv.v[i]));
	strv_release(&e->kv);
}

/* Parse dotenv text into e. */
static void
envfile_parse(struct envfile *e, char *text)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *name, *v, *end;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "export", 6) && isspace((unsigned char)p[6]))
			for (p += 6; isspace((unsigned char)*p); p++)
				;
		name = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == name || *p != '=' || isdigit((unsigned char)*name))
			continue;
		*p++ = 0;
		v = p;
		if (*v == '"' || *v == '\'') {
			char q = *v++;
			end = strchr(v, q);
			if (!end)
				continue;
			*end = 0;
		} else {
			end = strstr(v, " #");
			if (end)
				*end = 0;
			end = v + strlen(v);
			while (end > v && isspace((unsigned char)end[-1]))
				*--end = 0;
		}
		strv_pushf(&e->kv, "%s=%s", name, v);
	}
}

/* The value of name: the environment first, then the file. Borrowed;
 * *from says where ("environment" or the file). */
static const char *
lookup(const struct envfile *e, const char *name, const char **from, const char *file)
{
	const char *v = getenv(name);
	size_t n = strlen(name);
	if (v && *v) {
		*from = "environment";
		return v;
	}
	for (size_t i = e->kv.n; i-- > 0;)
		if (!strncmp(e->kv.v[i], name, n) && e->kv.v[i][n] == '=' && e->kv.v[i][n + 1]) {
			*from = file;
			return e->kv.v[i] + n + 1;
		}
	return NULL;
}

struct check {
	const char *service;
	const char *vars[4];
	const char *base_env, *base_default, *path;
	int wandb;		/* POST graphql with basic auth */
	const char *user_key;	/* member of the reply naming the user */
};

static const struct check checks[] = {
	{ "Vast.ai", { "VAST_API_KEY", "VASTAI_API_KEY" }, NULL, NULL, NULL, 0, "username" },
	{ "GitHub", { "GITHUB_TOKEN", "GH_TOKEN" }, "GITHUB_API_URL", "https://api.github.com", "/user", 0, "login" },
	{ "Hugging Face", { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_TOKEN" }, "HF_ENDPOINT",
	  "https://huggingface.co", "/api/whoami-v2", 0, "name" },
	{ "W&B", { "WANDB_API_KEY" }, "WANDB_BASE_URL", "https://api.wandb.ai", "/graphql", 1, NULL },
};

/* Replace every copy of key in b with <redacted>. */
static void
scrub(struct buf *b, const char *key)
{
	size_t kl = strlen(key);
	char *hit;
	if (kl < 4)
		return;
	while (b->s && (hit = strstr(b->s, key))) {
		struct buf t = BUF_INIT;
		buf_add(&t, b->s, (size_t)(hit - b->s));
		buf_adds(&t, "<redacted>");
		buf_adds(&t, hit + kl);
		buf_release(b);
		*b = t;
	}
}

/* One HTTP check of a non-Vast service: fills status, user, why. */
static int
http_check(const struct check *c, const char *key, long *status, struct buf *user, struct buf *why)
{
	struct http_req rq = HTTP_REQ_INIT;
	struct http_resp rs = HTTP_RESP_INIT;
	const char *b = getenv(c->base_env);
	char *base = xstrdup(b && *b ? b : c->base_default), *url;
	json_t *j = NULL;
	int ok = 0;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = 0;
	url = xasprintf("%s%s", base, c->path);
	rq.url = url;
	rq.timeout_ms = 20000;
	rq.max_attempts = 3;
	strv_push(&rq.headers, "Accept: application/json");
	if (c->wandb) {
		static const char q[] = "{\"query\":\"query Viewer { viewer { username } }\"}";
		rq.method = "POST";
		rq.body = q;
		rq.body_len = sizeof q - 1;
		rq.basic_user = "api";
		rq.basic_pass = key;
		strv_push(&rq.headers, "Content-Type: application/json");
	} else {
		rq.method = "GET";
		rq.bearer = key;
	}
	if (!http_url_ok(url)) {
		buf_addf(why, "%s is not an http(s) URL", c->base_env);
	} else if (http_do(&rq, &rs) < 0) {
		buf_addf(why, "no reply from %s: %s", base, rs.errbuf);
	} else {
		*status = rs.status;
		j = json_loadb(buf_cstr(&rs.body), rs.body.len, 0, NULL);
		const char *u = c->wandb ? json_string_value(json_object_get(json_object_get(
			json_object_get(j, "data"), "viewer"), "username")) : json_string_value(json_object_get(j, c->user_key));
		if (rs.status >= 200 && rs.status < 300 && u && *u) {
			char *d = NULL;
			size_t k = strlen(u);
			d = xstrndup(u, k > 60 ? 60 : k);
			for (char *p = d; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			buf_adds(user, d);
			free(d);
			ok = 1;
		} else if (rs.status >= 200 && rs.status < 300) {
			buf_adds(why, "the key was not accepted (no user in the reply)");
		} else {
			const char *m = json_string_value(json_object_get(j, "message"));
			if (!m)
				m = json_string_value(json_object_get(j, "error"));
			if (!m)
				m = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
			buf_addf(why, "%s", rs.status == 401 || rs.status == 403 ? "key rejected" : "error");
			if (m)
				buf_addf(why, ": %.160s", m);
		}
	}
	scrub(why, key);
	scrub(user, key);
	json_decref(j);
	http_resp_release(&rs);
	strv_release(&rq.headers);
	free(url);
	free(base);
	return ok;
}

static int
vast_check(const char *key, long *status, struct buf *user, struct buf *why)
{
	struct vast_client vc = VAST_CLIENT_INIT;
	json_t *u = NULL;
	int ok = 0;
	if (vast_client_init(&vc, key, why) == 0 && (u = vast_current_user(&vc, why))) {
		const char *name = json_string_value(json_object_get(u, "username"));
		if (!name || !*name)
			name = json_string_value(json_object_get(u, "email"));
		buf_adds(user, name && *name ? name : "(no name)");
		ok = 1;
	}
	*status = vc.last_status;
	scrub(why, key);
	json_decref(u);
	vast_client_release(&vc);
	return ok;
}

static int
cmd_key_smoke_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *env_file = NULL;
	const struct opt opts[] = {
		{ .name = "env-file", .kind = OPT_STR, .dst = &env_file, .arg = "F", .help = "read keys from F (default ~/.env.local)" },
		OPT_END
	};
	struct envfile ef = { STRV_INIT };
	struct table t;
	char *path, *text;
	size_t len;
	int present = 0, failed = 0;
	json_t *out = json_array();

	opt_parse(ctx, opts, argc, argv, NULL);
	path = env_file ? xstrdup(env_file) : expand_home("~/.env.local");
	if ((text = read_file(path, &len))) {
		envfile_parse(&ef, text);
		explicit_bzero(text, len);
		free(text);
	} else if (env_file || errno != ENOENT) {
		int e = errno;
		free(path);
		die("cannot read %s: %s", env_file ? env_file : "~/.env.local", strerror(e));
	}
	if (!ctx->json)
		printf("Keys from the environment%s%s (the environment wins)\n", ef.kv.n ? " and " : "",
		       ef.kv.n ? path : "");
	table_init(&t, 6, "service", "key", "", "", "", "");
	t.indent = 2;
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		const struct check *c = &checks[i];
		const char *key = NULL, *from = NULL, *var = c->vars[0];
		char *where = NULL, *vkey = NULL, code[16] = "";
		struct buf user = BUF_INIT, why = BUF_INIT;
		long status = 0;
		int ok = 0;
		for (size_t k = 0; k < ARRAY_SIZE(c->vars) && c->vars[k] && !key; k++)
			if ((key = lookup(&ef, c->vars[k], &from, path)))
				var = c->vars[k];
		if (!key && i == 0) {
			/* the key files `vastai set api-key` writes */
			struct buf e = BUF_INIT;
			if ((vkey = vast_api_key_from(NULL, &where, &e))) {
				key = vkey;
				var = where;
			}
			buf_release(&e);
		}
		if (key) {
			present++;
			ok = i == 0 ? vast_check(key, &status, &user, &why) : http_check(c, key, &status, &user, &why);
			failed += !ok;
			if (status)
				snprintf(code, sizeof code, "HTTP %ld", status);
		}
		table_row(&t, c->service, var, key ? "present" : "missing", key ? ok ? "PASS" : "FAIL" : "-",
			  code, ok ? user.s : why.s);
		json_array_append_new(out, json_pack("{s:s,s:s,s:b,s:o,s:o,s:o,s:o}", "service", c->service,
			"variable", var, "present", key != NULL, "ok", key ? json_boolean(ok) : json_null(),
			"status", status ? json_integer(status) : json_null(),
			"user", ok ? json_string(user.s) : json_null(),
			"error", key && !ok ? json_string(buf_cstr(&why)) : json_null()));
		if (vkey) {
			explicit_bzero(vkey, strlen(vkey));
			free(vkey);
		}
		free(where);
		buf_release(&user);
		buf_release(&why);
	}
	int pass = present > 0 && failed == 0;
	if (ctx->json) {
		json_t *o = json_pack("{s:O,s:s}", "checks", out, "result", pass ? "PASS" : "FAIL");
		json_print(o);
		json_decref(o);
	} else {
		table_print(&t, stdout, 0);
		if (!present)
			printf("  (no keys found)\n");
		printf("RESULT: %s\n", pass ? "PASS" : "FAIL");
	}
	table_release(&t);
	json_decref(out);
	envfile_release(&ef);
	free(path);
	return pass ? 0 : 1;
}

const struct ros_cmd cmd_key_smoke = {
	"key-smoke", cmd_key_smoke_fn, CMD_JSON | CMD_NO_ROOT,
	"check the Vast.ai, GitHub, Hugging Face and W&B keys against their services",
	"[--env-file F] [--json]",
	"Keys: VAST_API_KEY or VASTAI_API_KEY (or the vastai key files), GITHUB_TOKEN or\n"
	"GH_TOKEN, HF_TOKEN, WANDB_API_KEY; from the environment, else ~/.env.local.\n"
	"Base URLs: VAST_URL, GITHUB_API_URL, HF_ENDPOINT, WANDB_BASE_URL.  Keys are never\n"
	"printed.  RESULT: PASS (exit 0) when a key is present and every present key works.",
};
