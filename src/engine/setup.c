/*
 * setup.c - preparing a worker (see setup.h).
 */
#include "engine/setup.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exec/batch.h"
#include "store/registry.h"
#include "store/yaml.h"

/* The output of the set-up, cut into lines for o->say (one pending
 * partial line per stream); ros's records ("ROS ...") are left out. */
struct lines {
	const struct setup_opts *o;
	struct buf pending[2];
};

static void PRINTF(2, 3)
say(const struct setup_opts *o, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	if (!o->say)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	o->say(o->arg, 1, b.s, b.len);
	buf_release(&b);
}

static void
pass_line(struct lines *l, int stream, const char *s, size_t n)
{
	if (l->o->say && !(n >= 4 && !memcmp(s, "ROS ", 4)))
		l->o->say(l->o->arg, stream, s, n);
}

static void
on_output(struct proc *p, int stream, const char *data, size_t len)
{
	struct lines *l = p->arg;
	struct buf *pending = &l->pending[stream == 2];
	char *nl;
	buf_add(pending, data, len);
	while ((nl = memchr(pending->s, '\n', pending->len))) {
		size_t n = (size_t)(nl - pending->s) + 1;
		pass_line(l, stream, pending->s, n);
		memmove(pending->s, pending->s + n, pending->len - n);
		pending->len -= n;
		pending->s[pending->len] = 0;
	}
}

/* The env file's bytes to sync into *data (NULL: none), saying why none. */
static void
env_data(const struct worker *w, const struct setup_opts *o, char **data, size_t *len)
{
	char *path;
	*data = NULL;
	*len = 0;
	if (o->no_env)
		return;
	if (w->type == WORKER_LOCAL) {
		say(o, "setup: local worker: its runs load this machine's ~/.env.local; nothing to sync\n");
		return;
	}
	path = o->env_file ? xstrdup(o->env_file) : expand_home("~/.env.local");
	*data = read_file(path, len);
	if (!*data && o->env_file)
		warning("cannot read %s; no secrets synced", path);
	else if (!*data)
		say(o, "setup: no ~/.env.local here; nothing to sync\n");
	free(path);
}

/* Run the set-up script on w; 0 when the worker said it is ready. */
static int
run_setup(const char *root, struct worker *w, int allow, const struct setup_opts *o, struct buf *err)
{
	struct script s = SCRIPT_INIT;
	struct lines l = { o, { BUF_INIT, BUF_INIT } };
	struct proc p;
	char *env;
	size_t envlen;
	int ret = -1;

	script_begin(&s, w, root);
	script_call(&s, "ros_setup", (const char *[]){ allow ? "1" : "0", NULL }, NULL, 0);
	env_data(w, o, &env, &envlen);
	if (env)
		script_call(&s, "ros_put_env", NULL, env, envlen);
	remote_proc(&p, w, root, &s, o->timeout_ms > 0 ? o->timeout_ms : SETUP_TIMEOUT_MS);
	p.on_output = on_output;
	p.arg = &l;
	say(o, "setup-worker %s (%s%s%s)\n", w->id, w->kind, w->host ? " " : "", w->host ? w->host : "");
	proc_run(&p);
	for (int i = 0; i < 2; i++)
		if (l.pending[i].len)
			pass_line(&l, i + 1, l.pending[i].s, l.pending[i].len);
	if (remote_unreachable(&p)) {
		char *why = remote_reason(&p);
		buf_addf(err, "worker %s unreachable: %s", w->id, why);
		free(why);
	} else if (env && !strstr(buf_cstr(&p.out), "ROS env - ok")) {
		buf_addf(err, "setup of %s: the env file could not be written", w->id);
	} else if (strstr(buf_cstr(&p.out), "ROS setup - ok")) {
		ret = 0;
	} else {
		buf_addf(err, "setup of %s failed (exit %d)%s%s", w->id, p.status, p.err.len ? ": " : "",
			 buf_cstr(&p.err));
	}
	if (env) {
		memset(env, 0, envlen);	/* secrets do not linger */
		free(env);
	}
	if (s.b.s)
		memset(s.b.s, 0, s.b.len);
	proc_release(&p);
	script_release(&s);
	buf_release(&l.pending[0]);
	buf_release(&l.pending[1]);
	return ret;
}

int
worker_setup(const char *root, const char *id, const struct setup_opts *o, struct buf *err)
{
	struct registry reg = REGISTRY_INIT;
	struct worker *w;
	int ret = -1, b;

	if (registry_load(&reg, root, err) < 0)
		goto out;
	if (!(w = registry_find(&reg, id))) {
		buf_addf(err, "no worker '%s' in %s", id, reg.path);
		goto out;
	}
	if (worker_check(w, err) < 0)
		goto out;
	int allow = !o->no_install;
	if (ynode_bool(ymap_get(registry_node(&reg, id), "allow_install"), &b) == 0 && !b)
		allow = 0;
	ret = run_setup(root, w, allow, o, err);
out:
	registry_release(&reg);
	return ret;
}
