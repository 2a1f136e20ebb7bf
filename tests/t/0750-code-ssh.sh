#!/bin/sh
# A run's code travels with it: snapshots sent to real sshd workers on
# 127.0.0.x once, each run in its own copy, with real git.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
command -v git >/dev/null || skip_all "no git"
sshd_setup_user
new_root
export ROS_SSH_CONNECT_TIMEOUT=3
sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
for w in w1 w2; do sshd_worker_yaml $w $w test 2 "$T/ws-$w" >> workers/workers.yaml; done
check "two ssh workers" "$ROS" worker-status
check "a project" "$ROS" init-project --title Code --idea i --target t

# the signature of a tree: every path with its type (f, x, l) and content hash
cat > "$T/sig.py" <<'PY'
import os, sys, hashlib
out = []
top = sys.argv[1] if len(sys.argv) > 1 else "."
for d, ds, fs in os.walk(top):
    for f in fs:
        p = os.path.join(d, f)
        r = os.path.relpath(p, top)
        if os.path.islink(p): out.append((r, "l", hashlib.sha256(os.readlink(p).encode()).hexdigest()))
        else: out.append((r, "x" if os.stat(p).st_mode & 0o111 else "f", hashlib.sha256(open(p, "rb").read()).hexdigest()))
print(sorted(out))
PY
mkdir -p "$T/flags" && chmod 777 "$T/flags"

