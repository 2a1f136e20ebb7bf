/* test_proc.c - child processes: output, stdin, status, deadlines, the
 * output cap, the pool. */
#include "unit.h"
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Peak resident set of this process so far, in KiB (VmHWM); -1 if unknown. */
static long
peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

static size_t streamed;

static void
count_stream(struct proc *p, int stream, const char *data, size_t len)
{
	(void)p;
	(void)data;
	if (stream == 1)
		streamed += len;
}

static void
sh(struct proc *p, const char *script)
{
	proc_init(p);
	strv_push(&p->argv, "sh");
	strv_push(&p->argv, "-c");
	strv_push(&p->argv, script);
}

/*
 * A start that runs out of file descriptors part way (the third of its
 * pipes, or the second) fails with 127 and leaves none of the others open.
 * In a child, so that its lower limit stays there: with descriptors 0-2
 * only and RLIMIT_NOFILE at 3 + free, `free` descriptors can be made.
 * Exits with the number of descriptors left open above 2 (0: none), 100
 * if the start did not fail as it should.
 */
static int
leaks_when_pipes_run_out(int free_fds)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		struct rlimit rl = { (rlim_t)(3 + free_fds), (rlim_t)(3 + free_fds) };
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(101);
		struct proc p;
		sh(&p, "echo never");
		p.in = "x\n";
		p.in_len = 2;
		int st = proc_run(&p);
		int open_fds = 0;
		for (int fd = 3; fd < 3 + free_fds; fd++)
			if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
				open_fds++;
		_exit(st == 127 && strstr(buf_cstr(&p.err), "cannot start") ? open_fds : 100);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
