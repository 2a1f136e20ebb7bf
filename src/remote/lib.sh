# ros worker-side functions.  ros sends this file, followed by calls to
# these functions, to `sh -s` on the worker (through ssh, or directly for a
# local worker): one process per worker for a whole batch of runs.
# Values (workspace, commands, env files) arrive in quoted here-documents
# and are only ever written to files or read with `read -r`: nothing that
# comes from a queue or a registry is parsed as shell here.  Run ids and
# project ids are checked by ros ([A-Za-z0-9_.-]) before they get here.
#
# Output: records "ROS <op> <run> <fields...>"; a record that ends with a
# byte count N is followed by exactly N bytes of data and a newline.
umask 022
ros_ws=

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

# pid [rundir]: a live process that is not a zombie (and runs that run's
# wrapper, where /proc tells).  A zombie is dead: an exited job can stay a
# zombie for a while when PID 1 reaps late.
ros_alive() {
	[ -n "$1" ] && [ "$1" != 0 ] || return 1
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
		case $s in Z|X|"") return 1 ;; esac
		if [ -n "${2:-}" ] && [ -r "/proc/$1/cmdline" ]; then
			tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF "$2/wrapper.sh" || return 1
		fi
	fi
	return 0
}

# Print "<bytes>\n<data>\n" for the last lines of a file (at most 16 KiB).
ros_tail() {
	if [ -f "$1" ]; then
		tail -c 16384 "$1" 2>/dev/null | tail -n "$2" > "$1.tail" 2>/dev/null
		n=$(wc -c < "$1.tail" | tr -d ' ')
	else
		n=0
	fi
	echo "$n"
	[ "$n" -gt 0 ] && cat "$1.tail"
	rm -f "$1.tail"
	echo
}

ros_write_wrapper() {
	cat > "$1/wrapper.sh" <<'ROS_WRAPPER'
#!/bin/sh
# Written by ros: runs run.sh, records pid, start and end times, exit code.
# ROS_RUN_DIR: under Slurm, $0 is a copy in slurmd's spool directory.
cd "${ROS_RUN_DIR:-$(dirname "$0")}" || exit 111
rm -f exit_code ended_at
echo $$ > pid.tmp && mv -f pid.tmp pid
date -u +%Y-%m-%dT%H:%M:%SZ > started_at
trap 'ros_term=1' TERM INT HUP
if command -v bash >/dev/null 2>&1; then bash ./run.sh; else sh ./run.sh; fi
rc=$?
date -u +%Y-%m-%dT%H:%M:%SZ > ended_at
echo "$rc" > exit_code.tmp && mv -f exit_code.tmp exit_code
exit "$rc"
ROS_WRAPPER
}

# project run attempt; stdin: run.sh.  Idempotent: an attempt that was
# launched before (it has a pid, or an exit code) is reported, not started.
ros_launch() {
	d=$(ros_dir "$1" "$2")
	if ! mkdir -p "$d" 2>/dev/null; then
		cat >/dev/null
		echo "ROS launch $2 error 0 cannot-create-$d"
		return
	fi
	if [ "$(cat "$d/attempt" 2>/dev/null)" = "$3" ] && { [ -f "$d/pid" ] || [ -f "$d/exit_code" ] || [ -f "$d/launched" ]; }; then
		cat >/dev/null
		p=$(cat "$d/pid" 2>/dev/null || cat "$d/launched" 2>/dev/null)
		if [ -f "$d/exit_code" ]; then
			echo "ROS launch $2 finished ${p:-0} $(cat "$d/exit_code")"
		elif ros_alive "$p" "$d"; then
			echo "ROS launch $2 running ${p:-0}"
		else
			echo "ROS launch $2 vanished ${p:-0}"
		fi
		return
	fi
	if [ -f "$d/attempt" ]; then
		a=$(cat "$d/attempt")
		for f in stdout.log exit_code pid started_at ended_at launched; do
			[ -f "$d/$f" ] && mv -f "$d/$f" "$d/$f.attempt$a"
		done
	fi
	if ! cat > "$d/run.sh" || ! ros_write_wrapper "$d"; then
		echo "ROS launch $2 error 0 cannot-write-$d"
		return
	fi
	echo "$3" > "$d/attempt"
	ROS_WORKSPACE=$ros_ws ROS_RUN_DIR=$d setsid sh "$d/wrapper.sh" </dev/null >"$d/stdout.log" 2>&1 &
	echo "$!" > "$d/launched"
	echo "ROS launch $2 started $!"
}

