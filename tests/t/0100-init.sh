#!/bin/sh
# ros init, root discovery, help, version, usage errors.
. "$(dirname "$0")/../lib/testlib.sh"

check "ros --version" "$ROS" --version
check_match "version line" "$OUT" '^ros [0-9]+\.[0-9]+'
check "ros init makes a root" "$ROS" init "$T/r"
for f in queues/idea_queue.json queues/benchmark_queue.json queues/run_queue.json \
	queues/publication_queue.json workers/workers.yaml templates/project/project.yaml \
	templates/paper/main.tex templates/blog/milestone.md schemas/queues.md .gitignore; do
	check "init wrote $f" test -f "$T/r/$f"
done
check_eq "queues start empty" "$(cat "$T/r/queues/run_queue.json")" "[]"
check "research/ exists" test -d "$T/r/research"
check_match ".gitignore ignores .ros/" "$(cat "$T/r/.gitignore")" '^/\.ros/$'
check_match "registry has the local worker" "$(cat "$T/r/workers/workers.yaml")" 'worker_id: local'
check_match "local worker is in pool local" "$(cat "$T/r/workers/workers.yaml")" 'worker_pool: local'

# init never overwrites
echo '# mine' > "$T/r/templates/paper/main.tex"
echo '[{"id": "i1"}]' > "$T/r/queues/idea_queue.json"
check "second init succeeds" "$ROS" init "$T/r"
check_eq "user template kept" "$(cat "$T/r/templates/paper/main.tex")" "# mine"
check_eq "queue kept" "$(cat "$T/r/queues/idea_queue.json")" '[{"id": "i1"}]'

# root discovery
mkdir -p "$T/r/research/p/deep/er"
cd "$T/r/research/p/deep/er" || exit 1
check "walks up to the root" "$ROS" status
check_match "status names the root" "$OUT" "root: $T/r"
cd "$T" || exit 1
check_fail "outside a root fails" "$ROS" status
check_match "and says how to make one" "$ERR" "ros init"
check "--root finds it" "$ROS" --root "$T/r" status
check "--root after the command" "$ROS" status --root "$T/r"
RESEARCH_OS_ROOT="$T/r" check "RESEARCH_OS_ROOT finds it" "$ROS" status
check_fail "RESEARCH_OS_ROOT pointing elsewhere fails" env RESEARCH_OS_ROOT="$T" "$ROS" status
check_match "and names the variable" "$ERR" "RESEARCH_OS_ROOT"

# help and usage
check "ros help" "$ROS" help
for c in init status add-run add-idea list-ideas; do
	check_match "ros help lists $c" "$OUT" "^  $c "
done
check "ros help add-run" "$ROS" help add-run
check_match "help shows --sweep" "$OUT" "--sweep KEY=V1,V2"
check "add-run --help" "$ROS" add-run --help
check_exit 2 "unknown command exits 2" "$ROS" frobnicate
check_match "and says so" "$ERR" "unknown command 'frobnicate'"
check_exit 2 "unknown flag exits 2" "$ROS" status --frob
check_match "usage shown" "$ERR" "usage: ros status"
check_exit 2 "unknown global flag exits 2" "$ROS" --frob status
check_exit 2 "--json where a command does not read" "$ROS" init --json "$T/x"
check_exit 2 "no command exits 2" "$ROS"
# every command answers --help
"$ROS" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' > "$T/cmds"
while read -r c; do
	check "ros $c --help" "$ROS" "$c" --help
done < "$T/cmds"
done_testing