main(void)
{
	struct proc p;
	sh(&p, "echo out; echo err >&2; exit 3");
	CHECK(proc_run(&p) == 3, "exit status");
	CHECK_STR(p.out.s, "out\n", "stdout captured");
	CHECK_STR(p.err.s, "err\n", "stderr captured");
	proc_release(&p);

	/* stdin fed, larger than a pipe buffer */
	struct buf big = BUF_INIT;
	for (int i = 0; i < 200000; i++)
		buf_adds(&big, "0123456789");
	sh(&p, "wc -c");
	p.in = big.s;
	p.in_len = big.len;
	proc_run(&p);
	CHECK(atol(buf_cstr(&p.out)) == 2000000, "2 MB on stdin arrive whole (%s)", buf_cstr(&p.out));
	proc_release(&p);
	buf_release(&big);

	/* a deadline: SIGTERM, status 128+15 */
	sh(&p, "sleep 10");
	p.timeout_ms = 200;
	int64_t t0 = mono_ms();
	int st = proc_run(&p);
	CHECK(p.timed_out && st == 128 + SIGTERM, "deadline kills with SIGTERM (status %d)", st);
	CHECK(mono_ms() - t0 < 2000, "and returns soon");
	proc_release(&p);

	/* a child that ignores SIGTERM gets SIGKILL after the grace period */
	sh(&p, "trap '' TERM; sleep 10");
	p.timeout_ms = 100;
	t0 = mono_ms();
	st = proc_run(&p);
	CHECK(st == 128 + SIGKILL && mono_ms() - t0 < 4000, "SIGKILL after the grace period (status %d)", st);
	proc_release(&p);

	/* a grandchild that keeps the pipes open does not hang us */
	sh(&p, "setsid sleep 30 & echo started");
	t0 = mono_ms();
	st = proc_run(&p);
	CHECK(st == 0 && mono_ms() - t0 < 4000, "a daemonised grandchild holding the pipes: done in %lld ms",
	      (long long)(mono_ms() - t0));
	CHECK_STR(p.out.s, "started\n", "its output is kept");
	proc_release(&p);

	/* more output than max_capture: killed, flagged, what it keeps bounded */
	long rss0 = peak_rss_kib();
	sh(&p, "head -c 67108864 /dev/zero; echo finished >&2");
	p.max_capture = 1 << 20;
	t0 = mono_ms();
	st = proc_run(&p);
	long grew = peak_rss_kib() - rss0;
	CHECK(p.overflowed, "64 MiB of stdout against a 1 MiB cap: overflowed");
	CHECK(st >= 128 && !strstr(buf_cstr(&p.err), "finished"), "and killed before it finished (status %d)", st);
	CHECK(p.out.len + p.err.len <= p.max_capture && p.out.len > 0, "keeps at most the cap (%zu + %zu bytes)",
	      p.out.len, p.err.len);
	CHECK(p.out.alloc <= 2 * p.max_capture, "its buffer stays bounded (%zu bytes)", p.out.alloc);
	CHECK(rss0 > 0 && grew < 32 * 1024, "peak RSS grew by %ld KiB, not by the 64 MiB printed", grew);
	CHECK(!p.timed_out && mono_ms() - t0 < 4000, "no deadline needed (%lld ms)", (long long)(mono_ms() - t0));
	proc_release(&p);

	/* stderr counts too, and a child that ignores SIGTERM is still killed */
	sh(&p, "trap '' TERM PIPE; while :; do head -c 65536 /dev/zero >&2 || :; done");
	p.max_capture = 300000;
	p.timeout_ms = 3000;
	st = proc_run(&p);
	CHECK(p.overflowed && !p.timed_out && st == 128 + SIGKILL, "a stderr flood ignoring SIGTERM: SIGKILL (status %d)",
	      st);
	CHECK(p.err.len <= 300000, "keeps at most the cap of stderr (%zu bytes)", p.err.len);
	proc_release(&p);

	/* under the cap: all of it, not flagged */
	sh(&p, "head -c 100000 /dev/zero; echo done >&2");
	p.max_capture = 100005;
	st = proc_run(&p);
	CHECK(st == 0 && !p.overflowed && p.out.len == 100000 && !strcmp(buf_cstr(&p.err), "done\n"),
	      "just under the cap: whole output (%zu bytes, status %d)", p.out.len, st);
	proc_release(&p);

	/* stream_only: stdout streams through on_output, neither kept nor counted */
	sh(&p, "head -c 8388608 /dev/zero; echo err >&2");
	p.max_capture = 1 << 20;
	p.on_output = count_stream;
	p.stream_only = 1;
	streamed = 0;
	st = proc_run(&p);
	CHECK(st == 0 && !p.overflowed && streamed == 8388608, "stream_only: 8 MiB streamed past a 1 MiB cap (%zu)",
	      streamed);
	CHECK(p.out.len == 0 && !strcmp(buf_cstr(&p.err), "err\n"), "stdout not kept, stderr kept (%zu)", p.out.len);
	proc_release(&p);

	/* out of descriptors while making the pipes: nothing leaks */
	int left = leaks_when_pipes_run_out(5);
	CHECK(left == 0, "the third pipe cannot be made: the two made are closed (%d left open)", left);
	left = leaks_when_pipes_run_out(3);
	CHECK(left == 0, "the second pipe cannot be made: the first is closed (%d left open)", left);
	left = leaks_when_pipes_run_out(1);
	CHECK(left == 0, "no pipe can be made: nothing open (%d left open)", left);

	/* a program that does not exist: 127 */
	proc_init(&p);
	strv_push(&p.argv, "/nonexistent/ros-test-binary");
	CHECK(proc_run(&p) == 127, "missing program: 127");
	proc_release(&p);

	/* the pool: 6 sleepers, 3 at a time, take two rounds */
	struct proc ps[6], *pp[6];
	for (int i = 0; i < 6; i++) {
		sh(&ps[i], "sleep 0.3; echo done");
		pp[i] = &ps[i];
	}
	t0 = mono_ms();
	proc_pool(pp, 6, 3);
	int64_t el = mono_ms() - t0;
	int ok = 1;
	for (int i = 0; i < 6; i++) {
		ok &= ps[i].status == 0 && !strcmp(buf_cstr(&ps[i].out), "done\n");
		proc_release(&ps[i]);
	}
	CHECK(ok, "every pooled child ran");
	CHECK(el >= 550 && el < 3000, "3 at a time: two rounds (%lld ms)", (long long)el);

	/* SIGINT during the pool kills the children and returns */
	sh(&p, "sleep 20");
	struct proc *one[1] = { &p };
	if (fork() == 0) {
		usleep(300000);
		kill(getppid(), SIGINT);
		_exit(0);
	}
	t0 = mono_ms();
	int r = proc_pool(one, 1, 1);
	CHECK(r == -1 && proc_interrupted, "SIGINT interrupts the pool");
	CHECK(mono_ms() - t0 < 4000 && p.status == 128 + SIGTERM, "and its child is killed (status %d)", p.status);
	proc_release(&p);
	return UNIT_DONE();
}
