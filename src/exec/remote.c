/*
 * remote.c - scripts for workers and their transport (see remote.h).
 */
#include "exec/remote.h"
#include "exec/slurm.h"
#include "embedded.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
plain_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("_.,:=+-", *s)))
			return 0;
	return 1;
}

/* 1 if a line of data equals delim. */
static int
has_line(const char *data, size_t len, const char *delim)
{
	size_t dl = strlen(delim);
	for (size_t i = 0; i + dl <= len;) {
		if (!memcmp(data + i, delim, dl) && (i + dl == len || data[i + dl] == '\n'))
			return 1;
		const char *nl = memchr(data + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - data) + 1;
	}
	return 0;
}

void
script_call(struct script *s, const char *fn, const char *const *args, const char *data, size_t len)
{
	if (s->sealed)
		die("internal error: %s after the script was closed", fn);
	if (data) {
		/* what the here-document delivers: data, ending in a newline */
		uint32_t ck = posix_cksum(data, len);
		size_t n = len;
		if (len && data[len - 1] != '\n') {
			struct buf whole = BUF_INIT;
			buf_add(&whole, data, len);
			buf_addc(&whole, '\n');
			ck = posix_cksum(whole.s, whole.len);
			n = whole.len;
			buf_release(&whole);
		}
		buf_addf(&s->b, "ros_ck='%lu %zu'\n", (unsigned long)ck, n);
	}
	buf_adds(&s->b, fn);
	for (size_t i = 0; args && args[i]; i++) {
		if (!plain_word(args[i]))
			die("internal error: '%s' is not a plain word for %s", args[i], fn);
		buf_addf(&s->b, " %s", args[i]);
	}
	if (!data) {
		buf_addc(&s->b, '\n');
		return;
	}
	char *delim;
	for (;;) {
		delim = random_id("ROS_DATA_", 16);
		if (!has_line(data, len, delim))
			break;
		free(delim);
	}
	buf_addf(&s->b, " <<'%s'\n", delim);
	buf_add(&s->b, data, len);
	if (len && data[len - 1] != '\n')
		buf_addc(&s->b, '\n');
	buf_addf(&s->b, "%s\n", delim);
	free(delim);
}

void
script_begin(struct script *s, const struct worker *w, const char *root)
{
	size_t n;
	const char *lib = embedded_get("remote/lib.sh", &n);
	buf_adds(&s->b, "{\n");	/* closed by remote_proc: see remote.h */
	buf_add(&s->b, lib, n);
	char *end = random_id("ROS_END_", 16);
	snprintf(s->end, sizeof s->end, "%s", end);
	free(end);
	buf_addf(&s->b, "ros_end=%s\n", s->end);
	char *ws = worker_workspace(w, root);
	script_call(s, "ros_set_ws", NULL, ws, strlen(ws));
	free(ws);
	if (worker_is_slurm(w))
		slurm_script_lib(s, w);
}

void
script_release(struct script *s)
{
	buf_release(&s->b);
}

/* .ros/cm for the ControlMaster sockets; somewhere shorter when the root's
 * path would make socket names longer than a socket address allows. */
static char *
control_dir(const char *root)
{
	char *d = xasprintf("%s/.ros/cm", root);
	if (strlen(d) > 48) {
		free(d);
		unsigned long h = 5381;
		for (const char *p = root; *p; p++)
			h = h * 33 + (unsigned char)*p;
		d = xasprintf("/tmp/ros-cm-%u-%08lx", (unsigned)getuid(), h & 0xffffffffUL);
	}
	mkdir_p(d, 0700);
	chmod(d, 0700);
	return d;
}

void
ssh_argv(struct strv *argv, const struct worker *w, const char *root)
{
	const char *bin = getenv("ROS_SSH");
	char *cm = control_dir(root);
	strv_push(argv, bin && *bin ? bin : "ssh");
	const char *ct = getenv("ROS_SSH_CONNECT_TIMEOUT");	/* tests shorten it */
	strv_push(argv, "-o");
	strv_pushf(argv, "ConnectTimeout=%d", ct && atoi(ct) > 0 ? atoi(ct) : 10);
	const char *opts[] = {
		"BatchMode=yes", "ServerAliveInterval=5", "ServerAliveCountMax=3",
		"StrictHostKeyChecking=accept-new", "ControlMaster=auto", "ControlPersist=60", "LogLevel=ERROR",
	};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		strv_push(argv, "-o");
		strv_push(argv, opts[i]);
	}
	strv_push(argv, "-o");
	strv_pushf(argv, "UserKnownHostsFile=%s/.ros/known_hosts", root);
	strv_push(argv, "-o");
	strv_pushf(argv, "ControlPath=%s/%%C", cm);
	if (w->port > 0) {
		strv_push(argv, "-p");
		strv_pushf(argv, "%d", w->port);
	}
	if (w->key && *w->key) {
		char *k = expand_home(w->key);
		strv_push(argv, "-i");
		strv_push_nocopy(argv, k);
	}
	if (w->user && *w->user) {
		strv_push(argv, "-l");
		strv_push(argv, w->user);
	}
	strv_push(argv, "--");
	strv_push(argv, w->host);
	free(cm);
}

