#!/bin/sh
# Every metric parser kind, on the worker, in check-runs' batch: well-formed
# and malformed output (NaN, missing values, binary junk), a jsonl file, a
# parser command that fails, one that hangs (deadline, with timeout(1) and
# without it), over the local worker and an sshd worker.  One parser's
# failure never stops the others.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
export ROS_SSH_CONNECT_TIMEOUT=3
export ROS_PARSER_TIMEOUT=2
mkdir -p research/p && : > research/p/project.yaml
sshd_start w1 127.0.0.1 0
sshd_worker_yaml w1 w1 ssh 16 "$T/ws-w1" >> workers/workers.yaml
check "local worker with 16 slots" "$ROS" add-worker --worker-id loc --kind local --pool loc --slots 16 --workspace "$T/ws-loc"

# parser scripts in both workspaces
for ws in "$T/ws-w1" "$T/ws-loc"; do
	mkdir -p "$ws/tools" "$ws/out"
	cat > "$ws/tools/parse.sh" <<'SH'
#!/bin/sh
# a parser as in the Python tool's manifests: the log on stdin, JSON out
v=$(grep -o 'loss is [0-9.]*' | tail -1 | cut -d' ' -f3)
echo "parsing $ROS_RUN_ID" >&2
printf '{"loss": %s, "note": "text is not a metric"}\n' "$v"
SH
	printf '#!/bin/sh\necho "cannot parse this" >&2\nexit 3\n' > "$ws/tools/fail.sh"
	printf '#!/bin/sh\nsleep 300\n' > "$ws/tools/hang.sh"
	chmod 755 "$ws/tools/"*.sh
	[ "$(id -u)" = 0 ] && chown -R "$SSHD_USER:" "$ws"
done

# name pool parser command: one run each
add() {
	"$ROS" add-run --project-id p --worker-pool "$2" --metric-parser "$3" --command "$4" --allow-duplicate > "$T/id.$1" ||
		echo "not ok - add-run $1"
}
for pool in loc ssh; do
	add "default-$pool" "$pool" "" 'echo "Epoch 1/10 | MSE=0.9"; echo "Epoch 10/10 | MSE=0.3847 MAE=0.4021 time 12:30:01 sha=4e938a1"; echo "done."'
	add "nan-$pool" "$pool" "" 'echo "mse=0.5"; echo "mse=nan mae=inf"'
	add "missing-$pool" "$pool" "" 'echo "no numbers here"; echo "loss: n/a"'
	add "junk-$pool" "$pool" "" 'printf "\377\376\000\001 garbage\r\n"; head -c 3000 /dev/urandom | tr -d "\n=:"; printf "\nacc=0.75 f1=0.5\n"; printf "\000\377 trailing junk\n"'
	add "empty-$pool" "$pool" "" 'true'
	add "json-$pool" "$pool" json 'echo "{\"mse\": 9}"; echo "12:00 INFO {\"val\": {\"mse\": 0.25, \"acc\": NaN}, \"tag\": \"x\"}"; echo "{broken"'
	add "jsonl-run-$pool" "$pool" jsonl:m.jsonl 'printf "{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"loss\": 0.125}\n" > "$ROS_RUN_DIR/m.jsonl"'
	add "jsonl-ws-$pool" "$pool" "jsonl:out/$pool.jsonl" "printf '{\"bleu\": 31.5}\\n' > out/$pool.jsonl"
	add "jsonl-none-$pool" "$pool" jsonl:nowhere.jsonl 'echo hi'
	add "regex-$pool" "$pool" 'regex:mse=MSE ([0-9.]+);acc=accuracy ([0-9.]+)' 'echo "MSE 0.5"; echo "MSE 0.42 (best)"'
	add "cmd-$pool" "$pool" 'tools/parse.sh' 'echo "loss is 0.75"; echo "loss is 0.5"'
	add "cmdprefix-$pool" "$pool" 'command:sh tools/parse.sh' 'echo "loss is 0.0625"'
	add "cmdfail-$pool" "$pool" 'tools/fail.sh' 'echo "loss is 1"'
	add "cmdhang-$pool" "$pool" 'tools/hang.sh' 'echo "loss is 1"'
	add "cmdjunk-$pool" "$pool" 'sh -c "head -c 500 /dev/urandom"' 'echo "loss is 1"'
done
check_exit 2 "add-run refuses an unknown parser" "$ROS" add-run --project-id p --command x --metric-parser yaml
check_match "and says what is expected" "$ERR" "unknown metric parser 'yaml'"
check_exit 2 "and a regex without a group" "$ROS" add-run --project-id p --command x --metric-parser 'regex:mse=MSE [0-9]+'

