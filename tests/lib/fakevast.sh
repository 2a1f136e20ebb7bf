# fakevast.sh - run the fake Vast.ai server (tests/fake/fakevast.c) from an
# integration test.  Source it after tests/lib/testlib.sh:
#
#   . "$TOP/tests/lib/fakevast.sh"
#   fakevast_start "$TOP/tests/fake/vast-examples.json"
#   export VAST_API_KEY=testkey         # the server's key ($FAKEVAST_KEY)
#   ... run ros; it talks to $VAST_URL ...
#   fakevast_ctl fail '{"path_prefix":"/api/v1/instances","status":429,"count":3}'
#   fakevast_requests | grep ...        # the request log, one JSON line each
#
#   fakevast_start STATEFILE   start $FAKEVAST_BIN (default $TOP/build/fakevast,
#                              else $TOP/build-san/fakevast)
#                              with that scenario and wait for its port; sets
#                              and exports FAKEVAST_PORT, FAKEVAST_URL, VAST_URL,
#                              FAKEVAST_LOG, FAKEVAST_KEY; stops it at exit.
#                              A test that cannot start it fails at once.
#                              FAKEVAST_KEY set beforehand is passed as --key
#                              (an "api_key" in the scenario overrides it).
#   fakevast_stop              stop it (SIGTERM, then SIGKILL after 5 s)
#   fakevast_ctl PATH [JSON]   POST JSON to /__ctl/PATH (GET without JSON),
#                              print the reply; fails on an HTTP error
#   fakevast_api METHOD PATH [JSON]   call the API with the Vast key; prints
#                              the body, then a last line "HTTP <status>"
#   fakevast_requests          print the request log
#   fakevast_json EXPR         read JSON on stdin as d, print the Python
#                              expression EXPR (strings raw, the rest as JSON)
#   fakevast_log_json EXPR     the same with L = the list of logged requests
#
# The scenario file, the control endpoints and the log format are described
# at the top of tests/fake/fakevast.c; tests/fake/vast-examples.json holds the
# example rows of the API notes (3 instances, 4 offers, an ssh_pool, tokens).

FAKEVAST_PID=

fakevast_start() {
	_fv_bin=${FAKEVAST_BIN:-$TOP/build/fakevast}
	[ -n "${FAKEVAST_BIN:-}" ] || [ -x "$_fv_bin" ] || _fv_bin=$TOP/build-san/fakevast
	if [ ! -x "$_fv_bin" ]; then
		echo "not ok - fakevast_start: $_fv_bin is not built (make fakes)"
		exit 1
	fi
	FAKEVAST_LOG=$T/fakevast.log
	FAKEVAST_KEY=${FAKEVAST_KEY:-testkey}
	: >"$FAKEVAST_LOG"
	: >"$T/fakevast.port"
	"$_fv_bin" --state "$1" --log "$FAKEVAST_LOG" --key "$FAKEVAST_KEY" \
		>"$T/fakevast.port" 2>"$T/fakevast.err" &
	FAKEVAST_PID=$!
	at_exit fakevast_stop
	if ! wait_for 10 grep -q '^[0-9][0-9]*$' "$T/fakevast.port"; then
		echo "not ok - fakevast_start: no port from $_fv_bin"
		sed 's/^/#   /' "$T/fakevast.err"
		exit 1
	fi
	FAKEVAST_PORT=$(head -n 1 "$T/fakevast.port")
	FAKEVAST_URL=http://127.0.0.1:$FAKEVAST_PORT
	VAST_URL=$FAKEVAST_URL
	export FAKEVAST_PORT FAKEVAST_URL VAST_URL FAKEVAST_LOG FAKEVAST_KEY
}

fakevast_stop() {
	[ -n "$FAKEVAST_PID" ] || return 0
	kill -TERM "$FAKEVAST_PID" 2>/dev/null
	_fv_n=0
	while kill -0 "$FAKEVAST_PID" 2>/dev/null && [ $_fv_n -lt 250 ]; do
		# a reaped-late zombie still answers kill -0: treat state Z as gone
		[ "$(awk '{print $3}' "/proc/$FAKEVAST_PID/stat" 2>/dev/null)" = Z ] && break
		sleep 0.02
		_fv_n=$((_fv_n + 1))
	done
	kill -KILL "$FAKEVAST_PID" 2>/dev/null
	wait "$FAKEVAST_PID" 2>/dev/null
	FAKEVAST_PID=
	return 0
}

fakevast_ctl() {
	case $1 in /__ctl/*) _fv_p=$1 ;; *) _fv_p=/__ctl/$1 ;; esac
	if [ $# -ge 2 ]; then
		curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
			--data-binary "$2" "$FAKEVAST_URL$_fv_p"
	else
		curl -sS --fail-with-body "$FAKEVAST_URL$_fv_p"
	fi
}

fakevast_api() {
	if [ $# -ge 3 ]; then
		curl -sS -X "$1" -H "Authorization: Bearer $FAKEVAST_KEY" \
			-H 'Content-Type: application/json' --data-binary "$3" \
			-w '\nHTTP %{http_code}\n' "$FAKEVAST_URL$2"
	else
		curl -sS -X "$1" -H "Authorization: Bearer $FAKEVAST_KEY" \
			-w '\nHTTP %{http_code}\n' "$FAKEVAST_URL$2"
	fi
}

fakevast_requests() {
	cat "$FAKEVAST_LOG"
}

_fakevast_py='import json, sys
def out(x):
    print(x if isinstance(x, str) else json.dumps(x))'

fakevast_json() {
	/usr/bin/python3 -c "$_fakevast_py
d = json.load(sys.stdin)
out(eval(sys.argv[1]))" "$1"
}

fakevast_log_json() {
	/usr/bin/python3 -c "$_fakevast_py
L = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
out(eval(sys.argv[1]))" "$1" "$FAKEVAST_LOG"
}
