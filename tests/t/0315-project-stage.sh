#!/bin/sh
# project-status moves a project's stage on as its runs are queued, run and
# finish, its results are summarised and published; the next action is
# derived from that.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
check "init-project" "$ROS" init-project --title "Stage" --idea i --target t --metric MSE
stage() { "$ROS" project-status --project-id stage --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["stage"] + " | " + d["next_action"])'; }
check_match "no runs: idea, add runs" "$(stage)" '^idea \| ros add-run --project-id stage '
check "runs" "$ROS" add-run --project-id stage --command 'sleep 1; echo "MSE=0.{s}"' --sweep s=1,2
check_match "queued: dispatch" "$(stage)" '^queued \| ros dispatch-runs'
check "dispatch" "$ROS" dispatch-runs
check_match "running: watch them" "$(stage)" '^running \| ros check-runs --watch'
check "they finish" drive 20
check_match "finished: summarise" "$(stage)" '^finished \| ros results --project-id stage'
check "results" "$ROS" results --project-id stage
check_match "results: publish" "$(stage)" '^results \| ros publish --project-id stage'
check "publish" "$ROS" publish --project-id stage
check_match "published: the next idea" "$(stage)" '^published \| ros add-idea --project-id stage'
check "the text dashboard shows the stage" "$ROS" project-status --project-id stage
check_match "in the header" "$OUT" '^stage  \[published\]'
check_match "and the next step" "$OUT" 'next: +ros add-idea --project-id stage'
check "a failed run (ending a second after the summary at least)" "$ROS" add-run --project-id stage --command 'sleep 1.2; exit 3'
check "it fails" drive 20
check_match "finished again, with the failure named" "$(stage)" '^finished \| 1 run failed \(ros logs r[0-9a-f]{7}\); then ros results --project-id stage'
done_testing
