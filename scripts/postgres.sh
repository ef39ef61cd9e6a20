#!/usr/bin/env bash
# Install (Debian packages) and start a throw-away PostgreSQL on 127.0.0.1 for the test suite.
# Usage: eval "$(scripts/postgres.sh start)"   -> exports REPMON_TEST_POSTGRES_URL
#        scripts/postgres.sh stop
set -euo pipefail
PORT="${REPMON_PG_PORT:-54329}"
DIR="${REPMON_PG_DIR:-/tmp/repmon-pg-$PORT}"

find_bin() {
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done; true
}

run_as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "${1:-start}" in
  start)
    BIN="$(find_bin)"
    if [ -z "$BIN" ]; then
      echo "installing PostgreSQL from Debian packages..." >&2
      if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install postgresql" >&2; exit 1; fi
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
      BIN="$(find_bin)"
    fi
    if ! "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
      rm -rf "$DIR"; mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres "$DIR"
      run_as_postgres "'$BIN/initdb' -D '$DIR/data' -U postgres -A trust --no-sync -E UTF8" >/dev/null
      run_as_postgres "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/log' -w -o \"-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200\" start" >&2
    fi
    echo "export REPMON_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    BIN="$(find_bin)"
    [ -n "$BIN" ] && [ -d "$DIR/data" ] && run_as_postgres "'$BIN/pg_ctl' -D '$DIR/data' -m fast stop" >&2 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
