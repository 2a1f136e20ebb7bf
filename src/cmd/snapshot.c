/*
 * snapshot.c - `ros snapshot`: what a dispatch would send of a work tree
 * (its files, bytes and id), without sending anything; and --export ID
 * DIR, the tree of a snapshot the root keeps, rebuilt.
 */
#include "ros.h"
#include "code/code.h"
#include "code/snapshot.h"
#include "util/jx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
print_json_new(json_t *o)
{
	json_print(o);
	json_decref(o);
}

static void
print_human(const struct snapshot *s, int files)
{
	char *wd = utf8_clean(s->workdir, strlen(s->workdir));
	printf("snapshot  %s\n", s->id);
	fprintf_term(stdout, "workdir   %s\n", wd);
	free(wd);
	printf("files     %zu (%zu executable%s, %zu link%s), %.1f MB; %zu read, %zu from the cache\n", s->n,
	       s->executables, s->executables == 1 ? "" : "s", s->links, s->links == 1 ? "" : "s",
	       (double)s->bytes / 1e6, s->read, s->n - s->links - s->read);
	if (!s->in_git)
		printf("git       not a git work tree: every file but .rosignore's\n");
	else if (!s->commit)
		printf("git       no commit yet, %zu untracked\n", s->untracked);
	else
		printf("git       %s@%.12s%s, %zu untracked\n", s->branch ? s->branch : "(detached)", s->commit,
		       s->dirty ? ", dirty" : ", clean", s->untracked);
	for (size_t i = 0; i < s->skipped.n; i++)
		fprintf_term(stdout, "skipped   %s\n", s->skipped.v[i]);
	if (!files)
		return;
	for (size_t i = 0; i < s->n; i++) {
		char *p = snap_shown(s->f[i].path);
		fprintf_term(stdout, "  %c %.12s %10lld  %s\n", s->f[i].type, s->f[i].hash, s->f[i].size, p);
		free(p);
	}
}

static int
cmd_snapshot_fn(int argc, char **argv, struct ctx *ctx)
{
	char *workdir = NULL, *project = NULL, *export_id = NULL;
	long long max_mb = 0;
	int files = 0, rc = 1;
	struct strv pos = STRV_INIT;
	const struct opt opts[] = {
		{ .name = "workdir", .kind = OPT_STR, .dst = &workdir, .arg = "DIR", .help = "the tree (default: the project's code.workdir, else .)", .flags = OPT_NONEMPTY },
		{ .name = "project", .kind = OPT_STR, .dst = &project, .arg = "P", .help = "the tree and limit of project P's project.yaml (code:)", .flags = OPT_NONEMPTY },
		{ .name = "max-mb", .kind = OPT_INT, .dst = &max_mb, .arg = "N", .help = "refuse a snapshot over N MB (default: code.max_mb, else 200)", .flags = OPT_MIN, .min = 1 },
		{ .name = "files", .kind = OPT_BOOL, .dst = &files, .help = "list every file: type, hash, size, path" },
		{ .name = "export", .kind = OPT_STR, .dst = &export_id, .arg = "ID", .help = "rebuild snapshot ID (or a prefix of it) into DIR, from the root's copy", .flags = OPT_NONEMPTY },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, &pos);
	const char *root = ctx_root(ctx);
	struct buf err = BUF_INIT;
	if (export_id) {
		if (pos.n != 1)
			usage_error(ctx, "--export ID takes one directory to write the tree into");
		char *id = snapshot_resolve(root, export_id, &err);
		if (!id || snapshot_export(root, id, pos.v[0], &err) < 0) {
			error("%s", err.s);
		} else {
			if (ctx->json)
				print_json_new(json_pack("{s:s, s:s}", "snapshot", id, "dir", pos.v[0]));
			else
				fprintf_term(stdout, "snapshot %s rebuilt in %s\n", id, pos.v[0]);
			rc = 0;
		}
		free(id);
		goto out;
	}
	if (pos.n)
		usage_error(ctx, "unexpected argument '%s'", pos.v[0]);
	struct code_settings cs = CODE_SETTINGS_INIT;
	if (project && code_settings_load(root, project, &cs, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	struct snap_opts so = { .root = root, .workdir = workdir, .max_bytes = max_mb * 1000000 };
	char *wd = NULL;
	if (!workdir) {
		wd = cs.workdir ? code_workdir_abs(root, cs.workdir) : xstrdup(".");
		so.workdir = wd;
	}
	if (!max_mb && cs.max_mb > 0)
		so.max_bytes = cs.max_mb * 1000000;
	struct snapshot s = SNAPSHOT_INIT;
	if (snapshot_take(&so, &s, &err) < 0) {
		error("%s", err.s);
	} else {
		if (ctx->json)
			print_json_new(snapshot_json(&s, files));
		else
			print_human(&s, files);
		rc = 0;
	}
	snapshot_release(&s);
	code_settings_release(&cs);
	free(wd);
out:
	buf_release(&err);
	strv_release(&pos);
	return rc;
}

const struct ros_cmd cmd_snapshot = {
	"snapshot", cmd_snapshot_fn, CMD_JSON, "what a dispatch would send of a work tree: files, bytes, id",
	"[--workdir DIR | --project P] [--max-mb N] [--files] [--json] | --export ID DIR",
	"Takes the snapshot a dispatch takes of a run's code and prints it: its id\n"
	"(the SHA-256 of every path, mode and content), the files, executables and\n"
	"links, the bytes, and git's view (branch@commit, dirty, untracked files),\n"
	"without sending anything.  In a git work tree it holds every tracked file\n"
	"at its working-tree content and the untracked files git does not ignore;\n"
	"outside git, every file.  A .rosignore (gitignore syntax, in any directory)\n"
	"leaves more out.  Executable bits and symbolic links are kept; a link that\n"
	"leads out of the tree, a submodule or a device is skipped and named.  Over\n"
	"the limit (--max-mb, code.max_mb in project.yaml, else 200 MB) it is\n"
	"refused with the largest paths named.  Contents are kept under .ros/snap/\n"
	"with a stat cache, so a second snapshot of an unchanged tree reads no file.\n"
	"--export ID DIR rebuilds the tree of snapshot ID from the root's copy into\n"
	"DIR (a new or empty directory): exactly the code a run used.",
};
