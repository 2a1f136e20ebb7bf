#!/bin/sh
# The store layer under concurrency, crashes and bad input.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml

# 100 concurrent writers, one entry each
i=0
while [ $i -lt 100 ]; do
	"$ROS" add-idea --project-id p --title "idea $i" >/dev/null 2>>"$T/stderr" &
	i=$((i + 1))
done
wait
check_eq "nothing on stderr from 100 concurrent writers" "$(cat "$T/stderr")" ""
check_eq "exactly 100 entries" "$(jq_py queues/idea_queue.json 'len(d)')" 100
check_eq "100 unique ids" "$(jq_py queues/idea_queue.json 'len(set(e["id"] for e in d))')" 100
check_eq "100 distinct titles" "$(jq_py queues/idea_queue.json 'len(set(e["title"] for e in d))')" 100
check_eq "no temp files left" "$(ls -A queues | grep -c '^\.')" 0

# kill -9 at random instants: the file always parses and holds old or new content
"$PY" -c 'import json; json.dump([{"id": "r%07x" % i, "project_id": "p", "status": "done", "command": "x" * 500} for i in range(3000)], open("queues/run_queue.json", "w"), indent=2)'
bad=0 n=0 good_old=0 good_new=0
# The write hook spreads the 1.7 MB write over ~30 ms so kills land before,
# during and after it.
delays=$("$PY" -c 'import random; print(" ".join("%.3f" % (random.random() * 0.045) for _ in range(40)))')
i=0
for d in $delays; do
	before=$(jq_py queues/run_queue.json 'len(d)')
	ROS_TEST_WRITE_DELAY_US=1000 "$ROS" add-run --project-id p --command "echo $i" >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	after=$(jq_py queues/run_queue.json 'len(d)' 2>/dev/null || echo broken)
	if [ "$after" = "$before" ]; then good_old=$((good_old + 1))
	elif [ "$after" = $((before + 1)) ]; then good_new=$((good_new + 1))
	else bad=$((bad + 1)); echo "# after kill: before=$before after=$after"; fi
	i=$((i + 1))
done
check_eq "40 runs of the loop" "$i" 40
check_eq "40 kill -9s: the queue always parses with the old or new content" "$bad" 0
echo "# killed before the rename: $good_old, after: $good_new"
check "some kills landed before the rename" test "$good_old" -gt 3

# The temp files kill -9 left are removed by the next write once they are a
# minute old; a fresh one (a writer may be at work), other files' temp
# files and other names stay.
echo "# temp files left by the kill -9s: $(ls -A queues | grep -c '^\.run_queue\.json\.')"
old=$(( $(date +%s) - 120 ))
for f in queues/.run_queue.json.*; do [ -e "$f" ] && touch -d "@$old" "$f"; done
for f in .run_queue.json.Ab12Cd .run_queue.json.zZ9xY0 .idea_queue.json.Ab12Cd .run_queue.json.bak \
	.run_queue.json.Ab12Cd7 run_queue.json.Ab12Cd .run_queue.jsonXAb12Cd; do
	echo junk > "queues/$f"
	touch -d "@$old" "queues/$f"
done
mkdir queues/.run_queue.json.Dir123 && touch -d "@$old" queues/.run_queue.json.Dir123
echo junk > queues/.run_queue.json.Fresh1
check "a write after the kills" "$ROS" add-run --project-id p --command "after kills"
check_eq "stale temp files of run_queue.json are gone, the rest stays" \
	"$(ls -A queues | grep -v -x -e idea_queue.json -e run_queue.json -e benchmark_queue.json -e publication_queue.json | sort | tr '\n' ' ')" \
	".idea_queue.json.Ab12Cd .run_queue.json.Ab12Cd7 .run_queue.json.Dir123 .run_queue.json.Fresh1 .run_queue.json.bak .run_queue.jsonXAb12Cd run_queue.json.Ab12Cd "
rm -rf queues/.run_queue.json.* queues/.idea_queue.json.* queues/run_queue.json.* queues/.run_queue.jsonX*

# bad input never overwrites the file
bad_file() {
	desc=$1; content=$2
	printf '%s' "$content" > queues/run_queue.json
	sum=$(md5sum < queues/run_queue.json)
	check_fail "$desc: add-run fails" "$ROS" add-run --project-id p --command x
	check_match "$desc: error names the file" "$ERR" "run_queue.json:[0-9]+:[0-9]+: "
	check_eq "$desc: file unchanged" "$(md5sum < queues/run_queue.json)" "$sum"
	check_fail "$desc: status reports it" "$ROS" status
}
bad_file "malformed JSON" '[{"id": "r1",, }]'
bad_file "truncated" '[{"id": "r1", "status": "do'
bad_file "object, not array" '{"runs": []}'
bad_file "invalid UTF-8" "$(printf '[{"id": "r1", "command": "\377\376"}]')"
bad_file "empty file" ''
# a key twice, also spelt with an escape: ros would act on one value and
# the entry's object hold the other
bad_file "duplicate key" '[{"id": "r1", "status": "pending", "status": "running"}]'
check_match "duplicate key: the error names both" "$ERR" \
	'run_queue.json:1:36: duplicate key "status" \(also at line 1\)'
bad_file "escaped duplicate key" "$(printf '[\n  {"id": "r1",\n   "status": "pending",\n   "st\\u0061tus": "running"}\n]\n')"
check_match "escaped duplicate key: the error names both" "$ERR" \
	'run_queue.json:4:4: duplicate key "status" \(also at line 3\)'
for c in dispatch-runs check-runs; do
	check_fail "escaped duplicate key: $c fails" "$ROS" $c
	check_match "escaped duplicate key: $c says why" "$ERR" 'run_queue.json:4:4: duplicate key "status"'
	check_eq "escaped duplicate key: $c leaves the file" "$(md5sum < queues/run_queue.json)" "$sum"
done
bad_file "duplicate key in a nested object" '[{"id": "r1", "params": {"lr": 1, "lr": 2}}]'
"$PY" -c 'open("queues/run_queue.json","w").write("[{\"id\": \"r1\", \"command\": \"" + "x" * 20000000 + "\"}, oops]")'
sum=$(md5sum < queues/run_queue.json)
check_fail "huge string then junk: fails" "$ROS" add-run --project-id p --command x
check_match "huge string: error says where" "$ERR" "run_queue.json:1:[0-9]+: invalid value"
check_eq "huge string: file unchanged" "$(md5sum < queues/run_queue.json)" "$sum"
done_testing
