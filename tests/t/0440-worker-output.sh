#!/bin/sh
# A worker that answers with hundreds of MB: cut off at the batch's cap and
# taken for unreachable, ros's memory bounded; a big log still streams whole.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
FLOOD=400000000

# The worker's `sh` (ssh runs `sh -s` through the login shell and PATH):
# while $T/flood exists, FLOOD bytes come before the script runs (only for
# `sh -s`: a run's wrapper started meanwhile is not flooded).
mkdir -p "$T/shim"
cat > "$T/shim/sh" <<EOF
#!/bin/sh
[ -e "$T/flood" ] && [ "\$1" = -s ] && yes | head -c $FLOOD
exec /bin/sh "\$@"
EOF
chmod 755 "$T/shim" "$T/shim/sh"
sshd_start w1 127.0.0.6 0 "env:PATH=$T/shim:/usr/bin:/bin"
sshd_worker_yaml w1 w1 test 3 "$T/ws-w1" >> workers/workers.yaml

# maxrss FILE CMD...: run CMD; the peak RSS (KiB) of the largest process of
# its tree (ros) goes to FILE
maxrss() {
	_mf=$1; shift
	"$PY" -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$_mf" "$@"
}
# ros with no flood, for comparison
maxrss "$T/rss.base" "$ROS" worker-status >/dev/null 2>&1
base=$(cat "$T/rss.base")
# the bound: the cap (16.5 MiB), its buffer growth and allocator slack, above the baseline
bound=$((base + 96 * 1024))

check "two runs" "$ROS" add-run --project-id p --worker-pool test --command 'echo started {k}; sleep 60' --sweep k=1,2
check "dispatch them" "$ROS" dispatch-runs
check_match "both out" "$OUT" '^2/2 dispatched$'

: > "$T/flood"
start=$(date +%s)
check "check-runs against a 400 MB answer" maxrss "$T/rss" "$ROS" check-runs
check_match "says why the worker counts as unreachable" "$ERR" \
	'worker w1: answer larger than 16\.5 MiB; treated as unreachable'
check_eq "the runs stay running (unreachable, not judged)" "$(count_runs "'running'")" 2
check_eq "and are marked unreachable" \
	"$(jq_py queues/run_queue.json "sum(1 for r in d if r.get('unreachable_since'))")" 2
rss=$(cat "$T/rss")
check "ros's peak RSS stays bounded (${rss} KiB; baseline ${base} KiB; printed $((FLOOD / 1024)) KiB)" \
	test "$rss" -lt "$bound"
check "cut off at once, not at the deadline ($(($(date +%s) - start)) s)" test $(($(date +%s) - start)) -lt 30

check_fail "worker-status against it" maxrss "$T/rss" "$ROS" worker-status
check_match "DEAD" "$OUT" 'w1 +ssh +test +DEAD'
check_match "says why" "$ERR" 'worker w1: answer larger than 16 MiB; treated as unreachable'
rss=$(cat "$T/rss")
check "worker-status: peak RSS bounded (${rss} KiB)" test "$rss" -lt "$bound"

check "a third run" "$ROS" add-run --project-id p --worker-pool test --command 'echo three'
third=$OUT
check_fail "dispatch-runs against it" maxrss "$T/rss" "$ROS" dispatch-runs
# the worker printed, so the script may have run: whether the run started
# is for check-runs to ask (never `running` on such an answer)
check_match "its launch is unknown" "$OUT" 'worker w1: no answer about 1 launch \(answer larger than 16\.[0-9] MiB\); it stays dispatching'
check_match "says why" "$ERR" 'worker w1: answer larger than 16\.[0-9] MiB; treated as unreachable'
rss=$(cat "$T/rss")
check "dispatch-runs: peak RSS bounded (${rss} KiB)" test "$rss" -lt "$bound"
check_eq "the run stays dispatching, not running" "$(count_runs "'dispatching'")" 1

rm -f "$T/flood"
check "check-runs once the worker is sane again" "$ROS" check-runs
# (the worker's shell may or may not have run the script after ros cut it off)
check_match "it asked the worker: the third run is settled (done, or pending when it never started)" \
	"$(field "$third" status)" '^(done|pending)$'
check_nomatch "no warning" "$ERR" 'warning'
check_eq "nothing left marked unreachable" \
	"$(jq_py queues/run_queue.json "sum(1 for r in d if r.get('unreachable_since'))")" 0
check "cancel the sleepers" "$ROS" cancel $(jq_py queues/run_queue.json "' '.join(r['id'] for r in d if r['status']=='running')")

# a 100 MB log streams whole through `logs`, in bounded memory
check "a run with a 100 MB log" "$ROS" add-run --project-id p --worker-pool test \
	--command 'head -c 100000000 /dev/zero | tr "\0" x; echo; echo last line'
big=$OUT
check "it runs" drive 60
check_eq "done" "$(field "$big" status)" done
maxrss "$T/rss" "$ROS" logs "$big" -n 5 > "$T/biglog" 2>"$T/biglog.err"
check_eq "logs exits 0" "$?" 0
check_eq "logs prints it all" "$(wc -c < "$T/biglog")" 100000011
check_eq "down to the last line" "$(tail -c 10 "$T/biglog")" "last line"
rss=$(cat "$T/rss")
check "logs: peak RSS bounded (${rss} KiB)" test "$rss" -lt "$bound"
rm -f "$T/biglog"
done_testing
