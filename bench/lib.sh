# Sourced by the bench scripts.

# start_hub RENKEI DATA PORT OPS MLLP LOG: starts `RENKEI serve` on
# 127.0.0.1 in the background, sets $hub to its pid, and waits until its
# /health answers. Fails at once when one of the ports is taken: a hub left
# running there would answer the health check and the load in this one's
# place (it happened: the figures were another hub's). On failure the hub
# it started is stopped.
start_hub() {
  local renkei=$1 data=$2 port=$3 ops=$4 mllp=$5 log=$6 p
  for p in "$port" "$ops" "$mllp"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p on 127.0.0.1 is taken (a hub left running?): stop it first" >&2
      return 1
    fi
  done
  "$renkei" --data-dir "$data" serve --listen "127.0.0.1:$port" \
    --ops-listen "127.0.0.1:$ops" --mllp-listen "127.0.0.1:$mllp" > "$log" 2>&1 &
  hub=$!
  for _ in $(seq 1 150); do
    if ! kill -0 "$hub" 2>/dev/null; then
      echo "the hub exited at start: see $log" >&2
      return 1
    fi
    curl -sf "http://127.0.0.1:$ops/health" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  kill -INT "$hub" 2>/dev/null || true
  echo "the hub did not answer /health within 30 s: see $log" >&2
  return 1
}
