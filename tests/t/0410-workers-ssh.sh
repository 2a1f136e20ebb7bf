#!/bin/sh
# worker-status, setup-worker, cancel, retry and logs -f on real sshd workers.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=2
# a fake nvidia-smi on wb's PATH
mkdir -p "$T/bin" && cat > "$T/bin/nvidia-smi" <<'EOF2'
#!/bin/sh
echo "0, NVIDIA RTX A4000, 37, 1024, 16376"
EOF2
chmod 755 "$T/bin" "$T/bin/nvidia-smi"
sshd_start a 127.0.0.3 0
sshd_start b 127.0.0.4 0 "env:PATH=$T/bin:/usr/bin:/bin"
sshd_worker_yaml a wa pa 2 "$T/ws-a" >> workers/workers.yaml
sshd_worker_yaml b wb pb 1 "$T/ws-b" >> workers/workers.yaml
check "add a disabled worker" "$ROS" add-worker --worker-id off --host 127.0.0.1 --port 9 --disabled
# a key given as ~/...: expanded with the user's home
mkdir -p "$HOME/keys" && cp "$SSHD_KEY" "$HOME/keys/worker" && chmod 600 "$HOME/keys/worker"
check "add-worker with key ~/keys/worker" "$ROS" add-worker --worker-id tilde --host 127.0.0.3 \
	--port "$(cat "$T/sshd/a/port")" --user rostest --key '~/keys/worker' --pool tp --workspace "$T/ws-a"
check_match "written as given" "$(cat workers/workers.yaml)" "key: ~/keys/worker"

# worker-status: all alive
count_ssh_procs_start
check "worker-status" "$ROS" worker-status
check_eq "one ssh per enabled ssh worker" "$(ssh_count)" 3
count_ssh_procs_stop
check_match "wa alive with its slots" "$OUT" 'wa +ssh +pa +alive +[0-9]+ ms +0/2'
check_match "disabled listed as such" "$OUT" 'off +ssh +default +disabled'
check "worker-status --json" "$ROS" worker-status --json
check_eq "json states (the ~ key works)" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(sorted((w["worker_id"], w["state"]) for w in json.load(sys.stdin)))')" \
	"[('local', 'alive'), ('off', 'disabled'), ('tilde', 'alive'), ('wa', 'alive'), ('wb', 'alive')]"
check "disable it again" "$ROS" disable-worker tilde
check "worker-status with a GPU on wb" "$ROS" worker-status
check_match "GPU name, util and memory" "$OUT" 'wb .*NVIDIA RTX A4000 37% 1024/16376 MiB'
# a dead worker: exit 1
sshd_stop a
check_exit 1 "a dead worker makes it exit 1" "$ROS" worker-status
check_match "and says so" "$OUT" 'wa +ssh +pa +DEAD'
sshd_restart a "$(cat "$T/sshd/a/port")"

# setup-worker: folders, tools report, env file with mode 0600 through stdin
printf 'WANDB_API_KEY=sekrit-value-123\nHF_TOKEN=hf_abc\n' > "$T/env.local"
count_ssh_procs_start
check "setup-worker" "$ROS" setup-worker --worker-id wa --env-file "$T/env.local" --no-install
count_ssh_procs_stop
check_match "streams what it does" "$OUT" 'setup: workspace .*/ws-a/runs/\{logs,metrics,checkpoints\} ready'
check_match "reports the GPU" "$OUT" 'setup: gpu: none'
check_match "synced" "$OUT" 'synced ~/.env.local \(mode 600, 2 lines\)'
check "folders made" test -d "$T/ws-a/runs/logs" -a -d "$T/ws-a/runs/metrics" -a -d "$T/ws-a/runs/checkpoints"
home=$(getent passwd rostest | cut -d: -f6)
at_exit rm -f "$home/.env.local"
check_eq "env file content" "$(cat "$home/.env.local")" "$(cat "$T/env.local")"
check_eq "mode 0600" "$(stat -c %a "$home/.env.local")" 600
check_nomatch "the secret never on a command line" "$(cat "$SSH_COUNT_LOG")" 'sekrit'
check_nomatch "nor in ros's output" "$OUT$ERR" 'sekrit'
check "setup-worker twice" "$ROS" setup-worker --worker-id wa --env-file "$T/env.local" --no-install
check_eq "still one env file" "$(ls -a "$home" | grep -c env.local)" 1
check_fail "unknown worker" "$ROS" setup-worker --worker-id nope

