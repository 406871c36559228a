#!/usr/bin/env bash
# One transaction's load (ITI-42 unless TX says otherwise) against a copy of
# a SQLite corpus made before, so runs of two builds start from the same
# database; optionally after extra SQL, optionally with the WAL's frames
# attributed to tables and indexes (bench/wal_frames.py).
#
#   bench/load_on_copy.sh BIN_DIR CORPUS_DIR LABEL CONCURRENCY REQUESTS [SQL]
#
# BIN_DIR holds renkei and renkei-load (copy them out of a target directory:
# two checkouts must not share one). CORPUS_DIR is a `renkei-load init` +
# `generate` data directory (the hub migrates the copy when it starts; for
# a fair start run VACUUM on the corpus after migrating it once). Env:
# TX (a `renkei-load run --tx` value, default iti42), DOCS (DocumentEntries
# per ITI-41/ITI-42 request, default 1), PATIENTS (10000), WAL=1 copies the WAL after the run and attributes it,
# JSON (results file, default bench/results/load-on-copy.jsonl).
set -euo pipefail
bin=$1 corpus=$2 label=$3 conc=$4 requests=$5 sql=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
run=${TMPDIR:-/tmp}/renkei-load-$label
rm -rf "$run"; cp -a "$corpus" "$run"
# A copy still being written back makes the hub's writes wait on it.
sync
[ -n "$sql" ] && sqlite3 "$run/renkei.db" "$sql"
start_hub "$bin/renkei" "$run" "${PORT:-38643}" "${OPS_PORT:-39664}" "${MLLP_PORT:-32775}" "$run/hub.log"
trap 'kill -INT $hub 2>/dev/null || true; rm -rf "$run"' EXIT
common=(--data-dir "$run" run --url "https://127.0.0.1:${PORT:-38643}" --patients "${PATIENTS:-10000}"
  --tx "${TX:-iti42}" --docs-per-request "${DOCS:-1}" --concurrency "$conc" --server-pid "$hub")
"$bin/renkei-load" "${common[@]}" --requests 200 --warmup 0 --prepare 20 > /dev/null 2>&1
echo "== $label c=$conc load $(cut -d' ' -f1 /proc/loadavg)"
"$bin/renkei-load" "${common[@]}" --requests "$requests" --warmup 0 --prepare 20 \
  --json "${JSON:-$here/results/load-on-copy.jsonl}" --label "$label/c$conc" 2>&1 | grep -v INFO
if [ "${WAL:-0}" = 1 ]; then
  cp "$run/renkei.db-wal" "$run/wal-copy"
  kill -INT "$hub"; wait "$hub" 2>/dev/null || true
  python3 "$here/wal_frames.py" "$run/wal-copy" "$run/renkei.db"
fi
