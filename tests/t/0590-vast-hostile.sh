#!/bin/sh
# Numbers from the Vast.ai API that cannot be true (1e300, -1,
# -9223372036854775808, 1e19, 2^63, strings and objects where numbers go):
# the row is refused with a warning naming the id and the field, never
# written to workers.yaml, never rented, never ranked as cheap; an instance
# whose values are refused is not taken for gone either.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
W=workers/workers.yaml
cp "$TOP/tests/fake/vast-story-workers.yaml" $W
fakevast_start "$TOP/tests/fake/vast-story.json"
export VAST_API_KEY=testkey
puts() { fakevast_log_json '[r["path"] for r in L if r["method"] == "PUT"]'; }
set_inst() { fakevast_ctl patch "{\"instance\":$1,\"set\":$2}" >/dev/null; }

# --- listed instances ---
check "a tracked instance at 1e300 \$/h" set_inst 37906248 '{"dph_total":1e300}'
check "one with num_gpus -2^63" set_inst 38342607 '{"num_gpus":-9223372036854775808}'
check "one with a string for gpu_ram and an object for disk_space" set_inst 38702735 '{"gpu_ram":"12288","disk_space":{"gb":32}}'
check "vastai-instances" "$ROS" vastai-instances
check_re "warns, naming the id and the field" "$ERR" \
	"warning: Vast.ai instance 37906248 refused \(not registered, rented on nor counted as cheap\): dph_total is 1e\+300, not a price \(\\\$/h\) from 0 to 1000"
check_re "each one" "$ERR" 'instance 38342607 refused .*: num_gpus is -9223372036854775808, not a GPU count from 0 to 64'
check_re "strings and objects too" "$ERR" 'instance 38702735 refused .*: gpu_ram is the string "12288", not a size \(MB\) from 0 to 1048576; disk_space is an object, not a size \(GB\) from 0 to 1000000'
check_re "the instance is still listed, without a price" "$OUT" '37906248  RTX 3060                running          -  ssh8\.vast\.ai:26248            vastai_worker_2'
check_nore "no 1e300 in the table" "$OUT" 'e\+300|1000000000'
check "--json" "$ROS" vastai-instances --json
check_nore "no hostile number in the JSON" "$OUT" 'e\+?300|9223372036854775808|"12288"'
check_eq "the refused rows are there, with their workers" \
	"$(printf '%s' "$OUT" | fakevast_json '[(i["id"], i["dph_total"], i["num_gpus"], i["workers"]) for i in d["instances"] if i["id"] in (37906248, 38342607)]')" \
	'[[37906248, null, 1, ["vastai_worker_2"]], [38342607, 0.0967, null, ["vastai_worker_3"]]]'
check_eq "no worker taken for gone because of them" \
	"$(printf '%s' "$OUT" | fakevast_json '[m["worker_id"] for m in d["missing"]]')" '["vastai_auto_20260530_175359"]'

# --- add-worker --vastai-instance-id ---
cp $W "$T/before"
check "an untracked instance with a huge gpu_ram" set_inst 34824701 '{"gpu_ram":1e300}'
check_exit 1 "add-worker refuses it" "$ROS" add-worker --worker-id w9 --vastai-instance-id 34824701
check_re "naming the instance and the field" "$ERR" "instance 34824701: refusing Vast.ai's values: gpu_ram is 1e\+300, not a size \(MB\) from 0 to 1048576"
check "workers.yaml untouched" cmp $W "$T/before"
for v in -1 1e19 -9223372036854775808 '"0.05"' '{"usd":0.05}' '[0.05]'; do
	set_inst 34824701 "{\"gpu_ram\":12288,\"dph_total\":$v}"
	check_exit 1 "add-worker refuses dph_total $v" "$ROS" add-worker --worker-id w9 --vastai-instance-id 34824701
	check_re "  and says so" "$ERR" "instance 34824701: refusing Vast.ai's values: dph_total is "
