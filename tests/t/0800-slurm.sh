#!/bin/sh
# Slurm workers on a real single-node Slurm (tests/lib/slurm.sh): dispatch
# with sbatch, check with squeue, logs, cancel (queued and running jobs),
# a job killed from outside, a failed node, a dispatcher killed after the
# submission, and registry values that must not be evaluated.
# The login node is this machine (no ssh: block): ros runs `sh -s` here.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/slurm.sh"
slurm_up
new_root
mkdir -p research/p && : > research/p/project.yaml
node=$(hostname -s)
conf=$SLURM_CONF
# ros finds the cluster through the registry's slurm.conf, not through its
# environment.
ros() { env -u SLURM_CONF "$ROS" "$@"; }
DRIVE_ENV="-u SLURM_CONF"	# drive (testlib) runs ros the same way

cat >> workers/workers.yaml <<YAML
  - worker_id: hpc
    kind: slurm
    enabled: true
    worker_pool: hpc
    workspace: $T/shared/ws
    max_jobs: 4
    unreachable_after: 2
    slurm:
      partition: debug
      time: "10"
      cpus_per_task: 1
      conf: $conf
      # evaluated nowhere: it must reach Slurm as the comment, byte for byte
      extra_args: "--comment='ros \$(touch $T/pwned1) \`touch $T/pwned2\`;x' --no-requeue"
  - worker_id: later
    kind: slurm
    enabled: true
    worker_pool: queued
    workspace: $T/shared/ws
    slurm:
      conf: $conf
      extra_args: --begin=now+3600
YAML

job_state() { slurm_job_state "$(field "$1" slurm_job_id)"; }
wait_log() { wait_for "$2" grep -q "$3" "$T/shared/ws/runs/logs/p/$1/stdout.log"; }

check_nomatch "validate finds nothing wrong with the Slurm workers" "$(ros validate 2>&1)" 'workers.yaml'
check "worker-status" ros worker-status
check_match "shows the partition and the jobs" "$OUT" 'hpc +slurm +hpc +alive +[0-9]+ ms +0/4 +debug\*? up 1 idle; jobs: 0 pending, 0 running'
check_match "no limit shown for later" "$OUT" 'later +slurm +queued +alive .* 0/- '

# --- a 6-run sweep, at most 4 jobs at once ---------------------------------------
check "6-run sweep" ros add-run --project-id p --worker-pool hpc \
	--command 'echo "run {i} job=$SLURM_JOB_ID cwd=$(pwd)"; sleep 0.3; echo "MSE=0.{i}"; exit $(( {i} % 3 ))' \
	--sweep i=1,2,3,4,5,6
check "dispatch" ros dispatch-runs
check_match "4 go out (max_jobs 4)" "$OUT" '^4/4 dispatched, 2 waiting$'
check_match "the others wait" "$OUT" '^waiting: r[0-9a-f]{7}, r[0-9a-f]{7} \(all 4 slots of pool hpc busy\)$'
check_match "each with its job id" "$OUT" 'dispatched r[0-9a-f]{7} → hpc  slurm job [0-9]+'
check_eq "job ids recorded, pid empty" \
	"$(jq_py queues/run_queue.json "sorted(set((r['status'], r['slurm_job_id'].isdigit(), r['pid']) for r in d if r['status'] != 'pending'))")" \
	"[('running', True, '')]"
check "a second dispatch right away" ros dispatch-runs
check_match "nothing more while 4 are in Slurm" "$OUT" '^0/0 dispatched, 2 waiting$'
first=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['status'] == 'running'][0]")
check_eq "job name ros-<run>" "$(squeue -h -t all -j "$(field "$first" slurm_job_id)" -o %j)" "ros-$first"
check_match "the registry's comment reached Slurm as written" \
	"$(scontrol show job "$(field "$first" slurm_job_id)")" "Comment=ros \\\$\\(touch $T/pwned1\\) \`touch $T/pwned2\`;x"
check "check-runs" ros check-runs
check_match "runs print job id and Slurm state" "$OUT" 'r[0-9a-f]{7}: running +job=[0-9]+ (PENDING|RUNNING|COMPLETED|COMPLETING)'
check "the sweep completes" drive 40
check_eq "6 finished" "$(count_runs "'done','failed'")" 6
check_eq "status and exit code follow {i} % 3" \
	"$(jq_py queues/run_queue.json "sorted(set((int(r['params']['i']) % 3 == int(r['exit_code']), r['status'] == ('done' if r['exit_code'] == '0' else 'failed')) for r in d))")" \
	"[(True, True)]"
