#!/bin/sh
# Control bytes from run logs and workers never reach the terminal: check-runs
# and logs print them escaped (\xHH), logs --raw passes the bytes through.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml
export ROS_SSH_CONNECT_TIMEOUT=3
check "a local worker" "$ROS" add-worker --worker-id loc --kind local --pool test --slots 2 --workspace "$T/ws"

# no_controls FILE: FILE holds nothing a terminal acts on (C0 but \n and \t,
# DEL, C1 raw or in UTF-8) and is valid UTF-8
no_controls() {
	"$PY" -c 'import re, sys
d = open(sys.argv[1], "rb").read()
t = d.decode("utf-8")
sys.exit(1 if re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", t) else 0)' "$1"
}

# the log: OSC 52 (clipboard), CSI 2J (clear), a bare CR, C1 raw and in
# UTF-8, DEL and BEL, and UTF-8 text with a tab
cat > "$T/lines" <<'CMD'
printf 'osc52 \033]52;c;aGVsbG8=\007 clear \033[2J end\n'
printf 'cr before\rafter\n'
printf 'c1 raw \233 utf8 \302\233 end\n'
printf 'utf8 \303\274 \360\237\230\200\ttab del \177 bell \007 end\n'
CMD
# the run prints them, then waits for $T/go (check-runs sees it running, then done)
{ cat "$T/lines"; printf 'while [ ! -e %s/go ]; do sleep 0.05; done\n' "$T"; } > "$T/cmd"
check "a run with a hostile log" "$ROS" add-run --project-id p --worker-pool test --command "$(cat "$T/cmd")"
id=$OUT
check "dispatch it" "$ROS" dispatch-runs
lp=$(field "$id" log_path)
(cd "$T" && sh "$T/lines") > "$T/want.raw"
check "it printed its lines" wait_for 10 cmp "$lp" "$T/want.raw"

# --- check-runs: a running run's last line, then a finished run's tail ---
"$ROS" check-runs > "$T/check.out" 2>"$T/check.err"
check_eq "check-runs exits 0" "$?" 0
check "check-runs prints no control bytes (running)" no_controls "$T/check.out"
check_match "the last line: UTF-8 and the tab kept, DEL and BEL escaped" "$(cat "$T/check.out")" \
	"^$id: running +pid=[0-9]+ +\\| utf8 ü 😀	tab del \\\\x7f bell \\\\x07 end\$"
"$ROS" check-runs --json > "$T/check.json" 2>/dev/null
check "check-runs --json: no control bytes either" no_controls "$T/check.json"
check_eq "and the tail is all there, JSON-escaped" \
	"$("$PY" -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))[0]["tail"]))' "$T/check.json")" \
	"'osc52 \\x1b]52;c;aGVsbG8=\\x07 clear \\x1b[2J end\\ncr before\\rafter\\nc1 raw \\ufffd utf8 \\x9b end\\nutf8 \\xfc \\U0001f600\\ttab del \\x7f bell \\x07 end\\n'"
: > "$T/go"
check "the run ends" wait_for 10 test -e "$(dirname "$lp")/exit_code"
"$ROS" check-runs > "$T/check.out" 2>"$T/check.err"
check_eq "check-runs exits 0" "$?" 0
check "check-runs prints no control bytes (done)" no_controls "$T/check.out"
out=$(cat "$T/check.out")
check_match "done" "$out" "^$id: done +exit=0"
check_match "OSC 52 and CSI 2J escaped" "$out" '^    osc52 \\x1b\]52;c;aGVsbG8=\\x07 clear \\x1b\[2J end$'
check_match "a CR: the line as a terminal ends up showing it" "$out" '^    after$'
check_match "C1 escaped (the raw byte replaced on the way)" "$out" '^    c1 raw .+ utf8 \\xc2\\x9b end$'
check_match "UTF-8 and the tab kept, DEL and BEL escaped" "$out" "^    utf8 ü 😀	tab del \\\\x7f bell \\\\x07 end\$"

# --- logs ---
"$ROS" logs "$id" > "$T/logs.out" 2>"$T/logs.err"
check_eq "logs exits 0" "$?" 0
check "logs prints no control bytes" no_controls "$T/logs.out"
printf '%s\n' 'osc52 \x1b]52;c;aGVsbG8=\x07 clear \x1b[2J end' 'cr before\x0dafter' \
	'c1 raw \x9b utf8 \xc2\x9b end' 'utf8 ü 😀	tab del \x7f bell \x07 end' > "$T/want.esc"
check "logs: each control byte as \\xHH, the rest as it is" cmp "$T/logs.out" "$T/want.esc"
"$ROS" logs --raw "$id" > "$T/logs.raw" 2>/dev/null
check_eq "logs --raw exits 0" "$?" 0
check "logs --raw: byte for byte" cmp "$T/logs.raw" "$T/want.raw"
check "logs --help documents --raw" "$ROS" help logs
check_match "--raw in the help" "$OUT" '--raw'

# a long log of multibyte characters: pieces of the stream cut them anywhere
check "a run printing 400 KB of UTF-8" "$ROS" add-run --project-id p --worker-pool test \
	--command "python3 -c 'import sys; sys.stdout.write(\"a\" + \"\\u00fc\\U0001f600\\u20ac\" * 45000 + \"\\n\")'"
uid=$OUT
check "it runs" drive 20
"$ROS" logs "$uid" > "$T/u.out" 2>/dev/null
check "logs keeps every character whole" cmp "$T/u.out" "$(field "$uid" log_path)"

# --- a worker's own messages (its stderr when it fails) ---
cat > "$T/evil-ssh" <<'EOF'
#!/bin/sh
printf 'ssh: \033]52;c;cHduZWQ=\007\033[2J%s\n' "$(head -c 100000 /dev/zero | tr '\0' x)" >&2
exit 255
EOF
chmod 755 "$T/evil-ssh"
check "an ssh worker" "$ROS" add-worker --worker-id evil --host 127.0.0.1 --port 9 --pool evil
check "a run for it" "$ROS" add-run --project-id p --worker-pool evil --command 'echo hi'
ROS_SSH=$T/evil-ssh "$ROS" dispatch-runs > "$T/d.out" 2>"$T/d.err"
check_match "dispatch-runs: says why, escaped" "$(cat "$T/d.out")" 'worker evil: no answer about 1 launch \(ssh: \\x1b\]52;c;cHduZWQ=\\x07\\x1b\[2Jxxx'
check "no control bytes in its output" no_controls "$T/d.out"
check "nor in its messages" no_controls "$T/d.err"
check "the reason is cut short" test "$(wc -c < "$T/d.out")" -lt 2000
done_testing
