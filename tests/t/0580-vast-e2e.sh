#!/bin/sh
# End to end: Vast.ai instances (the fake API) whose SSH endpoints are real
# sshd workers on 127.0.0.x.  Overnight one instance's port changes, one
# moves to another host, one is destroyed with a run on it: dispatch cannot
# reach them; after `vastai-reconcile --fix` dispatch-runs reaches the moved
# workers, the run of the gone one is requeued and finishes elsewhere, and
# the next reconcile is consistent.  Then `vast-hunt --rent` rents an offer
# whose instance is another sshd, and dispatch-runs uses the new worker.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"
sshd_setup_user
export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20 ROS_SSH_CONNECT_TIMEOUT=3
new_root
mkdir -p research/p && : >research/p/project.yaml

sshd_start a 127.0.0.2 0
sshd_start b 127.0.0.3 0
sshd_start g 127.0.0.5 0
PA=$SSHD_a_PORT PB=$SSHD_b_PORT PG=$SSHD_g_PORT
# workers as the user registered them: instance_id, the endpoint of the day
vw() {	# vw SSHD WORKER INSTANCE
	sshd_worker_yaml "$1" "$2" vast 1 "$T/ws-$2" | sed "s/^\(  - worker_id: .*\)/\1\n    instance_id: $3/" >>workers/workers.yaml
}
vw a va 41000001
vw b vb 41000002
vw g vg 41000003
"$PY" - "$T/scenario.json" "$PA" "$PB" "$PG" <<'EOF'
import json, sys
def inst(i, port, host):
    return {"id": i, "actual_status": "running", "gpu_name": "RTX 3060", "num_gpus": 1, "dph_total": 0.0659,
            "ssh_host": host, "ssh_port": port, "public_ipaddr": host + "\n", "ports": None,
            "image_runtype": "ssh_direc ssh_proxy", "geolocation": "Washington, US"}
pa, pb, pg = map(int, sys.argv[2:5])
d = {"instances": [inst(41000001, pa, "127.0.0.2"), inst(41000002, pb, "127.0.0.3"), inst(41000003, pg, "127.0.0.5")],
     "offers": [{"id": 29500001, "machine_id": 777, "gpu_name": "RTX 3070", "num_gpus": 1, "gpu_ram": 8192,
                 "dph_total": 0.072, "dlperf": 16.7, "dlperf_per_dphtotal": 231.9, "reliability": 0.99,
                 "storage_cost": 0.1, "geolocation": "Ohio, US", "verification": "verified",
                 "rentable": True, "rented": False, "external": False, "direct_port_count": 10}],
     "boot_polls": 2}
json.dump(d, open(sys.argv[1], "w"))
EOF
fakevast_start "$T/scenario.json"
export VAST_API_KEY=testkey

check "all consistent at first" "$ROS" vastai-reconcile
check_re "three tracked" "$OUT" 'Live instances: 3  \|  Tracked workers: 3'

where() { jq_py queues/run_queue.json "[open(r['log_path']).read().split('worker=')[1].split()[0].rsplit('/', 1)[1] for r in d if r['id'] == '$1'][0]"; }

# --- a long run on vg, short ones everywhere ---
check "only vg" "$ROS" disable-worker va vb
check "a long run" "$ROS" add-run --project-id p --worker-pool vast --max-retries 1 \
	--command 'echo "worker=$ROS_TEST_WORKER attempt=$ROS_ATTEMPT"; [ "$ROS_ATTEMPT" = 0 ] && sleep 600; echo finished'
LONG=$OUT
check "dispatched to vg" "$ROS" dispatch-runs
check_re "on vg" "$OUT" "dispatched $LONG → vg  pid=[0-9]+"
check "all back" "$ROS" enable-worker va vb
check "two short runs" "$ROS" add-run --project-id p --worker-pool vast --command 'echo "worker=$ROS_TEST_WORKER k={k}"' --sweep k=1,2
check "they run on va and vb" drive 30 "$LONG"
SHORT=$(jq_py queues/run_queue.json "' '.join(r['id'] for r in d if r['status'] == 'done')")
set -- $SHORT
check_eq "one on each sshd" "$( (where "$1"; where "$2") | sort | tr '\n' ' ')" "a b "
check "known_hosts holds the three endpoints" sh -c "ssh-keygen -F '[127.0.0.2]:$PA' -f .ros/known_hosts && ssh-keygen -F '[127.0.0.3]:$PB' -f .ros/known_hosts && ssh-keygen -F '[127.0.0.5]:$PG' -f .ros/known_hosts" 2>/dev/null
check_eq "the long run is still running" "$(jq_py queues/run_queue.json "[r['status'] for r in d if r['id'] == '$LONG'][0]")" running

# --- overnight: a port change, a host change, a destroyed instance ---
sshd_restart a 0
NPA=$SSHD_a_PORT
sshd_stop b
sshd_start c 127.0.0.4 0
PC=$SSHD_c_PORT
sshd_kill_all_sessions g
check "instance 1: new port" fakevast_ctl patch "{\"instance\":41000001,\"set\":{\"ssh_port\":$NPA}}"
check "instance 2: new host and port" fakevast_ctl patch "{\"instance\":41000002,\"set\":{\"ssh_host\":\"127.0.0.4\",\"ssh_port\":$PC}}"
check "instance 3: destroyed" fakevast_ctl patch '{"remove_instance":41000003}'
check "two runs for the morning" "$ROS" add-run --project-id p --worker-pool vast --command 'echo "worker=$ROS_TEST_WORKER k={k}"' --sweep k=3,4
MORNING=$(jq_py queues/run_queue.json "' '.join(r['id'] for r in d if r['status'] == 'pending')")
check_exit 1 "dispatch before reconcile" "$ROS" dispatch-runs
check_re "the moved workers are unreachable" "$OUT" 'worker v[ab] unreachable: .*stay pending'
check_eq "nothing ran" "$(count_runs "'pending'")" 2

