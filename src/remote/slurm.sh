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
# shellcheck disable=SC2154 # ros_ws: set by ros_set_ws in lib.sh

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
	IFS= read -r c || c=
	# shellcheck disable=SC2088 # a literal "~/" prefix is what is matched
	case $c in
	"~") c=$HOME ;;
	"~/"*) c=$HOME/${c#"~/"} ;;
	esac
	if [ -n "$c" ]; then
		SLURM_CONF=$c
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
	while read -r p r; do
		set -- "$@" "$ros_ws/runs/logs/$p/$r"
	done
	[ $# -gt 0 ] && mkdir -p "$@" 2>/dev/null
	return 0
}

# project run attempt [token until]; stdin: run.sh.  Writes run.sh and the
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
	d=$ros_ws/runs/logs/$1/$2
	r=$2 a=$3
	if [ -n "${4:-}" ]; then
		ros_now_s
		if [ "$ros_n" -gt "$5" ]; then
			cat >/dev/null
			echo "ROS launch $r expired 0 $ros_n"
			return
		fi
	fi
	if ! { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; }; then
		cat >/dev/null
		echo "ROS launch $r error 0 cannot create $d"
		return
	fi
	if [ -n "${4:-}" ] && [ -f "$d/claim.$4" ]; then
		cat >/dev/null
		ros_sbatch_claimed "$d" "$r" "$4"
		return
	fi
	ros_read "$d/attempt"
	if [ "$ros_v" = "$a" ] && [ -f "$d/slurm_job_id" ]; then
		cat >/dev/null
		ros_read "$d/slurm_job_id"
		echo "ROS launch $r submitted $ros_v"
		return
	fi
	if [ -f "$d/attempt" ] && [ "$ros_v" != "$a" ]; then
		for f in stdout.log exit_code pid started_at ended_at launched slurm_job_id; do
			[ -f "$d/$f" ] && mv -f "$d/$f" "$d/$f.attempt$ros_v"
		done
	fi
	if [ -z "$ros_sb_wrapper" ]; then
		ros_write_wrapper "$d" && ros_sb_wrapper=$(cat "$d/wrapper.sh")
	fi
	if ! cat > "$d/run.sh" || ! ros_ck_ok "$d/run.sh" ||
		! printf '%s\n' "$ros_sb_wrapper" > "$d/wrapper.sh"; then
		rm -f "$d/run.sh"
		echo "ROS launch $r error 0 cannot write $d"
		return
	fi
	if [ -n "${4:-}" ] && ! ros_claim "$d" "$4" launched; then
		ros_sbatch_claimed "$d" "$r" "$4"
		return
	fi
	echo "$a" > "$d/attempt"
	if [ -z "$ros_sb_tmp" ]; then
		# sbatch's output goes to two scratch files for the whole batch:
		# creating files is what costs most here
		if ros_sb_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ros-sbatch.XXXXXX"); then
			trap 'rm -rf "$ros_sb_tmp"' EXIT
		else
			ros_sb_tmp=$d
		fi
	fi
	o=$d/stdout.log
	case $o in *%*) o=$(printf '%s' "$o" | sed 's/%/%%/g') ;; esac
	ros_ifs=$IFS
	set -f
	IFS='
