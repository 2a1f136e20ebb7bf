/*
 * opt.c - option parsing shared by every command (see ros.h).
 */
#include "ros.h"

#include <stdlib.h>
#include <string.h>

static const char *
kind_arg(const struct opt *o)
{
	if (o->arg)
		return o->arg;
	switch (o->kind) {
	case OPT_INT:
		return "N";
	case OPT_DOUBLE:
		return "X";
	default:
		return "VALUE";
	}
}

void
print_cmd_help(const struct ros_cmd *cmd, const struct opt *opts, FILE *f)
{
	fprintf(f, "usage: ros %s %s\n", cmd->name, cmd->synopsis ? cmd->synopsis : "");
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s\n", cmd->help);
	int any = 0;
	for (const struct opt *o = opts; o && o->name; o++) {
		char left[128];
		if (!any++)
			fprintf(f, "\noptions:\n");
		if (o->kind == OPT_BOOL)
			snprintf(left, sizeof left, "%s%c%s--%s", o->shrt ? "-" : "",
				 o->shrt ? o->shrt : ' ', o->shrt ? ", " : "", o->name);
		else
			snprintf(left, sizeof left, "%s%c%s--%s %s", o->shrt ? "-" : "",
				 o->shrt ? o->shrt : ' ', o->shrt ? ", " : "", o->name, kind_arg(o));
		char *l = left[0] == ' ' ? left + 1 : left;
		fprintf(f, "  %-26s %s\n", l, o->help ? o->help : "");
	}
	fprintf(f, "\nglobal options: --root DIR%s, -q, --help\n",
		(cmd->flags & CMD_JSON) ? ", --json" : "");
}

void
usage_error(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	fflush(stdout);
	const struct ros_cmd *c = current_cmd;
	fprintf(stderr, "ros %s: %s\n", c ? c->name : "", b.s);
	if (c)
		fprintf(stderr, "usage: ros %s %s\n(see 'ros help %s')\n", c->name,
			c->synopsis ? c->synopsis : "", c->name);
	buf_release(&b);
	(void)ctx;
	exit(2);
}

static void
set_value(struct ctx *ctx, const struct opt *o, const char *v)
{
	/* every value may end up in a JSON or YAML file: UTF-8 only, checked
	 * here once for all commands */
	if (v && !utf8_valid(v, strlen(v)))
		usage_error(ctx, "--%s is not valid UTF-8", o->name);
	switch (o->kind) {
	case OPT_STR:
		*(const char **)o->dst = v;
		break;
	case OPT_INT: {
		long long n;
		if (parse_long(v, &n))
			usage_error(ctx, "--%s wants an integer, not '%s'", o->name, v);
		*(long long *)o->dst = n;
		break;
	}
	case OPT_DOUBLE: {
		double d;
		if (parse_double(v, &d))
			usage_error(ctx, "--%s wants a number, not '%s'", o->name, v);
		*(double *)o->dst = d;
		break;
	}
	case OPT_LIST:
		strv_push((struct strv *)o->dst, v);
		break;
	case OPT_BOOL:
		*(int *)o->dst = 1;
		break;
	}
	if (o->seen)
		*o->seen = 1;
}

/* Edit distance of a and b, adjacent letters swapped counting as one
 * (optimal string alignment); stops counting past max. */
static size_t
edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	size_t *d = xcalloc((la + 1) * (lb + 1), sizeof *d);
#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t v = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
			if (D(i - 1, j) + 1 < v)
				v = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	size_t r = D(la, lb);
#undef D
	free(d);
	return r;
}

int
did_you_mean(struct buf *out, const char *word, const struct strv *cands, const char *prefix)
{
	size_t max = strlen(word) <= 4 ? 1 : 2, best = max + 1;
	struct strv hits = STRV_INIT;
	for (size_t i = 0; i < cands->n; i++) {
		size_t dist = edit_distance(word, cands->v[i], max);
		if (dist > best || dist > max)
			continue;
		if (dist < best) {
			strv_release(&hits);
			best = dist;
		}
		if (!strv_has(&hits, cands->v[i]))
			strv_push(&hits, cands->v[i]);
	}
	if (!hits.n && strlen(word) >= 3) {
		for (size_t i = 0; i < cands->n; i++)
			if (str_starts(cands->v[i], word) && !strv_has(&hits, cands->v[i]))
				strv_push(&hits, cands->v[i]);
		if (hits.n > 1)
			strv_release(&hits);
	}
	if (hits.n > 3)
		strv_release(&hits);	/* too many to be a typo of one */
	for (size_t i = 0; i < hits.n; i++)
		buf_addf(out, "%s%s%s", !i ? "; did you mean " : i + 1 < hits.n ? ", " : " or ", prefix,
			 hits.v[i]);
	if (hits.n)
		buf_adds(out, "?");
	int n = (int)hits.n;
	strv_release(&hits);
	return n;
}

