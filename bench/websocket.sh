#!/usr/bin/env bash
# WebSocket benchmark: k4ds (authenticated, workspace cookie on the upgrade) versus nginx
# proxy_pass (Upgrade/Connection passed on, no auth) versus configurable-http-proxy (no auth),
# all three in front of the SAME upstream: a WebSocket echo server (`ws_bench echo`, one
# thread) that k4ds itself launches as a workspace; the peers are pointed at it directly.
#
# Measures, in one run:
#   1. echo messages/s at CONNECTIONS WebSockets (SIZE-byte messages, one in flight per
#      connection), ROUNDS rounds with the proxy order rotated;      target k4ds >= nginx
#   2. memory per idle WebSocket through k4ds (and, for comparison, nginx and CHP):
#      (RSS with IDLE idle WebSockets open - RSS before) / IDLE;     target k4ds <= 10 KiB
#   3. k4ds RSS before and after CYCLES WebSocket connect/echo/close cycles (at most
#      CYCLE_SECONDS; the count done is printed when capped);       target within 10 %
#
# Usage: bench/websocket.sh   (as root; ~3-4 minutes)
# Env:   K4DS_BIN (default build/bench-release/k4ds), WS_BENCH_BIN (default: built here with the
#        release preset, as routes.sh does), CONNECTIONS (64), SIZE (64 bytes), DURATION (10 s),
#        WARMUP (2 s), ROUNDS (2), IDLE (2000), CYCLES (100000), CYCLE_SECONDS (120),
#        CYCLE_CONCURRENCY (16)
# Everything it starts is stopped by PID, and its temp dir removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$root/scripts/install-deps.sh" bench >/dev/null

K4DS_BIN=${K4DS_BIN:-$root/build/bench-release/k4ds}
CONNECTIONS=${CONNECTIONS:-64}
SIZE=${SIZE:-64}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
IDLE=${IDLE:-2000}
CYCLES=${CYCLES:-100000}
CYCLE_SECONDS=${CYCLE_SECONDS:-120}
CYCLE_CONCURRENCY=${CYCLE_CONCURRENCY:-16}
CHP_MAIN=$(dpkg -L node-configurable-http-proxy | grep '/bin/configurable-http-proxy$' | head -1)

[ -x "$K4DS_BIN" ] || { echo "websocket.sh: no k4ds binary at $K4DS_BIN; build it or set K4DS_BIN" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "websocket.sh: run as root (k4ds's local runtime runs the upstream as a workspace account)" >&2; exit 2; }
if [ -z "${WS_BENCH_BIN:-}" ]; then
  "$root/scripts/install-deps.sh" build >/dev/null
  cmake --preset release -DK4DS_BUILD_TESTS=ON -S "$root" >/dev/null
  cmake --build --preset release --target ws_bench >/dev/null
  WS_BENCH_BIN=$root/build/release/ws_bench
fi
[ -x "$WS_BENCH_BIN" ] || { echo "websocket.sh: no ws_bench binary at $WS_BENCH_BIN" >&2; exit 2; }

# Idle WebSockets cost k4ds two descriptors each (client and upstream); children inherit this.
ulimit -n "$(ulimit -Hn)"
if [ $((IDLE * 2 + 1000)) -gt "$(ulimit -n)" ]; then
  IDLE=$((($(ulimit -n) - 1000) / 2))
  echo "websocket.sh: open-file limit $(ulimit -n); measuring $IDLE idle WebSockets instead"
fi

work=$(mktemp -d /tmp/k4ds-bench-ws.XXXXXX)
chmod 755 "$work"  # the upstream runs as the workspace account and executes ws_bench from here
cp "$WS_BENCH_BIN" "$work/ws_bench"
chmod 755 "$work/ws_bench"
pids=()
BENCH=websocket.sh
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap bench_cleanup EXIT INT TERM

# --- k4ds: one environment whose command is the echo server, on a port the runtime picks -------
k4ds_upstream_workspace "bench upstream (WebSocket echo)" "[$work/ws_bench, echo, \"{port}\"]"

