#!/bin/sh
# Dispatch and check on real sshd workers on 127.0.0.x plus the local worker.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3

sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0
sshd_start w3 127.0.0.2 0
for w in w1 w2 w3; do
	sshd_worker_yaml $w $w test 2 "$T/ws-$w" | sed 's/^    slots:/    unreachable_after: 2\n    slots:/' >> workers/workers.yaml
done
check "a local worker in the same pool" "$ROS" add-worker --worker-id loc --kind local --pool test --slots 2 --gpus 2 --workspace "$T/ws-loc"
check "registry validates" "$ROS" worker-status
check_match "all four alive" "$OUT" 'w3 +ssh +test +alive'


# --- a 12-run sweep over 3 ssh workers + local, 2 slots each ---
check "12-run sweep" "$ROS" add-run --project-id p --worker-pool test \
	--command 'echo "run {i} dev=$CUDA_VISIBLE_DEVICES"; sleep 1; echo "MSE=0.{i}"; exit $(( {i} % 3 ))' \
	--sweep i=1,2,3,4,5,6,7,8,9,10,11,12
count_ssh_procs_start
check "first dispatch" "$ROS" dispatch-runs
check_match "8 of 12 go out (8 free slots)" "$OUT" '^8/8 dispatched, 4 waiting$'
check_match "the others wait for a slot" "$OUT" '^waiting: (r[0-9a-f]{7}, ){3}r[0-9a-f]{7} \(all 8 slots of pool test busy\)$'
check_match "output names runs, workers and pids" "$OUT" 'dispatched r[0-9a-f]{7} → w[123]  pid=[0-9]+'
check_eq "one ssh process per ssh worker touched" "$(ssh_count)" 3
for w in w1 w2 w3; do
	check "$w's host key learnt into the root's own known_hosts (accept-new)" \
		ssh-keygen -F "[$(cat "$T/sshd/$w/addr")]:$(cat "$T/sshd/$w/port")" -f .ros/known_hosts
done
check_eq "ssh connections kept in ControlMaster sockets under .ros/cm" "$(find .ros/cm -type s | wc -l)" 3
check_eq "runs on one worker got different GPUs" \
	"$(jq_py queues/run_queue.json "sorted(set((r['worker_id'], r.get('gpu_ids')) for r in d if r['status']=='running'))")" \
	"[('loc', '0'), ('loc', '1'), ('w1', '0'), ('w1', '1'), ('w2', '0'), ('w2', '1'), ('w3', '0'), ('w3', '1')]"
: > "$SSH_COUNT_LOG"
check "check-runs" "$ROS" check-runs
check_eq "one ssh process per worker for all its runs" "$(ssh_count)" 3
check_match "running runs print a log line" "$OUT" 'r[0-9a-f]{7}: running +pid=[0-9]+ +\| run [0-9]+ dev=[01]'
count_ssh_procs_stop
check "the sweep completes" drive 60
check_eq "12 finished" "$(count_runs "'done','failed'")" 12
check_eq "exit codes are right" "$(jq_py queues/run_queue.json "sorted((int(r['params']['i']) % 3 == int(r['exit_code']), r['status'] == ('done' if int(r['exit_code']) == 0 else 'failed')) for r in d)[0]")" "(True, True)"
check_eq "4 done, 8 failed" "$(count_runs "'done'")/$(count_runs "'failed'")" "4/8"
check_eq "logs carry the CUDA devices of their run" \
	"$(jq_py queues/run_queue.json "all(('dev=' + r['gpu_ids']) in open(r['log_path']).read() for r in d)")" True
check_eq "timestamps are ordered ISO times" \
	"$(jq_py queues/run_queue.json "all(r['created_at'] <= r['started_at'] <= r['ended_at'] and r['ended_at'].endswith('Z') for r in d)")" True
check_eq "every run ran on the worker it names" \
	"$(jq_py queues/run_queue.json "all(('/ws-' + r['worker_id'] + '/') in r['log_path'] for r in d)")" True
check "check-runs prints the final lines" "$ROS" check-runs
id=$(jq_py queues/run_queue.json "d[0]['id']")
check "logs of a finished run" "$ROS" logs "$id"
check_eq "logs shows the whole log" "$OUT" "$(printf 'run 1 dev=%s\nMSE=0.1' "$(jq_py queues/run_queue.json "d[0]['gpu_ids']")")"

