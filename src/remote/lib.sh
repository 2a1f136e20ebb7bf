# ros worker-side functions.  ros sends this file, followed by calls to
# these functions, to `sh -s` on the worker (through ssh, or directly for a
# local worker): one process per worker for a whole batch of runs.
# Values (workspace, commands, env files) arrive in quoted here-documents
# and are only ever written to files or read with `read -r`: nothing that
# comes from a queue or a registry is parsed as shell here.  Run ids and
# project ids are checked by ros ([A-Za-z0-9_.-]) before they get here.
#
# Output: records "ROS <op> <run> <fields...>"; a record whose last field is
# "+" is followed by data and then a line holding only $ros_end (a random
# word ros sets for each script, so no log line can end the data early).
#
# The whole script is one brace group: a shell runs none of it before it
# has read it to its closing line, so a stream cut in transit is a syntax
# error and nothing else.  Before each call with a here-document, ros sets
# ros_ck to the cksum(1) of its content ("CRC SIZE"); a file written from
# one is used only when ros_ck_ok says it arrived whole.
umask 022
ros_ws=
ros_ck=

# ros_n: the time in epoch seconds.  One `date` per script: later calls add
# what /proc/uptime counted since, read with a builtin (no process), so a
# batch of 200 launches does not fork 200 times for it.
ros_t0= ros_up0=
ros_now_s() {
	if [ -r /proc/uptime ] && IFS=' .' read -r ros_up ros_x < /proc/uptime && [ -n "$ros_up" ]; then
		[ -n "$ros_t0" ] || { ros_t0=$(date +%s); ros_up0=$ros_up; }
		ros_n=$((ros_t0 + ros_up - ros_up0))
	else
		ros_n=$(date +%s)
	fi
}

# file: 0 if its content is the here-document ros sent ($ros_ck).
ros_ck_ok() {
	[ "$(cksum < "$1")" = "$ros_ck" ]
}