check_eq "2 done, 4 failed" "$(count_runs "'done'")/$(count_runs "'failed'")" "2/4"
check_eq "Slurm's final states are noted" \
	"$(jq_py queues/run_queue.json "sorted(set((r['status'], r['slurm_state']) for r in d))")" \
	"[('done', 'COMPLETED'), ('failed', 'FAILED')]"
check_eq "each log names its own job and ran in the workspace" \
	"$(jq_py queues/run_queue.json "all(('job=%s cwd=$T/shared/ws' % r['slurm_job_id']) in open(r['log_path']).read() for r in d)")" True
check_eq "timestamps from the wrapper, in order" \
	"$(jq_py queues/run_queue.json "all(r['created_at'] <= r['started_at'] <= r['ended_at'] for r in d)")" True
fid=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['params']['i'] == 2][0]")
check_eq "a failed run keeps its code" "$(field "$fid" status) $(field "$fid" exit_code)" "failed 2"
check "logs of a run" ros logs "$fid"
check_eq "logs prints its output file" "$OUT" "run 2 job=$(field "$fid" slurm_job_id) cwd=$T/shared/ws
MSE=0.2"
check "nothing in the registry was evaluated" test ! -e "$T/pwned1" -a ! -e "$T/pwned2"

# --- logs -f: waits for a queued job's output file, follows it to the job's end -----
check "a short run" ros add-run --project-id p --worker-pool hpc --command 'echo one; sleep 1; echo two'
sid=$OUT
check "dispatch" ros dispatch-runs
check "logs -f" ros logs -f "$sid"
check_eq "the whole log, from a job that was still queued" "$OUT" "one
two"

# --- cancel: a queued job and a running one ---------------------------------------
check "a run that stays queued" ros add-run --project-id p --worker-pool queued --command 'echo never'
qid=$OUT
check "a long run" ros add-run --project-id p --worker-pool hpc --command 'echo started; sleep 67; echo not reached'
lid=$OUT
check "dispatch both" ros dispatch-runs
check_match "both submitted" "$OUT" '^2/2 dispatched$'
check "the long one runs" wait_log "$lid" 20 started
check "check-runs" ros check-runs
check_match "queued: Slurm says PENDING" "$OUT" "$qid: running +job=[0-9]+ PENDING"
check_match "the other RUNNING, with its last log line" "$OUT" "$lid: running +job=[0-9]+ RUNNING +\| started"
check "worker-status counts them" ros worker-status
check_match "hpc: 1 running" "$OUT" 'hpc +slurm .* 1/4 .*jobs: 0 pending, 1 running'
check_match "later: 1 pending" "$OUT" 'later +slurm .*jobs: 1 pending, 0 running'
check "cancel both" ros cancel "$qid" "$lid"
check_match "the queued one" "$OUT" "$qid: cancelled \\(its Slurm job was still queued\\)"
check_match "the running one" "$OUT" "$lid: cancelled$"
check_eq "both cancelled in the queue" "$(field "$qid" status) $(field "$lid" status)" "cancelled cancelled"
check "Slurm cancelled the running job" slurm_wait_job "$(field "$lid" slurm_job_id)" 10
check_eq "Slurm states" "$(job_state "$qid") $(job_state "$lid")" "CANCELLED CANCELLED"
check "its process is gone" wait_for 10 sh -c "! pgrep -f '[s]leep 67' >/dev/null"
check_nomatch "the run did not go on" "$(cat "$(field "$lid" log_path)")" "not reached"

# --- a job killed with scancel from outside ----------------------------------------
check "another long run" ros add-run --project-id p --worker-pool hpc --command 'echo up; sleep 60'
xid=$OUT
check "dispatch" ros dispatch-runs
check "it runs" wait_log "$xid" 20 up
check "scancel from outside" scancel "$(field "$xid" slurm_job_id)"
check "the job ends" slurm_wait_job "$(field "$xid" slurm_job_id)" 10
check "check-runs" ros check-runs
check_match "reported cancelled" "$OUT" "$xid: cancelled"
check_eq "cancelled in the queue, Slurm's state noted" "$(field "$xid" status) $(field "$xid" slurm_state)" "cancelled CANCELLED"

