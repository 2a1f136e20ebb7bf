/*
 * claim.c - claims of dispatching runs (see claim.h).
 */
#include "store/claim.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
claim_lease_seconds(void)
{
	const char *e = getenv("ROS_CLAIM_LEASE");
	long long n;
	if (e && *e && parse_long(e, &n) == 0 && n > 0 && n <= 86400)
		return (int)n;
	return CLAIM_LEASE_DEFAULT;
}

/* "<boot id>:<start time in clock ticks>" of pid: two processes never share
 * it, even when a pid is reused or the machine rebooted.  "" if unknown. */
static void
proc_start_id(long pid, char out[96])
{
	out[0] = 0;
	char path[64], boot[64] = "";
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	size_t n;
	char *st = read_file(path, &n);
	if (!st)
		return;
	char *b = read_file("/proc/sys/kernel/random/boot_id", &n);
	if (b) {
		snprintf(boot, sizeof boot, "%.*s", (int)strcspn(b, "\n"), b);
		free(b);
	}
	/* fields after the command name "(...)", which may hold blanks: the
	 * state is field 3, the start time field 22 */
	const char *p = strrchr(st, ')');
	int field = 2;
	unsigned long long start = 0;
	char state = 0;
	for (p = p ? p + 1 : st; *p && field < 22;) {
		while (*p == ' ')
			p++;
		field++;
		if (field == 3)
			state = *p;
		if (field == 22)
			start = strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
	}
	free(st);
	if (field == 22 && state != 'Z' && state != 'X')
		snprintf(out, 96, "%s:%llu", boot, start);
}

static char *
host_name(void)
{
	char h[256];
	if (gethostname(h, sizeof h) < 0)
		return xstrdup("");
	h[sizeof h - 1] = 0;
	return xstrdup(h);
}

void
claim_set(json_t *run, time_t now)
{
	json_t *c = json_object();
	char *tok = random_id("", 16), *host = host_name();
	char start[96], until[32];
	proc_start_id((long)getpid(), start);
	iso_time(now + claim_lease_seconds(), until);
	jset_str(c, "token", tok);
	jset_str(c, "host", host);
	jset_int(c, "pid", (long long)getpid());
	jset_str(c, "pid_start", start);
	jset_str(c, "until", until);
	json_object_set_new(run, "claim", c);
	free(tok);
	free(host);
}

void
claim_release(json_t *run, time_t now)
{
	json_t *c = json_object_get(run, "claim");
	char t[32];
	iso_time(now, t);
	if (json_is_object(c))
		jset_str(c, "released", t);
}

const char *
claim_token(const json_t *run)
{
	const char *t = jstr(json_object_get(run, "claim"), "token");
	return t && *t && strspn(t, "0123456789abcdef") == strlen(t) ? t : NULL;
}

time_t
claim_until(const json_t *run)
{
	time_t t = parse_iso_time(jstr0(json_object_get(run, "claim"), "until"));
	if (t > 0)
		return t;
	t = parse_iso_time(jstr0(run, "dispatched_at"));
	return t > 0 ? t + CLAIM_LEASE_DEFAULT : 0;
}

/* 1 if the claimer is provably gone: this host, and its pid is no longer
 * the process that claimed (exited, or reused by another). */
static int
claimer_gone(const json_t *c)
{
	long long pid = 0;
	const char *host = jstr(c, "host"), *start = jstr(c, "pid_start");
	if (!host || !start || !*start || jint(c, "pid", &pid) < 0 || pid <= 0)
		return 0;
	char *me = host_name();
	int same = !strcmp(me, host);
	free(me);
	if (!same)
		return 0;
	char now_start[96];
	proc_start_id((long)pid, now_start);
	return strcmp(now_start, start) != 0;
}

int
claim_in_force(const json_t *run, time_t now)
{
	json_t *c = json_object_get(run, "claim");
	if (now >= claim_until(run))
		return 0;
	if (!json_is_object(c))
		return 1;	/* claimed by an older ros: only the lease tells */
	if (jstr(c, "released"))
		return 0;
	return !claimer_gone(c);
}

int
claim_dead(const json_t *run, time_t now)
{
	return now >= claim_until(run) + CLAIM_SKEW;
}

char *
claim_owner(const json_t *run)
{
	json_t *c = json_object_get(run, "claim");
	if (!jstr(c, "host"))
		return xstrdup("an older ros");
	return xasprintf("%s pid %lld", jstr(c, "host"), jint0(c, "pid"));
}
