#!/bin/sh
# One tick of the watcher (`vastai-watcher run --once`) against the fake
# market: only_when_pending, the caps, the blacklist, an offer rented away,
# registration with instance_id (reconcile then finds it consistent), API
# errors that fail the tick without renting blind.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
fakevast_start "$TOP/tests/fake/watcher-market.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
mkdir -p research/p && : >research/p/project.yaml
cat >vastai/watcher.yaml <<'EOF'
# test settings
interval_seconds: 1
max_dph: 0.10
min_dlp_per_dollar: 180
profile:
image: pytorch/pytorch:2.4.0
disk_gb: 20
max_instances: 3
max_total_dph: 0.20
only_when_pending: true
idle_destroy_minutes: 0
EOF
label="ros-watcher:$("$PY" -c '
import sys
h = 14695981039346656037
for b in sys.argv[1].encode():
    h = ((h ^ b) * 1099511628211) % 2**64
print("%012x" % (h & 0xffffffffffff))' "$T/root")"
"$ROS" vastai-blacklist add 48211 --reason ghost >/dev/null
puts() { fakevast_log_json '[(r["path"], r["status"]) for r in L if r["method"] == "PUT"]'; }
# the watcher's instances in the fake: [[id, machine_id, dph_total], ...]
mine() { fakevast_ctl state | fakevast_json "[[i['id'], i['machine_id'], i['dph_total']] for i in d['instances'] if i.get('label') == '$label']"; }
add_run() { "$ROS" add-run --project-id p --worker-pool "${2:-vastai}" --command "$1" >/dev/null; }

# --- an empty queue: nothing rented ---
check "an empty queue" "$ROS" vastai-watcher run --once
check_re "says why it rents nothing" "$OUT" 'not renting: no run of pool vastai waits for a slot \(0 slots asked, 0 free; only_when_pending\)'
check_eq "listed the instances, no search, no PUT" "$(fakevast_log_json '[(r["method"], r["path"]) for r in L]')" \
	'[["GET", "/api/v1/instances/"]]'
add_run "echo local" local
check "a run of another pool" "$ROS" vastai-watcher run --once
check_eq "still no PUT" "$(puts)" "[]"

# --- two runs wait: two rentals, best DLP/$ first, never the blacklisted machine ---
add_run "echo a"
add_run "echo b"
: >"$FAKEVAST_LOG"
check "two runs wait" "$ROS" vastai-watcher run --once
check_re "the demand" "$OUT" 'pool vastai: 2 slots asked by pending runs, 0 free'
check_re "the search" "$OUT" 'search: 3 offers; 1 on blacklisted machines, 0 over max_dph \$0\.1000/hr, 0 under 180 DLP/\$; 2 to consider'
check_re "rented the best, then the next" "$OUT" 'renting offer 29100002 \(RTX 3060 on machine 51001, \$0\.0600/hr, DLP/\$ 250\.0\)
(.*
)*.* rented offer 29100002 \(RTX 3060 on machine 51001, \$0\.0600/hr, DLP/\$ 250\.0\) as instance 40000001: worker vastai_auto_[0-9_]+, ssh 127\.0\.0\.2:22232, pool vastai
(.*
)*.* rented offer 29100003 \(RTX 3070 on machine 51002, \$0\.0900/hr, DLP/\$ 200\.0\) as instance 40000002: worker vastai_auto_[0-9_]+, ssh 127\.0\.0\.3:22233, pool vastai'
check_eq "two PUTs" "$(puts)" '[["/api/v0/asks/29100002/", 200], ["/api/v0/asks/29100003/", 200]]'
check_eq "the search asked for what the settings say" "$(fakevast_log_json '[(r["body"]["dph_total"], r["body"]["dlperf_per_dphtotal"], r["body"]["allocated_storage"], r["body"]["order"]) for r in L if r["path"] == "/api/v0/bundles/"]')" \
	'[[{"lte": "0.1"}, {"gte": "180"}, 20.0, [["dlperf_per_dphtotal", "desc"]]]]'
check_eq "rented with the label, image, disk, onstart of the settings" \
	"$(fakevast_log_json '[(r["body"]["label"], r["body"]["image"], r["body"]["disk"], r["body"]["onstart"]) for r in L if r["method"] == "PUT"][0]')" \
	"[\"$label\", \"pytorch/pytorch:2.4.0\", 20.0, null]"
check_eq "the fake has them, none on a blacklisted machine" "$(mine)" '[[40000001, 51001, 0.06], [40000002, 51002, 0.09]]'
check_eq "both in workers.yaml with their instance_id" "$(grep -c 'instance_id: 4000000[12]$' $W)" 2
check_re "a worker entry" "$(cat $W)" '  - worker_id: vastai_auto_[0-9]{8}_[0-9]{6}(_2)?
    instance_id: 40000002
    kind: ssh
    enabled: true
    worker_pool: vastai
    ssh:
      host: "127\.0\.0\.3"
      port: 22233
      user: root
    workspace: /root/research-worker
