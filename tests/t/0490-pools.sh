#!/bin/sh
# Pools as users of both tools name them: `default` (the Python ros.py's
# add-run default, and ros's) and `any` reach any enabled worker; a run that
# must wait says why; dispatch-runs --worker-pool any takes every pool.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/pyros.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml

check "a run with ros's default pool" "$ROS" add-run --project-id p --command 'echo ros-default'
a=$OUT
check_eq "its pool is default" "$(field "$a" worker_pool)" default
pyros_add_run r00000b1 p default 'echo python-default'
check "a run of pool any" "$ROS" add-run --project-id p --worker-pool any --command 'echo any'
c=$OUT
check "dispatch-runs in a fresh root" "$ROS" dispatch-runs
check_match "ros's default reaches the local worker" "$OUT" "^dispatched $a → local"
check_match "the Python default too" "$OUT" "^dispatched r00000b1 → local"
check "they finish" drive 20
check_match "and any (after them: 2 slots)" "$(cat "$T/drive.log")" "^dispatched $c → local"

# --- waiting, and why ---
check "a run for a pool nobody serves" "$ROS" add-run --project-id p --worker-pool gpu --command 'echo gpu'
g=$OUT
check "4 long runs for 2 slots" "$ROS" add-run --project-id p --command 'sleep 5; echo {k}' --sweep k=1,2,3,4
check "dispatch-runs" "$ROS" dispatch-runs
check_match "says which wait for a worker of their pool" "$OUT" "^waiting: $g \\(no enabled worker in pool gpu\\)$"
check_match "and which for a slot" "$OUT" '^waiting: r[0-9a-f]{7}, r[0-9a-f]{7} \(all 2 slots busy\)$'
check_match "counts them" "$OUT" '^2/2 dispatched, 3 waiting$'
check "dry run says the same" "$ROS" dispatch-runs --dry-run
check_match "nothing would go, 3 waiting" "$OUT" '^0 runs would be dispatched \(dry run\), 3 waiting$'

# --- --worker-pool any: every pool -----------------------------------------
check "a worker for pool gpu" "$ROS" add-worker --worker-id g1 --kind local --pool gpu --slots 1 --workspace "$T/ws-g"
check "dispatch-runs --worker-pool any" "$ROS" dispatch-runs --worker-pool any
check_match "takes the gpu run too" "$OUT" "^dispatched $g → g1"
check "a named pool still filters" "$ROS" add-run --project-id p --worker-pool gpu --command 'echo gpu2'
g2=$OUT
check "dispatch-runs --worker-pool default" "$ROS" dispatch-runs --worker-pool default
check_nomatch "leaves the gpu run" "$OUT" "$g2"
check "all finish" drive 30
done_testing
