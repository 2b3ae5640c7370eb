#!/usr/bin/env bash
# Gateway benchmark: k4ds (authenticated, workspace cookie on every request) versus nginx
# proxy_pass (upstream keepalive, no auth) versus configurable-http-proxy (no auth), all three
# forwarding to the SAME upstream: an nginx answering 200 with a 1 KiB body, which k4ds itself
# launches as a workspace (so k4ds's route to it is the real one, built by its runtime), and
# which the two peers are pointed at directly.
#
# Usage: bench/gateway.sh            (as root, from anywhere; ~1.5-2 minutes)
# Env:   K4DS_BIN (default build/bench-release/k4ds), DURATION (s, default 10),
#        CONNECTIONS (default 64), THREADS (wrk threads, default 2), WARMUP (s, default 2),
#        ROUNDS (default 2; each round runs the three proxies, in rotated order),
#        PERF_OUT (a file: `perf record -g` of k4ds during its first measured run; costs it ~5 %;
#        PERF_PROXY=nginx or chp profiles that proxy instead),
#        COST=1 (count, with `perf stat`, each proxy's CPU time, syscalls and context switches per
#        request in every measured run: steadier than requests/s on a shared machine)
# Prints requests/s and latency percentiles per proxy, then the ratios and k4ds's RSS.
# Everything it starts is stopped by PID, and its temp dir removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$root/scripts/install-deps.sh" bench >/dev/null

K4DS_BIN=${K4DS_BIN:-$root/build/bench-release/k4ds}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
CHP_MAIN=$(dpkg -L node-configurable-http-proxy | grep '/bin/configurable-http-proxy$' | head -1)

[ -x "$K4DS_BIN" ] || { echo "gateway.sh: no k4ds binary at $K4DS_BIN; build it or set K4DS_BIN" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "gateway.sh: run as root (k4ds's local runtime runs the upstream as a workspace account)" >&2; exit 2; }

work=$(mktemp -d /tmp/k4ds-bench-gw.XXXXXX)
chmod 755 "$work"  # the upstream runs as the workspace account and reads its template here
pids=()
BENCH=gateway.sh
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap bench_cleanup EXIT INT TERM

body=$(head -c 1024 /dev/zero | tr '\0' 'x')

# --- the upstream: nginx, 1 worker, answers every path with 200 and a 1 KiB body -------------
cat >"$work/upstream.conf.in" <<EOF
worker_processes 1;
daemon off;
pid @RUN@/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path @RUN@/body; proxy_temp_path @RUN@/proxy;
  fastcgi_temp_path @RUN@/fastcgi; uwsgi_temp_path @RUN@/uwsgi; scgi_temp_path @RUN@/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:@PORT@;
    location / { default_type text/plain; return 200 "$body"; }
  }
}
EOF
chmod 644 "$work/upstream.conf.in"

# --- k4ds: one environment whose command is that upstream, on a port the runtime picks --------
k4ds_upstream_workspace "bench upstream (nginx, 1 KiB)" \
  "[/bin/sh, -c, \"sed -e 's/@PORT@/{port}/g' -e 's#@RUN@#{run_dir}#g' $work/upstream.conf.in > {run_dir}/nginx.conf && exec /usr/sbin/nginx -e stderr -p {run_dir} -c {run_dir}/nginx.conf\"]"

