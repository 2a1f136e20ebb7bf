# slurm.sh - a real single-node Slurm (22.05) for integration tests.
#
# Source after testlib.sh:  . "$TOP/tests/lib/slurm.sh"
#
# Everything lives under $T/slurm: its own munged (key, socket, pid file in
# $T/slurm/munge), slurmctld and slurmd on two free ports picked at run time
# (never the default 6817/6818, which another Slurm on the machine may use),
# state, spool, logs and the job-completion file.  Nothing is written to
# /etc/slurm and no system service is started.  The daemons run in the
# foreground (-D, munged -F) as children of the test's shell.  Call these
# functions from the test's main shell, not inside $(...).
#
#   slurm_unavailable        print why this machine cannot run the test Slurm; false if it can
#   slurm_up                 start munged, slurmctld, slurmd; wait until the node is idle;
#                            export SLURM_CONF; stop it all at exit.  Prints "# SKIP ..."
#                            and exits 0 when slurm_unavailable says so
#   slurm_down               cancel jobs, scontrol shutdown, stop and reap every daemon
#                            (munged too) and every process of its jobs; unset SLURM_CONF
#   slurm_job_state JOBID    print the job's state (PENDING, RUNNING, COMPLETED, FAILED, ...)
#   slurm_wait_job JOBID SECS  wait until the job has ended; false on timeout
#   slurm_procs              print PIDs of live processes of this Slurm (daemons, job steps, jobs)
#
# After slurm_up: SLURM_CONF (exported), and shell variables (not exported, so
# they do not reach job environments) TEST_SLURM_DIR ($T/slurm), TEST_SLURM_CLUSTER,
# TEST_SLURM_JOBS (a directory anyone may write, for job output), TEST_SLURMCTLD_PID,
# TEST_SLURMD_PID and TEST_MUNGED_PID.
#
# Client commands that work against it: sbatch --parsable, squeue, scontrol
# show job (ExitCode=N:0, kept MinJobAge=300 s), sacct -c (reads the
# jobcomp/filetxt file; plain sacct needs slurmdbd), scancel.  Wrap sinfo in
# `timeout`: against a controller that is down it blocks for many seconds.
#
# Remote shells: ssh sessions do not inherit SLURM_CONF.  Start a worker with
# `sshd_start NAME ADDR PORT slurm` (after slurm_up) and its sshd sets
# SLURM_CONF in every session (SetEnv); otherwise pass SLURM_CONF=... in the
# remote command.  Jobs submitted as rostest run as rostest.
#
# How this Slurm's processes are found again: the daemons are started with
# ROS_TEST_SLURM=$T/slurm in their environment (slurmstepd inherits it), and
# every job gets SLURM_CLUSTER_NAME=$TEST_SLURM_CLUSTER, a name unique to the test.

. "$TOP/tests/lib/proc.sh"

TEST_SLURM_DIR=$T/slurm
TEST_SLURM_CLUSTER=rostest$$
_slurm_up=

slurm_unavailable() {
	if [ "$(id -u)" != 0 ]; then echo "slurm: not root"; return 0; fi
	for _su_b in slurmctld slurmd munged mungekey; do
		[ -x "/usr/sbin/$_su_b" ] || { echo "slurm: /usr/sbin/$_su_b not installed"; return 0; }
	done
	for _su_b in sbatch squeue scontrol sacct scancel sinfo; do
		command -v "$_su_b" >/dev/null || { echo "slurm: $_su_b not installed"; return 0; }
	done
	id -u munge >/dev/null 2>&1 || { echo "slurm: no munge user"; return 0; }
	command -v setpriv >/dev/null || { echo "slurm: setpriv not installed"; return 0; }
	return 1
}

_slurm_bail() {
	_sb=$1; shift
	_fail "$_sb" "$@"
	exit 1
}

_slurm_now() { echo $(( $(date +%s%N) / 1000000 )); }

