#!/bin/sh
# results groups runs added one by one (no params) by what their commands
# say: the post's runs (lambda_se x seeds x horizons, each its own add-run)
# give one configuration per (pred_len, lambda_se), mean and std over seeds
# checked against an independent computation; runs with and without params
# are merged when the commands say the same, else kept apart, and no label
# reads "(none)" in the summary, the paper or the post; on the Python tool's
# root, runs are never averaged across different commands.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
for p in post mixed agree; do
	mkdir -p "research/$p" && printf 'title: "%s"\n' "$p" > "research/$p/project.yaml"
done

# finish.py PROJECT TABLE: every pending run of PROJECT becomes a run done on
# the local worker, its stdout.log ending in the line TABLE gives for its
# command (TABLE: JSON {command: [mse, mae]} as text, as the log prints them)
cat > "$T/finish.py" <<'PYEOF'
import json, os, sys
project, table = sys.argv[1], json.load(open(sys.argv[2]))
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["project_id"] != project or r["status"] != "pending":
        continue
    mse, mae = table[r["command"]]
    d = os.path.join("workspace", "runs", "logs", project, r["id"])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "stdout.log"), "w") as f:
        f.write("Epoch 3/10 | train_loss=0.4821 val_loss=0.5103\n")
        f.write("Epoch 10/10 | MSE=%s MAE=%s\n" % (mse, mae))
    for name, val in (("attempt", "0"), ("exit_code", "0")):
        with open(os.path.join(d, name), "w") as f:
            f.write(val + "\n")
    r.update(status="done", worker_id="local", attempt=0, exit_code="0", pid="1",
             started_at="2026-05-26T14:46:05Z", ended_at="2026-05-26T14:56:36Z",
             log_path=os.path.abspath(os.path.join(d, "stdout.log")))
with open("queues/run_queue.json", "w") as f:
    json.dump(q, f, indent=2)
    f.write("\n")
PYEOF
post_cmd() { echo "cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len $1 --lambda_se $2 --seed $3"; }

# --- the post's runs, one add-run each --------------------------------------
n=0
for h in 96 192; do for lam in 0.0 0.01 0.05 0.10; do for s in 1 2 3; do
	"$ROS" add-run --project-id post --worker-pool local --priority 5 --command "$(post_cmd $h $lam $s)" >/dev/null &&
		n=$((n + 1))
done; done; done
check_eq "24 runs added one by one" "$n" 24
check_eq "none has params" "$(jq_py queues/run_queue.json "sum('params' in r for r in d)")" 0
# known metrics, printed with 4 decimals as the post's log does
"$PY" - "$T/post.json" <<'PYEOF'
import json, random, sys
random.seed(11)
t = {}
for h in (96, 192):
    for lam in ("0.0", "0.01", "0.05", "0.10"):
        for s in (1, 2, 3):
            cmd = ("cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len %d "
                   "--lambda_se %s --seed %d" % (h, lam, s))
            base = 0.38 + (0.04 if h == 192 else 0) + abs(float(lam) - 0.03)
            t[cmd] = ["%.4f" % (base + random.uniform(-0.01, 0.01)), "%.4f" % (0.4 + random.uniform(0, 0.02))]
json.dump(t, open(sys.argv[1], "w"))
PYEOF
check "the runs finish" "$PY" "$T/finish.py" post "$T/post.json"
check "results" "$ROS" results --project-id post
check_match "one configuration per (pred_len, lambda_se)" "$OUT" '24 runs, 8 configurations, mean ± std over seed'
check_match "says where the parameters come from" "$OUT" 'parameters read from the commands: pred_len, lambda_se, seed'
check_match "a table keyed by them" "$OUT" 'pred_len +lambda_se +n +MSE ↓'
check_eq "grouped by pred_len and lambda_se" "$(jq_py research/post/evidence/summary.json "d['group_by']")" "['pred_len', 'lambda_se']"
check_eq "what every command says alike is in the protocol" \
	"$(jq_py research/post/evidence/summary.json "d['protocol']['constant_params']")" "{'model': 'TimesNet', 'data': 'ETTh1'}"
cat > "$T/verify.py" <<'PYEOF'
import json, statistics, sys, re
table = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
q = {r["id"]: r for r in json.load(open("queues/run_queue.json"))}
want = {}
for cmd, (mse, mae) in table.items():
    h, lam, seed = re.search(r"--pred_len (\S+) --lambda_se (\S+) --seed (\S+)", cmd).groups()
    want.setdefault((float(h), float(lam)), []).append((int(seed), float(mse), float(mae)))
ok = len(s["groups"]) == len(want)
for g in s["groups"]:
    key = (float(g["config"]["pred_len"]), float(g["config"]["lambda_se"]))
    rows = sorted(want[key])
    cmds = {re.sub(r" --seed \S+$", "", q[i]["command"]) for i in g["run_ids"]}
    if len(cmds) != 1 or g["seeds"] != [str(x[0]) for x in rows]:
        ok = False
        print("group", key, cmds, g["seeds"])
    for i, m in ((1, "MSE"), (2, "MAE")):
        v = [x[i] for x in rows]
        st = g["stats"][m]
        if abs(st["mean"] - statistics.fmean(v)) > 1e-12 or abs(st["std"] - statistics.stdev(v)) > 1e-12:
            ok = False
            print("stats", key, m, st, v)
