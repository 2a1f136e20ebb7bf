#!/bin/sh
# add-run (sweeps, duplicates, validation), status, ideas, benchmarks, publications.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml

check "add-run" "$ROS" add-run --project-id p --command 'python train.py --lr 0.1' --env 'SEED=1' --priority 3
id=$OUT
check_match "prints r + 7 hex" "$id" '^r[0-9a-f]{7}$'
check_eq "entry fields" "$(jq_py queues/run_queue.json '[d[0][k] for k in ("id","project_id","status","priority","worker_pool","command","env","target_direction","attempt","max_retries")]')" \
	"['$id', 'p', 'pending', 3, 'default', 'python train.py --lr 0.1', 'SEED=1', 'lower', 0, 0]"
check_match "created_at is UTC ISO" "$(jq_py queues/run_queue.json 'd[0]["created_at"]')" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
check_eq "key order as the old tool" "$(jq_py queues/run_queue.json '",".join(list(d[0])[:15])')" \
	"id,project_id,idea_id,benchmark_id,probe_id,status,priority,worker_pool,command,env,metric_parser,target_metric,target_direction,created_at,updated_at"

# duplicates
check_fail "exact duplicate refused" "$ROS" add-run --project-id p --command 'python train.py --lr 0.1' --env 'SEED=1'
check_match "names the pending run" "$ERR" "$id \(pending\)"
check "other env is not a duplicate" "$ROS" add-run --project-id p --command 'python train.py --lr 0.1' --env 'SEED=2'
check "--allow-duplicate" "$ROS" add-run --project-id p --command 'python train.py --lr 0.1' --env 'SEED=1' --allow-duplicate
check_eq "3 runs" "$(jq_py queues/run_queue.json 'len(d)')" 3

# the post's sweep: lambda x seeds x horizons = 24 runs in one command
: > queues/run_queue.json.before
cp queues/run_queue.json queues/run_queue.json.before
check "24-run sweep" "$ROS" add-run --project-id p --worker-pool vastai --priority 5 \
	--command 'cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len {h} --lambda_se {lam} --seed {seed}' \
	--sweep lam=0.0,0.01,0.05,0.10 --sweep seed=1,2,3 --sweep h=96,192 --env 'RUN=lam{lam}-s{seed} HOME_X=${seed}'
check_eq "24 ids printed" "$(printf '%s\n' "$OUT" | grep -c '^r')" 24
check_eq "27 runs now" "$(jq_py queues/run_queue.json 'len(d)')" 27
check_eq "24 distinct commands" "$(jq_py queues/run_queue.json 'len(set(r["command"] for r in d[3:]))')" 24
check_eq "params of the first" "$(jq_py queues/run_queue.json 'd[3]["params"]')" "{'lam': 0.0, 'seed': 1, 'h': 96}"
check_eq "substitution" "$(jq_py queues/run_queue.json 'd[3]["command"]')" 'cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len 96 --lambda_se 0.0 --seed 1'
check_eq "value text kept (0.10)" "$(jq_py queues/run_queue.json 'd[26]["command"].split("--lambda_se ")[1]')" '0.10 --seed 3'
check_eq "env substituted, \${seed} left alone" "$(jq_py queues/run_queue.json 'd[3]["env"]')" 'RUN=lam0.0-s1 HOME_X=${seed}'
check_eq "the other files untouched by a sweep's earlier entries" \
	"$(head -c "$(wc -c < queues/run_queue.json.before | awk '{print $1 - 3}')" queues/run_queue.json | md5sum)" \
	"$(head -c "$(wc -c < queues/run_queue.json.before | awk '{print $1 - 3}')" queues/run_queue.json.before | md5sum)"
rm -f queues/run_queue.json.before
check "dry run" "$ROS" add-run --project-id p --command 'x {a}' --sweep a=1,2,3 --dry-run
check_eq "dry run prints 3" "$(printf '%s\n' "$OUT" | grep -c 'x [123]$')" 3
check_eq "dry run writes nothing" "$(jq_py queues/run_queue.json 'len(d)')" 27
check "dry run --json" "$ROS" add-run --project-id p --command 'x {a}' --sweep a=1,2 --dry-run --json
check_eq "json dry run is an array" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2

