#!/bin/sh
# retry and cancel by filters (--status, --project, --worker), --dry-run, and
# what cancel says of a run that had already finished.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p1 research/p2 && : > research/p1/project.yaml && : > research/p2/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=2
sshd_start a 127.0.0.5 0
sshd_worker_yaml a wa pa 8 "$T/ws-a" >> workers/workers.yaml
ids() { jq_py queues/run_queue.json "' '.join(sorted(r['id'] for r in d if $1))"; }
statuses() { jq_py queues/run_queue.json "' '.join(r['status'] for r in d if $1)"; }

# ---- usage ----
check_exit 2 "cancel without runs or filters" "$ROS" cancel
check_match "says what it needs" "$ERR" "run ids, or filters"
check_exit 2 "retry without runs or filters" "$ROS" retry
check_exit 2 "ids and filters together" "$ROS" cancel r0000000 --status running
check_exit 2 "cancel --status done: finished runs cannot be cancelled" "$ROS" cancel --status done
check_match "and says which can" "$ERR" "pending, dispatching or running"
check_exit 2 "retry --status running" "$ROS" retry --status running
check_exit 2 "an empty --status" "$ROS" retry --status ,

# ---- cancel of runs that had already finished ----
check "a quick run" "$ROS" add-run --project-id p1 --worker-pool local --command 'echo quick'
quick=$OUT
check "and one more" "$ROS" add-run --project-id p1 --worker-pool local --command 'echo quick2'
quick2=$OUT
drive 20 || echo "not ok - the quick runs did not finish"
check_eq "both done" "$(statuses "r['id'] in ('$quick','$quick2')")" "done done"
sum=$(md5sum < queues/run_queue.json)
check_exit 1 "cancel of a finished run: exit 1 (nothing was cancelled)" "$ROS" cancel "$quick"
check_eq "it says the run is done, on stdout" "$OUT" "$quick: already done, nothing to cancel"
check_nomatch "never that it was cancelled" "$OUT" "$quick: cancelled"
check_exit 1 "two finished runs: exit 1" "$ROS" cancel "$quick" "$quick2"
check_nomatch "neither said to be cancelled" "$OUT" ": cancelled"
check_eq "the queue is unchanged" "$(md5sum < queues/run_queue.json)" "$sum"
check "a pending run" "$ROS" add-run --project-id p1 --worker-pool nowhere --command 'echo waits'
waits=$OUT
check "a finished and a pending run: exit 0" "$ROS" cancel "$quick" "$waits"
check_match "the finished one" "$OUT" "$quick: already done, nothing to cancel"
check_match "the pending one" "$OUT" "$waits: cancelled \(was pending\)"
check_eq "only the pending one changed" "$(statuses "r['id'] in ('$quick','$waits')")" "done cancelled"

# ---- bulk cancel: one connection per worker, grace periods overlapping ----
# runs that ignore SIGTERM: each needs the whole grace period, then SIGKILL
check "five stubborn runs of p2 on wa" "$ROS" add-run --project-id p2 --worker-pool pa \
	--command 'trap "" TERM; echo up {n}; sleep 120 & wait; sleep 120' --sweep n=1,2,3,4,5
check "and two of p1 on wa" "$ROS" add-run --project-id p1 --worker-pool pa \
	--command 'echo p1 {n}; sleep 120' --sweep n=1,2
