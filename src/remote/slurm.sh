# ros worker-side functions for `kind: slurm` workers, sent after lib.sh.
# They run on the login node (through ssh, or on this machine without an
# `ssh:` block).  Run directories are in the workspace, which must be on a
# filesystem the compute nodes share: the wrapper (lib.sh) writes pid,
# started_at, ended_at and exit_code there from the compute node.
#
# Registry values (SLURM_CONF, sbatch options) arrive in quoted
# here-documents, one value per line, and each line becomes exactly one
# argument of sbatch: nothing is evaluated as shell.
#
# Hot paths (ros_sbatch, ros_slurm_probe) avoid $(...) and external
# commands where a builtin does: 200 submissions must fit in a few seconds.
# Variables: as in lib.sh (ros_ prefixed; helpers keep to their own).
# shellcheck disable=SC2154 # ros_ws, ros_v, ros_n, ros_end: lib.sh's, which comes first

ros_sb_opts=
ros_sb_wrapper=
ros_sb_tmp=

# A Slurm client command under a deadline (a controller that is down makes
# them block for a long time).
ros_sto() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$@"
	else
		shift
		"$@"
	fi
}

# stdin: SLURM_CONF for the Slurm commands of this script ("~/" expands).
ros_slurm_conf() {
	IFS= read -r ros_c || ros_c=
	case $ros_c in
	\~) ros_c=$HOME ;;
	\~/*) ros_c=$HOME/${ros_c#\~/} ;;
	esac
	if [ -n "$ros_c" ]; then
		SLURM_CONF=$ros_c
		export SLURM_CONF
	fi
}

# stdin: sbatch options, one argument per line (from the registry).
ros_slurm_opts() {
	ros_sb_opts=$(cat)
}

# stdin: "project run" lines: make all their run directories with one
# mkdir (a process per run costs more than sbatch itself).
ros_slurm_mkdirs() {
	set --
	while read -r ros_p ros_r; do
		set -- "$@" "$ros_ws/runs/logs/$ros_p/$ros_r"
	done
	[ $# -gt 0 ] && mkdir -p "$@" 2>/dev/null
	return 0
}

# project run attempt [token until [snapshot]]; stdin: run.sh.  Writes run.sh and the
# wrapper into the run directory and submits the wrapper:
#   sbatch --parsable --job-name=ros-RUN --output=DIR/stdout.log --chdir=DIR
#          [options from the registry] DIR/wrapper.sh
# A claimed submission (token, until) follows the rules of ros_launch in
# lib.sh: never after the lease, never when the claim was revoked or
# submitted before.  Idempotent besides: an attempt that already has a job
# id is reported, never submitted again.  Records:
#   ROS launch RUN submitted JOBID
#   ROS launch RUN revoked 0 | expired 0 NOW | error 0 MESSAGE...
ros_sbatch() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_r=$2 ros_att=$3
	ros_launch_gate "$ros_d" "$ros_r" "${4:-}" "${5:-}" "${6:-}" || return
	if [ -n "${4:-}" ] && [ -f "$ros_d/claim.$4" ]; then
		cat >/dev/null
		ros_sbatch_claimed "$ros_d" "$ros_r" "$4"
		return
	fi
	ros_read "$ros_d/attempt"
	if [ "$ros_v" = "$ros_att" ] && [ -f "$ros_d/slurm_job_id" ]; then
		cat >/dev/null
		ros_read "$ros_d/slurm_job_id"
		echo "ROS launch $ros_r submitted $ros_v"
		return
	fi
	if [ -f "$ros_d/attempt" ] && [ "$ros_v" != "$ros_att" ]; then
		ros_keep_attempt "$ros_d" "$ros_v" stdout.log exit_code pid started_at ended_at launched slurm_job_id code out
	fi
	if [ -z "$ros_sb_wrapper" ]; then
		ros_write_wrapper "$ros_d" && ros_sb_wrapper=$(cat "$ros_d/wrapper.sh")
	fi
	if ! cat > "$ros_d/run.sh" || ! ros_ck_ok "$ros_d/run.sh" ||
		! printf '%s\n' "$ros_sb_wrapper" > "$ros_d/wrapper.sh"; then
		rm -f "$ros_d/run.sh"
		echo "ROS launch $ros_r error 0 cannot write $ros_d"
		return
	fi
	if [ -n "${4:-}" ] && ! ros_claim "$ros_d" "$4" launched; then
		ros_sbatch_claimed "$ros_d" "$ros_r" "$4"
		return
	fi
	echo "$ros_att" > "$ros_d/attempt"
	if [ -z "$ros_sb_tmp" ]; then
		# sbatch's output goes to two scratch files for the whole batch:
		# creating files is what costs most here
		if ros_sb_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ros-sbatch.XXXXXX"); then
			trap 'rm -rf "$ros_sb_tmp"' EXIT
		else
			ros_sb_tmp=$ros_d
		fi
	fi
	ros_o=$ros_d/stdout.log
	case $ros_o in *%*) ros_o=$(printf '%s' "$ros_o" | sed 's/%/%%/g') ;; esac
	ros_ifs=$IFS
	set -f
	IFS='
'
	# shellcheck disable=SC2086 # split on newlines only, no globbing
	set -- $ros_sb_opts
	IFS=$ros_ifs
	set +f
	ROS_WORKSPACE=$ros_ws ROS_RUN_DIR=$ros_d sbatch --parsable --job-name="ros-$ros_r" --output="$ros_o" \
		--chdir="$ros_d" "$@" "$ros_d/wrapper.sh" </dev/null >"$ros_sb_tmp/out" 2>"$ros_sb_tmp/err"
	ros_rc=$?
	ros_read "$ros_sb_tmp/out"
	ros_j=${ros_v%%;*}
	case $ros_j in
	"" | *[!0-9]*)
		ros_m=$(grep -v '^[[:space:]]*$' "$ros_sb_tmp/err" | tail -n 1 | tr -s '\t\r' '  ')
		echo "ROS launch $ros_r error 0 sbatch failed (exit $ros_rc): ${ros_m:-no job id}"
		return
		;;
	esac
	echo "$ros_j" > "$ros_d/slurm_job_id"
	echo "ROS launch $ros_r submitted $ros_j"
}

# dir run token: the launch record of a claim that exists already.
ros_sbatch_claimed() {
	ros_read "$1/claim.$3"
	case $ros_v in
	revoked) echo "ROS launch $2 revoked 0" ;;
	launched)
		ros_read "$1/slurm_job_id"
		if [ -n "$ros_v" ]; then echo "ROS launch $2 submitted $ros_v"; else echo "ROS launch $2 error 0 no job id"; fi ;;
	*) echo "ROS launch $2 error 0 claim-$ros_v" ;;
	esac
}

# A job state Slurm has not finished with.
ros_slurm_active() {
	case $1 in
	PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_HOLD | REQUEUE_FED | \
		RESIZING | SIGNALING | STAGE_OUT | STOPPED | RESV_DEL_HOLD | POWER_UP_NODE | SPECIAL_EXIT) return 0 ;;
	esac
	return 1
}

# nlines; stdin: "project run attempt jobid [token]" lines (jobid "-": the
# one the run directory remembers; a token: a dispatching run whose claim
# is no longer in force, which is revoked unless it was submitted — then
# NOTSUBMITTED is certain — see ros_claim in lib.sh).  Asks Slurm once for all the jobs (squeue;
# sacct -c for jobs squeue no longer lists; scontrol for the exit code of
# an ended job that left no exit-code file).  Per run:
#   ROS probe RUN SLURMSTATE JOBID EXIT STARTED ENDED SLURMEXIT REASON +
# then the last lines of the log and the end line (ros_tail in lib.sh).
# SLURMSTATE: Slurm's state, UNKNOWN (Slurm does not know the job),
# NOTSUBMITTED (no job for this attempt), LAUNCHING (a claim being
# submitted) or NOANSWER (squeue failed);
# EXIT: the exit-code file, or "-"; SLURMEXIT: Slurm's "CODE:SIGNAL" or "-".
ros_slurm_probe() {
	ros_nl=$1
	ros_t=$(mktemp -d "${TMPDIR:-/tmp}/ros-slurm.XXXXXX") || {
		cat >/dev/null
		return 1
	}
	ros_ids=
	: > "$ros_t/runs"
	while read -r ros_p ros_r ros_att ros_j ros_tok; do
		ros_d=$ros_ws/runs/logs/$ros_p/$ros_r
		if [ -n "$ros_tok" ] && [ "$ros_tok" != - ]; then
			if ! { [ -d "$ros_d" ] || mkdir -p "$ros_d" 2>/dev/null; } || ros_claim "$ros_d" "$ros_tok" revoked ||
				[ "$ros_v" != launched ]; then
				echo "$ros_p $ros_r $ros_att -" >> "$ros_t/runs"
				continue
			fi
			# submitted, or being submitted: the job id comes after sbatch
			[ -f "$ros_d/slurm_job_id" ] || sleep 0.2
		fi
		ros_read "$ros_d/attempt"
		if [ "$ros_j" = - ] && [ "$ros_v" = "$ros_att" ]; then
			ros_read "$ros_d/slurm_job_id"
			ros_j=${ros_v:--}
			if [ "$ros_j" = - ]; then
				# the dispatcher died around sbatch: find the job by its
				# name, leaving out the jobs of earlier attempts
				for ros_c in $(ros_sto 20 squeue -h -t all -n "ros-$ros_r" -o %i 2>/dev/null); do
					case $ros_c in *[!0-9]*) continue ;; esac
					cat "$ros_d"/slurm_job_id.attempt* 2>/dev/null | grep -qx "$ros_c" || ros_j=$ros_c
				done
				[ "$ros_j" != - ] && echo "$ros_j" > "$ros_d/slurm_job_id"
			fi
		fi
		case $ros_j in "" | *[!0-9]*) ros_j=- ;; esac
		# a claim won by a submission that left no job: still going, or
		# it died in between (check-runs waits for the claim's lease)
		if [ "$ros_j" = - ] && [ -n "$ros_tok" ] && [ "$ros_tok" != - ]; then
			echo "$ros_p $ros_r $ros_att L" >> "$ros_t/runs"
			continue
		fi
		echo "$ros_p $ros_r $ros_att $ros_j" >> "$ros_t/runs"
		[ "$ros_j" != - ] && ros_ids=${ros_ids:+$ros_ids,}$ros_j
	done
	: > "$ros_t/sq"
	: > "$ros_t/sa"
	ros_sfail=-
	if [ -n "$ros_ids" ]; then
		if ! ros_sto 30 squeue -h -t all -j "$ros_ids" -o '%i %T %r' > "$ros_t/sq" 2> "$ros_t/sqerr"; then
			# one unknown id alone makes squeue fail; anything else is trouble
			grep -q 'Invalid job id' "$ros_t/sqerr" || ros_sfail=1
			: > "$ros_t/sq"
		fi
		ros_missing=$(awk -v ids="$ros_ids" '{ seen[$1] = 1 }
			END { n = split(ids, a, ","); for (i = 1; i <= n; i++) if (!(a[i] in seen)) m = m (m == "" ? "" : ",") a[i]; print m }' "$ros_t/sq")
		if [ "$ros_sfail" = - ] && [ -n "$ros_missing" ]; then
			ros_sto 30 sacct -c -n -P -j "$ros_missing" -o JobID,State,ExitCode 2>/dev/null |
				awk -F'|' '{ split($2, s, " "); print $1, s[1], $3 }' > "$ros_t/sa"
		fi
	fi
	# run -> "p r a j SLURMSTATE SLURMEXIT REASON"
	awk -v sqf="$ros_t/sq" -v saf="$ros_t/sa" -v fail="$ros_sfail" '
	BEGIN {
		while ((getline l < sqf) > 0) {
			n = split(l, f, " ")
			if (n < 2) continue
			st[f[1]] = f[2]; r = ""
			for (i = 3; i <= n; i++) r = r (r == "" ? "" : "_") f[i]
			rs[f[1]] = r == "" ? "-" : r
		}
		while ((getline l < saf) > 0) {
			n = split(l, f, " ")
			if (n < 2 || (f[1] in rs)) continue
			st[f[1]] = f[2]; sx[f[1]] = n > 2 ? f[3] : "-"
		}
	}
	{
		j = $4; s = "NOTSUBMITTED"; x = "-"; r = "-"
		if (j == "L") { s = "LAUNCHING"; j = "-" }
		else if (j != "-") {
			if (fail == 1) s = "NOANSWER"
			else if (j in st) { s = st[j]; if (j in sx) x = sx[j]; if (j in rs) r = rs[j] }
			else s = "UNKNOWN"
		}
		print $1, $2, $3, j, s, x, r
	}' "$ros_t/runs" > "$ros_t/joined"
	while read -r ros_p ros_r ros_att ros_j ros_st ros_sx ros_reason; do
		ros_d=$ros_ws/runs/logs/$ros_p/$ros_r
		ros_code=- ros_started=- ros_ended=-
		ros_read "$ros_d/attempt"
		if [ "$ros_j" != - ] && [ "$ros_v" = "$ros_att" ]; then
			ros_read "$ros_d/exit_code"
			ros_code=${ros_v:--}
			ros_read "$ros_d/started_at"
			ros_started=${ros_v:--}
			ros_read "$ros_d/ended_at"
			ros_ended=${ros_v:--}
		fi
		if [ "$ros_code" = - ] && [ "$ros_sx" = - ] && [ "$ros_j" != - ] && [ "$ros_st" != UNKNOWN ] &&
			[ "$ros_st" != NOANSWER ] && ! ros_slurm_active "$ros_st"; then
			ros_sx=$(ros_sto 20 scontrol show job -o "$ros_j" 2>/dev/null | tr ' ' '\n' | sed -n 's/^ExitCode=//p' | head -n 1)
			ros_sx=${ros_sx:--}
		fi
		echo "ROS probe $ros_r $ros_st $ros_j $ros_code $ros_started $ros_ended $ros_sx $ros_reason +"
		ros_tail "$ros_d/stdout.log" "$ros_nl"
	done < "$ros_t/joined"
	rm -rf "$ros_t"
}

# project run attempt jobid [token] (jobid "-": the run directory's).
# scancel; the state before tells whether it was queued or running.  With a
# token (a dispatching run), a claim not submitted yet is revoked first.
#   ROS cancel RUN terminated|dequeued|notrunning|notsubmitted JOBID
ros_slurm_cancel() {
	ros_d=$ros_ws/runs/logs/$1/$2
	ros_j=$4
	if [ -n "${5:-}" ] && { [ -d "$ros_d" ] || mkdir -p "$ros_d" 2>/dev/null; } && ros_claim "$ros_d" "$5" revoked; then
		echo "ROS cancel $2 notsubmitted 0"
		return
	fi
	if [ "$ros_j" = - ]; then
		ros_read "$ros_d/attempt"
		if [ "$ros_v" = "$3" ]; then
			ros_read "$ros_d/slurm_job_id"
			ros_j=${ros_v:--}
		fi
	fi
	case $ros_j in
	"" | *[!0-9]*)
		echo "ROS cancel $2 notsubmitted 0"
		return
		;;
	esac
	ros_s=$(ros_sto 20 squeue -h -t all -j "$ros_j" -o %T 2>/dev/null)
	if [ -n "$ros_s" ] && ! ros_slurm_active "$ros_s"; then
		echo "ROS cancel $2 notrunning $ros_j"
		return
	fi
	if ! ros_e=$(ros_sto 30 scancel "$ros_j" 2>&1); then
		echo "ros: scancel $ros_j: $ros_e" >&2
		echo "ROS cancel $2 error $ros_j"
		return
	fi
	if [ "$ros_s" = PENDING ]; then echo "ROS cancel $2 dequeued $ros_j"; else echo "ROS cancel $2 terminated $ros_j"; fi
}

# jobid rundir: the job goes on: no exit code in rundir yet, and Slurm
# not finished with it (squeue; a Slurm that does not answer: ended).
ros_slurm_live() {
	[ ! -f "$2/exit_code" ] || return 1
	ros_sl_s=$(ros_sto 20 squeue -h -t all -j "$1" -o %T 2>/dev/null)
	ros_slurm_active "$ros_sl_s"
}

# project run nlines follow jobid: the run's log (its --output file), and
# with follow=1 until the job has ended (ros_follow in lib.sh).
ros_slurm_logs() {
	ros_d=$ros_ws/runs/logs/$1/$2
	if [ ! -f "$ros_d/stdout.log" ]; then
		if [ "$4" = 1 ]; then
			# a queued job has no output file yet: wait for it
			while [ ! -f "$ros_d/stdout.log" ] && ros_slurm_live "$5" "$ros_d"; do
				sleep 1
			done
		fi
		if [ ! -f "$ros_d/stdout.log" ]; then
			echo "ros: no log for $2 in $ros_d (job $5 has not started)" >&2
			return 3
		fi
	fi
	if [ "$4" = 1 ]; then
		ros_follow "$ros_d/stdout.log" "$3" ros_slurm_live "$5" "$ros_d"
	else
		tail -n "$3" "$ros_d/stdout.log"
	fi
	return 0
}

# stdin: the partition (line 1, may be empty), then job ids, one a line.
#   ROS slurm - RC +       then sinfo's "PARTITION AVAIL NODES STATE" lines
#                          and the end line
#   ROS sjobs - PENDING RUNNING
ros_slurm_status() {
	IFS= read -r ros_part || ros_part=
	ros_ids=$(tr -cs '0-9' ',' | sed 's/^,*//; s/,*$//')
	if [ -n "$ros_part" ]; then
		ros_out=$(ros_sto 10 sinfo -h -p "$ros_part" -o '%P %a %D %t' 2>&1)
	else
		ros_out=$(ros_sto 10 sinfo -h -o '%P %a %D %t' 2>&1)
	fi
	ros_rc=$?
	[ -z "$ros_out" ] && [ "$ros_rc" = 0 ] && ros_out="no partition ${ros_part:-?}"
	echo "ROS slurm - $ros_rc +"
	printf '%s\n' "$ros_out"
	echo "$ros_end"
	ros_pend=0 ros_run=0
	if [ -n "$ros_ids" ]; then
		for ros_s in $(ros_sto 10 squeue -h -t all -j "$ros_ids" -o %T 2>/dev/null); do
			case $ros_s in
			PENDING | REQUEUED | REQUEUE_HOLD | CONFIGURING) ros_pend=$((ros_pend + 1)) ;;
			RUNNING | COMPLETING | SUSPENDED) ros_run=$((ros_run + 1)) ;;
			esac
		done
	fi
	echo "ROS sjobs - $ros_pend $ros_run"
}
