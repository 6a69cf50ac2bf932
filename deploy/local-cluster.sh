#!/usr/bin/env bash
# deploy/local-cluster.sh up|down|status [N]
# Starts N `orchestrator node` processes (default 3) on 127.0.0.1 with a PostgreSQL journal, and tears them down.
# PostgreSQL comes from Debian packages when missing (apt-get install postgresql; pg_ctlcluster VER main start;
# role and database `orchestrator`). State (configs, logs, pids, token) lives in $ORCHESTRATOR_STATE
# (default .orchestrator/local-cluster). Nodes serve http://127.0.0.1:$API_PORT_BASE (7501), +1, …; Akka remoting
# uses $AKKA_PORT_BASE (7551), +1, …, the management endpoints (Cluster Bootstrap's contact points)
# $MANAGEMENT_PORT_BASE (8558), +1, …. The bearer token is in $STATE/token.
# Environment: ORCHESTRATOR_PG (connection string; skips the install), ORCHESTRATOR_BIN (command that runs the
# executable; default: build this repo and `dotnet artifacts/bin/orchestrator/orchestrator.dll`), TOPOLOGY.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
verb="${1:-}"
n="${2:-3}"
state="${ORCHESTRATOR_STATE:-$PWD/.orchestrator/local-cluster}"
api_base="${API_PORT_BASE:-7501}"
akka_base="${AKKA_PORT_BASE:-7551}"
management_base="${MANAGEMENT_PORT_BASE:-8558}"
topology="${TOPOLOGY:-$repo/cluster-config/demo-topology.yaml}"

die() { echo "local-cluster: $*" >&2; exit 1; }
[[ "$n" =~ ^[1-9]$ ]] || die "N: bad value '$n'; expected 1 to 9"

ours() { # pid config -> true when the pid still runs our node with that config
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

postgres() {
  if [ -n "${ORCHESTRATOR_PG:-}" ]; then echo "$ORCHESTRATOR_PG"; return; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "local-cluster: installing PostgreSQL from Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2 || die "cannot install postgresql (apt-get failed)"
  fi
  local ver
  ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -n "$ver" ] || die "no PostgreSQL cluster under /etc/postgresql"
  pg_ctlcluster "$ver" main start >&2 2>/dev/null || true  # stdout is the connection string
  for _ in $(seq 1 40); do pg_isready -h 127.0.0.1 -q && break; sleep 0.25; done
  pg_isready -h 127.0.0.1 -q || die "PostgreSQL $ver did not start on 127.0.0.1:5432"
  su postgres -c "psql -tc \"SELECT 1 FROM pg_roles WHERE rolname='orchestrator'\"" | grep -q 1 ||
    su postgres -c "psql -q -c \"CREATE ROLE orchestrator LOGIN CREATEDB PASSWORD 'orchestrator';\"" >&2
  su postgres -c "psql -tc \"SELECT 1 FROM pg_database WHERE datname='orchestrator_local'\"" | grep -q 1 ||
    su postgres -c "psql -q -c 'CREATE DATABASE orchestrator_local OWNER orchestrator;'" >&2
  echo "Host=127.0.0.1;Port=5432;Username=orchestrator;Password=orchestrator;Database=orchestrator_local"
}

binary() {
  if [ -n "${ORCHESTRATOR_BIN:-}" ]; then echo "$ORCHESTRATOR_BIN"; return; fi
  dotnet build "$repo/src/Orchestrator.Node/Orchestrator.Node.csproj" -c Release -nologo -v q -clp:ErrorsOnly \
    -o "$repo/artifacts/bin/orchestrator" >&2 || die "build failed"
  echo "dotnet $repo/artifacts/bin/orchestrator/orchestrator.dll"
}

status() {
  local any=1
  [ -f "$state/pids" ] || { echo "local-cluster: not running"; return 1; }
  while IFS=$'\t' read -r pid name config api; do
    if ours "$pid" "$config"; then
      if curl -fs -o /dev/null --max-time 2 "$api/healthz"; then echo "$name pid $pid $api up"; else echo "$name pid $pid $api starting"; fi
      any=0
    else
      echo "$name pid $pid gone"
    fi
  done <"$state/pids"
  return $any
}

