/* test_opt.c - option parsing (util/opt.c): the global options anywhere on
 * the line, a command's own option of the same name winning, and the
 * "did you mean" of a mistyped name. */
#include "unit.h"
#include "ros.h"

#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
	/* the global ones after the command name */
	{
		struct ctx ctx = { 0 };
		const char *pool = NULL;
		const struct opt opts[] = { { "worker-pool", OPT_STR, &pool, "P", "", 0, NULL }, OPT_END };
		char *argv[] = { "reader", "--json", "--worker-pool", "gpu", "--root", "/r", "-q", NULL };
		opt_quiet = 0;
		opt_parse(&ctx, &reader, opts, 7, argv, NULL);
		CHECK(ctx.json == 1, "--json after the name");
		CHECK_STR(ctx.root_opt, "/r", "--root DIR after the name");
		CHECK(opt_quiet == 1, "-q after the name");
		CHECK_STR(pool, "gpu", "the command's own option still parsed");
		char *argv2[] = { "reader", "--root=/s", NULL };
		opt_parse(&ctx, &reader, opts, 2, argv2, NULL);
		CHECK_STR(ctx.root_opt, "/s", "--root=DIR after the name");
	}
	/* a command's own option of a global's name wins */
	{
		struct ctx ctx = { 0 };
		int json = 0, q = 0;
		const char *root = NULL;
		const struct opt opts[] = {
			{ "json", OPT_BOOL, &json, NULL, "", 0, NULL },
			{ "root", OPT_STR, &root, "X", "", 0, NULL },
			{ "queue", OPT_BOOL, &q, NULL, "", 'q', NULL },
			OPT_END
		};
		char *argv[] = { "owner", "--json", "--root", "mine", "-q", NULL };
		opt_quiet = 0;
		opt_parse(&ctx, &owner, opts, 5, argv, NULL);
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
