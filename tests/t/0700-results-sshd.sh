#!/bin/sh
# results and publish on a 3 configs x 3 seeds sweep run by real sshd workers:
# numbers checked against an independent computation, best config for both
# directions, target and reference values, cost, evidence, idempotence,
# LaTeX that compiles, well-formed SVG, edited outputs left alone.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
export ROS_SSH_CONNECT_TIMEOUT=3
mkdir -p research/p/benchmark
cat > research/p/project.yaml <<'YAML'
project_id: p
title: "Spectral entropy: a test"
target:
  claim: "lambda > 0 beats lambda = 0"
  direction: lower
  target_value: 0.40
current_state:
  next_action: "run the other datasets"
YAML
# reference values for two of the three configs
printf 'lam,mse,note\n0,0.45,paper table 2\n0.01,0.30,\n' > research/p/benchmark/reference.csv

sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
sshd_worker_yaml w1 w1 test 2 "$T/ws-w1" | sed 's/^    slots:/    dph: 36\n    slots:/' >> workers/workers.yaml
sshd_worker_yaml w2 w2 test 2 "$T/ws-w2" >> workers/workers.yaml

# the numbers each run prints: known here, computed independently below
"$PY" - "$T" <<'PYEOF'
import json, random, sys
random.seed(7)
t = sys.argv[1]
rows, want = [], {}
for lam in ["0", "0.01", "0.1"]:
    for seed in ["1", "2", "3"]:
        mse = round(0.35 + float(lam) + random.uniform(-0.02, 0.02), 6)
        mae = round(0.5 - float(lam) + random.uniform(-0.02, 0.02), 6)
        rows.append("%s %s epoch 2/2 | mse=%.6f mae=%.6f lam=%s seed=%s" % (lam, seed, mse, mae, lam, seed))
        want.setdefault(lam, []).append((mse, mae))
open(t + "/table.txt", "w").write("\n".join(rows) + "\n")
json.dump(want, open(t + "/want.json", "w"))
PYEOF
chmod 644 "$T/table.txt"

check "3 configs x 3 seeds" "$ROS" add-run --project-id p --worker-pool test --target-metric mse \
	--command "echo 'epoch 1/2 | mse=9.9 mae=9.9'; sleep 1; grep '^{lam} {seed} ' $T/table.txt | cut -d' ' -f3-" \
	--sweep lam=0,0.01,0.1 --sweep seed=1,2,3

check "first wave" "$ROS" dispatch-runs
# its runs have ended (an exit code each) when check-runs looks
first_wave_ended() { [ "$(cat "$T"/ws-w*/runs/logs/p/*/exit_code 2>/dev/null | wc -l)" -ge "$(count_runs "'running'")" ]; }
check "the first wave ends" wait_for 30 first_wave_ended
count_ssh_procs_start
check "check-runs collects as runs finish" "$ROS" check-runs
check_eq "one ssh process per worker, metrics included" "$(ssh_count)" 2
check_match "finished runs print their metrics" "$OUT" 'r[0-9a-f]{7}: done +exit=0  mse=0\.[0-9]+ mae=0\.[0-9]+'
count_ssh_procs_stop
check "the sweep completes" drive 60
check_eq "9 done" "$(count_runs "'done'")" 9
check_eq "every run has mse and mae, not the sweep params" \
	"$(jq_py queues/run_queue.json "sorted(set(tuple(sorted(r['metrics'])) for r in d))")" "[('lam', 'mae', 'mse', 'seed')]"
check_eq "the last line's numbers, not the first's" \
	"$(jq_py queues/run_queue.json "all(r['metrics']['mse'] < 1 for r in d)")" True
check_eq "cost_usd = runtime x dph on w1, none on w2 (no price)" \
	"$(jq_py queues/run_queue.json "sorted(set((r['worker_id'], 'cost_usd' in r) for r in d))")" "[('w1', True), ('w2', False)]"
"$PY" - > "$T/cost.out" <<'PYEOF'
import json, datetime
d = json.load(open("queues/run_queue.json"))
p = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
print(all(abs(r["cost_usd"] - (p(r["ended_at"]) - p(r["started_at"])).total_seconds() * 36 / 3600) < 1e-9
          for r in d if r["worker_id"] == "w1"))
PYEOF
check_eq "cost values" "$(cat "$T/cost.out")" True