ros_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# stdin: the workspace; relative paths are under $HOME.
ros_set_ws() {
	IFS= read -r ros_ws || ros_ws=
	case $ros_ws in
	"~") ros_ws=$HOME ;;
	"~/"*) ros_ws=$HOME/${ros_ws#"~/"} ;;
	/*) ;;
	*) ros_ws=$HOME/$ros_ws ;;
	esac
}

ros_dir() { printf '%s/runs/logs/%s/%s' "$ros_ws" "$1" "$2"; }

# pid [rundir]: a live process that is not a zombie (and, where /proc
# tells, whose working directory is that run's directory: the wrapper cds
# there, so a recycled pid is not taken for the run).  A zombie is dead: an
# exited job can stay a zombie for a while when PID 1 reaps late.
# Builtins only: a check of a hundred runs must not fork a thousand times.
ros_alive() {
	[ -n "$1" ] && [ "$1" != 0 ] || return 1
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		IFS= read -r ros_st < "/proc/$1/stat" || return 1
		ros_st=${ros_st##*) }
		case $ros_st in Z*|X*|"") return 1 ;; esac
		if [ -n "${2:-}" ] && [ -e "/proc/$1/cwd" ]; then
			[ "/proc/$1/cwd" -ef "$2" ] || return 1
		fi
	fi
	return 0
}

# file: its first line (no fork), empty if missing.
ros_read() {
	ros_v=
	[ -f "$1" ] && IFS= read -r ros_v < "$1"
	return 0
}

# The last lines of a file (at most 16 KiB), then a line holding only
# $ros_end (a random word chosen by ros for this script, so no log can
# contain it by chance).
ros_tail() {
	[ -f "$1" ] && tail -c 16384 "$1" 2>/dev/null | tail -n "$2"
	echo
	echo "$ros_end"
}

ros_write_wrapper() {
	printf '%s\n' '#!/bin/sh' \
		'# Written by ros: runs run.sh, records pid, start and end times, exit code.' \
		'# ROS_RUN_DIR: under Slurm, $0 is a copy in the spool directory.' \
		'cd "${ROS_RUN_DIR:-$(dirname "$0")}" || exit 111' \
		'rm -f exit_code ended_at' \
		'echo $$ > pid.tmp && mv -f pid.tmp pid' \
		'date -u +%Y-%m-%dT%H:%M:%SZ > started_at' \
		'trap "ros_term=1" TERM INT HUP' \
		'if command -v bash >/dev/null 2>&1; then bash ./run.sh; else sh ./run.sh; fi' \
		'rc=$?' \
		'date -u +%Y-%m-%dT%H:%M:%SZ > ended_at' \
		'echo "$rc" > exit_code.tmp && mv -f exit_code.tmp exit_code' \
		'exit "$rc"' > "$1/wrapper.sh"
}

# dir token what: create dir/claim.TOKEN holding `what` (launched,
# revoked, failed) only if it does not exist yet: noclobber opens it with
# O_EXCL, so of a launch and a revocation racing for one claim exactly one
# creates it.  0 if this call did; else ros_v holds what the file says.
ros_claim() {
	set -C
	{ echo "$3" > "$1/claim.$2"; } 2>/dev/null
	ros_c=$?
	set +C
	[ $ros_c = 0 ] && return 0
	ros_read "$1/claim.$2"
	return 1
}

# project run attempt [token until]; stdin: run.sh.  A claimed launch
# (token, until: the claim's lease in epoch seconds) starts only if the
# lease still runs by this machine's clock and this call is the first to
# create the claim's file (ros_claim: a revocation by check-runs may have
# come first).  Idempotent besides: an attempt that was launched here
# before (it has a pid, or an exit code) is reported, not started.
#   ROS launch RUN started PID | running PID | finished PID CODE | vanished PID
#   ROS launch RUN revoked 0 | expired 0 NOW | error 0 WHY
ros_launch() {
	d=$ros_ws/runs/logs/$1/$2
	if [ -n "${4:-}" ]; then
		ros_now_s
		if [ "$ros_n" -gt "$5" ]; then
			cat >/dev/null
			echo "ROS launch $2 expired 0 $ros_n"
			return
		fi
	fi
	if [ ! -d "$d" ] && ! mkdir -p "$d" 2>/dev/null; then
		cat >/dev/null
		echo "ROS launch $2 error 0 cannot-create-$d"
		return
	fi
	if [ -n "${4:-}" ] && [ -f "$d/claim.$4" ]; then
		cat >/dev/null
		ros_claimed "$d" "$2" "$4"
		return
	fi
	ros_read "$d/attempt"
	if [ "$ros_v" = "$3" ] && { [ -f "$d/pid" ] || [ -f "$d/exit_code" ] || [ -f "$d/launched" ]; }; then
		cat >/dev/null
		ros_launched "$d" "$2"
		return
	fi
	if [ -n "$ros_v" ] && [ "$ros_v" != "$3" ]; then
		for f in stdout.log exit_code pid started_at ended_at launched; do
			[ -f "$d/$f" ] && mv -f "$d/$f" "$d/$f.attempt$ros_v"
		done
	fi
	if ! cat > "$d/run.sh" || ! ros_ck_ok "$d/run.sh" || ! ros_write_wrapper "$d"; then
		rm -f "$d/run.sh"
		echo "ROS launch $2 error 0 cannot-write-$d"
		return
	fi
	# the claim last, so that a launch that wins it starts at once
	if [ -n "${4:-}" ] && ! ros_claim "$d" "$4" launched; then
		ros_claimed "$d" "$2" "$4"
		return
	fi
	echo "$3" > "$d/attempt"
	ROS_WORKSPACE=$ros_ws ROS_RUN_DIR=$d setsid sh "$d/wrapper.sh" </dev/null >"$d/stdout.log" 2>&1 &
	echo "$!" > "$d/launched"
	echo "ROS launch $2 started $!"
}

# dir run token: the launch record of a claim that exists already.
ros_claimed() {
	ros_read "$1/claim.$3"
	case $ros_v in
	revoked) echo "ROS launch $2 revoked 0" ;;
	launched) ros_launched "$1" "$2" ;;
	*) echo "ROS launch $2 error 0 claim-$ros_v" ;;
	esac
}

# dir run: the launch record of an attempt launched before.
ros_launched() {
	ros_read "$1/pid"
	[ -n "$ros_v" ] || ros_read "$1/launched"
	p=$ros_v
	if [ -f "$1/exit_code" ]; then
		ros_read "$1/exit_code"
		echo "ROS launch $2 finished ${p:-0} $ros_v"
	elif ros_alive "$p" "$1"; then
		echo "ROS launch $2 running ${p:-0}"
	else
		echo "ROS launch $2 vanished ${p:-0}"
	fi
}

# project run attempt nlines [pid [token]]: the state of one run and its
# log tail (attempt "py": a run the Python ros.py started, ros_probe_py).
#   ROS probe RUN STATE PID EXIT STARTED ENDED
# then the last lines of the log and an end line (see ros_tail).
# STATE: running, exited, vanished (no process, no exit code),
# notstarted (this attempt was never launched here).  With a token (a
# dispatching run whose claim is no longer in force): a claim that was not
# launched is revoked first, so that it never can be (ros_claim).
ros_probe() {
	d=$ros_ws/runs/logs/$1/$2
	st=notstarted p=${5:-0} code=- started=- ended=-
	ros_v=
	if [ -n "${6:-}" ]; then
		if { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; } && ! ros_claim "$d" "$6" revoked &&
			[ "$ros_v" = launched ]; then
			# won by a launch: between its claim and its `launched`
			# file only a fork passes; longer means it died there
			[ -f "$d/launched" ] || sleep 0.2
			if [ ! -f "$d/launched" ]; then
				echo "ROS probe $2 launching 0 - - - +"
				ros_tail /dev/null 0
				return
			fi
			ros_read "$d/attempt"
		else
			ros_v=
		fi
	else
		ros_read "$d/attempt"
	fi
	if [ "$3" = py ]; then
		ros_probe_py "$@"
		return
	fi
	if [ -n "$ros_v" ] && [ "$ros_v" = "$3" ]; then
		ros_read "$d/pid"
		[ -n "$ros_v" ] || ros_read "$d/launched"
		p=${ros_v:-${5:-0}}
		if ros_alive "$p" "$d"; then
			st=running
		elif [ -f "$d/exit_code" ]; then
			st=exited
		elif [ -f "$d/pid" ] || [ -f "$d/launched" ]; then
			# the wrapper may be between its last two lines, or not in
			# its run directory yet
			sleep 0.2
			ros_read "$d/pid"
			[ -n "$ros_v" ] && p=$ros_v
			if [ -f "$d/exit_code" ]; then st=exited; elif ros_alive "$p" "$d"; then st=running; else st=vanished; fi
		fi
		if [ $st = exited ]; then ros_read "$d/exit_code"; code=${ros_v:--}; fi
		ros_read "$d/started_at"; started=${ros_v:--}
		ros_read "$d/ended_at"; ended=${ros_v:--}
	fi
	echo "ROS probe $2 $st ${p:-0} $code $started $ended +"
	ros_tail "$d/stdout.log" "$4"
}

# project run py nlines pid: ros_probe for a run the Python ros.py started:
# no attempt file, its pid in the queue, alive while `kill -0` works (it
# runs from the login's home directory), then its exit_code file decides.
ros_probe_py() {
	p=${5:-0}
	if [ -n "$ros_v" ]; then
		:	# ros has launched an attempt here since: not that run
	elif ros_alive "$p"; then
		st=running
	elif [ -f "$d/exit_code" ] || { sleep 0.2; [ -f "$d/exit_code" ]; }; then
		st=exited
		ros_read "$d/exit_code"
		code=${ros_v:--}
	elif [ -f "$d/stdout.log" ]; then
		st=vanished
	fi
	echo "ROS probe $2 $st $p $code - - +"
	ros_tail "$d/stdout.log" "$4"
}

# project run grace_seconds pid [token]: SIGTERM to the run's process
# group, SIGKILL after the grace period.  The pid is the queue's, for a run
# the Python ros.py started (its run directory has no pid file; "0" else).
# With a token (a dispatching run), a claim not launched yet is revoked: it
# will never start.
ros_cancel() {
	d=$(ros_dir "$1" "$2")
	if [ -n "${5:-}" ] && { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; } && ros_claim "$d" "$5" revoked; then
		echo "ROS cancel $2 notrunning 0"
		return
	fi
	p=$(cat "$d/pid" 2>/dev/null || cat "$d/launched" 2>/dev/null)
	if [ -z "$p" ] && [ ! -f "$d/attempt" ] && [ "${4:-0}" != 0 ]; then
		p=$4 d=	# the Python tool's run: no working directory to check
	fi
	if ! ros_alive "$p" "$d"; then
		echo "ROS cancel $2 notrunning ${p:-0}"
		return
	fi
	kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	i=0
	while ros_alive "$p" "$d" && [ "$i" -lt "$(($3 * 10))" ]; do sleep 0.1; i=$((i + 1)); done
	if ros_alive "$p" "$d"; then
		kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
		echo "ROS cancel $2 killed $p"
	else
		echo "ROS cancel $2 terminated $p"
	fi
}

# grace; stdin: lines "project run pid token" (token "-": none): ros_cancel
# for each run, up to 32 at a time, so that their grace periods overlap.
ros_cancel_many() {
	ros_n=0
	while read -r ros_cp ros_cr ros_cpid ros_ct; do
		[ "$ros_ct" = - ] && ros_ct=
		ros_cancel "$ros_cp" "$ros_cr" "$1" "$ros_cpid" "$ros_ct" &
		ros_n=$((ros_n + 1))
		if [ "$ros_n" -ge 32 ]; then
			wait
			ros_n=0
		fi
	done
	wait
}

# project run nlines follow [pid]: the run's log (raw), following it to the
# end (pid: the queue's, for a run the Python ros.py started).
ros_logs() {
	d=$(ros_dir "$1" "$2")
	if [ ! -f "$d/stdout.log" ]; then
		echo "ros: no log for $2 in $d" >&2
		return 3
	fi
	if [ "$4" = 1 ]; then
		tail -n "$3" -f "$d/stdout.log" &
		t=$!
		ros_lp=$(cat "$d/pid" 2>/dev/null) ros_ld=$d
		if [ -z "$ros_lp" ] && [ ! -f "$d/attempt" ]; then ros_lp=${5:-0} ros_ld=; fi
		while [ ! -f "$d/exit_code" ] && ros_alive "$ros_lp" "$ros_ld"; do sleep 0.5; done
		sleep 0.6
		kill "$t" 2>/dev/null
		wait "$t" 2>/dev/null
	else
		tail -n "$3" "$d/stdout.log"
	fi
	return 0
}

# project run: what the run directory holds (`ros show`):
#   ROS files RUN ok +     then "SIZE NAME" per file, "dir NAME" per folder (the
#                          first 200), "more N" for the others, an end line
#   ROS files RUN missing  there is no run directory
#   ROS runjson RUN ok +   then run.json (its last 64 KiB), an end line
ros_show() {
	d=$ros_ws/runs/logs/$1/$2
	if [ ! -d "$d" ]; then
		echo "ROS files $2 missing"
		return
	fi
	echo "ROS files $2 ok +"
	ros_n=0
	for f in "$d"/* "$d"/.[!.]*; do
		[ -d "$f" ] || [ -f "$f" ] || continue
		ros_n=$((ros_n + 1))
		[ "$ros_n" -gt 200 ] && continue
		if [ -d "$f" ]; then
			echo "dir ${f##*/}"
		else
			ros_sz=$(wc -c < "$f" 2>/dev/null) || ros_sz=-
			echo "${ros_sz##* } ${f##*/}"
		fi
	done
	[ "$ros_n" -gt 200 ] && echo "more $((ros_n - 200))"
	echo
	echo "$ros_end"
	if [ -f "$d/run.json" ]; then
		echo "ROS runjson $2 ok +"
		tail -c 65536 "$d/run.json"
		echo
		echo "$ros_end"
	fi
}

