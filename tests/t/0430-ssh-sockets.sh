#!/bin/sh
# ssh connection-sharing sockets: only in a directory that is ours alone.
# Another user who owns (or links) the directory ros would put its
# ControlMaster sockets in, or plants a socket there, must get nothing:
# not a connection, not a byte.  ros goes elsewhere or does without sharing.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
[ "$(id -u)" = 0 ] || _sshd_skip "needs root (files owned by nobody)"
id -u nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || _sshd_skip "no user nobody / group nogroup"
export ROS_SSH_CONNECT_TIMEOUT=3
unset XDG_RUNTIME_DIR
# a /tmp of this test's own (root's, sticky, like /tmp)
mkdir -m 1777 "$T/tmp" && export TMPDIR="$T/tmp"
mkdir -p "$T/spy" && chown nobody:nogroup "$T/spy"
sshd_start w1 127.0.0.5 0

# listen.py LOG READY PATH...: a unix-socket listener on every PATH; every
# connection and whatever arrives on it is logged; READY is written once all
# are listening.
cat > "$T/listen.py" <<'PYEOF'
import os, select, socket, sys
log, ready, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
def note(msg):
    with open(log, "a") as f:
        f.write(msg + "\n")
socks = {}
for p in paths:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    s.listen(16)
    socks[s] = p
with open(ready, "w") as f:
    f.write("ready\n")
while True:
    r, _, _ = select.select(list(socks), [], [])
    for s in r:
        c, _ = s.accept()
        note("connection on " + socks[s])
        c.settimeout(1)
        try:
            data, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(64))
            note("received %d bytes, %d fds: %r" % (len(data), len(anc), data[:200]))
        except OSError as e:
            note("read: " + str(e))
        c.close()
PYEOF
chmod 644 "$T/listen.py"

spy_n=0
# spy PATH...: start a listener as nobody on PATH...; sets spy_pid and spy_log
spy() {
	spy_n=$((spy_n + 1))
	spy_log=$T/spy/log.$spy_n
	: > "$spy_log" && chown nobody: "$spy_log"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" "$T/listen.py" "$spy_log" "$T/spy/ready.$spy_n" "$@" \
		</dev/null >"$T/spy/out.$spy_n" 2>&1 &
	spy_pid=$!
	at_exit "kill $spy_pid; wait $spy_pid"
	wait_for 10 test -s "$T/spy/ready.$spy_n" || _fail "listener $spy_n starts" "$(cat "$T/spy/out.$spy_n")"
}
spy_stop() { kill "$spy_pid" 2>/dev/null; wait "$spy_pid" 2>/dev/null; }

# Stop the masters listening on the sockets under $1 (they outlive ros by ControlPersist).
masters_exit() {
	for _s in $(find "$1" -type s 2>/dev/null); do
		/usr/bin/ssh -o ControlPath="$_s" -O exit ros-test-none >/dev/null 2>&1
	done
}

# discover: one worker-status through ssh-counter; sets cmdir (the directory
# of the ControlPath ros gave ssh) and names (the sockets that appeared there).
discover() {
	count_ssh_procs_start
	check "worker-status (sharing as usual)" "$ROS" worker-status
	count_ssh_procs_stop
	check_match "w1 alive" "$OUT" 'w1 +ssh +test +alive'
	check_nomatch "no warning" "$ERR" 'warning'
	cp=$(sed -n 's/.* ControlPath=\([^ ]*\).*/\1/p' "$SSH_COUNT_LOG" | head -n 1)
	cmdir=$(dirname "$cp")
	names=$(find "$cmdir" -maxdepth 1 -type s -printf '%f\n' 2>/dev/null)
	check "a shared connection: a socket under $cmdir" test -n "$names"
	masters_exit "$cmdir"
}

run_no=0
# use_worker WHAT: worker-status, dispatch-runs and check-runs all work and
# warn about $cmdir; worker-status's stderr is left in $ws_err
use_worker() {
	check "worker-status ($1)" "$ROS" worker-status
	check_match "w1 still alive ($1)" "$OUT" 'w1 +ssh +test +alive'
	check_match "a warning names $cmdir ($1)" "$ERR" "warning: .*$cmdir"
	ws_err=$ERR
	run_no=$((run_no + 1))
	check "a run ($1)" "$ROS" add-run --project-id p --worker-pool test --command "echo run $run_no"
	check "dispatch-runs ($1)" "$ROS" dispatch-runs
	check_match "dispatched ($1)" "$OUT" '^1/1 dispatched$'
	check_match "a warning names $cmdir ($1)" "$ERR" "warning: .*$cmdir"
	check "check-runs ($1)" "$ROS" check-runs
	check_match "the run is checked ($1)" "$OUT" '^r[0-9a-f]{7}: (running|done)'
	check_match "a warning names $cmdir ($1)" "$ERR" "warning: .*$cmdir"
	check "the run finishes ($1)" drive 20
	check_eq "the run is done ($1)" "$(count_runs "'done'")" "$run_no"
}

# nothing_reached WHAT: the listener lived through it all and saw nothing
nothing_reached() {
	check "the listener is still there ($1)" proc_alive "$spy_pid"
	check_eq "nothing reached the listener ($1)" "$(cat "$spy_log")" ""
}

