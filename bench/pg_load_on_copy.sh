#!/usr/bin/env bash
# bench/load_on_copy.sh for PostgreSQL: one transaction's load (ITI-42
# unless TX says otherwise) against a fresh copy (CREATE DATABASE …
# TEMPLATE) of a corpus database, started from a CHECKPOINT, so runs of two
# builds start from the same data and the same checkpoint phase.
#
#   bench/pg_load_on_copy.sh BIN_DIR DATA_DIR TEMPLATE_DB LABEL CONCURRENCY REQUESTS
#
# BIN_DIR holds renkei and renkei-load. DATA_DIR is the `renkei-load init`
# directory (certificates) of the corpus; TEMPLATE_DB the database that
# `renkei-load generate` filled (copied with CREATE DATABASE … TEMPLATE
# after a VACUUM ANALYZE). Each run uses the database renkei_run (dropped
# and recreated). Env: TX (default iti42), DOCS (DocumentEntries per
# ITI-41/ITI-42 request, default 1), PATIENTS (10000), JSON (results
# file, default bench/results/load-on-copy.jsonl), PGURL (server,
# default postgres://postgres@127.0.0.1).
set -euo pipefail
bin=$1 data=$2 template=$3 label=$4 conc=$5 requests=$6
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
server=${PGURL:-postgres://postgres@127.0.0.1}
psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS renkei_run" \
  -c "CREATE DATABASE renkei_run TEMPLATE $template" -c "CHECKPOINT"
export RENKEI_DATABASE_URL=$server/renkei_run
log=${TMPDIR:-/tmp}/renkei-pg-load-$label.log
start_hub "$bin/renkei" "$data" "${PORT:-38643}" "${OPS_PORT:-39664}" "${MLLP_PORT:-32775}" "$log"
trap 'kill -INT $hub 2>/dev/null || true' EXIT
common=(--data-dir "$data" run --url "https://127.0.0.1:${PORT:-38643}" --patients "${PATIENTS:-10000}"
  --tx "${TX:-iti42}" --docs-per-request "${DOCS:-1}" --concurrency "$conc" --server-pid "$hub")
"$bin/renkei-load" "${common[@]}" --requests 200 --warmup 0 --prepare 20 > /dev/null 2>&1
psql -q "$server/postgres" -c "CHECKPOINT"
echo "== $label c=$conc load $(cut -d' ' -f1 /proc/loadavg)"
"$bin/renkei-load" "${common[@]}" --requests "$requests" --warmup 0 --prepare 20 \
  --json "${JSON:-$here/results/load-on-copy.jsonl}" --label "$label/c$conc" 2>&1 | grep -v INFO
kill -INT "$hub"; wait "$hub" 2>/dev/null || true
