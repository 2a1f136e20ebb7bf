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
done_testing