# --- kill -9: stale, then retried (max_retries 1) and finished ---
check "a run to be killed" "$ROS" add-run --project-id p --worker-pool test --max-retries 1 \
	--command 'if [ "$ROS_ATTEMPT" = 0 ]; then echo first; sleep 60; fi; echo "second attempt done"'
kid=$OUT
check "dispatch it" "$ROS" dispatch-runs
kpid=$(jq_py queues/run_queue.json "[r for r in d if r['id']=='$kid'][0]['pid']")
check "kill -9 its process group" /bin/kill -9 -- "-$kpid"
wait_for 5 sh -c "! kill -0 $kpid 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$kpid/stat 2>/dev/null)\" = Z ]"
check "check-runs" "$ROS" check-runs
check_eq "stale and re-queued as attempt 1" "$(jq_py queues/run_queue.json "[(r['status'], r['attempt'], r['attempts'][0]['status']) for r in d if r['id']=='$kid'][0]")" "('pending', 1, 'stale')"
check "runs again and finishes" drive 30
check_eq "done on the second attempt" "$(jq_py queues/run_queue.json "[(r['status'], r['exit_code']) for r in d if r['id']=='$kid'][0]")" "('done', '0')"

# --- a worker that goes away mid-run: after its grace period, another worker runs it ---
check "disable all but w3" "$ROS" disable-worker w1 w2 loc
check "a long run" "$ROS" add-run --project-id p --worker-pool test --max-retries 1 \
	--command 'if [ "$ROS_ATTEMPT" = 0 ]; then sleep 60; fi; echo "finished on attempt $ROS_ATTEMPT"'
gid=$OUT
check "dispatch to w3" "$ROS" dispatch-runs
check_match "went to w3" "$OUT" "$gid → w3"
sshd_kill_all_sessions w3
check "check-runs while w3 is gone" "$ROS" check-runs
check_eq "w3 reported once" "$(printf '%s\n' "$ERR" | grep -c 'worker w3 did not answer')" 1
check_eq "the run waits for the grace period" "$(jq_py queues/run_queue.json "[r['status'] for r in d if r['id']=='$gid'][0]")" "running"
# the grace period is 2 s (unreachable_after): check-runs until it re-queues the run
requeued() { "$ROS" check-runs >/dev/null 2>&1; [ "$(field "$gid" status)" = pending ]; }
check "check-runs re-queues it once the grace period is over" wait_for 20 requeued
check_eq "stale, re-queued" "$(jq_py queues/run_queue.json "[(r['status'], r['attempt']) for r in d if r['id']=='$gid'][0]")" "('pending', 1)"
check_match "not before the grace period" "$(jq_py queues/run_queue.json "[r['attempts'][0]['stale_reason'] for r in d if r['id']=='$gid'][0]")" \
	'^worker unreachable for ([2-9]|[1-9][0-9]+) s$'
check "w1 back, the dead w3 off" "$ROS" enable-worker w1
check "w3 off" "$ROS" disable-worker w3
check "finishes on another worker" drive 30
check_eq "done on w1" "$(jq_py queues/run_queue.json "[(r['status'], r['worker_id']) for r in d if r['id']=='$gid'][0]")" "('done', 'w1')"

# --- a worker whose sshd moved to another port ---
sshd_restart w2 0

"$PY" - "$(cat "$T/sshd/w2/port")" <<'PYEOF'
import re, sys
t = open("workers/workers.yaml").read()
# the port line of worker w2's ssh block
i = t.index("worker_id: w2")
j = t.index("port:", i)
k = t.index("\n", j)
open("workers/workers.yaml", "w").write(t[:j] + "port: " + sys.argv[1] + t[k:])
PYEOF
check "w2 enabled, w1 off" "$ROS" enable-worker w2
check "w1 off" "$ROS" disable-worker w1
check "a run for the moved worker" "$ROS" add-run --project-id p --worker-pool test --command 'echo moved ok'
check "dispatch reaches the new port" "$ROS" dispatch-runs
check_match "on w2" "$OUT" '→ w2'
check "finishes" drive 20