(.*
)*    notes: AUTO-RENTED at .*\. RTX 3070, \$0\.0900/hr, DLP/\$=200\.0\. Oregon, US\.'
check "vastai-reconcile" "$ROS" vastai-reconcile
check_re "finds them consistent" "$OUT" 'Tracked workers: 2'
check_re "all consistent" "$OUT" 'All tracked workers are consistent with live state\.'
check "the state file" "$PY" -c 'import json; d = json.load(open(".ros/watcher.state.json")); assert d["last_tick"]["rented"] == 2 and [r["instance_id"] for r in d["rented"]] == [40000001, 40000002], d'

# --- the runs now have slots: nothing more ---
: >"$FAKEVAST_LOG"
check "runs wait, slots free" "$ROS" vastai-watcher run --once
check_re "counted from the API" "$OUT" 'tick 1: 2 watcher instances \[40000001 running, 40000002 running\] \(\$0\.1500/hr; caps 3, \$0\.2000/hr\), 1 other on the account'
check_re "the free slots" "$OUT" 'not renting: no run of pool vastai waits for a slot \(2 slots asked, 2 free; only_when_pending\)'
check_eq "no PUT" "$(puts)" "[]"

# --- a third run: the budget caps it ($0.15 + the cheapest $0.06 > $0.20) ---
add_run "echo c"
: >"$FAKEVAST_LOG"
check "a third run" "$ROS" vastai-watcher run --once
check_re "skipped for the budget" "$OUT" 'skipped 2 offers \(from \$0\.0600/hr\): each would bring the spend of \$0\.1500/hr over max_total_dph \$0\.2000/hr'
check_eq "no PUT" "$(puts)" "[]"

# --- more budget: the offer is rented away first, the next one is taken ---
sed -i 's/^max_total_dph: .*/max_total_dph: 0.30/' vastai/watcher.yaml
check "the best offer rented away" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/29000001","method":"PUT","status":404,"body":{"success":false,"error":"invalid_args","msg":"error 404/3603: no_such_ask Instance type by id 29000001 is not available.","ask_id":29000001}}'
: >"$FAKEVAST_LOG"
check "rent with an offer gone" "$ROS" vastai-watcher run --once
check_re "skipped, said why" "$OUT" 'skipped offer 29000001: gone \(rented by someone else\) before it could be rented'
check_re "took the next" "$OUT" 'rented offer 29000002 \(RTX 3070 on machine [0-9]+, \$0\.0900/hr, DLP/\$ 200\.0\) as instance 40000003'
check_eq "PUTs: 404, then 200" "$(puts)" '[["/api/v0/asks/29000001/", 404], ["/api/v0/asks/29000002/", 200]]'
check_eq "three now" "$(grep -c 'instance_id: 4000000[123]$' $W)" 3
check_eq "none on a blacklisted machine" "$(mine | fakevast_json '[m for i, m, p in d if m == 48211]')" "[]"

# --- max_instances caps it ---
add_run "echo d"
: >"$FAKEVAST_LOG"
check "a fourth run" "$ROS" vastai-watcher run --once
check_re "at max_instances" "$OUT" 'not renting: 3 instances, max_instances is 3'
check_eq "no search, no PUT" "$(fakevast_log_json '[r["path"] for r in L if r["method"] != "GET"]')" "[]"

# --- API errors: the tick fails, nothing is rented blind, the key never shows ---
sed -i 's/^max_instances: .*/max_instances: 5/' vastai/watcher.yaml
: >"$FAKEVAST_LOG"
check "the list fails" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":503,"count":4}'
check_exit 1 "a failed tick" "$ROS" vastai-watcher run --once
check_re "logged" "$OUT" 'error: list instances: .*503'
check_eq "four tries, no search, no PUT" "$(fakevast_log_json '[(r["method"], r["status"]) for r in L]')" \
	'[["GET", 503], ["GET", 503], ["GET", 503], ["GET", 503]]'
check "the state says so" "$PY" -c 'import json; d = json.load(open(".ros/watcher.state.json")); assert not d["last_tick"]["ok"] and "503" in d["last_tick"]["outcome"] and d["failures"] == 1, d'
check "the search fails" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":429,"count":-1}'
check_exit 1 "a failed search" "$ROS" vastai-watcher run --once
check_re "logged" "$OUT" 'error: search offers: .*429'
check "clear" fakevast_ctl fail '{"clear":true}'
check "a broken blacklist" sh -c 'printf "blacklist: [\n" > vastai/blacklist.yaml'
: >"$FAKEVAST_LOG"
check_exit 1 "no renting without a readable blacklist" "$ROS" vastai-watcher run --once
check_re "says so" "$OUT" 'error: blacklist: .*vastai/blacklist\.yaml:.*; renting nothing until it reads'
check_eq "no search, no PUT" "$(fakevast_log_json '[r["path"] for r in L if r["method"] != "GET"]')" "[]"
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err .ros/watcher.state.json)" 'testkey'
check_eq "the key only in headers" "$(fakevast_log_json 'sum("testkey" in json.dumps([r["path"], r["query"], r["body"]]) for r in L)')" 0
done_testing
