#!/usr/bin/env bash
# Serve the app from several Streamlit replicas behind HAProxy with sticky sessions.
#
#   bash deploy/run.sh [options] [--] [streamlit options]
#
# Starts the replicas (one per CPU core by default) on 127.0.0.1, waits until each answers its
# health check, writes HAProxy's configuration for them (deploy/haproxy.cfg with their `server`
# lines) and runs HAProxy in the foreground. Stopping it (Ctrl-C, SIGTERM, or HAProxy exiting)
# stops the replicas. Anything that is not an option below goes to every replica's
# `streamlit run`, e.g. --server.enableAgentApi=true. See deploy/README.md.
#
# Options (and the environment variables that set the same thing):
#   --replicas N          REPLICAS         replicas on this machine (default: nproc; 0 with --remote)
#   --port P              PORT             the balancer's port (8501)
#   --bind ADDR           BIND             the balancer's address (127.0.0.1; 0.0.0.0 to serve a
#                                          classroom network)
#   --replica-port P      REPLICA_PORT     the first replica's port; the others follow (8601)
#   --replica-address A   REPLICA_ADDRESS  where replicas listen (127.0.0.1)
#   --remote HOST:PORT    REMOTES          a replica on another machine (repeat the option, or
#                                          separate with spaces in REMOTES)
#   --replicas-only                        start the replicas and no HAProxy (other machines)
#   --stats-port P        STATS_PORT       HAProxy's statistics page on 127.0.0.1 (8404)
#   --run-dir DIR         RUN_DIR          configuration, logs, pid files (run.pid; replica.pids
#                                          lists the replicas) and admin socket
#                                          (default: a new temporary directory)
#   --background                           return once everything is up; prints the pid to kill
#   --pid-file FILE       PID_FILE         where --background writes that pid ($RUN_DIR/run.pid)
#   --check                                print the HAProxy configuration, check it, exit
#   WAIT_SECONDS: how long to wait for each replica to become healthy (120).
#   HAPROXY: the haproxy binary, if it is not on the PATH or in /usr/sbin.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$repo/deploy/run.sh"
template="$repo/deploy/haproxy.cfg"

usage() { sed -n '2,/^set -euo pipefail/p' "$script" | sed '$d; s/^# \{0,1\}//'; }
die() {
  echo "deploy/run.sh: $*" >&2
  exit 2
}

replicas=${REPLICAS:-}
port=${PORT:-8501}
bind=${BIND:-127.0.0.1}
replica_port=${REPLICA_PORT:-8601}
replica_address=${REPLICA_ADDRESS:-127.0.0.1}
read -r -a remotes <<<"${REMOTES:-}"
stats_port=${STATS_PORT:-8404}
run_dir=${RUN_DIR:-}
pid_file=${PID_FILE:-}
wait_seconds=${WAIT_SECONDS:-120}
background=false
replicas_only=false
check_only=false
streamlit_args=()
forwarded=()  # the options to hand on when --background starts the foreground run

while [ $# -gt 0 ]; do
  opt=$1
  value=
  case $opt in
    --*=*) value=${opt#*=} opt=${opt%%=*} ;;
  esac
  case $opt in
    --replicas | --port | --bind | --replica-port | --replica-address | --remote | \
      --stats-port | --run-dir | --pid-file)
      if [ -z "$value" ]; then
        [ $# -ge 2 ] || die "$opt needs a value"
        value=$2
        shift
      fi
      ;;
  esac
  case $opt in
    -h | --help)
      usage
      exit 0
      ;;
    --replicas) replicas=$value ;;
    --port) port=$value ;;
    --bind) bind=$value ;;
    --replica-port) replica_port=$value ;;
    --replica-address) replica_address=$value ;;
    --remote) remotes+=("$value") ;;
    --stats-port) stats_port=$value ;;
    --run-dir) run_dir=$value ;;
    --pid-file) pid_file=$value ;;
    --background) background=true ;;
    --replicas-only) replicas_only=true ;;
    --check) check_only=true ;;
    --)
      shift
      streamlit_args+=("$@")
      break
      ;;
    *) streamlit_args+=("$1") ;;
  esac
  case $opt in
    --background | --pid-file) ;;
    --replicas | --port | --bind | --replica-port | --replica-address | --remote | \
      --stats-port | --run-dir) forwarded+=("$opt=$value") ;;
    --replicas-only | --check) forwarded+=("$opt") ;;
  esac
  shift
