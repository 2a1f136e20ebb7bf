#!/bin/sh
# --json wherever it stands on the line: every command that prints JSON
# (the ones whose help lists --json) gives the same valid JSON with --json
# before or after its name; the others refuse it in both places.  The JSON
# of validate, logs and dispatch-runs --dry-run says what their text says.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"

export ROS_HTTP_BACKOFF_MS=5
new_root "$T/base"
check "a project" "$ROS" init-project --title Spec --idea "an idea" --target "beat it" --metric loss
check "a run" "$ROS" add-run --project-id spec --command 'echo "step 1"; echo loss=0.5' --target-metric loss
check "it runs to the end" "$ROS" check-runs --watch 1 --dispatch
done_run=$(jq_py queues/run_queue.json "d[0]['id']")
check_eq "and is done" "$(field "$done_run" status)" done
check "metrics collected" "$ROS" results
check "a long run" "$ROS" add-run --project-id spec --command 'echo started; sleep 60'
check "dispatched" "$ROS" dispatch-runs
long=$(jq_py queues/run_queue.json "d[1]['id']")
at_exit "$ROS" --root "$T/base" cancel "$long" --grace 1
check "a pending run" "$ROS" add-run --project-id spec --command 'echo next'
check "a run no worker takes" "$ROS" add-run --project-id spec --worker-pool nowhere --command 'echo never'
fakevast_start "$TOP/tests/fake/vast-examples.json"
export VAST_API_KEY=testkey GITHUB_API_URL=$VAST_URL HF_ENDPOINT=$VAST_URL WANDB_BASE_URL=$VAST_URL
cd "$T" || exit 1
unset RESEARCH_OS_ROOT

# The arguments each JSON command is tried with: a command that prints JSON
# but is missing here fails the test, so a new one cannot go untried.
args_for() {
	case $1 in
	add-benchmark-task) echo "--project-id spec --title bench" ;;
	add-idea) echo "--project-id spec --title idea2" ;;
	add-publication) echo "--project-id spec" ;;
	add-run) echo "--project-id spec --command true" ;;
	add-worker) echo "--worker-id w2 --kind ssh --host 127.0.0.1 --user u --key /dev/null" ;;
	check-runs) echo "" ;;
	dispatch-runs) echo "--dry-run" ;;
	init-project) echo "--title Other --idea i --target t" ;;
	key-smoke) echo "" ;;
	list-ideas) echo "" ;;
	logs) echo "$done_run" ;;
	project-status) echo "" ;;
	publish) echo "--project-id spec" ;;
	results) echo "" ;;
	runs) echo "" ;;
	show) echo "$done_run" ;;
	fetch) echo "$done_run nothing-matches" ;;
	snapshot) echo "--workdir $TOP/examples" ;;
	status) echo "" ;;
	validate) echo "" ;;
	vast-hunt) echo "--max-dph 5" ;;
	vastai-blacklist) echo "list" ;;
	vastai-destroy) echo "31000145 --yes" ;;
	vastai-instances) echo "" ;;
	vastai-reconcile) echo "" ;;
	vastai-watcher) echo "status" ;;
	worker-status) echo "" ;;
	*) return 1 ;;
	esac
}

