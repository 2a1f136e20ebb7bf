#!/bin/sh
# ros runs (table, filters, --json, widths, 10,000 runs) and ros show (the
# entry, its worker, its record on the worker in one connection; escaped).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/sshd.sh"
. "$TOP/tests/lib/match.sh"
sshd_setup_user
new_root
mkdir -p research/p1 research/p2 && : > research/p1/project.yaml && : > research/p2/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=2
sshd_start a 127.0.0.6 0
sshd_worker_yaml a wa pa 2 "$T/ws-a" >> workers/workers.yaml
# edit a run's entry with python (times, statuses)
edit() { "$PY" - "$@" <<'EOF2'
import json, sys
p = "queues/run_queue.json"
d = json.load(open(p))
for r in d:
    if r["id"] == sys.argv[1]:
        exec(sys.argv[2])
json.dump(d, open(p, "w"), indent=2)
open(p, "a").write("\n")
EOF2
}

# bytes TEXT ERE: how many bytes of TEXT are one of these (hex)
bytes() { printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | grep -cxE "$2"; }

# ---- ros runs ----
check_exit 0 "no runs yet" "$ROS" runs
check_eq "prints no table" "$OUT" ""
check "a sweep of p1 with metrics" "$ROS" add-run --project-id p1 --worker-pool local \
	--command 'echo seed={s} mae=0.{s}5 mse=0.{s}1' --sweep s=1,2 --target-metric mse
check "a p2 run without a target metric" "$ROS" add-run --project-id p2 --worker-pool local --command 'echo acc=0.75 loss=2'
m2=$OUT
check "a p2 run that fails" "$ROS" add-run --project-id p2 --worker-pool local --command 'exit 4'
f2=$OUT
drive 20 || echo "not ok - the runs did not finish"
check "a pending run with a long command" "$ROS" add-run --project-id p1 --worker-pool nowhere \
	--command "python train.py $(printf -- '--flag%d 1 ' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20) --last"
long=$OUT
check "ros runs" env COLUMNS=80 "$ROS" runs
check_eq "a header and five rows" "$(printf '%s\n' "$OUT" | wc -l)" 6
check_match "the header" "$(printf '%s\n' "$OUT" | head -1)" '^ID +STATUS +WORKER +ATT +AGE +METRIC +COMMAND$'
check_match "the target metric of a p1 run" "$OUT" "done +local +0 +[0-9]+s +mse=0\.11 +echo seed=1 "
check_match "the first metric of a run without a target" "$OUT" "$m2 +done +local +0 +[0-9]+s +acc=0\.75 "
check_match "the failed run, no metric" "$OUT" "$f2 +failed +local +0 +[0-9]+s +exit 4$"
check_match "a pending run has no worker" "$OUT" "$long +pending +- +0 +[0-9]+s +python train"
check_eq "every line fits in 80 columns" "$(printf '%s\n' "$OUT" | "$PY" -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))')" 80
check_match "the long command is cut with …" "$(printf '%s\n' "$OUT" | grep "$long")" '…$'
check "COLUMNS=200" env COLUMNS=200 "$ROS" runs --project p1 --status pending
check_match "more of it" "$OUT" "--flag8 1 .*…$"
check "-w" env COLUMNS=80 "$ROS" runs -w --project p1 --status pending
check_match "all of it" "$OUT" "--flag20 1 +--last$"
# the columns line up: left-aligned ones start, right-aligned ones end, where their header does
check "ros runs again" "$ROS" runs
check_eq "aligned" "$(printf '%s\n' "$OUT" | "$PY" -c '
import sys
l = sys.stdin.read().splitlines()
h = l[0]
ok = []
for w in ("STATUS", "WORKER", "METRIC", "COMMAND"):
    c = h.index(w)
    ok.append(all(x[c - 2:c] == "  " and (x[c] != " " or w == "METRIC") for x in l))
for w in ("ATT", "AGE"):
    e = h.index(w) + len(w)
    ok.append(all(x[e - 1] != " " and x[e:e + 2] == "  " for x in l))