_slurm_logs() {
	for _sl_f in "$TEST_SLURM_DIR/munge/munged.log" "$TEST_SLURM_DIR/slurmctld.log" "$TEST_SLURM_DIR/slurmd.log" \
		"$TEST_SLURM_DIR/daemons.out"; do
		[ -s "$_sl_f" ] && { echo "== $_sl_f"; tail -n 8 "$_sl_f"; }
	done
}

# _slurm_listening PORT: some socket listens on PORT (state 0A in /proc/net/tcp).
_slurm_listening() {
	grep -q ":$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp
}

slurm_up() {
	if _su_why=$(slurm_unavailable); then
		skip_all "$_su_why"
	fi
	[ -z "$_slurm_up" ] || return 0
	_sb=$TEST_SLURM_DIR
	_sm=$_sb/munge
	mkdir -p "$_sb/state" "$_sb/spool" "$_sb/jobs" "$_sm" || _slurm_bail "slurm_up: mkdir" ""
	chmod 755 "$_sb"
	chmod 1777 "$_sb/jobs"
	# munged wants its own dir for socket, pid, log and seed: owned by munge,
	# and o+x or clients cannot reach the socket.
	chown munge:munge "$_sm" && chmod 755 "$_sm"
	if [ ! -f "$_sm/munge.key" ]; then
		mungekey --create --keyfile="$_sm/munge.key" >/dev/null 2>&1 ||
			_slurm_bail "slurm_up: mungekey" "mungekey --create failed"
		chown munge:munge "$_sm/munge.key" && chmod 600 "$_sm/munge.key"
	fi
	at_exit slurm_down
	_slurm_up=1
	# shellcheck disable=SC2034 # for the tests
	TEST_SLURM_JOBS=$_sb/jobs

	env ROS_TEST_SLURM="$_sb" setpriv --reuid=munge --regid=munge --init-groups -- \
		/usr/sbin/munged -F --key-file="$_sm/munge.key" --socket="$_sm/munge.sock" \
		--pid-file="$_sm/munged.pid" --log-file="$_sm/munged.log" --seed-file="$_sm/munged.seed" \
		</dev/null >>"$_sb/daemons.out" 2>&1 &
	TEST_MUNGED_PID=$!
	_su_end=$(( $(_slurm_now) + 10000 ))
	until [ -S "$_sm/munge.sock" ]; do
		proc_alive "$TEST_MUNGED_PID" || _slurm_bail "slurm_up: munged died" "$(_slurm_logs)"
		[ "$(_slurm_now)" -ge $_su_end ] && _slurm_bail "slurm_up: munged socket did not appear" "$(_slurm_logs)"
		sleep 0.01
	done

	_su_ctld=$(free_port) || _slurm_bail "slurm_up: ports" ""
	_su_slurmd=$(free_port) || _slurm_bail "slurm_up: ports" ""
	_su_host=$(hostname -s)
	cat > "$_sb/slurm.conf" <<CONF
# Generated by tests/lib/slurm.sh for one test; nothing here is shared.
ClusterName=$TEST_SLURM_CLUSTER
SlurmctldHost=$_su_host(127.0.0.1)
SlurmctldPort=$_su_ctld
SlurmdPort=$_su_slurmd
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$_sm/munge.sock
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$_sb/state
SlurmdSpoolDir=$_sb/spool
SlurmctldPidFile=$_sb/slurmctld.pid
SlurmdPidFile=$_sb/slurmd.pid
SlurmctldLogFile=$_sb/slurmctld.log
SlurmdLogFile=$_sb/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$_sb/jobcomp.txt
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=300
NodeName=$_su_host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	SLURM_CONF=$_sb/slurm.conf
	export SLURM_CONF
	env ROS_TEST_SLURM="$_sb" /usr/sbin/slurmctld -D -f "$SLURM_CONF" </dev/null >>"$_sb/daemons.out" 2>&1 &
	TEST_SLURMCTLD_PID=$!
	# slurmd and clients that find slurmctld not listening yet sleep a whole
	# second before they try again: start slurmd, and ask, once it listens.
	_su_end=$(( $(_slurm_now) + 20000 ))
	until _slurm_listening "$_su_ctld"; do
		proc_alive "$TEST_SLURMCTLD_PID" || _slurm_bail "slurm_up: slurmctld died" "$(_slurm_logs)"
		[ "$(_slurm_now)" -ge $_su_end ] && _slurm_bail "slurm_up: slurmctld not listening after 20 s" "$(_slurm_logs)"
		sleep 0.01
	done
	env ROS_TEST_SLURM="$_sb" /usr/sbin/slurmd -D -f "$SLURM_CONF" </dev/null >>"$_sb/daemons.out" 2>&1 &
	TEST_SLURMD_PID=$!
	while :; do
		proc_alive "$TEST_SLURMCTLD_PID" || _slurm_bail "slurm_up: slurmctld died" "$(_slurm_logs)"
		proc_alive "$TEST_SLURMD_PID" || _slurm_bail "slurm_up: slurmd died" "$(_slurm_logs)"
		[ "$(timeout 2 sinfo -h -o %t 2>/dev/null)" = idle ] && break
		[ "$(_slurm_now)" -ge $_su_end ] && _slurm_bail "slurm_up: node not idle after 20 s" \
			"$(timeout 2 sinfo 2>&1)" "$(_slurm_logs)"
		sleep 0.02
	done
	return 0
}

