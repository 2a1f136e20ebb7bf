#!/bin/sh
# Shell completion, generated from the command table by scripts/gen-completion:
# commands, each command's options, their values (run ids, worker ids, pools,
# projects, fixed words) read from the root by the hidden `ros __complete`;
# bash and zsh; installed by make install.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
check "a project" "$ROS" init-project --title Spec --idea i --target t
check "two runs" "$ROS" add-run --project-id spec --command 'echo {i}' --sweep i=1,2
runs=$(jq_py queues/run_queue.json "' '.join(sorted(r['id'] for r in d))")
check "a worker in pool gpu" "$ROS" add-worker --worker-id box --kind ssh --host 127.0.0.1 \
	--user u --key /dev/null --pool gpu
mkdir -p "$T/bin" && ln -s "$ROS" "$T/bin/ros"
PATH=$T/bin:$PATH
export PATH

check "gen-completion bash" "$TOP/scripts/gen-completion" "$ROS" bash
printf '%s\n' "$OUT" > "$T/ros.bash"
check "gen-completion zsh" "$TOP/scripts/gen-completion" "$ROS" zsh
printf '%s\n' "$OUT" > "$T/_ros"
check_exit 2 "gen-completion fish: no such shell" "$TOP/scripts/gen-completion" "$ROS" fish
check "bash reads it" bash -n "$T/ros.bash"

# comp WORD...: what bash completes for the last word (the line so far),
# sorted, on one line
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ros
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$T/ros.bash" "$@" | sed 's/ $//'
}

