/* test_slurm.c - unit tests of exec/slurm.c: sbatch arguments from the
 * registry, Slurm exit codes, and job states onto run outcomes. */
#include "unit.h"
#include "exec/batch.h"
#include "exec/slurm.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
split(const char *s)
{
	struct strv v = STRV_INIT;
	struct buf err = BUF_INIT, out = BUF_INIT;
	if (slurm_split_args(s, &v, &err) < 0)
		buf_addf(&out, "ERROR %s", err.s);
	for (size_t i = 0; i < v.n; i++)
		buf_addf(&out, "[%s]", v.v[i]);
	strv_release(&v);
	buf_release(&err);
	return buf_detach(&out);
}

static void
test_split(void)
{
	const struct {
		const char *in, *want;
	} t[] = {
		{ "", NULL },
		{ "  --begin=now+60   --nice=10 ", "[--begin=now+60][--nice=10]" },
		{ "--comment='a b  c'", "[--comment=a b  c]" },
		{ "--comment=\"say \\\"hi\\\" \\\\ $HOME\"", "[--comment=say \"hi\" \\ $HOME]" },
		{ "--comment=$(touch /tmp/x) `id` ;rm", "[--comment=$(touch][/tmp/x)][`id`][;rm]" },
		{ "a\\ b 'it'\\''s'", "[a b][it's]" },
		{ "-N 2\t--exclusive\n-x", "[-N][2][--exclusive][-x]" },
		{ "''", "[]" },
		{ "--x='open", "ERROR unterminated ' in extra_args" },
		{ "--x=\"open", "ERROR unterminated \" in extra_args" },
		{ "tail\\", "ERROR extra_args ends with a backslash" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *got = split(t[i].in), *desc = xstrdup(t[i].in);
		for (char *p = desc; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = '~';
		CHECK_STR(got, t[i].want ? t[i].want : "", "split %s", desc);
		free(got);
		free(desc);
	}
}

static void
test_opts(void)
{
	struct worker w = { 0 };
	w.id = (char *)"hpc";
	w.kind = (char *)"slurm";
	w.type = WORKER_SLURM;
	w.slurm_partition = (char *)"gpu a100";
	w.slurm_time = (char *)"04:00:00";
	w.slurm_gres = (char *)"gpu:1";
	w.slurm_cpus = 8;
	w.slurm_mem = (char *)"32G";
	w.slurm_extra = (char *)"--begin=now+60 --comment='x y'";
	struct strv v = STRV_INIT;
	struct buf err = BUF_INIT, got = BUF_INIT;
	CHECK(slurm_sbatch_opts(&w, &v, &err) == 0, "options of a full slurm block");
	for (size_t i = 0; i < v.n; i++)
		buf_addf(&got, "[%s]", v.v[i]);
	CHECK_STR(got.s, "[--partition=gpu a100][--time=04:00:00][--gres=gpu:1][--mem=32G][--cpus-per-task=8]"
			 "[--begin=now+60][--comment=x y]",
		  "one argument per value, extra_args last");
	strv_release(&v);
	buf_reset(&got);

	w.slurm_account = (char *)"lab\nrm -rf /";
	CHECK(slurm_sbatch_opts(&w, &v, &err) < 0 && strstr(err.s, "slurm.account"), "a newline in a value is refused");
	CHECK(slurm_check(&w, &err) < 0, "slurm_check agrees");
	strv_release(&v);
	w.slurm_account = NULL;
	buf_reset(&err);
	w.slurm_extra = (char *)"--comment='unterminated";
	CHECK(slurm_check(&w, &err) < 0 && strstr(err.s, "worker hpc: unterminated"), "a bad extra_args is refused");
	buf_reset(&err);
	w.slurm_extra = NULL;
	w.slurm_conf = (char *)"/etc/slurm/x.conf\r";
	CHECK(slurm_check(&w, &err) < 0 && strstr(err.s, "slurm.conf"), "a control character in conf is refused");
	buf_release(&err);
	buf_release(&got);

	w.max_jobs = 0;
	CHECK(slurm_free_jobs(&w, 1000) > 1000000, "no max_jobs: no limit");
	w.max_jobs = 4;
	CHECK(slurm_free_jobs(&w, 1) == 3 && slurm_free_jobs(&w, 6) == 0, "max_jobs counts active runs");
}

static void
test_exit_code(void)
{
	CHECK(slurm_exit_code("0:0") == 0, "0:0");
	CHECK(slurm_exit_code("3:0") == 3, "3:0");
	CHECK(slurm_exit_code("0:15") == 143, "0:15 is SIGTERM");
	CHECK(slurm_exit_code("0:9") == 137, "0:9 is SIGKILL");
	CHECK(slurm_exit_code("7") == 7, "a bare code");
	CHECK(slurm_exit_code("-") == -1 && slurm_exit_code("x:1") == -1 && slurm_exit_code("3:") == -1 &&
		      slurm_exit_code("999:0") == -1,
	      "junk is -1");
}

/* Settle a probe and describe the result: "state code why must_fail reach". */
static char *
settle(const char *slurm_state, const char *code_file, const char *slurm_exit)
{
	json_t *pr = json_object();
	jset_str(pr, "reach", "ok");
	jset_str(pr, "state", slurm_state);
	jset_str(pr, "pid", "42");
	jset_str(pr, "code", code_file);
	slurm_settle(pr, slurm_exit, "Priority");
	char *s = xasprintf("%s %s %s %s %s", jstr0(pr, "state"), jstr0(pr, "code"),
			    jstr(pr, "why") ? "why" : "-",
			    json_is_true(json_object_get(pr, "must_fail")) ? "fail" : "-", jstr0(pr, "reach"));
	int ok = !strcmp(jstr0(pr, "pid"), "0") && !strcmp(jstr0(pr, "slurm_state"), slurm_state) &&
		 !strcmp(jstr0(pr, "slurm_job_id"), "42") && !strcmp(jstr0(pr, "slurm_reason"), "Priority");
	json_decref(pr);
	if (!ok) {
		free(s);
		return xstrdup("pid/slurm fields wrong");
	}
	return s;
}

static void
test_settle(void)
{
	const struct {
		const char *st, *code, *sx, *want;
	} t[] = {
		{ "PENDING", "-", "-", "running - - - ok" },
		{ "RUNNING", "-", "-", "running - - - ok" },
		{ "RUNNING", "143", "-", "running 143 - - ok" },	/* requeued: the file is old */
		{ "COMPLETING", "0", "-", "running 0 - - ok" },
		{ "COMPLETED", "0", "0:0", "exited 0 - - ok" },
		{ "COMPLETED", "-", "-", "exited 0 - - ok" },
		{ "FAILED", "3", "3:0", "exited 3 - - ok" },
		{ "FAILED", "-", "5:0", "exited 5 why fail ok" },
		{ "OUT_OF_MEMORY", "-", "0:125", "exited 253 why fail ok" },
		{ "TIMEOUT", "0", "0:15", "exited 0 why fail ok" },
		{ "TIMEOUT", "-", "0:15", "exited 143 why fail ok" },
		{ "DEADLINE", "-", "-", "exited -1 why fail ok" },
		{ "CANCELLED", "143", "0:15", "cancelled 143 - - ok" },
		{ "CANCELLED", "-", "-", "cancelled - - - ok" },
		{ "NODE_FAIL", "-", "-", "vanished - why - ok" },
		{ "NODE_FAIL", "1", "-", "vanished 1 why - ok" },
		{ "PREEMPTED", "143", "0:15", "vanished 143 why - ok" },
		{ "BOOT_FAIL", "-", "-", "vanished - why - ok" },
		{ "UNKNOWN", "0", "-", "exited 0 - - ok" },
		{ "UNKNOWN", "2", "-", "exited 2 - - ok" },
		{ "UNKNOWN", "-", "-", "vanished - why - ok" },
		{ "NOTSUBMITTED", "-", "-", "notstarted - - - ok" },
		{ "NOANSWER", "-", "-", "running - - - unreachable" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *got = settle(t[i].st, t[i].code, t[i].sx);
		CHECK_STR(got, t[i].want, "%s, exit file %s, slurm exit %s", t[i].st, t[i].code, t[i].sx);
		free(got);
	}
}

static void
test_note(void)
{
	json_t *r = json_object(), *pr = json_object();
	jset_str(pr, "slurm_job_id", "17");
	jset_str(pr, "slurm_state", "PENDING");
	CHECK(slurm_note(r, pr) == 1 && !strcmp(jstr0(r, "slurm_job_id"), "17"), "note learns the job id");
	CHECK(slurm_note(r, pr) == 0, "the same facts change nothing");
	jset_str(pr, "slurm_state", "RUNNING");
	CHECK(slurm_note(r, pr) == 1 && !strcmp(jstr0(r, "slurm_state"), "RUNNING"), "a new state is noted");
	json_decref(r);
	json_decref(pr);
}

/* What the script begun for a worker of kind carries, and what runs it:
 * "slurm-lib" when it has slurm.sh, "conf" when it exports SLURM_CONF,
 * then the program of its process (sh, or ssh for a login over ssh). */
static char *
script_of(const char *root, const char *kind, const char *host, const char *conf)
{
	struct worker w = { 0 };
	struct script s = SCRIPT_INIT;
	struct proc p;
	w.id = (char *)"w1";
	w.kind = (char *)kind;
	w.type = worker_kind_of(kind);
	w.host = (char *)host;
	w.workspace = (char *)"/scratch/ros";
	w.slurm_conf = (char *)conf;
	script_begin(&s, &w, root);
	int lib = strstr(s.b.s, "\nros_slurm_probe() {") != NULL;
	int set = strstr(s.b.s, "\nros_slurm_conf <<'") != NULL;
	remote_proc(&p, &w, root, &s, 1000);
	char *out = xasprintf("%s%s%s %s", lib ? "slurm-lib " : "", set ? "conf " : "", p.argv.v[0],
			      p.argv.v[p.argv.n - 1]);
	proc_release(&p);
	script_release(&s);
	return out;
}

/* The transport and the kinds: the Slurm half goes into a Slurm worker's
 * scripts only, and only a worker with an ssh block is reached by ssh. */
static void
test_scripts(void)
{
	char root[] = "/tmp/ros-unit-slurm.XXXXXX";
	if (!mkdtemp(root))
		return;
	setenv("ROS_SSH", "ssh", 1);
	const struct {
		const char *kind, *host, *conf, *want;
	} t[] = {
		{ "local", NULL, NULL, "sh -s" },
		{ "ssh", "gpu-box", NULL, "ssh -s" },
		{ "slurm", NULL, NULL, "slurm-lib sh -s" },
		{ "slurm", NULL, "/etc/slurm/a.conf", "slurm-lib conf sh -s" },
		{ "slurm", "login.example", "~/slurm.conf", "slurm-lib conf ssh -s" },
		{ "ssh", "gpu-box", "/etc/slurm/a.conf", "ssh -s" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *got = script_of(root, t[i].kind, t[i].host, t[i].conf);
		CHECK_STR(got, t[i].want, "a %s worker%s%s%s", t[i].kind, t[i].host ? " with an ssh host" : "",
			  t[i].conf ? ", slurm.conf " : "", t[i].conf ? t[i].conf : "");
		free(got);
	}
	unsetenv("ROS_SSH");
	char *cm = path_join(root, ".ros/cm"), *ros = path_join(root, ".ros");
	rmdir(cm);
	rmdir(ros);
	rmdir(root);
	free(cm);
	free(ros);
}

/* Why a worker's process failed, for messages: its deadline, or the last
 * line of its stderr that says anything. */
static void
test_reason(void)
{
	struct proc p;
	proc_init(&p);
	p.status = 255;
	buf_adds(&p.err, "Warning: banner\nssh: connect to host w port 22: Connection refused\r\n\n");
	char *r = remote_reason(&p);
	CHECK_STR(r, "ssh: connect to host w port 22: Connection refused", "the last line of stderr");
	free(r);
	buf_reset(&p.err);
	buf_adds(&p.err, "copying 10%\rcopying 80%\rno space left\x1b[2J\n");
	r = remote_reason(&p);
	CHECK_STR(r, "no space left\\x1b[2J", "after a CR, what a terminal shows last, escaped");
	free(r);
	buf_reset(&p.err);
	buf_adds(&p.err, " \n\t\n");
	r = remote_reason(&p);
	CHECK_STR(r, "exit 255", "a blank stderr: the exit status");
	free(r);
	p.timed_out = 1;
	p.timeout_ms = 30000;
	r = remote_reason(&p);
	CHECK_STR(r, "no answer within 30 s", "a deadline");
	free(r);
	proc_release(&p);
}

int
main(void)
{
	test_split();
	test_opts();
	test_exit_code();
	test_settle();
	test_note();
	test_scripts();
	test_reason();
	return UNIT_DONE();
}
