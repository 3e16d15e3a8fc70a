#!/usr/bin/env bash
# Starts and stops a private one-node Slurm cluster (slurmctld + slurmd + munged) for tests, without
# systemd and without touching /etc: the config, munge key and socket, state, spool, logs and pid files
# all live under DIR, and the ports are picked free per DIR, so several clusters can run side by side.
#
#   local-cluster.sh start DIR   start the daemons, wait until the node is idle (exit 77: not installed)
#   local-cluster.sh env DIR     print `export ...` lines to eval before running sbatch/squeue/scancel
#   local-cluster.sh stop DIR    cancel the jobs, stop the daemons by their recorded PIDs; idempotent
#
# Clients need SLURM_CONF=DIR/slurm.conf in their environment: it names the controller's port and the
# munge socket (AuthInfo), without it they talk to /etc/slurm and /run/munge. Tested with Debian
# bookworm's slurm-wlm 22.05 and munge 0.5.15 (packaging/install-deps.sh installs them).
# LOCAL_CLUSTER_MIN_JOB_AGE overrides MinJobAge (default 300 s: finished jobs stay listed that long).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|env DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
if [ "$cmd" = start ]; then
  mkdir -p -- "$2" 2>/dev/null || true
  DIR=$(cd -- "$2" 2>/dev/null && pwd -P) || { echo "local-cluster: cannot use directory $2" >&2; exit 2; }
else
  DIR=$(realpath -m -- "$2")
fi
CONF=$DIR/slurm.conf
PIDS=$DIR/pids
# Every daemon we start carries this variable; stop kills a recorded PID only if the process still has
# it (a PID reused by an unrelated process is left alone), and looks for slurmstepd leftovers by it.
MARK="RANKLAB_SLURM_CLUSTER=$DIR"

log() { echo "local-cluster: $*" >&2; }

# True if process $1 is one of ours: its environment carries our marker, or (still starting up, before
# the exec that sets the marker) its command line names DIR.
ours() {
  grep -qzxF -- "$MARK" "/proc/$1/environ" 2>/dev/null && return 0
  tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$DIR"
}

# True if process $1 exists and is not a zombie (a daemon that died during start stays a zombie child).
alive() {
  local st
  st=$(sed -E 's/^[0-9]+ \(.*\) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# PIDs of processes with our marker (the daemons and the slurmstepds they forked) and of job processes
# of this cluster (SLURM_CONF is ours and SLURM_JOB_ID is set), except this script and its ancestors.
leftovers() {
  local keep=" $$ " p=$$ f pid
  while [ "$p" -gt 1 ] 2>/dev/null; do
    p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || break
    keep+="$p "
  done
  {
    grep -lzxF -- "$MARK" /proc/[0-9]*/environ 2>/dev/null || true
    for f in $(grep -lzxF -- "SLURM_CONF=$CONF" /proc/[0-9]*/environ 2>/dev/null || true); do
      if grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null; then echo "$f"; fi
    done
  } | while read -r f; do
    pid=${f#/proc/}; pid=${pid%/environ}
    case "$keep" in *" $pid "*) ;; *) echo "$pid" ;; esac
  done | sort -un
}

# True if TCP port $1 has a listener (ss, or /proc/net/tcp* when ss is missing).
port_busy() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    ss -Htln 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$port\$"
  else
    local hex
    hex=$(printf '%04X' "$port")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {f=1} END {exit !f}'
  fi
}

