#!/bin/sh
# vastai-reconcile: the post's story (10 live instances, 6 tracked workers,
# two ports changed, one host changed, one gone, one untracked), the report,
# --fix patching workers.yaml byte-surgically, gone workers disabled with
# their runs made stale and their known_hosts entries removed; then all
# consistent.  Hostile endpoints are refused.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
cp "$TOP/tests/fake/vast-story-workers.yaml" workers/workers.yaml
fakevast_start "$TOP/tests/fake/vast-story.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
GONE=vastai_auto_20260530_175359

# --- runs: two active on the gone worker (one may retry), one done there, one on a live worker ---
mkdir -p research/p && : >research/p/project.yaml
for c in a b c d; do "$ROS" add-run --project-id p --worker-pool vastai --max-retries 1 --command "echo $c" >/dev/null; done
"$PY" - "$GONE" <<'EOF'
import json, sys
q = json.load(open("queues/run_queue.json"))
plan = [("running", sys.argv[1], 1), ("dispatching", sys.argv[1], 0), ("done", sys.argv[1], 0),
        ("running", "vastai_worker_2", 0)]
for r, (st, w, mr) in zip(q, plan):
    r.update(status=st, worker_id=w, max_retries=mr, pid="4242", started_at="2026-05-31T00:00:00Z")
json.dump(q, open("queues/run_queue.json", "w"), indent=2)
open("queues/run_queue.json", "a").write("\n")
EOF
ids=$(jq_py queues/run_queue.json '" ".join(r["id"] for r in d)')
set -- $ids
R1=$1 R2=$2 R3=$3 R4=$4

# --- known_hosts: old and new endpoint of a moved worker, the gone one (hashed), one that stays ---
mkdir -p .ros
ssh-keygen -q -t ed25519 -N '' -f "$T/hk"
K=$(cut -d' ' -f1,2 "$T/hk.pub")
printf '[ssh3.vast.ai]:21234 %s\n' "$K" >"$T/gone_kh"
ssh-keygen -q -H -f "$T/gone_kh" >/dev/null 2>&1
{
	printf '[ssh8.vast.ai]:26249 %s\n' "$K"
	printf '[ssh8.vast.ai]:26248 %s\n' "$K"
	cat "$T/gone_kh"
	printf '[ssh1.vast.ai]:24456 %s\n' "$K"
	printf 'gpu-box.example.org %s\n' "$K"
} >.ros/known_hosts
check_re "the gone worker's entry is hashed" "$(sed -n 3p .ros/known_hosts)" '^\|1\|'
cp $W "$T/workers.before"
cp queues/run_queue.json "$T/runs.before"
cp .ros/known_hosts "$T/kh.before"

strip_time() { printf '%s\n' "$1" | sed 's/^=== Worker Reconciliation at [0-9-]* [0-9:]* ===$/=== Worker Reconciliation at TIME ===/'; }

# --- the report ---
check_exit 1 "drift: exit 1" "$ROS" vastai-reconcile
cat >"$T/want" <<'EOF'
=== Worker Reconciliation at TIME ===
Live instances: 10  |  Tracked workers: 6

  [✓] vastai_worker_2   inst=37906248  running   ssh8.vast.ai:26248  [RTX 3060  $0.0659/hr]
      ⚠ PORT CHANGED: yaml=26249  live=26248
  [✓] vastai_worker_3   inst=38342607  running   ssh4.vast.ai:22606  [GTX 1660 S  $0.0967/hr]
      ⚠ PORT CHANGED: yaml=22607  live=22606
  [✓] vastai_auto_20260531_003650  inst=38664456  running   ssh1.vast.ai:24456  [RTX A4000  $0.1027/hr]
  [✓] vastai_auto_20260531_050014  inst=38702735  running   ssh5.vast.ai:22734  [RTX 3070 laptop  $0.0556/hr]
      ⚠ HOST CHANGED: yaml=ssh2.vast.ai  live=ssh5.vast.ai
  [GONE]    vastai_auto_20260530_175359 — instance 38614511 not found
  [✓] vastai_worker_4   inst=37907233  running   43.226.60.148:41022  [RTX 3060  $0.0610/hr]
  [untracked] inst=34824701  running   ssh5.vast.ai:24700  [RTX 3060  $0.0566/hr]

4 tracked workers drifted from live state: run `ros vastai-reconcile --fix`.
EOF
check_eq "the report" "$(strip_time "$OUT")" "$(cat "$T/want")"
check_re "the time is local wall time" "$OUT" '^=== Worker Reconciliation at 20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] ===$'
check "without --fix nothing is written (registry)" cmp $W "$T/workers.before"
check "nor the runs" cmp queues/run_queue.json "$T/runs.before"
check "nor known_hosts" cmp .ros/known_hosts "$T/kh.before"
check_exit 1 "--json" "$ROS" vastai-reconcile --json
printf '%s' "$OUT" >"$T/j"
check_eq "json: counts" "$(jq_py "$T/j" '[d["live_instances"], d["tracked_workers"], d["drifted"], d["untracked"], d["consistent"]]')" \
	"[10, 6, 4, [34824701], False]"