# --- the tree as the user sees it: committed, modified, staged, untracked, ignored, .rosignore'd ---
W=$T/tree
mkdir -p "$W/sub" && cd "$W" || exit 1
git init -q . && git config user.email t@t && git config user.name t
echo committed > committed.txt && echo mod > modified.txt && echo s0 > staged.txt && echo deep > sub/deep.txt
printf '#!/bin/sh\necho run\n' > run.sh && chmod 755 run.sh
ln -s sub/deep.txt inlink
printf '*.log\n' > .gitignore && echo 'secret*' > .rosignore && echo t > secret-tracked.txt
git add -A && git commit -qm one
echo changed >> modified.txt && echo s1 > staged.txt && git add staged.txt
echo new > untracked.txt && echo ignored > x.log && echo s > secret-new.txt
ln -s /etc/passwd outlink
touch -- "$(printf 'new\nline')" '-rf' 'sp ace' '..dots'
cd "$T/root" || exit 1
printf 'code:\n  workdir: %s\n' "$W" >> research/code/project.yaml
check "the snapshot it takes" "$ROS" snapshot --project code --json --files
SNAP=$OUT
ID=$(printf '%s' "$SNAP" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
WANT=$(printf '%s' "$SNAP" | "$PY" -c 'import json,sys; print(sorted((f["path"], f["type"], f["hash"]) for f in json.load(sys.stdin)["list"]))')
check_match "ignored and .rosignore'd files are not in it" "$WANT" "committed.txt"
check_nomatch "x.log, secret-*, outlink: not in it" "$WANT" "x\.log|secret-|outlink"

count_ssh_procs_start
export SSH_COUNT_BYTES=1
uploads() { grep -c 'ros-in' "$SSH_COUNT_LOG"; }
upload_bytes() { grep "ros-in" "$SSH_COUNT_LOG" | sed 's/^[0-9]* bytes=\([0-9]*\) .*/\1/'; }
check "four runs" "$ROS" add-run --project-id code --worker-pool test \
	--command "$PY $T/sig.py > \"\$ROS_OUT_DIR/sig\"; echo \"snap=\$ROS_SNAPSHOT run={i} pwd=\$PWD\"" --sweep i=1,2,3,4
check "dispatch" "$ROS" dispatch-runs
check_match "all four out" "$OUT" '^4/4 dispatched$'
check_eq "one upload per worker" "$(uploads)" 2
check "they finish" drive 60
check_eq "all done" "$(count_runs "'done'")" 4
check_eq "on both workers" "$(jq_py queues/run_queue.json "sorted(set(r['worker_id'] for r in d))")" "['w1', 'w2']"
# every finished run that took a signature saw the tree $T/want holds
sigs_ok() { printf '%s\n' "$WANT" > "$T/want"; jq_py queues/run_queue.json "all(open(os.path.dirname(r['log_path']) + '/out/sig').read() == open('$T/want').read() for r in d if r['status'] == 'done' and 'sig.py' in r['command'] and r['project_id'] == '${1:-code}')"; }
jq_py() { "$PY" -c "import json,sys,os; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
check_eq "each run saw exactly the tree (every file's hash and mode)" "$(sigs_ok)" True
check_eq "each entry records its code" \
	"$(jq_py queues/run_queue.json "sorted(set((r['code']['snapshot'], r['code']['dirty'], r['code']['untracked'], r['code']['branch']) for r in d))")" \
	"[('$ID', True, 5, 'master')]"
check_eq "the commit" "$(jq_py queues/run_queue.json "d[0]['code']['commit']")" "$(git -C "$W" rev-parse HEAD)"
check_eq "ROS_SNAPSHOT set, started in the run's own copy" \
	"$(jq_py queues/run_queue.json "all(('snap=$ID run=' in open(r['log_path']).read()) and ('pwd=' + os.path.dirname(r['log_path']) + '/code') in open(r['log_path']).read() for r in d)")" True
r1=$(jq_py queues/run_queue.json "d[0]['id']")
check "show prints the code" "$ROS" show "$r1"
check_match "snapshot and git" "$OUT" "^  code +snapshot $(echo "$ID" | cut -c1-12)  master@[0-9a-f]{12}, dirty, 5 untracked$"
check_eq "the stored tree on w1" "$("$PY" "$T/sig.py" "$T/ws-w1/.ros/snap/trees/$ID")" "$WANT"
home=$(getent passwd "$SSHD_USER" | cut -d: -f6)
[ "$(id -u)" = 0 ] || home=$HOME
check_eq "no upload left behind" "$(ls -A "$home/.ros-in" 2>/dev/null | wc -l)" 0
check_eq "nothing written beside the workspace's own folders" "$(ls -A "$T/ws-w1" | tr '\n' ' ')" ".ros runs "

# --- unchanged: no file contents sent again ---
: > "$SSH_COUNT_LOG"
check "two more runs" "$ROS" add-run --project-id code --worker-pool test --command "$PY $T/sig.py > \"\$ROS_OUT_DIR/sig\" # {i}" --sweep i=5,6
check "dispatch again" "$ROS" dispatch-runs
check_eq "no upload" "$(uploads)" 0
check "finish" drive 60
check_eq "and the runs saw the tree" "$(sigs_ok)" True

# --- a worker that lost the tree: the launch refuses, the record is cleared, it is sent again ---
rm -rf "$T/ws-w2/.ros/snap/trees/$ID"
check "w1 off" "$ROS" disable-worker w1
check "a run" "$ROS" add-run --project-id code --worker-pool test --command "$PY $T/sig.py > \"\$ROS_OUT_DIR/sig\" # 7"
check_exit 1 "dispatch to w2" "$ROS" dispatch-runs
check_match "says the tree is missing" "$OUT" "not dispatched r[0-9a-f]{7} → w2: the worker lacks the tree of snapshot $(echo "$ID" | cut -c1-12)"
check_eq "the run is pending again" "$(count_runs "'pending'")" 1
: > "$SSH_COUNT_LOG"
check "the next dispatch sends it" "$ROS" dispatch-runs
check_eq "one upload" "$(uploads)" 1
check "finish" drive 60
check_eq "the run saw the tree" "$(sigs_ok)" True
check "w1 on" "$ROS" enable-worker w1

# --- two runs of one snapshot at once, one rewriting its files ---
check "w2 off" "$ROS" disable-worker w2
check "a run that clobbers its tree" "$ROS" add-run --project-id code --worker-pool test \
	--command "echo clobbered > committed.txt; : > modified.txt; rm -f run.sh sub/deep.txt; touch $T/flags/a"
check "a run that looks after it did" "$ROS" add-run --project-id code --worker-pool test \
	--command "while [ ! -f $T/flags/a ]; do sleep 0.05; done; $PY $T/sig.py > \"\$ROS_OUT_DIR/sig\""
check "both dispatched to w1" "$ROS" dispatch-runs
check_match "2 out" "$OUT" '^2/2 dispatched$'
check "finish" drive 60
check_eq "the other run saw the snapshot unchanged" "$(sigs_ok)" True
check_eq "the stored tree is unchanged" "$("$PY" "$T/sig.py" "$T/ws-w1/.ros/snap/trees/$ID")" "$WANT"
check_eq "the clobbering run changed its own copy" \
	"$(jq_py queues/run_queue.json "[open(os.path.dirname(r['log_path']) + '/code/committed.txt').read() for r in d if 'clobbered' in r['command']][0]")" "clobbered"
check "w2 on" "$ROS" enable-worker w2

# --- a tree of 5,000 files, one changed: that file and little else ---
B=$T/big
mkdir -p "$B" && (cd "$B" && "$PY" -c '
import os
for i in range(5000):
    d = "d%02d" % (i % 50)
    os.makedirs(d, exist_ok=True)
    open("%s/f%04d.txt" % (d, i), "w").write(("file %d\n" % i) * 100)
open("model.py", "w").write("x" * 30000)
')
check "a project for it" "$ROS" init-project --title Big --idea i --target t
printf 'code:\n  workdir: %s\n' "$B" >> research/big/project.yaml
check "two runs" "$ROS" add-run --project-id big --worker-pool test --command "$PY $T/sig.py > \"\$ROS_OUT_DIR/sig\" # {i}" --sweep i=1,2
: > "$SSH_COUNT_LOG"
check "first send" "$ROS" dispatch-runs
check_eq "two uploads" "$(uploads)" 2
check_eq "each carries the whole tree (over 3.4 MB)" "$(upload_bytes | awk '$1 > 3400000' | wc -l)" 2
check "finish" drive 60
printf 'y' >> "$B/model.py"
WANT=$("$ROS" snapshot --workdir "$B" --json --files | "$PY" -c 'import json,sys; print(sorted((f["path"], f["type"], f["hash"]) for f in json.load(sys.stdin)["list"]))')
check "two more" "$ROS" add-run --project-id big --worker-pool test --command "$PY $T/sig.py > \"\$ROS_OUT_DIR/sig\" # {i}" --sweep i=3,4
: > "$SSH_COUNT_LOG"
check "second send" "$ROS" dispatch-runs
check_eq "two uploads" "$(uploads)" 2
check_eq "each holds the changed file and little else (30 KB < sent <= 64 KB)" \
	"$(upload_bytes | awk '$1 > 30000 && $1 <= 65536' | wc -l)" 2
check "finish" drive 60
sigs_ok big > /dev/null
check_eq "the last two runs saw the new tree, the first two the old one" \
	"$(jq_py queues/run_queue.json "[open(os.path.dirname(r['log_path']) + '/out/sig').read() == open('$T/want').read() for r in d if r['project_id'] == 'big']")" \
	"[False, False, True, True]"
count_ssh_procs_stop

# --- data: sent once per content, shared read-only by the runs ---
D=$T/dataset
mkdir -p "$D/sub" && cd "$D" && git init -q . && printf '*.csv\n' > .gitignore && cd "$T/root" || exit 1
"$PY" -c "import os; open('$D/train.csv', 'wb').write(os.urandom(300000)); open('$D/sub/x.bin', 'wb').write(b'x' * 1000)"
check "a project with data" "$ROS" init-project --title Dp --idea i --target t --workdir "$W"
printf 'data:\n  - {src: %s, dest: data/ds}\n' "$D" >> research/dp/project.yaml
count_ssh_procs_start
export SSH_COUNT_BYTES=1
check "two runs reading it" "$ROS" add-run --project-id dp --worker-pool test \
	--command "sha256sum data/ds/train.csv data/ds/sub/x.bin > \"\$ROS_OUT_DIR/data.sum\"; readlink data/ds > \"\$ROS_OUT_DIR/link\" # {i}" --sweep i=1,2
check "dispatch" "$ROS" dispatch-runs
check_eq "the data went once to each worker (the code was there)" "$(uploads)" 2
check "finish" drive 60
want_sum=$(cd "$D" && sha256sum train.csv sub/x.bin | sed 's|  |  data/ds/|')
check_eq "each run read the data as it is (git's ignored files too)" \
	"$(jq_py queues/run_queue.json "sorted(set(open(os.path.dirname(r['log_path']) + '/out/data.sum').read() for r in d if r['project_id'] == 'dp'))")" \
	"$(printf '%s\n' "$want_sum" | "$PY" -c 'import sys; print([sys.stdin.read()])')"
check_eq "through a link to the worker's one copy" \
	"$(jq_py queues/run_queue.json "sorted(set(open(os.path.dirname(r['log_path']) + '/out/link').read().strip().split('/.ros/')[1] for r in d if r['project_id'] == 'dp'))")" \
	"['snap/trees/$(jq_py queues/run_queue.json "[r['code']['data'][0]['snapshot'] for r in d if r['project_id'] == 'dp'][0]")']"
: > "$SSH_COUNT_LOG"
check "two more" "$ROS" add-run --project-id dp --worker-pool test --command "cat data/ds/sub/x.bin > /dev/null # {i}" --sweep i=3,4
check "dispatch" "$ROS" dispatch-runs
check_eq "nothing sent again" "$(uploads)" 0
check "finish" drive 60
unset SSH_COUNT_BYTES
count_ssh_procs_stop
printf 'data:\n  - {src: %s, dest: ../escape}\n' "$D" > research/dp/project.yaml
check "a dest out of the run" "$ROS" add-run --project-id dp --worker-pool test --command "true # 5"
check_exit 1 "refused at dispatch" "$ROS" dispatch-runs
check_match "with where and why" "$OUT" "research/dp/project\.yaml:2:[0-9]+: data: dest '\.\./escape' must be a relative path"
check "cancel it" "$ROS" cancel "$(jq_py queues/run_queue.json "[r['id'] for r in d if r['command'] == 'true # 5'][0]")"

# --- metrics a run wrote relative to where it ran (its copy of the tree) ---
check "a run writing its metrics file" "$ROS" add-run --project-id code --worker-pool test \
	--metric-parser jsonl:results/m.jsonl --command 'mkdir -p results && echo "{\"MSE\": 0.25}" > results/m.jsonl'
check "finish" drive 60
check "results" "$ROS" results --project-id code
check_eq "read from the run's code/ copy" "$(jq_py queues/run_queue.json "[r['metrics'] for r in d if 'm.jsonl' in r['command']][0]")" "{'MSE': 0.25}"
done_testing
