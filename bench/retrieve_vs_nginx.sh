#!/usr/bin/env bash
# ITI-43 next to its physical reference: the same document bytes served by
# nginx (Debian) over mutual TLS with the same certificates, the same client
# (renkei-load), the same concurrency, one after the other.
#
#   bench/retrieve_vs_nginx.sh [CONCURRENCY] [REQUESTS] [OUT_DIR]
#
# Needs `renkei` and `renkei-load` built (release by default; PROFILE=debug
# for dev builds) and nginx (`apt-get install nginx-light`). Sizes: 10 KB and
# 1 MB. Results: OUT_DIR/results.jsonl and a ratio table on stdout.
set -euo pipefail
conc=${1:-8}
requests=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/${PROFILE:-release}
out=${3:-$root/target/bench/retrieve-vs-nginx}
port=${PORT:-38443}
nginx_port=${NGINX_PORT:-38444}
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out/www" "$out/nginx"
out=$(cd "$out" && pwd)  # nginx.conf needs absolute paths
data=$out/data
json=$out/results.jsonl
say() { echo "[$(date +%T) load:$(cut -d' ' -f1 /proc/loadavg)] $*"; }

"$target/renkei" --data-dir "$data" init > "$out/init.log" 2>&1
start_hub "$target/renkei" "$data" "$port" 39464 32575 "$out/hub.log"
nginx_pid=""
cleanup() {
  kill "$hub" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
}
trap cleanup EXIT
"$target/renkei" --data-dir "$data" patient add "BENCH00000000^^^&$(sed -n 's/^affinity_domain = "\(.*\)"/\1/p' "$data/renkei.toml")&ISO" > /dev/null

sizes=(10240 1048576)
for bytes in "${sizes[@]}"; do
  say "renkei ITI-43 $bytes bytes, c=$conc"
  timeout 600 "$target/renkei-load" --data-dir "$data" run --url "https://127.0.0.1:$port" \
    --patients 1 --tx iti43 --concurrency "$conc" --requests "$requests" --warmup 100 \
    --doc-bytes "$bytes" --prepare 50 --server-pid "$hub" --json "$json" --label "renkei/$bytes"
done
kill "$hub"; wait "$hub" 2>/dev/null || true

# nginx: the hub's server certificate, client certificates from the operator CA required.
cat > "$out/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  types { application/octet-stream bin; }
  client_body_temp_path $out/nginx/body;
  proxy_temp_path $out/nginx/proxy;
  fastcgi_temp_path $out/nginx/fastcgi;
  uwsgi_temp_path $out/nginx/uwsgi;
  scgi_temp_path $out/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $data/pki/server.pem;
    ssl_certificate_key $data/pki/server-key.pem;
    ssl_client_certificate $data/pki/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    ssl_session_cache off;
    root $out/www;
  }
}
CONF
nginx -c "$out/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 1
for bytes in "${sizes[@]}"; do
  head -c "$bytes" /dev/urandom > "$out/www/document.bin"
  say "nginx GET $bytes bytes, c=$conc"
  timeout 600 "$target/renkei-load" --data-dir "$data" run --url "https://127.0.0.1:$nginx_port" \
    --patients 1 --tx static-get --concurrency "$conc" --requests "$requests" --warmup 100 \
    --doc-bytes "$bytes" --json "$json" --label "nginx/$bytes"
done

python3 - "$json" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    who, size = r["label"].split("/")
    rows[(who, int(size))] = r
print("| document | renkei ITI-43 req/s (p50 / p99 ms) | nginx GET req/s (p50 / p99 ms) | renkei / nginx |")
print("|---|---|---|---|")
for size in sorted({s for _, s in rows}):
    a, b = rows.get(("renkei", size)), rows.get(("nginx", size))
    if not a or not b:
        continue
    fmt = lambda r: f"{r['throughput_rps']:.0f} ({r['latency']['p50_ms']:.2f} / {r['latency']['p99_ms']:.2f})"
    print(f"| {size} B | {fmt(a)} | {fmt(b)} | {a['throughput_rps'] / b['throughput_rps']:.0%} |")
PY
