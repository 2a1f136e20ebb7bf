#!/bin/sh
# Ctrl-C on the commands that follow a worker (logs -f, check-runs --watch):
# they end at once, quietly, with exit 130, and write nothing about the
# worker they were talking to when they were stopped.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
check "a project" "$ROS" init-project --title P --idea i --target t
check "a long run" "$ROS" add-run --project-id p --worker-pool local --command 'echo started; sleep 60'
run=$OUT
check "dispatched" "$ROS" dispatch-runs
at_exit "$ROS" --root "$T/root" cancel "$run" --grace 1

# bg OUT ERR CMD...: CMD in the background as a terminal's foreground job
# would be (SIGINT not ignored); its pid in $bg
bg() {
	_o=$1 _e=$2; shift 2
	env --default-signal=INT "$@" >"$_o" 2>"$_e" &
	bg=$!
}
# interrupt: SIGINT to $bg, its exit status in $rc
interrupt() {
	kill -INT "$bg"
	wait "$bg"
	rc=$?
}

# logs -f on the local worker
bg "$T/logs.out" "$T/logs.err" "$ROS" logs -f "$run"
check "logs -f is following" wait_for 10 grep -q started "$T/logs.out"
interrupt
check_eq "logs -f: Ctrl-C exits 130" "$rc" 130
check_eq "and says nothing" "$(cat "$T/logs.err")" ""
check_eq "what it printed stays" "$(cat "$T/logs.out")" "started"
check_eq "the run goes on" "$(field "$run" status)" running
bg "$T/jlogs.out" "$T/jlogs.err" "$ROS" logs -f "$run" --json
check "logs -f --json: the records as the lines come" wait_for 10 grep -q '"line": "started"' "$T/jlogs.out"
interrupt
check_eq "logs -f --json: Ctrl-C exits 130" "$rc" 130
check_eq "and says nothing" "$(cat "$T/jlogs.err")" ""

# check-runs --watch, stopped while the worker is being asked: the local
# worker's sh held until then
mkdir -p "$T/hold"
cat > "$T/hold/sh" <<EOF
#!/bin/sh
: > "$T/asked"
while [ ! -e "$T/go" ]; do sleep 0.05; done
exec /bin/sh "\$@"
EOF
chmod 755 "$T/hold/sh"
cp queues/run_queue.json "$T/before.json"
bg "$T/watch.out" "$T/watch.err" env PATH="$T/hold:$PATH" "$ROS" check-runs --watch 1
check "check-runs is asking the worker" wait_for 10 test -e "$T/asked"
interrupt
check_eq "check-runs --watch: Ctrl-C while asking exits 130" "$rc" 130
check_eq "and says nothing" "$(cat "$T/watch.err")" ""
check_nomatch "does not call the worker unreachable" "$(cat "$T/watch.out")" "not answering|unreachable"
check_eq "and writes nothing to the queue" "$(cat queues/run_queue.json)" "$(cat "$T/before.json")"
check_eq "the run is still running" "$(field "$run" status)" running

# ... and while it waits for the next check
bg "$T/watch2.out" "$T/watch2.err" "$ROS" check-runs --watch 30
check "check-runs is waiting" wait_for 10 grep -q "next check in 30 s" "$T/watch2.out"
interrupt
check_eq "check-runs --watch: Ctrl-C while waiting exits 130" "$rc" 130
check_eq "and says nothing" "$(cat "$T/watch2.err")" ""
check_match "after the report of the check it made" "$(cat "$T/watch2.out")" "^$run: running"

# logs -f on an ssh worker: the killed ssh is no unreachable worker
sshd_start a 127.0.0.3 0
sshd_worker_yaml a wa pa 1 "$T/ws-a" >> workers/workers.yaml
check "a long run on the ssh worker" "$ROS" add-run --project-id p --worker-pool pa --command 'echo remote; sleep 60'
srun=$OUT
check "dispatched" "$ROS" dispatch-runs --worker-pool pa
at_exit "$ROS" --root "$T/root" cancel "$srun" --grace 1
bg "$T/slogs.out" "$T/slogs.err" "$ROS" logs -f "$srun"
check "logs -f is following over ssh" wait_for 10 grep -q remote "$T/slogs.out"
interrupt
check_eq "logs -f over ssh: Ctrl-C exits 130" "$rc" 130
check_eq "and says nothing (no 'worker unreachable')" "$(cat "$T/slogs.err")" ""
done_testing
