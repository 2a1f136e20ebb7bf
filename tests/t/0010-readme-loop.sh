#!/bin/sh
# The README's loop, run as a newcomer would: its shell block, verbatim,
# from a copy of the repository's top (examples/ beside the new root), with
# ros on PATH.  Every run must succeed and results and publish must work.
. "$(dirname "$0")/../lib/testlib.sh"
mkdir -p "$T/repo" "$T/bin" && cp -r "$TOP/examples" "$T/repo/"
ln -s "$ROS" "$T/bin/ros"
awk '/^## The loop/ { f = 1 } f && /^```sh/ { g = 1; next } g && /^```/ { exit } g' "$TOP/README.md" > "$T/loop.sh"
check "the README has the loop" test -s "$T/loop.sh"
cd "$T/repo" || exit 1
check "it runs as written (sh -e)" env PATH="$T/bin:$PATH" sh -e "$T/loop.sh"
cd "$T/repo/myroot" 2>/dev/null || { echo "not ok - no myroot"; exit 1; }
check_eq "all 9 runs done" "$(count_runs "'done'")" 9
check_eq "each run had the snapshot of examples/ (code: {workdir: ../examples})" \
	"$(jq_py queues/run_queue.json "len(set(r['code']['snapshot'] for r in d if r.get('code')))")" 1
check_eq "and ran in its own copy of it" \
	"$(jq_py queues/run_queue.json "all(open(r['log_path'].rsplit('/', 1)[0] + '/code/train.py').read() == open('$T/repo/examples/train.py').read() for r in d)")" True
check "results again" env PATH="$T/bin:$PATH" ros results
check_match "3 configurations of 3 seeds each" "$OUT" '3 configurations'
check_match "the best lambda is 0.05 (examples/train.py's optimum)" "$OUT" 'best.*lam=0\.05'
P=research/spectral_entropy_as_a_regulariser
check "publish wrote the LaTeX table" sh -c "ls $P/paper/tables/*.tex >/dev/null"
check "and a blog post" sh -c "ls $P/blog/*.md >/dev/null"
ID=$(jq_py queues/run_queue.json "d[0]['code']['snapshot']")
check_match "its reproducibility section names the snapshot and how to get it back" "$(cat $P/blog/*.md)" \
	"^ros snapshot --export $ID code-$(echo "$ID" | cut -c1-12)$"
check_eq "the evidence of a run carries its code" "$(jq_py "$P/evidence/runs/$(jq_py queues/run_queue.json "d[0]['id']").json" "d['code']['snapshot']")" "$ID"
# the code changes; one configuration gets a run of the new code
cp "$T/repo/examples/train.py" "$T/train.py.old"
printf '\n# a change\n' >> "$T/repo/examples/train.py"
check "a run of the new code" env PATH="$T/bin:$PATH" ros add-run --project-id spectral_entropy_as_a_regulariser \
	--command 'python3 train.py --lambda_se {lam} --seed {seed}' --sweep lam=0 --sweep seed=4 --target-metric MSE
check "it runs" drive 60
check "results" env PATH="$T/bin:$PATH" ros results
check_match "warns that one configuration's runs ran different code" "$OUT" \
	"lam=0.*its runs ran different code \(snapshot $(echo "$ID" | cut -c1-12), snapshot [0-9a-f]{12}\)"
check "the first snapshot, exported" env PATH="$T/bin:$PATH" ros snapshot --export "$ID" "$T/old"
check_eq "is exactly the code those runs ran" "$(cat "$T/old/train.py")" "$(cat "$T/train.py.old")"
done_testing