# --- nginx proxy_pass with the WebSocket upgrade passed on, 2 workers (k4ds: 2 I/O threads) -----
nginx_port=$(free_port)
start_nginx "$work/nginx" 2 16384 "
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://$upstream;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \"upgrade\";
      proxy_read_timeout 3600s;
    }
  }"

# --- configurable-http-proxy (single-threaded Node.js; JupyterHub's proxy; WebSockets built in) -
chp_port=$(free_port)
chp_api_port=$(free_port)
CONFIGPROXY_AUTH_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') NODE_PATH=/usr/share/nodejs \
  node "$CHP_MAIN" --ip 127.0.0.1 --port "$chp_port" --api-ip 127.0.0.1 --api-port "$chp_api_port" \
  --default-target "http://$upstream" --log-level warn >"$work/chp.log" 2>&1 &
chp_pid=$!
pids+=("$chp_pid")

wait_http "http://127.0.0.1:$nginx_port/"
wait_http "http://127.0.0.1:$chp_port/"

# --- the clients ----------------------------------------------------------------------------------
ws_args() {  # proxy name -> ws_bench target options
  case $1 in
    nginx) echo "--connect 127.0.0.1:$nginx_port --host 127.0.0.1:$nginx_port" ;;
    chp) echo "--connect 127.0.0.1:$chp_port --host 127.0.0.1:$chp_port" ;;
    k4ds) echo "--connect 127.0.0.1:$k4ds_port --host $ws_host --cookie k4ds_ws=$ws_cookie" ;;
    upstream) echo "--connect $upstream --host $upstream" ;;
  esac
}
# shellcheck disable=SC2046
bench() { "$work/ws_bench" "$@"; }

# Sanity: an echo through each; k4ds refuses the upgrade without the cookie.
for name in upstream nginx chp k4ds; do
  out=$(bench load $(ws_args "$name") --connections 1 --seconds 1 --threads 1) ||
    { echo "websocket.sh: no WebSocket echo through $name: $out" >&2; exit 1; }
done
if bench load --connect "127.0.0.1:$k4ds_port" --host "$ws_host" --connections 1 --seconds 1 --threads 1 >/dev/null 2>&1; then
  echo "websocket.sh: k4ds opened a WebSocket without a cookie; it must refuse" >&2; exit 1
fi

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss_tree_kib() {  # a process and its direct children (nginx's workers)
  local total=0 p
  for p in "$1" $(cat "/proc/$1/task/"*/children 2>/dev/null); do
    total=$((total + $(rss_kib "$p" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
pid_of() { case $1 in k4ds) echo "$k4ds_pid" ;; nginx) echo "$nginx_pid" ;; chp) echo "$chp_pid" ;; esac; }
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
label() {
  case $1 in
    nginx) echo "nginx proxy_pass (2 workers)" ;;
    chp) echo "configurable-http-proxy (1 thread)" ;;
    k4ds) echo "k4ds, authenticated (2 I/O thr.)" ;;
  esac
}

echo "WebSocket benchmark: $CONNECTIONS connections, ${SIZE}-byte messages, ${DURATION}s per run (after a ${WARMUP}s warm-up), $ROUNDS rounds; echo upstream at $upstream"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. echo messages/s ---------------------------------------------------------------------------
results="$work/results.tsv"  # round name rate p50 p99 errors
row() { printf '%-6s %-34s %12s %9s %9s %7s\n' "$@"; }
echo
row round proxy "messages/s" "p50 ms" "p99 ms" errors
order=(nginx chp k4ds)
for round in $(seq "$ROUNDS"); do
  for name in "${order[@]}"; do
    # shellcheck disable=SC2046
    bench load $(ws_args "$name") --connections "$CONNECTIONS" --size "$SIZE" --seconds "$WARMUP" >/dev/null
    # shellcheck disable=SC2046
    out=$(bench load $(ws_args "$name") --connections "$CONNECTIONS" --size "$SIZE" --seconds "$DURATION")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$(field rate "$out")" "$(field p50_ms "$out")" \
      "$(field p99_ms "$out")" "$(field errors "$out")" >>"$results"
    row "$round" "$(label "$name")" "$(field rate "$out")" "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field errors "$out")"
  done
  order=("${order[2]}" "${order[0]}" "${order[1]}")