cmds=$("$ROS" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')
check_eq "every command" "$(comp ros '')" "$cmds"
check_eq "commands by their start" "$(comp ros dis)" "disable-worker dispatch-runs"
check_eq "after global options" "$(comp ros --root "$T/root" -q dis)" "disable-worker dispatch-runs"
check_eq "global options" "$(comp ros --)" "--help --json --quiet --root --version"
check_eq "a command's options, the global ones too" "$(comp ros dispatch-runs --)" \
	"--dry-run --help --json --max --quiet --root --worker-pool"
check_eq "an option by its start" "$(comp ros add-run --worker-p)" "--worker-pool"
check_eq "short aliases" "$(comp ros logs -)" \
	"--follow --help --json --lines --quiet --raw --root --setup -f -h -n -q"
check_nomatch "no --json where it is refused" "$(comp ros cancel --)" "--json"
check_eq "run ids" "$(comp ros logs '')" "$runs"
check_eq "run ids after a flag without a value" "$(comp ros logs -f '')" "$runs"
check_eq "no run id for an option's value" "$(comp ros logs -n '')" ""
check_eq "more run ids" "$(comp ros cancel "${runs%% *}" '')" "$runs"
check_eq "worker ids for --worker-id" "$(comp ros setup-worker --worker-id '')" "box local"
check_eq "worker ids as arguments" "$(comp ros disable-worker '')" "box local"
check_eq "pools" "$(comp ros add-run --worker-pool '')" "any default gpu local"
check_eq "projects" "$(comp ros add-idea --project-id '')" "spec"
check_eq "--opt=value (bash splits at =)" "$(comp ros add-idea --project-id = '')" "spec"
check_eq "--opt=value, started" "$(comp ros add-idea --project-id = sp)" "spec"
check_eq "fixed words" "$(comp ros publish --kind '')" "all blog paper"
check_eq "subcommands" "$(comp ros vastai-watcher '')" "blacklist log run start status stop"
check_eq "a subcommand once" "$(comp ros vastai-watcher log '')" ""
check_eq "commands for help" "$(comp ros help dispatch-)" "dispatch-runs"
mkdir -p "$T/dirs/sub1" "$T/dirs/sub2" && : > "$T/dirs/file"
check_eq "directories for --root" "$(comp ros --root "$T/dirs/s")" "$T/dirs/sub1 $T/dirs/sub2"
check_eq "files for --key" "$(comp ros add-worker --key "$T/dirs/f")" "$T/dirs/file"
cd "$T" || exit 1
unset RESEARCH_OS_ROOT
check_eq "no root: no run ids, no noise" "$(comp ros logs '' 2>&1)" ""
check_eq "the root given on the line" "$(comp ros --root "$T/root" logs '')" "$runs"
check_eq "the root given after the command" "$(comp ros logs --root "$T/root" '')" "$runs"
check_eq "the hidden command is not offered" "$(comp ros __)" ""

# ros __complete itself
check "__complete runs outside a root" "$ROS" __complete runs
check_eq "prints nothing" "$OUT$ERR" ""
check "__complete runs" "$ROS" --root "$T/root" __complete runs
check_eq "the run ids" "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ' | sed 's/ $//')" "$runs"
check_exit 2 "__complete of something unknown" "$ROS" __complete frob
check_nomatch "ros help does not list it" "$("$ROS" help)" "__complete"

# fast on a big queue: the index, no JSON parsing of every entry
"$PY" -c '
import json, sys
runs = [{"id": "r%07x" % i, "project_id": "spec", "status": "done", "command": "echo %d" % i,
         "metrics": {"loss": i / 7}, "events": [{"at": "2024-01-01T00:00:00Z", "event": "x" * 200}]}
        for i in range(20000)]
json.dump(runs, open(sys.argv[1], "w"), indent=2)' "$T/root/queues/run_queue.json"
"$ROS" --root "$T/root" __complete runs > /dev/null	# builds the index
start=$(date +%s%N)
n=$("$ROS" --root "$T/root" __complete runs | wc -l)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "20000 run ids" "$n" 20000
echo "# __complete runs on 20000 runs: $ms ms"
check "in well under a second ($ms ms)" test "$ms" -lt 1000

# zsh: _ros with compadd and _describe standing in for the completion system
if command -v zsh >/dev/null 2>&1; then
	zcomp() {
		# compadd and _describe offer the words PREFIX (the word so far) begins,
		# as the completion system does; compset -P moves the --opt= out of it.
		# Sourced, the file completes the line as it does when zsh autoloads it.
		zsh -fc 'compadd() { local w; while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift
				for w; do [[ $w == "$PREFIX"* ]] && print -r -- $w; done; }
			_describe() { local a=${@[-1]}; compadd -- ${${(P)a}%%:*}; }
			_files() { print -r -- "_files $*"; }
			compset() { [[ $1 == -P ]] && PREFIX=${PREFIX#*=}; }
			f=$1; shift; words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}; source "$f"' _ "$T/_ros" "$@" |
			sort | tr '\n' ' ' | sed 's/ $//'
	}
	check "zsh reads it" zsh -fn "$T/_ros"
	check_eq "zsh: commands by their start" "$(zcomp ros dis)" "disable-worker dispatch-runs"
	check_eq "zsh: every command" "$(zcomp ros '')" "$cmds"
	check_eq "zsh: a command's options" "$(zcomp ros dispatch-runs --)" \
		"--dry-run --help --json --max --quiet --root --worker-pool"
	check_eq "zsh: run ids" "$(zcomp ros --root "$T/root" logs '' | wc -w)" 20000
	check_eq "zsh: worker ids" "$(zcomp ros --root "$T/root" setup-worker --worker-id '')" "box local"
	check_eq "zsh: --opt=value" "$(zcomp ros --root "$T/root" add-idea --project-id=)" "spec"
	check_eq "zsh: fixed words" "$(zcomp ros publish --kind '')" "all blog paper"
	check_eq "zsh: files" "$(zcomp ros add-worker --key '')" "_files "
	check_eq "zsh: directories" "$(zcomp ros --root '')" "_files -/"
else
	echo "# zsh not installed: its completion not tried"
fi

# make install puts them where the shells look
check "make install DESTDIR=... PREFIX=/usr" env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" install DESTDIR="$T/dest" PREFIX=/usr
for f in bin/ros share/man/man1/ros.1 share/bash-completion/completions/ros share/zsh/site-functions/_ros; do
	check "installed $f" test -s "$T/dest/usr/$f"
done
check_match "bash completion for ros" "$(cat "$T/dest/usr/share/bash-completion/completions/ros")" '^complete -F _ros ros$'
check_match "zsh completion for ros" "$(head -n 1 "$T/dest/usr/share/zsh/site-functions/_ros")" '^#compdef ros$'
done_testing