done
check "workers.yaml still untouched" cmp $W "$T/before"
set_inst 34824701 '{"gpu_ram":12288,"dph_total":0.0566}'
check "the same instance, plausible again, registers" "$ROS" add-worker --worker-id w9 --vastai-instance-id 34824701
check_re "with its real values" "$(sed -n '/worker_id: w9/,$p' $W)" 'vram_gb: 12
(.*
)*    dph: 0.0566'
check "remove it again" cp "$T/before" $W

# --- vastai-reconcile ---
check_exit 1 "reconcile: refused rows are drift it cannot repair" "$ROS" vastai-reconcile
check_re "said why" "$OUT" "vastai_worker_2 .*
      ⚠ refusing Vast.ai's values for instance 37906248: dph_total is 1e\+300"
check_exit 1 "--fix repairs nothing of them" "$ROS" vastai-reconcile --fix
check_re "disables the gone one" "$OUT" 'Marked vastai_auto_20260530_175359 enabled: false'
check_nore "not the refused ones" "$OUT" 'Marked vastai_worker_[23] enabled: false'
check "an instance id of 1e19" set_inst 38664456 '{"id":1e19}'
check_exit 1 "reconcile --fix" "$ROS" vastai-reconcile --fix --json
check_eq "its worker is not taken for gone" \
	"$(printf '%s' "$OUT" | fakevast_json '[(w["drift"], w["problem"]) for w in d["workers"] if w["worker_id"] == "vastai_auto_20260531_003650"][0]')" \
	'[["refused"], "instance 38664456 is not in the list, but Vast.ai sent 1 instance without a usable id: not taken for gone"]'
check_eq "nothing disabled: which one is gone cannot be told" \
	"$(printf '%s' "$OUT" | fakevast_json '[w["worker_id"] for w in d["workers"] if w["fixed"]]')" '[]'
check_eq "workers.yaml: the refused ones still enabled" \
	"$(grep -A3 -E 'worker_id: (vastai_worker_2|vastai_worker_3|vastai_auto_20260531_003650)$' $W | grep -c 'enabled: true')" 3
check_nore "and no hostile number written" "$(cat $W)" 'e\+300|9223372036854775808|1e19'

# --- an integer past 2^63 is not JSON to ros: the call fails, nothing changes ---
cp $W "$T/before"
big='{"success":true,"next_token":null,"instances":[{"id":37906248,"dph_total":0.07,"num_gpus":9223372036854775808}]}'
check "a reply with 2^63 in it" fakevast_ctl fail "{\"path_prefix\":\"/api/v1/instances\",\"status\":200,\"count\":-1,\"body\":$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$big")}"
check_exit 1 "vastai-instances fails" "$ROS" vastai-instances
check_re "saying why" "$ERR" "is not JSON: too big integer"
check_exit 1 "reconcile --fix fails" "$ROS" vastai-reconcile --fix
check "and writes nothing" cmp $W "$T/before"
check "clear" fakevast_ctl fail '{"clear":true}'

# --- offers: vast-hunt ranks and rents only what is believable ---
"$PY" - "$TOP/tests/fake/vast-examples.json" "$T/market.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
good = d["offers"][0]
bad = [("dph_total", -1), ("storage_cost", -1e300), ("dlperf", 1e300), ("dph_total", 1e300),
       ("machine_id", 1e19), ("num_gpus", 1e19), ("gpu_ram", {"mb": 24564}), ("id", "27090008"),
       ("inet_down_cost", -5), ("min_bid", -0.1), ("dph_base", 1e19), ("reliability", 7),
       ("cpu_cores", -9223372036854775808), ("duration", -1)]
for i, (k, v) in enumerate(bad):
    o = dict(good, id=27090001 + i, ask_contract_id=27090001 + i, machine_id=48211 + 1000 * (i + 1))
    o[k] = v
    d["offers"].append(o)
