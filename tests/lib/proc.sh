# proc.sh - process and port helpers for the integration-test harness.
# Sourced by sshd.sh and slurm.sh (after testlib.sh, which sets $T).
#
#   free_port                    print a free TCP port (20000-31999) not yet handed out in this test
#   proc_alive PID               true if PID exists and is not a zombie
#   procs_gone SECS PID...       wait until none of PID... is alive (zombies count as dead);
#                                reap those that are our children; false on timeout
#   proc_descendants PID         print the PIDs of every descendant of PID, one a line
#   pids_with_env VAR=VALUE...   print PIDs whose environment holds one of the exact VAR=VALUE
#   kill_wait SECS PID...        SIGTERM (and SIGCONT), wait SECS, then SIGKILL what is left and wait
#
# PID 1 on the test machines reaps orphans late (1-2 s), so an orphan that has
# exited still answers `kill -0`: every liveness check here reads the state
# field of /proc/PID/stat and treats Z as dead.

proc_alive() {
	_pa_s=
	{ read -r _pa_s < "/proc/$1/stat"; } 2>/dev/null || return 1
	_pa_s=${_pa_s##*) }
	[ "${_pa_s%% *}" != Z ] && [ "${_pa_s%% *}" != X ]
}

procs_gone() {
	_pg_end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while :; do
		_pg_left=
		for _pg_p; do proc_alive "$_pg_p" && _pg_left="$_pg_left $_pg_p"; done
		[ -z "$_pg_left" ] && break
		[ $(( $(date +%s%N) / 1000000 )) -ge $_pg_end ] && return 1
		sleep 0.02
	done
	# Reap our own children now, so that they do not linger as zombies.
	# (wait on a PID that is not our child returns 127 at once.)
	for _pg_p; do wait "$_pg_p" 2>/dev/null; done
	return 0
}

proc_descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1 }
		END {
			n = split(kids[root], q, " ")
			for (i = 1; i <= n; i++) {
				print q[i]
				m = split(kids[q[i]], more, " ")
				for (j = 1; j <= m; j++) q[++n] = more[j]
			}
		}'
}

pids_with_env() {
	_pe_args=
	for _pe_kv; do _pe_args="$_pe_args -e $_pe_kv"; done
	# grep -z reads NUL-separated lines; -x: the whole VAR=VALUE entry.
	# shellcheck disable=SC2086
	grep -lzxF $_pe_args /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's#^/proc/\([0-9]*\)/environ$#\1#p' | grep -vx "$$"
}

kill_wait() {
	_kw_secs=$1; shift
	[ $# -eq 0 ] && return 0
	kill -TERM "$@" 2>/dev/null
	kill -CONT "$@" 2>/dev/null
	procs_gone "$_kw_secs" "$@" && return 0
	kill -KILL "$@" 2>/dev/null
	procs_gone 5 "$@"
}

free_port() {
	_fp_claimed="$T/.ports-claimed"
	_fp_i=0
	while [ $_fp_i -lt 200 ]; do
		_fp_i=$((_fp_i + 1))
		_fp_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_fp_p=$((20000 + _fp_r % 12000))
		# In use by any socket (either end) on this machine?
		_fp_hex=$(printf ':%04X ' "$_fp_p")
		grep -q "$_fp_hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null && continue
		# Already handed out in this test (possibly not bound yet)?
		grep -qx "$_fp_p" "$_fp_claimed" 2>/dev/null && continue
		echo "$_fp_p" >> "$_fp_claimed"
		echo "$_fp_p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}