# stdin: a shell command (the registry's health commands); its output,
# then the end line.
ros_run_cmd() {
	IFS= read -r ros_c || ros_c=
	out=$(sh -c "$ros_c" 2>&1 </dev/null)
	rc=$?
	echo "ROS $1 - $rc +"
	printf '%.4096s\n' "$out"
	echo "$ros_end"
}

# GPUs: "ROS gpu -" then nvidia-smi's CSV lines and the end line.
ros_gpu() {
	echo "ROS gpu - +"
	if command -v nvidia-smi >/dev/null 2>&1; then
		nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits 2>/dev/null
	fi
	echo
	echo "$ros_end"
}

# Live runs of this workspace: "ROS busy - COUNT".
ros_busy_runs() {
	c=0
	for f in "$ros_ws"/runs/logs/*/*/pid; do
		[ -f "$f" ] || continue
		[ -f "${f%/pid}/exit_code" ] && continue
		ros_alive "$(cat "$f")" "${f%/pid}" && c=$((c + 1))
	done
	echo "ROS busy - $c"
}

# allow_install: prepare the workspace and tools; report what was done.
ros_setup() {
	for d in runs/logs runs/metrics runs/checkpoints; do
		mkdir -p "$ros_ws/$d" || { echo "ROS setup - error cannot-create-$ros_ws/$d"; return; }
	done
	echo "setup: workspace $ros_ws/runs/{logs,metrics,checkpoints} ready"
	missing=
	for t in git python3; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done
	if [ -n "$missing" ]; then
		if [ "$1" != 1 ]; then
			echo "setup: missing:$missing (not installed: the worker does not allow installs)"
		elif command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
			s=; [ "$(id -u)" = 0 ] || s="sudo -n"
			echo "setup: installing$missing with apt-get"
			DEBIAN_FRONTEND=noninteractive $s apt-get update -qq >/dev/null 2>&1
			DEBIAN_FRONTEND=noninteractive $s apt-get install -y -qq $missing >/dev/null 2>&1 || echo "setup: apt-get install failed"
		else
			echo "setup: missing:$missing (no apt-get or no root: install them by hand)"
		fi
	fi
	for t in git python3; do
		if command -v "$t" >/dev/null 2>&1; then echo "setup: $t: $(command -v "$t")"; else echo "setup: $t: missing"; fi
	done
	if command -v nvidia-smi >/dev/null 2>&1; then
		nvidia-smi -L 2>/dev/null | sed 's/^/setup: gpu: /'
	else
		echo "setup: gpu: none (no nvidia-smi)"
	fi
	echo "ROS setup - ok"
}

