#!/bin/sh
# The fake Vast.ai server itself, driven by curl: auth, routes, pagination,
# offer search, the rent/boot cycle, fault injection, the request log.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"

EX=$TOP/tests/fake/vast-examples.json
K="Authorization: Bearer testkey"

# req METHOD PATH [CURL ARGS...]: sets BODY, CODE, CTYPE; headers in $T/hdrs.
req() {
	_m=$1 _p=$2
	shift 2
	curl -sS -X "$_m" -o "$T/body" -D "$T/hdrs" -w '%{http_code} %{content_type}' \
		"$@" "$VAST_URL$_p" >"$T/code" 2>"$T/curl.err"
	BODY=$(cat "$T/body")
	read -r CODE CTYPE <"$T/code"
}
jf() { printf '%s' "$BODY" | fakevast_json "$1"; }

fakevast_start "$EX"
check_match "port is a number" "$FAKEVAST_PORT" '^[0-9]+$'
check_eq "VAST_URL points at it" "$VAST_URL" "http://127.0.0.1:$FAKEVAST_PORT"

# --- auth ---
req GET /api/v1/instances/
check_eq "no key: 401" "$CODE" 401
check_eq "no key: auth_error body" "$BODY" '{"success":false,"error":"auth_error","msg":"Invalid user key"}'
req GET /api/v1/instances/ -H "Authorization: Bearer wrong"
check_eq "wrong key: 401" "$CODE" 401
req GET /api/v0/users/current/ -H "Authorization: testkey"
check_eq "key without Bearer: 401" "$CODE" 401
req GET /api/v1/instances/ -H "$K"
check_eq "right key: 200" "$CODE" 200
check_eq "content type exactly application/json" "$CTYPE" application/json
check_eq "v1 list: 3 example rows" "$(jf '[r["id"] for r in d["instances"]]')" "[30999870, 31000101, 31000145]"
check_eq "v1 list: envelope" "$(jf '[d["success"], d["instances_found"], d["total_instances"], d["next_token"]]')" \
	"[true, 3, 3, null]"
check_eq "v1 list: label_counts" "$(jf 'd["label_counts"]')" '{"": 1, "ros-train": 1, "ros-eval": 1}'
req GET /api/v1/instances -H "$K"
check_eq "path without trailing slash: same route" "$CODE" 200
req GET /api/v0/users/current -H "$K"
check_eq "users/current: 200" "$CODE" 200
check_eq "users/current: default user" "$(jf '[d["username"], d["api_key"], d["credit"]]')" '["ros-ci", "testkey", 24.75]'
req GET /api/v0/nothing/here/ -H "$K"
check_eq "unknown route: 404" "$CODE" 404

# --- v0 list and one instance ---
req GET '/api/v0/instances/?owner=me' -H "$K"
check_eq "v0 list: 200 with instances_found" "$CODE $(jf 'd["instances_found"]')" "200 3"
req GET '/api/v0/instances/31000101/?owner=me' -H "$K"
check_eq "one instance: object under \"instances\"" "$(jf '[d["instances"]["id"], d["instances"]["ports"]["22/tcp"][0]["HostPort"]]')" \
	'[31000101, "41022"]'
req GET '/api/v0/instances/999/?owner=me' -H "$K"
check_eq "unknown instance: instances null, 200" "$CODE $BODY" '200 {"instances":null}'
check "patch: v0_list_gone" fakevast_ctl patch '{"scenario":{"v0_list_gone":true}}'
req GET '/api/v0/instances/?owner=me' -H "$K"
check_eq "v0 list gone: 410" "$CODE" 410
check_eq "v0 list gone: deprecated_endpoint" "$(jf 'd["error"]')" deprecated_endpoint

# --- offers (API notes 6.2) ---
DEF='"verified":{"eq":true},"external":{"eq":false},"rentable":{"eq":true},"order":[["score","desc"]],"type":"on-demand","allocated_storage":5.0'
req POST /api/v0/bundles/ -H "$K" -H 'Content-Type: application/json' \
	--data-binary "{\"dph_total\":{\"lt\":\"0.35\"},\"gpu_ram\":{\"gte\":20000.0},$DEF}"
