# sshd.sh - real OpenSSH workers on loopback for integration tests.
#
# Source after testlib.sh:  . "$TOP/tests/lib/sshd.sh"
#
# Every worker is an unprivileged sshd running as the local user `rostest`
# on an address in 127.0.0.0/8, with its own host key and config under
# $T/sshd/NAME.  The harness shell is the parent of every listener (sshd -D &),
# so call these functions from the test's main shell, never inside $(...) or
# a pipeline.  NAME is a shell identifier (letters, digits, _).
#
#   sshd_setup_user                    make sure `rostest` exists; client key in $SSHD_KEY (call first)
#   sshd_free_port                     print a free TCP port
#   sshd_start NAME ADDR PORT [slurm] [env:VAR=VALUE]... [-o 'Keyword value']...
#                                      start worker NAME on ADDR:PORT (PORT 0: pick a free one);
#                                      `slurm` sets SLURM_CONF in its sessions (slurm_up first);
#                                      env: sets VAR in its sessions (PATH too);
#                                      -o adds an sshd_config line (it wins over the defaults;
#                                      not SetEnv: use env:)
#   sshd_stop NAME                     stop the listener and its sessions (detached jobs live on)
#   sshd_kill_all_sessions NAME        SIGKILL the listener, its sessions and every process
#                                      started through it, detached ones too: the worker is gone
#   sshd_restart NAME NEWPORT          sshd_stop, then start again on NEWPORT (0: pick one),
#                                      same host key and options: a port change
#   sshd_pause NAME / sshd_resume NAME SIGSTOP / SIGCONT the listener: a hung worker
#   sshd_ssh NAME [-o Opt=Val]... CMD...  run the shell command CMD on the worker (real ssh client)
#   sshd_ssh_opts                      print the client options sshd_ssh uses (no -p, no host)
#   sshd_worker_yaml NAME WORKER_ID POOL SLOTS WORKSPACE
#                                      print a workers.yaml list entry; creates WORKSPACE for rostest
#   sshd_workspace DIR                 create DIR (and parents) owned by rostest
#   sshd_worker_procs NAME             print PIDs of live processes started through worker NAME
#   count_ssh_procs_start              export ROS_SSH=tests/lib/ssh-counter and empty its log
#   count_ssh_procs_stop               unset ROS_SSH (the log is kept)
#   ssh_count [ERE]                    number of ssh invocations logged (matching ERE)
#
# After sshd_start NAME: SSHD_<NAME>_PID, SSHD_<NAME>_PORT and SSHD_<NAME>_ADDR are
# exported, and $T/sshd/NAME/port and $T/sshd/NAME/addr hold the port and address.
#
# Every session of a worker has ROS_TEST_WORKER=$T/sshd/NAME in its environment
# (sshd_config SetEnv); that is how processes started through a worker are
# found again, including detached `setsid` jobs.  With the `slurm` option the
# same SetEnv line also carries SLURM_CONF=$SLURM_CONF, so sbatch & co. run over
# ssh reach the test's own Slurm without the caller passing anything.

. "$TOP/tests/lib/proc.sh"

SSHD_USER=rostest
SSHD_BIN=/usr/sbin/sshd
SSHD_SSH_BIN=/usr/bin/ssh
SSHD_KEY=$T/sshkeys/client_ed25519
SSHD_KNOWN_HOSTS=$T/known_hosts
SSH_COUNT_LOG=$T/ssh-count.log
_sshd_as=
_sshd_ready=

_sshd_skip() { skip_all "$*"; }

_sshd_bail() {
	_sshd_b=$1; shift
	_fail "$_sshd_b" "$@"
	exit 1
}

