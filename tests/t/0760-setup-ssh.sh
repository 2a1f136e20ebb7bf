#!/bin/sh
# A project's set-up (project.yaml setup:) on real sshd workers: once per
# worker per key for many runs, a failure fails its runs with the reason
# and no retry, a changed input runs it again.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
export ROS_SSH_CONNECT_TIMEOUT=3
sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
for w in w1 w2; do sshd_worker_yaml $w $w test 2 "$T/ws-$w" >> workers/workers.yaml; done
check "a project" "$ROS" init-project --title Setup --idea i --target t
mkdir -p "$T/flags" && chmod 777 "$T/flags"
C=$T/code
mkdir -p "$C" && echo numpy > "$C/requirements.txt"
printf 'import os\nprint("ok", os.path.exists(os.environ["ROS_SETUP_DIR"] + "/code/installed"))\n' > "$C/main.py"
cat >> research/setup/project.yaml <<YAML
setup:
  - echo "set-up in \$ROS_WORKSPACE" >> $T/flags/setups
  - 'if grep -q bad requirements.txt; then echo "ERROR: No matching distribution found for bad"; exit 1; fi'
  - cat requirements.txt > installed
YAML
sed -i "s|^  workdir:$|  workdir: $C|" research/setup/project.yaml
check "eight runs" "$ROS" add-run --project-id setup --worker-pool test --max-retries 2 --command "python3 main.py # {i}" --sweep i=1,2,3,4,5,6,7,8
check "they finish" drive 90
check_eq "all done" "$(count_runs "'done'")" 8
check_eq "on both workers" "$(jq_py queues/run_queue.json "sorted(set(r['worker_id'] for r in d))")" "['w1', 'w2']"
check_eq "the set-up ran once per worker" "$(sort "$T/flags/setups" | tr '\n' '|')" "set-up in $T/ws-w1|set-up in $T/ws-w2|"
check_eq "each run found what it made" "$(jq_py queues/run_queue.json "all('ok True' in open(r['log_path']).read() for r in d)")" True
K1=$(jq_py queues/run_queue.json "d[0]['code']['setup']")
check_match "the entry records the set-up's key" "$K1" '^[0-9a-f]{64}$'
r1=$(jq_py queues/run_queue.json "d[0]['id']")
cp research/setup/project.yaml "$T/py.yaml"
printf 'setup:\n  - echo "a: b"\n  - x: y\n' >> research/setup/project.yaml
check "a set-up line that YAML reads as a mapping" "$ROS" add-run --project-id setup --worker-pool test --command "python3 main.py # yaml"
check_exit 1 "dispatch" "$ROS" dispatch-runs
check_match "refused with where and why" "$OUT" "^cannot dispatch the runs of project setup: research/setup/project\.yaml:[0-9]+:5: setup: each item is a shell line"
check_eq "the run stays pending with the reason" "$(jq_py queues/run_queue.json "[(r['status'], 'each item is a shell line' in r.get('last_error', '')) for r in d if '# yaml' in r['command']][0]")" "('pending', True)"
check "cancel it" "$ROS" cancel "$(jq_py queues/run_queue.json "[r['id'] for r in d if '# yaml' in r['command']][0]")"
cp "$T/py.yaml" research/setup/project.yaml
check "logs --setup" "$ROS" logs "$r1" --setup
check_match "shows the set-up's log" "$OUT" "^ros: set-up $K1 done$"
check "show" "$ROS" show "$r1"
check_match "prints the set-up" "$OUT" "setup $(echo "$K1" | cut -c1-12)"

# --- a failing set-up: its runs fail with the reason, no retry burnt ---
echo bad > "$C/requirements.txt"
check "three more" "$ROS" add-run --project-id setup --worker-pool test --max-retries 2 --command "python3 main.py # b{i}" --sweep i=1,2,3
check "they end" drive 90
check_eq "failed, attempt 0 (no retry)" "$(jq_py queues/run_queue.json "sorted(set((r['status'], r['attempt'], r['exit_code']) for r in d if '# b' in r['command']))")" \
	"[('failed', 0, '112')]"
check_eq "with the set-up's reason" "$(jq_py queues/run_queue.json "sorted(set(r.get('last_error') for r in d if '# b' in r['command']))")" \
	"['setup failed: exit 1: ERROR: No matching distribution found for bad']"
check_eq "the failing set-up ran once per worker it reached" "$(grep -c . "$T/flags/setups")" \
	"$((2 + $(jq_py queues/run_queue.json "len(set(r['worker_id'] for r in d if '# b' in r['command']))")))"
before=$(grep -c . "$T/flags/setups")
check "retry one" "$ROS" retry "$(jq_py queues/run_queue.json "[r['id'] for r in d if '# b1' in r['command']][0]")"
check "it ends" drive 60
check_eq "it failed again at once" "$(jq_py queues/run_queue.json "[(r['status'], r.get('last_error')) for r in d if '# b1' in r['command']][0]")" \
	"('failed', 'setup failed: exit 1: ERROR: No matching distribution found for bad')"
check_eq "the same key's set-up was not run again" "$(grep -c . "$T/flags/setups")" "$before"

# --- the input changed: a new key, the set-up runs again ---
echo torch > "$C/requirements.txt"
before=$(grep -c . "$T/flags/setups")
check "a run after the fix" "$ROS" add-run --project-id setup --worker-pool test --command "python3 main.py # fixed"
check "it ends" drive 60
check_eq "done" "$(jq_py queues/run_queue.json "[r['status'] for r in d if '# fixed' in r['command']][0]")" done
check_eq "the set-up ran again" "$(grep -c . "$T/flags/setups")" "$((before + 1))"
check_eq "with another key" "$(jq_py queues/run_queue.json "[r['code']['setup'] != '$K1' for r in d if '# fixed' in r['command']][0]")" True
done_testing
