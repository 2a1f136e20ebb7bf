#!/bin/sh
# remove-worker: the entry's lines go, every other byte of workers.yaml
# stays; refused while the worker has runs in flight, unless --force.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
"$ROS" init-project --title p --idea x --target y >/dev/null
W=workers/workers.yaml
# a registry with comments, a folded note, inline comments and blank lines
part1='# Workers of the lab.
#   edit by hand or with ros
workers:
  - worker_id: local
    kind: local
    enabled: true
    worker_pool: local
    workspace: workspace          # relative to the root
    slots: 2
'
gone='
  - worker_id: box2
    kind: local
    enabled: true
    worker_pool: two
    workspace: ws2
    resources:
      gpu: 2          # two old cards
    notes: >-
      bought in 2021,
      fans loud.
'
part3='
  # the next one is the fast one
  - worker_id: box3
    kind: local
    enabled: true
    worker_pool: three
    workspace: ws3
    notes: "fast"
# end of the list
'
printf '%s%s%s' "$part1" "$gone" "$part3" > $W
printf '%s%s' "$part1" "$part3" > "$T/want"

check_exit 2 "no worker named" "$ROS" remove-worker
check_exit 1 "an unknown worker" "$ROS" remove-worker nope
check_match "says so" "$ERR" "no worker 'nope' in "
check "remove box2" "$ROS" remove-worker box2
check_match "says what it did" "$OUT" "^removed worker box2$"
check "only its lines went: the rest byte for byte" cmp "$T/want" $W
check "the registry still reads" "$ROS" validate
check "remove box3, the last one" "$ROS" remove-worker box3
check_eq "the comment before it stays, and the one after" "$(tail -n 4 $W)" "    slots: 2

  # the next one is the fast one
# end of the list"
check "the first" "$ROS" remove-worker local
check_match "an empty list" "$(grep -v '^#' $W | grep -v '^ *#' | tr -d ' \n')" '^workers:$'
check "and validate takes it" "$ROS" validate

# refused while the worker has runs in flight
printf '%s%s%s' "$part1" "$gone" "$part3" > $W
check "a long run on box2" "$ROS" add-run --project-id p --worker-pool two --command 'echo on; sleep 60'
run=$OUT
check "and one dispatching" "$ROS" add-run --project-id p --worker-pool two --command 'echo two'
run2=$OUT
check "and one box3 ran while nobody checked" "$ROS" add-run --project-id p --worker-pool three --command 'echo three'
run3=$OUT
check "dispatch" "$ROS" dispatch-runs --worker-pool two --max 1
wait_for 10 grep -q on ws2/runs/logs/p/$run/stdout.log
"$PY" - "$run2" "$run3" <<'EOF2'
import json, sys
p = "queues/run_queue.json"
d = json.load(open(p))
for r in d:
    if r["id"] == sys.argv[1]:
        r["status"] = "dispatching"
        r["worker_id"] = "box2"
    if r["id"] == sys.argv[2]:
        r["status"] = "done"
        r["worker_id"] = "box3"
json.dump(d, open(p, "w"), indent=2)
open(p, "a").write("\n")
EOF2
sum=$(md5sum < $W)
check_exit 1 "remove-worker box2 while it runs" "$ROS" remove-worker box2
check_match "names the runs" "$ERR" "worker box2 has 2 runs in flight: $run \(running\), $run2 \(dispatching\)"
check_match "and the ways out" "$ERR" "--force"
check_eq "the file is unchanged" "$(md5sum < $W)" "$sum"
check_exit 1 "with another worker: that one goes, box2 stays" "$ROS" remove-worker box3 box2
check_match "box3 removed" "$OUT" "^removed worker box3$"
check_match "a warning about its run without metrics" "$ERR" "1 finished run of box3 has no metrics yet: ros results fetches them only from a worker in workers.yaml"
check_match "box2 still there" "$(cat $W)" "worker_id: box2"
check "--force" "$ROS" remove-worker box2 --force
check_match "removed, and what becomes of its runs" "$OUT" "removed worker box2; its 2 runs in flight become stale at the next check-runs: $run \(running\), $run2 \(dispatching\)"
check_nomatch "gone from the file" "$(cat $W)" "box2"
check "check-runs" "$ROS" check-runs
check_eq "the running run is stale" "$(field "$run" status)" stale
check_eq "why" "$(field "$run" stale_reason)" "worker no longer in the registry"
pid=$(field "$run" pid)
kill -TERM -"$pid" 2>/dev/null

# two entries with one id: both go
printf '%s%s%s' "$part1" "$gone" "$gone" > $W
check "a duplicated worker" "$ROS" remove-worker box2
printf '%s' "$part1" > "$T/want1"
check "both entries went" cmp "$T/want1" $W

# the compat root's style: nested blocks, folded notes, comments after values,
# duplicate keys in its first entry (its line 101 repaired: \| is no YAML escape)
C="$TOP/../shared/compat/research-os-root/workers/workers.yaml"
if [ -f "$C" ]; then
	sed 's/run_experiments\\|nohup/run_experiments\\\\|nohup/' "$C" > $W
	cp $W "$T/before"
	first=$(grep -n 'worker_id: vastai_worker_3' $W | cut -d: -f1)
	last=$(grep -n 'venv: /root/nbeatsx_venv (do not touch' $W | cut -d: -f1)
	head -n $((first - 2)) "$T/before" > "$T/a"
	tail -n +$((last + 1)) "$T/before" > "$T/b"
	check "compat: remove vastai_worker_3" "$ROS" remove-worker vastai_worker_3
	head -n $((first - 2)) $W > "$T/a2"
	check "compat: the lines before it unchanged" cmp "$T/a" "$T/a2"
	check_eq "compat: the lines after it start with a blank line and the next entry" "$(head -n 2 "$T/b")" "
  - worker_id: vastai_worker_4"
	cat "$T/a" "$T/b" > "$T/want2"
	check "compat: the file is the lines before it and the lines after" cmp "$T/want2" $W
	check "compat: remove local_cpu (with its duplicate keys)" "$ROS" remove-worker local_cpu
	check_eq "compat: the file starts with the next entry" "$(head -n 2 $W)" "workers:
  - worker_id: vastai_worker_2"
	check_eq "compat: PyYAML reads the rest" "$("$PY" -c 'import yaml,sys; print([w["worker_id"] for w in yaml.safe_load(open(sys.argv[1]))["workers"]])' $W 2>&1)" \
		"['vastai_worker_2', 'vastai_worker_4']"
else
	skip "compat: no $C"
fi

done_testing
