/*
 * params.c - parameters read from the commands of runs that carry none
 * (see params.h for the rules).
 */
#include "results/params.h"
#include "results/shwords.h"
#include "results/aggregate.h"
#include "util/jx.h"
#include "util/util.h"

#include <string.h>
#include <strings.h>

#define EXAMPLE_MAX 60	/* bytes of a word quoted in a warning */

/* ---- items ---- */

static int
key_ok(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* A word as the text of an item: operators as they are (an unquoted
 * newline as ';'), others quoted to stay on one line. */
static void
add_quoted(struct buf *b, const char *s, int op)
{
	if (op)
		buf_adds(b, *s == '\n' ? ";" : s);
	else
		sh_quote(b, s, SH_ONE_LINE);
}

static json_t *
item(const char *key, json_t *value, const char *word, const struct word *w, size_t nw)
{
	json_t *it = json_object();
	struct buf t = BUF_INIT;
	if (key) {
		jset_str(it, "key", key);
		json_object_set_new(it, "value", value);
	} else {
		jset_str(it, "word", word);
	}
	for (size_t i = 0; i < nw; i++) {
		if (i)
			buf_addc(&t, ' ');
		add_quoted(&t, w[i].s, w[i].op);
	}
	jset_str(it, "text", buf_cstr(&t));
	buf_release(&t);
	return it;
}

static int
negative_number(const char *s)
{
	return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.');
}

static void
add_items(json_t *out, const char *line)
{
	struct words w = { 0 };
	if (!line)
		return;
	words_split(line, &w);
	for (size_t i = 0; i < w.n; i++) {
		const char *s = w.v[i].s, *eq = strchr(s, '=');
		json_t *it = NULL;
		if (!w.v[i].op && s[0] == '-' && s[1] == '-') {
			const char *k = s + 2;
			size_t kn = eq ? (size_t)(eq - k) : strlen(k);
			if (key_ok(k, kn)) {
				char *key = xstrndup(k, kn);
				if (eq) {
					it = item(key, json_string(eq + 1), NULL, &w.v[i], 1);
				} else if (i + 1 < w.n && !w.v[i + 1].op &&
					   (w.v[i + 1].s[0] != '-' || negative_number(w.v[i + 1].s))) {
					it = item(key, json_string(w.v[i + 1].s), NULL, &w.v[i], 2);
					i++;
				} else {
					it = item(key, json_true(), NULL, &w.v[i], 1);
				}
				free(key);
			}
		} else if (!w.v[i].op && eq && key_ok(s, (size_t)(eq - s)) && !strpbrk(eq + 1, " \t\n")) {
			char *key = xstrndup(s, (size_t)(eq - s));
			it = item(key, json_string(eq + 1), NULL, &w.v[i], 1);
			free(key);
		}
		if (!it)
			it = item(NULL, NULL, s, &w.v[i], 1);
		json_array_append_new(out, it);
	}
	words_release(&w);
}

json_t *
cmd_items(const char *env, const char *command)
{
	json_t *out = json_array();
	add_items(out, env);
	add_items(out, command);
	return out;
}

/* ---- one run's command, read ---- */

struct parsed {
	const json_t *run;
	json_t *items;		/* cmd_items() */
	json_t *kv;		/* key -> value (the first), `over` left out */
	const json_t *over;	/* the over value, or NULL; borrowed from items */
	size_t over_item;	/* its item's index (SIZE_MAX: none, or several values) */
	char *conflict;		/* a key given two values, or NULL */
	struct buf plain;	/* the plain words, each followed by \x1f */
	int swept;		/* the run has params of its own */
};

static void
parse_run(struct parsed *p, const json_t *run, const char *over)
{
	size_t i;
	json_t *it;
	memset(p, 0, sizeof *p);
	p->run = run;
	p->items = cmd_items(jstr(run, "env"), jstr(run, "command"));
	p->kv = json_object();
	p->over_item = SIZE_MAX;
	p->swept = json_object_size(json_object_get(run, "params")) > 0;
	int over_conflict = 0;
	json_array_foreach(p->items, i, it) {
		const char *k = jstr(it, "key");
		const json_t *v = json_object_get(it, "value");
		if (!k) {
			buf_adds(&p->plain, jstr0(it, "word"));
			buf_addc(&p->plain, '\x1f');
			continue;
		}
		if (!strcasecmp(k, over)) {	/* SEED=1 in env is the seed too */
			if (!p->over) {
				p->over = v;
				p->over_item = i;
			} else if (agg_value_cmp(p->over, v)) {
				over_conflict = 1;
			}
			continue;
		}
		const json_t *old = json_object_get(p->kv, k);
		if (!old)
			json_object_set(p->kv, k, (json_t *)v);
		else if (agg_value_cmp(old, v) && !p->conflict)
			p->conflict = xstrdup(k);
	}
	if (over_conflict) {
		p->over = NULL;
		p->over_item = SIZE_MAX;
		if (!p->conflict)
			p->conflict = xstrdup(over);
	}
	buf_adds(&p->plain, "");
}

static void
parsed_release(struct parsed *p)
{
	json_decref(p->items);
	json_decref(p->kv);
	free(p->conflict);
	buf_release(&p->plain);
}

/* ---- resolving ---- */

struct resolve {
	const char *over;
	json_t *info, *notes, *warnings;
};

static void PRINTF(2, 3)
add_line(json_t *arr, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(arr, json_string(b.s));
	buf_release(&b);
}

/* Why the commands of set[0..n) cannot be read key by key, or NULL. New string. */
static char *
ambiguity(struct parsed *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i]->conflict) {
			const char *k = set[i]->conflict;
			return xasprintf("the command of run %s gives %s several values", jstr0(set[i]->run, "id"), k);
		}
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(set[i]->plain.s, set[0]->plain.s))
			continue;
		/* the first plain word that differs, for the message */
		const char *a = set[0]->plain.s, *b = set[i]->plain.s;
		while (*a && *a == *b) {
			const char *ea = strchr(a, '\x1f'), *eb = strchr(b, '\x1f');
			if (!ea || !eb || ea - a != eb - b || memcmp(a, b, (size_t)(ea - a)))
				break;
			a = ea + 1;
			b = eb + 1;
		}
		size_t na = strcspn(a, "\x1f"), nb = strcspn(b, "\x1f");
		struct buf m = BUF_INIT;
		buf_addf(&m, "the commands differ in words that are not key=value pairs (run %s: ",
			 jstr0(set[0]->run, "id"));
		if (na)
			buf_addf(&m, "'%.*s%s'", (int)(na > EXAMPLE_MAX ? EXAMPLE_MAX : na), a,
				 na > EXAMPLE_MAX ? "..." : "");
		else
			buf_adds(&m, "no more words");
		buf_addf(&m, ", run %s: ", jstr0(set[i]->run, "id"));
		if (nb)
			buf_addf(&m, "'%.*s%s'", (int)(nb > EXAMPLE_MAX ? EXAMPLE_MAX : nb), b,
				 nb > EXAMPLE_MAX ? "..." : "");
		else
			buf_adds(&m, "no more words");
		buf_adds(&m, ")");
		return buf_detach(&m);
	}
	return NULL;
}