# --- a node that fails under a job: stale, re-queued, done on attempt 1 -----------
check "a run for a node failure" ros add-run --project-id p --worker-pool hpc --max-retries 1 \
	--command 'if [ "$ROS_ATTEMPT" = 0 ]; then echo first; sleep 60; fi; echo "attempt $ROS_ATTEMPT done"'
nid=$OUT
check "dispatch" ros dispatch-runs
check "it runs" wait_log "$nid" 20 first
njob=$(field "$nid" slurm_job_id)
check "the node goes down" scontrol update nodename="$node" state=down reason=rostest
check "the job fails with the node" wait_for 10 sh -c "[ \"\$(squeue -h -t all -j $njob -o %T)\" = NODE_FAIL ]"
check "check-runs" ros check-runs
check_eq "stale, re-queued as attempt 1" \
	"$(jq_py queues/run_queue.json "[(r['status'], r['attempt'], r['attempts'][0]['status'], r['attempts'][0]['slurm_job_id'], r['attempts'][0]['slurm_state'], 'slurm_job_id' in r) for r in d if r['id'] == '$nid'][0]")" \
	"('pending', 1, 'stale', '$njob', 'NODE_FAIL', False)"
check_match "the reason names Slurm's state" "$(jq_py queues/run_queue.json "[r['attempts'][0]['stale_reason'] for r in d if r['id'] == '$nid'][0]")" "NODE_FAIL"
# (resume is refused while the failed job is still being cleaned up: retry)
check "the node comes back" wait_for 20 sh -c \
	"scontrol update nodename=$node state=resume 2>/dev/null; timeout 2 sinfo -h -n $node -o %t | grep -qxE 'idle|mix|alloc'"
check "the second attempt runs to the end" drive 30
check_eq "done, with a new job" "$(field "$nid" status) $(field "$nid" attempt) $([ "$(field "$nid" slurm_job_id)" != "$njob" ] && echo new)" "done 1 new"
check_match "its log is the second attempt's" "$(cat "$(field "$nid" log_path)")" "^attempt 1 done$"

# --- dispatch-runs killed after sbatch: never submitted twice ----------------------
check "3 runs" ros add-run --project-id p --worker-pool hpc --command 'echo {k}; sleep 1' --sweep k=a,b,c
check_exit 137 "killed after the submission" env -u SLURM_CONF ROS_TEST_CRASH=after-launch "$ROS" dispatch-runs
check_eq "left dispatching" "$(count_runs "'dispatching'")" 3
check "a second dispatch leaves them alone" ros dispatch-runs
check_match "nothing dispatched" "$OUT" '^0/0 dispatched$'
check "check-runs" ros check-runs
check_eq "running, their job ids learnt from the run directories" \
	"$(jq_py queues/run_queue.json "sorted(set((r['status'], r.get('slurm_job_id', '').isdigit()) for r in d if r.get('params', {}).get('k')))")" \
	"[('running', True)]"
check "they finish" drive 30
check_eq "one job each" "$(for k in $(jq_py queues/run_queue.json "' '.join(r['id'] for r in d if r.get('params', {}).get('k'))"); do
	squeue -h -t all -n "ros-$k" -o %i | wc -l; done | tr '\n' ' ')" "1 1 1 "

# --- a job Slurm no longer knows, with no exit code: stale ---------------------------
check "a queued run" ros add-run --project-id p --worker-pool queued --command 'echo never'
gid=$OUT
check "dispatch" ros dispatch-runs
gjob=$(field "$gid" slurm_job_id)
# forget it: Slurm purges ended jobs after MinJobAge; here its id is made one Slurm never had
"$PY" - "$gid" <<'PYEOF'
import json, sys
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["id"] == sys.argv[1]:
        r["slurm_job_id"] = "999999"
json.dump(q, open("queues/run_queue.json", "w"), indent=2)
PYEOF
scancel "$gjob"
check "check-runs" ros check-runs
check_match "stale" "$OUT" "$gid: stale +slurm job 999999 unknown to Slurm"

# --- a worker whose sbatch fails: the runs stay pending, with the reason -----------
cat >> workers/workers.yaml <<YAML
  - worker_id: bad
    kind: slurm
    enabled: true
    worker_pool: bad
    workspace: $T/shared/ws
    slurm:
      partition: nosuchpartition
      conf: $conf
  - worker_id: evil
    kind: slurm
    enabled: true
    worker_pool: evil
    workspace: $T/shared/ws
    slurm:
      conf: $conf
      extra_args: "--comment='unterminated"