check_eq "offers: 200 application/json" "$CODE $CTYPE" "200 application/json"
check_eq "offers dph<0.35 gpu_ram>=20: 27045511 27044890" "$(jf '[o["id"] for o in d["offers"]]')" "[27045511, 27044890]"
req POST /api/v0/bundles/ -H "$K" --data-binary "{\"num_gpus\":{\"gte\":\"2\"},\"direct_port_count\":{\"gte\":\"1\"},$DEF}"
check_eq "offers num_gpus>=2 direct_port_count>=1: 27047733" "$(jf '[o["id"] for o in d["offers"]]')" "[27047733]"
req POST /api/v0/bundles/ -H "$K" --data-binary '{"geolocation":{"in":["US","CA"]},"order":[["dph_total","asc"]],"limit":2}'
check_eq "offers geolocation in [US,CA], order, limit" "$(jf '[o["id"] for o in d["offers"]]')" "[27045511, 27046002]"
req POST /api/v0/bundles/ -H "$K" --data-binary '{"gpu_name":{"in":["RTX 3090","A100 SXM4"]},"verified":{"eq":false}}'
check_eq "offers: verified=false matches none" "$(jf 'len(d["offers"])')" 0
req POST /api/v0/bundles/ -H "$K" --data-binary '{"gpu_name":{"notin":["RTX 3090","A100 SXM4"]},"cpu_cores":{"gt":"10"},"ubuntu_version":{"eq":"22.04"}}'
check_eq "offers: notin, null cpu_cores fails gt, unknown field ignored" "$(jf '[o["id"] for o in d["offers"]]')" "[27045511]"
req POST /api/v0/bundles/ -H "$K" --data-binary 'not json'
check_eq "offers: bad body is a 400" "$CODE" 400

# --- rent, boot, manage, destroy ---
req PUT /api/v0/asks/27045511/ -H "$K" -H 'Content-Type: application/json' \
	--data-binary '{"client_id":"me","image":"pytorch/pytorch:2.4.0","disk":40,"label":"ros-train","onstart":"touch ~/.no_auto_tmux","runtype":"ssh_direc ssh_proxy","env":{"ROS_JOB":"train"},"price":null}'
check_eq "rent: 200 success" "$CODE $(jf 'd["success"]')" "200 true"
check_eq "rent: new_contract 40000001" "$(jf 'd["new_contract"]')" 40000001
check_match "rent: instance_api_key" "$(jf 'd["instance_api_key"]')" '^[0-9a-f]{32}$'
for want in null loading running; do
	req GET /api/v0/instances/40000001/ -H "$K"
	check_eq "rented instance polls as $want" "$(jf 'd["instances"]["actual_status"]')" "$want"
done
check_eq "running: direct port published" "$(jf 'd["instances"]["ports"]')" '{"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "22232"}]}'
check_eq "running: ssh endpoint from the pool" "$(jf '[d["instances"][k] for k in ("ssh_host","ssh_port","public_ipaddr")]')" \
	'["127.0.0.2", 22232, "127.0.0.2"]'
check_eq "rented row: from offer and request" \
	"$(jf '[d["instances"][k] for k in ("gpu_name","num_gpus","dph_total","machine_id","label","image_uuid","disk_space","extra_env")]')" \
	'["RTX 4090", 1, 0.3306, 48211, "ros-train", "pytorch/pytorch:2.4.0", 40, [["ROS_JOB", "train"]]]'
req PUT /api/v0/asks/27045511/ -H "$K" --data-binary '{"client_id":"me","image":"x"}'
check_eq "rent of a rented offer: 404" "$CODE" 404
check_eq "rent of a rented offer: no_such_ask body" "$BODY" \
	'{"success":false,"error":"invalid_args","msg":"error 404/3603: no_such_ask Instance type by id 27045511 is not available.","ask_id":27045511}'
req POST /api/v0/bundles/ -H "$K" --data-binary '{"dph_total":{"lt":"0.35"}}'
check_eq "rented offer left out of searches" "$(jf '[o["id"] for o in d["offers"]]')" "[27044890]"
check "remove_offer 27044890" fakevast_ctl patch '{"remove_offer":27044890}'
req PUT /api/v0/asks/27044890/ -H "$K" --data-binary '{"client_id":"me","image":"x"}'
check_eq "rent of a vanished offer: 404 no_such_ask" "$CODE $(jf '"no_such_ask" in d["msg"]')" "404 true"
req PUT /api/v0/asks/27046002/ -H "$K" --data-binary '{"client_id":"me","image":"x","label":"second"}'
check_eq "second rent: next id" "$(jf 'd["new_contract"]')" 40000002
req GET /api/v0/instances/40000002/ -H "$K"
check_eq "second rent: next pool entry" "$(jf 'd["instances"]["ssh_host"]')" 127.0.0.3

