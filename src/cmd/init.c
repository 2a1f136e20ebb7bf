/*
 * init.c - `ros init [DIR]`: make a new root.
 *
 * Creates the queues (empty arrays), a worker registry with the `local`
 * worker, schemas, templates, research/ and a .gitignore for .ros/.  The
 * templates and schemas are compiled into the binary.  A file that is
 * already there is never overwritten, so init is safe on an existing root
 * (it fills in what is missing).
 */
#include "ros.h"
#include "store/queue.h"
#include "embedded.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const queue_files[] = { Q_IDEAS, Q_BENCH, Q_RUNS, Q_PUBS };

/* Write an embedded file to root/rel unless it exists; count what was made. */
static int
put(const char *root, const char *rel, const char *data, size_t len, int *made, struct buf *err)
{
	char *path = path_join(root, rel);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
	else
		r = write_new_file(path, data, len, 0644, err);
	if (r > 0)
		(*made)++;
	free(dir);
	free(path);
	return r < 0 ? -1 : 0;
}

static int
cmd_init_fn(int argc, char **argv, struct ctx *ctx)
{
	struct strv pos = STRV_INIT;
	struct buf err = BUF_INIT;
	int made = 0, rc = 1;
	static const struct opt opts[] = { OPT_END };

	opt_parse(ctx, opts, argc, argv, &pos);
	if (pos.n > 1)
		usage_error(ctx, "too many arguments");
	const char *dir = pos.n ? pos.v[0] : ctx->root_opt ? ctx->root_opt : ".";
	if (mkdir_p(dir, 0755) < 0) {
		error("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	char abs[PATH_MAX];
	if (!realpath(dir, abs)) {
		error("%s: %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(queue_files); i++)
		if (put(abs, queue_files[i], "[]\n", 3, &made, &err) < 0)
			goto fail;
	for (const struct embedded_file *f = embedded_files; f->path; f++) {
		const char *rel = NULL;
		if (str_starts(f->path, "data/templates/") || str_starts(f->path, "data/schemas/"))
			rel = f->path + 5;
		else if (!strcmp(f->path, "data/workers.yaml"))
			rel = "workers/workers.yaml";
		else if (!strcmp(f->path, "data/gitignore"))
			rel = ".gitignore";
		else if (!strcmp(f->path, "data/watcher.yaml"))
			rel = "vastai/watcher.yaml";
		if (rel && put(abs, rel, f->data, f->len, &made, &err) < 0)
			goto fail;
	}
	/* research/, and workspace/: where the local worker's runs start */
	const char *dirs[] = { "research", "workspace" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = path_join(abs, dirs[i]);
		mkdir_p(d, 0755);
		free(d);
	}
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:i}", "root", abs, "created_files", made);
		json_print(o);
		json_decref(o);
	}
	else if (!opt_quiet)
		printf("%s research-os root at %s (%d files written)\n"
		       "next: ros init-project --title T --idea I --target C\n",
		       made ? "initialised" : "already a", abs, made);
	rc = 0;
	goto out;
fail:
	error("%s", err.s);
out:
	buf_release(&err);
	strv_release(&pos);
	return rc;
}

const struct ros_cmd cmd_init = {
	"init", cmd_init_fn, CMD_NO_ROOT,
	"make a new root (queues, worker registry with the local worker, templates)",
	"[DIR]",
	"Creates DIR (default: the current folder) with queues/ (four empty JSON\n"
	"queues), workers/workers.yaml (one enabled `local` worker), schemas/,\n"
	"templates/, research/ and a .gitignore for .ros/.  Existing files are\n"
	"never overwritten.",
};
