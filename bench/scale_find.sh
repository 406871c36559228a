#!/usr/bin/env bash
# FindDocuments scale point: generate PATIENTS x DOCS entries straight into a
# fresh store, start the hub, measure ITI-18 FindDocuments (and GetDocuments)
# at concurrency 1 and 8, stop the hub.
#
#   bench/scale_find.sh sqlite|postgres PATIENTS DOCS_PER_PATIENT [OUT_DIR]
#
# Same corpus shape and ports as run_suite.sh; results in OUT_DIR/results.jsonl.
# REUSE=1 measures the corpus already in OUT_DIR/data (and its database)
# instead of generating a new one. DBNAME names the PostgreSQL database
# (default renkei_bench_scale). SEED picks the patients the runs ask for
# (default 1; the same seed asks for the same patients again). TAG names a
# measurement (results-TAG.jsonl, labels …/TAG/…) so runs of one corpus
# (cold, cached, …) do not overwrite each other.
set -euo pipefail
backend=${1:?usage: scale_find.sh sqlite|postgres PATIENTS DOCS_PER_PATIENT [OUT_DIR]}
patients=${2:?patients}
docs=${3:?docs per patient}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
renkei=$target/release/renkei
load=$target/release/renkei-load
entries=$((patients * docs))
out=${4:-$root/target/bench/scale-$backend-$entries}
data=$out/data
port=${PORT:-38443}
ops=${OPS_PORT:-39464}
mllp=${MLLP_PORT:-32575}
mkdir -p "$out"
[ "${REUSE:-0}" = 1 ] || rm -rf "$data"
log=$out/suite.log
json=$out/results${TAG:+-$TAG}.jsonl
: > "$json"
say() { echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $*" | tee -a "$log"; }
export PGHOST=127.0.0.1 PGUSER=postgres
dbname=${DBNAME:-renkei_bench_scale}
unset RENKEI_DATABASE_URL
db_args=()
if [ "${REUSE:-0}" = 1 ] && [ -f "$data/renkei.toml" ]; then
  say "reusing the corpus in $data (REUSE=1)"
else
  if [ "$backend" = postgres ]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
    db_args=(--database-url "postgres://postgres@127.0.0.1/$dbname")
  fi
  timeout 120 "$load" --data-dir "$data" init "${db_args[@]}" 2>&1 | grep -v INFO | tee -a "$log"
  say "generate $patients x $docs = $entries entries into $backend, ${DOCS_PER_SUBMISSION:-1} per submission"
  per_sub=${DOCS_PER_SUBMISSION:-1}
  timeout 7200 "$load" --data-dir "$data" generate --patients "$patients" --docs-per-patient "$docs" --docs-per-submission "$per_sub" 2>&1 | grep -v INFO | tee -a "$log"
  # The generator analyses its first batch; give the planner statistics of the
  # whole corpus before measuring (this server may run without autovacuum).
  if [ "$backend" = postgres ]; then psql -q -d "$dbname" -c "VACUUM ANALYZE"; fi
fi
say "start hub"
start_hub "$renkei" "$data" "$port" "$ops" "$mllp" "$out/hub.log"
trap 'kill -INT $hub 2>/dev/null || true; wait $hub 2>/dev/null || true' EXIT
run() {
  local label=$1; shift
  say "run $label: $*"
  timeout 900 "$load" --data-dir "$data" run --url "https://127.0.0.1:$port" --patients "$patients" --server-pid "$hub" \
    --seed "${SEED:-1}" --json "$json" --label "$backend/$entries${TAG:+/$TAG}/$label" "$@" 2>&1 | tee -a "$log" || say "run $label failed"
}
run find-c1 --tx find --concurrency 1 --requests 1000 --warmup 100
run find-c8 --tx find --concurrency 8 --requests 2000 --warmup 100
run get-c8  --tx get  --concurrency 8 --requests 2000 --warmup 100 --prepare 50
say "stop hub"
kill -INT $hub; wait $hub 2>/dev/null || true
trap - EXIT
say "done: $json"