req PUT /api/v0/instances/40000001/ -H "$K" --data-binary '{"state":"stopped"}'
check_eq "stop: success" "$CODE $BODY" '200 {"success":true}'
req GET /api/v0/instances/40000001/ -H "$K"
check_eq "stopped: status and no ports" "$(jf '[d["instances"]["actual_status"], d["instances"]["ports"]]')" '["stopped", null]'
req PUT /api/v0/instances/40000001/ -H "$K" --data-binary '{"state":"running"}'
check_eq "start: success" "$CODE" 200
req GET /api/v0/instances/40000001/ -H "$K"
check_eq "started: loading first" "$(jf 'd["instances"]["actual_status"]')" loading
req GET /api/v0/instances/40000001/ -H "$K"
check_eq "started: running again, same port" "$(jf '[d["instances"]["actual_status"], d["instances"]["ports"]["22/tcp"][0]["HostPort"]]')" \
	'["running", "22232"]'
req PUT /api/v0/instances/40000001/ -H "$K" --data-binary '{"label":"renamed"}'
check_eq "label: success" "$CODE" 200
check "patch: instance ssh_port" fakevast_ctl patch '{"instance":40000001,"set":{"ssh_port":1234,"ssh_host":"127.0.0.9"}}'
req GET /api/v0/instances/40000001/ -H "$K"
check_eq "patched and relabelled row" "$(jf '[d["instances"][k] for k in ("label","ssh_port","ssh_host")]')" '["renamed", 1234, "127.0.0.9"]'
req PUT /api/v0/instances/777/ -H "$K" --data-binary '{"state":"running"}'
check_eq "manage unknown instance: 404" "$CODE" 404
req DELETE /api/v0/instances/40000001/ -H "$K" --data-binary '{}'
check_eq "destroy: success" "$CODE $BODY" '200 {"success":true}'
req DELETE /api/v0/instances/40000001/ -H "$K" --data-binary '{}'
check_eq "destroy again: 404 not_found" "$CODE $(jf 'd["error"]')" "404 not_found"
check "ctl state dump" fakevast_ctl state
check_eq "state dump: instances after destroy" "$(printf '%s' "$OUT" | fakevast_json 'sorted(r["id"] for r in d["instances"])')" \
	"[30999870, 31000101, 31000145, 40000002]"

# --- pagination over 30 instances ---
/usr/bin/python3 - "$T/many.json" <<'EOF'
import json, random, sys
ids = [50000000 + 7 * i for i in range(30)]
random.Random(4).shuffle(ids)
rows = [{"id": n, "actual_status": "running" if n % 3 == 0 else "loading",
         "label": "ros-%d" % (n % 4), "dph_total": 0.1} for n in ids]
json.dump({"instances": rows, "offers": []}, open(sys.argv[1], "w"))
EOF
check "replace state with 30 instances" fakevast_ctl state "$(cat "$T/many.json")"
req GET /api/v1/instances/ -H "$K"
check_eq "page 1: 25 rows, a next_token" "$(jf '[d["instances_found"], d["total_instances"], d["next_token"] is not None]')" "[25, 30, true]"
tok=$(jf 'd["next_token"]')
req GET /api/v1/instances/ -G -H "$K" --data-urlencode "after_token=$tok"
check_eq "page 2: the other 5, no next_token" "$(jf '[d["instances_found"], d["next_token"]]')" "[5, null]"
req GET '/api/v1/instances/?limit=100' -H "$K"
check_eq "limit is capped at 25" "$(jf 'd["instances_found"]')" 25
req GET '/api/v1/instances/?after_token=bogus' -H "$K"
check_eq "bad after_token: 400 invalid_token" "$CODE $(jf 'd["error"]')" "400 invalid_token"

