#!/usr/bin/env bash
# Gateway throughput versus the size of the route table (issue 3: "with 100k routes, throughput
# within 5% of 10 routes"). The same gateway program (bench/route_scale_server.cc: the real
# Gateway and Listener over a SQLite store, 2 I/O threads) is started once with SMALL routes and
# once with LARGE routes, all routed to one nginx answering 200 with a 1 KiB body. wrk requests
# the same ten hosts with an admin's API token in both cases (spread across the table when it is
# large), so only the table's size differs. Rounds alternate the order.
#
# Usage: bench/route_scale.sh   (~1.5 minutes; builds its own release programs)
# Env:   SMALL (default 10), LARGE (default 100000), DURATION (s, default 10), WARMUP (s, 2),
#        CONNECTIONS (64), THREADS (wrk threads, 2), ROUNDS (2)
# Everything it starts is stopped by PID, and its temp dir removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$root/scripts/install-deps.sh" bench >/dev/null

SMALL=${SMALL:-10}
LARGE=${LARGE:-100000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}

cmake --preset release -DK4DS_BUILD_TESTS=ON -S "$root" >/dev/null
cmake --build --preset release --target route_scale_server >/dev/null
server_bin=$root/build/release/route_scale_server

work=$(mktemp -d /tmp/k4ds-bench-routes.XXXXXX)
pids=()
BENCH=route_scale.sh
K4DS_BIN=$server_bin
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
server_pid=""
cleanup() {  # the current gateway (started and stopped per measurement), then the rest
  local rc=$?
  [ -n "$server_pid" ] && stop_server
  (exit "$rc")
  bench_cleanup
}
trap cleanup EXIT INT TERM

# --- the upstream: nginx, 1 worker, 200 with a 1 KiB body on every path --------------------------
body=$(head -c 1024 /dev/zero | tr '\0' 'x')
upstream_port=$(free_port)
start_nginx "$work/upstream" 1 4096 "
  server {
    listen 127.0.0.1:$upstream_port;
    location / { default_type text/plain; return 200 \"$body\"; }
  }"
wait_http "http://127.0.0.1:$upstream_port/"

# --- one gateway per table size; each starts, is measured, and is stopped before the next ---------
start_server() {  # routes
  rm -f "$work/server.out"
  "$server_bin" "127.0.0.1:$upstream_port" "$1" "$work/server.out" >>"$work/server-$1.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1200); do  # filling 100k workspaces takes a few seconds; give up after 120 s
    [ -f "$work/server.out" ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "$BENCH: the gateway with $1 routes exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -f "$work/server.out" ] || { echo "$BENCH: the gateway with $1 routes did not start in 120 s" >&2; exit 1; }
  read -r server_port token <"$work/server.out"
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# Ten hosts spread evenly across the table: owner user<i/4>, workspace ws<i%4>.
hosts_for() {  # routes
  local n=$1 i
  for k in $(seq 0 9); do
    i=$(( n >= 10 ? k * (n / 10) : k % n ))
    printf 'user%d-ws%d.localhost\n' $((i / 4)) $((i % 4))
  done
}

# wrk script: each request goes to the next of the ten hosts, with the token.
write_lua() {  # routes
  {
    echo "local hosts = {"
    hosts_for "$1" | sed 's/.*/  "&",/'
    echo "}"
    echo "local token = \"$token\""
    cat <<'EOF'
local i = 0
request = function()
  i = i % #hosts + 1
  return wrk.format("GET", "/", { ["Host"] = hosts[i], ["Authorization"] = "Bearer " .. token })
end
EOF
  } >"$work/hosts-$1.lua"
}

to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
results="$work/results.tsv"
measure() {  # round routes
  local round=$1 routes=$2
  start_server "$routes"
  write_lua "$routes"
  # Every host answers 200 with the body before anything is timed.
  while read -r host; do
    out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' -H "Host: $host" \
      -H "Authorization: Bearer $token" "http://127.0.0.1:$server_port/")
    [ "$out" = "200 1024" ] || { echo "$BENCH: $host answered '$out' with $routes routes, expected '200 1024'" >&2; exit 1; }
  done < <(hosts_for "$routes")
  local url="http://127.0.0.1:$server_port/"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$work/hosts-$routes.lua" "$url" >/dev/null
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/hosts-$routes.lua" "$url")
  local rss; rss=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")
  stop_server
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$routes" "$rps" "$p99" "$rss" >>"$results"
  printf '%-6s %8s %12s %9s %10s  %s\n' "$round" "$routes" "$rps" "$p99" "$rss" "${non2xx:-0}"
  if [ "${non2xx:-0}" != 0 ]; then echo "WARNING: $routes routes had non-2xx answers"; sed 's/^/    /' <<<"$out"; fi
}

echo "route-table scale: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (after ${WARMUP}s warm-up), $ROUNDS rounds, ten hosts, API token"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-6s %8s %12s %9s %10s  %s\n' round routes "requests/s" "p99 ms" "RSS KiB" non-2xx
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then sizes=("$SMALL" "$LARGE"); else sizes=("$LARGE" "$SMALL"); fi
  for routes in "${sizes[@]}"; do measure "$round" "$routes"; done
done
echo
awk -F'\t' -v small="$SMALL" -v large="$LARGE" '
  { n[$2]++; r[$2] += $3; p[$2] += $4 }
  END {
    rs = r[small] / n[small]; rl = r[large] / n[large]
    printf "means: %d routes %.0f requests/s (p99 %.3f ms); %d routes %.0f requests/s (p99 %.3f ms)\n",
           small, rs, p[small] / n[small], large, rl, p[large] / n[large]
    printf "%d routes / %d routes: %.3fx  (target >= 0.95x: %s)\n", large, small, rl / rs, (rl >= 0.95 * rs ? "met" : "NOT met")
  }' "$results"
