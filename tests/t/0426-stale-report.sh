#!/bin/sh
# A run whose process vanishes is reported with why and what happens next:
# re-queued for which attempt, or no retries left.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml
check "a run allowed one retry" "$ROS" add-run --project-id p --max-retries 1 --command 'echo "attempt $ROS_ATTEMPT"; sleep 60'
id=$OUT
kill_run() {
	_p=$(field "$id" pid)
	/bin/kill -9 -- "-$_p"
	wait_for 5 sh -c "! kill -0 $_p 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$_p/stat 2>/dev/null)\" = Z ]"
}
check "dispatch" "$ROS" dispatch-runs
kill_run
check "check-runs" "$ROS" check-runs
check_match "says why, and that it goes again" "$OUT" "^$id: stale +process vanished without an exit code; re-queued for attempt 2 of 2$"
check "dispatch again" "$ROS" dispatch-runs
kill_run
check "check-runs" "$ROS" check-runs
check_match "and when no retry is left" "$OUT" "^$id: stale +process vanished without an exit code; no retries left \\(ros retry $id\\)$"
check "--json carries the same" "$ROS" check-runs --json
done_testing
