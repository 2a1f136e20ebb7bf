#!/bin/sh
# results says how many runs failed (by exit code) or have no metrics, and
# exits 1 when nothing could be summarised; check-runs does not print a
# failed run's missing metrics as a warning.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p research/q
: > research/p/project.yaml
: > research/q/project.yaml
check "a local worker with 9 slots" "$ROS" add-worker --worker-id loc --kind local --pool loc --slots 9 --workspace "$T/ws"

# a loop where every run fails: a typo in the flags
check "9 runs" "$ROS" add-run --project-id p --worker-pool loc \
	--command 'echo "run.py: error: unrecognized arguments: --lamda_se {lam} --seed {seed}" >&2; exit 2' \
	--sweep lam=0.01,0.05,0.10 --sweep seed=1,2,3
check "they run" drive 60
check_eq "all failed" "$(count_runs "'failed'")" 9
check_nomatch "check-runs does not call a failed run's missing metrics news" "$(cat "$T/drive.log")" 'no key=value metrics'
check_match "it says they failed, with their exit code" "$(cat "$T/drive.log")" 'failed +exit=2'
check_exit 1 "results: nothing to summarise is a failure" "$ROS" results --project-id p
check_match "says how many failed and how" "$OUT" '9 runs: 0 done with metrics, 9 failed \(exit 2: 9\), 0 without metrics'
check_match "and that there is nothing to summarise" "$OUT" 'no finished run has metrics yet'
check_exit 1 "--json too" "$ROS" results --project-id p --json
check_eq "the counts in --json" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["runs"], c["done_with_metrics"], c["failed"], c["failed_exit"], c["without_metrics"])')" \
	"9 0 9 {'2': 9} 0"

# some runs work, some fail otherwise, one prints nothing, one waits
check "2 good runs" "$ROS" add-run --project-id p --worker-pool loc --command 'echo "Epoch 10/10 | MSE=0.399{seed} MAE=0.4"' --sweep seed=1,2
check "a run that exits 3" "$ROS" add-run --project-id p --worker-pool loc --command 'echo "MSE=0.5"; exit 3'
check "a run that is done but prints no metrics" "$ROS" add-run --project-id p --worker-pool loc --command 'echo done'
check "they run" drive 60
check "a run that is not dispatched yet" "$ROS" add-run --project-id p --worker-pool nowhere --command 'echo MSE=0.1'
check "results" "$ROS" results --project-id p
check_match "the counts" "$OUT" '14 runs: 2 done with metrics, 10 failed \(exit 2: 9, exit 3: 1\), 1 without metrics \(1 with metrics_error\), 1 pending'
check_match "and the summary of the two" "$OUT" '2 runs, 1 configuration'
check_match "the runs without metrics are counted once, not one warning each" "$OUT" 'without metrics'
check_nomatch "no line per failed run" "$OUT" 'r[0-9a-f]{7}.*(failed|no key=value)'

# results over every project: fine when one of them has something
check "a project whose only run is pending" "$ROS" add-run --project-id q --worker-pool nowhere --command 'echo MSE=0.1'
check "results for every project" "$ROS" results
check_match "q says so" "$OUT" '1 run: 0 done with metrics, 0 failed, 0 without metrics, 1 pending'
check_exit 1 "results for q alone has nothing" "$ROS" results --project-id q
check_exit 1 "a phase with no runs has nothing" "$ROS" results --project-id p --phase Z

# a run queue that cannot be read: said, with --json too
cp queues/run_queue.json "$T/run_queue.json"
printf '[{"id": "r1", "project_id": "p",\n' > queues/run_queue.json
check_exit 1 "results on a queue cut short" "$ROS" results --project-id p
check_match "says where" "$ERR" 'run_queue.json:2:1: '
check_exit 1 "results --json on a queue cut short fails the same" "$ROS" results --project-id p --json
check_match "says where" "$ERR" 'run_queue.json:2:1: '
check_eq "and prints no JSON" "$OUT" ""
check_nomatch "and nothing else goes wrong" "$ERR" 'runtime error|Sanitizer'
cp "$T/run_queue.json" queues/run_queue.json
done_testing
