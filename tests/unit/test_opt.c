/* test_opt.c - option parsing (opt.c): the global options anywhere on the
 * line, a command's own option of the same name winning, what the table
 * asks of values (required, range, choices, "goes with"), and the "did you
 * mean" of a mistyped name. */
#include "unit.h"
#include "ros.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct ros_cmd reader = { "reader", NULL, CMD_JSON, "reads", "", NULL };
static const struct ros_cmd owner = { "owner", NULL, 0, "has its own --json, --root and -q", "", NULL };

static char *
mean(const char *word, const char *list)
{
	struct strv c = STRV_INIT;
	struct buf b = BUF_INIT;
	char *copy = xstrdup(list);
	for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
		strv_push(&c, t);
	did_you_mean(&b, word, &c, "--");
	strv_release(&c);
	free(copy);
	return buf_detach(&b);
}

/* The options of a made-up "tabled" command, parsed from the words of line
 * in a child: its exit status, and its first line on stderr in err. */
static long long t_n, t_gpus;
static double t_x;
static const char *t_kind, *t_id;
static int t_watch, t_dispatch;
static const struct ros_cmd tabled = { .name = "tabled", .summary = "tests the table", .synopsis = "[options]" };
static const struct opt t_opts[] = {
	{ .name = "project-id", .kind = OPT_STR, .dst = &t_id, .flags = OPT_REQUIRED },
	{ .name = "priority", .kind = OPT_INT, .dst = &t_n, .flags = OPT_MIN, .min = 0 },
	{ .name = "gpus", .kind = OPT_INT, .dst = &t_gpus, .flags = OPT_MIN | OPT_MAX, .min = 0, .max = 64 },
	{ .name = "share", .kind = OPT_DOUBLE, .dst = &t_x, .flags = OPT_MAX, .max = 0.5 },
	{ .name = "kind", .kind = OPT_STR, .dst = &t_kind, .choices = "paper|blog|all" },
	{ .name = "watch", .kind = OPT_BOOL, .dst = &t_watch },
	{ .name = "dispatch", .kind = OPT_BOOL, .dst = &t_dispatch, .with = "watch" },
	OPT_END
};

