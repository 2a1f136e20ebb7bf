/*
 * help.c - `ros help [COMMAND]`.
 */
#include "ros.h"

#include <string.h>

static int
cmd_help_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	static const struct opt opts[] = { OPT_END };
	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n == 0) {
		list_commands(stdout);
		strv_release(&pos);
		return 0;
	}
	const struct ros_cmd *c = find_cmd(pos.v[0]);
	if (!c || (c->flags & CMD_HIDDEN)) {
		unknown_command(pos.v[0]);
		strv_release(&pos);
		return 2;
	}
	char *av[] = { (char *)c->name, (char *)"--help", NULL };
	strv_release(&pos);
	ctx->cmd = c;
	return c->fn(2, av, ctx);
}

const struct ros_cmd cmd_help = {
	"help", cmd_help_fn, CMD_NO_ROOT, "show the commands, or one command's options",
	"[COMMAND]", NULL,
};

