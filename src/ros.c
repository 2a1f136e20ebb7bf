/*
 * ros.c - main: global options, root discovery, the command table, help.
 *
 * Exit codes: 0 success, 1 the command ran and found a problem (or failed),
 * 2 usage error (unknown command or flag, bad value).
 */
#include "ros.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ROS_VERSION
#define ROS_VERSION "0.1.0"
#endif

const struct ros_cmd *current_cmd;

const struct ros_cmd *
find_cmd(const char *name)
{
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

static int
is_root_dir(const char *dir)
{
	char *q = path_join(dir, "queues"), *w = path_join(dir, "workers");
	int ok = dir_exists(q) && dir_exists(w);
	free(q);
	free(w);
	return ok;
}

static char *
absolute(const char *p)
{
	char buf[PATH_MAX];
	if (realpath(p, buf))
		return xstrdup(buf);
	return xstrdup(p);
}

const char *
ctx_root(struct ctx *ctx)
{
	if (ctx->root)
		return ctx->root;
	const char *r = ctx->root_opt;
	const char *how = "--root";
	if (!r || !*r) {
		r = getenv("RESEARCH_OS_ROOT");
		how = "RESEARCH_OS_ROOT";
	}
	if (r && *r) {
		if (!is_root_dir(r))
			die("%s: '%s' is not a research-os root (no queues/ and workers/); "
			    "make one with: ros init %s", how, r, r);
		ctx->root = absolute(r);
		return ctx->root;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		die_errno("getcwd");
	for (;;) {
		if (is_root_dir(cwd)) {
			ctx->root = xstrdup(cwd);
			return ctx->root;
		}
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd) {
			if (slash == cwd && cwd[1] && (cwd[1] = 0, is_root_dir(cwd))) {
				ctx->root = xstrdup(cwd);
				return ctx->root;
			}
			break;
		}
		*slash = 0;
	}
	die("not inside a research-os root (no folder with queues/ and workers/ "
	    "here or above)\nros: make one with 'ros init DIR', or pass --root DIR "
	    "or set RESEARCH_OS_ROOT");
}

char *
ctx_path(struct ctx *ctx, const char *rel)
{
	return path_join(ctx_root(ctx), rel);
}

/* ---- help ---- */

void
list_commands(FILE *f)
{
	fprintf(f, "usage: ros [--root DIR] [--json] [-q] COMMAND [ARGS]\n\n"
		   "ros carries a research project from idea to experiment queue, to runs on\n"
		   "this machine, SSH boxes, Vast.ai GPUs and Slurm, to evidence and paper tables.\n"
		   "All state is plain files in the root (queues/*.json, workers/workers.yaml).\n\n"
		   "commands:\n");
	size_t w = 0;
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
		if (strlen((*c)->name) > w)
			w = strlen((*c)->name);
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
		fprintf(f, "  %-*s  %s\n", (int)w, (*c)->name, (*c)->summary);
	fprintf(f, "\nglobal options: --root DIR (else $RESEARCH_OS_ROOT, else the folder above\n"
		   "the current one holding queues/ and workers/), --json (machine-readable\n"
		   "output of reading commands), -q (quiet), --help, --version\n"
		   "'ros help COMMAND' shows a command's options; 'man ros' has the rest.\n");
}

int
main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	int i = 1;

	signal(SIGPIPE, SIG_IGN);
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
			fprintf(stderr, "ros: unknown option '%s'\n", a);
			list_commands(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		list_commands(stderr);
		return 2;
	}
	const struct ros_cmd *c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "ros: unknown command '%s'; see 'ros help'\n", argv[i]);
		return 2;
	}
	current_cmd = c;
	ctx.cmdname = c->name;
	int rc = c->fn(argc - i, argv + i, &ctx);
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			die_errno("write error on standard output");
	}
	free(ctx.root);
	return rc;
}
