#!/bin/sh
# check-runs --watch --dispatch stops feeding a pool whose runs all fail
# quickly the same way, says so and exits non-zero; a watch that ends with
# failed runs exits non-zero; one where all succeed exits 0.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml

check "8 runs that cannot work" "$ROS" add-run --project-id p --command 'echo "cannot open train.py" >&2; exit 2 # {i}' \
	--sweep i=1,2,3,4,5,6,7,8
check_exit 1 "the watch stops feeding them" "$ROS" check-runs --watch 1 --dispatch
said="$OUT$ERR"
check_match "and says why" "$said" 'pool default: 3 runs in a row failed within [0-9]+ s, each with exit 2; no more of its runs are dispatched'
check_match "the end counts the failures" "$said" '[0-9]+ runs failed during the watch'
check "most were never started" test "$(count_runs "'pending'")" -ge 3
check_eq "none is running" "$(count_runs "'running','dispatching'")" 0
check "retire the rest" "$ROS" cancel $(jq_py queues/run_queue.json "' '.join(r['id'] for r in d if r['status'] == 'pending')")

# another pool's runs
check "a second local worker for pool b" "$ROS" add-worker --worker-id lb --kind local --pool b --slots 1 --workspace "$T/ws-b"
check "two good runs in pool b" "$ROS" add-run --project-id p --worker-pool b --command 'echo ok {j}' --sweep j=1,2
check "a watch where all succeed exits 0" "$ROS" check-runs --watch 1 --dispatch
check_eq "pool b's runs done" "$(jq_py queues/run_queue.json "sorted(r['status'] for r in d if r['worker_pool'] == 'b')")" "['done', 'done']"

# one failure among successes: the watch ends non-zero
check "two good runs and a bad one" "$ROS" add-run --project-id p --command 'sleep 0.2; [ {c} = 1 ] && exit 1; exit 0' --sweep c=0,1,2
check_exit 1 "a watch with one failure" "$ROS" check-runs --watch 1 --dispatch
check_match "says so" "$OUT$ERR" '1 run failed during the watch'
done_testing
