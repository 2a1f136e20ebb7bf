#!/bin/sh
# The man page (scripts/gen-man): every command's help, and every
# environment variable ros reads, found in the sources so that a new one
# cannot be left out.
. "$(dirname "$0")/../lib/testlib.sh"
check "gen-man" "$TOP/scripts/gen-man" "$ROS"
printf '%s\n' "$OUT" > "$T/ros.1"
if command -v man >/dev/null 2>&1; then
	check "man reads it without a warning" sh -c "MANWIDTH=80 man -l '$T/ros.1' > '$T/ros.txt' 2>'$T/man.err'; ! grep -q . '$T/man.err'"
else
	echo "# man is not installed: the page not rendered"
fi

# every command has its section
"$ROS" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' > "$T/cmds"
while read -r c; do
	check "section for $c" grep -qx ".SS $c" "$T/ros.1"
done < "$T/cmds"
check_nomatch "not the hidden one" "$(cat "$T/ros.1")" "__complete"

# The variables: getenv("NAME") in the C sources, NAME of a #define X_ENV
# "NAME" handed to getenv, the names key-smoke looks up from its table, and
# ${NAME:-...} of ros's own variables in the worker-side scripts.
src=$TOP/src
{
	grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$src" | sed 's/getenv("\(.*\)")/\1/'
	grep -rhoE '#define [A-Z_]+_ENV "[A-Z_][A-Z0-9_]*"' "$src" | sed 's/.* "\(.*\)"/\1/'
	sed -n '/^static const struct check checks\[\] = {/,/^};/p' "$src/cmd/key_smoke.c" |
		grep -oE '"[A-Z][A-Z0-9_]+"' | tr -d '"'
	grep -rhoE '\$\{ROS_[A-Z0-9_]+:-' "$src/remote" | sed 's/\${\(.*\):-/\1/'
} | sort -u > "$T/vars"
check "found the variables" test "$(wc -l < "$T/vars")" -ge 20
for v in RESEARCH_OS_ROOT ROS_SSH VAST_API_KEY HOME GITHUB_TOKEN ROS_WATCHER_READY_FD ROS_TEST_NO_TIMEOUT; do
	check "the search finds $v" grep -qx "$v" "$T/vars"
done
# in ENVIRONMENT, as a name of its own
sed -n '/^\.SH ENVIRONMENT/,/^\.SH [^E]/p' "$T/ros.1" | sed 's/\\-/-/g; s/\\f[BIRP]//g' > "$T/env"
while read -r v; do
	check "ENVIRONMENT lists $v" grep -qE "(^|[^A-Za-z0-9_])$v([^A-Za-z0-9_]|\$)" "$T/env"
done < "$T/vars"
# and what ros sets for a run
for v in ROS_RUN_ID ROS_PROJECT_ID ROS_ATTEMPT CUDA_VISIBLE_DEVICES ROS_WORKSPACE ROS_RUN_DIR ROS_LOG; do
	check "ENVIRONMENT says ros sets $v for a run" grep -q "$v" "$T/env"
	check "(and the sources do: $v)" grep -rq "$v" "$src/engine/launch.c" "$src/remote/lib.sh"
done

# the shell completion has its word
check_match "FILES names the completions" "$(sed -n '/^\.SH FILES/,/^\.SH [^F]/p' "$T/ros.1")" "bash-completion"
done_testing
