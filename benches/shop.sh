#!/usr/bin/env bash
# Shop benchmark (issue #5): the release binary on SQLite and PostgreSQL (shipped durability:
# SQLite WAL + synchronous=FULL; PostgreSQL fsync=on, synchronous_commit=on) with a fixed dataset
# (100 producers, 2,000 listed SKUs with stock), driven by wrk over loopback at 16 and 64
# connections: the catalogue page of 20, a product page, and order placement (a 3-line order
# from 3 producers, cash on delivery, a fresh Idempotency-Key each), next to the raw database's
# rate for the same order statements (benches/shop.rs, BENCH_MODE=raw). Reports the server's
# RSS (peak). Jobs are not run by the server during the run (YUIMARU__JOBS__RUN_IN_SERVE=false):
# the request path is measured; the confirmation emails wait in the job table.
# Needs wrk and, for PostgreSQL, its binaries (run as root). Not run in CI.
# Usage: [BACKENDS="sqlite postgres"] benches/shop.sh [seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
cargo build --release -q --bin yuimaru
cargo bench --no-run -q --bench shop 2>/dev/null
BENCH=$(ls -t target/release/deps/shop-* | grep -v '\.d$' | head -1)
BIN=$PWD/target/release/yuimaru
WORK=$(mktemp -d); chmod 755 "$WORK"
BACKENDS=${BACKENDS:-sqlite postgres}
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${PGDATA_DIR:-}" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
row() { # name label conns wrk-output
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(awk '/Requests\/sec/ {print $2}' "$4")" \
    "$(awk '$1=="50%" {print $2}' "$4")" "$(awk '$1=="99%" {print $2}' "$4")"
  local bad; bad=$(awk '/Non-2xx/ {print $5}' "$4"); [ -z "$bad" ] || echo "   ($bad non-2xx responses)"
}

run_backend() {
  local name=$1 url=$2
  BENCH_MODE=seed BENCH_DB_URL=$url "$BENCH" > "$WORK/seed"
  local slug product skus
  slug=$(awk -F= '$1=="slug" {print $2}' "$WORK/seed")
  product=$(awk -F= '$1=="product" {print $2}' "$WORK/seed")
  skus=$(awk -F= '$1=="skus" {print $2}' "$WORK/seed")
  local port; port=$(free_port)
  YUIMARU_ENV=production YUIMARU__DATABASE__URL=$url \
    YUIMARU__SERVER__HOST=127.0.0.1 YUIMARU__SERVER__PORT=$port \
    YUIMARU__SERVER__BASE_URL="http://127.0.0.1:$port" YUIMARU__AUTH__SECRET_KEY=benchmark-secret-key-0123456789abcdef \
    YUIMARU__MAIL__SMTP__HOST=127.0.0.1 YUIMARU__LOG__FILTER=error YUIMARU__JOBS__RUN_IN_SERVE=false \
    "$BIN" serve > "$WORK/$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  local base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
  local first; first=$(echo "$skus" | cut -d, -f1)
  local total; total=$(curl -sf -H 'content-type: application/json' "$base/api/v1/aggregators/$slug/shop/checkout/preview" -d \
    "{\"lines\":[{\"sku_id\":\"$first\",\"qty\":1},{\"sku_id\":\"$(echo "$skus" | cut -d, -f21)\",\"qty\":1},{\"sku_id\":\"$(echo "$skus" | cut -d, -f41)\",\"qty\":1}],\"buyer\":{\"name\":\"山田 花子\",\"email\":\"hanako@example.jp\",\"phone\":\"090-1234-5678\",\"postal_code\":\"100-0001\",\"prefecture\":\"13\",\"city\":\"千代田区千代田\",\"address1\":\"1-2-3\"},\"payment_method\":\"cash_on_delivery\",\"time_slot\":\"1416\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["grand_total"])')
  for c in 16 64; do
    wrk -t2 -c"$c" -d"${DUR}s" --latency "$base/api/v1/aggregators/$slug/shop/products?limit=20" > "$WORK/w" 2>&1
    row "$name" "catalogue page of 20" "$c" "$WORK/w"
    wrk -t2 -c"$c" -d"${DUR}s" --latency "$base/api/v1/aggregators/$slug/shop/products/$product" > "$WORK/w" 2>&1
    row "$name" "product page" "$c" "$WORK/w"
    SLUG=$slug SKUS=$skus TOTAL=$total RUN="r$c$RANDOM" wrk -t2 -c"$c" -d"${DUR}s" --latency -s benches/order.lua "$base" > "$WORK/w" 2>&1
    row "$name" "order placement (orders/s)" "$c" "$WORK/w"
  done
  echo "   $name server peak RSS: $(( $(hwm_kb "$pid") / 1024 )) MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  BENCH_MODE=raw BENCH_DB_URL=$url BENCH_SECONDS=$DUR "$BENCH" | sed "s/^/   $name /"
}

echo "| database | endpoint | connections | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|---|"
for b in $BACKENDS; do
  case $b in
    sqlite) run_backend "SQLite (WAL, synchronous=FULL)" "sqlite://$WORK/shop.db?mode=rwc" ;;
    postgres)
      [ -n "$PGBIN" ] || { echo "no PostgreSQL binaries"; continue; }
      mkdir "$WORK/pg"; chown postgres:postgres "$WORK/pg"; PGDATA_DIR=$WORK/pg/data
      local_port=$(free_port)
      runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $local_port -k $WORK/pg -c max_connections=200" start >/dev/null
      run_backend "PostgreSQL (fsync=on)" "postgres://postgres@127.0.0.1:$local_port/postgres" ;;
  esac
done
