# testlib.sh - sourced by every integration test (tests/t/*.sh).
#
# Each test file runs in its own scratch directory $T (removed at exit) and
# prints one line per check: "ok - DESC" or "not ok - DESC" (plus details on
# following "#" lines).  tests/run adds them up.
#
#   ROS            the binary under test (env ROS_BIN, default build/ros)
#   new_root [DIR] make a fresh root with `ros init` (default $T/root), cd into it
#   check DESC CMD...           passes when CMD exits 0
#   check_fail DESC CMD...      passes when CMD exits non-zero (not by a signal, and
#                               not with a sanitizer's report: see below)
#   check_exit N DESC CMD...    passes when CMD exits exactly N (never a sanitizer's)
#   check_eq DESC GOT WANT      string equality
#   check_match DESC TEXT ERE   a line of TEXT matches the extended regex, which must
#                               be one line (grep -E takes each line of a pattern as an
#                               alternative): a newline in it fails the check; use
#                               check_re (tests/lib/match.sh) across lines
#   check_nomatch DESC TEXT ERE no line of TEXT matches it (one line, as above)
#   skip WHY                    a part of the test is not run here: "# SKIP WHY"
#                               (tests/run reports and counts it)
#   skip_all WHY                the whole file cannot run here: "# SKIP WHY", exit 0
#   at_exit CMD...              run CMD (eval'd) at exit, last registered first, in the
#                               test's shell (so it can reap children): CMD must not exit
#   wait_for SECONDS CMD...     poll CMD every 20 ms until it succeeds (1) or time runs out
# The output of the last check's command is in $OUT (stdout) and $ERR (stderr).
#
# A sanitizer build reports on stderr and exits with a code of its own:
# ASan (and LeakSanitizer) 99, UBSan 98, set here after whatever options the
# environment gives.  A check whose command exits with one fails, whatever
# it expected, and says "sanitizer report".

set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ROS=${ROS_BIN:-$TOP/build/ros}
case $ROS in /*) ;; *) ROS=$TOP/$ROS ;; esac
export ROS TOP
export ROS_TEST_FSYNC=${ROS_TEST_FSYNC:-1}
SAN_EXIT_ASAN=99 SAN_EXIT_UBSAN=98
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=$SAN_EXIT_ASAN"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=$SAN_EXIT_UBSAN"
unset RESEARCH_OS_ROOT VAST_API_KEY VASTAI_API_KEY VAST_URL
T=$(mktemp -d "${TMPDIR:-/tmp}/ros-test.XXXXXX")
chmod 755 "$T"
export HOME="$T/home"
mkdir -p "$HOME"
export XDG_CONFIG_HOME="$HOME/.config"
_passed=0
_failed=0
_atexit=""
OUT=
ERR=

at_exit() { _atexit="$*
$_atexit"; }

_cleanup() {
	_ec=$?
	set +e
	# Not in a pipeline: the handlers must run in this shell, so that they
	# can `wait` for (reap) the daemons this shell started.
	while IFS= read -r _c; do
		[ -n "$_c" ] && eval "$_c" </dev/null >/dev/null 2>&1
	done <<EOF_ATEXIT
$_atexit
EOF_ATEXIT
	cd /
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
	exit $_ec
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

_pass() { _passed=$((_passed + 1)); echo "ok - $1"; }
_fail() {
	_failed=$((_failed + 1))
	echo "not ok - $1"
	shift
	for _l in "$@"; do printf '%s\n' "$_l" | sed 's/^/#   /' | head -40; done
}

_run() {
	"$@" >"$T/.out" 2>"$T/.err"
	_rc=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	return $_rc
}

# _sanitized: 0 when the last command's exit is a sanitizer's
_sanitized() {
	case $_rc in
	"$SAN_EXIT_ASAN") _san=ASan ;;
	"$SAN_EXIT_UBSAN") _san=UBSan ;;
	*) return 1 ;;
	esac
}

# _fail_run DESC WHAT: a failed check of a command, with its output
_fail_run() {
	if _sanitized; then
		_fail "$1" "sanitizer report ($_san, exit $_rc): $2" "stdout: $OUT" "stderr: $ERR"
	else
		_fail "$1" "$2" "stdout: $OUT" "stderr: $ERR"
	fi
}

check() {
	_d=$1; shift
	if _run "$@"; then _pass "$_d"; else _fail_run "$_d" "exit $_rc: $*"; fi
}

check_fail() {
	_d=$1; shift
	_run "$@"
	if [ $_rc -ne 0 ] && [ $_rc -lt 128 ] && ! _sanitized; then _pass "$_d"
	else _fail_run "$_d" "exit $_rc (wanted a failure): $*"; fi
}

check_exit() {
	_want=$1 _d=$2; shift 2
	_run "$@"
	if [ $_rc -eq "$_want" ] && ! _sanitized; then _pass "$_d"
	else _fail_run "$_d" "exit $_rc (wanted $_want): $*"; fi
}

check_eq() {
	if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got:  $2" "want: $3"; fi
}

# _one_line CHECK DESC PATTERN: 0 when PATTERN is one line; else the check fails
_one_line() {
	case $3 in
	*"
"*)
		_fail "$2" "${0##*/}: $1: the pattern holds a newline, and grep -E takes each line" \
			"as an alternative: use check_re (tests/lib/match.sh) to match across lines" "pattern: $3"
		return 1 ;;
	esac
}

