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
#
# Names: every variable here starts with ros_ (the script shares its shell
# with nothing, but a name of its own is never anyone else's).  The
# functions ros calls, those whose comments give the records they print,
# never call one another and share plain names (ros_d: the run directory,
# ros_st: a state, ...).  A helper that other functions call sets only its
# results, named in its comment (ros_v, ros_n), and variables of its own
# prefix (ros_alive: ros_al_*), so that no call changes its caller's.
umask 022
ros_ws=''
ros_ck=''
ros_end=''	# set by ros after this file: see ros_tail

# ros_n: the time in epoch seconds.  One `date` per script: later calls add
# what /proc/uptime counted since, read with a builtin (no process), so a
# batch of 200 launches does not fork 200 times for it.
ros_t0='' ros_up0=''
ros_now_s() {
	if [ -r /proc/uptime ] && IFS=' .' read -r ros_ns_up _ < /proc/uptime && [ -n "$ros_ns_up" ]; then
		[ -n "$ros_t0" ] || { ros_t0=$(date +%s); ros_up0=$ros_ns_up; }
		ros_n=$((ros_t0 + ros_ns_up - ros_up0))
	else
		ros_n=$(date +%s)
	fi
}

# file: 0 if its content is the here-document ros sent ($ros_ck).
ros_ck_ok() {
	[ "$(cksum < "$1")" = "$ros_ck" ]
}

