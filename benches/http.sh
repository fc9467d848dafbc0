#!/usr/bin/env bash
# Load benchmark for the foundation (issue #2): requests/s and latency percentiles of
# GET /health and an authenticated GET /api/v1/me, at 16 and 64 connections, on SQLite and on
# PostgreSQL, with the shipped default durability (SQLite synchronous=FULL in WAL; PostgreSQL
# fsync=on, synchronous_commit=on), plus the server's idle and peak RSS.
# Needs: wrk (Debian package), PostgreSQL binaries for the PostgreSQL half. Not run in CI.
# Usage: [BACKENDS="sqlite postgres"] benches/http.sh [duration_seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
cargo build --release -q --bin yuimaru
BIN=$PWD/target/release/yuimaru
WORK=$(mktemp -d)
chmod 755 "$WORK"   # the postgres user must reach the cluster directory inside it
BACKENDS=${BACKENDS:-sqlite postgres}
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${PGDATA_DIR:-}" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

run_backend() {
  local name=$1 url=$2
  local port; port=$(free_port)
  export YUIMARU_ENV=production
  export YUIMARU__DATABASE__URL=$url
  export YUIMARU__SERVER__HOST=127.0.0.1
  export YUIMARU__SERVER__PORT=$port
  export YUIMARU__SERVER__BASE_URL="http://127.0.0.1:$port"
  export YUIMARU__AUTH__SECRET_KEY=benchmark-secret-key-0123456789abcdef
  export YUIMARU__MAIL__SMTP__HOST=127.0.0.1
  export YUIMARU__LOG__FILTER=error
  echo 'benchmark-password' | "$BIN" user create --role admin --email "bench-$name@example.jp" --password-stdin >/dev/null
  "$BIN" serve >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port"
  curl -sf -c "$WORK/cj" -H 'content-type: application/json' \
    -d "{\"email\":\"bench-$name@example.jp\",\"password\":\"benchmark-password\"}" "$base/api/v1/auth/login" >/dev/null
  local csrf; csrf=$(curl -sf -b "$WORK/cj" "$base/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
  local token; token=$(curl -sf -b "$WORK/cj" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"name":"bench"}' "$base/api/v1/me/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  sleep 1
  echo "### $name: idle RSS $(( $(rss_kb "$pid") / 1024 )) MB"
  for c in 16 64; do
    wrk -t2 -c"$c" -d"${DUR}s" --latency "$base/health" >"$WORK/w" 2>&1
    printf '%-9s %-14s c=%-3s %s req/s  p50 %s  p99 %s\n' "$name" "/health" "$c" \
      "$(awk '/Requests\/sec/ {print $2}' "$WORK/w")" "$(awk '$1=="50%" {print $2}' "$WORK/w")" "$(awk '$1=="99%" {print $2}' "$WORK/w")"
    wrk -t2 -c"$c" -d"${DUR}s" --latency -H "Authorization: Bearer $token" "$base/api/v1/me" >"$WORK/w" 2>&1
    local non2xx; non2xx=$(awk '/Non-2xx/ {print $4}' "$WORK/w")
    printf '%-9s %-14s c=%-3s %s req/s  p50 %s  p99 %s%s\n' "$name" "/api/v1/me" "$c" \
      "$(awk '/Requests\/sec/ {print $2}' "$WORK/w")" "$(awk '$1=="50%" {print $2}' "$WORK/w")" "$(awk '$1=="99%" {print $2}' "$WORK/w")" \
      "${non2xx:+  (non-2xx: $non2xx)}"
  done
  echo "### $name: peak RSS under load $(( $(hwm_kb "$pid") / 1024 )) MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [[ " $BACKENDS " == *" sqlite "* ]]; then
  run_backend sqlite "sqlite://$WORK/bench.db?mode=rwc"
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ " $BACKENDS " != *" postgres "* ]]; then
  :
elif [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  PGROOT="$WORK/pg"; mkdir -p "$PGROOT"; chown postgres:postgres "$PGROOT"; chmod 700 "$PGROOT"
  PGPORT=$(free_port)
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT" start >/dev/null
  PGDATA_DIR="$PGROOT/data"
  run_backend postgres "postgres://postgres@127.0.0.1:$PGPORT/postgres"
else
  echo "PostgreSQL binaries not found: PostgreSQL half skipped"
fi
