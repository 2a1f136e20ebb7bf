/*
 * code.c - project.yaml's code: and run workdirs (see code.h).
 */
#include "code/code.h"
#include "store/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int
code_settings_load(const char *root, const char *project, struct code_settings *cs, struct buf *err)
{
	struct ydoc y = YDOC_INIT;
	char *path = xasprintf("%s/research/%s/project.yaml", root, project);
	int rc = 0;
	if (!file_exists(path))
		goto out;
	if (ydoc_load(&y, path, err) < 0) {
		rc = -1;
		goto out;
	}
	struct ynode *c = ymap_get(y.root, "code");
	if (!c || (c->type == Y_SCALAR && c->plain_null))
		goto out;
	if (c->type != Y_MAP) {
		buf_addf(err, "%s:%d:%d: code must be a mapping ({workdir: PATH, max_mb: N})", path, c->line, c->col);
		rc = -1;
		goto out;
	}
	struct ynode *w = ymap_get(c, "workdir"), *m = ymap_get(c, "max_mb");
	if (w && !(w->type == Y_SCALAR && w->plain_null)) {
		if (w->type != Y_SCALAR || !w->value || !*w->value) {
			buf_addf(err, "%s:%d:%d: code.workdir must be a path", path, w->line, w->col);
			rc = -1;
			goto out;
		}
		cs->workdir = xstrdup(w->value);
	}
	if (m && !(m->type == Y_SCALAR && m->plain_null)) {
		if (ynode_long(m, &cs->max_mb) < 0 || cs->max_mb < 1) {
			buf_addf(err, "%s:%d:%d: code.max_mb must be a whole number of MB, at least 1", path, m->line,
				 m->col);
			rc = -1;
			goto out;
		}
	}
out:
	if (rc < 0)
		code_settings_release(cs);
	ydoc_release(&y);
	free(path);
	return rc;
}

void
code_settings_release(struct code_settings *cs)
{
	free(cs->workdir);
	cs->workdir = NULL;
	cs->max_mb = 0;
}

char *
code_workdir_abs(const char *root, const char *workdir)
{
	if (workdir[0] == '/' || (workdir[0] == '~' && (workdir[1] == '/' || !workdir[1])))
		return expand_home(workdir);
	return xasprintf("%s/%s", root, workdir);
}

char *
code_workdir_rel(const char *root, const char *dir, struct buf *err)
{
	char real[PATH_MAX], rroot[PATH_MAX];
	errno = 0;
	if (!realpath(dir, real) || !dir_exists(real)) {
		buf_addf(err, "--workdir %s: %s", dir, errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	if (!realpath(root, rroot))
		return xstrdup(real);
	/* the longest common leading directory, then ".." for each of the root's below it */
	size_t common = 0;
	for (size_t i = 0;; i++) {
		int ea = !rroot[i] || rroot[i] == '/', eb = !real[i] || real[i] == '/';
		if (ea && eb)
			common = i;
		if (!rroot[i] || !real[i] || rroot[i] != real[i])
			break;
	}
	if (common == 0)
		return xstrdup(real);	/* only "/" in common: absolute reads better */
	struct buf b = BUF_INIT;
	for (const char *p = rroot + common; *p; p++)
		if (*p == '/')
			buf_adds(&b, b.len ? "/.." : "..");
	const char *rest = real + common + (real[common] == '/');
	if (*rest)
		buf_addf(&b, "%s%s", b.len ? "/" : "", rest);
	if (!b.len)
		buf_adds(&b, ".");
	return buf_detach(&b);
}
