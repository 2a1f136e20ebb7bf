#!/bin/sh
# One pool across a local worker, an ssh worker and a Slurm worker whose
# login node is reached through ssh (an sshd started with the `slurm`
# option: its sessions have SLURM_CONF).  One connection per worker per
# command; Slurm jobs run as the login node's user.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/slurm.sh"
sshd_setup_user
slurm_up
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3

sshd_start box 127.0.0.1 0
sshd_start login 127.0.0.2 0 slurm
sshd_worker_yaml box box mix 2 "$T/ws-box" >> workers/workers.yaml
sshd_workspace "$T/shared/ws-hpc"
cat >> workers/workers.yaml <<YAML
  - worker_id: hpc
    kind: slurm
    enabled: true
    worker_pool: mix
    ssh:
      host: $SSHD_login_ADDR
      port: $SSHD_login_PORT
      user: $SSHD_USER
      key: $SSHD_KEY
    workspace: $T/shared/ws-hpc
    max_jobs: 2
    slurm:
      partition: debug
      cpus_per_task: 1
YAML
check "a local worker in the same pool" "$ROS" add-worker --worker-id loc --kind local --pool mix --slots 2 --workspace "$T/ws-loc"


count_ssh_procs_start
check "worker-status" "$ROS" worker-status
check_match "the Slurm worker answers through ssh" "$OUT" 'hpc +slurm +mix +alive .* 0/2 +debug\*? up 1 idle; jobs: 0 pending, 0 running'
check_match "and the others" "$OUT" 'box +ssh +mix +alive'

# --- the same 6-run sweep over the three kinds -------------------------------------
check "6-run sweep" "$ROS" add-run --project-id p --worker-pool mix \
	--command 'echo "run {i} as $(id -un) job=${SLURM_JOB_ID:-none}"; sleep 0.5; exit $(( {i} % 3 ))' \
	--sweep i=1,2,3,4,5,6
: > "$SSH_COUNT_LOG"
check "dispatch" "$ROS" dispatch-runs
check_match "all 6 go out" "$OUT" '^6/6 dispatched$'
check_eq "two on each worker" \
	"$(jq_py queues/run_queue.json "sorted(__import__('collections').Counter(r['worker_id'] for r in d).items())")" \
	"[('box', 2), ('hpc', 2), ('loc', 2)]"
check_eq "one ssh process per remote worker (box, login node)" "$(ssh_count)" 2
check_eq "the Slurm worker submitted through one connection" "$(ssh_count "-p $SSHD_login_PORT ")" 1
check_eq "Slurm runs have job ids and no pid; the others pids" \
	"$(jq_py queues/run_queue.json "sorted(set((r['worker_id'], bool(r.get('slurm_job_id')), bool(r['pid'])) for r in d))")" \
	"[('box', False, True), ('hpc', True, False), ('loc', False, True)]"
: > "$SSH_COUNT_LOG"
check "check-runs" "$ROS" check-runs
check_eq "one ssh process per remote worker for all its runs" "$(ssh_count)" 2
check "the sweep completes" drive 40
check_eq "6 finished" "$(count_runs "'done','failed'")" 6
check_eq "exit codes and statuses follow {i} % 3" \
	"$(jq_py queues/run_queue.json "sorted(set((int(r['params']['i']) % 3 == int(r['exit_code']), r['status'] == ('done' if r['exit_code'] == '0' else 'failed')) for r in d))")" \
	"[(True, True)]"
check_eq "each log: its run, its user, its job" \
	"$(jq_py queues/run_queue.json "all(('run %d as %s job=%s' % (r['params']['i'], 'root' if r['worker_id'] == 'loc' else 'rostest', r.get('slurm_job_id') or 'none')) in open(r['log_path']).read() for r in d)")" True
hid=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['worker_id'] == 'hpc'][0]")
: > "$SSH_COUNT_LOG"
check "logs of a Slurm run, through the login node" "$ROS" logs "$hid"
check_match "its output file" "$OUT" "^run [0-9] as rostest job=$(field "$hid" slurm_job_id)$"
check_eq "one ssh process" "$(ssh_count)" 1

# --- cancel a running Slurm job through the login node -------------------------------
check "only hpc takes runs" "$ROS" disable-worker box loc
check "a long run" "$ROS" add-run --project-id p --worker-pool mix --command 'echo up; sleep 73'
lid=$OUT
check "dispatch" "$ROS" dispatch-runs
check_match "to hpc" "$OUT" "$lid → hpc  slurm job [0-9]+"
check "it runs" wait_for 20 grep -q up "$T/shared/ws-hpc/runs/logs/p/$lid/stdout.log"
: > "$SSH_COUNT_LOG"
check "cancel" "$ROS" cancel "$lid"
check_match "cancelled" "$OUT" "^$lid: cancelled$"
check_eq "with one ssh process" "$(ssh_count)" 1
check "Slurm ends the job" slurm_wait_job "$(field "$lid" slurm_job_id)" 10
check_eq "as CANCELLED" "$(slurm_job_state "$(field "$lid" slurm_job_id)")" CANCELLED
check_eq "cancelled in the queue" "$(field "$lid" status)" cancelled
count_ssh_procs_stop
done_testing
