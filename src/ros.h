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

struct ros_cmd;

/* What a command runs with: set up by main, passed to the command. */
struct ctx {
	const char *root_opt;	/* --root, or NULL */
	char *root;		/* resolved root (absolute), after ctx_root() */
	int json;		/* --json */
	const struct ros_cmd *cmd;	/* the command running (for its usage and help) */
};

enum cmd_flags {
	CMD_NO_ROOT = 1 << 0,	/* does not need a root (init, help) */
	CMD_JSON = 1 << 1,	/* accepts --json (before or after its name) */
	CMD_HIDDEN = 1 << 2,	/* not listed: no help line, man page or completion */
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
/* Any command by name, hidden ones too; NULL if there is none. */
const struct ros_cmd *find_cmd(const char *name);
/* `ros help`: usage, then every command that is not hidden with its summary. */
void list_commands(FILE *f);
/* "ros: unknown command 'X'" and a suggestion (see did_you_mean) to stderr. */
void unknown_command(const char *name);

/* The root: --root, else RESEARCH_OS_ROOT, else walk up from the cwd.
 * Dies with advice when there is none.  Returns ctx->root (borrowed). */
const char *ctx_root(struct ctx *ctx);
/* The same root, or NULL when there is none, with nothing printed. */
const char *ctx_find_root(struct ctx *ctx);
/* Path under the root, e.g. ctx_path(ctx, "queues/run_queue.json"): new string. */
char *ctx_path(struct ctx *ctx, const char *rel);

/* ---- options ----
 * Long options only ("--name VALUE" or "--name=VALUE"), plus the global
 * ones every command takes, before or after its name: --root DIR, --json
 * (refused unless the command has CMD_JSON), -q/--quiet, -h/--help.  A
 * command's own option of the same name (or short alias) wins over a global
 * one but -h/--help.  OPT_LIST appends each occurrence to a struct strv.
 * OPT_INT and OPT_DOUBLE reject junk; every value must be valid UTF-8.  A
 * short alias may be given as 'n' in .shrt.  Positional arguments are
 * collected into *pos (may be NULL: then none are allowed).
 *
 * What the table says is checked by opt_parse, with the same words for
 * every command: .flags OPT_REQUIRED ("--NAME is required") and
 * OPT_NONEMPTY ("--NAME must not be empty", for a string); OPT_MIN and
 * OPT_MAX with .min/.max for a number given ("--NAME must be >= MIN",
 * "... between MIN and MAX"); .choices "a|b|c" for a string given ("--NAME
 * must be a, b or c, not 'x'"); .with "OTHER" for an option that goes only
 * with another ("--NAME goes with --OTHER").  Tables use designated
 * initialisers: { .name = "grace", .kind = OPT_INT, .dst = &grace, ... }.
 *
 * On a usage error (an unknown option gets a "did you mean" when one is
 * close) prints the message and the synopsis to stderr and exits 2; --help
 * prints help to stdout and exits 0.
 */
enum opt_kind { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_BOOL, OPT_LIST };

enum opt_flags {
	OPT_REQUIRED = 1 << 0,	/* must be given */
	OPT_MIN = 1 << 1,	/* a number given is >= .min */
	OPT_MAX = 1 << 2,	/* a number given is <= .max */
	OPT_NONEMPTY = 1 << 3,	/* a string given is not "" (implied by OPT_REQUIRED) */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	void *dst;		/* char **, long long *, double *, int *, struct strv * */
	const char *arg;	/* metavar for help, e.g. "N" */
	const char *help;
	char shrt;		/* optional one-letter alias, e.g. 'n' for -n */
	int *seen;		/* optional: set to 1 when given */
	unsigned flags;		/* enum opt_flags */
	double min, max;	/* with OPT_MIN, OPT_MAX */
	const char *choices;	/* OPT_STR: the values allowed, "a|b|c" */
	const char *with;	/* given only together with this option */
};
#define OPT_END { .name = NULL }
#define OPT_TABLE_MAX 64	/* options in one table, at most */

void opt_parse(struct ctx *ctx, const struct opt *opts, int argc, char **argv, struct strv *pos);
void NORETURN usage_error(struct ctx *ctx, const char *fmt, ...) PRINTF(2, 3);
void print_cmd_help(const struct ros_cmd *cmd, const struct opt *opts, FILE *f);

/* When set (by `ros __complete`), opt_parse() hands the command's options to
 * it instead of parsing them, then exits 0. */
extern void (*opt_spec_hook)(const struct ros_cmd *cmd, const struct opt *opts);


#endif
