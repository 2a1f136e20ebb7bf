#!/bin/sh
# vast-hunt against the fake market (the offers of API.md §6.2): the queries
# sent, the offers returned, the ranking by total cost, profiles (built-in and
# vastai/profiles.yaml), a project's hardware: section, the blacklist.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
fakevast_start "$TOP/tests/fake/vast-examples.json"
export VAST_API_KEY=testkey
DEF='"verified": {"eq": true}, "external": {"eq": false}, "rentable": {"eq": true}'
body() { fakevast_log_json "[r[\"body\"] for r in L if r[\"path\"] == \"/api/v0/bundles/\"][-1]"; }
ids() { printf '%s' "$OUT" | fakevast_json '[o["id"] for o in d["offers"]]'; }

# --- API.md §6.2 ---
check "dph<0.35 gpu_ram>=20" "$ROS" vast-hunt --query 'dph<0.35 gpu_ram>=20'
check_re "the query, echoed" "$OUT" '^Query: dph<0\.35 gpu_ram>=20$'
check_re "27045511 ranked first" "$OUT" '
1  27045511    48211  RTX 4090     24  0\.3306  78\.4  237\.1  99\.5%  Oregon, US   0\.16  0\.0523     0\.0008  0\.0000   0\.0531
2  27044890    39904  RTX A5000    24  0\.1906  31\.7  166\.3  94\.3%  -            0\.39  0\.0746     0\.0014  0\.0000   0\.0759
'
check_re "the header" "$OUT" '#     OFFER  MACHINE  GPU        VRAM    \$/HR   DLP  DLP/\$    REL  LOCATION    EST H   GPU \$  STORAGE \$    BW \$  TOTAL \$'
check_re "the best named" "$OUT" 'Best: offer 27045511 — RTX 4090 on machine 48211, \$0\.3306/hr, DLP/\$ 237\.1, est\. 0\.16 h, total \$0\.0531 \(Oregon, US\)'
check_eq "the query JSON sent, as the official CLI builds it" "$(body)" \
	"{$DEF, \"dph_total\": {\"lt\": \"0.35\"}, \"gpu_ram\": {\"gte\": 20000.0}, \"order\": [[\"score\", \"desc\"]], \"type\": \"on-demand\", \"allocated_storage\": 5.0}"
check_eq "POST with bearer and content type" \
	"$(fakevast_log_json '[(r["method"], r["headers"]["Authorization"], r["headers"]["Content-Type"]) for r in L]')" \
	'[["POST", "Bearer testkey", "application/json"]]'
check "num_gpus>=2 direct_port_count>=1" "$ROS" vast-hunt --query 'num_gpus>=2 direct_port_count>=1' --json
check_eq "only 27047733" "$(ids)" "[27047733]"
check_eq "query JSON" "$(body)" \
	"{$DEF, \"num_gpus\": {\"gte\": \"2\"}, \"direct_port_count\": {\"gte\": \"1\"}, \"order\": [[\"score\", \"desc\"]], \"type\": \"on-demand\", \"allocated_storage\": 5.0}"

# --- ranking by total cost = GPU + storage + bandwidth ---
check "bandwidth prices" fakevast_ctl patch '{"offer":27045511,"set":{"inet_down_cost":0.03,"inet_up_cost":0.02}}'
check "the post's job: 4.5 h on DLPerf 12.4, 20 GB disk, 3 GB data" "$ROS" vast-hunt --ref-hours 4.5 --ref-dlp 12.4 --disk-gb 20 --data-gb 3 --json
printf '%s' "$OUT" >"$T/j"
check_eq "ranked by total, recomputed independently" "$("$PY" - "$T/j" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def cost(o):
    h = 4.5 * 12.4 / o["dlperf"]
    return o["dph_total"] * h + o.get("storage_cost", 0) * 20 * h / 720 + (o.get("inet_down_cost", 0) + o.get("inet_up_cost", 0)) * 3