/* The keys whose value is not the same in every command of set[0..n)
 * (into vary, in order of first appearance); the others into constant. */
static void
varying_keys(struct parsed *const *set, size_t n, struct strv *vary, json_t *constant)
{
	struct strv all = STRV_INIT;
	const char *k;
	json_t *v;
	for (size_t i = 0; i < n; i++)
		json_object_foreach(set[i]->kv, k, v)
			if (!strv_has(&all, k))
				strv_push(&all, k);
	for (size_t a = 0; a < all.n; a++) {
		const json_t *first = json_object_get(set[0]->kv, all.v[a]);
		int differs = 0;
		for (size_t i = 1; i < n && !differs; i++) {
			const json_t *x = json_object_get(set[i]->kv, all.v[a]);
			differs = !first || !x || agg_value_cmp(first, x);
		}
		if (differs || !first)
			strv_push(vary, all.v[a]);
		else if (constant)
			json_object_set(constant, all.v[a], (json_t *)first);
	}
	strv_release(&all);
}

/* run with params (stolen) in place of its own: a new object. */
static json_t *
with_params(const json_t *run, json_t *params)
{
	json_t *r = json_object();
	json_object_update(r, (json_t *)run);
	json_object_set_new(r, "params", params);
	return r;
}

static void
note_keys(json_t *keys, const char *k)
{
	size_t i;
	json_t *v;
	json_array_foreach(keys, i, v)
		if (!strcmp(json_string_value(v), k))
			return;
	json_array_append_new(keys, json_string(k));
}

/* Params from the keys the commands of set[0..n) differ in (and over);
 * out[idx[i]] gets each run.  Returns how many keys vary. */
