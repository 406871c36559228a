#!/usr/bin/env bash
# Disk write bandwidth reference for large documents: what the blob store's
# filesystem can take, synced to disk, in the directory the hub writes blobs to.
#   bench/disk_reference.sh DIR [SIZE_MB...]      (default sizes: 100 1024)
# Prints one line per size: size, seconds, MB/s. The test file is removed.
set -euo pipefail
dir=${1:?usage: disk_reference.sh DIR [SIZE_MB...]}
shift || true
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100 1024)
mkdir -p "$dir"
f="$dir/.renkei-disk-reference.$$"
trap 'rm -f "$f"' EXIT
for mb in "${sizes[@]}"; do
  start=$(date +%s.%N)
  dd if=/dev/zero of="$f" bs=1M count="$mb" conv=fdatasync status=none
  end=$(date +%s.%N)
  awk -v mb="$mb" -v s="$start" -v e="$end" 'BEGIN { t = e - s; printf "disk write %d MB: %.3f s = %.1f MB/s (dd bs=1M conv=fdatasync)\n", mb, t, mb / t }'
  rm -f "$f"
done