# --- dispatch-runs killed after the claim, and after the launch ---
check "enable all" "$ROS" enable-worker w1 loc
: > "$T/starts"
chmod 666 "$T/starts"
check "3 runs" "$ROS" add-run --project-id p --worker-pool test --command "echo {k} >> $T/starts; sleep 1" --sweep k=a,b,c
check_exit 137 "killed after the claim" env ROS_TEST_CRASH=after-claim "$ROS" dispatch-runs
check_eq "left dispatching" "$(count_runs "'dispatching'")" 3
check "check-runs settles them" "$ROS" check-runs
check_eq "back to pending (never started)" "$(count_runs "'pending'")" 3
check_exit 137 "killed after the launch" env ROS_TEST_CRASH=after-launch "$ROS" dispatch-runs
check_eq "left dispatching again" "$(count_runs "'dispatching'")" 3
check "a second dispatch does not touch them" "$ROS" dispatch-runs
check_match "nothing to dispatch" "$OUT" '^0/0 dispatched$'
check "check-runs finds them running" "$ROS" check-runs
check_eq "no run left dispatching" "$(count_runs "'dispatching'")" 0
check "they finish" drive 20
check_eq "each launched exactly once" "$(sort "$T/starts" | tr '\n' ' ')" "a b c "

# --- commands with quotes, \$, backticks, ;, newlines; invalid UTF-8 and long lines in the output ---
cat > "$T/cmd" <<'CMD'
printf '%s|' "it's" 'say "hi"' '$HOME' '`date`' 'a;b' "tab	x"; echo
echo "line two; \$((1+2))=$((1+2))"
printf 'bad \377\376 bytes\n'
head -c 200000 /dev/zero | tr '\0' x; echo
CMD
"$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/cmd" > /dev/null
check "add the odd command" "$ROS" add-run --project-id p --worker-pool test --command "$(cat "$T/cmd")"
oid=$OUT
check "and run it" drive 20
(cd "$T" && bash "$T/cmd") > "$T/want.log" 2>&1
lp=$(jq_py queues/run_queue.json "[r['log_path'] for r in d if r['id']=='$oid'][0]")
check "the log is byte for byte what bash prints" cmp "$lp" "$T/want.log"
check_eq "the command was stored as written" "$(jq_py queues/run_queue.json "[r['command'] for r in d if r['id']=='$oid'][0]")" "$(cat "$T/cmd")"
# Bytes that are not UTF-8 are shown as \xHH: 0x80-0x9f are C1 controls to a
# terminal not in UTF-8 mode, and one in UTF-8 mode shows U+FFFD for them, so
# the escape hides nothing and tells which byte it was.  --raw passes them.
check "logs -n 3" "$ROS" logs "$oid" -n 3
check_eq "logs shows bytes that are not UTF-8 as \\xHH" "$(printf '%s\n' "$OUT" | sed -n 2p)" 'bad \xff\xfe bytes'
"$ROS" logs --raw "$oid" -n 3 > "$T/raw.log"
check "logs --raw passes the bytes through" sh -c 'tail -n 3 "$1" | cmp - "$2"' sh "$T/want.log" "$T/raw.log"

# --- hostile registry values are refused and nothing runs ---
cat >> workers/workers.yaml <<YAML
  - worker_id: evil1
    kind: ssh
    enabled: true
    worker_pool: evil
    ssh:
      host: "-oProxyCommand=touch $T/pwned1"
  - worker_id: evil2
    kind: ssh
    enabled: true
    worker_pool: evil
    ssh:
      host: 127.0.0.1
      user: "root -oProxyCommand=touch $T/pwned2"
YAML
check "a run for the evil pool" "$ROS" add-run --project-id p --worker-pool evil --command 'echo hi'
check "dispatch skips them" "$ROS" dispatch-runs --worker-pool evil
check_match "says why" "$ERR" "refusing ssh.host '-oProxyCommand"
check_match "and for the user" "$ERR" "refusing ssh.user"
check_match "nothing dispatched" "$OUT" '^0/0 dispatched, 1 waiting$'
"$ROS" worker-status >/dev/null 2>&1
"$ROS" check-runs >/dev/null 2>&1
check "nothing was executed" test ! -e "$T/pwned1" -a ! -e "$T/pwned2"
done_testing