void
remote_proc(struct proc *p, const struct worker *w, const char *root, struct script *s, int timeout_ms)
{
	if (!s->sealed) {
		buf_adds(&s->b, "}\n");
		s->sealed = 1;
	}
	proc_init(p);
	if (!strcmp(w->kind, "local") || (!strcmp(w->kind, "slurm") && !w->host)) {
		strv_push(&p->argv, "sh");
		strv_push(&p->argv, "-s");
	} else {
		char *ros = path_join(root, ".ros");
		mkdir_p(ros, 0755);
		free(ros);
		ssh_argv(&p->argv, w, root);
		strv_push(&p->argv, "sh");
		strv_push(&p->argv, "-s");
	}
	p->in = s->b.s;
	p->in_len = s->b.len;
	p->timeout_ms = timeout_ms;
}

int
remote_unreachable(const struct proc *p)
{
	return p->timed_out || p->status == 255 || p->status == 127;
}

char *
remote_reason(const struct proc *p)
{
	if (p->timed_out)
		return xasprintf("no answer within %d s", p->timeout_ms / 1000);
	const char *e = buf_cstr((struct buf *)&p->err);
	/* the last non-empty line of stderr */
	const char *end = e + strlen(e);
	while (end > e && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > e && start[-1] != '\n')
		start--;
	if (start == end)
		return xasprintf("exit %d", p->status);
	return xstrndup(start, (size_t)(end - start));
}

int
remote_never_connected(const struct proc *p)
{
	if (p->timed_out || memmem(buf_cstr((struct buf *)&p->out), p->out.len, "ROS ", 4))
		return 0;
	if (p->status == 127)
		return 1;
	if (p->status != 255)
		return 0;
	/* what OpenSSH prints when it gives up before a session exists */
	static const char *const before_session[] = {
		"ssh: connect to host ", "ssh: Could not resolve hostname ", "Permission denied (",
		"Host key verification failed.", "kex_exchange_identification: ", "banner exchange: ",
		"Too many authentication failures", "No route to host",
	};
	const char *e = buf_cstr((struct buf *)&p->err);
	for (size_t i = 0; i < ARRAY_SIZE(before_session); i++)
		if (strstr(e, before_session[i]))
			return 1;
	return 0;
}

int
rec_next(const struct script *sc, const struct buf *out, size_t *pos, struct rec *r)
{
	const char *s = out->s ? out->s : "";
	size_t n = out->len;
	memset(r, 0, sizeof *r);
	while (*pos < n) {
		const char *line = s + *pos;
		const char *nl = memchr(line, '\n', n - *pos);
		size_t ll = nl ? (size_t)(nl - line) : n - *pos;
		*pos += ll + (nl ? 1 : 0);
		if (ll < 4 || memcmp(line, "ROS ", 4))
			continue;	/* noise from a login script, say */
		char *copy = xstrndup(line + 4, ll - 4), *save = NULL;
		char *tok = strtok_r(copy, " ", &save);
		int i = 0, framed = 0;
		for (; tok; tok = strtok_r(NULL, " ", &save), i++) {
			if (i == 0)
				snprintf(r->op, sizeof r->op, "%s", tok);
			else if (i == 1)
				snprintf(r->run, sizeof r->run, "%s", tok);
			else if (!strcmp(tok, "+") && !save[strspn(save, " ")])
				framed = 1;
			else if (r->nf < (int)ARRAY_SIZE(r->f))
				r->f[r->nf++] = xstrdup(tok);
		}
		free(copy);
		if (framed) {
			/* data up to "\n<end>\n" (or the end of the output) */
			size_t el = strlen(sc->end);
			size_t start = *pos, k = start;
			while (k < n) {
				if ((k == start || s[k - 1] == '\n') && n - k >= el && !memcmp(s + k, sc->end, el) &&
				    (k + el == n || s[k + el] == '\n'))
					break;
				const char *q = memchr(s + k, '\n', n - k);
				k = q ? (size_t)(q - s) + 1 : n;
			}
			r->data = s + start;
			r->len = k - start;
			if (r->len && s[start + r->len - 1] == '\n')
				r->len--;	/* the newline the worker adds before the end line */
			*pos = k < n ? k + el + 1 : n;
			if (*pos > n)
				*pos = n;
		}
		return 1;
	}
	return 0;
}

void
rec_release(struct rec *r)
{
	for (int i = 0; i < r->nf; i++)
		free(r->f[i]);
	r->nf = 0;
}
