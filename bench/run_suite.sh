#!/usr/bin/env bash
# One benchmark pass against a fresh hub: generate a corpus straight into the
# store, start `renkei serve` on loopback, drive every transaction with
# renkei-load, stop the hub, then measure the references.
#
#   bench/run_suite.sh sqlite|postgres PATIENTS DOCS_PER_PATIENT [OUT_DIR]
#
# Needs release builds:
#   cargo build --release -p hub --bin renkei
#   cargo build --release -p conformance --bin renkei-load
# PostgreSQL: a server on 127.0.0.1 (PGUSER postgres); the database
# renkei_bench_pg is dropped and recreated. Results: OUT_DIR/results.jsonl
# (one JSON object per run) and OUT_DIR/suite.log. Every step is bounded.
set -euo pipefail
backend=${1:?usage: run_suite.sh sqlite|postgres PATIENTS DOCS_PER_PATIENT [OUT_DIR]}
patients=${2:?patients}
docs=${3:?docs per patient}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
renkei=$target/release/renkei
load=$target/release/renkei-load
entries=$((patients * docs))
out=${4:-$root/target/bench/$backend-$entries}
data=$out/data
port=${PORT:-38443}
ops=${OPS_PORT:-39464}
mllp=${MLLP_PORT:-32575}
mkdir -p "$out"
rm -rf "$data"
log=$out/suite.log
json=$out/results.jsonl
: > "$json"
say() { echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $*" | tee -a "$log"; }

export PGHOST=127.0.0.1 PGUSER=postgres
dbname=renkei_bench_pg
unset RENKEI_DATABASE_URL
db_args=()
if [ "$backend" = postgres ]; then
  psql -q -d postgres -c "DROP DATABASE IF EXISTS renkei_bench_pg" -c "CREATE DATABASE renkei_bench_pg"
  db_args=(--database-url postgres://postgres@127.0.0.1/renkei_bench_pg)
fi
# `renkei init` always starts on SQLite; renkei-load init takes the database URL.
timeout 120 "$load" --data-dir "$data" init "${db_args[@]}" 2>&1 | grep -v INFO | tee -a "$log"

say "generate $patients patients x $docs documents ($entries entries) straight into $backend"
per_sub=${DOCS_PER_SUBMISSION:-1}
timeout 7200 "$load" --data-dir "$data" generate --patients "$patients" --docs-per-patient "$docs" --docs-per-submission "$per_sub" 2>&1 | grep -v INFO | tee -a "$log"
# The generator analyses its first batch; give the planner statistics of the
# whole corpus before measuring (this server may run without autovacuum).
if [ "$backend" = postgres ]; then psql -q -d "$dbname" -c "VACUUM ANALYZE"; fi

say "start hub"
start_hub "$renkei" "$data" "$port" "$ops" "$mllp" "$out/hub.log"
trap 'kill -INT $hub 2>/dev/null || true; wait $hub 2>/dev/null || true' EXIT
url=https://127.0.0.1:$port

run() { # label args...
  local label=$1; shift
  say "run $label: $*"
  timeout 900 "$load" --data-dir "$data" run --url "$url" --patients "$patients" --server-pid "$hub" \
    --json "$json" --label "$backend/$entries/$label" "$@" 2>&1 | tee -a "$log" || say "run $label failed"
}

run find-c1    --tx find --concurrency 1 --requests ${REQ_FIND1:-500} --warmup 50
run find-c8    --tx find --concurrency 8 --requests 2000 --warmup 100
run get-c8     --tx get  --concurrency 8 --requests 2000 --warmup 100 --prepare 50
run iti42-c4   --tx iti42 --concurrency 4 --requests 1000 --warmup 50
run iti41-10k  --tx iti41 --concurrency 4 --requests 500 --warmup 20 --doc-bytes 10240
run iti41-1m   --tx iti41 --concurrency 4 --requests 100 --warmup 4 --doc-bytes 1048576
run iti41-100m --tx iti41 --concurrency 1 --requests 5 --warmup 1 --doc-bytes 104857600
run iti43-10k  --tx iti43 --concurrency 8 --requests 2000 --warmup 100 --doc-bytes 10240 --prepare 50
run iti43-1m   --tx iti43 --concurrency 4 --requests 200 --warmup 10 --doc-bytes 1048576 --prepare 10
run iti43-100m --tx iti43 --concurrency 1 --requests 5 --warmup 1 --doc-bytes 104857600 --prepare 2

say "stop hub"
kill -INT $hub; wait $hub 2>/dev/null || true
trap - EXIT

if [ "$backend" = postgres ]; then
  say "PostgreSQL reference (COPY and pgbench, 4 clients like iti42-c4)"
  timeout 1800 "$here/pg_reference.sh" renkei_bench_pg 4 250 2>&1 | tee -a "$log"
fi
say "disk reference in the blob directory"
timeout 600 "$here/disk_reference.sh" "$data/blobs" 100 1024 2>&1 | tee -a "$log"
say "done: $json"
