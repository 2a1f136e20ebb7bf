/*
 * vast_blacklist.c - `ros vastai-blacklist add MACHINE_ID [--reason TEXT] |
 * remove MACHINE_ID | list`: the machines vast-hunt and the watcher never
 * rent, in vastai/blacklist.yaml (vast/blacklist.h edits it in place).
 *
 *   $ ros vastai-blacklist add 48211 --reason "rented twice, never booted"
 *   Blacklisted machine 48211 (rented twice, never booted)
 *   $ ros vastai-blacklist list
 *   MACHINE  SINCE       REASON
 *   48211    2026-05-30  rented twice, never booted
 */
#include "ros.h"
#include "util/jx.h"
#include "util/table.h"
#include "vast/blacklist.h"
#include "vast/values.h"

#include <stdlib.h>
#include <string.h>

#define REASON_MAX 500

static long long
machine_arg(struct ctx *ctx, const struct strv *pos)
{
	long long id;
	if (pos->n < 2)
		usage_error(ctx, "%s needs a MACHINE_ID", pos->v[0]);
	if (pos->n > 2)
		usage_error(ctx, "one machine at a time");
	if (parse_long(pos->v[1], &id) < 0 || id <= 0)
		usage_error(ctx, "MACHINE_ID must be a positive number (Vast.ai's machine_id), not '%s'", pos->v[1]);
	return id;
}

static int
cmd_vastai_blacklist_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *reason = NULL;
	const struct opt opts[] = {
		{ .name = "reason", .kind = OPT_STR, .dst = &reason, .arg = "TEXT", .help = "why (add): kept in the file with the date" },
		OPT_END
	};
	struct strv pos = STRV_INIT;
	struct buf err = BUF_INIT;
	int rc = 1;

	opt_parse(ctx, opts, argc, argv, &pos);
	if (!pos.n)
		usage_error(ctx, "add, remove or list?");
	const char *sub = pos.v[0];
	if (reason && strcmp(sub, "add"))
		usage_error(ctx, "--reason goes with add");
	if (!strcmp(sub, "list")) {
		if (pos.n > 1)
			usage_error(ctx, "list takes no argument");
		rc = vast_blacklist_show(ctx_root(ctx), ctx->json);
	} else if (!strcmp(sub, "add")) {
		long long id = machine_arg(ctx, &pos);
		json_t *old = NULL;
		if (reason && strlen(reason) > REASON_MAX)
			usage_error(ctx, "--reason must be at most %d bytes", REASON_MAX);
		int r = vast_blacklist_add(ctx_root(ctx), id, reason, &old, &err);
		if (r < 0) {
			error("%s", err.s);
			goto out;
		}
		if (ctx->json) {
			json_t *o = json_pack("{s:I,s:b}", "machine_id", (json_int_t)id, "added", r > 0);
			json_print(o);
			json_decref(o);
		} else if (r > 0) {
			char *d = vast_disp(reason, 80, NULL);
			printf("Blacklisted machine %lld%s%s%s\n", id, *d ? " (" : "", d, *d ? ")" : "");
			free(d);
		} else {
			char *d = vast_disp(jstr(old, "date"), 20, "an unknown date");
			char *why = vast_disp(jstr(old, "reason"), 80, "no reason given");
			printf("Machine %lld is already blacklisted (since %s: %s)\n", id, d, why);
			free(d);
			free(why);
		}
		json_decref(old);
		rc = 0;
	} else if (!strcmp(sub, "remove")) {
		long long id = machine_arg(ctx, &pos);
		int r = vast_blacklist_remove(ctx_root(ctx), id, &err);
		if (r < 0) {
			error("%s", err.s);
			goto out;
		}
		if (ctx->json) {
			json_t *o = json_pack("{s:I,s:b}", "machine_id", (json_int_t)id, "removed", r > 0);
			json_print(o);
			json_decref(o);
		} else if (r > 0) {
			printf("Removed machine %lld from the blacklist\n", id);
		}
		if (!r)
			error("machine %lld is not blacklisted", id);
		rc = r > 0 ? 0 : 1;
	} else {
		usage_error(ctx, "unknown subcommand '%s' (add, remove or list)", sub);
	}
out:
	strv_release(&pos);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_vastai_blacklist = {
	"vastai-blacklist", cmd_vastai_blacklist_fn, CMD_JSON,
	"machines never rented: add MACHINE_ID [--reason TEXT] | remove MACHINE_ID | list",
	"add MACHINE_ID [--reason TEXT] | remove MACHINE_ID | list [--json]",
	"Edits vastai/blacklist.yaml in place (comments and layout stay): add appends\n"
	"{machine_id, reason, date} (today, UTC); remove deletes every entry of the\n"
	"machine (exit 1 if there was none).  vast-hunt never shows a blacklisted\n"
	"machine's offers and vastai-watcher never rents them.  MACHINE_ID is Vast.ai's\n"
	"machine_id (the MACHINE column of vast-hunt), not an offer or instance id.",
};