slurm_job_state() {
	timeout 5 squeue -h -t all -j "$1" -o %T 2>/dev/null
}

slurm_wait_job() {
	_sw_end=$(( $(_slurm_now) + $2 * 1000 ))
	while :; do
		case $(slurm_job_state "$1") in
		COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED | BOOT_FAIL | DEADLINE)
			return 0 ;;
		esac
		[ "$(_slurm_now)" -ge $_sw_end ] && return 1
		sleep 0.05
	done
}

slurm_procs() {
	for _sp in $(pids_with_env "ROS_TEST_SLURM=$TEST_SLURM_DIR" "SLURM_CLUSTER_NAME=$TEST_SLURM_CLUSTER"); do
		proc_alive "$_sp" && echo "$_sp"
	done
	return 0
}

# Also the EXIT handler: must not exit.
slurm_down() {
	[ -n "$_slurm_up" ] || return 0
	_sd_ids=
	if proc_alive "${TEST_SLURMCTLD_PID:-0}"; then
		# Running jobs outlive `scontrol shutdown` (their slurmstepd stays):
		# cancel them first.
		_sd_ids=$(timeout 3 squeue -h -o %i 2>/dev/null | tr '\n' ' ')
		if [ -n "$_sd_ids" ]; then
			# shellcheck disable=SC2086
			timeout 3 scancel $_sd_ids 2>/dev/null
			_sd_end=$(( $(_slurm_now) + 5000 ))
			while [ -n "$(timeout 3 squeue -h -o %i 2>/dev/null)" ] && [ "$(_slurm_now)" -lt $_sd_end ]; do
				sleep 0.05
			done
		fi
		timeout 5 scontrol shutdown >/dev/null 2>&1
	fi
	procs_gone 5 "${TEST_SLURMCTLD_PID:-}" "${TEST_SLURMD_PID:-}" || kill_wait 3 "${TEST_SLURMCTLD_PID:-}" "${TEST_SLURMD_PID:-}"
	# Anything left: job steps and jobs (SIGKILL), then munged.
	_sd_left=$(pids_with_env "ROS_TEST_SLURM=$TEST_SLURM_DIR" "SLURM_CLUSTER_NAME=$TEST_SLURM_CLUSTER" |
		grep -vx "${TEST_MUNGED_PID:-0}" | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -n "$_sd_left" ] && kill -KILL $_sd_left 2>/dev/null && procs_gone 5 $_sd_left
	kill_wait 5 "${TEST_MUNGED_PID:-}"
	_slurm_up=
	unset SLURM_CONF
	return 0
}