print(ok)')" "[True, True, True, True, True, True]"

# filters combine; comma lists; repeated
check "--status done --project p1" "$ROS" runs --status done --project p1
check_eq "the two p1 runs done" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 2
check "--status done,failed --project p2" "$ROS" runs --status done,failed --project p2
check_eq "p2's two" "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}' | sort | tr '\n' ' ')" "$(printf '%s\n' "$m2" "$f2" | sort | tr '\n' ' ')"
check "--status failed --status pending" "$ROS" runs --status failed --status pending
check_eq "repeated: both" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 2
check "--worker local --status pending" "$ROS" runs --worker local --status pending
check_eq "nothing: the pending run has no worker" "$OUT" ""
check_exit 2 "-n 0" "$ROS" runs -n 0
check "-n 1" "$ROS" runs -n 1
check_match "the newest" "$(printf '%s\n' "$OUT" | tail -n +2)" "^$long "
check_exit 2 "a status that no run has and ros does not know" "$ROS" runs --status runing
check_match "says so" "$ERR" "no run is 'runing'"
edit "$f2" "r['status'] = 'blocked'"
check "a status of another tool that the queue has" "$ROS" runs --status blocked
check_match "is fine" "$OUT" "$f2 +blocked"
edit "$f2" "r['status'] = 'failed'"

# age: since the entry last changed
edit "$m2" "r['updated_at'] = '$(date -u -d '-3 hours -5 minutes' +%Y-%m-%dT%H:%M:%SZ)'"
edit "$f2" "r['updated_at'] = '$(date -u -d '-4 days' +%Y-%m-%dT%H:%M:%SZ)'"
edit "$long" "r['updated_at'] = '$(date -u -d '-7 minutes' +%Y-%m-%dT%H:%M:%SZ)'"
check "runs after the edits" "$ROS" runs
check_match "3h" "$OUT" "$m2 +done +local +0 +3h "
check_match "4d" "$OUT" "$f2 +failed +local +0 +4d "
check_match "7m" "$OUT" "$long +pending +- +0 +7m "

# --json: the same rows
check "--json" "$ROS" runs --json
check_eq "the same fields" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin)[0]))')" \
	"['age_seconds', 'attempt', 'command', 'id', 'metric', 'project_id', 'since', 'status', 'value', 'worker_id']"
