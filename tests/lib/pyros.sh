# pyros.sh - what the Python ros.py leaves behind, for tests: queue entries
# as its add-run wrote them, and runs as its dispatch-runs started them on a
# worker.  Source after testlib.sh; run from the root.
#
#   pyros_add_run ID PROJECT POOL COMMAND [ENV]
#        append a pending entry with the Python tool's fields (no attempt)
#   pyros_dispatch ID WORKER_ID WORKSPACE RUNNER...
#        start entry ID on a worker the way ros.py did: the run's script to
#        /tmp/ros_ID.sh, <WORKSPACE>/runs/logs/<project>/ID/ created, the script
#        started with `setsid bash ... </dev/null > <dir>/stdout.log 2>&1 &`;
#        the script sources /root/.env.local and /home/ubuntu/.env.local
#        (set -a) if they exist, runs the entry's env as a shell line, then the
#        command from the login's home directory (both in a subshell), and
#        writes the exit status to <dir>/exit_code.  The entry gets pid (a string), worker_id,
#        started_at, log_path and status running.  RUNNER... runs a shell
#        command on the worker (e.g. `sshd_ssh w1`, or `sh -c` for this machine).

pyros_add_run() {
	"$PY" - "$@" <<'PYEOF'
import json, sys, time
_, rid, project, pool, command = sys.argv[:5]
env = sys.argv[5] if len(sys.argv) > 5 else ""
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
q = json.load(open("queues/run_queue.json"))
q.append({"id": rid, "project_id": project, "idea_id": "", "benchmark_id": "", "probe_id": "",
          "status": "pending", "priority": 10, "worker_pool": pool, "command": command, "env": env,
          "metric_parser": "", "target_metric": "", "target_direction": "lower",
          "created_at": now, "updated_at": now})
with open("queues/run_queue.json", "w") as f:
    json.dump(q, f, indent=2)
    f.write("\n")
PYEOF
}

pyros_dispatch() {
	_pr_id=$1 _pr_worker=$2 _pr_ws=$3
	shift 3
	_pr_proj=$(jq_py queues/run_queue.json "[r['project_id'] for r in d if r['id']=='$_pr_id'][0]")
	_pr_cmd=$(jq_py queues/run_queue.json "[r['command'] for r in d if r['id']=='$_pr_id'][0]")
	_pr_env=$(jq_py queues/run_queue.json "[r.get('env', '') for r in d if r['id']=='$_pr_id'][0]")
	_pr_dir=$_pr_ws/runs/logs/$_pr_proj/$_pr_id
	{
		echo '#!/bin/bash'
		echo 'set -a'
		echo '[ -f /root/.env.local ] && source /root/.env.local'
		echo '[ -f /home/ubuntu/.env.local ] && source /home/ubuntu/.env.local'
		echo 'set +a'
		echo 'cd ~'
		printf '(\n%s\n%s\n)\n' "$_pr_env" "$_pr_cmd"
		printf 'echo $? > %s/exit_code\n' "$_pr_dir"
	} > "$T/pyros_$_pr_id.sh"
	"$@" "mkdir -p '$_pr_dir' && cat > /tmp/ros_$_pr_id.sh" < "$T/pyros_$_pr_id.sh" || return 1
	_pr_pid=$("$@" "setsid bash /tmp/ros_$_pr_id.sh </dev/null > '$_pr_dir/stdout.log' 2>&1 & echo \$!") || return 1
	"$PY" - "$_pr_id" "$_pr_worker" "$_pr_pid" "$_pr_dir/stdout.log" <<'PYEOF'
import json, sys, time
_, rid, worker, pid, log = sys.argv
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["id"] == rid:
        r.update({"status": "running", "updated_at": now, "worker_id": worker, "started_at": now,
                  "pid": pid, "log_path": log})
with open("queues/run_queue.json", "w") as f:
    json.dump(q, f, indent=2)
    f.write("\n")
PYEOF
}