id=$(jq_py queues/run_queue.json "d[0]['id']")
check "an evidence file per run" test -f "research/p/evidence/runs/$id.json"
check_eq "evidence holds numbers, params, command, env, worker, attempt, timings, exit code" \
	"$(jq_py "research/p/evidence/runs/$id.json" "sorted(k for k in ['metrics','params','command','env','worker_id','attempt','started_at','ended_at','runtime_s','exit_code'] if k in d)")" \
	"['attempt', 'command', 'ended_at', 'env', 'exit_code', 'metrics', 'params', 'runtime_s', 'started_at', 'worker_id']"
check_eq "evidence matches the entry" \
	"$(jq_py "research/p/evidence/runs/$id.json" "(d['metrics'], d['exit_code'], d['worker_id'])")" \
	"$(jq_py queues/run_queue.json "(d[0]['metrics'], int(d[0]['exit_code']), d[0]['worker_id'])")"

# --- results ---
check "results" "$ROS" results --project-id p
printf '%s\n' "$OUT" > "$T/results1.out"
check_match "prints an aligned table" "$OUT" 'lam +n +mse ↓ +mse ref +Δ mse +mae ↓'
check_match "with mean ± std rows" "$OUT" '0\.01 +3 +0\.[0-9]{4} ± 0\.[0-9]{4}'
check_match "and the target" "$OUT" 'target mse <= 0\.4000: met'
for f in summary.json summary.csv summary.md summary_per_seed.csv summary_per_seed.md; do
	check "evidence/$f written" test -s "research/p/evidence/$f"
done
cat > "$T/verify.py" <<'PYEOF'
import json, statistics, sys
want = json.load(open(sys.argv[1]))
s = json.load(open("research/p/evidence/summary.json"))
direction = sys.argv[2]
ok = True
for g in s["groups"]:
    lam = g["config"]["lam"]
    key = {0: "0", 0.01: "0.01", 0.1: "0.1"}[lam]
    for i, m in enumerate(["mse", "mae"]):
        vals = [x[i] for x in want[key]]
        mean, sd = statistics.fmean(vals), statistics.stdev(vals)
        st = g["stats"][m]
        if abs(st["mean"] - mean) > 1e-12 or abs(st["std"] - sd) > 1e-12 or st["n"] != 3:
            ok = False
            print("mismatch", lam, m, st, mean, sd)
means = {k: statistics.fmean(x[0] for x in v) for k, v in want.items()}
best = (min if direction == "lower" else max)(means, key=means.get)
print(ok, s["best"]["config"]["lam"] == float(best), s["best"]["direction"] == direction, s["n_groups"])
PYEOF
check_eq "means and sample stds match an independent computation; best (lower) right" \
	"$("$PY" "$T/verify.py" "$T/want.json" lower)" "True True True 3"
check_eq "per_seed and seeds recorded" \
	"$(jq_py research/p/evidence/summary.json "[(g['seeds'], sorted(g['per_seed'])) for g in d['groups']][0]")" \
	"([1, 2, 3], ['1', '2', '3'])"
check_eq "reference values: delta and beats" \
	"$(jq_py research/p/evidence/summary.json "[(g['config']['lam'], g.get('reference'), round(g['delta']['mse'] - (g['stats']['mse']['mean'] - g['reference']['mse']), 12) if 'delta' in g else None, g.get('beats')) for g in d['groups']]")" \
	"[(0, {'mse': 0.45}, 0.0, {'mse': True}), (0.01, {'mse': 0.3}, 0.0, {'mse': False}), (0.1, None, None, None)]"
check_eq "target compared with the best mean" \
	"$(jq_py research/p/evidence/summary.json "(d['target']['value'], d['target']['met'], d['target']['best'] == d['best']['mean'])")" "(0.4, True, True)"
check_eq "flat rows in the hand-made style" \
	"$(jq_py research/p/evidence/summary.json "sorted(d['results'][0])")" \
	"['lam', 'mae_max', 'mae_mean', 'mae_min', 'mae_std', 'mse_delta', 'mse_max', 'mse_mean', 'mse_min', 'mse_ref', 'mse_std', 'n_seeds', 'per_seed', 'run_ids', 'seeds']"
check_eq "cost in the summary" "$(jq_py research/p/evidence/summary.json "'cost_usd' in d")" True
check_eq "summary.csv header" "$(head -1 research/p/evidence/summary.csv)" \
	"lam,n,mse_mean,mse_std,mse_min,mse_max,mse_n,mse_ref,mse_delta,mae_mean,mae_std,mae_min,mae_max,mae_n"