check "dispatch" "$ROS" dispatch-runs --worker-pool pa
check_match "all seven" "$OUT" '^7/7 dispatched$'
p2=$(ids "r['project_id'] == 'p2' and r['status'] == 'running'")
check_eq "five of p2 running" "$(echo $p2 | wc -w)" 5
for r in $p2; do wait_for 10 grep -q up "$T/ws-a/runs/logs/p2/$r/stdout.log"; done
pids=$(jq_py queues/run_queue.json "' '.join(r['pid'] for r in d if r['project_id'] == 'p2' and r['status'] == 'running')")
sum=$(md5sum < queues/run_queue.json)
check "--dry-run" "$ROS" cancel --status running --project p2 --dry-run
check_eq "names the five" "$(printf '%s\n' "$OUT" | sed -n 's/^would cancel \(r[0-9a-f]*\) (running on wa)$/\1/p' | sort | tr '\n' ' ')" "$p2 "
check_match "and counts them" "$OUT" '^5 runs would be cancelled \(dry run\)$'
check_eq "--dry-run writes nothing" "$(md5sum < queues/run_queue.json)" "$sum"
for pid in $pids; do kill -0 "$pid" 2>/dev/null || echo "not ok - $pid was signalled by --dry-run"; done
count_ssh_procs_start
t0=$(date +%s)
check "cancel --status running --project p2 --grace 3" "$ROS" cancel --status running --project p2 --grace 3
t1=$(date +%s)
count_ssh_procs_stop
check_eq "one connection to wa for the five" "$(ssh_count)" 1
check_match "each was killed after the grace period" "$(printf '%s\n' "$OUT" | grep -c 'cancelled (SIGKILL after the grace period)')" '^5$'
check_match "the count" "$OUT" '^5 cancelled$'
check "the grace periods overlap: well under 5 x 3 s" test $((t1 - t0)) -lt 10
for pid in $pids; do
	check "process group $pid is gone" wait_for 5 sh -c "! kill -0 -$pid 2>/dev/null"
done
check_eq "p2's runs cancelled" "$(statuses "r['project_id'] == 'p2'")" "cancelled cancelled cancelled cancelled cancelled"
check_eq "p1's runs on wa still running" "$(statuses "r['project_id'] == 'p1' and r.get('worker_id') == 'wa'")" "running running"

# ---- bulk retry ----
check "two failing runs of p1" "$ROS" add-run --project-id p1 --worker-pool local --command 'exit {c}' --sweep c=3,4
check "one failing run of p2" "$ROS" add-run --project-id p2 --worker-pool local --command 'exit 5'
# p1's runs on wa keep running: dispatch and check the local ones until all three failed
n=0
while [ "$(count_runs "'failed'")" -lt 3 ] && [ $n -lt 100 ]; do
	"$ROS" dispatch-runs --worker-pool local >/dev/null 2>&1
	"$ROS" check-runs >/dev/null 2>&1
	n=$((n + 1))
done
failed_p1=$(ids "r['project_id'] == 'p1' and r['status'] == 'failed'")
check_eq "two failed in p1" "$(echo $failed_p1 | wc -w)" 2
sum=$(md5sum < queues/run_queue.json)
check "retry --dry-run" "$ROS" retry --status failed --project p1 --dry-run
check_match "names them" "$OUT" "would retry r[0-9a-f]+ \(failed, attempt 0 → 1\)"
check_match "counts them" "$OUT" '^2 runs would be retried \(dry run\)$'
check_eq "--dry-run writes nothing" "$(md5sum < queues/run_queue.json)" "$sum"
check "retry --status failed --project p1" "$ROS" retry --status failed --project p1
check_match "the count" "$OUT" '^2 runs retried$'
for r in $failed_p1; do check_match "$r back to pending" "$OUT" "$r: pending \(attempt 1\)"; done
check_eq "p1's failed runs are pending" "$(statuses "r['id'] in '$failed_p1'.split()")" "pending pending"
check_eq "p2's failed run is not" "$(statuses "r['project_id'] == 'p2' and r['command'] == 'exit 5'")" "failed"
check_eq "their history" "$(jq_py queues/run_queue.json "sorted(r['attempts'][0]['status'] for r in d if r['id'] in '$failed_p1'.split())")" "['failed', 'failed']"
check "retry --project p2 (failed and stale: not cancelled)" "$ROS" retry --project p2
check_match "one" "$OUT" '^1 run retried$'
check_eq "the cancelled runs of p2 stay cancelled" "$(statuses "r['project_id'] == 'p2' and r['command'] != 'exit 5'")" "cancelled cancelled cancelled cancelled cancelled"
check "retry --status cancelled --worker wa" "$ROS" retry --status cancelled --worker wa
check_match "the five" "$OUT" '^5 runs retried$'
check "nothing left to retry" "$ROS" retry --status failed,stale
check_match "says so" "$OUT" '^0 runs retried$'

# ---- cancel by worker: the rest, pending ones too ----
check "cancel --worker wa" "$ROS" cancel --worker wa --grace 1
check_match "p1's two running runs" "$OUT" '^2 cancelled$'
check_eq "none left running" "$(count_runs "'running','dispatching'")" 0
check "cancel --status pending" "$ROS" cancel --status pending
check_eq "none left pending" "$(count_runs "'pending'")" 0

done_testing
