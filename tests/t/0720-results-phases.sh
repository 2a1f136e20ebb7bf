#!/bin/sh
# results per phase and all together, --group-by/--over, a pivoted LaTeX
# table (rows dataset x metric, one column per lambda), runs without params,
# and the compat root (old runs, an unreadable registry) left untouched.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p research/q
printf 'title: Phases\ntarget:\n  target_value: "beat the paper"\n' > research/p/project.yaml
: > research/q/project.yaml
check "local worker, 8 slots" "$ROS" add-worker --worker-id loc --kind local --pool loc --slots 8 --workspace "$T/ws"

# mse = base(ds) + lam + seed/1000, acc = 1 - mse
cmd='awk -v ds={ds} -v lam={lam} -v s={seed} "BEGIN { b = (ds == \"ETTh1\") ? 0.4 : 0.3; m = b + lam + s / 1000; printf \"mse=%.6f acc=%.6f seed=%d\n\", m, 1 - m, s }"'
check "phase A: 2 datasets x 2 lambdas x 3 seeds" "$ROS" add-run --project-id p --phase A --worker-pool loc --target-metric mse \
	--command "$cmd" --sweep ds=ETTh1,ETTm2 --sweep lam=0,0.1 --sweep seed=1,2,3
check "phase B: one more lambda" "$ROS" add-run --project-id p --phase B --worker-pool loc --target-metric mse \
	--command "$cmd" --sweep ds=ETTh1,ETTm2 --sweep lam=0.05 --sweep seed=1,2,3
