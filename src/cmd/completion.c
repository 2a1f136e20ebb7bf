/*
 * completion.c - `ros __complete WHAT` (hidden): what the shell completions
 * that scripts/gen-completion writes need, one word a line on stdout.
 *
 *   commands          every command that is not hidden, "NAME<TAB>SUMMARY"
 *   spec COMMAND      what the command takes: first "arg KIND" for its
 *                     arguments, then "opt NAME SHORT KIND" for each option
 *                     (its own, then the global ones it accepts); SHORT is
 *                     "-x" or "-"
 *   runs | workers | pools | projects
 *                     the run ids, worker ids, worker pools (and the
 *                     default and any every run may ask for), project ids
 *                     of the root (--root, RESEARCH_OS_ROOT or the folders
 *                     above); nothing, and exit 0, without one
 *
 * A KIND says what a value or an argument is: "-" none (an option without
 * a value; a command without arguments), "?" free text, "@runs",
 * "@workers", "@pools", "@projects", "@commands", "@files", "@dirs" (the
 * words of those lists), or fixed words "a|b|c".  A command's arguments
 * are read from its synopsis: alternatives of lowercase words are
 * subcommands, RUN run ids, ID and WORKER worker ids, COMMAND commands,
 * DIR directories.  Run ids come from the queue's index, so that a queue of
 * 20,000 runs answers in milliseconds.
 */
#include "ros.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Values of options named so, whatever the command. */
static const struct {
	const char *name, *kind;
} value_kinds[] = {
	{ "worker-id", "@workers" }, { "worker-pool", "@pools" }, { "pool", "@pools" },
	{ "project-id", "@projects" }, { "key", "@files" }, { "env-file", "@files" },
	{ "source-evidence", "@files" }, { "output-path", "@files" },
};

static const char *
opt_kind(const struct opt *o)
{
	if (o->kind == OPT_BOOL)
		return "-";
	for (size_t i = 0; i < ARRAY_SIZE(value_kinds); i++)
		if (!strcmp(value_kinds[i].name, o->name))
			return value_kinds[i].kind;
	if (o->arg && strchr(o->arg, '|') && !strpbrk(o->arg, " []=.'"))
		return o->arg;	/* "paper|blog|all" */
	return "?";
}

