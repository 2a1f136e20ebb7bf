#!/bin/sh
# vast-hunt --rent spends money: on a terminal it asks before renting each
# offer (the one it names, at the price it shows) and rents only on y/yes;
# without a terminal it refuses unless --yes is given.  The terminal is a
# pseudo-terminal driven by tests' own script below: it answers each
# "[y/N] " prompt once it has appeared.  The fake server's log shows what
# was rented: nothing but what was confirmed.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5 ROS_VAST_POLL_MS=20
new_root
fakevast_start "$TOP/tests/fake/vast-examples.json"
export VAST_API_KEY=testkey
W=workers/workers.yaml
Q='dph<0.35 gpu_ram>=20'
puts() { fakevast_log_json '[(r["path"], r["status"]) for r in L if r["method"] == "PUT"]'; }
methods() { fakevast_log_json '[(r["method"], r["path"]) for r in L]'; }
market() { fakevast_ctl state "$(cat "$TOP/tests/fake/vast-examples.json")" >/dev/null && : >"$FAKEVAST_LOG"; }

# tty [--stdout FILE] ANSWER... -- CMD...: run CMD on a pseudo-terminal
# (stdin, stdout and stderr; stdout to FILE instead with --stdout), send
# the next ANSWER and a newline each time a "[y/N] " prompt has appeared
# (end of input when they are used up); print what the terminal showed,
# exit with CMD's status.
cat >"$T/onpty.py" <<'EOF'
import os, pty, select, subprocess, sys, time
args = sys.argv[1:]
out_file = None
if args[0] == "--stdout":
    out_file, args = args[1], args[2:]
i = args.index("--")
answers, cmd = args[:i], args[i + 1:]
m, s = pty.openpty()
p = subprocess.Popen(cmd, stdin=s, stdout=open(out_file, "w") if out_file else s, stderr=s, close_fds=True)
os.close(s)
seen, prompts, deadline = b"", 0, time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([m], [], [], 1)
    if not r:
        if p.poll() is not None:
            break
        continue
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    seen += d
    while seen.count(b"[y/N] ") > prompts:
        prompts += 1
        os.write(m, answers.pop(0).encode() + b"\n" if answers else b"\x04")
rc = p.wait()
sys.stdout.write(seen.decode("utf-8", "replace").replace("\r\n", "\n"))
sys.exit(rc)
EOF
tty() { "$PY" "$T/onpty.py" "$@"; }

# --- no terminal: refused before any request, unless --yes ---
: >"$FAKEVAST_LOG"
cp $W "$T/before"
check_exit 2 "--rent with stdin and stdout not a terminal" "$ROS" vast-hunt --query "$Q" --rent --image img </dev/null
check_re "says to add --yes" "$ERR" '^ros vast-hunt: --rent spends money and there is no terminal to ask on: add --yes to rent without asking$'
check_exit 2 "stdin a terminal, stdout not" tty --stdout "$T/stdout" -- "$ROS" vast-hunt --query "$Q" --rent --image img
check_re "refused too" "$OUT" 'add --yes to rent without asking'
check_eq "no request at all" "$(methods)" '[]'
check "nothing registered" cmp $W "$T/before"
check_exit 2 "--yes goes with --rent" "$ROS" vast-hunt --yes
check_exit 2 "-y too" "$ROS" vast-hunt -y --query "$Q"

# --- a terminal answering no: nothing rented ---
check_exit 1 "asked, answered n" tty n -- "$ROS" vast-hunt --query "$Q" --rent --image img
check_re "the table first, then the question naming offer, GPU, price and total" "$OUT" \
	'Best: offer 27045511 — RTX 4090 on machine 48211, \$0\.3306/hr, DLP/\$ 237\.1, est\. 0\.16 h, total \$0\.0531 \(Oregon, US\)
Rent offer 27045511 \(RTX 4090, \$0\.3306/h, est\. \$0\.0531 total\)\? \[y/N\] n
not rented$'
check_eq "searched, no create request" "$(methods)" '[["POST", "/api/v0/bundles/"]]'
check "nothing registered" cmp $W "$T/before"
for a in '' no yess 'y es'; do
	: >"$FAKEVAST_LOG"
	check_exit 1 "answered '$a': no" tty "$a" -- "$ROS" vast-hunt --query "$Q" --rent --image img
	check_eq "no PUT after '$a'" "$(puts)" '[]'
