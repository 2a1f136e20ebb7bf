#!/bin/sh
# The watcher in the background, every second, against a market that keeps
# offering cheap GPUs: the instance count and $/hr never exceed the caps,
# also across stop and start; start twice gives one watcher; stop leaves no
# process and whole files; status, log, -f; API errors back off; a killed
# watcher does not block a restart.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
fakevast_start "$TOP/tests/fake/watcher-market.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
cat >vastai/watcher.yaml <<'EOF'
interval_seconds: 1
max_dph: 0.10
min_dlp_per_dollar: 180
profile:
image: pytorch/pytorch:2.4.0
max_instances: 3
max_total_dph: 0.20
only_when_pending: false
idle_destroy_minutes: 0
EOF
"$ROS" vastai-blacklist add 48211 --reason ghost >/dev/null
label=$("$ROS" vastai-watcher status --json | fakevast_json 'd["label"]')
at_exit '"$ROS" vastai-watcher stop --timeout 5'
wpid() { sed -n 1p .ros/watcher.pid; }
# a reaped-late zombie still answers kill -0: state Z counts as gone
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
nrun() { pgrep -f "$T/root [v]astai-watcher run" | while read -r p; do gone "$p" || echo "$p"; done | wc -l; }
puts() { fakevast_log_json 'sum(r["method"] == "PUT" and r["status"] == 200 for r in L)'; }
# Watch the fake for S seconds: the most instances and $/hr with our label.
sample() {
	"$PY" - "$FAKEVAST_URL" "$label" "$1" <<'EOF'
import json, sys, time, urllib.request
url, label, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = d = 0.0
end = time.time() + secs
while time.time() < end:
    st = json.load(urllib.request.urlopen(url + "/__ctl/state"))
    mine = [i for i in st["instances"] if i.get("label") == label]
    n = max(n, len(mine))
    d = max(d, sum(i.get("dph_total") or 0 for i in mine))
    time.sleep(0.03)
print(int(n), round(d, 4))
EOF
}
mine() { fakevast_ctl state | fakevast_json "sorted([i['machine_id'] for i in d['instances'] if i.get('label') == '$label'])"; }
ticks() { grep -c ' tick [0-9]*:' .ros/watcher.log; }

# --- start twice at once: one watcher ---
"$ROS" vastai-watcher start >"$T/s1" 2>&1 &
bg=$!
"$ROS" vastai-watcher start >"$T/s2" 2>&1
wait "$bg"
check_eq "one says started, the other which pid runs" "$(cat "$T/s1" "$T/s2" | sed 's/[0-9][0-9]*/N/' | sort)" \
	"vastai-watcher already runs (pid N)
vastai-watcher started (pid N); log: .ros/watcher.log"
check_eq "both name the same pid" "$(cat "$T/s1" "$T/s2" | grep -o 'pid [0-9]*' | sort -u | wc -l)" 1
check_eq "one process" "$(nrun)" 1
check_eq "its pid in .ros/watcher.pid" "$(grep -o 'pid [0-9]*' "$T/s1" | cut -d' ' -f2)" "$(wpid)"
check "start again" "$ROS" vastai-watcher start
check_eq "says which pid runs" "$OUT" "vastai-watcher already runs (pid $(wpid))"
P1=$(wpid)
check_re "its argv: the binary, the root, run; no key" "$(tr '\0' ' ' </proc/$P1/cmdline)" "^/[^ ]*/ros --root $T/root vastai-watcher run \$"

# --- many ticks: the caps hold ($0.06 + $0.09 rented; every other offer would pass $0.20) ---
check_eq "the most seen over 3 s: 2 instances, \$0.15/hr" "$(sample 3)" "2 0.15"
check "at least 3 ticks" test "$(ticks)" -ge 3
check_eq "two rentals in all" "$(puts)" 2
check_eq "no blacklisted machine" "$(mine)" "[51001, 51002]"
check_re "the budget is why" "$(cat .ros/watcher.log)" 'skipped 2 offers \(from \$0\.0600/hr\): each would bring the spend of \$0\.1500/hr over max_total_dph \$0\.2000/hr'
check "status" "$ROS" vastai-watcher status
check_re "running, with uptime" "$OUT" "^vastai-watcher: running \\(pid $P1\\), up [0-9]+s since 20[0-9-]+T[0-9:]+Z$"
check_re "the last tick" "$OUT" '^last tick: #[0-9]+ at 20[-0-9T:]+Z \([0-9]+s ago\): ok; 2 instances, \$0\.1500/hr; rented 0, destroyed 0$'
check_re "the live instances, spend and caps" "$OUT" "^instances it rented, live \\(label $label\\): 2, \\\$0\\.1500/hr now \\(caps: 3 instances, \\\$0\\.2000/hr\\)
  INSTANCE  STATUS   GPU         \\\$/HR  SSH              WORKER
  40000001  running  RTX 3060  0\\.0600  127\\.0\\.0\\.2:22232  vastai_auto_[0-9_]+
  40000002  running  RTX 3070  0\\.0900  127\\.0\\.0\\.3:22233  vastai_auto_[0-9_]+"
check_re "and the settings" "$OUT" '^  max_total_dph          0\.2$'
check "status --json" "$ROS" vastai-watcher status --json
check_eq "json" "$(printf '%s' "$OUT" | fakevast_json '(d["running"], d["pid"] > 0, d["dph"], [i["id"] for i in d["instances"]], len(d["rented"]), d["last_tick"]["ok"])')" \
	"[true, true, 0.15, [40000001, 40000002], 2, true]"
