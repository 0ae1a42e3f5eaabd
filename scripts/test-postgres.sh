#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the test suite and print its URL.
# Usage: eval "$(scripts/test-postgres.sh start)"   ...   scripts/test-postgres.sh stop
# Installs Debian's postgresql package when no server binaries are present.
set -euo pipefail
PGPORT="${CXLOOP_PG_PORT:-55432}"
PGDIR="${CXLOOP_PG_DIR:-/tmp/cxloop-pg}"

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

start() {
  if ! BIN=$(find_bin); then
    echo "installing postgresql from Debian packages..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    BIN=$(find_bin)
  fi
  local runas=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runas=(runuser -u postgres --)
  fi
  if [ -f "$PGDIR/data/postmaster.pid" ] && "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    :
  else
    rm -rf "$PGDIR"; mkdir -p "$PGDIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    "${runas[@]}" "$BIN/initdb" -D "$PGDIR/data" -U cxloop --auth=trust -E UTF8 >/dev/null
    "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >&2
  fi
  echo "export CXLOOP_TEST_POSTGRES_URL=postgresql+psycopg://cxloop@127.0.0.1:$PGPORT/postgres"
}

stop() {
  BIN=$(find_bin) || exit 0
  local runas=()
  [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >&2 || true
}

"${1:-start}"