done
: >"$FAKEVAST_LOG"
check_exit 1 "end of input: no" tty -- "$ROS" vast-hunt --query "$Q" --rent --image img
check_eq "no PUT at end of input" "$(puts)" '[]'

# --- y: rented, waited for, registered ---
check "asked, answered y" tty y -- "$ROS" vast-hunt --query "$Q" --rent --image img --storage 50
check_re "asked" "$OUT" 'Rent offer 27045511 \(RTX 4090, \$0\.3306/h, est\. \$0\.0536 total\)\? \[y/N\] y'
check_re "then rented" "$OUT" 'Rented offer 27045511 as instance 40000001'
check_re "and registered" "$OUT" 'Registered worker vastai_auto_[0-9_]+ \(ssh 127\.0\.0\.2:22232, pool vastai\)'
check_eq "one create request, with the disk of --storage" "$(fakevast_log_json '[(r["path"], r["body"]["disk"]) for r in L if r["method"] == "PUT"]')" \
	'[["/api/v0/asks/27045511/", 50.0]]'
check_re "in workers.yaml" "$(cat $W)" 'instance_id: 40000001'
market
check "' YES ' is a yes" tty ' YES ' -- "$ROS" vast-hunt --query "$Q" --rent --image img
check_eq "rented" "$(puts)" '[["/api/v0/asks/27045511/", 200]]'

# --- the offer confirmed is gone: the next one is asked about, not rented unasked ---
market
check "27045511 rented away" fakevast_ctl fail '{"path_prefix":"/api/v0/asks/27045511","method":"PUT","status":404,"body":{"success":false,"error":"invalid_args","msg":"error 404/3603: no_such_ask Instance type by id 27045511 is not available.","ask_id":27045511}}'
cp $W "$T/before"
check_exit 1 "y, then n for the next" tty y n -- "$ROS" vast-hunt --query "$Q" --rent --image img
check_re "asked again, naming the next" "$OUT" 'offer 27045511 is gone \(rented by someone else\); trying the next
Rent offer 27044890 \(RTX A5000, \$0\.1906/h, est\. \$0\.0759 total\)\? \[y/N\] n'
check_eq "only the confirmed one was asked for" "$(puts)" '[["/api/v0/asks/27045511/", 404]]'
check "nothing registered" cmp $W "$T/before"

# --- --yes: no question, on a terminal or not ---
market
check "--yes on a terminal" tty -- "$ROS" vast-hunt --query "$Q" --rent --image img --yes
check_nore "not asked" "$OUT" '\[y/N\]'
check_re "rented" "$OUT" 'Rented offer 27045511 as instance'
market
check "-y without one" "$ROS" vast-hunt --query "$Q" --rent --image img -y </dev/null
check_eq "rented" "$(puts)" '[["/api/v0/asks/27045511/", 200]]'

# --- the excluded offer is never rented ---
market
check "--exclude-offer-id the best, --yes" "$ROS" vast-hunt --query "$Q" --rent --image img --yes --exclude-offer-id 27045511
check_eq "the next one rented" "$(puts)" '[["/api/v0/asks/27044890/", 200]]'
market
check "a server that ignores the filter" fakevast_ctl fail '{"path_prefix":"/api/v0/bundles","status":200,"body":{"offers":[{"id":27045511,"machine_id":48211,"gpu_name":"RTX 4090","num_gpus":1,"dph_total":0.3306,"dlperf":78.4}]}}'
check_exit 1 "all offers excluded" "$ROS" vast-hunt --query "$Q" --rent --image img --yes --exclude-offer-id 27045511
check_re "nothing to rent" "$ERR" 'nothing to rent: no offer matches'
check_eq "no PUT" "$(puts)" '[]'

# --- findable ---
check "help" "$ROS" help vast-hunt
check_re "-y, --yes listed" "$OUT" '^  -y, --yes +[^ ]'
check_re "the rule" "$OUT" 'On a terminal --rent asks before renting each offer'
check_nore "keys never printed" "$(cat "$T"/.out "$T"/.err)" 'testkey'
done_testing
