#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the test suite and print its URL.
# Usage: eval "$(scripts/test-postgres.sh start)"   ...   scripts/test-postgres.sh stop
# Installs Debian's postgresql package when no server binaries are present.
# CXLOOP_PG_PORT is the first port tried: when another program already listens there, the
# next ports are tried (up to 50), so a server left running elsewhere cannot fail the run.
# CXLOOP_PG_DIR is the data folder; a server already running from it is reused.
set -euo pipefail
PGPORT="${CXLOOP_PG_PORT:-55432}"
PGDIR="${CXLOOP_PG_DIR:-/tmp/cxloop-pg}"
TRIES=50

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

runas=()
if [ "$(id -u)" = 0 ]; then
  runas=(runuser -u postgres --)
fi

# True when something on 127.0.0.1 accepts connections on port $1.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Port of the server running from $PGDIR, when there is one.
running_port() {
  local pid_file="$PGDIR/data/postmaster.pid"
  [ -f "$pid_file" ] || return 1
  "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1 || return 1
  sed -n 4p "$pid_file"
}

start() {
  if ! BIN=$(find_bin); then
    echo "installing postgresql from Debian packages..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    BIN=$(find_bin)
  fi
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  fi
  local port
  if port=$(running_port); then
    echo "export CXLOOP_TEST_POSTGRES_URL=postgresql+psycopg://cxloop@127.0.0.1:$port/postgres"
    return 0
  fi
  rm -rf "$PGDIR"; mkdir -p "$PGDIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  "${runas[@]}" "$BIN/initdb" -D "$PGDIR/data" -U cxloop --auth=trust -E UTF8 >/dev/null
  local i
  for ((i = 0; i < TRIES; i++)); do
    port=$((PGPORT + i))
    port_busy "$port" && continue
    if "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2; then
      echo "export CXLOOP_TEST_POSTGRES_URL=postgresql+psycopg://cxloop@127.0.0.1:$port/postgres"
      return 0
    fi
    # Another program may have taken the port between the check and the start: try the next.
    grep -q "Address already in use" "$PGDIR/log" 2>/dev/null || break
  done
  echo "PostgreSQL did not start (data folder $PGDIR/data); the end of its log:" >&2
  tail -n 20 "$PGDIR/log" >&2 || true
  return 1
}

stop() {
  BIN=$(find_bin) || exit 0
  [ -d "$PGDIR/data" ] || exit 0
  "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >&2 || true
}

"${1:-start}"