check_match() {
	_one_line check_match "$1" "$3" || return 0
	if printf '%s' "$2" | grep -Eq -- "$3"; then _pass "$1"; else _fail "$1" "text: $2" "does not match: $3"; fi
}

check_nomatch() {
	_one_line check_nomatch "$1" "$3" || return 0
	if printf '%s' "$2" | grep -Eq -- "$3"; then _fail "$1" "text: $2" "matches: $3"; else _pass "$1"; fi
}

skip() { echo "# SKIP $*"; }
skip_all() { echo "# SKIP $*"; exit 0; }

wait_for() {
	_limit=$1; shift
	_end=$(( $(date +%s%N) / 1000000 + _limit * 1000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge $_end ] && return 1
		sleep 0.02
	done
}

new_root() {
	_r=${1:-$T/root}
	"$ROS" init "$_r" >/dev/null || { echo "not ok - ros init $_r failed"; exit 1; }
	cd "$_r" || exit 1
	export RESEARCH_OS_ROOT="$_r"
}

# A JSON field with the system python3 (not whichever python3 comes first in PATH).
PY=/usr/bin/python3
jq_py() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# Run-queue helpers for tests that dispatch.
# count_runs "'pending','running'" [IGNORE]: runs in one of those statuses (run IGNORE left out)
count_runs() { jq_py queues/run_queue.json "len([r for r in d if r['status'] in ($1) and r['id'] != '${2:-}'])"; }
# field RUN KEY: a field of one run ('' when absent)
field() { jq_py queues/run_queue.json "[r.get('$2', '') for r in d if r['id'] == '$1'][0]"; }
# drive SECONDS [IGNORE]: dispatch-runs and check-runs until no run (but IGNORE)
# is pending, dispatching or running; fails when SECONDS run out.  Their
# output goes to $T/drive.log.  DRIVE_ENV holds env(1) options for them
# (e.g. "-u SLURM_CONF").
drive() {
	_end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt $_end ]; do
		env ${DRIVE_ENV:-} "$ROS" dispatch-runs >>"$T/drive.log" 2>&1
		env ${DRIVE_ENV:-} "$ROS" check-runs >>"$T/drive.log" 2>&1
		[ "$(count_runs "'pending','running','dispatching'" "${2:-}")" = 0 ] && return 0
		sleep 0.3
	done
	return 1
}

done_testing() {
	echo "# $(basename "$0"): $_passed passed, $_failed failed"
	[ $_failed -eq 0 ]
}