# project run attempt nlines [pid]: the state of one run and its log tail.
#   ROS probe RUN STATE PID EXIT STARTED ENDED BYTES
# STATE: running, exited, vanished (no process, no exit code),
# notstarted (this attempt was never launched here).
ros_probe() {
	d=$(ros_dir "$1" "$2")
	st=notstarted p=${5:-0} code=- started=- ended=-
	if [ -d "$d" ] && [ "$(cat "$d/attempt" 2>/dev/null)" = "$3" ]; then
		p=$(cat "$d/pid" 2>/dev/null || cat "$d/launched" 2>/dev/null || echo "${5:-0}")
		if ros_alive "$p" "$d"; then
			st=running
		elif [ -f "$d/exit_code" ]; then
			st=exited
			code=$(cat "$d/exit_code")
		elif [ -f "$d/pid" ] || [ -f "$d/launched" ]; then
			sleep 0.2	# the wrapper may be between its last two lines
			if [ -f "$d/exit_code" ]; then st=exited; code=$(cat "$d/exit_code"); else st=vanished; fi
		fi
		[ -f "$d/started_at" ] && started=$(cat "$d/started_at")
		[ -f "$d/ended_at" ] && ended=$(cat "$d/ended_at")
	fi
	printf 'ROS probe %s %s %s %s %s %s ' "$2" "$st" "${p:-0}" "${code:--}" "${started:--}" "${ended:--}"
	ros_tail "$d/stdout.log" "$4"
}

# project run grace_seconds: SIGTERM to the run's process group, SIGKILL
# after the grace period.
ros_cancel() {
	d=$(ros_dir "$1" "$2")
	p=$(cat "$d/pid" 2>/dev/null || cat "$d/launched" 2>/dev/null)
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

# project run nlines follow: the run's log (raw), following it to the end.
ros_logs() {
	d=$(ros_dir "$1" "$2")
	if [ ! -f "$d/stdout.log" ]; then
		echo "ros: no log for $2 in $d" >&2
		return 3
	fi
	if [ "$4" = 1 ]; then
		tail -n "$3" -f "$d/stdout.log" &
		t=$!
		while [ ! -f "$d/exit_code" ] && ros_alive "$(cat "$d/pid" 2>/dev/null)" "$d"; do sleep 0.5; done
		sleep 0.6
		kill "$t" 2>/dev/null
		wait "$t" 2>/dev/null
	else
		tail -n "$3" "$d/stdout.log"
	fi
	return 0
}

# stdin: a shell command (the registry's health commands); its output framed.
ros_run_cmd() {
	IFS= read -r ros_c || ros_c=
	out=$(sh -c "$ros_c" 2>&1 </dev/null | head -c 4096)
	rc=$?
	n=$(printf '%s' "$out" | wc -c | tr -d ' ')
	echo "ROS $1 - $rc $n"
	printf '%s' "$out"
	echo
}

# GPUs: "ROS gpu - N BYTES" then nvidia-smi's CSV lines.
ros_gpu() {
	if command -v nvidia-smi >/dev/null 2>&1; then
		out=$(nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits 2>/dev/null)
	else
		out=
	fi
	n=$(printf '%s' "$out" | wc -c | tr -d ' ')
	echo "ROS gpu - 0 $n"
	printf '%s' "$out"
	echo
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
	(umask 077 && cat > "$HOME/.env.local.tmp.$$") && chmod 600 "$HOME/.env.local.tmp.$$" &&
		mv -f "$HOME/.env.local.tmp.$$" "$HOME/.env.local" &&
		echo "setup: synced ~/.env.local (mode 600, $(wc -l < "$HOME/.env.local" | tr -d ' ') lines)"
}

# project run name; stdin: the file's content (name is one of ros's own).
ros_put() {
	d=$(ros_dir "$1" "$2")
	mkdir -p "$d" && cat > "$d/$3.tmp" && mv -f "$d/$3.tmp" "$d/$3"
}