check_eq "json: drift per worker" "$(jq_py "$T/j" '[(w["worker_id"], w["drift"]) for w in d["workers"] if w["drift"]]')" \
	"[('vastai_worker_2', ['port']), ('vastai_worker_3', ['port']), ('vastai_auto_20260531_050014', ['host']), ('$GONE', ['gone'])]"
check_eq "json: yaml and live endpoints" "$(jq_py "$T/j" '[(w["yaml"], w["live"]) for w in d["workers"]][0]')" \
	"({'host': 'ssh8.vast.ai', 'port': 26249}, {'host': 'ssh8.vast.ai', 'port': 26248})"

# --- --fix ---
: >"$FAKEVAST_LOG"
check "--fix" "$ROS" vastai-reconcile --fix
cat >"$T/want" <<'EOF'
=== Worker Reconciliation at TIME ===
Live instances: 10  |  Tracked workers: 6

  [✓] vastai_worker_2   inst=37906248  running   ssh8.vast.ai:26248  [RTX 3060  $0.0659/hr]
      ⚠ PORT CHANGED: yaml=26249  live=26248
      ✓ Updated port 26249 → 26248
      ✓ Removed [ssh8.vast.ai]:26249 from .ros/known_hosts
      ✓ Removed [ssh8.vast.ai]:26248 from .ros/known_hosts
  [✓] vastai_worker_3   inst=38342607  running   ssh4.vast.ai:22606  [GTX 1660 S  $0.0967/hr]
      ⚠ PORT CHANGED: yaml=22607  live=22606
      ✓ Updated port 22607 → 22606
  [✓] vastai_auto_20260531_003650  inst=38664456  running   ssh1.vast.ai:24456  [RTX A4000  $0.1027/hr]
  [✓] vastai_auto_20260531_050014  inst=38702735  running   ssh5.vast.ai:22734  [RTX 3070 laptop  $0.0556/hr]
      ⚠ HOST CHANGED: yaml=ssh2.vast.ai  live=ssh5.vast.ai
      ✓ Updated host ssh2.vast.ai → ssh5.vast.ai
  [GONE]    vastai_auto_20260530_175359 — instance 38614511 not found
            ✓ Marked vastai_auto_20260530_175359 enabled: false
            ✓ 2 runs made stale (1 requeued)
            ✓ Removed [ssh3.vast.ai]:21234 from .ros/known_hosts
  [✓] vastai_worker_4   inst=37907233  running   43.226.60.148:41022  [RTX 3060  $0.0610/hr]
  [untracked] inst=34824701  running   ssh5.vast.ai:24700  [RTX 3060  $0.0566/hr]

All tracked workers are consistent with live state.
EOF
check_eq "the --fix report" "$(strip_time "$OUT")" "$(cat "$T/want")"
diff "$T/workers.before" $W >"$T/diff"
cat >"$T/want" <<'EOF'
31c31
<       port: 26249                # it moved overnight
---
>       port: 26248                # it moved overnight
45c45
<     ssh: {host: ssh4.vast.ai, port: 22607, user: root}
---
>     ssh: {host: ssh4.vast.ai, port: 22606, user: root}
78c78
<       host: 'ssh2.vast.ai'
---
>       host: 'ssh5.vast.ai'
86c86
<     enabled: true
---
>     enabled: false
EOF
check_eq "workers.yaml: exactly those four scalars changed, comments and quoting kept" "$(cat "$T/diff")" "$(cat "$T/want")"
check_eq "the gone worker's enabled line is the one changed" "$(sed -n 83,86p $W | tr -s ' ')" \
	" - worker_id: $GONE
 instance_id: 38614511
 kind: ssh
 enabled: false"
check_eq "runs: the retryable one requeued, the other stale, the rest untouched" \
	"$(jq_py queues/run_queue.json '[(r["status"], r.get("attempt", 0), r.get("worker_id"), r.get("stale_reason")) for r in d]')" \
	"[('pending', 1, None, None), ('stale', 0, '$GONE', 'instance 38614511 gone'), ('done', 0, '$GONE', None), ('running', 0, 'vastai_worker_2', None)]"
check_eq "the requeued run keeps its attempt record" "$(jq_py queues/run_queue.json 'd[0]["attempts"][0]["status"] + " " + d[0]["attempts"][0]["stale_reason"]')" \
	"stale instance 38614511 gone"
