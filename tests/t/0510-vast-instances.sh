#!/bin/sh
# vastai-instances against the fake Vast.ai: the post's table, the requests
# sent, paging, and every way the API can fail (bad key, 429s, 410, 5xx,
# nulls, junk in strings, hostile values).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
cp "$TOP/tests/fake/vast-story-workers.yaml" workers/workers.yaml
fakevast_start "$TOP/tests/fake/vast-story.json"
export VAST_API_KEY=testkey

check "vastai-instances" "$ROS" vastai-instances
cat >"$T/want" <<'EOF'
        ID  GPU                     Status        $/hr  SSH                           Worker
────────────────────────────────────────────────────────────────────────────────────────────────────────
  37015889  RTX 3070 Laptop GPU     running     0.0700  ssh8.vast.ai:15888            vastai_worker_1 (disabled)
  37906248  RTX 3060                running     0.0659  ssh8.vast.ai:26248            vastai_worker_2
  37907233  RTX 3060                running     0.0610  43.226.60.148:41022           vastai_worker_4
  38342607  2x GTX 1660 S           running     0.0967  ssh4.vast.ai:22606            vastai_worker_3
  38664456  RTX A4000               running     0.1027  ssh1.vast.ai:24456            vastai_auto_20260531_003650
  38702735  RTX 3070 laptop         running     0.0556  ssh5.vast.ai:22734            vastai_auto_20260531_050014
  39100001  RTX 4090                -           0.3500  ssh2.vast.ai:30001            old_a (disabled)
  39100002  RTX 4090                loading     0.3500  -                             old_b (disabled)
  39100003  RTX A5000               exited      0.1986  ssh2.vast.ai:20554            old_c (disabled)
  34824701  RTX 3060                running     0.0566  ssh5.vast.ai:24700            (untracked)

1 untracked: register with `ros add-worker --vastai-instance-id ID`, or `ros vastai-destroy ID`
worker vastai_auto_20260530_175359: instance 38614511 is not live (`ros vastai-reconcile --fix` disables it)
EOF
check_eq "the post's table: tracked first, untracked flagged, gone worker named" "$OUT" "$(cat "$T/want")"
check_eq "columns where the post has them" "$(printf '%s\n' "$OUT" | sed -n 3p | cut -c1-56)" \
	"  37015889  RTX 3070 Laptop GPU     running     0.0700  "
check_eq "nothing on stderr" "$ERR" ""

# --- the request ---
check_eq "one request: GET of the v1 list" "$(fakevast_log_json '[(r["method"], r["path"]) for r in L]')" \
	'[["GET", "/api/v1/instances/"]]'
check_eq "query as the official client sends it" \
	"$(fakevast_log_json '[L[0]["query"][k] for k in ("select_filters", "order_by", "limit")]')" \
	'["{}", "[{\"col\": \"id\", \"dir\": \"asc\"}]", "25"]'
check_eq "bearer header, no key in the URL" \
	"$(fakevast_log_json '[L[0]["headers"]["Authorization"], "api_key" in L[0]["query"]]')" '["Bearer testkey", false]'

# --- --json ---
check "--json" "$ROS" vastai-instances --json
printf '%s' "$OUT" >"$T/j"
check_eq "json: 10 instances" "$(jq_py "$T/j" 'len(d["instances"])')" 10
check_eq "json: untracked and missing" \
	"$(jq_py "$T/j" '[[i["id"] for i in d["instances"] if not i["tracked"]], d["missing"]]')" \
	"[[34824701], [{'worker_id': 'vastai_auto_20260530_175359', 'instance_id': 38614511}]]"
check_eq "json: nulls stay null, whitespace stripped, direct endpoint" \
	"$(jq_py "$T/j" '[(i["id"], i["status"], i["ssh_host"], i["ssh_port"], i["ssh_mode"]) for i in d["instances"] if i["id"] in (39100001, 39100002, 37907233)]')" \
	"[(37907233, 'running', '43.226.60.148', 41022, 'direct'), (39100001, None, 'ssh2.vast.ai', 30001, 'proxy'), (39100002, 'loading', None, None, 'proxy')]"

# --- paging: 60 instances, three pages ---
"$PY" - "$T/many.json" <<'EOF'
import json, sys
rows = [{"id": 60000000 + i, "actual_status": "running", "gpu_name": "RTX 3060", "num_gpus": 1,
         "dph_total": 0.05, "ssh_host": "ssh9.vast.ai", "ssh_port": 20000 + i} for i in range(60)]