walk() {	# walk LIMIT [DELETE_AFTER_PAGE1]: all ids, one per line, in $T/ids
	: >"$T/ids"
	_tok= _pages=0
	while [ $_pages -lt 20 ]; do
		if [ -n "$_tok" ]; then _a="after_token=$_tok"; else _a="x=1"; fi
		req GET /api/v1/instances/ -G -H "$K" --data-urlencode "limit=$1" \
			--data-urlencode 'order_by=[{"col":"id","dir":"asc"}]' \
			--data-urlencode 'select_filters={}' --data-urlencode "$_a"
		jf '"\n".join(str(r["id"]) for r in d["instances"])' >>"$T/ids"
		_tok=$(jf 'd["next_token"] or ""')
		_pages=$((_pages + 1))
		if [ $_pages = 1 ] && [ -n "${2:-}" ]; then
			req DELETE "/api/v0/instances/$2/" -H "$K" --data-binary '{}'
		fi
		[ -z "$_tok" ] && break
	done
	PAGES=$_pages
}
walk 7
check_eq "limit 7: 5 pages" "$PAGES" 5
check_eq "limit 7: 30 distinct ids" "$(sort -u "$T/ids" | wc -l)" 30
check_eq "limit 7: ids ascending" "$(cat "$T/ids")" "$(sort -n "$T/ids")"
req GET /api/v1/instances/ -G -H "$K" --data-urlencode 'select_filters={"actual_status":{"eq":"running"}}'
check_eq "select_filters eq running" "$(jf '[d["total_instances"], all(r["actual_status"] == "running" for r in d["instances"])]')" "[10, true]"
second=$(sed -n 2p "$T/ids")
walk 25 "$second"
check_eq "a seen row deleted between pages: no row skipped" "$(sort -u "$T/ids" | wc -l)" 30
req GET /api/v1/instances/ -H "$K"
check_eq "and it is gone now" "$(jf 'd["total_instances"]')" 29
req GET /api/v1/instances/ -G -H "$K" --data-urlencode 'order_by=[{"col":"id","dir":"desc"}]' --data-urlencode 'limit=3'
check_eq "order_by id desc" "$(jf '[r["id"] for r in d["instances"]]')" "[50000203, 50000196, 50000189]"
req GET /api/v1/instances/ -G -H "$K" --data-urlencode 'select_filters={"dph_total":{"lt":1}}'
check_eq "filter on a computed field: 400" "$CODE" 400

# --- scenario options ---
check "regenerating market, instant boot, restarts move" fakevast_ctl state "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d.update(offers_regenerate=True, regen_machine_ids=[777], boot_polls=0, reassign_on_start=True,
         next_offer_id=60000001)
print(json.dumps(d))' "$EX")"
req PUT /api/v0/asks/27044890/ -H "$K" --data-binary '{"image":"x"}'
id=$(jf 'd["new_contract"]')
req POST /api/v0/bundles/ -H "$K" --data-binary '{"gpu_name":{"eq":"RTX A5000"}}'
check_eq "regenerated offer: new id, fixed machine id, same price" \
	"$(jf '[[o["id"], o["machine_id"], o["dph_total"], o["rented"]] for o in d["offers"]]')" '[[60000001, 777, 0.1906, false]]'
req PUT /api/v0/asks/60000001/ -H "$K" --data-binary '{"image":"x"}'
check_eq "the regenerated offer rents" "$CODE" 200
req GET "/api/v0/instances/$id/" -H "$K"
check_eq "boot_polls 0: running at once" "$(jf '[d["instances"]["actual_status"], d["instances"]["ssh_port"]]')" '["running", 22232]'
req PUT "/api/v0/instances/$id/" -H "$K" --data-binary '{"state":"stopped"}'
req PUT "/api/v0/instances/$id/" -H "$K" --data-binary '{"state":"running"}'
req GET "/api/v0/instances/$id/" -H "$K"
check_eq "reassign_on_start: a new endpoint after stop/start" \
	"$(jf '[d["instances"]["ssh_host"], d["instances"]["ports"]["22/tcp"][0]["HostPort"]]')" '["127.0.0.2", "22232"]'
check "patch: boots end in exited, key rotated, 404 for bad keys" fakevast_ctl patch \
	'{"scenario":{"boot_polls":1,"boot_final":"exited","api_key":"k2","auth_error_status":404}}'