json.dump(d, open(sys.argv[2], "w"))
EOF
check "a market with hostile offers" fakevast_ctl state "$(cat "$T/market.json")"
: >"$FAKEVAST_LOG"
check "vast-hunt" "$ROS" vast-hunt --data-gb 10 --json
printf '%s' "$OUT" >"$T/hunt.json"
check_eq "only the four plausible offers ranked" "$(jq_py "$T/hunt.json" 'sorted(o["id"] for o in d["offers"])')" \
	'[27044890, 27045511, 27046002, 27047733]'
check_eq "the best is a real one" "$(jq_py "$T/hunt.json" 'd["best"]')" 27045511
check_eq "a warning per hostile offer" "$(printf '%s\n' "$ERR" | grep -c 'left out: ')" 14
check_re "naming the id and the field" "$ERR" 'warning: Vast.ai offer 27090001 left out: dph_total is -1, not a price \(\$/h\) from 0 to 1000'
check_re "a machine id that is no id" "$ERR" 'offer 27090005 left out: machine_id is 1e\+19, not an id'
check_re "an id that is a string" "$ERR" 'a Vast.ai offer without a usable id left out: id is the string "27090008"'
check_nore "no hostile number in the output" "$OUT" 'e\+300|e\+19|9223372036854775808|-1e'
check "vast-hunt --rent" "$ROS" vast-hunt --data-gb 10 --rent --yes --image pytorch/pytorch:2.4.0
check_re "rents the plausible best" "$OUT" 'Rented offer 27045511 as instance 40000001'
check_eq "the only PUT" "$(puts)" '["/api/v0/asks/27045511/"]'
check_nore "workers.yaml holds no hostile number" "$(cat $W)" 'e\+300|e\+19|9223372036854775808|dph: -'

"$PY" - "$T/market.json" "$T/hostile.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["offers"] = [o for o in d["offers"] if str(o["id"]).startswith("2709")]
json.dump(d, open(sys.argv[2], "w"))
EOF
check "a market of hostile offers only" fakevast_ctl state "$(cat "$T/hostile.json")"
: >"$FAKEVAST_LOG"
cp $W "$T/before"
check_exit 1 "vast-hunt --rent" "$ROS" vast-hunt --rent --yes --image pytorch/pytorch:2.4.0
check_re "nothing to rent" "$ERR" 'nothing to rent: no offer matches'
check_eq "no PUT" "$(puts)" '[]'
check "nothing written" cmp $W "$T/before"

# --- a rental whose instance row turns out hostile: destroyed, not registered ---
check "back to the plain market" fakevast_ctl state "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["next_instance_id"]=40000101; print(json.dumps(d))' "$TOP/tests/fake/vast-examples.json")"
row='{"instances":{"id":40000101,"actual_status":"running","ssh_host":"127.0.0.2","ssh_port":22232,"image_runtype":"ssh_proxy","gpu_name":"RTX 4090","num_gpus":1,"gpu_ram":1e300,"dph_total":0.3306}}'
check "its polls answer gpu_ram 1e300" fakevast_ctl fail "{\"path_prefix\":\"/api/v0/instances/40000101\",\"method\":\"GET\",\"status\":200,\"count\":-1,\"body\":$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$row")}"
: >"$FAKEVAST_LOG"
check_exit 1 "vast-hunt --rent fails" "$ROS" vast-hunt --query 'dph<0.35 gpu_ram>=20' --rent --yes --image pytorch/pytorch:2.4.0
check_re "says why" "$ERR" "instance 40000101 cannot be used: refusing Vast.ai's values: gpu_ram is 1e\+300.*; destroyed it so it does not bill"
check_eq "destroyed" "$(fakevast_log_json '[(r["method"], r["path"]) for r in L if r["method"] != "GET"]')" \
	'[["POST", "/api/v0/bundles/"], ["PUT", "/api/v0/asks/27045511/"], ["DELETE", "/api/v0/instances/40000101/"]]'
check "nothing registered" cmp $W "$T/before"
check "clear" fakevast_ctl fail '{"clear":true}'
done_testing
