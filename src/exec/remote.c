/*
 * remote.c - scripts for workers and their transport (see remote.h).
 */
#include "exec/remote.h"
#include "embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
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
script_open(struct script *s, const struct worker *w, const char *root)
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
}

void
script_release(struct script *s)
{
	buf_release(&s->b);
}

/*
 * Connection sharing (ControlMaster).  Whoever answers on a master's socket
 * gets the session ssh would have opened: the script with its commands, env
 * and secrets, and the say on what the worker answers.  So the sockets live
 * only in a directory that is ours alone (private_dir), under names ros
 * chooses (cm_name), and anything else found under such a name is removed
 * before ssh runs.  The first candidate short enough for a socket address
 * and private wins:
 *	<root>/.ros/cm, $XDG_RUNTIME_DIR/ros-cm, ${TMPDIR:-/tmp}/ros-cm-<euid>
 * With none, connections are not shared (ControlMaster=no), with a warning.
 * The root itself is trusted: whoever may write it may change the commands.
 */
#define CM_NAME_LEN 16		/* hex digits of a socket name */
#define CM_TEMP_SUFFIX 17	/* ssh binds "<path>.<16 random characters>" first */
#define CM_DIR_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1 - (1 + CM_NAME_LEN + CM_TEMP_SUFFIX))

/* warning(), once per process for each message. */
static void PRINTF(1, 2)
warn_once(const char *fmt, ...)
{
	static struct strv seen = STRV_INIT;
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!strv_has(&seen, b.s)) {
		strv_push(&seen, b.s);
		warning("%s", b.s);
	}
	buf_release(&b);
}

/* A path ssh takes as it is in -o ControlPath=...: nothing for it to expand
 * (%, ${}, ~) and nothing to split or end the value on (blanks, quotes, #). */
static int
plain_path(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("%$~\"'\\#", *s))
			return 0;
	return 1;
}

/* Make dir (mode 0700) unless it exists; 0 if it may hold our sockets: a
 * directory, not a symlink, owned by the effective uid, without group or
 * other permissions (ours lose them), in a parent that is ours or root's
 * and that nobody else may write to unless it is sticky (/tmp), so nobody
 * else can put another in its place.  -1 with the reason in why. */
static int
private_dir(const char *dir, struct buf *why)
{
	uid_t me = geteuid();
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		buf_addf(why, "cannot create it: %s", strerror(errno));
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			buf_adds(why, "it is a symbolic link");
		else
			buf_adds(why, e == ENOTDIR ? "it is not a directory" : strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0)
		buf_addf(why, "%s", strerror(errno));
	else if (st.st_uid != me)
		buf_addf(why, "owned by uid %u", (unsigned)st.st_uid);
	else if ((st.st_mode & 077) && fchmod(fd, 0700) < 0)
		buf_addf(why, "mode %03o: %s", (unsigned)(st.st_mode & 0777), strerror(errno));
	close(fd);
	if (why->len)
		return -1;
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent] = 0;	/* "/x" -> "/" */
	if (stat(slash ? parent : ".", &st) < 0)
		buf_addf(why, "%s: %s", parent, strerror(errno));
	else if (st.st_uid != me && st.st_uid != 0)
		buf_addf(why, "its parent %s is owned by uid %u", parent, (unsigned)st.st_uid);
	else if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
		buf_addf(why, "others may write to its parent %s", parent);
	free(parent);
	return why->len ? -1 : 0;
}

/* The first private candidate directory (new string), or NULL. */
static char *
control_dir(const char *root)
{
	struct strv cand = STRV_INIT;
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
	char *dir = NULL;
	strv_pushf(&cand, "%s/.ros/cm", root);
	if (xdg && *xdg == '/')
		strv_pushf(&cand, "%s/ros-cm", xdg);
	strv_pushf(&cand, "%s/ros-cm-%u", tmp && *tmp == '/' ? tmp : "/tmp", (unsigned)geteuid());
	for (size_t i = 0; i < cand.n && !dir; i++) {
		struct buf why = BUF_INIT;
		if (strlen(cand.v[i]) > CM_DIR_MAX || !plain_path(cand.v[i]))
			continue;
		if (private_dir(cand.v[i], &why) == 0)
			dir = xstrdup(cand.v[i]);
		else
			warn_once("ssh connection sharing: not using %s: %s", cand.v[i], why.s);
		buf_release(&why);
	}
	if (!dir)
		warn_once("ssh connections are not shared: no private directory for their sockets");
	strv_release(&cand);
	return dir;
}

/* The socket name of w's connections: CM_NAME_LEN hex digits of a hash of
 * what sets one connection apart (root, host, port, user, key). */
static void
cm_name(char out[CM_NAME_LEN + 1], const struct worker *w, const char *root)
{
	char port[16];
	snprintf(port, sizeof port, "%d", w->port);
	const char *part[] = { root, w->host, port, w->user ? w->user : "", w->key ? w->key : "" };
	uint64_t h = FNV1A_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(part); i++)
		h = fnv1a(h, part[i], strlen(part[i]) + 1);	/* with the NUL: "ab","c" != "a","bc" */
	snprintf(out, CM_NAME_LEN + 1, "%016llx", (unsigned long long)h);
}

/* The ControlPath for w (new string), or NULL: no sharing for this call.
 * Whatever sits under the name and is not a socket of ours goes first
 * (the directory is ours alone: only we, or root, put it there). */
