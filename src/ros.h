/*
 * ros.h - what every command sees: the command table entry, the global
 * context, and option parsing.
 *
 * Adding a command: write src/cmd/<name>.c holding the command's logic and a
 * `const struct ros_cmd cmd_<ident> = { ... };` definition at the start of a
 * line (the build collects those into the table), document it in
 * README (the man page is generated from the help), and add a test under
 * tests/t/.
 */
#ifndef ROS_H
#define ROS_H

#include "util/util.h"

struct ctx {
	const char *root_opt;	/* --root, or NULL */
	char *root;		/* resolved root (absolute), after ctx_root() */
	int json;		/* --json */
	const char *cmdname;
};

enum cmd_flags {
	CMD_NO_ROOT = 1 << 0,	/* does not need a root (init, help) */
	CMD_JSON = 1 << 1,	/* accepts --json */
};

struct ros_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctx *ctx);
	unsigned flags;
	const char *summary;	/* one line for `ros help` */
	const char *synopsis;	/* after "ros NAME ", e.g. "--project-id P [--env E]" */
	const char *help;	/* paragraph(s) shown by `ros help NAME`, may be NULL */
};

extern const struct ros_cmd *const ros_cmds[];
const struct ros_cmd *find_cmd(const char *name);
void list_commands(FILE *f);

/* The root: --root, else RESEARCH_OS_ROOT, else walk up from the cwd.
 * Dies with advice when there is none.  Returns ctx->root (borrowed). */
const char *ctx_root(struct ctx *ctx);
/* Path under the root, e.g. ctx_path(ctx, "queues/run_queue.json"): new string. */
char *ctx_path(struct ctx *ctx, const char *rel);

/* ---- options ----
 * Long options only ("--name VALUE" or "--name=VALUE"), plus the global
 * ones every command takes: --root DIR, --json, -q/--quiet, -h/--help.
 * OPT_LIST appends each occurrence to a struct strv.  OPT_INT and
 * OPT_DOUBLE reject junk; every value must be valid UTF-8.  A short alias may be given as "n" in .shrt.
 * Positional arguments are collected into *pos (may be NULL: then none
 * are allowed).  On a usage error prints the message and the synopsis to
 * stderr and exits 2; --help prints help to stdout and exits 0.
 */
enum opt_kind { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_BOOL, OPT_LIST };

struct opt {
	const char *name;
	enum opt_kind kind;
	void *dst;		/* char **, long long *, double *, int *, struct strv * */
	const char *arg;	/* metavar for help, e.g. "N" */
	const char *help;
	char shrt;		/* optional one-letter alias, e.g. 'n' for -n */
	int *seen;		/* optional: set to 1 when given */
};
#define OPT_END { NULL, 0, NULL, NULL, NULL, 0, NULL }

void opt_parse(struct ctx *ctx, const struct ros_cmd *cmd, const struct opt *opts,
	       int argc, char **argv, struct strv *pos);
void NORETURN usage_error(struct ctx *ctx, const char *fmt, ...) PRINTF(2, 3);
void print_cmd_help(const struct ros_cmd *cmd, const struct opt *opts, FILE *f);

/* Current command (for usage_error) */
extern const struct ros_cmd *current_cmd;

#endif
