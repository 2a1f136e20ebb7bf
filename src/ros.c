/*
 * ros.c - main: the global options before the command, the command.
 *
 * Exit codes: 0 success, 1 the command ran and found a problem (or failed),
 * 2 usage error (unknown command or flag, bad value).
 */
#include "ros.h"

#include <jansson.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ROS_VERSION
#define ROS_VERSION "0.1.0"
#endif

static void
unknown_global(const char *a)
{
	static const char *const globals[] = { "root", "json", "quiet", "help", "version" };
	struct strv names = STRV_INIT;
	struct buf hint = BUF_INIT;
	for (size_t k = 0; k < ARRAY_SIZE(globals); k++)
		strv_push(&names, globals[k]);
	if (str_starts(a, "--"))
		did_you_mean(&hint, a + 2, &names, "--");
	fprintf(stderr, "ros: unknown option '%s'%s\n", a, buf_cstr(&hint));
	if (!hint.len)
		list_commands(stderr);
	buf_release(&hint);
	strv_release(&names);
}

int
main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	int i = 1;

	signal(SIGPIPE, SIG_IGN);
	/* jansson would read /dev/urandom for its hash seed on first use */
	json_object_seed((size_t)mono_ms() ^ ((size_t)getpid() << 16) ^ 0x5bd1e995);
	/* Global options before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--root") && i + 1 < argc)
			ctx.root_opt = argv[++i];
		else if (str_starts(a, "--root="))
			ctx.root_opt = a + 7;
		else if (!strcmp(a, "--json"))
			ctx.json = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			opt_quiet = 1;
		else if (!strcmp(a, "--version")) {
			printf("ros %s\n", ROS_VERSION);
			return 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			list_commands(stdout);
			return 0;
		} else {
			unknown_global(a);
			return 2;
		}
	}
	if (i >= argc) {
		list_commands(stderr);
		return 2;
	}
	const struct ros_cmd *c = find_cmd(argv[i]);
	if (!c) {
		unknown_command(argv[i]);
		return 2;
	}
	ctx.cmd = c;
	if (ctx.json && !(c->flags & CMD_JSON))
		usage_error(&ctx, "--json is not available for this command");
	int rc = c->fn(argc - i, argv + i, &ctx);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			die_errno("write error on standard output");
	}
	free(ctx.root);
	return rc;
}
