#!/bin/sh
# vast-hunt --rent against the fake market: rent the best offer, wait until it
# runs, register it (the watcher's code path).  An offer gone at rent time, a
# boot that fails, a timeout, a rent request that may have been processed,
# hostile endpoints, an unreadable registry: clear messages, nothing
# half-written.  (--yes throughout: the question on a terminal is 0548.)
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
fakevast_start "$TOP/tests/fake/vast-examples.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
Q='dph<0.35 gpu_ram>=20'
puts() { fakevast_log_json '[(r["path"], r["status"]) for r in L if r["method"] == "PUT"]'; }

# --- rent, wait, register ---
check "--rent" "$ROS" vast-hunt --query "$Q" --rent --yes --image pytorch/pytorch:2.4.0 --disk 40 --onstart 'touch ~/.no_auto_tmux'
check_re "rented the best" "$OUT" 'Rented offer 27045511 as instance 40000001'
check_re "registered" "$OUT" 'Registered worker vastai_auto_[0-9]{8}_[0-9]{6} \(ssh 127\.0\.0\.2:22232, pool vastai\)'
wid=$(printf '%s\n' "$OUT" | sed -n 's/^Registered worker \([^ ]*\) .*/\1/p')
check_re "progress on stderr: rent, boot states, endpoint" "$ERR" \
	'renting offer 27045511 \(RTX 4090, \$0\.3306/hr\)
.*rented offer 27045511 as instance 40000001; waiting for it to run
.*instance 40000001: null \([0-9]+ s\)
.*instance 40000001: loading \([0-9]+ s\)
.*instance 40000001: running, ssh 127\.0\.0\.2:22232 \([0-9]+ s\)'
check_eq "the rent request" "$(fakevast_log_json '[(r["headers"]["Authorization"], r["headers"]["Content-Type"], r["body"]) for r in L if r["method"] == "PUT"]')" \
	'[["Bearer testkey", "application/json", {"client_id": "me", "image": "pytorch/pytorch:2.4.0", "disk": 40.0, "label": "ros", "onstart": "touch ~/.no_auto_tmux", "runtype": "ssh_direc ssh_proxy", "env": {}, "price": null}]]'
check_eq "then polls of that instance until it ran" \
	"$(fakevast_log_json '[r["path"] for r in L if r["method"] == "GET"]')" \
	'["/api/v0/instances/40000001/", "/api/v0/instances/40000001/", "/api/v0/instances/40000001/"]'
check_eq "the worker entry" "$(sed -n "/worker_id: $wid/,\$p" $W | sed 's/^\(    notes: AUTO-RENTED at\) .*\(\. RTX.*\)/\1 WHEN\2/')" \
"  - worker_id: $wid
    instance_id: 40000001
    kind: ssh
    enabled: true
    worker_pool: vastai
    ssh:
      host: \"127.0.0.2\"
      port: 22232
      user: root
    workspace: /root/research-worker
    resources:
      gpu: 1
      vram_gb: 24
      disk_gb: 40
      cpu: 8
    dph: 0.3306
    health:
      heartbeat_command: echo ok
      busy_command: pgrep -f '[r]uns/logs/.*/wrapper.sh' || true
    notes: AUTO-RENTED at WHEN. RTX 4090, \$0.3306/hr, DLP/\$=237.1. Oregon, US."
check_re "notes: local time of the rental" "$(grep 'notes: AUTO-RENTED' $W)" 'AUTO-RENTED at 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.'
check "reconcile finds it consistent" "$ROS" vastai-reconcile
check_re "tracked and consistent" "$OUT" "Tracked workers: 1
.*
  \[✓\] $wid  inst=40000001  running   127\.0\.0\.2:22232"
check_re "all consistent" "$OUT" 'All tracked workers are consistent'

# --- the best offer is gone at rent time: the next one ---
: >"$FAKEVAST_LOG"
check "market back" fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")"
check "27045511 rented away" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/27045511","method":"PUT","status":404,"body":{"success":false,"error":"invalid_args","msg":"error 404/3603: no_such_ask Instance type by id 27045511 is not available.","ask_id":27045511}}'
check "--rent --json --ssh-mode direct --pool gpu --key" "$ROS" vast-hunt --query "$Q" --rent --yes --image img --ssh-mode direct --pool gpu --key '~/.ssh/vastai_id_ed25519' --json
check_re "skipped, said why" "$ERR" 'offer 27045511 is gone \(rented by someone else\); trying the next'
check_eq "two PUTs: 404, then 200" "$(puts)" '[["/api/v0/asks/27045511/", 404], ["/api/v0/asks/27044890/", 200]]'
check_eq "json: the rental" "$(printf '%s' "$OUT" | fakevast_json 'd["rental"]["offer_id"], d["rental"]["instance_id"], d["rental"]["worker_pool"], d["rental"]["ssh_port"]')" \
	"[27044890, 40000002, \"gpu\", 22232]"
wid2=$(printf '%s' "$OUT" | fakevast_json 'd["rental"]["worker_id"]')
check_eq "direct mode, pool, key" "$(sed -n "/worker_id: $wid2/,\$p" $W | sed -n '5,12p')" \
'    worker_pool: gpu
    ssh_mode: direct
    ssh:
      host: "127.0.0.2"
      port: 22232
      user: root
      key: ~/.ssh/vastai_id_ed25519
    workspace: /root/research-worker'
