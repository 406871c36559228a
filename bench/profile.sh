#!/usr/bin/env bash
# Where the hub's CPU goes during one transaction's load: `perf record`
# (software cpu-clock, DWARF call graphs; the release profile keeps line
# tables) on a fresh SQLite or PostgreSQL hub with a small corpus, then the
# top of `perf report`, by symbol and by caller chain.
#
#   bench/profile.sh TX [sqlite|postgres] [OUT_DIR]
#
# TX is a `renkei-load run --tx` value (find, get, iti41, iti42, iti43).
# Env: PATIENTS, DOCS (corpus, default 200 x 10), REQUESTS (default 3000),
# CONCURRENCY (4), DOC_BYTES (10240), FREQ (perf samples/s, 999); PERF=0
# runs the same load without perf (for figures: perf slows the hub) and
# appends renkei-load's JSON line to OUT_DIR/results.jsonl.
# Needs renkei and renkei-load built (`cargo build --release -p hub -p
# conformance`) and perf (Debian linux-perf). Results: OUT_DIR/perf.data,
# OUT_DIR/flat.txt, OUT_DIR/callers.txt.
set -euo pipefail
tx=${1:?usage: $0 TX [sqlite|postgres] [OUT_DIR]}
backend=${2:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/${PROFILE:-release}
out=${3:-$root/target/bench/profile-$tx-$backend}
patients=${PATIENTS:-200}
docs=${DOCS:-10}
requests=${REQUESTS:-3000}
conc=${CONCURRENCY:-4}
bytes=${DOC_BYTES:-10240}
freq=${FREQ:-999}
port=${PORT:-38643} ops=${OPS_PORT:-39664} mllp=${MLLP_PORT:-32775}
use_perf=${PERF:-1}
if [ "$use_perf" != 0 ]; then
  command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
fi
rm -rf "$out"; mkdir -p "$out"
data=$out/data
say() { echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $*"; }

unset RENKEI_DATABASE_URL
db_args=()
if [ "$backend" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS renkei_profile" \
    -c "CREATE DATABASE renkei_profile"
  db_args=(--database-url postgres://postgres@127.0.0.1/renkei_profile)
  export RENKEI_DATABASE_URL=postgres://postgres@127.0.0.1/renkei_profile
fi
"$target/renkei-load" --data-dir "$data" init "${db_args[@]}" > "$out/init.log" 2>&1
say "corpus: $patients patients x $docs documents ($backend)"
"$target/renkei-load" --data-dir "$data" generate --patients "$patients" \
  --docs-per-patient "$docs" > "$out/generate.log" 2>&1
[ "$backend" = postgres ] && psql -q -h 127.0.0.1 -U postgres -d renkei_profile -c "VACUUM ANALYZE"

start_hub "$target/renkei" "$data" "$port" "$ops" "$mllp" "$out/hub.log"
trap 'kill -INT $hub 2>/dev/null || true' EXIT
common=(--data-dir "$data" run --url "https://127.0.0.1:$port" --patients "$patients"
  --tx "$tx" --concurrency "$conc" --doc-bytes "$bytes" --server-pid "$hub")
say "warm-up"
"$target/renkei-load" "${common[@]}" --requests 200 --warmup 0 --prepare 20 > /dev/null 2>&1
if [ "$use_perf" = 0 ]; then
  say "measuring $tx: $requests requests, c=$conc (no perf)"
  "$target/renkei-load" "${common[@]}" --requests "$requests" --warmup 0 --prepare 20 \
    --json "$out/results.jsonl" --label "$backend/$tx/c$conc/$bytes" 2>&1 | grep -v INFO | tee "$out/load.txt"
  exit 0
fi
say "profiling $tx: $requests requests, c=$conc"
perf record -F "$freq" -e cpu-clock --call-graph dwarf,32768 -p "$hub" -o "$out/perf.data" \
  > "$out/perf-record.log" 2>&1 &
perf_pid=$!
sleep 1
"$target/renkei-load" "${common[@]}" --requests "$requests" --warmup 0 --prepare 20 2>&1 \
  | grep -v INFO | tee "$out/load.txt"
kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
kill -INT "$hub"; wait "$hub" 2>/dev/null || true
say "report"
perf report -i "$out/perf.data" --no-children --sort symbol --stdio --percent-limit 0.7 \
  -g none 2> /dev/null > "$out/flat.txt"
perf report -i "$out/perf.data" --children --sort symbol --stdio --percent-limit 2 \
  -g none 2> /dev/null > "$out/inclusive.txt"
head -60 "$out/flat.txt"
say "done: $out/{flat,inclusive}.txt"
