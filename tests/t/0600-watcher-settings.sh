#!/bin/sh
# vastai/watcher.yaml: written with commented defaults by `ros init` and on
# first use; a wrong value stops the watcher from starting and names the key
# (file:line:col); usage errors; the help texts.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/match.sh"

new_root
C=vastai/watcher.yaml
# No server: nothing below may reach one.
export VAST_API_KEY=testkey VAST_URL=http://127.0.0.1:9 ROS_HTTP_BACKOFF_MS=5
running() { pgrep -f "$T/root [v]astai-watcher run" >/dev/null; }

check "ros init wrote the settings" cmp "$C" "$TOP/src/data/watcher.yaml"
check_re "every key documented" "$(cat $C)" '^# Seconds between two looks at the market'
for k in interval_seconds max_dph min_dlp_per_dollar profile image disk_gb onstart worker_pool ssh_mode \
	ssh_key workspace setup_worker max_instances max_total_dph only_when_pending idle_destroy_minutes \
	boot_timeout_seconds query min_vram_gb gpu exclude_geolocation; do
	grep -Eq "^#? ?$k:" $C || echo "not ok - $k is not in the default file"
done
check_re "defaults of the post" "$(cat $C)" '^interval_seconds: 300
(.*
)*max_dph: 0\.10
min_dlp_per_dollar: 180'

# --- the effective settings, with the file missing: written on first use ---
rm $C
check_exit 1 "status without a server: runs, says the API is unreachable" "$ROS" vastai-watcher status
check_eq "written again on first use" "$(cmp "$C" "$TOP/src/data/watcher.yaml" && echo same)" same
check_re "not running" "$OUT" '^vastai-watcher: not running$'
check_re "no tick yet" "$OUT" '^last tick: none yet$'
check_re "the API error instead of the instances" "$OUT" '^instances it rented: unknown \(.*127\.0\.0\.1:9.*\)$'
check_re "the settings in effect, profile resolved" "$OUT" 'settings in effect \(vastai/watcher\.yaml\):
  interval_seconds       300
  max_dph                0\.1
  min_dlp_per_dollar     180
  profile                pytorch
(.*
)*  image                  pytorch/pytorch:2\.4\.0-cuda12\.4-cudnn9-runtime
  disk_gb                32
  onstart                touch ~/\.no_auto_tmux
  worker_pool            vastai
  ssh_mode               proxy
(.*
)*  max_instances          2
  max_total_dph          0\.2
  only_when_pending      true
  idle_destroy_minutes   30
  boot_timeout_seconds   900
  query_string           cuda_max_good>=12\.1 gpu_ram>=8 reliability>0\.95 direct_port_count>=1 inet_down>100 disk_space>=32 disk_space>=32 dph<=0\.1 dlperf_usd>=180'
check_exit 1 "status --json" "$ROS" vastai-watcher status --json
check_eq "json: running, settings" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["running"], d["pid"], d["settings"]["max_instances"], d["settings"]["only_when_pending"], d["settings_error"], d["api_error"] is not None)')" \
	"False None 2 True None True"

