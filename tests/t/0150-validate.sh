#!/bin/sh
# ros validate, and the compat root's defects.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
check "a fresh root is valid" "$ROS" validate
check "a project" "$ROS" init-project --title "T one" --idea i --target t
check "still valid" "$ROS" validate

# problems in queues: bad status, duplicate id, missing field, unknown worker
cat > queues/run_queue.json <<'EOF2'
[
  {"id": "r1", "project_id": "t_one", "status": "pending", "command": "x"},
  {"id": "r1", "project_id": "t_one", "status": "bogus", "command": "x"},
  {"id": "r3", "project_id": "t_one", "status": "running", "command": "x", "worker_id": "nowhere"},
  {"id": "r4", "project_id": "t_one", "status": "done", "priority": -1}
]
EOF2
check_exit 1 "problems found" "$ROS" validate
check_match "duplicate id with both entries" "$OUT" "queues/run_queue.json:3:3: entry 2: id 'r1' is also entry 1"
check_match "bad status named" "$OUT" "queues/run_queue.json:3:[0-9]+: entry 2 status: \"bogus\" is not one of"
check_match "unknown worker" "$OUT" "entry 3: worker 'nowhere' is not in workers/workers.yaml"
check_match "missing command" "$OUT" "entry 4: required key 'command' is missing"
check_match "negative priority" "$OUT" "entry 4 priority: should be >= 0"
echo '[]' > queues/run_queue.json

# workers.yaml: a hostile host, a bad port, a duplicate key
cat >> workers/workers.yaml <<'EOF2'
  - worker_id: bad
    kind: ssh
    enabled: true
    enabled: false
    ssh:
      host: -oProxyCommand=x
      port: 99999
EOF2
check_exit 1 "registry problems" "$ROS" validate
check_match "duplicate key with both lines" "$OUT" "workers/workers.yaml:[0-9]+:1: duplicate key 'enabled' \(also at line [0-9]+\)"
check_match "port range" "$OUT" "workers/workers.yaml:[0-9]+:[0-9]+: workers.1.ssh.port: should be <= 65535"
check_match "hostile host" "$OUT" "refusing ssh.host"

# what the Python ros.py's add-worker writes: the instance id quoted
new_root "$T/pyroot"
cat >> workers/workers.yaml <<'EOF2'
  - worker_id: vastai_worker_2
    vastai_instance_id: '37906248'
    kind: ssh
    enabled: true
    worker_pool: vastai
    ssh:
      host: ssh8.vast.ai
      port: 26248
      user: root
      key: ~/.ssh/vastai_id_ed25519
    workspace: /root
EOF2
check "validate accepts vastai_instance_id: '37906248'" "$ROS" validate
sed -i "s/vastai_instance_id: '37906248'/vastai_instance_id: 'x7906248'/" workers/workers.yaml
check_exit 1 "but not a quoted id that is no number" "$ROS" validate
check_match "and says where" "$OUT" "workers/workers.yaml:[0-9]+:[0-9]+: workers.1.vastai_instance_id: "
cd "$T" || exit 1

# the compat root: the bad escape and the duplicate keys of the first worker
if [ -d "$TOP/../shared/compat/research-os-root" ]; then
	cp -r "$TOP/../shared/compat/research-os-root" "$T/compat" && chmod -R u+w "$T/compat"
	cd "$T/compat" || exit 1
	unset RESEARCH_OS_ROOT
	sums=$(find . -type f | sort | xargs md5sum)
	check_exit 1 "compat: validate fails" "$ROS" validate
	check_match "compat: the bad escape at 101:48" "$OUT" "^workers/workers.yaml:101:48: found unknown escape character '\|'"
	check_match "compat: first worker's duplicate kind" "$OUT" "workers/workers.yaml:22:1: duplicate key 'kind' \(also at line 3\)"
	check_match "compat: first worker's duplicate notes" "$OUT" "workers/workers.yaml:46:1: duplicate key 'notes' \(also at line 21\)"
	check_match "compat: project.yaml duplicate" "$OUT" "research/nbeatsx_dc/project.yaml:96:1: duplicate key 'storage' \(also at line 67\)"
	check_match "compat: free text where a number is expected" "$OUT" "research/structural_entropy_timeseries/project.yaml:19:17: target.target_value: should be number or null"
	check_fail "compat: commands that need the registry fail" "$ROS" dispatch-runs
	check_match "compat: and say where" "$ERR" "workers.yaml:101:48"
	check_fail "compat: add-worker refuses to touch it" "$ROS" add-worker --worker-id x --host h
	check_fail "compat: worker-status too" "$ROS" worker-status
	check "compat: project-status works" "$ROS" project-status
	check_match "compat: 251 runs in the dashboard" "$OUT" "runs: +251 +done 191, failed 20, stale 4, cancelled 36"
	check_match "compat: venue shown" "$OUT" "venue: +NeurIPS 2025 Time Series Workshop"
	check "compat: project-status --json" "$ROS" project-status --json
	check_eq "compat: json runs" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print([p["runs"].get("done") for p in d])')" "[None, 191]"
	check_eq "compat: no file changed" "$(find . -type f -not -path './.ros/*' | sort | xargs md5sum)" "$sums"
fi
done_testing