static char *
control_path(const struct worker *w, const char *root)
{
	char name[CM_NAME_LEN + 1];
	char *dir = control_dir(root), *path;
	struct stat st;
	if (!dir)
		return NULL;
	cm_name(name, w, root);
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	if (lstat(path, &st) == 0 && !(S_ISSOCK(st.st_mode) && st.st_uid == geteuid())) {
		if (unlink(path) < 0) {
			warn_once("ssh connection sharing: not using %s (not a socket of ours): %s", path,
				  strerror(errno));
			free(path);
			return NULL;
		}
		warn_once("ssh connection sharing: removed %s: it was not a socket of ours", path);
	}
	return path;
}

void
ssh_argv(struct strv *argv, const struct worker *w, const char *root)
{
	const char *bin = getenv("ROS_SSH");
	char *cp = control_path(w, root);
	strv_push(argv, bin && *bin ? bin : "ssh");
	const char *ct = getenv("ROS_SSH_CONNECT_TIMEOUT");	/* tests shorten it */
	strv_push(argv, "-o");
	strv_pushf(argv, "ConnectTimeout=%d", ct && atoi(ct) > 0 ? atoi(ct) : 10);
	const char *opts[] = {
		"BatchMode=yes", "ServerAliveInterval=5", "ServerAliveCountMax=3",
		"StrictHostKeyChecking=accept-new", "LogLevel=ERROR",
	};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		strv_push(argv, "-o");
		strv_push(argv, opts[i]);
	}
	strv_push(argv, "-o");
	strv_pushf(argv, "UserKnownHostsFile=%s/.ros/known_hosts", root);
	if (cp) {
		const char *share[] = { "-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-o" };
		for (size_t i = 0; i < ARRAY_SIZE(share); i++)
			strv_push(argv, share[i]);
		strv_pushf(argv, "ControlPath=%s", cp);
	} else {
		const char *none[] = { "-o", "ControlMaster=no", "-o", "ControlPath=none" };
		for (size_t i = 0; i < ARRAY_SIZE(none); i++)
			strv_push(argv, none[i]);
	}
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
	free(cp);
}

/* p initialised, its argv the ssh command line up to the host for an ssh
 * worker (1), or empty for a local one (0). */
static int
start_argv(struct proc *p, const struct worker *w, const char *root)
{
	proc_init(p);
	if (!worker_by_ssh(w))
		return 0;
	char *ros = path_join(root, ".ros");
	mkdir_p(ros, 0755);
	free(ros);
	ssh_argv(&p->argv, w, root);
	return 1;
}

void
remote_proc(struct proc *p, const struct worker *w, const char *root, struct script *s, int timeout_ms)
{
	if (!s->sealed) {
		buf_adds(&s->b, "}\n");
		s->sealed = 1;
	}
	start_argv(p, w, root);	/* ssh ... host, or nothing: sh here */
	strv_push(&p->argv, "sh");
	strv_push(&p->argv, "-s");
	p->in = s->b.s;
	p->in_len = s->b.len;
	p->timeout_ms = timeout_ms;
	p->max_capture = REMOTE_CAPTURE_BASE;
}

void
remote_upload_proc(struct proc *p, const struct worker *w, const char *root, const char *nonce,
		   const char *data, size_t len, int timeout_ms)
{
	if (!*nonce || strspn(nonce, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(nonce))
		die("bad upload name '%s'", nonce);
	/* no single quote in it: the ssh command line quotes it for the login shell */
	char *cmd = xasprintf("d=$HOME/.ros-in; umask 077; mkdir -p \"$d\" && umask 022 && mkdir \"$d/%s\" && "
			      "tar -xopf - -C \"$d/%s\" && : > \"$d/%s.ok\"", nonce, nonce, nonce);
	if (start_argv(p, w, root)) {
		strv_pushf(&p->argv, "sh -c '%s'", cmd);
	} else {
		strv_push(&p->argv, "sh");
		strv_push(&p->argv, "-c");
		strv_push(&p->argv, cmd);
	}
	free(cmd);
	p->in = data;
	p->in_len = len;
	p->timeout_ms = timeout_ms;
	p->max_capture = (size_t)1 << 20;
}

#define REASON_MAX 200	/* bytes of a worker's stderr line in a reason */

int
remote_unreachable(const struct proc *p)
{
	return p->timed_out || p->overflowed || p->status == 255 || p->status == 127;
}

char *
remote_reason(const struct proc *p)
{
	if (p->timed_out)
		return xasprintf("no answer within %d s", p->timeout_ms / 1000);
	if (p->overflowed) {
		size_t mib = (size_t)1 << 20;
		if (p->max_capture % mib == 0)
			return xasprintf("answer larger than %zu MiB", p->max_capture / mib);
		return xasprintf("answer larger than %.1f MiB", (double)p->max_capture / (double)mib);
	}
	/* the last line of stderr that says anything */
	const char *start;
	size_t n = text_last_line(p->err.s ? p->err.s : "", p->err.len, &start);
	if (!n)
		return xasprintf("exit %d", p->status);
	/* the worker's words: escaped for the terminal, cut short */
	struct buf b = BUF_INIT;
	buf_add_term(&b, start, n > REASON_MAX ? REASON_MAX : n, n > REASON_MAX);
	if (n > REASON_MAX)
		buf_adds(&b, "...");
	return buf_detach(&b);
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