# regexes that would make regcomp take gigabytes: refused at once, under a
# 1 GB limit (ulimit -v; for a sanitizer build ASan's own limit, as its
# shadow memory does not fit under ulimit -v)
limited() {
	if grep -q __asan_init "$ROS"; then
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:hard_rss_limit_mb=1024" "$@"
	else
		(ulimit -v 1048576 && exec "$@")
	fi
}
stacked="regex:x=(a$(printf '+%.0s' $(seq 60)))"
cp queues/run_queue.json "$T/q.before"
check_exit 2 "add-run refuses 60 stacked quantifiers (1 GB at most)" limited "$ROS" add-run --project-id p --command x --metric-parser "$stacked"
check_match "as too big to compile" "$ERR" "the regex for 'x' is refused: its repetitions expand it past the limit \(a size of at most 1000\)"
check_exit 2 "a count of 30000" limited "$ROS" add-run --project-id p --command x --metric-parser 'regex:x=(a{1,30000})'
check_match "over 255" "$ERR" 'a repetition count over 255'
check_exit 2 "nested counts" limited "$ROS" add-run --project-id p --command x --metric-parser 'regex:x=((a{1,200}){1,200}){1,200}'
check_exit 2 "a back-reference" limited "$ROS" add-run --project-id p --command x --metric-parser 'regex:x=(a*)\1'
check "nothing written" cmp queues/run_queue.json "$T/q.before"
check "a real metric regex is taken" "$ROS" add-run --project-id p --command x --dry-run \
	--metric-parser 'regex:mse=MSE[=:] *([0-9.eE+-]+);acc=(val|test)_acc[=:] ?([0-9.]+);step=step ([0-9]{1,9})/[0-9]+'

check "dispatch all" "$ROS" dispatch-runs
check_match "30 runs out" "$OUT" '^30/30 dispatched$'
exited() { [ "$(cat "$T"/ws-*/runs/logs/p/*/exit_code 2>/dev/null | wc -l)" -ge "$1" ]; }
check "all 30 have ended" wait_for 30 exited 30
start=$(date +%s)
check "check-runs: all finished, all parsed in one batch per worker" "$ROS" check-runs
took=$(( $(date +%s) - start ))
check "the hanging parsers cost their deadline, not more (${took} s)" test "$took" -lt 12
for pool in loc ssh; do
	check_eq "no hanging parser left behind ($pool)" "$(pgrep -f 'tools/hang.sh' | wc -l)" 0
done
check_eq "30 done" "$(jq_py queues/run_queue.json "len([r for r in d if r['status'] == 'done'])")" 30

m() { jq_py queues/run_queue.json "[r.get('metrics') for r in d if r['id'] == '$(cat "$T/id.$1")'][0]"; }
e() { jq_py queues/run_queue.json "[r.get('metrics_error', '') for r in d if r['id'] == '$(cat "$T/id.$1")'][0]"; }
w() { jq_py queues/run_queue.json "[r.get('metrics_warnings') for r in d if r['id'] == '$(cat "$T/id.$1")'][0]"; }
for pool in loc ssh; do
	check_eq "default: the last line with pairs ($pool)" "$(m default-$pool)" "{'MSE': 0.3847, 'MAE': 0.4021}"
	check_eq "NaN and inf are null ($pool)" "$(m nan-$pool)" "{'mse': None, 'mae': None}"
	check_match "with a warning ($pool)" "$(w nan-$pool)" "non-finite value 'nan' recorded as null"
	check_eq "missing values: no metrics ($pool)" "$(m missing-$pool)" None
	check_match "and why ($pool)" "$(e missing-$pool)" 'no key=value metrics in the log'
	check_eq "binary junk around the numbers ($pool)" "$(m junk-$pool)" "{'acc': 0.75, 'f1': 0.5}"
	check_match "empty log ($pool)" "$(e empty-$pool)" 'no key=value metrics in the log \(empty\)'
	check_eq "json: the last line holding an object, flattened ($pool)" "$(m json-$pool)" "{'val.mse': 0.25, 'val.acc': None}"
	check_eq "jsonl in the run directory: its last record ($pool)" "$(m jsonl-run-$pool)" "{'step': 2.0, 'loss': 0.125}"
	check_eq "jsonl under the workspace ($pool)" "$(m jsonl-ws-$pool)" "{'bleu': 31.5}"
	check_match "jsonl file missing ($pool)" "$(e jsonl-none-$pool)" "metrics file 'nowhere.jsonl' not found on the worker"
	check_eq "regex: last match wins ($pool)" "$(m regex-$pool)" "{'mse': 0.42}"
	check_match "a regex that never matched is a warning ($pool)" "$(w regex-$pool)" "acc"
	check_eq "a parser script path, log on stdin ($pool)" "$(m cmd-$pool)" "{'loss': 0.5}"
	check_eq "command:CMD ($pool)" "$(m cmdprefix-$pool)" "{'loss': 0.0625}"
	check_match "a failing parser: its status and stderr ($pool)" "$(e cmdfail-$pool)" 'parser command exited with status 3: cannot parse this'
	check_match "a hanging parser: killed at its deadline ($pool)" "$(e cmdhang-$pool)" 'parser command killed after its deadline of 2 s'
	check_match "a parser printing junk ($pool)" "$(e cmdjunk-$pool)" 'no key=value metrics'