got = [o["id"] for o in d["offers"]]
want = sorted(got, key=lambda i: cost([o for o in d["offers"] if o["id"] == i][0]))
ok = all(abs(o["cost"]["total"] - cost(o)) < 1e-9 and abs(o["cost"]["gpu"] + o["cost"]["storage"] + o["cost"]["bandwidth"] - o["cost"]["total"]) < 1e-9 for o in d["offers"])
print(got == want, ok, got)
EOF
)" "True True [27044890, 27046002, 27045511, 27047733]"
check_eq "bandwidth cost of the 4090: (0.03 + 0.02) × 3 GB" "$(jq_py "$T/j" '[round(o["cost"]["bandwidth"], 6) for o in d["offers"] if o["id"] == 27045511][0]')" 0.15
check_eq "cost params and best" "$(jq_py "$T/j" '[d["cost_params"], d["best"]]')" \
	"[{'ref_hours': 4.5, 'ref_dlp': 12.4, 'disk_gb': 20.0, 'data_gb': 3.0, 'ref_hours_default': False}, 27044890]"
check_eq "--disk-gb filters too" "$(jq_py "$T/j" 'd["query"]["disk_space"]')" "{'gte': '20'}"

# --- null fields: unknown cost ranks last ---
check "an offer without DLPerf" fakevast_ctl patch '{"add_offer":{"id":27049999,"machine_id":1,"gpu_name":"Tesla T4","num_gpus":1,"gpu_ram":15360,"dph_total":0.05,"dlperf":null,"reliability":null,"geolocation":null,"verification":"verified","rentable":true,"rented":false,"external":false}}'
check "hunt" "$ROS" vast-hunt
check_re "unknown cost last, blank cost cells" "$OUT" '
5  27049999        1  Tesla T4        15  0\.0500      -      -      -  -$
'
check "hunt --json" "$ROS" vast-hunt --json
check_eq "its cost is null" "$(printf '%s' "$OUT" | fakevast_json '[o["cost"] for o in d["offers"]][-1]')" null
check "remove it" fakevast_ctl patch '{"remove_offer":27049999}'

# --- built-in profiles ---
check "--profile pytorch" "$ROS" vast-hunt --profile pytorch --json
check_eq "pytorch: two offers" "$(ids)" "[27045511, 27047733]"
check_eq "pytorch: its terms" "$(body)" \
	"{$DEF, \"cuda_max_good\": {\"gte\": \"12.1\"}, \"gpu_ram\": {\"gte\": 8000.0}, \"reliability\": {\"gt\": \"0.95\"}, \"direct_port_count\": {\"gte\": \"1\"}, \"inet_down\": {\"gt\": \"100\"}, \"disk_space\": {\"gte\": \"32\"}, \"order\": [[\"score\", \"desc\"]], \"type\": \"on-demand\", \"allocated_storage\": 5.0}"
check "--profile jax with a flag on top" "$ROS" vast-hunt --profile jax --min-cuda 12.3 --max-dph 1 --json
check_eq "jax: flags replace the profile's value" "$(body | fakevast_json '[d["cuda_max_good"], d["dph_total"]]')" \
	'[{"gte": "12.3"}, {"lte": "1"}]'
check_exit 1 "unknown profile" "$ROS" vast-hunt --profile tensorflow
check_eq "says which exist" "$ERR" "ros: unknown profile 'tensorflow' (known: pytorch, jax; add your own in vastai/profiles.yaml)"

# --- user profiles ---
mkdir -p vastai
cat >vastai/profiles.yaml <<'EOF'
# my profiles
cheap: "dph<0.2"
big:
  query: gpu_ram>=40 num_gpus>=8
  ref_hours: 10
  ref_dlp: 100
  data_gb: 50
  image: nvcr.io/nvidia/pytorch:24.04-py3
pytorch:                      # mine wins over the built-in one
  query: cuda_max_good>=12.4
  exclude_geolocation: [CA]
