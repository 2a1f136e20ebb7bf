#!/bin/sh
# vast-hunt's pass-through filters, as the Python tool's users type them
# (--min-dlperf-usd, --storage, --min-reliability, --min-gpu-ram,
# --min-disk-space, --min-ports, --exclude-offer-id): the exact query each
# sends, the offers the fake market (API.md §6.2) then returns, how they
# combine with a profile and --query, the job length the cost assumes, and
# the help that lists them.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root
fakevast_start "$TOP/tests/fake/vast-examples.json"
export VAST_API_KEY=testkey
DEF='"verified": {"eq": true}, "external": {"eq": false}, "rentable": {"eq": true}'
TAIL='"order": [["score", "desc"]], "type": "on-demand", "allocated_storage": 5.0'
body() { fakevast_log_json "[r[\"body\"] for r in L if r[\"path\"] == \"/api/v0/bundles/\"][-1]"; }
ids() { printf '%s' "$OUT" | fakevast_json '[o["id"] for o in d["offers"]]'; }
nreq() { fakevast_log_json 'len(L)'; }

# --- each flag, alone: the term it sends and what the market returns ---
check "--min-dlperf-usd 180" "$ROS" vast-hunt --min-dlperf-usd 180 --json
check_eq "DLP per \$/hour, the API's dlperf_per_dphtotal" "$(body)" "{$DEF, \"dlperf_per_dphtotal\": {\"gte\": \"180\"}, $TAIL}"
check_eq "only the 4090 (237.1)" "$(ids)" "[27045511]"
check_eq "the query line" "$(printf '%s' "$OUT" | fakevast_json 'd["query_string"]')" "dlperf_usd>=180"

check "--storage 100" "$ROS" vast-hunt --storage 100 --json
printf '%s' "$OUT" >"$T/j"
check_eq "a disk_space filter" "$(body)" "{$DEF, \"disk_space\": {\"gte\": \"100\"}, $TAIL}"
check_eq "the A5000 (95 GB) left out" "$(ids)" "[27045511, 27046002, 27047733]"
check_eq "and the storage cost: storage_cost x 100 GB x hours / 720" "$(jq_py "$T/j" '[d["cost_params"]["disk_gb"], all(abs(o["cost"]["storage"] - o["storage_cost"] * 100 * o["cost"]["est_hours"] / 720) < 1e-12 for o in d["offers"])]')" \
	"[100.0, True]"

check "--min-reliability 0.99" "$ROS" vast-hunt --min-reliability 0.99 --json
check_eq "reliability, a fraction as the API keeps it" "$(body)" "{$DEF, \"reliability\": {\"gte\": \"0.99\"}, $TAIL}"
check_eq "99.51% and 99.91%" "$(ids)" "[27045511, 27047733]"
check_exit 2 "a percentage is refused" "$ROS" vast-hunt --min-reliability 95
check_re "saying what is meant" "$ERR" '^ros vast-hunt: --min-reliability is a fraction from 0 to 1 \(0\.95 for 95%\), not 95$'

check "--min-gpu-ram 40" "$ROS" vast-hunt --min-gpu-ram 40 --json
check_eq "gpu_ram in MB, as the API expects (GB x 1000)" "$(body)" "{$DEF, \"gpu_ram\": {\"gte\": 40000.0}, $TAIL}"
check_eq "only the A100 (81920 MB)" "$(ids)" "[27047733]"
check "--min-gpu-ram and --min-vram-gb saying the same" "$ROS" vast-hunt --min-gpu-ram 40 --min-vram-gb 40 --json
check_eq "one filter" "$(body)" "{$DEF, \"gpu_ram\": {\"gte\": 40000.0}, $TAIL}"
: >"$FAKEVAST_LOG"
check_exit 2 "--min-gpu-ram and --min-vram-gb differing" "$ROS" vast-hunt --min-gpu-ram 40 --min-vram-gb 20
check_re "names both" "$ERR" '^ros vast-hunt: --min-gpu-ram 40 and --min-vram-gb 20 are the same setting: give one$'
check_exit 2 "--storage and --disk-gb differing" "$ROS" vast-hunt --storage 40 --disk-gb 20
check_re "names both" "$ERR" '^ros vast-hunt: --storage 40 and --disk-gb 20 are the same setting: give one$'
check_eq "no request" "$(nreq)" 0