req PUT /api/v0/asks/27045511/ -H "Authorization: Bearer k2" --data-binary '{"image":"x"}'
id=$(jf 'd["new_contract"]')
for want in null exited exited; do
	req GET "/api/v0/instances/$id/" -H "Authorization: Bearer k2"
	check_eq "boot_final exited: $want" "$(jf 'd["instances"]["actual_status"]')" "$want"
done
req GET /api/v1/instances/ -H "$K"
check_eq "old key: auth_error with status 404" "$CODE $(jf 'd["error"]')" "404 auth_error"

# --- fault injection ---
check "state back to the examples" fakevast_ctl state "$(cat "$EX")"
check "inject 3 x 429" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":429,"count":3}'
codes=
for i in 1 2 3 4; do
	req GET /api/v1/instances/ -H "$K"
	codes="$codes $CODE"
	[ $i = 1 ] && body429=$BODY && retry_after=$(grep -ci '^retry-after' "$T/hdrs")
done
check_eq "429 three times, then 200" "$codes" " 429 429 429 200"
check_eq "429 body" "$body429" '{"detail":"API requests too frequent endpoint threshold=2.0"}'
check_eq "429 without Retry-After" "$retry_after" 0
req GET /api/v0/users/current/ -H "$K"
check_eq "other paths unaffected" "$CODE" 200
check "inject 503 on PUT only" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/","method":"PUT","status":503}'
req PUT /api/v0/asks/27046002/ -H "$K" --data-binary '{"image":"x"}'
check_eq "503 injected" "$CODE $CTYPE" "503 text/plain"
req PUT /api/v0/asks/27046002/ -H "$K" --data-binary '{"image":"x"}'
check_eq "count 1: next request is normal" "$CODE" 200
check "inject a custom body" fakevast_ctl fail '{"path_prefix":"/api/v0/users","status":500,"body":{"success":false,"msg":"boom"}}'
req GET /api/v0/users/current/ -H "$K"
check_eq "custom 500 body" "$CODE $BODY" '500 {"success":false,"msg":"boom"}'
check "inject a 300 ms delay" fakevast_ctl fail '{"path_prefix":"/api/v0/users","delay_ms":300}'
t0=$(date +%s%N)
req GET /api/v0/users/current/ -H "$K"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "delay only: still 200" "$CODE" 200
check_match "delay only: took >= 300 ms ($ms)" "$ms" '^([3-9][0-9]{2}|[0-9]{4,})$'
check "inject a 5 s delay" fakevast_ctl fail '{"path_prefix":"/api/v0/users","delay_ms":5000,"status":200}'
check_exit 28 "slow server: client timeout fires" curl -sS --max-time 0.3 -H "$K" "$VAST_URL/api/v0/users/current/"
req GET /api/v1/instances/ -H "$K"
check_eq "others are served while one request is delayed" "$CODE" 200
check "inject a dropped connection" fakevast_ctl fail '{"path_prefix":"/api/v0/instances/","drop":true}'
check_exit 52 "dropped: empty reply" curl -sS -H "$K" "$VAST_URL/api/v0/instances/31000101/"
check "inject forever, then clear" fakevast_ctl fail '{"path_prefix":"/api/v1","status":502,"count":-1}'
req GET /api/v1/instances/ -H "$K"
c1=$CODE
req GET /api/v1/instances/ -H "$K"
check_eq "count -1: fails every time" "$c1 $CODE" "502 502"
check "clear faults" fakevast_ctl fail '{"clear":true}'
req GET /api/v1/instances/ -H "$K"
check_eq "cleared" "$CODE" 200
check_fail "ctl: bad JSON is an error" fakevast_ctl patch '{"instance":'
check_fail "ctl: patch of an unknown instance is an error" fakevast_ctl patch '{"instance":1,"set":{"label":"x"}}'

