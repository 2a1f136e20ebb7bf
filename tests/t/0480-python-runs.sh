#!/bin/sh
# A root the Python ros.py has been using: its runs in flight and finished
# (its worker-side layout, reproduced by tests/lib/pyros.sh) are followed by
# check-runs, logs, cancel and results; its entries' env lines work; the
# ~/.env.local that setup-worker syncs reaches every run.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/pyros.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
sshd_start w1 127.0.0.1 0
sshd_worker_yaml w1 w1 vastai 4 "$T/ws" >> workers/workers.yaml
wsh() { sshd_ssh w1 "$@"; }

# --- runs the Python tool dispatched ----------------------------------------
pyros_add_run r0000001 p vastai 'sleep 5; echo "Epoch 3/3 | MSE=0.2500"'
pyros_add_run r0000002 p vastai 'echo started; echo "MSE=0.9000"; exit 3'
pyros_add_run r0000003 p vastai 'echo long; sleep 60'
for r in r0000001 r0000002 r0000003; do pyros_dispatch $r w1 "$T/ws" wsh; done
wait_for 10 test -e "$T/ws/runs/logs/p/r0000002/exit_code"
check "check-runs on the Python tool's runs" "$ROS" check-runs
check_match "a running one is running" "$OUT" '^r0000001: running +pid=[0-9]+'
check_match "a finished one failed with its exit code" "$OUT" '^r0000002: failed +exit=3'
check_match "with its log" "$OUT" 'MSE=0.9000'
check_nomatch "none is stale" "$OUT" 'stale|run directory lost'
check "logs of a Python run" "$ROS" logs r0000002
check_eq "its whole log" "$OUT" "$(printf 'started\nMSE=0.9000')"
check "cancel one" "$ROS" cancel r0000003
check_match "cancelled" "$OUT" '^r0000003: cancelled'
check_eq "its process is gone" "$(wsh "pgrep -f 'ros_r000000[3].sh' || echo none")" none
check "the other finishes" wait_for 20 sh -c "'$ROS' check-runs >/dev/null 2>&1; grep -q '\"exit_code\": \"0\"' queues/run_queue.json"
check_eq "done with exit 0" "$(field r0000001 status)/$(field r0000001 exit_code)" done/0
check_eq "its metric collected" "$(jq_py queues/run_queue.json "[r['metrics']['MSE'] for r in d if r['id']=='r0000001'][0]")" 0.25
check "results" "$ROS" results --project-id p
check_match "counts it" "$OUT" 'MSE'
check_fail "retry does not take a finished Python run again" "$ROS" retry r0000001
check_eq "still done" "$(field r0000001 status)" done

# --- entries the Python tool added, dispatched by ros ---------------------
# env is a shell line: `source venv/bin/activate` must activate, KEY=VALUE
# lists must reach the process environment.  The Python tool ran commands
# from the login's home directory.
wsh 'mkdir -p venv/bin && printf "export VIRTUAL_ENV=\$HOME/venv\nexport PATH=\$HOME/venv/bin:\$PATH\n" > venv/bin/activate && printf "#!/bin/sh\necho venv-python\n" > venv/bin/python && chmod +x venv/bin/python'
pyros_add_run r0000004 p vastai 'python; echo "VIRTUAL_ENV=$VIRTUAL_ENV"' 'source venv/bin/activate'
pyros_add_run r0000005 p vastai 'env | grep -E "^(SEED|DATASET)=" | sort' 'SEED=1 DATASET=ETTh1'
check "ros dispatches them" "$ROS" dispatch-runs
check "they finish" drive 20
home=$(getent passwd rostest | cut -d: -f6)
check_eq "source venv/bin/activate was in force" "$(cat "$T/ws/runs/logs/p/r0000004/stdout.log")" "$(printf 'venv-python\nVIRTUAL_ENV=%s/venv' "$home")"
check_eq "KEY=VALUE lists reach the environment" "$(cat "$T/ws/runs/logs/p/r0000005/stdout.log")" "$(printf 'DATASET=ETTh1\nSEED=1')"
check "ros's own --env still works" "$ROS" add-run --project-id p --worker-pool vastai --env 'A=1 B="two words"' --command 'echo "A=$A B=$B"; env | grep -c "^B=two words$"'
eid=$OUT
check "and runs" drive 20
check_eq "exported, quoting kept" "$(cat "$T/ws/runs/logs/p/$eid/stdout.log")" "$(printf 'A=1 B=two words\n1')"

# --- ~/.env.local synced by setup-worker reaches every run -----------------
printf 'WANDB_API_KEY=wandb-secret-123\nHF_TOKEN=hf-secret-456\n' > "$HOME/.env.local"
chmod 600 "$HOME/.env.local"
# the runs print a digest of the keys they see, never the keys
digest=$(printf %s "wandb-secret-123:hf-secret-456" | md5sum | cut -c1-12)
keys_cmd='printf %s "$WANDB_API_KEY:$HF_TOKEN" | md5sum | cut -c1-12'
check "setup-worker syncs it" "$ROS" setup-worker --worker-id w1 --no-install
check "a run that needs the keys" "$ROS" add-run --project-id p --worker-pool vastai --command "$keys_cmd"
kid=$OUT
check "runs" drive 20
check_eq "the keys reached it" "$(cat "$T/ws/runs/logs/p/$kid/stdout.log")" "$digest"
check "the local worker" "$ROS" add-worker --worker-id loc --kind local --pool here --workspace "$T/ws-loc"
check "setup-worker on it" "$ROS" setup-worker --worker-id loc --no-install
check_nomatch "does not claim what is not true" "$OUT" 'already reads'
check "a local run that needs the keys" "$ROS" add-run --project-id p --worker-pool here --command "$keys_cmd"
lid=$OUT
check "runs" drive 20
check_eq "the keys reached it" "$(cat "$T/ws-loc/runs/logs/p/$lid/stdout.log")" "$digest"
check "no secret in the queue" sh -c "! grep -q 'secret-' queues/run_queue.json"
check "nor in the run's files on the worker" sh -c "! grep -rq 'secret-' '$T/ws/runs/logs/p/$kid' '$T/ws-loc/runs/logs/p/$lid'"
done_testing
