#!/bin/sh
# vastai-blacklist add | remove | list, and vastai-watcher blacklist:
# vastai/blacklist.yaml edited in place (users' comments stay), the date and
# reason kept, a broken file never overwritten; vast-hunt hides the machine.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/match.sh"

new_root
B=vastai/blacklist.yaml
today=$(date -u +%Y-%m-%d)

check "list with no file" "$ROS" vastai-blacklist list
check_eq "says none" "$OUT" "No machine is blacklisted (vastai/blacklist.yaml)."
check "the watcher's view" "$ROS" vastai-watcher blacklist
check_eq "the same" "$OUT" "No machine is blacklisted (vastai/blacklist.yaml)."
check "add" "$ROS" vastai-blacklist add 48211 --reason "rented twice, never booted"
check_eq "says so" "$OUT" "Blacklisted machine 48211 (rented twice, never booted)"
check_eq "a new file, documented" "$(cat $B)" "# Machines that vast-hunt and vastai-watcher never show nor rent.
# Edit by hand or with \`ros vastai-blacklist add|remove\`; comments stay.
blacklist:
  - machine_id: 48211
    reason: rented twice, never booted
    date: $today"
check "add without a reason" "$ROS" vastai-blacklist add 50277
check_eq "no reason line" "$(tail -n 2 $B)" "  - machine_id: 50277
    date: $today"
check "add it again" "$ROS" vastai-blacklist add 48211 --reason other
check_eq "already there, nothing written" "$OUT" "Machine 48211 is already blacklisted (since $today: rented twice, never booted)"
check_eq "two entries" "$(grep -c machine_id $B)" 2
check "list" "$ROS" vastai-blacklist list
check_eq "a table" "$OUT" "MACHINE  SINCE       REASON
48211    $today  rented twice, never booted
50277    $today  -"
check "list --json" "$ROS" vastai-blacklist list --json
check_eq "json" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print([(e["machine_id"], e["reason"], e["line"]) for e in json.load(sys.stdin)])')" \
	"[(48211, 'rented twice, never booted', 4), (50277, None, 7)]"
check "vastai-watcher blacklist --json" "$ROS" vastai-watcher blacklist --json
check_eq "the same entries" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print([e["machine_id"] for e in json.load(sys.stdin)])')" "[48211, 50277]"

# --- a hand-written file: comments, quoting and a bare id stay ---
cat >$B <<'EOF'
# banned hosts -- keep this comment
blacklist:
  # the first one
  - machine_id: 111
    reason: "ghost"   # never answered
    date: 2026-05-01

  - 222                # bare id

  - machine_id: 333
    reason: 'slow disk'
    date: 2026-05-02
# trailing comment
EOF
cp $B "$T/hand"
check "add to it" "$ROS" vastai-blacklist add 444 --reason 'reason: with "quotes" # and a hash'
check_eq "appended after the last item, the rest byte for byte" "$(diff "$T/hand" $B)" "12a13,16
> 
>   - machine_id: 444
>     reason: \"reason: with \\\"quotes\\\" # and a hash\"
>     date: $today"
check "list reads the bare id too" "$ROS" vastai-blacklist list --json
check_eq "all four, reason decoded" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; print([(e["machine_id"], e["reason"]) for e in json.load(sys.stdin)])')" \
	"[(111, 'ghost'), (222, None), (333, 'slow disk'), (444, 'reason: with \"quotes\" # and a hash')]"
check "remove the bare one" "$ROS" vastai-blacklist remove 222
check_eq "says so" "$OUT" "Removed machine 222 from the blacklist"
check "remove the first one" "$ROS" vastai-blacklist remove 111
check_eq "only their lines went, with the blank line that set them apart" "$(cat $B)" "# banned hosts -- keep this comment
blacklist:
  # the first one
  - machine_id: 333
    reason: 'slow disk'
    date: 2026-05-02

  - machine_id: 444
    reason: \"reason: with \\\"quotes\\\" # and a hash\"
    date: $today
# trailing comment"
check_exit 1 "remove one that is not there" "$ROS" vastai-blacklist remove 999
check_eq "says so" "$ERR" "ros: machine 999 is not blacklisted"
check "remove the rest" sh -c "'$ROS' vastai-blacklist remove 333 && '$ROS' vastai-blacklist remove 444"
check_eq "an empty list, comments kept" "$(cat $B)" "# banned hosts -- keep this comment
blacklist:
  # the first one
# trailing comment"
check "list" "$ROS" vastai-blacklist list
check_eq "none" "$OUT" "No machine is blacklisted (vastai/blacklist.yaml)."
check "add again" "$ROS" vastai-blacklist add 555
check_re "a list again" "$(cat $B)" "^blacklist:
  - machine_id: 555
    date: $today
  # the first one"

# --- a bare list at the top ---
printf -- '- 1\n- machine_id: 2\n' >$B
check "add to a bare list" "$ROS" vastai-blacklist add 3 --reason x
check_eq "stays a bare list" "$(cat $B)" "- 1
- machine_id: 2
- machine_id: 3
  reason: x
  date: $today"
check "remove from it" "$ROS" vastai-blacklist remove 1
check "remove from it" "$ROS" vastai-blacklist remove 2
check "remove from it" "$ROS" vastai-blacklist remove 3
check_eq "an empty list" "$(cat $B)" "[]"

# --- a broken file is never overwritten ---
printf 'blacklist:\n  - machine_id: abc\n' >$B
cp $B "$T/broken"
check_exit 1 "add to a broken file" "$ROS" vastai-blacklist add 7
check_re "says where" "$ERR" 'vastai/blacklist\.yaml:2:17: a blacklist entry needs a numeric machine_id'
check "untouched" cmp $B "$T/broken"
check_exit 1 "remove from it" "$ROS" vastai-blacklist remove 7
check_exit 1 "list it" "$ROS" vastai-blacklist list
check "untouched" cmp $B "$T/broken"
rm $B

# --- usage ---
check_exit 2 "no subcommand" "$ROS" vastai-blacklist
check_exit 2 "not a number" "$ROS" vastai-blacklist add x123
check_re "says what it wants" "$ERR" "MACHINE_ID must be a positive number \\(Vast\\.ai's machine_id\\), not 'x123'"
check_exit 2 "zero" "$ROS" vastai-blacklist add 0
check_exit 2 "two at once" "$ROS" vastai-blacklist add 1 2
check_exit 2 "--reason with remove" "$ROS" vastai-blacklist remove 1 --reason x
check_exit 2 "unknown" "$ROS" vastai-blacklist ban 1
check "no file made by usage errors" test ! -e $B

# --- vast-hunt hides what was added ---
. "$TOP/tests/lib/fakevast.sh"
export ROS_HTTP_BACKOFF_MS=5 VAST_API_KEY=testkey
fakevast_start "$TOP/tests/fake/watcher-market.json"
check "vast-hunt" "$ROS" vast-hunt --max-dph 0.1 --json
check_eq "machine 51001 shown" "$(printf '%s' "$OUT" | fakevast_json '51001 in [o["machine_id"] for o in d["offers"]]')" true
check "ban it" "$ROS" vastai-blacklist add 51001 --reason slow
check "vast-hunt" "$ROS" vast-hunt --max-dph 0.1 --json
check_eq "hidden" "$(printf '%s' "$OUT" | fakevast_json '(51001 in [o["machine_id"] for o in d["offers"]], d["hidden"]["blacklisted"])')" "[false, 1]"
done_testing