void (*opt_spec_hook)(const struct ros_cmd *cmd, const struct opt *opts);

static void NORETURN
unknown_option(struct ctx *ctx, const struct ros_cmd *cmd, const struct opt *opts, const char *a, size_t nl)
{
	struct strv names = STRV_INIT;
	struct buf hint = BUF_INIT;
	if (a[1] == '-') {
		char *word = xstrndup(a + 2, nl);
		for (const struct opt *o = opts; o && o->name; o++)
			strv_push(&names, o->name);
		strv_push(&names, "root");
		strv_push(&names, "quiet");
		strv_push(&names, "help");
		if (cmd->flags & CMD_JSON)
			strv_push(&names, "json");
		did_you_mean(&hint, word, &names, "--");
		free(word);
		strv_release(&names);
		usage_error(ctx, "unknown option '--%.*s'%s", (int)nl, a + 2, buf_cstr(&hint));
	}
	usage_error(ctx, "unknown option '%s'", a);
}

/* The command's own option named by a ("--name[=v]" or "-x"), or NULL;
 * *nl is the name's length, *val the "=v" value or NULL. */
static const struct opt *
own_option(const struct opt *opts, const char *a, size_t *nl, const char **val)
{
	*val = NULL;
	if (a[1] == '-') {
		const char *name = a + 2, *eq = strchr(name, '=');
		*nl = eq ? (size_t)(eq - name) : strlen(name);
		if (eq)
			*val = eq + 1;
		for (const struct opt *p = opts; p && p->name; p++)
			if (strlen(p->name) == *nl && !strncmp(p->name, name, *nl))
				return p;
		return NULL;
	}
	*nl = strlen(a);
	for (const struct opt *p = opts; p && p->name; p++)
		if (p->shrt && p->shrt == a[1] && !a[2])
			return p;
	return NULL;
}

/* A global option (see ros.h) at argv[*i]: 1 when it was one. */
static int
global_option(struct ctx *ctx, const struct ros_cmd *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		opt_quiet = 1;
		return 1;
	}
	if (!strcmp(a, "--json")) {
		if (!(cmd->flags & CMD_JSON))
			usage_error(ctx, "--json is not available for this command");
		ctx->json = 1;
		return 1;
	}
	if (str_starts(a, "--root=")) {
		ctx->root_opt = a + 7;
		return 1;
	}
	if (!strcmp(a, "--root")) {
		if (*i + 1 >= argc)
			usage_error(ctx, "--root needs a directory");
		ctx->root_opt = argv[++*i];
		return 1;
	}
	return 0;
}

void
opt_parse(struct ctx *ctx, const struct ros_cmd *cmd, const struct opt *opts,
	  int argc, char **argv, struct strv *pos)
{
	int only_pos = 0;
	if (opt_spec_hook) {
		opt_spec_hook(cmd, opts);
		exit(0);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || !a[1]) {
			if (!pos)
				usage_error(ctx, "unexpected argument '%s'", a);
			strv_push(pos, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_cmd_help(cmd, opts, stdout);
			exit(0);
		}
		size_t nl;
		const char *val;
		const struct opt *o = own_option(opts, a, &nl, &val);
		if (!o) {
			if (global_option(ctx, cmd, argc, argv, &i))
				continue;
			unknown_option(ctx, cmd, opts, a, nl);
		}
		if (val && o->kind == OPT_BOOL)
			usage_error(ctx, "--%s takes no value", o->name);
		if (o->kind != OPT_BOOL && !val) {
			if (i + 1 >= argc)
				usage_error(ctx, "--%s needs a value", o->name);
			val = argv[++i];
		}
		set_value(ctx, o, val);
	}
}