# Whether the process runs: it exists and is not a zombie (an orphaned node is reaped by whoever is PID 1, maybe never).
running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

exited_within_10s() { # pid
  for _ in $(seq 1 40); do running "$1" || return 0; sleep 0.25; done
  ! running "$1"
}

down() {
  [ -f "$state/pids" ] || { echo "local-cluster: nothing to stop"; return 0; }
  local pids=()
  while IFS=$'\t' read -r pid name config api; do
    if ours "$pid" "$config"; then kill -TERM "$pid" 2>/dev/null && pids+=("$pid") && echo "stopping $name (pid $pid)"; fi
  done <"$state/pids"
  for pid in "${pids[@]}"; do
    if ! exited_within_10s "$pid"; then
      echo "pid $pid did not stop within 10 s of SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # SIGKILL is delivered, not done: a large process takes a moment to exit. "Stopped" means stopped.
      exited_within_10s "$pid" || echo "pid $pid still runs after SIGKILL" >&2
    fi
  done
  rm -f "$state/pids"
  echo "local-cluster: stopped ${#pids[@]} node(s)"
}

up() {
  if [ -f "$state/pids" ] && status >/dev/null 2>&1; then die "already running (see: $0 status; stop: $0 down)"; fi
  mkdir -p "$state"
  local pg bin token contacts
  pg=$(postgres)
  bin=$(binary)
  token=$( [ -s "$state/token" ] && cat "$state/token" || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077; echo "$token" >"$state/token")
  # Every node is a contact point: the lowest forms the cluster once all answer, a restarted node joins the others.
  contacts=$(for i in $(seq 1 "$n"); do printf '"127.0.0.1:%s",' "$((management_base + i - 1))"; done)
  contacts=${contacts%,}
  : >"$state/pids"
  for i in $(seq 1 "$n"); do
    local name="node-$i" api="http://127.0.0.1:$((api_base + i - 1))" conf="$state/node-$i.conf"
    cat >"$conf" <<CONF
node { name = "$name", hostname = "127.0.0.1", port = $((akka_base + i - 1)), topology = "$topology" }
cluster { contact-points = [$contacts], management-port = $((management_base + i - 1)), roles = [coordinator, hosts] }
persistence { provider = postgres, connection-string = "$pg" }
api { url = "$api", token = "$token" }
CONF
    # shellcheck disable=SC2086
    ORCHESTRATOR_TOKEN="$token" nohup $bin node --config "$conf" >"$state/$name.log" 2>&1 </dev/null &
    printf '%s\t%s\t%s\t%s\n' "$!" "$name" "$conf" "$api" >>"$state/pids"
    echo "started $name pid $! api $api"
  done
  for _ in $(seq 1 240); do
    local ready=0
    while IFS=$'\t' read -r pid name config api; do
      # kill -0, not ours(): right after the launch a node's pid can still be the forked shell, before it runs the node
      # (its command line does not name the config yet), and that is a node starting, not one that exited.
      kill -0 "$pid" 2>/dev/null || { local dead="$name"; tail -n 20 "$state/$dead.log" >&2; down >&2; die "$dead exited during start-up (log above)"; }
      # Ready, not only alive: member Up, journal reachable, every host actor of the node recovered and answering.
      curl -fs -o /dev/null --max-time 4 "$api/readyz" && ready=$((ready + 1))
    done <"$state/pids"
    if [ "$ready" -eq "$n" ]; then
      echo "local-cluster: $n node(s) ready; token in $state/token"
      echo "  try: ORCHESTRATOR_API=http://127.0.0.1:$api_base ORCHESTRATOR_TOKEN=\$(cat $state/token) ./run hosts"
      return 0
    fi
    sleep 0.25
  done
  down >&2
  die "nodes not ready within 60 s (logs in $state; GET /readyz says why)"
}

case "$verb" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status [N]" >&2; exit 2 ;;
esac