static int
tabled_run(const char *line, char *err, size_t errsz)
{
	int fd[2];
	err[0] = 0;
	if (pipe(fd))
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *copy = xstrdup(line), *argv[32];
		int argc = 0;
		argv[argc++] = "tabled";
		for (char *t = strtok(copy, " "); t && argc < 31; t = strtok(NULL, " "))
			argv[argc++] = t;
		argv[argc] = NULL;
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		struct ctx ctx = { .cmd = &tabled };
		opt_parse(&ctx, t_opts, argc, argv, NULL);
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < errsz && (r = read(fd[0], err + n, errsz - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = 0;
	char *nl = strchr(err, '\n');
	if (nl)
		*nl = 0;
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
tabled_check(const char *line, int want_rc, const char *want_err, const char *what)
{
	char err[512];
	int rc = tabled_run(line, err, sizeof err);
	CHECK(rc == want_rc, "%s: exit %d (got %d)", what, want_rc, rc);
	CHECK_STR(err, want_err, "%s: the message", what);
}

int
main(void)
{
	/* what the table asks */
	tabled_check("--project-id p", 0, "", "the required one given");
	tabled_check("--priority 3", 2, "ros tabled: --project-id is required", "the required one missing");
	tabled_check("--project-id p --priority 0", 0, "", "at the minimum");
	tabled_check("--project-id p --priority -1", 2, "ros tabled: --priority must be >= 0", "below the minimum");
	tabled_check("--project-id p --gpus 64", 0, "", "at the maximum");
	tabled_check("--project-id p --gpus 65", 2, "ros tabled: --gpus must be between 0 and 64", "above the range");
	tabled_check("--project-id p --gpus=-2", 2, "ros tabled: --gpus must be between 0 and 64", "below the range");
	tabled_check("--project-id p --share 0.5", 0, "", "a fraction at its maximum");
	tabled_check("--project-id p --share 0.51", 2, "ros tabled: --share must be <= 0.5", "a fraction above");
	tabled_check("--project-id p --kind blog", 0, "", "one of the choices");
	tabled_check("--project-id p --kind post", 2, "ros tabled: --kind must be paper, blog or all, not 'post'", "not one of the choices");
	tabled_check("--project-id p --kind paper,blog", 2, "ros tabled: --kind must be paper, blog or all, not 'paper,blog'", "two choices at once");
	tabled_check("--project-id p --watch --dispatch", 0, "", "goes with, both given");
	tabled_check("--project-id p --dispatch --watch", 0, "", "goes with, in either order");
	tabled_check("--project-id p --dispatch", 2, "ros tabled: --dispatch goes with --watch", "goes with, alone");
	tabled_check("--project-id p --priority x", 2, "ros tabled: --priority wants an integer, not 'x'", "not a number");
	/* the global ones after the command name */
	{
		struct ctx ctx = { .cmd = &reader };
		const char *pool = NULL;
		const struct opt opts[] = { { .name = "worker-pool", .kind = OPT_STR, .dst = &pool, .arg = "P", .help = "" }, OPT_END };
		char *argv[] = { "reader", "--json", "--worker-pool", "gpu", "--root", "/r", "-q", NULL };
		opt_quiet = 0;
		opt_parse(&ctx, opts, 7, argv, NULL);
		CHECK(ctx.json == 1, "--json after the name");
		CHECK_STR(ctx.root_opt, "/r", "--root DIR after the name");
		CHECK(opt_quiet == 1, "-q after the name");
		CHECK_STR(pool, "gpu", "the command's own option still parsed");
		char *argv2[] = { "reader", "--root=/s", NULL };
		opt_parse(&ctx, opts, 2, argv2, NULL);
		CHECK_STR(ctx.root_opt, "/s", "--root=DIR after the name");
	}
	/* a command's own option of a global's name wins */
	{
		struct ctx ctx = { .cmd = &owner };
		int json = 0, q = 0;
		const char *root = NULL;
		const struct opt opts[] = {
			{ .name = "json", .kind = OPT_BOOL, .dst = &json, .help = "" },
			{ .name = "root", .kind = OPT_STR, .dst = &root, .arg = "X", .help = "" },
			{ .name = "queue", .kind = OPT_BOOL, .dst = &q, .help = "", .shrt = 'q' },
			OPT_END
		};
		char *argv[] = { "owner", "--json", "--root", "mine", "-q", NULL };
		opt_quiet = 0;
		opt_parse(&ctx, opts, 5, argv, NULL);
		CHECK(json == 1 && ctx.json == 0, "its --json, not the global one (refused for it)");
		CHECK_STR(root, "mine", "its --root");
		CHECK(ctx.root_opt == NULL, "the global --root untouched");
		CHECK(q == 1 && opt_quiet == 0, "its -q, not quiet");
	}
	/* did you mean */
	{
		char *s;
		s = mean("worker-poool", "worker-id worker-pool priority");
		CHECK_STR(s, "; did you mean --worker-pool?", "a letter too many");
		free(s);
		s = mean("dyr-rnu", "dry-run max");
		CHECK_STR(s, "; did you mean --dry-run?", "two swaps in a long name");
		free(s);
		s = mean("mxa", "max lines");
		CHECK_STR(s, "; did you mean --max?", "a swap in a short name");
		free(s);
		s = mean("mix", "max lines");
		CHECK_STR(s, "; did you mean --max?", "one letter wrong in a short name");
		free(s);
		s = mean("moo", "max lines");
		CHECK_STR(s, "", "two wrong in a short name: no guess");
		free(s);
		s = mean("pri", "priority project-id");
		CHECK_STR(s, "; did you mean --priority?", "the start of one");
		free(s);
		s = mean("pr", "priority project-id");
		CHECK_STR(s, "", "too short a start");
		free(s);
		s = mean("pro", "project-id profile");
		CHECK_STR(s, "", "the start of two: no guess");
		free(s);
		s = mean("kinds", "kind kinda");
		CHECK_STR(s, "; did you mean --kind or --kinda?", "two as close: both");
		free(s);
		s = mean("colour", "worker-pool max dry-run");
		CHECK_STR(s, "", "nothing close");
		free(s);
	}
	return UNIT_DONE();
}