check_exit 1 "reconcile sees the drift" "$ROS" vastai-reconcile
check_re "port" "$OUT" "va +inst=41000001  running   127\\.0\\.0\\.2:$NPA .*
      ⚠ PORT CHANGED: yaml=$PA  live=$NPA"
check_re "host" "$OUT" "⚠ HOST CHANGED: yaml=127\\.0\\.0\\.3  live=127\\.0\\.0\\.4"
check_re "gone" "$OUT" '\[GONE\]    vg — instance 41000003 not found'
check "reconcile --fix" "$ROS" vastai-reconcile --fix
check_re "fixed" "$OUT" "✓ Updated port $PA → $NPA"
check_re "host fixed" "$OUT" '✓ Updated host 127\.0\.0\.3 → 127\.0\.0\.4'
check_re "vg off, its run requeued" "$OUT" '✓ Marked vg enabled: false
            ✓ 1 run made stale \(1 requeued\)
            ✓ Removed \[127\.0\.0\.5\]:[0-9]+ from \.ros/known_hosts'
check_re "all consistent" "$OUT" 'All tracked workers are consistent with live state\.'
check_eq "the long run is pending again, attempt 1" "$(jq_py queues/run_queue.json "[(r['status'], r['attempt']) for r in d if r['id'] == '$LONG'][0]")" "('pending', 1)"
check_fail "old endpoint of va forgotten" ssh-keygen -F "[127.0.0.2]:$PA" -f .ros/known_hosts
check_fail "old endpoint of vb forgotten" ssh-keygen -F "[127.0.0.3]:$PB" -f .ros/known_hosts

check "dispatch reaches the moved workers" "$ROS" dispatch-runs
check_re "va" "$OUT" '→ va  pid='
check_re "vb, now on 127.0.0.4" "$OUT" '→ vb  pid='
check "and everything finishes" drive 40
set -- $MORNING
check_eq "the morning runs ran on the moved sshds" "$( (where "$1"; where "$2") | sort | tr '\n' ' ')" "a c "
check_re "the requeued run finished on a live worker" "$(jq_py queues/run_queue.json "[open(r['log_path']).read() for r in d if r['id'] == '$LONG'][0]")" \
	'worker=.*/sshd/[ac] attempt=1
finished'
check "the next reconcile" "$ROS" vastai-reconcile
check_re "consistent, vg no longer tracked" "$OUT" 'Tracked workers: 2
(.|
)*All tracked workers are consistent with live state\.$'

# --- vast-hunt --rent: the rented instance is an sshd; dispatch uses it ---
sshd_start r 127.0.0.6 0
check "the boot pool" fakevast_ctl patch "{\"scenario\":{\"ssh_pool\":[{\"ssh_host\":\"127.0.0.6\",\"ssh_port\":$SSHD_r_PORT,\"public_ipaddr\":\"127.0.0.6\",\"direct_port\":$SSHD_r_PORT}]}}"
sshd_workspace "$T/ws-rented"
# Vast.ai instances log in as root; the test's sshd workers run as rostest.
cat >"$T/ssh-as-rostest" <<EOF
#!/bin/sh
n=\$#
i=0
prev=
for a in "\$@"; do
	i=\$((i + 1))
	[ "\$prev" = -l ] && [ "\$a" = root ] && a=$SSHD_USER
	set -- "\$@" "\$a"
	prev=\$a
done
shift \$n
exec /usr/bin/ssh "\$@"
EOF
chmod +x "$T/ssh-as-rostest"
check "rent" "$ROS" vast-hunt --max-dph 0.10 --rent --yes --image pytorch/pytorch:latest --key "$SSHD_KEY" --workspace "$T/ws-rented" --pool rented
check_re "rented and registered" "$OUT" "Registered worker (vastai_auto_[0-9_]+) \\(ssh 127\\.0\\.0\\.6:$SSHD_r_PORT, pool rented\\)"
RW=$(printf '%s\n' "$OUT" | sed -n 's/^Registered worker \([^ ]*\) .*/\1/p')
check "a run for the rented pool" "$ROS" add-run --project-id p --worker-pool rented --command 'echo "worker=$ROS_TEST_WORKER"; nvidia-smi >/dev/null 2>&1 || echo "no GPU here"'
RR=$OUT
check "dispatch to the rented worker" env ROS_SSH="$T/ssh-as-rostest" "$ROS" dispatch-runs
check_re "went there" "$OUT" "dispatched $RR → $RW  pid=[0-9]+"
export ROS_SSH="$T/ssh-as-rostest"
check "it finishes" drive 20
unset ROS_SSH
check_eq "ran on the rented sshd" "$(where "$RR")" r
check_eq "done" "$(jq_py queues/run_queue.json "[r['status'] for r in d if r['id'] == '$RR'][0]")" done
check "reconcile knows the rental" "$ROS" vastai-reconcile
check_re "tracked, consistent" "$OUT" "\\[✓\\] $RW  inst=40000001  running   127\\.0\\.0\\.6:$SSHD_r_PORT"
done_testing
