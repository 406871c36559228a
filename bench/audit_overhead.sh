#!/usr/bin/env bash
# What auditing costs on the hot path: ITI-18 (FindDocuments) and ITI-41
# latency of the same hub built normally and with the `bench-no-audit`
# feature (audit::append / audit::record write nothing), on the same corpus,
# on SQLite and PostgreSQL. The issue's bound: at most 10 % more latency.
#
#   bench/audit_overhead.sh [sqlite|postgres|both] [OUT_DIR]
#
# Builds (release) target/release/renkei twice (copied aside as renkei-audit
# and renkei-no-audit) and renkei-load. Each backend gets one corpus
# (PATIENTS x DOCS entries, straight into the store); every run starts from
# a pristine copy of it (SQLite: the data dir; PostgreSQL: a database made
# from a template), the variants alternate A B B A ... over ROUNDS rounds and
# the median of the rounds is reported, to damp the drift of a shared machine.
# Results: OUT_DIR/results.jsonl (renkei-load JSON lines, labelled
# backend/variant/tx/round) and the table on stdout (OUT_DIR/summary.md).
set -euo pipefail
which=${1:-both}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=${2:-$target/bench/audit-overhead}
patients=${PATIENTS:-500}
docs=${DOCS:-10}
rounds=${ROUNDS:-2}
conc=${CONCURRENCY:-4}
find_requests=${FIND_REQUESTS:-2000}
pnr_requests=${PNR_REQUESTS:-600}
port=${PORT:-38543}
ops=${OPS_PORT:-39564}
mllp=${MLLP_PORT:-32675}
mkdir -p "$out"
json=$out/results.jsonl
log=$out/overhead.log
: > "$json"
say() { echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $*" | tee -a "$log"; }

if [ -z "${SKIP_BUILD:-}" ]; then
  say "build: renkei with auditing, renkei without (bench-no-audit), renkei-load"
  # The no-audit variant first, so target/release/renkei is left as shipped.
  (cd "$root" && cargo build --release -p hub --bin renkei --features bench-no-audit) >>"$log" 2>&1
  cp "$target/release/renkei" "$out/renkei-no-audit"
  (cd "$root" && cargo build --release -p hub --bin renkei) >>"$log" 2>&1
  cp "$target/release/renkei" "$out/renkei-audit"
  (cd "$root" && cargo build --release -p conformance --bin renkei-load) >>"$log" 2>&1
fi
load=$target/release/renkei-load

export PGHOST=127.0.0.1 PGUSER=postgres
unset RENKEI_DATABASE_URL

prepare() { # backend -> $out/$backend/pristine
  local backend=$1 dir=$out/$1/pristine
  rm -rf "$dir"; mkdir -p "$out/$backend"
  local db_args=()
  if [ "$backend" = postgres ]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS renkei_audit_run" \
      -c "DROP DATABASE IF EXISTS renkei_audit_tpl" -c "CREATE DATABASE renkei_audit_tpl"
    db_args=(--database-url postgres://postgres@127.0.0.1/renkei_audit_tpl)
  fi
  timeout 120 "$load" --data-dir "$dir" init "${db_args[@]}" 2>&1 | grep -v INFO >>"$log"
  say "$backend: corpus of $patients patients x $docs documents"
  timeout 3600 "$load" --data-dir "$dir" generate --patients "$patients" --docs-per-patient "$docs" \
    2>&1 | grep -v INFO >>"$log"
  [ "$backend" = postgres ] && psql -q -d renkei_audit_tpl -c "VACUUM ANALYZE"
  return 0
}

run_variant() { # backend variant round
  local backend=$1 variant=$2 round=$3 data=$out/$1/run
  rm -rf "$data"; cp -a "$out/$backend/pristine" "$data"
  if [ "$backend" = postgres ]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS renkei_audit_run" \
      -c "CREATE DATABASE renkei_audit_run TEMPLATE renkei_audit_tpl"
    export RENKEI_DATABASE_URL=postgres://postgres@127.0.0.1/renkei_audit_run
  fi
  local hub
  start_hub "$out/renkei-$variant" "$data" "$port" "$ops" "$mllp" "$out/hub-$backend-$variant-$round.log"
  local common=(--data-dir "$data" run --url https://127.0.0.1:$port --patients "$patients"
    --server-pid "$hub" --json "$json" --concurrency "$conc")
  say "$backend $variant round $round: ITI-18 FindDocuments, ITI-41 10 KiB"
  timeout 900 "$load" "${common[@]}" --label "$backend/$variant/iti18/$round" \
    --tx find --requests "$find_requests" --warmup 200 2>&1 | grep -v INFO >>"$log"
  timeout 900 "$load" "${common[@]}" --label "$backend/$variant/iti41/$round" \
    --tx iti41 --requests "$pnr_requests" --warmup 50 --doc-bytes 10240 2>&1 | grep -v INFO >>"$log"
  kill -INT $hub; wait $hub 2>/dev/null || true
  unset RENKEI_DATABASE_URL
}

backends=()
case $which in
  both) backends=(sqlite postgres) ;;
  sqlite|postgres) backends=("$which") ;;
  *) echo "usage: $0 [sqlite|postgres|both] [OUT_DIR]" >&2; exit 2 ;;
esac
for backend in "${backends[@]}"; do
  prepare "$backend"
  for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order=(audit no-audit); else order=(no-audit audit); fi
    for variant in "${order[@]}"; do run_variant "$backend" "$variant" "$round"; done
  done
  [ "$backend" = postgres ] && psql -q -d postgres -c "DROP DATABASE IF EXISTS renkei_audit_run" \
    -c "DROP DATABASE IF EXISTS renkei_audit_tpl"
done

python3 - "$json" <<'EOF' | tee "$out/summary.md"
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        backend, variant, tx, _ = r["label"].split("/")
        runs.setdefault((backend, tx), {}).setdefault(variant, []).append(r)
print("| backend | tx | c | p50 no-audit | p50 audit | ratio | p95 no-audit | p95 audit | ratio | p99 no-audit | p99 audit | ratio | req/s no-audit | req/s audit | errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (backend, tx), v in sorted(runs.items()):
    a, n = v.get("audit", []), v.get("no-audit", [])
    if not a or not n:
        continue
    med = lambda rs, k: statistics.median(r["latency"][k] for r in rs)
    rps = lambda rs: statistics.median(r["throughput_rps"] for r in rs)
    cells = []
    for k in ("p50_ms", "p95_ms", "p99_ms"):
        x, y = med(n, k), med(a, k)
        cells += [f"{x:.2f}", f"{y:.2f}", f"{y / x:.2f}" if x else "-"]
    errors = sum(r["errors"] for r in a + n)
    print(f"| {backend} | {tx} | {a[0]['concurrency']} | " + " | ".join(cells) + f" | {rps(n):.0f} | {rps(a):.0f} | {errors} |")
EOF
say "done: $out/summary.md"