# stdin: the workspace; relative paths are under $HOME.
ros_set_ws() {
	IFS= read -r ros_ws || ros_ws=
	case $ros_ws in
	\~) ros_ws=$HOME ;;
	\~/*) ros_ws=$HOME/${ros_ws#\~/} ;;
	/*) ;;
	*) ros_ws=$HOME/$ros_ws ;;
	esac
}

# pid [rundir]: a live process that is not a zombie (and, where /proc
# tells, whose working directory is that run's directory: the wrapper cds
# there, so a recycled pid is not taken for the run).  A zombie is dead: an
# exited job can stay a zombie for a while when PID 1 reaps late.
# Builtins only: a check of a hundred runs must not fork a thousand times.
ros_alive() {
	[ -n "$1" ] && [ "$1" != 0 ] || return 1
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		IFS= read -r ros_al_st < "/proc/$1/stat" || return 1
		ros_al_st=${ros_al_st##*) }
		case $ros_al_st in Z*|X*|"") return 1 ;; esac
		if [ -n "${2:-}" ] && [ -e "/proc/$1/cwd" ]; then
			# shellcheck disable=SC3013 # -ef is in the test(1) of every sh of a system with /proc (dash, bash, ash, mksh)
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

# dir: write dir/wrapper.sh (with a builtin: one per launch).
# shellcheck disable=SC2016 # the wrapper's lines, $ and all, are written as they are
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
		'ros_rc=$?' \
		'date -u +%Y-%m-%dT%H:%M:%SZ > ended_at' \
		'echo "$ros_rc" > exit_code.tmp && mv -f exit_code.tmp exit_code' \
		'exit "$ros_rc"' > "$1/wrapper.sh"
}

# dir token what: create dir/claim.TOKEN holding `what` (launched,
# revoked, failed) only if it does not exist yet: noclobber opens it with
# O_EXCL, so of a launch and a revocation racing for one claim exactly one
# creates it.  0 if this call did; else ros_v holds what the file says.
ros_claim() {
	set -C
	if { echo "$3" > "$1/claim.$2"; } 2>/dev/null; then ros_cl_rc=0; else ros_cl_rc=1; fi
	set +C
	[ $ros_cl_rc = 0 ] && return 0
	ros_read "$1/claim.$2"
	return 1
}

# dir run [token until [trees]]: what a launch checks before it reads
# its script (ros_launch, and ros_sbatch in slurm.sh): a claim's lease still
# runs by this machine's clock, the run directory exists, and so does each
# tree the run needs (its code's, its data's: ids separated by commas;
# "-": none; ros_snap_unpack).  0 to go on;
# else stdin is drained, the record printed, and 1.
ros_launch_gate() {
	if [ -n "${5:-}" ] && [ "$5" != - ]; then
		ros_lg_ifs=$IFS
		IFS=,
		for ros_lg_t in $5; do
			if [ ! -d "$ros_ws/.ros/snap/trees/$ros_lg_t" ]; then
				IFS=$ros_lg_ifs
				cat >/dev/null
				echo "ROS launch $2 error 0 snapshot-missing $ros_lg_t"
				return 1
			fi
		done
		IFS=$ros_lg_ifs
	fi
	if [ -n "${3:-}" ]; then
		ros_now_s
		if [ "$ros_n" -gt "$4" ]; then
			cat >/dev/null
			echo "ROS launch $2 expired 0 $ros_n"
			return 1
		fi
	fi
	if [ ! -d "$1" ] && ! mkdir -p "$1" 2>/dev/null; then
		cat >/dev/null
		echo "ROS launch $2 error 0 cannot-create-$1"
		return 1
	fi
	return 0
}

# dir attempt file...: an earlier attempt's files put aside as
# FILE.attemptN, so that the new attempt starts clean.
ros_keep_attempt() {
	ros_ka_d=$1 ros_ka_n=$2
	shift 2
	for ros_f in "$@"; do
		[ -e "$ros_ka_d/$ros_f" ] && rm -rf "$ros_ka_d/$ros_f.attempt$ros_ka_n" &&
			mv -f "$ros_ka_d/$ros_f" "$ros_ka_d/$ros_f.attempt$ros_ka_n"
	done
	return 0
}

# project run attempt [token until [snapshot]]; stdin: run.sh.  A claimed launch
# (token, until: the claim's lease in epoch seconds) starts only if the
# lease still runs by this machine's clock and this call is the first to
# create the claim's file (ros_claim: a revocation by check-runs may have
# come first).  Idempotent besides: an attempt that was launched here
# before (it has a pid, or an exit code) is reported, not started.
#   ROS launch RUN started PID | running PID | finished PID CODE | vanished PID
#   ROS launch RUN revoked 0 | expired 0 NOW | error 0 WHY
ros_launch() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_launch_gate "$ros_d" "$2" "${4:-}" "${5:-}" "${6:-}" || return
	if [ -n "${4:-}" ] && [ -f "$ros_d/claim.$4" ]; then
		cat >/dev/null
		ros_claimed "$ros_d" "$2" "$4"
		return
	fi
	ros_read "$ros_d/attempt"
	if [ "$ros_v" = "$3" ] && { [ -f "$ros_d/pid" ] || [ -f "$ros_d/exit_code" ] || [ -f "$ros_d/launched" ]; }; then
		cat >/dev/null
		ros_launched "$ros_d" "$2"
		return
	fi
	if [ -n "$ros_v" ] && [ "$ros_v" != "$3" ]; then
		ros_keep_attempt "$ros_d" "$ros_v" stdout.log exit_code pid started_at ended_at launched code out
	fi
	if ! cat > "$ros_d/run.sh" || ! ros_ck_ok "$ros_d/run.sh" || ! ros_write_wrapper "$ros_d"; then
		rm -f "$ros_d/run.sh"
		echo "ROS launch $2 error 0 cannot-write-$ros_d"
		return
	fi
	# the claim last, so that a launch that wins it starts at once
	if [ -n "${4:-}" ] && ! ros_claim "$ros_d" "$4" launched; then
		ros_claimed "$ros_d" "$2" "$4"
		return
	fi
	echo "$3" > "$ros_d/attempt"
	ROS_WORKSPACE=$ros_ws ROS_RUN_DIR=$ros_d setsid sh "$ros_d/wrapper.sh" </dev/null >"$ros_d/stdout.log" 2>&1 &
	echo "$!" > "$ros_d/launched"
	echo "ROS launch $2 started $!"
}

# nonce id base: make the tree of snapshot id, $ros_ws/.ros/snap/trees/ID,
# from what ros sent as $HOME/.ros-in/NONCE (remote_upload_proc: the new
# and changed files under t/, and in `del` the NUL-separated paths of the
# base's tree that id lacks or changed) and the tree of snapshot base ("-":
# none), hard-linked (cp -al); without a base the upload's t/ is renamed
# (mv: a copy across file systems).  Built aside and renamed into place: a
# tree under its id is always whole.  Stale uploads (a day old) are removed.
#   ROS snap - ID ok | ROS snap - ID error WHY
ros_snap_unpack() {
	ros_in=$HOME/.ros-in/$1 ros_sd=$ros_ws/.ros/snap/trees
	ros_tmp=$ros_sd/.tmp.$1
	if [ -d "$ros_sd/$2" ]; then
		rm -rf "$ros_in" "$ros_in.ok"
		echo "ROS snap - $2 ok"
		return
	fi
	if [ ! -f "$ros_in.ok" ]; then
		rm -rf "$ros_in"
		echo "ROS snap - $2 error the-transfer-did-not-arrive-whole"
		return
	fi
	if ! mkdir -p "$ros_sd" 2>/dev/null; then
		ros_m=cannot-create-$ros_sd
	elif [ "$3" != - ]; then
		ros_m=
		if [ ! -d "$ros_sd/$3" ] || ! cp -al "$ros_sd/$3" "$ros_tmp" 2>/dev/null; then
			ros_m=base-missing
		elif ! (cd "$ros_tmp" && xargs -0 -r rm -f -- < "$ros_in/del"); then
			ros_m=cannot-remove-files-of-the-base
		elif [ -s "$ros_in/del" ]; then
			find "$ros_tmp" -mindepth 1 -depth -type d -empty -delete 2>/dev/null
		fi
	else
		# no base: the upload is the tree (a rename on one file system)
		ros_m=
		if [ -d "$ros_in/t" ]; then
			mv "$ros_in/t" "$ros_tmp" 2>/dev/null || ros_m=cannot-move-$ros_in
		else
			mkdir "$ros_tmp" 2>/dev/null || ros_m=cannot-create-$ros_tmp
		fi
	fi
	if [ -z "$ros_m" ] && [ "$3" != - ] && [ -d "$ros_in/t" ] && ! cp -al "$ros_in/t/." "$ros_tmp/" 2>/dev/null; then
		ros_m=cannot-link-the-new-files
	fi
	if [ -z "$ros_m" ] && ! mv -T "$ros_tmp" "$ros_sd/$2" 2>/dev/null && [ ! -d "$ros_sd/$2" ]; then
		ros_m=cannot-rename-$ros_tmp
	fi
	rm -rf "$ros_tmp" "$ros_in" "$ros_in.ok"
	find "$HOME/.ros-in" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf {} + 2>/dev/null
	if [ -n "$ros_m" ]; then
		echo "ROS snap - $2 error $ros_m"
	else
		echo "ROS snap - $2 ok"
	fi
}

# key; stdin: the project's set-up lines.  Writes them as
# .ros/setup/KEY/setup.sh (once: a key is its lines and inputs) and the gate
# every run with a set-up passes before it starts, .ros/setup/gate.sh:
#   gate.sh KEY SNAPSHOT|-    (ROS_WORKSPACE set)
# The first run of a key on the worker runs the lines (bash -e, else sh
# -e) in KEY/code, a copy of its snapshot's tree (else in the workspace),
# into KEY/setup.log, and leaves KEY/ok or KEY/failed ("exit N: the log's
# last line"); one set-up at a time on the worker (a mkdir lock holding
# "pid host"; a holder that died on this host is taken over).  Runs of a
# key that failed exit 112 at once, saying "ros: setup failed: ..." on
# stderr (their log).  Prints nothing.
# shellcheck disable=SC2016 # the gate's lines, $ and all, are written as they are
ros_put_setup() {
	ros_sd=$ros_ws/.ros/setup
	if ! mkdir -p "$ros_sd/$1" 2>/dev/null; then
		cat >/dev/null
		return
	fi
	if [ -f "$ros_sd/$1/setup.sh" ]; then
		cat >/dev/null
	elif cat > "$ros_sd/$1/setup.sh.tmp" && ros_ck_ok "$ros_sd/$1/setup.sh.tmp"; then
		mv -f "$ros_sd/$1/setup.sh.tmp" "$ros_sd/$1/setup.sh"
	fi
	rm -f "$ros_sd/$1/setup.sh.tmp"
	printf '%s\n' '#!/bin/sh' \
		'# Written by ros: a project'"'"'s set-up, once per worker and key.  gate.sh KEY SNAPSHOT|-' \
		'd=$ROS_WORKSPACE/.ros/setup/$1 l=$ROS_WORKSPACE/.ros/setup/lock' \
		'fail() { echo "ros: setup failed: $(cat "$d/failed" 2>/dev/null)" >&2; echo "ros: its log: $d/setup.log" >&2; exit 112; }' \
		'[ -f "$d/ok" ] && exit 0' \
		'[ -f "$d/failed" ] && fail' \
		'h=$(uname -n)' \
		'until mkdir "$l" 2>/dev/null; do' \
		'	[ -f "$d/ok" ] && exit 0' \
		'	[ -f "$d/failed" ] && fail' \
		'	p= ph=' \
		'	[ -f "$l/pid" ] && read -r p ph < "$l/pid"' \
		'	if [ -n "$p" ] && [ "$ph" = "$h" ] && ! kill -0 "$p" 2>/dev/null; then rm -rf "$l"' \
		'	elif [ -z "$p" ] && [ -n "$(find "$l" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then rm -rf "$l"; fi' \
		'	sleep 1' \
		'done' \
		'trap '"'"'rm -rf "$l"'"'"' EXIT' \
		'trap '"'"'exit 143'"'"' TERM INT HUP' \
		'echo "$$ $h" > "$l/pid"' \
		'[ -f "$d/ok" ] && exit 0' \
		'[ -f "$d/failed" ] && fail' \
		'if [ ! -f "$d/setup.sh" ]; then echo "its lines never arrived" > "$d/failed"; fail; fi' \
		'if [ "$2" != - ]; then' \
		'	rm -rf "$d/code"' \
		'	if ! cp -RPp "$ROS_WORKSPACE/.ros/snap/trees/$2/." "$d/code" || ! cd "$d/code"; then echo "cannot copy snapshot $2" > "$d/failed"; fail; fi' \
		'elif ! cd "$ROS_WORKSPACE"; then echo "cannot enter $ROS_WORKSPACE" > "$d/failed"; fail; fi' \
		'echo "ros: set-up $1 started $(date -u +%Y-%m-%dT%H:%M:%SZ) in $PWD" > "$d/setup.log"' \
		'if command -v bash >/dev/null 2>&1; then bash -e "$d/setup.sh"; else sh -e "$d/setup.sh"; fi </dev/null >> "$d/setup.log" 2>&1' \
		'rc=$?' \
		'if [ "$rc" = 0 ]; then date -u +%Y-%m-%dT%H:%M:%SZ > "$d/ok"; echo "ros: set-up $1 done" >> "$d/setup.log"; exit 0; fi' \
		'm=$(grep -v "^[[:space:]]*$" "$d/setup.log" | tail -n 1 | cut -c1-300)' \
		'echo "exit $rc: $m" > "$d/failed.tmp" && mv -f "$d/failed.tmp" "$d/failed"' \
		'fail' > "$ros_sd/gate.sh.tmp.$$" && mv -f "$ros_sd/gate.sh.tmp.$$" "$ros_sd/gate.sh"
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
	ros_ld_p=$ros_v
	if [ -f "$1/exit_code" ]; then
		ros_read "$1/exit_code"
		echo "ROS launch $2 finished ${ros_ld_p:-0} $ros_v"
	elif ros_alive "$ros_ld_p" "$1"; then
		echo "ROS launch $2 running ${ros_ld_p:-0}"
	else
		echo "ROS launch $2 vanished ${ros_ld_p:-0}"
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
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_st=notstarted ros_p=${5:-0} ros_code=- ros_started=- ros_ended=-
	ros_v=
	if [ -n "${6:-}" ]; then
		if { [ -d "$ros_d" ] || mkdir -p "$ros_d" 2>/dev/null; } && ! ros_claim "$ros_d" "$6" revoked &&
			[ "$ros_v" = launched ]; then
			# won by a launch: between its claim and its `launched`
			# file only a fork passes; longer means it died there
			[ -f "$ros_d/launched" ] || sleep 0.2
			if [ ! -f "$ros_d/launched" ]; then
				echo "ROS probe $2 launching 0 - - - +"
				ros_tail /dev/null 0
				return
			fi
			ros_read "$ros_d/attempt"
		else
			ros_v=
		fi
	else
		ros_read "$ros_d/attempt"
	fi
	if [ "$3" = py ]; then
		ros_probe_py "$@"
		return
	fi
	if [ -n "$ros_v" ] && [ "$ros_v" = "$3" ]; then
		ros_read "$ros_d/pid"
		[ -n "$ros_v" ] || ros_read "$ros_d/launched"
		ros_p=${ros_v:-${5:-0}}
		if ros_alive "$ros_p" "$ros_d"; then
			ros_st=running
		elif [ -f "$ros_d/exit_code" ]; then
			ros_st=exited
		elif [ -f "$ros_d/pid" ] || [ -f "$ros_d/launched" ]; then
			# the wrapper may be between its last two lines, or not in
			# its run directory yet
			sleep 0.2
			ros_read "$ros_d/pid"
			[ -n "$ros_v" ] && ros_p=$ros_v
			if [ -f "$ros_d/exit_code" ]; then
				ros_st=exited
			elif ros_alive "$ros_p" "$ros_d"; then
				ros_st=running
			else
				ros_st=vanished
			fi
		fi
		if [ $ros_st = exited ]; then ros_read "$ros_d/exit_code"; ros_code=${ros_v:--}; fi
		ros_read "$ros_d/started_at"; ros_started=${ros_v:--}
		ros_read "$ros_d/ended_at"; ros_ended=${ros_v:--}
	fi
	echo "ROS probe $2 $ros_st ${ros_p:-0} $ros_code $ros_started $ros_ended +"
	ros_tail "$ros_d/stdout.log" "$4"
	# an ended run: the machine it ran on, as run.sh wrote it (provenance)
	if [ $ros_st = exited ] && [ -f "$ros_d/host.txt" ]; then
		echo "ROS host $2 +"
		head -c 4096 "$ros_d/host.txt"
		echo
		echo "$ros_end"
	fi
	# a running run that checkpoints (ROS_CKPT_DIR holds something): ros
	# brings what changed back (ros_pull_ckpt)
	if [ $ros_st = running ]; then
		for ros_f in "$ros_d/ckpt"/* "$ros_d/ckpt"/.[!.]*; do
			if [ -e "$ros_f" ]; then
				echo "ROS ckpt $2 yes"
				break
			fi
		done
	fi
}

# project run py nlines pid: ros_probe for a run the Python ros.py started:
# no attempt file, its pid in the queue, alive while `kill -0` works (it
# runs from the login's home directory), then its exit_code file decides.
# A part of ros_probe: it goes on with ros_probe's variables (ros_d, ros_v:
# the attempt file's content, ros_st, ros_code).
ros_probe_py() {
	ros_p=${5:-0}
	if [ -n "$ros_v" ]; then
		:	# ros has launched an attempt here since: not that run
	elif ros_alive "$ros_p"; then
		ros_st=running
	elif [ -f "$ros_d/exit_code" ] || { sleep 0.2; [ -f "$ros_d/exit_code" ]; }; then
		ros_st=exited
		ros_read "$ros_d/exit_code"
		ros_code=${ros_v:--}
	elif [ -f "$ros_d/stdout.log" ]; then
		ros_st=vanished
	fi
	echo "ROS probe $2 $ros_st $ros_p $ros_code - - +"
	ros_tail "$ros_d/stdout.log" "$4"
}

# project run grace_seconds pid [token]: SIGTERM to the run's process
# group, SIGKILL after the grace period.  The pid is the queue's, for a run
# the Python ros.py started (its run directory has no pid file; "0" else).
# With a token (a dispatching run), a claim not launched yet is revoked: it
# will never start.  A helper of ros_cancel_many.
ros_cancel() {
	ros_ca_d=$ros_ws/runs/logs/$1/$2
	if [ -n "${5:-}" ] && { [ -d "$ros_ca_d" ] || mkdir -p "$ros_ca_d" 2>/dev/null; } &&
		ros_claim "$ros_ca_d" "$5" revoked; then
		echo "ROS cancel $2 notrunning 0"
		return
	fi
	ros_read "$ros_ca_d/pid"
	[ -n "$ros_v" ] || ros_read "$ros_ca_d/launched"
	ros_ca_p=$ros_v
	if [ -z "$ros_ca_p" ] && [ ! -f "$ros_ca_d/attempt" ] && [ "${4:-0}" != 0 ]; then
		ros_ca_p=$4 ros_ca_d=''	# the Python tool's run: no working directory to check
	fi
	if ! ros_alive "$ros_ca_p" "$ros_ca_d"; then
		echo "ROS cancel $2 notrunning ${ros_ca_p:-0}"
		return
	fi
	kill -TERM -"$ros_ca_p" 2>/dev/null || kill -TERM "$ros_ca_p" 2>/dev/null
	ros_ca_i=0
	while ros_alive "$ros_ca_p" "$ros_ca_d" && [ "$ros_ca_i" -lt "$(($3 * 10))" ]; do
		sleep 0.1
		ros_ca_i=$((ros_ca_i + 1))
	done
	if ros_alive "$ros_ca_p" "$ros_ca_d"; then
		kill -KILL -"$ros_ca_p" 2>/dev/null || kill -KILL "$ros_ca_p" 2>/dev/null
		echo "ROS cancel $2 killed $ros_ca_p"
	else
		echo "ROS cancel $2 terminated $ros_ca_p"
	fi
}

# grace; stdin: lines "project run pid token" (token "-": none): ros_cancel
# for each run, up to 32 at a time, so that their grace periods overlap.
ros_cancel_many() {
	ros_k=0
	while read -r ros_cp ros_cr ros_cpid ros_ct; do
		[ "$ros_ct" = - ] && ros_ct=
		ros_cancel "$ros_cp" "$ros_cr" "$1" "$ros_cpid" "$ros_ct" &
		ros_k=$((ros_k + 1))
		if [ "$ros_k" -ge 32 ]; then
			wait
			ros_k=0
		fi
	done
	wait
}

# file nlines alive...: the last nlines of file, then what is added to it
# while the command `alive...` succeeds (asked every half second), and once
# it fails what the file holds beyond: the follow ends after the whole file
# has been printed.  By byte counts, not with tail -f: what has been
# printed is known exactly (tail -f, stopped, may not have read the end: on
# a shared filesystem it polls once a second).  A write that fails (the
# reader has gone) ends it too.
ros_follow() {
	ros_fo_f=$1 ros_fo_n=$2 ros_fo_at=-1 ros_fo_live=1
	shift 2
	while :; do
		# the test first: a run found ended has written all it will
		"$@" || ros_fo_live=''
		ros_fo_sz=$(wc -c < "$ros_fo_f") || return 1
		ros_fo_sz=${ros_fo_sz##* }
		if [ "$ros_fo_at" -lt 0 ]; then
			head -c "$ros_fo_sz" "$ros_fo_f" | tail -n "$ros_fo_n" || return 0
		elif [ "$ros_fo_sz" -gt "$ros_fo_at" ]; then
			tail -c +"$((ros_fo_at + 1))" "$ros_fo_f" | head -c "$((ros_fo_sz - ros_fo_at))" || return 0
		fi
		ros_fo_at=$ros_fo_sz
		[ -n "$ros_fo_live" ] || return 0
		sleep 0.5
	done
}

# dir pid [rundir]: the run of dir goes on: no exit code yet, and its
# process alive (ros_alive).
ros_run_live() {
	[ ! -f "$1/exit_code" ] && ros_alive "$2" "${3:-}"
}

# project run nlines follow [pid]: the run's log (raw), following it to the
# end (pid: the queue's, for a run the Python ros.py started).
ros_logs() {
	ros_d=$ros_ws/runs/logs/$1/$2
	if [ ! -f "$ros_d/stdout.log" ]; then
		echo "ros: no log for $2 in $ros_d" >&2
		return 3
	fi
	if [ "$4" = 1 ]; then
		ros_read "$ros_d/pid"
		[ -n "$ros_v" ] || ros_read "$ros_d/launched"
		ros_p=$ros_v ros_pd=$ros_d
		if [ -z "$ros_p" ] && [ ! -f "$ros_d/attempt" ]; then ros_p=${5:-0} ros_pd=''; fi
		ros_follow "$ros_d/stdout.log" "$3" ros_run_live "$ros_d" "$ros_p" "$ros_pd"
	else
		tail -n "$3" "$ros_d/stdout.log"
	fi
	return 0
}

# key nlines follow: the log of a set-up (ros_put_setup), its last lines;
# with follow 1 until the set-up ends (KEY/ok or KEY/failed).
ros_setup_log() {
	ros_d=$ros_ws/.ros/setup/$1
	if [ ! -f "$ros_d/setup.log" ]; then
		echo "ros: the set-up $1 has not started on this worker ($ros_d)" >&2
		return 3
	fi
	if [ "$3" = 1 ]; then
		ros_follow "$ros_d/setup.log" "$2" ros_setup_live "$ros_d"
	else
		tail -n "$2" "$ros_d/setup.log"
	fi
	return 0
}

# dir: 0 while the set-up in dir has not ended (for ros_follow).
ros_setup_live() {
	[ ! -f "$1/ok" ] && [ ! -f "$1/failed" ]
}

# run kind: the 512-byte block that comes before each tar of a pull
# (engine/pull.h): "ROS-PULL RUN KIND", spaces, a newline.
ros_pull_mark() {
	printf '%-511s\n' "ROS-PULL $1 $2"
}

# project run cap; stdin: globs, one a line.  After its mark, a tar (nothing
# else) of the regular files the globs match under the run's ROS_OUT_DIR
# (out/), its copy of the code (code/) and its directory, the first of
# these where a glob matches, named relative to the run directory, at most
# cap bytes of them (files in the order found; one that would pass the cap
# is left out), plus a member .ros-skipped: "SIZE NAME" lines of those left
# out.  A glob that is absolute or climbs (..) matches nothing; names with a
# newline are left out.
ros_pull_art() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_pull_mark "$2" a
	ros_t=$(mktemp -d "${TMPDIR:-/tmp}/ros-art.XXXXXX") || { tar -c -f - -T /dev/null; return 1; }
	: > "$ros_t/list"
	: > "$ros_t/names"
	: > "$ros_t/.ros-skipped"
	ros_total=0
	while IFS= read -r ros_g; do
		case $ros_g in "" | /* | .. | ../* | */../* | */..) continue ;; esac
		for ros_b in out code .; do
			[ -d "$ros_d/$ros_b" ] || continue
			# shellcheck disable=SC2086 # the glob expands; IFS empty: no word splitting
			(cd "$ros_d/$ros_b" && IFS='' && for ros_f in $ros_g; do
				[ -f "$ros_f" ] && [ ! -L "$ros_f" ] && printf '%s\n' "$ros_f"
			done) > "$ros_t/found"
			[ -s "$ros_t/found" ] || continue
			while IFS= read -r ros_f; do
				ros_n=$ros_b/$ros_f
				[ "$ros_b" = . ] && ros_n=$ros_f
				[ -f "$ros_d/$ros_n" ] || continue	# a name with a newline: not as read
				grep -qxF -- "$ros_n" "$ros_t/names" && continue
				printf '%s\n' "$ros_n" >> "$ros_t/names"
				ros_sz=$(wc -c < "$ros_d/$ros_n") || continue
				ros_sz=${ros_sz##* }
				if [ $((ros_total + ros_sz)) -gt "$3" ]; then
					printf '%s %s\n' "$ros_sz" "$ros_n" >> "$ros_t/.ros-skipped"
				else
					ros_total=$((ros_total + ros_sz))
					printf '%s\000' "$ros_n" >> "$ros_t/list"
				fi
			done < "$ros_t/found"
			break
		done
	done
	tar -c -f - -C "$ros_t" .ros-skipped -C "$ros_d" --null --no-recursion -T "$ros_t/list"
	ros_rc=$?
	rm -rf "$ros_t"
	return $ros_rc
}