check_eq "per-seed CSV: one row per run" "$(($(wc -l < research/p/evidence/summary_per_seed.csv) - 1))" 9
check "--json" "$ROS" results --project-id p --json
check_eq "--json carries the summary" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["scopes"][0]["summary"]["n_groups"])')" 3

# project-status: runs done and failed, spend, the best against the target
check "project-status" "$ROS" project-status --project-id p
check_match "runs, spend, best and target" "$OUT" 'results: +9 done, 0 failed, spend \$0\.[0-9]{2}; best mse 0\.[0-9]{4} ± 0\.[0-9]{4} \(lam=0\.01\) vs target <= 0\.4000: met'
check "project-status --json" "$ROS" project-status --project-id p --json
check_eq "spend is the sum of cost_usd" \
	"$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(round(json.load(sys.stdin)[0]["results"]["spend_usd"], 6))')" \
	"$(jq_py queues/run_queue.json "round(sum(r.get('cost_usd', 0) for r in d), 6)")"

# the other direction
check "results --direction higher" "$ROS" results --project-id p --direction higher
check_eq "best (higher) right" "$("$PY" "$T/verify.py" "$T/want.json" higher)" "True True True 3"
check_match "target now compared upwards" "$OUT" 'target mse >= 0\.4000'

# --- running it again changes nothing ---
check "back to the default direction" "$ROS" results --project-id p
printf '%s\n' "$OUT" | sed '$d' > "$T/table1"
# a file written again has a new inode (written beside, renamed over) or a
# new mtime, whatever the filesystem's clock resolution
snap() { find research queues -type f -exec stat -c '%n %i %Y.%y %s' {} + | sort; cat queues/*.json research/p/evidence/*.* | cksum; }
snap > "$T/snap1"
check "results again" "$ROS" results --project-id p
check_match "says so" "$OUT" 'evidence up to date'
check_eq "same table" "$(printf '%s\n' "$OUT" | sed '$d')" "$(cat "$T/table1")"
snap > "$T/snap2"
check "no file rewritten, no byte changed" cmp "$T/snap1" "$T/snap2"

# --- results collects what is missing: one connection per worker ---
"$PY" - <<'PYEOF'
import json
d = json.load(open("queues/run_queue.json"))
for r in d:
    for k in ("metrics", "metrics_warnings", "metrics_error", "cost_usd"):
        r.pop(k, None)
json.dump(d, open("queues/run_queue.json", "w"), indent=2)
open("queues/run_queue.json", "a").write("\n")
PYEOF
rm -rf research/p/evidence/runs
check "project-status after the costs were lost" "$ROS" project-status --project-id p --json
check_eq "no spend now (its cache follows the queue)" \
	"$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print("spend_usd" in json.load(sys.stdin)[0]["results"])')" False
count_ssh_procs_start
check "results after the metrics were lost" "$ROS" results --project-id p
check_eq "one ssh process per worker" "$(ssh_count)" 2
count_ssh_procs_stop
check_match "says what it collected" "$ERR" 'collected the metrics of 9 runs'
check_eq "same numbers again" "$("$PY" "$T/verify.py" "$T/want.json" lower)" "True True True 3"
check_eq "evidence files back" "$(ls research/p/evidence/runs | wc -l)" 9
check_eq "costs back" "$(count_runs "'done'")/$(jq_py queues/run_queue.json "len([r for r in d if 'cost_usd' in r])")" \
	"9/$(jq_py queues/run_queue.json "len([r for r in d if r['worker_id'] == 'w1'])")"
check "project-status sees the queue change" "$ROS" project-status --project-id p --json
check_eq "spend again" \
	"$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(round(json.load(sys.stdin)[0]["results"]["spend_usd"], 6))')" \
	"$(jq_py queues/run_queue.json "round(sum(r.get('cost_usd', 0) for r in d), 6)")"
count_ssh_procs_start
check "and once collected" "$ROS" results --project-id p
check_eq "no connection at all" "$(ssh_count)" 0
count_ssh_procs_stop

# --- publish ---
check "publish" "$ROS" publish --project-id p
check_match "table, figures and post" "$OUT" 'wrote +research/p/paper/tables/results\.tex'
check_match "a figure per metric" "$OUT" 'wrote +research/p/paper/figures/mae\.svg'
post=$(ls research/p/blog/*.md)
check_match "post named by date and title" "$post" "research/p/blog/[0-9]{4}-[0-9]{2}-[0-9]{2}-spectral-entropy-a-test-results\.md"
check "svg well-formed (mse)" xmllint --noout research/p/paper/figures/mse.svg
check "svg well-formed (mae)" xmllint --noout research/p/paper/figures/mae.svg
if command -v pdflatex >/dev/null 2>&1; then
	mkdir -p "$T/tex"
	cat > "$T/tex/doc.tex" <<TEX
\\documentclass{article}
\\usepackage{booktabs}
\\begin{document}
\\input{$PWD/research/p/paper/tables/results.tex}
\\end{document}
TEX
	check "the LaTeX table compiles" sh -c "cd '$T/tex' && pdflatex -interaction=nonstopmode -halt-on-error doc.tex"
	check "into a PDF" test -s "$T/tex/doc.pdf"
else
	echo "# SKIP pdflatex not installed: LaTeX not compiled"
fi
check_match "booktabs" "$(cat research/p/paper/tables/results.tex)" '\\toprule'
check_match "mean ± std, the best in bold" "$(cat research/p/paper/tables/results.tex)" '\\textbf\{0\.[0-9]{4}\} \$\\pm\$ 0\.[0-9]{4}|\\textbf\{0\.[0-9]{4} \$\\pm\$ 0\.[0-9]{4}\}'
check_match "the post has its table" "$(cat "$post")" '\| lam +\| n +\| mse'
check_match "and shows the figure of the primary metric" "$(cat "$post")" '!\[mse\]\(\.\./paper/figures/mse\.svg\)'
check_match "and the command that reproduces the sweep" "$(cat "$post")" "ros add-run --project-id p --worker-pool test --target-metric mse"
check_match "with the sweep as it was given" "$(cat "$post")" "--sweep lam=0,0.01,0.1 --sweep seed=1,2,3"
check_match "and the template's title filled" "$(head -3 "$post")" 'title: "Spectral entropy: a test: results"'
check_match "next steps from project.yaml" "$(cat "$post")" 'run the other datasets'
check_eq "the reproduction command expands to the same runs" \
	"$(sed -n '/^ros add-run/,/--sweep/p' "$post" | sed 's/^ros add-run /"$ROS" add-run --dry-run --json /' > "$T/repro.sh"; sh -c ". $T/repro.sh" 2>/dev/null | "$PY" -c 'import json,sys; print(sorted(r["command"] for r in json.load(sys.stdin)))')" \
	"$(jq_py queues/run_queue.json "sorted(r['command'] for r in d)")"
check_eq "each output recorded in the publication queue" \
	"$(jq_py queues/publication_queue.json "sorted((r['kind'], r['status'], r['output_path'].split('/')[-2], r['source_evidence']) for r in d)")" \
	"[('blog', 'written', 'blog', ['research/p/evidence/summary.json']), ('paper', 'written', 'figures', ['research/p/evidence/summary.json']), ('paper', 'written', 'figures', ['research/p/evidence/summary.json']), ('paper', 'written', 'tables', ['research/p/evidence/summary.json'])]"
snap > "$T/snap3"
check "publish again" "$ROS" publish --project-id p
check_match "all unchanged" "$OUT" '^unchanged +research/p/paper/tables/results\.tex'
check_nomatch "nothing written" "$OUT" 'wrote'
snap > "$T/snap4"
check "changes nothing" cmp "$T/snap3" "$T/snap4"

# an edited output is left alone
echo "% my edit" >> research/p/paper/tables/results.tex
cp research/p/paper/tables/results.tex "$T/edited.tex"
sed -i 's/Best/BEST/' "$post"
check_exit 1 "publish refuses to overwrite edited files" "$ROS" publish --project-id p
check_match "names them" "$OUT" 'refused +research/p/paper/tables/results\.tex'
check "the edit survives" cmp research/p/paper/tables/results.tex "$T/edited.tex"
check_match "the post too" "$(cat "$post")" 'BEST'
check "publish --kind paper --force" "$ROS" publish --project-id p --kind paper --force
check_match "overwrites the table" "$OUT" 'overwrote +research/p/paper/tables/results\.tex'
check_nomatch "and only paper outputs" "$OUT" 'blog'
check_nomatch "edit gone" "$(cat research/p/paper/tables/results.tex)" 'my edit'
check_match "the post still edited" "$(cat "$post")" 'BEST'
check_exit 2 "--rows without --cols is a usage error" "$ROS" publish --project-id p --rows lam
check_exit 2 "--kind junk is a usage error" "$ROS" publish --project-id p --kind junk
done_testing
