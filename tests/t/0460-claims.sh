#!/bin/sh
# One attempt is launched once: a dispatching run's claim has an owner and
# a lease; check-runs leaves it alone while it is in force, and otherwise
# revokes it on the worker, where a late launch is then refused (as is one
# after the lease).  Launches are held by an ssh stand-in while other
# commands run.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
FAULT=$TOP/tests/lib/ssh-fault
sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
for w in w1 w2; do sshd_worker_yaml $w $w c 1 "$T/ws-$w" >> workers/workers.yaml; done
mkdir -p "$T/marks" && chmod 777 "$T/marks" && : > "$T/marks/log" && chmod 666 "$T/marks/log"
W1=$(cat "$T/sshd/w1/addr")

add() {
	"$ROS" add-run --project-id p --worker-pool c --command "echo \"\$ROS_RUN_ID \$ROS_ATTEMPT \$ROS_WORKSPACE\" >> $T/marks/log; sleep 1; echo $1" ||
		echo "not ok - add-run"
}
starts() { grep -c "^$1 " "$T/marks/log"; }
until_of() { jq_py queues/run_queue.json "[r['claim']['until'] for r in d if r['id']=='$1'][0]"; }
token_of() { jq_py queues/run_queue.json "[r['claim']['token'] for r in d if r['id']=='$1'][0]"; }
past() { [ "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \> "$1" ]; }
# hold NAME: dispatch-runs in the background with its ssh to w1 held until
# $T/release-NAME exists; $held_pid is the dispatcher, its output $T/NAME.out
hold() {
	env ROS_SSH="$FAULT" SSH_FAULT_ONLY="$W1" SSH_FAULT_HOLD="$T/release-$1" SSH_FAULT_STARTED="$T/held-$1" \
		SSH_FAULT_FINISHED="$T/finished-$1" "$ROS" dispatch-runs > "$T/$1.out" 2>&1 &
	held_pid=$!
	wait_for 20 test -e "$T/held-$1" || echo "not ok - the launch of $1 was never held"
}

# --- 1. a claim in force is left alone -------------------------------------
r1=$(add one)
check "w2 off" "$ROS" disable-worker w2
hold one
check "w2 on" "$ROS" enable-worker w2
check "check-runs while the launch is held" "$ROS" check-runs
check_eq "the run stays dispatching" "$(field "$r1" status)" dispatching
check_match "and says who is launching it" "$OUT" "^$r1: dispatching +being launched by .* pid $held_pid \\(lease until .*\\) → w1$"
check "a second dispatch-runs" "$ROS" dispatch-runs
check_match "takes nothing" "$OUT" '^0/0 dispatched$'
touch "$T/release-one"
wait "$held_pid"
check_match "the held dispatch launched it" "$(cat "$T/one.out")" "^dispatched $r1 → w1"
check "it finishes" drive 20
check_eq "started once" "$(starts "$r1")" 1

# --- 2. the lease runs out while the launch is held: check-runs revokes it --
r2=$(add two)
check "w2 off" "$ROS" disable-worker w2
ROS_CLAIM_LEASE=2 hold two
tok2=$(token_of "$r2")
check "the claim has a 16-digit token" test "${#tok2}" = 16
u2=$(until_of "$r2")
wait_for 10 past "$u2"
check "w2 on, w1 off" "$ROS" enable-worker w2
check "w1 off" "$ROS" disable-worker w1
check "w1 back on for check-runs" "$ROS" enable-worker w1
check "check-runs after the lease" "$ROS" check-runs
check_eq "back to pending, same attempt" "$(field "$r2" status)/$(field "$r2" attempt)" pending/0
check_eq "revoked in the run directory on w1" "$(cat "$T/ws-w1/runs/logs/p/$r2/claim.$tok2")" revoked
check "w1 off" "$ROS" disable-worker w1
check "another dispatch-runs takes it" "$ROS" dispatch-runs
check_match "to w2" "$OUT" "^dispatched $r2 → w2"
touch "$T/release-two"
wait "$held_pid"
check_match "the held launch was refused on w1 (revoked, and past its lease)" "$(cat "$T/two.out")" \
	"^not dispatched $r2 → w1: (its claim was revoked|the claim's lease \\(2 s\\) ran out)"
check "it finishes" drive 20
check_eq "started once, on w2" "$(grep "^$r2 " "$T/marks/log" | sed 's/.*ws-//')" w2
check "nothing was launched on w1" test ! -e "$T/ws-w1/runs/logs/p/$r2/launched"
check "w1 on" "$ROS" enable-worker w1

# --- 3. the dispatcher is killed while its launch is held ------------------
r3=$(add three)
check "w2 off" "$ROS" disable-worker w2
hold three
tok3=$(token_of "$r3")
kill -9 "$held_pid"
wait "$held_pid" 2>/dev/null
check "check-runs: the claimer is gone" "$ROS" check-runs
check_eq "back to pending at once" "$(field "$r3" status)" pending
check "w2 on" "$ROS" enable-worker w2
check "w1 off" "$ROS" disable-worker w1
check "another dispatch-runs" "$ROS" dispatch-runs
check_match "takes it to w2" "$OUT" "^dispatched $r3 → w2"
# the killed dispatcher's ssh is still alive and now delivers its script
touch "$T/release-three"
wait_for 20 test -e "$T/finished-three"
check "the late script ran on w1" test -e "$T/finished-three"
check_eq "and refused the launch" "$(cat "$T/ws-w1/runs/logs/p/$r3/claim.$tok3")" revoked
check "it finishes" drive 20
check_eq "started once" "$(starts "$r3")" 1
check "w1 on" "$ROS" enable-worker w1

# --- 4. the worker refuses a launch that arrives after the lease -----------
r4=$(add four)
check "w2 off" "$ROS" disable-worker w2
ROS_CLAIM_LEASE=1 hold four
u4=$(until_of "$r4")
wait_for 10 past "$u4"
touch "$T/release-four"
wait "$held_pid"
check_match "refused on w1: past the lease" "$(cat "$T/four.out")" "^not dispatched $r4 → w1: the claim's lease \\(1 s\\) ran out"
check_eq "pending again" "$(field "$r4" status)" pending
check_eq "nothing started" "$(starts "$r4")" 0
check "it runs later" drive 20
check_eq "started once" "$(starts "$r4")" 1
check "w2 on" "$ROS" enable-worker w2

# --- 5. a check-runs that probed a claim applies nothing to a newer claim ---
r5=$(add five)
check "w2 off" "$ROS" disable-worker w2
check_exit 137 "a dispatcher killed after its claim" env ROS_TEST_CRASH=after-claim "$ROS" dispatch-runs
env ROS_SSH="$FAULT" SSH_FAULT_ONLY="$W1" SSH_FAULT_HOLD="$T/release-c1" SSH_FAULT_STARTED="$T/held-c1" \
	"$ROS" check-runs > "$T/c1.out" 2>&1 &
c1=$!
wait_for 20 test -e "$T/held-c1"
check "another check-runs revokes the dead claim" "$ROS" check-runs
check_eq "pending" "$(field "$r5" status)" pending
hold five
tok5=$(token_of "$r5")
touch "$T/release-c1"
wait "$c1"
check_eq "the first check-runs left the new claim alone" "$(field "$r5" status)/$(token_of "$r5")" "dispatching/$tok5"
check "w2 on" "$ROS" enable-worker w2
check "w1 off" "$ROS" disable-worker w1
check "a dispatch-runs meanwhile" "$ROS" dispatch-runs
check_match "takes nothing" "$OUT" '^0/0 dispatched$'
touch "$T/release-five"
wait "$held_pid"
check "w1 on" "$ROS" enable-worker w1
check "it finishes" drive 20
check_eq "started once" "$(starts "$r5")" 1

# --- 6. a storm of ordinary commands: no attempt launched twice ------------
# 30 runs, random delays in every ssh call, short leases, dispatchers
# killed at random moments; then drive the queue to the end.
check "30 runs" "$ROS" add-run --project-id p --worker-pool c --sweep i=$(seq -s, 1 30) \
	--command "echo \"\$ROS_RUN_ID \$ROS_ATTEMPT {i}\" >> $T/marks/log; sleep 0.3"
check "a local worker too" "$ROS" add-worker --worker-id loc --kind local --pool c --slots 2 --workspace "$T/ws-loc"
storm() {
	_end=$(( $(date +%s) + 12 ))
	while [ "$(date +%s)" -lt $_end ]; do
		case $(( $(od -An -N1 -tu1 /dev/urandom) % 4 )) in
		0) timeout -s KILL "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')" \
			env ROS_SSH="$FAULT" SSH_FAULT_DELAY_MS=1000 "$ROS" dispatch-runs ;;
		1) env ROS_SSH="$FAULT" SSH_FAULT_DELAY_MS=1000 "$ROS" dispatch-runs ;;
		*) "$ROS" check-runs ;;
		esac >/dev/null 2>&1
	done
}
export ROS_CLAIM_LEASE=1
storm & s1=$!
storm & s2=$!
storm & s3=$!
storm
wait $s1 $s2 $s3
unset ROS_CLAIM_LEASE
check "the storm's runs finish" drive 90
check_eq "every run done" "$(count_runs "'done'")" 35
check_eq "no (run, attempt) started twice" "$(cut -d' ' -f1,2 "$T/marks/log" | sort | uniq -d | tr '\n' ' ')" ""
check_eq "each storm run started at least once" \
	"$(jq_py queues/run_queue.json "sum(1 for r in d if 'i' in r.get('params', {}) and ('%s %s' % (r['id'], r['attempt'])) in open('$T/marks/log').read())")" 30
done_testing
