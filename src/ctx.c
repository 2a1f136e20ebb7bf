/*
 * ctx.c - the command table lookup, root discovery and the command list.
 */
#include "ros.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct ros_cmd *
find_cmd(const char *name)
{
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

void
unknown_command(const char *name)
{
	struct strv names = STRV_INIT;
	struct buf hint = BUF_INIT;
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
		if (!((*c)->flags & CMD_HIDDEN))
			strv_push(&names, (*c)->name);
	if (!did_you_mean(&hint, name, &names, ""))
		buf_adds(&hint, "; see 'ros help'");
	fprintf(stderr, "ros: unknown command '%s'%s\n", name, hint.s);
	buf_release(&hint);
	strv_release(&names);
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

/* The root (see ros.h); NULL, or with loud set death with advice, when there is none. */
static const char *
find_root(struct ctx *ctx, int loud)
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
		if (!is_root_dir(r)) {
			if (!loud)
				return NULL;
			die("%s: '%s' is not a research-os root (no queues/ and workers/); "
			    "make one with: ros init %s", how, r, r);
		}
		ctx->root = absolute(r);
		return ctx->root;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		if (!loud)
			return NULL;
		die_errno("getcwd");
	}
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
	if (!loud)
		return NULL;
	die("not inside a research-os root (no folder with queues/ and workers/ "
	    "here or above)\nros: make one with 'ros init DIR', or pass --root DIR "
	    "or set RESEARCH_OS_ROOT");
}

const char *
ctx_root(struct ctx *ctx)
{
	return find_root(ctx, 1);
}

const char *
ctx_find_root(struct ctx *ctx)
{
	return find_root(ctx, 0);
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
		if (!((*c)->flags & CMD_HIDDEN) && strlen((*c)->name) > w)
			w = strlen((*c)->name);
	for (const struct ros_cmd *const *c = ros_cmds; *c; c++) {
		if ((*c)->flags & CMD_HIDDEN)
			continue;
		/* the summary wrapped at 80 columns, under itself */
		size_t col = 4 + w, width = 80 - col;
		const char *p = (*c)->summary;
		fprintf(f, "  %-*s  ", (int)w, (*c)->name);
		while (*p) {
			size_t n = utf8_width(p) <= width ? strlen(p) : 0;
			if (!n) {
				/* the last space that keeps the line within width */
				size_t cols = 0, last = 0;
				for (size_t i = 0; p[i] && cols <= width; i++) {
					if (p[i] == ' ')
						last = i;
					if (((unsigned char)p[i] & 0xc0) != 0x80)
						cols++;
				}
				n = last ? last : strlen(p);
			}
			fprintf(f, "%.*s\n", (int)n, p);
			p += n;
			while (*p == ' ')
				p++;
			if (*p)
				fprintf(f, "%*s", (int)col, "");
		}
	}
	fprintf(f, "\nglobal options, before or after the command: --root DIR (else\n"
		   "$RESEARCH_OS_ROOT, else the folder above the current one holding queues/\n"
		   "and workers/), --json (machine-readable output of the commands that print\n"
		   "something to read; refused by the others), -q (quiet), --help, --version\n"
		   "'ros help COMMAND' shows a command's options; 'man ros' has the rest.\n");
}