sshd_setup_user() {
	[ -x "$SSHD_BIN" ] || _sshd_skip "sshd not installed ($SSHD_BIN)"
	[ -x "$SSHD_SSH_BIN" ] || _sshd_skip "ssh client not installed ($SSHD_SSH_BIN)"
	command -v setpriv >/dev/null || _sshd_skip "setpriv (util-linux) not installed"
	if [ "$(id -u)" = 0 ]; then
		if ! id -u "$SSHD_USER" >/dev/null 2>&1; then
			# Several test files may race to create it: retry, then accept
			# whoever won.
			_sshd_i=0
			until id -u "$SSHD_USER" >/dev/null 2>&1; do
				useradd -m -s /bin/sh "$SSHD_USER" 2>/dev/null && break
				_sshd_i=$((_sshd_i + 1))
				[ $_sshd_i -ge 50 ] && _sshd_bail "useradd $SSHD_USER" "useradd keeps failing"
				sleep 0.1
			done
		fi
		# A plain environment: /bin/sh reads no rc file for `ssh host cmd`
		# (bash would read ~/.bashrc).  '*' instead of '!' in shadow: a
		# locked account is refused by a root sshd with UsePAM no.
		[ "$(getent passwd "$SSHD_USER" | cut -d: -f7)" = /bin/sh ] ||
			usermod -s /bin/sh "$SSHD_USER" 2>/dev/null
		[ "$(getent shadow "$SSHD_USER" | cut -d: -f2)" = '*' ] ||
			usermod -p '*' "$SSHD_USER" 2>/dev/null
		# its home must be its own (a user re-created with another uid keeps the old one)
		_sshd_h=$(getent passwd "$SSHD_USER" | cut -d: -f6)
		[ -d "$_sshd_h" ] || mkdir -p "$_sshd_h"
		[ "$(stat -c %U "$_sshd_h")" = "$SSHD_USER" ] || chown "$SSHD_USER:" "$_sshd_h"
		_sshd_as="setpriv --reuid=$SSHD_USER --regid=$SSHD_USER --init-groups --"
	elif [ "$(id -un)" = "$SSHD_USER" ]; then
		_sshd_as=
	else
		_sshd_skip "not root, and not running as $SSHD_USER"
	fi
	if [ ! -f "$SSHD_KEY" ]; then
		mkdir -p "$T/sshkeys" || _sshd_bail "client key" "mkdir $T/sshkeys"
		chmod 700 "$T/sshkeys"
		ssh-keygen -q -t ed25519 -N '' -C ros-test-client -f "$SSHD_KEY" ||
			_sshd_bail "client key" "ssh-keygen failed"
	fi
	: > "$SSHD_KNOWN_HOSTS"
	_sshd_ready=1
}

sshd_free_port() { free_port; }

sshd_workspace() {
	mkdir -p "$1" || return 1
	[ "$(id -u)" = 0 ] && chown "$SSHD_USER:" "$1"
	return 0
}

_sshd_name() {
	case $1 in
	'' | [0-9]* | *[!A-Za-z0-9_]*) _sshd_bail "sshd: bad worker name '$1'" "NAME must be a shell identifier" ;;
	esac
}

# _sshd_load NAME: set _sd _spid _sport _saddr from the worker's files/vars.
_sshd_load() {
	_sshd_name "$1"
	_sd=$T/sshd/$1
	[ -f "$_sd/port" ] || _sshd_bail "sshd: no worker $1" "sshd_start $1 was never called"
	_sport=$(cat "$_sd/port")
	_saddr=$(cat "$_sd/addr")
	eval "_spid=\${SSHD_$1_PID:-}"
}

_sshd_write_config() {
	# $1 dir, $2 addr, $3 port.  Lines from extra.conf come first: for sshd
	# the first value given for a keyword wins.
	{
		cat "$1/extra.conf"
		cat <<CONF
Port $3
ListenAddress $2
HostKey $1/host_ed25519
PidFile $1/sshd.pid
AuthorizedKeysFile $1/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxStartups 200
MaxSessions 100
LogLevel VERBOSE
$(cat "$1/setenv.conf")
Subsystem sftp internal-sftp
CONF
	} > "$1/sshd_config.tmp" && mv "$1/sshd_config.tmp" "$1/sshd_config"
}