# --- nginx proxy_pass, 2 workers (k4ds runs 2 I/O threads), keepalive to the upstream --------
nginx_port=$(free_port)
start_nginx "$work/nginx" 2 4096 "
  upstream bench { server $upstream; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"

# --- configurable-http-proxy (single-threaded Node.js; JupyterHub's proxy) ----------------------
chp_port=$(free_port)
chp_api_port=$(free_port)
CONFIGPROXY_AUTH_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') NODE_PATH=/usr/share/nodejs \
  node "$CHP_MAIN" --ip 127.0.0.1 --port "$chp_port" --api-ip 127.0.0.1 --api-port "$chp_api_port" \
  --default-target "http://$upstream" --log-level warn >"$work/chp.log" 2>&1 &
chp_pid=$!
pids+=("$chp_pid")

wait_http "http://127.0.0.1:$nginx_port/"
wait_http "http://127.0.0.1:$chp_port/"

# --- sanity: each proxy answers 200 with the 1 KiB body; k4ds refuses a request without cookie -
check() {  # name url [curl args]
  local name=$1 url=$2; shift 2
  local out; out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "$@" "$url")
  [ "$out" = "200 1024" ] || { echo "gateway.sh: $name answered '$out', expected '200 1024'" >&2; exit 1; }
}
k4ds_url="http://127.0.0.1:$k4ds_port/"
k4ds_args=(-H "Host: $ws_host" -H "Cookie: k4ds_ws=$ws_cookie")
check upstream "http://$upstream/"
check nginx "http://127.0.0.1:$nginx_port/"
check chp "http://127.0.0.1:$chp_port/"
check k4ds "$k4ds_url" "${k4ds_args[@]}"
anon=$(curl -sS -o /dev/null -w '%{http_code}' -H "Host: $ws_host" -H 'Accept: application/json' "$k4ds_url")
[ "$anon" = 401 ] || { echo "gateway.sh: k4ds answered $anon without a cookie, expected 401" >&2; exit 1; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# --- the runs ------------------------------------------------------------------------------------
to_ms() {  # wrk latency "812.00us" / "1.23ms" / "1.02s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
label() {
  case $1 in
    nginx) echo "nginx proxy_pass (2 workers)" ;;
    chp) echo "configurable-http-proxy (1 thread)" ;;
    k4ds) echo "k4ds, authenticated (2 I/O thr.)" ;;
  esac
}
row() { printf '%-6s %-34s %12s %9s %9s %8s  %s\n' "$@"; }
results="$work/results.tsv"  # round name rps p50 p99 non2xx errors
run_wrk() {  # round name url [wrk args]
  local round=$1 name=$2 url=$3; shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
  local perf_pid=""
  if [ -n "${PERF_OUT:-}" ] && [ "$name" = "${PERF_PROXY:-k4ds}" ] && [ "$round" = 1 ]; then  # its first run
    perf record -q -F 499 -g -p "$(proxy_pids "$name")" -o "$PERF_OUT" -- sleep "$DURATION" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  local cost_pid="" cost_file="$work/cost-$name-$round.csv"
  if [ -n "${COST:-}" ]; then
    perf stat -x, -e task-clock,raw_syscalls:sys_enter,context-switches -p "$(proxy_pids "$name")" \
      -o "$cost_file" -- sleep "$DURATION" >/dev/null 2>&1 &
    cost_pid=$!
  fi
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
  [ -n "$perf_pid" ] && wait "$perf_pid"
  [ -n "$cost_pid" ] && { wait "$cost_pid"; cost_line "$round" "$name" "$out" "$cost_file"; }
  echo "$out" >"$work/wrk-$name-$round.txt"
  local rps p50 p99 non2xx errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  errors=$(sed -n 's/^ *Socket errors: //p' <<<"$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "${errors:-none}" >>"$results"
  row "$round" "$(label "$name")" "$rps" "$p50" "$p99" "${non2xx:-0}" "${errors:-none}"
  if [ "${non2xx:-0}" != 0 ] || [ -n "$errors" ]; then
    echo "WARNING: $name had non-2xx answers or socket errors; wrk said:"; sed 's/^/    /' <<<"$out"
  fi
}

# The processes doing a proxy's work, comma-separated (nginx: its workers, the master's children).
proxy_pids() {
  case $1 in
    nginx) pgrep -d, -P "$nginx_pid" ;;
    chp) echo "$chp_pid" ;;
    k4ds) echo "$k4ds_pid" ;;
  esac
}
costs="$work/costs.tsv"  # round name cpu_us_per_request syscalls_per_request switches_per_request
cost_line() {  # round name wrk-output perf-csv
  local requests; requests=$(awk '/requests in/ {print $1}' <<<"$3")
  awk -F, -v r="$1" -v n="$2" -v q="$requests" '
    $3 == "task-clock" { cpu = $1 } $3 == "raw_syscalls:sys_enter" { sc = $1 } $3 == "context-switches" { cs = $1 }
    END { printf "%s\t%s\t%.1f\t%.2f\t%.2f\n", r, n, cpu * 1000 / q, sc / q, cs / q }' "$4" >>"$costs"
}

echo "gateway benchmark: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (each after a ${WARMUP}s warm-up), $ROUNDS rounds, 1 KiB upstream at $upstream"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
rss_before=$(rss_kib "$k4ds_pid")
echo
row round proxy "requests/s" "p50 ms" "p99 ms" "non-2xx" "socket errors"
order=(nginx chp k4ds)
for round in $(seq "$ROUNDS"); do
  for name in "${order[@]}"; do
    case $name in
      nginx) run_wrk "$round" nginx "http://127.0.0.1:$nginx_port/" ;;
      chp) run_wrk "$round" chp "http://127.0.0.1:$chp_port/" ;;
      k4ds) run_wrk "$round" k4ds "$k4ds_url" "${k4ds_args[@]}" ;;
    esac
  done
  order=("${order[2]}" "${order[0]}" "${order[1]}")  # rotate, so no proxy always runs first
done
rss_after=$(rss_kib "$k4ds_pid")

echo
echo "means over $ROUNDS rounds:"
awk -F'\t' '
  { n[$2]++; r[$2] += $3; p[$2] += $5 }
  END {
    for (k in n) { r[k] /= n[k]; p[k] /= n[k]; printf "  %-6s %10.0f requests/s  p99 %8.3f ms\n", k, r[k], p[k] }
    printf "k4ds/nginx requests/s: %.2fx  (target >= 1.0x: %s)\n", r["k4ds"] / r["nginx"], (r["k4ds"] >= r["nginx"] ? "met" : "NOT met")
    printf "k4ds/CHP   requests/s: %.2fx  (target >= 10x: %s)\n", r["k4ds"] / r["chp"], (r["k4ds"] >= 10 * r["chp"] ? "met" : "NOT met")
    printf "p99 k4ds - nginx: %+.3f ms  (target <= 0: %s)\n", p["k4ds"] - p["nginx"], (p["k4ds"] <= p["nginx"] ? "met" : "NOT met")
  }' "$results"
echo "k4ds RSS: ${rss_before} KiB before, ${rss_after} KiB after the runs"
if [ -s "$costs" ]; then
  echo
  echo "cost per request (perf stat on the proxy's own processes, means over $ROUNDS rounds):"
  awk -F'\t' '
    { n[$2]++; c[$2] += $3; s[$2] += $4; w[$2] += $5 }
    END { for (k in n) printf "  %-6s %7.1f us CPU  %6.2f syscalls  %6.2f context switches\n", k, c[k] / n[k], s[k] / n[k], w[k] / n[k] }' "$costs"
fi
