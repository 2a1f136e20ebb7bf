#!/bin/sh
# Checkpoints come back and travel: a job that counts steps and checkpoints
# its counter runs on a real sshd worker; check-runs brings the checkpoint
# back as it changes; the worker's sshd and processes are killed mid-run;
# the run finishes on the other worker from that checkpoint, not from zero.
# Artifacts: fetched once when a run ends, the cap honoured, fetch of a
# running run.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
sshd_setup_user
new_root
export ROS_SSH_CONNECT_TIMEOUT=2
# w2 has GPUs: a fake nvidia-smi on its PATH answers what run.sh asks
mkdir -p "$T/bin" && cat > "$T/bin/nvidia-smi" <<'EOF2'
#!/bin/sh
case "$*" in
*--query-gpu=index,name,driver_version*) printf '0, NVIDIA A100-SXM4-80GB, 550.54.15\n1, NVIDIA A100-SXM4-80GB, 550.54.15\n' ;;
"") echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |" ;;
esac
EOF2
chmod 755 "$T/bin" "$T/bin/nvidia-smi"
sshd_start w1 127.0.0.1 0
sshd_start w2 127.0.0.2 0 "env:PATH=$T/bin:/usr/bin:/bin"
for w in w1 w2; do
	sshd_worker_yaml $w $w test 1 "$T/ws-$w" | sed 's/^    slots:/    unreachable_after: 2\n    slots:/' >> workers/workers.yaml
done
check "a project" "$ROS" init-project --title Ck --idea i --target t
mkdir -p "$T/flags" && chmod 777 "$T/flags"
cat > "$T/count.sh" <<'SH'
#!/bin/sh
# counts to 40, a step every 0.1 s, its counter checkpointed (written aside, renamed)
step=0
[ -f "$ROS_CKPT_DIR/step" ] && step=$(cat "$ROS_CKPT_DIR/step")
echo "start at $step resume ${ROS_RESUME:-0} on $ROS_WORKSPACE"
while [ "$step" -lt 40 ]; do
	step=$((step + 1))
	echo "$step" > "$ROS_CKPT_DIR/step.tmp" && mv "$ROS_CKPT_DIR/step.tmp" "$ROS_CKPT_DIR/step"
	head -c 20000 /dev/zero > "$ROS_CKPT_DIR/weights.bin"
	sleep 0.1
done
echo "finished at $step"
echo "loss=0.25"
SH
chmod 755 "$T/count.sh"
check "w2 off for now" "$ROS" disable-worker w2
check "a counting run" "$ROS" add-run --project-id ck --worker-pool test --max-retries 1 --command "sh $T/count.sh"
id=$OUT
check "dispatched to w1" "$ROS" dispatch-runs
check_match "to w1" "$OUT" "dispatched $id → w1"
local_step() { cat ".ros/ckpt/$id/files/step" 2>/dev/null || echo 0; }
brought() { "$ROS" check-runs >/dev/null 2>&1; [ "$(local_step)" -ge 8 ]; }
check "check-runs brings the checkpoint back as it changes" wait_for 30 brought
check_eq "the weights came too" "$(wc -c < ".ros/ckpt/$id/files/weights.bin")" 20000
check_eq "the entry says when and from where (the counter, the weights, maybe the counter's temp file)" "$(jq_py queues/run_queue.json "[(r['ckpt']['worker_id'], r['ckpt']['attempt'], r['ckpt']['files'] >= 2) for r in d if r['id'] == '$id'][0]")" "('w1', 0, True)"
# incremental: a check when only the counter changed sends it, not the weights again
count_ssh_procs_start
export SSH_COUNT_BYTES=1
check "another check" "$ROS" check-runs
unset SSH_COUNT_BYTES
count_ssh_procs_stop
sent=$(jq_py queues/run_queue.json "[r['ckpt']['sent'] for r in d if r['id'] == '$id'][0]")
check_eq "what changed came back: the counter, and the weights only when rewritten" \
	"$([ "$sent" -le 20010 ] && echo yes)" yes
S=$(local_step)
# the worker dies: its sshd and everything started through it
sshd_stop w1
for p in $(sshd_worker_procs w1); do kill -9 "$p" 2>/dev/null; done
check "w2 on" "$ROS" enable-worker w2
check "the run finishes elsewhere" drive 60
check_eq "done" "$(field "$id" status)" done
check_eq "on w2, attempt 1" "$(field "$id" worker_id) $(field "$id" attempt)" "w2 1"
log=$(cat "$T/ws-w2/runs/logs/ck/$id/stdout.log")
R=$(printf '%s\n' "$log" | sed -n 's/^start at \([0-9]*\) .*/\1/p')
check_eq "it started from the checkpoint check-runs brought back (step $S or later), not from zero" \
	"$([ "$R" -ge "$S" ] && [ "$R" -gt 0 ] && echo yes)" yes
check_match "with ROS_RESUME=1" "$log" "^start at $R resume 1 on $T/ws-w2$"
check_match "and counted to the end" "$log" "^finished at 40$"
check_eq "the entry records the machine it ran on: its GPU (the run's slot), driver and CUDA" \
	"$(jq_py queues/run_queue.json "[(r['host']['gpus'], r['host']['cuda'], r['host']['name'] == '$(uname -n)') for r in d if r['id'] == '$id'][0]")" \
	"([{'index': '0', 'name': 'NVIDIA A100-SXM4-80GB', 'driver': '550.54.15'}], '12.4', True)"
