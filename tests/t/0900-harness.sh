#!/bin/sh
# The test harness itself: real sshd workers on loopback (tests/lib/sshd.sh),
# the ssh invocation counter (tests/lib/ssh-counter) and a real single-node
# Slurm (tests/lib/slurm.sh).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/slurm.sh"
. "$TOP/tests/lib/match.sh"

sshd_setup_user

# --- three workers: two addresses, two ports on the second one ------------
sshd_start a 127.0.0.1 0
sshd_start b 127.0.0.2 0
sshd_start c 127.0.0.2 "$(sshd_free_port)"
check_match "distinct ports" "$SSHD_a_PORT $SSHD_b_PORT $SSHD_c_PORT" \
	"^([0-9]+) ([0-9]+) ([0-9]+)$"
check "b and c differ in port" [ "$SSHD_b_PORT" != "$SSHD_c_PORT" ]
check_eq "port file of a" "$(cat "$T/sshd/a/port")" "$SSHD_a_PORT"
check "listener a is alive" proc_alive "$SSHD_a_PID"
check_eq "listener runs as rostest" "$(ps -o user= -p "$SSHD_a_PID")" rostest

for w in a b c; do
	eval "addr=\$SSHD_${w}_ADDR port=\$SSHD_${w}_PORT"
	check "ssh $w" sshd_ssh "$w" 'echo "$SSH_CONNECTION"; id -un'
	check_re "worker $w answers on $addr:$port" "$OUT" "^[0-9.]+ [0-9]+ $addr $port
rostest$"
done
check "ssh a: plain sh environment" sshd_ssh a 'echo "$0|$PATH|$ROS_TEST_WORKER"'
check_eq "remote shell, PATH, worker mark" "$OUT" "sh|/usr/local/bin:/usr/bin:/bin:/usr/games|$T/sshd/a"

# --- per-worker session environment and sshd_config lines ---------------------
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho fake GPU\n' > "$T/fakebin/nvidia-smi"
chmod 755 "$T/fakebin/nvidia-smi"
sshd_start e 127.0.0.5 0 "env:PATH=$T/fakebin:/usr/bin:/bin" env:ROS_TEST_FLAVOUR=e
check "ssh e" sshd_ssh e 'echo "$PATH|$ROS_TEST_FLAVOUR|$ROS_TEST_WORKER"; nvidia-smi'
check_eq "env: reaches the session, PATH included" "$OUT" "$T/fakebin:/usr/bin:/bin|e|$T/sshd/e
fake GPU"
sshd_start f 127.0.0.5 0 -o 'AllowUsers nobody'
check_exit 255 "-o line is in force (AllowUsers nobody)" sshd_ssh f true
check_match "-o: permission denied" "$ERR" "Permission denied"
sshd_stop e
sshd_stop f

# --- workers.yaml entry ----------------------------------------------------
y=$(sshd_worker_yaml b w2 test 2 "$T/ws/w2")
check_re "yaml entry" "$y" "^  - worker_id: w2
    kind: ssh
    enabled: true
    worker_pool: test
    ssh:
      host: 127.0.0.2
      port: $SSHD_b_PORT
      user: rostest
      key: $SSHD_KEY
    workspace: $T/ws/w2
    slots: 2
    resources:
      gpu: 2
    health:
      heartbeat_command: \"echo ok\"$"
check_eq "workspace owned by rostest" "$(stat -c %U "$T/ws/w2")" rostest
check "rostest can write the workspace" sshd_ssh b "touch $T/ws/w2/f"

# --- ssh-counter -----------------------------------------------------------
count_ssh_procs_start
check_eq "counter starts at 0" "$(ssh_count)" 0
# shellcheck disable=SC2046
for w in a b c; do
	eval "addr=\$SSHD_${w}_ADDR port=\$SSHD_${w}_PORT"
	"$ROS_SSH" $(sshd_ssh_opts) -p "$port" "rostest@$addr" true
done
pids=
for _ in 1 2 3 4; do
	# shellcheck disable=SC2046
	"$ROS_SSH" $(sshd_ssh_opts) -p "$SSHD_a_PORT" rostest@127.0.0.1 'echo one
