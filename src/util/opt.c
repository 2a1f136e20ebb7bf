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

void
opt_parse(struct ctx *ctx, const struct ros_cmd *cmd, const struct opt *opts,
	  int argc, char **argv, struct strv *pos)
{
	int only_pos = 0;
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
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			opt_quiet = 1;
			continue;
		}
		if (!strcmp(a, "--json")) {
			if (!(cmd->flags & CMD_JSON))
				usage_error(ctx, "--json is not available for this command");
			ctx->json = 1;
			continue;
		}
		const struct opt *o = NULL;
		const char *val = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			if (nl == 4 && !strncmp(name, "root", 4)) {
				if (eq)
					ctx->root_opt = eq + 1;
				else if (i + 1 < argc)
					ctx->root_opt = argv[++i];
				else
					usage_error(ctx, "--root needs a directory");
				continue;
			}
			for (const struct opt *p = opts; p && p->name; p++)
				if (strlen(p->name) == nl && !strncmp(p->name, name, nl)) {
					o = p;
					break;
				}
			if (!o)
				usage_error(ctx, "unknown option '--%.*s'", (int)nl, name);
			if (eq) {
				if (o->kind == OPT_BOOL)
					usage_error(ctx, "--%s takes no value", o->name);
				val = eq + 1;
			}
		} else {
			for (const struct opt *p = opts; p && p->name; p++)
				if (p->shrt && p->shrt == a[1] && !a[2]) {
					o = p;
					break;
				}
			if (!o)
				usage_error(ctx, "unknown option '%s'", a);
		}
		if (o->kind != OPT_BOOL && !val) {
			if (i + 1 >= argc)
				usage_error(ctx, "--%s needs a value", o->name);
			val = argv[++i];
		}
		set_value(ctx, o, val);
	}
}
