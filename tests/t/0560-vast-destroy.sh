#!/bin/sh
# vastai-destroy: DELETE the instance, then disable its worker, make its
# running runs stale and forget its host key; --yes, the terminal question,
# an instance already gone, API failures.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
cp "$TOP/tests/fake/vast-story-workers.yaml" workers/workers.yaml
fakevast_start "$TOP/tests/fake/vast-story.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
mkdir -p research/p && : >research/p/project.yaml
for c in a b; do "$ROS" add-run --project-id p --worker-pool vastai --max-retries 2 --command "echo $c" >/dev/null; done
"$PY" - <<'EOF'
import json
q = json.load(open("queues/run_queue.json"))
q[0].update(status="running", worker_id="vastai_worker_2", pid=77)
q[1].update(status="running", worker_id="vastai_worker_3", pid=78)
json.dump(q, open("queues/run_queue.json", "w"), indent=2)
open("queues/run_queue.json", "a").write("\n")
EOF
mkdir -p .ros
ssh-keygen -q -t ed25519 -N '' -f "$T/hk"
printf '[ssh8.vast.ai]:26249 %s\n[ssh4.vast.ai]:22607 %s\n' "$(cut -d' ' -f1,2 "$T/hk.pub")" "$(cut -d' ' -f1,2 "$T/hk.pub")" >.ros/known_hosts
cp $W "$T/before"

check_exit 2 "no terminal, no --yes: refused" "$ROS" vastai-destroy 37906248 </dev/null
check_re "says why" "$ERR" 'refusing to destroy instance 37906248 \(RTX 3060, \$0\.0659/hr\) without --yes'
check_eq "only looked at it" "$(fakevast_log_json '[(r["method"], r["path"]) for r in L]')" '[["GET", "/api/v0/instances/37906248/"]]'
check "nothing changed" cmp $W "$T/before"
if command -v script >/dev/null 2>&1; then
	check_exit 1 "a terminal answering no" sh -c "printf 'n\n' | script -qec '$ROS vastai-destroy 37906248' /dev/null"
	check_re "asked, and did not" "$OUT" 'Destroy instance 37906248 \(RTX 3060, \$0\.0659/hr\)\? All its data is lost\. \[y/N\].*not destroyed'
	check_eq "no DELETE" "$(fakevast_log_json 'sum(r["method"] == "DELETE" for r in L)')" 0
fi

: >"$FAKEVAST_LOG"
check "--yes" "$ROS" vastai-destroy 37906248 --yes
check_eq "the report" "$OUT" 'Destroyed instance 37906248 (RTX 3060, $0.0659/hr)
  ✓ Marked vastai_worker_2 enabled: false
  ✓ 1 run of vastai_worker_2 made stale (1 requeued)
  ✓ Removed [ssh8.vast.ai]:26249 from .ros/known_hosts'
check_eq "GET, then DELETE with {}" "$(fakevast_log_json '[(r["method"], r["path"], r["body"], r["headers"]["Authorization"]) for r in L]')" \
	'[["GET", "/api/v0/instances/37906248/", null, "Bearer testkey"], ["DELETE", "/api/v0/instances/37906248/", {}, "Bearer testkey"]]'
check_eq "the worker disabled, one line changed" "$(diff "$T/before" $W)" "26c26
<     enabled: true
---
>     enabled: false"
check_eq "its run requeued, the other untouched" "$(jq_py queues/run_queue.json '[(r["status"], r.get("attempt", 0), r["attempts"][0]["stale_reason"] if "attempts" in r else None) for r in d]')" \
	"[('pending', 1, 'instance 37906248 destroyed'), ('running', 0, None)]"
check "the other key stays" ssh-keygen -F '[ssh4.vast.ai]:22607' -f .ros/known_hosts
check "the instance is gone" fakevast_ctl state
check_eq "from the live list" "$(printf '%s' "$OUT" | fakevast_json '37906248 in [i["id"] for i in d["instances"]]')" false

# --- by worker id, with --json ---
check "by worker id" "$ROS" vastai-destroy vastai_worker_3 -y --json
check_eq "json" "$(printf '%s' "$OUT" | fakevast_json '[d["instance_id"], d["destroyed"], d["workers"]]')" \
	'[38342607, true, [{"worker_id": "vastai_worker_3", "disabled": true, "runs_stale": 1, "runs_requeued": 1, "known_hosts_removed": ["[ssh4.vast.ai]:22607"]}]]'

# --- already gone: the worker is retired all the same ---
check "destroy the gone worker's instance" "$ROS" vastai-destroy vastai_auto_20260530_175359 --yes
check_re "already destroyed" "$OUT" '^Instance 38614511 not found: already destroyed
  ✓ Marked vastai_auto_20260530_175359 enabled: false$'
check "an untracked one" "$ROS" vastai-destroy 34824701 --yes
check_re "no worker named it" "$OUT" '\(no enabled worker named it\)'
cp $W "$T/before"
check "DELETE answers 404 (destroyed meanwhile)" fakevast_ctl fail '{"path_prefix":"/api/v0/instances/38664456","method":"DELETE","status":404,"body":{"success":false,"error":"not_found","msg":"Instance not found"}}'
check "still fine" "$ROS" vastai-destroy 38664456 --yes
check_re "reported as already gone" "$OUT" 'Instance 38664456 not found: already destroyed'
check "retired" grep -q 'enabled: false' $W

# --- failures leave the registry alone ---
cp $W "$T/before"
check "DELETE refused" fakevast_ctl fail '{"path_prefix":"/api/v0/instances/38702735","method":"DELETE","status":200,"body":{"success":false,"msg":"instance is locked"}}'
check_exit 1 "destroy refused by Vast.ai" "$ROS" vastai-destroy 38702735 --yes
check_re "says so" "$ERR" 'cannot destroy instance 38702735: Vast.ai refused \(HTTP 200, success=false: instance is locked\)'
check "the worker stays enabled" cmp $W "$T/before"
check_exit 1 "bad key" env VAST_API_KEY=nope "$ROS" vastai-destroy 38702735 --yes
check_re "said plainly" "$ERR" 'rejected the API key'
check "unchanged" cmp $W "$T/before"
check_exit 1 "a worker without an instance" "$ROS" vastai-destroy box --yes
check_re "says so" "$ERR" 'worker box names no Vast.ai instance'
check_exit 2 "no argument" "$ROS" vastai-destroy
check_exit 2 "a bad id" "$ROS" vastai-destroy -- -5
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey|nope'
done_testing
