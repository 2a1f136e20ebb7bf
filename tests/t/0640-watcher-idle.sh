#!/bin/sh
# Idle destroy: an instance the watcher rented is destroyed once no run has
# used it for idle_destroy_minutes (a fraction here: seconds), its worker
# disabled; one in use is kept.  A rental whose wait was cut short by stop
# is registered by the next start, one that never comes up is destroyed.
# setup_worker sets up a new worker, in the watcher's own process.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
fakevast_start "$TOP/tests/fake/watcher-market.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
Q=queues/run_queue.json
mkdir -p research/p && : >research/p/project.yaml
cat >vastai/watcher.yaml <<'EOF'
interval_seconds: 1
max_dph: 0.10
min_dlp_per_dollar: 180
profile:
image: pytorch/pytorch:2.4.0
max_instances: 2
max_total_dph: 0.20
only_when_pending: true
idle_destroy_minutes: 0.05       # 3 s
EOF
at_exit '"$ROS" vastai-watcher stop --timeout 5'
label=$("$ROS" vastai-watcher status --json | fakevast_json 'd["label"]')
mine() { fakevast_ctl state | fakevast_json "[i['id'] for i in d['instances'] if i.get('label') == '$label']"; }
# Set fields of run $1 the way dispatch and check-runs do (atomically: the
# watcher reads the queue without the lock).
set_run() {
	"$PY" - "$Q" "$@" <<'EOF'
import json, os, sys, time
q, rid, kv = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = json.load(open(q))
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for r in runs:
    if r["id"] == rid:
        for a in kv:
            k, v = a.split("=", 1)
            r[k] = now if v == "NOW" else v
open(q + ".tmp", "w").write(json.dumps(runs, indent=2) + "\n")
os.rename(q + ".tmp", q)
EOF
}
log() { cat .ros/watcher.log; }
# tick_since EPOCH: the watcher has finished a tick that began at EPOCH or
# later (its state file's last_tick; "at" is in whole seconds)
tick_since() {
	"$PY" - "$1" <<'EOF'
import calendar, json, sys, time
try:
    at = json.load(open(".ros/watcher.state.json"))["last_tick"]["at"]
    sys.exit(0 if calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ")) >= int(sys.argv[1]) else 1)
except (OSError, ValueError, KeyError, TypeError):
    sys.exit(1)
EOF
}

"$ROS" add-run --project-id p --worker-pool vastai --command "echo a" >/dev/null
rid=$(fakevast_json 'd[0]["id"]' <$Q)
check "start" "$ROS" vastai-watcher start
check "rents one for the waiting run" wait_for 5 grep -q 'rented offer .* as instance 40000001' .ros/watcher.log
wid=$(sed -n 's/.*as instance 40000001: worker \([^,]*\),.*/\1/p' .ros/watcher.log)
check_re "registered" "$(cat $W)" "worker_id: $wid
    instance_id: 40000001"
# the run goes to it, as dispatch-runs would do
check "the run starts on it" set_run "$rid" status=running worker_id="$wid" started_at=NOW
# rented before now: a tick 4 s from now comes after the 3 s of idle time
check "a tick past the idle time" wait_for 10 tick_since $(( $(date +%s) + 4 ))
check_eq "in use: kept past the idle time" "$(mine)" "[40000001]"
check_nore "no destroy" "$(log)" 'destroyed instance|destroying'
check "the run ends" set_run "$rid" status=done ended_at=NOW exit_code=0
check "destroyed once idle" wait_for 6 grep -q "destroyed instance 40000001 (worker $wid disabled): idle for [0-9]*s (idle_destroy_minutes: 0.05)" .ros/watcher.log
check_eq "gone from the account" "$(mine)" "[]"
check_eq "with DELETE {}" "$(fakevast_log_json '[(r["method"], r["path"], r["body"]) for r in L if r["method"] == "DELETE"]')" \
	'[["DELETE", "/api/v0/instances/40000001/", {}]]'
check_re "its worker disabled" "$(cat $W)" "worker_id: $wid
    instance_id: 40000001
    kind: ssh
    enabled: false"
check_eq "the finished run untouched" "$(fakevast_json '[d[0]["status"], d[0]["worker_id"]]' <$Q)" "[\"done\", \"$wid\"]"
check "a tick after it" wait_for 5 tick_since $(( $(date +%s) + 1 ))
check_eq "nothing waits: nothing rented again" "$(fakevast_log_json 'sum(r["method"] == "PUT" for r in L)')" 1
check "reconcile: consistent (a disabled worker is not tracked)" "$ROS" vastai-reconcile
check_re "says so" "$OUT" 'All tracked workers are consistent with live state\.'
check "status" "$ROS" vastai-watcher status --json
check_eq "the history" "$(printf '%s' "$OUT" | fakevast_json '([r["instance_id"] for r in d["rented"]], [(x["instance_id"], x["why"], x["workers"]) for x in d["destroyed"]])')" \
	"[[40000001], [[40000001, \"idle\", [\"$wid\"]]]]"

# --- stopped while a rental boots: the next start registers it, no second rental ---
sed -i 's/^idle_destroy_minutes: .*/idle_destroy_minutes: 0/' vastai/watcher.yaml
check "slow boots" fakevast_ctl patch '{"scenario":{"boot_polls":100000}}'
"$ROS" add-run --project-id p --worker-pool vastai --command "echo b" >/dev/null
check "renting" wait_for 5 grep -q 'renting offer' .ros/watcher.log
check "it boots" wait_for 5 grep -q 'instance 40000002: loading' .ros/watcher.log
t0=$(date +%s)
check "stop while it waits" "$ROS" vastai-watcher stop
check "stopped at once" test $(( $(date +%s) - t0 )) -le 2
check_eq "rented, not registered" "$(grep -c 'instance_id: 40000002' $W)" 0
check_re "logged" "$(log)" 'error: offer [0-9]+: stopped waiting for instance 40000002 \(last status loading\); it is still rented'
check "it comes up" fakevast_ctl patch '{"instance":40000002,"set":{"actual_status":"running","ssh_host":"127.0.0.9","ssh_port":22299}}'
: >"$FAKEVAST_LOG"
check "start" "$ROS" vastai-watcher start
check "registers it" wait_for 5 grep -q 'registered instance 40000002 (rented earlier, not yet a worker) as worker vastai_auto_[0-9_]* (ssh 127.0.0.9:22299, pool vastai)' .ros/watcher.log
check_eq "with its instance_id" "$(grep -c 'instance_id: 40000002$' $W)" 1
check "a tick after it" wait_for 5 tick_since $(( $(date +%s) + 1 ))
check_eq "and rents nothing more: its slot serves the run" "$(fakevast_log_json 'sum(r["method"] == "PUT" for r in L)')" 0
check "stop" "$ROS" vastai-watcher stop

# --- one that never comes up is destroyed after boot_timeout_seconds ---
printf 'boot_timeout_seconds: 1\n' >>vastai/watcher.yaml
check "a stuck one of ours" fakevast_ctl patch "{\"add_instance\":{\"id\":40000077,\"label\":\"$label\",\"actual_status\":\"loading\",\"dph_total\":0.05,\"start_date\":1000}}"
: >"$FAKEVAST_LOG"
check "a tick" "$ROS" vastai-watcher run --once
check_re "destroyed, said why" "$OUT" 'destroying instance 40000077: not running with an SSH endpoint .* after it started \(status loading, boot_timeout_seconds 1\)'
check_eq "DELETE" "$(fakevast_log_json '[r["path"] for r in L if r["method"] == "DELETE"]')" '["/api/v0/instances/40000077/"]'

# --- setup_worker: `ros setup-worker` on the new worker (ssh faked) ---
cat >"$T/ssh" <<'EOF'
#!/bin/sh
echo "$@" >>"$T_SSH_LOG"
tr '\0' ' ' </proc/$PPID/cmdline >>"$T_SSH_PARENT"; echo >>"$T_SSH_PARENT"
cat >/dev/null
[ -n "$T_SSH_FAIL" ] && { echo "setup: $T_SSH_FAIL" >&2; exit 1; }
echo "ROS setup - ok"
EOF
chmod +x "$T/ssh"
export ROS_SSH="$T/ssh" T_SSH_LOG="$T/ssh.log" T_SSH_PARENT="$T/ssh.parent"
printf 'setup_worker: true\n' >>vastai/watcher.yaml
check "boots fast again" fakevast_ctl patch '{"scenario":{"boot_polls":1}}'
"$ROS" add-run --project-id p --worker-pool vastai --command "echo c" >/dev/null
"$ROS" add-run --project-id p --worker-pool vastai --command "echo d" >/dev/null
check "a tick" "$ROS" vastai-watcher run --once
check_re "rented" "$OUT" 'rented offer [0-9]+ .* as instance 40000003: worker (vastai_auto_[0-9_]+)'
check_re "set it up" "$OUT" 'setup-worker vastai_auto_[0-9_]+: started
.* setup-worker vastai_auto_[0-9_]+: ready'
check_re "through ssh to its endpoint" "$(cat "$T/ssh.log")" '-p 2223[0-9] -l root -- 127\.0\.0\.[0-9]+ sh -s$'
check_re "from the watcher itself" "$(cat "$T/ssh.parent")" '^\S*ros .*vastai-watcher run --once $'
check_nore "not through a setup-worker command" "$(cat "$T/ssh.parent")" 'setup-worker'
# a set-up that fails: said why in one line; the worker stays registered
sed -i 's/^max_instances: .*/max_instances: 3/' vastai/watcher.yaml
"$ROS" add-run --project-id p --worker-pool vastai --command "echo e" >/dev/null
check "a tick" env T_SSH_FAIL="no space left on device" "$ROS" vastai-watcher run --once
check_re "rented" "$OUT" 'rented offer [0-9]+ .* as instance 40000004: worker (vastai_auto_[0-9_]+)'
check_re "set-up failed, said why" "$OUT" 'setup-worker (vastai_auto_[0-9_]+): started
.* setup-worker \1 failed: setup of \1 failed \(exit 1\): setup: no space left on device$'
check_eq "registered all the same" "$(grep -c 'instance_id: 40000004$' $W)" 1
check_nore "no sanitizer report in the log" "$(cat .ros/watcher.log)" 'Sanitizer|runtime error'
done_testing