done
check_eq "every error message is one line of valid UTF-8" \
	"$(jq_py queues/run_queue.json "all('\n' not in r.get('metrics_error', '') for r in d)")" True
check "the queue is still valid JSON, and every run has an evidence file" \
	test "$(ls research/p/evidence/runs | wc -l)" = 30
check_match "evidence carries the error" "$(cat "research/p/evidence/runs/$(cat "$T/id.cmdfail-ssh").json")" '"metrics_error": "parser command exited with status 3'

# without timeout(1): the watchdog kills the parser's process group
check "a hanging parser on a worker without timeout(1)" "$ROS" add-run --project-id p --worker-pool loc \
	--metric-parser 'sh -c "sleep 300 & sleep 301; wait"' --command 'echo "loss is 1"'
hid=$OUT
check "dispatch it" "$ROS" dispatch-runs
check "it has ended" wait_for 20 exited 31
start=$(date +%s)
check "check-runs" env ROS_TEST_NO_TIMEOUT=1 "$ROS" check-runs
took=$(( $(date +%s) - start ))
check "killed at the deadline (${took} s)" test "$took" -lt 8
check_match "recorded" "$(jq_py queues/run_queue.json "[r.get('metrics_error') for r in d if r['id'] == '$hid'][0]")" 'deadline of 2 s'
check "its children are gone too" wait_for 5 sh -c "! pgrep -f 'sleep 30[01]' >/dev/null"

# results: metrics of a collected run are not fetched again; --recollect does it for failures
check "results" "$ROS" results --project-id p --metric loss
check_match "summarises loss over the runs that have it" "$OUT" 'loss'
count_ssh_procs_start
check "results again fetches nothing" "$ROS" results --project-id p --metric loss
check_eq "no connection" "$(ssh_count)" 0
chmod 755 "$T/ws-w1/tools/fail.sh"
printf '#!/bin/sh\necho "{\\"loss\\": 0.3}"\n' > "$T/ws-w1/tools/fail.sh"
check "results --recollect after fixing the parser" "$ROS" results --project-id p --metric loss --recollect
check_eq "one connection per worker with failures" "$(ssh_count)" 1
count_ssh_procs_stop
check_eq "the fixed parser's metrics" "$(m cmdfail-ssh)" "{'loss': 0.3}"
check_eq "its error is gone" "$(e cmdfail-ssh)" ""
check_exit 1 "--metric that no run has" "$ROS" results --project-id p --metric nope

# a hostile regex in a queue entry (edited by hand, or by another tool):
# that run's metrics fail with a clear error, check-runs stays under 1 GB
check "a run on the local worker" "$ROS" add-run --project-id p --worker-pool loc --metric-parser 'regex:x=x=([0-9]+)' --command 'echo x=1'
bid=$OUT
check "its parser edited in the queue" "$PY" -c '
import json, sys
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["id"] == sys.argv[1]:
        r["metric_parser"] = sys.argv[2]
json.dump(q, open("queues/run_queue.json", "w"), indent=2)' "$bid" "$stacked"
check "dispatch it" "$ROS" dispatch-runs
check "it ends" wait_for 20 test -e "$T/ws-loc/runs/logs/p/$bid/exit_code"
check "check-runs (1 GB at most)" limited "$ROS" check-runs
check_eq "it is done" "$(field "$bid" status)" done
check_match "its metrics_error says why" "$(field "$bid" metrics_error)" "the regex for 'x' is refused: its repetitions expand it past the limit"
check_eq "no metrics" "$(field "$bid" metrics)" ""
check_exit 1 "results --recollect (1 GB at most) keeps the error" limited "$ROS" results --project-id p --metric x --recollect
check_match "still" "$(field "$bid" metrics_error)" "the regex for 'x' is refused"
done_testing