'
	# shellcheck disable=SC2086 # split on newlines only, no globbing
	set -- $ros_sb_opts
	IFS=$ros_ifs
	set +f
	ROS_WORKSPACE=$ros_ws ROS_RUN_DIR=$d sbatch --parsable --job-name="ros-$r" --output="$o" \
		--chdir="$d" "$@" "$d/wrapper.sh" </dev/null >"$ros_sb_tmp/out" 2>"$ros_sb_tmp/err"
	rc=$?
	ros_read "$ros_sb_tmp/out"
	j=${ros_v%%;*}
	case $j in
	"" | *[!0-9]*)
		m=$(grep -v '^[[:space:]]*$' "$ros_sb_tmp/err" | tail -n 1 | tr -s '\t\r' '  ')
		echo "ROS launch $r error 0 sbatch failed (exit $rc): ${m:-no job id}"
		return
		;;
	esac
	echo "$j" > "$d/slurm_job_id"
	echo "ROS launch $r submitted $j"
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
	n=$1
	t=$(mktemp -d "${TMPDIR:-/tmp}/ros-slurm.XXXXXX") || {
		cat >/dev/null
		return 1
	}
	ids=
	: > "$t/runs"
	while read -r p r a j k; do
		d=$ros_ws/runs/logs/$p/$r
		if [ -n "$k" ] && [ "$k" != - ]; then
			if ! { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; } || ros_claim "$d" "$k" revoked ||
				[ "$ros_v" != launched ]; then
				echo "$p $r $a -" >> "$t/runs"
				continue
			fi
			# submitted, or being submitted: the job id comes after sbatch
			[ -f "$d/slurm_job_id" ] || sleep 0.2
		fi
		ros_read "$d/attempt"
		if [ "$j" = - ] && [ "$ros_v" = "$a" ]; then
			ros_read "$d/slurm_job_id"
			j=${ros_v:--}
			if [ "$j" = - ]; then
				# the dispatcher died around sbatch: find the job by its
				# name, leaving out the jobs of earlier attempts
				for c in $(ros_sto 20 squeue -h -t all -n "ros-$r" -o %i 2>/dev/null); do
					case $c in *[!0-9]*) continue ;; esac
					cat "$d"/slurm_job_id.attempt* 2>/dev/null | grep -qx "$c" || j=$c
				done
				[ "$j" != - ] && echo "$j" > "$d/slurm_job_id"
			fi
		fi
		case $j in "" | *[!0-9]*) j=- ;; esac
		# a claim won by a submission that left no job: still going, or
		# it died in between (check-runs waits for the claim's lease)
		if [ "$j" = - ] && [ -n "$k" ] && [ "$k" != - ]; then
			echo "$p $r $a L" >> "$t/runs"
			continue
		fi
		echo "$p $r $a $j" >> "$t/runs"
		[ "$j" != - ] && ids=${ids:+$ids,}$j
	done
	: > "$t/sq"
	: > "$t/sa"
	sfail=-
	if [ -n "$ids" ]; then
		if ! ros_sto 30 squeue -h -t all -j "$ids" -o '%i %T %r' > "$t/sq" 2> "$t/sqerr"; then
			# one unknown id alone makes squeue fail; anything else is trouble
			grep -q 'Invalid job id' "$t/sqerr" || sfail=1
			: > "$t/sq"
		fi
		missing=$(awk -v ids="$ids" '{ seen[$1] = 1 }
			END { n = split(ids, a, ","); for (i = 1; i <= n; i++) if (!(a[i] in seen)) m = m (m == "" ? "" : ",") a[i]; print m }' "$t/sq")
		if [ "$sfail" = - ] && [ -n "$missing" ]; then
			ros_sto 30 sacct -c -n -P -j "$missing" -o JobID,State,ExitCode 2>/dev/null |
				awk -F'|' '{ split($2, s, " "); print $1, s[1], $3 }' > "$t/sa"
		fi
	fi
	# run -> "p r a j SLURMSTATE SLURMEXIT REASON"
	awk -v sqf="$t/sq" -v saf="$t/sa" -v fail="$sfail" '
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
	}' "$t/runs" > "$t/joined"
	while read -r p r a j st sx reason; do
		d=$ros_ws/runs/logs/$p/$r
		code=- started=- ended=-
		ros_read "$d/attempt"
		if [ "$j" != - ] && [ "$ros_v" = "$a" ]; then
			ros_read "$d/exit_code"
			code=${ros_v:--}
			ros_read "$d/started_at"
			started=${ros_v:--}
			ros_read "$d/ended_at"
			ended=${ros_v:--}
		fi
		if [ "$code" = - ] && [ "$sx" = - ] && [ "$j" != - ] && [ "$st" != UNKNOWN ] &&
			[ "$st" != NOANSWER ] && ! ros_slurm_active "$st"; then
			sx=$(ros_sto 20 scontrol show job -o "$j" 2>/dev/null | tr ' ' '\n' | sed -n 's/^ExitCode=//p' | head -n 1)
			sx=${sx:--}
		fi
		echo "ROS probe $r $st $j $code $started $ended $sx $reason +"
		ros_tail "$d/stdout.log" "$n"
	done < "$t/joined"
	rm -rf "$t"
}