json.dump({"instances": rows, "offers": []}, open(sys.argv[1], "w"))
EOF
: >"$FAKEVAST_LOG"
check "60 instances" fakevast_ctl state "$(cat "$T/many.json")"
check "vastai-instances over three pages" "$ROS" vastai-instances --json
check_eq "all 60, in order" "$(printf '%s' "$OUT" | fakevast_json '[i["id"] - 60000000 for i in d["instances"]] == list(range(60))')" true
check_eq "three GETs, the later ones with after_token" \
	"$(fakevast_log_json '[("after_token" in r["query"], r["query"]["limit"]) for r in L]')" \
	'[[false, "25"], [true, "25"], [true, "25"]]'

check "back to the story" fakevast_ctl state "$(cat "$TOP/tests/fake/vast-story.json")"

# --- 429 bursts: backed off, then served ---
: >"$FAKEVAST_LOG"
check "three 429s" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":429,"count":3}'
check "vastai-instances through a 429 burst" "$ROS" vastai-instances
check_eq "same table" "$OUT" "$(cat "$T/want")"
check_eq "429, 429, 429, 200" "$(fakevast_log_json '[r["status"] for r in L]')" "[429, 429, 429, 200]"
check "429 forever" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":429,"count":-1}'
check_exit 1 "still rate-limited: exit 1" "$ROS" vastai-instances
check_re "says so" "$ERR" 'rate-limiting this key'
check_eq "and prints no table" "$OUT" ""
check "clear" fakevast_ctl fail '{"clear":true}'

# --- the list endpoint retired (410): an error, never "no instances" ---
check "v0 list gone" fakevast_ctl patch '{"scenario":{"v0_list_gone":true}}'
check "ros uses v1: unaffected" "$ROS" vastai-instances
check "v1 answering 410" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":410,"count":-1,"body":{"success":false,"error":"deprecated_endpoint","msg":"/api/v1/instances/ is deprecated."}}'
check_exit 1 "410: exit 1" "$ROS" vastai-instances
check_re "410: says the endpoint was retired" "$ERR" 'retired this endpoint \(HTTP 410'
check_nore "410: no empty table" "$OUT" 'ID'
check "clear" fakevast_ctl fail '{"clear":true}'
check "a 200 with success:false" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":200,"body":{"success":false,"msg":"backend busy"}}'
check_exit 1 "success:false is an error" "$ROS" vastai-instances
check_re "with its message" "$ERR" 'success=false: backend busy'
check "502 x3 then fine" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":502,"count":3}'
check "5xx retried" "$ROS" vastai-instances

# --- keys ---
check_exit 1 "bad key" env VAST_API_KEY=wrongkey123 "$ROS" vastai-instances
check_eq "bad key: said plainly" "$ERR" "ros: Vast.ai rejected the API key (HTTP 401: Invalid user key)"
check "404 auth_error variant" fakevast_ctl patch '{"scenario":{"auth_error_status":404}}'
check_exit 1 "bad key as a 404" env VAST_API_KEY=wrongkey123 "$ROS" vastai-instances
check_re "still a bad key" "$ERR" 'rejected the API key \(HTTP 404'
check_exit 1 "no key at all" env -u VAST_API_KEY "$ROS" vastai-instances
check_re "names where keys are looked for" "$ERR" 'no Vast.ai API key: pass --api-key KEY, set VAST_API_KEY'
mkdir -p "$XDG_CONFIG_HOME/vastai"
printf 'testkey\n' >"$XDG_CONFIG_HOME/vastai/vast_api_key"
check "key from the file vastai set api-key writes" env -u VAST_API_KEY "$ROS" vastai-instances
check "VASTAI_API_KEY (the .env.local name)" env -u VAST_API_KEY VASTAI_API_KEY=testkey "$ROS" vastai-instances
check "--api-key" env VAST_API_KEY=wrongkey123 "$ROS" vastai-instances --api-key testkey
check_nore "the key never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey|wrongkey123'

# --- hostile and odd values from the API ---
check "odd rows" fakevast_ctl patch '{"instance":34824701,"set":{"gpu_name":"RTX\u001b[31m 3060\u0007","ssh_host":"-oProxyCommand=touch /tmp/x","actual_status":"running\n"}}'
check "odd rows are shown safely" "$ROS" vastai-instances
check_re "control characters replaced" "$OUT" '34824701  RTX\?\[31m 3060\?'
check_re "a hostile host is no endpoint" "$OUT" '34824701  .*running +0\.0566  - +\(untracked\)'
check "broken registry" sh -c 'printf "workers:\n  - worker_id: x\n    notes: \"bad \\\\| escape\"\n" > workers/workers.yaml'
check_exit 1 "a registry that does not parse: exit 1" "$ROS" vastai-instances
check_re "with the place" "$ERR" 'workers.yaml:3:[0-9]+: '
done_testing
