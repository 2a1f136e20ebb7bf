#!/bin/sh
# The watcher (`vastai-watcher run --once`) against numbers from the Vast.ai
# API that cannot be true: an offer priced below zero or with an absurd
# DLP/$ is never rented; one of its own instances priced at -100 $/h (which
# would lower the spend it counts) or 1e300 $/h makes the spend unknown, so
# nothing more is rented, and such an instance is never registered.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
W=workers/workers.yaml
label="ros-watcher:$("$PY" -c '
import sys
h = 14695981039346656037
for b in sys.argv[1].encode():
    h = ((h ^ b) * 1099511628211) % 2**64
print("%012x" % (h & 0xffffffffffff))' "$T/root")"
# the market of the watcher tests, plus offers that lie; one of ours at -100 $/h
"$PY" - "$TOP/tests/fake/watcher-market.json" "$T/market.json" "$label" <<'EOF'
import json, sys, time
d = json.load(open(sys.argv[1]))
good = d["offers"][1]
lies = [{"dph_total": -1, "dlperf_per_dphtotal": 9999.0},
        {"dph_total": 0.05, "dlperf_per_dphtotal": 1e300},
        {"dph_total": 0.05, "dlperf_per_dphtotal": 5000.0, "num_gpus": 1e19},
        {"dph_total": 0.05, "dlperf_per_dphtotal": 5000.0, "machine_id": "51001"},
        {"dph_total": 0.05, "dlperf_per_dphtotal": 5000.0, "gpu_ram": -9223372036854775808}]
for i, l in enumerate(lies):
    o = dict(good, id=29200001 + i, ask_contract_id=29200001 + i, machine_id=52001 + i)
    o.update(l)
    d["offers"].append(o)
d["offers_regenerate"] = False
d["instances"].append({"id": 31000201, "machine_id": 40002, "actual_status": "running",
    "label": sys.argv[3], "gpu_name": "RTX 3060", "num_gpus": 1, "gpu_ram": 12288,
    "dph_total": -100, "ssh_host": "127.0.0.5", "ssh_port": 22235, "ports": None,
    "image_runtype": "ssh_proxy", "start_date": time.time()})
json.dump(d, open(sys.argv[2], "w"))
EOF
fakevast_start "$T/market.json"
export VAST_API_KEY=testkey
mkdir -p research/p && : >research/p/project.yaml
cat >vastai/watcher.yaml <<'EOF'
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
boot_timeout_seconds: 86400
EOF
puts() { fakevast_log_json '[r["path"] for r in L if r["method"] == "PUT"]'; }
"$ROS" add-run --project-id p --worker-pool vastai --command "echo a" >/dev/null
"$ROS" add-run --project-id p --worker-pool vastai --command "echo b" >/dev/null
cp $W "$T/before"

# --- one of ours at -100 $/h: the spend is unknown, nothing is rented ---
check "a tick" "$ROS" vastai-watcher run --once
check_re "the instance is refused, said why" "$OUT" \
	"warning: Vast.ai instance 31000201 refused .*: dph_total is -100, not a price \(\\\$/h\) from 0 to 1000"
check_re "it counts, its price does not" "$OUT" 'tick 1: 1 watcher instance \[31000201 running \(refused\)\] \(\$0\.0000/hr and unknown; caps 3, \$0\.2000/hr\)'
check_re "not registered" "$OUT" "instance 31000201: not registered while Vast.ai's values for it are refused"
check_re "not renting, and why" "$OUT" "not renting: Vast.ai's values for 1 of the watcher's instances are refused, so the spend is unknown; each counts as over max_total_dph \\\$0\.2000/hr"
check_eq "no search, no PUT" "$(fakevast_log_json '[r["path"] for r in L if r["method"] != "GET"]')" '[]'
check "workers.yaml untouched" cmp $W "$T/before"
check_eq "the state file: no price for it, the reason instead" \
	"$(jq_py .ros/watcher.state.json '[(i["id"], i["dph"], "dph_total is -100" in i["refused"]) for i in d["last_tick"]["live"]] + [d["last_tick"]["refused"]]')" \
	"[(31000201, None, True), 1]"

check "at 1e300 \$/h" fakevast_ctl patch '{"instance":31000201,"set":{"dph_total":1e300}}'
: >"$FAKEVAST_LOG"
check "a tick" "$ROS" vastai-watcher run --once
check_re "refused" "$OUT" 'instance 31000201 refused .*: dph_total is 1e\+300'
check_eq "no PUT" "$(puts)" '[]'
check_nore "not in workers.yaml" "$(cat $W)" 'e\+300'
check_eq "the state file: no hostile number, only the reason" \
	"$(jq_py .ros/watcher.state.json '[d["last_tick"]["dph"], [i["dph"] for i in d["last_tick"]["live"]], ["1e+300" in i["refused"] for i in d["last_tick"]["live"]]]')" \
	"[0.0, [None], [True]]"
check "with no id at all" fakevast_ctl patch '{"instance":31000201,"set":{"dph_total":0.05,"id":1e19}}'
: >"$FAKEVAST_LOG"
check "a tick" "$ROS" vastai-watcher run --once
check_re "counted all the same" "$OUT" 'tick 1: 1 watcher instance .* and unknown; caps'
check_eq "no PUT, no DELETE" "$(fakevast_log_json '[r["path"] for r in L if r["method"] in ("PUT", "DELETE")]')" '[]'

# --- still refused once boot_timeout_seconds have passed: destroyed; then real offers ---
"$PY" - "$T/market.json" "$T/market2.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["instances"][-1]["start_date"] = 1764500000.5
json.dump(d, open(sys.argv[2], "w"))
EOF
check "ours at -100 \$/h, started long ago" fakevast_ctl state "$(cat "$T/market2.json")"
: >"$FAKEVAST_LOG"
check "a tick" "$ROS" vastai-watcher run --once
check_re "destroyed, said why" "$OUT" "destroying instance 31000201: Vast.ai's values for it are refused and it has not become a worker .* after it started \(boot_timeout_seconds 86400\)
(.*
)*.* destroyed instance 31000201"
check_eq "the state records it" "$(jq_py .ros/watcher.state.json '[(x["instance_id"], x["why"]) for x in d["destroyed"]]')" "[(31000201, 'values refused')]"
for id in 29200001 29200002 29200003 29200005; do
	check_re "offer $id skipped with a warning" "$OUT" "warning: Vast.ai offer $id left out: "
done
check_re "one whose machine id is a string too" "$OUT" 'warning: Vast.ai offer 29200004 left out: machine_id is the string "51001"'
check_re "the search counts only the plausible ones" "$OUT" 'search: 3 offers; 0 on blacklisted machines, 0 over max_dph \$0\.1000/hr, 0 under 180 DLP/\$; 3 to consider'
check_eq "destroyed, then two real offers rented, best DLP/\$ first" \
	"$(fakevast_log_json '[(r["method"], r["path"]) for r in L if r["method"] in ("PUT", "DELETE")]')" \
	'[["DELETE", "/api/v0/instances/31000201/"], ["PUT", "/api/v0/asks/29100001/"], ["PUT", "/api/v0/asks/29100002/"]]'
check_eq "two workers, their prices real" "$(grep -E '^    dph: ' $W | tr -d ' ')" 'dph:0.05
dph:0.06'
check_nore "no hostile number in workers.yaml" "$(cat $W)" 'e\+300|e\+19|9223372036854775808|9999|-100'
done_testing
