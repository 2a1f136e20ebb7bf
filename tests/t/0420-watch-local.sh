#!/bin/sh
# check-runs --watch --dispatch on the local worker: the whole queue in one command.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml
check "5 runs" "$ROS" add-run --project-id p --command 'echo "run {i}"; sleep 0.3; echo "loss={i}"' --sweep i=1,2,3,4,5
check "--dispatch needs --watch" test "$("$ROS" check-runs --dispatch >/dev/null 2>&1; echo $?)" = 2
check "check-runs --watch 1 --dispatch" "$ROS" check-runs --watch 1 --dispatch
check_eq "all 5 done" "$(jq_py queues/run_queue.json "[r['status'] for r in d]")" "['done', 'done', 'done', 'done', 'done']"
check_match "dispatched them in rounds (2 slots)" "$OUT" '2/2 dispatched'
check_eq "never more than 2 at once" "$(printf '%s\n' "$OUT" | grep -c '^-- [3-9] running')" 0
check "a run no worker can take" "$ROS" add-run --project-id p --worker-pool nowhere --command 'echo x'
check_exit 1 "--dispatch gives up instead of waiting forever" "$ROS" check-runs --watch 1 --dispatch
check_match "and says why" "$ERR" '1 run pending with no free worker of their pool'
done_testing