check "log -n 3" "$ROS" vastai-watcher log -n 3
check_eq "three lines" "$(printf '%s\n' "$OUT" | wc -l)" 3
check "log" "$ROS" vastai-watcher log
check_eq "the last 40 lines by default" "$OUT" "$(tail -n 40 .ros/watcher.log)"
timeout 1.5 "$ROS" vastai-watcher log -f -n 0 >"$T/follow" 2>&1
check_re "-f prints the lines as they come" "$(cat "$T/follow")" ' tick [0-9]+: 2 watcher instances'

# --- stop: gone, files whole ---
check "stop" "$ROS" vastai-watcher stop
check_eq "says so" "$OUT" "vastai-watcher stopped (pid $P1)"
check "the process is gone" gone "$P1"
check_eq "no watcher process" "$(nrun)" 0
check_re "it logged why" "$(tail -n 1 .ros/watcher.log)" 'vastai-watcher stopped \(SIGTERM\)$'
check "the state file is whole JSON" "$PY" -c 'import json; d = json.load(open(".ros/watcher.state.json")); assert d["stopped_at"] and d["next_tick_at"] is None'
check_eq "no temp files left" "$(find . -name '.*.??????' | wc -l)" 0
check "workers.yaml reads: reconcile finds every rental consistent" "$ROS" vastai-reconcile
check_re "both tracked" "$OUT" 'Tracked workers: 2'
check_re "consistent" "$OUT" 'All tracked workers are consistent with live state\.'
check "status" "$ROS" vastai-watcher status
check_re "not running" "$OUT" "^vastai-watcher: not running \\(pid $P1 stopped at 20[-0-9T:]+Z\\)$"

# --- more budget, started again: max_instances caps it, counted from the API ---
sed -i 's/^max_total_dph: .*/max_total_dph: 1.00/' vastai/watcher.yaml
: >"$FAKEVAST_LOG"
check "start again" "$ROS" vastai-watcher start
P2=$(wpid)
check_eq "the most seen over 2.5 s: 3 instances" "$(sample 2.5 | cut -d' ' -f1)" 3
check_eq "one more rental only" "$(puts)" 1
check_re "then at max_instances" "$(cat .ros/watcher.log)" 'not renting: 3 instances, max_instances is 3'
check "stop" "$ROS" vastai-watcher stop
check "gone" gone "$P2"
: >"$FAKEVAST_LOG"
check "start once more" "$ROS" vastai-watcher start
P3=$(wpid)
check_eq "still 3, over 1.5 s" "$(sample 1.5 | cut -d' ' -f1)" 3
check_eq "no rental" "$(puts)" 0
check_eq "never a blacklisted machine" "$(mine | fakevast_json '[m for m in d if m == 48211]')" "[]"

# --- API errors: logged, backed off, the loop goes on ---
n0=$(ticks)
check "the list fails" fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":503,"count":4}'
check "backs off" wait_for 5 grep -q 'backing off: next tick in 2 s (1 failed in a row)' .ros/watcher.log
check_re "said why" "$(cat .ros/watcher.log)" 'error: list instances: .*503'
check "ticks again" wait_for 5 sh -c "[ \$(grep -c ' tick [0-9]*:' .ros/watcher.log) -gt $((n0 + 1)) ]"
check_eq "still the same process" "$(wpid)" "$P3"
check "alive" kill -0 "$P3"
check "status: the last tick" "$ROS" vastai-watcher status --json
check_eq "ok again" "$(printf '%s' "$OUT" | fakevast_json 'd["last_tick"]["ok"]')" true

# --- settings broken while it runs: kept, said once ---
cp vastai/watcher.yaml "$T/good"
echo "ssh_mode: tunnel" >>vastai/watcher.yaml
check "said" wait_for 3 grep -q 'settings: vastai/watcher.yaml:10:11: ssh_mode must be proxy or direct; keeping the settings in effect' .ros/watcher.log
cp "$T/good" vastai/watcher.yaml
check "and when it reads again" wait_for 3 grep -q 'settings: vastai/watcher.yaml reads fine again' .ros/watcher.log
check_eq "said once" "$(grep -c 'ssh_mode must be proxy or direct' .ros/watcher.log)" 1

# --- killed: the lock goes with it; start works at once ---
kill -KILL "$P3"
check "killed" wait_for 5 gone "$P3"
check "start after a crash (the log rotated at every tick)" env ROS_WATCHER_LOG_MAX=1 "$ROS" vastai-watcher start
check_re "started" "$OUT" '^vastai-watcher started \(pid [0-9]+\)'
P4=$(wpid)
check "the log rotated" wait_for 5 test -s .ros/watcher.log.1
check "and goes on" wait_for 5 grep -q 'log continued from .ros/watcher.log.1' .ros/watcher.log
check "stop" "$ROS" vastai-watcher stop
check "gone" gone "$P4"
check_eq "still 3 instances, all registered" "$(grep -c 'instance_id: 4000000[0-9]$' $W)" 3
check_nore "no sanitizer report in the log" "$(cat .ros/watcher.log)" 'Sanitizer|runtime error'
check_nore "keys never logged" "$(cat .ros/watcher.log .ros/watcher.state.json)" 'testkey'
done_testing