check "a run of another project" "$ROS" add-run --project-id q --worker-pool loc --command 'echo "score=0.9"'
check "an old-style run without params" "$ROS" add-run --project-id p --phase A --worker-pool loc --command 'echo "mse=0.5 acc=0.5"'
drive_all_done() {	# until every run is done (a failure keeps it looping)
	for _i in $(seq 1 60); do
		"$ROS" dispatch-runs >/dev/null 2>&1
		"$ROS" check-runs >/dev/null 2>&1
		[ "$(jq_py queues/run_queue.json "len([r for r in d if r['status'] != 'done'])")" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}
check "all runs finish" drive_all_done
drive_one() {
	for _i in $(seq 1 50); do
		"$ROS" dispatch-runs >/dev/null 2>&1
		"$ROS" check-runs >/dev/null 2>&1
		[ "$(jq_py queues/run_queue.json "[r['status'] for r in d if r['id'] == '$1'][0]")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# a retried run gets the metrics of its new attempt
check "a run that fails on its first attempt" "$ROS" add-run --project-id q --worker-pool loc \
	--command 'echo "score=0.$((ROS_ATTEMPT + 1))"; exit $((1 - ROS_ATTEMPT))'
rid=$OUT
check "it fails" drive_one "$rid" failed
check_eq "with the first attempt's metrics" "$(jq_py queues/run_queue.json "[r['metrics'] for r in d if r['id'] == '$rid'][0]")" "{'score': 0.1}"
check "retry" "$ROS" retry "$rid"
check_eq "the metrics go with the old attempt" "$(jq_py queues/run_queue.json "[('metrics' in r, r['attempts'][-1]['metrics']) for r in d if r['id'] == '$rid'][0]")" "(False, {'score': 0.1})"
check "the second attempt is done" drive_one "$rid" done
check_eq "with its own metrics" "$(jq_py queues/run_queue.json "[r['metrics'] for r in d if r['id'] == '$rid'][0]")" "{'score': 0.2}"
check_eq "and its evidence" "$(jq_py "research/q/evidence/runs/$rid.json" "(d['attempt'], d['metrics'])")" "(1, {'score': 0.2})"

check "results (every project)" "$ROS" results
check_match "one heading per project" "$OUT" '== p ==.*'
check_match "q too" "$OUT" '== q =='
check_match "q: score goes up (no target metric given)" "$OUT" 'score ↑'
check "results --project-id p" "$ROS" results --project-id p
check_match "phase A" "$OUT" '^A$'
check_match "phase B" "$OUT" '^B$'
check_match "all phases" "$OUT" '^all phases$'
check_match "the target is text here: not compared" "$(cat research/p/evidence/summary.json)" '"text": "beat the paper"'
check "phase A summary" test -s research/p/evidence/phases/A/summary.json
check "phase B summary" test -s research/p/evidence/phases/B/summary.md
check_eq "phase A: 4 configs + the run without params" "$(jq_py research/p/evidence/phases/A/summary.json "d['n_groups']")" 5
check_eq "phase B: 2 configs" "$(jq_py research/p/evidence/phases/B/summary.json "d['n_groups']")" 2
check_match "the run without params is kept apart, and the warnings say so" "$(jq_py research/p/evidence/summary.json "d['warnings']")" '1 run without params and 18 with params cannot be merged .*: the runs without params are grouped by their commands, apart from the others'
check_eq "its group is named by its command" "$(jq_py research/p/evidence/phases/A/summary.json "[g['label'] for g in d['groups'] if g['config'].get('command')]")" "[\"command=echo 'mse=0.5 acc=0.5'\"]"
check_eq "all together: 6 configs + 1" "$(jq_py research/p/evidence/summary.json "d['n_groups']")" 7
check_eq "metrics: mse first (the target), acc; not seed" "$(jq_py research/p/evidence/summary.json "d['metrics']")" "['mse', 'acc']"
check_eq "acc goes up, mse down" "$(jq_py research/p/evidence/summary.json "d['directions']")" "{'mse': 'lower', 'acc': 'higher'}"
check_eq "best overall" "$(jq_py research/p/evidence/summary.json "d['best']['label']")" "ds=ETTm2, lam=0"
check_eq "mean over seeds 1..3" "$(jq_py research/p/evidence/summary.json "[round(g['stats']['mse']['mean'], 9) for g in d['groups'] if g['label'] == 'ds=ETTm2, lam=0'][0]")" 0.302
check_eq "std over seeds 1..3" "$(jq_py research/p/evidence/summary.json "[round(g['stats']['mse']['std'], 12) for g in d['groups'] if g['label'] == 'ds=ETTm2, lam=0'][0]")" 0.001

check "results --phase B --group-by ds" "$ROS" results --project-id p --phase B --group-by ds --json
check_eq "grouped by dataset only" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["scopes"][0]["summary"]; print(s["group_by"], s["n_groups"])')" "['ds'] 2"
check "results --over lam" "$ROS" results --project-id p --phase A --over lam --metric mse --json
check_eq "statistics over lambda, per dataset and seed" \
	"$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["scopes"][0]["summary"]; print(s["over"], s["group_by"], s["n_groups"])')" "lam ['ds', 'seed', 'command'] 7"
check_exit 1 "an unknown phase" "$ROS" results --project-id p --phase Z
check_exit 2 "a bad --direction" "$ROS" results --project-id p --direction up

# pivot: rows dataset x metric, one column per lambda
check "publish --phase A --rows ds --cols lam" "$ROS" publish --project-id p --phase A --kind paper --rows ds --cols lam
tex=research/p/paper/tables/results_A.tex
check_match "one column per lambda" "$(cat "$tex")" 'ds & Metric & .*0.*& .*0\.1'
check_match "one line per dataset and metric" "$(cat "$tex")" 'ETTh1 & mse'
check_match "figures per phase" "$OUT" 'research/p/paper/figures/mse_A\.svg'
check "svg well-formed" xmllint --noout research/p/paper/figures/acc_A.svg
if command -v pdflatex >/dev/null 2>&1; then
	mkdir -p "$T/tex"
	printf '\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{%s}\n\\end{document}\n' "$PWD/$tex" > "$T/tex/doc.tex"
	check "the pivot table compiles" sh -c "cd '$T/tex' && pdflatex -interaction=nonstopmode -halt-on-error doc.tex"
else
	echo "# SKIP pdflatex not installed"
fi
check_exit 1 "a pivot on a key that is not there" "$ROS" publish --project-id p --phase A --kind paper --rows nope --cols lam
check "publish --phase B (blog)" "$ROS" publish --project-id p --phase B --kind blog
post=$(ls research/p/blog/*phase-b.md)
check_match "a post for the phase" "$post" 'phases-results-phase-b\.md$'
check_match "its reproduction command carries the phase" "$(cat "$post")" 'ros add-run --project-id p --phase B --worker-pool loc'
check_match "and the results line too" "$(cat "$post")" 'ros results --project-id p --phase B'
check "the user's template wins" sh -c 'printf -- "---\ntitle: \"MILESTONE_TITLE\"\n---\n\nMy intro.\n\n## Result\n\nMy words.\n" > templates/blog/milestone.md'
rm -f "$post"
check "publish with a template missing sections" "$ROS" publish --project-id p --phase B --kind blog
check_match "the table goes under its heading" "$(cat "$post")" 'My words\.'
check_match "the template's own text stays" "$(cat "$post")" 'My intro\.'
check_match "reproduction appended" "$(cat "$post")" '## Reproducibility'

# --- the compat root: old runs, no metrics, a registry that does not parse ---
cp -r "$TOP/../shared/compat/research-os-root" "$T/compat" 2>/dev/null && chmod -R u+w "$T/compat"
if [ -d "$T/compat" ]; then
	cd "$T/compat" || exit 1
	export RESEARCH_OS_ROOT="$T/compat"
	cp queues/run_queue.json "$T/compat-runs.json"
	check_exit 1 "results on the compat root: nothing to summarise" "$ROS" results --project-id structural_entropy_timeseries
	check_match "nothing to summarise yet" "$OUT" 'no finished run has metrics yet'
	check_match "and what became of the runs" "$OUT" \
		"251 runs: 0 done with metrics, 20 failed \\($(jq_py queues/run_queue.json "', '.join('exit %s: %d' % (c, n) for c, n in sorted(__import__('collections').Counter(int(r['exit_code']) for r in d if r['status'] == 'failed').items()))")\\), 191 without metrics \\(191 not collected\\), 4 stale, 36 cancelled"
	check_match "says why nothing was collected" "$ERR" 'cannot read the worker registry .*: 211 finished runs not collected'
	check "the run queue is untouched" cmp queues/run_queue.json "$T/compat-runs.json"
	check_exit 1 "publish has nothing to publish" "$ROS" publish --project-id structural_entropy_timeseries
else
	echo "# SKIP compat root not found"
fi
done_testing
