#!/bin/sh
# Metrics are shown as the log wrote them (MSE=0.3990 stays 0.3990 in
# check-runs, the run's evidence and the per-seed tables; the number is kept
# for the statistics), and key=value lines that are settings, not results
# (echo CUDA=0, CUDA_VISIBLE_DEVICES=0, dev=1), are not metrics.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml
check "a local worker with 8 slots" "$ROS" add-worker --worker-id loc --kind local --pool loc --slots 8 --workspace "$T/ws"

add() { "$ROS" add-run --project-id p --worker-pool loc --command "$2" --allow-duplicate > "$T/id.$1" || echo "not ok - add-run $1"; }
add cuda 'echo "Epoch 3/10 | train_loss=0.4821 val_loss=0.5103"; echo "Epoch 10/10 | MSE=0.3990 MAE=0.4021"; echo CUDA=0'
add env 'echo "Epoch 10/10 | MSE=0.3850 MAE=0.4000 CUDA=0"; echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES OMP_NUM_THREADS=8"'
add dev 'echo "Epoch 10/10 | MSE=0.4100 MAE=0.4200"; echo "dev=1"'
add ints 'echo "reward=200 steps=1000"'
add onlyenv 'echo "CUDA=0"; echo "CUDA_VISIBLE_DEVICES=0"'
add exp 'echo "lr=1e-3 loss=2.50E-01 acc=95.0"'
add fail 'echo "Epoch 10/10 | MSE=0.3990 MAE=0.4021"; exit 1'
check "dispatch" "$ROS" dispatch-runs
check "they finish" wait_for 20 sh -c "for i in cuda env dev ints onlyenv exp fail; do test -e \"$T/ws/runs/logs/p/\$(cat $T/id.\$i)/exit_code\" || exit 1; done"
check "check-runs" "$ROS" check-runs
check_match "check-runs prints them as the log wrote them" "$OUT" "$(cat "$T/id.cuda"): done +exit=0  MSE=0\.3990 MAE=0\.4021"
check_match "1e-3 stays 1e-3" "$OUT" 'lr=1e-3 loss=2\.50E-01 acc=95\.0'

m() { jq_py queues/run_queue.json "[r.get('$2') for r in d if r['id'] == '$(cat "$T/id.$1")'][0]"; }
check_eq "numbers for the statistics" "$(m cuda metrics)" "{'MSE': 0.399, 'MAE': 0.4021}"
check_eq "and the text beside them" "$(m cuda metrics_text)" "{'MSE': '0.3990', 'MAE': '0.4021'}"
check_eq "echo CUDA=0 after the metrics is not a metric, nor their line's end" "$(m env metrics)" "{'MSE': 0.385, 'MAE': 0.4}"
check_eq "dev=1 after the metrics is not a metric" "$(m dev metrics)" "{'MSE': 0.41, 'MAE': 0.42}"
check_eq "a line of whole numbers when there is nothing else" "$(m ints metrics)" "{'reward': 200.0, 'steps': 1000.0}"
check_eq "settings only: no metrics" "$(m onlyenv metrics)" None
check_match "and why" "$(m onlyenv metrics_error)" 'no key=value metrics'
check_eq "exponents as written" "$(m exp metrics_text)" "{'lr': '1e-3', 'loss': '2.50E-01', 'acc': '95.0'}"
check_match "the run's evidence has the text" "$(cat "research/p/evidence/runs/$(cat "$T/id.cuda").json")" '"MSE": "0\.3990"'

check "results" "$ROS" results --project-id p --metric MSE
check_nomatch "no CUDA column" "$OUT" 'CUDA ↓'
check_eq "CUDA is no metric of any run" "$(jq_py queues/run_queue.json "sorted({k for r in d for k in r.get('metrics') or {}})")" \
	"['MAE', 'MSE', 'acc', 'loss', 'lr', 'reward', 'steps']"
check_match "per-seed CSV: the text" "$(cat research/p/evidence/summary_per_seed.csv)" "$(cat "$T/id.cuda"),0\.3990\$"
check_match "per-seed Markdown too" "$(cat research/p/evidence/summary_per_seed.md)" "$(cat "$T/id.cuda") +\| +0\.3990 \|"
check_eq "the mean is the number's" "$(jq_py research/p/evidence/summary.json "round(sum(g['stats']['MSE']['mean'] for g in d['groups']), 12)")" 1.194

# a hand edit that changes the number: the number wins, the stale text is not shown
"$PY" - "$(cat "$T/id.dev")" <<'PYEOF'
import json, sys
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["id"] == sys.argv[1]:
        r["metrics"]["MSE"] = 0.5
json.dump(q, open("queues/run_queue.json", "w"), indent=2)
PYEOF
check "results after a hand edit" "$ROS" results --project-id p --metric MSE
check_match "the edited number" "$(cat research/p/evidence/summary_per_seed.csv)" "$(cat "$T/id.dev"),0\.5\$"

# a retried run: its text goes with the attempt that wrote it
check_eq "a failed run's metrics as written" "$(m fail metrics_text)" "{'MSE': '0.3990', 'MAE': '0.4021'}"
check "retry" "$ROS" retry "$(cat "$T/id.fail")"
check_eq "no text without metrics" "$(m fail metrics_text)" None
check_eq "the old attempt keeps it" "$(jq_py queues/run_queue.json "[r['attempts'][-1].get('metrics_text') for r in d if r['id'] == '$(cat "$T/id.fail")'][0]")" "{'MSE': '0.3990', 'MAE': '0.4021'}"

check "the rule is documented" "$ROS" help add-run
check_match "in add-run's help" "$OUT" 'CUDA=0'
done_testing