# project run attempt jobid [token] (jobid "-": the run directory's).
# scancel; the state before tells whether it was queued or running.  With a
# token (a dispatching run), a claim not submitted yet is revoked first.
#   ROS cancel RUN terminated|dequeued|notrunning|notsubmitted JOBID
ros_slurm_cancel() {
	d=$ros_ws/runs/logs/$1/$2
	j=$4
	if [ -n "${5:-}" ] && { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; } && ros_claim "$d" "$5" revoked; then
		echo "ROS cancel $2 notsubmitted 0"
		return
	fi
	if [ "$j" = - ]; then
		ros_read "$d/attempt"
		if [ "$ros_v" = "$3" ]; then
			ros_read "$d/slurm_job_id"
			j=${ros_v:--}
		fi
	fi
	case $j in
	"" | *[!0-9]*)
		echo "ROS cancel $2 notsubmitted 0"
		return
		;;
	esac
	s=$(ros_sto 20 squeue -h -t all -j "$j" -o %T 2>/dev/null)
	if [ -n "$s" ] && ! ros_slurm_active "$s"; then
		echo "ROS cancel $2 notrunning $j"
		return
	fi
	if ! e=$(ros_sto 30 scancel "$j" 2>&1); then
		echo "ros: scancel $j: $e" >&2
		echo "ROS cancel $2 error $j"
		return
	fi
	if [ "$s" = PENDING ]; then echo "ROS cancel $2 dequeued $j"; else echo "ROS cancel $2 terminated $j"; fi
}

# project run nlines follow jobid: the run's log (its --output file), and
# with follow=1 until the job has ended.
ros_slurm_logs() {
	d=$ros_ws/runs/logs/$1/$2
	if [ ! -f "$d/stdout.log" ]; then
		if [ "$4" = 1 ]; then
			# a queued job has no output file yet: wait for it
			while [ ! -f "$d/stdout.log" ]; do
				s=$(ros_sto 20 squeue -h -t all -j "$5" -o %T 2>/dev/null)
				ros_slurm_active "$s" || break
				sleep 1
			done
		fi
		if [ ! -f "$d/stdout.log" ]; then
			echo "ros: no log for $2 in $d (job $5 has not started)" >&2
			return 3
		fi
	fi
	if [ "$4" = 1 ]; then
		tail -n "$3" -f "$d/stdout.log" &
		tp=$!
		while [ ! -f "$d/exit_code" ]; do
			s=$(ros_sto 20 squeue -h -t all -j "$5" -o %T 2>/dev/null)
			ros_slurm_active "$s" || break
			sleep 0.5
		done
		sleep 0.6
		kill "$tp" 2>/dev/null
		wait "$tp" 2>/dev/null
	else
		tail -n "$3" "$d/stdout.log"
	fi
	return 0
}

# stdin: the partition (line 1, may be empty), then job ids, one a line.
#   ROS slurm - RC +       then sinfo's "PARTITION AVAIL NODES STATE" lines
#                          and the end line
#   ROS sjobs - PENDING RUNNING
ros_slurm_status() {
	IFS= read -r part || part=
	ids=$(tr -cs '0-9' ',' | sed 's/^,*//; s/,*$//')
	if [ -n "$part" ]; then
		out=$(ros_sto 10 sinfo -h -p "$part" -o '%P %a %D %t' 2>&1)
	else
		out=$(ros_sto 10 sinfo -h -o '%P %a %D %t' 2>&1)
	fi
	rc=$?
	[ -z "$out" ] && [ "$rc" = 0 ] && out="no partition ${part:-?}"
	echo "ROS slurm - $rc +"
	printf '%s\n' "$out"
	echo "$ros_end"
	pend=0 run=0
	if [ -n "$ids" ]; then
		for s in $(ros_sto 10 squeue -h -t all -j "$ids" -o %T 2>/dev/null); do
			case $s in
			PENDING | REQUEUED | REQUEUE_HOLD | CONFIGURING) pend=$((pend + 1)) ;;
			RUNNING | COMPLETING | SUSPENDED) run=$((run + 1)) ;;
			esac
		done
	fi
	echo "ROS sjobs - $pend $run"
}