EOF
check "user profile (a query string)" "$ROS" vast-hunt --profile cheap --json
check_eq "cheap: the A5000" "$(ids)" "[27044890]"
check "user profile (a mapping)" "$ROS" vast-hunt --profile big --json
check_eq "big: the A100, with its cost model" "$(printf '%s' "$OUT" | fakevast_json '[[o["id"] for o in d["offers"]], d["cost_params"]["ref_hours"], d["cost_params"]["ref_dlp"], d["cost_params"]["data_gb"]]')" \
	"[[27047733], 10.0, 100.0, 50.0]"
check "a user profile replaces the built-in one" "$ROS" vast-hunt --profile pytorch --json
check_eq "its query, its exclusions" "$(body | fakevast_json '[d.get("cuda_max_good"), d.get("geolocation"), "reliability" in d]')" \
	'[{"gte": "12.4"}, {"notin": ["CA"]}, false]'
check_exit 1 "unknown profile lists the user's" "$ROS" vast-hunt --profile nope
check_re "known: pytorch, jax, cheap, big" "$ERR" 'known: pytorch, jax, cheap, big;'
printf 'big: [1, 2]\n' >vastai/profiles.yaml
check_exit 1 "a malformed profile" "$ROS" vast-hunt --profile big
check_re "says where" "$ERR" 'profiles.yaml:1:6: profile .big. must be a query string or a mapping'
rm vastai/profiles.yaml

# --- a project's hardware: section (a real project.yaml of the old tool) ---
mkdir -p research/nbeatsx_dc
cp "$TOP/tests/fake/nbeatsx_dc.project.yaml" research/nbeatsx_dc/project.yaml
check "--project-id" "$ROS" vast-hunt --project-id nbeatsx_dc --json
printf '%s' "$OUT" >"$T/j"
check_eq "project: profile, cost model from hardware:" "$(jq_py "$T/j" '[d["profile"], d["cost_params"]]')" \
	"['pytorch', {'ref_hours': 4.5, 'ref_dlp': 12.4, 'disk_gb': 20.0, 'data_gb': 0.5, 'ref_hours_default': False}]"
check_eq "project: its requirements in the query" "$(jq_py "$T/j" 'd["query_string"]')" \
	"cuda_max_good>=11.8 gpu_ram>=8 reliability>0.95 direct_port_count>=1 inet_down>100 disk_space>=20 reliability>=0.95"
check_eq "merged as the CLI merges" "$(body | fakevast_json '[d["cuda_max_good"], d["reliability"], d["disk_space"], d["gpu_ram"]]')" \
	'[{"gte": "11.8"}, {"gt": "0.95", "gte": "0.95"}, {"gte": "20"}, {"gte": 8000.0}]'
check "the project's hunt, as text" "$ROS" vast-hunt --project-id nbeatsx_dc
check_re "each filter once on the query line, the project's value in the profile's place" "$OUT" \
	'^Query: cuda_max_good>=11\.8 gpu_ram>=8 reliability>0\.95 direct_port_count>=1 inet_down>100 disk_space>=20 reliability>=0\.95$'
check "--profile pytorch with the disk the profile sets too" "$ROS" vast-hunt --profile pytorch --disk-gb 32
check_re "disk_space>=32 once" "$OUT" '^Query: cuda_max_good>=12\.1 gpu_ram>=8 reliability>0\.95 direct_port_count>=1 inet_down>100 disk_space>=32$'
check_exit 1 "--max-dph 0.10 as in the project's notes: nothing that cheap here" "$ROS" vast-hunt --project-id nbeatsx_dc --max-dph 0.10
check_re "says so" "$OUT" '^No offers match\.$'
check_exit 1 "unknown project" "$ROS" vast-hunt --project-id nope
check_re "says so" "$ERR" "unknown project 'nope'"

