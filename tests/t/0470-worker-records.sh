#!/bin/sh
# A worker speaks only for its own runs: records it prints about runs that
# were not in its batch (correctly framed, with the script's end word) are
# ignored and warned about, in dispatch-runs, check-runs and cancel.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
for w in w1 w2; do sshd_worker_yaml $w $w f 1 "$T/ws-$w" >> workers/workers.yaml; done
# every ssh call to w2 goes through the stand-in, which appends $T/forge
export ROS_SSH="$TOP/tests/lib/ssh-fault" SSH_FAULT_ONLY="$(cat "$T/sshd/w2/addr")" SSH_FAULT_FORGE="$T/forge"
: > "$T/forge"

# --- dispatch: w2 says w1's run vanished -----------------------------------
check "a run for w1" "$ROS" add-run --project-id p --worker-pool f --command 'sleep 4; echo MSE=0.5'
r1=$OUT
check "a run for w2" "$ROS" add-run --project-id p --worker-pool f --command 'sleep 30'
r2=$OUT
printf 'ROS launch %s vanished 0\n' "$r1" > "$T/forge"
check "dispatch both" "$ROS" dispatch-runs
check_match "r1 went to w1" "$OUT" "^dispatched $r1 → w1"
check_match "r2 went to w2" "$OUT" "^dispatched $r2 → w2"
check_eq "r1 is running, not stale" "$(field "$r1" status)" running
check_match "the forged record is reported" "$ERR" "worker w2 answered about run '$r1', which it was not asked about"

# --- check-runs: w2 says w1's run finished, with metrics -------------------
cat > "$T/forge" <<EOF2
ROS probe $r1 exited 0 0 2026-01-01T00:00:00Z 2026-01-01T00:00:01Z +
forged tail
@END@
ROS collect $r1 log 0 +
MSE=0.0
@END@
EOF2
check "check-runs" "$ROS" check-runs
check_eq "r1 still running" "$(field "$r1" status)" running
check_eq "no metrics for it" "$(field "$r1" metrics)" ""
check_nomatch "nothing forged printed" "$OUT" "forged tail"
check_match "warned" "$ERR" "worker w2 answered about run '$r1'"
check "r1 finishes on w1" wait_for 20 sh -c "'$ROS' check-runs >/dev/null 2>&1; [ \"\$(grep -c '\"status\": \"done\"' queues/run_queue.json)\" = 1 ]"
check_eq "its real metric, not w2's" "$(jq_py queues/run_queue.json "[r['metrics']['MSE'] for r in d if r['id']=='$r1'][0]")" 0.5

# --- cancel: w2 says w1's run was terminated --------------------------------
check "a long run for w1" "$ROS" add-run --project-id p --worker-pool f --command 'sleep 30; echo second'
r3=$OUT
check "dispatch it" "$ROS" dispatch-runs
check_match "to w1" "$OUT" "^dispatched $r3 → w1"
check "its process runs" proc_alive "$(field "$r3" pid)"
printf 'ROS cancel %s notrunning 0\n' "$r3" > "$T/forge"
check "cancel r3 (on w1) and r2 (on w2)" "$ROS" cancel "$r3" "$r2"
check_match "r3 was terminated on w1" "$OUT" "^$r3: cancelled$"
p3=$(field "$r3" pid)
check "r3's process is gone" procs_gone 5 "$p3"
done_testing