check "--min-disk-space 200" "$ROS" vast-hunt --min-disk-space 200 --json
printf '%s' "$OUT" >"$T/j"
check_eq "disk_space" "$(body)" "{$DEF, \"disk_space\": {\"gte\": \"200\"}, $TAIL}"
check_eq "410 and 3500 GB" "$(ids)" "[27046002, 27047733]"
check_eq "a filter only: the cost keeps the default disk" "$(jq_py "$T/j" 'd["cost_params"]["disk_gb"]')" 32.0
check "--min-disk-space above --storage" "$ROS" vast-hunt --min-disk-space 200 --storage 100 --json
check_eq "the stricter, once" "$(body | fakevast_json 'd["disk_space"]')" '{"gte": "200"}'
check_eq "the cost with --storage" "$(printf '%s' "$OUT" | fakevast_json 'd["cost_params"]["disk_gb"]')" 100.0
check "--min-disk-space below --storage" "$ROS" vast-hunt --min-disk-space 50 --storage 100
check_re "the stricter, once" "$OUT" '^Query: disk_space>=100$'

check "--min-ports 50" "$ROS" vast-hunt --min-ports 50 --json
check_eq "direct_port_count" "$(body)" "{$DEF, \"direct_port_count\": {\"gte\": \"50\"}, $TAIL}"
check_eq "100 and 500 ports" "$(ids)" "[27045511, 27047733]"

check "--exclude-offer-id, repeated and a comma list" "$ROS" vast-hunt --exclude-offer-id 27045511 --exclude-offer-id '27044890, 27046002' --json
check_eq "id notin" "$(body)" "{$DEF, \"id\": {\"notin\": [\"27045511\", \"27044890\", \"27046002\"]}, $TAIL}"
check_eq "what is left" "$(ids)" "[27047733]"
check "a server that ignores the filter" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":200,"count":2,"body":{"offers":[{"id":27045511,"machine_id":1,"gpu_name":"X","dph_total":0.01,"dlperf":90},{"id":27046002,"machine_id":2,"gpu_name":"Y","dph_total":0.3,"dlperf":10}]}}'
check "hunt" "$ROS" vast-hunt --exclude-offer-id 27045511 --json
check_eq "the excluded offer is never ranked" "$(ids) $(printf '%s' "$OUT" | fakevast_json '[d["best"], d["hidden"]["excluded"]]')" "[27046002] [27046002, 1]"
check "hunt, as text" "$ROS" vast-hunt --exclude-offer-id 27045511
check_nore "not in the table" "$OUT" '^[0-9]+ +27045511 '
check_re "nor the best" "$OUT" '^Best: offer 27046002 '
check_re "counted" "$OUT" '\(hidden: 0 on blacklisted machines, 0 over --max-dph, 1 excluded by --exclude-offer-id\)'
for bad in abc 0 -5 '1,,x' ''; do
	check_exit 2 "--exclude-offer-id '$bad' refused" "$ROS" vast-hunt --exclude-offer-id "$bad"
done
check_re "saying which" "$ERR" "^ros vast-hunt: --exclude-offer-id needs offer ids"
check_exit 2 "a usage error before the root is looked for" env -u RESEARCH_OS_ROOT sh -c 'cd "$1" && exec "$2" vast-hunt --exclude-offer-id x' sh "$T" "$ROS"
check_re "saying so" "$ERR" "^ros vast-hunt: --exclude-offer-id needs offer ids \(positive numbers, comma-separated\), not 'x'$"

# --- with a profile: a flag replaces the profile's term, in its place ---
check "--profile pytorch --min-ports 4 --min-reliability 0.98" "$ROS" vast-hunt --profile pytorch --min-ports 4 --min-reliability 0.98
check_re "once each" "$OUT" '^Query: cuda_max_good>=12\.1 gpu_ram>=8 reliability>0\.95 direct_port_count>=4 inet_down>100 disk_space>=32 reliability>=0\.98$'

# --- all of them with a profile and --query: the exact request ---
check "everything" "$ROS" vast-hunt --profile pytorch --min-dlperf-usd 100 --storage 50 --min-reliability 0.97 \
	--min-gpu-ram 16 --min-disk-space 60 --min-ports 10 --exclude-offer-id 27047733 --query 'dph<1 reliability>0.99' --json
check_eq "the query line" "$(printf '%s' "$OUT" | fakevast_json 'd["query_string"]')" \
	"cuda_max_good>=12.1 gpu_ram>=16 reliability>0.99 direct_port_count>=10 inet_down>100 disk_space>=60 reliability>=0.97 dlperf_usd>=100 id notin [27047733] dph<1"
check_eq "the request" "$(body)" \
	"{$DEF, \"cuda_max_good\": {\"gte\": \"12.1\"}, \"gpu_ram\": {\"gte\": 16000.0}, \"reliability\": {\"gt\": \"0.99\", \"gte\": \"0.97\"}, \"direct_port_count\": {\"gte\": \"10\"}, \"inet_down\": {\"gt\": \"100\"}, \"disk_space\": {\"gte\": \"60\"}, \"dlperf_per_dphtotal\": {\"gte\": \"100\"}, \"id\": {\"notin\": [\"27047733\"]}, \"dph_total\": {\"lt\": \"1\"}, $TAIL}"