# --- flags that become terms ---
check "gpu, geolocation, count, order, limit" "$ROS" vast-hunt --gpu 'RTX 4090, RTX A5000,RTX 3090' --exclude-geolocation US,DE --order dph+ --limit 2 --json
check_eq "terms" "$(body | fakevast_json '[d["gpu_name"], d["geolocation"], d["order"], d["limit"]]')" \
	'[{"in": ["RTX 4090", "RTX A5000", "RTX 3090"]}, {"notin": ["US", "DE"]}, [["dph_total", "asc"]], 2]'
check_eq "offers" "$(ids)" "[27044890, 27046002]"
check "--num-gpus" "$ROS" vast-hunt --num-gpus 2 --json
check_eq "exactly 2" "$(body | fakevast_json 'd["num_gpus"]')" '{"eq": "2"}'
check_exit 2 "a GPU name with a bracket" "$ROS" vast-hunt --gpu 'RTX]4090'
check_exit 1 "a query that does not parse" "$ROS" vast-hunt --query 'dph<'
check_exit 2 "rent options without --rent" "$ROS" vast-hunt --image x
check_exit 2 "negative numbers" "$ROS" vast-hunt --max-dph -1

# --- blacklist ---
cat >vastai/blacklist.yaml <<'EOF'
# machines never shown or rented
blacklist:
  - machine_id: 48211
    reason: "rented twice, never booted"
    date: 2026-05-30
  - 99999
EOF
check "with a blacklist" "$ROS" vast-hunt --query 'dph<0.35 gpu_ram>=20'
check_nore "machine 48211 never shown" "$OUT" '48211'
check_re "the next best named" "$OUT" 'Best: offer 27044890'
check_re "the hidden count" "$OUT" '\(hidden: 1 on blacklisted machines, 0 over --max-dph\)'
check "--json" "$ROS" vast-hunt --json
check_eq "json: hidden" "$(printf '%s' "$OUT" | fakevast_json 'd["hidden"]')" '{"blacklisted": 1, "over_max_dph": 0, "excluded": 0}'
printf 'blacklist:\n  - machine_id: abc\n' >vastai/blacklist.yaml
: >"$FAKEVAST_LOG"
check_exit 1 "a malformed blacklist stops the hunt" "$ROS" vast-hunt
check_re "with the place" "$ERR" 'blacklist.yaml:2:[0-9]+: a blacklist entry needs a numeric machine_id'
check_eq "before any request" "$(fakevast_log_json 'len(L)')" 0
printf -- '- 48211\n- machine_id: "61230"\n' >vastai/blacklist.yaml
check "a bare list of ids works too" "$ROS" vast-hunt --json
check_eq "two hidden" "$(ids)" "[27044890, 27046002]"
rm vastai/blacklist.yaml

# --- the server does not honour a filter: the budget is checked here too ---
check "a reply with a dear offer" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":200,"body":{"offers":[{"id":1,"machine_id":1,"gpu_name":"X","dph_total":9.5,"dlperf":10},{"id":2,"machine_id":2,"gpu_name":"Y","dph_total":0.09,"dlperf":10}]}}'
check "hunt under 0.10" "$ROS" vast-hunt --max-dph 0.10 --json
check_eq "the dear one dropped" "$(ids) $(printf '%s' "$OUT" | fakevast_json 'd["hidden"]["over_max_dph"]')" "[2] 1"

# --- API faults ---
check "429 burst" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":429,"count":3}'
check "served after backing off" "$ROS" vast-hunt --json
check_eq "4 offers" "$(ids)" "[27045511, 27044890, 27046002, 27047733]"
check "bad key answered with 404" fakevast_ctl patch '{"scenario":{"auth_error_status":404}}'
check_exit 1 "bad key" env VAST_API_KEY=nope "$ROS" vast-hunt
check_re "said plainly" "$ERR" 'Vast.ai rejected the API key \(HTTP 404: Invalid user key\)'
check "a reply that is not JSON" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":200,"body":"<html>oops</html>"}'
check_exit 1 "not JSON: an error" "$ROS" vast-hunt
check_re "says so" "$ERR" 'not JSON: an HTML page'
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey|nope'
done_testing
