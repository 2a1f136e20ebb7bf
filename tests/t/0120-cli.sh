#!/bin/sh
# The command line: global options after the command name too, and "did you
# mean" for a mistyped command or option (exit 2, only close matches).
. "$(dirname "$0")/../lib/testlib.sh"
new_root
check "a project" "$ROS" init-project --title P --idea i --target t
cd "$T" || exit 1
unset RESEARCH_OS_ROOT

# global options after the command
check "--root after the command" "$ROS" status --root "$T/root"
check "--root=DIR after the command" "$ROS" status "--root=$T/root"
check "-q after the command" "$ROS" add-idea --project-id p --title t -q --root "$T/root"
check_eq "-q silences it" "$ERR" ""
check "not -q: it says what it did" "$ROS" add-idea --project-id p --title t2 --root "$T/root"
check_match "(so -q had something to silence)" "$OUT$ERR" "."
check_exit 2 "--root with no directory" "$ROS" status --root
check_match "says so" "$ERR" "--root needs a directory"

# mistyped commands
check_exit 2 "a mistyped command exits 2" "$ROS" dispatch-run
check_match "did you mean" "$ERR" "^ros: unknown command 'dispatch-run'; did you mean dispatch-runs\?$"
check_exit 2 "two letters swapped" "$ROS" cancle
check_match "one edit" "$ERR" "did you mean cancel\?"
check_exit 2 "a letter missing and one wrong" "$ROS" vastai-instanes
check_match "two edits in a long name" "$ERR" "did you mean vastai-instances\?"
check_exit 2 "the start of one command" "$ROS" stat
check_match "names it" "$ERR" "did you mean status\?"
check_exit 2 "a letter too many" "$ROS" enable-workers
check_match "the closest one" "$ERR" "did you mean enable-worker\?"
check_exit 2 "nothing close" "$ROS" frobnicate
check_nomatch "no guess" "$ERR" "did you mean"
check_match "but where to look" "$ERR" "see 'ros help'"
check_exit 2 "the start of many commands" "$ROS" vastai
check_nomatch "no guess among many" "$ERR" "did you mean"
check_exit 2 "help of a mistyped command" "$ROS" help dispatch-run
check_match "did you mean there too" "$ERR" "did you mean dispatch-runs\?"
check_exit 2 "the hidden completion command is no guess" "$ROS" __complet
check_nomatch "(hidden)" "$ERR" "did you mean"

# mistyped options
check_exit 2 "a mistyped option exits 2" "$ROS" add-run --worker-poool x
check_match "did you mean" "$ERR" "unknown option '--worker-poool'; did you mean --worker-pool\?"
check_match "and the usage" "$ERR" "usage: ros add-run"
check_exit 2 "with =VALUE" "$ROS" --root "$T/root" dispatch-runs --dry-rn=1
check_match "the name alone" "$ERR" "unknown option '--dry-rn'; did you mean --dry-run\?"
check_exit 2 "a global one after the command" "$ROS" status --jsn
check_match "is guessed too" "$ERR" "did you mean --json\?"
check_exit 2 "--json is no guess where it is refused" "$ROS" cancel --jsn
check_nomatch "(cancel prints no JSON)" "$ERR" "did you mean --json"
check_exit 2 "a global one before the command" "$ROS" --jsno status
check_match "guessed" "$ERR" "^ros: unknown option '--jsno'; did you mean --json\?$"
check_exit 2 "nothing close" "$ROS" add-run --colour red
check_nomatch "no guess" "$ERR" "did you mean"
# what the option tables ask, in the same words for every command; each
# refusal changes nothing
cp "$T/root/queues/idea_queue.json" "$T/ideas.before"
r() { "$ROS" --root "$T/root" "$@"; }
check_exit 2 "a required option missing" r add-run --command true
check_match "named" "$ERR" "^ros add-run: --project-id is required$"
check_exit 2 "given empty" r add-run --project-id "" --command true
check_match "said" "$ERR" "^ros add-run: --project-id must not be empty$"
check_exit 2 "below a minimum" r dispatch-runs --max -1
check_match "with the bound" "$ERR" "^ros dispatch-runs: --max must be >= 0$"
check_exit 2 "outside a range" r add-run --project-id p --command true --max-retries 101
check_match "with both bounds" "$ERR" "^ros add-run: --max-retries must be between 0 and 100$"
check_exit 2 "a port of 0" r add-worker --worker-id w --host h --port 0
check_match "the port's range" "$ERR" "^ros add-worker: --port must be between 1 and 65535$"
check_exit 2 "not one of the choices" r publish --project-id p --kind post
check_match "all of them named" "$ERR" "^ros publish: --kind must be paper, blog or all, not 'post'$"
check_exit 2 "an option without the one it goes with" r check-runs --dispatch
check_match "says which" "$ERR" "^ros check-runs: --dispatch goes with --watch$"
check_exit 2 "--watch 0" r check-runs --watch 0 --dispatch
check_match "is no interval" "$ERR" "^ros check-runs: --watch must be >= 1$"
check_exit 2 "a negative priority, without evidence files" r add-publication --project-id p --priority -1
check_match "refused too" "$ERR" "^ros add-publication: --priority must be >= 0$"
check_exit 2 "a negative idea priority" r add-idea --project-id p --title t3 --priority -5
check_exit 2 "a negative VRAM" r add-worker --worker-id w --vram-gb -1
check_match "refused, not dropped" "$ERR" "^ros add-worker: --vram-gb must be >= 0$"
check_exit 2 "--ssh-mode without an instance" r add-worker --worker-id w --host h --ssh-mode direct
check_match "goes with it" "$ERR" "^ros add-worker: --ssh-mode goes with --vastai-instance-id$"
check "the ideas untouched" cmp "$T/ideas.before" "$T/root/queues/idea_queue.json"
check_eq "no worker added" "$(grep -c 'worker_id: w$' "$T/root/workers/workers.yaml")" 0
check "help names the choices" r publish --help
check_match "as the metavariable" "$OUT" "--kind paper\|blog\|all"
done_testing
