#!/bin/sh
# add-worker --vastai-instance-id: host, port, GPUs, VRAM, disk and price
# from the live instance; instance_id written; nothing written on any error.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
fakevast_start "$TOP/tests/fake/vast-story.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
cp $W "$T/before"

check "add-worker from an instance" "$ROS" add-worker --worker-id vastai_worker_9 --vastai-instance-id 34824701
check_eq "says so, with where it goes and what to do next" "$OUT" "added worker vastai_worker_9 (ssh, pool vastai): root@ssh5.vast.ai:24700, key ~/.ssh/vastai_id_ed25519
next: ros setup-worker --worker-id vastai_worker_9"
cat >"$T/want" <<'EOF'
  - worker_id: vastai_worker_9
    instance_id: 34824701
    kind: ssh
    enabled: true
    worker_pool: vastai
    ssh:
      host: ssh5.vast.ai
      port: 24700
      user: root
      key: ~/.ssh/vastai_id_ed25519
    workspace: /root/research-worker
    resources:
      gpu: 1
      vram_gb: 12
      disk_gb: 32
      cpu: 8
    dph: 0.0566
    health:
      heartbeat_command: echo ok
      busy_command: pgrep -f '[r]uns/logs/.*/wrapper.sh' || true
    notes: "Vast.ai instance 34824701: RTX 3060, Texas, US"
EOF
check_eq "the entry, appended" "$(tail -n +$(($(wc -l <"$T/before") + 1)) $W)" "$(cat "$T/want")"
head -c "$(wc -c <"$T/before")" $W >"$T/head"
check "the old bytes are a prefix" cmp "$T/before" "$T/head"
check_eq "one GET of that instance" "$(fakevast_log_json '[(r["method"], r["path"], r["query"], r["headers"]["Authorization"]) for r in L]')" \
	'[["GET", "/api/v0/instances/34824701/", {"owner": "me"}, "Bearer testkey"]]'
check "registry reads it back" "$ROS" vastai-instances --json
check_eq "and it is tracked now" "$(printf '%s' "$OUT" | fakevast_json '[i["workers"] for i in d["instances"] if i["id"] == 34824701][0]')" '["vastai_worker_9"]'

check "default worker id" "$ROS" add-worker --vastai-instance-id 38664456
check_re "vastai_<id>" "$OUT" '^added worker vastai_38664456 '
check "direct mode" "$ROS" add-worker --worker-id direct1 --vastai-instance-id 37907233 --ssh-mode direct --pool gpu --key '~/.ssh/vastai_id_ed25519'
check_eq "public address (whitespace stripped) and the 22/tcp port" \
	"$(sed -n '/worker_id: direct1/,$p' $W | sed -n '6,12p')" \
	'    ssh_mode: direct
    ssh:
      host: "43.226.60.148"
      port: 41022
      user: root
      key: ~/.ssh/vastai_id_ed25519
    workspace: /root/research-worker'
check "reconcile agrees" "$ROS" vastai-reconcile
check_re "direct worker consistent" "$OUT" 'direct1 +inst=37907233  running   43\.226\.60\.148:41022'

cp $W "$T/before"
check_exit 1 "an instance with no endpoint yet" "$ROS" add-worker --worker-id x1 --vastai-instance-id 39100002
check_eq "says why" "$ERR" "ros: instance 39100002: no proxy SSH endpoint yet (status loading); try again when it is running"
check_exit 1 "an unknown instance" "$ROS" add-worker --worker-id x2 --vastai-instance-id 12345
check_re "not found" "$ERR" 'Vast.ai instance 12345 not found'
check_exit 1 "direct mode without a direct port" "$ROS" add-worker --worker-id x3 --vastai-instance-id 34824701 --ssh-mode direct
check_re "no direct endpoint" "$ERR" 'no direct SSH endpoint yet \(status running\)'
check "a hostile host" fakevast_ctl patch '{"instance":38702735,"set":{"ssh_host":"-oProxyCommand=sh"}}'
check_exit 1 "hostile host refused" "$ROS" add-worker --worker-id x4 --vastai-instance-id 38702735
check_re "said why" "$ERR" "refusing SSH host '-oProxyCommand=sh' from Vast.ai"
check "a host with a space" fakevast_ctl patch '{"instance":38702735,"set":{"ssh_host":"ssh5.vast.ai evil"}}'
check_exit 1 "refused too" "$ROS" add-worker --worker-id x5 --vastai-instance-id 38702735
check_exit 1 "bad key" env VAST_API_KEY=nope "$ROS" add-worker --worker-id x6 --vastai-instance-id 34824701
check_re "bad key said plainly" "$ERR" 'Vast.ai rejected the API key \(HTTP 401'
check "503 burst" fakevast_ctl fail '{"path_prefix":"/api/v0/instances/","status":503,"count":3}'
: >"$FAKEVAST_LOG"
check_exit 1 "a duplicate id is refused (through a 503 burst)" "$ROS" add-worker --worker-id vastai_worker_9 --vastai-instance-id 34824701
check_re "already exists" "$ERR" "worker 'vastai_worker_9' already exists"
check_eq "503, 503, 503, 200" "$(fakevast_log_json '[r["status"] for r in L]')" "[503, 503, 503, 200]"
check "nothing was written by any of them" cmp $W "$T/before"
check_exit 2 "--ssh-mode must be proxy or direct" "$ROS" add-worker --vastai-instance-id 1 --ssh-mode tunnel
done_testing