# project run; stdin: "SIZE MTIME PATH" lines of the checkpoint files the
# root holds.  After its mark, a tar (nothing else) of the files of ROS_CKPT_DIR
# (ckpt/) that are new or changed since (size or mtime, to the
# nanosecond), named relative to it, plus a member .ros-now: the same
# lines for every file there now (what the root holds after this).  Names
# with a newline are left out.
ros_pull_ckpt() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_pull_mark "$2" c
	ros_t=$(mktemp -d "${TMPDIR:-/tmp}/ros-ckpt.XXXXXX") || { cat >/dev/null; tar -c -f - -T /dev/null; return 1; }
	LC_ALL=C sort > "$ros_t/have"
	(cd "$ros_d/ckpt" 2>/dev/null && find . -type f ! -name '*
*' -printf '%s %T@ %P\n') | LC_ALL=C sort > "$ros_t/.ros-now"
	LC_ALL=C comm -13 "$ros_t/have" "$ros_t/.ros-now" | cut -d' ' -f3- > "$ros_t/send"
	tar -c -f - -C "$ros_t" .ros-now -C "$ros_d/ckpt" --no-recursion --verbatim-files-from -T "$ros_t/send"
	ros_rc=$?
	rm -rf "$ros_t"
	return $ros_rc
}