# Kills the PIDs recorded in DIR/pids (TERM, up to 10 s, then KILL) and any leftover of ours.
stop_all() {
  local pids=() recorded=() pid f
  if [ -d "$PIDS" ]; then
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f" 2>/dev/null || true)
      if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then pids+=("$pid"); recorded+=("$pid"); fi
    done
  fi
  local p
  for p in $(leftovers); do
    case " ${pids[*]-} " in *" $p "*) ;; *) pids+=("$p") ;; esac
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # The daemons get 10 s to save their state; orphaned slurmstepds (their slurmd gone) ignore
    # SIGTERM, so the other leftovers get 2 s.
    local i remaining daemons=" ${recorded[*]-} "
    for i in $(seq 1 100); do
      remaining=()
      for pid in "${pids[@]}"; do alive "$pid" && remaining+=("$pid"); done
      [ ${#remaining[@]} -eq 0 ] && break
      if [ "$i" -eq 20 ]; then
        for pid in "${remaining[@]}"; do
          case "$daemons" in *" $pid "*) ;; *) kill -KILL "$pid" 2>/dev/null || true ;; esac
        done
      fi
      sleep 0.1
    done
    if [ ${#remaining[@]} -gt 0 ]; then
      log "killing ${remaining[*]} (still running 10 s after SIGTERM)"
      kill -KILL "${remaining[@]}" 2>/dev/null || true
      sleep 0.3
    fi
  fi
  rm -f "$PIDS"/*.pid "$DIR"/run/*.pid 2>/dev/null || true
  rm -f "$DIR/munge/munge.sock" "$DIR/munge/munge.sock.lock" 2>/dev/null || true
  local left
  left=$(leftovers)
  if [ -n "$left" ]; then
    log "processes still running: ${left//$'\n'/ }"
    return 1
  fi
  return 0
}

# Prints the last lines of every daemon's stderr (with -D/--foreground it carries the whole log, and
# also what a daemon prints before its log file is open), for a start that failed.
dump_logs() {
  local f
  for f in "$DIR"/log/*.out; do
    [ -s "$f" ] || continue
    echo "---- $f (last 25 lines)" >&2
    tail -n 25 "$f" >&2
  done
}

fail() {
  log "$*"
  dump_logs
  stop_all || true
  exit 1
}

# Starts "$@" in the background in its own session, stdout/stderr to log/$1.out, PID into pids/$1.pid.
spawn() {
  local name=$1
  shift
  (
    # shellcheck disable=SC2030  # the daemons' environment only
    export RANKLAB_SLURM_CLUSTER="$DIR" SLURM_CONF="$CONF"
    exec setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1
  ) &
  echo $! >"$PIDS/$name.pid"
}

start() {
  local b
  for b in slurmctld slurmd munged sbatch squeue scontrol scancel sinfo; do
    if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$b" ]; then
      echo "slurm-wlm/munge not installed: run packaging/install-deps.sh"
      exit 77
    fi
  done
  export PATH="$PATH:/usr/sbin:/sbin"

  # A leftover of an earlier run in this DIR is stopped first; the job state is not kept.
  stop_all >/dev/null 2>&1 || true
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/run" "$DIR/log" "$DIR/munge" "$PIDS" "$DIR/cgroup.conf"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/run" "$DIR/log" "$PIDS"
  # munged insists that its key, socket and log directories are private to its user.
  mkdir -m 0711 "$DIR/munge"
  chmod 0755 "$DIR/state" "$DIR/spool" "$DIR/run" "$DIR/log"

  local user
  user=$(id -un)
  local cpus mem
  cpus=$(nproc)
  mem=$(free -m | awk '/^Mem:/ {print $2}')
  mem=$((mem * 9 / 10))
  [ "$mem" -ge 64 ] || mem=64

  # Two consecutive free ports, starting from a hash of DIR so that clusters in different DIRs differ.
  local base
  base=$(( ($(printf '%s' "$DIR" | cksum | cut -d' ' -f1) % 4000) * 2 + 20000 ))
  for _ in $(seq 1 200); do
    if ! port_busy "$base" && ! port_busy $((base + 1)); then break; fi
    base=$((base + 2))
    [ "$base" -lt 28000 ] || base=20000
  done
  local ctld_port=$base slurmd_port=$((base + 1))

  # The munge key: 1 KiB of random bytes, readable by this user only.
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$DIR/munge/munge.key"

  cat >"$CONF" <<EOF
# Generated by tests/slurm/local-cluster.sh: a private one-node cluster, everything under $DIR.
ClusterName=ranklab
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Low latency for tests: the scheduler runs every second and right after each submission/completion.
SchedulerParameters=sched_interval=1,sched_min_interval=0,bf_interval=1,batch_sched_delay=0
MessageTimeout=10
SlurmdTimeout=60
InactiveLimit=0
KillWait=2
# Finished jobs stay visible in squeue --json/scontrol for at least MinJobAge seconds.
MinJobAge=${LOCAL_CLUSTER_MIN_JOB_AGE:-300}
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

  # shellcheck disable=SC2031
  export SLURM_CONF="$CONF"

  spawn munged munged --foreground --force \
    --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.sock" \
    --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed"
  local i
  for i in $(seq 1 100); do
    [ -S "$DIR/munge/munge.sock" ] && break
    alive "$(cat "$PIDS/munged.pid")" || fail "munged exited during startup"
    sleep 0.1
  done
  [ -S "$DIR/munge/munge.sock" ] || fail "munged did not create $DIR/munge/munge.sock within 10 s"
  if ! munge -S "$DIR/munge/munge.sock" -n 2>/dev/null | unmunge -S "$DIR/munge/munge.sock" >/dev/null 2>&1; then
    fail "munge credential round trip through $DIR/munge/munge.sock failed"
  fi

  spawn slurmctld slurmctld -D -c -i -f "$CONF"
  spawn slurmd slurmd -D -N localhost -f "$CONF"

  # Up to 30 s for the node to register and turn idle.
  local state=""
  for i in $(seq 1 150); do
    alive "$(cat "$PIDS/slurmctld.pid")" || fail "slurmctld exited during startup"
    alive "$(cat "$PIDS/slurmd.pid")" || fail "slurmd exited during startup"
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
  done
  [ "$state" = idle ] || fail "node not idle after 30 s (sinfo state: '${state:-no answer}')"
  echo "local-cluster: up in $DIR (slurmctld port $ctld_port, slurmd port $slurmd_port); SLURM_CONF=$CONF"
}

stop() {
  [ -f "$CONF" ] || [ -d "$PIDS" ] || return 0
  # Cancel the jobs first, so that slurmd/slurmstepd end them and their processes properly.
  if [ -f "$PIDS/slurmctld.pid" ] && ours "$(cat "$PIDS/slurmctld.pid" 2>/dev/null || echo 0)"; then
    SLURM_CONF="$CONF" timeout 5 scancel --quiet --user="$(id -un)" 2>/dev/null || true
    local i
    for i in $(seq 1 25); do
      [ -z "$(SLURM_CONF="$CONF" timeout 5 squeue -h -t running,completing -o %i 2>/dev/null || true)" ] && break
      sleep 0.2
    done
  fi
  stop_all
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env)
    echo "export SLURM_CONF=$(printf '%q' "$CONF")"
    ;;
  *) usage ;;
esac
