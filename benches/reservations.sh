#!/usr/bin/env bash
# Runs benches/reservations.rs (release build) on SQLite and on a throwaway PostgreSQL cluster
# with the default durability (fsync on). Usage: benches/reservations.sh [seconds per cell]
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_SECONDS=${1:-5}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && [ "$(id -u)" = 0 ]; then
  ROOT=$(mktemp -d); chmod 755 "$ROOT"; mkdir "$ROOT/pg"; chown postgres:postgres "$ROOT/pg"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$PGBIN/initdb" -D "$ROOT/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$ROOT/pg/data" -l "$ROOT/pg/log" -w -o "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT/pg -c max_connections=200" start >/dev/null
  trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$ROOT/pg/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$ROOT"' EXIT
  export BENCH_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
fi
cargo bench --bench reservations