# cancel a running run and a pending one; retry
check "a long run" "$ROS" add-run --project-id p --worker-pool pb --command 'echo started; trap "echo got TERM; exit 3" TERM; sleep 60 & wait'
long=$OUT
check "and one more that waits for the slot" "$ROS" add-run --project-id p --worker-pool pb --command 'echo second'
second=$OUT
check "dispatch" "$ROS" dispatch-runs
check_match "one slot on wb" "$OUT" '^1/1 dispatched, 1 waiting$'
wait_for 5 grep -q started "$T/ws-b/runs/logs/p/$long/stdout.log"
pid=$(jq_py queues/run_queue.json "[r['pid'] for r in d if r['id']=='$long'][0]")
check "cancel both" "$ROS" cancel "$long" "$second" --grace 5
check_match "the running one" "$OUT" "$long: cancelled"
check_match "the pending one" "$OUT" "$second: cancelled \(was pending\)"
check "its process group is gone" wait_for 5 sh -c "! kill -0 -$pid 2>/dev/null"
check_eq "both cancelled" "$(jq_py queues/run_queue.json "[r['status'] for r in d if r['id'] in ('$long','$second')]")" "['cancelled', 'cancelled']"
check_eq "the run saw SIGTERM and its exit code was kept" "$(cat "$T/ws-b/runs/logs/p/$long/exit_code")" 3
check_fail "cancel of a finished run" "$ROS" cancel "$long"
check "retry" "$ROS" retry "$second"
check_match "back to pending" "$OUT" "$second: pending \(attempt 1\)"
check_fail "retry of a pending run" "$ROS" retry "$second"
check_eq "history kept" "$(jq_py queues/run_queue.json "[r['attempts'][0]['status'] for r in d if r['id']=='$second'][0]")" "cancelled"

# logs -f follows until the run ends
check "a run that prints slowly" "$ROS" add-run --project-id p --worker-pool pa --command 'for i in 1 2 3; do echo tick $i; sleep 0.4; done; echo end'
slow=$OUT
check "dispatch" "$ROS" dispatch-runs
check "logs -f" "$ROS" logs "$slow" -f
check_eq "followed to the end" "$OUT" "$(printf 'tick 1\ntick 2\ntick 3\nend')"
check_exit 1 "logs of an unknown run" "$ROS" logs r0000000

# dispatch-runs --dry-run and --max
check "three runs for pa" "$ROS" add-run --project-id p --worker-pool pa --command 'echo {n}' --sweep n=1,2,3
"$ROS" check-runs > /dev/null
sum=$(md5sum < queues/run_queue.json)
check "--dry-run" "$ROS" dispatch-runs --worker-pool pa --dry-run
check_match "shows the plan" "$OUT" 'would dispatch r[0-9a-f]{7} → wa  CUDA_VISIBLE_DEVICES=[01]'
check_match "two fit in wa's two slots" "$OUT" '^2 runs would be dispatched \(dry run\), 1 waiting$'
check_eq "--dry-run writes nothing" "$(md5sum < queues/run_queue.json)" "$sum"
check "--max 1" "$ROS" dispatch-runs --worker-pool pa --max 1
check_match "one" "$OUT" '^1/1 dispatched$'
check_exit 2 "--max -5" "$ROS" dispatch-runs --max -5

# Ctrl-C: a command that waits on a worker stops at once and kills its ssh
settled() { "$ROS" check-runs >/dev/null 2>&1; [ "$(count_runs "'running'")" = 0 ]; }
check "the runs so far end" wait_for 20 settled
check "a long run" "$ROS" add-run --project-id p --worker-pool pa --priority 0 --command 'echo start; sleep 30'
lid=$OUT
check "dispatch it" "$ROS" dispatch-runs --worker-pool pa
"$ROS" logs "$lid" -f > "$T/follow.out" 2>&1 &
fpid=$!
check "logs -f is following" wait_for 5 grep -q start "$T/follow.out"
kill -INT $fpid
check "logs -f ends soon after SIGINT" wait_for 5 sh -c "! kill -0 $fpid 2>/dev/null"
wait $fpid 2>/dev/null
check "its ssh child is gone" wait_for 3 sh -c "! pgrep -f '[s]sh .*-p $(cat "$T/sshd/a/port") .*sh -s' >/dev/null"
check "cancel the long run" "$ROS" cancel "$lid" --grace 1

done_testing