s1=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['command'].startswith('echo seed=1 ')][0]")
s2=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['command'].startswith('echo seed=2 ')][0]")
check_eq "the same runs and values" "$(printf '%s' "$OUT" | "$PY" -c '
import json,sys
for r in json.load(sys.stdin):
    print(r["id"], r["status"], r["worker_id"], r["metric"], r["value"], r["age_seconds"] // 3600)')" \
	"$(printf '%s\n' "$s1 done local mse 0.11 0" "$s2 done local mse 0.21 0" "$m2 done local acc 0.75 3" \
		"$f2 failed local None None 96" "$long pending None None None 0")"
check_eq "the command in full" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print([r["command"] for r in json.load(sys.stdin)][-1][-6:])')" "--last"

# ---- ros show ----
sweep1=$s1
check "show a finished local run" "$ROS" show "$sweep1"
check_match "its id and project" "$OUT" "^run $sweep1  \(project p1\)"
check_match "status" "$OUT" "  status +done"
check_match "times, with their age" "$OUT" "  ended_at +[0-9T:-]+Z \([0-9]+s ago\)"
check_match "command" "$OUT" "  command +echo seed=1 mae=0\.15 mse=0\.11"
check_match "params" "$OUT" "  params +s=1"
check_match "metrics" "$OUT" "  metrics +(seed=1(\.0)? )?mae=0\.15 mse=0\.11"
check_match "claim" "$OUT" "  claim +[0-9a-f]{16} by "
check_match "its worker" "$OUT" "worker local \(local: this machine\)"
check_match "the state the probe sees" "$OUT" "  state +exited  pid [0-9]+  exit_code 0"
check_match "the run directory's files" "$OUT" "  files +.*run\.json \([0-9]+ B\).*stdout\.log \([0-9]+ B\)"
check_match "run.json against the entry" "$OUT" "  run\.json +the entry as dispatched, where it differs from now:"
check_match "  status then" "$OUT" '    status +"dispatching"'
check_re "the log" "$OUT" "stdout\.log, last lines:
    seed=1 mae=0\.15 mse=0\.11"
sum=$(md5sum < queues/run_queue.json)
check "show --json" "$ROS" show "$sweep1" --json
check_eq "run, worker, remote" "$(printf '%s' "$OUT" | "$PY" -c '
import json,sys
d=json.load(sys.stdin); r=d["remote"]
print(sorted(d), d["run"]["id"], d["worker"]["kind"], r["answered"], r["state"], r["exit_code"], r["run_json"]["status"], r["log"].strip(), "run.json" in [f["name"] for f in r["files"]])')" \
	"['remote', 'run', 'worker'] $sweep1 local True exited 0 dispatching seed=1 mae=0.15 mse=0.11 True"
check_eq "show writes nothing" "$(md5sum < queues/run_queue.json)" "$sum"
mv "workspace/runs/logs/p1/$s2" "$T/s2-dir"
check "show a run whose directory is gone" "$ROS" show "$s2"
check_match "the probe finds nothing" "$OUT" "  state +notstarted"
check_match "no run directory" "$OUT" "  files +\(no run directory\)"
mv "$T/s2-dir" "workspace/runs/logs/p1/$s2"

# what the worker sends is escaped: the log, and a file name
check "a run whose log drives the terminal" "$ROS" add-run --project-id p2 --worker-pool local \
	--command 'printf "\033[2Jclear\r\033]0;title\007\nok \302\233x\n"; : > "$ROS_RUN_DIR/$(printf "\033[31mred")"'
esc=$OUT
drive 20 "$long" || echo "not ok - the escape run did not finish"
check "show it" "$ROS" show "$esc"
check_eq "no ESC, BEL or C1 reaches the terminal" "$(bytes "$OUT" '1b|07|9b')" 0
check_match "the log's last state of its line, escaped" "$OUT" '\\x1b\]0;title\\x07'
check_match "a C1 control escaped" "$OUT" 'ok \\xc2\\x9bx'
check_match "the file name escaped" "$OUT" '\\x1b\[31mred \(0 B\)'
check "show --json" "$ROS" show "$esc" --json
check_eq "JSON has the text, as JSON escapes" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)["remote"]; print(repr(r["log"].split("\n")[1]), "\x1b[31mred" in [f["name"] for f in r["files"]])')" "'ok \\x9bx' True"
check_eq "and no raw control byte" "$(bytes "$OUT" '1b|07|9b')" 0

# a run directory with many files: the first 200 are listed
check "a run that leaves 250 files" "$ROS" add-run --project-id p2 --worker-pool local \
	--command 'i=0; while [ $i -lt 250 ]; do : > "$ROS_RUN_DIR/f$i"; i=$((i + 1)); done'
many=$OUT
drive 20 "$long" || echo "not ok - the run did not finish"
total=$(ls -A "workspace/runs/logs/p2/$many" | wc -l)
check "show --json" "$ROS" show "$many" --json
check_eq "200 listed, the others counted" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)["remote"]; print(len(r["files"]), r["files_not_listed"])')" "200 $((total - 200))"
check "show" "$ROS" show "$many"
check_match "says how many more" "$OUT" "  and $((total - 200)) more"