check_eq "the one offer that passes" "$(ids)" "[27045511]"

# --- a flag and --query on the same filter: a usage error naming both ---
: >"$FAKEVAST_LOG"
check_exit 2 "--min-reliability and --query reliability>=" "$ROS" vast-hunt --min-reliability 0.9 --query 'dph<1 reliability>=0.95'
check_re "names both" "$ERR" "^ros vast-hunt: --min-reliability 0.9 and --query's 'reliability>=0.95' set the same filter: give one$"
check_exit 2 "--max-dph and --query dph_total lte" "$ROS" vast-hunt --max-dph 0.1 --query 'dph_total lte 0.5'
check_re "names both" "$ERR" "^ros vast-hunt: --max-dph 0.1 and --query's 'dph_total lte 0.5' set the same filter: give one$"
check_exit 2 "--exclude-offer-id and --query id notin" "$ROS" vast-hunt --exclude-offer-id 1,2 --query 'id notin [3]'
check_re "names both" "$ERR" "^ros vast-hunt: --exclude-offer-id 1,2 and --query's 'id notin \[3\]' set the same filter: give one$"
check_exit 2 "--min-gpu-ram and a wildcard" "$ROS" vast-hunt --min-gpu-ram 8 --query 'gpu_ram=any'
check_re "names both" "$ERR" "--min-gpu-ram 8 and --query's 'gpu_ram=any' set the same filter"
check_eq "no request" "$(nreq)" 0
check "other operators are other filters" "$ROS" vast-hunt --min-reliability 0.9 --query 'reliability>0.95' --json
check_eq "both sent" "$(body | fakevast_json 'd["reliability"]')" '{"gte": "0.9", "gt": "0.95"}'
check "a profile's term is no clash: the flag replaces it" "$ROS" vast-hunt --profile pytorch --query 'disk_space>=10' --json
check_eq "--query last" "$(body | fakevast_json 'd["disk_space"]')" '{"gte": "10"}'
check_exit 1 "a --query that does not parse" "$ROS" vast-hunt --min-ports 2 --query 'dph<0.1 gpu_ram=>8'
check_re "the column is --query's own" "$ERR" "^ros: --query: unknown operator '=>' at column 16"

# --- the job length the cost assumes ---
check "no --ref-hours" "$ROS" vast-hunt
check_re "said in the header" "$OUT" '^Cost: for a 1\.0 h job at the reference speed, DLPerf 12\.4 \(give --ref-hours H --ref-dlp D for yours\); 32 GB disk, 0 GB data \(est\. hours = 1 × 12\.4 / DLPerf\)$'
check "no --ref-hours, --json" "$ROS" vast-hunt --json
check_eq "a field says it" "$(printf '%s' "$OUT" | fakevast_json '[d["cost_note"], d["cost_params"]["ref_hours_default"]]')" \
	'["cost for a 1.0 h job at the reference speed, DLPerf 12.4 (give --ref-hours H --ref-dlp D for yours)", true]'
check "--ref-hours 4.5" "$ROS" vast-hunt --ref-hours 4.5 --ref-dlp 12.4
check_re "the job's own length" "$OUT" '^Cost: a 4\.5 h job on DLPerf 12\.4, 32 GB disk, 0 GB data \(est\. hours = 4\.5 × 12\.4 / DLPerf\)$'
check_nore "no advice" "$OUT" 'give --ref-hours'
check "--ref-hours 4.5 --json" "$ROS" vast-hunt --ref-hours 4.5 --json
check_eq "no note" "$(printf '%s' "$OUT" | fakevast_json '[d["cost_note"], d["cost_params"]["ref_hours_default"]]')" '[null, false]'
mkdir -p research/nbeatsx_dc
cp "$TOP/tests/fake/nbeatsx_dc.project.yaml" research/nbeatsx_dc/project.yaml
check "a project's ref_hours" "$ROS" vast-hunt --project-id nbeatsx_dc
check_re "is the job's length" "$OUT" '^Cost: a 4\.5 h job on DLPerf 12\.4, 20 GB disk, 0\.5 GB data'
check_nore "no advice" "$OUT" 'give --ref-hours'

# --- findable ---
check "ros help vast-hunt" "$ROS" help vast-hunt
for f in min-dlperf-usd storage min-reliability min-gpu-ram min-disk-space min-ports exclude-offer-id yes; do
	check_re "--$f listed" "$OUT" "^  (-., )?--$f( [A-Z]+)? +[^ ]"
done
check_re "which filters are checked here too" "$OUT" 'Checked here as well as by Vast\.ai: --max-dph and\s+--exclude-offer-id'
check_re "conflicts explained" "$OUT" 'A flag on the same\s+filter \(field and operator\) as a term of --query is a usage error naming both'
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey'
done_testing