# --- key checks of other services ---
check "tokens in the scenario" fakevast_ctl patch '{"scenario":{"tokens":{"github":"ghp_ok","hf":"hf_ok","wandb":"wb_ok"}}}'
req GET /user -H "Authorization: token ghp_ok"
check_eq "github: token form" "$CODE $BODY" '200 {"login":"ros-ci","id":4188}'
req GET /user/ -H "Authorization: Bearer ghp_ok"
check_eq "github: bearer form" "$CODE" 200
req GET /user -H "Authorization: token nope"
check_eq "github: bad token 401" "$CODE" 401
req GET /api/whoami-v2 -H "Authorization: Bearer hf_ok"
check_eq "hf: whoami" "$CODE $(jf 'd["name"]')" "200 ros-ci"
req GET /api/whoami-v2 -H "Authorization: Bearer testkey"
check_eq "hf: the Vast key is no HF token" "$CODE" 401
req POST /graphql -u api:wb_ok -H 'Content-Type: application/json' --data-binary '{"query":"query Viewer { viewer { username } }"}'
check_eq "wandb: viewer" "$CODE $BODY" '200 {"data":{"viewer":{"username":"ros-ci"}}}'
req POST /graphql -u api:nope --data-binary '{"query":"query { viewer { username } }"}'
check_eq "wandb: bad key 401" "$CODE" 401

# --- robustness ---
req PUT /api/v0/asks/27047733/ -H "$K" --data-binary '[1,2'
check_eq "rent with a broken body: 400" "$CODE" 400
req GET '/api/v1/instances/?limit=%zz&select_filters=%7B' -H "$K"
check_eq "broken query: 400" "$CODE" 400
head -c 100000 /dev/zero | tr '\0' 'a' >"$T/big"
req POST /api/v0/bundles/ -H "$K" --data-binary "@$T/big"
check_eq "large junk body: 400" "$CODE" 400
req GET /api/v0/users/current/ -H "$K"
check_eq "still serving" "$CODE" 200

# --- the other helpers ---
check "fakevast_api" fakevast_api PUT /api/v0/instances/31000101/ '{"label":"via-helper"}'
check_eq "fakevast_api: body, then the status" "$OUT" '{"success":true}
HTTP 200'
check_match "fakevast_requests: the log" "$(fakevast_requests | tail -n 1)" '"path":"/api/v0/instances/31000101/".*"label":"via-helper"'

# --- the request log ---
check_eq "log: no /__ctl requests" "$(fakevast_log_json 'sum(1 for r in L if r["path"].startswith("/__ctl"))')" 0
check_eq "log: one line per request, each with a status" \
	"$(fakevast_log_json 'all(set(r) >= {"method","path","query","headers","body","status"} for r in L)')" true
check_eq "log: the first request had no key" "$(fakevast_log_json '[L[0]["method"], L[0]["path"], L[0]["headers"]["Authorization"], L[0]["status"]]')" \
	'["GET", "/api/v1/instances/", null, 401]'
check_eq "log: rent request with bearer, content type and parsed body" \
	"$(fakevast_log_json '[[r["headers"]["Authorization"], r["headers"]["Content-Type"], r["body"].get("label"), r["status"]] for r in L if r["path"] == "/api/v0/asks/27045511/"][0]')" \
	'["Bearer testkey", "application/json", "ros-train", 200]'
check_eq "log: query strings decoded" \
	"$(fakevast_log_json '[r["query"]["select_filters"] for r in L if "actual_status" in r["query"].get("select_filters", "")][0]')" \
	'{"actual_status":{"eq":"running"}}'
check_eq "log: three 429s" "$(fakevast_log_json 'sum(1 for r in L if r["status"] == 429)')" 3
check_eq "log: a body that is not JSON is kept as a string" \
	"$(fakevast_log_json '[r["body"] for r in L if r["body"] == "not json"]')" '["not json"]'

# --- a clean stop, even with a request parked in a delay ---
fakevast_ctl fail '{"path_prefix":"/api/v0/users","delay_ms":20000}' >/dev/null
curl -sS -o /dev/null --max-time 30 -H "$K" "$VAST_URL/api/v0/users/current/" 2>/dev/null &
cpid=$!
check "the request is parked (its fault rule is used up)" \
	wait_for 5 sh -c "curl -sS '$VAST_URL/__ctl/fail' | grep -qx '\\[\\]'"
t0=$(date +%s%N)
pid=$FAKEVAST_PID
kill -TERM "$pid"
wait "$pid"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
FAKEVAST_PID=
wait "$cpid" 2>/dev/null
check_eq "SIGTERM: exit 0" "$rc" 0
check_match "SIGTERM: quick despite the parked request ($ms ms)" "$ms" '^([0-9]{1,3}|[12][0-9]{3})$'
check_exit 2 "a bad state file is refused" "${FAKEVAST_BIN:-$TOP/build/fakevast}" --state "$T/ids"

done_testing