YAML
check "a run for the bad partition" ros add-run --project-id p --worker-pool bad --command 'echo x'
bid=$OUT
check_fail "dispatch fails for it" ros dispatch-runs --worker-pool bad
check_match "with sbatch's message" "$OUT" "not dispatched $bid → bad: sbatch failed \\(exit 1\\): .*Invalid partition name specified"
check_eq "back to pending, with the error" "$(field "$bid" status) $(jq_py queues/run_queue.json "'partition' in [r for r in d if r['id'] == '$bid'][0]['last_error']")" "pending True"
check "a run for the worker with a bad extra_args" ros add-run --project-id p --worker-pool evil --command 'echo y'
check "dispatch skips that worker" ros dispatch-runs --worker-pool evil
check_match "and says why" "$ERR" "worker evil: unterminated ' in extra_args; worker skipped"

# --- claims: a dead dispatcher's claim is revoked; a late sbatch refused ----------
check "a run to claim" ros add-run --project-id p --worker-pool hpc --command 'echo claimed'
cid=$OUT
check_exit 137 "killed after the claim" env -u SLURM_CONF ROS_TEST_CRASH=after-claim "$ROS" dispatch-runs --worker-pool hpc
ctok=$(jq_py queues/run_queue.json "[r['claim']['token'] for r in d if r['id'] == '$cid'][0]")
cuntil=$(jq_py queues/run_queue.json "__import__('calendar').timegm(__import__('time').strptime([r['claim']['until'] for r in d if r['id'] == '$cid'][0], '%Y-%m-%dT%H:%M:%SZ'))")
check "check-runs: the claimer is gone" ros check-runs
check_eq "back to pending" "$(field "$cid" status)" pending
check_eq "the claim is revoked in the run directory" "$(cat "$T/shared/ws/runs/logs/p/$cid/claim.$ctok")" revoked
# the dead dispatcher's submission, arriving late, is refused
late=$({ cat "$TOP/src/remote/lib.sh" "$TOP/src/remote/slurm.sh"; echo "ros_ws=$T/shared/ws"
	echo "ros_ck='$(printf 'echo late\n' | cksum)'"
	printf 'ros_sbatch p %s 0 %s %s <<EOF\necho late\nEOF\n' "$cid" "$ctok" "$cuntil"; } | env -u SLURM_CONF sh -s 2>&1)
check_eq "a late sbatch of the revoked claim: refused" "$late" "ROS launch $cid revoked 0"
check_eq "nothing was submitted" "$(squeue -h -t all -n "ros-$cid" -o %i)" ""
step() { ros dispatch-runs --worker-pool hpc; ros check-runs; [ "$(field "$cid" status)" = done ]; }
check "it runs later" wait_for 30 step
check_eq "once" "$(squeue -h -t all -n "ros-$cid" -o %i | wc -l)" 1

# --- code: a snapshot to the shared workspace, each job in its own copy ---
mkdir -p "$T/code/sub" && printf 'print("from the snapshot")\n' > "$T/code/main.py" && echo d > "$T/code/sub/data.txt"
check "a run with its code" ros add-run --project-id p --worker-pool hpc --workdir "$T/code" \
	--command 'python3 main.py; cat sub/data.txt; echo "snap=$ROS_SNAPSHOT"'
sid=$OUT
step() { ros dispatch-runs --worker-pool hpc; ros check-runs; [ "$(field "$sid" status)" = done ]; }
check "it runs" wait_for 30 step
check_eq "in its own copy of the tree" "$(head -n 2 "$T/shared/ws/runs/logs/p/$sid/stdout.log")" "from the snapshot
d"
check_eq "the entry records the snapshot it ran" "$(jq_py queues/run_queue.json "[r['code']['snapshot'] for r in d if r['id'] == '$sid'][0]")" \
	"$(ros snapshot --workdir "$T/code" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
check "a run with artifacts" ros add-run --project-id p --worker-pool hpc --workdir "$T/code" --artifacts 'out/*.txt' \
	--command 'echo from-slurm > "$ROS_OUT_DIR/r.txt"'
aid=$OUT
step() { ros dispatch-runs --worker-pool hpc; ros check-runs; [ "$(field "$aid" status)" = done ]; }
check "it runs" wait_for 30 step
check_eq "the check that saw the job end brought its artifacts" "$(cat "research/p/artifacts/$aid/out/r.txt" 2>/dev/null)" from-slurm

check_eq "no job left in Slurm" "$(squeue -h -o %i)" ""
done_testing