echo two' >/dev/null &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
check_eq "7 invocations counted (4 of them concurrent)" "$(ssh_count)" 7
check_eq "5 of them to worker a" "$(ssh_count "-p $SSHD_a_PORT rostest@127.0.0.1")" 5
check_eq "1 of them to worker b" "$(ssh_count "-p $SSHD_b_PORT ")" 1
check_match "log line holds the argv" "$(tail -n 1 "$SSH_COUNT_LOG")" "^[0-9]+ -F /dev/null .* rostest@127.0.0.1 echo one echo two$"
count_ssh_procs_stop
check_eq "ROS_SSH unset" "${ROS_SSH:-unset}" unset

# --- hung worker: SIGSTOP the listener --------------------------------------
sshd_pause b
t0=$(date +%s%N)
check_exit 255 "paused worker: ssh fails with 255" sshd_ssh b -o ConnectTimeout=2 true
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_match "paused worker: timeout message" "$ERR" "timed out during banner exchange"
in_time=no
[ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] && in_time=yes
check_eq "paused worker: fails after the 2 s timeout, not before (${ms} ms)" "$in_time" yes
sshd_resume b
check "resumed worker answers" sshd_ssh b 'echo back'
check_eq "resumed worker output" "$OUT" back

# --- port change: same host key, new port ---------------------------------
old=$SSHD_c_PORT
sshd_restart c 0
check "restart picked a new port" [ "$SSHD_c_PORT" != "$old" ]
check_eq "port file follows" "$(cat "$T/sshd/c/port")" "$SSHD_c_PORT"
# shellcheck disable=SC2046
check_exit 255 "old port refused" /usr/bin/ssh $(sshd_ssh_opts) -p "$old" rostest@127.0.0.2 true
check_match "old port: connection refused" "$ERR" "refused"
check "new port answers" sshd_ssh c 'echo "$SSH_CONNECTION"'
check_match "new port in SSH_CONNECTION" "$OUT" " 127.0.0.2 $SSHD_c_PORT$"
check "ssh-keyscan the new port" ssh-keyscan -T 3 -t ed25519 -p "$SSHD_c_PORT" 127.0.0.2
check_eq "same host key after restart" "$(echo "$OUT" | awk '{print $3}')" "$(awk '{print $2}' "$T/sshd/c/host_ed25519.pub")"

# --- sshd_stop: listener gone, a detached job lives on ----------------------
check "detached job on b" sshd_ssh b 'setsid sleep 100 </dev/null >/dev/null 2>&1 & echo $!'
job_b=$OUT
bpid=$SSHD_b_PID
sshd_stop b
check_fail "stopped listener is gone" proc_alive "$bpid"
check_exit 255 "stopped worker refuses" sshd_ssh b true
check "stop leaves detached jobs running" proc_alive "$job_b"

# --- worker going away: kill -9 everything started through it ---------------
check "detached job on a" sshd_ssh a 'setsid sleep 100 </dev/null >/dev/null 2>&1 & echo $!'
job_a=$OUT
check "detached job is alive" proc_alive "$job_a"
sshd_ssh a 'sleep 100' </dev/null >/dev/null 2>&1 &
client=$!
# the mark, the session's sleep and the detached sleep: 2 processes of a's
two_procs_on_a() { [ "$(sshd_worker_procs a | wc -l)" -ge 2 ]; }
check "foreground session started" wait_for 10 two_procs_on_a
apid=$SSHD_a_PID
sshd_kill_all_sessions a
check_fail "listener a is gone" proc_alive "$apid"
check_fail "detached job on a is gone" proc_alive "$job_a"
check_eq "nothing of a's left" "$(sshd_worker_procs a)" ""
wait "$client"
check_eq "client of the killed session: exit 255" "$?" 255
check_exit 255 "killed worker refuses" sshd_ssh a -o ConnectTimeout=2 true
check "b's detached job untouched" proc_alive "$job_b"

# --- at_exit cleanup, also when the test fails -------------------------------
cat > "$T/inner.sh" <<'EOF'
. "$TOP/tests/lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
sshd_start x 127.0.0.4 0
sshd_ssh x 'setsid sleep 100 </dev/null >/dev/null 2>&1 & echo $!' > "$1/inner.job"
echo "$SSHD_x_PID" > "$1/inner.sshd"
sshd_pause x
check "a failing check" false
done_testing
EOF
check_fail "inner test fails" env TOP="$TOP" sh "$T/inner.sh" "$T"
check_match "inner test printed not ok" "$OUT" "^not ok - a failing check"
check_fail "inner test's paused sshd is gone" proc_alive "$(cat "$T/inner.sshd")"
check_fail "inner test's detached job is gone" proc_alive "$(cat "$T/inner.job")"