# bad flags and values: exit 2, nothing written
sum=$(md5sum < queues/run_queue.json)
check_exit 2 "negative priority" "$ROS" add-run --project-id p --command x --priority -1
check_exit 2 "unknown direction" "$ROS" add-run --project-id p --command x --target-direction up
check_exit 2 "--sweep without =" "$ROS" add-run --project-id p --command 'x {a}' --sweep a
check_exit 2 "--sweep empty value" "$ROS" add-run --project-id p --command 'x {a}' --sweep a=1,,2
check_exit 2 "--sweep key not used" "$ROS" add-run --project-id p --command 'x' --sweep a=1,2
check_exit 2 "project id with /" "$ROS" add-run --project-id a/b --command x
check_exit 2 "project id .." "$ROS" add-run --project-id .. --command x
check_exit 2 "empty command" "$ROS" add-run --project-id p --command '  '
check_exit 2 "missing project" "$ROS" add-run --command x
check_exit 2 "priority not a number" "$ROS" add-run --project-id p --command x --priority 1x
check_exit 2 "a command that is not UTF-8" "$ROS" add-run --project-id p --command "$(printf 'echo \377')"
check_match "says which flag" "$ERR" "--command is not valid UTF-8"
check_exit 2 "any flag of any command (--title of add-idea)" "$ROS" add-idea --project-id p --title "$(printf 'x\300\200')"
check_exit 2 "a --sweep value" "$ROS" add-run --project-id p --command 'x {a}' --sweep "$(printf 'a=1,\377')"
check_exit 1 "unknown project" "$ROS" add-run --project-id nope --command x
check_match "lists the known ones" "$ERR" "known: p"
check_eq "nothing written by bad calls" "$(md5sum < queues/run_queue.json)" "$sum"

# 100 concurrent add-run processes
i=0
while [ $i -lt 100 ]; do "$ROS" add-run --project-id p --command "job $i" >/dev/null 2>>"$T/err100" & i=$((i + 1)); done
wait
check_eq "no errors" "$(cat "$T/err100")" ""
check_eq "127 runs" "$(jq_py queues/run_queue.json 'len(d)')" 127
check_eq "unique ids" "$(jq_py queues/run_queue.json 'len(set(r["id"] for r in d))')" 127

# status
check "status" "$ROS" status
check_match "run queue counts" "$OUT" 'run_queue +127 +pending=127'
check "status --json" "$ROS" status --json
check_eq "json totals" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["run_queue"]["total"], d["run_queue"]["by_status"]["pending"])')" "127 127"

# ideas, benchmarks, publications
check "add-idea" "$ROS" add-idea --project-id p --title 'Spectral entropy' --hypothesis 'helps' --metric MSE
check_match "idea id" "$OUT" '^i[0-9a-f]{7}$'
check_eq "idea fields" "$(jq_py queues/idea_queue.json '[d[0][k] for k in ("status","title","hypothesis","metric","claimed_by","probe_specs","evidence")] + [d[0]["events"][0]["event"]]')" \
	"['new', 'Spectral entropy', 'helps', 'MSE', '', [], [], 'idea_created']"
check "list-ideas" "$ROS" list-ideas
check_match "shows it" "$OUT" 'Spectral entropy'
check "list-ideas --json" "$ROS" list-ideas --json --project-id p
check_eq "json list" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["title"])')" "Spectral entropy"
check "add-benchmark-task" "$ROS" add-benchmark-task --project-id p --title 'Reproduce TimesNet' --pass-rule 'within 1%'
check_match "benchmark id" "$OUT" '^b[0-9a-f]{7}$'
check_eq "benchmark output path" "$(jq_py queues/benchmark_queue.json 'd[0]["output_path"]')" "research/p/benchmark/reproduction.md"
check "add-publication" "$ROS" add-publication --project-id p --kind paper --trigger sota_beaten --source-evidence research/p/evidence/summary.json
check_match "publication id" "$OUT" '^pub[0-9a-f]{7}$'
check_eq "publication fields" "$(jq_py queues/publication_queue.json '[d[0][k] for k in ("kind","trigger","source_evidence","status")]')" \
	"['paper', 'sota_beaten', ['research/p/evidence/summary.json'], 'pending']"
check_exit 2 "bad publication kind" "$ROS" add-publication --project-id p --kind poster

# the compat root: reading commands work even though its registry does not parse
cp -r "$TOP/../shared/compat/research-os-root" "$T/compat" 2>/dev/null && chmod -R u+w "$T/compat"
if [ -d "$T/compat" ]; then
	cd "$T/compat" || exit 1
	unset RESEARCH_OS_ROOT
	sums=$(find . -type f | sort | xargs md5sum)
	check "compat: status" "$ROS" status
	check_match "compat: 251 runs" "$OUT" 'run_queue +251 +done=191 +failed=20 +stale=4 +cancelled=36'
	check_match "compat: ideas" "$OUT" 'idea_queue +3 +new=3'
	check "compat: list-ideas" "$ROS" list-ideas
	check_eq "compat: 3 ideas listed" "$(printf '%s\n' "$OUT" | grep -c '^i')" 3
	check_eq "compat: reading changed no file" "$(find . -type f | sort | xargs md5sum)" "$sums"
fi
done_testing