static size_t
read_keys(struct resolve *rs, struct parsed *const *set, size_t n, const size_t *idx, json_t *out)
{
	struct strv vary = STRV_INIT;
	json_t *constant = json_object(), *keys = json_object_get(rs->info, "keys");
	varying_keys(set, n, &vary, constant);
	for (size_t i = 0; i < n; i++) {
		json_t *params = json_object();
		for (size_t k = 0; k < vary.n; k++) {
			json_t *v = json_object_get(set[i]->kv, vary.v[k]);
			if (v) {
				json_object_set(params, vary.v[k], v);
				note_keys(keys, vary.v[k]);
			}
		}
		if (set[i]->over) {
			json_object_set(params, rs->over, (json_t *)set[i]->over);
			note_keys(keys, rs->over);
		}
		json_array_set_new(out, idx[i], with_params(set[i]->run, params));
	}
	json_object_set_new(rs->info, "constant", constant);
	size_t nv = vary.n;
	strv_release(&vary);
	return nv;
}

/* The items of p's command, but the over pair, as text: all of them, or
 * only those not in common (an object of item texts found in every command). */
static char *
command_text(const struct parsed *p, const json_t *common)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *it;
	json_array_foreach(p->items, i, it) {
		if (i == p->over_item || (common && json_object_get(common, jstr0(it, "text"))))
			continue;
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, jstr0(it, "text"));
	}
	return buf_detach(&b);
}

/* Params {"command": C, over: v} for set[0..n) (see params.h). */
static void
whole_commands(struct resolve *rs, struct parsed *const *set, size_t n, const size_t *idx, json_t *out)
{
	json_t *common = json_object(), *full = json_array(), *shortc = json_array();
	json_t *owner = json_object();	/* short text -> the full text it stands for */
	size_t i, j;
	json_t *it;

	/* the item texts every command has */
	json_array_foreach(set[0]->items, j, it)
		if (j != set[0]->over_item)
			json_object_set_new(common, jstr0(it, "text"), json_true());
	for (i = 1; i < n; i++) {
		json_t *mine = json_object();
		json_array_foreach(set[i]->items, j, it)
			if (j != set[i]->over_item)
				json_object_set_new(mine, jstr0(it, "text"), json_true());
		const char *t;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(common, tmp, t, v)
			if (!json_object_get(mine, t))
				json_object_del(common, t);
		json_decref(mine);
	}
	for (i = 0; i < n; i++) {
		char *f = command_text(set[i], NULL), *s = command_text(set[i], common);
		json_array_append_new(full, json_string(f));
		json_array_append_new(shortc, json_string(*s ? s : f));
		free(f);
		free(s);
	}
	/* two different commands that would shorten alike: both in full */
	int *clash = xcalloc(n + 1, sizeof(*clash));
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(shortc, i));
		const char *f = json_string_value(json_array_get(full, i));
		const json_t *o = json_object_get(owner, s);
		if (!o)
			json_object_set_new(owner, s, json_string(f));
		else if (strcmp(json_string_value(o), f))
			json_object_set_new(owner, s, json_null());
	}
	for (i = 0; i < n; i++)
		clash[i] = json_is_null(json_object_get(owner, json_string_value(json_array_get(shortc, i))));
	for (i = 0; i < n; i++) {
		json_t *params = json_object();
		json_object_set(params, "command", json_array_get(clash[i] ? full : shortc, i));
		note_keys(json_object_get(rs->info, "keys"), "command");
		if (set[i]->over) {
			json_object_set(params, rs->over, (json_t *)set[i]->over);
			note_keys(json_object_get(rs->info, "keys"), rs->over);
		}
		json_array_set_new(out, idx[i], with_params(set[i]->run, params));
	}
	free(clash);
	json_decref(owner);
	json_decref(shortc);
	json_decref(full);
	json_decref(common);
}

/* Does every swept run's command give each of its params, alike? Else the
 * first param that it does not (borrowed), in *why. */
static int
sweeps_agree(struct resolve *rs, struct parsed *const *set, size_t n, const char **why_key, const char **why_run)
{
	for (size_t i = 0; i < n; i++) {
		if (!set[i]->swept)
			continue;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(set[i]->run, "params"), k, v) {
			const json_t *c = !strcmp(k, rs->over) ? set[i]->over : json_object_get(set[i]->kv, k);
			if (!c || agg_value_cmp(c, v)) {
				*why_key = k;
				*why_run = jstr0(set[i]->run, "id");
				return 0;
			}
		}
	}
	return 1;
}

static int
takes_part(const json_t *run)
{
	const json_t *st = json_object_get(run, "status");
	return json_is_object(run) && (!json_is_string(st) || !strcmp(json_string_value(st), "done")) &&
	       json_is_object(json_object_get(run, "metrics"));
}