# nonce project run: the checkpoint ros sent ($HOME/.ros-in/NONCE, see
# ros_snap_unpack) becomes the run's ROS_CKPT_DIR (ckpt/); what was there
# is put aside as ckpt.before.
#   ROS ckptput RUN ok | ROS ckptput RUN error WHY
ros_ckpt_put() {
	ros_in=$HOME/.ros-in/$1 ros_d=$ros_ws/runs/logs/$2/$3
	if [ ! -f "$ros_in.ok" ]; then
		rm -rf "$ros_in"
		echo "ROS ckptput $3 error the-transfer-did-not-arrive-whole"
		return
	fi
	if mkdir -p "$ros_d" && rm -rf "$ros_d/ckpt.before" &&
		{ [ ! -e "$ros_d/ckpt" ] || mv "$ros_d/ckpt" "$ros_d/ckpt.before"; } && mv "$ros_in" "$ros_d/ckpt"; then
		echo "ROS ckptput $3 ok"
	else
		echo "ROS ckptput $3 error cannot-move-it-into-$ros_d/ckpt"
	fi
	rm -rf "$ros_in" "$ros_in.ok"
}

# project run: what the run directory holds (`ros show`):
#   ROS files RUN ok +     then "SIZE NAME" per file, "dir NAME" per folder (the
#                          first 200), "more N" for the others, an end line
#   ROS files RUN missing  there is no run directory
#   ROS runjson RUN ok +   then run.json (its last 64 KiB), an end line
ros_show() {
	ros_d=$ros_ws/runs/logs/$1/$2
	if [ ! -d "$ros_d" ]; then
		echo "ROS files $2 missing"
		return
	fi
	echo "ROS files $2 ok +"
	ros_k=0
	for ros_f in "$ros_d"/* "$ros_d"/.[!.]*; do
		[ -d "$ros_f" ] || [ -f "$ros_f" ] || continue
		ros_k=$((ros_k + 1))
		[ "$ros_k" -gt 200 ] && continue
		if [ -d "$ros_f" ]; then
			echo "dir ${ros_f##*/}"
		else
			ros_sz=$(wc -c < "$ros_f" 2>/dev/null) || ros_sz=-
			echo "${ros_sz##* } ${ros_f##*/}"
		fi
	done
	[ "$ros_k" -gt 200 ] && echo "more $((ros_k - 200))"
	echo
	echo "$ros_end"
	if [ -f "$ros_d/run.json" ]; then
		echo "ROS runjson $2 ok +"
		tail -c 65536 "$ros_d/run.json"
		echo
		echo "$ros_end"
	fi
}

