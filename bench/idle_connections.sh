#!/usr/bin/env bash
# 10,000 idle mutual-TLS connections against a fresh hub: the hub's RSS while
# they are held (issue 7 target: < 1 GB).
#
#   bench/idle_connections.sh [CONNECTIONS] [OUT_DIR]
#
# Needs `renkei` and `renkei-load` built (release by default; PROFILE=debug
# for the dev profile). The client and the hub each need one file descriptor
# per connection: the script raises the soft limit to the hard one.
set -euo pipefail
n=${1:-10000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/${PROFILE:-release}
out=${2:-$root/target/bench/idle}
port=${PORT:-38443}
mkdir -p "$out"
data=$out/data
rm -rf "$data"
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -le "$((n + 100))" ]; then
  echo "file descriptor limit $(ulimit -n) is too low for $n connections" >&2
  exit 1
fi
"$target/renkei" --data-dir "$data" init > "$out/init.log" 2>&1
start_hub "$target/renkei" "$data" "$port" 39464 32575 "$out/hub.log"
trap 'kill $hub 2>/dev/null || true' EXIT
echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $n idle connections, profile ${PROFILE:-release}"
timeout 180 "$target/renkei-load" --data-dir "$data" idle --addr "127.0.0.1:$port" \
  --connections "$n" --hold-secs 10 --server-pid "$hub" --json "$out/idle.jsonl"