sshd_start() {
	[ $# -ge 3 ] || _sshd_bail "sshd_start: usage" "sshd_start NAME ADDR PORT [slurm] [-o Key=Value]..."
	_sshd_name "$1"
	_sn=$1 _saddr=$2 _sport_want=$3
	shift 3
	case $_saddr in
	127.*) ;;
	*) _sshd_bail "sshd_start $_sn: address $_saddr" "workers must listen on 127.0.0.0/8" ;;
	esac
	[ -n "$_sshd_ready" ] || _sshd_bail "sshd_start $_sn" "call sshd_setup_user first"
	_sd=$T/sshd/$_sn
	if [ ! -d "$_sd" ]; then
		mkdir -p "$_sd" || _sshd_bail "sshd_start $_sn" "mkdir $_sd"
		ssh-keygen -q -t ed25519 -N '' -C "ros-test-host-$_sn" -f "$_sd/host_ed25519" ||
			_sshd_bail "sshd_start $_sn" "host key"
		cp "$SSHD_KEY.pub" "$_sd/authorized_keys"
		_senv="ROS_TEST_WORKER=$_sd"
		: > "$_sd/extra.conf"
		while [ $# -gt 0 ]; do
			case $1 in
			slurm)
				[ -n "${SLURM_CONF:-}" ] || _sshd_bail "sshd_start $_sn slurm" "SLURM_CONF is not set (call slurm_up first)"
				_senv="$_senv SLURM_CONF=$SLURM_CONF" ;;
			env:*=*)
				case $1 in
				*[[:space:]\"\'\\]*) _sshd_bail "sshd_start $_sn" "no blanks or quotes in '$1'" ;;
				esac
				_senv="$_senv ${1#env:}" ;;
			-o)
				[ $# -ge 2 ] || _sshd_bail "sshd_start $_sn" "-o needs an argument"
				shift; printf '%s\n' "$1" >> "$_sd/extra.conf" ;;
			*) _sshd_bail "sshd_start $_sn" "unknown option '$1'" ;;
			esac
			shift
		done
		printf 'SetEnv %s\n' "$_senv" > "$_sd/setenv.conf"
		printf '%s\n' "$_saddr" > "$_sd/addr"
		chmod 700 "$_sd"
		chmod 600 "$_sd/authorized_keys"
		[ "$(id -u)" = 0 ] && chown -R "$SSHD_USER:" "$_sd"
		at_exit "_sshd_cleanup $_sn"
	elif [ $# -gt 0 ]; then
		_sshd_bail "sshd_start $_sn" "options are fixed by the first sshd_start of a worker"
	fi
	_saddr=$(cat "$_sd/addr")
	_stry=0
	while :; do
		_stry=$((_stry + 1))
		_sport=$_sport_want
		[ "$_sport" = 0 ] || [ -z "$_sport" ] && _sport=$(free_port)
		_sshd_write_config "$_sd" "$_saddr" "$_sport"
		_slog=$_sd/sshd.log
		_soff=0
		[ -f "$_slog" ] && _soff=$(wc -c < "$_slog")
		# Absolute -f and -E: the re-exec'd per-connection child runs in /.
		# shellcheck disable=SC2086
		$_sshd_as "$SSHD_BIN" -D -f "$_sd/sshd_config" -E "$_slog" </dev/null >>"$_sd/sshd.out" 2>&1 &
		_spid=$!
		_send=$(( $(date +%s%N) / 1000000 + 10000 ))
		_sstate="wait"
		while :; do
			if tail -c +$((_soff + 1)) "$_slog" 2>/dev/null | grep -q "Server listening on $_saddr port $_sport"; then
				_sstate=up; break
			fi
			if ! proc_alive "$_spid"; then _sstate=dead; break; fi
			[ $(( $(date +%s%N) / 1000000 )) -ge $_send ] && { _sstate=timeout; break; }
			sleep 0.01
		done
		[ $_sstate = up ] && break
		kill -KILL "$_spid" 2>/dev/null; wait "$_spid" 2>/dev/null
		# A port picked by us may have been taken meanwhile: pick another.
		if [ $_sstate = dead ] && { [ "$_sport_want" = 0 ] || [ -z "$_sport_want" ]; } && [ $_stry -lt 5 ] &&
			tail -c +$((_soff + 1)) "$_slog" | grep -qiE 'bind to port|cannot bind|address already in use'; then
			continue
		fi
		_sshd_bail "sshd_start $_sn on $_saddr:$_sport ($_sstate)" "$(tail -c +$((_soff + 1)) "$_slog" | tail -n 15)" "$(tail -n 5 "$_sd/sshd.out" 2>/dev/null)"
	done
	printf '%s\n' "$_sport" > "$_sd/port"
	eval "SSHD_${_sn}_PID=$_spid SSHD_${_sn}_PORT=$_sport SSHD_${_sn}_ADDR=$_saddr"
	export "SSHD_${_sn}_PID" "SSHD_${_sn}_PORT" "SSHD_${_sn}_ADDR"
}

sshd_stop() {
	_sshd_load "$1"
	[ -n "$_spid" ] || return 0
	# Listener first (no new sessions), then its session processes.
	_skids=$(proc_descendants "$_spid")
	kill -CONT "$_spid" 2>/dev/null
	# shellcheck disable=SC2086
	kill_wait 5 "$_spid" $_skids
	eval "SSHD_$1_PID="
}

sshd_worker_procs() {
	_sshd_load "$1"
	for _swp in $(pids_with_env "ROS_TEST_WORKER=$_sd"); do
		proc_alive "$_swp" && echo "$_swp"
	done
	return 0
}