# stdin: a shell command (the registry's health commands); its output,
# then the end line.
ros_run_cmd() {
	IFS= read -r ros_c || ros_c=
	ros_out=$(sh -c "$ros_c" 2>&1 </dev/null)
	ros_rc=$?
	echo "ROS $1 - $ros_rc +"
	printf '%.4096s\n' "$ros_out"
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
	ros_k=0
	for ros_f in "$ros_ws"/runs/logs/*/*/pid; do
		[ -f "$ros_f" ] || continue
		[ -f "${ros_f%/pid}/exit_code" ] && continue
		ros_read "$ros_f"
		ros_alive "$ros_v" "${ros_f%/pid}" && ros_k=$((ros_k + 1))
	done
	echo "ROS busy - $ros_k"
}

# cmd...: run as root (through `sudo -n` unless this is root), with
# DEBIAN_FRONTEND=noninteractive.
ros_as_root() {
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive "$@"
	else
		sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
	fi
}

# allow_install: prepare the workspace and tools; report what was done.
ros_setup() {
	for ros_f in runs/logs runs/metrics runs/checkpoints; do
		mkdir -p "$ros_ws/$ros_f" || { echo "ROS setup - error cannot-create-$ros_ws/$ros_f"; return; }
	done
	echo "setup: workspace $ros_ws/runs/{logs,metrics,checkpoints} ready"
	ros_allow=$1
	set --
	for ros_f in git python3; do command -v "$ros_f" >/dev/null 2>&1 || set -- "$@" "$ros_f"; done
	if [ $# -gt 0 ]; then
		if [ "$ros_allow" != 1 ]; then
			echo "setup: missing: $* (not installed: the worker does not allow installs)"
		elif command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
			echo "setup: installing $* with apt-get"
			ros_as_root apt-get update -qq >/dev/null 2>&1
			ros_as_root apt-get install -y -qq "$@" >/dev/null 2>&1 || echo "setup: apt-get install failed"
		else
			echo "setup: missing: $* (no apt-get or no root: install them by hand)"
		fi
	fi
	for ros_f in git python3; do
		if command -v "$ros_f" >/dev/null 2>&1; then
			echo "setup: $ros_f: $(command -v "$ros_f")"
		else
			echo "setup: $ros_f: missing"
		fi
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
	ros_f=$HOME/.env.local
	if (umask 077 && cat > "$ros_f.tmp.$$") 2>/dev/null && ros_ck_ok "$ros_f.tmp.$$" && chmod 600 "$ros_f.tmp.$$" &&
		mv -f "$ros_f.tmp.$$" "$ros_f"; then
		echo "setup: synced ~/.env.local (mode 600, $(wc -l < "$ros_f" | tr -d ' ') lines)"
		echo "ROS env - ok"
	else
		rm -f "$ros_f.tmp.$$"
		echo "setup: cannot write $ros_f (is $HOME writable?)"
		echo "ROS env - error"
	fi
}

# project run name; stdin: the file's content (name is one of ros's own),
# written whole or not at all.
ros_put() {
	ros_d=$ros_ws/runs/logs/$1/$2
	if ! { [ -d "$ros_d" ] || mkdir -p "$ros_d"; } || ! cat > "$ros_d/$3.tmp" || ! ros_ck_ok "$ros_d/$3.tmp" ||
		! mv -f "$ros_d/$3.tmp" "$ros_d/$3"; then
		rm -f "$ros_d/$3.tmp"
	fi
}

# project run attempt kind deadline (attempt "py": a run the Python ros.py
# started); stdin: the parser's argument (a jsonl
# path, or a parser command).  What the metric parser of a finished run
# needs, read on the worker:
#   ROS collect RUN STATE RC +, then the data and an end line (see ros_tail)
# kind log:   the last 64 KiB of stdout.log (STATE log);
# kind jsonl: the last 64 KiB of the metrics file, absolute, else relative
#             to the run directory, else to the run's copy of its snapshot
#             (code/, where it ran), else to the workspace (STATE record);
# kind cmd:   the command, run by sh where the run ran (its code/ copy,
#             else the workspace) with the log on stdin
#             and ROS_RUN_DIR, ROS_LOG set, under a deadline of `deadline`
#             seconds (timeout(1) if there is one, else a watchdog that kills
#             its process group): its stdout, last 64 KiB (STATE output); or
#             the end of its stderr when it exits non-zero (STATE failed, RC
#             its status) or overruns the deadline (STATE timeout).  When the
#             workspace cannot be entered the command is not run (STATE
#             failed, RC 1, stderr saying so).
#   ROS collect RUN missing 0      no such file
#   ROS collect RUN notexited 0    this attempt has no exit code (yet)
# check-runs calls this for every run it probes: a run still running costs
# no process, a log one (tail).
ros_collect() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_v=
	[ -f "$ros_d/exit_code" ] && ros_read "$ros_d/attempt"
	# a run of the Python ros.py: an exit code and no attempt file
	[ "$3" = py ] && [ -f "$ros_d/exit_code" ] && [ -z "$ros_v" ] && ros_v=py
	if [ -z "$ros_v" ] || [ "$ros_v" != "$3" ]; then
		echo "ROS collect $2 notexited 0"
		return
	fi
	case $4 in
	log) ros_collect_file "$2" log "$ros_d/stdout.log" ;;
	jsonl)
		ros_a=$(cat)
		case $ros_a in
		/*) ros_f=$ros_a ;;
		\~/*) ros_f=$HOME/${ros_a#\~/} ;;
		*)
			ros_f=$ros_d/$ros_a
			[ -f "$ros_f" ] || ros_f=$ros_d/code/$ros_a
			[ -f "$ros_f" ] || ros_f=$ros_ws/$ros_a
			;;
		esac
		ros_collect_file "$2" record "$ros_f" ;;
	cmd)
		ros_a=$(cat)
		ros_o=$ros_d/collect.out ros_e=$ros_d/collect.err
		ros_collect_cmd "$5" "$2" "$ros_d" "$ros_o" "$ros_e"
		echo "ROS collect $2 $ros_cc_st $ros_cc_rc +"
		if [ "$ros_cc_st" = output ]; then tail -c 65536 "$ros_o"; else tail -c 2048 "$ros_e"; fi
		echo
		echo "$ros_end"
		rm -f "$ros_o" "$ros_e" ;;
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

# deadline run rundir out err: the parser command $ros_a for ros_collect
# (ros_parser), its stdout and stderr into the files out and err.  Sets
# ros_cc_st (output, failed or timeout) and ros_cc_rc (its exit status).
ros_collect_cmd() {
	ros_cc_l=$3/stdout.log
	[ -f "$ros_cc_l" ] || ros_cc_l=/dev/null
	if [ -z "${ROS_TEST_NO_TIMEOUT:-}" ] && command -v timeout >/dev/null 2>&1; then
		(ros_parser "$2" "$3" timeout -k 2 "$1") <"$ros_cc_l" >"$4" 2>"$5"
		ros_cc_rc=$?
		ros_cc_st=output
		[ "$ros_cc_rc" -eq 124 ] || [ "$ros_cc_rc" -eq 137 ] && ros_cc_st=timeout
	else
		# a process group of its own (setsid) for the watchdog to kill
		if command -v setsid >/dev/null 2>&1; then
			ros_parser "$2" "$3" setsid <"$ros_cc_l" >"$4" 2>"$5" &
		else
			ros_parser "$2" "$3" <"$ros_cc_l" >"$4" 2>"$5" &
		fi
		ros_cc_p=$!
		ros_cc_i=0
		while ros_alive "$ros_cc_p" && [ "$ros_cc_i" -lt "$(($1 * 10))" ]; do
			sleep 0.1
			ros_cc_i=$((ros_cc_i + 1))
		done
		ros_cc_st=output
		if ros_alive "$ros_cc_p"; then
			ros_cc_st=timeout
			kill -TERM -"$ros_cc_p" 2>/dev/null || kill -TERM "$ros_cc_p" 2>/dev/null
			ros_cc_i=0
			while ros_alive "$ros_cc_p" && [ "$ros_cc_i" -lt 20 ]; do
				sleep 0.1
				ros_cc_i=$((ros_cc_i + 1))
			done
			kill -KILL -"$ros_cc_p" 2>/dev/null || kill -KILL "$ros_cc_p" 2>/dev/null
		fi
		wait "$ros_cc_p"
		ros_cc_rc=$?
	fi
	[ "$ros_cc_st" = output ] && [ "$ros_cc_rc" -ne 0 ] && ros_cc_st=failed
	return 0
}

# run rundir [prefix...]: become the parser command $ros_a (exec), run as
# `prefix... sh -c "$ros_a"` where the run ran (its copy of its snapshot,
# else the workspace) with ROS_RUN_DIR, ROS_LOG and
# ROS_RUN_ID set and output files capped (ulimit -f: a few MiB, so that a
# runaway parser cannot fill the disk).  It changes directory and exits:
# only ever called in a subshell.  When the workspace cannot be entered it
# says so on stderr and exits 1: the command is never run elsewhere.
ros_parser() {
	if [ -d "$2/code" ] && cd "$2/code" 2>/dev/null; then
		:
	elif ! cd "$ros_ws" 2>/dev/null; then
		echo "ros: cannot enter the workspace $ros_ws: parser command not run" >&2
		exit 1
	fi
	ulimit -f 4096 2>/dev/null
	ros_pa_run=$1 ros_pa_dir=$2
	shift 2
	ROS_RUN_DIR=$ros_pa_dir ROS_LOG=$ros_pa_dir/stdout.log ROS_RUN_ID=$ros_pa_run exec "$@" sh -c "$ros_a"
}