done

if [ -z "$replicas" ]; then
  if [ ${#remotes[@]} -gt 0 ]; then
    replicas=0
  else
    replicas=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
  fi
fi
for number in "$replicas" "$port" "$replica_port" "$stats_port" "$wait_seconds"; do
  [[ $number =~ ^[0-9]+$ ]] || die "not a number: '$number'"
done
for remote in "${remotes[@]}"; do
  [[ $remote =~ ^[^[:space:]]+:[0-9]+$ ]] || die "--remote wants HOST:PORT, not '$remote'"
done
[ "$replicas" -gt 0 ] || [ ${#remotes[@]} -gt 0 ] || die "no replicas: --replicas 0 needs --remote"
$replicas_only && [ "$replicas" -eq 0 ] && die "--replicas-only with --replicas 0 starts nothing"

find_haproxy() {
  local candidate
  if [ -n "${HAPROXY:-}" ]; then  # named explicitly: that one or none
    [ -x "$HAPROXY" ] && echo "$HAPROXY"
    return
  fi
  for candidate in "$(command -v haproxy || true)" /usr/sbin/haproxy /usr/local/sbin/haproxy \
    /opt/homebrew/sbin/haproxy /opt/homebrew/bin/haproxy /usr/local/bin/haproxy; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

haproxy=
if ! $replicas_only; then
  if ! haproxy=$(find_haproxy); then
    {
      if [ -n "${HAPROXY:-}" ]; then
        echo "HAPROXY=$HAPROXY is not an executable file."
      else
        echo "HAProxy is not installed, and the replicas need it in front of them. Install it:"
      fi
      echo "  Debian/Ubuntu:  sudo apt-get install haproxy"
      echo "  Fedora/RHEL:    sudo dnf install haproxy"
      echo "  macOS:          brew install haproxy"
      echo "or set HAPROXY=/path/to/haproxy. Version 2.2 or newer."
    } >&2
    exit 1
  fi
  version=$("$haproxy" -v 2>/dev/null | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -n 1)
  read -r major minor <<<"${version:-0 0}"
  if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 2 ]; }; then
    die "$haproxy is HAProxy ${major}.${minor}; this configuration needs 2.2 or newer."
  fi
fi

# Every replica's `server` line: local replicas r1..rN, then the other machines' m1..mN. The
# cookie value names the server, so it must be unique and stay the same across restarts.
server_lines() {
  local i
  for ((i = 1; i <= replicas; i++)); do
    printf '    server r%d %s:%d cookie r%d\n' "$i" "$(connect_address)" $((replica_port + i - 1)) "$i"
  done
  for ((i = 1; i <= ${#remotes[@]}; i++)); do
    printf '    server m%d %s cookie m%d\n' "$i" "${remotes[i - 1]}" "$i"
  done
}

# Where HAProxy reaches a local replica (a replica listening everywhere is reachable on loopback).
connect_address() {
  case $replica_address in
    0.0.0.0 | "") echo 127.0.0.1 ;;
    :: | "[::]") echo "[::1]" ;;
    *) echo "$replica_address" ;;
  esac
}

render_config() {
  local servers
  servers=$(server_lines)
  awk -v servers="$servers" '
    /# BEGIN SERVERS/ { print; print servers; skipping = 1; next }
    /# END SERVERS/ { skipping = 0 }
    !skipping { print }
  ' "$template"
}

export BP_BIND=$bind BP_PORT=$port BP_STATS_BIND=127.0.0.1 BP_STATS_PORT=$stats_port

if $check_only; then
  [ -n "$haproxy" ] || die "--check checks the HAProxy configuration; drop --replicas-only"
  config=$(mktemp)
  trap 'rm -f "$config"' EXIT
  render_config >"$config"
  cat "$config"
  export BP_ADMIN_SOCKET=${run_dir:-/tmp}/haproxy.sock
  "$haproxy" -c -q -f "$config"
  echo "# (configuration is valid)" >&2
  exit 0
fi

if [ -z "$run_dir" ]; then
  run_dir=$(mktemp -d "${TMPDIR:-/tmp}/backprop-deploy.XXXXXX")
else
  mkdir -p "$run_dir"
fi
run_dir=$(cd "$run_dir" && pwd)
export BP_ADMIN_SOCKET="$run_dir/haproxy.sock"

if $background; then
  pid_file=${pid_file:-$run_dir/run.pid}
  log="$run_dir/run.log"
  : >"$log"
  # The same command in the foreground, detached from this terminal; it writes the pid file.
  setsid=()
  if command -v setsid >/dev/null 2>&1; then setsid=(setsid); fi
  PID_FILE="$pid_file" nohup "${setsid[@]}" bash "$script" "${forwarded[@]}" \
    --run-dir="$run_dir" -- "${streamlit_args[@]}" </dev/null >"$log" 2>&1 &
  child=$!
  echo "$child" >"$pid_file"
  echo "Starting in the background (log: $log; pid in $pid_file) ..."
  while kill -0 "$child" 2>/dev/null && ! grep -q '^Ready: ' "$log"; do sleep 0.5; done
  if ! kill -0 "$child" 2>/dev/null; then
    cat "$log" >&2
    echo "deploy/run.sh: the background run stopped (log above)." >&2
    rm -f "$pid_file"
    exit 1
  fi
  grep -A 20 '^Ready: ' "$log"
  echo "Stop it with: kill \$(cat $pid_file)"
  exit 0
fi
if [ -n "${PID_FILE:-}" ]; then echo $$ >"$PID_FILE"; fi

# The project's environment: .venv if it runs Streamlit, else set it up as scripts/app.sh does.
if [ -x "$repo/.venv/bin/python" ] && "$repo/.venv/bin/python" -c 'import streamlit' 2>/dev/null; then
  python="$repo/.venv/bin/python"
else
  python=$(bash "$repo/scripts/venv.sh" requirements.txt | tail -n 1)
  case $python in /*) ;; *) python="$repo/$python" ;; esac
fi

port_free() {
  "$python" - "$1" "$2" <<'EOF'
import socket
import sys

host, port = sys.argv[1].strip("[]"), int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
try:
    with socket.create_server((host if host != "0.0.0.0" else "", port), family=family):
        pass
except OSError:
    sys.exit(1)
EOF
}

replica_pids=()
haproxy_pid=
cleanup() {
  local status=$? pid deadline
  trap - EXIT INT TERM HUP
  set +e
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null
  for pid in "${replica_pids[@]}"; do kill "$pid" 2>/dev/null; done
  deadline=$((SECONDS + 10))
  for pid in $haproxy_pid "${replica_pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  if [ -n "${PID_FILE:-}" ]; then rm -f "$PID_FILE"; fi
  rm -f "$run_dir/haproxy.sock"
  [ ${#replica_pids[@]} -eq 0 ] || echo "Stopped ${#replica_pids[@]} replica(s)." >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ! $replicas_only; then
  port_free "$bind" "$port" || die "port $port on $bind is in use (choose another with --port)"
  port_free 127.0.0.1 "$stats_port" || die "port $stats_port is in use (choose another with --stats-port)"
fi
for ((i = 0; i < replicas; i++)); do
  p=$((replica_port + i))
  port_free "$replica_address" "$p" ||
    die "replica port $p is in use (replicas use $replica_port..$((replica_port + replicas - 1)); see --replica-port)"
done

cd "$repo"
urls=()
for ((i = 1; i <= replicas; i++)); do
  p=$((replica_port + i - 1))
  "$python" -m streamlit run streamlit_app.py --server.headless=true --server.port="$p" \
    --server.address="$replica_address" --browser.gatherUsageStats=false \
    --server.fileWatcherType=none "${streamlit_args[@]}" \
    </dev/null >"$run_dir/replica-$i.log" 2>&1 &
  replica_pids+=($!)
  urls+=("http://$(connect_address):$p")
done
printf '%s\n' "${replica_pids[@]}" >"$run_dir/replica.pids"  # for tools that measure them
if [ "$replicas" -gt 0 ]; then
  echo "Starting $replicas replica(s) on ports $replica_port..$((replica_port + replicas - 1)) (logs: $run_dir/replica-N.log) ..."
fi

# Wait until every replica answers GET /_stcore/health with "ok"; stop early if one exits.
"$python" - "$wait_seconds" "${urls[@]}" -- "${replica_pids[@]}" <<'EOF' || exit 1
import os
import sys
import time
import urllib.request

wait = float(sys.argv[1])
rest = sys.argv[2:]
split = rest.index("--")
urls, pids = rest[:split], [int(p) for p in rest[split + 1 :]]
deadline = time.monotonic() + wait
waiting = dict(zip(urls, pids))
while waiting:
    for url, pid in list(waiting.items()):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            number = urls.index(url) + 1
            sys.exit(f"Replica {number} ({url}) exited while starting: see replica-{number}.log.")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    del waiting[url]
        except OSError:
            pass
    if waiting and time.monotonic() > deadline:
        sys.exit(f"Not healthy after {wait:.0f} s: {', '.join(waiting)}")
    if waiting:
        time.sleep(0.3)
EOF

if $replicas_only; then
  echo "Ready: ${#urls[@]} replica(s). On the balancer machine, add:"
  for ((i = 0; i < replicas; i++)); do
    echo "  --remote <this machine's address>:$((replica_port + i))"
  done
  if [ "$replica_address" = 127.0.0.1 ]; then
    echo "(They listen on 127.0.0.1 only: use --replica-address 0.0.0.0 for other machines.)"
  fi
else
  config="$run_dir/haproxy.cfg"
  render_config >"$config"
  "$haproxy" -c -q -f "$config" || die "HAProxy refused $config (above)"
  "$haproxy" -db -f "$config" >"$run_dir/haproxy.log" 2>&1 &
  haproxy_pid=$!
  # Up when the balancer itself answers the health check (it goes to a replica).
  for _ in $(seq 1 50); do
    if "$python" -c 'import sys, urllib.request as u; sys.exit(u.urlopen(sys.argv[1], timeout=2).read().strip() != b"ok")' \
      "http://127.0.0.1:$port/_stcore/health" 2>/dev/null; then
      break
    fi
    kill -0 "$haproxy_pid" 2>/dev/null || break
    sleep 0.2
  done
  if ! kill -0 "$haproxy_pid" 2>/dev/null; then
    cat "$run_dir/haproxy.log" >&2
    die "HAProxy stopped (its log is above)"
  fi
  shown=$bind
  [ "$bind" = 0.0.0.0 ] && shown="<this machine's address>"
  echo "Ready: http://$shown:$port/ -> $replicas local replica(s)${remotes[*]:+ and ${#remotes[@]} on other machines}"
  echo "  statistics:  http://127.0.0.1:$stats_port/"
  echo "  HAProxy:     $config (log: $run_dir/haproxy.log)"
  echo "  admin:       echo 'show table replicas' | socat stdio $BP_ADMIN_SOCKET"
fi

# Run until a signal, until HAProxy stops, or until every local replica has stopped (when no other
# machine serves). A replica that stops is reported; HAProxy's health checks take it out of the
# rotation. Nothing restarts it.
reported=()
while :; do
  if [ -n "$haproxy_pid" ]; then
    kill -0 "$haproxy_pid" 2>/dev/null || break
  fi
  alive=0
  for ((i = 0; i < ${#replica_pids[@]}; i++)); do
    if kill -0 "${replica_pids[i]}" 2>/dev/null; then
      alive=$((alive + 1))
    elif [ -z "${reported[i]:-}" ]; then
      echo "Replica $((i + 1)) stopped: see $run_dir/replica-$((i + 1)).log" >&2
      reported[i]=1
    fi
  done
  [ "$alive" -gt 0 ] || [ ${#replica_pids[@]} -eq 0 ] || [ ${#remotes[@]} -gt 0 ] || {
    echo "Every replica has stopped: stopping." >&2
    exit 1
  }
  sleep 1 &
  wait $! || true  # a signal interrupts this wait at once and runs the trap
done
if [ -n "$haproxy_pid" ]; then
  status=0
  wait "$haproxy_pid" 2>/dev/null || status=$?
  echo "HAProxy stopped (log: $run_dir/haproxy.log)." >&2
  exit "$status"
fi
