/*
 * opt.c - option parsing shared by every command (see ros.h): command
 * plumbing, beside ros.c.
 */
#include "ros.h"

#include <stdlib.h>
#include <string.h>

static const char *
kind_arg(const struct opt *o)
{
	if (o->arg)
		return o->arg;
	if (o->choices)
		return o->choices;
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
	const struct ros_cmd *c = ctx ? ctx->cmd : NULL;
	if (c)
		fprintf(stderr, "ros %s: %s\nusage: ros %s %s\n(see 'ros help %s')\n", c->name, b.s, c->name,
			c->synopsis ? c->synopsis : "", c->name);
	else
		fprintf(stderr, "ros: %s\n", b.s);
	buf_release(&b);
	exit(2);
}

/* "1", "0.5", "1e+06": a bound as people write it. */
static void
bound_text(double d, char out[32])
{
	snprintf(out, 32, "%.15g", d);
}

static void
check_range(struct ctx *ctx, const struct opt *o, double v)
{
	char lo[32], hi[32];
	bound_text(o->min, lo);
	bound_text(o->max, hi);
	if ((o->flags & OPT_MIN) && (o->flags & OPT_MAX) && (v < o->min || v > o->max))
		usage_error(ctx, "--%s must be between %s and %s", o->name, lo, hi);
	if ((o->flags & OPT_MIN) && !(o->flags & OPT_MAX) && v < o->min)
		usage_error(ctx, "--%s must be >= %s", o->name, lo);
	if ((o->flags & OPT_MAX) && !(o->flags & OPT_MIN) && v > o->max)
		usage_error(ctx, "--%s must be <= %s", o->name, hi);
}

/* v is one of o->choices ("a|b|c"), or a usage error naming them all. */
static void
check_choice(struct ctx *ctx, const struct opt *o, const char *v)
{
	if (!list_has(o->choices, '|', v)) {
		struct strv ch = STRV_INIT;
		struct buf b = BUF_INIT;
		split_list(o->choices, '|', &ch);
		for (size_t i = 0; i < ch.n; i++)
			buf_addf(&b, "%s%s", i ? i + 1 < ch.n ? ", " : " or " : "", ch.v[i]);
		usage_error(ctx, "--%s must be %s, not '%s'", o->name, b.s, v);
	}
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
		if ((o->flags & (OPT_REQUIRED | OPT_NONEMPTY)) && !*v)
			usage_error(ctx, "--%s must not be empty", o->name);
		if (o->choices)
			check_choice(ctx, o, v);
		*(const char **)o->dst = v;
		break;
	case OPT_INT: {
		long long n;
		if (parse_long(v, &n))
			usage_error(ctx, "--%s wants an integer, not '%s'", o->name, v);
		check_range(ctx, o, (double)n);
		*(long long *)o->dst = n;
		break;
	}
	case OPT_DOUBLE: {
		double d;
		if (parse_double(v, &d))
			usage_error(ctx, "--%s wants a number, not '%s'", o->name, v);
		check_range(ctx, o, d);
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

/* After the last argument: what the table requires of the options given. */
static void
check_given(struct ctx *ctx, const struct opt *opts, const unsigned char *given)
{
	size_t i = 0;
	for (const struct opt *o = opts; o && o->name; o++, i++) {
		if ((o->flags & OPT_REQUIRED) && !given[i])
			usage_error(ctx, "--%s is required", o->name);
		if (!o->with || !given[i])
			continue;
		size_t k = 0;
		const struct opt *w = opts;
		for (; w->name && strcmp(w->name, o->with); w++, k++)
			;
		if (!w->name || !given[k])
			usage_error(ctx, "--%s goes with --%s", o->name, o->with);
	}
}

void
opt_parse(struct ctx *ctx, const struct opt *opts, int argc, char **argv, struct strv *pos)
{
	const struct ros_cmd *cmd = ctx->cmd;
	int only_pos = 0;
	size_t nopts = 0;
	/* which options were given, for check_given (on the stack: every way
	 * out of here but the end is exit()) */
	unsigned char given[OPT_TABLE_MAX] = { 0 };
	for (const struct opt *o = opts; o && o->name; o++)
		nopts++;
	if (nopts > OPT_TABLE_MAX)
		die("%s: %zu options, more than %d", cmd->name, nopts, OPT_TABLE_MAX);
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
		given[o - opts] = 1;
	}
	check_given(ctx, opts, given);
}