# --- Slurm ---------------------------------------------------------------------
if why=$(slurm_unavailable); then
	echo "# SKIP $why"
	done_testing
	exit
fi
t0=$(date +%s%N)
slurm_up
echo "# slurm up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "SLURM_CONF is exported" sh -c '[ -f "$SLURM_CONF" ]'
pc=$(sed -n 's/^SlurmctldPort=//p' "$SLURM_CONF")
pd=$(sed -n 's/^SlurmdPort=//p' "$SLURM_CONF")
check_nomatch "not the default ports ($pc $pd)" "$pc $pd" "6817|6818"
listen=$(ss -Hltn | awk '{print $4}' | grep -E ":($pc|$pd)\$" | sort)
check_eq "daemons listen on 127.0.0.1 only" "$listen" "$(printf '127.0.0.1:%s\n' "$pc" "$pd" | sort)"
check_eq "node idle" "$(timeout 5 sinfo -h -o %t)" idle

j1=$(sbatch --parsable -o "$TEST_SLURM_JOBS/%j.out" --wrap 'echo hi; exit 3')
check_match "sbatch --parsable prints a job id" "$j1" "^[0-9]+$"
check "job exiting 3 ends" slurm_wait_job "$j1" 20
check "scontrol show job" scontrol show job "$j1"
check_match "scontrol: ExitCode=3:0" "$OUT" "ExitCode=3:0"
check_match "scontrol: FAILED" "$OUT" "JobState=FAILED"
check "sacct -c sees it" wait_for 5 sh -c "sacct -c -n -j $j1 -o State | grep -q FAILED"
check "sacct -c" sacct -c -n -j "$j1" -o State,ExitCode
check_match "sacct -c: FAILED 3:0" "$OUT" "FAILED +3:0"
check_eq "job output" "$(cat "$TEST_SLURM_JOBS/$j1.out")" hi

sshd_start d 127.0.0.3 0 slurm
check "remote shell has SLURM_CONF" sshd_ssh d 'echo "$SLURM_CONF"'
check_eq "SLURM_CONF over ssh" "$OUT" "$SLURM_CONF"
check "sbatch over ssh" sshd_ssh d "sbatch --parsable -o $TEST_SLURM_JOBS/%j.out --wrap 'id -un; exit 5'"
j2=$OUT
check "job submitted over ssh ends" slurm_wait_job "$j2" 20
check "scontrol show job (over ssh)" sshd_ssh d "scontrol show job $j2"
check_match "job ran as rostest" "$OUT" "UserId=rostest\("
check_match "its ExitCode=5:0" "$OUT" "ExitCode=5:0"
check_eq "its output" "$(cat "$TEST_SLURM_JOBS/$j2.out")" rostest
check "squeue over ssh" sshd_ssh d "squeue -h -t all -j $j2 -o %T"
check_eq "squeue: FAILED" "$OUT" FAILED

# two long jobs: one to cancel, one left running for slurm_down
j3=$(sbatch --parsable -o /dev/null --wrap 'sleep 300')
j4=$(sbatch --parsable -o /dev/null --wrap 'sleep 300')
check "long jobs run" wait_for 10 sh -c "[ \"\$(squeue -h -j $j3,$j4 -t running -o %i | wc -l)\" = 2 ]"
check "scancel" scancel "$j3"
check "cancelled job ends" slurm_wait_job "$j3" 10
check_eq "state CANCELLED" "$(slurm_job_state "$j3")" CANCELLED
check "job processes of this Slurm exist" [ -n "$(slurm_procs)" ]

daemons="$TEST_SLURMCTLD_PID $TEST_SLURMD_PID $TEST_MUNGED_PID"
t0=$(date +%s%N)
slurm_down
echo "# slurm down in $(( ($(date +%s%N) - t0) / 1000000 )) ms (a job still running)"
for p in $daemons; do check_fail "daemon $p is gone" proc_alive "$p"; done
check_eq "no process of this Slurm left (daemons, steps, jobs)" "$(slurm_procs)" ""
check_eq "nothing mentions its dir" \
	"$(ps -eo stat=,args= | grep -F "$TEST_SLURM_DIR" | grep -v '^Z' | grep -vF 'grep -F')" ""
check_eq "SLURM_CONF unset" "${SLURM_CONF:-unset}" unset

done_testing