means = {k: statistics.fmean(x[1] for x in v) for k, v in want.items()}
best = min(means, key=means.get)
b = s["best"]
print(ok, (float(b["config"]["pred_len"]), float(b["config"]["lambda_se"])) == best,
      "(none)" in json.dumps(s))
PYEOF
check_eq "means and sample stds per (pred_len, lambda_se) over seeds 1-3, the best, no (none)" \
	"$("$PY" "$T/verify.py" "$T/post.json" research/post/evidence/summary.json)" "True True False"
check_eq "the values as written: 0.10 stays 0.10" \
	"$(jq_py research/post/evidence/summary.json "sorted({g['config']['lambda_se'] for g in d['groups']})")" "['0.0', '0.01', '0.05', '0.10']"
check_match "the best is named by its parameters" "$(jq_py research/post/evidence/summary.json "d['best']['label']")" '^pred_len=96, lambda_se=0\.0[15]$'
check "publish" "$ROS" publish --project-id post
post=$(ls research/post/blog/*.md)
check_match "the post names the best configuration" "$(cat "$post")" 'Best MSE \(lower is better\): \*\*pred_len=96, lambda_se=0\.0[15]\*\*'
check_match "the paper's table has a row per configuration" "$(cat research/post/paper/tables/results.tex)" '192 & 0\.10 &'

# --- runs with params and runs without: kept apart -------------------------
# a sweep names its params lam and h, not as the command does
check "a sweep" "$ROS" add-run --project-id mixed --worker-pool local \
	--command 'cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len {h} --lambda_se {lam} --seed {seed}' \
	--sweep lam=0.0,0.10 --sweep h=96 --sweep seed=1,2
for lam in 0.01 0.05; do for s in 1 2; do
	"$ROS" add-run --project-id mixed --worker-pool local --command "$(post_cmd 96 $lam $s)" >/dev/null
done; done
"$PY" - "$T/mixed.json" <<'PYEOF'
import json, sys
t = {}
for lam, v in (("0.0", 0.45), ("0.10", 0.41), ("0.01", 0.3990), ("0.05", 0.3850)):
    for s, e in ((1, 0.001), (2, -0.001)):
        cmd = ("cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len 96 "
               "--lambda_se %s --seed %d" % (lam, s))
        t[cmd] = ["%.4f" % (v + e), "0.4000"]
json.dump(t, open(sys.argv[1], "w"))
PYEOF
check "they finish" "$PY" "$T/finish.py" mixed "$T/mixed.json"
check "results" "$ROS" results --project-id mixed
check_match "4 configurations: 2 of the sweep, 2 by hand" "$OUT" '8 runs, 4 configurations'
check_match "says they are kept apart" "$OUT" 'cannot be merged'
mixed_check() {	# no group mixes runs with and without params; no (none)
	"$PY" - "$1" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
q = {r["id"]: r for r in json.load(open("queues/run_queue.json"))}
kinds = [{"params" in q[i] for i in g["run_ids"]} for g in s["groups"]]
print(all(len(k) == 1 for k in kinds), sorted(len(g["run_ids"]) for g in s["groups"]),
      "(none)" in json.dumps(s), s["best"]["label"])
PYEOF
}
check_eq "no group mixes them; the best is named by its command" "$(mixed_check research/mixed/evidence/summary.json)" \
	"True [2, 2, 2, 2] False command=--lambda_se 0.05"
check "publish" "$ROS" publish --project-id mixed
post=$(ls research/mixed/blog/*.md)
check_nomatch "no (none) in the post" "$(cat "$post")" '\(none\)'
check_match "its best" "$(cat "$post")" 'Best MSE \(lower is better\): \*\*command=--lambda_se 0\.05\*\*'
check_nomatch "no (none) in the paper" "$(cat research/mixed/paper/tables/results.tex)" '\(none\)'
check_nomatch "nor in the summary" "$(cat research/mixed/evidence/summary.md)" '\(none\)'

# --- ... and merged when the sweep's params are what the commands say --------
check "a sweep named as the command names its options" "$ROS" add-run --project-id agree --worker-pool local \
	--command 'cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len {pred_len} --lambda_se {lambda_se} --seed {seed}' \
	--sweep pred_len=96 --sweep lambda_se=0.0,0.01 --sweep seed=1,2
for lam in 0.01 0.05; do
	"$ROS" add-run --project-id agree --worker-pool local --command "$(post_cmd 96 $lam 3)" >/dev/null
done
"$PY" - "$T/agree.json" <<'PYEOF'
import json, sys
t = {}
for lam, s, v in (("0.0", 1, "0.4100"), ("0.0", 2, "0.4300"), ("0.01", 1, "0.3900"), ("0.01", 2, "0.3950"),
                  ("0.01", 3, "0.4000"), ("0.05", 3, "0.3800")):
    t["cd /root/TimesNet && python run.py --model TimesNet --data ETTh1 --pred_len 96 --lambda_se %s --seed %d"
      % (lam, s)] = [v, "0.4000"]
json.dump(t, open(sys.argv[1], "w"))
PYEOF
check "they finish" "$PY" "$T/finish.py" agree "$T/agree.json"
check "results" "$ROS" results --project-id agree
check_match "merged" "$OUT" 'parameters read from the commands \(of 2 runs without params and 4 with params that say the same\): lambda_se, seed'
check_eq "lambda_se=0.01: two sweep seeds and the run by hand, averaged" \
	"$(jq_py research/agree/evidence/summary.json "[(g['label'], g['n'], round(g['stats']['MSE']['mean'], 12)) for g in d['groups']]")" \
	"[('lambda_se=0.0', 2, 0.42), ('lambda_se=0.01', 3, 0.395), ('lambda_se=0.05', 1, 0.38)]"

# --- two sweeps of different commands with the same params ----------------
mkdir -p research/two && : > research/two/project.yaml
check "a sweep" "$ROS" add-run --project-id two --worker-pool local --command 'python train.py --lam {lam} --seed {seed}' \
	--sweep lam=0.1 --sweep seed=1
check "the same params, another script" "$ROS" add-run --project-id two --worker-pool local \
	--command 'python train_v2.py --lam {lam} --seed {seed}' --sweep lam=0.1 --sweep seed=2
"$PY" - "$T/two.json" <<'PYEOF'
import json, sys
json.dump({"python train.py --lam 0.1 --seed 1": ["0.40", "0.5"], "python train_v2.py --lam 0.1 --seed 2": ["0.30", "0.5"]},
          open(sys.argv[1], "w"))
PYEOF
check "they finish" "$PY" "$T/finish.py" two "$T/two.json"
check "results" "$ROS" results --project-id two
check_match "one configuration of the two runs, and a warning that they ran different commands" "$OUT" \
	'warning: lam=0\.1: its runs come from sweeps of different commands \(s[0-9a-f]+ and s[0-9a-f]+\)'

# --- the Python tool's root: 251 runs, none with params --------------------
cp -r "$TOP/../shared/compat/research-os-root" "$T/compat" 2>/dev/null && chmod -R u+w "$T/compat"
if [ -d "$T/compat" ]; then
	cd "$T/compat" || exit 1
	export RESEARCH_OS_ROOT="$T/compat"
	# metrics for every run that is done, as if collected
	"$PY" - <<'PYEOF'
import json, random
random.seed(5)
q = json.load(open("queues/run_queue.json"))
for r in q:
    if r["status"] == "done":
        r["metrics"] = {"mse": round(random.uniform(0.3, 0.5), 4), "mae": round(random.uniform(0.4, 0.6), 4)}
json.dump(q, open("queues/run_queue.json", "w"), indent=2)
PYEOF
	check "results on the compat root" "$ROS" results --project-id structural_entropy_timeseries --no-collect
	check_match "says the commands are not key=value all through" "$OUT" 'grouped by their whole commands \(without seed\)'
	cat > "$T/compat.py" <<'PYEOF'
import json, re, collections
s = json.load(open("research/structural_entropy_timeseries/evidence/summary.json"))
q = {r["id"]: r for r in json.load(open("queues/run_queue.json"))}
strip = lambda c: re.sub(r"(--seed[ =]\S+|\bseed=\S+)", "", c)
# no group holds two different commands (but their seed)
same = all(len({strip(q[i]["command"]) for i in g["run_ids"]}) == 1 for g in s["groups"])
# and no two groups hold the same command: as many groups as commands
done = [r for r in q.values() if r["status"] == "done"]
ncmd = len({strip(r["command"]) for r in done})
# by hand: the last run is TimesNet with lambda 0.1 on ETTm2, seed 1
last = "r371f582"
g = [g for g in s["groups"] if last in g["run_ids"]][0]
hand = ("--data_path ETTm2.csv" in g["config"]["command"] and "se_lambda=0.1" in g["config"]["command"]
        and g["seeds"] == ["1"] and g["n"] == 1)
# two runs with the very same command: one configuration
dup = [c for c, n in collections.Counter(r["command"] for r in done).items() if n > 1]
gd = [g for g in s["groups"] if any(q[i]["command"] == dup[0] for i in g["run_ids"])]
print(same, s["n_groups"] == ncmd, hand, len(dup), len(gd), s["group_by"], "(none)" in json.dumps(s))
PYEOF
	check_eq "one configuration per command (but its seed), checked by hand" "$("$PY" "$T/compat.py")" \
		"True True True 1 1 ['command'] False"
else
	echo "# SKIP compat root not found"
fi
done_testing