# stdin: the content of ~/.env.local; written with mode 0600.
ros_put_env() {
	f=$HOME/.env.local
	if (umask 077 && cat > "$f.tmp.$$") 2>/dev/null && ros_ck_ok "$f.tmp.$$" && chmod 600 "$f.tmp.$$" &&
		mv -f "$f.tmp.$$" "$f"; then
		echo "setup: synced ~/.env.local (mode 600, $(wc -l < "$f" | tr -d ' ') lines)"
		echo "ROS env - ok"
	else
		rm -f "$f.tmp.$$"
		echo "setup: cannot write $f (is $HOME writable?)"
		echo "ROS env - error"
	fi
}

# project run name; stdin: the file's content (name is one of ros's own),
# written whole or not at all.
ros_put() {
	d=$ros_ws/runs/logs/$1/$2
	{ [ -d "$d" ] || mkdir -p "$d"; } && cat > "$d/$3.tmp" && ros_ck_ok "$d/$3.tmp" && mv -f "$d/$3.tmp" "$d/$3" ||
		rm -f "$d/$3.tmp"
}

# project run attempt kind deadline (attempt "py": a run the Python ros.py
# started); stdin: the parser's argument (a jsonl
# path, or a parser command).  What the metric parser of a finished run
# needs, read on the worker:
#   ROS collect RUN STATE RC +, then the data and an end line (see ros_tail)
# kind log:   the last 64 KiB of stdout.log (STATE log);
# kind jsonl: the last 64 KiB of the metrics file, absolute, else relative
#             to the run directory, else to the workspace (STATE record);
# kind cmd:   the command, run by sh in the workspace with the log on stdin
#             and ROS_RUN_DIR, ROS_LOG set, under a deadline of `deadline`
#             seconds (timeout(1) if there is one, else a watchdog that kills
#             its process group): its stdout, last 64 KiB (STATE output); or
#             the end of its stderr when it exits non-zero (STATE failed, RC
#             its status) or overruns the deadline (STATE timeout).
#   ROS collect RUN missing 0      no such file
#   ROS collect RUN notexited 0    this attempt has no exit code (yet)
# check-runs calls this for every run it probes: a run still running costs
# no process, a log one (tail).
ros_collect() {
	d=$ros_ws/runs/logs/$1/$2
	ros_v=
	[ -f "$d/exit_code" ] && ros_read "$d/attempt"
	# a run of the Python ros.py: an exit code and no attempt file
	[ "$3" = py ] && [ -f "$d/exit_code" ] && [ -z "$ros_v" ] && ros_v=py
	if [ -z "$ros_v" ] || [ "$ros_v" != "$3" ]; then
		echo "ROS collect $2 notexited 0"
		return
	fi
	case $4 in
	log) ros_collect_file "$2" log "$d/stdout.log" ;;
	jsonl)
		ros_a=$(cat)
		case $ros_a in
		/*) f=$ros_a ;;
		"~/"*) f=$HOME/${ros_a#"~/"} ;;
		*) f=$d/$ros_a; [ -f "$f" ] || f=$ros_ws/$ros_a ;;
		esac
		ros_collect_file "$2" record "$f" ;;
	cmd)
		ros_a=$(cat)
		o=$d/collect.out e=$d/collect.err
		ros_collect_cmd "$5" "$2"
		echo "ROS collect $2 $st $rc +"
		if [ "$st" = output ]; then tail -c 65536 "$o"; else tail -c 2048 "$e"; fi
		echo
		echo "$ros_end"
		rm -f "$o" "$e" ;;
	*) echo "ROS collect $2 unknown-kind 0" ;;
	esac
}

# run state file: the last 64 KiB of a finished run's file, framed.
ros_collect_file() {
	if [ ! -f "$3" ]; then
		echo "ROS collect $1 missing 0"
		return
	fi
	echo "ROS collect $1 $2 0 +"
	tail -c 65536 "$3"
	echo
	echo "$ros_end"
}

# deadline run: run $ros_a for ros_collect (sets st and rc).  Output files
# are capped (ulimit -f: a few MiB) so a runaway parser cannot fill the disk.
ros_collect_cmd() {
	l=$d/stdout.log
	[ -f "$l" ] || l=/dev/null
	if [ -z "${ROS_TEST_NO_TIMEOUT:-}" ] && command -v timeout >/dev/null 2>&1; then
		(cd "$ros_ws" 2>/dev/null; ulimit -f 4096 2>/dev/null
		 ROS_RUN_DIR=$d ROS_LOG=$d/stdout.log ROS_RUN_ID=$2 exec timeout -k 2 "$1" sh -c "$ros_a") \
			<"$l" >"$o" 2>"$e"
		rc=$?
		st=output
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && st=timeout
	else
		ros_s=
		command -v setsid >/dev/null 2>&1 && ros_s=setsid
		(cd "$ros_ws" 2>/dev/null; ulimit -f 4096 2>/dev/null
		 ROS_RUN_DIR=$d ROS_LOG=$d/stdout.log ROS_RUN_ID=$2 exec $ros_s sh -c "$ros_a") \
			<"$l" >"$o" 2>"$e" &
		p=$!
		i=0
		while ros_alive "$p" && [ "$i" -lt "$(($1 * 10))" ]; do sleep 0.1; i=$((i + 1)); done
		st=output
		if ros_alive "$p"; then
			st=timeout
			kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
			i=0
			while ros_alive "$p" && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
			kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
		fi
		wait "$p"
		rc=$?
	fi
	[ "$st" = output ] && [ "$rc" -ne 0 ] && st=failed
	return 0
}