done
echo
echo "means over $ROUNDS rounds:"
awk -F'\t' '
  { n[$2]++; r[$2] += $3; p[$2] += $5 }
  END {
    for (k in n) { r[k] /= n[k]; p[k] /= n[k]; printf "  %-6s %10.0f messages/s  p99 %8.3f ms\n", k, r[k], p[k] }
    printf "k4ds/nginx messages/s: %.2fx  (target >= 1.0x: %s)\n", r["k4ds"] / r["nginx"], (r["k4ds"] >= r["nginx"] ? "met" : "NOT met")
    printf "k4ds/CHP   messages/s: %.2fx\n", r["k4ds"] / r["chp"]
  }' "$results"

# --- 2. memory per idle WebSocket ----------------------------------------------------------------
echo
echo "memory per idle WebSocket ($IDLE open at once, one echo each, then idle):"
for name in k4ds nginx chp; do
  pid=$(pid_of "$name")
  sleep 1
  before=$(rss_tree_kib "$pid")
  # shellcheck disable=SC2046
  bench idle $(ws_args "$name") --count "$IDLE" --hold 60 >"$work/idle-$name.out" &
  idle_pid=$!
  pids+=("$idle_pid")
  for _ in $(seq 600); do grep -q '^ready=' "$work/idle-$name.out" && break; sleep 0.1; done
  grep -q '^ready=' "$work/idle-$name.out" || { echo "websocket.sh: the idle WebSockets through $name did not open" >&2; exit 1; }
  sleep 1
  after=$(rss_tree_kib "$pid")
  opened=$(field ready "$(cat "$work/idle-$name.out")")
  kill "$idle_pid" 2>/dev/null; wait "$idle_pid" 2>/dev/null || true
  [ "${opened:-0}" -gt 0 ] || { echo "websocket.sh: no idle WebSocket opened through $name" >&2; exit 1; }
  per=$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN { printf "%.2f", (a - b) / n }')
  if [ "$name" = k4ds ]; then
    verdict=$(awk -v p="$per" 'BEGIN { print (p <= 10 ? "met" : "NOT met") }')
    echo "  k4ds:  $opened open, RSS $before -> $after KiB: $per KiB per idle WebSocket  (target <= 10 KiB: $verdict)"
  else
    echo "  $name: $opened open, RSS $before -> $after KiB: $per KiB per idle WebSocket  (for comparison)"
  fi
done

# --- 3. RSS after many connect/disconnect cycles through k4ds -------------------------------------
echo
sleep 2  # let k4ds finish closing the idle ones
# shellcheck disable=SC2046
warm=$(bench cycle $(ws_args k4ds) --count 2000 --seconds 20 --concurrency "$CYCLE_CONCURRENCY")
sleep 1
before=$(rss_kib "$k4ds_pid")
# shellcheck disable=SC2046
out=$(bench cycle $(ws_args k4ds) --count "$CYCLES" --seconds "$CYCLE_SECONDS" --concurrency "$CYCLE_CONCURRENCY")
sleep 1
after=$(rss_kib "$k4ds_pid")
cycles=$(field cycles "$out")
echo "WebSocket connect/echo/close cycles through k4ds (after a warm-up of $(field cycles "$warm")):"
echo "  $cycles cycles in $(field seconds "$out") s, $(field errors "$out") errors$([ "$(field capped "$out")" = yes ] && echo ", capped at ${CYCLE_SECONDS}s before $CYCLES")"
awk -v a="$after" -v b="$before" -v c="$cycles" -v want="$CYCLES" 'BEGIN {
  d = (a - b) / b * 100
  printf "  k4ds RSS %d KiB before, %d KiB after: %+.1f%%  (target within 10%%: %s%s)\n", b, a, d,
         (d <= 10 && d >= -10 ? "met" : "NOT met"), (c < want ? ", over fewer cycles than asked" : "")
}'
