#!/bin/sh
# A script cut short in transit executes nothing: the worker's shell gets
# the whole batch script or a syntax error, a file written from a
# here-document is used only when its content arrived whole, and the
# dispatcher never records such a launch as running.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
sshd_start w1 127.0.0.1 0
sshd_worker_yaml w1 w1 cut 1 "$T/ws" >> workers/workers.yaml
sshd_workspace "$T/ws"
mkdir -p "$T/ws/victim/cache_old" "$T/ws/marks"
: > "$T/ws/victim/keep"
chmod -R 777 "$T/ws/victim" "$T/ws/marks"
# The dangerous command of the report: cut after "rm -rf victim/" it would
# delete the whole directory.  Paths are relative to the workspace (where
# run.sh starts), so that no cut of them can reach beyond it.
check "a run whose command ends in rm -rf" "$ROS" add-run --project-id p --worker-pool cut \
	--command "echo started >> marks/log && rm -rf victim/cache_old"
run=$OUT
FAULT=$TOP/tests/lib/ssh-fault

# --- the launch script as ros sends it (cut at 0: nothing arrives) ---
check_exit 1 "dispatch with nothing arriving" env ROS_SSH="$FAULT" SSH_FAULT_SAVE="$T/full.sh" SSH_FAULT_CUT=0 \
	"$ROS" dispatch-runs
check_eq "not recorded as running" "$(field "$run" status | grep -c running)" 0
check "the script was captured" test -s "$T/full.sh"
check "check-runs settles it" "$ROS" check-runs
check_eq "back to pending" "$(field "$run" status)" pending

# Every cut of the script before its last line, fed to the worker's shells
# (dash and bash, as the worker user): nothing may start, nothing may be
# written outside the run directory, the victim directory must survive.
cat > "$T/sweep.sh" <<'SWEEP'
# sweep.sh SHELL FULL WS MARKS VICTIM RUNDIR OFFSETS...
sh=$1 full=$2 ws=$3 marks=$4 victim=$5 rundir=$6
shift 6
bad=0 first=
reset() {
	find "$ws" -mindepth 1 -maxdepth 1 ! -path "$victim" ! -path "$marks" -exec rm -rf {} +
	find "$marks" -mindepth 1 -exec rm -rf {} +
	mkdir -p "$victim/cache_old" && : > "$victim/keep"
}
reset
for off; do
	head -c "$off" "$full" | $sh -s >/dev/null 2>&1
	if [ -e "$rundir/launched" ] || [ -e "$rundir/pid" ]; then
		# a launch: let it run its course before looking
		i=0
		while [ ! -e "$rundir/exit_code" ] && [ $i -lt 50 ]; do sleep 0.02; i=$((i + 1)); done
	fi
	# anything but the run directory, its parents and the test's own files
	outside=$(find "$ws" -mindepth 1 ! -path "$rundir/*" ! -path "$rundir" ! -path "$ws/runs" \
		! -path "$ws/runs/logs" ! -path "$ws/runs/logs/p" ! -path "$victim" ! -path "$victim/*" \
		! -path "$marks" ! -path "$marks/log" | head -n 1)
	if [ -e "$rundir/launched" ] || [ -e "$rundir/pid" ] || [ -e "$rundir/run.sh" ] || [ -e "$marks/log" ] ||
		[ ! -e "$victim/keep" ] || [ -n "$outside" ]; then
		bad=$((bad + 1))
		[ -z "$first" ] && first="$off:$(ls "$rundir" 2>/dev/null | tr '\n' ,)${outside:+ outside=$outside}"
		reset
	fi
done
echo "$bad $first"
SWEEP
offsets=$("$PY" - "$T/full.sh" <<'PYEOF'
import sys
s = open(sys.argv[1], 'rb').read()
calls = s.index(b'\nros_set_ws ')          # where the calls begin
last = s.rindex(b'\n', 0, len(s) - 1) + 1  # where its last line begins
offs = list(range(0, calls, 23)) + list(range(calls, last))
print(' '.join(map(str, offs)))
PYEOF
)
chmod 644 "$T/full.sh" "$T/sweep.sh"
noffs=$(echo "$offsets" | wc -w)
rundir=$T/ws/runs/logs/p/$run
for sh in dash bash; do
	# shellcheck disable=SC2086
	res=$(setpriv --reuid=rostest --regid=rostest --init-groups -- sh "$T/sweep.sh" "$sh" "$T/full.sh" "$T/ws" \
		"$T/ws/marks" "$T/ws/victim" "$rundir" $offsets)
	check_eq "$sh: none of $noffs cuts of the launch script starts anything or writes outside the run dir" \
		"${res%% *}" 0
	[ "${res%% *}" = 0 ] || echo "#   first bad cut: ${res#* }"
done

# A here-document that arrives whole but not as sent (a full disk, say: its
# cksum differs) is not used either.
"$PY" - "$T/full.sh" "$T/tampered.sh" <<'PYEOF'
import re, sys
s = open(sys.argv[1]).read()
i = s.index('\nros_launch ')
j = s.rindex("ros_ck='", 0, i)
k = s.index("'", j + 8)
open(sys.argv[2], 'w').write(s[:j] + "ros_ck='1 1'" + s[k + 1:])
PYEOF
chmod 644 "$T/tampered.sh"
res=$(setpriv --reuid=rostest --regid=rostest --init-groups -- sh -s < "$T/tampered.sh" 2>&1)
check_match "a run.sh whose cksum differs: launch refused" "$res" "^ROS launch $run error "
check "and nothing written from it is used" test ! -e "$rundir/run.sh" -a ! -e "$rundir/launched" -a ! -e "$T/ws/marks/log"
rm -rf "$T/ws/runs"

# --- cut in transit through the real ssh, at chosen points ---
pos() { "$PY" -c "import sys; print(open(sys.argv[1],'rb').read().rindex(sys.argv[2].encode()) + int(sys.argv[3]))" "$T/full.sh" "$1" "$2"; }
for spec in "lib:ros_alive() {:5" "run.json:\"project_id\": \"p\":3" "run.sh:rm -rf victim/:14" \
	"launch:ros_launch p $run:3"; do
	name=${spec%%:*} rest=${spec#*:}
	at=$(pos "${rest%:*}" "${rest##*:}")
	check_exit 1 "dispatch cut inside $name (byte $at)" env ROS_SSH="$FAULT" SSH_FAULT_CUT="$at" "$ROS" dispatch-runs
	check_nomatch "cut inside $name: not reported dispatched" "$OUT" "^dispatched $run"
	check_eq "cut inside $name: not recorded as running" "$(field "$run" status | grep -c running)" 0
	check "cut inside $name: check-runs settles it" "$ROS" check-runs
	check_eq "cut inside $name: back to pending, same attempt" "$(field "$run" status)/$(field "$run" attempt)" "pending/0"
	check "cut inside $name: nothing started" test ! -e "$T/ws/marks/log"
	check "cut inside $name: the victim directory is intact" test -e "$T/ws/victim/keep"
done

# --- the whole script: the run starts once and does what it says ---
check "dispatch, nothing cut" "$ROS" dispatch-runs
check_match "dispatched" "$OUT" "^dispatched $run → w1"
check "it finishes" drive 20
check_eq "ran exactly once" "$(cat "$T/ws/marks/log")" started
check "cache_old removed" test ! -e "$T/ws/victim/cache_old"
check "the rest kept" test -e "$T/ws/victim/keep"
done_testing