# Ids are random and times move, the root's path differs: the rest must match.
norm() {
	sed -e "s|$T/[ab]|ROOT|g" "$1" | "$PY" -c '
import re, sys
ids = {}
def rid(m):
    return ids.setdefault(m.group(0), "ID%d" % len(ids))
t = sys.stdin.read()
t = re.sub(r"ros-watcher:[0-9a-f]{12}", "LABEL", t)
t = re.sub(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\b", "TIME", t)
t = re.sub(r"\b(r|i|b|pub)[0-9a-f]{7}\b", rid, t)
t = re.sub(r"\"(elapsed_ms|rtt_ms|uptime_s|age_s)\": [0-9.]+", r"\"\1\": N", t)
print(t)'
}

valid_json() {
	if [ "$1" = logs ]; then
		"$PY" -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no records"
for l in lines: json.loads(l)' "$2"
	else
		"$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$2"
	fi
}

# one fresh copy of the root, and a fresh fake Vast.ai, per try
fresh() {
	rm -rf "$T/$1" && cp -a "$T/base" "$T/$1" && fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")" >/dev/null
}

"$ROS" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' > "$T/cmds"
check "commands listed" test -s "$T/cmds"
njson=0
while read -r c; do
	if ! "$ROS" help "$c" | grep -q -- '^global options:.*--json'; then
		# nothing to put in JSON: refused before and after the name
		fresh x && cd "$T/x" || exit 1
		check_exit 2 "$c: --json before the name refused" "$ROS" --json "$c"
		check_match "$c: and says so" "$ERR" "--json is not available"
		check_exit 2 "$c: --json after the name refused" "$ROS" "$c" --json
		check_match "$c: and says so" "$ERR" "--json is not available"
		cd "$T" || exit 1
		continue
	fi
	njson=$((njson + 1))
	if ! a=$(args_for "$c"); then
		check "$c prints JSON: give it a case in args_for" false
		continue
	fi
	fresh a
	# shellcheck disable=SC2086
	(cd "$T/a" && "$ROS" --json "$c" $a) >"$T/a.out" 2>"$T/a.err" </dev/null
	rca=$?
	fresh b
	# shellcheck disable=SC2086
	(cd "$T/b" && "$ROS" "$c" $a --json) >"$T/b.out" 2>"$T/b.err" </dev/null
	rcb=$?
	check_eq "$c: same exit status either way" "$rcb" "$rca"
	check "$c --json (before): valid JSON" valid_json "$c" "$T/a.out"
	check "$c --json (after): valid JSON" valid_json "$c" "$T/b.out"
	check_eq "$c: the same JSON either way" "$(norm "$T/b.out")" "$(norm "$T/a.out")"
done < "$T/cmds"
check_match "the reading commands were tried" "$njson" '^[0-9]{2}$'

# ---- validate --json: the problems as records ----
new_root "$T/bad"
cat > queues/run_queue.json <<'EOF2'
[
  {"id": "r1", "project_id": "p", "status": "pending", "command": "x"},
  {"id": "r1", "project_id": "p", "status": "bogus", "command": "x"}
]
EOF2
printf '  - worker_id: w\n    kind: ssh\n    enabled: true\n    enabled: false\n' >> workers/workers.yaml
echo '[ {"id": ' > queues/idea_queue.json
check_exit 1 "validate finds the problems" "$ROS" validate
plain=$OUT
check_exit 1 "validate --json: the same exit status" "$ROS" validate --json
json=$OUT
check "one record per problem, each with file, line, column, message" "$PY" -c '
import json, sys
recs = json.loads(sys.argv[1])
plain = sys.argv[2].splitlines()
assert len(recs) == len(plain), (len(recs), len(plain))
for r, p in zip(recs, plain):
    assert set(r) == {"file", "line", "column", "message"}, r
    text = r["file"] + ("" if r["line"] is None else ":%d" % r["line"]) + \
        ("" if r["column"] is None else ":%d" % r["column"]) + ": " + r["message"]
    assert text == p, (text, p)
' "$OUT" "$plain"
check "the duplicate id, placed" "$PY" -c '
import json, sys
assert {"file": "queues/run_queue.json", "line": 3, "column": 3,
        "message": "entry 2: id \x27r1\x27 is also entry 1"} in json.loads(sys.argv[1])' "$json"
check_match "the queue that does not parse" "$json" '"file": "queues/idea_queue.json"'
echo '[]' > queues/run_queue.json && echo '[]' > queues/idea_queue.json && "$ROS" init "$T/good" >/dev/null
check "a valid root" "$ROS" --root "$T/good" validate --json
check_eq "is an empty list" "$OUT" "[]"

# ---- logs --json: the lines logs prints, one record each ----
cd "$T/base" || exit 1
export RESEARCH_OS_ROOT="$T/base"
check "logs" "$ROS" logs "$done_run"
plain=$OUT
check "logs --json" "$ROS" logs "$done_run" --json
check "a record per line: run, worker_id, line" "$PY" -c '
import json, sys
recs = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [r["line"] for r in recs] == sys.argv[2].splitlines(), recs
assert all(set(r) == {"run", "worker_id", "line"} for r in recs), recs
assert all(r["run"] == sys.argv[3] and r["worker_id"] == "local" for r in recs), recs
' "$OUT" "$plain" "$done_run"
check_exit 2 "--json with --raw refused" "$ROS" logs "$done_run" --json --raw

# ---- dispatch-runs --dry-run --json: the plan ----
check "dispatch-runs --dry-run" "$ROS" dispatch-runs --dry-run
plain=$OUT
check "dispatch-runs --dry-run --json" "$ROS" --json dispatch-runs --dry-run
check "the plan: run -> worker and GPUs; the waiting runs with reasons" "$PY" -c '
import json, re, sys
d = json.loads(sys.argv[1])
plain = sys.argv[2]
assert set(d) == {"dispatch", "waiting"}, d
assert len(d["dispatch"]) == 1 and d["dispatch"][0]["worker_id"] == "local", d
for r in d["dispatch"]:
    assert set(r) == {"id", "worker_id", "gpu_ids"}, r
    assert "would dispatch %s → %s" % (r["id"], r["worker_id"]) in plain
for w in d["waiting"]:
    assert set(w) == {"reason", "runs"}, w
    assert "waiting: %s (%s)" % (", ".join(w["runs"]), w["reason"]) in plain, (w, plain)
assert [w["reason"] for w in d["waiting"]] == ["no enabled worker in pool nowhere"], d
' "$OUT" "$plain"
check_eq "nothing was dispatched" "$(count_runs "'pending'")" 2
check_exit 2 "--json without --dry-run refused" "$ROS" dispatch-runs --json
check_match "and says why" "$ERR" "--json goes with --dry-run"
check_eq "still nothing dispatched" "$(count_runs "'pending'")" 2
done_testing
