#!/bin/sh
# logs -f shows the whole log, its end too: a run prints 1000 lines right
# before it exits, on the local worker and on a Slurm worker.  tail -f here
# polls every 30 s, as tail -f may on a shared filesystem (no inotify: GNU
# tail polls each second, and a job's last lines come from the compute
# node): a follow that leaves the log's end to tail -f would lose it.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
mkdir -p research/p && : > research/p/project.yaml
tail_bin=$(command -v tail)
mkdir -p "$T/shim"
cat > "$T/shim/tail" <<EOF
#!/bin/sh
for a in "\$@"; do
	case \$a in -f | --follow*) exec $tail_bin ---disable-inotify -s 30 "\$@" ;; esac
done
exec $tail_bin "\$@"
EOF
chmod 755 "$T/shim/tail"
check "the shim's tail -f polls every 30 s" sh -c "echo a > '$T/probe'; PATH='$T/shim':\$PATH timeout 1 tail -n 1 -f '$T/probe'; [ \$? = 124 ]"

# RUN DIR CMD...: `CMD logs -f RUN` (tail -f through the shim) while the run,
# waiting at its start for $T/go.RUN, is told to go; its output in $T/f.RUN
follow() {
	_id=$1 _dir=$2; shift 2
	check "$_id has started" wait_for 20 grep -q '^start$' "$_dir/stdout.log"
	(PATH="$T/shim:$PATH" && export PATH && "$@" logs -f "$_id") > "$T/f.$_id" 2> "$T/f.$_id.err" &
	_fp=$!
	check "logs -f $_id is following" wait_for 10 grep -q '^start$' "$T/f.$_id"
	touch "$T/go.$_id"
	check "logs -f $_id ends with the run" wait_for 30 sh -c "! kill -0 $_fp 2>/dev/null"
	wait "$_fp"
	check_eq "logs -f $_id exits 0" "$?" 0
	check_eq "all 1000 lines" "$(grep -c '^line ' "$T/f.$_id")" 1000
	check_eq "the log, byte for byte" "$(cksum < "$T/f.$_id")" "$(cksum < "$_dir/stdout.log")"
	check_eq "nothing on stderr" "$(cat "$T/f.$_id.err")" ""
}
cmd() { printf 'echo start; while [ ! -e %s/go.$ROS_RUN_ID ]; do sleep 0.02; done; seq 1000 | sed "s/^/line /"' "$T"; }

# --- the local worker ------------------------------------------------------------
check "a run" "$ROS" add-run --project-id p --worker-pool local --command "$(cmd)"
id=$OUT
check "dispatch" "$ROS" dispatch-runs
follow "$id" "$T/root/workspace/runs/logs/p/$id" "$ROS"
check "logs -f -n 3 of a finished run" "$ROS" logs -f -n 3 "$id"
check_eq "its last 3 lines, and it ends" "$OUT" "line 998
line 999
line 1000"

# --- a Slurm worker (this machine its login node) -------------------------------------
. "$TOP/tests/lib/slurm.sh"
if why=$(slurm_unavailable); then
	skip "Slurm: $why"
	done_testing
	exit
fi
slurm_up
ros() { env -u SLURM_CONF "$ROS" "$@"; }
cat >> workers/workers.yaml <<YAML
  - worker_id: hpc
    kind: slurm
    enabled: true
    worker_pool: hpc
    workspace: $T/shared/ws
    slurm:
      partition: debug
      time: "10"
      conf: $SLURM_CONF
YAML
check "a Slurm run" ros add-run --project-id p --worker-pool hpc --allow-duplicate --command "$(cmd)"
sid=$OUT
check "dispatch" ros dispatch-runs
follow "$sid" "$T/shared/ws/runs/logs/p/$sid" ros
check "logs -f -n 2 of a finished job" ros logs -f -n 2 "$sid"
check_eq "its last 2 lines" "$OUT" "line 999
line 1000"

done_testing