sshd_kill_all_sessions() {
	_sshd_load "$1"
	_sk_all=
	if [ -n "$_spid" ]; then
		_sk_all="$_spid $(proc_descendants "$_spid")"
		# shellcheck disable=SC2086
		kill -KILL $_sk_all 2>/dev/null
	fi
	# Whatever was started through the worker, detached or not; repeat in
	# case something forked while we were looking.
	_sk_i=0
	while [ $_sk_i -lt 20 ]; do
		_sk_i=$((_sk_i + 1))
		_sk_p=$(sshd_worker_procs "$1" | tr '\n' ' ')
		[ -z "$_sk_p" ] && break
		_sk_all="$_sk_all $_sk_p"
		# shellcheck disable=SC2086
		kill -KILL $_sk_p 2>/dev/null
		sleep 0.01
	done
	# shellcheck disable=SC2086
	[ -n "$_sk_all" ] && procs_gone 5 $_sk_all
	eval "SSHD_$1_PID="
	return 0
}

sshd_restart() {
	[ $# -eq 2 ] || _sshd_bail "sshd_restart: usage" "sshd_restart NAME NEWPORT"
	sshd_stop "$1"
	sshd_start "$1" "$(cat "$T/sshd/$1/addr")" "$2"
}

sshd_pause() { _sshd_load "$1"; [ -n "$_spid" ] && kill -STOP "$_spid"; }
sshd_resume() { _sshd_load "$1"; [ -n "$_spid" ] && kill -CONT "$_spid"; }

# At exit: the listener, its sessions and everything started through it.
# Runs inside the EXIT trap: must not exit (no _sshd_load/_sshd_bail).
_sshd_cleanup() {
	eval "_spid=\${SSHD_$1_PID:-}"
	_sk_all=
	if [ -n "$_spid" ]; then
		_sk_all="$_spid $(proc_descendants "$_spid")"
		# shellcheck disable=SC2086
		kill -CONT $_sk_all 2>/dev/null
		# shellcheck disable=SC2086
		kill -KILL $_sk_all 2>/dev/null
	fi
	_sk_p=$(pids_with_env "ROS_TEST_WORKER=$T/sshd/$1" | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -n "$_sk_p" ] && kill -KILL $_sk_p 2>/dev/null
	# shellcheck disable=SC2086
	procs_gone 5 $_sk_all $_sk_p
	eval "SSHD_$1_PID="
}

sshd_ssh_opts() {
	echo "-F /dev/null -i $SSHD_KEY -o IdentitiesOnly=yes -o BatchMode=yes" \
		"-o UserKnownHostsFile=$SSHD_KNOWN_HOSTS -o StrictHostKeyChecking=accept-new" \
		"-o KexAlgorithms=curve25519-sha256 -o LogLevel=ERROR -o ConnectTimeout=5"
}

sshd_ssh() {
	_sshd_load "$1"; shift
	_sso=
	while [ $# -ge 2 ] && [ "$1" = -o ]; do
		_sso="$_sso -o $2"; shift 2
	done
	# Caller options first: for ssh too, the first value wins.
	# shellcheck disable=SC2046,SC2086
	"$SSHD_SSH_BIN" $_sso $(sshd_ssh_opts) -p "$_sport" "$SSHD_USER@$_saddr" "$@"
}

sshd_worker_yaml() {
	[ $# -eq 5 ] || _sshd_bail "sshd_worker_yaml: usage" "sshd_worker_yaml NAME WORKER_ID POOL SLOTS WORKSPACE"
	_sshd_load "$1"
	[ -d "$5" ] || sshd_workspace "$5"
	cat <<YAML
  - worker_id: $2
    kind: ssh
    enabled: true
    worker_pool: $3
    ssh:
      host: $_saddr
      port: $_sport
      user: $SSHD_USER
      key: $SSHD_KEY
    workspace: $5
    slots: $4
    resources:
      gpu: $4
    health:
      heartbeat_command: "echo ok"
YAML
}

count_ssh_procs_start() {
	: > "$SSH_COUNT_LOG"
	export SSH_COUNT_LOG
	ROS_SSH=$TOP/tests/lib/ssh-counter
	export ROS_SSH
}

count_ssh_procs_stop() { unset ROS_SSH; }

ssh_count() {
	[ -f "$SSH_COUNT_LOG" ] || { echo 0; return 0; }
	grep -cE -- "${1:-}" "$SSH_COUNT_LOG" || true
}
