#!/bin/sh
# Changing one run of the compat root's run_queue.json (251 runs) rewrites
# only that entry's lines: `git diff` shows nothing else.
. "$(dirname "$0")/../lib/testlib.sh"
C="$TOP/../shared/compat/research-os-root"
[ -d "$C" ] || { echo "# SKIP no compat root"; exit 0; }
cp -r "$C" "$T/compat" && chmod -R u+w "$T/compat"
cd "$T/compat" || exit 1
git init -q . && git add -A && git -c user.email=t@t -c user.name=t commit -qm base
# a failed run goes back to pending: one entry changes
id=$(jq_py queues/run_queue.json "[r['id'] for r in d if r['status']=='failed'][3]")
check "retry one failed run" "$ROS" retry "$id"
check_eq "only the run queue changed" "$(git status --porcelain | grep -v '^?? .ros/')" " M queues/run_queue.json"
first=$(grep -n "\"id\": \"$id\"" queues/run_queue.json | cut -d: -f1)
check "the entry is there" test -n "$first"
# every changed line of the diff lies inside that entry
git diff -U0 queues/run_queue.json | grep '^@@' > "$T/hunks"
# the entry's last line in the new file: the next entry's "{" is after it
last=$(awk -v f="$first" 'NR > f && /^  },?$/ { print NR; exit }' queues/run_queue.json)
check "the entry ends" test -n "$last"
outside=0
while read -r _ old new _; do
	n=${new#+}; s0=${n%%,*}; c=1
	case $n in *,*) c=${n#*,} ;; esac
	[ "$s0" -ge "$first" ] && [ $((s0 + c - 1)) -le "$last" ] || outside=$((outside + 1))
done < "$T/hunks"
check_eq "every changed line lies inside that entry ($first-$last)" "$outside" 0
check_match "git diff --stat: one file, only that entry's lines" "$(git diff --stat)" '1 file changed, [0-9]+ insertions?\(\+\), [0-9]+ deletions?\(-\)'
check_eq "still 251 runs, valid JSON" "$(jq_py queues/run_queue.json 'len(d)')" 251
check_eq "the entry is pending on attempt 1 with its history" \
	"$(jq_py queues/run_queue.json "[(r['status'], r['attempt'], r['attempts'][0]['status']) for r in d if r['id']=='$id'][0]")" \
	"('pending', 1, 'failed')"
check_eq "other entries byte for byte" "$(git diff queues/run_queue.json | grep '^[-+] ' | grep -v "$id" | grep -cv '^[-+]    ')" 0
done_testing