# --- wrong values: refused, with the key and its place ---
bad() {	# bad DESC YAML-LINE WANTED-MESSAGE-REGEX
	printf 'image: img\ndisk_gb: 20\n%s\n' "$2" >$C
	check_exit 1 "run refuses: $1" "$ROS" vastai-watcher run --once
	check_re "says which key: $1" "$ERR" "^ros: $3\$"
}
bad "negative max_dph" "max_dph: -1" 'vastai/watcher\.yaml:3:10: max_dph must be a positive number \(\$/hr\)'
bad "max_dph a word" "max_dph: cheap" 'vastai/watcher\.yaml:3:10: max_dph must be a positive number \(\$/hr\)'
bad "interval under a second" "interval_seconds: 0.5" 'vastai/watcher\.yaml:3:19: interval_seconds must be a number of seconds, at least 1'
bad "set twice" "disk_gb: 30" 'vastai/watcher\.yaml: disk_gb is set twice \(lines 2 and 3\)'
bad "a typo" "max_instance: 3" "vastai/watcher\\.yaml:3:1: unknown key 'max_instance' \\(known: interval_seconds, max_dph, .*\\)"
bad "max_instances negative" "max_instances: -1" 'vastai/watcher\.yaml:3:16: max_instances must be a whole number from 0 to 1000'
bad "max_instances fraction" "max_instances: 1.5" 'vastai/watcher\.yaml:3:16: max_instances must be a whole number from 0 to 1000'
bad "max_total_dph negative" "max_total_dph: -0.1" 'vastai/watcher\.yaml:3:16: max_total_dph must be a number, 0 or more \(\$/hr\)'
bad "only_when_pending" "only_when_pending: sometimes" 'vastai/watcher\.yaml:3:20: only_when_pending must be true or false'
bad "idle minutes" "idle_destroy_minutes: -5" 'vastai/watcher\.yaml:3:23: idle_destroy_minutes must be a number of minutes, 0 or more \(0: never\)'
bad "ssh_mode" "ssh_mode: tunnel" 'vastai/watcher\.yaml:3:11: ssh_mode must be proxy or direct'
bad "worker_pool" "worker_pool: 'a b'" 'vastai/watcher\.yaml:3:14: worker_pool must be a plain name \(letters, digits, _ \. -\)'
bad "gpu list" "gpu: [RTX 3060, {a: 1}]" 'vastai/watcher\.yaml:3:17: gpu: items must be plain names \(no \[ \] , or quotes\)'
bad "a hostile key path" "ssh_key: -oProxyCommand=x" "vastai/watcher\\.yaml:3:10: ssh_key is not usable: refusing ssh\\.key '-oProxyCommand=x'"
bad "min_dlp_per_dollar" "min_dlp_per_dollar: [1]" 'vastai/watcher\.yaml:3:21: min_dlp_per_dollar must be a number, 0 or more'
bad "unknown profile" "profile: fancy" "vastai/watcher\\.yaml:3:10: profile: unknown profile 'fancy' \\(known: pytorch, jax; .*\\)"
bad "a bad query" "query: 'gpu_ram>>8'" 'vastai/watcher\.yaml:3:8: query: .*'
printf 'profile:\n' >$C
check_exit 1 "no image" "$ROS" vastai-watcher run --once
check_re "says so" "$ERR" '^ros: vastai/watcher\.yaml: no image to rent with: set image, or a profile that has one$'
printf -- '- a\n- b\n' >$C
check_exit 1 "not a mapping" "$ROS" vastai-watcher run --once
check_re "says so" "$ERR" 'vastai/watcher\.yaml:1:1: expected a mapping of settings'
printf 'max_dph: [\n' >$C
check_exit 1 "not YAML" "$ROS" vastai-watcher run --once
check_re "with the place" "$ERR" 'vastai/watcher\.yaml:[0-9]+:[0-9]+: '
printf 'max_dph: 0\n' >$C
check_exit 1 "start refuses too" "$ROS" vastai-watcher start
check_re "and says why" "$ERR" '^ros: the watcher did not start: vastai/watcher\.yaml:1:10: max_dph must be a positive number'
check_exit 1 "status shows the error" "$ROS" vastai-watcher status
check_re "in place of the settings" "$OUT" '^settings: vastai/watcher\.yaml:1:10: max_dph must be a positive number'
check_fail "no watcher left running" running
check "log" "$ROS" vastai-watcher log
check_re "says why it did not start" "$OUT" '^ros: vastai/watcher\.yaml:1:10: max_dph must be a positive number'
check_eq "once" "$(grep -c 'max_dph must be a positive number' .ros/watcher.log)" 1

# fractions of a minute, a comma list, null as unset, profile replaced
cat >$C <<'EOF'
interval_seconds: 2.5
profile: jax
image: my/image:1
onstart:
gpu: RTX 3060, RTX 3070
exclude_geolocation: [CN, VN]
idle_destroy_minutes: 0.05
max_instances: 0
EOF
check_exit 1 "odd but valid settings" "$ROS" vastai-watcher status --json
check_eq "read as meant" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["settings"]; print(s["interval_seconds"], s["profile"], s["image"], s["onstart"], s["gpu"], s["idle_destroy_minutes"], s["max_instances"])')" \
	"2.5 jax my/image:1 None ['RTX 3060', 'RTX 3070'] 0.05 0"
check_re "query from the profile and the keys" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["settings"]["query_string"])')" \
	'^cuda_max_good>=12\.0 .* dph<=0\.1 gpu_name in \[RTX_3060,RTX_3070\] geolocation notin \[CN,VN\] dlperf_usd>=180$'

# --- usage ---
check_exit 2 "no subcommand" "$ROS" vastai-watcher
check_re "lists them" "$ERR" 'start, stop, status, log, run or blacklist\?'
check_exit 2 "unknown subcommand" "$ROS" vastai-watcher restart
check_exit 2 "-n with status" "$ROS" vastai-watcher status -n 3
check_exit 2 "--once with start" "$ROS" vastai-watcher start --once
check_exit 2 "--json with stop" "$ROS" vastai-watcher stop --json
check "stop when none runs" "$ROS" vastai-watcher stop
check_eq "says so" "$OUT" "vastai-watcher is not running"
rm -f .ros/watcher.log
check_exit 1 "no log yet" "$ROS" vastai-watcher log
check_re "says how to start" "$ERR" 'no watcher log \(\.ros/watcher\.log\): start the watcher with `ros vastai-watcher start`'

# --- help ---
check "ros help" "$ROS" help
check_re "lists the watcher" "$OUT" '^  vastai-watcher +background GPU hunter: start \| stop \| status'
check_re "lists the blacklist" "$OUT" '^  vastai-blacklist +machines never rented: add MACHINE_ID \[--reason TEXT\] \|'
check "ros help vastai-watcher" "$ROS" help vastai-watcher
check_re "subcommands explained" "$OUT" '^  stop       SIGTERM, then wait until it is gone'
check_re "options" "$OUT" '^  -n, --lines N +log: the last N lines \(default 40\)$'
check "ros help vastai-blacklist" "$ROS" help vastai-blacklist
check_re "synopsis" "$OUT" '^usage: ros vastai-blacklist add MACHINE_ID \[--reason TEXT\] \| remove MACHINE_ID \| list \[--json\]$'
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey'
done_testing