check_re "null geolocation in the notes" "$(grep "DLP/\\\$=166" $W)" 'RTX A5000, \$0\.1906/hr, DLP/\$=166\.3\. location unknown\.$'
check_eq "a second rental in the same second gets another id" "$([ "$wid" != "$wid2" ] && echo distinct)" distinct

cp $W "$T/before"
# --- every offer gone ---
: >"$FAKEVAST_LOG"
check "market back" fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")"
check "all rented away" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/","method":"PUT","status":404,"count":-1,"body":{"success":false,"error":"invalid_args","msg":"error 404/3603: no_such_ask Instance type by id 0 is not available."}}'
check_exit 1 "nothing left to rent" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_re "says so" "$ERR" 'every offer tried \(2\) was gone by the time it was rented; search again'
check "nothing registered" cmp $W "$T/before"
check "clear" fakevast_ctl fail '{"clear":true}'

# --- the container never comes up: destroyed, not registered ---
: >"$FAKEVAST_LOG"
check "boots end in exited" fakevast_ctl patch '{"scenario":{"boot_final":"exited","boot_polls":1}}'
check_exit 1 "a failed boot" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_re "says what happened and that it was destroyed" "$ERR" 'instance 40000003 failed to start: status exited \(.*\); destroyed it so it does not bill'
check_eq "destroyed with DELETE {}" "$(fakevast_log_json '[(r["method"], r["path"], r["body"]) for r in L if r["method"] == "DELETE"]')" \
	'[["DELETE", "/api/v0/instances/40000003/", {}]]'
check "nothing registered" cmp $W "$T/before"

# --- still loading at the timeout: left alone, with advice ---
: >"$FAKEVAST_LOG"
check "slow boots" fakevast_ctl patch '{"scenario":{"boot_final":"running","boot_polls":100000}}'
check_exit 1 "timeout" "$ROS" vast-hunt --query "$Q" --rent --yes --image img --timeout 1
check_re "says it is still rented and what to do" "$ERR" 'instance 40000004 is not running with an SSH endpoint after 1 s \(last status loading\); it is still rented: register it later with `ros add-worker --vastai-instance-id 40000004` or destroy it with `ros vastai-destroy 40000004`'
check_eq "no DELETE" "$(fakevast_log_json 'sum(r["method"] == "DELETE" for r in L)')" 0
check "nothing registered" cmp $W "$T/before"

# --- a rent request that may have reached Vast.ai is not repeated ---
check "market back" fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")"
: >"$FAKEVAST_LOG"
check "503 on rent" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/","method":"PUT","status":503,"count":-1}'
check_exit 1 "503 on rent" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_eq "one PUT only" "$(puts)" '[["/api/v0/asks/27045511/", 503]]'
check_re "warns about a billed instance" "$ERR" 'may have reached Vast.ai, so an instance may exist and be billed: look for an untracked one with `ros vastai-instances`'
check "clear" fakevast_ctl fail '{"clear":true}'
: >"$FAKEVAST_LOG"
check "429 on rent, and during the wait" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/","method":"PUT","status":429,"count":2}'
check "another" fakevast_ctl fail '{"path_prefix":"/api/v0/instances/","method":"GET","status":502,"count":5}'
check "429 on rent is retried (never processed), 5xx while polling tolerated" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_eq "PUTs: 429, 429, 200" "$(puts)" '[["/api/v0/asks/27045511/", 429], ["/api/v0/asks/27045511/", 429], ["/api/v0/asks/27045511/", 200]]'
check_re "registered" "$OUT" 'Registered worker vastai_auto_'
cp $W "$T/before"

# --- a hostile endpoint from the API: destroyed, not registered ---
: >"$FAKEVAST_LOG"
check "hostile pool" fakevast_ctl patch '{"scenario":{"ssh_pool":[{"ssh_host":"-oProxyCommand=touch '"$T"'/pwned","ssh_port":22,"public_ipaddr":"1.2.3.4","direct_port":22}],"boot_polls":0}}'
check_exit 1 "rent with a hostile host" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_re "refused" "$ERR" "cannot be used: refusing SSH host '-oProxyCommand=touch .*' from Vast.ai \(not a plain host name\); destroyed it"
check "nothing registered" cmp $W "$T/before"
check "nothing executed" test ! -e "$T/pwned"

# --- the registry cannot be read: rented but not registered, and said so ---
check "market back" fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")"
check "good pool" fakevast_ctl patch '{"scenario":{"ssh_pool":[{"ssh_host":"127.0.0.5","ssh_port":2205,"public_ipaddr":"127.0.0.5","direct_port":2205}],"boot_polls":0}}'
printf 'workers:\n  - worker_id: x\n    notes: "bad \\| escape"\n' >$W
cp $W "$T/before"
check_exit 1 "unreadable registry" "$ROS" vast-hunt --query "$Q" --rent --yes --image img
check_re "rented but not registered, with the way out" "$ERR" 'instance 4000000[0-9] is rented and running but was not registered: .*workers.yaml:3:[0-9]+: .*; fix that and run `ros add-worker --vastai-instance-id 4000000[0-9]`, or `ros vastai-destroy 4000000[0-9]`'
check "the registry is untouched" cmp $W "$T/before"

# --- refused before any request ---
: >"$FAKEVAST_LOG"
check_exit 1 "--rent without an image" "$ROS" vast-hunt --query "$Q" --rent --yes
check_re "says how to give one" "$ERR" '--rent needs an image: pass --image'
check_eq "no request" "$(fakevast_log_json 'len(L)')" 0
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey'
done_testing
