/*
 * code.c - project.yaml's code: and run workdirs (see code.h).
 */
#include "code/code.h"
#include "code/snapshot.h"
#include "store/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int
is_null(const struct ynode *n)
{
	return !n || (n->type == Y_SCALAR && n->plain_null);
}

/* setup: (a list of lines, or one string) and setup_inputs: (a list). */
static int
load_setup(const struct ydoc *y, const char *path, struct code_settings *cs, struct buf *err)
{
	struct ynode *s = ymap_get(y->root, "setup"), *in = ymap_get(y->root, "setup_inputs");
	if (!is_null(s)) {
		struct buf b = BUF_INIT;
		if (s->type == Y_SCALAR) {
			buf_adds(&b, s->value ? s->value : "");
		} else if (s->type == Y_SEQ) {
			for (size_t i = 0; i < s->n; i++) {
				const struct ynode *l = s->items[i];
				if (l->type != Y_SCALAR || !l->value) {
					buf_addf(err, "%s:%d:%d: setup: each item is a shell line (quote one that holds ': ')", path,
						 l->line, l->col);
					buf_release(&b);
					return -1;
				}
				buf_addf(&b, "%s\n", l->value);
			}
		} else {
			buf_addf(err, "%s:%d:%d: setup must be a list of shell lines, or one string", path, s->line, s->col);
			return -1;
		}
		if (b.len && b.s[strspn(b.s, " \t\n")])
			cs->setup = buf_detach(&b);
		buf_release(&b);
	}
	if (!is_null(in)) {
		if (in->type != Y_SEQ) {
			buf_addf(err, "%s:%d:%d: setup_inputs must be a list of paths of the tree", path, in->line, in->col);
			return -1;
		}
		for (size_t i = 0; i < in->n; i++) {
			const struct ynode *l = in->items[i];
			if (l->type != Y_SCALAR || !l->value || !*l->value) {
				buf_addf(err, "%s:%d:%d: setup_inputs: each item is a path", path, l->line, l->col);
				return -1;
			}
			strv_push(&cs->inputs, l->value);
		}
	}
	return 0;
}

static int
dest_ok(const char *d)
{
	return path_plain(d) && strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") == strlen(d);
}

/* data: a list of {src, dest[, max_mb]}. */
static int
load_data(const struct ydoc *y, const char *path, struct code_settings *cs, struct buf *err)
{
	struct ynode *d = ymap_get(y->root, "data");
	if (is_null(d))
		return 0;
	if (d->type != Y_SEQ) {
		buf_addf(err, "%s:%d:%d: data must be a list of {src: DIR, dest: PATH}", path, d->line, d->col);
		return -1;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct ynode *e = d->items[i];
		const char *src = ymap_str(e, "src"), *dest = ymap_str(e, "dest");
		struct ynode *m = ymap_get(e, "max_mb");
		long long mb = DATA_MAX_MB_DEFAULT;
		if (e->type != Y_MAP || !src || !*src || !dest) {
			buf_addf(err, "%s:%d:%d: data: each entry is {src: DIR, dest: PATH}", path, e->line, e->col);
			return -1;
		}
		if (!dest_ok(dest)) {
			const struct ynode *dn = ymap_get(e, "dest");
			buf_addf(err, "%s:%d:%d: data: dest '%s' must be a relative path of plain names ([A-Za-z0-9._-], no "
				 "'..')", path, dn->line, dn->col, dest);
			return -1;
		}
		if (!is_null(m) && (ynode_long(m, &mb) < 0 || mb < 1)) {
			buf_addf(err, "%s:%d:%d: data: max_mb must be a whole number of MB, at least 1", path, m->line, m->col);
			return -1;
		}
		cs->data = xrealloc(cs->data, (cs->ndata + 1) * sizeof *cs->data);
		cs->data[cs->ndata++] = (struct code_data){ xstrdup(src), xstrdup(dest), mb };
	}
	return 0;
}

int
code_settings_load(const char *root, const char *project, struct code_settings *cs, struct buf *err)
{
	struct ydoc y = YDOC_INIT;
	char *abs = xasprintf("%s/research/%s/project.yaml", root, project);
	char *path = xasprintf("research/%s/project.yaml", project);	/* for messages */
	size_t len;
	char *text = NULL;
	int rc = 0;
	if (!file_exists(abs))
		goto out;
	if (!(text = read_file(abs, &len))) {
		buf_addf(err, "cannot read %s: %s", path, strerror(errno));
		rc = -2;
		goto out;
	}
	if (ydoc_parse(&y, path, text, len, err) < 0) {
		rc = -2;
		goto out;
	}
	struct ynode *c = ymap_get(y.root, "code");
	if (!c || (c->type == Y_SCALAR && c->plain_null))
		goto out;	/* (set-up: at out) */
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
	if (rc == 0 && y.root && (load_setup(&y, path, cs, err) < 0 || load_data(&y, path, cs, err) < 0))
		rc = -1;
	if (rc != 0)
		code_settings_release(cs);
	ydoc_release(&y);
	free(text);
	free(abs);
	free(path);
	return rc;
}

void
code_settings_release(struct code_settings *cs)
{
	for (size_t i = 0; i < cs->ndata; i++) {
		free(cs->data[i].src);
		free(cs->data[i].dest);
	}
	free(cs->data);
	cs->data = NULL;
	cs->ndata = 0;
	free(cs->workdir);
	free(cs->setup);
	strv_release(&cs->inputs);
	cs->workdir = cs->setup = NULL;
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

/* The usual dependency files at the top of a tree. */
static int
dependency_file(const char *p)
{
	static const char *const names[] = { "pyproject.toml", "setup.py", "setup.cfg", "environment.yml",
					     "environment.yaml", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock" };
	if (strchr(p, '/'))
		return 0;
	if (str_starts(p, "requirements") && str_ends(p, ".txt"))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(p, names[i]))
			return 1;
	return 0;
}

/* Does the set-up's text name path as a word (quotes, '=' and ',' split
 * words too; "./" before it is the same path)? */
static int
named(const char *text, const char *path)
{
	size_t n = strlen(path);
	for (const char *t = text; (t = strstr(t, path)); t++) {
		const char *b = t;
		if (b - text >= 2 && b[-1] == '/' && b[-2] == '.')
			b -= 2;
		int start = b == text || strchr(" \t\n'\"=,;(", b[-1]);
		int end = !t[n] || strchr(" \t\n'\"=,;)", t[n]);
		if (start && end)
			return 1;
	}
	return 0;
}

void
code_setup_key(const struct code_settings *cs, const struct snapshot *s, char out[65])
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "ros-setup 1\n");
	buf_add(&b, cs->setup, strlen(cs->setup) + 1);
	for (size_t i = 0; s && i < s->n; i++) {
		const struct snap_file *f = &s->f[i];
		int in = cs->inputs.n ? strv_has(&cs->inputs, f->path) : dependency_file(f->path) || named(cs->setup, f->path);
		if (in) {
			buf_addf(&b, "%c %s %s", f->type, f->hash, f->path);
			buf_addc(&b, 0);
		}
	}
	sha256_hex(b.s, b.len, out);
	buf_release(&b);
}