static void
key_list(struct buf *b, const json_t *keys)
{
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k)
		buf_addf(b, "%s%s", i ? ", " : "", json_string_value(k));
	if (!json_array_size(keys))
		buf_adds(b, "none");
}

json_t *
params_resolve(const json_t *runs, const char *over, json_t *info)
{
	struct resolve rs = { over && *over ? over : "seed", info, json_array(), json_array() };
	size_t n = json_array_size(runs), npart = 0, nplain = 0, nswept = 0, i;
	int any_plain = 0;
	json_t *out = json_array(), *r;
	struct parsed *p = xcalloc(n + 1, sizeof(*p));
	struct parsed **all = xcalloc(n + 1, sizeof(*all)), **plain = xcalloc(n + 1, sizeof(*plain));
	size_t *all_i = xcalloc(n + 1, sizeof(*all_i)), *plain_i = xcalloc(n + 1, sizeof(*plain_i));
	char *why = NULL;

	json_object_set_new(info, "keys", json_array());
	json_array_foreach(runs, i, r)
		any_plain |= takes_part(r) && !json_object_size(json_object_get(r, "params"));
	json_array_foreach(runs, i, r) {
		json_array_append(out, r);
		if (!any_plain || !takes_part(r))	/* nothing to read: no command is split */
			continue;
		parse_run(&p[npart], r, rs.over);
		all[npart] = &p[npart];
		all_i[npart] = i;
		if (p[npart].swept) {
			nswept++;
		} else {
			plain[nplain] = &p[npart];
			plain_i[nplain++] = i;
		}
		npart++;
	}
	const char *mode = "params";
	struct buf m = BUF_INIT;
	if (!nplain) {
		/* nothing to read */
	} else if (!nswept) {
		why = ambiguity(plain, nplain);
		if (!why) {
			mode = "commands";
			size_t nv = read_keys(&rs, plain, nplain, plain_i, out);
			if (nv || json_array_size(json_object_get(info, "keys"))) {
				buf_addf(&m, "parameters read from the commands: ");
				key_list(&m, json_object_get(info, "keys"));
			} else {
				buf_adds(&m, "the commands are all alike: one configuration");
			}
			if (!nv && nplain > 1)
				buf_addf(&m, "%s(the %zu runs differ in no parameter but %s)", m.len ? " " : "", nplain,
					 rs.over);
		} else {
			mode = "whole";
			whole_commands(&rs, plain, nplain, plain_i, out);
			add_line(rs.warnings, "%s: the %zu runs without params are grouped by their whole commands "
				 "(without %s)", why, nplain, rs.over);
			buf_addf(&m, "configurations read from the whole commands of %zu runs", nplain);
		}
	} else {
		const char *wk = NULL, *wr = NULL;
		why = ambiguity(all, npart);
		if (!why && sweeps_agree(&rs, all, npart, &wk, &wr)) {
			mode = "merged";
			read_keys(&rs, all, npart, all_i, out);
			buf_addf(&m, "parameters read from the commands (of %zu runs without params and %zu with "
				 "params that say the same): ", nplain, nswept);
			key_list(&m, json_object_get(info, "keys"));
		} else {
			mode = "apart";
			if (!why)
				why = xasprintf("the command of run %s does not give its param %s as it is", wr, wk);
			whole_commands(&rs, plain, nplain, plain_i, out);
			add_line(rs.warnings, "%zu run%s without params and %zu with params cannot be merged (%s): "
				 "the runs without params are grouped by their commands, apart from the others",
				 nplain, nplain == 1 ? "" : "s", nswept, why);
			buf_addf(&m, "%zu run%s without params grouped by %s command%s, apart from the %zu with params",
				 nplain, nplain == 1 ? "" : "s", nplain == 1 ? "its" : "their", nplain == 1 ? "" : "s",
				 nswept);
		}
	}
	if (m.len)
		json_array_append_new(rs.notes, json_string(m.s));
	buf_release(&m);
	jset_str(info, "mode", mode);
	json_object_set_new(info, "n_read", json_integer((json_int_t)nplain));
	if (!json_object_get(info, "constant"))
		json_object_set_new(info, "constant", json_object());
	json_object_set_new(info, "notes", rs.notes);
	json_object_set_new(info, "warnings", rs.warnings);
	for (i = 0; i < npart; i++)
		parsed_release(&p[i]);
	free(why);
	free(p);
	free(all);
	free(plain);
	free(all_i);
	free(plain_i);
	return out;
}