static int
lower_word(const char *s, size_t n)
{
	if (!n || !islower((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* What the command's arguments are, from its synopsis (see above). */
static void
arg_kind(const char *syn, struct buf *out)
{
	struct buf words = BUF_INIT;
	/* subcommands: "start|stop|status [-n N]" or "add X | remove X | list" */
	for (const char *seg = syn; seg;) {
		size_t tl = strcspn(seg, " ");
		for (const char *p = seg; p < seg + tl;) {
			size_t wl = strcspn(p, "|");
			if (wl > (size_t)(seg + tl - p))
				wl = (size_t)(seg + tl - p);
			if (lower_word(p, wl))
				buf_addf(&words, "%s%.*s", words.len ? "|" : "", (int)wl, p);
			p += wl + 1;
		}
		seg = strstr(seg, " | ");
		if (seg)
			seg += 3;
	}
	if (words.len) {
		buf_adds(out, words.s);
		buf_release(&words);
		return;
	}
	buf_release(&words);
	const char *p = syn;
	while (*p == '[')
		p++;
	size_t tl = strcspn(p, " []."), at = 0;
	const char *kind = isupper((unsigned char)*p) ? "?" : "-";
	while (at < tl) {
		size_t wl = strcspn(p + at, "|");
		if (wl > tl - at)
			wl = tl - at;
		if (wl == 3 && !strncmp(p + at, "RUN", 3))
			kind = "@runs";
		else if ((wl == 2 && !strncmp(p + at, "ID", 2)) || (wl == 6 && !strncmp(p + at, "WORKER", 6)))
			kind = "@workers";
		else if (wl == 7 && !strncmp(p + at, "COMMAND", 7))
			kind = "@commands";
		else if (wl == 3 && !strncmp(p + at, "DIR", 3))
			kind = "@dirs";
		at += wl + 1;
	}
	buf_adds(out, kind);
}

static void
print_spec(const struct ros_cmd *cmd, const struct opt *opts)
{
	struct buf arg = BUF_INIT;
	arg_kind(cmd->synopsis ? cmd->synopsis : "", &arg);
	printf("arg %s\n", arg.s);
	buf_release(&arg);
	int own_json = 0, own_root = 0, own_quiet = 0, own_q = 0;
	for (const struct opt *o = opts; o && o->name; o++) {
		char shrt[3] = { '-', o->shrt, 0 };
		printf("opt --%s %s %s\n", o->name, o->shrt ? shrt : "-", opt_kind(o));
		own_json |= !strcmp(o->name, "json");
		own_root |= !strcmp(o->name, "root");
		own_quiet |= !strcmp(o->name, "quiet");
		own_q |= o->shrt == 'q';
	}
	if (!own_root)
		printf("opt --root - @dirs\n");
	if ((cmd->flags & CMD_JSON) && !own_json)
		printf("opt --json - -\n");
	if (!own_quiet)
		printf("opt --quiet %s -\n", own_q ? "-" : "-q");
	printf("opt --help -h -\n");
}

static void
print_runs(const char *root)
{
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	char *path = path_join(root, Q_RUNS);
	if (queue_load(&q, path, &err) == 0)
		for (size_t i = 0; i < q.n; i++) {
			char *id = queue_key(&q, i, JK_ID);
			if (*id && safe_name(id))
				printf("%s\n", id);
			free(id);
		}
	queue_release(&q);
	buf_release(&err);
	free(path);
}

static void
print_workers(const char *root, int pools)
{
	struct registry reg = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	struct strv seen = STRV_INIT;
	if (pools) {
		strv_push(&seen, "default");
		strv_push(&seen, "any");
	}
	if (registry_load(&reg, root, &err) == 0)
		for (size_t i = 0; i < reg.n; i++) {
			const char *w = pools ? reg.w[i].pool : reg.w[i].id;
			if (w && safe_name(w) && !strv_has(&seen, w))
				strv_push(&seen, w);
		}
	for (size_t i = 0; i < seen.n; i++)
		printf("%s\n", seen.v[i]);
	strv_release(&seen);
	registry_release(&reg);
	buf_release(&err);
}

static int
cmd_complete_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	static const struct opt opts[] = { OPT_END };
	int rc = 0;
	opt_parse(ctx, opts, argc, argv, &pos);
	const char *what = pos.n ? pos.v[0] : "";
	if (!strcmp(what, "commands") && pos.n == 1) {
		for (const struct ros_cmd *const *c = ros_cmds; *c; c++)
			if (!((*c)->flags & CMD_HIDDEN))
				printf("%s\t%s\n", (*c)->name, (*c)->summary);
	} else if (!strcmp(what, "spec") && pos.n == 2) {
		const struct ros_cmd *c = find_cmd(pos.v[1]);
		if (!c || (c->flags & CMD_HIDDEN)) {
			rc = error("no command '%s'", pos.v[1]);
		} else {
			char *av[] = { (char *)c->name, NULL };
			fflush(stdout);
			opt_spec_hook = print_spec;
			ctx->cmd = c;
			rc = c->fn(1, av, ctx);	/* opt_parse prints the spec and exits */
		}
	} else if (pos.n == 1 && (!strcmp(what, "runs") || !strcmp(what, "workers") || !strcmp(what, "pools") ||
				  !strcmp(what, "projects"))) {
		const char *root = ctx_find_root(ctx);
		struct strv projects = STRV_INIT;
		if (root && !strcmp(what, "runs"))
			print_runs(root);
		else if (root && !strcmp(what, "projects")) {
			project_list(root, &projects);
			for (size_t i = 0; i < projects.n; i++)
				printf("%s\n", projects.v[i]);
		} else if (root)
			print_workers(root, !strcmp(what, "pools"));
		strv_release(&projects);
	} else {
		usage_error(ctx, "what to complete: commands, spec COMMAND, runs, workers, pools or projects");
	}
	strv_release(&pos);
	return rc;
}

const struct ros_cmd cmd_complete = {
	"__complete", cmd_complete_fn, CMD_NO_ROOT | CMD_HIDDEN,
	"what the shell completions need (hidden)",
	"commands | spec COMMAND | runs | workers | pools | projects",
	NULL,
};
