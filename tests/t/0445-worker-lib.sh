#!/bin/sh
# The worker script's functions (src/remote/lib.sh) called by sh directly,
# as ros calls them, for what no worker does on its own: a parser command
# whose workspace cannot be entered when the run's metrics are collected.
. "$(dirname "$0")/../lib/testlib.sh"
ws=$T/ws
d=$ws/runs/logs/p/r1
mkdir -p "$d"
echo 0 > "$d/attempt"
echo 0 > "$d/exit_code"
echo "loss is 1" > "$d/stdout.log"

# worker [SH-LINES]: lib.sh, the workspace, then stdin's calls, run by sh
worker() {
	{
		cat "$TOP/src/remote/lib.sh"
		echo "ros_end=END"
		printf "ros_set_ws <<'E'\n%s\nE\n" "$ws"
		cat
	} > "$T/script"
	sh "$T/script"
}
collect() {
	worker <<EOF
$1
ros_collect p r1 0 cmd 5 <<'E'
touch "$T/ran"; pwd
E
EOF
}

check "collect: the parser command runs in the workspace" collect ""
check_eq "the record, its output" "$OUT" "ROS collect r1 output 0 +
$ws

END"
check "it ran" test -e "$T/ran"
rm -f "$T/ran"

# cd is a regular builtin: a function of that name takes its place
for how in timeout no-timeout; do
	env=
	[ "$how" = no-timeout ] && env='ROS_TEST_NO_TIMEOUT=1; export ROS_TEST_NO_TIMEOUT'
	check "collect when the workspace cannot be entered ($how)" collect "$env
cd() { return 1; }"
	check_eq "the parser command is not run elsewhere ($how)" "$(test -e "$T/ran" && echo ran)" ""
	check_match "a failure record ($how)" "$(printf '%s\n' "$OUT" | head -n 1)" '^ROS collect r1 failed [1-9][0-9]* \+$'
	check_match "saying why ($how)" "$OUT" "cannot enter the workspace $ws"
	check_eq "then the end line ($how)" "$(printf '%s\n' "$OUT" | tail -n 1)" END
	rm -f "$T/ran"
done

done_testing