# --- a root too long for .ros/cm ---
new_root "$T/root-with-a-name-long-enough-to-push-sockets-out-$(printf '%040d' 0)"
mkdir -p research/p && : > research/p/project.yaml
sshd_worker_yaml w1 w1 test 2 "$T/ws-w1" >> workers/workers.yaml
discover
long_dir=$cmdir
case $long_dir in "$T"/*) ;; *) at_exit "rm -rf '$long_dir'" ;; esac
check_nomatch "not under the root" "$long_dir" "^$PWD"

# the directory is another user's, open to all, with listeners on the socket names
rm -rf "$long_dir"
mkdir -m 777 "$long_dir" && chown nobody:nogroup "$long_dir"
# shellcheck disable=SC2046
spy $(for n in $names; do echo "$long_dir/$n"; done)
use_worker "nobody's $long_dir"
check_match "says whose it is" "$ws_err" "owned by uid $(id -u nobody)"
nothing_reached "nobody's directory"
# the listener does hear a connection (so the silence above means something)
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b"hello"); s.close()' "$long_dir/$(echo "$names" | head -n 1)"
check "the listener logs a connection" wait_for 5 grep -q 'received 5 bytes' "$spy_log"
spy_stop

# the directory is a symlink to another user's directory
rm -rf "$long_dir"
mkdir -m 777 "$T/spy/target" && chown nobody:nogroup "$T/spy/target"
ln -s "$T/spy/target" "$long_dir" && chown -h nobody:nogroup "$long_dir"
# shellcheck disable=SC2046
spy $(for n in $names; do echo "$T/spy/target/$n"; done)
use_worker "$long_dir a symlink"
check_match "says it is a symlink" "$ws_err" "symbolic link"
nothing_reached "a symlink"
spy_stop
rm -f "$long_dir"

# a private XDG_RUNTIME_DIR is used; one owned by another user is not
mkdir -m 700 "$T/xdg"
check "worker-status with XDG_RUNTIME_DIR" env XDG_RUNTIME_DIR="$T/xdg" "$ROS" worker-status
check_nomatch "no warning" "$ERR" 'warning'
check "its sockets under \$XDG_RUNTIME_DIR/ros-cm" test -n "$(find "$T/xdg/ros-cm" -type s)"
check_eq "ros-cm: ours, 0700" "$(stat -c '%U %a' "$T/xdg/ros-cm")" "root 700"
masters_exit "$T/xdg"
chown nobody "$T/xdg/ros-cm"
check "worker-status, XDG_RUNTIME_DIR/ros-cm another user's" env XDG_RUNTIME_DIR="$T/xdg" "$ROS" worker-status
check_match "warns" "$ERR" "warning: .*$T/xdg/ros-cm.*owned by uid"
check_match "and goes to \$TMPDIR" "$(find "$long_dir" -type s)" .
masters_exit "$long_dir"

# --- a short root: .ros/cm ---
cd "$T" && new_root "$T/s"
mkdir -p research/p && : > research/p/project.yaml
sshd_worker_yaml w1 w1 test 2 "$T/ws-w1" >> workers/workers.yaml
run_no=0
discover
check_eq "sockets under .ros/cm" "$cmdir" "$T/s/.ros/cm"
check_eq ".ros/cm: ours, 0700" "$(stat -c '%U %a' .ros/cm)" "root 700"

# .ros/cm a symlink to another user's directory
rm -rf .ros/cm
mkdir -m 755 "$T/spy/cm" && chown nobody:nogroup "$T/spy/cm"
ln -s "$T/spy/cm" .ros/cm
# shellcheck disable=SC2046
spy $(for n in $names; do echo "$T/spy/cm/$n"; done)
use_worker ".ros/cm a symlink"
check_match "says it is a symlink" "$ws_err" "symbolic link"
nothing_reached ".ros/cm a symlink"
spy_stop
check "the symlink is left alone" test -L .ros/cm
masters_exit "$long_dir"
rm -f .ros/cm

# .ros/cm ours, but another user's socket sits there under the name ros uses
mkdir -m 700 .ros/cm
mkdir -m 755 "$T/spy/plant" && chown nobody:nogroup "$T/spy/plant"
# shellcheck disable=SC2046
spy $(for n in $names; do echo "$T/spy/plant/$n"; done)
for n in $names; do mv "$T/spy/plant/$n" ".ros/cm/$n"; done
check "worker-status with a planted socket" "$ROS" worker-status
check_match "w1 alive" "$OUT" 'w1 +ssh +test +alive'
check_match "a warning names the socket" "$ERR" "warning: .*$T/s/.ros/cm/"
nothing_reached "a planted socket"
check_eq "the socket is ours now" "$(stat -c %U ".ros/cm/$(echo "$names" | head -n 1)")" root
masters_exit .ros/cm
spy_stop

# .ros/cm ours but open to others: tightened; .ros open to others: not used
chmod 755 .ros/cm
check "worker-status, .ros/cm 0755" "$ROS" worker-status
check_nomatch "no warning" "$ERR" 'warning'
check_eq ".ros/cm back to 0700" "$(stat -c %a .ros/cm)" 700
masters_exit .ros/cm
chmod 777 .ros
check "worker-status, .ros 0777" "$ROS" worker-status
check_match "not .ros/cm: others may replace it" "$ERR" "warning: .*not using $T/s/.ros/cm: others may write to its parent"
check "the sockets went to \$TMPDIR" test -n "$(find "$long_dir" -type s)"
masters_exit "$long_dir"
chmod 755 .ros
done_testing
