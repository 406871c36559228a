#!/usr/bin/env bash
# ITI-8 and ITI-9 over MLLP/TLS against a fresh hub: feed PATIENTS local ids
# of the demo clinic (the hub creates each regional id), then QUERIES PIX
# Queries at CONCURRENCY connections.
#
#   bench/pix_load.sh [sqlite|postgres] [PATIENTS] [QUERIES] [CONCURRENCY] [OUT_DIR]
#
# Needs `renkei` and `renkei-load` built (release by default; PROFILE=debug
# for dev builds). PostgreSQL: a server on 127.0.0.1 (user postgres); the
# database renkei_bench_pix is dropped and recreated.
set -euo pipefail
backend=${1:-sqlite}
patients=${2:-2000}
queries=${3:-5000}
conc=${4:-4}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/${PROFILE:-release}
out=${5:-$root/target/bench/pix-$backend}
mllp=${MLLP_PORT:-32575}
rm -rf "$out"; mkdir -p "$out"
data=$out/data
db_args=()
if [ "$backend" = postgres ]; then
  export PGHOST=127.0.0.1 PGUSER=postgres
  psql -q -d postgres -c "DROP DATABASE IF EXISTS renkei_bench_pix" -c "CREATE DATABASE renkei_bench_pix"
  db_args=(--database-url postgres://postgres@127.0.0.1/renkei_bench_pix)
fi
timeout 120 "$target/renkei-load" --data-dir "$data" init "${db_args[@]}" > "$out/init.log" 2>&1
start_hub "$target/renkei" "$data" 38443 39464 "$mllp" "$out/hub.log"
trap 'kill $hub 2>/dev/null || true' EXIT
echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $backend: $patients feeds, $queries queries, c=$conc"
timeout 900 "$target/renkei-load" --data-dir "$data" pix --addr "127.0.0.1:$mllp" \
  --patients "$patients" --queries "$queries" --concurrency "$conc" --server-pid "$hub" \
  --json "$out/results.jsonl"