check "results" "$ROS" results --project-id ck
check_eq "its evidence carries where it ran, what it resumed from" \
	"$(jq_py "research/ck/evidence/runs/$id.json" "(d['host']['cuda'], d['resumed_from']['worker_id'], d['attempt'])")" "('12.4', 'w1', 1)"
check "show" "$ROS" show "$id"
check_match "says from which attempt and when" "$OUT" "resumed_from +attempt 0 on w1, taken at [0-9T:-]+Z"

# --- artifacts: once, with the cap; fetch of a running run ---
mkdir -p "$T/code2" && echo c > "$T/code2/main.txt"
check "a run with artifacts" "$ROS" add-run --project-id ck --worker-pool test --workdir "$T/code2" \
	--artifacts 'out/*.csv,model.pt,big.bin' --artifacts-max-mb 1 \
	--command "echo a,b > \$ROS_OUT_DIR/r.csv; echo m > model.pt; head -c 1500000 /dev/zero > big.bin; echo p > part.txt; while [ ! -f $T/flags/go ]; do sleep 0.05; done"
aid=$OUT
check "dispatch" "$ROS" dispatch-runs
running() { "$ROS" check-runs >/dev/null 2>&1; [ "$(field "$aid" status)" = running ] && [ -n "$(cat "$T"/ws-w2/runs/logs/ck/"$aid"/code/part.txt 2>/dev/null)" ]; }
check "it runs" wait_for 30 running
check "fetch of the running run" "$ROS" fetch "$aid" 'part.txt'
check_eq "brought the file" "$(cat "research/ck/artifacts/$aid/code/part.txt")" p
check_eq "and did not mark the run fetched" "$(field "$aid" artifacts_fetched)" ""
touch "$T/flags/go"
ended() { "$ROS" check-runs >>"$T/ended.log" 2>&1; [ "$(field "$aid" status)" = done ]; }
check "it ends" wait_for 30 ended
check_match "check-runs says what it brought" "$(cat "$T/ended.log")" \
	"^$aid: done +exit=0 .*artifacts: 2 files into research/ck/artifacts/$aid/ \(some over the cap\)$"
check_eq "the check that saw it end brought them: files and the one over the cap named" \
	"$(jq_py queues/run_queue.json "[(r['artifacts_fetched']['files'], r['artifacts_fetched']['skipped']) for r in d if r['id'] == '$aid'][0]")" \
	"(2, ['1500000 code/big.bin'])"
at=$(jq_py queues/run_queue.json "[r['artifacts_fetched']['fetched_at'] for r in d if r['id'] == '$aid'][0]")
rm -f "research/ck/artifacts/$aid/out/r.csv"
check "another check-runs" "$ROS" check-runs
check_eq "fetched once: not again" "$(jq_py queues/run_queue.json "[r['artifacts_fetched']['fetched_at'] for r in d if r['id'] == '$aid'][0]") $(test -e "research/ck/artifacts/$aid/out/r.csv" && echo again)" "$at "
check "ros fetch brings them on demand" "$ROS" fetch "$aid"
check_match "says what and where" "$OUT" "^2 files, 0\.0 MB into research/ck/artifacts/$aid/$"
check_eq "out/r.csv and model.pt (from where it ran)" "$(cd "research/ck/artifacts/$aid" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" \
	"./code/model.pt ./code/part.txt ./out/r.csv "

# --- a hostile worker's answer: members named to land outside, links ---
mkdir -p "$T/shim3"
"$PY" - "$T/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    def add(name, data=b"x", kind=tarfile.REGTYPE, link=""):
        i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add(".ros-skipped", b"")
    add("fine.txt", b"fine")
    add("lnk", kind=tarfile.SYMTYPE, link="/tmp")
    add("../evil.txt", b"evil")
PY
cat > "$T/shim3/tar" <<EOF
#!/bin/sh
case "\$1" in -c) cat "$T/evil.tar"; exit 0 ;; esac
exec /bin/tar "\$@"
EOF
chmod 755 "$T/shim3" "$T/shim3/tar"
sshd_start w3 127.0.0.3 0 "env:PATH=$T/shim3:/usr/bin:/bin"
sshd_worker_yaml w3 w3 evil 1 "$T/ws-w3" >> workers/workers.yaml
check "a run on it" "$ROS" add-run --project-id ck --worker-pool evil --artifacts 'fine.txt' --command "true"
eid=$OUT
check "it runs and ends" drive 60
check_eq "nothing landed outside the run's folder" "$(ls -A research/ck/artifacts/ 2>/dev/null | grep -c evil)$(test -e research/ck/evil.txt && echo bad)" 0
check_eq "no link was made" "$(find research/ck/artifacts -type l | wc -l)" 0
check_match "the fetch refused, and says why" "$(field "$eid" last_error)" \
	"artifacts not fetched: a member named '\.\./evil\.txt' would land outside .*: refused"
done_testing