check_eq "entries not touched keep their bytes" \
	"$("$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print([a[i]==b[i] for i in range(4)])' "$T/runs.before" queues/run_queue.json)" \
	"[False, False, True, True]"
check "known_hosts: the entry that stays" ssh-keygen -F '[ssh1.vast.ai]:24456' -f .ros/known_hosts
check "known_hosts: the other host stays" ssh-keygen -F gpu-box.example.org -f .ros/known_hosts
for h in '[ssh8.vast.ai]:26249' '[ssh8.vast.ai]:26248' '[ssh3.vast.ai]:21234'; do
	check_fail "known_hosts: $h removed" ssh-keygen -F "$h" -f .ros/known_hosts
done
check_eq "known_hosts: two lines left" "$(wc -l <.ros/known_hosts)" 2
check_eq "--fix sent only the list request" "$(fakevast_log_json '[(r["method"], r["path"]) for r in L]')" '[["GET", "/api/v1/instances/"]]'

# --- the next reconcile: consistent ---
check "reconcile again" "$ROS" vastai-reconcile
check_re "all consistent" "$OUT" 'All tracked workers are consistent with live state\.$'
check_re "the disabled worker is no longer tracked" "$OUT" 'Live instances: 10  \|  Tracked workers: 5'
check_nore "no drift lines" "$OUT" '⚠|GONE'
cp $W "$T/workers.fixed"
check "--fix with nothing to do" "$ROS" vastai-reconcile --fix
check "writes nothing" cmp $W "$T/workers.fixed"

# --- another restart overnight: the direct port of worker 4 moves too ---
check "port moves again" fakevast_ctl patch '{"instance":37906248,"set":{"ssh_port":26250}}'
check "direct port moves" fakevast_ctl patch '{"instance":37907233,"set":{"ports":{"22/tcp":[{"HostIp":"0.0.0.0","HostPort":"41023"}]},"public_ipaddr":" 43.226.60.149\n"}}'
check_exit 1 "drift again" "$ROS" vastai-reconcile
check_re "direct mode compares the public address and 22/tcp" "$OUT" \
	'vastai_worker_4   inst=37907233  running   43\.226\.60\.149:41023 .*
      ⚠ PORT CHANGED: yaml=41022  live=41023
      ⚠ HOST CHANGED: yaml=43\.226\.60\.148  live=43\.226\.60\.149'
check "fix it" env ROS_SSH_KEYGEN=/nonexistent/ssh-keygen "$ROS" vastai-reconcile --fix
check_re "a missing ssh-keygen is a warning, not a failure" "$ERR" 'warning: cannot remove \[ssh8\.vast\.ai\]:26248 from .*known_hosts'
check_eq "both patched" "$(grep -nE 'port: 2625|port: 4102|host: .?43' $W | tr -s ' ')" \
	"31: port: 26250 # it moved overnight
101: host: \"43.226.60.149\"
102: port: 41023"

# --- hostile endpoints from the API are refused, nothing written ---
cp $W "$T/workers.fixed"
check "a hostile host" fakevast_ctl patch '{"instance":38664456,"set":{"ssh_host":"-oProxyCommand=touch '"$T"'/pwned","ssh_port":1}}'
check "a bad port" fakevast_ctl patch '{"instance":38342607,"set":{"ssh_port":"99999"}}'
check_exit 1 "reported as drift" "$ROS" vastai-reconcile
check_re "host refused, said why" "$OUT" "⚠ refusing SSH host '-oProxyCommand=touch .*' from Vast.ai \(not a plain host name\)"
check_re "port refused" "$OUT" "⚠ refusing Vast.ai's values for instance 38342607: ssh_port is the string \"99999\", not a port from 1 to 65535"
check_exit 1 "--fix cannot repair it: exit 1" "$ROS" vastai-reconcile --fix
check_re "marked as not updated" "$OUT" '✗ Not updated: nothing usable to write'
check_re "and summed up" "$OUT" '2 repairs failed'
check "nothing written" cmp $W "$T/workers.fixed"
check "nothing executed" test ! -e "$T/pwned"

# --- failures of the API change nothing ---
check "list fails" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":500,"count":-1}'
check_exit 1 "reconcile --fix with the API down" "$ROS" vastai-reconcile --fix
check_re "says so" "$ERR" 'cannot list instances: Vast.ai answered HTTP 500'
check "and writes nothing" cmp $W "$T/workers.fixed"
check "clear" fakevast_ctl fail '{"clear":true}'
check_exit 1 "bad key" env VAST_API_KEY=nope "$ROS" vastai-reconcile --fix
check_re "bad key said plainly" "$ERR" 'rejected the API key'
check "and writes nothing" cmp $W "$T/workers.fixed"
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey|nope'
done_testing