# a running run on an ssh worker: one connection
check "a long run on wa" "$ROS" add-run --project-id p1 --worker-pool pa --command 'echo working; sleep 60'
run=$OUT
check "dispatch" "$ROS" dispatch-runs --worker-pool pa
wait_for 10 grep -q working "$T/ws-a/runs/logs/p1/$run/stdout.log"
count_ssh_procs_start
check "show the running run" "$ROS" show "$run"
count_ssh_procs_stop
check_eq "one connection" "$(ssh_count)" 1
check_match "its worker, where" "$OUT" "worker wa \(ssh: rostest@127\.0\.0\.6:[0-9]+\)"
check_match "running, with its pid" "$OUT" "  state +running  pid [0-9]+"
check_match "the log" "$OUT" "    working"
sshd_stop a
check_exit 1 "the worker does not answer: exit 1" "$ROS" show "$run"
check_match "the entry is still shown" "$OUT" "  status +running"
check_match "with a note" "$OUT" "the worker did not answer: "
check_exit 1 "--json too" "$ROS" show "$run" --json
check_eq "answered false, the entry there" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["remote"]["answered"], d["run"]["status"])')" "False running"
sshd_restart a "$(cat "$T/sshd/a/port")"
check "cancel it" "$ROS" cancel "$run" --grace 1

# runs without a worker to ask
check "show a pending run" "$ROS" show "$long"
check_match "no worker" "$OUT" "^worker: none"
check "disable local" "$ROS" disable-worker local
check "show a run of a disabled worker" "$ROS" show "$sweep1"
check_match "not asked" "$OUT" "not asked: the worker is disabled"
check "enable local" "$ROS" enable-worker local
edit "$sweep1" "r['worker_id'] = 'gone'"
check "show a run of a worker that is not in the registry" "$ROS" show "$sweep1"
check_match "says so" "$OUT" "worker gone: the worker is not in workers.yaml; not asked"
check_exit 1 "an unknown run" "$ROS" show r0000000
check_match "says so" "$ERR" "no run 'r0000000'"
check_exit 2 "no run" "$ROS" show

# a run on a Slurm worker (this machine its login node): the probe asks Slurm
. "$TOP/tests/lib/slurm.sh"
if why=$(slurm_unavailable); then
	skip "Slurm: $why"
else
	slurm_up
	cat >> workers/workers.yaml <<YAML
  - worker_id: hpc
    kind: slurm
    enabled: true
    worker_pool: hpc
    workspace: $T/shared/ws
    slurm:
      partition: debug
      cpus_per_task: 1
      conf: $SLURM_CONF
YAML
	DRIVE_ENV="-u SLURM_CONF"
	check "a run for Slurm" "$ROS" add-run --project-id p1 --worker-pool hpc --command 'echo on slurm'
	srun=$OUT
	drive 60 "$long" || echo "not ok - the Slurm run did not finish"
	check "show it" env -u SLURM_CONF "$ROS" show "$srun"
	check_match "the worker" "$OUT" "worker hpc \(slurm: slurm on this machine\)"
	check_match "the job as Slurm and the wrapper saw it" "$OUT" "  state +exited  slurm_job_id [0-9]+  slurm_state COMPLETED  exit_code 0"
	check_match "its log" "$OUT" "    on slurm"
	slurm_down
fi

# ---- 10,000 runs ----
"$PY" "$TOP/bench/gen-queue" 10000 queues/run_queue.json
want=$(jq_py queues/run_queue.json "len([r for r in d if r['status'] in ('failed', 'stale')])")
check "runs --status failed,stale on 10,000 runs" "$ROS" runs --status failed,stale
check_eq "every one of them" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" "$want"
check "a writer writes the queue's index" "$ROS" add-run --project-id p1 --worker-pool nowhere --command 'echo one more'
check "it is there" test -s .ros/index/run_queue.json.idx
check "again, from the index" "$ROS" runs --status failed,stale
check_eq "the same" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" "$want"
check "the new run, from the index, parsed alone" "$ROS" runs --status pending --project p1 -n 1
check_match "is found" "$OUT" "pending +- +0 +[0-9]+s +echo one more$"
check "runs --json on 10,000 runs" "$ROS" runs --json
check_eq "10,001 rows" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 10001

done_testing
